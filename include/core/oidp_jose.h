/*
 * JOSE on OpenSSL 3: base64url, signing keys (RS256, ES256, EdDSA), RFC 7638
 * thumbprints, JWKS, JWS compact sign and verify. Pure: APR + OpenSSL +
 * jansson, no httpd, so unit tests and the admin tool link it directly.
 */
#ifndef OIDP_JOSE_H
#define OIDP_JOSE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "oidp_b64url.h"

typedef enum {
    OIDP_ALG_NONE = 0,
    OIDP_ALG_RS256,
    OIDP_ALG_ES256,
    OIDP_ALG_EDDSA
} oidp_alg_e;

typedef struct oidp_key_t {
    void *pkey; /* EVP_PKEY *, freed with the pool it was loaded into */
    oidp_alg_e alg;
    const char *alg_name; /* "RS256", "ES256", "EdDSA" */
    const char *kty;      /* "RSA", "EC", "OKP" */
    const char *kid;      /* RFC 7638 thumbprint, base64url */
    const char *source;   /* file name, for log messages */
    /* public JWK members, base64url (NULL where the key type has none) */
    const char *n, *e;       /* RSA */
    const char *crv, *x, *y; /* EC (crv, x, y), OKP (crv, x) */
} oidp_key_t;

typedef struct oidp_keyset_t {
    apr_array_header_t *keys; /* oidp_key_t *; element 0 signs */
} oidp_keyset_t;

/* Loads a PEM private (or, for verify-only keys, public) key. Refuses RSA
 * shorter than 2048 bits and EC curves other than P-256. The EVP_PKEY is
 * released by a cleanup on p. On failure *err is a human sentence. */
apr_status_t oidp_jose_key_from_pem(oidp_key_t **key, apr_pool_t *p, const char *pem,
                                    apr_size_t len, const char *source, const char **err);
apr_status_t oidp_jose_key_load(oidp_key_t **key, apr_pool_t *p, const char *path,
                                const char **err);

/* RFC 7638 canonical JSON of the required public members, and its SHA-256
 * thumbprint in base64url. */
const char *oidp_jose_thumbprint_input(apr_pool_t *p, const oidp_key_t *key);
const char *oidp_jose_thumbprint(apr_pool_t *p, const oidp_key_t *key);

/* The public JWKS of a key set as compact JSON: public members only, kid,
 * use "sig" and alg on every key. */
const char *oidp_jose_jwks_json(apr_pool_t *p, const oidp_keyset_t *ks);

/* The first key of ks with this alg, or NULL. */
const oidp_key_t *oidp_jose_keyset_find_alg(const oidp_keyset_t *ks, oidp_alg_e alg);
oidp_alg_e oidp_jose_alg_from_name(const char *name);

/* JWS compact serialisation of payload (a JSON text) with a protected
 * header {"alg","kid","typ"}. typ may be NULL. */
apr_status_t oidp_jose_sign(const char **jws, apr_pool_t *p, const oidp_key_t *key, const char *typ,
                            const char *payload, apr_size_t payload_len);

/* Verifies a JWS compact string against the key set: the header must carry
 * an alg we support (never "none") and, if it names a kid, that key. On
 * success *header and *payload are the decoded JSON texts (NUL-terminated). */
apr_status_t oidp_jose_verify(const char **header, const char **payload, apr_pool_t *p,
                              const oidp_keyset_t *ks, const char *jws, const char **err);

/* Left-most half of the hash of value, base64url: at_hash / c_hash (OIDC
 * Core 3.1.3.6) for the alg of the signing key. */
const char *oidp_jose_half_hash(apr_pool_t *p, oidp_alg_e alg, const char *value);

#endif /* OIDP_JOSE_H */
