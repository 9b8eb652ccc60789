# Errors of the authorization endpoint (RFC 6749 4.1.2.1, OIDC Core
# 3.1.2.6, RFC 9207). A wrong or missing client_id or redirect_uri is an
# HTML page with status 400 and never a redirect (to the sent URI or any
# other); every later error goes back to the registered redirect_uri with
# the error, state byte for byte, iss, and nothing else - as the conformance
# suite checks (oidcc-ensure-registered-redirect-uri,
# oidcc-response-type-missing, oidcc-prompt-none-not-logged-in, ...), at both
# paths, with GET and POST.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my $RP_Q = 'https://rp.example.test/q?tenant=a%20b';
my $id = unique_id('ae-conf');
client_add($id, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP, $RP_Q],
           name => 'Errors App', first_party => 1);
my $narrow = unique_id('ae-narrow');
client_add($narrow, grant_types => 'authorization_code', scopes => 'openid profile',
           redirect_uris => [$RP]);
my $cc_only = unique_id('ae-cc');
client_add($cc_only, grant_types => 'client_credentials', redirect_uris => [$RP]);
my $other = unique_id('ae-other');
client_add($other, grant_types => 'authorization_code', redirect_uris => ['https://other.example.test/cb']);
my $public = unique_id('ae-public');
client_add($public, public => 1, grant_types => 'authorization_code',
           redirect_uris => ['http://127.0.0.1/cb', 'https://app.example.test/cb']);

my @PATHS = ('/login/oauth/authorize', '/authorize');
my $STATE = random_state();
is(length $STATE, 128, 'the long state has 128 characters');

# ---------------------------------------------------------- no redirect: a page
{
    my $m = marker();
    my @base = (response_type => 'code', scope => 'openid', state => $STATE, nonce => 'n');
    my @cases = (
        ['no client_id', [redirect_uri => $RP]],
        ['an empty client_id', [client_id => '', redirect_uri => $RP]],
        ['an unknown client_id', [client_id => "nobody-$m", redirect_uri => $RP]],
        ['client_id twice (same value)', [client_id => $id, client_id => $id, redirect_uri => $RP]],
        ['client_id twice (two values)', [client_id => $id, client_id => $other, redirect_uri => $RP]],
        ['no redirect_uri', [client_id => $id]],
        ['an empty redirect_uri', [client_id => $id, redirect_uri => '']],
        ['an unregistered redirect_uri', [client_id => $id, redirect_uri => "https://evil.example.test/$m"]],
        ['the registered redirect_uri plus a path segment',
         [client_id => $id, redirect_uri => "$RP/" . substr(random_state(), 0, 10)]],
        ['the registered redirect_uri plus /extra', [client_id => $id, redirect_uri => "$RP/extra"]],
        ['the registered redirect_uri plus a query', [client_id => $id, redirect_uri => "$RP?x=1"]],
        ['the registered redirect_uri plus a fragment', [client_id => $id, redirect_uri => "$RP#f"]],
        ['the registered redirect_uri plus a trailing slash', [client_id => $id, redirect_uri => "$RP/"]],
        ['the registered redirect_uri in upper case', [client_id => $id, redirect_uri => uc $RP]],
        ['the registered redirect_uri over http', [client_id => $id, redirect_uri => 'http://rp.example.test/cb']],
        ['the registered redirect_uri with a port', [client_id => $id, redirect_uri => 'https://rp.example.test:443/cb']],
        ['a prefix of the registered redirect_uri', [client_id => $id, redirect_uri => 'https://rp.example.test/c']],
        ['a registered query redirect_uri without its query',
         [client_id => $id, redirect_uri => 'https://rp.example.test/q']],
        ["another client's redirect_uri", [client_id => $id, redirect_uri => 'https://other.example.test/cb']],
        ['redirect_uri twice', [client_id => $id, redirect_uri => $RP, redirect_uri => $RP]],
        ['a confidential client on another loopback port',
         [client_id => $other, redirect_uri => 'http://127.0.0.1:8123/cb']],
        ['a public client: loopback with another path', [client_id => $public, redirect_uri => 'http://127.0.0.1:5555/other']],
        ['a public client: loopback with another host', [client_id => $public, redirect_uri => 'http://127.0.0.2:5555/cb']],
        ['a public client: a non-loopback URI on another port',
         [client_id => $public, redirect_uri => 'https://app.example.test:8443/cb']],
        # the page wins over every later error, and over prompt=none
        ['an unregistered redirect_uri and no response_type',
         [client_id => $id, redirect_uri => "$RP/extra", scope => 'openid'], 1],
        ['an unregistered redirect_uri with prompt=none',
         [client_id => $id, redirect_uri => "$RP/extra", prompt => 'none']],
        ['an unregistered redirect_uri with a request object',
         [client_id => $id, redirect_uri => "$RP/extra", request => 'e30.e30.']],
    );
    for my $case (@cases) {
        my ($name, $params, $bare) = @$case;
        my @p = ($bare ? () : @base, @$params);
        for my $path (@PATHS) {
            my $res = get(query_path($path, @p));
            error_page_ok($res, 400, "GET $path, $name");
            not_echoed($res, $m, "GET $path, $name") if grep { index($_, $m) >= 0 } @$params;
        }
        my $res = post_form($PATHS[0], \@p);
        error_page_ok($res, 400, "POST, $name");
    }
    # what the page shows is escaped
    my $res = get(query_path('/authorize', response_type => 'code', client_id => $id, scope => 'openid',
                             redirect_uri => "https://evil.example.test/<script>alert($m)</script>"));
    error_page_ok($res, 400, 'an unregistered redirect_uri with markup');
    unlike($res->decoded_content, qr/<script>alert/, 'the page does not carry the markup unescaped');

    # a public client's loopback redirect_uri may use any port (RFC 8252 7.3)
    my ($v, $ch) = pkce_pair();
    $res = get(query_path('/authorize', response_type => 'code', client_id => $public, scope => 'openid',
                          redirect_uri => 'http://127.0.0.1:5555/cb', code_challenge => $ch,
                          code_challenge_method => 'S256'));
    is(page_kind($res), 'login', 'a public client: loopback on another port gets the login page');
}

