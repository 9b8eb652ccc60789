/*
 * src/jose.c: base64url, key loading, RFC 7638 thumbprints, the JWKS, JWS
 * sign/verify (RS256, ES256, EdDSA) and the at_hash/c_hash half hash.
 * Expected values come from the RFCs or are computed here with OpenSSL
 * directly, never with the code under test.
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "oidp_jose.h"
#include "unit.h"
#include "oidp_b64url.h"

static apr_pool_t *p;
static EVP_PKEY *rsa, *rsa2, *ec, *ed;

static void keys_setup(void)
{
    if (rsa) {
        return;
    }
    rsa = ut_keygen("RSA", NULL, 2048);
    rsa2 = ut_keygen("RSA", NULL, 3072);
    ec = ut_keygen("EC", "P-256", 0);
    ed = ut_keygen("ED25519", NULL, 0);
}

static void pool_setup(void)
{
    apr_pool_create(&p, ut_pool());
}

static void pool_teardown(void)
{
    apr_pool_destroy(p);
}

static oidp_key_t *load(const char *pem)
{
    oidp_key_t *k = NULL;
    const char *err = NULL;
    apr_status_t rv = oidp_jose_key_from_pem(&k, p, pem, strlen(pem), "test", &err);

    ck_assert_msg(rv == APR_SUCCESS, "key refused: %s", err ? err : "?");
    ck_assert_ptr_nonnull(k);
    return k;
}

static oidp_keyset_t *keyset(int n, ...)
{
    oidp_keyset_t *ks = apr_pcalloc(p, sizeof(*ks));
    va_list ap;
    int i;

    ks->keys = apr_array_make(p, n, sizeof(oidp_key_t *));
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        APR_ARRAY_PUSH(ks->keys, oidp_key_t *) = va_arg(ap, oidp_key_t *);
    }
    va_end(ap);
    return ks;
}

static oidp_keyset_t *all_keys(void)
{
    return keyset(3, load(ut_pem_private(p, rsa)), load(ut_pem_private(p, ec)),
                  load(ut_pem_private(p, ed)));
}

/* ------------------------------------------------------------------ */
/* JWS made and checked with OpenSSL alone */

typedef enum {
    K_RS256,
    K_ES256,
    K_EDDSA
} kind_e;

static unsigned char *ossl_sign(kind_e kind, EVP_PKEY *k, const char *input, size_t *len,
                                int *short_rs)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig;
    size_t n = 0;

    ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, kind == K_EDDSA ? NULL : EVP_sha256(), NULL, k),
                     1);
    ck_assert_int_eq(EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)input, strlen(input)), 1);
    sig = apr_palloc(p, n);
    ck_assert_int_eq(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(ctx);
    if (kind == K_ES256) { /* DER ECDSA-Sig-Value -> R || S, 32 bytes each */
        const unsigned char *q = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)n);
        const BIGNUM *r, *s;
        unsigned char *raw = apr_palloc(p, 64);
        ck_assert_ptr_nonnull(es);
        ECDSA_SIG_get0(es, &r, &s);
        if (short_rs) {
            *short_rs = BN_num_bytes(r) < 32 || BN_num_bytes(s) < 32;
        }
        ck_assert_int_eq(BN_bn2binpad(r, raw, 32), 32);
        ck_assert_int_eq(BN_bn2binpad(s, raw + 32, 32), 32);
        ECDSA_SIG_free(es);
        sig = raw;
        n = 64;
    }
    *len = n;
    return sig;
}

static int ossl_verify(kind_e kind, EVP_PKEY *k, const char *input, size_t inlen,
                       const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    int ok, derlen = 0;

    if (kind == K_ES256) {
        ECDSA_SIG *es = ECDSA_SIG_new();
        ck_assert_uint_eq(siglen, 64);
        ck_assert_int_eq(
            ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)), 1);
        derlen = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        sig = der;
        siglen = (size_t)derlen;
    }
    ok = EVP_DigestVerifyInit(ctx, NULL, kind == K_EDDSA ? NULL : EVP_sha256(), NULL, k) == 1
         && EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)input, inlen) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();
    return ok;
}

static const char *b64s(const char *s, size_t len)
{
    return ut_b64url(p, (const unsigned char *)s, len);
}

static const char *b64z(const char *s)
{
    return b64s(s, strlen(s));
}

/* header.payload.signature with the signature made by OpenSSL */
static const char *jws_make(kind_e kind, EVP_PKEY *k, const char *header, const char *payload,
                            size_t plen)
{
    const char *input = apr_pstrcat(p, b64s(header, strlen(header)), ".", b64s(payload, plen),
                                    NULL);
    size_t slen;
    unsigned char *sig = ossl_sign(kind, k, input, &slen, NULL);

    return apr_pstrcat(p, input, ".", ut_b64url(p, sig, slen), NULL);
}

static void split(const char *jws, const char **input, size_t *inlen, unsigned char **sig,
                  size_t *siglen)
{
    const char *dot = strrchr(jws, '.');

    ck_assert_ptr_nonnull(dot);
    *input = jws;
    *inlen = (size_t)(dot - jws);
    *sig = ut_b64url_decode(p, dot + 1, strlen(dot + 1), siglen);
    ck_assert_ptr_nonnull(*sig);
}

