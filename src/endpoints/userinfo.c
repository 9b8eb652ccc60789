/*
 * The UserInfo endpoint (OpenID Connect Core 5.3): the claims of the
 * token's user that its scopes (and claims request) allow.
 */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>

#include "oidp_bearer.h"
#include "oidp_claims.h"
#include "oidp_endpoints.h"
#include "oidp_form.h"
#include "oidp_http.h"
#include "oidp_dbd.h"
#include "oidp_util.h"
#include "oidp_json.h"
#include "oidp_scope.h"

int oidp_userinfo_handle(request_rec *r, const oidp_cfg_t *c)
{
    apr_hash_t *body = NULL;
    const char *token = NULL, *desc = NULL, *out;
    oidp_token_t *t = NULL;
    int in_query = 0;
    apr_array_header_t *scopes;
    oidp_db_t *db;
    apr_size_t len = 0;
    oidp_err_t e;
    json_t *j;

    if (r->method_number == M_POST && oidp_http_is_form(r)) {
        e = oidp_http_body_params(&body, r, c, &desc);
        if (e != OIDP_OK) {
            return oidp_error_bearer(r, e, desc, 1);
        }
    }
    e = oidp_bearer_extract(&token, &in_query, r, body, &desc);
    if (e != OIDP_OK) {
        return oidp_error_bearer(r, e, desc, 1);
    }
    if (!token) {
        return oidp_error_bearer(r, OIDP_ERR_INVALID_TOKEN, "an access token is required", 0);
    }
    e = oidp_dbd_acquire(&db, r, &desc);
    if (e != OIDP_OK) {
        return oidp_error_json(r, e, desc);
    }
    e = oidp_bearer_lookup(&t, r, db, c, token, in_query, &desc);
    if (e == OIDP_ERR_TEMPORARILY_UNAVAILABLE) {
        return oidp_error_json(r, e, desc);
    }
    if (e != OIDP_OK) {
        return oidp_error_bearer(r, e, desc, 1);
    }
    scopes = oidp_scope_parse(r->pool, t->grant.scope);
    if (!oidp_scope_has(scopes, "openid")) {
        return oidp_error_bearer(r, OIDP_ERR_INSUFFICIENT_SCOPE, "the token lacks the openid scope",
                                 1);
    }
    j = oidp_json_bind(r->pool, json_pack("{s:s}", "sub", t->grant.user_id));
    if (t->client_dialect && strcmp(t->client_dialect, OIDP_DIALECT_CASDOOR) == 0) {
        /* Casdoor's userinfo names its issuer and audience */
        json_object_set_new(j, "iss", json_string(c->issuer));
        json_object_set_new(j, "aud", json_string(t->grant.client_id));
    }
    oidp_claims_user(j, t->user, scopes, t->grant.claims, "userinfo", t->client_dialect);
    out = oidp_json_dump(r->pool, j, &len);
    return oidp_http_send_json(r, HTTP_OK, out, len, 1, 0);
}
