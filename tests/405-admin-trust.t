# Issue 8 (trust), the admin tool against the live server: redirect and
# post-logout URIs that could run script or leak codes are refused
# (javascript:, data:, control characters, fragments, plain http off
# loopback unless --allow-http-redirect), native apps' private-use schemes
# pass; a secret imported with --secret-stdin has a minimum strength; a new
# password or disabling a user ends their login sessions and revokes their
# tokens at once; removing a client takes its codes and consents with it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';

sub add_with_uri {
    my ($opt, $uri, @more) = @_;
    my $id = unique_id('at-uri');
    my ($rc, $out, $err) = admin('client', 'add', $id, '--grant-types', 'authorization_code', $opt, $uri, @more);
    my ($show_rc) = admin('client', 'show', $id);
    return ($rc, $err, $show_rc == 0);
}

# ---------------------------------------------------------- redirect and post-logout URIs
for my $opt ('--redirect-uri', '--post-logout-uri') {
    for my $case (['javascript:', 'javascript:alert(document.cookie)'], ['JavaScript: (any case)', 'JaVaScRiPt:alert(1)'],
                  ['data:', 'data:text/html,<script>alert(1)</script>'], ['vbscript:', 'vbscript:msgbox(1)'],
                  ['file:', 'file:///etc/passwd'], ['a fragment', 'https://rp.example.test/cb#x'],
                  ['a CR LF', "https://rp.example.test/cb\r\nSet-Cookie: x=1"], ['a tab', "https://rp.example.test/\tcb"],
                  ['a NUL-free control byte', "https://rp.example.test/cb\x01"], ['a space', 'https://rp.example.test/c b'],
                  ['plain http off loopback', 'http://rp.example.test/cb'], ['user information', 'https://rp.example.test@evil.example/cb'],
                  ['no scheme', '/cb'], ['no host', 'https:///cb']) {
        my ($name, $uri) = @$case;
        my ($rc, $err, $exists) = add_with_uri($opt, $uri);
        is($rc, 1, "$opt $name: refused (exit 1)");
        ok(!$exists, "$opt $name: no client was added");
        like($err, qr/\Q$opt\E: .+/, "$opt $name: the tool says why");
    }
    for my $case (['https', 'https://rp.example.test/cb?x=1'], ['http on 127.0.0.1', 'http://127.0.0.1:8080/cb'],
                  ['http on [::1]', 'http://[::1]/cb'], ['http on localhost', 'http://localhost:3000/cb'],
                  ['a native app scheme (RFC 8252 7.1)', 'com.example.app:/oauth2redirect']) {
        my ($name, $uri) = @$case;
        my ($rc, $err, $exists) = add_with_uri($opt, $uri);
        is($rc, 0, "$opt $name: accepted") or diag($err);
    }
    my ($rc, $err) = add_with_uri($opt, 'http://rp.example.test/cb', '--allow-http-redirect');
    is($rc, 0, "$opt plain http with --allow-http-redirect: accepted") or diag($err);
    ($rc) = add_with_uri($opt, 'javascript:alert(1)', '--allow-http-redirect');
    is($rc, 1, "$opt javascript: is refused even with --allow-http-redirect");
}
{
    my $id = unique_id('at-upd');
    client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP]);
    my ($rc) = admin('client', 'update', $id, '--redirect-uri', 'data:text/html,x');
    is($rc, 1, 'client update: a data: URI is refused');
    my (undef, $show) = admin('client', 'show', $id);
    like($show, qr/^redirect_uri:\s+\Q$RP\E$/m, 'client update: the registered URI is kept');
}

# ---------------------------------------------------------- --secret-stdin strength
for my $case (['short', 'Sh0rt-s3cret!'], ['31 characters', 'abcdefghijklmnopqrstuvwxyz01234'],
              ['one character repeated', 'a' x 64], ['a short pattern repeated', 'abcabc' x 8]) {
    my ($name, $weak) = @$case;
    my $id = unique_id('at-weak');
    my ($rc, $out, $err) = admin(stdin => "$weak\n", 'client', 'add', $id, '--secret-stdin', '--scopes', 'api');
    is($rc, 1, "--secret-stdin, $name: refused");
    like($err, qr/too weak/, "--secret-stdin, $name: says why");
    ok(!(admin('client', 'show', $id))[0] == 0, "--secret-stdin, $name: no client");
}
{
    my $id = unique_id('at-strong');
    my $strong = 'hex-or-not-3f9a1c77e0b24d5a8c6e1f20b9d4a7c3';
    my ($rc, $out, $err) = admin(stdin => "$strong\n", 'client', 'add', $id, '--secret-stdin', '--scopes', 'api',
                                 '--grant-types', 'client_credentials');
    is($rc, 0, '--secret-stdin, a strong secret: accepted') or diag($err);
    json_ok(token_request(client => [$id, $strong, 'basic'], params => [grant_type => 'client_credentials', scope => 'api']),
            200, 'the strong imported secret works');
    ($rc, $out, $err) = admin(stdin => "weak\n", 'client', 'update', $id, '--secret-stdin');
    is($rc, 1, 'client update --secret-stdin: a weak secret is refused');
    json_ok(token_request(client => [$id, $strong, 'basic'], params => [grant_type => 'client_credentials', scope => 'api']),
            200, 'and the previous secret still works');
}

