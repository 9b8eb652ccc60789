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
 *
 * Every step returns OIDP_OK to go on or an error, and may instead ask for
 * a page (a->show); the edge, respond(), renders the outcome once: an error
 * as a page for a person while the client is not yet trusted (or where a
 * step says so), else redirected to the client; the login or consent page;
 * or the code.
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "oidc_idp.h"
#include "oidp_acr.h"
#include "oidp_audit.h"
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
#include "oidp_throttling.h"
#include "oidp_dbd.h"
#include "oidp_util.h"
#include "oidp_scope.h"

/* An error for a person (a page, never a redirect): sentence is what the
 * page says. */
static oidp_err_t page_error(oidp_authz_t *a, oidp_err_t e, const char *sentence)
{
    a->error_page = 1;
    a->desc = sentence;
    return e;
}

/* An error for the client, redirected to its verified redirect_uri. */
static oidp_err_t client_error(oidp_authz_t *a, oidp_err_t e, const char *desc)
{
    a->desc = desc;
    return e;
}

static oidp_err_t show_login(oidp_authz_t *a, const char *error, const char *username)
{
    a->show = OIDP_AZ_SHOW_LOGIN;
    a->login_error = error;
    a->login_username = username;
    return OIDP_OK;
}

/* ------------------------------------------------------------------ */
/* the code */

static oidp_err_t issue_code(oidp_authz_t *a)
{
    request_rec *r = a->r;
    oidp_code_t code;
    const char *value = oidp_util_random_token(r->pool, 32);
    const char *err = NULL;

    memset(&code, 0, sizeof(code));
    if (!value) {
        return client_error(a, OIDP_ERR_SERVER_ERROR, "no randomness");
    }
    code.code_hash = oidp_util_sha256_hex(r->pool, value, strlen(value));
    code.issuer = a->c->issuer;
    code.grant.client_id = a->client->client_id;
    code.grant.user_id = a->b->login->user_id;
    code.grant.scope = a->scope;
    code.grant.claims = *a->claims ? a->claims : NULL;
    code.grant.auth_time = a->b->login->auth_time;
    code.grant.sid = a->b->login->sid;
    code.grant.amr = a->b->login->amr;
    code.grant.acr = a->b->login->acr;
    code.grant.grant_id = oidp_util_random_token(r->pool, 16);
    code.redirect_uri = a->redirect_uri;
    code.nonce = a->nonce;
    code.code_challenge = a->challenge;
    code.code_challenge_method = a->challenge ? a->challenge_method : NULL;
    code.created_at = oidp_util_now();
    code.expires_at = code.created_at + oidp_cfg_code_ttl(a->c);
    if (oidp_store_code_insert(r->pool, a->db, &code, &err) != APR_SUCCESS) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00025), "code insert", err);
        return client_error(a, OIDP_ERR_TEMPORARILY_UNAVAILABLE, "the code store is unavailable");
    }
    oidp_audit(r, "code_issued", "client_id", a->client->client_id, "sub", code.grant.user_id,
               "grant", code.grant.grant_id, "scope", code.grant.scope, NULL);
    a->show = OIDP_AZ_SHOW_CODE;
    a->response = oidp_redirect_params_make(r->pool);
    oidp_redirect_params_add(a->response, "code", value);
    oidp_redirect_params_add(a->response, "state", a->state);
    oidp_redirect_params_add(a->response, "iss", a->c->issuer);
    return OIDP_OK;
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
    apr_hash_t *set = oidp_scope_set(p, g);
    int i;

    for (i = 0; g && i < wanted->nelts; i++) {
        if (!apr_hash_get(set, APR_ARRAY_IDX(wanted, i, const char *), APR_HASH_KEY_STRING)) {
            return 0;
        }
    }
    return g != NULL;
}

/* Merges wanted into what the user granted before and records it. */
static oidp_err_t remember_consent(oidp_authz_t *a, const char *before, apr_array_header_t *wanted)
{
    apr_array_header_t *all = oidp_scope_parse(a->r->pool, before ? before : "");
    apr_hash_t *set;
    const char *err = NULL;
    int i;

    if (!all) {
        all = apr_array_make(a->r->pool, 4, sizeof(const char *));
    }
    set = oidp_scope_set(a->r->pool, all);
    for (i = 0; i < wanted->nelts; i++) {
        const char *s = APR_ARRAY_IDX(wanted, i, const char *);
        if (!apr_hash_get(set, s, APR_HASH_KEY_STRING)) {
            APR_ARRAY_PUSH(all, const char *) = s;
            apr_hash_set(set, s, APR_HASH_KEY_STRING, s);
        }
    }
    if (oidp_store_consent_put(a->r->pool, a->db, a->b->login->user_id, a->client->client_id,
                               oidp_scope_join(a->r->pool, all), &err)
        != APR_SUCCESS) {
        OIDP_STORE_ERROR(a->r, OIDP_LOGNO(00026), "consent update", err);
        return client_error(a, OIDP_ERR_TEMPORARILY_UNAVAILABLE,
                            "the consent store is unavailable");
    }
    oidp_audit(a->r, "consent", "outcome", "given", "client_id", a->client->client_id, "sub",
               a->b->login->user_id, "scope", oidp_scope_join(a->r->pool, wanted), NULL);
    return OIDP_OK;
}

