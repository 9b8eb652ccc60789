/*
 * The one place OAuth 2.0 / OpenID Connect errors are defined and written.
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>

#include "oidc_idp.h"
#include "oidp_error.h"
#include "oidp_http.h"
#include "oidp_pages.h"
#include "oidp_redirect.h"

/* Indexed by oidp_err_t. status: as a JSON error (RFC 6749 5.2 and the
 * HTTP-level cases); bearer: as an RFC 6750 error; redirect: an
 * authorization-endpoint error that is sent back to a verified redirect_uri
 * (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6). */
static const oidp_err_info_t errors[OIDP_ERR__COUNT] = {
    {OIDP_OK, "", 200, 200, 0},
    {OIDP_ERR_INVALID_REQUEST, "invalid_request", 400, 400, 1},
    {OIDP_ERR_INVALID_CLIENT, "invalid_client", 401, 401, 0},
    {OIDP_ERR_INVALID_GRANT, "invalid_grant", 400, 400, 0},
    {OIDP_ERR_UNAUTHORIZED_CLIENT, "unauthorized_client", 400, 400, 1},
    {OIDP_ERR_UNSUPPORTED_GRANT_TYPE, "unsupported_grant_type", 400, 400, 0},
    {OIDP_ERR_UNSUPPORTED_RESPONSE_TYPE, "unsupported_response_type", 400, 400, 1},
    {OIDP_ERR_INVALID_SCOPE, "invalid_scope", 400, 400, 1},
    {OIDP_ERR_ACCESS_DENIED, "access_denied", 400, 403, 1},
    {OIDP_ERR_LOGIN_REQUIRED, "login_required", 400, 400, 1},
    {OIDP_ERR_CONSENT_REQUIRED, "consent_required", 400, 400, 1},
    {OIDP_ERR_INTERACTION_REQUIRED, "interaction_required", 400, 400, 1},
    {OIDP_ERR_REQUEST_NOT_SUPPORTED, "request_not_supported", 400, 400, 1},
    {OIDP_ERR_REQUEST_URI_NOT_SUPPORTED, "request_uri_not_supported", 400, 400, 1},
    {OIDP_ERR_REGISTRATION_NOT_SUPPORTED, "registration_not_supported", 400, 400, 1},
    {OIDP_ERR_INVALID_TOKEN, "invalid_token", 401, 401, 0},
    {OIDP_ERR_INSUFFICIENT_SCOPE, "insufficient_scope", 403, 403, 0},
    {OIDP_ERR_UNSUPPORTED_TOKEN_TYPE, "unsupported_token_type", 400, 400, 0},
    {OIDP_ERR_METHOD_NOT_ALLOWED, "invalid_request", 405, 405, 0},
    {OIDP_ERR_BODY_TOO_LARGE, "invalid_request", 413, 413, 0},
    {OIDP_ERR_UNSUPPORTED_MEDIA_TYPE, "invalid_request", 415, 415, 0},
    {OIDP_ERR_NOT_FOUND, "invalid_request", 404, 404, 0},
    {OIDP_ERR_SERVER_ERROR, "server_error", 500, 500, 1},
    {OIDP_ERR_TEMPORARILY_UNAVAILABLE, "temporarily_unavailable", 503, 503, 1},
    /* RFC 6585 4; OAuth has no code of its own for it: the one that says
     * "try again later" (RFC 6749 4.1.2.1) */
    {OIDP_ERR_TOO_MANY_ATTEMPTS, "temporarily_unavailable", 429, 429, 0},
};

const oidp_err_info_t *oidp_error_info(oidp_err_t e)
{
    if ((int)e < 0 || e >= OIDP_ERR__COUNT) {
        e = OIDP_ERR_SERVER_ERROR;
    }
    return &errors[e];
}

