/*
 * JOSE on OpenSSL 3 (EVP only): key loading, RFC 7638
 * thumbprints, the JWKS and JWS compact signing and verification.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_file_io.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "oidp_b64url.h"
#include "oidp_jose.h"
#include "oidp_json.h"
#include "oidp_util.h"

/* ------------------------------------------------------------------ */
/* keys */

static apr_status_t pkey_free(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

static const char *bn_param_b64(apr_pool_t *p, EVP_PKEY *pk, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    int len;

    if (!EVP_PKEY_get_bn_param(pk, name, &bn)) {
        return NULL;
    }
    len = pad ? pad : BN_num_bytes(bn);
    if (len > (int)sizeof(buf) || BN_bn2binpad(bn, buf, len) != len) {
        BN_free(bn);
        return NULL;
    }
    BN_free(bn);
    return oidp_b64url_encode(p, buf, (apr_size_t)len);
}

/* Fills alg, kty and the public JWK members from the EVP_PKEY. */
static const char *key_describe(oidp_key_t *k, apr_pool_t *p)
{
    EVP_PKEY *pk = k->pkey;
    char group[64];
    size_t glen = 0;
    unsigned char raw[64];
    size_t rawlen = sizeof(raw);

    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
        if (EVP_PKEY_get_bits(pk) < 2048) {
            return "RSA keys must have at least 2048 bits";
        }
        k->alg = OIDP_ALG_RS256;
        k->alg_name = "RS256";
        k->kty = "RSA";
        k->n = bn_param_b64(p, pk, OSSL_PKEY_PARAM_RSA_N, 0);
        k->e = bn_param_b64(p, pk, OSSL_PKEY_PARAM_RSA_E, 0);
        return (k->n && k->e) ? NULL : "cannot read the RSA public key";
    case EVP_PKEY_EC:
        if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                            &glen)
            || (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)) {
            return "EC keys must be on the P-256 curve (ES256)";
        }
        k->alg = OIDP_ALG_ES256;
        k->alg_name = "ES256";
        k->kty = "EC";
        k->crv = "P-256";
        k->x = bn_param_b64(p, pk, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        k->y = bn_param_b64(p, pk, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        return (k->x && k->y) ? NULL : "cannot read the EC public key";
    case EVP_PKEY_ED25519:
        if (!EVP_PKEY_get_raw_public_key(pk, raw, &rawlen)) {
            return "cannot read the Ed25519 public key";
        }
        k->alg = OIDP_ALG_EDDSA;
        k->alg_name = "EdDSA";
        k->kty = "OKP";
        k->crv = "Ed25519";
        k->x = oidp_b64url_encode(p, raw, rawlen);
        return NULL;
    default:
        return "unsupported key type (use RSA >= 2048 bits, EC P-256 or Ed25519)";
    }
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

apr_status_t oidp_jose_key_from_pem(oidp_key_t **key, apr_pool_t *p, const char *pem,
                                    apr_size_t len, const char *source, const char **err)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pk;
    oidp_key_t *k;
    const char *why;

    *key = NULL;
    if (!bio) {
        *err = "out of memory";
        return APR_ENOMEM;
    }
    pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    if (!pk) {
        (void)BIO_reset(bio);
        pk = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!pk) {
        *err = "not a PEM key (an unencrypted PKCS#8, RSA, EC or public key is expected)";
        return APR_EINVAL;
    }
    k = apr_pcalloc(p, sizeof(*k));
    k->pkey = pk;
    k->source = source;
    apr_pool_cleanup_register(p, pk, pkey_free, apr_pool_cleanup_null);
    why = key_describe(k, p);
    if (why) {
        *err = why;
        return APR_EINVAL;
    }
    k->kid = oidp_jose_thumbprint(p, k);
    *key = k;
    return APR_SUCCESS;
}

apr_status_t oidp_jose_key_load(oidp_key_t **key, apr_pool_t *p, const char *path, const char **err)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;
    apr_status_t rv;

    *key = NULL;
    rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, p);
    if (rv != APR_SUCCESS) {
        *err = "cannot open the key file";
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv == APR_SUCCESS && (fi.size <= 0 || fi.size > 1024 * 1024)) {
        rv = APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        apr_file_close(f);
        *err = "the key file is empty or too large";
        return rv;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        *err = "cannot read the key file";
        return rv;
    }
    buf[n] = '\0';
    rv = oidp_jose_key_from_pem(key, p, buf, n, path, err);
    memset(buf, 0, n); /* private key material does not linger in the pool */
    return rv;
}

