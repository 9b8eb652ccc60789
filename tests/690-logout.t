# RP-Initiated Logout 1.0 at /api/logout and /logout (GET and POST), as
# the conformance suite's RP-Initiated Logout plan checks: with a valid
# id_token_hint and a registered post_logout_redirect_uri, a 302 there with
# only state (byte for byte); without a hint the signed-in user confirms
# first (CSRF-protected); a missing post_logout_redirect_uri gives the
# signed-out page; a forged hint or an unregistered URI is an error page,
# never a redirect. Afterwards the session is really ended, also for a
# copy of the old cookie (prompt=none -> login_required).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Digest::SHA qw(hmac_sha256);
use HTTP::Request ();
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my $BYE = 'https://rp.example.test/post_logout_redirect';
my $OTHER_BYE = 'https://other.example.test/bye';
my $uname = unique_id('lo-u');
my $PW = 'logout-pw';
user_add($uname, password => $PW);
my $id = unique_id('lo-client');
my $secret = client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP], post_logout_uris => [$BYE],
                        first_party => 1);
my $C = [$id, $secret, 'basic'];
my $other = unique_id('lo-other');
client_add($other, grant_types => 'authorization_code', redirect_uris => [$RP], post_logout_uris => [$OTHER_BYE],
           first_party => 1);
my $cd = unique_id('lo-casdoor');
my $CD = [$cd, client_add($cd, grant_types => 'authorization_code', redirect_uris => [$RP], post_logout_uris => [$BYE],
                          first_party => 1, dialect => 'casdoor'), 'basic'];
my $STATE = random_state();

# a signed-in browser: (browser, ID token, access token)
sub signed_in {
    my $f = code_flow(client => $C, redirect_uri => $RP, user => [$uname, $PW], scope => 'openid');
    return ($f->{browser}, $f->{tokens}->{id_token}, $f->{tokens}->{access_token});
}

# is the browser still signed in? (prompt=none: a code, or login_required)
sub signed_in_ok {
    my ($b, $expect, $name, %o) = @_;
    my $res = get(query_path('/authorize', response_type => 'code', client_id => $id, redirect_uri => $RP,
                             scope => 'openid', prompt => 'none', state => 'probe'),
                  ua => $b, headers => $o{headers});
    my $cb = authz_response($res, $RP) || { params => {} };
    if ($expect) {
        ok($cb->{params}->{code}, "$name: still signed in (prompt=none gives a code)");
    }
    else {
        is($cb->{params}->{error}, 'login_required', "$name: signed out (prompt=none gives login_required)");
    }
}

sub cookie_of {
    my $b = shift;
    my $req = HTTP::Request->new(GET => url('/authorize'));
    $b->cookie_jar->add_cookie_header($req);
    return $req->header('Cookie') // '';
}

sub logout {
    my ($b, $path, @params) = @_;
    return get(query_path($path, @params), ua => $b);
}

