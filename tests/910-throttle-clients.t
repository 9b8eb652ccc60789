# Throttling of client secret guessing at every endpoint that authenticates
# clients (token, introspection, revocation), with the defaults. Each party
# comes from an address of its own (X-Forwarded-For, tests/conf/extra.conf.in).
# 200 wrong secrets for one client from one address: 401 until the free
# attempts are spent, then 429 temporarily_unavailable with Retry-After and
# the secret left unchecked; an unknown client_id is answered the same; the
# right secret from that address is refused meanwhile, from a clean address
# it gets its token at once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Time::HiRes qw(time);
use OIDP::Test;

my $id = unique_id('thr-svc');
my $secret = client_add($id, grant_types => 'client_credentials', scopes => 'api');
my $ghost = unique_id('thr-nosuch');
my $net = 1 + int(rand(250));
my ($A, $B, $C, $D) = ("198.51.100.$net", "203.0.113.$net", "192.0.2.$net", "198.18.$net.1");
my $m = marker();

sub tok {
    my ($ip, $cid, $sec, $path) = @_;
    return token_request(client => [$cid, $sec, 'basic'], path => $path,
                         headers => ['X-Forwarded-For' => $ip],
                         params => [grant_type => 'client_credentials', scope => 'api']);
}

my (%st, %took);
for my $case ([known => $id, $A], [unknown => $ghost, $B]) {
    my ($name, $cid, $ip) = @$case;
    my $t0 = time;
    $st{$name} = [map { tok($ip, $cid, "wrong-$m-$_") } 1 .. 200];
    $took{$name} = time - $t0;
    my @codes = map { $_->code } @{ $st{$name} };
    is_deeply([@codes[0 .. 5]], [(401) x 6], "$name client: the first 6 wrong secrets get 401");
    my $n401 = grep { $_ == 401 } @codes;
    my $n429 = grep { $_ == 429 } @codes;
    is($n401 + $n429, 200, "$name client: every answer is 401 or 429");
    cmp_ok($n401, '<=', 12, "$name client: at most 12 of 200 secrets were checked ($n401)");
    my $r = $st{$name}->[6];
    error_ok($r, 429, 'temporarily_unavailable', "$name client: the 7th attempt");
    like($r->header('Retry-After') // '', qr/^[1-9]\d*$/, "$name client: ... with Retry-After in seconds");
    ok(!grep({ $_->code == 429 && ($_->header('Retry-After') // '') !~ /^[1-9]\d*$/ } @{ $st{$name} }),
       "$name client: every 429 has Retry-After");
    diag(sprintf('%s client from %s: 200 wrong secrets in %.1f s: %d checked (401), %d refused unchecked (429)',
                 $name, $ip, $took{$name}, $n401, $n429));
}
is_deeply([map { $_->code } @{ $st{known} }[0 .. 6]], [map { $_->code } @{ $st{unknown} }[0 .. 6]],
          'a known and an unknown client get the same answers');
is($st{known}->[6]->decoded_content, $st{unknown}->[6]->decoded_content, '... word for word');

# the right secret: held at the guessing address (wait for a long enough delay first)
{
    my ($n, $r) = (0);
    for (1 .. 20) {
        $r = tok($A, $id, "wrong-$m-more");
        $n = $r->code == 429 ? $r->header('Retry-After') : 0;
        last if $n >= 8;
        select(undef, undef, undef, $n + 0.05);
    }
    cmp_ok($n, '>=', 8, 'a guesser that waits out each delay is held 8 s after its 9th checked failure');
    error_ok(tok($A, $id, $secret), 429, 'temporarily_unavailable',
             'the right secret from the guessing address: refused unchecked');
    my $t0 = time;
    $r = tok($C, $id, $secret);
    is($r->code, 200, 'the right secret from a clean address: a token at once');
    ok((json_of($r) // {})->{access_token}, '... an access token');
    diag(sprintf('the real client from a clean address got its token in %.0f ms', 1000 * (time - $t0)));
}

# introspection and revocation count and refuse the same way
{
    my @r = map { $_ % 2
        ? post_form('/api/login/oauth/introspect', [token => 'x'], headers => ['X-Forwarded-For' => $D,
              Authorization => basic_header($id, "wrong-$m-i$_")])
        : post_form('/revoke', [token => 'x'], headers => ['X-Forwarded-For' => $D,
              Authorization => basic_header($id, "wrong-$m-r$_")]) } 1 .. 6;
    is_deeply([map { $_->code } @r], [(401) x 6], 'introspection and revocation: 6 wrong secrets get 401');
    # a delay long enough that a loaded machine still asks within it: wait
    # out each delay and fail again until the address is held 4 s or more
    my ($n, $w) = (0);
    for (1 .. 20) {
        $w = post_form('/api/login/oauth/introspect', [token => 'x'], headers => ['X-Forwarded-For' => $D,
              Authorization => basic_header($id, "wrong-$m-w$_")]);
        $n = $w->code == 429 ? $w->header('Retry-After') : 0;
        last if $n >= 4;
        select(undef, undef, undef, $n + 0.05);
    }
    cmp_ok($n, '>=', 4, 'introspection: a guesser that waits out each delay is held 4 s');
    error_ok(post_form('/api/login/oauth/introspect', [token => 'x'],
                       headers => ['X-Forwarded-For' => $D, Authorization => basic_header($id, $secret)]),
             429, 'temporarily_unavailable', 'then introspection refuses even the right secret');
    error_ok(post_form('/revoke', [token => 'x'],
                       headers => ['X-Forwarded-For' => $D, Authorization => basic_header($id, $secret)]),
             429, 'temporarily_unavailable', '... and so does revocation');
    error_ok(tok($D, $id, $secret), 429, 'temporarily_unavailable', '... and the token endpoint');
}

my ($ev) = audit_events();
ok(scalar(grep { $_->{event} eq 'client_auth_failed' && $_->{ip} eq $A && ($_->{reason} // '') eq 'wrong_secret'
                 && $_->{client_id} eq $id } @$ev), 'audit: client authentication failures, with the client_id');
ok(scalar(grep { $_->{event} eq 'client_auth_failed' && $_->{ip} eq $B && ($_->{reason} // '') eq 'unknown_client'
                 && !exists $_->{client_id} } @$ev), 'audit: an unknown client_id is not written');
ok(scalar(grep { $_->{event} eq 'client_auth_failed' && $_->{ip} eq $A && ($_->{reason} // '') eq 'throttled' } @$ev),
   'audit: refused attempts');
ok(scalar(grep { $_->{event} eq 'throttle_engaged' && $_->{ip} eq $A && $_->{key} eq 'client' } @$ev),
   'audit: the throttle engaged for the client');
ok(scalar(grep { $_->{event} eq 'throttle_released' && $_->{ip} eq $C && $_->{key} eq 'client' } @$ev),
   'audit: ... and was released by the right secret');

done_testing();
