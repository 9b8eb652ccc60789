/*
 * The token endpoint (RFC 6749 3.2): parameters, client authentication, a
 * table of grants (src/endpoints/grant.c), then the tokens the grant
 * decided on are minted (src/core/mint.c), recorded by hash and sent
 * (RFC 6749 5.1). Every step returns OIDP_OK or an error that the edge,
 * token(), renders once.
 */
#include <string.h>

#include <httpd.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_claims.h"
#include "oidp_client_auth.h"
#include "oidp_dbd.h"
#include "oidp_endpoints.h"
#include "oidp_form.h"
#include "oidp_grant.h"
#include "oidp_http.h"
#include "oidp_json.h"
#include "oidp_mint.h"
#include "oidp_scope.h"
#include "oidp_util.h"

typedef oidp_err_t grant_fn(oidp_token_req_t *t, oidp_issue_t *is);

static const struct {
    const char *name;
    grant_fn *fn;
    int public_ok; /* may a public client use it? */
} grants[] = {
    {"authorization_code", oidp_grant_authorization_code, 1},
    {"refresh_token", oidp_grant_refresh_token, 1},
    {"client_credentials", oidp_grant_client_credentials, 0},
};

/* What is sent back (RFC 6749 5.1). */
typedef struct issued_t {
    const char *access_token;
    const char *refresh_token;
    const char *id_token;
    const char *scope;
} issued_t;

static oidp_err_t record(oidp_token_req_t *t, const oidp_token_t *row, const char *tag,
                         const char *what)
{
    const char *err = NULL;

    if (oidp_store_token_insert(t->r->pool, t->db, row, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, t->r, "%sstore: %s failed: %s", tag, what,
                      err ? err : "unknown error");
        t->desc = "the token store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    return OIDP_OK;
}

/* Mints and records what the grant decided: the access token; for a user
 * grant a refresh token when the client may refresh and offline_access was
 * granted (any user grant for a Casdoor-dialect client, as Casdoor does),
 * always in place of a redeemed refresh token (rotation: the scope it
 * carries is the grant's, however the access token was narrowed), and an
 * ID token when the grant wants one and openid was granted. */
static oidp_err_t issue(oidp_token_req_t *t, const oidp_issue_t *is, issued_t *out)
{
    const oidp_mint_t *m = &t->cfg->rt->mint;
    apr_pool_t *p = t->r->pool;
    apr_array_header_t *scopes = oidp_scope_parse(p, is->grant.scope);
    int casdoor = is->client->dialect && strcmp(is->client->dialect, OIDP_DIALECT_CASDOOR) == 0;
    apr_int64_t now = oidp_util_now();
    const char *err = NULL;
    oidp_token_t row;
    oidp_err_t e;

    out->scope = is->grant.scope;
    if (oidp_mint_access(&out->access_token, &row, p, m, is, now, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, t->r, OIDP_LOGNO(00006) "access token: %s", err);
        t->desc = "the token could not be signed";
        return OIDP_ERR_SERVER_ERROR;
    }
    if (!is->user) {
        /* client_credentials: no row. The token is known from its signed
         * claims (oidp_mint_access_parse); its revocation is a row of
         * oidp_grant_revoked by its jti (README, Storage) */
        return OIDP_OK;
    }
    e = record(t, &row, OIDP_LOGNO(00023), "recording an access token");
    if (e != OIDP_OK) {
        return e;
    }
    if (oidp_util_word_in(is->client->grant_types, "refresh_token")
        && (is->rotate || casdoor || oidp_scope_has(scopes, "offline_access"))) {
        if (oidp_mint_refresh(&out->refresh_token, &row, p, m, is, now, &err) != APR_SUCCESS) {
            t->desc = err;
            return OIDP_ERR_SERVER_ERROR;
        }
        e = record(t, &row, OIDP_LOGNO(00024), "recording a refresh token");
        if (e != OIDP_OK) {
            return e;
        }
    }
    if (is->id_token && oidp_scope_has(scopes, "openid")
        && oidp_mint_id_token(&out->id_token, p, m, is, out->access_token, now, &err)
               != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, t->r, OIDP_LOGNO(00016) "%s", err);
        t->desc = "the ID token could not be signed";
        return OIDP_ERR_SERVER_ERROR;
    }
    return OIDP_OK;
}

