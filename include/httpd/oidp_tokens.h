/*
 * Minting tokens: RFC 9068 JWT access tokens, recorded by hash so that they
 * can be introspected and revoked, and the RFC 6749 5.1 success response.
 */
#ifndef OIDP_TOKENS_H
#define OIDP_TOKENS_H

#include <httpd.h>
#include <jansson.h>
#include "oidp_config.h"
#include "oidp_error.h"
#include "oidp_store.h"

/* What a grant decided: for whom, for which client, what scope. */
typedef struct oidp_grant_t {
    const oidp_client_t *client;
    const char *user_id;   /* NULL for client_credentials: sub is then the client_id */
    const char *scope;     /* granted, space-separated, may be "" */
    apr_int64_t auth_time; /* 0 when no user authenticated */
    const char *sid;
    const char *grant_id;  /* tokens of one grant are revoked together */
    const oidp_user_t *user; /* the user's record (user grants) */
    const char *nonce;     /* from the authorization request */
    const char *claims;    /* the claims request (JSON) or NULL */
} oidp_grant_t;

/* The audience of access tokens: OIDCIdPAccessTokenAudience, else the client. */
const char *oidp_tokens_audience(const oidp_cfg_t *c, const oidp_client_t *client);

/* RFC 9068 2.2 claims of an access token. Pure. */
json_t *oidp_tokens_access_claims(const char *issuer, const char *aud, const oidp_grant_t *g,
                                  const char *jti, apr_int64_t iat, apr_int64_t exp);

/* Signs an access token with the first key and records its hash. */
oidp_err_t oidp_tokens_access(const char **token, request_rec *r, const oidp_cfg_t *c,
                              oidp_db_t *db, const oidp_grant_t *g, const char **desc);

/* The key that signs a client's ID tokens: its registered alg if a key has
 * it, RS256 otherwise. */
const oidp_key_t *oidp_tokens_id_token_key(const oidp_cfg_t *c, const oidp_client_t *client);

/* A user grant's tokens and the response: the access token; a refresh token
 * when the client may refresh and offline_access was granted (any user grant
 * for a Casdoor-dialect client, as Casdoor does); an ID token when openid
 * was granted and id_token is set. */
int oidp_tokens_issue_user(request_rec *r, const oidp_cfg_t *c, oidp_db_t *db,
                           const oidp_grant_t *g, int id_token);

/* 200 with {"access_token","token_type":"Bearer","expires_in","scope"?,
 * "refresh_token"?,"id_token"?} and no-store; scope is sent when not NULL,
 * even empty (RFC 6749 5.1: when it differs from the request). */
int oidp_tokens_respond(request_rec *r, const oidp_cfg_t *c, const char *access_token,
                        const char *scope, const char *refresh_token, const char *id_token);

#endif /* OIDP_TOKENS_H */
