/*
 * The pages a person sees, rendered from the templates (src/core/tpl.c) and
 * sent with their security headers.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_uri.h>
#include <httpd.h>
#include <http_protocol.h>

#include "oidc_idp.h"
#include "oidp_pages.h"
#include "oidp_tpl.h"
#include "oidp_redirect.h"
#include "oidp_util.h"

/* ------------------------------------------------------------------ */
/* built-in templates */

static const char layout_src[] =
    "<!doctype html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"robots\" content=\"noindex\">\n"
    "<title>{{title}}</title>\n"
    "<link rel=\"icon\" href=\"data:,\">\n"
    "<style nonce=\"{{nonce}}\">\n"
    ":root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--fg:#1f2328;--muted:#59636e;"
    "--line:#d0d7de;--accent:#0b57d0;--accent-fg:#fff;--err-bg:#fdecea;--err:#a4161a}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;"
    "--muted:#9198a1;--line:#30363d;--accent:#4493f8;--accent-fg:#0d1117;--err-bg:#3b1219;"
    "--err:#ffa198}}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;"
    "background:var(--bg);color:var(--fg);padding:1rem;"
    "font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}\n"
    "main{width:100%;max-width:24rem;background:var(--card);border:1px solid var(--line);"
    "border-radius:12px;padding:2rem 1.75rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}\n"
    "h1{font-size:1.375rem;line-height:1.3;margin:0 0 .25rem}\n"
    "p{margin:0 0 1rem}\n"
    ".sub{color:var(--muted);margin-bottom:1.5rem;overflow-wrap:anywhere}\n"
    "label{display:block;font-weight:600;margin:1rem 0 .35rem}\n"
    "input[type=text],input[type=password]{width:100%;padding:.65rem .75rem;font:inherit;"
    "color:inherit;background:transparent;border:1px solid var(--line);border-radius:8px}\n"
    "input:focus,button:focus{outline:2px solid var(--accent);outline-offset:2px}\n"
    "button{display:block;width:100%;margin-top:1.5rem;padding:.7rem;border:0;border-radius:8px;"
    "background:var(--accent);color:var(--accent-fg);font:inherit;font-weight:600;cursor:pointer}\n"
    "button.secondary{background:transparent;color:var(--fg);border:1px solid var(--line);"
    "margin-top:.75rem}\n"
    ".error{background:var(--err-bg);color:var(--err);border-radius:8px;padding:.6rem .75rem}\n"
    "ul{padding-left:1.25rem;margin:0 0 1rem}\n"
    "li{margin:.25rem 0}\n"
    "code{font-size:.875em}\n"
    "footer{margin-top:1.5rem;font-size:.8125rem;color:var(--muted);text-align:center;"
    "overflow-wrap:anywhere}\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<main>\n"
    "{{body}}"
    "<footer>{{host}}</footer>\n"
    "</main>\n"
    "</body>\n"
    "</html>\n";

static const char login_body[] =
    "<h1>Sign in</h1>\n"
    "<p class=\"sub\">to continue to <strong>{{client_name}}</strong></p>\n"
    "{{error_html}}"
    "<form method=\"post\" action=\"{{form_action}}\">\n"
    "{{hidden_fields}}"
    "<label for=\"username\">Username</label>\n"
    "<input id=\"username\" name=\"username\" type=\"text\" value=\"{{username}}\" "
    "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required "
    "{{username_autofocus}}>\n"
    "<label for=\"password\">Password</label>\n"
    "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" "
    "required {{password_autofocus}}>\n"
    "<button type=\"submit\" name=\"oidp_action\" value=\"login\">Sign in</button>\n"
    "<button type=\"submit\" name=\"oidp_action\" value=\"cancel\" class=\"secondary\" "
    "formnovalidate>Cancel</button>\n"
    "</form>\n";

static const char consent_body[] =
    "<h1>Allow access?</h1>\n"
    "<p class=\"sub\"><strong>{{client_name}}</strong> would like to:</p>\n"
    "<ul>\n{{scope_items}}</ul>\n"
    "<p class=\"sub\">You are signed in as <strong>{{username}}</strong>.</p>\n"
    "<form method=\"post\" action=\"{{form_action}}\">\n"
    "{{hidden_fields}}"
    "<button type=\"submit\" name=\"oidp_action\" value=\"allow\">Allow</button>\n"
    "<button type=\"submit\" name=\"oidp_action\" value=\"deny\" class=\"secondary\">Deny"
    "</button>\n"
    "</form>\n";

static const char error_body[] =
    "<h1>{{title}}</h1>\n"
    "<p class=\"error\" role=\"alert\">{{message}}</p>\n"
    "<p class=\"sub\">Go back to the application and try again. If this keeps happening, tell "
    "its administrator the error code <code>{{code}}</code>.</p>\n";

static const char form_post_body[] =
    "<h1>Signing you in</h1>\n"
    "<form method=\"post\" action=\"{{form_action}}\">\n"
    "{{hidden_fields}}"
    "<p class=\"sub\">If nothing happens, press Continue.</p>\n"
    "<button type=\"submit\">Continue</button>\n"
    "</form>\n"
    "<script nonce=\"{{nonce}}\">document.forms[0].submit();</script>\n";

