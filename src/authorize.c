/*
 * The authorization endpoint (RFC 6749 3.1, OpenID Connect Core 3.1.2).
 *
 * One code path for GET and POST: the request is validated (client and
 * redirect_uri first, shown as a page when wrong; everything else redirected
 * to the client), the browser's login session is looked up, the login page
 * or the consent page is shown when needed, and the code is issued. The
 * login and consent forms post back here with every request parameter in
 * hidden fields, so a request is revalidated in full at each step and the
 * server keeps no pending state.
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "oidc_idp.h"
#include "oidp_authn.h"
#include "oidp_claims.h"
#include "oidp_endpoints.h"
#include "oidp_form.h"
#include "oidp_http.h"
#include "oidp_jose.h"
#include "oidp_pages.h"
#include "oidp_pkce.h"
#include "oidp_redirect.h"
#include "oidp_session.h"
#include "oidp_store_dbd.h"
#include "oidp_util.h"

typedef struct authz_t {
    request_rec *r;
    const oidp_cfg_t *c;
    oidp_db_t *db;
    apr_hash_t *params;
    apr_hash_t *bad;         /* parameters that were repeated or malformed */
    oidp_client_t *client;
    const char *redirect_uri;
    int mode;                /* oidp_rm_e */
    const char *state;
    const char *nonce;
    apr_array_header_t *scopes;
    const char *scope;
    const char *claims;      /* normalised claims request, "" if none */
    apr_array_header_t *claims_scopes;
    const char *challenge;
    const char *challenge_method;
    int prompt_none, prompt_login, prompt_consent;
    apr_int64_t max_age;     /* -1: not sent */
    const char *hint_sub;    /* the sub of a valid id_token_hint */
    const char *login_hint;
    oidp_browser_t *b;
} authz_t;

/* form fields of the login and consent pages, never copied into hidden fields */
static int control_field(const char *name)
{
    return strcmp(name, "oidp_action") == 0 || strcmp(name, "oidp_csrf") == 0
           || strcmp(name, "username") == 0 || strcmp(name, "password") == 0;
}

static const char *param(const authz_t *a, const char *name)
{
    return oidp_param(a->params, name);
}

static int fail(authz_t *a, oidp_err_t e, const char *desc)
{
    oidp_session_save(a->r, a->c, a->b ? a->b : &(oidp_browser_t){0});
    return oidp_error_redirect(a->r, a->c, a->redirect_uri, a->mode, a->state, e, desc);
}

/* ------------------------------------------------------------------ */
/* request */

static oidp_err_t read_params(authz_t *a, const char **desc)
{
    request_rec *r = a->r;
    const char *err = NULL;
    char *data = NULL;
    apr_size_t len = 0;
    oidp_err_t e;

    a->params = apr_hash_make(r->pool);
    a->bad = apr_hash_make(r->pool);
    if (r->method_number == M_GET) {
        data = r->args;
        len = data ? strlen(data) : 0;
    }
    else {
        if (apr_table_get(r->headers_in, "Content-Type") && !oidp_http_is_form(r)) {
            *desc = "the body must be application/x-www-form-urlencoded";
            return OIDP_ERR_INVALID_REQUEST;
        }
        e = oidp_http_read_body(&data, &len, r, oidp_cfg_max_body(a->c), desc);
        if (e != OIDP_OK) {
            return e;
        }
    }
    if (len > 0 && oidp_form_parse(a->params, r->pool, data, len, a->bad, &err) != APR_SUCCESS) {
        /* client_id and redirect_uri are checked first; the rest is
         * reported to the client once those are known to be right */
        *desc = err;
        return OIDP_ERR_INVALID_REQUEST;
    }
    return OIDP_OK;
}

