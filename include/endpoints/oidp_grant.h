/*
 * The grants of the token endpoint (src/token.c dispatches, one function
 * per grant type). Each validates its own parameters and answers with
 * oidp_tokens_respond or oidp_error_json.
 */
#ifndef OIDP_GRANTS_H
#define OIDP_GRANTS_H

#include <httpd.h>
#include <apr_hash.h>
#include "oidp_config.h"
#include "oidp_store.h"

typedef struct oidp_token_req_t {
    request_rec *r;
    const oidp_cfg_t *cfg;
    oidp_db_t *db;
    const oidp_client_t *client; /* authenticated */
    apr_hash_t *params;
} oidp_token_req_t;

/* src/token.c */
int oidp_grant_client_credentials(oidp_token_req_t *t);
/* src/grants.c */
int oidp_grant_authorization_code(oidp_token_req_t *t);
int oidp_grant_refresh_token(oidp_token_req_t *t);

#endif /* OIDP_GRANTS_H */
