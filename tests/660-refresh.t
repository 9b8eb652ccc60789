# The refresh_token grant (RFC 6749 6, OAuth 2.0 Security BCP 4.14): a
# refresh token only with offline_access and the client's refresh_token
# grant; each use rotates it; a replayed old one is invalid_grant and
# revokes the whole family (refresh and access tokens); bound to its
# client (another client's is invalid_grant); scope may narrow, never
# widen; the response is no-store with token_type Bearer, as the
# conformance suite's refresh steps check. Casdoor's refresh route takes
# the grant without grant_type.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;
use POSIX ();
use Time::HiRes ();

my $RP = 'https://rp.example.test/cb';
my $uname = unique_id('rt-u');
my $PW = 'refresh-pw';
my $sub = user_add($uname, password => $PW, email => "$uname\@example.test", email_verified => 1,
                   phone => '+1 555 0100');
my $id = unique_id('rt-a');
my $secret = client_add($id, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP], first_party => 1);
my $A = [$id, $secret, 'basic'];
my $id_b = unique_id('rt-b');
my $secret_b = client_add($id_b, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP],
                          first_party => 1, auth_method => 'client_secret_post');
my $B = [$id_b, $secret_b, 'post'];
my $id_n = unique_id('rt-noref');
my $secret_n = client_add($id_n, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1);
my $N = [$id_n, $secret_n, 'basic'];
my $SCOPE = 'openid email offline_access';

my $b = browser();
sub flow {
    my ($client, $scope) = @_;
    return code_flow(client => $client, redirect_uri => $RP, user => [$uname, $PW], scope => $scope // $SCOPE,
                     browser => $b)->{tokens};
}

sub refresh {
    my ($client, $rt, @more) = @_;
    return token_request(client => $client, params => [grant_type => 'refresh_token', refresh_token => $rt, @more]);
}

sub active {
    my ($client, $token) = @_;
    my $j = json_of(post_form('/introspect', [token => $token],
                              headers => [Authorization => basic_header($client->[0], $client->[1])])) || {};
    return $j->{active} ? 1 : 0;
}

