/*
 * The pages a person sees: login, consent, error, the form_post hand-over
 * and "signed out". Templates with {{placeholders}}, every value
 * HTML-escaped unless it is markup the module built; strict
 * Content-Security-Policy (a per-response nonce, no inline script except the
 * form_post auto-submit), no framing, no caching.
 */
#ifndef OIDP_PAGES_H
#define OIDP_PAGES_H

#include <httpd.h>
#include "oidp_config.h"
#include "oidp_tpl.h"

typedef enum {
    OIDP_PAGE_LOGIN,
    OIDP_PAGE_CONSENT,
    OIDP_PAGE_ERROR,
    OIDP_PAGE_FORM_POST,
    OIDP_PAGE_LOGGED_OUT,
    OIDP_PAGE_LOGOUT_CONFIRM,
    OIDP_PAGE__COUNT
} oidp_page_e;

/* Builds the built-in templates (post_config). */
void oidp_pages_init(apr_pool_t *p);

/* Sends a page with status. values may leave NONCE, ISSUER, HOST, BODY to
 * the module. form_origin: an extra form-action CSP source (the client's
 * redirect URI origin, which a form POST may be redirected to). */
int oidp_pages_send(request_rec *r, const oidp_cfg_t *c, oidp_page_e page, int status,
                    const char **values, const char *form_origin);

/* An authorization response (success or error) to a verified redirect URI:
 * a 302 with the parameters in the query or the fragment, or the form_post
 * page. No caching. */
struct oidp_params_t;
int oidp_pages_authz_response(request_rec *r, const oidp_cfg_t *c, const char *redirect_uri,
                              int mode, const struct oidp_params_t *ps);

/* 302 to url with no-store (a plain redirect, e.g. after logout). */
int oidp_pages_redirect(request_rec *r, const char *url);


#endif /* OIDP_PAGES_H */
