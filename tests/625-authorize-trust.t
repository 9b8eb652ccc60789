# The authorization endpoint tried as an attacker would (issue 8):
# re-authentication demands (prompt=login, max_age=0, an id_token_hint of
# another user) hold whatever button is posted, and "allow" counts only with
# the one-time token of the consent page shown for that very request and
# login; a fresh login as another user than the id_token_hint names gives
# login_required; an access token is no id_token_hint; the limits of scope,
# prompt and claims (its length in
# tests/unit/core/test_claims.c); nonce and login_hint must be UTF-8.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;
use Time::HiRes ();

my $RP = 'https://rp.example.test/cb';
my ($u1, $u2) = (unique_id('tr-u1'), unique_id('tr-u2'));
my $sub1 = user_add($u1, password => 'pw-one-1');
my $sub2 = user_add($u2, password => 'pw-two-2');
my $first = unique_id('tr-first');
my $C = [$first, client_add($first, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1),
         'basic'];
my $third = unique_id('tr-third');
my $T = [$third, client_add($third, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 0),
         'basic'];
my $jwks = jwks_of('/.well-known/jwks');
my $STATE = random_state();

# the parameters of a request; those in @more replace the defaults
sub params {
    my ($client, @more) = @_;
    my %more = @more;
    my @base = (response_type => 'code', client_id => $client, redirect_uri => $RP, scope => 'openid',
                state => $STATE, nonce => 'n-' . marker());
    my @out;
    while (my ($k, $v) = splice @base, 0, 2) {
        push @out, $k, $v unless exists $more{$k};
    }
    return (@out, @more);
}

sub start {
    my ($b, $client, @more) = @_;
    return get(query_path('/login/oauth/authorize', params($client, @more)), ua => $b);
}

# whole seconds: auth_time has a resolution of one second
sub after_second {
    my $t = shift;
    Time::HiRes::sleep(0.05) while time <= $t;
}

