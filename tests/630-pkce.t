# PKCE (RFC 7636) through the whole flow: S256 for a confidential and a
# public client; at the token endpoint a missing, wrong, foreign, short or
# long verifier, and a verifier where no challenge was sent, are
# invalid_grant; at the authorization endpoint plain is refused (unless
# OIDCIdPAllowPlainPKCE On: the oidp_override vhost) and a public client
# must send a challenge.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Digest::SHA qw(sha256);
use OIDP::Test;

# the virtual hosts' own databases get this file's clients and users too
mirror('oidp_override');

my $RP = 'https://rp.example.test/cb';
my $NATIVE = 'http://127.0.0.1/callback';
my $uname = unique_id('pkce-u');
my $PW = 'pkce-password';
my $sub = user_add($uname, password => $PW);
my $id = unique_id('pkce-conf');
my $secret = client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1);
my $C = [$id, $secret, 'basic'];
my $pub = unique_id('pkce-public');
client_add($pub, public => 1, grant_types => 'authorization_code refresh_token',
           redirect_uris => [$NATIVE, $RP], first_party => 1);
my $PUB = [$pub, undef, 'none'];
my $jwks = jwks_of('/.well-known/jwks');
my $STATE = random_state();

my $b = browser();

# a code for CLIENT with the given PKCE parameters (signs in the first time)
sub code_for {
    my ($client_id, $redirect_uri, @pkce) = @_;
    my $a = authorize($b, params => [response_type => 'code', client_id => $client_id, redirect_uri => $redirect_uri,
                                     scope => 'openid offline_access', state => $STATE, @pkce],
                      user => [$uname, $PW]);
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    ok($code, "a code for $client_id" . (@pkce ? ' with a challenge' : '')) or diag($a->{res}->as_string);
    return $code // 'none';
}

sub S256 { return b64url_encode(sha256(shift)) }

# ---------------------------------------------------------- confidential client
{
    my ($v, $ch) = pkce_pair();
    my $code = code_for($id, $RP, code_challenge => $ch, code_challenge_method => 'S256');
    my $res = code_exchange(client => $C, code => $code, redirect_uri => $RP, verifier => $v);
    my $j = json_ok($res, 200, 'S256 with the right verifier');
    my $c = id_token_ok($j->{id_token}, client_id => $id, nonce => undef, access_token => $j->{access_token},
                        jwks => $jwks, name => 'S256 ID token');
    is($c->{sub}, $sub, 'S256: the user');

    my ($v2, $ch2) = pkce_pair();
    my $short = substr(random_state(), 0, 42);
    my $long = 'a' x 129;
    my @bad = (
        ['no code_verifier', $ch2, undef],
        ['a wrong code_verifier', $ch2, (pkce_pair())[0]],
        ['the challenge as the verifier', $ch2, $ch2],
        ["another flow's verifier", $ch2, $v],
        ['a 42-character verifier whose hash matches', S256($short), $short],
        ['a 129-character verifier whose hash matches', S256($long), $long],
        ['a verifier with a character outside the unreserved set', S256("$v2!"), "$v2!"],
    );
    for my $case (@bad) {
        my ($name, $challenge, $verifier) = @$case;
        my $cd = code_for($id, $RP, code_challenge => $challenge, code_challenge_method => 'S256');
        error_ok(code_exchange(client => $C, code => $cd, redirect_uri => $RP, verifier => $verifier),
                 400, 'invalid_grant', $name);
    }
    # a verifier sent where no challenge was: a downgrade (RFC 9700 2.1.1)
    my $cd = code_for($id, $RP);
    error_ok(code_exchange(client => $C, code => $cd, redirect_uri => $RP, verifier => $v2), 400, 'invalid_grant',
             'a code_verifier without a code_challenge');
    # and without PKCE at all, a confidential client still works
    $cd = code_for($id, $RP);
    json_ok(code_exchange(client => $C, code => $cd, redirect_uri => $RP), 200, 'a confidential client without PKCE');
}