static apr_status_t verify(const oidp_keyset_t *ks, const char *jws, const char **err)
{
    const char *h = NULL, *pl = NULL;
    *err = NULL;
    return oidp_jose_verify(&h, &pl, p, ks, jws, err);
}

#define ck_assert_verify_fails(ks, jws)                                                \
    do {                                                                               \
        const char *err_;                                                              \
        ck_assert_int_ne(verify((ks), (jws), &err_), APR_SUCCESS);                     \
        ck_assert_msg(err_ != NULL && *err_, "a refused JWS must come with a reason"); \
    } while (0)

/* ------------------------------------------------------------------ */
/* base64url */

static const struct {
    const char *raw, *enc;
} rfc4648[] = {
    /* RFC 4648 10, without padding */
    {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

START_TEST(b64url_encode_vectors)
{
    size_t i;

    for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        ck_assert_str_eq(oidp_b64url_encode(p, (const unsigned char *)rfc4648[i].raw,
                                            strlen(rfc4648[i].raw)),
                         rfc4648[i].enc);
    }
    /* the two characters that differ from base64 */
    ck_assert_str_eq(oidp_b64url_encode(p, (const unsigned char *)"\xfb\xff", 2), "-_8");
    ck_assert_str_eq(oidp_b64url_encode(p, (const unsigned char *)"\xff\xff\xff", 3), "____");
    ck_assert_str_eq(oidp_b64url_encode(p, (const unsigned char *)"\0\0\0", 3), "AAAA");
}
END_TEST

START_TEST(b64url_decode_vectors)
{
    size_t i;

    for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        unsigned char *out = NULL;
        apr_size_t n = 99;
        ck_assert_int_eq(oidp_b64url_decode(&out, &n, p, rfc4648[i].enc, strlen(rfc4648[i].enc)),
                         APR_SUCCESS);
        ck_assert_uint_eq(n, strlen(rfc4648[i].raw));
        ck_assert_mem_eq(out, rfc4648[i].raw, n);
        ck_assert_int_eq(out[n], '\0'); /* NUL-terminated for the JSON parser */
    }
}
END_TEST

START_TEST(b64url_round_trip_every_length)
{
    unsigned char buf[200];
    size_t len, i;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (unsigned char)(i * 131 + 7);
    }
    for (len = 0; len <= sizeof(buf); len++) {
        char *enc = oidp_b64url_encode(p, buf, len);
        unsigned char *dec = NULL;
        apr_size_t n = 0;
        ck_assert_str_eq(enc, ut_b64url(p, buf, len)); /* as OpenSSL, translated */
        ck_assert_uint_eq(strlen(enc), (len * 8 + 5) / 6);
        ck_assert_int_eq(oidp_b64url_decode(&dec, &n, p, enc, strlen(enc)), APR_SUCCESS);
        ck_assert_uint_eq(n, len);
        ck_assert_mem_eq(dec, buf, len);
    }
}
END_TEST

START_TEST(b64url_decode_rejects)
{
    static const char *const bad[] = {
        "Zg==",                                                      /* padding */
        "Zg=",  "Zm9v====",  "=",      "Zm+v",                       /* base64, not base64url */
        "Zm/v", "Zm9 v",     "Zm9\nv", " Zm9v", "Zm9v.",    "Zm9vY", /* length % 4 == 1 */
        "Z",    "Zm9vYmFyZ", "Zh", /* non-canonical: unused bits of the last character set */
        "Zm9",  "Zm9vYmF",   "AB",     "AAB",   "\xc3\xa9", /* non-ASCII */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char *out = NULL;
        apr_size_t n = 0;
        ck_assert_msg(oidp_b64url_decode(&out, &n, p, bad[i], strlen(bad[i])) == APR_EINVAL,
                      "accepted \"%s\"", bad[i]);
    }
}
END_TEST

START_TEST(b64url_decode_length_and_nul)
{
    unsigned char *out = NULL;
    apr_size_t n = 0;

    /* only inlen bytes are read: no NUL needed at the end */
    ck_assert_int_eq(oidp_b64url_decode(&out, &n, p, "Zm9vXXXX", 4), APR_SUCCESS);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq((char *)out, "foo");
    /* an embedded NUL inside inlen is a bad character */
    ck_assert_int_eq(oidp_b64url_decode(&out, &n, p, "Zm9v\0AAA", 8), APR_EINVAL);
    /* empty input is empty output */
    ck_assert_int_eq(oidp_b64url_decode(&out, &n, p, "", 0), APR_SUCCESS);
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* keys */

static const char *b64_bn(EVP_PKEY *k, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    int len;

    ck_assert_int_eq(EVP_PKEY_get_bn_param(k, name, &bn), 1);
    len = pad ? pad : BN_num_bytes(bn);
    ck_assert_int_eq(BN_bn2binpad(bn, buf, len), len);
    BN_free(bn);
    return ut_b64url(p, buf, (size_t)len);
}

static const char *sha256_b64(const char *s)
{
    unsigned char md[32];
    unsigned int n = 0;

    ck_assert_int_eq(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL), 1);
    return ut_b64url(p, md, n);
}

