# Every directive is per server and merges into virtual hosts
# (tests/conf/vhosts.conf.in): oidp_override sets all of them, oidp_inherit
# none, oidp_partial a few. Each is checked through what the server answers:
# discovery (issuer, endpoints, algorithms), JWKS (keys), token responses and
# JWTs (lifetime, audience, signing key), body limits (413).
# OIDCIdPIDTokenLifetime, OIDCIdPRefreshTokenLifetime, OIDCIdPCodeLifetime and
# OIDCIdPSessionLifetime are set here but show only in the browser flows (ID
# tokens, refresh tokens, codes, login sessions), tested with those;
# 010-config.t checks their syntax.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

# the virtual hosts' own databases get this file's clients and users too
mirror('oidp_override', 'oidp_partial');

my $main_iss = issuer();
my $cfg = Apache::Test::config()->{vars};
my $o_iss = "http://127.0.0.1:$cfg->{oidp_override_port}";
my $p_iss = "http://localhost:$cfg->{oidp_partial_port}";

my $id = unique_id('merge');
my $secret = client_add($id, scopes => 'api');
my $C = [$id, $secret, 'basic'];
my $CC = [grant_type => 'client_credentials', scope => 'api'];

sub body_of_size {
    my $n = shift;
    my $head = 'grant_type=client_credentials&scope=api&pad=';
    return $head . ('p' x ($n - length $head));
}

sub sized_token_request {
    my ($n, $vhost, $path) = @_;
    return request('POST', $path || '/api/login/oauth/access_token', vhost => $vhost,
        content => body_of_size($n),
        headers => ['Content-Type' => 'application/x-www-form-urlencoded',
                    Authorization => basic_header($id, $secret)]);
}

my $main_disc = json_of(get('/.well-known/openid-configuration'));
my $main_jwks = jwks_of();
is($main_disc->{issuer}, $main_iss, 'main server: its issuer');

# ---------------------------------------------------------- negative first: limits and keys
# OIDCIdPMaxRequestBody: main 4096, override 2048, inherit/partial inherit 4096
error_ok(sized_token_request(3000, 'oidp_override', '/v2/token'), 413, 'invalid_request',
    'override: 3000 bytes exceed its 2048');
error_ok(sized_token_request(5000, 'oidp_inherit'), 413, 'invalid_request',
    "inherit: 5000 bytes exceed the main server's 4096 (default would be 65536)");
error_ok(sized_token_request(5000, 'oidp_partial'), 413, 'invalid_request',
    "partial: 5000 bytes exceed the inherited 4096");
json_ok(sized_token_request(3000, undef), 200, 'main: 3000 bytes are within 4096');
json_ok(sized_token_request(3000, 'oidp_inherit'), 200, 'inherit: 3000 bytes are within 4096');
json_ok(sized_token_request(1800, 'oidp_override', '/v2/token'), 200, 'override: 1800 bytes are within 2048');

