# Users from Apache authn providers (OIDCIdPAuthnProvider, OIDCIdPClaim;
# tests/conf/vhosts-authn.conf.in): htpasswd (mod_authn_file), DBM
# (mod_authn_dbm), another application's SQL table (mod_authn_dbd), an
# <AuthnProviderAlias>, a provider then the own table. A user a provider
# signs in gets a stable sub (the same at every sign-in, another than the
# own table's user of the same name), claims from the provider's variables
# (typed: email_verified a boolean, groups a list), amr pwd. A wrong
# password and an unknown user get the same page; a provider that cannot
# answer gives a 503 page that says the directory is unavailable, and no
# sign-in, not even through the source after it; throttling counts
# provider failures as it counts the own table's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $V = 'oidp_authn';
# its own database (one database serves one issuer): clients and users go there too
mirror($V);
my $RP = 'https://rp.example.test/cb';
my $m = marker();
my $dir = OIDP::Test::env_of('OIDP_TEST_STATE') . '/authn';
mkdir $dir;
chmod 0755, $dir;

# the provider's files: htpasswd (bcrypt), the alias's, DBM (SDBM)
my $ann = unique_id('ann');
my $bob = unique_id('bob');
my ($PWA, $PWB) = ("file-$m-a", "file-$m-b");
sub run_ok { my $what = shift; system(@_) == 0 or die "$what failed: @_\n" }
run_ok('htpasswd', 'htpasswd', '-cbB', "$dir/users.htpasswd", $ann, $PWA);
run_ok('htpasswd', 'htpasswd', '-bB', "$dir/users.htpasswd", $bob, $PWB);
run_ok('htpasswd', 'htpasswd', '-cbB', "$dir/alias.htpasswd", $bob, "alias-$m");
run_ok('htdbm', 'htdbm', '-cbB', '-TSDBM', "$dir/users.dbm", $ann, "dbm-$m");
chmod 0644, glob("$dir/*");
OIDP::Test::record_secret('test:password', $PWA, $PWB, "alias-$m", "dbm-$m");

my $id = unique_id('authn-app');
my $secret = client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP],
                        scopes => 'openid profile email', first_party => 1);
my $C = [$id, $secret, 'basic'];

