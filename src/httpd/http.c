/*
 * Request bodies in, JSON out: the plumbing every endpoint shares.
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <util_filter.h>

#include "oidc_idp.h"
#include "oidp_form.h"
#include "oidp_http.h"

/* "type/subtype" of a Content-Type header, parameters ignored. */
static int media_type_is(const char *ct, const char *want)
{
    apr_size_t n = strlen(want);

    while (ct && (*ct == ' ' || *ct == '\t')) {
        ct++;
    }
    return ct && strncasecmp(ct, want, n) == 0
           && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/* Reads the whole request body, at most max bytes. */
oidp_err_t oidp_http_read_body(char **data, apr_size_t *len, request_rec *r, apr_off_t max,
                               const char **desc)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    char *buf;
    apr_size_t used = 0, cap = 1024;
    int seen_eos = 0;

    if (cl) {
        char *end = NULL;
        apr_off_t n = 0;
        if (apr_strtoff(&n, cl, &end, 10) != APR_SUCCESS || *end || n < 0) {
            *desc = "bad Content-Length";
            return OIDP_ERR_INVALID_REQUEST;
        }
        if (n > max) {
            r->connection->keepalive = AP_CONN_CLOSE;
            *desc = "the request body is too large";
            return OIDP_ERR_BODY_TOO_LARGE;
        }
        cap = (apr_size_t)n;
    }
    buf = apr_palloc(r->pool, cap + 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!seen_eos) {
        apr_bucket *b;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ,
                                         HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            apr_brigade_cleanup(bb);
            r->connection->keepalive = AP_CONN_CLOSE;
            *desc = "the request body could not be read";
            return rv == AP_FILTER_ERROR || rv == APR_ENOSPC ? OIDP_ERR_BODY_TOO_LARGE
                                                             : OIDP_ERR_INVALID_REQUEST;
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = APR_BUCKET_NEXT(b)) {
            const char *chunk;
            apr_size_t clen;
            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                continue;
            }
            if (apr_bucket_read(b, &chunk, &clen, APR_BLOCK_READ) != APR_SUCCESS) {
                apr_brigade_cleanup(bb);
                *desc = "the request body could not be read";
                return OIDP_ERR_INVALID_REQUEST;
            }
            if ((apr_off_t)(used + clen) > max) {
                apr_brigade_cleanup(bb);
                r->connection->keepalive = AP_CONN_CLOSE;
                *desc = "the request body is too large";
                return OIDP_ERR_BODY_TOO_LARGE;
            }
            if (used + clen > cap) {
                char *bigger;
                while (used + clen > cap) {
                    cap = cap ? cap * 2 : 1024;
                }
                bigger = apr_palloc(r->pool, cap + 1);
                memcpy(bigger, buf, used);
                buf = bigger;
            }
            memcpy(buf + used, chunk, clen);
            used += clen;
        }
        apr_brigade_cleanup(bb);
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return OIDP_OK;
}

int oidp_http_is_form(request_rec *r)
{
    return media_type_is(apr_table_get(r->headers_in, "Content-Type"),
                         "application/x-www-form-urlencoded");
}

oidp_err_t oidp_http_body_params(apr_hash_t **params, request_rec *r, const oidp_cfg_t *cfg,
                                 const char **desc)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    char *data = NULL;
    apr_size_t len = 0;
    int json = 0;
    oidp_err_t e;

    *params = apr_hash_make(r->pool);
    if (media_type_is(ct, "application/json")) {
        json = 1;
    }
    else if (ct && !media_type_is(ct, "application/x-www-form-urlencoded")) {
        *desc = "the body must be application/x-www-form-urlencoded";
        return OIDP_ERR_INVALID_REQUEST;
    }
    e = oidp_http_read_body(&data, &len, r, oidp_cfg_max_body(cfg), desc);
    if (e != OIDP_OK) {
        return e;
    }
    if (len > 0 && !ct) {
        *desc = "the body must be application/x-www-form-urlencoded";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (len > 0 && json
        && oidp_form_json_params(*params, r->pool, data, len, desc) != APR_SUCCESS) {
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (len > 0 && !json
        && oidp_form_parse(*params, r->pool, data, len, NULL, desc) != APR_SUCCESS) {
        return OIDP_ERR_INVALID_REQUEST;
    }
    return OIDP_OK;
}

int oidp_http_send_json(request_rec *r, int status, const char *json, apr_size_t len, int no_store,
                        int cache_secs)
{
    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (no_store) {
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        apr_table_setn(r->headers_out, "Pragma", "no-cache");
    }
    else if (cache_secs > 0) {
        apr_table_setn(r->headers_out, "Cache-Control",
                       apr_psprintf(r->pool, "public, max-age=%d", cache_secs));
    }
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(json, (int)len, r);
    }
    return OK;
}

apr_status_t oidp_http_basic(const char **id, const char **secret, request_rec *r)
{
    return oidp_form_basic_auth(id, secret, r->pool, apr_table_get(r->headers_in, "Authorization"));
}
