# Issue 8 (trust), the grants: a refresh with a narrower scope narrows the
# access token only (RFC 6749 6: the new refresh token keeps the old one's
# scope; dropping offline_access still rotates, it does not use the grant
# up); a code presented by another client is left untouched (the rightful
# client still redeems it, no replay); the absolute refresh lifetime
# (OIDCIdPRefreshTokenMaxLifetime, 4 seconds on the oidp_trust vhost)
# measured from the user's authentication, besides the sliding one.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

# the virtual hosts' own databases get this file's clients and users too
mirror('oidp_trust');
use Time::HiRes ();

my $RP = 'https://rp.example.test/cb';
my $uname = unique_id('rtt-u');
my $PW = 'refresh-trust-pw';
my $sub = user_add($uname, password => $PW, email => "$uname\@example.test", email_verified => 1);
my $id = unique_id('rtt-a');
my $secret = client_add($id, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP], first_party => 1);
my $A = [$id, $secret, 'basic'];
my $id_b = unique_id('rtt-b');
my $secret_b = client_add($id_b, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP],
                          first_party => 1);
my $B = [$id_b, $secret_b, 'basic'];
my $SCOPE = 'openid email offline_access';

my $b = browser();
sub flow {
    my (%o) = @_;
    return code_flow(client => $A, redirect_uri => $RP, user => [$uname, $PW], scope => $o{scope} // $SCOPE,
                     browser => $o{browser} || $b, vhost => $o{vhost});
}

sub refresh {
    my ($rt, @more) = @_;
    my %o = (@more % 2) ? () : @more;
    my $vhost = delete $o{vhost};
    return token_request(client => $A, vhost => $vhost,
                         params => [grant_type => 'refresh_token', refresh_token => $rt, %o]);
}

# ---------------------------------------------------------- narrowing keeps the grant's scope
{
    my $t = flow()->{tokens};
    my $n = json_ok(refresh($t->{refresh_token}, scope => 'openid offline_access'), 200, 'narrowed refresh');
    is($n->{scope}, 'openid offline_access', 'narrowed: the response says the narrowed scope');
    my (undef, $at) = jwt_decode($n->{access_token} // '');
    is($at->{scope}, 'openid offline_access', 'narrowed: the access token carries the narrowed scope');
    my $ui = json_of(userinfo($n->{access_token} // 'x')) || {};
    ok($ui->{sub} && !exists $ui->{email}, 'narrowed: userinfo without the email claim');
    ok($n->{refresh_token}, 'narrowed: a new refresh token');
    # RFC 6749 6: the new refresh token has the scope of the old one
    my $n2 = json_ok(refresh($n->{refresh_token} // 'x'), 200, 'refresh with the rotated token, no scope');
    is($n2->{scope}, $SCOPE, "the rotated refresh token kept the grant's whole scope");
    my $ui2 = json_of(userinfo($n2->{access_token} // 'x')) || {};
    is($ui2->{email}, "$uname\@example.test", 'the email claim is back with the whole scope');
    json_ok(refresh($n2->{refresh_token} // 'x', scope => 'openid email'), 200,
            'a narrowed scope again, from the whole grant');
}

# ---------------------------------------------------------- dropping offline_access still rotates
{
    my $t = flow()->{tokens};
    my $n = json_ok(refresh($t->{refresh_token}, scope => 'openid'), 200, 'refresh narrowed to openid');
    is($n->{scope}, 'openid', 'without offline_access: the response scope');
    ok($n->{refresh_token}, 'without offline_access: a new refresh token all the same (rotation)');
    my $r = refresh($n->{refresh_token} // 'x');
    my $n2 = json_ok($r, 200, 'the next refresh is no replay');
    is($n2->{scope}, $SCOPE, 'the next refresh: the whole scope');
    json_ok(userinfo($n->{access_token} // 'x'), 200, 'the grant was not revoked: the earlier access token works');
    error_ok(refresh($t->{refresh_token}), 400, 'invalid_grant', 'the first refresh token stays used up');
}

# ---------------------------------------------------------- a code stolen by another client
{
    my $a = authorize($b, params => [response_type => 'code', client_id => $id, redirect_uri => $RP, scope => $SCOPE,
                                     state => 'stolen']);
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    ok($code, 'a code for client A');
    error_ok(code_exchange(client => $B, code => $code, redirect_uri => $RP), 400, 'invalid_grant',
             'client B presents A\'s code');
    error_ok(code_exchange(client => $B, code => $code, redirect_uri => $RP), 400, 'invalid_grant',
             'client B again');
    my $t = json_ok(code_exchange(client => $A, code => $code, redirect_uri => $RP), 200,
                    'the rightful client still redeems its code (not burnt by the thief)');
    json_ok(userinfo($t->{access_token} // 'x'), 200, 'its access token works (no replay revoked the grant)');
    error_ok(code_exchange(client => $A, code => $code, redirect_uri => $RP), 400, 'invalid_grant',
             'a second redemption by A is a replay');
}

# ---------------------------------------------------------- the absolute refresh lifetime
{
    my $V = 'oidp_trust';
    my $bt = browser();
    # sign in now: auth_time, from which the 4-second cap runs
    my $t0 = Time::HiRes::time();
    my $t = flow(browser => $bt, vhost => $V)->{tokens};
    ok($t->{refresh_token}, 'the oidp_trust vhost: a refresh token');
    my $rt = $t->{refresh_token} // 'x';
    my $n = json_ok(refresh($rt, vhost => $V), 200, 'a refresh within the cap');
    $rt = $n->{refresh_token} // 'x';
    # past the cap (4 s from auth_time, whole seconds): the sliding lifetime
    # (30 days) alone would still accept it
    Time::HiRes::sleep(6.2 - (Time::HiRes::time() - $t0));
    error_ok(refresh($rt, vhost => $V), 400, 'invalid_grant', 'past the absolute lifetime, the refresh is refused');
    # an SSO code for the same login carries the same auth_time: no way around the cap
    my $a = authorize($bt, vhost => $V, params => [response_type => 'code', client_id => $id, redirect_uri => $RP,
                                                    scope => $SCOPE, state => 'sso']);
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    my $s = json_of(code_exchange(client => $A, code => $code // 'x', redirect_uri => $RP, vhost => $V)) || {};
    ok(!$s->{refresh_token} || refresh($s->{refresh_token}, vhost => $V)->code == 400,
       'a refresh token of a new code of the same authentication is past the cap as well');
    # the main server (default 90 days) keeps its refresh tokens
    my $m = flow()->{tokens};
    json_ok(refresh($m->{refresh_token}), 200, 'the main server: the default cap does not bite');
}

done_testing;
