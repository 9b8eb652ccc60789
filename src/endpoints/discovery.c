/*
 * The discovery document (OpenID Connect Discovery 1.0, RFC 8414), built
 * once per server at start-up (src/core/metadata.c, src/httpd/startup.c)
 * and served from memory.
 */
#include "oidp_endpoints.h"
#include "oidp_http.h"

#define OIDP_METADATA_MAX_AGE 3600

int oidp_discovery_handle(request_rec *r, const oidp_cfg_t *c)
{
    apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", "*");
    return oidp_http_send_json(r, HTTP_OK, c->rt->discovery_json, c->rt->discovery_len, 0,
                               OIDP_METADATA_MAX_AGE);
}
