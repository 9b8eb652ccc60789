# Issue 8 (trust): bearer tokens in the query string (RFC 6750 2.3, which
# discourages them: they land in access logs). Kept for Casdoor-dialect
# clients (?accessToken=, ?access_token=) at /userinfo, /api/userinfo and
# /api/get-account; a standard client's token there is refused (400
# invalid_request at userinfo, Casdoor's "Please login first" at
# get-account) while the header still works; OIDCIdPBearerInQuery Off (the
# oidp_trust vhost) refuses the query for every client; the token never
# appears in the error_log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

# the virtual hosts' own databases get this file's clients and users too
mirror('oidp_trust');

my $RP = 'https://rp.example.test/cb';
my $uname = unique_id('bq-u');
my $PW = 'bearer-query-pw';
my $sub = user_add($uname, password => $PW, email => "$uname\@example.test");
my $cd = unique_id('bq-casdoor');
my $cd_secret = client_add($cd, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP],
                           dialect => 'casdoor', first_party => 1);
my $std = unique_id('bq-standard');
my $std_secret = client_add($std, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1);
my $SCOPE = 'openid profile email';

sub tokens {
    my ($client, %o) = @_;
    return code_flow(client => $client, redirect_uri => $RP, user => [$uname, $PW], scope => $SCOPE,
                     browser => browser(), vhost => $o{vhost})->{tokens};
}

sub account {
    my ($token, $name, %o) = @_;
    return get(query_path('/api/get-account', $name => $token), vhost => $o{vhost});
}

sub signed_in {
    my $j = json_of(shift) || {};
    return ($j->{status} // '') eq 'ok' && ($j->{sub} // '') eq $sub;
}

my $off = log_offset();

# ---------------------------------------------------------- the main server: Casdoor's clients only
my $c = tokens([$cd, $cd_secret, 'basic'])->{access_token};
my $s = tokens([$std, $std_secret, 'basic'])->{access_token};
for my $path ('/userinfo', '/api/userinfo') {
    for my $how (qw(query camel)) {
        my $j = json_ok(userinfo($c, how => $how, path => $path), 200, "$path: a Casdoor client's token in the $how");
        is($j->{sub}, $sub, "$path: a Casdoor client's token in the $how: sub");
        error_ok(userinfo($s, how => $how, path => $path), 400, 'invalid_request',
                 "$path: a standard client's token in the $how");
        my $www = userinfo($s, how => $how, path => $path)->header('WWW-Authenticate') // '';
        like($www, qr/^Bearer .*error="invalid_request"/, "$path: a standard client's token in the $how: WWW-Authenticate");
    }
    json_ok(userinfo($s, how => 'header', path => $path), 200, "$path: a standard client's token in the header");
    json_ok(userinfo($s, how => 'body', path => $path), 200, "$path: a standard client's token in the body");
}
for my $name (qw(accessToken access_token)) {
    ok(signed_in(account($c, $name)), "get-account: a Casdoor client's token as ?$name");
    ok(!signed_in(account($s, $name)), "get-account: a standard client's token as ?$name is refused");
}
ok(signed_in(get('/api/get-account', headers => [Authorization => "Bearer $s"])),
   "get-account: a standard client's token in the header");
error_ok(userinfo('x' . random_state(), how => 'query'), 401, 'invalid_token', 'an unknown token in the query');

# ---------------------------------------------------------- OIDCIdPBearerInQuery Off
{
    my $V = 'oidp_trust';
    my $ct = tokens([$cd, $cd_secret, 'basic'], vhost => $V)->{access_token};
    for my $how (qw(query camel)) {
        error_ok(userinfo($ct, how => $how, vhost => $V), 400, 'invalid_request',
                 "Off: a Casdoor client's token in the $how");
    }
    ok(!signed_in(account($ct, 'accessToken', vhost => $V)), "Off: get-account refuses ?accessToken=");
    json_ok(userinfo($ct, how => 'header', vhost => $V), 200, "Off: the header still works");
    ok(signed_in(get('/api/get-account', headers => [Authorization => "Bearer $ct"], vhost => $V)),
       'Off: get-account with the header');
}

my $log = log_since($off);
unlike($log, qr/\Q$_\E/, 'the error_log never holds a token sent in the query') for ($c, $s);
like($log, qr/OIDP00150: .*\Q$std\E/, "the refusal of a standard client's query token is logged, with the client");

done_testing;