START_TEST(key_rsa)
{
    oidp_key_t *k = load(ut_pem_private(p, rsa));
    oidp_key_t *pub = load(ut_pem_public(p, rsa));
    const char *n = b64_bn(rsa, OSSL_PKEY_PARAM_RSA_N, 0);

    ck_assert_int_eq(k->alg, OIDP_ALG_RS256);
    ck_assert_str_eq(k->alg_name, "RS256");
    ck_assert_str_eq(k->kty, "RSA");
    ck_assert_str_eq(k->n, n);
    ck_assert_str_eq(k->e, "AQAB");
    ck_assert_ptr_null(k->crv);
    ck_assert_ptr_null(k->x);
    ck_assert_ptr_null(k->y);
    ck_assert_str_eq(k->source, "test");
    ck_assert_str_eq(
        k->kid, sha256_b64(apr_psprintf(p, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%s\"}", n)));
    /* the public half of the same key has the same kid */
    ck_assert_str_eq(pub->kid, k->kid);
    ck_assert_str_eq(oidp_jose_thumbprint(p, k), k->kid);
}
END_TEST

START_TEST(key_ec)
{
    oidp_key_t *k = load(ut_pem_private(p, ec));
    const char *x = b64_bn(ec, OSSL_PKEY_PARAM_EC_PUB_X, 32);
    const char *y = b64_bn(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 32);

    ck_assert_int_eq(k->alg, OIDP_ALG_ES256);
    ck_assert_str_eq(k->alg_name, "ES256");
    ck_assert_str_eq(k->kty, "EC");
    ck_assert_str_eq(k->crv, "P-256");
    ck_assert_str_eq(k->x, x);
    ck_assert_str_eq(k->y, y);
    ck_assert_uint_eq(strlen(k->x), 43); /* 32 bytes, full length (RFC 7518 6.2.1.2) */
    ck_assert_uint_eq(strlen(k->y), 43);
    ck_assert_ptr_null(k->n);
    ck_assert_str_eq(oidp_jose_thumbprint_input(p, k),
                     apr_psprintf(p, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                                  x, y));
    ck_assert_str_eq(k->kid, sha256_b64(oidp_jose_thumbprint_input(p, k)));
    ck_assert_str_eq(load(ut_pem_public(p, ec))->kid, k->kid);
}
END_TEST

START_TEST(key_ed25519)
{
    oidp_key_t *k = load(ut_pem_private(p, ed));
    unsigned char raw[32];
    size_t rawlen = sizeof(raw);

    ck_assert_int_eq(EVP_PKEY_get_raw_public_key(ed, raw, &rawlen), 1);
    ck_assert_int_eq(k->alg, OIDP_ALG_EDDSA);
    ck_assert_str_eq(k->alg_name, "EdDSA");
    ck_assert_str_eq(k->kty, "OKP");
    ck_assert_str_eq(k->crv, "Ed25519");
    ck_assert_str_eq(k->x, ut_b64url(p, raw, rawlen));
    ck_assert_ptr_null(k->y);
    ck_assert_ptr_null(k->n);
    ck_assert_str_eq(load(ut_pem_public(p, ed))->kid, k->kid);
}
END_TEST

