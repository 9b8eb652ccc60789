/*
 * The user grants of the token endpoint: authorization_code (RFC 6749
 * 4.1.3, RFC 7636 4.6) and refresh_token (RFC 6749 6, with rotation and
 * replay detection as in OAuth 2.0 Security BCP 4.14).
 */
#include <string.h>

#include <httpd.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_claims.h"
#include "oidp_error.h"
#include "oidp_form.h"
#include "oidp_grant.h"
#include "oidp_pkce.h"
#include "oidp_dbd.h"
#include "oidp_tokens.h"
#include "oidp_util.h"
#include "oidp_scope.h"

static int unavailable(oidp_token_req_t *t, const char *what, const char *err)
{
    oidp_dbd_log(t->r, what, err);
    return oidp_error_json(t->r, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the store is unavailable");
}

/* A replayed code or refresh token: everything issued from that grant is
 * revoked (RFC 6749 4.1.2, 10.4). */
static int replay(oidp_token_req_t *t, const char *grant_id, const char *what)
{
    const char *err = NULL;

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, t->r,
                  OIDP_LOGNO(00017) "%s used again (replayed, or used after revocation) by "
                                    "client '%s': revoking its grant",
                  what, ap_escape_logitem(t->r->pool, t->client->client_id));
    if (grant_id && oidp_store_token_revoke_grant(t->r->pool, t->db, grant_id, &err) != APR_SUCCESS) {
        return unavailable(t, "revoking a grant", err);
    }
    return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT,
                           strcmp(what, "code") == 0 ? "the code was already used"
                                                     : "the refresh token was already used or revoked");
}

/* The user of a grant must still exist and be enabled. */
static const oidp_user_t *grant_user(oidp_token_req_t *t, const char *user_id, int *failed)
{
    oidp_user_t *u = NULL;
    const char *err = NULL;
    apr_status_t rv = oidp_store_user_get(&u, t->r->pool, t->db, NULL, user_id, &err);

    *failed = 0;
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        *failed = unavailable(t, "user lookup", err);
        return NULL;
    }
    if (!u || u->disabled) {
        *failed = oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT, "the user is no longer active");
        return NULL;
    }
    return u;
}

int oidp_grant_authorization_code(oidp_token_req_t *t)
{
    const char *value = oidp_param(t->params, "code");
    const char *redirect_uri = oidp_param(t->params, "redirect_uri");
    const char *verifier = oidp_param(t->params, "code_verifier");
    const char *err = NULL;
    oidp_code_t *k = NULL;
    oidp_grant_t g;
    apr_status_t rv;
    int failed = 0;

    if (!value) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_REQUEST, "code is missing");
    }
    if (!redirect_uri) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_REQUEST, "redirect_uri is missing");
    }
    /* one statement marks the code used and returns it: of two racing
     * redemptions exactly one sees used == 1 */
    rv = oidp_store_code_redeem(&k, t->r->pool, t->db,
                                oidp_util_sha256_hex(t->r->pool, value, strlen(value)),
                                t->cfg->issuer, &err);
    if (rv == APR_NOTFOUND) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT, "the code is invalid");
    }
    if (rv != APR_SUCCESS) {
        return unavailable(t, "code redemption", err);
    }
    if (strcmp(k->client_id, t->client->client_id) != 0) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT, "the code was issued to another client");
    }
    if (k->used > 1) {
        return replay(t, k->grant_id, "code");
    }
    if (k->expires_at <= oidp_util_now()) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT, "the code has expired");
    }
    if (strcmp(k->redirect_uri, redirect_uri) != 0) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT,
                               "redirect_uri differs from the authorization request");
    }
    if (k->code_challenge) {
        if (!verifier) {
            return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT, "code_verifier is missing");
        }
        if (!oidp_pkce_verify(t->r->pool, k->code_challenge_method, k->code_challenge, verifier)) {
            return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT, "code_verifier does not match");
        }
    }
    else if (verifier) {
        /* no challenge was sent: a verifier now is a downgrade attempt */
        return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT,
                               "code_verifier without a code_challenge");
    }
    memset(&g, 0, sizeof(g));
    g.user = grant_user(t, k->user_id, &failed);
    if (!g.user) {
        return failed;
    }
    g.client = t->client;
    g.user_id = k->user_id;
    g.scope = k->scope;
    g.auth_time = k->auth_time;
    g.sid = k->sid;
    g.grant_id = k->grant_id;
    g.nonce = k->nonce;
    g.claims = k->claims;
    return oidp_tokens_issue_user(t->r, t->cfg, t->db, &g, 1);
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

