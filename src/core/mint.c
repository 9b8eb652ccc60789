/*
 * Minting access tokens (RFC 9068), refresh tokens and ID tokens (OpenID
 * Connect Core 2).
 */
#include <string.h>

#include <apr_strings.h>

#include "oidp_claims.h"
#include "oidp_json.h"
#include "oidp_mint.h"
#include "oidp_scope.h"
#include "oidp_util.h"

const char *oidp_mint_audience(const oidp_mint_t *m, const oidp_client_t *client)
{
    return m->audience ? m->audience : client->client_id;
}

json_t *oidp_mint_access_claims(const char *issuer, const char *aud, const oidp_issue_t *is,
                                const char *jti, apr_int64_t iat, apr_int64_t exp)
{
    const oidp_grant_t *g = &is->grant;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "iss", issuer, "sub",
                          g->user_id ? g->user_id : is->client->client_id, "aud", aud, "client_id",
                          is->client->client_id);

    if (!j) {
        return NULL;
    }
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

/* The row of a token of this grant, less what differs by kind. */
static void row_of(oidp_token_t *row, const oidp_mint_t *m, const oidp_issue_t *is,
                   const char *kind, const char *hash, apr_int64_t now, apr_int64_t exp)
{
    memset(row, 0, sizeof(*row));
    row->token_hash = hash;
    row->issuer = m->issuer;
    row->kind = kind;
    row->grant = is->grant;
    row->grant.client_id = is->client->client_id;
    row->issued_at = now;
    row->expires_at = exp;
}

apr_status_t oidp_mint_access(const char **jws, oidp_token_t *row, apr_pool_t *p,
                              const oidp_mint_t *m, const oidp_issue_t *is, apr_int64_t now,
                              const char **err)
{
    const oidp_key_t *key = APR_ARRAY_IDX(m->keys->keys, 0, const oidp_key_t *);
    apr_int64_t exp = now + m->access_ttl;
    const char *jti = oidp_util_random_token(p, 16);
    const char *aud = oidp_mint_audience(m, is->client);
    const char *payload;
    apr_size_t plen = 0;

    if (!jti) {
        *err = "no randomness";
        return APR_EGENERAL;
    }
    payload = oidp_json_dump(
        p, oidp_json_bind(p, oidp_mint_access_claims(m->issuer, aud, is, jti, now, exp)), &plen);
    if (!payload || oidp_jose_sign(jws, p, key, "at+jwt", payload, plen) != APR_SUCCESS) {
        *err = apr_pstrcat(p, "signing with key ", key->kid, " failed", NULL);
        return APR_EGENERAL;
    }
    row_of(row, m, is, OIDP_TOKEN_ACCESS, oidp_util_sha256_hex(p, *jws, strlen(*jws)), now, exp);
    row->audience = aud;
    row->grant.scope = is->grant.scope ? is->grant.scope : "";
    row->grant.grant_id = is->grant.grant_id ? is->grant.grant_id : jti;
    row->jti = jti;
    return APR_SUCCESS;
}

