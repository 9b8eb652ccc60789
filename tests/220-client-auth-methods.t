# Client authentication methods (RFC 6749 2.3.1): a client with a secret
# sends it with HTTP Basic or in the body, whatever it registered (as
# Roundcube, which sends only the body, and Dovecot 2.4, which sends only
# Basic, need from one client), at the token, introspection and revocation
# endpoints; a client pinned to its method (--pin-auth-method) accepts only
# that one; still one method per request, a public client is refused a
# secret, and every failure gets the same answer.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $basic_id = unique_id('am-basic');
my $basic_secret = client_add($basic_id, scopes => 'api');
my $post_id = unique_id('am-post');
my $post_secret = client_add($post_id, auth_method => 'client_secret_post', scopes => 'api');
my $pinpost_id = unique_id('am-pinned-post');
my $pinpost_secret = client_add($pinpost_id, auth_method => 'client_secret_post', pin => 1,
                                scopes => 'api');
my $pinbasic_id = unique_id('am-pinned-basic');
my $pinbasic_secret = client_add($pinbasic_id, pin => 1, scopes => 'api');
my $public_id = unique_id('am-public');
client_add($public_id, public => 1, grant_types => 'authorization_code');

sub cc {
    my ($id, $secret, $how, @more) = @_;
    return token_request(client => [$id, $secret, $how],
                         params => [grant_type => 'client_credentials', scope => 'api', @more]);
}

sub token_ok {
    my ($res, $name) = @_;
    my $j = json_of($res);
    ok($res->code == 200 && $j && $j->{access_token}, "$name: 200 with an access token")
        or diag($res->as_string);
    return $j ? $j->{access_token} : undef;
}

sub invalid_client_ok {
    my ($res, $name) = @_;
    my $j = error_ok($res, 401, 'invalid_client', $name);
    return $j ? $j->{error_description} : undef;
}

# ------------------------------------------------------------ negative first
# pinned: the right secret by the other method is refused
invalid_client_ok(cc($pinpost_id, $pinpost_secret, 'basic'),
                  'a client pinned to client_secret_post, using Basic');
invalid_client_ok(cc($pinbasic_id, $pinbasic_secret, 'post'),
                  'a client pinned to client_secret_basic, using the body');

# one method per request: Basic and a client_secret in the body
my $res = token_request(client => [$basic_id, $basic_secret, 'basic'],
                        params => [grant_type => 'client_credentials', scope => 'api',
                                   client_secret => $basic_secret]);
error_ok($res, 400, 'invalid_request', 'Basic and client_secret in one request');

# a public client presenting a secret
invalid_client_ok(token_request(client => [$public_id, 'made-up', 'post'],
                                params => [grant_type => 'client_credentials']),
                  'a public client with a secret');

# every failure looks alike, whichever method
my $wrong_basic = invalid_client_ok(cc($post_id, 'wrong', 'basic'), 'a wrong secret by Basic');
my $wrong_post = invalid_client_ok(cc($basic_id, 'wrong', 'post'), 'a wrong secret in the body');
my $unknown = invalid_client_ok(cc(unique_id('ghost'), 'wrong', 'post'), 'an unknown client');
is($wrong_basic, $unknown, 'a wrong secret by Basic is answered like an unknown client');
is($wrong_post, $unknown, 'a wrong secret in the body is answered like an unknown client');
my $pinned_wrong = invalid_client_ok(cc($pinpost_id, 'wrong', 'post'),
                                     'a pinned client with a wrong secret');
is($pinned_wrong, $unknown, 'a pinned client with a wrong secret is answered like the others');

# ------------------------------------------------------------ positive
# a client registered with client_secret_basic (the admin tool's default)
my $t1 = token_ok(cc($basic_id, $basic_secret, 'basic'), 'default client, Basic');
my $t2 = token_ok(cc($basic_id, $basic_secret, 'post'), 'default client, the secret in the body');
# one registered with client_secret_post
my $t3 = token_ok(cc($post_id, $post_secret, 'post'), 'client_secret_post client, the body');
my $t4 = token_ok(cc($post_id, $post_secret, 'basic'), 'client_secret_post client, Basic');
# pinned clients by their own method
token_ok(cc($pinpost_id, $pinpost_secret, 'post'), 'pinned client_secret_post, the body');
token_ok(cc($pinbasic_id, $pinbasic_secret, 'basic'), 'pinned client_secret_basic, Basic');

# the same at introspection and revocation, both paths
sub call {
    my ($path, $token, $id, $secret, $how) = @_;
    return $how eq 'post'
        ? post_form($path, [token => $token, client_id => $id, client_secret => $secret])
        : post_form($path, [token => $token], headers => [Authorization => basic_header($id, $secret)]);
}
for my $path ('/introspect', '/api/login/oauth/introspect') {
    for my $how ('basic', 'post') {
        my $j = json_of(call($path, $t1, $basic_id, $basic_secret, $how));
        ok($j && $j->{active}, "$path: the default client introspects by $how");
    }
    error_ok(call($path, $t1, $pinbasic_id, $pinbasic_secret, 'post'), 401, 'invalid_client',
             "$path: the pinned client_secret_basic client in the body");
}
my $r = call('/revoke', $t2, $basic_id, $basic_secret, 'post');
is($r->code, 200, '/revoke: the default client revokes with the secret in the body');
$r = call('/api/login/oauth/revoke', $t4, $post_id, $post_secret, 'basic');
is($r->code, 200, '/api/login/oauth/revoke: a client_secret_post client revokes with Basic');
my $j = json_of(call('/introspect', $t2, $basic_id, $basic_secret, 'basic'));
ok($j && !$j->{active}, 'the token revoked through the body is inactive');
$j = json_of(call('/introspect', $t4, $post_id, $post_secret, 'post'));
ok($j && !$j->{active}, 'the token revoked through Basic is inactive');
error_ok(call('/revoke', $t3, $pinpost_id, $pinpost_secret, 'basic'), 401, 'invalid_client',
         '/revoke: the pinned client_secret_post client with Basic');

# discovery lists both secret methods everywhere
my $d = json_of(get('/.well-known/openid-configuration'));
for my $k (qw(token_endpoint_auth_methods_supported introspection_endpoint_auth_methods_supported
              revocation_endpoint_auth_methods_supported)) {
    my %m = map { $_ => 1 } @{ $d->{$k} || [] };
    ok($m{client_secret_basic} && $m{client_secret_post}, "discovery: $k lists both");
}

# the admin tool says which clients are pinned
my ($rc, $out) = admin('--json', 'client', 'show', $pinpost_id);
my $show = eval { JSON::PP::decode_json($out) };
ok(!$rc && $show && $show->{auth_method_pinned}, 'client show: the pinned client is pinned');
($rc, $out) = admin('--json', 'client', 'show', $basic_id);
$show = eval { JSON::PP::decode_json($out) };
ok(!$rc && $show && !$show->{auth_method_pinned}, 'client show: a default client is not pinned');
($rc) = admin('client', 'update', $basic_id, '--pin-auth-method');
is($rc, 0, 'client update --pin-auth-method');
invalid_client_ok(cc($basic_id, $basic_secret, 'post'),
                  'after --pin-auth-method the body is refused at once');
token_ok(cc($basic_id, $basic_secret, 'basic'), 'after --pin-auth-method Basic still works');
($rc) = admin('client', 'update', $basic_id, '--no-pin-auth-method');
token_ok(cc($basic_id, $basic_secret, 'post'), 'after --no-pin-auth-method the body works again');

done_testing();
