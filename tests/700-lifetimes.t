# Lifetimes, on the oidp_short vhost (tests/conf/vhosts.conf.in: code,
# access token, ID token, refresh token and session of 3 seconds): what is
# valid at once is refused once it has expired - the code (invalid_grant),
# the access token (401 invalid_token at userinfo, inactive at
# introspection), the refresh token (invalid_grant), the login session
# (prompt=none -> login_required, get-account "Please login first"); an
# expired ID token is still a valid id_token_hint for logout. One wait for
# all of them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

# the virtual hosts' own databases get this file's clients and users too
mirror('oidp_short');
use Time::HiRes ();

my $V = 'oidp_short';
my $ISS = 'http://localhost:' . Apache::Test::config()->{vars}->{"${V}_port"};
my $RP = 'https://rp.example.test/cb';
my $BYE = 'https://rp.example.test/bye';
my $uname = unique_id('lt-u');
my $PW = 'lifetime-pw';
my $sub = user_add($uname, password => $PW);
my $id = unique_id('lt-client');
my $secret = client_add($id, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP],
                        post_logout_uris => [$BYE], first_party => 1);
my $C = [$id, $secret, 'basic'];
my @P = (response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid offline_access',
         state => 'lt');

my $b = browser();
sub probe {
    return get(query_path('/authorize', @P, prompt => 'none'), ua => $b, vhost => $V);
}

# ---------------------------------------------------------- valid at once
my $a = authorize($b, vhost => $V, path => '/authorize', params => \@P, user => [$uname, $PW]);
is_deeply($a->{pages}, ['login', 'redirect'], 'the short vhost: login, code');
is($a->{cb} && $a->{cb}->{params}->{iss}, $ISS, "the short vhost's issuer");
my $res = code_exchange(client => $C, code => $a->{cb}->{params}->{code}, redirect_uri => $RP, vhost => $V);
my $t = json_ok($res, 200, 'a code redeemed at once');
is($t->{expires_in}, 3, 'expires_in is the short lifetime');
my $c = id_token_ok($t->{id_token}, client_id => $id, nonce => undef, access_token => $t->{access_token},
                    issuer => $ISS, vhost => $V, name => 'short ID token');
is($c->{exp} - $c->{iat}, 3, 'ID token: exp is iat + 3');
json_ok(userinfo($t->{access_token}, vhost => $V), 200, 'the access token works at once');
my $p = probe();
my $late = authz_response($p, $RP) || { params => {} };
ok($late->{params}->{code}, 'the session works at once (prompt=none gives a code)');
my $late_code = $late->{params}->{code};
my $acct = json_of(get('/api/get-account', ua => $b, vhost => $V)) || {};
is($acct->{status}, 'ok', 'get-account with the session at once');
my $r = token_request(client => $C, vhost => $V, params => [grant_type => 'refresh_token', refresh_token => $t->{refresh_token}]);
my $t2 = json_ok($r, 200, 'the refresh token works at once');
# everything above was issued in this second or earlier: all of it has
# expired 3 seconds later
my $issued = time;

# a session of this issuer is not one of another issuer on the same host
{
    my $m = get(query_path('/authorize', @P, prompt => 'none'), ua => $b);
    my $cb = authz_response($m, $RP) || { params => {} };
    is($cb->{params}->{error}, 'login_required', "the short vhost's session does not sign in at the main server");
}

# ---------------------------------------------------------- expired
Time::HiRes::sleep(0.05) while time < $issued + 3;

error_ok(code_exchange(client => $C, code => $late_code, redirect_uri => $RP, vhost => $V), 400, 'invalid_grant',
         'an expired code');
$res = userinfo($t2->{access_token}, vhost => $V);
error_ok($res, 401, 'invalid_token', 'an expired access token at userinfo');
like($res->header('WWW-Authenticate') // '', qr/^Bearer\b.*error="invalid_token"/, 'an expired access token: WWW-Authenticate');
my $j = json_of(post_form('/introspect', [token => $t2->{access_token}], vhost => $V,
                          headers => [Authorization => basic_header($id, $secret)])) || {};
ok(exists $j->{active} && !$j->{active}, 'an expired access token is inactive at introspection');
error_ok(token_request(client => $C, vhost => $V, params => [grant_type => 'refresh_token', refresh_token => $t2->{refresh_token}]),
         400, 'invalid_grant', 'an expired refresh token');
$p = probe();
authz_error_ok($p, $RP, 'login_required', 'lt', 'an expired session: prompt=none', issuer => $ISS);
$acct = json_of(get('/api/get-account', ua => $b, vhost => $V)) || {};
is($acct->{status}, 'error', 'an expired session: get-account says login first');
$a = authorize($b, vhost => $V, path => '/authorize', params => \@P);
is_deeply($a->{pages}, ['login'], 'an expired session: the login page');

# an expired ID token is still a hint the OP issued (RP-Initiated Logout 1.0, 2)
$res = get(query_path('/api/logout', id_token_hint => $t->{id_token}, post_logout_redirect_uri => $BYE, state => 'x'),
           ua => $b, vhost => $V);
is($res->code, 302, 'logout with an expired ID token as the hint: 302');
is($res->header('Location'), "$BYE?state=x", 'logout with an expired ID token: back to the client');

done_testing;
