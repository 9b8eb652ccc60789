/*
 * The token endpoint (RFC 6749 3.2): parameters, client authentication, and
 * a table of grants. Each grant validates its own parameters and answers
 * through oidp_tokens_respond or oidp_error_json.
 */
#include <string.h>

#include "oidc_idp.h"
#include "oidp_client_auth.h"
#include "oidp_endpoints.h"
#include "oidp_form.h"
#include "oidp_grant.h"
#include "oidp_http.h"
#include "oidp_dbd.h"
#include "oidp_tokens.h"
#include "oidp_util.h"
#include "oidp_scope.h"

typedef int grant_fn(oidp_token_req_t *t);

/* Scopes that only make sense with a user; never granted to a client acting
 * for itself. */
static const char *const user_scopes[] = {"openid", "profile", "email", "address", "phone",
                                          "offline_access", NULL};

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
int oidp_grant_client_credentials(oidp_token_req_t *t)
{
    const char *scope = oidp_param(t->params, "scope");
    apr_array_header_t *allowed = oidp_scope_parse(t->r->pool, t->client->scopes);
    apr_array_header_t *req = scope ? oidp_scope_parse(t->r->pool, scope) : allowed;
    apr_array_header_t *granted = apr_array_make(t->r->pool, 4, sizeof(const char *));
    oidp_grant_t g;
    const char *at = NULL, *desc = NULL;
    oidp_err_t e;
    int i;

    if (!req) {
        return oidp_error_json(t->r, OIDP_ERR_INVALID_SCOPE, "malformed scope");
    }
    for (i = 0; i < req->nelts; i++) {
        const char *s = APR_ARRAY_IDX(req, i, const char *);
        if (!oidp_scope_has(allowed, s)) {
            return oidp_error_json(t->r, OIDP_ERR_INVALID_SCOPE,
                                   "a requested scope is not allowed for this client");
        }
        if (!is_user_scope(s)) {
            APR_ARRAY_PUSH(granted, const char *) = s;
        }
    }
    memset(&g, 0, sizeof(g));
    g.client = t->client;
    g.scope = oidp_scope_join(t->r->pool, granted);
    e = oidp_tokens_access(&at, t->r, t->cfg, t->db, &g, &desc);
    if (e != OIDP_OK) {
        return oidp_error_json(t->r, e, desc);
    }
    return oidp_tokens_respond(t->r, t->cfg, at, g.scope, NULL, NULL);
}

static const struct {
    const char *name;
    grant_fn *fn;
    int public_ok; /* may a public client use it? */
} grants[] = {
    {"authorization_code", oidp_grant_authorization_code, 1},
    {"refresh_token", oidp_grant_refresh_token, 1},
    {"client_credentials", oidp_grant_client_credentials, 0},
};

/* default_grant: Casdoor's /api/login/oauth/refresh_token takes the refresh
 * grant without a grant_type. */
static int token(request_rec *r, const oidp_cfg_t *c, const char *default_grant)
{
    oidp_token_req_t t = {r, c, NULL, NULL, NULL};
    const char *gt, *desc = NULL;
    oidp_err_t e;
    size_t i;

    e = oidp_http_body_params(&t.params, r, c, &desc);
    if (e != OIDP_OK) {
        return oidp_error_json(r, e, desc);
    }
    gt = oidp_param(t.params, "grant_type");
    if (!gt) {
        gt = default_grant;
    }
    else if (default_grant && strcmp(gt, default_grant) != 0) {
        return oidp_error_json(r, OIDP_ERR_UNSUPPORTED_GRANT_TYPE,
                               "this endpoint takes only the refresh_token grant");
    }
    if (!gt) {
        return oidp_error_json(r, OIDP_ERR_INVALID_REQUEST, "grant_type is missing");
    }
    for (i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
        if (strcmp(grants[i].name, gt) == 0) {
            break;
        }
    }
    if (i == sizeof(grants) / sizeof(grants[0])) {
        return oidp_error_json(r, OIDP_ERR_UNSUPPORTED_GRANT_TYPE,
                               "this grant type is not supported");
    }
    t.db = oidp_dbd_acquire(r);
    if (!t.db) {
        return oidp_error_json(r, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the store is unavailable");
    }
    e = oidp_client_auth(&t.client, r, t.db, t.params, 1, &desc);
    if (e != OIDP_OK) {
        return oidp_error_json(r, e, desc);
    }
    if (!oidp_util_word_in(t.client->grant_types, gt)
        || (!grants[i].public_ok && strcmp(t.client->auth_method, OIDP_AUTH_NONE) == 0)) {
        return oidp_error_json(r, OIDP_ERR_UNAUTHORIZED_CLIENT,
                               "the client is not allowed to use this grant type");
    }
    return grants[i].fn(&t);
}

int oidp_token_handle(request_rec *r, const oidp_cfg_t *c)
{
    return token(r, c, NULL);
}

int oidp_token_refresh_handle(request_rec *r, const oidp_cfg_t *c)
{
    return token(r, c, "refresh_token");
}