/* RFC 7638 3.1: the example RSA key and its thumbprint. */
START_TEST(thumbprint_rfc7638_example)
{
    static const char n_b64[] =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    size_t nlen = 0;
    unsigned char *nraw = ut_b64url_decode(p, n_b64, strlen(n_b64), &nlen);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *n = BN_bin2bn(nraw, (int)nlen, NULL);
    BIGNUM *e = BN_new();
    OSSL_PARAM *params;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pk = NULL;
    oidp_key_t *k;

    ck_assert_uint_eq(nlen, 256);
    BN_set_word(e, 65537);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
    params = OSSL_PARAM_BLD_to_param(bld);
    ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_CTX_free(ctx);

    k = load(ut_pem_public(p, pk));
    EVP_PKEY_free(pk);
    ck_assert_str_eq(k->n, n_b64);
    ck_assert_str_eq(k->e, "AQAB");
    ck_assert_str_eq(oidp_jose_thumbprint_input(p, k),
                     apr_pstrcat(p, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"", n_b64, "\"}",
                                 NULL));
    ck_assert_str_eq(k->kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}
END_TEST

/* RFC 8037 A.3: the Ed25519 example key's thumbprint. */
START_TEST(thumbprint_rfc8037_example)
{
    static const char x_b64[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    size_t xlen = 0;
    unsigned char *x = ut_b64url_decode(p, x_b64, strlen(x_b64), &xlen);
    EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
    oidp_key_t *k;

    ck_assert_ptr_nonnull(pk);
    k = load(ut_pem_public(p, pk));
    EVP_PKEY_free(pk);
    ck_assert_str_eq(k->x, x_b64);
    ck_assert_str_eq(k->kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}
END_TEST

static void assert_refused(const char *pem, const char *why_contains)
{
    oidp_key_t *k = (oidp_key_t *)1;
    const char *err = NULL;

    ck_assert_int_ne(oidp_jose_key_from_pem(&k, p, pem, strlen(pem), "test", &err), APR_SUCCESS);
    ck_assert_ptr_null(k);
    ck_assert_ptr_nonnull(err);
    if (why_contains) {
        ck_assert_msg(strstr(err, why_contains) != NULL, "'%s' lacks '%s'", err, why_contains);
    }
}

START_TEST(key_refusals)
{
    EVP_PKEY *rsa1024 = ut_keygen("RSA", NULL, 1024);
    EVP_PKEY *p384 = ut_keygen("EC", "P-384", 0);
    EVP_PKEY *k1 = ut_keygen("EC", "secp256k1", 0);
    EVP_PKEY *ed448 = ut_keygen("ED448", NULL, 0);

    assert_refused(ut_pem_private(p, rsa1024), "2048");
    assert_refused(ut_pem_public(p, rsa1024), "2048");
    assert_refused(ut_pem_private(p, p384), "P-256");
    assert_refused(ut_pem_public(p, p384), "P-256");
    assert_refused(ut_pem_private(p, k1), "P-256");
    assert_refused(ut_pem_private(p, ed448), NULL);
    assert_refused("", NULL);
    assert_refused("not a key", NULL);
    assert_refused("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", NULL);
}
END_TEST

START_TEST(key_encrypted_refused_without_prompt)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;

    ck_assert_int_eq(PEM_write_bio_PrivateKey(b, rsa, EVP_aes_256_cbc(), (unsigned char *)"secret",
                                              6, NULL, NULL),
                     1);
    n = BIO_get_mem_data(b, &data);
    assert_refused(apr_pstrmemdup(p, data, (apr_size_t)n), NULL);
    BIO_free(b);
}
END_TEST

START_TEST(key_load_file)
{
    oidp_key_t *k = NULL;
    const char *err = NULL;
    const char *path = ut_write_file(p, "jose-rsa.pem", ut_pem_private(p, rsa));

    ck_assert_int_eq(oidp_jose_key_load(&k, p, path, &err), APR_SUCCESS);
    ck_assert_str_eq(k->source, path);
    ck_assert_str_eq(k->kid, load(ut_pem_public(p, rsa))->kid);

    k = (oidp_key_t *)1;
    ck_assert_int_ne(oidp_jose_key_load(&k, p, "/nonexistent/key.pem", &err), APR_SUCCESS);
    ck_assert_ptr_null(k);
    ck_assert_ptr_nonnull(err);
    path = ut_write_file(p, "jose-empty.pem", "");
    ck_assert_int_ne(oidp_jose_key_load(&k, p, path, &err), APR_SUCCESS);
}
END_TEST

START_TEST(alg_names)
{
    ck_assert_int_eq(oidp_jose_alg_from_name("RS256"), OIDP_ALG_RS256);
    ck_assert_int_eq(oidp_jose_alg_from_name("ES256"), OIDP_ALG_ES256);
    ck_assert_int_eq(oidp_jose_alg_from_name("EdDSA"), OIDP_ALG_EDDSA);
    ck_assert_int_eq(oidp_jose_alg_from_name("none"), OIDP_ALG_NONE);
    ck_assert_int_eq(oidp_jose_alg_from_name("rs256"), OIDP_ALG_NONE);
    ck_assert_int_eq(oidp_jose_alg_from_name("HS256"), OIDP_ALG_NONE);
    ck_assert_int_eq(oidp_jose_alg_from_name(NULL), OIDP_ALG_NONE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JWKS */

START_TEST(jwks_public_members_only)
{
    oidp_keyset_t *ks = all_keys();
    const char *text = oidp_jose_jwks_json(p, ks);
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    json_t *keys = json_object_get(j, "keys");
    static const char *const want[3][8] = {
        {"kty", "use", "alg", "kid", "n", "e", NULL},
        {"kty", "use", "alg", "kid", "crv", "x", "y", NULL},
        {"kty", "use", "alg", "kid", "crv", "x", NULL},
    };
    size_t i;

    ck_assert_ptr_nonnull(j);
    ck_assert_uint_eq(json_object_size(j), 1);
    ck_assert_uint_eq(json_array_size(keys), 3);
    for (i = 0; i < 3; i++) {
        json_t *jwk = json_array_get(keys, i);
        const oidp_key_t *k = APR_ARRAY_IDX(ks->keys, i, const oidp_key_t *);
        size_t m = 0;
        for (m = 0; want[i][m]; m++) {
            ck_assert_msg(json_is_string(json_object_get(jwk, want[i][m])), "key %zu lacks %s", i,
                          want[i][m]);
        }
        /* exactly these: no d, p, q, dp, dq, qi or anything else */
        ck_assert_uint_eq(json_object_size(jwk), m);
        ck_assert_str_eq(json_string_value(json_object_get(jwk, "use")), "sig");
        ck_assert_str_eq(json_string_value(json_object_get(jwk, "alg")), k->alg_name);
        ck_assert_str_eq(json_string_value(json_object_get(jwk, "kid")), k->kid);
        ck_assert_str_eq(json_string_value(json_object_get(jwk, "kty")), k->kty);
    }
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(keys, 0), "n")),
                     b64_bn(rsa, OSSL_PKEY_PARAM_RSA_N, 0));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(keys, 1), "crv")), "P-256");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(keys, 2), "crv")), "Ed25519");
    /* unique kids */
    ck_assert_str_ne(json_string_value(json_object_get(json_array_get(keys, 0), "kid")),
                     json_string_value(json_object_get(json_array_get(keys, 1), "kid")));
    ck_assert_str_ne(json_string_value(json_object_get(json_array_get(keys, 1), "kid")),
                     json_string_value(json_object_get(json_array_get(keys, 2), "kid")));
    ck_assert_ptr_null(strstr(text, "\"d\""));
    json_decref(j);
}
END_TEST

