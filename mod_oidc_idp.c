/*
 * mod_oidc_idp: an OpenID Provider inside Apache httpd.
 *
 * The front door: the module record, the directive table, the hooks and the
 * table of handlers. Everything else lives in src/ (one file per endpoint
 * or concern), declared in include/.
 *
 *   LoadModule dbd_module      modules/mod_dbd.so
 *   LoadModule oidc_idp_module modules/mod_oidc_idp.so
 *   OIDCIdPIssuer     https://idp.example.com
 *   OIDCIdPSigningKey /etc/apache2/oidc-idp/signing.pem
 *   <Location /api/login/oauth/access_token>
 *       SetHandler oidc-idp-token
 *   </Location>
 */
#include <stdlib.h>
#include <string.h>

#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <http_request.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_config.h"
#include "oidp_endpoints.h"
#include "oidp_error.h"
#include "oidp_purge.h"
#include "oidp_startup.h"
#include "oidp_status.h"

#define OIDP_M(m) (AP_METHOD_BIT << (m))
#define OIDP_GET OIDP_M(M_GET)
#define OIDP_POST OIDP_M(M_POST)

typedef struct oidp_route_t {
    const char *handler; /* SetHandler name */
    apr_int64_t methods; /* allowed methods (HEAD goes with GET) */
    int cors;            /* Access-Control-Allow-Origin: * (no credentials) */
    oidp_handler_fn *fn;
} oidp_route_t;

static const oidp_route_t routes[] = {
    {"oidc-idp-discovery", OIDP_GET, 1, oidp_discovery_handle},
    {"oidc-idp-jwks", OIDP_GET, 1, oidp_jwks_handle},
    {"oidc-idp-authorize", OIDP_GET | OIDP_POST, 0, oidp_authorize_handle},
    {"oidc-idp-token", OIDP_POST, 1, oidp_token_handle},
    {"oidc-idp-refresh", OIDP_POST, 1, oidp_token_refresh_handle},
    {"oidc-idp-userinfo", OIDP_GET | OIDP_POST, 1, oidp_userinfo_handle},
    {"oidc-idp-account", OIDP_GET, 1, oidp_account_handle},
    {"oidc-idp-introspect", OIDP_POST, 0, oidp_introspect_handle},
    {"oidc-idp-revoke", OIDP_POST, 1, oidp_revoke_handle},
    {"oidc-idp-logout", OIDP_GET | OIDP_POST, 0, oidp_logout_handle},
};

/* CORS preflight and plain OPTIONS: what the endpoint allows, no body. */
static int options(request_rec *r, const oidp_route_t *rt)
{
    const char *allow = (rt->methods & OIDP_GET) && (rt->methods & OIDP_POST)
                            ? "GET, HEAD, POST, OPTIONS"
                        : (rt->methods & OIDP_GET) ? "GET, HEAD, OPTIONS"
                                                   : "POST, OPTIONS";

    apr_table_setn(r->headers_out, "Allow", allow);
    if (rt->cors) {
        apr_table_setn(r->headers_out, "Access-Control-Allow-Methods", allow);
        apr_table_setn(r->headers_out, "Access-Control-Allow-Headers",
                       "Authorization, Content-Type");
        apr_table_setn(r->headers_out, "Access-Control-Max-Age", "600");
    }
    r->status = HTTP_NO_CONTENT;
    return OK;
}

static int oidp_handler(request_rec *r)
{
    const oidp_cfg_t *c;
    const oidp_route_t *rt = NULL;
    apr_time_t t0;
    size_t i;
    int status;

    if (!r->handler || strncmp(r->handler, "oidc-idp-", 9) != 0) {
        return DECLINED;
    }
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].handler, r->handler) == 0) {
            rt = &routes[i];
            break;
        }
    }
    if (!rt) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, OIDP_LOGNO(00007) "unknown handler %s",
                      r->handler);
        return DECLINED;
    }
    c = ap_get_module_config(r->server->module_config, &oidc_idp_module);
    r->allowed = rt->methods | OIDP_M(M_OPTIONS);
    if (rt->cors) {
        apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", "*");
    }
    if (!c->rt) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OIDP_LOGNO(00008) "%s is mapped in a server without OIDCIdPIssuer",
                      r->handler);
        return oidp_error_json(r, OIDP_ERR_NOT_FOUND, "no OpenID Provider here");
    }
    if (r->method_number == M_OPTIONS) {
        return options(r, rt);
    }
    if (!(rt->methods & OIDP_M(r->method_number)) || r->method_number == M_INVALID) {
        return oidp_error_json(r, OIDP_ERR_METHOD_NOT_ALLOWED, "method not allowed");
    }
    t0 = apr_time_now();
    status = rt->fn(r, c);
    oidp_status_latency(rt->handler, apr_time_now() - t0);
    return status;
}

