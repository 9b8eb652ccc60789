/*
 * The authorization endpoint's request, shared by its three files:
 * src/authorize.c (the flow), src/authorize_request.c (reading and
 * validating the request) and src/authorize_pages.c (the login and consent
 * pages). Internal to them.
 */
#ifndef OIDP_AUTHORIZE_H
#define OIDP_AUTHORIZE_H

#include <httpd.h>
#include <apr_hash.h>
#include "oidp_config.h"
#include "oidp_error.h"
#include "oidp_redirect.h"
#include "oidp_session.h"
#include "oidp_store.h"

/* What the edge shows when no step failed. */
typedef enum {
    OIDP_AZ_SHOW_NOTHING = 0, /* no step has decided yet: go on */
    OIDP_AZ_SHOW_LOGIN,       /* the login page */
    OIDP_AZ_SHOW_CONSENT,     /* the consent page */
    OIDP_AZ_SHOW_CODE         /* the authorization response with the code */
} oidp_az_show_e;

typedef struct oidp_authz_t {
    request_rec *r;
    const oidp_cfg_t *c;
    oidp_db_t *db;
    apr_hash_t *params;
    apr_hash_t *bad; /* parameters that were repeated or malformed */
    oidp_client_t *client;
    const char *redirect_uri;
    int mode; /* oidp_rm_e */
    const char *state;
    const char *nonce;
    apr_array_header_t *scopes;
    const char *scope;
    const char *claims; /* normalised claims request, "" if none */
    apr_array_header_t *claims_scopes;
    const char *challenge;
    const char *challenge_method;
    int prompt_none, prompt_login, prompt_consent;
    apr_int64_t max_age;  /* -1: not sent */
    const char *hint_sub; /* the sub of a valid id_token_hint */
    const char *login_hint;
    int acr_level;     /* the level acr_values or the claims request asks for, 0: none */
    int acr_essential; /* the level an essential acr needs (claims request), 0: none */
    int acr_unknown;   /* ... with values none of which this provider reaches */
    int upstream;      /* OIDCIdPUpstreamAuth here (oidp_upstream_e) */
    oidp_browser_t *b;
    /* what the steps decided, for the edge (src/endpoints/authorize.c) */
    int fresh;      /* the user has just signed in */
    int consenting; /* the consent page of this request and login was
                     * answered with allow (its one-time token) */
    oidp_az_show_e show;
    const char *login_error; /* OIDP_AZ_SHOW_LOGIN: the message, the username */
    const char *login_username;
    apr_array_header_t *wanted; /* OIDP_AZ_SHOW_CONSENT: the scopes asked for */
    oidp_params_t *response;    /* OIDP_AZ_SHOW_CODE: the response parameters */
    int error_page;             /* an error is a page for a person, not a redirect */
    const char *desc;           /* the error's description (a sentence on a page) */
} oidp_authz_t;

/* src/authorize_request.c */
/* Reads the parameters (the query of a GET, the form body of a POST). The
 * parse error, if any, is kept for check_request: client_id and
 * redirect_uri are judged first. */
oidp_err_t oidp_authorize_request_read(oidp_authz_t *a, const char **desc);
/* client_id and redirect_uri; the error and a sentence for a person when
 * either is wrong (a page, never a redirect). */
oidp_err_t oidp_authorize_request_client(oidp_authz_t *a, const char **desc);
/* response_mode, then everything else; errors go back to the client. */
oidp_err_t oidp_authorize_request_check(oidp_authz_t *a, oidp_err_t parse_err,
                                        const char *parse_desc, const char **desc);

/* src/authorize_pages.c */
int oidp_authorize_pages_login(oidp_authz_t *a, const char *error, const char *username);
/* The consent page carries a one-time token kept in the browser session
 * (src/httpd/session.c), bound to this digest of the login session and
 * every request field the page posts back: "allow" counts only with it. */
int oidp_authorize_pages_consent(oidp_authz_t *a, apr_array_header_t *wanted);
const char *oidp_authorize_pages_binding(oidp_authz_t *a);

#endif /* OIDP_AUTHORIZE_H */