sub flow {
    my ($path, $user, $pw) = @_;
    return code_flow(client => $C, redirect_uri => $RP, user => [$user, $pw], path => $path,
                     scope => 'openid profile email', vhost => $V);
}
sub claims_of {
    my $f = shift;
    my (undef, $c) = jwt_decode($f->{tokens}->{id_token});
    my $ui = json_of(userinfo($f->{tokens}->{access_token}, vhost => $V)) || {};
    return ($c || {}, $ui);
}
sub error_text {
    my $res = shift;
    my ($t) = ($res->decoded_content // '') =~ m{<p class="error"[^>]*>(.*?)</p>}s;
    return $t // '';
}
# a failed sign-in: [status, page kind, message]
sub attempt {
    my ($path, $user, $pw, %o) = @_;
    my $b = browser();
    $b->default_header('X-Forwarded-For' => $o{ip}) if $o{ip};
    my $a = authorize($b, path => $path, vhost => $V, user => [$user, $pw],
                      params => [response_type => 'code', client_id => $id, redirect_uri => $RP,
                                 scope => 'openid', state => 'st']);
    return [$a->{res}->code, $a->{kind}, error_text($a->{res}), $a->{res}];
}

# ---------------------------------------------------------- htpasswd
my $f1 = eval { flow('/authn/file', $ann, $PWA) };
ok($f1, 'file: a user of the htpasswd file signs in') or diag($@);
my ($c1, $u1) = $f1 ? claims_of($f1) : ({}, {});
like($c1->{sub} // '', qr/^[0-9a-f-]{36}$/, 'file: the ID token has a sub (a UUID)');
is_deeply($c1->{amr}, ['pwd'], 'file: amr is pwd');
is($u1->{sub}, $c1->{sub}, 'file: userinfo: the same sub');
is($u1->{email}, "$ann\@file.example.test", 'file: email from its OIDCIdPClaim expression (REMOTE_USER)');
ok(!$u1->{email_verified}, 'file: email_verified "maybe" is not a boolean: not taken (false)');
is($u1->{preferred_username}, $ann, 'file: preferred_username is the name signed in with');
my $f1b = eval { flow('/authn/file', $ann, $PWA) };
is($f1b && (claims_of($f1b))[0]->{sub}, $c1->{sub}, 'file: the second sign-in has the same sub');
like(log_since(0), qr/OIDP00681: OIDCIdPClaim email_verified: the value of user '\Q$ann\E' is not taken/,
     'file: the untyped value is logged');

# the same name in the own table is another user
my $own_sub = user_add($ann, password => "own-$m");
my $fo = eval { flow('/login/oauth/authorize', $ann, "own-$m") };
my ($co) = $fo ? claims_of($fo) : ({});
ok($co->{sub} && $co->{sub} ne $c1->{sub}, 'the own table\'s user of the same name has another sub');
is($co->{sub}, $own_sub, '... its own');
my $r = attempt('/login/oauth/authorize', $bob, $PWB);
is($r->[1], 'login', 'the own table (the default) does not take the htpasswd file\'s password');

# the admin tool names the provider's user PROVIDER:NAME; disabled, it cannot sign in
{
    my $bname = "file:$bob";
    my $fb = eval { flow('/authn/file', $bob, $PWB) };
    my ($cb) = $fb ? claims_of($fb) : ({});
    my ($rc, $out) = admin_on($V, '--json', 'user', 'show', $bname);
    my $j = eval { JSON::PP->new->decode($out) } || {};
    is($rc, 0, 'admin: user show file:NAME finds the provider\'s user');
    is($j->{id}, $cb->{sub}, 'admin: ... its id is the sub');
    is($j->{source}, 'file', 'admin: ... its source is the provider');
    ok(!$j->{has_password}, 'admin: ... no password stored');
    ($rc) = admin_on($V, 'user', 'update', $bname, '--disable');
    is($rc, 0, 'admin: user update file:NAME --disable');
    my $d = attempt('/authn/file', $bob, $PWB);
    is($d->[2], 'Incorrect username or password.', 'a disabled provider user: the wrong-password page');
    ($rc) = admin_on($V, 'user', 'update', $bname, '--enable');
    is($rc, 0, 'admin: ... --enable again');
}

# ---------------------------------------------------------- failures
my $wrong = attempt('/authn/file', $ann, "wrong-$m");
my $unknown = attempt('/authn/file', unique_id('ghost'), "wrong-$m");
is($wrong->[0], 200, 'file: wrong password: 200');
is($wrong->[1], 'login', 'file: wrong password: the login page again');
is($wrong->[2], 'Incorrect username or password.', 'file: wrong password: the message');
is_deeply([@$unknown[0 .. 2]], [@$wrong[0 .. 2]], 'file: an unknown user gets the same page');

# ---------------------------------------------------------- DBM
my $f2 = eval { flow('/authn/dbm', $ann, "dbm-$m") };
ok($f2, 'dbm: a user of the DBM file signs in') or diag($@);
my ($c2) = $f2 ? claims_of($f2) : ({});
ok($c2->{sub} && $c2->{sub} ne $c1->{sub}, 'dbm: the same name through another provider is another user');
is_deeply([@{ attempt('/authn/dbm', $ann, $PWA) }[0 .. 2]], [@$wrong[0 .. 2]],
          'dbm: the htpasswd password is wrong there: the same page');

# ---------------------------------------------------------- SQL (mod_authn_dbd)
my $f3 = eval { flow('/authn/dbd', 'zoe', 'dbd-Pass-2') };
ok($f3, 'dbd: a user of the SQL table signs in') or diag($@);
my ($c3, $u3) = $f3 ? claims_of($f3) : ({}, {});
is($u3->{email}, 'zoe@example.test', 'dbd: email from the query\'s mail column (AUTHENTICATE_MAIL)');
ok(JSON::PP::is_bool($u3->{email_verified}) && $u3->{email_verified},
   'dbd: email_verified "true" typed as the JSON true');
my $zname = $u3->{name} // '';
is($zname, "Zo\xc3\xab \xc3\x98deg\xc3\xa5rd", 'dbd: display_name (Casdoor\'s name) is the name claim, UTF-8 intact');
is_deeply($u3->{groups}, ['staff', 'zoe-team'], 'dbd: groups split at ";", trimmed, each once');
is_deeply([@{ attempt('/authn/dbd', 'zoe', "wrong-$m") }[0 .. 2]], [@$wrong[0 .. 2]],
          'dbd: wrong password: the same page');
is_deeply([@{ attempt('/authn/dbd', 'nobody-' . $m, "wrong-$m") }[0 .. 2]], [@$wrong[0 .. 2]],
          'dbd: unknown user: the same page');

# ---------------------------------------------------------- alias, chain
my $f4 = eval { flow('/authn/alias', $bob, "alias-$m") };
ok($f4, 'an <AuthnProviderAlias> checks the password with its own file') or diag($@);
is(attempt('/authn/alias', $bob, $PWB)->[1], 'login', '... and not with the other file');
my $f5 = eval { flow('/authn/chain', $ann, "own-$m") };
my ($c5) = $f5 ? claims_of($f5) : ({});
is($f5, undef, 'chain: the file knows the name and says no: the own table is not asked');
my $carl = unique_id('carl');
my $carl_sub = user_add($carl, password => "own-$m");
my $f6 = eval { flow('/authn/chain', $carl, "own-$m") };
my ($c6) = $f6 ? claims_of($f6) : ({});
is($c6->{sub}, $carl_sub, 'chain: a name the file does not have: the own table signs it in');
my $f7 = eval { flow('/authn/chain', $ann, $PWA) };
my ($c7) = $f7 ? claims_of($f7) : ({});
is($c7->{sub}, $c1->{sub}, 'chain: the file\'s user: the sub of the file provider');

# ---------------------------------------------------------- provider error
my $off = log_offset();
my (undef, $aoff) = audit_events();
for my $who ([$carl, "own-$m", 'a user of the own table'], [$ann, $PWA, 'any user']) {
    my $e = attempt('/authn/broken', $who->[0], $who->[1]);
    error_page_ok($e->[3], 503, "provider error, $who->[2]");
    like($e->[3]->decoded_content // '', qr/user directory is unavailable/,
         "provider error, $who->[2]: the page says the directory is unavailable");
    unlike($e->[3]->decoded_content // '', qr/Incorrect/, "provider error, $who->[2]: not a wrong password");
    ok(!$e->[3]->header('Location'), "provider error, $who->[2]: no sign-in");
}
like(log_since($off), qr/OIDP00685: authn provider 'file' could not check a password/,
     'provider error: logged');
unlike(log_since($off), qr/OIDP00685[^\n]*\Q$carl\E/, 'provider error: the name typed is not logged');
my ($ev) = audit_events($aoff);
my @err = grep { ($_->{event} // '') eq 'signin' && ($_->{outcome} // '') eq 'error' } @$ev;
is(scalar @err, 2, 'provider error: audited as signin outcome error, once per attempt');
ok(!(grep { ($_->{reason} // '') ne 'provider_error' || ($_->{provider} // '') ne 'file'
            || exists $_->{username} } @err),
   'provider error: ... reason provider_error, the provider, no username');

# ---------------------------------------------------------- throttling
my $ip = '198.51.100.' . (1 + int(rand(250)));
my @t = map { attempt('/authn/file', $bob, "wrong-$m-$_", ip => $ip) } 1 .. 7;
is(scalar(grep { $_->[2] eq 'Incorrect username or password.' } @t[0 .. 4]), 5,
   'throttling: the first 5 wrong passwords of a provider are checked');
like($t[6]->[2], qr/^Too many attempts\. Try again in \d+ seconds?\.$/,
     'throttling: then the provider\'s account waits')
    or diag(join "\n", map { $_->[2] } @t);
my $late = attempt('/authn/file', $bob, $PWB, ip => $ip);
like($late->[2], qr/^Too many attempts/, 'throttling: even the right password waits');

done_testing();
