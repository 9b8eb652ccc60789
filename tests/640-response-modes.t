# Response modes (OAuth 2.0 Multiple Response Types, Form Post Response
# Mode): form_post is a 200 HTML page with a form posting code, state and
# iss (or the error) to the redirect_uri exactly, submitted by a nonce'd
# script and by a button without JavaScript, with no code in any URL;
# fragment puts the response after "#"; query after "?" or "&". As the
# conformance suite's Form Post plan checks.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my $RP_Q = 'https://rp.example.test/cb?tenant=a&x=%2F';
my $uname = unique_id('rm-u');
my $PW = 'rm-password';
my $sub = user_add($uname, password => $PW);
my $id = unique_id('rm-client');
my $secret = client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP, $RP_Q], first_party => 1);
my $C = [$id, $secret, 'basic'];
my $STATE = random_state();
my $ODD = odd_state();

sub params {
    my ($uri, @more) = @_;
    return (response_type => 'code', client_id => $id, redirect_uri => $uri, scope => 'openid', @more);
}

# the checks of a form_post page that carries a code; returns the code
sub form_post_ok {
    my ($res, $uri, $state, $name) = @_;
    is($res->code, 200, "$name: 200") or diag($res->as_string);
    like($res->header('Content-Type') // '', qr{^text/html}i, "$name: text/html");
    ok(!defined $res->header('Location'), "$name: no Location");
    like($res->header('Cache-Control') // '', qr/\bno-store\b/, "$name: Cache-Control no-store");
    my $csp = $res->header('Content-Security-Policy') // '';
    like($csp, qr/form-action https:\/\/rp\.example\.test(;|$)/, "$name: CSP lets the form post to the client only");
    like($csp, qr/script-src 'nonce-[^']+'/, "$name: CSP allows only the nonce'd script");
    unlike($csp, qr/unsafe-inline/, "$name: no unsafe-inline");
    like($csp, qr/frame-ancestors 'none'/, "$name: not frameable");
    my $cb = authz_response($res, $uri);
    ok($cb, "$name: a form whose action is the redirect_uri exactly") or return undef;
    is($cb->{mode}, 'form_post', "$name: form_post");
    is($cb->{method}, 'POST', "$name: method post");
    is_deeply([sort @{ $cb->{names} }], [qw(code iss state)], "$name: hidden code, state and iss, nothing else");
    ok(($cb->{params}->{state} // '') eq $state, "$name: state byte for byte");
    is($cb->{params}->{iss}, issuer(), "$name: iss");
    my $code = $cb->{params}->{code} // '';
    like($code, qr/^[A-Za-z0-9_-]{22,}$/, "$name: the code");
    my $html = $res->decoded_content;
    my $n = () = $html =~ /\Q$code\E/g;
    is($n, 1, "$name: the code appears once, in its hidden field");
    unlike($html, qr/[?&#]code=/, "$name: no code in any URL");
    my ($form) = grep { ($_->{attrs}->{action} // '') eq $uri } @{ html_forms($res) };
    ok($form && @{ $form->{buttons} }, "$name: a submit button (works without JavaScript)");
    like($html, qr/<script nonce="[^"]+">[^<]*submit\(\)/, "$name: a nonce'd script submits the form");
    return $code;
}

my $b = browser();

# ---------------------------------------------------------- form_post
{
    my $a = authorize($b, params => [params($RP, response_mode => 'form_post', state => $STATE)],
                      user => [$uname, $PW]);
    is_deeply($a->{pages}, ['login', 'form_post'], 'form_post: the login page, then the form_post page');
    my $code = form_post_ok($a->{res}, $RP, $STATE, 'form_post after login');
    my $j = json_ok(code_exchange(client => $C, code => $code, redirect_uri => $RP), 200, 'form_post: the code works');
    my (undef, $c) = jwt_decode($j->{id_token} // '');
    is($c && $c->{sub}, $sub, 'form_post: the user');

    $a = authorize($b, params => [params($RP_Q, response_mode => 'form_post', state => $ODD)]);
    is_deeply($a->{pages}, ['form_post'], 'form_post with SSO: the page at once');
    $code = form_post_ok($a->{res}, $RP_Q, $ODD, 'form_post to a redirect_uri with a query');
    like($a->{res}->decoded_content, qr/action="https:\/\/rp\.example\.test\/cb\?tenant=a&amp;x=%2F"/,
         'form_post: the action is the redirect_uri, HTML-escaped');
    json_ok(code_exchange(client => $C, code => $code, redirect_uri => $RP_Q), 200, 'form_post: that code works');

    # errors are posted too
    my $r = get(query_path('/authorize', params($RP, response_mode => 'form_post', prompt => 'none', state => $STATE)),
                ua => browser());
    authz_error_ok($r, $RP, 'login_required', $STATE, 'form_post: prompt=none without a session', mode => 'form_post');
    unlike($r->decoded_content, qr/[?&#]error=/, 'form_post error: no error in any URL');
    $r = get(query_path('/authorize', response_type => 'token', client_id => $id, redirect_uri => $RP, scope => 'openid',
                        response_mode => 'form_post', state => $ODD), ua => $b);
    authz_error_ok($r, $RP, 'unsupported_response_type', $ODD, 'form_post: an unsupported response_type',
                   mode => 'form_post');
    $r = authorize(browser(), params => [params($RP, response_mode => 'form_post', state => $STATE)], cancel => 1);
    authz_error_ok($r->{res}, $RP, 'access_denied', $STATE, 'form_post: Cancel', mode => 'form_post');
}

# ---------------------------------------------------------- fragment
{
    my $a = authorize($b, params => [params($RP, response_mode => 'fragment', state => $ODD)]);
    is_deeply($a->{pages}, ['redirect'], 'fragment: a redirect');
    my $loc = $a->{res}->header('Location') // '';
    like($loc, qr/^\Q$RP\E#/, 'fragment: the response follows "#"');
    unlike($loc, qr/\?/, 'fragment: no query');
    is($a->{cb} && $a->{cb}->{mode}, 'fragment', 'fragment: parsed from the fragment');
    is_deeply([sort @{ $a->{cb}->{names} || [] }], [qw(code iss state)], 'fragment: code, state and iss');
    ok(($a->{cb}->{params}->{state} // '') eq $ODD, 'fragment: state byte for byte');
    json_ok(code_exchange(client => $C, code => $a->{cb}->{params}->{code}, redirect_uri => $RP), 200,
            'fragment: the code works');

    $a = authorize($b, params => [params($RP_Q, response_mode => 'fragment', state => $STATE)]);
    like($a->{res}->header('Location') // '', qr/^\Q$RP_Q\E#code=/, 'fragment: the registered query stays in place');

    my $r = get(query_path('/authorize', params($RP, response_mode => 'fragment', prompt => 'none', state => $STATE)),
                ua => browser());
    authz_error_ok($r, $RP, 'login_required', $STATE, 'fragment: prompt=none without a session', mode => 'fragment');
}

# ---------------------------------------------------------- query
{
    my $a = authorize($b, params => [params($RP, response_mode => 'query', state => $STATE)]);
    like($a->{res}->header('Location') // '', qr/^\Q$RP\E\?code=[^&#]+&state=[^&#]+&iss=[^&#]+$/,
         'query: ?code=...&state=...&iss=...');
    $a = authorize($b, params => [params($RP_Q, state => $STATE)]);
    like($a->{res}->header('Location') // '', qr/^\Q$RP_Q\E&code=[^&#]+&state=[^&#]+&iss=[^&#]+$/,
         'query: appended to the registered query with "&"');
    is($a->{cb} && $a->{cb}->{mode}, 'query', 'query: parsed');
    my $r = get(query_path('/authorize', params($RP, response_mode => 'query', state => $STATE),
                           response_mode => 'fragment'), ua => $b);
    authz_error_ok($r, $RP, 'invalid_request', $STATE, 'response_mode twice');
}

done_testing;
