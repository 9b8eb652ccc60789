/*
 * Casdoor's account API, GET /api/get-account: the Casdoor envelope
 * {"status","msg","sub","name","data","data2","data3"} with the user under
 * "data" in Casdoor's camelCase names, for a bearer token or the browser's
 * login session; Casdoor's error envelope (HTTP 200) when nobody is signed
 * in, as its clients expect.
 */
#include <string.h>

#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "oidc_idp.h"
#include "oidp_bearer.h"
#include "oidp_claims.h"
#include "oidp_endpoints.h"
#include "oidp_http.h"
#include "oidp_session.h"
#include "oidp_dbd.h"
#include "oidp_util.h"
#include "oidp_json.h"
#include "oidp_scope.h"

static int envelope(request_rec *r, json_t *j)
{
    apr_size_t len = 0;
    const char *out = oidp_json_dump(r->pool, oidp_json_bind(r->pool, j), &len);

    if (!out) {
        /* json_pack refused a value: a stored string that is not UTF-8 */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OIDP_LOGNO(00100) "the account could not be encoded as JSON");
        return oidp_error_json(r, OIDP_ERR_SERVER_ERROR, "the account could not be encoded");
    }
    return oidp_http_send_json(r, HTTP_OK, out, len, 1, 0);
}

static int not_signed_in(request_rec *r)
{
    return envelope(r, json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:n}", "status", "error", "msg",
                                 "Please login first", "sub", "", "name", "", "data",
                                 "Please login first", "data2", "data3"));
}

int oidp_account_handle(request_rec *r, const oidp_cfg_t *c)
{
    const char *token = NULL, *desc = NULL;
    const oidp_user_t *u = NULL;
    apr_array_header_t *scopes;
    oidp_token_t *t = NULL;
    oidp_browser_t *b = NULL;
    oidp_db_t *db;
    int in_query = 0;
    oidp_err_t e;

    if (oidp_bearer_extract(&token, &in_query, r, NULL, &desc) != OIDP_OK) {
        return not_signed_in(r);
    }
    e = oidp_dbd_acquire(&db, r, &desc);
    if (e != OIDP_OK) {
        return oidp_error_json(r, e, desc);
    }
    if (token) {
        e = oidp_bearer_lookup(&t, r, db, c, token, in_query, &desc);
        if (e == OIDP_ERR_TEMPORARILY_UNAVAILABLE) {
            return oidp_error_json(r, e, desc);
        }
        if (e != OIDP_OK) {
            return not_signed_in(r);
        }
        u = t->user;
        scopes = oidp_scope_parse(r->pool, t->grant.scope);
    }
    else {
        e = oidp_session_peek(&b, r, c, db, &desc);
        if (e == OIDP_ERR_TEMPORARILY_UNAVAILABLE) {
            return oidp_error_json(r, e, desc);
        }
        if (e != OIDP_OK || !b->login) {
            return not_signed_in(r);
        }
        /* the signed-in person asks about themselves */
        u = b->login->user;
        scopes = oidp_scope_parse(r->pool, "profile email address phone");
    }
    return envelope(r, json_pack("{s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s, s:s}, s:n}", "status",
                                 "ok", "msg", "", "sub", u->id, "name", u->username, "data",
                                 oidp_claims_casdoor_user(r->pool, u, scopes), "data2", "owner",
                                 "admin", "name", "built-in", "displayName",
                                 "Built-in Organization", "data3"));
}