/* client_id and redirect_uri: a page, never a redirect, when wrong. */
static int check_client(authz_t *a, const char **desc, oidp_err_t *e)
{
    const char *client_id = param(a, "client_id");
    const char *err = NULL;
    apr_status_t rv;

    *e = OIDP_ERR_INVALID_REQUEST;
    if (apr_hash_get(a->bad, "client_id", APR_HASH_KEY_STRING)
        || apr_hash_get(a->bad, "redirect_uri", APR_HASH_KEY_STRING)) {
        *desc = "client_id or redirect_uri is repeated or malformed.";
        return 0;
    }
    if (!client_id) {
        *desc = "The request does not name the application (client_id is missing).";
        return 0;
    }
    rv = oidp_store_client_get(&a->client, a->r->pool, a->db, client_id, &err);
    if (rv == APR_NOTFOUND) {
        *desc = "The application is not registered with this sign-in service (unknown client_id).";
        return 0;
    }
    if (rv != APR_SUCCESS) {
        oidp_store_log(a->r, "client lookup", err);
        *e = OIDP_ERR_TEMPORARILY_UNAVAILABLE;
        *desc = "The sign-in service is temporarily unavailable.";
        return 0;
    }
    a->redirect_uri = param(a, "redirect_uri");
    if (!a->redirect_uri) {
        *desc = "The application did not say where to return after sign-in (redirect_uri is "
                "missing).";
        return 0;
    }
    if (!oidp_redirect_uri_allowed(a->r->pool, a->client, a->redirect_uri)) {
        *desc = "The application asked to return to an address that is not registered for it "
                "(redirect_uri).";
        return 0;
    }
    return 1;
}

static oidp_err_t check_prompt(authz_t *a, const char *prompt, const char **desc)
{
    char *copy = apr_pstrdup(a->r->pool, prompt), *tok, *last = NULL;
    int n = 0;

    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last), n++) {
        if (strcmp(tok, "none") == 0) {
            a->prompt_none = 1;
        }
        else if (strcmp(tok, "login") == 0) {
            a->prompt_login = 1;
        }
        else if (strcmp(tok, "consent") == 0) {
            a->prompt_consent = 1;
        }
        else if (strcmp(tok, "select_account") != 0) {
            *desc = "unknown prompt value";
            return OIDP_ERR_INVALID_REQUEST;
        }
    }
    if (a->prompt_none && n > 1) {
        *desc = "prompt=none cannot be combined with other values";
        return OIDP_ERR_INVALID_REQUEST;
    }
    return OIDP_OK;
}

/* An id_token_hint must be an ID token we issued (expired ones are fine). */
static oidp_err_t check_hint(authz_t *a, const char *hint, const char **desc)
{
    const char *header, *payload, *err = NULL, *iss = NULL, *sub = NULL;
    json_t *j;

    if (oidp_jose_verify(&header, &payload, a->r->pool, a->c->rt->keys, hint, &err)
        != APR_SUCCESS) {
        *desc = "id_token_hint is not an ID token issued here";
        return OIDP_ERR_INVALID_REQUEST;
    }
    j = oidp_json_bind(a->r->pool, json_loads(payload, 0, NULL));
    if (!j || json_unpack(j, "{s:s, s:s}", "iss", &iss, "sub", &sub) != 0
        || strcmp(iss, a->c->issuer) != 0) {
        *desc = "id_token_hint is not an ID token issued here";
        return OIDP_ERR_INVALID_REQUEST;
    }
    a->hint_sub = apr_pstrdup(a->r->pool, sub);
    return OIDP_OK;
}

