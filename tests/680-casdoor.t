# A Casdoor-dialect client (oidc-idp-admin client add --dialect casdoor)
# walking Casdoor's URLs as Jira's miniOrange plugin does: /login/oauth/authorize,
# /api/login/oauth/access_token (form and JSON bodies), /api/get-account,
# /api/login/oauth/refresh_token, with the scopes of the Jira guide. Casdoor's
# claim names in the ID token and userinfo (name = username, display_name and
# displayName = full name, id, owner, email, phone, groups), a refresh token
# always, the refreshed ID token consistent; get-account's envelope for a
# bearer token (header or query) or the browser session, and Casdoor's
# "Please login first" envelope (HTTP 200) otherwise.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;
use Time::HiRes ();

my $JIRA = 'https://jira.example.test/plugins/servlet/oauth/callback';
my $SCOPES = 'address phone openid profile offline_access email';
my $uname = unique_id('bob');
my $PW = 'casdoor-pw';
my $sub = user_add($uname, password => $PW, name => 'Bob Builder', given_name => 'Bob', family_name => 'Builder',
                   email => "$uname\@example.test", email_verified => 1, phone => '+1 555 0199',
                   groups => ['jira-users', 'builders']);
my $id = unique_id('cd-jira');
my $secret = client_add($id, grant_types => 'authorization_code refresh_token', redirect_uris => [$JIRA],
                        dialect => 'casdoor', first_party => 1, name => 'Jira', auth_method => 'client_secret_post');
my $POST = [$id, $secret, 'post'];
my $std = unique_id('cd-standard');
my $std_secret = client_add($std, grant_types => 'authorization_code', redirect_uris => [$JIRA], first_party => 1);
my $jwks = jwks_of('/.well-known/jwks');

my @ENVELOPE = qw(data data2 data3 msg name status sub);