static const char logged_out_body[] = "<h1>Signed out</h1>\n"
                                      "<p class=\"sub\">{{message}}</p>\n";

static const char logout_confirm_body[] =
    "<h1>Sign out?</h1>\n"
    "<p class=\"sub\">You are signed in as <strong>{{username}}</strong>. Signing out ends your "
    "session with every application that uses this sign-in service.</p>\n"
    "<form method=\"post\" action=\"{{form_action}}\">\n"
    "{{hidden_fields}}"
    "<button type=\"submit\" name=\"oidp_action\" value=\"logout\">Sign out</button>\n"
    "</form>\n";

/* Built once at post_config, read-only afterwards. */
static oidp_tpl_t *layout;
static oidp_tpl_t *bodies[OIDP_PAGE__COUNT];

void oidp_pages_init(apr_pool_t *p)
{
    const char *const srcs[OIDP_PAGE__COUNT] = {login_body,      consent_body,
                                                error_body,      form_post_body,
                                                logged_out_body, logout_confirm_body};
    int i;

    oidp_tpl_compile(&layout, p, layout_src);
    for (i = 0; i < OIDP_PAGE__COUNT; i++) {
        oidp_tpl_compile(&bodies[i], p, srcs[i]);
    }
}

/* An HTML answer: never stored, no Referer leaves it. */
static int send_html(request_rec *r, int status, const char *html)
{
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    r->status = status;
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_set_content_length(r, (apr_off_t)strlen(html));
    if (!r->header_only) {
        ap_rputs(html, r);
    }
    return OK;
}

int oidp_pages_send(request_rec *r, const oidp_cfg_t *c, oidp_page_e page, int status,
                    const char **values, const char *form_origin)
{
    const char *nonce = oidp_util_random_token(r->pool, 16);
    const char *html;
    const char *csp;

    values[OIDP_PH_NONCE] = nonce;
    if (!values[OIDP_PH_ISSUER]) {
        values[OIDP_PH_ISSUER] = c->issuer;
    }
    if (!values[OIDP_PH_HOST]) {
        const char *h = strstr(c->rt->origin, "://");
        values[OIDP_PH_HOST] = h ? h + 3 : c->rt->origin;
    }
    if (page == OIDP_PAGE_LOGIN && c->login_template) {
        html = oidp_tpl_render(r->pool, c->login_template, values);
    }
    else {
        values[OIDP_PH_BODY] = oidp_tpl_render(r->pool, bodies[page], values);
        html = oidp_tpl_render(r->pool, layout, values);
    }
    /* form-action also governs where a submitted form may be redirected
     * (Chromium): the login and consent forms end in a redirect to the
     * client, the form_post page submits to it */
    if (page == OIDP_PAGE_FORM_POST) {
        csp = apr_psprintf(r->pool,
                           "default-src 'none'; style-src 'nonce-%s'; script-src 'nonce-%s'; "
                           "img-src data:; form-action %s; frame-ancestors 'none'; "
                           "base-uri 'none'",
                           nonce, nonce, form_origin ? form_origin : "'none'");
    }
    else {
        csp = apr_psprintf(r->pool,
                           "default-src 'none'; style-src 'nonce-%s'; img-src 'self' data: https:; "
                           "form-action 'self'%s%s; frame-ancestors 'none'; base-uri 'none'",
                           nonce, form_origin ? " " : "", form_origin ? form_origin : "");
    }
    apr_table_setn(r->headers_out, "Content-Security-Policy", csp);
    apr_table_setn(r->headers_out, "X-Frame-Options", "DENY");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    return send_html(r, status, html);
}

int oidp_pages_redirect(request_rec *r, const char *url)
{
    char *body = apr_psprintf(r->pool, "<!doctype html>\n<a href=\"%s\">Continue</a>\n",
                              oidp_tpl_escape(r->pool, url));

    apr_table_setn(r->headers_out, "Location", url);
    return send_html(r, HTTP_MOVED_TEMPORARILY, body);
}

int oidp_pages_authz_response(request_rec *r, const oidp_cfg_t *c, const char *redirect_uri,
                              int mode, const oidp_params_t *ps)
{
    const char *values[OIDP_PH__COUNT] = {NULL};

    if (mode != OIDP_RM_FORM_POST) {
        return oidp_pages_redirect(r, oidp_redirect_build(r->pool, redirect_uri,
                                                          mode == OIDP_RM_FRAGMENT, ps));
    }
    values[OIDP_PH_TITLE] = "Signing you in";
    values[OIDP_PH_FORM_ACTION] = redirect_uri;
    values[OIDP_PH_HIDDEN_FIELDS] = oidp_tpl_hidden(r->pool, ps->names, ps->values);
    return oidp_pages_send(r, c, OIDP_PAGE_FORM_POST, HTTP_OK, values,
                           oidp_redirect_origin(r->pool, redirect_uri));
}
