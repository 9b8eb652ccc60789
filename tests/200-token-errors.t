# Token endpoint errors (RFC 6749 5.2, 2.3; RFC 7231 for 405/413): each asserts
# the status, the error code, the JSON media type and the no-store headers;
# 401s carry WWW-Authenticate: Basic; descriptions never echo what was sent.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $T = '/api/login/oauth/access_token';
my $CC = [grant_type => 'client_credentials'];

my $basic_id = unique_id('err-basic');
my $basic_secret = client_add($basic_id, scopes => 'api read');
my $post_id = unique_id('err-post');
my $post_secret = client_add($post_id, auth_method => 'client_secret_post', scopes => 'api');
my $nocc_id = unique_id('err-nocc');
my $nocc_secret = client_add($nocc_id, grant_types => 'authorization_code refresh_token',
    scopes => 'api');
my $pinbasic_id = unique_id('err-pinned-basic');
my $pinbasic_secret = client_add($pinbasic_id, pin => 1, scopes => 'api');
my $pinpost_id = unique_id('err-pinned-post');
my $pinpost_secret = client_add($pinpost_id, auth_method => 'client_secret_post', pin => 1,
                                scopes => 'api');
my $public_id = unique_id('err-public');
client_add($public_id, public => 1, grant_types => 'authorization_code');

