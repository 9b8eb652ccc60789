# OpenID Provider metadata (OIDC Discovery 1.0 section 3, RFC 8414) of the
# main server, at both well-known paths. Fields are checked one by one: the
# browser side adds fields, so the document is never compared as a whole.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $iss = issuer();
# what OIDCIdPEndpoint defaults to (Casdoor's paths; revocation /revoke)
my %endpoint = (
    authorization_endpoint => "$iss/login/oauth/authorize",
    token_endpoint         => "$iss/api/login/oauth/access_token",
    userinfo_endpoint      => "$iss/api/userinfo",
    jwks_uri               => "$iss/.well-known/jwks",
    introspection_endpoint => "$iss/api/login/oauth/introspect",
    revocation_endpoint    => "$iss/revoke",
);
# endpoints this module serves now; authorization and userinfo come with the
# browser side and are checked when advertised
my @required = qw(token_endpoint jwks_uri introspection_endpoint revocation_endpoint);

# ---------------------------------------------------------- negative first
for my $path ('/.well-known/openid-configuration', '/.well-known/oauth-authorization-server') {
    my $res = request('POST', $path, content => 'x=1',
        headers => ['Content-Type' => 'application/x-www-form-urlencoded']);
    error_ok($res, 405, 'invalid_request', "POST $path");
    like($res->header('Allow') // '', qr/^GET, HEAD(, OPTIONS)?$/, "POST $path: Allow lists GET and HEAD");
    $res = request('DELETE', $path);
    is($res->code, 405, "DELETE $path: 405");
}

# ---------------------------------------------------------- the document
for my $path ('/.well-known/openid-configuration', '/.well-known/oauth-authorization-server') {
    my $res = get($path);
    my $d = json_ok($res, 200, "GET $path");
    unlike($res->header('Cache-Control') // '', qr/no-store/, "$path: cacheable");
    is($res->header('Access-Control-Allow-Origin'), '*', "$path: CORS for browser clients");

    is($d->{issuer}, $iss, "$path: issuer is exactly the configured one");
    for my $name (@required) {
        ok(defined $d->{$name}, "$path: $name present");
    }
    for my $name (sort keys %endpoint) {
        next unless defined $d->{$name};
        like($d->{$name}, qr{^https?://[^/]+/}, "$path: $name is absolute");
        is($d->{$name}, $endpoint{$name}, "$path: $name is the configured one");
    }

    my %scopes = map { $_ => 1 } @{ $d->{scopes_supported} || [] };
    for my $s (qw(openid profile email address phone offline_access)) {
        ok($scopes{$s}, "$path: scopes_supported has $s");
    }
    ok(ref $d->{response_types_supported} eq 'ARRAY', "$path: response_types_supported is a list");
    ok(ref $d->{subject_types_supported} eq 'ARRAY' && @{ $d->{subject_types_supported} },
        "$path: subject_types_supported is a non-empty list");
    ok(!grep({ !/^(public|pairwise)$/ } @{ $d->{subject_types_supported} || [] }),
        "$path: subject_types_supported holds only public/pairwise");
    my @algs = @{ $d->{id_token_signing_alg_values_supported} || [] };
    ok((grep { $_ eq 'RS256' } @algs), "$path: RS256 in id_token_signing_alg_values_supported");
    ok((grep { $_ eq 'ES256' } @algs), "$path: ES256 advertised (an EC key is configured)");
    ok(!(grep { $_ eq 'none' } @algs), "$path: alg none is not advertised");

    my %auth = map { $_ => 1 } @{ $d->{token_endpoint_auth_methods_supported} || [] };
    ok($auth{client_secret_basic}, "$path: client_secret_basic supported");
    ok($auth{client_secret_post}, "$path: client_secret_post supported");
    ok(!grep({ !/^(client_secret_basic|client_secret_post|client_secret_jwt|private_key_jwt|none|tls_client_auth|self_signed_tls_client_auth)$/ }
        keys %auth), "$path: only registered auth method names");

    my @pkce = @{ $d->{code_challenge_methods_supported} || [] };
    ok((grep { $_ eq 'S256' } @pkce), "$path: code_challenge_methods_supported has S256");
    ok(!(grep { $_ eq 'plain' } @pkce), "$path: plain PKCE is not offered");

    my %claims = map { $_ => 1 } @{ $d->{claims_supported} || [] };
    for my $c (qw(sub iss name email)) {
        ok($claims{$c}, "$path: claims_supported has $c");
    }
    my %grants = map { $_ => 1 } @{ $d->{grant_types_supported} || [] };
    ok($grants{client_credentials}, "$path: grant_types_supported has client_credentials");
}

# HEAD: headers, no body
my $res = request('HEAD', '/.well-known/openid-configuration');
is($res->code, 200, 'HEAD discovery: 200');
is($res->content, '', 'HEAD discovery: no body');

# OPTIONS (CORS preflight)
$res = request('OPTIONS', '/.well-known/openid-configuration',
    headers => [Origin => 'https://app.example.test', 'Access-Control-Request-Method' => 'GET']);
ok($res->code == 204 || $res->code == 200, 'OPTIONS discovery: success');
like($res->header('Allow') // '', qr/\bGET\b/, 'OPTIONS discovery: Allow lists GET');

# The advertised endpoints are served (jwks, and token refuses a GET with 405).
my $d = json_of(get('/.well-known/openid-configuration'));
(my $jwks_path = $d->{jwks_uri} // '') =~ s{^https?://[^/]+}{};
json_ok(get($jwks_path), 200, 'the advertised jwks_uri is served');
(my $token_path = $d->{token_endpoint} // '') =~ s{^https?://[^/]+}{};
is(get($token_path)->code, 405, 'the advertised token_endpoint is the token handler');

done_testing();
