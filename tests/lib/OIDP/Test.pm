package OIDP::Test;
# Shared helpers of the Apache::Test suite: HTTP requests to the test server
# (main server or a named <VirtualHost>), token requests with either client
# authentication method, the assertions every OAuth error answer must pass,
# JWT decoding with signature verification against the served JWKS, RFC 7638
# thumbprints, and calls of the admin tool on the run's database.
#
# The .t files use Test::More (through Apache::Test's -withtestmore) and end
# with done_testing: a file that dies half-way has no plan and fails.
use strict;
use warnings;

use Apache::Test ();
use Crypt::OpenSSL::Bignum ();
use Crypt::OpenSSL::RSA ();
use B ();
use Digest::SHA qw(sha256);
use Exporter qw(import);
use File::Temp ();
use HTML::TokeParser ();
use HTTP::Cookies ();
use HTTP::Request ();
use IO::Socket::INET ();
use JSON::PP ();
use LWP::UserAgent ();
use MIME::Base64 qw(encode_base64 decode_base64);
use Test::More ();
use URI ();

our @EXPORT = qw(
    url issuer request get post_form token_request basic_header json_of
    error_ok no_store_ok json_ok raw_request
    b64url_encode b64url_decode jwt_decode jwt_verify jwk_thumbprint jwks_of
    admin client_add unique_id marker not_echoed pem_public_params log_offset log_since
    urlencode form_encode query_path user_add
    browser html_forms form_data form_submit page_kind authorize authz_response code_exchange code_flow
    authz_error_ok error_page_ok id_token_ok claim_types_ok is_json_number userinfo pkce_pair at_hash
    random_state odd_state record_secret audit_events mirror admin_on
);

my $JSON = JSON::PP->new->canonical(1);

# ------------------------------------------------------------ where

sub env_of {
    my $v = shift;
    my $val = $ENV{$v};
    die "\$$v is not set: run the suite through tests/suite.sh\n" unless defined $val && length $val;
    return $val;
}

# Port of the main server (no argument) or of a <VirtualHost NAME> of
# tests/conf/*.conf.in.
sub port_of {
    my $vhost = shift;
    my $cfg = Apache::Test::config();
    if ($vhost) {
        my $p = $cfg->{vars}->{"${vhost}_port"}
            or die "no port for the virtual host $vhost in the generated configuration\n";
        return $p;
    }
    return $cfg->{vars}->{port};
}

sub url {
    my ($path, $vhost) = @_;
    return 'http://' . Apache::Test::config()->{vars}->{servername} . ':' . port_of($vhost) . $path;
}

# The issuer configured for the main server (extra.conf.in).
sub issuer {
    my $vars = Apache::Test::config()->{vars};
    return "http://$vars->{servername}:$vars->{port}";
}

# ------------------------------------------------------------ HTTP

my $ua;

sub ua {
    $ua ||= LWP::UserAgent->new(
        timeout               => 30,
        keep_alive            => 0,
        max_redirect          => 0,
        requests_redirectable => [],
        agent                 => 'oidp-tests/1',
    );
    return $ua;
}

# ------------------------------------------------------------ the audit log

# The events of the run's audit log (tests/conf/extra.conf.in), decoded,
# from byte offset FROM (default 0): (events as hashes, the offset at the
# end). A line that is not a JSON object is returned as {_bad => LINE}.
sub audit_events {
    my $from = shift // 0;
    my $path = env_of('OIDP_TEST_STATE') . '/audit.log';
    open(my $fh, '<', $path) or return ([], 0);
    seek($fh, $from, 0);
    my @ev;
    while (my $line = <$fh>) {
        chomp $line;
        my $j = eval { $JSON->decode($line) };
        push @ev, ref $j eq 'HASH' ? $j : { _bad => $line };
    }
    my $end = tell($fh);
    close $fh;
    return (\@ev, $end);
}

# ------------------------------------------------------------ secrets seen
#
# Every secret the suite sends or receives is appended to the run's
# $OIDP_TEST_STATE/secrets ("KIND\tVALUE" lines): passwords and client
# secrets given to the admin tool, and from every HTTP exchange the
# passwords, client secrets, codes, verifiers and tokens of requests
# (form bodies, queries, Basic and Bearer credentials) and responses (JSON
# bodies, Location, form_post pages). tests/990-audit.t checks that none of
# them is in the audit log of the run. Values shorter than 8 bytes are left
# out (a wrong password "x" is in many words).
my %SECRET_FIELDS = map { $_ => 1 } qw(password client_secret code code_verifier refresh_token
    access_token accessToken id_token id_token_hint token);

sub record_secret {
    my ($kind, @values) = @_;
    my $dir = $ENV{OIDP_TEST_STATE} or return;
    my @v = grep { defined && length >= 8 && !/[\r\n]/ } @values or return;
    open(my $fh, '>>', "$dir/secrets") or die "$dir/secrets: $!\n";
    print $fh "$kind\t$_\n" for @v;
    close $fh;
}

