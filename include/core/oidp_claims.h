/*
 * Claims: what a user's ID token and userinfo carry, by scope (OIDC Core
 * 5.4) and by the claims request parameter (5.5), in the standard or the
 * Casdoor dialect; the ID token's own claims; Casdoor's account object.
 * Pure (APR + jansson).
 */
#ifndef OIDP_CLAIMS_H
#define OIDP_CLAIMS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "oidp_store.h"

#define OIDP_DIALECT_CASDOOR "casdoor"

/* Parses the claims request parameter: a JSON object whose optional members
 * "userinfo" and "id_token" are objects of claim name -> null or object.
 * Claims whose scope is not in `allowed` (the client's scopes) are dropped.
 * Returns the normalised compact JSON ("" when nothing remains), or NULL
 * with *err for a malformed parameter. *implied receives the scopes the
 * remaining claims belong to (for consent). */
const char *oidp_claims_request_parse(apr_pool_t *p, const char *json,
                                      const apr_array_header_t *allowed,
                                      apr_array_header_t **implied, const char **err);

/* Adds to j the user's claims for a target ("userinfo" or "id_token"):
 * for userinfo every claim of the granted scopes; for the ID token (in the
 * standard dialect) none of those, since an access token is issued (5.4);
 * for both the claims named in the claims request for that target. The
 * Casdoor dialect adds Casdoor's claim names (name = username,
 * displayName, display_name, id, owner, email, phone, groups, ...) to both.
 * Empty values are never emitted. */
void oidp_claims_user(json_t *j, const oidp_user_t *u, const apr_array_header_t *scopes,
                      const char *claims_request, const char *target, const char *dialect);

typedef struct oidp_id_token_t {
    const char *issuer;
    const char *sub;
    const char *aud; /* the client_id */
    const char *nonce;
    const char *at_hash;
    const char *sid;
    apr_int64_t auth_time;
    apr_int64_t iat;
    apr_int64_t exp;
} oidp_id_token_t;

/* iss, sub, aud, exp, iat, auth_time, nonce (if sent), at_hash, azp, sid. */
json_t *oidp_claims_id_token(const oidp_id_token_t *t);

/* Casdoor's User object (camelCase, as /api/get-account returns it under
 * "data"), limited to what the scopes allow. */
json_t *oidp_claims_casdoor_user(apr_pool_t *p, const oidp_user_t *u,
                                 const apr_array_header_t *scopes);

#endif /* OIDP_CLAIMS_H */
