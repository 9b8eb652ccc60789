/*
 * Minting tokens: RFC 9068 JWT access tokens, opaque refresh tokens and ID
 * tokens, each with the row that records it (by hash) where one is kept.
 * Pure: a pool, the key set and the grant in, the token out; recording the
 * row and sending the response are the token endpoint's (src/endpoints/token.c).
 */
#ifndef OIDP_MINT_H
#define OIDP_MINT_H

#include <apr_pools.h>
#include <jansson.h>
#include "oidp_jose.h"
#include "oidp_store.h"

/* What a provider mints with: built once per server at start-up. */
typedef struct oidp_mint_t {
    const char *issuer;
    const oidp_keyset_t *keys; /* element 0 signs access tokens */
    const char *audience;      /* aud of access tokens; NULL: the client_id */
    int access_ttl;
    int refresh_ttl;     /* sliding: from each refresh */
    int refresh_max_ttl; /* absolute: from the grant's auth_time (RFC 9700 4.14); 0: none */
    int id_token_ttl;
} oidp_mint_t;

/* What the token endpoint issues for one grant, as the grant decided it
 * (src/endpoints/grant.c). */
typedef struct oidp_issue_t {
    const oidp_client_t *client;
    const oidp_user_t *user;   /* NULL for client_credentials: sub is then the client_id */
    oidp_grant_t grant;        /* grant.scope: what the access and ID tokens carry */
    const char *refresh_scope; /* the grant's whole scope, kept by a rotated refresh token
                                * when grant.scope was narrowed (RFC 6749 6); NULL:
                                * grant.scope */
    int rotate;                /* a refresh token was redeemed: a new one is always issued */
    const char *nonce;         /* from the authorization request */
    int id_token;              /* an ID token is wanted (issued when openid was granted) */
} oidp_issue_t;

/* The audience of access tokens: OIDCIdPAccessTokenAudience, else the client. */
const char *oidp_mint_audience(const oidp_mint_t *m, const oidp_client_t *client);

/* RFC 9068 2.2 claims of an access token. */
json_t *oidp_mint_access_claims(const char *issuer, const char *aud, const oidp_issue_t *is,
                                const char *jti, apr_int64_t iat, apr_int64_t exp);

/* An access token signed with the first key, and its row. APR_EGENERAL
 * with *err when there is no randomness or signing fails. */
apr_status_t oidp_mint_access(const char **jws, oidp_token_t *row, apr_pool_t *p,
                              const oidp_mint_t *m, const oidp_issue_t *is, apr_int64_t now,
                              const char **err);

/* A client_credentials access token known from its claims alone (no row is
 * written for it): the signature verifies against the key set, typ is
 * at+jwt, and the claims are those oidp_mint_access gives a client acting
 * for itself (sub is the client_id, no auth_time, no sid). *t is then the
 * token as its row would have been (kind access, grant_id its jti,
 * token_hash its SHA-256, t->rowless set), revocation and client state not
 * yet looked up (oidp_store_token_state). Expiry and issuer are the
 * caller's to check. APR_NOTFOUND for anything else. */
apr_status_t oidp_mint_access_parse(oidp_token_t **t, apr_pool_t *p, const oidp_mint_t *m,
                                    const char *jws);

/* The time a refresh token of this grant, minted at now, expires: now plus
 * the sliding lifetime, never after the grant's auth_time plus the absolute
 * one. */
apr_int64_t oidp_mint_refresh_expiry(const oidp_mint_t *m, const oidp_grant_t *g, apr_int64_t now);

/* A 256-bit opaque refresh token and its row (scope: is->refresh_scope, else
 * the grant's). */
apr_status_t oidp_mint_refresh(const char **value, oidp_token_t *row, apr_pool_t *p,
                               const oidp_mint_t *m, const oidp_issue_t *is, apr_int64_t now,
                               const char **err);

/* The key that signs a client's ID tokens: its registered alg if a key has
 * it, RS256 otherwise. */
const oidp_key_t *oidp_mint_id_token_key(const oidp_keyset_t *ks, const oidp_client_t *client);

/* An ID token for the grant's user, with at_hash of access_token. */
apr_status_t oidp_mint_id_token(const char **jws, apr_pool_t *p, const oidp_mint_t *m,
                                const oidp_issue_t *is, const char *access_token, apr_int64_t now,
                                const char **err);

#endif /* OIDP_MINT_H */