START_TEST(keyset_find_alg)
{
    oidp_keyset_t *ks = all_keys();

    ck_assert_ptr_eq(oidp_jose_keyset_find_alg(ks, OIDP_ALG_ES256),
                     APR_ARRAY_IDX(ks->keys, 1, oidp_key_t *));
    ck_assert_ptr_eq(oidp_jose_keyset_find_alg(ks, OIDP_ALG_EDDSA),
                     APR_ARRAY_IDX(ks->keys, 2, oidp_key_t *));
    ck_assert_ptr_null(oidp_jose_keyset_find_alg(ks, OIDP_ALG_NONE));
    ck_assert_ptr_null(oidp_jose_keyset_find_alg(NULL, OIDP_ALG_RS256));
}
END_TEST

/* ------------------------------------------------------------------ */
/* JWS */

static void round_trip(kind_e kind, EVP_PKEY *pk, const char *alg)
{
    oidp_key_t *k = load(ut_pem_private(p, pk));
    oidp_keyset_t *ks = all_keys();
    const char *payload = "{\"sub\":\"alice\",\"n\":1}";
    const char *jws = NULL, *h = NULL, *pl = NULL, *err = NULL, *input;
    unsigned char *sig;
    size_t inlen, siglen;
    json_t *hj;

    ck_assert_int_eq(oidp_jose_sign(&jws, p, k, "JWT", payload, strlen(payload)), APR_SUCCESS);
    ck_assert_int_eq(oidp_jose_verify(&h, &pl, p, ks, jws, &err), APR_SUCCESS);
    ck_assert_str_eq(pl, payload);
    hj = json_loads(h, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_uint_eq(json_object_size(hj), 3);
    ck_assert_str_eq(json_string_value(json_object_get(hj, "alg")), alg);
    ck_assert_str_eq(json_string_value(json_object_get(hj, "kid")), k->kid);
    ck_assert_str_eq(json_string_value(json_object_get(hj, "typ")), "JWT");
    json_decref(hj);

    /* OpenSSL agrees, on its own */
    split(jws, &input, &inlen, &sig, &siglen);
    ck_assert(ossl_verify(kind, pk, input, inlen, sig, siglen));
    if (kind == K_ES256) {
        ck_assert_uint_eq(siglen, 64); /* R || S, not DER */
    }
    if (kind == K_RS256) {
        ck_assert_uint_eq(siglen, 256);
    }
    if (kind == K_EDDSA) {
        ck_assert_uint_eq(siglen, 64);
    }
    if (kind != K_ES256) { /* deterministic: the very same bytes as OpenSSL's */
        size_t n;
        unsigned char *again = ossl_sign(kind, pk, apr_pstrmemdup(p, input, inlen), &n, NULL);
        ck_assert_uint_eq(n, siglen);
        ck_assert_mem_eq(again, sig, n);
    }

    /* typ is optional */
    ck_assert_int_eq(oidp_jose_sign(&jws, p, k, NULL, payload, strlen(payload)), APR_SUCCESS);
    ck_assert_int_eq(oidp_jose_verify(&h, &pl, p, ks, jws, &err), APR_SUCCESS);
    ck_assert_str_eq(h, apr_psprintf(p, "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, k->kid));
}

START_TEST(jws_rs256)
{
    round_trip(K_RS256, rsa, "RS256");
}
END_TEST

START_TEST(jws_es256)
{
    round_trip(K_ES256, ec, "ES256");
}
END_TEST

START_TEST(jws_eddsa)
{
    round_trip(K_EDDSA, ed, "EdDSA");
}
END_TEST

/* Signatures made by OpenSSL and converted from DER to R || S here, until
 * one has an R or S shorter than 32 bytes (left-padded with zeros). */
START_TEST(jws_es256_from_openssl_der)
{
    oidp_keyset_t *ks = all_keys();
    const char *kid = APR_ARRAY_IDX(ks->keys, 1, oidp_key_t *)->kid;
    const char *header = apr_psprintf(p, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", kid);
    int i, seen_short = 0;

    for (i = 0; i < 4000 && !seen_short; i++) {
        const char *payload = apr_psprintf(p, "{\"i\":%d}", i);
        const char *input = apr_pstrcat(p, b64s(header, strlen(header)), ".",
                                        b64s(payload, strlen(payload)), NULL);
        const char *h, *pl, *err = NULL;
        size_t slen;
        unsigned char *sig = ossl_sign(K_ES256, ec, input, &slen, &seen_short);
        const char *jws = apr_pstrcat(p, input, ".", ut_b64url(p, sig, slen), NULL);
        ck_assert_msg(oidp_jose_verify(&h, &pl, p, ks, jws, &err) == APR_SUCCESS,
                      "OpenSSL's signature %d refused: %s", i, err);
        ck_assert_str_eq(pl, payload);
    }
    ck_assert_msg(seen_short, "no short R or S in 4000 signatures");
}
END_TEST

START_TEST(jws_es256_der_signature_refused)
{
    oidp_keyset_t *ks = all_keys();
    const char *kid = APR_ARRAY_IDX(ks->keys, 1, oidp_key_t *)->kid;
    const char *header = apr_psprintf(p, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", kid);
    const char *input = apr_pstrcat(p, b64s(header, strlen(header)), ".", b64s("{}", 2), NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t n = sizeof(der);

    ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, ec), 1);
    ck_assert_int_eq(EVP_DigestSign(ctx, der, &n, (const unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(ctx);
    ck_assert_verify_fails(ks, apr_pstrcat(p, input, ".", ut_b64url(p, der, n), NULL));
}
END_TEST

START_TEST(jws_custom_headers_accepted)
{
    oidp_keyset_t *ks = all_keys();
    const char *kid = APR_ARRAY_IDX(ks->keys, 0, oidp_key_t *)->kid;
    const char *err;

    /* RFC 7515 4: unknown non-critical header parameters are ignored */
    ck_assert_int_eq(verify(ks,
                            jws_make(K_RS256, rsa,
                                     apr_psprintf(p,
                                                  "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":"
                                                  "\"at+jwt\",\"x-extra\":[1,2]}",
                                                  kid),
                                     "{}", 2),
                            &err),
                     APR_SUCCESS);
    /* no kid: the key is chosen by alg */
    ck_assert_int_eq(verify(ks, jws_make(K_EDDSA, ed, "{\"alg\":\"EdDSA\"}", "x", 1), &err),
                     APR_SUCCESS);
}
END_TEST

START_TEST(jws_key_rotation)
{
    oidp_key_t *k1 = load(ut_pem_private(p, rsa));
    oidp_key_t *k2 = load(ut_pem_private(p, rsa2));
    const char *jws, *h, *pl, *err;

    /* the second (published, not signing) key still verifies by kid */
    ck_assert_int_eq(oidp_jose_sign(&jws, p, k2, "JWT", "{}", 2), APR_SUCCESS);
    ck_assert_int_eq(oidp_jose_verify(&h, &pl, p, keyset(2, k1, k2), jws, &err), APR_SUCCESS);
    /* and fails once removed from the set */
    ck_assert_verify_fails(keyset(1, k1), jws);
}
END_TEST

START_TEST(jws_rejects_alg_none)
{
    oidp_keyset_t *ks = all_keys();
    const char *kid = APR_ARRAY_IDX(ks->keys, 0, oidp_key_t *)->kid;
    const char *body = b64s("{\"sub\":\"admin\"}", 15);

    ck_assert_verify_fails(ks,
                           apr_pstrcat(p, b64s("{\"alg\":\"none\"}", 14), ".", body, ".", NULL));
    ck_assert_verify_fails(ks, apr_pstrcat(p, b64s("{\"alg\":\"none\"}", 14), ".", body, NULL));
    ck_assert_verify_fails(
        ks, apr_pstrcat(p, b64z(apr_psprintf(p, "{\"alg\":\"none\",\"kid\":\"%s\"}", kid)), ".",
                        body, ".", NULL));
    ck_assert_verify_fails(ks,
                           apr_pstrcat(p, b64s("{\"alg\":\"None\"}", 14), ".", body, ".", NULL));
    ck_assert_verify_fails(ks, apr_pstrcat(p, b64s("{}", 2), ".", body, ".", NULL));
}
END_TEST

START_TEST(jws_rejects_tampering)
{
    oidp_key_t *k = load(ut_pem_private(p, rsa));
    oidp_keyset_t *ks = all_keys();
    const char *jws, *dot1, *dot2;
    char *bad;
    size_t siglen;
    unsigned char *sig;

    ck_assert_int_eq(oidp_jose_sign(&jws, p, k, "JWT", "{\"admin\":false}", 15), APR_SUCCESS);
    dot1 = strchr(jws, '.');
    dot2 = strchr(dot1 + 1, '.');
    /* another payload under the same header and signature */
    ck_assert_verify_fails(ks, apr_pstrcat(p, apr_pstrmemdup(p, jws, (apr_size_t)(dot1 - jws)), ".",
                                           b64s("{\"admin\":true}", 14), dot2, NULL));
    /* one flipped signature bit */
    sig = ut_b64url_decode(p, dot2 + 1, strlen(dot2 + 1), &siglen);
    sig[siglen / 2] ^= 0x01;
    ck_assert_verify_fails(ks, apr_pstrcat(p, apr_pstrmemdup(p, jws, (apr_size_t)(dot2 - jws + 1)),
                                           ut_b64url(p, sig, siglen), NULL));
    /* truncated, empty and missing signatures */
    ck_assert_verify_fails(ks, apr_pstrmemdup(p, jws, strlen(jws) - 4));
    ck_assert_verify_fails(ks, apr_pstrmemdup(p, jws, (apr_size_t)(dot2 - jws + 1)));
    ck_assert_verify_fails(ks, apr_pstrmemdup(p, jws, (apr_size_t)(dot2 - jws)));
    /* a changed header byte */
    bad = apr_pstrdup(p, jws);
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    ck_assert_verify_fails(ks, bad);
    /* signed by a key that is not in the set */
    ck_assert_verify_fails(keyset(1, load(ut_pem_public(p, rsa2))), jws);
}
END_TEST

START_TEST(jws_rejects_wrong_kid_and_alg)
{
    oidp_keyset_t *ks = all_keys();
    const char *rsa_kid = APR_ARRAY_IDX(ks->keys, 0, oidp_key_t *)->kid;
    const char *ec_kid = APR_ARRAY_IDX(ks->keys, 1, oidp_key_t *)->kid;
    const char *hdr;
    unsigned char mac[32];
    unsigned int maclen = 0;
    const char *pem = ut_pem_public(p, rsa), *input;

    /* correct signatures, but the header names another or an unknown kid */
    ck_assert_verify_fails(ks,
                           jws_make(K_RS256, rsa, "{\"alg\":\"RS256\",\"kid\":\"nope\"}", "{}", 2));
    ck_assert_verify_fails(
        ks, jws_make(K_RS256, rsa, apr_psprintf(p, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", ec_kid),
                     "{}", 2));
    ck_assert_verify_fails(
        ks, jws_make(K_ES256, ec, apr_psprintf(p, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", rsa_kid),
                     "{}", 2));
    /* kid must be a string */
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "{\"alg\":\"RS256\",\"kid\":7}", "{}", 2));
    /* the alg of the header decides, not the key: an RSA signature under ES256 */
    ck_assert_verify_fails(
        ks, jws_make(K_RS256, rsa, apr_psprintf(p, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", rsa_kid),
                     "{}", 2));
    /* unknown algs, including HS256 keyed with the public key (alg confusion) */
    hdr = apr_psprintf(p, "{\"alg\":\"HS256\",\"kid\":\"%s\"}", rsa_kid);
    input = apr_pstrcat(p, b64s(hdr, strlen(hdr)), ".", b64s("{}", 2), NULL);
    HMAC(EVP_sha256(), pem, (int)strlen(pem), (const unsigned char *)input, strlen(input), mac,
         &maclen);
    ck_assert_verify_fails(ks, apr_pstrcat(p, input, ".", ut_b64url(p, mac, maclen), NULL));
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "{\"alg\":\"PS256\"}", "{}", 2));
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "{\"alg\":\"RS512\"}", "{}", 2));
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "{\"alg\":\"rs256\"}", "{}", 2));
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "{\"alg\":[\"RS256\"]}", "{}", 2));
    /* an empty key set verifies nothing */
    ck_assert_verify_fails(keyset(0), jws_make(K_RS256, rsa, "{\"alg\":\"RS256\"}", "{}", 2));
}
END_TEST

