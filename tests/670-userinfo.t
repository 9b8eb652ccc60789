# UserInfo (OIDC Core 5.3, RFC 6750) at /userinfo and /api/userinfo: the
# token from the Authorization header (GET and POST) or the form body, and
# only one way; in the query string (access_token/accessToken) a standard
# client's token is refused (RFC 6750 2.3; Casdoor's clients: 675-bearer-query.t);
# claims gated by scope with OIDC's names and types (no null, no empty
# value, email_verified boolean, updated_at number, address object), sub
# equal to the ID token's; the claims parameter; 401 with
# WWW-Authenticate for a missing, bad, revoked or disabled user's token, 403
# insufficient_scope without openid.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my $uname = unique_id('ui-full');
my $PW = 'userinfo-pw';
my $sub = user_add($uname, password => $PW, name => 'Ada Lovelace', given_name => 'Ada', family_name => 'Lovelace',
                   email => "$uname\@example.test", email_verified => 1, phone => '+44 20 7946 0000',
                   phone_verified => 0, street => '12 St James Square', locality => 'London', region => 'Greater London',
                   postal_code => 'SW1Y 4JH', country => 'GB', picture => 'https://img.example.test/ada.png',
                   locale => 'en-GB', groups => ['analysts', 'engine']);
my $sparse = unique_id('ui-sparse');
my $sparse_sub = user_add($sparse, password => $PW);
my $id = unique_id('ui-client');
my $secret = client_add($id, grant_types => 'authorization_code refresh_token client_credentials',
                        redirect_uris => [$RP], first_party => 1, scopes => 'openid profile email address phone offline_access api');
my $C = [$id, $secret, 'basic'];
my $ALL = 'openid profile email address phone';

my $b = browser();
sub tokens {
    my ($scope, %o) = @_;
    return code_flow(client => $C, redirect_uri => $RP, user => [$o{user} // $uname, $PW], scope => $scope,
                     browser => $o{browser} || $b, params => $o{params})->{tokens};
}

# ---------------------------------------------------------- every way of sending the token
my $t = tokens($ALL);
my (undef, $idc) = jwt_decode($t->{id_token});
my $AT = $t->{access_token};
my $reference;
for my $path ('/userinfo', '/api/userinfo') {
    for my $how (qw(query camel)) {
        my $res = userinfo($AT, how => $how, path => $path);
        error_ok($res, 400, 'invalid_request', "$path, a standard client's token in the $how string");
    }
    for my $how (qw(header post-header body)) {
        my $res = userinfo($AT, how => $how, path => $path);
        my $j = json_ok($res, 200, "$path, token in the $how");
        no_store_ok($res, "$path, token in the $how");
        is($j->{sub}, $idc->{sub}, "$path, token in the $how: sub equals the ID token's");
        if ($reference) {
            is_deeply($j, $reference, "$path, token in the $how: the same claims");
        }
        else {
            $reference = $j;
        }
    }
}

# the scheme is case-insensitive (RFC 7235 2.1)
json_ok(get('/userinfo', headers => [Authorization => "bearer $AT"]), 200, 'a lower-case bearer scheme');
json_ok(get('/userinfo', headers => [Authorization => "BEARER $AT"]), 200, 'an upper-case bearer scheme');

# ---------------------------------------------------------- claims and their types
{
    my $res = userinfo($AT);
    my $j = json_of($res) || {};
    claim_types_ok($j, 'all scopes');
    is($j->{sub}, $sub, 'sub is the user');
    is($j->{name}, 'Ada Lovelace', 'name is the full name (standard client)');
    is($j->{preferred_username}, $uname, 'preferred_username is the username');
    is($j->{given_name}, 'Ada', 'given_name');
    is($j->{family_name}, 'Lovelace', 'family_name');
    is($j->{picture}, 'https://img.example.test/ada.png', 'picture');
    is($j->{locale}, 'en-GB', 'locale');
    ok(exists $j->{updated_at}, 'updated_at');
    is($j->{email}, "$uname\@example.test", 'email');
    ok(JSON::PP::is_bool($j->{email_verified}) && $j->{email_verified}, 'email_verified is true');
    is($j->{phone_number}, '+44 20 7946 0000', 'phone_number');
    ok(JSON::PP::is_bool($j->{phone_number_verified}) && !$j->{phone_number_verified}, 'phone_number_verified is false');
    is_deeply($j->{address}, { street_address => '12 St James Square', locality => 'London', region => 'Greater London',
                               postal_code => 'SW1Y 4JH', country => 'GB' }, 'address object');
    ok(!exists $j->{$_}, "standard client: no Casdoor claim $_") for qw(displayName display_name id owner phone);
    # the raw JSON: numbers and booleans unquoted
    my $raw = $res->decoded_content;
    like($raw, qr/"updated_at":\s*\d+[,}]/, 'updated_at is a bare number in the JSON');
    like($raw, qr/"email_verified":\s*true[,}]/, 'email_verified is a bare true in the JSON');
    unlike($raw, qr/:\s*null\b/, 'no null anywhere');
    unlike($raw, qr/:\s*""/, 'no empty string anywhere');
}

my %by_scope = (
    'openid'         => [qw(sub)],
    'openid profile' => [qw(family_name given_name groups locale name picture preferred_username sub updated_at)],
    'openid email'   => [qw(email email_verified sub)],
    'openid phone'   => [qw(phone_number phone_number_verified sub)],
    'openid address' => [qw(address sub)],
);
for my $scope (sort keys %by_scope) {
    my $tk = tokens($scope);
    my $j = json_of(userinfo($tk->{access_token})) || {};
    claim_types_ok($j, "scope $scope");
    is_deeply([sort keys %$j], $by_scope{$scope}, "scope '$scope': exactly its claims");
    my (undef, $c) = jwt_decode($tk->{id_token});
    is($j->{sub}, $c->{sub}, "scope '$scope': sub equals the ID token's");
}

