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

/* The limits of a claims request (outside input): its JSON text in bytes,
 * and the claims named per target. Over either is an error, never a cut. */
#define OIDP_CLAIMS_MAX_LEN 8192
#define OIDP_CLAIMS_MAX_NAMES 100

/* Parses the claims request parameter: a JSON object whose optional members
 * "userinfo" and "id_token" are objects of claim name -> null or object,
 * in valid UTF-8, within the limits above.
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

/* Authentication method references (RFC 8176 2), as the amr claim holds
 * them: a session's amr is a space-separated set of these. */
#define OIDP_AMR_PWD "pwd" /* a password */
#define OIDP_AMR_OTP "otp" /* a one-time password (TOTP) */
#define OIDP_AMR_MFA "mfa" /* more than one factor */
#define OIDP_AMR_HWK "hwk" /* proof of possession of a hardware-secured key */
#define OIDP_AMR_SWK "swk" /* proof of possession of a software-secured key */
#define OIDP_AMR_WIA "wia" /* Windows integrated authentication (Kerberos, SPNEGO) */

/* The set amr (space-separated, may be NULL) with value added, once. */
const char *oidp_claims_amr_add(apr_pool_t *p, const char *amr, const char *value);
/* Non-zero when the space-separated set amr holds value. */
int oidp_claims_amr_has(const char *amr, const char *value);

typedef struct oidp_id_token_t {
    const char *issuer;
    const char *sub;
    const char *aud; /* the client_id */
    const char *nonce;
    const char *at_hash;
    const char *sid;
    const char *amr; /* space-separated RFC 8176 values, or NULL */
    const char *acr; /* or NULL */
    apr_int64_t auth_time;
    apr_int64_t iat;
    apr_int64_t exp;
} oidp_id_token_t;

/* iss, sub, aud, exp, iat, auth_time, nonce (if sent), at_hash, azp, sid,
 * acr and amr (an array) when known.
 * NULL when a value cannot be a JSON string (invalid UTF-8): a claim is
 * never left out silently. */
json_t *oidp_claims_id_token(const oidp_id_token_t *t);

/* What a verified JWS of this issuer, sent back as an id_token_hint, is. */
typedef enum {
    OIDP_HINT_ID_TOKEN = 1, /* typ "JWT", aud the client (azp equal if present) */
    OIDP_HINT_ACCESS_TOKEN  /* typ "at+jwt" (RFC 9068), client_id the client */
} oidp_hint_kind_e;

typedef struct oidp_hint_t {
    oidp_hint_kind_e kind;
    const char *sub;
    const char *client_id;
    apr_int64_t exp;
} oidp_hint_t;

/* Reads the header and payload texts of a verified JWS: one of this
 * issuer's ID tokens or access tokens with a sub, or APR_EINVAL with a
 * static *err (another issuer, another typ, an aud or azp of another
 * shape). Callers decide which kinds they accept. */
apr_status_t oidp_claims_hint(oidp_hint_t *h, apr_pool_t *p, const char *header,
                              const char *payload, const char *issuer, const char **err);

/* Casdoor's User object (camelCase, as /api/get-account returns it under
 * "data"), limited to what the scopes allow. */
json_t *oidp_claims_casdoor_user(apr_pool_t *p, const oidp_user_t *u,
                                 const apr_array_header_t *scopes);

/* Claims an Apache authn provider supplies (OIDCIdPClaim CLAIM EXPRESSION):
 * the claims of either dialect that are a field of the user row (name,
 * email, email_verified, groups, Casdoor's displayName/display_name, ...).
 * NULL when CLAIM is one, else a static reason. */
const char *oidp_claims_map_check(const char *claim);

/* Sets u's field of CLAIM from VALUE as the provider gave it, typed by the
 * claim: a string (UTF-8, "" clears it); email_verified and
 * phone_number_verified a boolean word (true/false, 1/0, yes/no, on/off;
 * "" is false); groups a list separated by ";" (how mod_authnz_ldap gives a
 * multi-valued attribute: "a; b"), trimmed, empty and repeated values
 * dropped, stored as a JSON array. *changed is set to 1 when the field
 * changed (left alone otherwise). APR_EINVAL with *err (static) for a value
 * the claim cannot take (u unchanged). Pure. */
apr_status_t oidp_claims_map_set(oidp_user_t *u, int *changed, apr_pool_t *p, const char *claim,
                                 const char *value, const char **err);

#endif /* OIDP_CLAIMS_H */
