/*
 * The authorization endpoint's request: parameters from the query or the
 * form body, client_id and redirect_uri first (a page for a person when
 * wrong), then every other parameter (an error for the client).
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "oidc_idp.h"
#include "oidp_authorize.h"
#include "oidp_claims.h"
#include "oidp_form.h"
#include "oidp_http.h"
#include "oidp_jose.h"
#include "oidp_pkce.h"
#include "oidp_redirect.h"
#include "oidp_dbd.h"
#include "oidp_util.h"
#include "oidp_json.h"
#include "oidp_scope.h"
#include "oidp_utf8.h"

/* At most this many prompt values (four are defined; a repeated one is
 * harmless, a long list is not a prompt). */
#define PROMPT_MAX_VALUES 8

/* A request parameter (NULL when absent or empty). */
static const char *param(const oidp_authz_t *a, const char *name)
{
    return oidp_param(a->params, name);
}

oidp_err_t oidp_authorize_request_read(oidp_authz_t *a, const char **desc)
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
oidp_err_t oidp_authorize_request_client(oidp_authz_t *a, const char **desc)
{
    const char *client_id = param(a, "client_id");
    const char *err = NULL;
    apr_status_t rv;

    if (apr_hash_get(a->bad, "client_id", APR_HASH_KEY_STRING)
        || apr_hash_get(a->bad, "redirect_uri", APR_HASH_KEY_STRING)) {
        *desc = "client_id or redirect_uri is repeated or malformed.";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (!client_id) {
        *desc = "The request does not name the application (client_id is missing).";
        return OIDP_ERR_INVALID_REQUEST;
    }
    rv = oidp_store_client_get(&a->client, a->r->pool, a->db, client_id, &err);
    if (rv == APR_NOTFOUND) {
        *desc = "The application is not registered with this sign-in service (unknown client_id).";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (rv != APR_SUCCESS) {
        OIDP_STORE_ERROR(a->r, OIDP_LOGNO(00028), "client lookup", err);
        *desc = "The sign-in service is temporarily unavailable.";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    a->redirect_uri = param(a, "redirect_uri");
    if (!a->redirect_uri) {
        *desc = "The application did not say where to return after sign-in (redirect_uri is "
                "missing).";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (!oidp_redirect_uri_allowed(a->r->pool, a->client, a->redirect_uri)) {
        *desc = "The application asked to return to an address that is not registered for it "
                "(redirect_uri).";
        return OIDP_ERR_INVALID_REQUEST;
    }
    return OIDP_OK;
}

static oidp_err_t check_prompt(oidp_authz_t *a, const char *prompt, const char **desc)
{
    char *copy = apr_pstrdup(a->r->pool, prompt), *tok, *last = NULL;
    int n = 0;

    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last), n++) {
        if (n >= PROMPT_MAX_VALUES) {
            *desc = "too many prompt values";
            return OIDP_ERR_INVALID_REQUEST;
        }
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

/* An id_token_hint must be an ID token we issued (expired ones are fine):
 * an access token (typ at+jwt) is not one. */
static oidp_err_t check_hint(oidp_authz_t *a, const char *hint, const char **desc)
{
    const char *header, *payload, *err = NULL;
    oidp_hint_t h;

    if (oidp_jose_verify(&header, &payload, a->r->pool, a->c->rt->keys, hint, &err) != APR_SUCCESS
        || oidp_claims_hint(&h, a->r->pool, header, payload, a->c->issuer, &err) != APR_SUCCESS
        || h.kind != OIDP_HINT_ID_TOKEN) {
        *desc = "id_token_hint is not an ID token issued here";
        return OIDP_ERR_INVALID_REQUEST;
    }
    a->hint_sub = h.sub;
    return OIDP_OK;
}

/* response_mode first: the errors that follow are sent back in it. */
static oidp_err_t check_response_mode(oidp_authz_t *a, const char **desc)
{
    const char *rm = param(a, "response_mode");

    if (!rm || strcmp(rm, "query") == 0) {
        a->mode = OIDP_RM_QUERY;
    }
    else if (strcmp(rm, "fragment") == 0) {
        a->mode = OIDP_RM_FRAGMENT;
    }
    else if (strcmp(rm, "form_post") == 0) {
        a->mode = OIDP_RM_FORM_POST;
    }
    else {
        *desc = "unsupported response_mode";
        return OIDP_ERR_INVALID_REQUEST;
    }
    return OIDP_OK;
}

/* Everything after client_id and redirect_uri; errors go back to the client. */
oidp_err_t oidp_authorize_request_check(oidp_authz_t *a, oidp_err_t parse_err,
                                        const char *parse_desc, const char **desc)
{
    const char *rt = param(a, "response_type");
    const char *scope = param(a, "scope");
    const char *max_age = param(a, "max_age");
    const char *claims = param(a, "claims");
    const char *prompt = param(a, "prompt");
    const char *hint = param(a, "id_token_hint");
    apr_array_header_t *allowed;
    apr_hash_t *allowed_set;
    const char *err = NULL;
    oidp_err_t e;
    int i;

    a->state = apr_hash_get(a->bad, "state", APR_HASH_KEY_STRING) ? NULL : param(a, "state");
    if ((e = check_response_mode(a, desc)) != OIDP_OK) {
        return e;
    }
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
    if (!oidp_util_word_in(a->client->grant_types, "authorization_code")) {
        *desc = "the client may not use the authorization code flow";
        return OIDP_ERR_UNAUTHORIZED_CLIENT;
    }
    if (!scope) {
        *desc = "scope is missing";
        return OIDP_ERR_INVALID_SCOPE;
    }
    if (oidp_scope_split(&a->scopes, a->r->pool, scope, OIDP_SCOPE_MAX_VALUES, OIDP_SCOPE_MAX_LEN,
                         &err)
        != APR_SUCCESS) {
        *desc = err;
        return OIDP_ERR_INVALID_SCOPE;
    }
    if (a->scopes->nelts == 0) {
        *desc = "malformed scope";
        return OIDP_ERR_INVALID_SCOPE;
    }
    allowed = oidp_scope_parse(a->r->pool, a->client->scopes);
    allowed_set = oidp_scope_set(a->r->pool, allowed);
    for (i = 0; i < a->scopes->nelts; i++) {
        if (!apr_hash_get(allowed_set, APR_ARRAY_IDX(a->scopes, i, const char *),
                          APR_HASH_KEY_STRING)) {
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
    /* the nonce goes into the ID token, a JSON string: jansson refuses
     * what is not UTF-8, and the claim would be missing */
    a->nonce = param(a, "nonce");
    if (a->nonce && strlen(a->nonce) > 512) {
        *desc = "nonce is too long";
        return OIDP_ERR_INVALID_REQUEST;
    }
    if (!oidp_utf8_valid_str(a->nonce)) {
        *desc = "nonce must be UTF-8";
        return OIDP_ERR_INVALID_REQUEST;
    }
    /* Casdoor's apps send the user name as "username" */
    a->login_hint = param(a, "login_hint");
    if (!a->login_hint && a->r->method_number == M_GET) {
        a->login_hint = param(a, "username");
    }
    if (a->login_hint && (strlen(a->login_hint) > 512 || !oidp_utf8_valid_str(a->login_hint))) {
        *desc = "login_hint must be UTF-8 of at most 512 bytes";
        return OIDP_ERR_INVALID_REQUEST;
    }
    return OIDP_OK;
}
