/*
 * Bearer access tokens at the resource endpoints (userinfo, Casdoor's
 * account API): how a request carries one (RFC 6750 2) and whether it is a
 * live user token (looked up by hash, so revocation is immediate).
 */
#ifndef OIDP_BEARER_H
#define OIDP_BEARER_H

#include <httpd.h>
#include <apr_hash.h>
#include "oidp_config.h"
#include "oidp_error.h"
#include "oidp_store.h"

/* The token from the Authorization: Bearer header, a form body
 * access_token (body may be NULL) or the access_token / accessToken query
 * parameter (*in_query set: oidp_bearer_lookup decides whether it is
 * accepted). *token is NULL when there is none; INVALID_REQUEST when more
 * than one way is used (RFC 6750 2). */
oidp_err_t oidp_bearer_extract(const char **token, int *in_query, request_rec *r, apr_hash_t *body,
                               const char **desc);

/* A live access token of c's issuer for an enabled user: OIDP_OK with *t and t->user,
 * INVALID_TOKEN otherwise, TEMPORARILY_UNAVAILABLE when the store is down. A token
 * from the query string (in_query) is INVALID_REQUEST (RFC 6750 2.3: not supported)
 * unless OIDCIdPBearerInQuery allows it and the token is a Casdoor-dialect client's. */
oidp_err_t oidp_bearer_lookup(oidp_token_t **t, request_rec *r, oidp_db_t *db, const oidp_cfg_t *c,
                              const char *token, int in_query, const char **desc);

#endif /* OIDP_BEARER_H */
