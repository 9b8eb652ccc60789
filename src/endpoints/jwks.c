/*
 * The JSON Web Key Set (RFC 7517 5): public members of every configured
 * signing key, built once per server at start-up (src/jose.c) and served
 * from memory.
 */
#include "oidp_endpoints.h"
#include "oidp_http.h"

#define OIDP_JWKS_MAX_AGE 3600

int oidp_jwks_handle(request_rec *r, const oidp_cfg_t *c)
{
    apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", "*");
    return oidp_http_send_json(r, HTTP_OK, c->rt->jwks_json, c->rt->jwks_len, 0, OIDP_JWKS_MAX_AGE);
}
