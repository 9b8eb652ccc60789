/*
 * The grants of the token endpoint: authorization_code (RFC 6749 4.1.3,
 * RFC 7636 4.6), refresh_token (RFC 6749 6, with rotation and replay
 * detection as in the OAuth 2.0 Security BCP 4.14) and client_credentials
 * (RFC 6749 4.4). Each decides what is issued; src/endpoints/token.c
 * issues it.
 */
#include <string.h>

#include <httpd.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_claims.h"
#include "oidp_dbd.h"
#include "oidp_error.h"
#include "oidp_form.h"
#include "oidp_grant.h"
#include "oidp_pkce.h"
#include "oidp_scope.h"
#include "oidp_util.h"

static oidp_err_t fail(oidp_token_req_t *t, oidp_err_t e, const char *desc)
{
    t->desc = desc;
    return e;
}

static oidp_err_t unavailable(oidp_token_req_t *t)
{
    return fail(t, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the store is unavailable");
}

/* A replayed code or refresh token: everything issued from that grant is
 * revoked (RFC 6749 4.1.2, 10.4). */
static oidp_err_t replay(oidp_token_req_t *t, const char *grant_id, const char *what)
{
    const char *err = NULL;

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, t->r,
                  OIDP_LOGNO(00017) "%s used again (replayed, or used after revocation) by "
                                    "client '%s': revoking its grant",
                  what, ap_escape_logitem(t->r->pool, t->client->client_id));
    oidp_audit(t->r, strcmp(what, "code") == 0 ? "code_replayed" : "refresh_replayed", "client_id",
               t->client->client_id, "grant", grant_id, NULL);
    if (grant_id
        && oidp_store_token_revoke_grant(t->r->pool, t->db, grant_id, &err) != APR_SUCCESS) {
        OIDP_STORE_ERROR(t->r, OIDP_LOGNO(00018), "revoking a replayed grant", err);
        return unavailable(t);
    }
    oidp_audit(t->r, "grant_revoked", "reason", "replay", "client_id", t->client->client_id,
               "grant", grant_id, NULL);
    return fail(t, OIDP_ERR_INVALID_GRANT,
                strcmp(what, "code") == 0 ? "the code was already used"
                                          : "the refresh token was already used or revoked");
}

/* The user of a grant must still exist and be enabled. */
static oidp_err_t grant_user(oidp_token_req_t *t, const char *user_id, oidp_issue_t *is)
{
    oidp_user_t *u = NULL;
    const char *err = NULL;
    apr_status_t rv = oidp_store_user_get(&u, t->r->pool, t->db, NULL, user_id, &err);

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(t->r, OIDP_LOGNO(00019), "user lookup for a grant", err);
        return unavailable(t);
    }
    if (!u || u->disabled) {
        return fail(t, OIDP_ERR_INVALID_GRANT, "the user is no longer active");
    }
    is->user = u;
    return OIDP_OK;
}

oidp_err_t oidp_grant_authorization_code(oidp_token_req_t *t, oidp_issue_t *is)
{
    const char *value = oidp_param(t->params, "code");
    const char *redirect_uri = oidp_param(t->params, "redirect_uri");
    const char *verifier = oidp_param(t->params, "code_verifier");
    const char *err = NULL;
    oidp_code_t *k = NULL;
    apr_status_t rv;

    if (!value) {
        return fail(t, OIDP_ERR_INVALID_REQUEST, "code is missing");
    }
    if (!redirect_uri) {
        return fail(t, OIDP_ERR_INVALID_REQUEST, "redirect_uri is missing");
    }
    /* one statement marks the code used and returns it: of two racing
     * redemptions exactly one sees used == 1; only the client it was issued
     * to can use it up (another client's attempt leaves it untouched) */
    rv = oidp_store_code_redeem(&k, t->r->pool, t->db,
                                oidp_util_sha256_hex(t->r->pool, value, strlen(value)),
                                t->client->client_id, t->cfg->issuer, &err);
    if (rv == APR_NOTFOUND) {
        return fail(t, OIDP_ERR_INVALID_GRANT, "the code is invalid");
    }
    if (rv != APR_SUCCESS) {
        OIDP_STORE_ERROR(t->r, OIDP_LOGNO(00020), "code redemption", err);
        return unavailable(t);
    }
    if (k->used > 1) {
        return replay(t, k->grant.grant_id, "code");
    }
    if (k->expires_at <= oidp_util_now()) {
        return fail(t, OIDP_ERR_INVALID_GRANT, "the code has expired");
    }
    if (strcmp(k->redirect_uri, redirect_uri) != 0) {
        return fail(t, OIDP_ERR_INVALID_GRANT,
                    "redirect_uri differs from the authorization request");
    }
    if (k->code_challenge) {
        if (!verifier) {
            return fail(t, OIDP_ERR_INVALID_GRANT, "code_verifier is missing");
        }
        if (!oidp_pkce_verify(t->r->pool, k->code_challenge_method, k->code_challenge, verifier)) {
            return fail(t, OIDP_ERR_INVALID_GRANT, "code_verifier does not match");
        }
    }
    else if (verifier) {
        /* no challenge was sent: a verifier now is a downgrade attempt */
        return fail(t, OIDP_ERR_INVALID_GRANT, "code_verifier without a code_challenge");
    }
    oidp_audit(t->r, "code_redeemed", "client_id", t->client->client_id, "sub", k->grant.user_id,
               "grant", k->grant.grant_id, NULL);
    is->grant = k->grant;
    is->nonce = k->nonce;
    is->id_token = 1;
    return grant_user(t, k->grant.user_id, is);
}