static const char *claim_str(json_t *j, const char *name)
{
    json_t *v = json_object_get(j, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

apr_status_t oidp_mint_access_parse(oidp_token_t **tp, apr_pool_t *p, const oidp_mint_t *m,
                                    const char *jws)
{
    const char *header = NULL, *payload = NULL, *err = NULL;
    const char *sub, *client_id, *jti, *iss, *aud, *scope;
    json_t *h, *j, *iat, *exp;
    oidp_token_t *t;

    *tp = NULL;
    /* three segments, nothing else: cheap to refuse before any crypto */
    if (!jws || strncmp(jws, "eyJ", 3) != 0 || !m->keys
        || oidp_jose_verify(&header, &payload, p, m->keys, jws, &err) != APR_SUCCESS) {
        return APR_NOTFOUND;
    }
    h = oidp_json_bind(p, json_loads(header, 0, NULL));
    j = oidp_json_bind(p, json_loads(payload, 0, NULL));
    if (!json_is_object(h) || !json_is_object(j) || !json_is_string(json_object_get(h, "typ"))
        || strcmp(json_string_value(json_object_get(h, "typ")), "at+jwt") != 0) {
        return APR_NOTFOUND;
    }
    sub = claim_str(j, "sub");
    client_id = claim_str(j, "client_id");
    jti = claim_str(j, "jti");
    iss = claim_str(j, "iss");
    aud = claim_str(j, "aud");
    scope = json_object_get(j, "scope") ? claim_str(j, "scope") : "";
    iat = json_object_get(j, "iat");
    exp = json_object_get(j, "exp");
    /* a user's token always has its row: never taken from its claims */
    if (!sub || !client_id || !jti || !*jti || !iss || !aud || !scope || strcmp(sub, client_id) != 0
        || json_object_get(j, "auth_time") || json_object_get(j, "sid") || !json_is_integer(iat)
        || !json_is_integer(exp)) {
        return APR_NOTFOUND;
    }
    t = apr_pcalloc(p, sizeof(*t));
    t->token_hash = oidp_util_sha256_hex(p, jws, strlen(jws));
    t->issuer = apr_pstrdup(p, iss);
    t->audience = apr_pstrdup(p, aud);
    t->kind = OIDP_TOKEN_ACCESS;
    t->grant.client_id = apr_pstrdup(p, client_id);
    t->grant.scope = apr_pstrdup(p, scope);
    t->grant.grant_id = t->jti = apr_pstrdup(p, jti);
    t->issued_at = json_integer_value(iat);
    t->expires_at = json_integer_value(exp);
    t->rowless = 1;
    *tp = t;
    return APR_SUCCESS;
}

apr_int64_t oidp_mint_refresh_expiry(const oidp_mint_t *m, const oidp_grant_t *g, apr_int64_t now)
{
    apr_int64_t exp = now + m->refresh_ttl;

    if (m->refresh_max_ttl > 0 && g->auth_time > 0 && g->auth_time + m->refresh_max_ttl < exp) {
        exp = g->auth_time + m->refresh_max_ttl;
    }
    return exp;
}

apr_status_t oidp_mint_refresh(const char **value, oidp_token_t *row, apr_pool_t *p,
                               const oidp_mint_t *m, const oidp_issue_t *is, apr_int64_t now,
                               const char **err)
{
    *value = oidp_util_random_token(p, 32);
    if (!*value) {
        *err = "no randomness";
        return APR_EGENERAL;
    }
    row_of(row, m, is, OIDP_TOKEN_REFRESH, oidp_util_sha256_hex(p, *value, strlen(*value)), now,
           oidp_mint_refresh_expiry(m, &is->grant, now));
    if (is->refresh_scope) {
        row->grant.scope = is->refresh_scope;
    }
    return APR_SUCCESS;
}

const oidp_key_t *oidp_mint_id_token_key(const oidp_keyset_t *ks, const oidp_client_t *client)
{
    const oidp_key_t *k = NULL;

    if (client->id_token_alg) {
        k = oidp_jose_keyset_find_alg(ks, oidp_jose_alg_from_name(client->id_token_alg));
    }
    return k ? k : oidp_jose_keyset_find_alg(ks, OIDP_ALG_RS256);
}

apr_status_t oidp_mint_id_token(const char **jws, apr_pool_t *p, const oidp_mint_t *m,
                                const oidp_issue_t *is, const char *access_token, apr_int64_t now,
                                const char **err)
{
    const oidp_key_t *key = oidp_mint_id_token_key(m->keys, is->client);
    const oidp_grant_t *g = &is->grant;
    oidp_id_token_t t;
    const char *payload;
    apr_size_t len = 0;
    json_t *j;

    memset(&t, 0, sizeof(t));
    t.issuer = m->issuer;
    t.sub = g->user_id;
    t.aud = is->client->client_id;
    t.nonce = is->nonce;
    t.at_hash = oidp_jose_half_hash(p, key->alg, access_token);
    t.sid = g->sid;
    t.auth_time = g->auth_time;
    t.amr = g->amr;
    t.acr = g->acr;
    t.iat = now;
    t.exp = now + m->id_token_ttl;
    j = oidp_json_bind(p, oidp_claims_id_token(&t));
    if (!j) {
        *err = "the ID token's claims could not be built";
        return APR_EGENERAL;
    }
    oidp_claims_user(j, is->user, oidp_scope_parse(p, g->scope), g->claims, "id_token",
                     is->client->dialect);
    payload = oidp_json_dump(p, j, &len);
    if (!payload || oidp_jose_sign(jws, p, key, "JWT", payload, len) != APR_SUCCESS) {
        *err = apr_pstrcat(p, "signing an ID token with key ", key->kid, " failed", NULL);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}
