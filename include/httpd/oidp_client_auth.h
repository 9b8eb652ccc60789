/*
 * Client authentication at the token, introspection and revocation
 * endpoints: client_secret_basic and client_secret_post (RFC 6749 2.3.1),
 * and "none" for public clients (client_id only).
 */
#ifndef OIDP_CLIENT_AUTH_H
#define OIDP_CLIENT_AUTH_H

#include <httpd.h>
#include <apr_hash.h>
#include "oidp_error.h"
#include "oidp_store.h"

/* The client, authenticated with one method: the one it registered, or
 * for a client with a secret that is not pinned Basic or the body alike
 * (oidp_client_auth_method_ok). allow_public:
 * whether a public client (auth method none) may use this endpoint. */
oidp_err_t oidp_client_auth(const oidp_client_t **client, request_rec *r, oidp_db_t *db,
                            apr_hash_t *params, int allow_public, const char **desc);

struct oidp_cfg_t;

/* The common start of the introspection and revocation endpoints (RFC 7662
 * 2.1, RFC 7009 2.1): the body, the store, the client, the "token"
 * parameter and its row - *t is NULL for a token unknown to this issuer
 * (token_type_hint is only a hint: one lookup finds both kinds). Returns
 * the error to answer otherwise. */
oidp_err_t oidp_client_auth_token_request(oidp_token_t **t, const oidp_client_t **client,
                                          oidp_db_t **db, request_rec *r,
                                          const struct oidp_cfg_t *c, int allow_public,
                                          const char **desc);

/* May this client authenticate with method (OIDP_AUTH_*)? Pure. */
int oidp_client_auth_method_ok(const oidp_client_t *c, const char *method);

/* The pure part: does this secret match the stored hash (constant time)? */
int oidp_client_auth_secret_ok(apr_pool_t *p, const oidp_client_t *c, const char *secret);

#endif /* OIDP_CLIENT_AUTH_H */
