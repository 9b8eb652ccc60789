/*
 * RP-Initiated Logout 1.0 (the end_session_endpoint, and Casdoor's
 * /api/logout): ends the login session here (and so on every node sharing
 * the database), then returns to the client's registered
 * post_logout_redirect_uri with state, or shows "signed out". Without a
 * valid id_token_hint the signed-in user confirms first. An unverifiable
 * hint or an unregistered URI is an error page, never a redirect.
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "oidc_idp.h"
#include "oidp_claims.h"
#include "oidp_audit.h"
#include "oidp_endpoints.h"
#include "oidp_form.h"
#include "oidp_http.h"
#include "oidp_jose.h"
#include "oidp_pages.h"
#include "oidp_redirect.h"
#include "oidp_session.h"
#include "oidp_dbd.h"
#include "oidp_util.h"
#include "oidp_json.h"
#include "oidp_tpl.h"

#define SIGN_OUT_FAILED "Sign-out failed"

/* What the id_token_hint says: the client it was issued to and its
 * subject, and whether it may sign the user out without asking. It must be
 * one of this issuer's ID tokens (typ JWT; expired ones are fine, RP-
 * Initiated Logout 1.0 section 2). Casdoor's clients send their access
 * token instead (casdoor.md 6): an access token (typ at+jwt) is taken only
 * from a client of the Casdoor dialect, and only while it is unexpired may
 * it sign out without confirmation. Any other token is refused: a resource
 * server holding a user's access token cannot sign the user out. */
static oidp_err_t read_hint(const char **client_id, const char **sub, int *confirmed,
                            oidp_client_t **client, request_rec *r, const oidp_cfg_t *c,
                            oidp_db_t *db, const char *hint)
{
    const char *header, *payload, *err = NULL;
    oidp_hint_t h;
    apr_status_t rv;

    *client_id = *sub = NULL;
    *confirmed = 0;
    if (oidp_jose_verify(&header, &payload, r->pool, c->rt->keys, hint, &err) != APR_SUCCESS
        || oidp_claims_hint(&h, r->pool, header, payload, c->issuer, &err) != APR_SUCCESS) {
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (h.kind == OIDP_HINT_ACCESS_TOKEN) {
        rv = oidp_store_client_get(client, r->pool, db, h.client_id, &err);
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
            OIDP_STORE_ERROR(r, OIDP_LOGNO(00102), "client lookup (logout hint)", err);
            return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
        }
        if (rv != APR_SUCCESS || !(*client)->dialect
            || strcmp((*client)->dialect, OIDP_DIALECT_CASDOOR) != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          OIDP_LOGNO(00103) "an access token as id_token_hint from a client "
                                            "not of the Casdoor dialect: refused");
            *client = NULL;
            return OIDP_ERR_INVALID_REQUEST;
        }
        *confirmed = h.exp > oidp_util_now();
    }
    else {
        *confirmed = 1;
    }
    *client_id = h.client_id;
    *sub = h.sub;
    return OIDP_OK;
}


static int signed_out(request_rec *r, const oidp_cfg_t *c)
{
    const char *v[OIDP_PH__COUNT] = {NULL};

    v[OIDP_PH_TITLE] = "Signed out";
    v[OIDP_PH_MESSAGE] = "You have been signed out. You can close this window.";
    return oidp_pages_send(r, c, OIDP_PAGE_LOGGED_OUT, HTTP_OK, v, NULL);
}

/* Without a valid id_token_hint the request may not come from the user's
 * application (a link on any page can point here): the user confirms
 * (RP-Initiated Logout 1.0, section 6). */
static int confirm(request_rec *r, const oidp_cfg_t *c, oidp_browser_t *b, apr_hash_t *params)
{
    apr_array_header_t *names = apr_array_make(r->pool, 6, sizeof(const char *));
    apr_array_header_t *values = apr_array_make(r->pool, 6, sizeof(const char *));
    const char *v[OIDP_PH__COUNT] = {NULL};
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(r->pool, params); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *val;
        apr_hash_this(hi, &k, NULL, &val);
        if (strcmp(k, "oidp_action") != 0 && strcmp(k, "oidp_csrf") != 0) {
            APR_ARRAY_PUSH(names, const char *) = k;
            APR_ARRAY_PUSH(values, const char *) = val;
        }
    }
    APR_ARRAY_PUSH(names, const char *) = "oidp_csrf";
    APR_ARRAY_PUSH(values, const char *) = oidp_session_csrf(r, b);
    v[OIDP_PH_TITLE] = "Sign out?";
    v[OIDP_PH_USERNAME] = b->login->user->username;
    v[OIDP_PH_FORM_ACTION] = r->uri;
    v[OIDP_PH_HIDDEN_FIELDS] = oidp_tpl_hidden(r->pool, names, values);
    oidp_session_save(r, c, b);
    return oidp_pages_send(r, c, OIDP_PAGE_LOGOUT_CONFIRM, HTTP_OK, v, NULL);
}