sub urldecode {
    my $s = shift // '';
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

sub record_form {
    my ($kind, $s) = @_;
    for my $pair (split /[&;]/, $s // '') {
        my ($k, $v) = split /=/, $pair, 2;
        $k = urldecode($k);
        record_secret("$kind:$k", urldecode($v)) if $SECRET_FIELDS{$k};
    }
}

sub record_exchange {
    my ($req, $res) = @_;
    my $ct = $req->header('Content-Type') // '';
    record_form('request', $req->content) if $ct =~ m{x-www-form-urlencoded}i || !$ct;
    if ($ct =~ m{json}i) {
        my $j = eval { $JSON->decode($req->content) };
        record_secret("request:$_", $j->{$_}) for grep { ref $j eq 'HASH' && !ref $j->{$_} } keys %SECRET_FIELDS;
    }
    record_form('request-query', $req->uri->query);
    if (my $auth = $req->header('Authorization')) {
        if ($auth =~ /^Basic\s+(\S+)/i) {
            my ($id, $secret) = split /:/, decode_base64($1), 2;
            record_secret('request:basic', urldecode($secret), $secret);
        }
        record_secret('request:bearer', $1) if $auth =~ /^Bearer\s+(\S+)/i;
    }
    return unless $res;
    my $body = $res->content // '';
    if (($res->header('Content-Type') // '') =~ m{json}i) {
        my $j = eval { $JSON->decode($body) };
        record_secret("response:$_", $j->{$_}) for grep { ref $j eq 'HASH' && !ref $j->{$_} } keys %SECRET_FIELDS;
        record_secret('response:client_secret', $j->{client_secret}) if ref $j eq 'HASH' && !ref $j->{client_secret};
    }
    if (defined(my $loc = $res->header('Location'))) {
        my ($q) = $loc =~ /\?([^#]*)/;
        my ($f) = $loc =~ /#(.*)$/;
        record_form('response-location', $q);
        record_form('response-location', $f);
    }
    while ($body =~ /<input[^>]*name="(code|access_token|id_token|refresh_token)"[^>]*value="([^"]*)"/g) {
        record_secret("response-form:$1", $2);
    }
}

# request(METHOD, PATH, headers => [...], content => BYTES, vhost => NAME)
sub request {
    my ($method, $path, %o) = @_;
    my $req = HTTP::Request->new($method, $path =~ m{^https?://} ? $path : url($path, $o{vhost}));
    my @h = @{ $o{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) {
        $req->header($k => $v);
    }
    if (defined $o{content}) {
        $req->content($o{content});
        $req->header('Content-Length' => length $o{content});
    }
    my $res = ($o{ua} || ua())->request($req);
    record_exchange($req, $res);
    return $res;
}

sub get {
    my ($path, %o) = @_;
    return request('GET', $path, %o);
}

sub urlencode {
    my $s = shift;
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

sub form_encode {
    my @p = @_;
    my @out;
    while (my ($k, $v) = splice @p, 0, 2) {
        push @out, urlencode($k) . '=' . urlencode($v);
    }
    return join '&', @out;
}

# post_form(PATH, [name => value, ...] (repeats allowed), headers => [...], vhost => NAME)
sub post_form {
    my ($path, $params, %o) = @_;
    my @h = @{ $o{headers} || [] };
    unshift @h, 'Content-Type' => 'application/x-www-form-urlencoded'
        unless grep { lc($_) eq 'content-type' } @h[grep { !($_ % 2) } 0 .. $#h];
    return request('POST', $path, %o, headers => \@h, content => form_encode(@$params));
}

# RFC 6749 2.3.1: id and secret are form-urlencoded, then joined and base64'd.
sub basic_header {
    my ($id, $secret) = @_;
    return 'Basic ' . encode_base64(urlencode($id) . ':' . urlencode($secret), '');
}

# token_request(client => [ID, SECRET, 'basic'|'post'|'none'], params => [...], path, vhost, headers)
# ('none': a public client, client_id in the body and no secret)
sub token_request {
    my %o = @_;
    my @params = @{ $o{params} || [grant_type => 'client_credentials'] };
    my @headers = @{ $o{headers} || [] };
    if (my $c = $o{client}) {
        my ($id, $secret, $how) = @$c;
        if (($how || 'basic') eq 'basic') {
            push @headers, Authorization => basic_header($id, $secret);
        }
        elsif ($how eq 'none') {
            push @params, client_id => $id;    # a public client (RFC 6749 2.3, 3.2.1)
        }
        else {
            push @params, client_id => $id, client_secret => $secret;
        }
    }
    return post_form($o{path} || '/api/login/oauth/access_token', \@params,
        headers => \@headers, vhost => $o{vhost});
}

# The JSON body of a response, or undef.
sub json_of {
    my $res = shift;
    my $v = eval { $JSON->decode($res->decoded_content // '') };
    return $v;
}

# A raw HTTP/1.1 exchange (for chunked bodies and malformed requests):
# returns (status, headers as lower-case hash, body).
sub raw_request {
    my ($bytes, $vhost) = @_;
    while ($bytes =~ /(?:^|[&\s?])((?:client_secret|password|code|refresh_token|token)=[^&\s]*)/g) {
        record_form('raw', $1);
    }
    while ($bytes =~ /^Authorization:\s*Basic\s+(\S+)/mgi) {
        my (undef, $secret) = split /:/, decode_base64($1), 2;
        record_secret('raw:basic', urldecode($secret), $secret);
    }
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port_of($vhost),
                                  Proto => 'tcp', Timeout => 30)
        or die "connect: $!\n";
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite($s, $bytes, 65536, $off);
        last unless $n;    # the server may answer and close before reading it all
        $off += $n;
    }
    shutdown($s, 1);
    my $resp = '';
    local $/;
    while (1) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $resp .= $buf;
    }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $resp, 2;
    $head //= '';
    my ($status) = $head =~ m{^HTTP/1\.\d (\d{3})};
    my %h;
    for (split /\r\n/, $head) {
        $h{ lc $1 } = $2 if /^([^:]+):\s*(.*)$/;
    }
    return ($status // 0, \%h, $body // '');
}

# ------------------------------------------------------------ assertions

# Cache-Control: no-store and Pragma: no-cache (RFC 6749 5.1, 5.2).
sub no_store_ok {
    my ($res, $name) = @_;
    Test::More::like($res->header('Cache-Control') // '', qr/\bno-store\b/i,
        "$name: Cache-Control no-store");
    Test::More::is($res->header('Pragma') // '', 'no-cache', "$name: Pragma no-cache");
}

# A JSON answer: status, media type; returns the decoded body.
sub json_ok {
    my ($res, $status, $name) = @_;
    Test::More::is($res->code, $status, "$name: status $status")
        or Test::More::diag($res->as_string);
    Test::More::like($res->header('Content-Type') // '', qr{^application/json\s*(;|$)}i,
        "$name: Content-Type application/json");
    my $j = json_of($res);
    Test::More::ok(ref $j eq 'HASH', "$name: body is a JSON object")
        or Test::More::diag($res->decoded_content);
    return $j || {};
}

# An OAuth error answer (RFC 6749 5.2): status, JSON, the error code, no-store,
# error_description (if any) in the allowed character set, never echoing input.
sub error_ok {
    my ($res, $status, $error, $name) = @_;
    my $j = json_ok($res, $status, $name);
    Test::More::is($j->{error}, $error, "$name: error $error");
    no_store_ok($res, $name);
    if (defined $j->{error_description}) {
        Test::More::like($j->{error_description}, qr/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/,
            "$name: error_description characters (RFC 6749 5.2)");
    }
    return $j;
}

# ------------------------------------------------------------ markers

my $seq = 0;

# A unique identifier for objects a test creates (clients), so that files
# and runs never collide.
sub unique_id {
    my $prefix = shift || 't';
    return sprintf '%s-%d-%d-%d', $prefix, $$, time, ++$seq;
}

# A recognisable string to send as input and look for in answers.
sub marker {
    return sprintf 'MRK%05dZq%dX', $$ % 100000, ++$seq;
}

# The marker appears neither in the body nor in any header of the response.
sub not_echoed {
    my ($res, $marker, $name) = @_;
    my $all = $res->headers->as_string . "\n" . ($res->content // '');
    Test::More::unlike($all, qr/\Q$marker\E/i, "$name: input not echoed");
}

# ------------------------------------------------------------ JOSE

sub b64url_encode {
    my $s = encode_base64(shift, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub b64url_decode {
    my $s = shift;
    return undef unless defined $s && $s =~ /^[A-Za-z0-9_-]*$/;
    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return decode_base64($s);
}

# (header, claims, signature bytes, signing input) of a compact JWS, or ().
sub jwt_decode {
    my $jwt = shift // '';
    my @p = split /\./, $jwt, -1;
    return () unless @p == 3;
    my $h = eval { $JSON->decode(b64url_decode($p[0]) // '') };
    my $c = eval { $JSON->decode(b64url_decode($p[1]) // '') };
    my $sig = b64url_decode($p[2]);
    return () unless ref $h eq 'HASH' && ref $c eq 'HASH' && defined $sig;
    return ($h, $c, $sig, "$p[0].$p[1]");
}

# Verifies an RS256 JWS against a JWKS (hash with "keys"): finds the key by
# kid, checks kty/alg, verifies the PKCS#1 v1.5 SHA-256 signature. Returns
# the JWK used, or undef with the reason in $@.
sub jwt_verify {
    my ($jwt, $jwks) = @_;
    my ($h, $c, $sig, $input) = jwt_decode($jwt);
    $@ = 'not a compact JWS', return undef unless $h;
    $@ = "alg $h->{alg} is not RS256", return undef unless ($h->{alg} // '') eq 'RS256';
    my @k = grep { ($_->{kid} // '') eq ($h->{kid} // "\0") } @{ $jwks->{keys} || [] };
    $@ = 'no key with the kid of the header', return undef unless @k == 1;
    my $jwk = $k[0];
    $@ = 'the key is not RSA', return undef unless ($jwk->{kty} // '') eq 'RSA';
    my $rsa = eval {
        Crypt::OpenSSL::RSA->new_key_from_parameters(
            Crypt::OpenSSL::Bignum->new_from_bin(b64url_decode($jwk->{n})),
            Crypt::OpenSSL::Bignum->new_from_bin(b64url_decode($jwk->{e})));
    } or do { $@ = "bad RSA key: $@"; return undef };
    $rsa->use_sha256_hash;
    my $ok = eval { $rsa->verify($input, $sig) };
    $@ = 'bad signature', return undef unless $ok;
    return $jwk;
}

# RFC 7638: SHA-256 of the required members in lexicographic order, no
# whitespace, base64url.
sub jwk_thumbprint {
    my $k = shift;
    my %req = (RSA => [qw(e kty n)], EC => [qw(crv kty x y)], OKP => [qw(crv kty x)]);
    my $names = $req{ $k->{kty} // '' } or return undef;
    for (@$names) { return undef unless defined $k->{$_} && !ref $k->{$_} }
    # canonical: members sorted by name; JSON::PP adds no whitespace
    my $json = JSON::PP->new->canonical(1)->encode({ map { $_ => "$k->{$_}" } @$names });
    return b64url_encode(sha256($json));
}

# The served JWKS of a server (path, vhost) as a hash.
sub jwks_of {
    my ($path, $vhost) = @_;
    my $res = get($path || '/.well-known/jwks', vhost => $vhost);
    return json_of($res) || {};
}

# Public parameters of a PEM key file of the run, as base64url JWK members:
# { kty => 'RSA', n => ..., e => ... } or { kty => 'EC', x => ..., y => ... }.
sub pem_public_params {
    my $name = shift;
    my $file = env_of('OIDP_TEST_STATE') . "/keys/$name.pem";
    my $text = qx{openssl pkey -in '$file' -noout -text_pub 2>/dev/null};
    die "openssl could not read $file\n" if $? || !$text;
    my $hex = sub {
        my $label = shift;
        my ($block) = $text =~ /^\Q$label\E:?\s*\n((?:\s+[0-9a-f:]+\n)+)/mi or return undef;
        $block =~ s/[\s:]//g;
        return pack 'H*', $block;
    };
    if ($text =~ /^Modulus:/mi) {
        my $n = $hex->('Modulus');
        $n =~ s/^\0+//;
        my ($e) = $text =~ /^Exponent: (\d+)/mi;
        my $eb = '';
        while ($e) { $eb = chr($e & 0xff) . $eb; $e >>= 8 }
        return { kty => 'RSA', n => b64url_encode($n), e => b64url_encode($eb) };
    }
    my $pub = $hex->('pub') // die "no public key in $file\n";
    $pub =~ s/^\x04// or die "not an uncompressed EC point in $file\n";
    my $half = length($pub) / 2;
    return { kty => 'EC', x => b64url_encode(substr $pub, 0, $half),
             y => b64url_encode(substr $pub, $half) };
}

# ------------------------------------------------------------ admin tool

# One database serves one issuer: each virtual host with an issuer of its
# own has its own database (tests/suite.sh, OIDP_TEST_DBS). mirror(VHOST,
# ...) at the top of a test file that uses those virtual hosts makes admin()
# (and so client_add, user_add) also write their databases: the same
# command, with the secret and subject the main database got.
my @MIRROR;

sub vhost_db {
    my %dbs = map { split /=/, $_, 2 } grep { length } split /\n/, env_of('OIDP_TEST_DBS');
    return map { $dbs{$_} // die "no database of the virtual host $_ in \$OIDP_TEST_DBS\n" } @_;
}

sub mirror {
    @MIRROR = vhost_db(@_);
}

# admin_on(VHOST, ARGS...) -> (exit status, stdout, stderr): the admin tool
# on that virtual host's database only (rows only httpd wrote there, such as
# a provider's users)
sub admin_on {
    my ($vhost, @args) = @_;
    return run_admin(vhost_db($vhost), '', @args);
}

# run_admin(DB, STDIN, ARGS...) -> (exit status, stdout, stderr)
sub run_admin {
    my ($db, $stdin, @args) = @_;
    my $tool = env_of('OIDP_TEST_TOP') . '/build/oidc-idp-admin';
    my ($in, $out, $err) = map { File::Temp->new } 1 .. 3;
    print $in $stdin;
    close $in;
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        open STDIN, '<', $in->filename or die;
        open STDOUT, '>', $out->filename or die;
        open STDERR, '>', $err->filename or die;
        exec $tool, '--db', $db, @args or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    my $slurp = sub { local $/; open my $fh, '<', shift or return ''; my $s = <$fh>; $s // '' };
    return ($rc, $slurp->($out->filename), $slurp->($err->filename));
}

# admin(stdin => TEXT, ARGS...) -> (exit status, stdout, stderr); runs
# build/oidc-idp-admin on this run's database (SQLite or PostgreSQL), and on
# the databases mirror() named.
sub admin {
    my @args = @_;
    my $stdin = '';
    if (@args && $args[0] eq 'stdin') {
        (undef, $stdin, @args) = @args;
    }
    my ($rc, $o, $e) = run_admin(env_of('OIDP_TEST_DB'), $stdin, @args);
    # what went in on stdin (a password or a secret) and any secret printed
    record_secret('admin:stdin', map { s/\r?\n\z//r } grep { length } split /\n/, $stdin);
    record_secret('admin:client_secret', $1) while $o =~ /^client_secret: (\S+)$/mg;
    my $cmd = join ' ', grep { !/^--json$/ } @args[0 .. ($#args < 2 ? $#args : 2)];
    for my $db (@MIRROR) {
        my ($min, @margs) = ($stdin, @args);
        if ($cmd =~ /^client (add|update) / && $o =~ /^client_secret: (\S+)$/m) {
            ($min, @margs) = ("$1\n", (grep { $_ ne '--new-secret' } @margs), '--secret-stdin');
        }
        if ($cmd =~ /^user add / && !grep({ $_ eq '--id' } @margs) && $o =~ /\(sub ([^)\s]+)\)/) {
            push @margs, '--id', $1;
        }
        my ($mrc, $mo, $me) = run_admin($db, $min, @margs);
        die "oidc-idp-admin @margs on $db: exit $mrc, on the main database $rc: $me$mo\n"
            if $mrc != $rc;
    }
    return ($rc, $o, $e);
}

# client_add(ID, grant_types => '...', scopes => '...', auth_method => '...',
# secret => KNOWN, public => 1, redirect_uris => [...], post_logout_uris => [...],
# name => TEXT, dialect => 'casdoor', first_party => 0|1, id_token_alg => ALG,
# pin => 1 (only the registered method is accepted))
# -> the client's secret; dies if the tool fails.
sub client_add {
    my ($id, %o) = @_;
    my @args = ('client', 'add', $id);
    push @args, '--grant-types', $o{grant_types} // 'client_credentials';
    push @args, '--scopes', $o{scopes} if defined $o{scopes};
    push @args, '--auth-method', $o{auth_method} if $o{auth_method};
    push @args, '--pin-auth-method' if $o{pin};
    push @args, '--public' if $o{public};
    push @args, '--redirect-uri', $_ for @{ $o{redirect_uris} || [] };
    push @args, '--post-logout-uri', $_ for @{ $o{post_logout_uris} || [] };
    push @args, '--name', $o{name} if defined $o{name};
    push @args, '--dialect', $o{dialect} if $o{dialect};
    push @args, $o{first_party} ? '--first-party' : '--no-first-party' if defined $o{first_party};
    push @args, '--id-token-alg', $o{id_token_alg} if $o{id_token_alg};
    my @stdin;
    if (defined $o{secret}) {
        push @args, '--secret-stdin';
        @stdin = (stdin => "$o{secret}\n");
    }
    my ($rc, $out, $err) = admin(@stdin, @args);
    die "oidc-idp-admin @args: exit $rc: $err$out\n" if $rc;
    record_secret('admin:client_secret', $o{secret}) if defined $o{secret};
    return $o{secret} if defined $o{secret};
    return undef if $o{public};
    my ($secret) = $out =~ /^client_secret: (\S+)$/m
        or die "oidc-idp-admin @args printed no client_secret:\n$out\n";
    record_secret('admin:client_secret', $secret);
    return $secret;
}

# ------------------------------------------------------------ error_log

sub error_log_path {
    return Apache::Test::config()->{vars}->{t_logs} . '/error_log';
}

# Byte offset of the end of the error_log now.
sub log_offset {
    return -s error_log_path() || 0;
}

# What httpd logged since an offset.
sub log_since {
    my $off = shift || 0;
    open my $fh, '<', error_log_path() or return '';
    seek $fh, $off, 0;
    local $/;
    return <$fh> // '';
}

# ------------------------------------------------------------ users

# user_add(NAME, password => PW, name => ..., given_name, family_name, email,
# email_verified => 0|1, phone, phone_verified => 0|1, groups => [...], street,
# locality, region, postal_code, country, formatted_address, picture, locale)
# -> the user's sub; dies if the tool fails. Without a password the user
# cannot sign in with one.
sub user_add {
    my ($name, %o) = @_;
    my @args = ('user', 'add', $name);
    my %flag = (name => '--name', given_name => '--given-name', family_name => '--family-name',
        email => '--email', phone => '--phone', picture => '--picture', locale => '--locale',
        street => '--street', locality => '--locality', region => '--region',
        postal_code => '--postal-code', country => '--country',
        formatted_address => '--formatted-address');
    for my $k (sort keys %flag) {
        push @args, $flag{$k}, $o{$k} if defined $o{$k};
    }
    push @args, $o{email_verified} ? '--email-verified' : '--no-email-verified'
        if defined $o{email_verified};
    push @args, $o{phone_verified} ? '--phone-verified' : '--no-phone-verified'
        if defined $o{phone_verified};
    push @args, '--group', $_ for @{ $o{groups} || [] };
    my @stdin;
    if (defined $o{password}) {
        record_secret('admin:password', $o{password});
        push @args, '--password-stdin';
        @stdin = (stdin => "$o{password}\n");
    }
    else {
        push @args, '--no-password';
    }
    my ($rc, $out, $err) = admin(@stdin, @args);
    die "oidc-idp-admin @args: exit $rc: $err$out\n" if $rc;
    my ($sub) = $out =~ /\(sub ([^)\s]+)\)/
        or die "oidc-idp-admin @args printed no sub:\n$out\n";
    return $sub;
}

# ------------------------------------------------------------ browser

# PATH?QUERY from an ordered list of parameters (repeats allowed).
sub query_path {
    my ($path, @params) = @_;
    return @params ? "$path?" . form_encode(@params) : $path;
}

# A browser: its own cookie jar, and no automatic redirects, so that each
# step (login page, consent page, redirect to the client) can be looked at.
# Pass it to get/post_form/request as ua => BROWSER. browser(tls_proxy => 1):
# a browser that speaks https to a TLS proxy in front of the server, which
# the tests reach over plain http: its jar sends Secure cookies too.
sub browser {
    my %o = @_;
    return LWP::UserAgent->new(
        timeout               => 30,
        keep_alive            => 0,
        max_redirect          => 0,
        requests_redirectable => [],
        agent                 => 'Mozilla/5.0 (oidp-tests browser)',
        cookie_jar            => $o{tls_proxy} ? OIDP::Test::ProxiedJar->new : HTTP::Cookies->new,
    );
}

# The forms of an HTML page as a browser reads them (entities decoded, the
# action resolved against the page's URL):
# [{ action => URL, method => 'GET'|'POST', attrs => {...},
#    fields => [[NAME, VALUE, TYPE, ATTRS], ...] (named inputs, in order),
#    buttons => [[NAME, VALUE, ATTRS], ...] (submit buttons) }, ...]
sub html_forms {
    my $res = shift;
    my $html = $res->decoded_content // '';
    my $base = $res->request ? $res->request->uri : url('/');
    my $p = HTML::TokeParser->new(\$html);
    my (@forms, $cur);
    while (my $t = $p->get_tag('form', '/form', 'input', 'button')) {
        my ($tag, $a) = @$t;
        # values as the bytes a browser submits (UTF-8)
        utf8::encode($_) for grep { utf8::is_utf8($_) } (ref $a eq "HASH" ? values %$a : ());
        if ($tag eq 'form') {
            $cur = { attrs => $a, method => uc($a->{method} // 'GET'),
                     action => URI->new_abs($a->{action} // '', $base)->as_string,
                     fields => [], buttons => [] };
            push @forms, $cur;
        }
        elsif ($tag eq '/form') {
            undef $cur;
        }
        elsif ($cur && $tag eq 'input') {
            my $type = lc($a->{type} // 'text');
            if ($type eq 'submit') {
                push @{ $cur->{buttons} }, [$a->{name}, $a->{value} // '', $a];
            }
            elsif (defined $a->{name}) {
                push @{ $cur->{fields} }, [$a->{name}, $a->{value} // '', $type, $a];
            }
        }
        elsif ($cur && $tag eq 'button' && lc($a->{type} // 'submit') eq 'submit') {
            push @{ $cur->{buttons} }, [$a->{name}, $a->{value} // '', $a];
        }
    }
    return \@forms;
}

# The name => value pairs a browser submits for FORM: every named input in
# document order (fill => {NAME => VALUE} replaces a value), then the
# clicked button (button => [NAME, VALUE]).
sub form_data {
    my ($form, %o) = @_;
    my %fill = %{ $o{fill} || {} };
    my @out;
    for my $f (@{ $form->{fields} }) {
        my ($name, $value, $type, $a) = @$f;
        next if ($type eq 'checkbox' || $type eq 'radio') && !exists $a->{checked};
        next if grep { $type eq $_ } qw(button reset image file);
        push @out, $name => (exists $fill{$name} ? $fill{$name} : $value);
    }
    push @out, @{ $o{button} } if $o{button} && defined $o{button}->[0];
    return @out;
}

# Submits FORM as a browser does (form_data's options) with BROWSER.
sub form_submit {
    my ($b, $form, %o) = @_;
    my @data = form_data($form, %o);
    return post_form($form->{action}, \@data, ua => $b) if $form->{method} eq 'POST';
    my $u = URI->new($form->{action});
    $u->query(form_encode(@data));
    return get($u->as_string, ua => $b);
}

sub login_form {
    my $res = shift;
    my ($f) = grep { grep { $_->[2] eq 'password' } @{ $_->{fields} } } @{ html_forms($res) };
    return $f;
}

sub consent_form {
    my $res = shift;
    my ($f) = grep {
        grep { ($_->[0] // '') eq 'oidp_action' && $_->[1] eq 'allow' } @{ $_->{buttons} }
    } @{ html_forms($res) };
    return $f;
}

# What an answer of the authorization endpoint is: 'redirect' (3xx with a
# Location), 'login' (an HTML form with a password field), 'consent' (a form
# with the oidp_action=allow button), 'form_post' (200 HTML with a form of
# hidden code or error fields), 'page' (any other HTML), 'other'.
sub page_kind {
    my $res = shift;
    return 'redirect' if $res->is_redirect && defined $res->header('Location');
    return 'other' unless ($res->header('Content-Type') // '') =~ m{^text/html}i;
    return 'login' if $res->code == 200 && login_form($res);
    return 'consent' if $res->code == 200 && consent_form($res);
    return 'form_post' if $res->code == 200 && grep {
        grep { $_->[2] eq 'hidden' && ($_->[0] eq 'code' || $_->[0] eq 'error') } @{ $_->{fields} }
    } @{ html_forms($res) };
    return 'page';
}

# authorize(BROWSER, params => [...], path => '/login/oauth/authorize',
#   method => 'GET'|'POST', vhost => NAME, user => [NAME, PASSWORD],
#   cancel => 1, consent => 'allow'|'deny', redirect_uri => URI)
# Drives the pages as a person does: fills in and submits the login form
# once (or presses Cancel), answers the consent page once, and stops at
# anything else. Returns {
#   res => the last response, kind => its page_kind, pages => [kinds seen],
#   login => the login page (if one was shown), consent => the consent page,
#   cb => authz_response(res, redirect_uri) (the redirect_uri of the params
#         unless given) }
sub authorize {
    my ($b, %o) = @_;
    my $path = $o{path} || '/login/oauth/authorize';
    my @params = @{ $o{params} || [] };
    my $res = ($o{method} || 'GET') eq 'POST'
        ? post_form($path, \@params, ua => $b, vhost => $o{vhost})
        : get(query_path($path, @params), ua => $b, vhost => $o{vhost});
    my %r = (pages => []);
    for (1 .. 5) {
        my $kind = page_kind($res);
        push @{ $r{pages} }, $kind;
        if ($kind eq 'login') {
            my $first = !$r{login};
            $r{login} ||= $res;
            last unless $first && ($o{user} || $o{cancel});
            $res = form_submit($b, login_form($res), $o{cancel}
                ? (button => [oidp_action => 'cancel'])
                : (fill => { username => $o{user}->[0], password => $o{user}->[1] },
                   button => [oidp_action => 'login']));
            next;
        }
        if ($kind eq 'consent') {
            my $first = !$r{consent};
            $r{consent} ||= $res;
            last unless $first && $o{consent};
            $res = form_submit($b, consent_form($res), button => [oidp_action => $o{consent}]);
            next;
        }
        last;
    }
    my %p = @params;
    $r{res} = $res;
    $r{kind} = page_kind($res);
    $r{cb} = authz_response($res, $o{redirect_uri} // $p{redirect_uri});
    return \%r;
}

sub form_decode {
    my $s = shift // '';
    my @out;
    for my $pair (split /&/, $s, -1) {
        next if $pair eq '';
        my ($k, $v) = split /=/, $pair, 2;
        for ($k, $v) {
            next unless defined;
            tr/+/ /;
            s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
        }
        push @out, $k, $v;
    }
    return @out;
}

# The authorization response a client receives at REDIRECT_URI: from the
# Location of a redirect (what follows the registered URI: "?"/"&" for the
# query, "#" for the fragment) or from the form of a form_post page whose
# action is exactly REDIRECT_URI. -> { mode => 'query'|'fragment'|'form_post',
# params => {NAME => VALUE} (decoded, bytes), names => [every name, in order],
# location => the Location } or undef when the answer goes nowhere near
# REDIRECT_URI.
sub authz_response {
    my ($res, $redirect_uri) = @_;
    return undef unless defined $redirect_uri;
    my @pairs;
    my %r;
    if ($res->is_redirect && defined(my $loc = $res->header('Location'))) {
        return undef unless index($loc, $redirect_uri) == 0;
        my $rest = substr $loc, length $redirect_uri;
        $r{location} = $loc;
        if ($rest =~ /^#(.*)$/s) {
            $r{mode} = 'fragment';
            @pairs = form_decode($1);
        }
        elsif ($rest =~ /^[?&](.*)$/s || ($redirect_uri =~ /[?&]$/ && $rest =~ /^(.*)$/s)) {
            my $q = $1;
            return undef if $q =~ /#/;
            $r{mode} = 'query';
            @pairs = form_decode($q);
        }
        else {
            return undef;
        }
    }
    elsif ($res->code == 200) {
        my ($f) = grep { $_->{attrs}->{action} && $_->{attrs}->{action} eq $redirect_uri }
            @{ html_forms($res) } or return undef;
        $r{mode} = 'form_post';
        $r{method} = $f->{method};
        @pairs = map { $_->[2] eq 'hidden' ? ($_->[0], $_->[1]) : () } @{ $f->{fields} };
    }
    else {
        return undef;
    }
    $r{names} = [@pairs[grep { !($_ % 2) } 0 .. $#pairs]];
    $r{params} = {@pairs};
    return \%r;
}

# A code exchange (RFC 6749 4.1.3): code_exchange(client => [ID, SECRET, HOW],
# code => C, redirect_uri => U, verifier => V, path, vhost, params => [more])
sub code_exchange {
    my %o = @_;
    my @p = (grant_type => 'authorization_code', code => $o{code});
    push @p, redirect_uri => $o{redirect_uri} if defined $o{redirect_uri};
    push @p, code_verifier => $o{verifier} if defined $o{verifier};
    push @p, @{ $o{params} || [] };
    return token_request(client => $o{client}, params => \@p, path => $o{path}, vhost => $o{vhost});
}

# (verifier, S256 challenge) of RFC 7636.
sub pkce_pair {
    my $v = b64url_encode(join '', map { chr int rand 256 } 1 .. 32);
    return ($v, b64url_encode(sha256($v)));
}

# OIDC Core 3.1.3.6: the left half of SHA-256 of the access token, base64url.
sub at_hash {
    return b64url_encode(substr sha256(shift), 0, 16);
}

# A state as the conformance suite sends it: 128 characters ending in "-._~".
sub random_state {
    my @c = ('A' .. 'Z', 'a' .. 'z', '0' .. '9');
    return join('', map { $c[rand @c] } 1 .. 124) . '-._~';
}

# A state that encoding changes: spaces, +, /, =, &, %, ?, # and UTF-8 bytes.
sub odd_state {
    return "a b+c/d=e&f%2Bg?h#i \xc3\xa9 " . ++$seq;
}

# code_flow(client => [ID, SECRET, HOW], redirect_uri => U, user => [N, P],
#   scope => S, params => [more authorization parameters], browser => B,
#   consent => 'allow', pkce => 1, nonce => N (default: a fresh one; '' for
#   none), path, token_path, vhost)
# One whole authorization code flow for tests that need tokens; dies when a
# step does not give what the next one needs. -> { browser, authz (the
# authorize result), code, nonce, state, verifier, res (token response),
# tokens (its JSON) }
sub code_flow {
    my %o = @_;
    my $b = $o{browser} || browser();
    my ($id) = @{ $o{client} };
    my $nonce = $o{nonce} // 'n-' . marker();
    my $state = 's-' . marker();
    my @params = (response_type => 'code', client_id => $id, redirect_uri => $o{redirect_uri},
                  scope => $o{scope} // 'openid', state => $state);
    push @params, nonce => $nonce if length $nonce;
    my ($verifier, $challenge);
    if ($o{pkce}) {
        ($verifier, $challenge) = pkce_pair();
        push @params, code_challenge => $challenge, code_challenge_method => 'S256';
    }
    push @params, @{ $o{params} || [] };
    my $a = authorize($b, params => \@params, user => $o{user}, consent => $o{consent} // 'allow',
                      path => $o{path}, vhost => $o{vhost});
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    die "code_flow: no code (pages: @{ $a->{pages} }):\n" . $a->{res}->as_string unless $code;
    my $res = code_exchange(client => $o{client}, code => $code, redirect_uri => $o{redirect_uri},
                            verifier => $verifier, path => $o{token_path}, vhost => $o{vhost});
    my $tokens = json_of($res);
    die "code_flow: the code exchange failed:\n" . $res->as_string
        unless $res->code == 200 && $tokens && $tokens->{access_token};
    return { browser => $b, authz => $a, code => $code, nonce => (length $nonce ? $nonce : undef),
             state => $state, verifier => $verifier, res => $res, tokens => $tokens };
}

# An authorization error sent back to the client (RFC 6749 4.1.2.1, RFC 9207,
# OIDC Core 3.1.2.6), checked as the conformance suite does:
# authz_error_ok(RES, REDIRECT_URI, ERROR, STATE (undef: none sent), NAME,
# mode => 'query'|'fragment'|'form_post', issuer => ISS) -> the parsed response.
sub authz_error_ok {
    my ($res, $redirect_uri, $error, $state, $name, %o) = @_;
    my $mode = $o{mode} || 'query';
    if ($mode eq 'form_post') {
        Test::More::is($res->code, 200, "$name: 200 with a form posting to the client")
            or Test::More::diag($res->as_string);
        Test::More::ok(!defined $res->header('Location'), "$name: no Location");
    }
    else {
        Test::More::is($res->code, 302, "$name: 302 to the client") or Test::More::diag($res->as_string);
    }
    Test::More::like($res->header('Cache-Control') // '', qr/\bno-store\b/, "$name: Cache-Control no-store");
    my $cb = authz_response($res, $redirect_uri);
    Test::More::ok($cb, "$name: the answer goes to the redirect_uri")
        or return Test::More::diag('Location: ' . ($res->header('Location') // '(none)'));
    Test::More::is($cb->{mode}, $mode, "$name: response mode $mode");
    my %p = %{ $cb->{params} };
    Test::More::is($p{error}, $error, "$name: error=$error");
    if (defined $state) {
        Test::More::ok(defined $p{state} && $p{state} eq $state, "$name: state echoed byte for byte")
            or Test::More::diag("sent " . length($state) . " bytes, got " . ($p{state} // '(none)'));
    }
    else {
        Test::More::ok(!exists $p{state}, "$name: no state when none was sent");
    }
    Test::More::is($p{iss}, $o{issuer} // issuer(), "$name: iss (RFC 9207)");
    Test::More::ok(!exists $p{code}, "$name: no code");
    my %allowed = map { $_ => 1 } qw(error error_description error_uri state session_state iss);
    my @extra = grep { !$allowed{$_} } @{ $cb->{names} };
    Test::More::ok(!@extra, "$name: only error parameters") or Test::More::diag("extra: @extra");
    my %n;
    my @twice = grep { $n{$_}++ == 1 } @{ $cb->{names} };
    Test::More::ok(!@twice, "$name: each parameter once") or Test::More::diag("repeated: @twice");
    if (defined $p{error_description}) {
        Test::More::like($p{error_description}, qr/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/,
            "$name: error_description characters (RFC 6749 4.1.2.1)");
    }
    return $cb;
}

# An error shown to the person, never sent to a client: an HTML page with
# STATUS, no Location, not cacheable, not frameable, no code anywhere.
sub error_page_ok {
    my ($res, $status, $name) = @_;
    Test::More::is($res->code, $status, "$name: status $status") or Test::More::diag($res->as_string);
    Test::More::ok(!defined $res->header('Location'), "$name: no redirect");
    Test::More::like($res->header('Content-Type') // '', qr{^text/html}i, "$name: an HTML page");
    Test::More::like($res->header('Cache-Control') // '', qr/\bno-store\b/, "$name: Cache-Control no-store");
    Test::More::like($res->header('Content-Security-Policy') // '', qr/frame-ancestors 'none'/,
        "$name: not frameable");
    my $forms = html_forms($res);
    Test::More::ok(!grep({ $_->{attrs}->{action} && $_->{attrs}->{action} =~ /^https?:/ } @$forms),
        "$name: no form posting anywhere");
}

# Is a decoded JSON value a number (not a string holding digits)?
sub is_json_number {
    my $v = shift;
    return 0 if !defined $v || ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & (B::SVp_IOK | B::SVp_NOK)) && !($f & B::SVp_POK) ? 1 : 0;
}

# The claim checks of the conformance suite (AbstractValidateOpenIdStandardClaims):
# no null, no empty or "null" strings, booleans and numbers where OIDC says,
# address an object of strings.
sub claim_types_ok {
    my ($c, $name) = @_;
    my @null = grep { !defined $c->{$_} } sort keys %$c;
    Test::More::ok(!@null, "$name: no null claims") or Test::More::diag("null: @null");
    # on copies: a string comparison would make a number look like a string
    my @empty = grep { my $v = $c->{$_}; defined $v && !ref $v && ($v eq '' || $v eq 'null') }
        sort keys %$c;
    Test::More::ok(!@empty, "$name: no empty claims") or Test::More::diag("empty: @empty");
    for my $k (qw(email_verified phone_number_verified)) {
        next unless exists $c->{$k};
        Test::More::ok(JSON::PP::is_bool($c->{$k}), "$name: $k is a JSON boolean");
    }
    for my $k (qw(updated_at auth_time iat exp)) {
        next unless exists $c->{$k};
        Test::More::ok(is_json_number($c->{$k}), "$name: $k is a JSON number");
    }
    if (exists $c->{address}) {
        my $a = $c->{address};
        Test::More::ok(ref $a eq 'HASH' && %$a && !grep({ !defined $_ || ref $_ || $_ eq '' } values %$a),
            "$name: address is a non-empty object of strings");
    }
}

# The checks of the conformance suite on an ID token from the token endpoint
# (PerformStandardIdTokenChecks, ValidateIdToken), plus this module's
# promises (azp, sid, at_hash, RS256 with a kid):
# id_token_ok(JWT, client_id => ID, nonce => N|undef, access_token => AT,
#   issuer => ISS, jwks => JWKS, vhost => NAME, name => NAME) -> the claims.
sub id_token_ok {
    my ($jwt, %o) = @_;
    my $name = $o{name} // 'ID token';
    my ($h, $c) = jwt_decode($jwt);
    Test::More::ok($h, "$name: a compact JWS") or return {};
    Test::More::is($h->{alg}, 'RS256', "$name: alg RS256");
    Test::More::ok(defined $h->{kid} && length $h->{kid}, "$name: kid");
    my $jwks = $o{jwks} || jwks_of('/.well-known/jwks', $o{vhost});
    Test::More::ok(jwt_verify($jwt, $jwks), "$name: signature verifies against the served JWKS")
        or Test::More::diag($@);
    my $now = time;
    Test::More::is($c->{iss}, $o{issuer} // issuer(), "$name: iss is the issuer");
    my $aud = $c->{aud};
    Test::More::ok(ref $aud eq 'ARRAY' ? (grep { $_ eq $o{client_id} } @$aud) : ($aud // '') eq $o{client_id},
        "$name: aud is the client");
    Test::More::is($c->{azp}, $o{client_id}, "$name: azp is the client");
    Test::More::like($c->{sub} // '', qr/^[\x21-\x7e]{1,255}$/, "$name: sub is printable ASCII, 1-255");
    Test::More::ok(is_json_number($c->{exp}) && $c->{exp} > $now - 5 && $c->{exp} < $now + 86400,
        "$name: exp is a number in the near future");
    Test::More::ok(is_json_number($c->{iat}) && abs($c->{iat} - $now) <= 300, "$name: iat is now");
    Test::More::ok(is_json_number($c->{auth_time}) && $c->{auth_time} <= $now + 5
        && $c->{auth_time} > $now - 365 * 86400, "$name: auth_time");
    if (defined $o{nonce}) {
        Test::More::is($c->{nonce}, $o{nonce}, "$name: nonce is the one sent");
    }
    else {
        Test::More::ok(!exists $c->{nonce}, "$name: no nonce when none was sent");
    }
    if (defined $o{access_token}) {
        Test::More::is($c->{at_hash}, at_hash($o{access_token}), "$name: at_hash of the access token");
    }
    Test::More::like($c->{sid} // '', qr/^\S+$/, "$name: sid");
    claim_types_ok($c, $name);
    return $c;
}

# userinfo(TOKEN, how => 'header'|'post-header'|'body'|'query'|'camel',
# path => '/userinfo', vhost) -> the response.
sub userinfo {
    my ($token, %o) = @_;
    my $path = $o{path} || '/userinfo';
    my $how = $o{how} || 'header';
    return get($path, headers => [Authorization => "Bearer $token"], vhost => $o{vhost})
        if $how eq 'header';
    return post_form($path, [], headers => [Authorization => "Bearer $token"], vhost => $o{vhost})
        if $how eq 'post-header';
    return post_form($path, [access_token => $token], vhost => $o{vhost}) if $how eq 'body';
    return get(query_path($path, access_token => $token), vhost => $o{vhost}) if $how eq 'query';
    return get(query_path($path, accessToken => $token), vhost => $o{vhost}) if $how eq 'camel';
    die "userinfo: unknown way $how\n";
}


# The cookie jar of browser(tls_proxy => 1): picks the cookies as for the
# same URL over https (HTTP::Cookies sends Secure ones only there).
package OIDP::Test::ProxiedJar;
our @ISA = ('HTTP::Cookies');

sub add_cookie_header {
    my ($self, $req) = @_;
    my $https = $req->clone;
    my $u = $req->uri->clone;
    my $port = $u->port;
    $u->scheme('https');
    $u->port($port);
    $https->uri($u);
    $self->SUPER::add_cookie_header($https);
    my $c = $https->header('Cookie');
    $req->header(Cookie => $c) if defined $c;
    return $req;
}

package OIDP::Test;

1;
