# Introspection (RFC 7662) and revocation (RFC 7009), both client-
# authenticated, at the standard and the Casdoor paths: a token is active,
# then inactive once revoked; garbage is simply inactive; unknown tokens are
# "revoked" with 200; another client's token is not revoked.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my @INTROSPECT = ('/introspect', '/api/login/oauth/introspect');
my @REVOKE = ('/revoke', '/api/login/oauth/revoke');

my $a_id = unique_id('ir-a');
my $a_secret = client_add($a_id, scopes => 'api read');
my $b_id = unique_id('ir-b');
my $b_secret = client_add($b_id, auth_method => 'client_secret_post', scopes => 'api');
my $public_id = unique_id('ir-public');
client_add($public_id, public => 1, grant_types => 'authorization_code');

sub token_for {
    my ($id, $secret, $how, $scope) = @_;
    my $j = json_of(token_request(client => [$id, $secret, $how],
        params => [grant_type => 'client_credentials', scope => $scope // 'api']));
    return ($j && $j->{access_token}) || die "no token for $id\n";
}

sub introspect {
    my ($path, $token, $client, @more) = @_;
    my ($id, $secret, $how) = @$client;
    my @params = (token => $token, @more);
    return $how eq 'post'
        ? post_form($path, [@params, client_id => $id, client_secret => $secret])
        : post_form($path, \@params, headers => [Authorization => basic_header($id, $secret)]);
}
*revoke = \&introspect;    # same shape of request

my $A = [$a_id, $a_secret, 'basic'];
my $B = [$b_id, $b_secret, 'post'];

# ---------------------------------------------------------- negative first
my $tok = token_for(@$A);
for my $path (@INTROSPECT, @REVOKE) {
    my $res = post_form($path, [token => $tok]);
    error_ok($res, 401, 'invalid_client', "$path without client authentication");
    like($res->header('WWW-Authenticate') // '', qr/^Basic\b/i, "$path: WWW-Authenticate Basic");
    $res = post_form($path, [token => $tok], headers => [Authorization => basic_header($a_id, 'wrong')]);
    error_ok($res, 401, 'invalid_client', "$path with a wrong secret");
    $res = post_form($path, [token => $tok, client_id => $b_id]);
    ok($res->code == 401 || $res->code == 400, "$path with a client_id and no secret is refused");
    $res = get($path);
    error_ok($res, 405, 'invalid_request', "GET $path");
    like($res->header('Allow') // '', qr/^POST(, OPTIONS)?$/, "GET $path: Allow");
    $res = post_form($path, [], headers => [Authorization => basic_header($a_id, $a_secret)]);
    error_ok($res, 400, 'invalid_request', "$path without a token parameter");
    $res = post_form($path, [token => 'a', token => 'b'],
        headers => [Authorization => basic_header($a_id, $a_secret)]);
    error_ok($res, 400, 'invalid_request', "$path with a duplicated token parameter");
    my $m = marker();
    $res = post_form($path, [token => "x$m", "p$m" => 1],
        headers => [Authorization => basic_header("c$m", 'x')]);
    not_echoed($res, $m, "$path refusing an unknown client");
}
# a public client cannot introspect (RFC 7662 2.1: the caller is authenticated)
{
    my $res = post_form('/introspect', [token => $tok, client_id => $public_id]);
    error_ok($res, 401, 'invalid_client', 'a public client cannot introspect');
}
# the body limit applies here too
{
    my $res = request('POST', '/introspect', content => 'token=' . ('t' x 5000),
        headers => ['Content-Type' => 'application/x-www-form-urlencoded',
                    Authorization => basic_header($a_id, $a_secret)]);
    error_ok($res, 413, 'invalid_request', 'oversized introspection request');
}

# ---------------------------------------------------------- introspection
for my $garbage ('garbage', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'a' x 300, "$tok" . 'x') {
    for my $path (@INTROSPECT) {
        my $res = introspect($path, $garbage, $A);
        my $j = json_ok($res, 200, "$path: garbage token");
        is_deeply($j, { active => JSON::PP::false() }, "$path: garbage is {\"active\":false} and nothing else");
        no_store_ok($res, "$path: garbage");
    }
}
for my $path (@INTROSPECT) {
    for my $who ([$A, 'the owner (Basic)'], [$B, 'another client (post)']) {
        my ($client, $name) = @$who;
        my $res = introspect($path, $tok, $client, token_type_hint => 'access_token');
        my $j = json_ok($res, 200, "$path by $name");
        no_store_ok($res, "$path by $name");
        my (undef, $claims) = jwt_decode($tok);
        ok($j->{active} && JSON::PP::is_bool($j->{active}), "$path by $name: active is true (a JSON boolean)");
        is($j->{client_id}, $a_id, "$path by $name: client_id");
        is($j->{sub}, $a_id, "$path by $name: sub");
        is($j->{scope}, 'api', "$path by $name: scope");
        is($j->{iss}, issuer(), "$path by $name: iss");
        like($j->{token_type} // '', qr/^Bearer$/i, "$path by $name: token_type");
        is($j->{exp}, $claims->{exp}, "$path by $name: exp is the token's");
        is($j->{iat}, $claims->{iat}, "$path by $name: iat is the token's");
        is($j->{jti}, $claims->{jti}, "$path by $name: jti is the token's");
        is($j->{aud}, $claims->{aud}, "$path by $name: aud is the token's");
        ok(!exists $j->{username}, "$path by $name: no username for a token without a user");
    }
}
# the hint is only a hint
{
    my $j = json_of(introspect('/introspect', $tok, $A, token_type_hint => 'refresh_token'));
    ok($j && $j->{active}, 'a wrong token_type_hint does not hide an active token');
}

# ---------------------------------------------------------- revocation
for my $path (@REVOKE) {
    my $res = revoke($path, 'never-issued-' . marker(), $A);
    is($res->code, 200, "$path: an unknown token is answered 200 (RFC 7009 2.2)");
    no_store_ok($res, "$path: unknown token");
}
{
    # another client's token: refused, and the token stays active
    my $res = revoke('/revoke', $tok, $B);
    my $j = json_of($res) || {};
    ok($res->code >= 400 && $res->code < 500 && defined $j->{error},
        "revoking another client's token is refused with an OAuth error") or diag($res->as_string);
    no_store_ok($res, "another client's token");
    $j = json_of(introspect('/introspect', $tok, $A));
    ok($j && $j->{active}, "the token another client tried to revoke is still active");
}
# revoke, then inactive at both introspection paths; per revocation path
my $n = 0;
for my $path (@REVOKE) {
    for my $how ([$A, 'Basic'], [$B, 'client_secret_post']) {
        my ($client, $name) = @$how;
        my $t = token_for(@$client);
        my $j = json_of(introspect($INTROSPECT[$n++ % 2], $t, $client));
        ok($j && $j->{active}, "$path/$name: active before revocation");
        my $res = revoke($path, $t, $client, token_type_hint => 'access_token');
        is($res->code, 200, "$path/$name: revocation answered 200");
        no_store_ok($res, "$path/$name: revocation");
        for my $ipath (@INTROSPECT) {
            $res = introspect($ipath, $t, $client);
            $j = json_ok($res, 200, "$path/$name: introspection at $ipath after revocation");
            is_deeply($j, { active => JSON::PP::false() }, "$path/$name: inactive at $ipath after revocation");
        }
        $res = revoke($path, $t, $client);
        is($res->code, 200, "$path/$name: revoking again is answered 200");
    }
}
# revoking one token leaves the client's other tokens alone
{
    my $t1 = token_for(@$A);
    my $t2 = token_for(@$A);
    revoke('/revoke', $t1, $A);
    is_deeply(json_of(introspect('/introspect', $t1, $A)), { active => JSON::PP::false() }, 'revoked token inactive');
    ok(json_of(introspect('/introspect', $t2, $A))->{active}, "the client's other token is still active");
}

done_testing();
