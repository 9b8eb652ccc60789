/*
 * Client authentication (RFC 6749 2.3): one method per request; a client
 * with a secret may send it with Basic or in the body unless it is pinned
 * to its registered method; unknown clients and wrong secrets get the same
 * answer.
 */
#include <string.h>

#include <httpd.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_client_auth.h"
#include "oidp_config.h"
#include "oidp_form.h"
#include "oidp_http.h"
#include "oidp_mint.h"
#include "oidp_dbd.h"
#include "oidp_throttling.h"
#include "oidp_util.h"

int oidp_client_auth_secret_ok(apr_pool_t *p, const oidp_client_t *c, const char *secret)
{
    /* hash first so that the time taken does not depend on the client */
    const char *h = oidp_util_sha256_hex(p, secret ? secret : "", secret ? strlen(secret) : 0);

    return c && c->secret_hash && secret && oidp_util_consteq(h, c->secret_hash);
}

/* A client with a secret sends it with HTTP Basic or in the body (RFC 6749
 * 2.3.1: the server MUST support Basic, MAY the body; Casdoor and
 * node-oidc-provider take either), unless it is pinned to the one it
 * registered. Every other method is exactly the registered one. */
int oidp_client_auth_method_ok(const oidp_client_t *c, const char *method)
{
    int secret_method = strcmp(method, OIDP_AUTH_BASIC) == 0 || strcmp(method, OIDP_AUTH_POST) == 0;
    int secret_client = strcmp(c->auth_method, OIDP_AUTH_BASIC) == 0
                        || strcmp(c->auth_method, OIDP_AUTH_POST) == 0;

    if (strcmp(method, c->auth_method) == 0) {
        return 1;
    }
    return secret_client && secret_method && !c->auth_method_pinned;
}

