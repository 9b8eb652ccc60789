# Changes made with oidc-idp-admin on the run's database are seen by the
# running server at once, without a restart: a new client gets tokens, a new
# secret replaces the old one, changed grant types, scopes and auth method
# apply, and a removed client is unknown and its tokens inactive.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $id = unique_id('live');
my $CC = [grant_type => 'client_credentials', scope => 'api'];

sub admin_ok {
    my ($name, @args) = @_;
    my ($rc, $out, $err) = admin(@args);
    is($rc, 0, "admin: $name") or diag("$err$out");
    return $out;
}

# ---------------------------------------------------------- before it exists
error_ok(token_request(client => [$id, 'anything', 'basic'], params => $CC),
    401, 'invalid_client', 'a client not yet added is unknown');

# ---------------------------------------------------------- add
my $out = admin_ok('client add', 'client', 'add', $id, '--grant-types', 'client_credentials',
    '--scopes', 'api read');
my ($secret) = $out =~ /^client_secret: (\S+)$/m;
ok($secret, 'admin: a secret is printed once');
my $res = token_request(client => [$id, $secret, 'basic'], params => $CC);
my $j = json_ok($res, 200, 'a client just added gets a token');
my $old_token = $j->{access_token};
ok(json_of(post_form('/introspect', [token => $old_token],
    headers => [Authorization => basic_header($id, $secret)]))->{active}, 'its token is active');

# the stored form is a hash, never the secret
{
    my ($rc, $show) = admin('--json', 'client', 'show', $id);
    is($rc, 0, 'admin: client show');
    unlike($show, qr/\Q$secret\E/, 'admin: the secret is not shown again');
}

# ---------------------------------------------------------- new secret
$out = admin_ok('client update --new-secret', 'client', 'update', $id, '--new-secret');
my ($new) = $out =~ /^client_secret: (\S+)$/m;
ok($new && $new ne $secret, 'admin: a different secret is printed');
error_ok(token_request(client => [$id, $secret, 'basic'], params => $CC),
    401, 'invalid_client', 'the old secret fails at once');
json_ok(token_request(client => [$id, $new, 'basic'], params => $CC), 200, 'the new secret works at once');

# a secret chosen by the operator (--secret-stdin)
admin_ok('client update --secret-stdin', stdin => "chosen-secret-$id\n", 'client', 'update', $id,
    '--secret-stdin');
error_ok(token_request(client => [$id, $new, 'basic'], params => $CC),
    401, 'invalid_client', 'the previous secret fails after --secret-stdin');
json_ok(token_request(client => [$id, "chosen-secret-$id", 'basic'], params => $CC), 200,
    'the chosen secret works');
$secret = "chosen-secret-$id";

# ---------------------------------------------------------- scopes
error_ok(token_request(client => [$id, $secret, 'basic'],
        params => [grant_type => 'client_credentials', scope => 'write']),
    400, 'invalid_scope', 'a scope the client does not have yet');
admin_ok('client update --scopes', 'client', 'update', $id, '--scopes', 'api read write');
json_ok(token_request(client => [$id, $secret, 'basic'],
        params => [grant_type => 'client_credentials', scope => 'write']), 200,
    'the added scope is granted at once');

# ---------------------------------------------------------- auth method
admin_ok('client update --auth-method client_secret_post --pin-auth-method', 'client', 'update',
    $id, '--auth-method', 'client_secret_post', '--pin-auth-method');
error_ok(token_request(client => [$id, $secret, 'basic'], params => $CC),
    401, 'invalid_client', 'Basic refused once the client is pinned to client_secret_post');
json_ok(token_request(client => [$id, $secret, 'post'], params => $CC), 200,
    'client_secret_post accepted at once');
admin_ok('client update --auth-method client_secret_basic --no-pin-auth-method', 'client',
    'update', $id, '--auth-method', 'client_secret_basic', '--no-pin-auth-method');
json_ok(token_request(client => [$id, $secret, 'post'], params => $CC), 200,
    'unpinned again: the body is accepted at once');

# ---------------------------------------------------------- grant types
admin_ok('client update --grant-types', 'client', 'update', $id, '--grant-types',
    'authorization_code refresh_token', '--redirect-uri', 'https://app.example.test/cb');
error_ok(token_request(client => [$id, $secret, 'basic'], params => $CC),
    400, 'unauthorized_client', 'client_credentials refused once removed from the grant types');
admin_ok('client update --grant-types client_credentials', 'client', 'update', $id,
    '--grant-types', 'client_credentials');
$res = token_request(client => [$id, $secret, 'basic'], params => $CC);
$j = json_ok($res, 200, 'client_credentials allowed again');
my $live_token = $j->{access_token};

# ---------------------------------------------------------- remove
admin_ok('client remove', 'client', 'remove', $id);
error_ok(token_request(client => [$id, $secret, 'basic'], params => $CC),
    401, 'invalid_client', 'a removed client is unknown at once');
my $other = unique_id('live-rs');
my $other_secret = client_add($other);
for my $t ([$old_token, 'a token from before the changes'], [$live_token, 'a token from just before removal']) {
    $j = json_of(post_form('/introspect', [token => $t->[0]],
        headers => [Authorization => basic_header($other, $other_secret)]));
    is_deeply($j, { active => JSON::PP::false() }, "$t->[1] of the removed client is inactive");
}
{
    my ($rc) = admin('client', 'show', $id);
    is($rc, 2, 'admin: the removed client is not found (exit 2)');
}

# ---------------------------------------------------------- re-add under the same id
my $again = client_add($id, scopes => 'api');
json_ok(token_request(client => [$id, $again, 'basic'], params => $CC), 200,
    'a client added again under the same id works with its new secret');
error_ok(token_request(client => [$id, $secret, 'basic'], params => $CC),
    401, 'invalid_client', "the former client's secret does not work for the new one");

done_testing();
