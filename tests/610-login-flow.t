# The authorization code flow as a browser walks it (a cookie jar, the
# login form read and filled in as a browser does): the login page (form,
# hidden fields, CSRF token, labels, autocomplete, CSP, no-store, escaping),
# login_hint, a wrong password, CSRF refusal, Cancel, the code, the token
# response, the ID token verified against the served JWKS, userinfo, code
# replay (every token of the grant revoked), a code sent by another client
# or with another redirect_uri.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use HTTP::Request ();
use OIDP::Test;

# the virtual hosts' own databases get this file's clients and users too
mirror('oidp_https');

my $RP = 'https://rp.example.test/cb';
my $RP2 = 'https://rp.example.test/other-cb';
my $uname = unique_id('alice');
my $PW = 'p@ss w&rd<"\'>+%';
my $sub = user_add($uname, password => $PW, name => 'Alice Liddell', email => "$uname\@example.test",
                   email_verified => 1);
my $nopw = unique_id('nopw');
user_add($nopw);
my $disabled = unique_id('disabled');
user_add($disabled, password => $PW);
my ($disabled_rc) = admin('user', 'update', $disabled, '--disable');
die "could not disable $disabled\n" if $disabled_rc;

my $id = unique_id('lf-basic');
my $m = marker();
my $secret = client_add($id, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP, $RP2],
                        name => "Wiki <b>\"&'$m", first_party => 1);
my $C = [$id, $secret, 'basic'];
my $post_id = unique_id('lf-post');
my $post_secret = client_add($post_id, grant_types => 'authorization_code refresh_token',
                             auth_method => 'client_secret_post', redirect_uris => [$RP], first_party => 1);
my $P = [$post_id, $post_secret, 'post'];
my $jwks = jwks_of('/.well-known/jwks');

my $STATE = odd_state();
my $NONCE = "n-$m";
my @AUTHZ = (response_type => 'code', client_id => $id, redirect_uri => $RP,
             scope => 'openid profile email offline_access', state => $STATE, nonce => $NONCE,
             extra => "x<\"'&>$m");

sub field_map {
    my $form = shift;
    my %h;
    push @{ $h{ $_->[0] } }, $_->[1] for @{ $form->{fields} };
    return \%h;
}

