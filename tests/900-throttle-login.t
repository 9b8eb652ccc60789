# Throttling of password guessing at the login form, with the defaults
# (5 free failures, then 1 s, 2, 4 ... up to 5 minutes; 15 minutes'
# window). The suite's loopback is exempt (tests/conf/extra.conf.in): each
# party here comes from an address of its own through X-Forwarded-For.
# 200 wrong passwords for one account from one address are stopped (timing
# printed); the right password from that address is refused unchecked, from
# a clean address it signs in at once; an unknown account is answered the
# same way, message for message and in about the same time; an address that
# failed itself waits for the account, a clean one does not; the audit log
# tells checked from refused attempts, and says when the throttle engaged
# and was released.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use List::Util qw(sum);
use Time::HiRes qw(time);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my $m = marker();
my $alice = unique_id('thr-alice');
my $PW = "right-$m-pw";
my $alice_sub = user_add($alice, password => $PW);
my $ghost = unique_id('thr-ghost');    # no such user
my $id = unique_id('thr-app');
client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1);
my @AUTHZ = (response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid',
             state => 'st', nonce => 'n');
# a per-run /24 of TEST-NET-2 and -3, so a second run on the same database starts clean
my $net = 1 + int(rand(250));
my ($A, $B, $C) = ("198.51.100.$net", "203.0.113.$net", "192.0.2.$net");

