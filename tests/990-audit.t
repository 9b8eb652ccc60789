# The audit log of the whole run (OIDCIdPAuditLog in tests/conf/extra.conf.in),
# read after every other file: each line one JSON object with the common
# fields; every event type present (so this file needs the whole suite: run
# `sh tests/suite.sh sqlite3`); and none of the secrets the suite sent or
# received (passwords, client secrets, codes, verifiers, access, refresh and
# ID tokens: tests/lib/OIDP/Test.pm records each in the run's secrets file).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $state = $ENV{OIDP_TEST_STATE} or die "run through tests/suite.sh\n";
my $log = do { local $/; open my $fh, '<', "$state/audit.log" or die "$state/audit.log: $!\n"; <$fh> };
my ($ev) = audit_events();
cmp_ok(scalar @$ev, '>', 100, 'the audit log has the events of the run (' . scalar(@$ev) . ' lines)');
ok(!grep({ exists $_->{_bad} } @$ev), 'every line is one JSON object');
ok(!grep({ length > 4000 } split /\n/, $log), 'every line is shorter than a pipe write (PIPE_BUF)');
my @missing = grep { my $e = $_; grep { !defined $e->{$_} || !length $e->{$_} } qw(time event issuer ip request_id) } @$ev;
is(scalar @missing, 0, 'every line has time, event, issuer, ip and request_id');
ok(!grep({ $_->{time} !~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ } @$ev), 'times are UTC with milliseconds');

my %seen;
for (@$ev) {
    $seen{ $_->{event} }++;
    $seen{"$_->{event}:$_->{outcome}"}++ if defined $_->{outcome};
    $seen{"$_->{event}:reason=$_->{reason}"}++ if defined $_->{reason};
}
for my $type (qw(signin:success signin:failure signin:reason=wrong_password signin:reason=unknown_user
                 signin:reason=disabled signin:reason=throttled signin:cancelled consent:given consent:denied
                 code_issued code_redeemed code_replayed token_issued token_refreshed token_revoked
                 refresh_replayed grant_revoked logout client_auth_failed client_auth_failed:reason=wrong_secret
                 client_auth_failed:reason=unknown_client client_auth_failed:reason=throttled
                 throttle_engaged throttle_released)) {
    ok($seen{$type}, "the run logged $type" . ($seen{$type} ? " ($seen{$type})" : ''));
}

# the secrets of the run
open(my $fh, '<', "$state/secrets") or die "$state/secrets: $!\n";
my (%secrets, %kinds);
while (my $line = <$fh>) {
    chomp $line;
    my ($kind, $v) = split /\t/, $line, 2;
    next unless defined $v;
    $secrets{$v} //= $kind;
    (my $k = $kind) =~ s/^[^:]*://;
    $kinds{$k}++;
}
close $fh;
cmp_ok(scalar keys %secrets, '>', 200, 'the suite recorded the secrets it used (' . scalar(keys %secrets) . ')');
for my $k (qw(password client_secret basic code access_token refresh_token id_token)) {
    ok($kinds{$k}, "... among them ${k}s ($k: " . ($kinds{$k} // 0) . ')');
}
my @found = grep { index($log, $_) >= 0 } sort keys %secrets;
is(scalar @found, 0, 'no secret of the run is in the audit log')
    or diag(join "\n", map { "$secrets{$_}: $_" } @found[0 .. ($#found < 9 ? $#found : 9)]);

done_testing();
