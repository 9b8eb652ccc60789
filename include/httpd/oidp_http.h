/*
 * Request input and output shared by the endpoints: a size-capped body
 * reader, parameters from form or JSON bodies, JSON senders with the right
 * caching headers.
 */
#ifndef OIDP_HTTP_H
#define OIDP_HTTP_H

#include <httpd.h>
#include <apr_hash.h>
#include "oidp_config.h"
#include "oidp_error.h"

/* Reads a POST body of application/x-www-form-urlencoded (or, for Casdoor
 * compatibility, application/json) into *params. Fails with the error to
 * send: BODY_TOO_LARGE over OIDCIdPMaxRequestBody, INVALID_REQUEST for
 * another media type, a duplicated parameter or a malformed body. */
oidp_err_t oidp_http_body_params(apr_hash_t **params, request_rec *r, const oidp_cfg_t *cfg,
                                 const char **desc);

/* The raw body, at most max bytes (BODY_TOO_LARGE beyond). */
oidp_err_t oidp_http_read_body(char **data, apr_size_t *len, request_rec *r, apr_off_t max,
                               const char **desc);

/* Is the request body application/x-www-form-urlencoded? */
int oidp_http_is_form(request_rec *r);

/* Sends a JSON text. no_store adds Cache-Control: no-store and Pragma:
 * no-cache (token responses, RFC 6749 5.1); otherwise cache_secs, if > 0,
 * sets Cache-Control: public, max-age. Returns OK. */
int oidp_http_send_json(request_rec *r, int status, const char *json, apr_size_t len, int no_store,
                        int cache_secs);

/* The Authorization header's Basic credentials, if any (APR_ENOENT when the
 * request has no Basic header, APR_EINVAL when it is malformed). */
apr_status_t oidp_http_basic(const char **id, const char **secret, request_rec *r);

#endif /* OIDP_HTTP_H */
