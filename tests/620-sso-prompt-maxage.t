# The login session (OIDC Core 3.1.2.1): SSO without the login page, for
# the same and another client; prompt=none with and without a session;
# prompt=login and max_age=1 force a new login with a strictly later
# auth_time; max_age=10000 does not; id_token_hint (same user: no UI;
# another user: login_required, or the login page). As the conformance
# suite's oidcc-prompt-login, -prompt-none-*, -max-age-*, -id-token-hint.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;
use Time::HiRes ();

my $RP = 'https://rp.example.test/cb';
my ($u1, $u2) = (unique_id('sso-u1'), unique_id('sso-u2'));
my $sub1 = user_add($u1, password => 'pw-one-1');
my $sub2 = user_add($u2, password => 'pw-two-2');
my $id = unique_id('sso-a');
my $secret = client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1);
my $C = [$id, $secret, 'basic'];
my $id_b = unique_id('sso-b');
my $secret_b = client_add($id_b, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1);
my $third = unique_id('sso-third');
client_add($third, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 0);
my $jwks = jwks_of('/.well-known/jwks');

my $STATE = random_state();

sub params {
    my ($client, @more) = @_;
    return (response_type => 'code', client_id => $client, redirect_uri => $RP, scope => 'openid',
            state => $STATE, nonce => 'n-' . marker(), @more);
}

# the ID token of an authorization that ended in a code
sub redeem {
    my ($a, $client, $name) = @_;
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    ok($code, "$name: a code") or return {};
    my $res = code_exchange(client => $client, code => $code, redirect_uri => $RP);
    my $j = json_ok($res, 200, "$name: code exchange");
    return id_token_ok($j->{id_token}, client_id => $client->[0], nonce => $a->{nonce},
                       access_token => $j->{access_token}, jwks => $jwks, name => "$name: ID token"), $j->{id_token};
}

sub flow {
    my ($b, $name, $client, %o) = @_;
    my @p = params($client->[0], @{ $o{params} || [] });
    my %h = @p;
    my $a = authorize($b, params => \@p, user => $o{user}, consent => $o{consent}, cancel => $o{cancel});
    $a->{nonce} = $h{nonce};
    is_deeply($a->{pages}, $o{pages}, "$name: pages @{ $o{pages} }") or diag($a->{res}->as_string);
    return $a;
}

# whole seconds: auth_time has a resolution of one second
sub after_second {
    my $t = shift;
    Time::HiRes::sleep(0.05) while time <= $t;
}

my $b = browser();

# ---------------------------------------------------------- without a session
{
    my $a = flow(browser(), 'prompt=none, no session', $C, params => [prompt => 'none'], pages => ['redirect']);
    authz_error_ok($a->{res}, $RP, 'login_required', $STATE, 'prompt=none without a session');
    $a = flow($b, 'prompt=none with max_age, no session', $C, params => [prompt => 'none', max_age => 3600],
              pages => ['redirect']);
    authz_error_ok($a->{res}, $RP, 'login_required', $STATE, 'prompt=none with max_age without a session');
}

# ---------------------------------------------------------- first login, then SSO
my $a = flow($b, 'first login', $C, user => [$u1, 'pw-one-1'], pages => ['login', 'redirect']);
my ($c1, $hint1) = redeem($a, $C, 'first login');
is($c1->{sub}, $sub1, 'first login: sub of the user');
my $T1 = $c1->{auth_time};

$a = flow($b, 'SSO', $C, pages => ['redirect']);
my ($c) = redeem($a, $C, 'SSO');
is($c->{sub}, $sub1, 'SSO: the same sub');
is($c->{auth_time}, $T1, 'SSO: the same auth_time');
is($c->{sid}, $c1->{sid}, 'SSO: the same sid');

$a = flow($b, 'SSO to another client', [$id_b, $secret_b, 'basic'], pages => ['redirect']);
($c) = redeem($a, [$id_b, $secret_b, 'basic'], 'SSO to another client');
is($c->{sub}, $sub1, 'SSO to another client: the same sub');
is($c->{auth_time}, $T1, 'SSO to another client: the same auth_time');

$a = flow($b, 'prompt=none with a session', $C, params => [prompt => 'none'], pages => ['redirect']);
is_deeply([sort @{ $a->{cb}->{names} || [] }], [qw(code iss state)], 'prompt=none with a session: a code, no error');
($c) = redeem($a, $C, 'prompt=none with a session');
is($c->{sub}, $sub1, 'prompt=none with a session: the same sub');
is($c->{auth_time}, $T1, 'prompt=none with a session: the same auth_time');

$a = flow($b, 'prompt=none, a client never consented to', [$third], params => [prompt => 'none'], pages => ['redirect']);
authz_error_ok($a->{res}, $RP, 'consent_required', $STATE, 'prompt=none for a client that needs consent');

# max_age larger than the session's age: no login, auth_time stays
for my $max (15000, 10000) {
    $a = flow($b, "max_age=$max", $C, params => [max_age => $max], pages => ['redirect']);
    ($c) = redeem($a, $C, "max_age=$max");
    is($c->{auth_time}, $T1, "max_age=$max: the same auth_time");
    is($c->{sub}, $sub1, "max_age=$max: the same sub");
}

