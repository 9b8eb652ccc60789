/*
 * Bearer tokens (RFC 6750). The query string (2.3) is only for Casdoor's
 * clients, which send ?accessToken=: elsewhere it lands tokens in access logs.
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_bearer.h"
#include "oidp_claims.h"
#include "oidp_form.h"
#include "oidp_dbd.h"
#include "oidp_util.h"

oidp_err_t oidp_bearer_extract(const char **token, int *in_query, request_rec *r, apr_hash_t *body,
                               const char **desc)
{
    const char *auth = apr_table_get(r->headers_in, "Authorization");
    const char *found[3] = {NULL, NULL, NULL};
    apr_hash_t *query = apr_hash_make(r->pool);
    const char *err = NULL, *q1, *q2;
    int n = 0, i;

    *token = NULL;
    *in_query = 0;
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
    *in_query = found[2] != NULL;
    return OIDP_OK;
}

#define IN_QUERY_REFUSED "an access token in the query string is not accepted (RFC 6750 2.3)"

oidp_err_t oidp_bearer_lookup(oidp_token_t **tp, request_rec *r, oidp_db_t *db, const oidp_cfg_t *c,
                              const char *token, int in_query, const char **desc)
{
    oidp_token_t *t = NULL;
    const char *err = NULL;
    apr_status_t rv;

    *tp = NULL;
    if (in_query && !oidp_cfg_bearer_in_query(c)) {
        *desc = IN_QUERY_REFUSED;
        return OIDP_ERR_INVALID_REQUEST;
    }
    rv = oidp_store_token_get(&t, r->pool, db, oidp_util_sha256_hex(r->pool, token, strlen(token)),
                              &err);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00031), "token lookup", err);
        *desc = "the token store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    if (!t || strcmp(t->kind, OIDP_TOKEN_ACCESS) != 0 || t->revoked
        || t->expires_at <= oidp_util_now() || strcmp(t->issuer, c->issuer) != 0) {
        *desc = "the access token is invalid, expired or revoked";
        return OIDP_ERR_INVALID_TOKEN;
    }
    if (!t->grant.user_id || !t->user || t->user->disabled) {
        *desc = "the access token does not stand for an active user";
        return OIDP_ERR_INVALID_TOKEN;
    }
    if (in_query && !(t->client_dialect && strcmp(t->client_dialect, OIDP_DIALECT_CASDOOR) == 0)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00150) "a token of client '%s' in the query string refused: only "
                                        "Casdoor-dialect clients may send it there",
                      ap_escape_logitem(r->pool, t->grant.client_id));
        *desc = IN_QUERY_REFUSED;
        return OIDP_ERR_INVALID_REQUEST;
    }
    *tp = t;
    return OIDP_OK;
}
