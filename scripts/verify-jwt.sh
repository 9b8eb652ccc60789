#!/bin/sh
# Verifies the signature of a JWT (RS256 or ES256) against a JWKS URL with
# nothing but curl, jq, base64 and openssl. Usage: verify-jwt.sh JWT JWKS_URL
set -eu
jwt=$1
jwks_url=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# base64url -> binary (restore the alphabet and the padding)
b64url_dec() {
    s=$(printf '%s' "$1" | tr '_-' '/+')
    case $(( ${#s} % 4 )) in 2) s="$s==" ;; 3) s="$s=" ;; esac
    printf '%s' "$s" | base64 -d
}
hex() { b64url_dec "$1" | od -An -v -tx1 | tr -d ' \n'; }

header=$(echo "$jwt" | cut -d. -f1)
payload=$(echo "$jwt" | cut -d. -f2)
sig=$(echo "$jwt" | cut -d. -f3)
kid=$(b64url_dec "$header" | jq -r .kid)
alg=$(b64url_dec "$header" | jq -r .alg)
jwk=$(curl -sf "$jwks_url" | jq -c --arg kid "$kid" '.keys[] | select(.kid == $kid)')
[ -n "$jwk" ] || { echo "no key with kid $kid in $jwks_url" >&2; exit 1; }

# The public key as DER, built from the JWK members with openssl asn1parse.
case $alg in
RS256)
    printf 'asn1=SEQUENCE:pub\n[pub]\nn=INTEGER:0x%s\ne=INTEGER:0x%s\n' \
        "$(hex "$(echo "$jwk" | jq -r .n)")" "$(hex "$(echo "$jwk" | jq -r .e)")" > "$tmp/key.cnf"
    openssl asn1parse -genconf "$tmp/key.cnf" -out "$tmp/key.der" -noout
    openssl rsa -RSAPublicKey_in -inform DER -in "$tmp/key.der" -pubout -out "$tmp/key.pem" 2>/dev/null
    b64url_dec "$sig" > "$tmp/sig"
    ;;
ES256)
    # SubjectPublicKeyInfo for P-256 with the uncompressed point 04||x||y
    printf 'asn1=SEQUENCE:spki\n[spki]\nalg=SEQUENCE:algo\nkey=FORMAT:HEX,BITSTRING:04%s%s\n[algo]\nid=OID:id-ecPublicKey\ncurve=OID:prime256v1\n' \
        "$(hex "$(echo "$jwk" | jq -r .x)")" "$(hex "$(echo "$jwk" | jq -r .y)")" > "$tmp/key.cnf"
    openssl asn1parse -genconf "$tmp/key.cnf" -out "$tmp/key.der" -noout
    openssl pkey -pubin -inform DER -in "$tmp/key.der" -out "$tmp/key.pem"
    # JWS carries R||S; openssl wants a DER ECDSA-Sig-Value
    rs=$(hex "$sig")
    printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
        "$(echo "$rs" | cut -c1-64)" "$(echo "$rs" | cut -c65-128)" > "$tmp/sig.cnf"
    openssl asn1parse -genconf "$tmp/sig.cnf" -out "$tmp/sig" -noout
    ;;
*) echo "unsupported alg $alg" >&2; exit 1 ;;
esac
printf '%s.%s' "$header" "$payload" > "$tmp/data"
openssl dgst -sha256 -verify "$tmp/key.pem" -signature "$tmp/sig" "$tmp/data"
b64url_dec "$payload" | jq .