int oidp_logout_handle(request_rec *r, const oidp_cfg_t *c)
{
    apr_hash_t *params = apr_hash_make(r->pool);
    const char *desc = NULL, *err = NULL, *hint, *client_id, *uri, *state, *action;
    const char *hint_sub = NULL;
    oidp_client_t *client = NULL;
    oidp_browser_t *b = NULL;
    oidp_params_t *ps;
    oidp_db_t *db;
    oidp_err_t e;
    int hinted = 0;

    if (r->method_number == M_POST) {
        e = oidp_http_body_params(&params, r, c, &desc);
    }
    else {
        e = r->args
                    && oidp_form_parse(params, r->pool, r->args, strlen(r->args), NULL, &desc)
                           != APR_SUCCESS
                ? OIDP_ERR_INVALID_REQUEST
                : OIDP_OK;
    }
    if (e != OIDP_OK) {
        return oidp_error_page(r, c, e, SIGN_OUT_FAILED, "The sign-out request is malformed.");
    }
    hint = oidp_param(params, "id_token_hint");
    client_id = oidp_param(params, "client_id");
    uri = oidp_param(params, "post_logout_redirect_uri");
    state = oidp_param(params, "state");
    action = r->method_number == M_POST ? oidp_param(params, "oidp_action") : NULL;
    e = oidp_dbd_acquire(&db, r, &desc);
    if (e != OIDP_OK) {
        return oidp_error_page(r, c, e, SIGN_OUT_FAILED,
                               "The sign-in service is temporarily unavailable.");
    }
    if (hint) {
        const char *who = NULL;
        e = read_hint(&who, &hint_sub, &hinted, &client, r, c, db, hint);
        if (e == OIDP_ERR_TEMPORARILY_UNAVAILABLE) {
            return oidp_error_page(r, c, e, SIGN_OUT_FAILED,
                                   "The sign-in service is temporarily unavailable.");
        }
        if (e != OIDP_OK || (client_id && strcmp(client_id, who) != 0)) {
            return oidp_error_page(r, c, OIDP_ERR_INVALID_REQUEST, SIGN_OUT_FAILED,
                                   "The application sent a sign-out request with an ID token "
                                   "that was not issued here.");
        }
        client_id = who;
    }
    if (uri) {
        apr_status_t rv = APR_NOTFOUND;
        if (client_id && !client) {
            rv = oidp_store_client_get(&client, r->pool, db, client_id, &err);
        }
        else if (client) {
            rv = APR_SUCCESS;
        }
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
            /* a store that fails is not a URI that is not registered */
            OIDP_STORE_ERROR(r, OIDP_LOGNO(00104), "client lookup (logout)", err);
            return oidp_error_page(r, c, OIDP_ERR_TEMPORARILY_UNAVAILABLE, SIGN_OUT_FAILED,
                                   "The sign-in service is temporarily unavailable. Please try "
                                   "again in a moment.");
        }
        if (rv != APR_SUCCESS || !oidp_redirect_post_logout_allowed(client, uri)) {
            return oidp_error_page(r, c, OIDP_ERR_INVALID_REQUEST, SIGN_OUT_FAILED,
                                   "The application asked to return to an address that is not "
                                   "registered for it (post_logout_redirect_uri).");
        }
    }
    e = oidp_session_load(&b, r, c, db, &desc);
    if (e != OIDP_OK) {
        return oidp_error_page(r, c, e, SIGN_OUT_FAILED,
                               "The sign-in service is not available right now.");
    }
    /* the hint must name the signed-in user: another user's ID token does
     * not sign this one out without asking */
    if (b->login && hinted && (!hint_sub || strcmp(hint_sub, b->login->user_id) != 0)) {
        hinted = 0;
    }
    if (b->login && !hinted
        && !(action && strcmp(action, "logout") == 0
             && oidp_session_csrf_ok(b, oidp_param(params, "oidp_csrf")))) {
        return confirm(r, c, b, params);
    }
    if (b->login) {
        oidp_audit(r, "logout", "sub", b->login->user_id, "client_id", client_id, NULL);
    }
    if (oidp_session_logout(r, db, b) != OIDP_OK) {
        return oidp_error_page(r, c, OIDP_ERR_TEMPORARILY_UNAVAILABLE, SIGN_OUT_FAILED,
                               "The sign-in service is temporarily unavailable.");
    }
    oidp_session_save(r, c, b);
    if (!uri) {
        return signed_out(r, c);
    }
    ps = oidp_redirect_params_make(r->pool);
    oidp_redirect_params_add(ps, "state", state);
    return oidp_pages_redirect(r, oidp_redirect_build(r->pool, uri, 0, ps));
}