sub id_token_of {
    my ($res, $client, $name) = @_;
    my $cb = authz_response($res, $RP) || { params => {} };
    my $code = $cb->{params}->{code} or return;
    my $j = json_of(code_exchange(client => $client, code => $code, redirect_uri => $RP)) || {};
    my (undef, $c) = jwt_decode($j->{id_token} // '');
    return ($c, $j);
}

# a browser signed in as $u1 at the first-party client, and its ID token
my $b = browser();
my $f = code_flow(client => $C, redirect_uri => $RP, user => [$u1, 'pw-one-1'], browser => $b);
my (undef, $c1) = jwt_decode($f->{tokens}->{id_token});
my $T1 = $c1->{auth_time};
my $hint2 = code_flow(client => $C, redirect_uri => $RP, user => [$u2, 'pw-two-2'])->{tokens}->{id_token};

# ---------------------------------------------------------- 1. re-authentication cannot be skipped
after_second($T1);
for my $case (['prompt=login', [prompt => 'login']], ['max_age=0', [max_age => 0]],
              ["an id_token_hint of another user", [id_token_hint => $hint2]]) {
    my ($name, $more) = @$case;
    my $res = start($b, $first, @$more);
    is(page_kind($res), 'login', "$name: the login page");
    my $form = OIDP::Test::login_form($res) or next;
    # the login page's fields posted back with oidp_action=allow and no password
    my $r2 = form_submit($b, $form, fill => { username => $u1, password => '' }, button => [oidp_action => 'allow']);
    is(page_kind($r2), 'login', "$name, then allow without a password: the login page again, no code")
        or diag($r2->as_string);
    ok(!(authz_response($r2, $RP) || { params => {} })->{params}->{code}, "$name, then allow: no code");
}

# a consent page for one request, its form re-posted with prompt=login added
{
    my $b3 = browser();
    my $a = authorize($b3, params => [params($third)], user => [$u1, 'pw-one-1']);
    is_deeply($a->{pages}, ['login', 'consent'], 'third-party client: login, then consent');
    my $form = OIDP::Test::consent_form($a->{res});
    my @data = form_data($form, button => [oidp_action => 'allow']);
    my $tok = { @data }->{oidp_consent};
    ok(defined $tok && length $tok >= 40, 'the consent page carries a one-time token');
    push @data, prompt => 'login';
    my $res = post_form($form->{action}, \@data, ua => $b3);
    is(page_kind($res), 'login', 'the consent form posted with prompt=login added: the login page, no code')
        or diag($res->as_string);

    # the genuine answer: a code; the same answer again: no second use
    $a = authorize($b3, params => [params($third, prompt => 'consent')]);
    is_deeply($a->{pages}, ['consent'], 'prompt=consent: the consent page');
    $form = OIDP::Test::consent_form($a->{res});
    $res = form_submit($b3, $form, button => [oidp_action => 'allow']);
    ok((authz_response($res, $RP) || { params => {} })->{params}->{code}, 'allow with the token: a code');
    $res = form_submit($b3, $form, button => [oidp_action => 'allow']);
    is(page_kind($res), 'consent', 'the same consent form posted again: the consent page again (one-time token)')
        or diag($res->as_string);

    # a token bound to one login does not count after another
    $a = authorize($b3, params => [params($third, prompt => 'consent')]);
    $form = OIDP::Test::consent_form($a->{res});
    my $again = authorize($b3, params => [params($third, prompt => 'login')], user => [$u1, 'pw-one-1']);
    is_deeply($again->{pages}, ['login', 'redirect'], 'a new login in the same browser');
    $res = form_submit($b3, $form, button => [oidp_action => 'allow']);
    is(page_kind($res), 'consent', 'the consent form of the previous login: asked again');
}

# prompt=login at a third-party client: login, consent, a code with a new auth_time
{
    my $a = authorize($b, params => [params($third, prompt => 'login consent')],
                      user => [$u1, 'pw-one-1'], consent => 'allow');
    is_deeply($a->{pages}, ['login', 'consent', 'redirect'], 'prompt=login, third party: login, consent, redirect');
    my ($c) = id_token_of($a->{res}, $T, 'prompt=login, third party');
    ok($c && $c->{auth_time} > $T1, 'prompt=login, third party: a later auth_time')
        or diag(explain($c));
}

# ---------------------------------------------------------- 2. id_token_hint names another user
{
    my $b4 = browser();
    my $a = authorize($b4, params => [params($first, id_token_hint => $hint2)], user => [$u1, 'pw-one-1']);
    is_deeply($a->{pages}, ['login', 'redirect'], 'a hint naming the second user, a login as the first');
    authz_error_ok($a->{res}, $RP, 'login_required', $STATE, 'a fresh login as another user than the hint names');
    # the hinted user signs in: a code for them
    $a = authorize(browser(), params => [params($first, id_token_hint => $hint2)], user => [$u2, 'pw-two-2']);
    my ($c) = id_token_of($a->{res}, $C, 'the hinted user');
    is($c && $c->{sub}, $sub2, 'the hinted user signs in: their code');
}

# ---------------------------------------------------------- 8. an access token is no id_token_hint
{
    my $at = $f->{tokens}->{access_token};
    my $res = start($b, $first, prompt => 'none', id_token_hint => $at);
    authz_error_ok($res, $RP, 'invalid_request', $STATE, 'an access token as id_token_hint');
    $res = start($b, $first, prompt => 'none', id_token_hint => $f->{tokens}->{id_token});
    ok((authz_response($res, $RP) || { params => {} })->{params}->{code}, 'the ID token as the hint: a code');
}

# ---------------------------------------------------------- 3. limits
sub error_of {
    my ($res) = @_;
    return (authz_response($res, $RP) || { params => {} })->{params};
}
{
    my $many = join ' ', 'openid', map { "s$_" } 1 .. 100;
    my $p = error_of(start($b, $first, scope => $many));
    is($p->{error}, 'invalid_scope', '101 scope values: invalid_scope');
    is($p->{error_description}, 'too many scope values', '101 scope values: said so');
    $p = error_of(start($b, $first, scope => 'openid ' . ('x' x 257)));
    is($p->{error}, 'invalid_scope', 'a scope value of 257 bytes: invalid_scope');
    is($p->{error_description}, 'a scope value is too long', 'a scope value of 257 bytes: said so');
    my $res = start($b, $first, scope => join(' ', ('openid') x 500));
    ok(error_of($res)->{code}, '500 copies of one scope are one scope: a code') or diag($res->as_string);

    $p = error_of(start($b, $first, prompt => join(' ', ('login') x 9)));
    is($p->{error}, 'invalid_request', '9 prompt values: invalid_request');
    is($p->{error_description}, 'too many prompt values', '9 prompt values: said so');

    # (the length limit of claims, 8192 bytes, is beyond this server's body
    # and request line limits: tests/unit/core/test_claims.c checks it)
    my $names = '{"userinfo":{' . join(',', map { "\"c$_\":null" } 1 .. 101) . '}}';
    $p = error_of(start($b, $first, claims => $names));
    is($p->{error}, 'invalid_request', '101 claims named: invalid_request');
    is($p->{error_description}, 'too many claims requested', '101 claims named: said so');
}

# ---------------------------------------------------------- 6. nonce and login_hint must be UTF-8
{
    for my $bad (["\xff\xfe", 'not UTF-8'], ["n-\xc0\xaf", 'an overlong form'], ["n-\xed\xa0\x80", 'a surrogate'],
                 ["n-\xe2\x82", 'a truncated sequence']) {
        my ($nonce, $what) = @$bad;
        my $res = get('/login/oauth/authorize?' . form_encode(params($first, nonce => $nonce)), ua => $b);
        my $p = error_of($res);
        is($p->{error}, 'invalid_request', "a nonce with $what: invalid_request");
        is($p->{error_description}, 'nonce must be UTF-8', "a nonce with $what: said so");
    }
    my $p = error_of(get('/login/oauth/authorize?' . form_encode(params($first, login_hint => "al\xffce")), ua => $b));
    is($p->{error}, 'invalid_request', 'a login_hint that is not UTF-8: invalid_request');

    # a UTF-8 nonce reaches the ID token intact
    my $nonce = "n-\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80-" . marker();
    my $res = get('/login/oauth/authorize?' . form_encode(params($first, nonce => $nonce)), ua => $b);
    my ($c) = id_token_of($res, $C, 'a UTF-8 nonce');
    my $got = $c && $c->{nonce};
    # jwt_decode gives the payload's bytes as characters
    ok(defined $got && $got eq $nonce, 'a UTF-8 nonce: in the ID token byte for byte')
        or diag($res->as_string, explain($c));
}

done_testing;