/* 200 with {"access_token","token_type":"Bearer","expires_in","scope"?,
 * "refresh_token"?,"id_token"?} and no-store; scope is sent when not NULL,
 * even empty (RFC 6749 5.1: when it differs from the request). */
static int respond(request_rec *r, const oidp_cfg_t *c, const issued_t *out)
{
    json_t *j = oidp_json_bind(r->pool, json_pack("{s:s, s:s, s:i}", "access_token",
                                                  out->access_token, "token_type", "Bearer",
                                                  "expires_in", c->rt->mint.access_ttl));
    apr_size_t len = 0;
    const char *body;

    if (out->scope) {
        json_object_set_new(j, "scope", json_string(out->scope));
    }
    if (out->refresh_token) {
        json_object_set_new(j, "refresh_token", json_string(out->refresh_token));
    }
    if (out->id_token) {
        json_object_set_new(j, "id_token", json_string(out->id_token));
    }
    body = oidp_json_dump(r->pool, j, &len);
    return oidp_http_send_json(r, HTTP_OK, body, len, 1, 0);
}

/* The steps up to the grant: parameters, grant type, store, client. */
static oidp_err_t prepare(oidp_token_req_t *t, const char *default_grant, size_t *grant)
{
    const char *gt;
    oidp_err_t e;
    size_t i;

    e = oidp_http_body_params(&t->params, t->r, t->cfg, &t->desc);
    if (e != OIDP_OK) {
        return e;
    }
    gt = oidp_param(t->params, "grant_type");
    if (!gt) {
        gt = default_grant;
    }
    else if (default_grant && strcmp(gt, default_grant) != 0) {
        t->desc = "this endpoint takes only the refresh_token grant";
        return OIDP_ERR_UNSUPPORTED_GRANT_TYPE;
    }
    if (!gt) {
        t->desc = "grant_type is missing";
        return OIDP_ERR_INVALID_REQUEST;
    }
    for (i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
        if (strcmp(grants[i].name, gt) == 0) {
            break;
        }
    }
    if (i == sizeof(grants) / sizeof(grants[0])) {
        t->desc = "this grant type is not supported";
        return OIDP_ERR_UNSUPPORTED_GRANT_TYPE;
    }
    e = oidp_dbd_acquire(&t->db, t->r, &t->desc);
    if (e != OIDP_OK) {
        return e;
    }
    e = oidp_client_auth(&t->client, t->r, t->db, t->params, 1, &t->desc);
    if (e != OIDP_OK) {
        return e;
    }
    if (!oidp_util_word_in(t->client->grant_types, gt)
        || (!grants[i].public_ok && strcmp(t->client->auth_method, OIDP_AUTH_NONE) == 0)) {
        t->desc = "the client is not allowed to use this grant type";
        return OIDP_ERR_UNAUTHORIZED_CLIENT;
    }
    *grant = i;
    return OIDP_OK;
}

/* default_grant: Casdoor's /api/login/oauth/refresh_token takes the refresh
 * grant without a grant_type. */
static int token(request_rec *r, const oidp_cfg_t *c, const char *default_grant)
{
    oidp_token_req_t t;
    oidp_issue_t is;
    issued_t out;
    size_t grant = 0;
    oidp_err_t e;

    memset(&t, 0, sizeof(t));
    memset(&is, 0, sizeof(is));
    memset(&out, 0, sizeof(out));
    t.r = r;
    t.cfg = c;
    e = prepare(&t, default_grant, &grant);
    if (e == OIDP_OK) {
        is.client = t.client;
        e = grants[grant].fn(&t, &is);
    }
    if (e == OIDP_OK) {
        e = issue(&t, &is, &out);
    }
    if (e == OIDP_OK) {
        oidp_audit(r, grant == 1 ? "token_refreshed" : "token_issued", "grant_type",
                   grants[grant].name, "client_id", is.client->client_id, "sub", is.grant.user_id,
                   "grant", is.grant.grant_id, "scope", out.scope, NULL);
    }
    return e == OIDP_OK ? respond(r, c, &out) : oidp_error_json(r, e, t.desc);
}

int oidp_token_handle(request_rec *r, const oidp_cfg_t *c)
{
    return token(r, c, NULL);
}

int oidp_token_refresh_handle(request_rec *r, const oidp_cfg_t *c)
{
    return token(r, c, "refresh_token");
}
