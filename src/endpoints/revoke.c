/*
 * Token revocation (RFC 7009). A client revokes only its own tokens;
 * revoking a refresh token revokes every token of its grant (2.1); unknown
 * tokens are answered 200 like revoked ones (2.2).
 */
#include <string.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_client_auth.h"
#include "oidp_endpoints.h"
#include "oidp_form.h"
#include "oidp_http.h"
#include "oidp_dbd.h"
#include "oidp_util.h"

int oidp_revoke_handle(request_rec *r, const oidp_cfg_t *c)
{
    const oidp_client_t *client;
    oidp_token_t *t = NULL;
    oidp_db_t *db;
    const char *desc = NULL, *err = NULL;
    apr_status_t rv = APR_SUCCESS;
    oidp_err_t e;

    e = oidp_client_auth_token_request(&t, &client, &db, r, c, 1, &desc);
    if (e != OIDP_OK) {
        return oidp_error_json(r, e, desc);
    }
    if (t && strcmp(t->grant.client_id, client->client_id) != 0) {
        return oidp_error_json(r, OIDP_ERR_UNAUTHORIZED_CLIENT,
                               "the token was not issued to this client");
    }
    if (t && !t->revoked) {
        rv = t->rowless ? oidp_store_grant_revoke(r->pool, db, t->grant.grant_id, &err)
             : strcmp(t->kind, OIDP_TOKEN_REFRESH) == 0 && t->grant.grant_id
                 ? oidp_store_token_revoke_grant(r->pool, db, t->grant.grant_id, &err)
                 : oidp_store_token_revoke(r->pool, db, t->token_hash, &err);
    }
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00029), "token revocation", err);
        return oidp_error_json(r, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the store is unavailable");
    }
    oidp_audit(r, "token_revoked", "client_id", client->client_id, "kind", t ? t->kind : "unknown",
               "sub", t ? t->grant.user_id : NULL, "grant", t ? t->grant.grant_id : NULL, NULL);
    return oidp_http_send_json(r, HTTP_OK, "{}", 2, 1, 0);
}