START_TEST(jws_rejects_crit)
{
    oidp_keyset_t *ks = all_keys();
    const char *kid = APR_ARRAY_IDX(ks->keys, 0, oidp_key_t *)->kid;

    /* validly signed: refused only for the critical extension */
    ck_assert_verify_fails(
        ks, jws_make(K_RS256, rsa,
                     apr_psprintf(
                         p, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[\"exp\"],\"exp\":1}", kid),
                     "{}", 2));
    ck_assert_verify_fails(
        ks,
        jws_make(K_RS256, rsa,
                 apr_psprintf(p, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[]}", kid), "{}", 2));
    ck_assert_verify_fails(
        ks, jws_make(K_RS256, rsa,
                     apr_psprintf(p, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":null}", kid), "{}",
                     2));
}
END_TEST

START_TEST(jws_rejects_malformed)
{
    oidp_keyset_t *ks = all_keys();
    const char *good = jws_make(K_RS256, rsa, "{\"alg\":\"RS256\"}", "{}", 2);
    static const char *const bad[] = {
        "",
        ".",
        "..",
        "...",
        "a.b",
        "a.b.c.d",
        "a.b.c.d.e",
        "eyJ.e30.",
        "!!.e30.AA",
        "eyJhbGciOiJSUzI1NiJ9.e30=.AA",
        "eyJhbGciOiJSUzI1NiJ9.e30.AA==",
        "eyJhbGciOiJSUzI1NiJ9 .e30.AA",
    };
    size_t i;
    const char *err;

    ck_assert_int_eq(verify(ks, good, &err), APR_SUCCESS);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_verify_fails(ks, bad[i]);
    }
    /* a valid JWS with a fourth part, or as a JWE-like five parts */
    ck_assert_verify_fails(ks, apr_pstrcat(p, good, ".", NULL));
    ck_assert_verify_fails(ks, apr_pstrcat(p, good, ".AA.AA", NULL));
    /* headers that are not a JSON object, or repeat a member */
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "[\"RS256\"]", "{}", 2));
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "{\"alg\":\"RS256\"", "{}", 2));
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "\"RS256\"", "{}", 2));
    ck_assert_verify_fails(ks,
                           jws_make(K_RS256, rsa, "{\"alg\":\"none\",\"alg\":\"RS256\"}", "{}", 2));
    /* NUL bytes in a validly signed payload */
    ck_assert_verify_fails(ks, jws_make(K_RS256, rsa, "{\"alg\":\"RS256\"}", "{}\0{\"x\":1}", 10));
}
END_TEST