# ---------------------------------------------------------- the authorization endpoint refuses
{
    my ($v, $ch) = pkce_pair();
    my @base = (response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid', state => $STATE);
    for my $case (['plain', [code_challenge => $v, code_challenge_method => 'plain']],
                  ['a challenge without a method (plain by default)', [code_challenge => $v]],
                  ['s256 in lower case', [code_challenge => $ch, code_challenge_method => 's256']],
                  ['a challenge of 42 characters', [code_challenge => substr($ch, 0, 42), code_challenge_method => 'S256']],
                  ['a challenge with padding', [code_challenge => substr($ch, 0, 42) . '=', code_challenge_method => 'S256']]) {
        my ($name, $p) = @$case;
        authz_error_ok(get(query_path('/login/oauth/authorize', @base, @$p), ua => $b), $RP, 'invalid_request', $STATE,
                       "authorize: $name");
    }
    authz_error_ok(get(query_path('/authorize', response_type => 'code', client_id => $pub, redirect_uri => $NATIVE,
                                  scope => 'openid', state => $STATE), ua => $b),
                   $NATIVE, 'invalid_request', $STATE, 'authorize: a public client without code_challenge');
}

# ---------------------------------------------------------- public client
{
    my ($v, $ch) = pkce_pair();
    my $code = code_for($pub, $NATIVE, code_challenge => $ch, code_challenge_method => 'S256');
    my $res = code_exchange(client => $PUB, code => $code, redirect_uri => $NATIVE, verifier => $v);
    my $j = json_ok($res, 200, 'public client: S256, client_id and no secret');
    id_token_ok($j->{id_token}, client_id => $pub, nonce => undef, access_token => $j->{access_token}, jwks => $jwks,
                name => 'public client ID token');
    ok($j->{refresh_token}, 'public client: a refresh token (offline_access)');
    $res = token_request(client => $PUB, params => [grant_type => 'refresh_token', refresh_token => $j->{refresh_token}]);
    json_ok($res, 200, 'public client: refresh with client_id only');

    # a loopback redirect_uri on another port (RFC 8252 7.3), bound to the code as sent
    my ($v2, $ch2) = pkce_pair();
    my $port_uri = 'http://127.0.0.1:49152/callback';
    $code = code_for($pub, $port_uri, code_challenge => $ch2, code_challenge_method => 'S256');
    json_ok(code_exchange(client => $PUB, code => $code, redirect_uri => $port_uri, verifier => $v2), 200,
            'public client: a loopback redirect_uri on another port');

    ($v2, $ch2) = pkce_pair();
    $code = code_for($pub, $NATIVE, code_challenge => $ch2, code_challenge_method => 'S256');
    error_ok(code_exchange(client => $PUB, code => $code, redirect_uri => $NATIVE), 400, 'invalid_grant',
             'public client: no code_verifier');
    ($v2, $ch2) = pkce_pair();
    $code = code_for($pub, $NATIVE, code_challenge => $ch2, code_challenge_method => 'S256');
    error_ok(code_exchange(client => $PUB, code => $code, redirect_uri => $NATIVE, verifier => $v), 400,
             'invalid_grant', 'public client: a wrong code_verifier');
    # the code of a public client is not redeemable by a confidential one
    ($v2, $ch2) = pkce_pair();
    $code = code_for($pub, $RP, code_challenge => $ch2, code_challenge_method => 'S256');
    error_ok(code_exchange(client => $C, code => $code, redirect_uri => $RP, verifier => $v2), 400, 'invalid_grant',
             "a public client's code redeemed by another client");
}

# ---------------------------------------------------------- plain, where a vhost allows it
{
    my $vb = browser();
    my $iss = 'http://127.0.0.1:' . Apache::Test::config()->{vars}->{oidp_override_port};
    my ($v) = pkce_pair();
    my $a = authorize($vb, vhost => 'oidp_override', path => '/authorize',
                      params => [response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid',
                                 state => $STATE, code_challenge => $v, code_challenge_method => 'plain'],
                      user => [$uname, $PW]);
    is_deeply($a->{pages}, ['login', 'redirect'], 'OIDCIdPAllowPlainPKCE On: plain is accepted');
    is($a->{cb} && $a->{cb}->{params}->{iss}, $iss, "plain: the vhost's issuer in iss");
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    my $res = code_exchange(client => $C, code => $code, redirect_uri => $RP, verifier => $v, vhost => 'oidp_override',
                            path => '/v2/token');
    my $j = json_ok($res, 200, 'plain: the verifier equal to the challenge');
    my ($h, $c) = jwt_decode($j->{id_token} // '');
    is($c && $c->{iss}, $iss, "plain: the ID token has the vhost's issuer");
    ok(jwt_verify($j->{id_token} // '', jwks_of('/v2/keys', 'oidp_override')), "plain: signed with the vhost's key");

    my ($v2) = pkce_pair();
    $a = authorize($vb, vhost => 'oidp_override', path => '/authorize',
                   params => [response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid',
                              state => $STATE, code_challenge => $v2]);
    is_deeply($a->{pages}, ['redirect'], 'plain by default where allowed: SSO on the vhost');
    $code = $a->{cb} && $a->{cb}->{params}->{code};
    error_ok(code_exchange(client => $C, code => $code, redirect_uri => $RP, verifier => S256($v2),
                           vhost => 'oidp_override', path => '/v2/token'),
             400, 'invalid_grant', 'plain: the S256 of the verifier is not the verifier');
    # a code of the vhost's issuer is unknown to the main server's
    $a = authorize($vb, vhost => 'oidp_override', path => '/authorize',
                   params => [response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid',
                              state => $STATE]);
    $code = $a->{cb} && $a->{cb}->{params}->{code};
    error_ok(code_exchange(client => $C, code => $code, redirect_uri => $RP), 400, 'invalid_grant',
             "a code of another issuer (vhost) at the main server");
}

done_testing;