int oidp_grant_refresh_token(oidp_token_req_t *t)
{
    const char *value = oidp_param(t->params, "refresh_token");
    const char *scope = oidp_param(t->params, "scope");
    const char *err = NULL, *hash;
    oidp_token_t *k = NULL;
    apr_array_header_t *want = NULL;
    oidp_grant_t g;
    apr_status_t rv;
    int failed = 0;

    if (!value) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_REQUEST, "refresh_token is missing");
    }
    hash = oidp_util_sha256_hex(t->r->pool, value, strlen(value));
    /* a scope that is refused must not use the token up: check it first (the
     * one case that needs a read before the atomic redemption) */
    if (scope) {
        want = oidp_scope_parse(t->r->pool, scope);
        if (!want) {
            return oidp_error_json(t->r, OIDP_ERR_INVALID_SCOPE, "malformed scope");
        }
        rv = oidp_store_token_get(&k, t->r->pool, t->db, hash, &err);
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
            return unavailable(t, "refresh token lookup", err);
        }
        if (rv == APR_SUCCESS && strcmp(k->kind, OIDP_TOKEN_REFRESH) == 0
            && strcmp(k->client_id, t->client->client_id) == 0
            && strcmp(k->issuer, t->cfg->issuer) == 0 && !k->revoked
            && !scope_within(t->r->pool, want, k->scope)) {
            return oidp_error_json(t->r, OIDP_ERR_INVALID_SCOPE,
                                   "the scope may narrow, never widen");
        }
    }
    /* marks it used and returns it in one statement (rotation) */
    rv = oidp_store_token_redeem(&k, t->r->pool, t->db, hash, t->client->client_id,
                                 t->cfg->issuer, &err);
    if (rv == APR_NOTFOUND) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT, "the refresh token is invalid");
    }
    if (rv != APR_SUCCESS) {
        return unavailable(t, "refresh token redemption", err);
    }
    if (k->revoked > 1) {
        return replay(t, k->grant_id, "refresh token");
    }
    if (k->expires_at <= oidp_util_now()) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_GRANT, "the refresh token has expired");
    }
    if (!want) {
        want = oidp_scope_parse(t->r->pool, k->scope);
    }
    else if (!scope_within(t->r->pool, want, k->scope)) {
        /* the token changed between the check and the redemption */
        return oidp_error_json(t->r, OIDP_ERR_INVALID_SCOPE, "the scope may narrow, never widen");
    }
    memset(&g, 0, sizeof(g));
    g.user = grant_user(t, k->user_id, &failed);
    if (!g.user) {
        return failed;
    }
    g.client = t->client;
    g.user_id = k->user_id;
    g.scope = oidp_scope_join(t->r->pool, want);
    g.auth_time = k->auth_time;
    g.sid = k->sid;
    g.grant_id = k->grant_id;
    g.claims = k->claims;
    /* OIDC Core 12.2: the ID token is optional here; Casdoor's clients
     * expect one, others keep the one they have */
    return oidp_tokens_issue_user(t->r, t->cfg, t->db, &g,
                                  t->client->dialect
                                      && strcmp(t->client->dialect, OIDP_DIALECT_CASDOOR) == 0);
}
