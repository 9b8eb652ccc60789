# The server starts with mod_oidc_idp and mod_dbd loaded, the configuration
# resolved (every ${OIDP_TEST_*} defined), and reaches the run's database.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $log = log_since(0);
unlike($log, qr/AH00111/, 'every ${VAR} of the configuration is defined');
unlike($log, qr/\[oidc_idp:(?:emerg|alert|crit|error|warn)\]/, 'mod_oidc_idp logged no warning at start-up');
# mod_dbd warns when a statement label is registered twice in one server:
# virtual hosts inherit the main server's labels, so registering them again
# per vhost gives one warning per label, vhost and start.
my @dbd = $log =~ /^(.*\[dbd:(?:warn|error|crit|alert|emerg)\].*)$/mg;
is(scalar @dbd, 0, 'mod_dbd logged no warning at start-up')
    or diag(scalar(@dbd) . " lines, the first: $dbd[0]");
like(Apache::Test::config()->{vars}->{user} // '', qr/\S/, 'httpd runs as a configured user');

# mod_oidc_idp answers (not a file, not mod_dir): discovery of the main server
my $res = get('/.well-known/openid-configuration');
my $d = json_ok($res, 200, 'discovery');
is($d->{issuer}, issuer(), 'discovery comes from mod_oidc_idp with the configured issuer');

# The store is reachable: an unknown client is looked up and refused (a
# database that cannot be reached answers 503 temporarily_unavailable).
my $m = marker();
$res = post_form('/introspect', [token => 'x'],
    headers => [Authorization => basic_header("nobody-$m", 'secret')]);
error_ok($res, 401, 'invalid_client', 'the store answers a client lookup');

# The admin tool reaches the same database as httpd.
my $id = unique_id('load');
my $secret = client_add($id);
$res = token_request(client => [$id, $secret, 'basic']);
json_ok($res, 200, 'a client added with the admin tool gets a token');

my $backend = $ENV{OIDP_TEST_BACKEND};
like(log_since(0), qr/oidc_idp|resuming normal operations/, "the server logged its start ($backend)");

done_testing();
