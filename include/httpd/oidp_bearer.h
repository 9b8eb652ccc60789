/*
 * Bearer access tokens at the resource endpoints (userinfo, Casdoor's
 * account API): how a request carries one (RFC 6750 2) and whether it is a
 * live user token (looked up by hash, so revocation is immediate).
 */
#ifndef OIDP_BEARER_H
#define OIDP_BEARER_H

#include <httpd.h>
#include <apr_hash.h>
#include "oidp_error.h"
#include "oidp_store.h"

/* The token from the Authorization: Bearer header, a form body
 * access_token (body may be NULL) or, for Casdoor's clients, the
 * access_token / accessToken query parameter. *token is NULL when there is
 * none; INVALID_REQUEST when more than one way is used (RFC 6750 2). */
oidp_err_t oidp_bearer_extract(const char **token, request_rec *r, apr_hash_t *body,
                               const char **desc);

/* A live access token of this issuer for an enabled user: OIDP_OK with *t and t->user,
 * INVALID_TOKEN otherwise, TEMPORARILY_UNAVAILABLE when the store is down. */
oidp_err_t oidp_bearer_lookup(oidp_token_t **t, request_rec *r, oidp_db_t *db, const char *issuer,
                              const char *token, const char **desc);

#endif /* OIDP_BEARER_H */