oidp_err_t oidp_client_auth(const oidp_client_t **client, request_rec *r, oidp_db_t *db,
                            apr_hash_t *params, int allow_public, const char **desc)
{
    const char *bid = NULL, *bsecret = NULL;
    const char *pid = oidp_param(params, "client_id");
    const char *psecret = oidp_param(params, "client_secret");
    const char *id, *secret, *method, *err = NULL;
    oidp_client_t *c = NULL;
    oidp_throttle_t *th = NULL;
    oidp_throttle_count_t count_id, count_addr;
    const char *key_id = NULL, *key_addr = NULL;
    apr_int64_t wait = 0;
    oidp_err_t e;
    int counted;
    apr_status_t rv = oidp_http_basic(&bid, &bsecret, r);

    *client = NULL;
    if (rv == APR_EINVAL) {
        *desc = "malformed Basic credentials";
        return OIDP_ERR_INVALID_CLIENT;
    }
    if (rv == APR_SUCCESS && psecret) {
        *desc = "more than one client authentication method";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (rv == APR_SUCCESS && pid && strcmp(pid, bid) != 0) {
        *desc = "client_id does not match the authenticated client";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (rv == APR_SUCCESS) {
        id = bid;
        secret = bsecret;
        method = OIDP_AUTH_BASIC;
    }
    else {
        id = pid;
        secret = psecret;
        method = psecret ? OIDP_AUTH_POST : OIDP_AUTH_NONE;
    }
    if (!id) {
        *desc = "client authentication is required";
        return OIDP_ERR_INVALID_CLIENT;
    }

    /* the client and its throttle counters in one round trip (an unknown
     * client's counters are read on their own below: a failure anyway) */
    counted = oidp_throttle_keys(&key_id, &key_addr, r, OIDP_THROTTLE_CLIENT, id);
    rv = counted ? oidp_store_client_get_counted(&c, &count_id, &count_addr, r->pool, db, id,
                                                 key_id, key_addr, &err)
                 : oidp_store_client_get(&c, r->pool, db, id, &err);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00032), "client lookup", err);
        *desc = "the client store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    if (c && strcmp(c->auth_method, OIDP_AUTH_NONE) == 0 && strcmp(method, OIDP_AUTH_NONE) == 0
        && allow_public) {
        *client = c;
        return OIDP_OK;
    }
    /* a public client that sends a secret, or where public clients are not
     * taken, gets the answer of an unknown client or a wrong secret: nothing
     * tells which client ids exist (the secret is hashed in every case) */
    e = counted && c ? oidp_throttle_check_counted(&th, r, OIDP_THROTTLE_CLIENT, key_id, key_addr,
                                                   &count_id, &count_addr, &wait)
                     : oidp_throttle_check(&th, r, db, OIDP_THROTTLE_CLIENT, id, &wait);
    if (e != OIDP_OK) {
        *desc = wait ? "too many failed attempts: try again later" : "the store is unavailable";
        return wait ? OIDP_ERR_TOO_MANY_ATTEMPTS : OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    if (!oidp_client_auth_secret_ok(r->pool, c, secret)) {
        *desc = "client authentication failed";
        oidp_audit(r, "client_auth_failed", "reason", c ? "wrong_secret" : "unknown_client",
                   "client_id", c ? c->client_id : NULL, NULL);
        if (oidp_throttle_done(th, r, db, OIDP_ERR_INVALID_CLIENT, NULL)
            != OIDP_ERR_INVALID_CLIENT) {
            *desc = "the store is unavailable";
            return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00005) "client authentication failed for client_id '%s' (%s)",
                      ap_escape_logitem(r->pool, id),
                      !c                                            ? "unknown client"
                      : strcmp(c->auth_method, OIDP_AUTH_NONE) != 0 ? "wrong secret"
                      : strcmp(method, OIDP_AUTH_NONE) != 0
                          ? "a public client sent a secret"
                          : "a public client where none is taken");
        return OIDP_ERR_INVALID_CLIENT;
    }
    if (!oidp_client_auth_method_ok(c, method)) {
        *desc = "this client must authenticate with its registered method";
        return OIDP_ERR_INVALID_CLIENT;
    }
    if (oidp_throttle_done(th, r, db, OIDP_OK, NULL) != OIDP_OK) {
        *desc = "the store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    *client = c;
    return OIDP_OK;
}

oidp_err_t oidp_client_auth_token_request(oidp_token_t **t, const oidp_client_t **client,
                                          oidp_db_t **db, request_rec *r, const oidp_cfg_t *c,
                                          int allow_public, const char **desc)
{
    apr_hash_t *params;
    const char *token, *err = NULL;
    apr_status_t rv;
    oidp_err_t e;

    *t = NULL;
    e = oidp_http_body_params(&params, r, c, desc);
    if (e != OIDP_OK) {
        return e;
    }
    e = oidp_dbd_acquire(db, r, desc);
    if (e != OIDP_OK) {
        return e;
    }
    e = oidp_client_auth(client, r, *db, params, allow_public, desc);
    if (e != OIDP_OK) {
        return e;
    }
    token = oidp_param(params, "token");
    if (!token) {
        *desc = "token is missing";
        return OIDP_ERR_INVALID_REQUEST;
    }
    /* a client_credentials access token has no row: its claims, verified,
     * and one statement for its client and revocation */
    if (oidp_mint_access_parse(t, r->pool, &c->rt->mint, token) == APR_SUCCESS) {
        rv = oidp_store_token_state(*t, r->pool, *db, &err);
        if (rv == APR_NOTFOUND) {
            *t = NULL; /* its client is gone */
        }
    }
    else {
        rv = oidp_store_token_get(t, r->pool, *db,
                                  oidp_util_sha256_hex(r->pool, token, strlen(token)), &err);
    }
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00033), "token lookup", err);
        *desc = "the store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    if (*t && strcmp((*t)->issuer, c->issuer) != 0) {
        *t = NULL; /* another issuer's token is unknown here */
    }
    return OIDP_OK;
}
