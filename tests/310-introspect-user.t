# Introspection of a user's tokens carries what resource servers look up
# (Dovecot's username_attribute is email by default): username always,
# email and email_verified when the grant includes the email scope, never
# otherwise; a client's own token has neither.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my $PW = 'correct horse battery';
my $verified = unique_id('iu-verified');
user_add($verified, password => $PW, email => "$verified\@mail.example.test", email_verified => 1);
my $unverified = unique_id('iu-unverified');
user_add($unverified, password => $PW, email => "$unverified\@mail.example.test");
my $noemail = unique_id('iu-noemail');
user_add($noemail, password => $PW);

my $app = unique_id('iu-app');
my $app_secret = client_add($app, grant_types => 'authorization_code refresh_token client_credentials',
                            scopes => 'openid profile email offline_access api',
                            redirect_uris => [$RP], first_party => 1);
my $rs = unique_id('iu-rs');
my $rs_secret = client_add($rs, scopes => 'api');

sub introspect {
    my $token = shift;
    my $res = post_form('/introspect', [token => $token],
                        headers => [Authorization => basic_header($rs, $rs_secret)]);
    is($res->code, 200, 'introspection answers 200') or diag($res->as_string);
    return json_of($res) || {};
}

sub tokens_for {
    my ($user, $scope) = @_;
    return code_flow(client => [$app, $app_secret, 'basic'], redirect_uri => $RP, scope => $scope,
                     user => [$user, $PW])->{tokens};
}

# with the email scope
my $t = tokens_for($verified, 'openid email offline_access');
my $j = introspect($t->{access_token});
ok($j->{active}, 'the access token is active');
is($j->{username}, $verified, 'username');
is($j->{email}, "$verified\@mail.example.test", 'email, with the email scope');
is($j->{email_verified}, JSON::PP::true(), 'email_verified true');
$j = introspect($t->{refresh_token});
ok($j->{active}, 'the refresh token is active');
is($j->{email}, "$verified\@mail.example.test", 'the refresh token carries the email too');

$t = tokens_for($unverified, 'openid email');
$j = introspect($t->{access_token});
is($j->{email}, "$unverified\@mail.example.test", 'an unverified address is returned');
is($j->{email_verified}, JSON::PP::false(), '... with email_verified false');

# without the email scope
$t = tokens_for($verified, 'openid profile');
$j = introspect($t->{access_token});
ok($j->{active}, 'a token without the email scope is active');
is($j->{username}, $verified, '... has the username');
ok(!exists $j->{email}, '... and no email');
ok(!exists $j->{email_verified}, '... and no email_verified');

# a user with no address
$t = tokens_for($noemail, 'openid email');
$j = introspect($t->{access_token});
is($j->{username}, $noemail, 'a user without an address: username');
ok(!exists $j->{email} && !exists $j->{email_verified}, '... and no email claims');

# a client's own token
my $cc = json_of(token_request(client => [$app, $app_secret, 'basic'],
                               params => [grant_type => 'client_credentials', scope => 'api']));
$j = introspect($cc->{access_token});
ok($j->{active}, 'a client_credentials token is active');
ok(!exists $j->{username} && !exists $j->{email}, '... without username or email');

done_testing();
