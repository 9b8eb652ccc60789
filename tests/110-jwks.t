# The JSON Web Key Set (RFC 7517) at both paths: only public members, a
# unique kid per key equal to its RFC 7638 thumbprint (computed here), use
# and alg on every key, and exactly the configured keys (checked against the
# PEM files of the run), in the configured order.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

# ---------------------------------------------------------- negative first
for my $path ('/.well-known/jwks', '/jwks') {
    my $res = request('POST', $path, content => 'a=b',
        headers => ['Content-Type' => 'application/x-www-form-urlencoded']);
    error_ok($res, 405, 'invalid_request', "POST $path");
    like($res->header('Allow') // '', qr/^GET, HEAD(, OPTIONS)?$/, "POST $path: Allow");
}

# the thumbprint code itself, on RFC 7638 section 3.1's example key
is(jwk_thumbprint({
        kty => 'RSA', e => 'AQAB', alg => 'RS256', kid => '2011-04-29',
        n => '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    }), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    'jwk_thumbprint computes the RFC 7638 example');

# ---------------------------------------------------------- the set
my %private = map { $_ => 1 } qw(d p q dp dq qi oth k);
my $first;
for my $path ('/.well-known/jwks', '/jwks') {
    my $res = get($path);
    my $set = json_ok($res, 200, "GET $path");
    unlike($res->header('Cache-Control') // '', qr/no-store/, "$path: cacheable");
    my @keys = @{ $set->{keys} || [] };
    is(scalar @keys, 2, "$path: the two configured keys are published");

    my %kids;
    for my $k (@keys) {
        my $label = "$path: key " . ($k->{kid} // '?');
        my @leak = grep { $private{$_} } keys %$k;
        is("@leak", '', "$label: no private member");
        ok(defined $k->{kid} && length $k->{kid}, "$label: has a kid");
        $kids{ $k->{kid} // '' }++;
        is($k->{use}, 'sig', "$label: use sig");
        ok(defined $k->{alg}, "$label: has alg");
        is($k->{kid}, jwk_thumbprint($k), "$label: kid is the RFC 7638 thumbprint");
    }
    is(scalar(grep { $_ > 1 } values %kids), 0, "$path: every kid is unique");

    # the configured keys, in order: main-rsa (signs) then main-ec
    my ($rsa, $ec) = @keys;
    my $want_rsa = pem_public_params('main-rsa');
    my $want_ec = pem_public_params('main-ec');
    is($rsa->{kty}, 'RSA', "$path: first key is the RSA key");
    is($rsa->{alg}, 'RS256', "$path: RSA key alg RS256");
    is($rsa->{n}, $want_rsa->{n}, "$path: RSA modulus is the configured key's");
    is($rsa->{e}, $want_rsa->{e}, "$path: RSA exponent is the configured key's");
    is($ec->{kty}, 'EC', "$path: second key is the EC key");
    is($ec->{alg}, 'ES256', "$path: EC key alg ES256");
    is($ec->{crv}, 'P-256', "$path: EC key on P-256");
    is($ec->{x}, $want_ec->{x}, "$path: EC x is the configured key's");
    is($ec->{y}, $want_ec->{y}, "$path: EC y is the configured key's");
    ok(!grep({ ($_->{n} // '') eq (pem_public_params('override-rsa')->{n}) } @keys),
        "$path: no key of another virtual host");

    $first //= $set;
    is_deeply($set, $first, "$path: same set at both paths");
}

done_testing();