const char *oidp_jose_thumbprint_input(apr_pool_t *p, const oidp_key_t *k)
{
    /* RFC 7638 3.2: required members only, lexicographic order, no spaces;
     * base64url and the fixed names need no JSON escaping. */
    switch (k->alg) {
    case OIDP_ALG_RS256:
        return apr_psprintf(p, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", k->e, k->n);
    case OIDP_ALG_ES256:
        return apr_psprintf(p, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", k->x,
                            k->y);
    case OIDP_ALG_EDDSA:
        return apr_psprintf(p, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", k->x);
    default:
        return NULL;
    }
}

const char *oidp_jose_thumbprint(apr_pool_t *p, const oidp_key_t *k)
{
    const char *in = oidp_jose_thumbprint_input(p, k);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!in || !EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha256(), NULL)) {
        return NULL;
    }
    return oidp_b64url_encode(p, md, mdlen);
}

const char *oidp_jose_jwks_json(apr_pool_t *p, const oidp_keyset_t *ks)
{
    json_t *keys = json_array();
    json_t *jwks = oidp_json_bind(p, json_pack("{s:o}", "keys", keys));
    int i;

    for (i = 0; i < ks->keys->nelts; i++) {
        const oidp_key_t *k = APR_ARRAY_IDX(ks->keys, i, const oidp_key_t *);
        json_t *jwk = json_pack("{s:s, s:s, s:s, s:s}", "kty", k->kty, "use", "sig", "alg",
                                k->alg_name, "kid", k->kid);
        if (k->n) {
            json_object_set_new(jwk, "n", json_string(k->n));
            json_object_set_new(jwk, "e", json_string(k->e));
        }
        if (k->crv) {
            json_object_set_new(jwk, "crv", json_string(k->crv));
            json_object_set_new(jwk, "x", json_string(k->x));
        }
        if (k->y) {
            json_object_set_new(jwk, "y", json_string(k->y));
        }
        json_array_append_new(keys, jwk);
    }
    return oidp_json_dump(p, jwks, NULL);
}

const oidp_key_t *oidp_jose_keyset_find_alg(const oidp_keyset_t *ks, oidp_alg_e alg)
{
    int i;

    for (i = 0; ks && i < ks->keys->nelts; i++) {
        const oidp_key_t *k = APR_ARRAY_IDX(ks->keys, i, const oidp_key_t *);
        if (k->alg == alg) {
            return k;
        }
    }
    return NULL;
}

oidp_alg_e oidp_jose_alg_from_name(const char *name)
{
    if (!name) {
        return OIDP_ALG_NONE;
    }
    if (strcmp(name, "RS256") == 0) {
        return OIDP_ALG_RS256;
    }
    if (strcmp(name, "ES256") == 0) {
        return OIDP_ALG_ES256;
    }
    if (strcmp(name, "EdDSA") == 0) {
        return OIDP_ALG_EDDSA;
    }
    return OIDP_ALG_NONE;
}

/* ------------------------------------------------------------------ */
/* JWS */

static const EVP_MD *alg_md(oidp_alg_e alg)
{
    return alg == OIDP_ALG_EDDSA ? NULL : EVP_sha256();
}

/* ES256: DER ECDSA-Sig-Value -> 64-byte R || S (RFC 7518 3.4). */
static int ecdsa_der_to_raw(unsigned char *raw, const unsigned char *der, size_t derlen)
{
    const unsigned char *q = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)derlen);
    const BIGNUM *r, *s;
    int ok;

    if (!sig) {
        return 0;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok;
}

static unsigned char *ecdsa_raw_to_der(apr_pool_t *p, const unsigned char *raw, size_t *derlen)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL);
    BIGNUM *s = BN_bin2bn(raw + 32, 32, NULL);
    unsigned char *der = NULL, *out = NULL;
    int len;

    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return NULL;
    }
    len = i2d_ECDSA_SIG(sig, &der);
    if (len > 0) {
        out = apr_pmemdup(p, der, (apr_size_t)len);
        *derlen = (size_t)len;
    }
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return out;
}

