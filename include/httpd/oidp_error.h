/*
 * OAuth 2.0 / OpenID Connect errors: one table (wire code, HTTP status at the
 * token endpoint, status as a bearer error, whether an authorization error
 * may be redirected to the client) and the renderers. Nothing else in the
 * module writes an error response.
 */
#ifndef OIDP_ERROR_H
#define OIDP_ERROR_H

#include <httpd.h>

typedef enum {
    OIDP_OK = 0,
    OIDP_ERR_INVALID_REQUEST,
    OIDP_ERR_INVALID_CLIENT,
    OIDP_ERR_INVALID_GRANT,
    OIDP_ERR_UNAUTHORIZED_CLIENT,
    OIDP_ERR_UNSUPPORTED_GRANT_TYPE,
    OIDP_ERR_UNSUPPORTED_RESPONSE_TYPE,
    OIDP_ERR_INVALID_SCOPE,
    OIDP_ERR_ACCESS_DENIED,
    OIDP_ERR_LOGIN_REQUIRED,
    OIDP_ERR_CONSENT_REQUIRED,
    OIDP_ERR_INTERACTION_REQUIRED,
    OIDP_ERR_REQUEST_NOT_SUPPORTED,
    OIDP_ERR_REQUEST_URI_NOT_SUPPORTED,
    OIDP_ERR_REGISTRATION_NOT_SUPPORTED,
    OIDP_ERR_INVALID_TOKEN,
    OIDP_ERR_INSUFFICIENT_SCOPE,
    OIDP_ERR_UNSUPPORTED_TOKEN_TYPE,
    OIDP_ERR_METHOD_NOT_ALLOWED,
    OIDP_ERR_BODY_TOO_LARGE,
    OIDP_ERR_UNSUPPORTED_MEDIA_TYPE,
    OIDP_ERR_NOT_FOUND,
    OIDP_ERR_SERVER_ERROR,
    OIDP_ERR_TEMPORARILY_UNAVAILABLE,
    OIDP_ERR_TOO_MANY_ATTEMPTS, /* throttled: 429 with Retry-After */
    OIDP_ERR__COUNT
} oidp_err_t;

typedef struct oidp_err_info_t {
    oidp_err_t err;
    const char *code;  /* the "error" value on the wire */
    int status;        /* HTTP status as a JSON (token endpoint style) error */
    int bearer_status; /* HTTP status as an RFC 6750 error */
    int redirectable;  /* an authorization error that goes back to the client */
} oidp_err_info_t;

const oidp_err_info_t *oidp_error_info(oidp_err_t e);

/* RFC 6749 5.2 body: {"error":..., "error_description":...}; characters the
 * RFC does not allow in a description are dropped. Pure. */
char *oidp_error_body(apr_pool_t *p, oidp_err_t e, const char *desc, apr_size_t *len);

/* The note of r->notes that holds the seconds of Retry-After on a 429. */
#define OIDP_NOTE_RETRY_AFTER "oidp-retry-after"

/* JSON error with the table's status, Cache-Control: no-store, Pragma:
 * no-cache, WWW-Authenticate: Basic on 401, Allow on 405 (r->allowed) and
 * Retry-After on 429 (OIDP_NOTE_RETRY_AFTER).
 * Returns OK (the response is written) for the handler to return. */
int oidp_error_json(request_rec *r, oidp_err_t e, const char *desc);

/* RFC 6750 3: status from the table and WWW-Authenticate: Bearer with the
 * error (none for a request that carried no token), JSON body. */
int oidp_error_bearer(request_rec *r, oidp_err_t e, const char *desc, int token_seen);

struct oidp_cfg_t;

/* An authorization error sent back to the client's verified redirect_uri
 * (RFC 6749 4.1.2.1) with state echoed and iss (RFC 9207), in the response
 * mode of the request. */
int oidp_error_redirect(request_rec *r, const struct oidp_cfg_t *c, const char *redirect_uri,
                        int mode, const char *state, oidp_err_t e, const char *desc);

/* An HTML error page for a person, never a redirect: when the client or its
 * redirect_uri cannot be trusted, or the browser is the only party. */
int oidp_error_page(request_rec *r, const struct oidp_cfg_t *c, oidp_err_t e, const char *title,
                    const char *desc);

#endif /* OIDP_ERROR_H */