sub not_signed_in_ok {
    my ($res, $name) = @_;
    is($res->code, 200, "$name: HTTP 200 (Casdoor's envelope)");
    like($res->header('Content-Type') // '', qr{^application/json}i, "$name: JSON");
    my $j = json_of($res) || {};
    is_deeply([sort keys %$j], \@ENVELOPE, "$name: the seven envelope keys");
    is($j->{status}, 'error', "$name: status error");
    is($j->{msg}, 'Please login first', "$name: msg Please login first");
    ok(!ref $j->{data} || !grep({ /email|name/i } keys %{ $j->{data} || {} }), "$name: no user data");
}

sub account_ok {
    my ($res, $name) = @_;
    is($res->code, 200, "$name: 200");
    like($res->header('Content-Type') // '', qr{^application/json}i, "$name: JSON");
    like($res->header('Cache-Control') // '', qr/\bno-store\b/, "$name: no-store");
    my $j = json_of($res) || {};
    is_deeply([sort keys %$j], \@ENVELOPE, "$name: the seven envelope keys");
    is($j->{status}, 'ok', "$name: status ok");
    is($j->{msg}, '', "$name: msg empty");
    is($j->{sub}, $sub, "$name: sub");
    is($j->{name}, $uname, "$name: name is the username");
    my $d = ref $j->{data} eq 'HASH' ? $j->{data} : {};
    is($d->{name}, $uname, "$name: data.name is the username");
    is($d->{id}, $sub, "$name: data.id is the sub");
    is($d->{email}, "$uname\@example.test", "$name: data.email");
    is($d->{displayName}, 'Bob Builder', "$name: data.displayName");
    is($d->{phone}, '+1 555 0199', "$name: data.phone");
    ok(length($d->{owner} // ''), "$name: data.owner");
    is_deeply($d->{groups}, ['jira-users', 'builders'], "$name: data.groups");
    is($d->{password} // '', '', "$name: no password (hash) in data");
    return $j;
}

# ---------------------------------------------------------- the flow at Casdoor's paths
my $b = browser();
my $a = authorize($b, path => '/login/oauth/authorize',
                  params => [client_id => $id, response_type => 'code', redirect_uri => $JIRA, scope => $SCOPES,
                             state => 'jira-state-1'],
                  user => [$uname, $PW]);
is_deeply($a->{pages}, ['login', 'redirect'], 'Casdoor paths: the login page, then the redirect');
my $code = $a->{cb} && $a->{cb}->{params}->{code};
is($a->{cb} && $a->{cb}->{params}->{state}, 'jira-state-1', 'Casdoor paths: state');
my $res = code_exchange(client => $POST, code => $code, redirect_uri => $JIRA, path => '/api/login/oauth/access_token');
my $t = json_ok($res, 200, 'code exchange with client_secret in the form (miniOrange)');
like($t->{token_type} // '', qr/^Bearer$/i, 'token_type Bearer');
ok($t->{refresh_token}, 'a refresh token');
is($t->{scope}, $SCOPES, 'the scope as requested');
my $c = id_token_ok($t->{id_token}, client_id => $id, nonce => undef, access_token => $t->{access_token}, jwks => $jwks,
                    name => 'Casdoor ID token');
is($c->{sub}, $sub, 'ID token: sub');
# the Jira guide's mapping: Username name, Email email, Full name display_name
is($c->{name}, $uname, 'ID token: name is the username (Casdoor)');
is($c->{display_name}, 'Bob Builder', 'ID token: display_name is the full name (miniOrange mapping)');
is($c->{displayName}, 'Bob Builder', 'ID token: displayName is the full name');
is($c->{email}, "$uname\@example.test", 'ID token: email');
ok(JSON::PP::is_bool($c->{email_verified}) && $c->{email_verified}, 'ID token: email_verified true');
is($c->{phone}, '+1 555 0199', 'ID token: phone');
is($c->{id}, $sub, 'ID token: id is the sub');
ok(length($c->{owner} // ''), 'ID token: owner');
is_deeply($c->{groups}, ['jira-users', 'builders'], 'ID token: groups');
is($c->{preferred_username}, $uname, 'ID token: preferred_username');

# ---------------------------------------------------------- userinfo and get-account
{
    my $u = json_ok(userinfo($t->{access_token}, path => '/api/userinfo'), 200, 'Casdoor userinfo');
    claim_types_ok($u, 'Casdoor userinfo');
    is($u->{sub}, $c->{sub}, 'Casdoor userinfo: sub equals the ID token sub');
    is($u->{name}, $uname, 'Casdoor userinfo: name is the username');
    is($u->{display_name}, 'Bob Builder', 'Casdoor userinfo: display_name');
    is($u->{displayName}, 'Bob Builder', 'Casdoor userinfo: displayName');
    is($u->{email}, "$uname\@example.test", 'Casdoor userinfo: email');
    is($u->{phone}, '+1 555 0199', 'Casdoor userinfo: phone');
    is($u->{iss}, issuer(), 'Casdoor userinfo: iss');
    is($u->{aud}, $id, 'Casdoor userinfo: aud');

    account_ok(get('/api/get-account', headers => [Authorization => "Bearer $t->{access_token}"]),
               'get-account with a Bearer header');
    account_ok(get(query_path('/api/get-account', access_token => $t->{access_token})), 'get-account with access_token');
    account_ok(get(query_path('/api/get-account', accessToken => $t->{access_token})), 'get-account with accessToken');
    account_ok(get('/api/get-account', ua => $b), 'get-account with the browser session');

    not_signed_in_ok(get('/api/get-account'), 'get-account without a token or session');
    not_signed_in_ok(get('/api/get-account', ua => browser()), 'get-account in a fresh browser');
    not_signed_in_ok(get('/api/get-account', headers => [Authorization => 'Bearer ' . random_state()]),
                     'get-account with an unknown token');
    not_signed_in_ok(get(query_path('/api/get-account', accessToken => $t->{id_token})),
                     'get-account with the ID token');
}

# ---------------------------------------------------------- refresh at Casdoor's route
{
    my (undef, $before) = jwt_decode($t->{id_token});
    Time::HiRes::sleep(0.05) while time <= $before->{iat};
    my $r = token_request(client => $POST, path => '/api/login/oauth/refresh_token',
                          params => [refresh_token => $t->{refresh_token}, scope => $SCOPES]);
    my $n = json_ok($r, 200, "refresh at Casdoor's route");
    no_store_ok($r, "refresh at Casdoor's route");
    like($n->{token_type} // '', qr/^Bearer$/i, 'refresh: token_type Bearer');
    ok($n->{id_token}, 'refresh: an ID token (Casdoor clients expect one)');
    my $rc = id_token_ok($n->{id_token} // '', client_id => $id, nonce => undef, access_token => $n->{access_token},
                         jwks => $jwks, name => 'refreshed Casdoor ID token');
    is($rc->{$_}, $before->{$_}, "refreshed ID token: the same $_") for qw(iss sub aud auth_time azp name display_name email);
    ok($rc->{iat} > $before->{iat}, 'refreshed ID token: a later iat');
    account_ok(get('/api/get-account', headers => [Authorization => "Bearer $n->{access_token}"]),
               'get-account with the refreshed access token');

    # revoked: the envelope says "login first"
    post_form('/revoke', [token => $n->{access_token}, client_id => $id, client_secret => $secret]);
    not_signed_in_ok(get('/api/get-account', headers => [Authorization => "Bearer $n->{access_token}"]),
                     'get-account with a revoked token');
}

# ---------------------------------------------------------- a refresh token without offline_access; a JSON body
{
    my $a2 = authorize($b, params => [client_id => $id, response_type => 'code', redirect_uri => $JIRA,
                                      scope => 'openid profile email', state => 's2']);
    is_deeply($a2->{pages}, ['redirect'], 'SSO: the server answers with the code at once');
    my $cd = $a2->{cb} && $a2->{cb}->{params}->{code};
    my $r = request('POST', '/api/login/oauth/access_token', headers => ['Content-Type' => 'application/json'],
                    content => JSON::PP->new->encode({ grant_type => 'authorization_code', client_id => $id,
                                                       client_secret => $secret, code => $cd, redirect_uri => $JIRA }));
    my $j = json_ok($r, 200, 'code exchange with a JSON body (as Casdoor SDKs send)');
    ok($j->{refresh_token}, 'a Casdoor client gets a refresh token without offline_access');
    my (undef, $cc) = jwt_decode($j->{id_token} // '');
    ok(!exists $cc->{phone}, 'no phone claim without the phone scope');
    is($cc->{display_name}, 'Bob Builder', 'display_name with the profile scope');
}

# ---------------------------------------------------------- a standard client gets standard names
{
    my $f = code_flow(client => [$std, $std_secret, 'basic'], redirect_uri => $JIRA, browser => $b,
                      scope => 'openid profile email');
    my (undef, $sc) = jwt_decode($f->{tokens}->{id_token});
    ok(!exists $sc->{$_}, "standard client's ID token: no $_") for qw(display_name displayName id owner name email);
    my $u = json_of(userinfo($f->{tokens}->{access_token})) || {};
    is($u->{name}, 'Bob Builder', "standard client's userinfo: name is the full name");
    is($u->{preferred_username}, $uname, "standard client's userinfo: preferred_username is the username");
    ok(!exists $u->{display_name}, "standard client's userinfo: no display_name");
    ok(!exists $f->{tokens}->{refresh_token}, 'a standard client without offline_access: no refresh token');
}

done_testing;
