/*
 * Access tokens (RFC 9068 JWTs) and the token endpoint's success response.
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_http.h"
#include "oidp_jose.h"
#include "oidp_dbd.h"
#include "oidp_tokens.h"
#include "oidp_util.h"
#include "oidp_claims.h"
#include "oidp_json.h"
#include "oidp_scope.h"

const char *oidp_tokens_audience(const oidp_cfg_t *c, const oidp_client_t *client)
{
    return c->access_token_audience ? c->access_token_audience : client->client_id;
}

json_t *oidp_tokens_access_claims(const char *issuer, const char *aud, const oidp_grant_t *g,
                                  const char *jti, apr_int64_t iat, apr_int64_t exp)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "iss", issuer, "sub",
                          g->user_id ? g->user_id : g->client->client_id, "aud", aud, "client_id",
                          g->client->client_id);

    if (g->scope && *g->scope) {
        json_object_set_new(j, "scope", json_string(g->scope));
    }
    if (g->user_id && g->auth_time) {
        json_object_set_new(j, "auth_time", json_integer(g->auth_time));
    }
    if (g->sid) {
        json_object_set_new(j, "sid", json_string(g->sid));
    }
    json_object_set_new(j, "jti", json_string(jti));
    json_object_set_new(j, "iat", json_integer(iat));
    json_object_set_new(j, "exp", json_integer(exp));
    return j;
}

oidp_err_t oidp_tokens_access(const char **token, request_rec *r, const oidp_cfg_t *c,
                              oidp_db_t *db, const oidp_grant_t *g, const char **desc)
{
    const oidp_key_t *key = APR_ARRAY_IDX(c->rt->keys->keys, 0, const oidp_key_t *);
    apr_int64_t now = oidp_util_now();
    apr_int64_t exp = now + oidp_cfg_access_token_ttl(c);
    const char *jti = oidp_util_random_token(r->pool, 16);
    json_t *claims;
    const char *payload, *jws = NULL, *err = NULL;
    apr_size_t plen = 0;
    oidp_token_t row;

    if (!jti) {
        *desc = "no randomness";
        return OIDP_ERR_SERVER_ERROR;
    }
    claims = oidp_json_bind(r->pool, oidp_tokens_access_claims(
                                         c->issuer, oidp_tokens_audience(c, g->client), g, jti,
                                         now, exp));
    payload = oidp_json_dump(r->pool, claims, &plen);
    if (!payload || oidp_jose_sign(&jws, r->pool, key, "at+jwt", payload, plen) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OIDP_LOGNO(00006) "signing with key %s failed",
                      key->kid);
        *desc = "the token could not be signed";
        return OIDP_ERR_SERVER_ERROR;
    }
    memset(&row, 0, sizeof(row));
    row.token_hash = oidp_util_sha256_hex(r->pool, jws, strlen(jws));
    row.issuer = c->issuer;
    row.audience = oidp_tokens_audience(c, g->client);
    row.kind = OIDP_TOKEN_ACCESS;
    row.client_id = g->client->client_id;
    row.user_id = g->user_id;
    row.scope = g->scope ? g->scope : "";
    row.jti = jti;
    row.grant_id = g->grant_id ? g->grant_id : jti;
    row.sid = g->sid;
    row.claims = g->claims;
    row.auth_time = g->auth_time;
    row.issued_at = now;
    row.expires_at = exp;
    if (oidp_store_token_insert(r->pool, db, &row, &err) != APR_SUCCESS) {
        oidp_dbd_log(r, "recording an access token", err);
        *desc = "the token store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    *token = jws;
    return OIDP_OK;
}

int oidp_tokens_respond(request_rec *r, const oidp_cfg_t *c, const char *access_token,
                        const char *scope, const char *refresh_token, const char *id_token)
{
    json_t *j = oidp_json_bind(r->pool, json_pack("{s:s, s:s, s:i}", "access_token", access_token,
                                                  "token_type", "Bearer", "expires_in",
                                                  oidp_cfg_access_token_ttl(c)));
    apr_size_t len = 0;
    const char *body;

    if (scope) {
        json_object_set_new(j, "scope", json_string(scope));
    }
    if (refresh_token) {
        json_object_set_new(j, "refresh_token", json_string(refresh_token));
    }
    if (id_token) {
        json_object_set_new(j, "id_token", json_string(id_token));
    }
    body = oidp_json_dump(r->pool, j, &len);
    return oidp_http_send_json(r, HTTP_OK, body, len, 1, 0);
}

const oidp_key_t *oidp_tokens_id_token_key(const oidp_cfg_t *c, const oidp_client_t *client)
{
    const oidp_key_t *k = NULL;

    if (client->id_token_alg) {
        k = oidp_jose_keyset_find_alg(c->rt->keys, oidp_jose_alg_from_name(client->id_token_alg));
    }
    return k ? k : oidp_jose_keyset_find_alg(c->rt->keys, OIDP_ALG_RS256);
}

static oidp_err_t refresh_token(const char **rt, request_rec *r, const oidp_cfg_t *c,
                                oidp_db_t *db, const oidp_grant_t *g, const char **desc)
{
    const char *value = oidp_util_random_token(r->pool, 32);
    const char *err = NULL;
    oidp_token_t row;

    if (!value) {
        *desc = "no randomness";
        return OIDP_ERR_SERVER_ERROR;
    }
    memset(&row, 0, sizeof(row));
    row.token_hash = oidp_util_sha256_hex(r->pool, value, strlen(value));
    row.issuer = c->issuer;
    row.kind = OIDP_TOKEN_REFRESH;
    row.client_id = g->client->client_id;
    row.user_id = g->user_id;
    row.scope = g->scope;
    row.grant_id = g->grant_id;
    row.sid = g->sid;
    row.claims = g->claims;
    row.auth_time = g->auth_time;
    row.issued_at = oidp_util_now();
    row.expires_at = row.issued_at + oidp_cfg_refresh_token_ttl(c);
    if (oidp_store_token_insert(r->pool, db, &row, &err) != APR_SUCCESS) {
        oidp_dbd_log(r, "recording a refresh token", err);
        *desc = "the token store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    *rt = value;
    return OIDP_OK;
}

static oidp_err_t id_token(const char **idt, request_rec *r, const oidp_cfg_t *c,
                           const oidp_grant_t *g, const char *at, const char **desc)
{
    const oidp_key_t *key = oidp_tokens_id_token_key(c, g->client);
    apr_array_header_t *scopes = oidp_scope_parse(r->pool, g->scope);
    oidp_id_token_t t;
    json_t *j;
    const char *payload;
    apr_size_t len = 0;

    memset(&t, 0, sizeof(t));
    t.issuer = c->issuer;
    t.sub = g->user_id;
    t.aud = g->client->client_id;
    t.nonce = g->nonce;
    t.at_hash = oidp_jose_half_hash(r->pool, key->alg, at);
    t.sid = g->sid;
    t.auth_time = g->auth_time;
    t.iat = oidp_util_now();
    t.exp = t.iat + oidp_cfg_id_token_ttl(c);
    j = oidp_json_bind(r->pool, oidp_claims_id_token(&t));
    oidp_claims_user(j, g->user, scopes, g->claims, "id_token", g->client->dialect);
    payload = oidp_json_dump(r->pool, j, &len);
    if (!payload || oidp_jose_sign(idt, r->pool, key, "JWT", payload, len) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OIDP_LOGNO(00016) "signing an ID token failed");
        *desc = "the ID token could not be signed";
        return OIDP_ERR_SERVER_ERROR;
    }
    return OIDP_OK;
}

int oidp_tokens_issue_user(request_rec *r, const oidp_cfg_t *c, oidp_db_t *db,
                           const oidp_grant_t *g, int with_id_token)
{
    apr_array_header_t *scopes = oidp_scope_parse(r->pool, g->scope);
    int casdoor = g->client->dialect && strcmp(g->client->dialect, OIDP_DIALECT_CASDOOR) == 0;
    const char *at = NULL, *rt = NULL, *idt = NULL, *desc = NULL;
    oidp_err_t e;

    e = oidp_tokens_access(&at, r, c, db, g, &desc);
    if (e == OIDP_OK && oidp_util_word_in(g->client->grant_types, "refresh_token")
        && (casdoor || oidp_scope_has(scopes, "offline_access"))) {
        e = refresh_token(&rt, r, c, db, g, &desc);
    }
    if (e == OIDP_OK && with_id_token && oidp_scope_has(scopes, "openid")) {
        e = id_token(&idt, r, c, g, at, &desc);
    }
    if (e != OIDP_OK) {
        return oidp_error_json(r, e, desc);
    }
    return oidp_tokens_respond(r, c, at, g->scope, rt, idt);
}
