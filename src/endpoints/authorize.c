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
#include "oidp_authorize.h"
#include "oidp_claims.h"
#include "oidp_endpoints.h"
#include "oidp_form.h"
#include "oidp_http.h"
#include "oidp_jose.h"
#include "oidp_pages.h"
#include "oidp_pkce.h"
#include "oidp_redirect.h"
#include "oidp_session.h"
#include "oidp_dbd.h"
#include "oidp_util.h"
#include "oidp_scope.h"

const char *oidp_authz_param(const oidp_authz_t *a, const char *name)
{
    return oidp_param(a->params, name);
}

static int fail(oidp_authz_t *a, oidp_err_t e, const char *desc)
{
    oidp_session_save(a->r, a->c, a->b ? a->b : &(oidp_browser_t){0});
    return oidp_error_redirect(a->r, a->c, a->redirect_uri, a->mode, a->state, e, desc);
}

/* ------------------------------------------------------------------ */
/* the code */

static int issue_code(oidp_authz_t *a)
{
    request_rec *r = a->r;
    oidp_code_t code;
    const char *value = oidp_util_random_token(r->pool, 32);
    const char *err = NULL;
    oidp_params_t *ps = oidp_redirect_params_make(r->pool);

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
        oidp_dbd_log(r, "code insert", err);
        return fail(a, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the code store is unavailable");
    }
    oidp_redirect_params_add(ps, "code", value);
    oidp_redirect_params_add(ps, "state", a->state);
    oidp_redirect_params_add(ps, "iss", a->c->issuer);
    oidp_session_save(r, a->c, a->b);
    return oidp_pages_authz_response(r, a->c, a->redirect_uri, a->mode, ps);
}

/* ------------------------------------------------------------------ */
/* flow */

/* Scopes that need consent: the requested ones and those the claims
 * request implies. */
static apr_array_header_t *consent_scopes(oidp_authz_t *a)
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
static oidp_err_t remember_consent(oidp_authz_t *a, const char *before, apr_array_header_t *wanted)
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
        oidp_dbd_log(a->r, "consent", err);
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    return OIDP_OK;
}

static int need_login(const oidp_authz_t *a, int fresh, int consenting)
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

/* A login or consent page answered: cancel, deny, login or allow. Returns
 * -1 to go on (with *fresh or *consenting set), or a response. */
static int answer_form(oidp_authz_t *a, int *fresh, int *consenting)
{
    request_rec *r = a->r;
    const char *action = r->method_number == M_POST ? oidp_authz_param(a, "oidp_action") : NULL;
    const char *desc = NULL;
    const oidp_user_t *u = NULL;
    oidp_err_t e;

    if (action && !oidp_session_csrf_ok(a->b, oidp_authz_param(a, "oidp_csrf"))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00015) "form answer without a valid CSRF token: ignored");
        if (strcmp(action, "login") == 0) {
            return oidp_authorize_pages_login(a, "This sign-in page expired. Please sign in again.",
                                         oidp_authz_param(a, "username"));
        }
        return -1;
    }
    if (!action) {
        return -1;
    }
    if (strcmp(action, "cancel") == 0 || strcmp(action, "deny") == 0) {
        return fail(a, OIDP_ERR_ACCESS_DENIED,
                    *action == 'c' ? "the user cancelled the sign-in" : "the user denied access");
    }
    if (strcmp(action, "allow") == 0) {
        *consenting = a->b->login != NULL;
        return -1;
    }
    if (strcmp(action, "login") != 0) {
        return -1;
    }
    e = oidp_authn_password(&u, r, a->db, oidp_authz_param(a, "username"),
                            oidp_authz_param(a, "password"));
    if (e == OIDP_ERR_ACCESS_DENIED) {
        return oidp_authorize_pages_login(a, "Incorrect username or password.",
                                     oidp_authz_param(a, "username"));
    }
    if (e == OIDP_OK) {
        e = oidp_session_login(r, a->c, a->db, a->b, u, &desc);
    }
    if (e != OIDP_OK) {
        return oidp_error_page(r, a->c, e, NULL, "The sign-in service is temporarily unavailable.");
    }
    *fresh = 1;
    return -1;
}

/* Consent (remembered per user and client; first-party clients skip it).
 * Returns -1 to go on, or a response (the consent page, an error). */
static int consent(oidp_authz_t *a, int consenting)
{
    apr_array_header_t *wanted = consent_scopes(a);
    const char *granted = NULL, *err = NULL;

    if (a->client->first_party && !a->prompt_consent) {
        return -1;
    }
    if (oidp_store_consent_get(&granted, a->r->pool, a->db, a->b->login->user_id,
                               a->client->client_id, &err)
        != APR_SUCCESS) {
        oidp_dbd_log(a->r, "consent lookup", err);
        return fail(a, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the consent store is unavailable");
    }
    if (consenting) {
        return remember_consent(a, granted, wanted) == OIDP_OK
                   ? -1
                   : fail(a, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the consent store is unavailable");
    }
    if (a->prompt_consent || !covered(a->r->pool, granted, wanted)) {
        return a->prompt_none ? fail(a, OIDP_ERR_CONSENT_REQUIRED, "the user has not consented")
                              : oidp_authorize_pages_consent(a, wanted);
    }
    return -1;
}

int oidp_authorize_handle(request_rec *r, const oidp_cfg_t *c)
{
    oidp_authz_t a;
    const char *desc = NULL, *parse_desc = NULL;
    oidp_err_t e, parse_err;
    int fresh = 0, consenting = 0, done;

    memset(&a, 0, sizeof(a));
    a.r = r;
    a.c = c;
    a.mode = OIDP_RM_QUERY;
    parse_err = oidp_authorize_request_read(&a, &parse_desc);
    if (parse_err == OIDP_ERR_BODY_TOO_LARGE) {
        return oidp_error_page(r, c, parse_err, NULL, "The request is too large.");
    }
    a.db = oidp_dbd_acquire(r);
    if (!a.db) {
        return oidp_error_page(r, c, OIDP_ERR_TEMPORARILY_UNAVAILABLE, NULL,
                               "The sign-in service is temporarily unavailable.");
    }
    if (!oidp_authorize_request_client(&a, &desc, &e)) {
        return oidp_error_page(r, c, e, NULL, desc);
    }
    /* from here on errors go back to the client */
    e = oidp_authorize_request_check(&a, parse_err, parse_desc, &desc);
    if (e != OIDP_OK) {
        return fail(&a, e, desc);
    }
    e = oidp_session_load(&a.b, r, c, a.db, &desc);
    if (e != OIDP_OK) {
        return oidp_error_page(r, c, e, NULL, "The sign-in service is not available right now.");
    }
    done = answer_form(&a, &fresh, &consenting);
    if (done >= 0) {
        return done;
    }
    if (need_login(&a, fresh, consenting)) {
        if (a.prompt_none) {
            return fail(&a, OIDP_ERR_LOGIN_REQUIRED, "the user is not signed in");
        }
        if (fresh) {
            /* signed in, but not as the user the id_token_hint names */
            return fail(&a, OIDP_ERR_LOGIN_REQUIRED, "the signed-in user is not the hinted one");
        }
        return oidp_authorize_pages_login(&a, NULL, NULL);
    }
    done = consent(&a, consenting);
    return done >= 0 ? done : issue_code(&a);
}
