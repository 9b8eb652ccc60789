# Identities from upstream Apache authentication (OIDCIdPUpstreamAuth;
# tests/conf/vhosts-authn.conf.in): Basic with mod_authn_file in the
# authorize <Location>. On: the Basic user signs in without a page, with
# claims from OIDCIdPClaim, a stable sub, amr pwd and acr password;
# prompt=none works; prompt=login and max_age=0 are login_required (a new
# upstream authentication cannot be forced). Optional: credentials sign in
# at once, none give the password form, prompt=login gives the form.
# acr_values are voluntary (an unmet one: a new sign-in, or login_required
# with prompt=none), an essential acr in the claims request that is not
# reached is access_denied; discovery lists acr_values_supported.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MIME::Base64 qw(encode_base64);
use OIDP::Test;

my $V = 'oidp_authn';
# its own database (one database serves one issuer): clients and users go there too
mirror($V);
my $RP = 'https://rp.example.test/cb';
my $m = marker();
my $dir = OIDP::Test::env_of('OIDP_TEST_STATE') . '/authn';
mkdir $dir;
chmod 0755, $dir;
my $ann = unique_id('upann');
my $PW = "up-$m";
system('htpasswd', '-cbB', "$dir/upstream.htpasswd", $ann, $PW) == 0 or die "htpasswd failed\n";
chmod 0644, "$dir/upstream.htpasswd";
OIDP::Test::record_secret('test:password', $PW);

my $id = unique_id('upstream-app');
my $secret = client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP],
                        scopes => 'openid profile email', first_party => 1);
my $C = [$id, $secret, 'basic'];

