# The client_credentials grant (RFC 6749 4.4) with client_secret_basic and
# client_secret_post, at both token paths: the response (RFC 6749 5.1), and
# the access token, an RFC 9068 JWT whose signature this test verifies
# against the served JWKS (and, once, with scripts/verify-jwt.sh and openssl).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MIME::Base64 ();
use OIDP::Test;

# the virtual hosts' own databases get this file's clients and users too
mirror('oidp_override');

my $TTL = 900;    # OIDCIdPAccessTokenLifetime 15m in extra.conf.in
my $jwks = jwks_of('/.well-known/jwks');
my ($signer) = grep { ($_->{kty} // '') eq 'RSA' } @{ $jwks->{keys} || [] };
ok($signer, 'the JWKS has the RSA signing key');

my $basic_id = unique_id('cc-basic');
my $basic_secret = client_add($basic_id, scopes => 'api read write openid profile');
my $post_id = unique_id('cc-post');
my $post_secret = client_add($post_id, auth_method => 'client_secret_post', scopes => 'api');
# RFC 6749 2.3.1: the secret is form-urlencoded inside Basic; one full of
# characters that encoding changes
my $odd_id = unique_id('cc-odd:id');
my $odd_secret = 'p+a%s:s w&r=d/ü-and-long-enough-0123456789';
client_add($odd_id, secret => $odd_secret, scopes => 'api');

# ---------------------------------------------------------- negative first
{
    my ($h, $c, $sig, $input) = jwt_decode(json_of(token_request(
        client => [$basic_id, $basic_secret, 'basic'], params => [grant_type => 'client_credentials', scope => 'api']))->{access_token});
    # the verifier must be able to say no: a changed claim, a foreign key
    my @p = split /\./, $input;
    my $forged = b64url_encode('{"iss":"x"}');
    ok(!jwt_verify("$p[0].$forged." . b64url_encode($sig), $jwks), 'a token with changed claims does not verify');
    my $other = jwks_of('/.well-known/jwks', 'oidp_override');
    ok(!jwt_verify("$input." . b64url_encode($sig), $other), "a token does not verify against another server's keys");
    # the odd secret sent without the RFC's encoding is a different secret
    my $raw = 'Basic ' . MIME::Base64::encode_base64("$odd_id:$odd_secret", '');
    my $res = post_form('/api/login/oauth/access_token', [grant_type => 'client_credentials'],
        headers => [Authorization => $raw]);
    is($res->code, 401, 'a secret with + and % not form-urlencoded in Basic is refused');
}

# ---------------------------------------------------------- success
my %seen_jti;
my @cases = (
    ['Basic at the Casdoor path', [$basic_id, $basic_secret, 'basic'], '/api/login/oauth/access_token', 'api read'],
    ['Basic at /token', [$basic_id, $basic_secret, 'basic'], '/token', 'read'],
    ['client_secret_post', [$post_id, $post_secret, 'post'], '/api/login/oauth/access_token', 'api'],
    ['client_secret_post at /token', [$post_id, $post_secret, 'post'], '/token', 'api'],
    ['Basic with an encoded id and secret', [$odd_id, $odd_secret, 'basic'], '/token', 'api'],
);
for my $case (@cases) {
    my ($name, $client, $path, $scope) = @$case;
    my $before = time;
    my $res = token_request(client => $client, path => $path,
        params => [grant_type => 'client_credentials', scope => $scope]);
    my $j = json_ok($res, 200, $name);
    no_store_ok($res, $name);
    like($j->{token_type} // '', qr/^Bearer$/i, "$name: token_type Bearer");
    is($j->{expires_in}, $TTL, "$name: expires_in is the configured lifetime");
    is($j->{scope}, $scope, "$name: scope granted as requested");
    ok(!exists $j->{refresh_token}, "$name: no refresh token for client_credentials (RFC 6749 4.4.3)");
    ok(!exists $j->{id_token}, "$name: no ID token without a user");

    my ($h, $c) = jwt_decode($j->{access_token});
    ok($h, "$name: access_token is a compact JWS") or next;
    is($h->{alg}, 'RS256', "$name: alg RS256");
    is($h->{typ}, 'at+jwt', "$name: typ at+jwt (RFC 9068 2.1)");
    is($h->{kid}, $signer->{kid}, "$name: kid of the first configured key");
    my $used = jwt_verify($j->{access_token}, $jwks);
    ok($used, "$name: signature verifies against the served JWKS") or diag($@);

    my $id = $client->[0];
    is($c->{iss}, issuer(), "$name: iss");
    is($c->{sub}, $id, "$name: sub is the client (no user)");
    is($c->{aud}, $id, "$name: aud defaults to the client_id");
    is($c->{client_id}, $id, "$name: client_id");
    is($c->{scope}, $scope, "$name: scope claim");
    like($c->{jti} // '', qr/^[A-Za-z0-9_-]{16,}$/, "$name: jti is random-looking");
    ok(!$seen_jti{ $c->{jti} // '' }++, "$name: jti is unique");
    ok($c->{iat} >= $before - 5 && $c->{iat} <= time + 5, "$name: iat is now");
    is($c->{exp} - $c->{iat}, $TTL, "$name: exp is iat + lifetime");
}

# ---------------------------------------------------------- scope selection
{
    my $res = token_request(client => [$basic_id, $basic_secret, 'basic']);
    my $j = json_ok($res, 200, 'no scope requested');
    my (undef, $c) = jwt_decode($j->{access_token});
    my %got = map { $_ => 1 } split / /, $c->{scope} // '';
    ok($got{api} && $got{read} && $got{write}, 'no scope: every non-user scope of the client');
    ok(!$got{openid} && !$got{profile}, 'no scope: user scopes are not granted to a client');

    $res = token_request(client => [$basic_id, $basic_secret, 'basic'],
        params => [grant_type => 'client_credentials', scope => 'api openid']);
    $j = json_ok($res, 200, 'a user scope is requested');
    (undef, $c) = jwt_decode($j->{access_token});
    is($c->{scope}, 'api', 'a user scope is dropped from the token');
    is($j->{scope}, 'api', 'the response says which scope was granted (RFC 6749 5.1)');
}

# ---------------------------------------------------------- what real clients send
{
    my $res = request('POST', '/api/login/oauth/access_token',
        content => 'grant_type=client_credentials&scope=api',
        headers => ['Content-Type' => 'application/x-www-form-urlencoded; charset=UTF-8',
                    Authorization => basic_header($basic_id, $basic_secret)]);
    json_ok($res, 200, 'a form body with a charset parameter');
    (my $lower = basic_header($basic_id, $basic_secret)) =~ s/^Basic/basic/;
    $res = post_form('/token', [grant_type => 'client_credentials', scope => 'api'],
        headers => [Authorization => $lower]);
    json_ok($res, 200, 'the auth scheme is case-insensitive (RFC 7235 2.1)');
}

# ---------------------------------------------------------- JSON body (Casdoor sends JSON)
{
    my $res = request('POST', '/api/login/oauth/access_token',
        headers => ['Content-Type' => 'application/json'],
        content => qq({"grant_type":"client_credentials","client_id":"$post_id","client_secret":"$post_secret","scope":"api"}));
    my $j = json_ok($res, 200, 'a JSON body with client_secret_post');
    ok(jwt_verify($j->{access_token} // '', $jwks), 'JSON body: the token verifies');
    $res = request('POST', '/api/login/oauth/access_token',
        headers => ['Content-Type' => 'application/json'],
        content => qq({"grant_type":"client_credentials","grant_type":"client_credentials","client_id":"$post_id","client_secret":"$post_secret"}));
    error_ok($res, 400, 'invalid_request', 'a JSON body with a duplicated member');
}

# ---------------------------------------------------------- with openssl alone
{
    my $j = json_of(token_request(client => [$basic_id, $basic_secret, 'basic'],
        params => [grant_type => 'client_credentials', scope => 'api']));
    my $script = "$ENV{OIDP_TEST_TOP}/scripts/verify-jwt.sh";
    my $jwks_url = issuer() . '/.well-known/jwks';
    my $out = qx{sh '$script' '$j->{access_token}' '$jwks_url' 2>&1};
    is($?, 0, 'scripts/verify-jwt.sh accepts the token') or diag($out);
    like($out, qr/Verified OK/, 'openssl verified the signature');
    my @p = split /\./, $j->{access_token};
    $p[1] = b64url_encode('{"sub":"forged"}');
    $out = qx{sh '$script' '@{[join '.', @p]}' '$jwks_url' 2>&1};
    isnt($?, 0, 'scripts/verify-jwt.sh refuses a forged token');
}

done_testing();