/* ------------------------------------------------------------------ */
/* at_hash / c_hash */

START_TEST(half_hash_oidc_examples)
{
    /* OpenID Connect Core 1.0 A.3 (at_hash) and A.4 (c_hash), RS256 */
    ck_assert_str_eq(oidp_jose_half_hash(p, OIDP_ALG_RS256,
                                         "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
                     "77QmUPtjPfzWtF2AnpK9RQ");
    ck_assert_str_eq(
        oidp_jose_half_hash(p, OIDP_ALG_RS256,
                            "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"),
        "LDktKdoQak3Pk0cnXxCltA");
    /* ES256 hashes with SHA-256 too */
    ck_assert_str_eq(oidp_jose_half_hash(p, OIDP_ALG_ES256,
                                         "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
                     "77QmUPtjPfzWtF2AnpK9RQ");
}
END_TEST

START_TEST(half_hash_eddsa_sha512)
{
    const char *v = "an access token";
    unsigned char md[64];
    unsigned int n = 0;

    ck_assert_int_eq(EVP_Digest(v, strlen(v), md, &n, EVP_sha512(), NULL), 1);
    ck_assert_str_eq(oidp_jose_half_hash(p, OIDP_ALG_EDDSA, v), ut_b64url(p, md, 32));
    ck_assert_uint_eq(strlen(oidp_jose_half_hash(p, OIDP_ALG_EDDSA, v)), 43);
}
END_TEST

static Suite *jose_suite(void)
{
    Suite *s = suite_create("jose");
    TCase *b64 = tcase_create("base64url");
    TCase *keys = tcase_create("keys");
    TCase *jws = tcase_create("jws");
    TCase *hh = tcase_create("half_hash");

    tcase_add_checked_fixture(b64, pool_setup, pool_teardown);
    tcase_add_test(b64, b64url_encode_vectors);
    tcase_add_test(b64, b64url_decode_vectors);
    tcase_add_test(b64, b64url_round_trip_every_length);
    tcase_add_test(b64, b64url_decode_rejects);
    tcase_add_test(b64, b64url_decode_length_and_nul);
    suite_add_tcase(s, b64);

    tcase_add_unchecked_fixture(keys, keys_setup, NULL);
    tcase_add_checked_fixture(keys, pool_setup, pool_teardown);
    tcase_set_timeout(keys, 30);
    tcase_add_test(keys, key_rsa);
    tcase_add_test(keys, key_ec);
    tcase_add_test(keys, key_ed25519);
    tcase_add_test(keys, thumbprint_rfc7638_example);
    tcase_add_test(keys, thumbprint_rfc8037_example);
    tcase_add_test(keys, key_refusals);
    tcase_add_test(keys, key_encrypted_refused_without_prompt);
    tcase_add_test(keys, key_load_file);
    tcase_add_test(keys, alg_names);
    tcase_add_test(keys, jwks_public_members_only);
    tcase_add_test(keys, keyset_find_alg);
    suite_add_tcase(s, keys);

    tcase_add_unchecked_fixture(jws, keys_setup, NULL);
    tcase_add_checked_fixture(jws, pool_setup, pool_teardown);
    tcase_set_timeout(jws, 60);
    tcase_add_test(jws, jws_rs256);
    tcase_add_test(jws, jws_es256);
    tcase_add_test(jws, jws_eddsa);
    tcase_add_test(jws, jws_es256_from_openssl_der);
    tcase_add_test(jws, jws_es256_der_signature_refused);
    tcase_add_test(jws, jws_custom_headers_accepted);
    tcase_add_test(jws, jws_key_rotation);
    tcase_add_test(jws, jws_rejects_alg_none);
    tcase_add_test(jws, jws_rejects_tampering);
    tcase_add_test(jws, jws_rejects_wrong_kid_and_alg);
    tcase_add_test(jws, jws_rejects_crit);
    tcase_add_test(jws, jws_rejects_malformed);
    suite_add_tcase(s, jws);

    tcase_add_checked_fixture(hh, pool_setup, pool_teardown);
    tcase_add_test(hh, half_hash_oidc_examples);
    tcase_add_test(hh, half_hash_eddsa_sha512);
    suite_add_tcase(s, hh);
    return s;
}

int main(void)
{
    return ut_main(jose_suite());
}