# a user with nothing but a username: no null, no empty claim for any scope
{
    my $tk = tokens($ALL, user => $sparse, browser => browser());
    my $res = userinfo($tk->{access_token});
    my $j = json_of($res) || {};
    claim_types_ok($j, 'sparse user');
    is($j->{sub}, $sparse_sub, 'sparse user: sub');
    is($j->{preferred_username}, $sparse, 'sparse user: preferred_username');
    ok(!exists $j->{$_}, "sparse user: no $_") for qw(name email email_verified phone_number phone_number_verified address
                                                      picture groups);
    unlike($res->decoded_content, qr/:\s*(null\b|""|\{\}|\[\])/, 'sparse user: no null, empty string, object or array');
}

# the claims parameter (OIDC Core 5.5): by name, in userinfo or the ID token
{
    my $tk = tokens('openid', params => [claims => '{"userinfo":{"email":null},"id_token":{"name":{"essential":true}}}']);
    my $j = json_of(userinfo($tk->{access_token})) || {};
    is($j->{email}, "$uname\@example.test", 'claims request: email in userinfo with scope openid');
    ok(!exists $j->{name}, 'claims request: name not in userinfo (asked for the ID token)');
    my (undef, $c) = jwt_decode($tk->{id_token});
    is($c->{name}, 'Ada Lovelace', 'claims request: name in the ID token');
    ok(!exists $c->{email}, 'claims request: email not in the ID token');
    $tk = tokens('openid', params => [claims => '{"userinfo":{"name":{"essential":true}}}']);
    $j = json_of(userinfo($tk->{access_token})) || {};
    is($j->{name}, 'Ada Lovelace', 'oidcc-claims-essential: name in userinfo');
    (undef, $c) = jwt_decode($tk->{id_token});
    ok(!exists $c->{name}, 'oidcc-claims-essential: name not in the ID token');
}

# ---------------------------------------------------------- errors
{
    my @two = (
        ['header and query', sub { get(query_path('/userinfo', access_token => $AT), headers => [Authorization => "Bearer $AT"]) }],
        ['header and body', sub { post_form('/userinfo', [access_token => $AT], headers => [Authorization => "Bearer $AT"]) }],
        ['body and query', sub { post_form(query_path('/userinfo', access_token => $AT), [access_token => $AT]) }],
        ['access_token and accessToken', sub { get(query_path('/userinfo', access_token => $AT, accessToken => $AT)) }],
    );
    for my $case (@two) {
        my ($name, $send) = @$case;
        my $res = $send->();
        my $j = json_ok($res, 400, "two ways ($name)");
        is($j->{error}, 'invalid_request', "two ways ($name): invalid_request");
    }
    for my $case (['GET', sub { get('/userinfo') }], ['POST', sub { post_form('/userinfo', []) }],
                  ['a Basic header', sub { get('/api/userinfo', headers => [Authorization => basic_header($id, $secret)]) }]) {
        my ($name, $send) = @$case;
        my $res = $send->();
        is($res->code, 401, "no token ($name): 401");
        my $www = $res->header('WWW-Authenticate') // '';
        like($www, qr/^Bearer\b/, "no token ($name): WWW-Authenticate Bearer");
        unlike($www, qr/error=/, "no token ($name): no error code (RFC 6750 3.1)");
    }
    my $cc = json_of(token_request(client => $C, params => [grant_type => 'client_credentials', scope => 'api']))
        ->{access_token};
    my @bad = (
        ['an unknown token', 'x' . random_state()],
        ['the ID token', $t->{id_token}],
        ['a refresh token', tokens('openid offline_access')->{refresh_token} // die "no refresh token\n"],
        ['a client_credentials token (no user)', $cc],
    );
    for my $case (@bad) {
        my ($name, $tok) = @$case;
        my $res = userinfo($tok);
        error_ok($res, 401, 'invalid_token', $name);
        like($res->header('WWW-Authenticate') // '', qr/^Bearer\b.*\berror="invalid_token"/, "$name: WWW-Authenticate");
    }

    # revoked at the revocation endpoint
    my $tk = tokens('openid');
    json_ok(userinfo($tk->{access_token}), 200, 'before revocation');
    my $r = post_form('/revoke', [token => $tk->{access_token}], headers => [Authorization => basic_header($id, $secret)]);
    is($r->code, 200, 'revocation: 200');
    $r = userinfo($tk->{access_token}, how => 'body', path => '/api/userinfo');
    error_ok($r, 401, 'invalid_token', 'a revoked token');
    like($r->header('WWW-Authenticate') // '', qr/error="invalid_token"/, 'a revoked token: WWW-Authenticate');

    # a token without openid
    $tk = tokens('profile');
    ok(!exists $tk->{id_token}, 'scope without openid: no ID token');
    $r = userinfo($tk->{access_token});
    error_ok($r, 403, 'insufficient_scope', 'a token without openid');
    like($r->header('WWW-Authenticate') // '', qr/^Bearer\b.*\berror="insufficient_scope"/,
         'a token without openid: WWW-Authenticate');

    # a user disabled after the token was issued
    my $dis = unique_id('ui-dis');
    user_add($dis, password => $PW);
    $tk = tokens('openid', user => $dis, browser => browser());
    json_ok(userinfo($tk->{access_token}), 200, 'before the user is disabled');
    my ($rc) = admin('user', 'update', $dis, '--disable');
    is($rc, 0, 'the user is disabled');
    error_ok(userinfo($tk->{access_token}), 401, 'invalid_token', "a disabled user's token");
}

done_testing;