static int oidp_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    int rv = oidp_startup_post_config(pconf, ptemp, s);

    (void)plog;
    if (rv == OK) {
        rv = oidp_status_init(pconf, s);
    }
    if (rv == OK) {
        rv = oidp_purge_init(pconf, s);
    }
    return rv == OK ? oidp_audit_open(pconf, s) : rv;
}

/* apachectl configtest: post_config does not run, so the checks that need
 * the whole configuration run here too. */
static void oidp_test_config(apr_pool_t *pconf, server_rec *s)
{
    const char *err = oidp_startup_check(pconf, s);

    if (!err) {
        err = oidp_startup_check_schema(pconf, s);
    }
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OIDP_LOGNO(00009) "%s", err);
        exit(1);
    }
}

static void oidp_child_init(apr_pool_t *pchild, server_rec *s)
{
    oidp_startup_child_init(pchild, s);
}

static void oidp_register_hooks(apr_pool_t *p)
{
    /* mod_dbd's child_init makes the connection pools the schema check uses */
    static const char *const after_dbd[] = {"mod_dbd.c", NULL};

    (void)p;
    ap_hook_post_config(oidp_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(oidp_child_init, after_dbd, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(oidp_test_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(oidp_handler, NULL, NULL, APR_HOOK_MIDDLE);
    oidp_status_register();
}

static const command_rec oidp_cmds[] = {
    AP_INIT_TAKE1("OIDCIdPIssuer", oidp_cmd_issuer, NULL, RSRC_CONF,
                  "The issuer identifier: an https URL without query or fragment"),
    AP_INIT_ITERATE("OIDCIdPSigningKey", oidp_cmd_signing_key, NULL, RSRC_CONF,
                    "PEM key files (RSA >= 2048, EC P-256, Ed25519); the first signs, all are "
                    "published"),
    AP_INIT_TAKE1("OIDCIdPAccessTokenLifetime", oidp_cmd_lifetime, OIDP_TTL_ACCESS_TOKEN, RSRC_CONF,
                  "Access token lifetime (seconds, or with s/m/h/d); default 3600"),
    AP_INIT_TAKE1("OIDCIdPIDTokenLifetime", oidp_cmd_lifetime, OIDP_TTL_ID_TOKEN, RSRC_CONF,
                  "ID token lifetime; default 3600"),
    AP_INIT_TAKE1("OIDCIdPRefreshTokenLifetime", oidp_cmd_lifetime, OIDP_TTL_REFRESH_TOKEN,
                  RSRC_CONF, "Refresh token lifetime; default 30d"),
    AP_INIT_TAKE1("OIDCIdPRefreshTokenMaxLifetime", oidp_cmd_lifetime, OIDP_TTL_REFRESH_TOKEN_MAX,
                  RSRC_CONF,
                  "Absolute refresh lifetime of a grant, from the user's authentication; "
                  "default 90d"),
    AP_INIT_TAKE1("OIDCIdPCodeLifetime", oidp_cmd_lifetime, OIDP_TTL_CODE, RSRC_CONF,
                  "Authorization code lifetime, at most 600 seconds; default 60"),
    AP_INIT_TAKE1("OIDCIdPAccessTokenAudience", oidp_cmd_audience, NULL, RSRC_CONF,
                  "The aud claim of access tokens; default: the client_id"),
    AP_INIT_TAKE2("OIDCIdPEndpoint", oidp_cmd_endpoint, NULL, RSRC_CONF,
                  "An endpoint name and the path (or URL) advertised for it in discovery"),
    AP_INIT_TAKE1("OIDCIdPMaxRequestBody", oidp_cmd_max_body, NULL, RSRC_CONF,
                  "Largest accepted request body in bytes; default 65536"),
    AP_INIT_TAKE1("OIDCIdPSessionLifetime", oidp_cmd_lifetime, OIDP_TTL_SESSION, RSRC_CONF,
                  "How long a login lasts before the user must sign in again; default 24h"),
    AP_INIT_TAKE1("OIDCIdPLoginTemplate", oidp_cmd_login_template, NULL, RSRC_CONF,
                  "An HTML file replacing the login page ({{placeholders}} documented in "
                  "conf/oidc_idp.conf.example)"),
    AP_INIT_FLAG("OIDCIdPAllowPlainPKCE", oidp_cmd_plain_pkce, NULL, RSRC_CONF,
                 "Accept code_challenge_method=plain (RFC 7636); default Off"),
    AP_INIT_TAKE1("OIDCIdPBearerInQuery", oidp_cmd_bearer_in_query, NULL, RSRC_CONF,
                  "Bearer tokens in the query string: Casdoor (for Casdoor-dialect clients' "
                  "tokens) or Off; default Casdoor"),
    AP_INIT_FLAG("OIDCIdPThrottle", oidp_cmd_throttle, NULL, RSRC_CONF,
                 "Slow down password and client secret guessing; default On"),
    AP_INIT_TAKE1("OIDCIdPThrottleFreeAttempts", oidp_cmd_throttle_number, OIDP_THROTTLE_FREE,
                  RSRC_CONF, "Failures per account, client or address before delays; default 5"),
    AP_INIT_TAKE1("OIDCIdPThrottleMaxDelay", oidp_cmd_throttle_number, OIDP_THROTTLE_MAX_DELAY,
                  RSRC_CONF, "The longest wait after a failure (doubling from 1 s); default 5m"),
    AP_INIT_TAKE1("OIDCIdPThrottleWindow", oidp_cmd_throttle_number, OIDP_THROTTLE_WINDOW,
                  RSRC_CONF, "Failures are forgotten this long after the last; default 15m"),
    AP_INIT_ITERATE("OIDCIdPThrottleExempt", oidp_cmd_throttle_exempt, NULL, RSRC_CONF,
                    "Client addresses or networks (addr/bits) never throttled; default none"),
    AP_INIT_TAKE1("OIDCIdPAuditLog", oidp_cmd_audit_log, NULL, RSRC_CONF,
                  "Security events as JSON lines: a file, \"|program\" or off; default off"),
    AP_INIT_TAKE1("OIDCIdPPurgeInterval", oidp_cmd_purge_interval, NULL, RSRC_CONF,
                  "How often one process deletes expired codes, tokens, sessions and counters "
                  "(mod_watchdog), or Off; main server only; default 1h"),
    AP_INIT_ITERATE("OIDCIdPAuthnProvider", oidp_cmd_authn_provider, NULL, RSRC_CONF | ACCESS_CONF,
                    "Authn providers that check the login form's passwords, in turn, as "
                    "AuthBasicProvider (local: this module's user table); default local"),
    AP_INIT_TAKE2("OIDCIdPClaim", oidp_cmd_claim, NULL, RSRC_CONF | ACCESS_CONF,
                  "A claim of users signed in by an authn provider and its ap_expr string "
                  "(e.g. email %{reqenv:AUTHENTICATE_MAIL}); default none"),
    AP_INIT_TAKE1("OIDCIdPUpstreamAuth", oidp_cmd_upstream_auth, NULL, RSRC_CONF | ACCESS_CONF,
                  "Off, On (only users another Apache module authenticated sign in) or "
                  "Optional (they sign in without a page, others get the login form); "
                  "default Off"),
    {NULL},
};

OIDP_EXPORT module AP_MODULE_DECLARE_DATA oidc_idp_module = {
    STANDARD20_MODULE_STUFF,
    oidp_cfg_dir_create, /* per-directory config: where users come from (authorize) */
    oidp_cfg_dir_merge,
    oidp_cfg_server_create, /* per-server config */
    oidp_cfg_server_merge,
    oidp_cmds,
    oidp_register_hooks,
    AP_MODULE_FLAG_NONE,
};