sub basic_browser {
    my $b = browser();
    $b->default_header(Authorization => 'Basic ' . encode_base64("$ann:$PW", '')) if @_ ? shift : 1;
    return $b;
}
sub flow {
    my ($b, $path, @params) = @_;
    return eval {
        code_flow(client => $C, redirect_uri => $RP, path => $path, browser => $b,
                  scope => 'openid email', vhost => $V, params => \@params);
    };
}
sub id_claims {
    my $f = shift or return {};
    my (undef, $c) = jwt_decode($f->{tokens}->{id_token});
    return $c || {};
}
# the authorization answer without a code flow: [error, pages, result]
sub az {
    my ($b, $path, @params) = @_;
    my $a = authorize($b, path => $path, vhost => $V,
                      params => [response_type => 'code', client_id => $id, redirect_uri => $RP,
                                 scope => 'openid', state => 'st', @params]);
    return [$a->{cb} ? $a->{cb}->{params}->{error} // 'code' : 'none', "@{ $a->{pages} }", $a];
}

# ---------------------------------------------------------- required (On)
my $b1 = basic_browser();
my $f1 = flow($b1, '/authn/upstream');
ok($f1, 'On: the Basic user signs in') or diag($@);
is_deeply($f1 && $f1->{authz}->{pages}, ['redirect'], 'On: no page was shown (straight to the client)')
    if $f1;
my $c1 = id_claims($f1);
like($c1->{sub} // '', qr/^[0-9a-f-]{36}$/, 'On: the ID token has a sub (a UUID)');
is_deeply($c1->{amr}, ['pwd'], 'On: amr ["pwd"] (Basic is a password)');
is($c1->{acr}, 'password', 'On: acr "password"');
my $ui = $f1 ? json_of(userinfo($f1->{tokens}->{access_token}, vhost => $V)) || {} : {};
is($ui->{email}, "$ann\@upstream.example.test", 'On: email from its OIDCIdPClaim expression');
my $f1b = flow(basic_browser(), '/authn/upstream');
is(id_claims($f1b)->{sub}, $c1->{sub}, 'On: the same sub at the next sign-in (another browser)');

my $r = az(basic_browser(), '/authn/upstream', prompt => 'none');
is($r->[0], 'code', 'On: prompt=none with Basic credentials gives a code');
$r = az($b1, '/authn/upstream', prompt => 'login');
is($r->[0], 'login_required', 'On: prompt=login is login_required (cannot be forced upstream)');
$r = az($b1, '/authn/upstream', max_age => 0);
is($r->[0], 'login_required', 'On: max_age=0 is login_required');
$r = az(basic_browser(0), '/authn/upstream');
is($r->[2]->{res}->code, 401, 'On: no credentials: Apache asks for them (401)');
$r = az($b1, '/authn/upstream', oidp_action => 'login', username => $ann, password => $PW);
is($r->[0], 'code', 'On: a login form post is not a password sign-in (the upstream user is)');

# acr_values: voluntary; the claims request's essential acr: met or access_denied
my $f2 = flow(basic_browser(), '/authn/upstream', acr_values => 'x509 kerberos');
ok($f2, 'On: acr_values none of which is reached: still a code (voluntary)');
is(id_claims($f2)->{acr}, 'password', 'On: ... and the ID token says what was reached');
$r = az(basic_browser(), '/authn/upstream',
        claims => '{"id_token":{"acr":{"essential":true,"values":["x509"]}}}');
is($r->[0], 'access_denied', 'On: an essential acr not reached is access_denied (OIDC Core 5.5.1.1)');
$r = az(basic_browser(), '/authn/upstream',
        claims => '{"id_token":{"acr":{"essential":true,"value":"no-such-acr"}}}');
is($r->[0], 'access_denied', 'On: an essential acr this provider never reaches is access_denied');
my $f3 = flow(basic_browser(), '/authn/upstream',
              claims => '{"id_token":{"acr":{"essential":true,"values":["password","x509"]}}}');
is(id_claims($f3)->{acr}, 'password', 'On: an essential acr that is reached: a code, acr password');

# ---------------------------------------------------------- Optional
my $f4 = flow(basic_browser(), '/authn/upstream-optional');
ok($f4, 'Optional: Basic credentials sign in at once') or diag($@);
is_deeply($f4 && $f4->{authz}->{pages}, ['redirect'], 'Optional: no page') if $f4;
is(id_claims($f4)->{sub}, $c1->{sub}, 'Optional: the same upstream user, the same sub');
$r = az(basic_browser(0), '/authn/upstream-optional');
is($r->[1], 'login', 'Optional: no credentials: the password form');
$r = az(basic_browser(), '/authn/upstream-optional', prompt => 'login');
is($r->[1], 'login', 'Optional: prompt=login: the password form (a new sign-in)');
{
    # a password sign-in (the form) has acr password; acr_values x509 with
    # prompt=none is then login_required (the session does not meet it)
    my $b = basic_browser(0);
    my $f = eval {
        code_flow(client => $C, redirect_uri => $RP, path => '/authn/upstream-optional',
                  browser => $b, vhost => $V, user => [$ann, $PW]);
    };
    my $c = id_claims($f);
    is($c->{acr}, 'password', 'Optional: the password form: acr password');
    isnt($c->{sub} // '', $c1->{sub}, 'Optional: the form\'s provider user is another row than the upstream one');
    $r = az($b, '/authn/upstream-optional', prompt => 'none');
    is($r->[0], 'code', 'Optional: prompt=none with the session: a code');
    $r = az($b, '/authn/upstream-optional', prompt => 'none', acr_values => 'x509');
    is($r->[0], 'login_required', 'Optional: prompt=none, acr_values above the session: login_required');
    $r = az($b, '/authn/upstream-optional', acr_values => 'x509');
    is($r->[1], 'login', 'Optional: acr_values above the session: a new sign-in (the form)');
}

# ---------------------------------------------------------- discovery
my $d = json_of(get('/.well-known/openid-configuration', vhost => $V)) || {};
is_deeply($d->{acr_values_supported}, [qw(password upstream x509 kerberos)],
          'discovery: acr_values_supported');
ok((grep { $_ eq 'acr' } @{ $d->{claims_supported} || [] }), 'discovery: acr in claims_supported');

done_testing;