# a token of one server does not verify with another server's keys
{
    my $t = json_of(token_request(client => $C, params => $CC, vhost => 'oidp_override', path => '/v2/token'));
    ok(!jwt_verify($t->{access_token} // '', $main_jwks), "override's token does not verify with the main keys");
}

# ---------------------------------------------------------- oidp_override: everything set
{
    my $v = 'oidp_override';
    my $d = json_of(get('/.well-known/openid-configuration', vhost => $v)) || {};
    is($d->{issuer}, $o_iss, 'override: issuer');
    is($d->{token_endpoint}, "$o_iss/v2/token", 'override: token_endpoint path');
    is($d->{jwks_uri}, "$o_iss/v2/keys", 'override: jwks_uri path');
    is($d->{revocation_endpoint}, "$o_iss/v2/revoke", 'override: revocation_endpoint path');
    is($d->{introspection_endpoint}, 'https://rs.example.test/oauth/introspect',
        'override: introspection_endpoint absolute URL kept as configured');
    is($d->{authorization_endpoint}, "$o_iss/v2/authorize", 'override: authorization_endpoint path')
        if exists $d->{authorization_endpoint};
    is($d->{userinfo_endpoint}, "$o_iss/v2/userinfo", 'override: userinfo_endpoint path')
        if exists $d->{userinfo_endpoint};
    my @algs = @{ $d->{id_token_signing_alg_values_supported} || [] };
    ok((grep { $_ eq 'RS256' } @algs), 'override: RS256 advertised');
    ok(!(grep { $_ eq 'ES256' } @algs), 'override: ES256 not advertised (no EC key there)');
    my %pkce = map { $_ => 1 } @{ $d->{code_challenge_methods_supported} || [] };
    ok($pkce{S256} && $pkce{plain}, 'override: plain PKCE offered (OIDCIdPAllowPlainPKCE On)');
    my $d2 = json_of(get('/.well-known/oauth-authorization-server', vhost => $v)) || {};
    is($d2->{issuer}, $o_iss, 'override: issuer at the RFC 8414 path too');

    # keys: override-rsa (signs) and override-rsa-next, at its path and the main mapping
    my $jwks = jwks_of('/v2/keys', $v);
    my @keys = @{ $jwks->{keys} || [] };
    is(scalar @keys, 2, 'override: two keys published');
    is($keys[0]{n}, pem_public_params('override-rsa')->{n}, 'override: first key is override-rsa');
    is($keys[1]{n}, pem_public_params('override-rsa-next')->{n}, 'override: second key is override-rsa-next');
    is($keys[$_]{kid}, jwk_thumbprint($keys[$_]), "override: key $_ kid is its thumbprint") for 0, 1;
    is_deeply(jwks_of('/.well-known/jwks', $v), $jwks, 'override: the same set at /.well-known/jwks');

    my $res = token_request(client => $C, params => $CC, vhost => $v, path => '/v2/token');
    my $j = json_ok($res, 200, 'override: token at the configured path');
    is($j->{expires_in}, 120, 'override: expires_in 120 (OIDCIdPAccessTokenLifetime)');
    my ($h, $c) = jwt_decode($j->{access_token});
    is($h->{kid}, $keys[0]{kid}, 'override: signed with its first key');
    ok(jwt_verify($j->{access_token}, $jwks), 'override: verifies with its JWKS') or diag($@);
    is($c->{iss}, $o_iss, 'override: iss');
    is($c->{aud}, 'https://api.example.test/', 'override: aud is OIDCIdPAccessTokenAudience');
    is($c->{exp} - $c->{iat}, 120, 'override: exp - iat is 120');
    $res = token_request(client => $C, params => $CC, vhost => $v);
    is(json_of($res)->{expires_in}, 120, "override: the main server's token path serves this vhost's config");

    # introspection at this vhost reports this vhost's issuer and audience
    $j = json_of(post_form('/introspect', [token => $j->{access_token}], vhost => $v,
        headers => [Authorization => basic_header($id, $secret)])) || {};
    ok($j->{active}, 'override: its token is active');
    is($j->{iss}, $o_iss, 'override: introspection iss');
    is($j->{aud}, 'https://api.example.test/', 'override: introspection aud');

    # revocation at its configured path
    $res = post_form('/v2/revoke', [token => json_of(token_request(client => $C, params => $CC, vhost => $v,
        path => '/v2/token'))->{access_token}], vhost => $v, headers => [Authorization => basic_header($id, $secret)]);
    is($res->code, 200, 'override: revocation at the configured path');
}

# ---------------------------------------------------------- oidp_inherit: nothing set
{
    my $v = 'oidp_inherit';
    my $d = json_of(get('/.well-known/openid-configuration', vhost => $v)) || {};
    is_deeply($d, $main_disc, 'inherit: the same discovery document as the main server');
    is_deeply(jwks_of('/.well-known/jwks', $v), $main_jwks, 'inherit: the same keys as the main server');
    my $j = json_of(token_request(client => $C, params => $CC, vhost => $v)) || {};
    is($j->{expires_in}, 900, "inherit: expires_in 900, the main server's (default would be 3600)");
    my ($h, $c) = jwt_decode($j->{access_token});
    is($c->{iss}, $main_iss, "inherit: iss is the main server's");
    is($c->{aud}, $id, 'inherit: aud defaults to the client_id');
    ok(jwt_verify($j->{access_token}, $main_jwks), "inherit: verifies with the main server's keys");
}

# ---------------------------------------------------------- oidp_partial: a few set
{
    my $v = 'oidp_partial';
    my $d = json_of(get('/.well-known/openid-configuration', vhost => $v)) || {};
    is($d->{issuer}, $p_iss, 'partial: its own issuer');
    is($d->{token_endpoint}, "$p_iss/api/login/oauth/access_token",
        'partial: token_endpoint: default path under its own issuer');
    is($d->{jwks_uri}, "$p_iss/.well-known/jwks", 'partial: jwks_uri: default path under its own issuer');
    is($d->{revocation_endpoint}, "$p_iss/api/login/oauth/revoke", 'partial: its own revocation path');
    is($d->{introspection_endpoint}, "$p_iss/api/login/oauth/introspect",
        'partial: introspection_endpoint: default');
    is_deeply($d->{id_token_signing_alg_values_supported}, $main_disc->{id_token_signing_alg_values_supported},
        "partial: the main server's algorithms (inherited keys)");
    is_deeply(jwks_of('/.well-known/jwks', $v), $main_jwks, "partial: inherits the main server's keys");
    is_deeply($d->{code_challenge_methods_supported}, $main_disc->{code_challenge_methods_supported},
        "partial: the main server's PKCE methods (S256 only)");
    my $j = json_of(token_request(client => $C, params => $CC, vhost => $v)) || {};
    is($j->{expires_in}, 300, 'partial: its own lifetime (5m)');
    my ($h, $c) = jwt_decode($j->{access_token});
    is($c->{iss}, $p_iss, 'partial: iss');
    is($c->{aud}, $id, 'partial: aud default');
    ok(jwt_verify($j->{access_token}, $main_jwks), 'partial: signed with the inherited key');
    my $res = post_form('/api/login/oauth/revoke', [token => $j->{access_token}], vhost => $v,
        headers => [Authorization => basic_header($id, $secret)]);
    is($res->code, 200, 'partial: revocation at its advertised path');
}

# ---------------------------------------------------------- one store, several issuers
# A token issued by one virtual host and introspected at another: the answer
# must describe that token (its iss and aud), or call it inactive; never
# the asking server's issuer and audience.
{
    my $t = json_of(token_request(client => $C, params => $CC, vhost => 'oidp_override', path => '/v2/token'))
        ->{access_token};
    my (undef, $claims) = jwt_decode($t);
    my $j = json_of(post_form('/introspect', [token => $t],
        headers => [Authorization => basic_header($id, $secret)])) || {};
    if ($j->{active}) {
        is($j->{iss}, $claims->{iss}, "introspection elsewhere reports the token's own iss");
        is($j->{aud}, $claims->{aud}, "introspection elsewhere reports the token's own aud");
    }
    else {
        pass('introspection elsewhere: inactive');
        pass('introspection elsewhere: inactive');
    }
}

done_testing();