apr_status_t oidp_jose_sign(const char **jws, apr_pool_t *p, const oidp_key_t *key, const char *typ,
                            const char *payload, apr_size_t payload_len)
{
    const char *header = typ ? apr_psprintf(p, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"%s\"}",
                                            key->alg_name, key->kid, typ)
                             : apr_psprintf(p, "{\"alg\":\"%s\",\"kid\":\"%s\"}", key->alg_name,
                                            key->kid);
    const char *input = apr_pstrcat(
        p, oidp_b64url_encode(p, (const unsigned char *)header, strlen(header)), ".",
        oidp_b64url_encode(p, (const unsigned char *)payload, payload_len), NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    unsigned char raw[64];
    size_t siglen = 0;
    apr_status_t rv = APR_EGENERAL;

    if (!ctx || EVP_DigestSignInit(ctx, NULL, alg_md(key->alg), NULL, key->pkey) != 1
        || EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, strlen(input)) != 1) {
        goto cleanup;
    }
    sig = apr_palloc(p, siglen);
    if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1) {
        goto cleanup;
    }
    if (key->alg == OIDP_ALG_ES256) {
        if (!ecdsa_der_to_raw(raw, sig, siglen)) {
            goto cleanup;
        }
        sig = raw;
        siglen = sizeof(raw);
    }
    *jws = apr_pstrcat(p, input, ".", oidp_b64url_encode(p, sig, siglen), NULL);
    rv = APR_SUCCESS;
cleanup:
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return rv;
}

static const oidp_key_t *verify_key(const oidp_keyset_t *ks, oidp_alg_e alg, const char *kid)
{
    int i;

    for (i = 0; ks && i < ks->keys->nelts; i++) {
        const oidp_key_t *k = APR_ARRAY_IDX(ks->keys, i, const oidp_key_t *);
        if (k->alg == alg && (!kid || strcmp(k->kid, kid) == 0)) {
            return k;
        }
    }
    return NULL;
}

static int verify_sig(const oidp_key_t *k, apr_pool_t *p, const char *input, apr_size_t inlen,
                      const unsigned char *sig, apr_size_t siglen)
{
    EVP_MD_CTX *ctx;
    size_t len = siglen;
    int ok;

    if (k->alg == OIDP_ALG_ES256) {
        if (siglen != 64) {
            return 0;
        }
        sig = ecdsa_raw_to_der(p, sig, &len);
        if (!sig) {
            return 0;
        }
    }
    ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestVerifyInit(ctx, NULL, alg_md(k->alg), NULL, k->pkey) == 1
         && EVP_DigestVerify(ctx, sig, len, (const unsigned char *)input, inlen) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

apr_status_t oidp_jose_verify(const char **header, const char **payload, apr_pool_t *p,
                              const oidp_keyset_t *ks, const char *jws, const char **err)
{
    const char *dot1 = strchr(jws, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    unsigned char *hdr, *pl, *sig;
    apr_size_t hlen, plen, slen;
    json_t *h;
    const char *alg = NULL, *kid = NULL;
    const oidp_key_t *k;

    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        *err = "not a JWS compact serialisation";
        return APR_EINVAL;
    }
    if (oidp_b64url_decode(&hdr, &hlen, p, jws, (apr_size_t)(dot1 - jws)) != APR_SUCCESS
        || oidp_b64url_decode(&pl, &plen, p, dot1 + 1, (apr_size_t)(dot2 - dot1 - 1)) != APR_SUCCESS
        || oidp_b64url_decode(&sig, &slen, p, dot2 + 1, strlen(dot2 + 1)) != APR_SUCCESS) {
        *err = "bad base64url";
        return APR_EINVAL;
    }
    if (memchr(hdr, '\0', hlen) || memchr(pl, '\0', plen)) {
        *err = "NUL byte in the JWS";
        return APR_EINVAL;
    }
    h = oidp_json_bind(p, json_loadb((const char *)hdr, hlen, JSON_REJECT_DUPLICATES, NULL));
    if (!json_is_object(h) || json_unpack(h, "{s:s, s?s}", "alg", &alg, "kid", &kid) != 0) {
        *err = "bad JWS header";
        return APR_EINVAL;
    }
    if (json_object_get(h, "crit")) {
        *err = "unsupported critical header";
        return APR_EINVAL;
    }
    k = verify_key(ks, oidp_jose_alg_from_name(alg), kid);
    if (!k) {
        *err = "no key for this alg and kid";
        return APR_EINVAL;
    }
    if (!verify_sig(k, p, jws, (apr_size_t)(dot2 - jws), sig, slen)) {
        *err = "bad signature";
        return APR_EINVAL;
    }
    *header = (const char *)hdr;
    *payload = (const char *)pl;
    return APR_SUCCESS;
}

const char *oidp_jose_half_hash(apr_pool_t *p, oidp_alg_e alg, const char *value)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* OpenID Connect Core 3.1.3.6; EdDSA (Ed25519) uses SHA-512 */
    const EVP_MD *type = alg == OIDP_ALG_EDDSA ? EVP_sha512() : EVP_sha256();

    if (!EVP_Digest(value, strlen(value), md, &mdlen, type, NULL)) {
        return NULL;
    }
    return oidp_b64url_encode(p, md, mdlen / 2);
}
