/*
 * Token introspection (RFC 7662). Any authenticated confidential client (a
 * resource server is one) may ask; the answer comes from the token store,
 * so a revoked or expired token, or one whose client or user is gone or
 * disabled, is inactive.
 */
#include <string.h>

#include "oidc_idp.h"
#include "oidp_client_auth.h"
#include "oidp_endpoints.h"
#include "oidp_form.h"
#include "oidp_http.h"
#include "oidp_dbd.h"
#include "oidp_util.h"
#include "oidp_json.h"
#include "oidp_scope.h"

static int token_active(const oidp_token_t *t, apr_int64_t now)
{
    if (t->revoked || t->expires_at <= now) {
        return 0;
    }
    /* a user token needs its user, still enabled */
    return !t->grant.user_id || (t->user && !t->user->disabled);
}

static int respond(request_rec *r, json_t *j)
{
    apr_size_t len = 0;
    const char *body = oidp_json_dump(r->pool, oidp_json_bind(r->pool, j), &len);

    return oidp_http_send_json(r, HTTP_OK, body, len, 1, 0);
}

int oidp_introspect_handle(request_rec *r, const oidp_cfg_t *c)
{
    const oidp_client_t *client;
    oidp_token_t *t = NULL;
    oidp_db_t *db;
    const char *desc = NULL;
    oidp_err_t e;
    json_t *j;

    e = oidp_client_auth_token_request(&t, &client, &db, r, c, 0, &desc);
    if (e != OIDP_OK) {
        return oidp_error_json(r, e, desc);
    }
    if (!t || !token_active(t, oidp_util_now())) {
        return respond(r, json_pack("{s:b}", "active", 0));
    }
    j = json_pack("{s:b, s:s, s:s, s:s, s:I, s:I}", "active", 1, "client_id", t->grant.client_id,
                  "sub", t->grant.user_id ? t->grant.user_id : t->grant.client_id, "iss", c->issuer,
                  "iat", (json_int_t)t->issued_at, "exp", (json_int_t)t->expires_at);
    if (*t->grant.scope) {
        json_object_set_new(j, "scope", json_string(t->grant.scope));
    }
    if (t->user) {
        /* what resource servers look up (Dovecot's username_attribute is
         * email by default): the username always, the email address when
         * the grant includes the email scope */
        json_object_set_new(j, "username", json_string(t->user->username));
        if (t->user->email && *t->user->email
            && oidp_scope_has(oidp_scope_parse(r->pool, t->grant.scope), "email")) {
            json_object_set_new(j, "email", json_string(t->user->email));
            json_object_set_new(j, "email_verified", json_boolean(t->user->email_verified));
        }
    }
    if (strcmp(t->kind, OIDP_TOKEN_ACCESS) == 0) {
        json_object_set_new(j, "token_type", json_string("Bearer"));
        if (t->audience) {
            json_object_set_new(j, "aud", json_string(t->audience));
        }
    }
    if (t->jti) {
        json_object_set_new(j, "jti", json_string(t->jti));
    }
    if (t->grant.auth_time) {
        json_object_set_new(j, "auth_time", json_integer(t->grant.auth_time));
    }
    return respond(r, j);
}