static int scope_within(apr_pool_t *p, const apr_array_header_t *want, const char *granted)
{
    apr_array_header_t *had = oidp_scope_parse(p, granted);
    int i;

    for (i = 0; had && i < want->nelts; i++) {
        if (!oidp_scope_has(had, APR_ARRAY_IDX(want, i, const char *))) {
            return 0;
        }
    }
    return had != NULL;
}

oidp_err_t oidp_grant_refresh_token(oidp_token_req_t *t, oidp_issue_t *is)
{
    const char *value = oidp_param(t->params, "refresh_token");
    const char *scope = oidp_param(t->params, "scope");
    const char *err = NULL, *hash;
    oidp_token_t *k = NULL;
    apr_array_header_t *want = NULL;
    apr_status_t rv;

    if (!value) {
        return fail(t, OIDP_ERR_INVALID_REQUEST, "refresh_token is missing");
    }
    hash = oidp_util_sha256_hex(t->r->pool, value, strlen(value));
    /* a scope that is refused must not use the token up: check it first (the
     * one case that needs a read before the atomic redemption) */
    if (scope) {
        want = oidp_scope_parse(t->r->pool, scope);
        if (!want) {
            return fail(t, OIDP_ERR_INVALID_SCOPE, "malformed scope");
        }
        rv = oidp_store_token_get(&k, t->r->pool, t->db, hash, &err);
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
            OIDP_STORE_ERROR(t->r, OIDP_LOGNO(00021), "refresh token lookup", err);
            return unavailable(t);
        }
        if (rv == APR_SUCCESS && strcmp(k->kind, OIDP_TOKEN_REFRESH) == 0
            && strcmp(k->grant.client_id, t->client->client_id) == 0
            && strcmp(k->issuer, t->cfg->issuer) == 0 && !k->revoked
            && !scope_within(t->r->pool, want, k->grant.scope)) {
            return fail(t, OIDP_ERR_INVALID_SCOPE, "the scope may narrow, never widen");
        }
    }
    /* marks it used and returns it in one statement (rotation) */
    rv = oidp_store_token_redeem(&k, t->r->pool, t->db, hash, t->client->client_id, t->cfg->issuer,
                                 &err);
    if (rv == APR_NOTFOUND) {
        return fail(t, OIDP_ERR_INVALID_GRANT, "the refresh token is invalid");
    }
    if (rv != APR_SUCCESS) {
        OIDP_STORE_ERROR(t->r, OIDP_LOGNO(00022), "refresh token redemption", err);
        return unavailable(t);
    }
    if (k->revoked > 1) {
        return replay(t, k->grant.grant_id, "refresh token");
    }
    if (k->expires_at <= oidp_util_now()) {
        return fail(t, OIDP_ERR_INVALID_GRANT, "the refresh token has expired");
    }
    if (t->cfg->rt->mint.refresh_max_ttl > 0 && k->grant.auth_time > 0
        && k->grant.auth_time + t->cfg->rt->mint.refresh_max_ttl <= oidp_util_now()) {
        /* tokens stored before the cap was lowered */
        return fail(t, OIDP_ERR_INVALID_GRANT, "the grant has reached its maximum lifetime");
    }
    if (!want) {
        want = oidp_scope_parse(t->r->pool, k->grant.scope);
    }
    else if (!scope_within(t->r->pool, want, k->grant.scope)) {
        /* the token changed between the check and the redemption */
        return fail(t, OIDP_ERR_INVALID_SCOPE, "the scope may narrow, never widen");
    }
    is->grant = k->grant;
    /* RFC 6749 6: the access token may be narrowed; the new refresh token
     * keeps the scope of the one it replaces */
    is->grant.scope = oidp_scope_join(t->r->pool, want);
    is->refresh_scope = k->grant.scope;
    is->rotate = 1;
    /* OIDC Core 12.2: the ID token is optional here; Casdoor's clients
     * expect one, others keep the one they have */
    is->id_token = t->client->dialect && strcmp(t->client->dialect, OIDP_DIALECT_CASDOOR) == 0;
    return grant_user(t, k->grant.user_id, is);
}

/* Scopes that only make sense with a user; never granted to a client acting
 * for itself. */
static const char *const user_scopes[] = {"openid", "profile",        "email", "address",
                                          "phone",  "offline_access", NULL};

static int is_user_scope(const char *s)
{
    const char *const *u;

    for (u = user_scopes; *u; u++) {
        if (strcmp(*u, s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* RFC 6749 4.4: the client acts for itself. Requested scopes must be among
 * the client's; user scopes are dropped (3.3 lets the server grant less and
 * say so in "scope"); no scope means every non-user scope of the client. */
oidp_err_t oidp_grant_client_credentials(oidp_token_req_t *t, oidp_issue_t *is)
{
    const char *scope = oidp_param(t->params, "scope");
    apr_array_header_t *allowed = oidp_scope_parse(t->r->pool, t->client->scopes);
    apr_array_header_t *req = scope ? oidp_scope_parse(t->r->pool, scope) : allowed;
    apr_array_header_t *granted = apr_array_make(t->r->pool, 4, sizeof(const char *));
    int i;

    if (!req) {
        return fail(t, OIDP_ERR_INVALID_SCOPE, "malformed scope");
    }
    for (i = 0; i < req->nelts; i++) {
        const char *s = APR_ARRAY_IDX(req, i, const char *);
        if (!oidp_scope_has(allowed, s)) {
            return fail(t, OIDP_ERR_INVALID_SCOPE,
                        "a requested scope is not allowed for this client");
        }
        if (!is_user_scope(s)) {
            APR_ARRAY_PUSH(granted, const char *) = s;
        }
    }
    is->grant.scope = oidp_scope_join(t->r->pool, granted);
    return OIDP_OK;
}