/* Everything after client_id and redirect_uri; errors go back to the client. */
static oidp_err_t check_request(authz_t *a, oidp_err_t parse_err, const char *parse_desc,
                                const char **desc)
{
    const char *rt = param(a, "response_type");
    const char *scope = param(a, "scope");
    const char *max_age = param(a, "max_age");
    const char *claims = param(a, "claims");
    const char *prompt = param(a, "prompt");
    const char *hint = param(a, "id_token_hint");
    apr_array_header_t *allowed;
    oidp_err_t e;
    int i;

    if (parse_err != OIDP_OK) {
        *desc = parse_desc;
        return parse_err;
    }
    if (param(a, "request")) {
        *desc = "request objects are not supported";
        return OIDP_ERR_REQUEST_NOT_SUPPORTED;
    }
    if (param(a, "request_uri")) {
        *desc = "request_uri is not supported";
        return OIDP_ERR_REQUEST_URI_NOT_SUPPORTED;
    }
    if (!rt) {
        *desc = "response_type is missing";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (strcmp(rt, "code") != 0) {
        *desc = "only response_type=code is supported";
        return OIDP_ERR_UNSUPPORTED_RESPONSE_TYPE;
    }
    if (!oidp_word_in(a->client->grant_types, "authorization_code")) {
        *desc = "the client may not use the authorization code flow";
        return OIDP_ERR_UNAUTHORIZED_CLIENT;
    }
    if (!scope) {
        *desc = "scope is missing";
        return OIDP_ERR_INVALID_SCOPE;
    }
    a->scopes = oidp_scope_parse(a->r->pool, scope);
    if (!a->scopes || a->scopes->nelts == 0) {
        *desc = "malformed scope";
        return OIDP_ERR_INVALID_SCOPE;
    }
    allowed = oidp_scope_parse(a->r->pool, a->client->scopes);
    for (i = 0; i < a->scopes->nelts; i++) {
        if (!oidp_scope_has(allowed, APR_ARRAY_IDX(a->scopes, i, const char *))) {
            *desc = "a requested scope is not allowed for this client";
            return OIDP_ERR_INVALID_SCOPE;
        }
    }
    a->scope = oidp_scope_join(a->r->pool, a->scopes);

    /* PKCE (RFC 7636 4.3); required for public clients */
    a->challenge = param(a, "code_challenge");
    a->challenge_method = param(a, "code_challenge_method");
    if (a->challenge_method && !a->challenge) {
        *desc = "code_challenge_method without code_challenge";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (a->challenge && !a->challenge_method) {
        a->challenge_method = "plain";
    }
    if (a->challenge) {
        if (strcmp(a->challenge_method, "S256") != 0
            && !(strcmp(a->challenge_method, "plain") == 0 && oidp_cfg_allow_plain_pkce(a->c))) {
            *desc = "code_challenge_method must be S256";
            return OIDP_ERR_INVALID_REQUEST;
        }
        if (!oidp_pkce_challenge_ok(a->challenge, a->challenge_method)) {
            *desc = "malformed code_challenge";
            return OIDP_ERR_INVALID_REQUEST;
        }
    }
    else if (strcmp(a->client->auth_method, OIDP_AUTH_NONE) == 0) {
        *desc = "PKCE (code_challenge with S256) is required for public clients";
        return OIDP_ERR_INVALID_REQUEST;
    }

    if (prompt && (e = check_prompt(a, prompt, desc)) != OIDP_OK) {
        return e;
    }
    a->max_age = -1;
    if (max_age) {
        char *end = NULL;
        a->max_age = apr_strtoi64(max_age, &end, 10);
        if (!*max_age || *end || a->max_age < 0) {
            *desc = "max_age must be a non-negative integer";
            return OIDP_ERR_INVALID_REQUEST;
        }
    }
    a->claims = "";
    a->claims_scopes = apr_array_make(a->r->pool, 1, sizeof(const char *));
    if (claims) {
        a->claims = oidp_claims_request_parse(a->r->pool, claims, allowed, &a->claims_scopes, desc);
        if (!a->claims) {
            return OIDP_ERR_INVALID_REQUEST;
        }
    }
    if (hint && (e = check_hint(a, hint, desc)) != OIDP_OK) {
        return e;
    }
    a->nonce = param(a, "nonce");
    if (a->nonce && strlen(a->nonce) > 512) {
        *desc = "nonce is too long";
        return OIDP_ERR_INVALID_REQUEST;
    }
    /* Casdoor's apps send the user name as "username" */
    a->login_hint = param(a, "login_hint");
    if (!a->login_hint && a->r->method_number == M_GET) {
        a->login_hint = param(a, "username");
    }
    return OIDP_OK;
}

/* ------------------------------------------------------------------ */
/* pages */

static char *hidden_fields(authz_t *a)
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
    return oidp_pages_hidden(a->r->pool, names, values);
}

static const char *client_name(const authz_t *a)
{
    return a->client->display_name ? a->client->display_name : a->client->client_id;
}

static const char *form_action(const authz_t *a)
{
    /* the endpoint the request came to, relative: same origin by construction */
    return a->r->uri;
}

static int show_login(authz_t *a, const char *error, const char *username)
{
    const char *v[OIDP_PH__COUNT] = {NULL};

    v[OIDP_PH_TITLE] = apr_pstrcat(a->r->pool, "Sign in to ", client_name(a), NULL);
    v[OIDP_PH_CLIENT_NAME] = client_name(a);
    v[OIDP_PH_FORM_ACTION] = form_action(a);
    v[OIDP_PH_HIDDEN_FIELDS] = hidden_fields(a);
    v[OIDP_PH_USERNAME] = username ? username : a->login_hint;
    v[OIDP_PH_ERROR] = error;
    /* a known username: the cursor goes to the password */
    v[OIDP_PH_USERNAME_FOCUS] = v[OIDP_PH_USERNAME] && *v[OIDP_PH_USERNAME] ? "" : "autofocus";
    v[OIDP_PH_PASSWORD_FOCUS] = *v[OIDP_PH_USERNAME_FOCUS] ? "" : "autofocus";
    if (error) {
        v[OIDP_PH_ERROR_HTML] = apr_pstrcat(a->r->pool, "<p class=\"error\" role=\"alert\">",
                                            oidp_html_escape(a->r->pool, error), "</p>\n", NULL);
    }
    oidp_session_save(a->r, a->c, a->b);
    return oidp_pages_send(a->r, a->c, OIDP_PAGE_LOGIN, HTTP_OK, v,
                           oidp_pages_origin(a->r->pool, a->redirect_uri));
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

static int show_consent(authz_t *a, apr_array_header_t *wanted)
{
    apr_array_header_t *items = apr_array_make(a->r->pool, wanted->nelts, sizeof(const char *));
    const char *v[OIDP_PH__COUNT] = {NULL};
    int i;

    for (i = 0; i < wanted->nelts; i++) {
        const char *s = APR_ARRAY_IDX(wanted, i, const char *);
        const char *t = scope_text(s);
        APR_ARRAY_PUSH(items, const char *) =
            t ? apr_pstrcat(a->r->pool, "<li>", t, "</li>\n", NULL)
              : apr_pstrcat(a->r->pool, "<li>Use the permission <code>",
                            oidp_html_escape(a->r->pool, s), "</code></li>\n", NULL);
    }
    v[OIDP_PH_TITLE] = apr_pstrcat(a->r->pool, "Allow ", client_name(a), "?", NULL);
    v[OIDP_PH_CLIENT_NAME] = client_name(a);
    v[OIDP_PH_FORM_ACTION] = form_action(a);
    v[OIDP_PH_HIDDEN_FIELDS] = hidden_fields(a);
    v[OIDP_PH_USERNAME] = a->b->login->user->username;
    v[OIDP_PH_SCOPE_ITEMS] = apr_array_pstrcat(a->r->pool, items, '\0');
    oidp_session_save(a->r, a->c, a->b);
    return oidp_pages_send(a->r, a->c, OIDP_PAGE_CONSENT, HTTP_OK, v,
                           oidp_pages_origin(a->r->pool, a->redirect_uri));
}

/* ------------------------------------------------------------------ */
/* the code */

static int issue_code(authz_t *a)
{
    request_rec *r = a->r;
    oidp_code_t code;
    const char *value = oidp_util_random_token(r->pool, 32);
    const char *err = NULL;
    oidp_params_t *ps = oidp_params_make(r->pool);

    memset(&code, 0, sizeof(code));
    if (!value) {
        return fail(a, OIDP_ERR_SERVER_ERROR, "no randomness");
    }
    code.code_hash = oidp_util_sha256_hex(r->pool, value, strlen(value));
    code.issuer = a->c->issuer;
    code.client_id = a->client->client_id;
    code.user_id = a->b->login->user_id;
    code.redirect_uri = a->redirect_uri;
    code.scope = a->scope;
    code.nonce = a->nonce;
    code.code_challenge = a->challenge;
    code.code_challenge_method = a->challenge ? a->challenge_method : NULL;
    code.claims = *a->claims ? a->claims : NULL;
    code.auth_time = a->b->login->auth_time;
    code.sid = a->b->login->sid;
    code.grant_id = oidp_util_random_token(r->pool, 16);
    code.created_at = oidp_util_now();
    code.expires_at = code.created_at + oidp_cfg_code_ttl(a->c);
    if (oidp_store_code_insert(r->pool, a->db, &code, &err) != APR_SUCCESS) {
        oidp_store_log(r, "code insert", err);
        return fail(a, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the code store is unavailable");
    }
    oidp_params_add(ps, "code", value);
    oidp_params_add(ps, "state", a->state);
    oidp_params_add(ps, "iss", a->c->issuer);
    oidp_session_save(r, a->c, a->b);
    return oidp_pages_authz_response(r, a->c, a->redirect_uri, a->mode, ps);
}

/* ------------------------------------------------------------------ */
/* flow */

/* Scopes that need consent: the requested ones and those the claims
 * request implies. */
static apr_array_header_t *consent_scopes(authz_t *a)
{
    apr_array_header_t *all = apr_array_copy(a->r->pool, a->scopes);
    int i;

    for (i = 0; i < a->claims_scopes->nelts; i++) {
        const char *s = APR_ARRAY_IDX(a->claims_scopes, i, const char *);
        if (!oidp_scope_has(all, s)) {
            APR_ARRAY_PUSH(all, const char *) = s;
        }
    }
    return all;
}

static int covered(apr_pool_t *p, const char *granted, const apr_array_header_t *wanted)
{
    apr_array_header_t *g = oidp_scope_parse(p, granted ? granted : "");
    int i;

    for (i = 0; g && i < wanted->nelts; i++) {
        if (!oidp_scope_has(g, APR_ARRAY_IDX(wanted, i, const char *))) {
            return 0;
        }
    }
    return g != NULL;
}

/* Merges wanted into what the user granted before and records it. */
static oidp_err_t remember_consent(authz_t *a, const char *before, apr_array_header_t *wanted)
{
    apr_array_header_t *all = oidp_scope_parse(a->r->pool, before ? before : "");
    const char *err = NULL;
    int i;

    if (!all) {
        all = apr_array_make(a->r->pool, 4, sizeof(const char *));
    }
    for (i = 0; i < wanted->nelts; i++) {
        const char *s = APR_ARRAY_IDX(wanted, i, const char *);
        if (!oidp_scope_has(all, s)) {
            APR_ARRAY_PUSH(all, const char *) = s;
        }
    }
    if (oidp_store_consent_put(a->r->pool, a->db, a->b->login->user_id, a->client->client_id,
                               oidp_scope_join(a->r->pool, all), &err)
        != APR_SUCCESS) {
        oidp_store_log(a->r, "consent", err);
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    return OIDP_OK;
}

static int need_login(const authz_t *a, int fresh, int consenting)
{
    const oidp_session_t *s = a->b->login;

    if (!s) {
        return 1;
    }
    if (fresh || consenting) {
        return 0; /* the user has just signed in, or answered the consent page
                   * that was shown after these checks passed */
    }
    if (a->prompt_login || a->max_age == 0) {
        return 1; /* max_age=0: an active re-authentication, like prompt=login */
    }
    if (a->max_age > 0 && oidp_util_now() - s->auth_time > a->max_age) {
        return 1;
    }
    return a->hint_sub && strcmp(a->hint_sub, s->user_id) != 0;
}

int oidp_authorize_handle(request_rec *r, const oidp_cfg_t *c)
{
    authz_t a;
    const char *desc = NULL, *parse_desc = NULL, *action = NULL, *granted = NULL, *err = NULL;
    oidp_err_t e, parse_err;
    apr_array_header_t *wanted;
    int fresh = 0, consenting = 0;

    memset(&a, 0, sizeof(a));
    a.r = r;
    a.c = c;
    a.mode = OIDP_RM_QUERY;
    parse_err = read_params(&a, &parse_desc);
    if (parse_err == OIDP_ERR_BODY_TOO_LARGE) {
        return oidp_error_page(r, c, parse_err, NULL, "The request is too large.");
    }
    a.db = oidp_store_acquire(r);
    if (!a.db) {
        return oidp_error_page(r, c, OIDP_ERR_TEMPORARILY_UNAVAILABLE, NULL,
                               "The sign-in service is temporarily unavailable.");
    }
    if (!check_client(&a, &desc, &e)) {
        return oidp_error_page(r, c, e, NULL, desc);
    }
    /* from here on errors go back to the client */
    a.state = apr_hash_get(a.bad, "state", APR_HASH_KEY_STRING) ? NULL : param(&a, "state");
    if (param(&a, "response_mode")) {
        const char *rm = param(&a, "response_mode");
        if (strcmp(rm, "fragment") == 0) {
            a.mode = OIDP_RM_FRAGMENT;
        }
        else if (strcmp(rm, "form_post") == 0) {
            a.mode = OIDP_RM_FORM_POST;
        }
        else if (strcmp(rm, "query") != 0) {
            return fail(&a, OIDP_ERR_INVALID_REQUEST, "unsupported response_mode");
        }
    }
    e = check_request(&a, parse_err, parse_desc, &desc);
    if (e != OIDP_OK) {
        return fail(&a, e, desc);
    }
    e = oidp_session_load(&a.b, r, c, a.db, &desc);
    if (e != OIDP_OK) {
        return oidp_error_page(r, c, e, NULL, "The sign-in service is not available right now.");
    }

    /* the answer of a login or consent page */
    if (r->method_number == M_POST) {
        action = param(&a, "oidp_action");
    }
    if (action && !oidp_session_csrf_ok(a.b, param(&a, "oidp_csrf"))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00015) "form answer without a valid CSRF token: ignored");
        if (strcmp(action, "login") == 0) {
            return show_login(&a, "This sign-in page expired. Please sign in again.",
                              param(&a, "username"));
        }
        action = NULL;
    }
    if (action && (strcmp(action, "cancel") == 0 || strcmp(action, "deny") == 0)) {
        return fail(&a, OIDP_ERR_ACCESS_DENIED,
                    *action == 'c' ? "the user cancelled the sign-in" : "the user denied access");
    }
    if (action && strcmp(action, "login") == 0) {
        const oidp_user_t *u = NULL;
        e = oidp_authn_password(&u, r, a.db, param(&a, "username"), param(&a, "password"));
        if (e == OIDP_ERR_ACCESS_DENIED) {
            return show_login(&a, "Incorrect username or password.", param(&a, "username"));
        }
        if (e == OIDP_OK) {
            e = oidp_session_login(r, c, a.db, a.b, u, &desc);
        }
        if (e != OIDP_OK) {
            return oidp_error_page(r, c, e, NULL, "The sign-in service is temporarily unavailable.");
        }
        fresh = 1;
    }
    consenting = action && strcmp(action, "allow") == 0 && a.b->login;

    if (need_login(&a, fresh, consenting)) {
        if (a.prompt_none) {
            return fail(&a, OIDP_ERR_LOGIN_REQUIRED, "the user is not signed in");
        }
        if (fresh) {
            /* signed in, but not as the user the id_token_hint names */
            return fail(&a, OIDP_ERR_LOGIN_REQUIRED, "the signed-in user is not the hinted one");
        }
        return show_login(&a, NULL, NULL);
    }

    wanted = consent_scopes(&a);
    if (!a.client->first_party || a.prompt_consent) {
        if (oidp_store_consent_get(&granted, r->pool, a.db, a.b->login->user_id,
                                   a.client->client_id, &err)
            != APR_SUCCESS) {
            oidp_store_log(r, "consent lookup", err);
            return fail(&a, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the consent store is unavailable");
        }
        if (consenting) {
            if (remember_consent(&a, granted, wanted) != OIDP_OK) {
                return fail(&a, OIDP_ERR_TEMPORARILY_UNAVAILABLE,
                            "the consent store is unavailable");
            }
        }
        else if (a.prompt_consent || !covered(r->pool, granted, wanted)) {
            if (a.prompt_none) {
                return fail(&a, OIDP_ERR_CONSENT_REQUIRED, "the user has not consented");
            }
            return show_consent(&a, wanted);
        }
    }
    return issue_code(&a);
}
