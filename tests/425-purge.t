# The purge of expired rows inside httpd (OIDCIdPPurgeInterval 2s in
# tests/conf/extra.conf.in, mod_watchdog): tokens of the oidp_short vhost
# (3 seconds) are deleted by the server itself, with no request and no admin
# command, on SQLite and PostgreSQL alike; afterwards `oidc-idp-admin purge`
# finds nothing left to delete. The whole suite runs with this purge every
# two seconds, so every other test also runs beside it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;
use Time::HiRes ();

my $V = 'oidp_short';
# its own database (one database serves one issuer)
mirror($V);
my $RP = 'https://rp.example.test/cb';
my $uname = unique_id('purge-u');
user_add($uname, password => 'purge-pw');
my $id = unique_id('purge-client');
my $secret = client_add($id, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP],
                        first_party => 1);
# client_credentials access tokens leave no row; a code flow's access and
# refresh tokens and its session do (each 3 seconds here)
# the log from here: a purge may run any time after the tokens expire,
# also before this test looks (it ran every 2 s all along)
my $off = log_offset();
my @tokens;
for (1 .. 2) {
    my $f = code_flow(client => [$id, $secret, 'basic'], redirect_uri => $RP, user => [$uname, 'purge-pw'],
                      scope => 'openid offline_access', vhost => $V, path => '/authorize');
    is($f->{res}->code, 200, "a code flow with 3-second tokens on $V") or diag($f->{res}->as_string);
    push @tokens, grep { defined } @{ $f->{tokens} }{qw(access_token refresh_token)};
}
is(scalar @tokens, 4, 'two access and two refresh tokens');
# every token has expired once its 3 seconds are over; the next purge after
# that deletes them (at most 2 s later, more on a loaded machine)
Time::HiRes::sleep(3.5);
my ($log, $deadline) = ('', time + 30);
until ($log =~ /OIDP00623: purged [1-9]\d* expired rows/ || time > $deadline) {
    Time::HiRes::sleep(0.25);
    $log = log_since($off);
}
like($log, qr/\[oidc_idp:info\] \[pid \d+[^\]]*\] OIDP00623: purged [1-9]\d* expired rows/,
    'httpd purged the expired tokens by itself (OIDP00623 at info)');
# rows of the second flow may expire a second after the first purge that
# logged (whole seconds): one more interval, and the server has deleted all
Time::HiRes::sleep(2.5);
my ($rc, $out, $err) = admin_on($V, 'purge');
is($rc, 0, 'oidc-idp-admin purge runs') or diag($err);
like($out, qr/^purged 0 /, 'and finds nothing expired left: the server had deleted it') or diag($out);
for my $t (@tokens) {
    my $res = post_form('/api/login/oauth/introspect', [token => $t],
        headers => [Authorization => basic_header($id, $secret)], vhost => $V);
    is(json_of($res) && json_of($res)->{active} ? 1 : 0, 0, 'a purged token introspects inactive');
}
unlike(log_since($off), qr/OIDP0062[12]/, 'no purge failed');

done_testing();
