/*
 * Redirect URIs: matching a request's URI against a client's registered
 * ones, and building the redirect with response parameters. Pure.
 */
#ifndef OIDP_REDIRECT_H
#define OIDP_REDIRECT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "oidp_store.h"

/* Exact string comparison with the registered URIs (RFC 6749 3.1.2.3,
 * OIDC Core 3.1.2.1); for a public client a loopback redirect URI (http,
 * host 127.0.0.1, [::1] or localhost) may use any port (RFC 8252 7.3), all
 * else equal. */
int oidp_redirect_uri_allowed(apr_pool_t *p, const oidp_client_t *c, const char *uri);

/* Exact match among the client's post-logout redirect URIs. */
int oidp_redirect_post_logout_allowed(const oidp_client_t *c, const char *uri);

/* Response modes (OAuth 2.0 Multiple Response Types, Form Post). */
typedef enum {
    OIDP_RM_QUERY,
    OIDP_RM_FRAGMENT,
    OIDP_RM_FORM_POST
} oidp_rm_e;

/* A response parameter list: name/value pairs in order. */
typedef struct oidp_params_t {
    apr_array_header_t *names;  /* const char * */
    apr_array_header_t *values; /* const char * */
} oidp_params_t;

oidp_params_t *oidp_redirect_params_make(apr_pool_t *p);
void oidp_redirect_params_add(oidp_params_t *ps, const char *name, const char *value);

/* uri + "?" or "&" (query) or "#" (fragment) + form-encoded params. */
char *oidp_redirect_build(apr_pool_t *p, const char *uri, int fragment, const oidp_params_t *ps);

/* The CSP source of a URI: scheme://host[:port] for http(s), "scheme:" for
 * others. Pure. */
const char *oidp_redirect_origin(apr_pool_t *p, const char *uri);

/* Whether uri may be registered as a redirect or post-logout redirect URI:
 * printable ASCII only (no control character, space or raw non-ASCII byte),
 * an absolute URI (RFC 3986 scheme) without fragment (RFC 6749 3.1.2); never
 * a scheme that runs or embeds content (javascript:, data:, vbscript:,
 * file:, blob:, about:); http(s) with a host and no user information; plain
 * http only for a loopback host (127.0.0.1, [::1], localhost: RFC 8252 7.3)
 * unless allow_http; a private-use scheme of a native app
 * (com.example.app:/cb, RFC 8252 7.1) is accepted. NULL when it may, else a
 * static reason. */
const char *oidp_redirect_uri_check(apr_pool_t *p, const char *uri, int allow_http);

#endif /* OIDP_REDIRECT_H */