# ---------------------------------------------------------- errors sent to the client
my @common = (client_id => $id, redirect_uri => $RP, nonce => 'n-1');
my @cases = (
    # name, params (after client_id, redirect_uri), error
    ['no response_type', [scope => 'openid'], 'invalid_request'],
    ['response_type=token', [response_type => 'token', scope => 'openid'], 'unsupported_response_type'],
    ['response_type=id_token', [response_type => 'id_token', scope => 'openid'], 'unsupported_response_type'],
    ['response_type=code id_token', [response_type => 'code id_token', scope => 'openid'], 'unsupported_response_type'],
    ['response_type=none', [response_type => 'none', scope => 'openid'], 'unsupported_response_type'],
    ['response_type=CODE', [response_type => 'CODE', scope => 'openid'], 'unsupported_response_type'],
    ['response_type twice', [response_type => 'code', response_type => 'code', scope => 'openid'], 'invalid_request'],
    ['no scope', [response_type => 'code'], 'invalid_scope'],
    ['an unknown scope', [response_type => 'code', scope => 'openid admin'], 'invalid_scope'],
    ['scope twice', [response_type => 'code', scope => 'openid', scope => 'openid'], 'invalid_request'],
    ['a request object', [response_type => 'code', scope => 'openid', request => 'eyJhbGciOiJub25lIn0.e30.'],
     'request_not_supported'],
    ['a request_uri', [response_type => 'code', scope => 'openid', request_uri => 'https://rp.example.test/req.jwt'],
     'request_uri_not_supported'],
    ['an unknown prompt', [response_type => 'code', scope => 'openid', prompt => 'sideways'], 'invalid_request'],
    ['prompt=none with login', [response_type => 'code', scope => 'openid', prompt => 'none login'], 'invalid_request'],
    ['max_age not a number', [response_type => 'code', scope => 'openid', max_age => 'soon'], 'invalid_request'],
    ['a negative max_age', [response_type => 'code', scope => 'openid', max_age => '-1'], 'invalid_request'],
    ['claims not JSON', [response_type => 'code', scope => 'openid', claims => '{"userinfo":'], 'invalid_request'],
    ['claims not an object', [response_type => 'code', scope => 'openid', claims => '[1]'], 'invalid_request'],
    ['an unknown response_mode', [response_type => 'code', scope => 'openid', response_mode => 'web_message'],
     'invalid_request'],
    ['code_challenge_method=plain', [response_type => 'code', scope => 'openid',
      code_challenge => 'a' x 43, code_challenge_method => 'plain'], 'invalid_request'],
    ['code_challenge without a method (plain)', [response_type => 'code', scope => 'openid',
      code_challenge => 'a' x 43], 'invalid_request'],
    ['an unknown code_challenge_method', [response_type => 'code', scope => 'openid',
      code_challenge => 'a' x 43, code_challenge_method => 'S512'], 'invalid_request'],
    ['code_challenge_method without code_challenge', [response_type => 'code', scope => 'openid',
      code_challenge_method => 'S256'], 'invalid_request'],
    ['a short code_challenge', [response_type => 'code', scope => 'openid',
      code_challenge => 'abc', code_challenge_method => 'S256'], 'invalid_request'],
    ['an id_token_hint that is not an ID token', [response_type => 'code', scope => 'openid',
      id_token_hint => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'], 'invalid_request'],
    ['prompt=none without a session', [response_type => 'code', scope => 'openid', prompt => 'none'],
     'login_required'],
);
for my $case (@cases) {
    my ($name, $params, $error) = @$case;
    for my $state ($STATE, odd_state()) {
        my $which = $state eq $STATE ? '128-char state' : 'odd state';
        my @p = (@common, @$params, state => $state);
        for my $path (@PATHS) {
            authz_error_ok(get(query_path($path, @p)), $RP, $error, $state, "GET $path, $name, $which");
        }
        authz_error_ok(post_form($PATHS[0], \@p), $RP, $error, $state, "POST, $name, $which");
    }
}

# the scope a client may not have, a client without the code grant
authz_error_ok(get(query_path('/authorize', client_id => $narrow, redirect_uri => $RP, response_type => 'code',
                              scope => 'openid email', state => $STATE)),
               $RP, 'invalid_scope', $STATE, 'a scope the client may not have');
authz_error_ok(get(query_path('/authorize', client_id => $cc_only, redirect_uri => $RP, response_type => 'code',
                              scope => 'openid', state => $STATE)),
               $RP, 'unauthorized_client', $STATE, 'a client without the authorization_code grant');
# PKCE is required of a public client
authz_error_ok(get(query_path('/authorize', client_id => $public, redirect_uri => 'https://app.example.test/cb',
                              response_type => 'code', scope => 'openid', state => $STATE)),
               'https://app.example.test/cb', 'invalid_request', $STATE, 'a public client without code_challenge');

# a state with control characters comes back encoded, never as a header
{
    my $st = "a\r\nSet-Cookie: x=y\tz\x01";
    my $res = get(query_path('/authorize', @common, response_type => 'token', scope => 'openid', state => $st));
    authz_error_ok($res, $RP, 'unsupported_response_type', $st, 'a state with CR, LF, TAB and a control byte');
    ok(!grep({ /^x=y/ } $res->header('Set-Cookie')), 'a state with CR LF: no header injected');
}

# no state sent: none comes back; a repeated state is not echoed
authz_error_ok(get(query_path('/authorize', @common, response_type => 'token', scope => 'openid')),
               $RP, 'unsupported_response_type', undef, 'no state');
authz_error_ok(get(query_path('/authorize', @common, response_type => 'code', scope => 'openid',
                              state => 'one', state => 'two')),
               $RP, 'invalid_request', undef, 'state twice: invalid_request, no state');

# a registered redirect_uri with a query keeps it and gets the error after "&"
{
    my $res = get(query_path('/authorize', client_id => $id, redirect_uri => $RP_Q, response_type => 'token',
                             scope => 'openid', state => $STATE));
    my $cb = authz_error_ok($res, $RP_Q, 'unsupported_response_type', $STATE, 'a redirect_uri with a query');
    like($res->header('Location') // '', qr/^\Q$RP_Q\E&error=/, 'the registered query is kept, the error appended');
}

# RFC 6749 3.1: a parameter sent without a value is treated as omitted
for my $k (qw(prompt max_age response_mode code_challenge code_challenge_method id_token_hint login_hint claims request
              request_uri)) {
    my $res = get(query_path('/authorize', @common, response_type => 'code', scope => 'openid', state => $STATE, $k => ''));
    is(page_kind($res), 'login', "an empty $k is as if omitted: the login page");
}
authz_error_ok(get(query_path('/authorize', @common, response_type => 'token', scope => 'openid', state => '')),
               $RP, 'unsupported_response_type', undef, 'an empty state is as if omitted');

# the request is not an error: unknown parameters are ignored (RFC 6749 3.1)
{
    my $res = get(query_path('/authorize', @common, response_type => 'code', scope => 'openid', state => $STATE,
                             extra => 'foobar', display => 'popup', ui_locales => 'se', claims_locales => 'se',
                             acr_values => '1 2'));
    is(page_kind($res), 'login', 'unknown and optional parameters: the login page, no error');
}

done_testing;