/* How long a consent page may be answered (its token's lifetime). */
#define CONSENT_TTL 600

static int need_login(const oidp_authz_t *a)
{
    const oidp_session_t *s = a->b->login;

    if (!s) {
        return 1;
    }
    if (a->fresh || a->consenting) {
        return 0; /* the user has just signed in, or answered the consent page
                   * shown for this very request and login after these
                   * checks passed (its one-time token says so) */
    }
    if (a->acr_level && oidp_acr_level(s->acr) < a->acr_level) {
        return 1; /* acr_values or the claims request ask for more */
    }
    if (a->prompt_login || a->max_age == 0) {
        return 1; /* max_age=0: an active re-authentication, like prompt=login */
    }
    if (a->max_age > 0 && oidp_util_now() - s->auth_time > a->max_age) {
        return 1;
    }
    return a->hint_sub && strcmp(a->hint_sub, s->user_id) != 0;
}

/* A login or consent page answered: cancel, deny, login or allow. Sets
 * a->fresh (just signed in) or a->consenting (allowed). */
static oidp_err_t answer_form(oidp_authz_t *a)
{
    request_rec *r = a->r;
    const char *action = r->method_number == M_POST ? oidp_param(a->params, "oidp_action") : NULL;
    const char *desc = NULL;
    const oidp_user_t *u = NULL;
    oidp_throttle_t *th = NULL;
    apr_int64_t wait = 0;
    oidp_err_t e;

    if (action && !oidp_session_csrf_ok(a->b, oidp_param(a->params, "oidp_csrf"))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00015) "form answer without a valid CSRF token: ignored");
        if (strcmp(action, "login") == 0) {
            return show_login(a, "This sign-in page expired. Please sign in again.",
                              oidp_param(a->params, "username"));
        }
        return OIDP_OK;
    }
    if (!action) {
        return OIDP_OK;
    }
    if (strcmp(action, "cancel") == 0 || strcmp(action, "deny") == 0) {
        oidp_audit(r, *action == 'c' ? "signin" : "consent", "outcome",
                   *action == 'c' ? "cancelled" : "denied", "client_id", a->client->client_id,
                   "sub", a->b->login ? a->b->login->user_id : NULL, NULL);
        return client_error(a, OIDP_ERR_ACCESS_DENIED,
                            *action == 'c' ? "the user cancelled the sign-in"
                                           : "the user denied access");
    }
    if (strcmp(action, "allow") == 0) {
        /* only the consent page shown for this request and this login
         * counts; anything else (the login page's fields re-posted, an old
         * page) goes through the checks as if nothing had been posted */
        a->consenting = a->b->login
                        && oidp_session_consent_take(r, a->b, oidp_param(a->params, "oidp_consent"),
                                                     oidp_authorize_pages_binding(a), CONSENT_TTL);
        if (!a->consenting) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          OIDP_LOGNO(00101) "allow without the consent token of this request "
                                            "and login: ignored");
        }
        return OIDP_OK;
    }
    if (strcmp(action, "login") != 0 || a->upstream == OIDP_UPSTREAM_ON) {
        return OIDP_OK; /* OIDCIdPUpstreamAuth On: no password is taken here */
    }
    e = oidp_throttle_check(&th, r, a->db, OIDP_THROTTLE_LOGIN, oidp_param(a->params, "username"),
                            &wait);
    if (e == OIDP_OK) {
        e = oidp_throttle_done(th, r, a->db,
                               oidp_authn_password(&u, r, a->db, oidp_param(a->params, "username"),
                                                   oidp_param(a->params, "password")),
                               &wait);
    }
    if (e == OIDP_ERR_TOO_MANY_ATTEMPTS || (e == OIDP_ERR_ACCESS_DENIED && wait > 0)) {
        return show_login(a, oidp_throttle_message(r->pool, wait),
                          oidp_param(a->params, "username"));
    }
    if (e == OIDP_ERR_ACCESS_DENIED) {
        return show_login(a, "Incorrect username or password.", oidp_param(a->params, "username"));
    }
    if (e == OIDP_ERR_TEMPORARILY_UNAVAILABLE) {
        /* a provider or the store could not answer: a 503 page, never a
         * wrong password, never a sign-in */
        return page_error(a, e,
                          "The user directory is unavailable, so nobody can sign in right now. "
                          "Please try again later.");
    }
    if (e == OIDP_OK) {
        e = oidp_session_login(r, a->c, a->db, a->b, u, OIDP_AMR_PWD, OIDP_ACR_PASSWORD, &desc);
    }
    if (e != OIDP_OK) {
        return page_error(a, e, "The sign-in service is temporarily unavailable.");
    }
    a->fresh = 1;
    return OIDP_OK;
}