# ---------------------------------------------------------- a user signed out everywhere
my $cid = unique_id('at-app');
my $csecret = client_add($cid, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP], first_party => 1);
my $C = [$cid, $csecret, 'basic'];
my $SCOPE = 'openid email offline_access';

sub signed_in_state {
    my ($uname, $pw) = @_;
    my $b = browser();
    my $f = code_flow(client => $C, redirect_uri => $RP, user => [$uname, $pw], scope => $SCOPE, browser => $b);
    return ($b, $f->{tokens});
}

sub sso_pages {
    my $b = shift;
    my $a = authorize($b, params => [response_type => 'code', client_id => $cid, redirect_uri => $RP, scope => $SCOPE,
                                     state => 'sso']);
    return join ' ', @{ $a->{pages} };
}

sub refresh {
    my $rt = shift;
    return token_request(client => $C, params => [grant_type => 'refresh_token', refresh_token => $rt // 'x']);
}

for my $change (['a new password', ['--password-stdin'], "new-password\n"], ['disabling the user', ['--disable'], '']) {
    my ($name, $args, $stdin) = @$change;
    my $uname = unique_id('at-user');
    my $PW = 'old-password';
    user_add($uname, password => $PW);
    my ($b, $t) = signed_in_state($uname, $PW);
    my ($b2, $t2) = signed_in_state($uname, $PW); # a second browser
    is(sso_pages($b), 'redirect', "$name: before, the session signs in without a password");
    my ($rc, $out, $err) = admin(stdin => $stdin, 'user', 'update', $uname, @$args);
    is($rc, 0, "$name: admin user update") or diag($err);
    like($out, qr/signed out: 2 session\(s\) ended/, "$name: the tool says what it ended");
    if ($name eq 'disabling the user') {
        admin('user', 'update', $uname, '--enable'); # enabling again brings nothing back
    }
    is(sso_pages($b), 'login', "$name: the first browser must sign in again");
    is(sso_pages($b2), 'login', "$name: the second browser too");
    error_ok(refresh($t->{refresh_token}), 400, 'invalid_grant', "$name: the refresh token is revoked");
    error_ok(refresh($t2->{refresh_token}), 400, 'invalid_grant', "$name: the other refresh token too");
    error_ok(userinfo($t->{access_token}), 401, 'invalid_token', "$name: the access token is revoked");
    my $j = json_of(post_form('/introspect', [token => $t2->{refresh_token}],
                              headers => [Authorization => basic_header($cid, $csecret)])) || {};
    ok(!$j->{active}, "$name: introspection says inactive");
}
{
    # other changes leave the user signed in
    my $uname = unique_id('at-keep');
    user_add($uname, password => 'keep-pw');
    my ($b, $t) = signed_in_state($uname, 'keep-pw');
    my ($rc, $out) = admin('user', 'update', $uname, '--email', "$uname\@example.test");
    is($rc, 0, 'a profile change');
    unlike($out, qr/signed out/, 'a profile change signs nobody out');
    is(sso_pages($b), 'redirect', 'a profile change: the session goes on');
    json_ok(refresh($t->{refresh_token}), 200, 'a profile change: the refresh token works');
}

# ---------------------------------------------------------- a removed client leaves nothing behind
{
    my $id = unique_id('at-gone');
    my $sec = client_add($id, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP]);
    my $uname = unique_id('at-consent');
    user_add($uname, password => 'consent-pw');
    my $b = browser();
    code_flow(client => [$id, $sec, 'basic'], redirect_uri => $RP, user => [$uname, 'consent-pw'], scope => 'openid',
              browser => $b, consent => 'allow');
    my $a = authorize($b, params => [response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid',
                                     state => 'c']);
    is(join(' ', @{ $a->{pages} }), 'redirect', 'the consent is remembered');
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    my ($rc) = admin('client', 'remove', $id);
    is($rc, 0, 'client remove');
    admin(stdin => "$sec-but-much-longer-now\n", 'client', 'add', $id, '--secret-stdin', '--grant-types',
          'authorization_code refresh_token', '--redirect-uri', $RP);
    error_ok(code_exchange(client => [$id, "$sec-but-much-longer-now", 'basic'], code => $code // 'x', redirect_uri => $RP),
             400, 'invalid_grant', "a code of the removed client is not the new registration's");
    $a = authorize($b, params => [response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid',
                                  state => 'c2']);
    is($a->{pages}->[0], 'consent', 'a client registered again under the same id asks for consent again');
}

done_testing;
