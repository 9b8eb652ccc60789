/*
 * Support for the unit tests of src/httpd: fakes of the httpd structures
 * the httpd-facing code reads (request_rec, server_rec, cmd_parms), and
 * what the stubbed httpd functions (stub.c) recorded.
 */
#ifndef OIDP_UNIT_HTTPD_H
#define OIDP_UNIT_HTTPD_H

#include <httpd.h>
#include <http_config.h>

#include "unit.h"

/* Fakes: a server with a module_config vector holding cfg for
 * oidc_idp_module, a request on that server, and cmd_parms for a
 * directive named name with cmd->info = info. */
server_rec *ut_server(apr_pool_t *p, void *cfg);
request_rec *ut_request(apr_pool_t *p, server_rec *s);
cmd_parms *ut_cmd(apr_pool_t *p, server_rec *s, const char *name, void *info);

/* What the stubbed ap_rwrite wrote for the current test (stub.c). */
const char *ut_response_body(void);
void ut_response_reset(void);

/* The last message logged through the stubbed ap_log_error/ap_log_rerror
 * (formatted), and forgetting it. */
const char *ut_log_last(void);
void ut_log_reset(void);

#endif /* OIDP_UNIT_HTTPD_H */