sub invalid_client_ok {
    my ($res, $name) = @_;
    error_ok($res, 401, 'invalid_client', $name);
    like($res->header('WWW-Authenticate') // '', qr/^Basic\b/i, "$name: WWW-Authenticate Basic");
}

# ---------------------------------------------------------- client authentication
invalid_client_ok(token_request(client => [$basic_id, 'wrong-secret', 'basic']),
    'wrong secret (Basic)');
invalid_client_ok(token_request(client => [$basic_id, "$basic_secret-x", 'basic']),
    'secret with a suffix (Basic)');
invalid_client_ok(token_request(client => [$basic_id, '', 'basic']), 'empty secret (Basic)');
invalid_client_ok(token_request(client => [unique_id('nobody'), $basic_secret, 'basic']),
    'unknown client (Basic)');
invalid_client_ok(token_request(client => [$post_id, 'wrong-secret', 'post']),
    'wrong secret (client_secret_post)');
invalid_client_ok(token_request(client => [unique_id('nobody'), 'x', 'post']),
    'unknown client (client_secret_post)');
invalid_client_ok(token_request(), 'no client authentication at all');

# the two failures are indistinguishable (no client enumeration)
{
    my $a = json_of(token_request(client => [$basic_id, 'wrong-secret', 'basic']));
    my $b = json_of(token_request(client => [unique_id('nobody'), 'wrong-secret', 'basic']));
    is_deeply($a, $b, 'unknown client and wrong secret give the same answer');
}

# a client pinned to its method must use it (the others may use either
# secret method: tests/220-client-auth-methods.t)
invalid_client_ok(token_request(client => [$pinbasic_id, $pinbasic_secret, 'post']),
    'pinned client_secret_basic client using client_secret_post');
invalid_client_ok(token_request(client => [$pinpost_id, $pinpost_secret, 'basic']),
    'pinned client_secret_post client using client_secret_basic');

# one method per request (RFC 6749 2.3)
my $res = post_form($T, [@$CC, client_id => $basic_id, client_secret => $basic_secret],
    headers => [Authorization => basic_header($basic_id, $basic_secret)]);
error_ok($res, 400, 'invalid_request', 'Basic and client_secret_post together');
$res = post_form($T, [@$CC, client_id => $post_id],
    headers => [Authorization => basic_header($basic_id, $basic_secret)]);
error_ok($res, 400, 'invalid_request', 'Basic with a different client_id in the body');

# malformed Basic credentials
for my $case (
    ['not base64', 'Basic !!!not*base64!!!'],
    ['no colon', 'Basic ' . b64url_std("$basic_id$basic_secret")],
    ['empty id', 'Basic ' . b64url_std(":$basic_secret")],
    ['empty credentials', 'Basic '],
    ['bad padding', 'Basic ' . substr(b64url_std("$basic_id:$basic_secret"), 0, -1)],
    ['bad percent-encoding', 'Basic ' . b64url_std("$basic_id:%zz")],
) {
    my ($what, $hdr) = @$case;
    invalid_client_ok(post_form($T, $CC, headers => [Authorization => $hdr]),
        "malformed Basic header: $what");
}

# an unknown scheme is no client authentication
invalid_client_ok(post_form($T, $CC, headers => [Authorization => 'Bearer abc']),
    'Authorization: Bearer at the token endpoint');

# public clients have no secret and cannot use client_credentials
$res = post_form($T, [@$CC, client_id => $public_id]);
my $j = json_of($res) || {};
ok(($res->code == 400 && ($j->{error} // '') eq 'unauthorized_client')
    || ($res->code == 401 && ($j->{error} // '') eq 'invalid_client'),
    'public client asking for client_credentials is refused')
    or diag($res->as_string);
no_store_ok($res, 'public client');
invalid_client_ok(token_request(client => [$public_id, 'made-up', 'post']),
    'public client sending a secret');

# ---------------------------------------------------------- request syntax
error_ok(token_request(client => [$basic_id, $basic_secret, 'basic'], params => []),
    400, 'invalid_request', 'missing grant_type');
error_ok(token_request(client => [$basic_id, $basic_secret, 'basic'], params => [grant_type => '']),
    400, 'invalid_request', 'empty grant_type');
for my $g ('password', 'urn:example:grant:nope', 'CLIENT_CREDENTIALS') {
    error_ok(token_request(client => [$basic_id, $basic_secret, 'basic'], params => [grant_type => $g]),
        400, 'unsupported_grant_type', "unsupported grant $g");
}
error_ok(token_request(client => [$basic_id, $basic_secret, 'basic'],
        params => [grant_type => 'client_credentials', grant_type => 'client_credentials']),
    400, 'invalid_request', 'duplicated grant_type');
error_ok(token_request(client => [$basic_id, $basic_secret, 'basic'],
        params => [@$CC, scope => 'api', scope => 'read']),
    400, 'invalid_request', 'duplicated scope');
error_ok(post_form($T, [@$CC, client_id => $post_id, client_secret => $post_secret,
            client_secret => $post_secret]),
    400, 'invalid_request', 'duplicated client_secret');
error_ok(post_form($T, [], headers => [Authorization => basic_header($basic_id, $basic_secret)]),
    400, 'invalid_request', 'empty body');

# wrong or missing media type
for my $ct ('text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencodedx') {
    $res = request('POST', $T, content => 'grant_type=client_credentials',
        headers => ['Content-Type' => $ct, Authorization => basic_header($basic_id, $basic_secret)]);
    # RFC 6749 5.2 says invalid_request; 415 (RFC 7231 6.5.13) is also right as a status
    ok($res->code == 400 || $res->code == 415, "Content-Type $ct is refused with 400 or 415")
        or diag($res->as_string);
    like($res->header('Content-Type') // '', qr{^application/json}, "Content-Type $ct: JSON answer");
    is((json_of($res) || {})->{error}, 'invalid_request', "Content-Type $ct: invalid_request");
    no_store_ok($res, "Content-Type $ct");
    unlike($res->decoded_content, qr/access_token/, "Content-Type $ct: no token");
}
$res = request('POST', $T, content => 'grant_type=client_credentials',
    headers => [Authorization => basic_header($basic_id, $basic_secret)]);
error_ok($res, 400, 'invalid_request', 'a body without Content-Type');

# malformed form encoding
$res = request('POST', $T, content => 'grant_type=client_credentials&scope=%zz',
    headers => ['Content-Type' => 'application/x-www-form-urlencoded',
                Authorization => basic_header($basic_id, $basic_secret)]);
error_ok($res, 400, 'invalid_request', 'malformed percent-encoding');
$res = request('POST', $T, content => 'grant_type=client_credentials&scope=a%00b',
    headers => ['Content-Type' => 'application/x-www-form-urlencoded',
                Authorization => basic_header($basic_id, $basic_secret)]);
error_ok($res, 400, 'invalid_request', 'NUL byte in a parameter');

# ---------------------------------------------------------- methods and sizes
for my $m ('GET', 'PUT', 'DELETE') {
    $res = request($m, $T, headers => [Authorization => basic_header($basic_id, $basic_secret)]);
    error_ok($res, 405, 'invalid_request', "$m on the token endpoint");
    like($res->header('Allow') // '', qr/^POST(, OPTIONS)?$/, "$m: Allow lists POST");
}
$res = get('/token');
error_ok($res, 405, 'invalid_request', 'GET on /token');

# OIDCIdPMaxRequestBody 4096 on the main server
my $big = 'grant_type=client_credentials&pad=' . ('a' x 5000);
$res = request('POST', $T, content => $big,
    headers => ['Content-Type' => 'application/x-www-form-urlencoded',
                Authorization => basic_header($basic_id, $basic_secret)]);
error_ok($res, 413, 'invalid_request', 'oversized body (Content-Length)');
unlike($res->decoded_content, qr/access_token/, 'oversized body: no token');

# the same without Content-Length: chunked, counted while reading
{
    my $auth = basic_header($basic_id, $basic_secret);
    my $chunks = '';
    for (1 .. 6) {
        my $piece = $_ == 1 ? 'grant_type=client_credentials&pad=' . ('b' x 966) : 'b' x 1000;
        $chunks .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    my ($status, $h, $body) = raw_request(
        "POST $T HTTP/1.1\r\nHost: localhost\r\nAuthorization: $auth\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
        . "Connection: close\r\n\r\n$chunks" . "0\r\n\r\n");
    is($status, 413, 'oversized chunked body: 413');
    like($h->{'content-type'} // '', qr{^application/json}, 'oversized chunked body: JSON');
    like($body, qr/"error"\s*:\s*"invalid_request"/, 'oversized chunked body: invalid_request');
    like($h->{'cache-control'} // '', qr/no-store/, 'oversized chunked body: no-store');
}

# a body just under the limit is read and judged on its content
$res = request('POST', $T, content => 'grant_type=client_credentials&pad=' . ('c' x 3000),
    headers => ['Content-Type' => 'application/x-www-form-urlencoded',
                Authorization => basic_header($basic_id, $basic_secret)]);
json_ok($res, 200, 'a 3 KB body under the 4 KB limit is accepted');

# ---------------------------------------------------------- grant and scope
$res = token_request(client => [$nocc_id, $nocc_secret, 'basic']);
error_ok($res, 400, 'unauthorized_client', 'client without client_credentials in its grant types');
$res = token_request(client => [$basic_id, $basic_secret, 'basic'], params => [@$CC, scope => 'write']);
error_ok($res, 400, 'invalid_scope', 'scope the client may not have');
$res = token_request(client => [$basic_id, $basic_secret, 'basic'], params => [@$CC, scope => 'api write']);
error_ok($res, 400, 'invalid_scope', 'one allowed and one refused scope');
$res = token_request(client => [$basic_id, $basic_secret, 'basic'], params => [@$CC, scope => 'API']);
error_ok($res, 400, 'invalid_scope', 'scopes are case-sensitive');

# ---------------------------------------------------------- nothing echoed, nothing logged
{
    my $off = log_offset();
    my @cases;
    my $m;
    $m = marker();
    push @cases, ["unknown grant_type", token_request(client => [$basic_id, $basic_secret, 'basic'],
        params => [grant_type => "x$m"]), $m];
    $m = marker();
    push @cases, ["refused scope", token_request(client => [$basic_id, $basic_secret, 'basic'],
        params => [@$CC, scope => "api $m"]), $m];
    $m = marker();
    push @cases, ["unknown client id (Basic)", token_request(client => ["c$m", 'x', 'basic']), $m];
    $m = marker();
    push @cases, ["unknown client id (post)", token_request(client => ["c$m", 'x', 'post']), $m];
    $m = marker();
    push @cases, ["wrong secret", token_request(client => [$basic_id, "s$m", 'basic']), $m];
    $m = marker();
    push @cases, ["duplicated parameter", token_request(client => [$basic_id, $basic_secret, 'basic'],
        params => [@$CC, $m => 1, $m => 2]), $m];
    $m = marker();
    push @cases, ["Content-Type", request('POST', $T, content => 'grant_type=client_credentials',
        headers => ['Content-Type' => "text/$m", Authorization => basic_header($basic_id, $basic_secret)]), $m];
    $m = marker();
    push @cases, ["mismatched client_id", post_form($T, [@$CC, client_id => "c$m"],
        headers => [Authorization => basic_header($basic_id, $basic_secret)]), $m];
    $m = marker();
    push @cases, ["malformed Basic", post_form($T, $CC,
        headers => [Authorization => 'Basic ' . b64url_std("c$m")]), $m];
    for my $c (@cases) {
        my ($name, $r, $mk) = @$c;
        ok($r->code >= 400 && $r->code < 500, "$name: refused");
        not_echoed($r, $mk, $name);
    }
    # a secret that was sent is never written to the error log
    my $log = log_since($off);
    for my $c (grep { $_->[0] eq 'wrong secret' } @cases) {
        unlike($log, qr/\Q$c->[2]\E/, 'a wrong secret is not logged');
    }
    unlike($log, qr/\Q$basic_secret\E/, 'a right secret is not logged');
}

done_testing();

# standard base64 (Basic uses it, not base64url)
sub b64url_std {
    require MIME::Base64;
    return MIME::Base64::encode_base64(shift, '');
}
