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

typedef enum {
    OIDP_PAGE_LOGIN,
    OIDP_PAGE_CONSENT,
    OIDP_PAGE_ERROR,
    OIDP_PAGE_FORM_POST,
    OIDP_PAGE_LOGGED_OUT,
    OIDP_PAGE_LOGOUT_CONFIRM,
    OIDP_PAGE__COUNT
} oidp_page_e;

/* Placeholders; the ones marked raw take markup built by the module. */
typedef enum {
    OIDP_PH_TITLE,
    OIDP_PH_NONCE,
    OIDP_PH_CLIENT_NAME,
    OIDP_PH_FORM_ACTION,
    OIDP_PH_HIDDEN_FIELDS, /* raw */
    OIDP_PH_USERNAME,
    OIDP_PH_ERROR,
    OIDP_PH_ERROR_HTML,    /* raw */
    OIDP_PH_ISSUER,
    OIDP_PH_SCOPE_ITEMS,   /* raw */
    OIDP_PH_MESSAGE,
    OIDP_PH_CODE,
    OIDP_PH_BODY,          /* raw */
    OIDP_PH_HOST,          /* the issuer's host, for the footer */
    OIDP_PH_USERNAME_FOCUS, /* raw: "autofocus" or "" */
    OIDP_PH_PASSWORD_FOCUS, /* raw: "autofocus" or "" */
    OIDP_PH__COUNT
} oidp_ph_e;

typedef struct oidp_tpl_t oidp_tpl_t;

/* Compiles a template; unknown placeholders are an error (returned as a
 * sentence). Pure. */
const char *oidp_tpl_compile(oidp_tpl_t **t, apr_pool_t *p, const char *src);
/* Renders with values indexed by oidp_ph_e (NULL = empty); non-raw values
 * are HTML-escaped. Pure. */
char *oidp_tpl_render(apr_pool_t *p, const oidp_tpl_t *t, const char *const *values);
char *oidp_html_escape(apr_pool_t *p, const char *s);

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

/* <input type="hidden"> fields for name/value arrays. */
char *oidp_pages_hidden(apr_pool_t *p, const apr_array_header_t *names,
                        const apr_array_header_t *values);

/* The CSP source of a URI: scheme://host[:port] for http(s), "scheme:" for
 * others. Pure. */
const char *oidp_pages_origin(apr_pool_t *p, const char *uri);

#endif /* OIDP_PAGES_H */