# ---------------------------------------------------------- who gets a refresh token
my $t0 = flow($A);
like($t0->{refresh_token} // '', qr/^[\x21-\x7e]{22,}$/, 'offline_access: a refresh token of at least 128 bits');
ok(!exists flow($A, 'openid email')->{refresh_token}, 'no offline_access: no refresh token');
ok(!exists flow($N)->{refresh_token}, 'offline_access for a client without the refresh_token grant: no refresh token');
error_ok(refresh($N, $t0->{refresh_token}), 400, 'unauthorized_client', 'the refresh grant by a client without it');

# ---------------------------------------------------------- refresh and rotation
my $res = refresh($A, $t0->{refresh_token});
my $t1 = json_ok($res, 200, 'refresh');
no_store_ok($res, 'refresh');
like($t1->{token_type} // '', qr/^Bearer$/i, 'refresh: token_type Bearer');
is($t1->{expires_in}, 900, 'refresh: expires_in');
is($t1->{scope}, $SCOPE, 'refresh: the scope of the grant');
like($t1->{access_token} // '', qr/^[\x21-\x7e]{22,}$/, 'refresh: a new access token');
isnt($t1->{access_token}, $t0->{access_token}, 'refresh: the access token is new');
like($t1->{refresh_token} // '', qr/^[\x21-\x7e]{22,}$/, 'refresh: a new refresh token (rotation)');
isnt($t1->{refresh_token}, $t0->{refresh_token}, 'refresh: the refresh token changed');
if (defined $t1->{id_token}) {
    my (undef, $c0) = jwt_decode($t0->{id_token});
    my $c1 = id_token_ok($t1->{id_token}, client_id => $id, nonce => undef, access_token => $t1->{access_token},
                         name => 'refreshed ID token');
    is($c1->{$_}, $c0->{$_}, "refreshed ID token: the same $_") for qw(sub auth_time azp);
}
my $u = json_of(userinfo($t1->{access_token})) || {};
is($u->{sub}, $sub, 'refresh: the new access token works at userinfo, same sub');
ok(active($A, $t1->{refresh_token}), 'the new refresh token is active at introspection');

# at Casdoor's refresh route (grant_type may be left out) and at /token
$res = token_request(client => $A, path => '/api/login/oauth/refresh_token',
                     params => [refresh_token => $t1->{refresh_token}]);
my $t2 = json_ok($res, 200, "Casdoor's refresh route without grant_type");
no_store_ok($res, "Casdoor's refresh route");
$res = token_request(client => $A, path => '/token', params => [grant_type => 'refresh_token',
                                                                 refresh_token => $t2->{refresh_token}]);
my $t3 = json_ok($res, 200, 'refresh at /token');
error_ok(token_request(client => $A, path => '/api/login/oauth/refresh_token',
                       params => [grant_type => 'client_credentials']),
         400, 'unsupported_grant_type', "Casdoor's refresh route with another grant_type");

# ---------------------------------------------------------- replay revokes the family
{
    $res = refresh($A, $t1->{refresh_token});
    error_ok($res, 400, 'invalid_grant', 'an old (rotated) refresh token again');
    error_ok(refresh($A, $t3->{refresh_token}), 400, 'invalid_grant', 'after the replay: the newest refresh token is revoked');
    for my $case (['first', $t0], ['refreshed', $t1], ['newest', $t3]) {
        my ($name, $t) = @$case;
        my $r = userinfo($t->{access_token});
        error_ok($r, 401, 'invalid_token', "after the replay: the $name access token is revoked");
        ok(!active($A, $t->{access_token}), "after the replay: the $name access token is inactive");
    }
    ok(!active($A, $t3->{refresh_token}), 'after the replay: the newest refresh token is inactive');
    error_ok(refresh($A, $t0->{refresh_token}), 400, 'invalid_grant', 'the first refresh token again');
}

# ---------------------------------------------------------- bound to the client
{
    my $t = flow($A);
    my $r = refresh($B, $t->{refresh_token});
    error_ok($r, 400, 'invalid_grant', "another client's refresh token");
    error_ok(refresh([$id, 'wrong', 'basic'], $t->{refresh_token}), 401, 'invalid_client', 'a wrong client secret');
    my $tb = flow($B);
    error_ok(refresh($A, $tb->{refresh_token}), 400, 'invalid_grant', "the other way round (client_secret_post's token)");
    json_ok(refresh($B, $tb->{refresh_token}), 200, 'client_secret_post: its own refresh token');
    error_ok(token_request(client => $A, params => [grant_type => 'refresh_token']), 400, 'invalid_request',
             'no refresh_token');
    error_ok(refresh($A, 'x' . random_state()), 400, 'invalid_grant', 'an unknown refresh token');
    error_ok(refresh($A, $t->{access_token}), 400, 'invalid_grant', 'an access token as the refresh token');
}

# ---------------------------------------------------------- scope: narrow, never widen
{
    for my $case (['a scope never granted', 'openid phone'], ['an unknown scope', 'openid admin'],
                  ['a malformed scope', "openid\x01"]) {
        my ($name, $scope) = @$case;
        my $t = flow($A);
        error_ok(refresh($A, $t->{refresh_token}, scope => $scope), 400, 'invalid_scope', "refresh with $name");
    }
    my $t = flow($A);
    my $r = refresh($A, $t->{refresh_token}, scope => 'openid offline_access');
    my $n = json_ok($r, 200, 'refresh with a narrower scope');
    is($n->{scope}, 'openid offline_access', 'narrower: the scope granted');
    my $ui = json_of(userinfo($n->{access_token} // 'x')) || {};
    is($ui->{sub}, $sub, 'narrower: userinfo answers');
    ok(!exists $ui->{email}, 'narrower: no email claim without the email scope');
    ok($n->{refresh_token}, 'narrower, with offline_access: a new refresh token');
    error_ok(refresh($A, $n->{refresh_token} // 'x', scope => 'openid phone'), 400, 'invalid_scope',
             'the narrowed refresh token cannot widen beyond the grant');
    $t = flow($A);
    $n = json_ok(refresh($A, $t->{refresh_token}, scope => 'openid'), 200, 'refresh narrowed to openid');
    is($n->{scope}, 'openid', 'narrowed to openid: the scope granted');

    # a refused request (the client's mistake) does not use the refresh token
    # up: it is not a replay when the client then asks correctly
    $t = flow($A);
    error_ok(refresh($A, $t->{refresh_token}, scope => 'openid phone'), 400, 'invalid_scope',
             'a wider scope is refused');
    $r = refresh($A, $t->{refresh_token});
    json_ok($r, 200, 'the same refresh token after a refused wider scope');
    ok(!($r->code == 400 && userinfo($t->{access_token})->code == 401),
       'a refused wider scope followed by a correct request does not revoke the grant');
}

# ---------------------------------------------------------- revocation (RFC 7009 2.1)
{
    my $t = flow($A);
    my $n = json_of(refresh($A, $t->{refresh_token})) || {};
    ok(!active($A, $t->{refresh_token}), 'a rotated-out refresh token is inactive at introspection');
    ok(active($A, $n->{refresh_token} // 'x'), 'its successor is active');
    my $r = post_form('/revoke', [token => $n->{refresh_token} // 'x', token_type_hint => 'refresh_token'],
                      headers => [Authorization => basic_header($id, $secret)]);
    is($r->code, 200, 'revoking the refresh token: 200');
    error_ok(refresh($A, $n->{refresh_token} // 'x'), 400, 'invalid_grant', 'a revoked refresh token');
    error_ok(userinfo($n->{access_token} // 'x'), 401, 'invalid_token',
             'revoking a refresh token also revokes the access tokens of its grant');
}

# ---------------------------------------------------------- a user disabled after the grant
{
    my $dis = unique_id('rt-dis');
    user_add($dis, password => $PW);
    my $bd = browser();
    my $t = code_flow(client => $A, redirect_uri => $RP, user => [$dis, $PW], scope => $SCOPE, browser => $bd)->{tokens};
    my $a = authorize($bd, params => [response_type => 'code', client_id => $id, redirect_uri => $RP, scope => $SCOPE,
                                      state => 'dis']);
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    my ($rc) = admin('user', 'update', $dis, '--disable');
    is($rc, 0, 'the user is disabled');
    error_ok(refresh($A, $t->{refresh_token}), 400, 'invalid_grant', "a disabled user's refresh token");
    error_ok(code_exchange(client => $A, code => $code, redirect_uri => $RP), 400, 'invalid_grant',
             "a code of a user disabled before it was redeemed");
}

# ---------------------------------------------------------- races: exactly one wins
# N processes send their request at the same instant; -> [[status, body], ...]
sub race {
    my @send = @_;
    my $at = Time::HiRes::time() + 0.25;
    my @kids;
    for my $send (@send) {
        pipe(my $r, my $w) or die "pipe: $!\n";
        my $pid = fork // die "fork: $!\n";
        if (!$pid) {
            close $r;
            my $wait = $at - Time::HiRes::time();
            Time::HiRes::sleep($wait) if $wait > 0;
            my $res = $send->();
            print {$w} $res->code, "\n", $res->decoded_content // '';
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @kids, [$pid, $r];
    }
    my @out;
    for my $k (@kids) {
        my ($pid, $r) = @$k;
        local $/;
        my $all = readline($r) // '';
        waitpid $pid, 0;
        my ($code, $body) = split /\n/, $all, 2;
        push @out, [$code // 0, $body // ''];
    }
    return @out;
}

sub race_ok {
    my ($name, @out) = @_;
    my @won = grep { $_->[0] == 200 } @out;
    my @lost = grep { $_->[0] == 400 && $_->[1] =~ /"error":"invalid_grant"/ } @out;
    is(scalar @won, 1, "$name: exactly one request wins") or diag(join "\n", map { "@$_" } @out);
    is(scalar @lost, @out - 1, "$name: the others get invalid_grant");
    return @won ? (JSON::PP->new->decode($won[0]->[1])) : {};
}

for my $round (1 .. 3) {
    my $a = authorize($b, params => [response_type => 'code', client_id => $id, redirect_uri => $RP, scope => $SCOPE,
                                     state => "race$round"]);
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    my $w = race_ok("code redeemed three times at once, round $round",
                    race(map { my $i = $_; sub { code_exchange(client => $A, code => $code, redirect_uri => $RP) } } 1 .. 3));
    error_ok(userinfo($w->{access_token} // 'x'), 401, 'invalid_token',
             "round $round: the replay also revoked the winner's access token");
    error_ok(refresh($A, $w->{refresh_token} // 'x'), 400, 'invalid_grant',
             "round $round: the replay also revoked the winner's refresh token");

    my $t = flow($A);
    $w = race_ok("refresh token used three times at once, round $round",
                 race(map { sub { refresh($A, $t->{refresh_token}) } } 1 .. 3));
    error_ok(refresh($A, $w->{refresh_token} // 'x'), 400, 'invalid_grant',
             "round $round: the replay also revoked the winner's new refresh token");
    error_ok(userinfo($w->{access_token} // 'x'), 401, 'invalid_token',
             "round $round: the replay also revoked the winner's new access token");
}

done_testing;