sub error_text {
    my $res = shift;
    my ($t) = ($res->decoded_content // '') =~ m{<p class="error"[^>]*>(.*?)</p>}s;
    return $t // '';
}

# A browser at ADDRESS on the login page.
sub at {
    my $ip = shift;
    my $b = browser();
    $b->default_header('X-Forwarded-For' => $ip);
    my $r = get(query_path('/login/oauth/authorize', @AUTHZ), ua => $b);
    die "no login page for $ip: " . $r->status_line . "\n" unless page_kind($r) eq 'login';
    return [$b, OIDP::Test::login_form($r)];
}

# One attempt: [status, message, seconds taken, page kind, response]
sub attempt {
    my ($who, $user, $pw) = @_;
    my ($b, $form) = @$who;
    my $t0 = time;
    my $r = form_submit($b, $form, fill => { username => $user, password => $pw },
                        button => [oidp_action => 'login']);
    my $dt = time - $t0;
    my $kind = page_kind($r);
    $who->[1] = OIDP::Test::login_form($r) if $kind eq 'login';
    return [$r->code, error_text($r), $dt, $kind, $r];
}

sub shape { my $s = shift; $s =~ s/\d+ seconds?/N seconds/; return $s }

my (undef, $audit0) = audit_events();

# ---------------------------------------------------------- 200 wrong passwords
my (%run, %took);
for my $case ([known => $alice, $A], [unknown => $ghost, $B]) {
    my ($name, $user, $ip) = @$case;
    my $who = at($ip);
    my $t0 = time;
    $run{$name} = [map { attempt($who, $user, "wrong-$m-$_") } 1 .. 200];
    $took{$name} = time - $t0;
}
for my $name (qw(known unknown)) {
    my @r = @{ $run{$name} };
    is(scalar(grep { $_->[0] == 200 && $_->[3] eq 'login' } @r), 200,
       "$name account: 200 attempts, each answered with the login page");
    is_deeply([map { $_->[1] } @r[0 .. 4]], [('Incorrect username or password.') x 5],
              "$name account: the first 5 failures say so");
    like($r[5]->[1], qr/^Too many attempts\. Try again in 1 second\.$/,
         "$name account: the 6th says to wait 1 second");
    my @waits = map { $_->[1] =~ /in (\d+) second/ ? $1 : () } @r[5 .. 199];
    is(scalar @waits, 195, "$name account: every later answer says too many attempts, try again in N seconds");
}

# how many were checked (bcrypt) and how many refused unchecked: the audit log
my ($ev) = audit_events($audit0);
my %checked = map { my $ip = $_; ($ip => scalar grep {
    $_->{event} eq 'signin' && ($_->{ip} // '') eq $ip && ($_->{reason} // '') =~ /^(wrong_password|unknown_user)$/
} @$ev) } $A, $B;
my %refused = map { my $ip = $_; ($ip => scalar grep {
    $_->{event} eq 'signin' && ($_->{ip} // '') eq $ip && ($_->{reason} // '') eq 'throttled'
} @$ev) } $A, $B;
for my $case ([known => $A], [unknown => $B]) {
    my ($name, $ip) = @$case;
    is($checked{$ip} + $refused{$ip}, 200, "$name account: 200 sign-in events in the audit log");
    cmp_ok($checked{$ip}, '<=', 12, "$name account: at most 12 of 200 passwords were checked ($checked{$ip})");
    cmp_ok($refused{$ip}, '>=', 188, "$name account: the rest were refused without checking ($refused{$ip})");
    my $next = $run{$name}->[-1]->[1] =~ /in (\d+) second/ ? $1 : 0;
    # the time 200 guesses would take at this rate: the delays after the free attempts
    my $need = sum(map { my $d = 2**($_ - 6); $d > 300 ? 300 : $d } 6 .. 199);
    diag(sprintf("%s account from %s: 200 wrong passwords in %.1f s: %d checked, %d refused unchecked; "
                 . "the next guess waits %d s; 200 real guesses from one address take %.1f h",
                 $name, $ip, $took{$name}, $checked{$ip}, $refused{$ip}, $next, $need / 3600));
}
ok(scalar(grep { $_->{event} eq 'throttle_engaged' && $_->{ip} eq $A && $_->{key} eq 'address' } @$ev),
   'the audit log says the throttle engaged for the address');
ok(scalar(grep { $_->{event} eq 'throttle_engaged' && $_->{ip} eq $A && $_->{key} eq 'account' } @$ev),
   '... and for the account');
ok(!grep({ ($_->{username} // '') eq $ghost } @$ev), 'the unknown account is never named in the audit log');

# ---------------------------------------------------------- known and unknown alike
is_deeply([map { shape($_->[1]) } @{ $run{known} }[0 .. 6]], [map { shape($_->[1]) } @{ $run{unknown} }[0 .. 6]],
          'a known and an unknown account get the same answers, in the same order');
{
    # attempts 2 to 5 (the first may pay for a new connection)
    my @k = sort { $a <=> $b } map { $_->[2] } @{ $run{known} }[1 .. 4];
    my @u = sort { $a <=> $b } map { $_->[2] } @{ $run{unknown} }[1 .. 4];
    my ($mk, $mu) = (($k[1] + $k[2]) / 2, ($u[1] + $u[2]) / 2);
    diag(sprintf('median time of a checked attempt: known %.0f ms, unknown %.0f ms', 1000 * $mk, 1000 * $mu));
    ok($mu > $mk / 3 && $mu < $mk * 3, 'a checked attempt costs about the same for a known and an unknown account');
    my ($rk) = sort { $a <=> $b } map { $_->[2] } @{ $run{known} }[10 .. 199];
    my ($ru) = sort { $a <=> $b } map { $_->[2] } @{ $run{unknown} }[10 .. 199];
    ok(abs($rk - $ru) < 0.5, 'a refused attempt too');
}

# ---------------------------------------------------------- the right password
{
    # the guesser goes on as fast as the throttle lets it, until a failure
    # costs it 8 s (the 9th checked one)
    my $who = at($A);
    my $t0 = time;
    my ($n, $r) = (0);
    for (1 .. 20) {
        $r = attempt($who, $alice, "wrong-$m-more");
        $n = $r->[1] =~ /in (\d+) second/ ? $1 : 0;
        last if $n >= 8;
        select(undef, undef, undef, $n + 0.05);
    }
    cmp_ok($n, '>=', 8, 'a guesser that waits out each delay is held 8 s after its 9th checked failure');
    diag(sprintf('waiting out the delays to the 9th checked failure took %.1f s', time - $t0));
    $r = attempt($who, $alice, $PW);
    is($r->[3], 'login', 'the right password from the guessing address: refused (the login page again)');
    like($r->[1], qr/^Too many attempts\. Try again in \d+ seconds?\.$/, '... saying how long to wait');
    $t0 = time;
    $r = attempt(at($C), $alice, $PW);
    my $dt = time - $t0;
    is($r->[3], 'redirect', 'the right password from a clean address: signed in at once, while the account is under attack');
    my $cb = authz_response($r->[4], $RP);
    ok($cb && $cb->{params}->{code}, '... with a code');
    diag(sprintf('the real user from a clean address signed in in %.0f ms', 1000 * $dt));
    ($ev) = audit_events($audit0);
    ok(scalar(grep { $_->{event} eq 'signin' && ($_->{outcome} // '') eq 'success' && $_->{ip} eq $C
                     && $_->{sub} eq $alice_sub && $_->{username} eq $alice } @$ev),
       'the audit log has the sign-in, with sub and username');
    ok(scalar(grep { $_->{event} eq 'throttle_released' && $_->{ip} eq $C && $_->{key} eq 'account' } @$ev),
       '... and the release of the account\'s counter');
    $r = attempt(at($A), $alice, $PW);
    is($r->[3], 'login', 'the guessing address stays held (a success elsewhere does not clear it)');
}

# ---------------------------------------------------------- many addresses, one account
{
    my $bob = unique_id('thr-bob');
    user_add($bob, password => $PW);
    my @who = map { at("198.18.$net.$_") } 1 .. 8;    # one failure each: the account is held
    attempt($_, $bob, "wrong-$m") for @who;
    my $r = attempt($who[0], $bob, $PW);
    like($r->[1], qr/^Too many attempts/, 'an address that failed once waits for the held account, even with the right password');
    $r = attempt(at("198.18.$net.200"), $bob, $PW);
    is($r->[3], 'redirect', 'a clean address signs in to the held account at once');
}

done_testing();
