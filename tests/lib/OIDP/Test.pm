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
use Digest::SHA qw(sha256);
use Exporter qw(import);
use File::Temp ();
use HTTP::Request ();
use IO::Socket::INET ();
use JSON::PP ();
use LWP::UserAgent ();
use MIME::Base64 qw(encode_base64 decode_base64);
use Test::More ();

our @EXPORT = qw(
    url issuer request get post_form token_request basic_header json_of
    error_ok no_store_ok json_ok raw_request
    b64url_encode b64url_decode jwt_decode jwt_verify jwk_thumbprint jwks_of
    admin client_add unique_id marker not_echoed pem_public_params log_offset log_since
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
    return ua()->request($req);
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

# token_request(client => [ID, SECRET, 'basic'|'post'], params => [...], path, vhost, headers)
sub token_request {
    my %o = @_;
    my @params = @{ $o{params} || [grant_type => 'client_credentials'] };
    my @headers = @{ $o{headers} || [] };
    if (my $c = $o{client}) {
        my ($id, $secret, $how) = @$c;
        if (($how || 'basic') eq 'basic') {
            push @headers, Authorization => basic_header($id, $secret);
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

# admin(stdin => TEXT, ARGS...) -> (exit status, stdout, stderr); runs
# build/oidc-idp-admin on this run's database (SQLite or PostgreSQL).
sub admin {
    my @args = @_;
    my $stdin = '';
    if (@args && $args[0] eq 'stdin') {
        (undef, $stdin, @args) = @args;
    }
    my $tool = env_of('OIDP_TEST_TOP') . '/build/oidc-idp-admin';
    my ($in, $out, $err) = map { File::Temp->new } 1 .. 3;
    print $in $stdin;
    close $in;
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        open STDIN, '<', $in->filename or die;
        open STDOUT, '>', $out->filename or die;
        open STDERR, '>', $err->filename or die;
        exec $tool, '--db', env_of('OIDP_TEST_DB'), @args or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    my $slurp = sub { local $/; open my $fh, '<', shift or return ''; my $s = <$fh>; $s // '' };
    return ($rc, $slurp->($out->filename), $slurp->($err->filename));
}

# client_add(ID, grant_types => '...', scopes => '...', auth_method => '...',
# secret => KNOWN, public => 1) -> the client's secret; dies if the tool fails.
sub client_add {
    my ($id, %o) = @_;
    my @args = ('client', 'add', $id);
    push @args, '--grant-types', $o{grant_types} // 'client_credentials';
    push @args, '--scopes', $o{scopes} if defined $o{scopes};
    push @args, '--auth-method', $o{auth_method} if $o{auth_method};
    push @args, '--public' if $o{public};
    my @stdin;
    if (defined $o{secret}) {
        push @args, '--secret-stdin';
        @stdin = (stdin => "$o{secret}\n");
    }
    my ($rc, $out, $err) = admin(@stdin, @args);
    die "oidc-idp-admin @args: exit $rc: $err$out\n" if $rc;
    return $o{secret} if defined $o{secret};
    return undef if $o{public};
    my ($secret) = $out =~ /^client_secret: (\S+)$/m
        or die "oidc-idp-admin @args printed no client_secret:\n$out\n";
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

1;