/* OIDCIdPUpstreamAuth: the user another Apache module authenticated in
 * this request (src/httpd/upstream.c) signs in without a page. On: nobody
 * else does, and prompt=login (max_age=0) is login_required, as this
 * module cannot make that module authenticate again; Optional: no trusted
 * upstream identity, or prompt=login, leaves it to the login form. A
 * session of the same user that meets the request is kept. */
static oidp_err_t upstream(oidp_authz_t *a)
{
    request_rec *r = a->r;
    const oidp_session_t *s = a->b->login;
    const oidp_user_t *u = NULL;
    const char *desc = NULL;
    oidp_upstream_t id;
    oidp_err_t e;

    if (a->upstream == OIDP_UPSTREAM_OFF || a->fresh || a->consenting) {
        return OIDP_OK;
    }
    if (!oidp_upstream_identity(&id, r)) {
        return a->upstream == OIDP_UPSTREAM_ON
                   ? client_error(a, OIDP_ERR_LOGIN_REQUIRED, "no verified upstream authentication")
                   : OIDP_OK;
    }
    if (a->prompt_login || a->max_age == 0) {
        return a->upstream == OIDP_UPSTREAM_ON
                   ? client_error(a, OIDP_ERR_LOGIN_REQUIRED,
                                  "a new sign-in cannot be forced on the upstream "
                                  "authentication")
                   : OIDP_OK;
    }
    if (s && s->user && s->user->source && strcmp(s->user->source, id.source) == 0
        && strcmp(s->user->username, id.name) == 0 && !need_login(a)) {
        return OIDP_OK;
    }
    e = oidp_authn_external(&u, r, a->db, id.source, id.name);
    if (e == OIDP_ERR_TEMPORARILY_UNAVAILABLE) {
        return page_error(a, e, "The sign-in service is temporarily unavailable.");
    }
    if (e != OIDP_OK) {
        return client_error(a, OIDP_ERR_ACCESS_DENIED, "the account is disabled");
    }
    e = oidp_session_login(r, a->c, a->db, a->b, u, id.amr, id.acr, &desc);
    if (e != OIDP_OK) {
        return page_error(a, e, "The sign-in service is temporarily unavailable.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  OIDP_LOGNO(00731) "user '%s' signed in by upstream authentication (%s)",
                  ap_escape_logitem(r->pool, id.name), id.source);
    oidp_audit(r, "signin", "outcome", "success", "sub", u->id, "username", u->username, "provider",
               id.source, NULL);
    a->fresh = 1;
    return OIDP_OK;
}

/* A login is needed: the login page, or login_required for prompt=none.
 * A user who has just signed in as someone else than the id_token_hint
 * names gets login_required too (OIDC Core 3.1.2.1). */
static oidp_err_t login(oidp_authz_t *a)
{
    if (a->fresh && a->hint_sub && strcmp(a->hint_sub, a->b->login->user_id) != 0) {
        return client_error(a, OIDP_ERR_LOGIN_REQUIRED,
                            "the signed-in user is not the one id_token_hint names");
    }
    if (!need_login(a)) {
        return OIDP_OK;
    }
    if (a->prompt_none) {
        return client_error(a, OIDP_ERR_LOGIN_REQUIRED, "the user is not signed in");
    }
    if (a->upstream == OIDP_UPSTREAM_ON) {
        return client_error(a, OIDP_ERR_LOGIN_REQUIRED,
                            "only the upstream authentication signs in here");
    }
    return show_login(a, NULL, NULL);
}

/* An essential acr (the claims request, OIDC Core 5.5.1.1) the sign-in
 * did not reach fails the request; acr_values are voluntary: the ID token
 * says what was reached. */
static oidp_err_t acr_check(oidp_authz_t *a)
{
    if (a->acr_unknown
        || (a->acr_essential && oidp_acr_level(a->b->login->acr) < a->acr_essential)) {
        return client_error(a, OIDP_ERR_ACCESS_DENIED,
                            "the essential acr requested was not reached");
    }
    return OIDP_OK;
}

/* Consent (remembered per user and client; first-party clients skip it). */
static oidp_err_t consent(oidp_authz_t *a)
{
    apr_array_header_t *wanted = consent_scopes(a);
    const char *granted = NULL, *err = NULL;

    if (a->client->first_party && !a->prompt_consent) {
        return OIDP_OK;
    }
    if (oidp_store_consent_get(&granted, a->r->pool, a->db, a->b->login->user_id,
                               a->client->client_id, &err)
        != APR_SUCCESS) {
        OIDP_STORE_ERROR(a->r, OIDP_LOGNO(00027), "consent lookup", err);
        return client_error(a, OIDP_ERR_TEMPORARILY_UNAVAILABLE,
                            "the consent store is unavailable");
    }
    if (a->consenting) {
        return remember_consent(a, granted, wanted);
    }
    if (a->prompt_consent || !covered(a->r->pool, granted, wanted)) {
        if (a->prompt_none) {
            return client_error(a, OIDP_ERR_CONSENT_REQUIRED, "the user has not consented");
        }
        a->show = OIDP_AZ_SHOW_CONSENT;
        a->wanted = wanted;
    }
    return OIDP_OK;
}

/* The steps, in order, until one fails or asks for a page. */
static oidp_err_t run(oidp_authz_t *a)
{
    oidp_err_t (*const steps[])(oidp_authz_t *) = {answer_form, upstream, login,
                                                   acr_check,   consent,  issue_code};
    const char *parse_desc = NULL;
    oidp_err_t e, parse_err;
    size_t i;

    parse_err = oidp_authorize_request_read(a, &parse_desc);
    if (parse_err == OIDP_ERR_BODY_TOO_LARGE) {
        return page_error(a, parse_err, "The request is too large.");
    }
    e = oidp_dbd_acquire(&a->db, a->r, &a->desc);
    if (e != OIDP_OK) {
        return page_error(a, e, "The sign-in service is temporarily unavailable.");
    }
    e = oidp_authorize_request_client(a, &a->desc);
    if (e != OIDP_OK) {
        return page_error(a, e, a->desc);
    }
    /* from here on errors go back to the client */
    e = oidp_authorize_request_check(a, parse_err, parse_desc, &a->desc);
    if (e != OIDP_OK) {
        return e;
    }
    e = oidp_session_load(&a->b, a->r, a->c, a->db, &a->desc);
    if (e != OIDP_OK) {
        return page_error(a, e, "The sign-in service is not available right now.");
    }
    a->upstream = oidp_cfg_upstream(ap_get_module_config(a->r->per_dir_config, &oidc_idp_module));
    oidp_acr_request(a->r->pool, oidp_param(a->params, "acr_values"),
                     /* the parameter as sent (checked above): the normalised
                      * request keeps only the scopes' claims */
                     oidp_param(a->params, "claims"), &a->acr_level, &a->acr_essential,
                     &a->acr_unknown);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        e = steps[i](a);
        if (e != OIDP_OK || a->show) {
            break;
        }
    }
    return e;
}

/* The edge: the one place the outcome is rendered. */
static int respond(oidp_authz_t *a, oidp_err_t e)
{
    request_rec *r = a->r;

    if (e != OIDP_OK && a->error_page) {
        return oidp_error_page(r, a->c, e, NULL, a->desc);
    }
    if (e != OIDP_OK) {
        oidp_session_save(r, a->c, a->b ? a->b : &(oidp_browser_t){0});
        return oidp_error_redirect(r, a->c, a->redirect_uri, a->mode, a->state, e, a->desc);
    }
    switch (a->show) {
    case OIDP_AZ_SHOW_LOGIN:
        return oidp_authorize_pages_login(a, a->login_error, a->login_username);
    case OIDP_AZ_SHOW_CONSENT:
        return oidp_authorize_pages_consent(a, a->wanted);
    default:
        oidp_session_save(r, a->c, a->b);
        return oidp_pages_authz_response(r, a->c, a->redirect_uri, a->mode, a->response);
    }
}

int oidp_authorize_handle(request_rec *r, const oidp_cfg_t *c)
{
    oidp_authz_t a;

    memset(&a, 0, sizeof(a));
    a.r = r;
    a.c = c;
    a.mode = OIDP_RM_QUERY;
    return respond(&a, run(&a));
}
