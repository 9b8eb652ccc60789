/*
 * The grants of the token endpoint, one function per grant type
 * (src/endpoints/grant.c), dispatched by src/endpoints/token.c. Each grant
 * validates its own parameters and decides what is issued; the endpoint
 * then mints, records and sends the tokens, or renders the grant's error.
 */
#ifndef OIDP_GRANT_H
#define OIDP_GRANT_H

#include <httpd.h>
#include <apr_hash.h>
#include "oidp_config.h"
#include "oidp_error.h"
#include "oidp_mint.h"
#include "oidp_store.h"

typedef struct oidp_token_req_t {
    request_rec *r;
    const oidp_cfg_t *cfg;
    oidp_db_t *db;
    const oidp_client_t *client; /* authenticated */
    apr_hash_t *params;
    const char *desc; /* why, when a step fails: for the edge to send */
} oidp_token_req_t;

/* OIDP_OK with *is filled, or the error (t->desc says why). */
oidp_err_t oidp_grant_authorization_code(oidp_token_req_t *t, oidp_issue_t *is);
oidp_err_t oidp_grant_refresh_token(oidp_token_req_t *t, oidp_issue_t *is);
oidp_err_t oidp_grant_client_credentials(oidp_token_req_t *t, oidp_issue_t *is);

#endif /* OIDP_GRANT_H */
