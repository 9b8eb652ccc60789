/*
 * Bearer tokens (RFC 6750).
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>

#include "oidp_bearer.h"
#include "oidp_form.h"
#include "oidp_dbd.h"
#include "oidp_util.h"

oidp_err_t oidp_bearer_extract(const char **token, request_rec *r, apr_hash_t *body,
                               const char **desc)
{
    const char *auth = apr_table_get(r->headers_in, "Authorization");
    const char *found[3] = {NULL, NULL, NULL};
    apr_hash_t *query = apr_hash_make(r->pool);
    const char *err = NULL, *q1, *q2;
    int n = 0, i;

    *token = NULL;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *t = auth + 7;
        while (*t == ' ') {
            t++;
        }
        if (!*t || strchr(t, ' ')) {
            *desc = "malformed Authorization header";
            return OIDP_ERR_INVALID_REQUEST;
        }
        found[0] = t;
    }
    if (body) {
        found[1] = oidp_param(body, "access_token");
    }
    if (r->args && *r->args) {
        /* a malformed query cannot carry a usable token: parse leniently */
        oidp_form_parse(query, r->pool, r->args, strlen(r->args), apr_hash_make(r->pool), &err);
        q1 = oidp_param(query, "access_token");
        q2 = oidp_param(query, "accessToken");
        if (q1 && q2) {
            *desc = "the token is sent more than once";
            return OIDP_ERR_INVALID_REQUEST;
        }
        found[2] = q1 ? q1 : q2;
    }
    for (i = 0; i < 3; i++) {
        if (found[i]) {
            *token = found[i];
            n++;
        }
    }
    if (n > 1) {
        *token = NULL;
        *desc = "the token is sent more than one way";
        return OIDP_ERR_INVALID_REQUEST;
    }
    return OIDP_OK;
}

oidp_err_t oidp_bearer_lookup(oidp_token_t **tp, request_rec *r, oidp_db_t *db, const char *issuer,
                              const char *token, const char **desc)
{
    oidp_token_t *t = NULL;
    const char *err = NULL;
    apr_status_t rv = oidp_store_token_get(&t, r->pool, db,
                                           oidp_util_sha256_hex(r->pool, token, strlen(token)),
                                           &err);

    *tp = NULL;
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00031), "token lookup", err);
        *desc = "the token store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    if (!t || strcmp(t->kind, OIDP_TOKEN_ACCESS) != 0 || t->revoked
        || t->expires_at <= oidp_util_now() || strcmp(t->issuer, issuer) != 0) {
        *desc = "the access token is invalid, expired or revoked";
        return OIDP_ERR_INVALID_TOKEN;
    }
    if (!t->grant.user_id || !t->user || t->user->disabled) {
        *desc = "the access token does not stand for an active user";
        return OIDP_ERR_INVALID_TOKEN;
    }
    *tp = t;
    return OIDP_OK;
}