sub error_text {
    my $res = shift;
    my ($t) = ($res->decoded_content // '') =~ m{<p class="error"[^>]*>(.*?)</p>}s;
    return $t;
}

sub introspect {
    my ($client, $token) = @_;
    return json_of(post_form('/introspect', [token => $token],
                             headers => [Authorization => basic_header($client->[0], $client->[1])]));
}

# ---------------------------------------------------------- the login page
my $b = browser();
my $res = get(query_path('/login/oauth/authorize', @AUTHZ), ua => $b);
is(page_kind($res), 'login', 'a first request: the login page');
is($res->code, 200, 'login page: 200');
like($res->header('Content-Type') // '', qr{^text/html;\s*charset=utf-8$}i, 'login page: text/html; charset=utf-8');
like($res->header('Cache-Control') // '', qr/\bno-store\b/, 'login page: Cache-Control no-store');
my $csp = $res->header('Content-Security-Policy') // '';
like($csp, qr/frame-ancestors 'none'/, "login page: CSP frame-ancestors 'none'");
like($csp, qr/default-src 'none'/, "login page: CSP default-src 'none'");
unlike($csp, qr/unsafe-inline|unsafe-eval/, 'login page: no unsafe-inline or unsafe-eval');
is($res->header('X-Frame-Options'), 'DENY', 'login page: X-Frame-Options DENY');
my $html = $res->decoded_content;
unlike($html, qr/<script(?![^>]*\bnonce=)/i, 'login page: no script without the CSP nonce');
like($html, qr/<label for="username">/, 'login page: the username field has a label');
like($html, qr/<label for="password">/, 'login page: the password field has a label');
like($html, qr/\QWiki &lt;b&gt;&quot;&amp;&#x27;$m\E/, "login page: the client's name, escaped");
unlike($html, qr/<b>"/, 'login page: no markup from the client name');
unlike($html, qr/x<"'&>/, 'login page: no markup from a request parameter');
my $cookie = join "\n", $res->header('Set-Cookie');
like($cookie, qr/^oidp_session=/m, 'login page: sets the oidp_session cookie (the CSRF token)');
like($cookie, qr/;\s*HttpOnly/i, 'login page: the cookie is HttpOnly');
like($cookie, qr/;\s*SameSite=Lax/i, 'login page: the cookie is SameSite=Lax');
unlike($cookie, qr/;\s*Secure/i, 'login page: no Secure on an http issuer');
{
    # An https issuer (oidp_https: TLS ends at a proxy in front) names its
    # cookie __Host-, which a browser takes only with Secure, Path=/ and no
    # Domain (issue 8, item 14).
    my $host_cookie_ok = sub {
        my ($r, $what) = @_;
        my @ck = $r->header('Set-Cookie');
        my @ours = grep { /^__Host-oidc_idp_session=/ } @ck;
        is(scalar @ours, 1, "$what: one __Host-oidc_idp_session cookie") or diag(join "\n", @ck);
        ok(!(grep { !/^__Host-/ } @ck), "$what: no cookie without the prefix") or diag(join "\n", @ck);
        my %attr = map { /^\s*([^=;]+?)\s*(?:=\s*(.*?)\s*)?$/ ? (lc $1 => $2 // '') : () }
            split /;/, ($ours[0] // '') =~ s/^[^;]*//r;
        ok(exists $attr{secure}, "$what: Secure");
        is($attr{path}, '/', "$what: Path=/");
        ok(!exists $attr{domain}, "$what: no Domain");
        ok(exists $attr{httponly}, "$what: HttpOnly");
        is(lc($attr{samesite} // ''), 'lax', "$what: SameSite=Lax");
    };
    my $hb = browser(tls_proxy => 1);
    my $r = get(query_path('/authorize', @AUTHZ), ua => $hb, vhost => 'oidp_https');
    is(page_kind($r), 'login', 'an https issuer: the login page');
    $host_cookie_ok->($r, 'an https issuer, login page');
    # sign-in still works with it: login, code, tokens from this issuer
    my $flow = code_flow(browser => $hb, client => $C, redirect_uri => $RP, user => [$uname, $PW],
                         scope => 'openid profile', vhost => 'oidp_https');
    is($flow->{res}->code, 200, 'an https issuer: signed in, the code redeemed');
    my (undef, $claims) = jwt_decode($flow->{tokens}->{id_token});
    is($claims && $claims->{iss}, 'https://localhost:' . OIDP::Test::port_of('oidp_https'),
       'an https issuer: the ID token is of that issuer');
    is($claims && $claims->{sub}, $sub, 'an https issuer: for the user who signed in');
    # the cookie set at sign-in (the login form's answer: a first-party
    # client, no consent page) has the same form
    is("@{ $flow->{authz}->{pages} }", 'login redirect', 'an https issuer: login, then the code');
    $host_cookie_ok->($flow->{authz}->{res}, 'an https issuer, sign-in');
    # and the browser that holds it is signed in: SSO with prompt=none
    my $sso = authorize($hb, params => [@AUTHZ, prompt => 'none'], vhost => 'oidp_https');
    ok($sso->{cb} && $sso->{cb}->{params}->{code}, 'an https issuer: the __Host- cookie signs the browser in again (prompt=none gives a code)')
        or diag($sso->{res}->as_string);
}

my $form = OIDP::Test::login_form($res);
ok($form, 'login page: a form with a password field');
is($form->{method}, 'POST', 'login form: method post');
is($form->{action}, url('/login/oauth/authorize'), 'login form: posts back to the endpoint');
my $f = field_map($form);
my %sent = @AUTHZ;
for my $k (sort keys %sent) {
    is_deeply($f->{$k}, [$sent{$k}], "login form: hidden $k carries the request value exactly");
}
is(scalar @{ $f->{oidp_csrf} || [] }, 1, 'login form: one oidp_csrf');
like($f->{oidp_csrf}->[0] // '', qr/^[A-Za-z0-9_-]{22,}$/, 'login form: the CSRF token looks random');
my %types = map { $_->[0] => $_->[2] } @{ $form->{fields} };
is($types{$_}, 'hidden', "login form: $_ is hidden") for sort keys %sent;
is($types{username}, 'text', 'login form: a username text field');
is($types{password}, 'password', 'login form: a password field');
my %attr = map { $_->[0] => $_->[3] } @{ $form->{fields} };
is($attr{username}->{autocomplete}, 'username', 'login form: autocomplete=username');
is($attr{password}->{autocomplete}, 'current-password', 'login form: autocomplete=current-password');
is($attr{username}->{value} // '', '', 'login form: the username is empty without login_hint');
my %buttons = map { ($_->[0] // '') . '=' . $_->[1] => 1 } @{ $form->{buttons} };
ok($buttons{'oidp_action=login'}, 'login form: a Sign in button (oidp_action=login)');
ok($buttons{'oidp_action=cancel'}, 'login form: a Cancel button (oidp_action=cancel)');

# login_hint prefills the username; so does Casdoor's username parameter
for my $hint ('login_hint', 'username') {
    my $r = get(query_path('/authorize', @AUTHZ, $hint => "bob<\"$m"), ua => browser());
    my $lf = OIDP::Test::login_form($r);
    my ($u) = grep { $_->[0] eq 'username' } @{ $lf->{fields} || [] };
    is($u && $u->[1], "bob<\"$m", "$hint prefills the username field");
    like($r->decoded_content, qr/value="bob&lt;&quot;$m"/, "$hint: the value is escaped in the page");
}

# ---------------------------------------------------------- a wrong password
{
    my @msgs;
    for my $case (['a wrong password', $uname, 'wrong'], ['an unknown user', "ghost-$m", $PW],
                  ['a user without a password', $nopw, ''], ['an empty password', $uname, ''],
                  ['a disabled user with the right password', $disabled, $PW]) {
        my ($name, $u, $p) = @$case;
        my $r = form_submit($b, $form, fill => { username => $u, password => $p },
                            button => [oidp_action => 'login']);
        is($r->code, 200, "$name: 200, the login page again");
        ok(!defined $r->header('Location'), "$name: no redirect");
        is(page_kind($r), 'login', "$name: a login form");
        push @msgs, error_text($r);
        ok(defined $msgs[-1] && length $msgs[-1], "$name: an error message");
        unlike($r->decoded_content, qr/\Q$p\E/, "$name: the password is not in the page") if length $p > 3;
        $form = OIDP::Test::login_form($r);
    }
    is($msgs[0], 'Incorrect username or password.', 'the message is generic');
    is($msgs[1], $msgs[0], 'an unknown user gets the same message as a wrong password');
    is($msgs[2], $msgs[0], 'a user without a password gets the same message');
    is($msgs[4], $msgs[0], 'a disabled user gets the same message');
    # the form of the retry still carries every request parameter
    my $ff = field_map($form);
    is_deeply($ff->{$_}, [$sent{$_}], "after a failure: hidden $_ unchanged") for qw(state nonce redirect_uri);
    my $r = get(query_path('/authorize', @AUTHZ, prompt => 'none'), ua => $b);
    authz_error_ok($r, $RP, 'login_required', $STATE, 'after failed logins the browser is not signed in');
}

# ---------------------------------------------------------- CSRF
{
    my $b2 = browser();
    my $r = get(query_path('/authorize', @AUTHZ), ua => $b2);
    my $lf = OIDP::Test::login_form($r);
    my @cases = (
        ['a wrong oidp_csrf', $b2, $lf, { oidp_csrf => 'x' . random_state() }],
        ['an empty oidp_csrf', $b2, $lf, { oidp_csrf => '' }],
        ["another browser's oidp_csrf", browser(), $lf, {}],
    );
    for my $case (@cases) {
        my ($name, $br, $fm, $fill) = @$case;
        my $rr = form_submit($br, $fm, fill => { username => $uname, password => $PW, %$fill },
                             button => [oidp_action => 'login']);
        isnt($rr->code, 302, "$name: no redirect");
        ok(!authz_response($rr, $RP), "$name: nothing sent to the client");
        is(page_kind($rr), 'login', "$name: the login page again");
        like(error_text($rr) // '', qr/expired|again/i, "$name: says to sign in again");
        my $pn = get(query_path('/authorize', @AUTHZ, prompt => 'none'), ua => $br);
        authz_error_ok($pn, $RP, 'login_required', $STATE, "$name: the browser is not signed in");
    }
    # a form without the oidp_csrf field at all
    my @data = grep { defined } OIDP::Test::form_data($lf, fill => { username => $uname, password => $PW },
                                                      button => [oidp_action => 'login']);
    my @no_csrf;
    while (my ($k, $v) = splice @data, 0, 2) { push @no_csrf, $k, $v unless $k eq 'oidp_csrf' }
    my $rr = post_form('/authorize', \@no_csrf, ua => $b2);
    ok(!authz_response($rr, $RP), 'no oidp_csrf: nothing sent to the client');
    is(page_kind($rr), 'login', 'no oidp_csrf: the login page again');
}

# ---------------------------------------------------------- Cancel
{
    my $a = authorize(browser(), params => \@AUTHZ, cancel => 1);
    is_deeply($a->{pages}, ['login', 'redirect'], 'Cancel: the login page, then a redirect');
    authz_error_ok($a->{res}, $RP, 'access_denied', $STATE, 'Cancel on the login page');
}

# ---------------------------------------------------------- login, code, tokens
my $t0 = time;
my $pre_login = do {
    my $req = HTTP::Request->new(GET => url('/authorize'));
    $b->cookie_jar->add_cookie_header($req);
    $req->header('Cookie') // '';
};
$res = form_submit($b, $form, fill => { username => $uname, password => $PW }, button => [oidp_action => 'login']);
my $t1 = time;
is($res->code, 302, 'login: 302 to the client (a first-party client has no consent page)');
my $cb = authz_response($res, $RP);
ok($cb, 'login: the redirect goes to the redirect_uri');
is($cb->{mode}, 'query', 'login: the response is in the query');
is_deeply([sort @{ $cb->{names} }], [qw(code iss state)], 'login: code, state and iss, nothing else');
ok($cb->{params}->{state} eq $STATE, 'login: state echoed byte for byte');
is($cb->{params}->{iss}, issuer(), 'login: iss (RFC 9207)');
my $code = $cb->{params}->{code} // '';
like($code, qr/^[A-Za-z0-9_-]{22,}$/, 'login: the code has at least 128 bits in base64url');
like($res->header('Cache-Control') // '', qr/\bno-store\b/, 'login: the redirect is not cached');
$cookie = join "\n", $res->header('Set-Cookie');
like($cookie, qr/^oidp_session=[^;]+/m, 'login: the session cookie is (re)set');
unlike($cookie, qr/\Q$uname\E|\Q$sub\E/, 'login: the cookie holds neither the username nor the sub in clear');
like($cookie, qr/;\s*HttpOnly/i, 'login: the session cookie is HttpOnly');
like($cookie, qr/;\s*SameSite=Lax/i, 'login: the session cookie is SameSite=Lax');

{
    # no session fixation: the cookie from before the login does not carry the login
    my $r = get(query_path('/authorize', @AUTHZ, prompt => 'none'), headers => [Cookie => $pre_login]);
    authz_error_ok($r, $RP, 'login_required', $STATE, 'the cookie from before the login');
}

# a failed client authentication does not use the code up
$res = code_exchange(client => [$id, 'wrong', 'basic'], code => $code, redirect_uri => $RP);
error_ok($res, 401, 'invalid_client', 'the code with a wrong client secret');

$res = code_exchange(client => $C, code => $code, redirect_uri => $RP);
my $tok = json_ok($res, 200, 'code exchange');
no_store_ok($res, 'code exchange');
like($tok->{token_type} // '', qr/^Bearer$/i, 'code exchange: token_type Bearer');
is($tok->{expires_in}, 900, 'code exchange: expires_in is the access token lifetime');
is($tok->{scope}, 'openid profile email offline_access', 'code exchange: the granted scope');
like($tok->{access_token} // '', qr/^[\x21-\x7e]{22,}$/, 'code exchange: an access token');
like($tok->{refresh_token} // '', qr/^[\x21-\x7e]{22,}$/, 'code exchange: a refresh token (offline_access)');
my $idc = id_token_ok($tok->{id_token}, client_id => $id, nonce => $NONCE, access_token => $tok->{access_token},
                      jwks => $jwks, name => 'ID token');
is($idc->{sub}, $sub, 'ID token: sub is the user');
is($idc->{exp} - $idc->{iat}, 600, 'ID token: exp is iat + the ID token lifetime');
ok($idc->{auth_time} >= $t0 && $idc->{auth_time} <= $t1, 'ID token: auth_time is the time of the login');
is_deeply($idc->{amr}, ['pwd'], 'ID token: amr ["pwd"], a password sign-in (RFC 8176)');
is($idc->{acr}, 'password', 'ID token: acr "password", a password sign-in (src/core/acr.c)');
ok(!exists $idc->{$_}, "ID token: no $_ (it goes to userinfo)") for qw(name email email_verified preferred_username);
{
    # the access token: an RFC 9068 JWT of the user, signed with the same keys
    my ($h, $c) = jwt_decode($tok->{access_token});
    is($h && $h->{typ}, 'at+jwt', 'access token: typ at+jwt');
    ok(jwt_verify($tok->{access_token}, $jwks), 'access token: verifies against the served JWKS') or diag($@);
    is($c && $c->{sub}, $sub, 'access token: sub is the user');
    is($c && $c->{client_id}, $id, 'access token: client_id');
    is($c && $c->{scope}, 'openid profile email offline_access', 'access token: scope');
    is($c && $c->{auth_time}, $idc->{auth_time}, "access token: the ID token's auth_time");
    is($c && $c->{exp} - $c->{iat}, 900, 'access token: the access token lifetime');
}
my $ui = userinfo($tok->{access_token});
my $uj = json_ok($ui, 200, 'userinfo with the access token');
is($uj->{sub}, $idc->{sub}, 'userinfo: sub equals the ID token sub');
is($uj->{email}, "$uname\@example.test", 'userinfo: email (scope email)');

# ---------------------------------------------------------- code replay
{
    my $r = code_exchange(client => $C, code => $code, redirect_uri => $RP);
    error_ok($r, 400, 'invalid_grant', 'the code a second time');
    $r = userinfo($tok->{access_token});
    error_ok($r, 401, 'invalid_token', 'after the replay the first access token is revoked at userinfo');
    like($r->header('WWW-Authenticate') // '', qr/^Bearer\b.*error="invalid_token"/,
         'after the replay: WWW-Authenticate Bearer error="invalid_token"');
    is(introspect($C, $tok->{access_token})->{active}, JSON::PP::false(),
       'after the replay the first access token is inactive at introspection');
    $r = token_request(client => $C, params => [grant_type => 'refresh_token', refresh_token => $tok->{refresh_token}]);
    error_ok($r, 400, 'invalid_grant', 'after the replay the refresh token of the grant is revoked');
    $r = code_exchange(client => $C, code => $code, redirect_uri => $RP);
    error_ok($r, 400, 'invalid_grant', 'the code a third time');
}

# ---------------------------------------------------------- SSO, then misuse of fresh codes
sub sso_code {
    my (%o) = @_;
    my $a = authorize($b, params => [@AUTHZ, @{ $o{params} || [] }]);
    is_deeply($a->{pages}, ['redirect'], "$o{name}: SSO, a code without the login page");
    return $a->{cb} && $a->{cb}->{params}->{code};
}
{
    my $c2 = sso_code(name => 'code for another client');
    my $r = code_exchange(client => $P, code => $c2, redirect_uri => $RP);
    error_ok($r, 400, 'invalid_grant', 'a code redeemed by another client');

    for my $case (['another registered redirect_uri', $RP2], ['the redirect_uri plus /extra', "$RP/extra"],
                  ['the redirect_uri with a trailing slash', "$RP/"]) {
        my ($name, $uri) = @$case;
        my $c = sso_code(name => $name);
        error_ok(code_exchange(client => $C, code => $c, redirect_uri => $uri), 400, 'invalid_grant',
                 "token endpoint: $name");
    }
    my $c = sso_code(name => 'no redirect_uri');
    $r = code_exchange(client => $C, code => $c);
    ok($r->code == 400 && (json_of($r) || {})->{error} =~ /^invalid_(request|grant)$/,
       'token endpoint: no redirect_uri when one was sent to authorize: 400');
    error_ok(code_exchange(client => $C, code => 'x' . random_state(), redirect_uri => $RP), 400, 'invalid_grant',
             'an unknown code');
    error_ok(token_request(client => $C, params => [grant_type => 'authorization_code', redirect_uri => $RP]),
             400, 'invalid_request', 'no code');
}

# ---------------------------------------------------------- other shapes of the same flow
{
    # the request as a POST form (oidcc-ensure-post-request-succeeds), /authorize and /token,
    # client_secret_post, an empty nonce (as if none was sent), the scope in another order
    my $br = browser();
    my @p = (scope => 'email openid', state => 'st', redirect_uri => $RP, client_id => $post_id,
             response_type => 'code', nonce => '');
    my $a = authorize($br, method => 'POST', path => '/authorize', params => \@p, user => [$uname, $PW]);
    is_deeply($a->{pages}, ['login', 'redirect'], 'POSTed request: the login page, then the redirect');
    my $lf = OIDP::Test::login_form($a->{login});
    is($lf && $lf->{action}, url('/authorize'), 'POSTed request: the form posts back to /authorize');
    my $c = $a->{cb} && $a->{cb}->{params}->{code};
    ok($c, 'POSTed request: a code');
    my $r = code_exchange(client => $P, code => $c, redirect_uri => $RP, path => '/token');
    my $j = json_ok($r, 200, 'client_secret_post at /token');
    ok(!exists $j->{refresh_token}, 'no offline_access: no refresh token for a standard client');
    my $ic = id_token_ok($j->{id_token}, client_id => $post_id, nonce => undef, access_token => $j->{access_token},
                         jwks => $jwks, name => 'ID token without nonce');
    is($ic->{sub}, $sub, 'the same user, the same sub for another client');
    is(json_of(userinfo($j->{access_token}, path => '/api/userinfo'))->{sub}, $sub, 'userinfo at /api/userinfo');

    # Basic with a form-encoded id and secret of reserved characters
    my $odd = unique_id('lf:odd id');
    my $odd_secret = 'se+cr%et:/ ü-and-long-enough-0123456789';
    client_add($odd, secret => $odd_secret, grant_types => 'authorization_code', redirect_uris => [$RP],
               first_party => 1);
    my $fl = code_flow(client => [$odd, $odd_secret, 'basic'], redirect_uri => $RP, user => [$uname, $PW]);
    ok($fl->{tokens}->{id_token}, 'a client_id and secret with reserved characters through Basic');
}

# ---------------------------------------------------------- a client that registered ES256
{
    my $es = unique_id('lf-es256');
    my $es_secret = client_add($es, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1,
                               id_token_alg => 'ES256');
    my $fl = code_flow(client => [$es, $es_secret, 'basic'], redirect_uri => $RP, user => [$uname, $PW], browser => $b);
    my $jwt = $fl->{tokens}->{id_token} // '';
    my ($h, $c) = jwt_decode($jwt);
    is($h && $h->{alg}, 'ES256', 'id_token_alg ES256: the ID token is ES256');
    my ($k) = grep { ($_->{kid} // '') eq ($h->{kid} // "\0") } @{ $jwks->{keys} || [] };
    is($k && $k->{kty}, 'EC', 'ES256: its kid names the EC key of the JWKS');
    is($c && $c->{sub}, $sub, 'ES256: the user');
    is($c && $c->{at_hash}, at_hash($fl->{tokens}->{access_token}), 'ES256: at_hash (SHA-256 for ES256)');
    my $script = "$ENV{OIDP_TEST_TOP}/scripts/verify-jwt.sh";
    my $jwks_url = issuer() . '/.well-known/jwks';
    my $out = qx{sh '$script' '$jwt' '$jwks_url' 2>&1};
    is($?, 0, 'ES256: openssl verifies the signature against the served JWKS') or diag($out);
    my @p = split /\./, $jwt;
    $p[1] = b64url_encode('{"sub":"forged"}');
    $out = qx{sh '$script' '@{[join '.', @p]}' '$jwks_url' 2>&1};
    isnt($?, 0, 'ES256: a changed payload does not verify');
}

done_testing;
