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
#include <http_protocol.h>

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

/* The client an ID token (or, as Casdoor's clients send, an access token)
 * was issued to, and its subject, if it is ours. */
static const char *hint_client(request_rec *r, const oidp_cfg_t *c, const char *hint,
                               const char **sub)
{
    const char *header, *payload, *err = NULL, *iss = NULL, *who = NULL;
    json_t *j, *aud;

    *sub = NULL;

    if (oidp_jose_verify(&header, &payload, r->pool, c->rt->keys, hint, &err) != APR_SUCCESS) {
        return NULL;
    }
    j = oidp_json_bind(r->pool, json_loads(payload, 0, NULL));
    if (!j || json_unpack(j, "{s:s}", "iss", &iss) != 0 || strcmp(iss, c->issuer) != 0) {
        return NULL;
    }
    if (json_is_string(json_object_get(j, "sub"))) {
        *sub = apr_pstrdup(r->pool, json_string_value(json_object_get(j, "sub")));
    }
    if (json_unpack(j, "{s:s}", "azp", &who) != 0
        && json_unpack(j, "{s:s}", "client_id", &who) != 0) {
        aud = json_object_get(j, "aud");
        who = json_is_string(aud) ? json_string_value(aud)
                                  : json_string_value(json_array_get(aud, 0));
    }
    return who ? apr_pstrdup(r->pool, who) : NULL;
}

#define SIGN_OUT_FAILED "Sign-out failed"

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
    if (hint) {
        const char *who = hint_client(r, c, hint, &hint_sub);
        if (!who || (client_id && strcmp(client_id, who) != 0)) {
            return oidp_error_page(r, c, OIDP_ERR_INVALID_REQUEST, SIGN_OUT_FAILED,
                                   "The application sent a sign-out request with an ID token "
                                   "that was not issued here.");
        }
        client_id = who;
        hinted = 1;
    }
    e = oidp_dbd_acquire(&db, r, &desc);
    if (e != OIDP_OK) {
        return oidp_error_page(r, c, e, SIGN_OUT_FAILED,
                               "The sign-in service is temporarily unavailable.");
    }
    if (uri) {
        if (!client_id
            || oidp_store_client_get(&client, r->pool, db, client_id, &err) != APR_SUCCESS
            || !oidp_redirect_post_logout_allowed(client, uri)) {
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
