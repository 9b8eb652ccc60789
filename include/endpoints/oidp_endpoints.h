/*
 * The endpoint handlers (one file each under src/endpoints/). The dispatcher in mod_oidc_idp.c maps handler names to these.
 */
#ifndef OIDP_ENDPOINTS_H
#define OIDP_ENDPOINTS_H

#include <httpd.h>
#include "oidc_idp.h"
#include "oidp_config.h"

/* src/discovery.c */
int oidp_discovery_handle(request_rec *r, const oidp_cfg_t *c);

/* src/jwks.c */
int oidp_jwks_handle(request_rec *r, const oidp_cfg_t *c);

/* src/token.c */
int oidp_token_handle(request_rec *r, const oidp_cfg_t *c);

/* src/token.c: Casdoor's /api/login/oauth/refresh_token */
int oidp_token_refresh_handle(request_rec *r, const oidp_cfg_t *c);

/* src/authorize.c */
int oidp_authorize_handle(request_rec *r, const oidp_cfg_t *c);

/* src/userinfo.c */
int oidp_userinfo_handle(request_rec *r, const oidp_cfg_t *c);

/* src/account.c: Casdoor's /api/get-account */
int oidp_account_handle(request_rec *r, const oidp_cfg_t *c);

/* src/logout.c */
int oidp_logout_handle(request_rec *r, const oidp_cfg_t *c);

/* src/introspect.c */
int oidp_introspect_handle(request_rec *r, const oidp_cfg_t *c);

/* src/revoke.c */
int oidp_revoke_handle(request_rec *r, const oidp_cfg_t *c);

#endif /* OIDP_ENDPOINTS_H */