sub signed_out_page_ok {
    my ($res, $name) = @_;
    is($res->code, 200, "$name: 200");
    ok(!defined $res->header('Location'), "$name: no redirect");
    like($res->header('Content-Type') // '', qr{^text/html}i, "$name: HTML");
    like($res->decoded_content, qr/signed out/i, "$name: says signed out");
    ok(!@{ html_forms($res) }, "$name: no form to submit");
}

sub confirm_form {
    my $res = shift;
    my ($f) = grep { grep { ($_->[0] // '') eq 'oidp_action' && $_->[1] eq 'logout' } @{ $_->{buttons} } }
        @{ html_forms($res) };
    return $f;
}

# ---------------------------------------------------------- hint, registered URI, state
for my $case (['GET /api/logout', '/api/logout', 'GET', $STATE], ['GET /logout', '/logout', 'GET', odd_state()],
              ['POST /logout', '/logout', 'POST', odd_state()], ['POST /api/logout', '/api/logout', 'POST', $STATE]) {
    my ($name, $path, $method, $state) = @$case;
    my ($b, $hint) = signed_in();
    my $saved = cookie_of($b);
    my @p = (id_token_hint => $hint, post_logout_redirect_uri => $BYE, state => $state);
    my $res = $method eq 'GET' ? logout($b, $path, @p) : post_form($path, \@p, ua => $b);
    is($res->code, 302, "$name: 302");
    my $loc = $res->header('Location') // '';
    like($loc, qr/^\Q$BYE\E\?state=[^&#]+$/, "$name: to the post_logout_redirect_uri with only state");
    my $cb = authz_response($res, $BYE) || { params => {}, names => [] };
    is_deeply($cb->{names}, ['state'], "$name: state and nothing else");
    ok(($cb->{params}->{state} // '') eq $state, "$name: state byte for byte");
    signed_in_ok($b, 0, "$name, then the same browser");
    signed_in_ok(browser(), 0, "$name, then the old cookie replayed", headers => [Cookie => $saved]);
    my $acct = json_of(get('/api/get-account', headers => [Cookie => $saved])) || {};
    is($acct->{status}, 'error', "$name, then get-account with the old cookie: not signed in");
}

# ---------------------------------------------------------- hint and URI, no state
{
    my ($b, $hint) = signed_in();
    my $res = logout($b, '/api/logout', id_token_hint => $hint, post_logout_redirect_uri => $BYE);
    is($res->code, 302, 'no state: 302');
    is($res->header('Location'), $BYE, 'no state: exactly the post_logout_redirect_uri, no state parameter');
    signed_in_ok($b, 0, 'no state');

    # Casdoor's clients send the access token as the hint: taken from a
    # client of the Casdoor dialect only (issue 8; tests/695-logout-trust.t)
    my $f = code_flow(client => $CD, redirect_uri => $RP, user => [$uname, $PW], scope => 'openid');
    my ($b2, $at) = ($f->{browser}, $f->{tokens}->{access_token});
    $res = logout($b2, '/api/logout', id_token_hint => $at, post_logout_redirect_uri => $BYE, state => 'cd');
    is($res->header('Location'), "$BYE?state=cd", "the access token as the hint (Casdoor's clients)");
    signed_in_ok($b2, 0, 'the access token as the hint');
}

# ---------------------------------------------------------- hint without URI: the signed-out page
{
    my ($b, $hint) = signed_in();
    my $res = logout($b, '/logout', id_token_hint => $hint, state => $STATE);
    signed_out_page_ok($res, 'hint and state, no post_logout_redirect_uri');
    signed_in_ok($b, 0, 'hint and state, no post_logout_redirect_uri');
}

# ---------------------------------------------------------- no hint: the user confirms
{
    my ($b) = signed_in();
    my $res = logout($b, '/logout');
    is($res->code, 200, 'no parameters, signed in: 200');
    ok(!defined $res->header('Location'), 'no parameters, signed in: no redirect');
    my $form = confirm_form($res);
    ok($form, 'no parameters, signed in: a form to confirm (oidp_action=logout)');
    is($form && $form->{method}, 'POST', 'confirm form: method post');
    is($form && $form->{action}, url('/logout'), 'confirm form: posts back to the endpoint');
    like($res->header('Content-Security-Policy') // '', qr/frame-ancestors 'none'/, 'confirm page: not frameable');
    like($res->decoded_content, qr/\Q$uname\E/, 'confirm page: who is signed in');
    signed_in_ok($b, 1, 'the confirm page alone');

    # a forged confirmation
    my $r = form_submit($b, $form, fill => { oidp_csrf => 'forged' }, button => [oidp_action => 'logout']);
    ok(!defined $r->header('Location'), 'a confirmation with a wrong CSRF token: no redirect');
    ok(confirm_form($r), 'a confirmation with a wrong CSRF token: asked again');
    signed_in_ok($b, 1, 'a confirmation with a wrong CSRF token');
    $r = form_submit(browser(), $form, button => [oidp_action => 'logout']);
    signed_in_ok($b, 1, 'a confirmation sent from another browser');

    $r = form_submit($b, $form, button => [oidp_action => 'logout']);
    signed_out_page_ok($r, 'confirmed');
    signed_in_ok($b, 0, 'confirmed');

    # not signed in: the signed-out page at once
    signed_out_page_ok(logout(browser(), '/api/logout'), 'no parameters, not signed in');
    signed_out_page_ok(logout(browser(), '/api/logout', state => $STATE), 'only state, not signed in');

    # only state, signed in: confirm, no redirect
    ($b) = signed_in();
    $res = logout($b, '/api/logout', state => $STATE);
    ok(!defined $res->header('Location'), 'only state, signed in: no redirect');
    ok(confirm_form($res), 'only state, signed in: the confirm page');

    # client_id and a registered URI without a hint: confirm, then back to the client
    $res = logout($b, '/logout', client_id => $id, post_logout_redirect_uri => $BYE, state => $STATE);
    ok(!defined $res->header('Location'), 'client_id and URI without a hint: no redirect before confirming');
    $form = confirm_form($res);
    ok($form, 'client_id and URI without a hint: the confirm page');
    my %h = map { $_->[0] => $_->[1] } @{ $form ? $form->{fields} : [] };
    is($h{state}, $STATE, 'confirm form: state carried');
    is($h{post_logout_redirect_uri}, $BYE, 'confirm form: post_logout_redirect_uri carried');
    $r = form_submit($b, $form, button => [oidp_action => 'logout']);
    my $cb = authz_response($r, $BYE) || { params => {} };
    ok(($cb->{params}->{state} // '') eq $STATE, 'confirmed: back to the client with state');
    signed_in_ok($b, 0, 'client_id and URI, confirmed');

    # a URI and state without hint or client_id: never redirected there
    ($b) = signed_in();
    $res = logout($b, '/api/logout', post_logout_redirect_uri => $BYE, state => $STATE);
    ok(!defined $res->header('Location'), 'URI and state without a hint: no redirect');
    ok(!authz_response($res, $BYE), 'URI and state without a hint: nothing sent to the URI');
}

# ---------------------------------------------------------- a hint of another user
# An ID token of one user does not sign another user out without asking
# (RP-Initiated Logout 1.0, 6: a link with anybody's old ID token on any page
# would otherwise end every visitor's session).
{
    my $other_user = unique_id('lo-v');
    user_add($other_user, password => $PW);
    my $f = code_flow(client => $C, redirect_uri => $RP, user => [$other_user, $PW], scope => 'openid');
    my $foreign = $f->{tokens}->{id_token};
    my ($b) = signed_in();
    my $res = logout($b, '/logout', id_token_hint => $foreign, post_logout_redirect_uri => $BYE, state => $STATE);
    ok(!defined $res->header('Location'), "another user's hint: no redirect without asking");
    signed_in_ok($b, 1, "another user's hint");
}

# ---------------------------------------------------------- error pages, never a redirect
{
    my ($b, $hint) = signed_in();
    my @p = split /\./, $hint;
    my (undef, $claims) = jwt_decode($hint);
    my $none = b64url_encode('{"alg":"none"}') . ".$p[1].";
    my $hs_head = b64url_encode('{"alg":"HS256","typ":"JWT"}');
    my $hs_body = b64url_encode(JSON::PP->new->encode({ iss => $id, aud => issuer(), sub => $claims->{sub},
                                                        iat => time, exp => time + 600 }));
    my $hs256 = "$hs_head.$hs_body." . b64url_encode(hmac_sha256("$hs_head.$hs_body", $secret));
    my $changed = join '.', $p[0], b64url_encode(JSON::PP->new->encode({ %$claims, aud => $other, azp => $other })), $p[2];
    my $m = marker();
    my @cases = (
        ['a hint with alg none and no signature', [id_token_hint => $none, post_logout_redirect_uri => $BYE]],
        ['a hint signed by the client (HS256 with its secret)', [id_token_hint => $hs256, post_logout_redirect_uri => $BYE]],
        ['a hint with changed claims', [id_token_hint => $changed, post_logout_redirect_uri => $OTHER_BYE]],
        ['a hint that is not a JWT', [id_token_hint => "junk$m", post_logout_redirect_uri => $BYE]],
        ['an unregistered post_logout_redirect_uri', [id_token_hint => $hint,
                                                      post_logout_redirect_uri => "https://rp.example.test/bad_post_logout_redirect_uri$m"]],
        ['the registered URI with a query added', [id_token_hint => $hint, post_logout_redirect_uri => "$BYE?foo=bar"]],
        ['the registered URI with a trailing slash', [id_token_hint => $hint, post_logout_redirect_uri => "$BYE/"]],
        ["another client's URI", [id_token_hint => $hint, post_logout_redirect_uri => $OTHER_BYE]],
        ['a hint of one client and the client_id of another', [id_token_hint => $hint, client_id => $other,
                                                              post_logout_redirect_uri => $OTHER_BYE]],
        ['a registered URI with markup', [id_token_hint => $hint, post_logout_redirect_uri => "$BYE<script>$m"]],
    );
    for my $case (@cases) {
        my ($name, $params) = @$case;
        for my $path ('/api/logout', '/logout') {
            my $res = logout($b, $path, @$params, state => $STATE);
            error_page_ok($res, 400, "$path, $name");
            not_echoed($res, $m, "$path, $name");
        }
    }
    my $res = post_form('/logout', [id_token_hint => $none, post_logout_redirect_uri => $BYE, state => $STATE], ua => $b);
    error_page_ok($res, 400, 'POST, a hint with alg none');
    signed_in_ok($b, 1, 'after refused sign-out requests');
}

done_testing;
