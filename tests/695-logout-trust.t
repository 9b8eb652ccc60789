# Logout tried as an attacker would (issue 8): an id_token_hint must be an
# ID token of this issuer; an access token is taken (Casdoor's clients send
# theirs to /api/logout) only from a client of the Casdoor dialect, and
# signs out without asking only while unexpired; a resource server holding
# a standard client's access token cannot sign the user out. A store that
# fails while the client is looked up is a 503 page saying so, never "not
# registered".
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my $BYE = 'https://rp.example.test/bye';
my $uname = unique_id('lt-u');
my $PW = 'logout-trust-pw';
user_add($uname, password => $PW);
my $std = unique_id('lt-std');
my $STD = [$std, client_add($std, grant_types => 'authorization_code', redirect_uris => [$RP],
                            post_logout_uris => [$BYE], first_party => 1), 'basic'];
my $cd = unique_id('lt-cd');
my $CD = [$cd, client_add($cd, grant_types => 'authorization_code', redirect_uris => [$RP],
                          post_logout_uris => [$BYE], first_party => 1, dialect => 'casdoor'), 'basic'];

sub signed_in {
    my $client = shift;
    my $f = code_flow(client => $client, redirect_uri => $RP, user => [$uname, $PW], scope => 'openid');
    return ($f->{browser}, $f->{tokens});
}

sub still_signed_in {
    my ($b, $expect, $name) = @_;
    my $res = get(query_path('/authorize', response_type => 'code', client_id => $std, redirect_uri => $RP,
                             scope => 'openid', prompt => 'none', state => 'probe'), ua => $b);
    my $cb = authz_response($res, $RP) || { params => {} };
    if ($expect) {
        ok($cb->{params}->{code}, "$name: still signed in");
    }
    else {
        is($cb->{params}->{error}, 'login_required', "$name: signed out");
    }
}

sub logout {
    my ($b, $path, @params) = @_;
    return get(query_path($path, @params), ua => $b);
}

# ---------------------------------------------------------- a standard client's access token
for my $path ('/api/logout', '/logout') {
    my ($b, $t) = signed_in($STD);
    my (undef, undef, $typ) = (jwt_decode($t->{access_token}));
    my $res = logout($b, $path, id_token_hint => $t->{access_token}, post_logout_redirect_uri => $BYE, state => 'x');
    error_page_ok($res, 400, "$path, a standard client's access token as id_token_hint");
    like($res->decoded_content, qr/not issued here/, "$path, a standard client's access token: said so");
    still_signed_in($b, 1, "$path, a standard client's access token as the hint");
    # without a URI either: no sign-out without asking
    $res = logout($b, $path, id_token_hint => $t->{access_token});
    ok(!defined $res->header('Location') && $res->code == 400, "$path, the access token alone: refused");
    still_signed_in($b, 1, "$path, the access token alone");
    # the ID token of the same sign-in is the hint it should be
    $res = logout($b, $path, id_token_hint => $t->{id_token}, post_logout_redirect_uri => $BYE, state => 'x');
    is($res->header('Location'), "$BYE?state=x", "$path, the ID token as the hint: back to the client");
    still_signed_in($b, 0, "$path, the ID token as the hint");
}

# ---------------------------------------------------------- a Casdoor-dialect client's access token
{
    my ($b, $t) = signed_in($CD);
    my $res = logout($b, '/api/logout', id_token_hint => $t->{access_token}, post_logout_redirect_uri => $BYE,
                     state => 'cd');
    is($res->header('Location'), "$BYE?state=cd", "a Casdoor client's access token at /api/logout: back to it");
    still_signed_in($b, 0, "a Casdoor client's access token");
    # the access token of another client than the client_id named
    ($b, $t) = signed_in($CD);
    $res = logout($b, '/api/logout', id_token_hint => $t->{access_token}, client_id => $std,
                  post_logout_redirect_uri => $BYE);
    error_page_ok($res, 400, "a Casdoor client's access token with another client_id");
    still_signed_in($b, 1, "a Casdoor client's access token with another client_id");
}

# ---------------------------------------------------------- a failing store is not "not registered"
# (last: the fault leaves the server's prepared statements broken on SQLite,
# so the server is restarted gracefully afterwards)
{
    my ($b, $t) = signed_in($STD);
    my $backend = $ENV{OIDP_TEST_BACKEND} // '';
    my $db = $ENV{OIDP_TEST_DB} // '';
    my $sql = sub {
        my $q = shift;
        if ($backend eq 'sqlite3') {
            (my $file = $db) =~ s/^sqlite3://;
            return system('sqlite3', $file, ".timeout 5000", $q) == 0;
        }
        (my $conninfo = $db) =~ s/^pgsql://;
        return system('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $conninfo, '-c', $q) == 0;
    };
    # the client's column out of the way while the server runs: its lookup fails
    ok($sql->('ALTER TABLE oidp_client RENAME COLUMN client_id TO client_id_away'), "$backend: a column renamed");
    my $res = logout($b, '/logout', client_id => $std, post_logout_redirect_uri => $BYE, state => 's');
    my $body = $res->decoded_content // '';
    ok($sql->('ALTER TABLE oidp_client RENAME COLUMN client_id_away TO client_id'), "$backend: the column back");
    # on PostgreSQL too: the store reads with random access, so a failed
    # query is an error, never "no row" (src/core/store.c)
    error_page_ok($res, 503, 'the client lookup fails');
    like($body, qr/temporarily unavailable/i, 'the client lookup fails: the page says the service is unavailable');
    unlike($body, qr/not registered/i, 'the client lookup fails: not "not registered"');
    # a graceful restart: fresh connections and statements
    my $pidfile = Apache::Test::vars('t_logs') . '/httpd.pid';
    open my $fh, '<', $pidfile or die "$pidfile: $!";
    chomp(my $pid = <$fh>);
    kill 'USR1', $pid;
    my $ok;
    for (1 .. 40) {
        select undef, undef, undef, 0.25;
        $res = logout($b, '/logout', id_token_hint => $t->{id_token}, post_logout_redirect_uri => $BYE, state => 's');
        last if ($ok = ($res->header('Location') // '') eq "$BYE?state=s");
    }
    ok($ok, 'the store back (after a graceful restart): sign-out works') or diag($res->as_string);
}

done_testing;