# ---------------------------------------------------------- id_token_hint
$a = flow($b, 'id_token_hint of the signed-in user with prompt=none', $C,
          params => [prompt => 'none', id_token_hint => $hint1], pages => ['redirect']);
($c) = redeem($a, $C, 'id_token_hint');
is($c->{sub}, $sub1, 'id_token_hint: the same sub');
is($c->{auth_time}, $T1, 'id_token_hint: the same auth_time');
{
    # another user's ID token as the hint
    my $b2 = browser();
    my $a2 = flow($b2, 'second user signs in', $C, user => [$u2, 'pw-two-2'], pages => ['login', 'redirect']);
    my ($c2, $hint2) = redeem($a2, $C, 'second user');
    is($c2->{sub}, $sub2, 'second user: their own sub');

    my $r = flow($b, "another user's id_token_hint with prompt=none", $C,
                 params => [prompt => 'none', id_token_hint => $hint2], pages => ['redirect']);
    authz_error_ok($r->{res}, $RP, 'login_required', $STATE, "another user's id_token_hint with prompt=none");

    # without prompt=none the hinted user is asked to sign in, in a browser of the first
    my $b3 = browser();
    flow($b3, 'third browser signs in as the first user', $C, user => [$u1, 'pw-one-1'], pages => ['login', 'redirect']);
    $r = flow($b3, "another user's id_token_hint", $C, params => [id_token_hint => $hint2],
              user => [$u2, 'pw-two-2'], pages => ['login', 'redirect']);
    ($c) = redeem($r, $C, 'signed in as the hinted user');
    is($c->{sub}, $sub2, 'signed in as the hinted user: their sub');

    # an expired-looking but genuine hint is still a hint; a changed one is refused
    my @p = split /\./, $hint1;
    my (undef, $claims) = jwt_decode($hint1);
    my $forged = join '.', $p[0], b64url_encode(JSON::PP->new->canonical->encode({ %$claims, sub => $sub2 })), $p[2];
    $r = flow($b, 'an id_token_hint with a changed sub', $C, params => [prompt => 'none', id_token_hint => $forged],
              pages => ['redirect']);
    authz_error_ok($r->{res}, $RP, 'invalid_request', $STATE, 'an id_token_hint with a changed sub');
}

# ---------------------------------------------------------- prompt=login
after_second($T1);
$a = flow($b, 'prompt=login', $C, params => [prompt => 'login'], user => [$u1, 'pw-one-1'], pages => ['login', 'redirect']);
($c) = redeem($a, $C, 'prompt=login');
my $T2 = $c->{auth_time};
ok($T2 > $T1, 'prompt=login: auth_time strictly later than the first login') or diag("$T2 <= $T1");
is($c->{sub}, $sub1, 'prompt=login: the same user');
isnt($c->{sid}, $c1->{sid}, 'prompt=login: a new login session (sid)');
$a = flow($b, 'SSO after prompt=login', $C, pages => ['redirect']);
($c) = redeem($a, $C, 'SSO after prompt=login');
is($c->{auth_time}, $T2, 'SSO after prompt=login: the new auth_time');

$a = flow($b, 'prompt=login, then Cancel', $C, params => [prompt => 'login'], cancel => 1,
          pages => ['login', 'redirect']);
authz_error_ok($a->{res}, $RP, 'access_denied', $STATE, 'prompt=login, then Cancel');

# ---------------------------------------------------------- max_age=1
after_second($T2 + 1);
Time::HiRes::sleep(0.2);
$a = flow($b, 'max_age=1 with an older session and prompt=none', $C, params => [max_age => 1, prompt => 'none'],
          pages => ['redirect']);
authz_error_ok($a->{res}, $RP, 'login_required', $STATE, 'max_age=1, prompt=none, session older than 1 s');
$a = flow($b, 'max_age=1', $C, params => [max_age => 1], user => [$u1, 'pw-one-1'], pages => ['login', 'redirect']);
my $before = time;
($c) = redeem($a, $C, 'max_age=1');
my $T3 = $c->{auth_time};
ok($T3 > $T2, 'max_age=1: auth_time strictly later than the previous login') or diag("$T3 <= $T2");
ok($T3 >= $before - 2, 'max_age=1: auth_time is recent');
is($c->{sub}, $sub1, 'max_age=1: the same user');

# ---------------------------------------------------------- max_age=0 is prompt=login (OIDC Core 3.1.2.1)
{
    my $b4 = browser();
    # right after a second boundary, so that the login and the next request
    # share their second (if they do not, the check is merely easier)
    after_second(time);
    my $r = flow($b4, 'sign in', $C, user => [$u1, 'pw-one-1'], pages => ['login', 'redirect']);
    $r = flow($b4, 'max_age=0 within the second of the login (max_age=0 is prompt=login)', $C,
              params => [max_age => 0], pages => ['login']);
}

done_testing;