/* RFC 6749 5.2: error_description is %x20-21 / %x23-5B / %x5D-7E. */
static char *desc_clean(apr_pool_t *p, const char *desc)
{
    char *out = apr_pstrdup(p, desc);
    char *o = out;
    const char *s;

    for (s = desc; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e)) {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

char *oidp_error_body(apr_pool_t *p, oidp_err_t e, const char *desc, apr_size_t *len)
{
    const oidp_err_info_t *ei = oidp_error_info(e);
    const char *clean = desc ? desc_clean(p, desc) : NULL;
    char *body;

    /* neither value can hold '"' or '\\', so no JSON escaping is needed */
    if (clean && *clean) {
        body = apr_psprintf(p, "{\"error\":\"%s\",\"error_description\":\"%s\"}", ei->code, clean);
    }
    else {
        body = apr_psprintf(p, "{\"error\":\"%s\"}", ei->code);
    }
    if (len) {
        *len = strlen(body);
    }
    return body;
}

static const char *allow_header(request_rec *r)
{
    return apr_pstrcat(r->pool, (r->allowed & (AP_METHOD_BIT << M_GET)) ? "GET, HEAD, " : "",
                       (r->allowed & (AP_METHOD_BIT << M_POST)) ? "POST, " : "", "OPTIONS", NULL);
}

int oidp_error_json(request_rec *r, oidp_err_t e, const char *desc)
{
    const oidp_err_info_t *ei = oidp_error_info(e);
    apr_size_t len;
    char *body = oidp_error_body(r->pool, e, desc, &len);

    if (ei->status == HTTP_UNAUTHORIZED) {
        apr_table_setn(r->headers_out, "WWW-Authenticate", "Basic realm=\"OAuth2\"");
    }
    if (ei->status == HTTP_METHOD_NOT_ALLOWED) {
        apr_table_setn(r->headers_out, "Allow", allow_header(r));
    }
    if (ei->status == HTTP_TOO_MANY_REQUESTS) {
        const char *after = apr_table_get(r->notes, OIDP_NOTE_RETRY_AFTER);
        apr_table_setn(r->headers_out, "Retry-After", after ? after : "1");
    }
    if (ei->status >= 500) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OIDP_LOGNO(00001) "%s: %s", ei->code,
                      desc ? desc : "");
    }
    return oidp_http_send_json(r, ei->status, body, len, 1, 0);
}

int oidp_error_bearer(request_rec *r, oidp_err_t e, const char *desc, int token_seen)
{
    const oidp_err_info_t *ei = oidp_error_info(e);
    apr_size_t len;
    char *body = oidp_error_body(r->pool, e, desc, &len);
    const char *clean = desc ? desc_clean(r->pool, desc) : "";
    const char *hdr;

    /* RFC 6750 3.1: no error code when the request carried no token */
    if (!token_seen && e == OIDP_ERR_INVALID_TOKEN) {
        hdr = "Bearer";
    }
    else if (*clean) {
        hdr = apr_psprintf(r->pool, "Bearer error=\"%s\", error_description=\"%s\"", ei->code,
                           clean);
    }
    else {
        hdr = apr_psprintf(r->pool, "Bearer error=\"%s\"", ei->code);
    }
    if (ei->bearer_status == HTTP_UNAUTHORIZED || ei->bearer_status == HTTP_FORBIDDEN
        || ei->bearer_status == HTTP_BAD_REQUEST) {
        apr_table_setn(r->headers_out, "WWW-Authenticate", hdr);
    }
    return oidp_http_send_json(r, ei->bearer_status, body, len, 1, 0);
}

int oidp_error_redirect(request_rec *r, const oidp_cfg_t *c, const char *redirect_uri, int mode,
                        const char *state, oidp_err_t e, const char *desc)
{
    const oidp_err_info_t *ei = oidp_error_info(e);
    oidp_params_t *ps = oidp_redirect_params_make(r->pool);

    oidp_redirect_params_add(ps, "error", ei->code);
    if (desc && *desc_clean(r->pool, desc)) {
        oidp_redirect_params_add(ps, "error_description", desc_clean(r->pool, desc));
    }
    oidp_redirect_params_add(ps, "state", state);
    oidp_redirect_params_add(ps, "iss", c->issuer);
    return oidp_pages_authz_response(r, c, redirect_uri, mode, ps);
}

int oidp_error_page(request_rec *r, const oidp_cfg_t *c, oidp_err_t e, const char *title,
                    const char *desc)
{
    const oidp_err_info_t *ei = oidp_error_info(e);
    const char *values[OIDP_PH__COUNT] = {NULL};

    values[OIDP_PH_TITLE] = title               ? title
                            : ei->status >= 500 ? "Sign-in is unavailable"
                                                : "Sign-in failed";
    values[OIDP_PH_MESSAGE] = desc ? desc : "The request could not be completed.";
    values[OIDP_PH_CODE] = ei->code;
    if (ei->status >= 500) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OIDP_LOGNO(00013) "%s: %s", ei->code,
                      desc ? desc : "");
    }
    return oidp_pages_send(r, c, OIDP_PAGE_ERROR, ei->status, values, NULL);
}
