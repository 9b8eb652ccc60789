/*
 * The login and consent pages of the authorization endpoint. Both post back
 * to the endpoint with every request parameter in hidden fields and the
 * session's CSRF token.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "oidc_idp.h"
#include "oidp_authorize.h"
#include "oidp_pages.h"
#include "oidp_tpl.h"
#include "oidp_redirect.h"
#include "oidp_util.h"

/* form fields of the login and consent pages, never copied into hidden fields */
static int control_field(const char *name)
{
    return strcmp(name, "oidp_action") == 0 || strcmp(name, "oidp_csrf") == 0
           || strcmp(name, "oidp_consent") == 0 || strcmp(name, "username") == 0
           || strcmp(name, "password") == 0;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

const char *oidp_authorize_pages_binding(oidp_authz_t *a)
{
    apr_array_header_t *parts = apr_array_make(a->r->pool, 16, sizeof(const char *));
    apr_array_header_t *names = apr_array_make(a->r->pool, 12, sizeof(const char *));
    apr_hash_index_t *hi;
    const char *text;
    int i;

    if (!a->b || !a->b->login) {
        return NULL;
    }
    for (hi = apr_hash_first(a->r->pool, a->params); hi; hi = apr_hash_next(hi)) {
        const void *k;
        apr_hash_this(hi, &k, NULL, NULL);
        if (!control_field(k)) {
            APR_ARRAY_PUSH(names, const char *) = k;
        }
    }
    qsort(names->elts, (size_t)names->nelts, sizeof(const char *), by_name);
    /* the login session, then each field by name, every string prefixed
     * with its length: no two requests give the same text */
    APR_ARRAY_PUSH(parts, const char *) = a->b->login->sid;
    for (i = 0; i < names->nelts; i++) {
        const char *k = APR_ARRAY_IDX(names, i, const char *);
        const char *v = apr_hash_get(a->params, k, APR_HASH_KEY_STRING);
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(a->r->pool, "%" APR_SIZE_T_FMT ":%s",
                                                           strlen(k), k);
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(a->r->pool, "%" APR_SIZE_T_FMT ":%s",
                                                           strlen(v), v);
    }
    text = apr_array_pstrcat(a->r->pool, parts, ' ');
    return oidp_util_sha256_hex(a->r->pool, text, strlen(text));
}


static char *hidden_fields(oidp_authz_t *a, const char *consent_token)
{
    apr_array_header_t *names = apr_array_make(a->r->pool, 12, sizeof(const char *));
    apr_array_header_t *values = apr_array_make(a->r->pool, 12, sizeof(const char *));
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(a->r->pool, a->params); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        apr_hash_this(hi, &k, NULL, &v);
        if (!control_field(k)) {
            APR_ARRAY_PUSH(names, const char *) = k;
            APR_ARRAY_PUSH(values, const char *) = v;
        }
    }
    APR_ARRAY_PUSH(names, const char *) = "oidp_csrf";
    APR_ARRAY_PUSH(values, const char *) = oidp_session_csrf(a->r, a->b);
    if (consent_token) {
        APR_ARRAY_PUSH(names, const char *) = "oidp_consent";
        APR_ARRAY_PUSH(values, const char *) = consent_token;
    }
    return oidp_tpl_hidden(a->r->pool, names, values);
}

static const char *client_name(const oidp_authz_t *a)
{
    return a->client->display_name ? a->client->display_name : a->client->client_id;
}

static const char *form_action(const oidp_authz_t *a)
{
    /* the endpoint the request came to, relative: same origin by construction */
    return a->r->uri;
}

int oidp_authorize_pages_login(oidp_authz_t *a, const char *error, const char *username)
{
    const char *v[OIDP_PH__COUNT] = {NULL};

    v[OIDP_PH_TITLE] = apr_pstrcat(a->r->pool, "Sign in to ", client_name(a), NULL);
    v[OIDP_PH_CLIENT_NAME] = client_name(a);
    v[OIDP_PH_FORM_ACTION] = form_action(a);
    v[OIDP_PH_HIDDEN_FIELDS] = hidden_fields(a, NULL);
    v[OIDP_PH_USERNAME] = username ? username : a->login_hint;
    v[OIDP_PH_ERROR] = error;
    /* a known username: the cursor goes to the password */
    v[OIDP_PH_USERNAME_FOCUS] = v[OIDP_PH_USERNAME] && *v[OIDP_PH_USERNAME] ? "" : "autofocus";
    v[OIDP_PH_PASSWORD_FOCUS] = *v[OIDP_PH_USERNAME_FOCUS] ? "" : "autofocus";
    if (error) {
        v[OIDP_PH_ERROR_HTML] = apr_pstrcat(a->r->pool, "<p class=\"error\" role=\"alert\">",
                                            oidp_tpl_escape(a->r->pool, error), "</p>\n", NULL);
    }
    oidp_session_save(a->r, a->c, a->b);
    return oidp_pages_send(a->r, a->c, OIDP_PAGE_LOGIN, HTTP_OK, v,
                           oidp_redirect_origin(a->r->pool, a->redirect_uri));
}

static const char *scope_text(const char *s)
{
    static const struct {
        const char *scope;
        const char *text;
    } texts[] = {
        {"openid", "Sign you in with your account"},
        {"profile", "See your name, username, picture and language"},
        {"email", "See your email address"},
        {"address", "See your postal address"},
        {"phone", "See your phone number"},
        {"offline_access", "Keep access to your account when you are not using it"},
    };
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (strcmp(texts[i].scope, s) == 0) {
            return texts[i].text;
        }
    }
    return NULL;
}

int oidp_authorize_pages_consent(oidp_authz_t *a, apr_array_header_t *wanted)
{
    apr_array_header_t *items = apr_array_make(a->r->pool, wanted->nelts, sizeof(const char *));
    const char *v[OIDP_PH__COUNT] = {NULL};
    const char *binding = oidp_authorize_pages_binding(a);
    const char *token = binding ? oidp_session_consent_issue(a->r, a->b, binding) : NULL;
    int i;

    if (!token) {
        return oidp_error_page(a->r, a->c, OIDP_ERR_SERVER_ERROR, NULL,
                               "The sign-in service could not show the consent page.");
    }
    for (i = 0; i < wanted->nelts; i++) {
        const char *s = APR_ARRAY_IDX(wanted, i, const char *);
        const char *t = scope_text(s);
        APR_ARRAY_PUSH(items,
                       const char *) = t ? apr_pstrcat(a->r->pool, "<li>", t, "</li>\n", NULL)
                                         : apr_pstrcat(a->r->pool, "<li>Use the permission <code>",
                                                       oidp_tpl_escape(a->r->pool, s),
                                                       "</code></li>\n", NULL);
    }
    v[OIDP_PH_TITLE] = apr_pstrcat(a->r->pool, "Allow ", client_name(a), "?", NULL);
    v[OIDP_PH_CLIENT_NAME] = client_name(a);
    v[OIDP_PH_FORM_ACTION] = form_action(a);
    v[OIDP_PH_HIDDEN_FIELDS] = hidden_fields(a, token);
    v[OIDP_PH_USERNAME] = a->b->login->user->username;
    v[OIDP_PH_SCOPE_ITEMS] = apr_array_pstrcat(a->r->pool, items, '\0');
    oidp_session_save(a->r, a->c, a->b);
    return oidp_pages_send(a->r, a->c, OIDP_PAGE_CONSENT, HTTP_OK, v,
                           oidp_redirect_origin(a->r->pool, a->redirect_uri));
}
