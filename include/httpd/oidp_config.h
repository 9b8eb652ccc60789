/*
 * Server (virtual host) configuration: one issuer per server, inherited by
 * virtual hosts that do not set their own. Directive setters live in
 * src/config.c; the directive table itself is in mod_oidc_idp.c.
 */
#ifndef OIDP_CONFIG_H
#define OIDP_CONFIG_H

#include <httpd.h>
#include <http_config.h>
#include <ap_expr.h>
#include "oidp_jose.h"
#include "oidp_metadata.h"
#include "oidp_mint.h"
#include "oidp_throttle.h"
#include "oidp_tpl.h"

#define OIDP_UNSET -1

/* Built once per server at post_config, read-only afterwards (shared by
 * all threads without locks). */
typedef struct oidp_runtime_t {
    const oidp_keyset_t *keys;
    const char *origin;                       /* scheme://host[:port] */
    const char *endpoint_url[OIDP_EP__COUNT]; /* absolute URLs */
    const char *discovery_json;
    apr_size_t discovery_len;
    const char *jwks_json;
    apr_size_t jwks_len;
    oidp_mint_t mint; /* issuer, keys, audience, lifetimes */
} oidp_runtime_t;

struct oidp_tpl_t;

typedef struct oidp_cfg_t {
    const char *issuer;                   /* OIDCIdPIssuer */
    const char *issuer_where;             /* its FILE:LINE, for start-up messages */
    const char *keys_where;               /* FILE:LINE of the first OIDCIdPSigningKey */
    apr_array_header_t *keys;             /* OIDCIdPSigningKey: oidp_key_t *, loaded
                                               when the directive is read */
    int access_token_ttl;                 /* OIDCIdPAccessTokenLifetime */
    int id_token_ttl;                     /* OIDCIdPIDTokenLifetime */
    int refresh_token_ttl;                /* OIDCIdPRefreshTokenLifetime */
    int refresh_token_max_ttl;            /* OIDCIdPRefreshTokenMaxLifetime */
    int code_ttl;                         /* OIDCIdPCodeLifetime */
    int session_ttl;                      /* OIDCIdPSessionLifetime */
    int allow_plain_pkce;                 /* OIDCIdPAllowPlainPKCE */
    int bearer_in_query;                  /* OIDCIdPBearerInQuery: 1 Casdoor, 0 Off */
    struct oidp_tpl_t *login_template;    /* OIDCIdPLoginTemplate, compiled */
    const char *access_token_audience;    /* OIDCIdPAccessTokenAudience */
    const char *endpoint[OIDP_EP__COUNT]; /* OIDCIdPEndpoint name path */
    apr_off_t max_body;                   /* OIDCIdPMaxRequestBody */
    int throttle;                         /* OIDCIdPThrottle */
    int throttle_free;                    /* OIDCIdPThrottleFreeAttempts */
    int throttle_max_delay;               /* OIDCIdPThrottleMaxDelay */
    int throttle_window;                  /* OIDCIdPThrottleWindow */
    apr_array_header_t *throttle_exempt;  /* OIDCIdPThrottleExempt: apr_ipsubnet_t * */
    const char *audit_log;                /* OIDCIdPAuditLog: a file, "|program" or "off" */
    apr_int64_t purge_interval;           /* OIDCIdPPurgeInterval: seconds, 0 Off (main server) */
    struct apr_file_t *audit_fd;          /* not merged: opened at post_config */
    oidp_runtime_t *rt;                   /* not merged: set at post_config */
} oidp_cfg_t;

/* Defaults, applied by the getters so that inheritance works. */
#define OIDP_DEFAULT_ACCESS_TOKEN_TTL 3600
#define OIDP_DEFAULT_ID_TOKEN_TTL 3600
#define OIDP_DEFAULT_REFRESH_TOKEN_TTL 2592000
#define OIDP_DEFAULT_REFRESH_TOKEN_MAX_TTL 7776000
#define OIDP_DEFAULT_CODE_TTL 60
#define OIDP_DEFAULT_SESSION_TTL 86400
#define OIDP_DEFAULT_MAX_BODY 65536
#define OIDP_MAX_TTL 31536000
#define OIDP_DEFAULT_THROTTLE_FREE 5
#define OIDP_DEFAULT_THROTTLE_MAX_DELAY 300
#define OIDP_DEFAULT_THROTTLE_WINDOW 900
#define OIDP_DEFAULT_PURGE_INTERVAL 3600

/* Per-directory configuration: what the <Location> of the authorization
 * endpoint says about where users come from (src/httpd/authn.c). */
typedef struct oidp_authn_src_t {
    const char *name;     /* as written in OIDCIdPAuthnProvider */
    const void *provider; /* its authn_provider (mod_auth.h); NULL: this module's table */
} oidp_authn_src_t;

typedef struct oidp_claim_map_t {
    const char *claim;          /* a claim oidp_claims_map_check accepts */
    const ap_expr_info_t *expr; /* a string expression, evaluated after the provider said yes */
} oidp_claim_map_t;

/* OIDCIdPUpstreamAuth */
typedef enum {
    OIDP_UPSTREAM_OFF = 0,
    OIDP_UPSTREAM_ON,
    OIDP_UPSTREAM_OPTIONAL
} oidp_upstream_e;

typedef struct oidp_dir_cfg_t {
    apr_array_header_t *providers; /* OIDCIdPAuthnProvider: oidp_authn_src_t, NULL: unset */
    apr_array_header_t *claims;    /* OIDCIdPClaim: oidp_claim_map_t, NULL: unset */
    int upstream;                  /* OIDCIdPUpstreamAuth: oidp_upstream_e, OIDP_UNSET */
} oidp_dir_cfg_t;

/* The name of this module's own user table in OIDCIdPAuthnProvider (its
 * rows have source ''); the default when the directive is absent. */
#define OIDP_AUTHN_LOCAL "local"

void *oidp_cfg_dir_create(apr_pool_t *p, char *dir);
void *oidp_cfg_dir_merge(apr_pool_t *p, void *base, void *add);
const char *oidp_cmd_authn_provider(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_claim(cmd_parms *cmd, void *dcfg, const char *claim, const char *expr);
const char *oidp_cmd_upstream_auth(cmd_parms *cmd, void *dcfg, const char *arg);
/* OIDCIdPUpstreamAuth of this directory (oidp_upstream_e), Off when unset. */
int oidp_cfg_upstream(const oidp_dir_cfg_t *d);

void *oidp_cfg_server_create(apr_pool_t *p, server_rec *s);
void *oidp_cfg_server_merge(apr_pool_t *p, void *base, void *add);

const char *oidp_cmd_issuer(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_signing_key(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_lifetime(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_audience(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_endpoint(cmd_parms *cmd, void *dcfg, const char *name, const char *path);
const char *oidp_cmd_max_body(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_login_template(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_plain_pkce(cmd_parms *cmd, void *dcfg, int on);
const char *oidp_cmd_bearer_in_query(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_throttle(cmd_parms *cmd, void *dcfg, int on);
const char *oidp_cmd_throttle_number(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_throttle_exempt(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_audit_log(cmd_parms *cmd, void *dcfg, const char *arg);
const char *oidp_cmd_purge_interval(cmd_parms *cmd, void *dcfg, const char *arg);

/* cmd->info values of oidp_cmd_throttle_number */
#define OIDP_THROTTLE_FREE ((void *)1)
#define OIDP_THROTTLE_MAX_DELAY ((void *)2)
#define OIDP_THROTTLE_WINDOW ((void *)3)

/* cmd->info values of oidp_cmd_lifetime */
#define OIDP_TTL_ACCESS_TOKEN ((void *)1)
#define OIDP_TTL_ID_TOKEN ((void *)2)
#define OIDP_TTL_REFRESH_TOKEN ((void *)3)
#define OIDP_TTL_CODE ((void *)4)
#define OIDP_TTL_SESSION ((void *)5)
#define OIDP_TTL_REFRESH_TOKEN_MAX ((void *)6)

const char *oidp_cfg_endpoint_name(oidp_endpoint_e ep);
const char *oidp_cfg_endpoint_path(const oidp_cfg_t *c, oidp_endpoint_e ep);
int oidp_cfg_access_token_ttl(const oidp_cfg_t *c);
int oidp_cfg_id_token_ttl(const oidp_cfg_t *c);
int oidp_cfg_refresh_token_ttl(const oidp_cfg_t *c);
int oidp_cfg_refresh_token_max_ttl(const oidp_cfg_t *c);
int oidp_cfg_code_ttl(const oidp_cfg_t *c);
int oidp_cfg_session_ttl(const oidp_cfg_t *c);
int oidp_cfg_allow_plain_pkce(const oidp_cfg_t *c);
apr_off_t oidp_cfg_max_body(const oidp_cfg_t *c);
/* May a bearer token come in the query string (?access_token=, Casdoor's
 * ?accessToken=)? 1 for Casdoor-dialect clients' tokens (the default), 0 for none. */
int oidp_cfg_bearer_in_query(const oidp_cfg_t *c);
/* Whether guessing is throttled here (default On), and the policy. */
int oidp_cfg_throttle(const oidp_cfg_t *c);
oidp_throttle_policy_t oidp_cfg_throttle_policy(const oidp_cfg_t *c);
/* Seconds between two purges of expired rows by mod_watchdog (default 1h),
 * 0 for Off; read from the main server. */
int oidp_cfg_purge_interval(const oidp_cfg_t *c);
/* The audit log's target, NULL when off (the default). */
const char *oidp_cfg_audit_log(const oidp_cfg_t *c);

/* Validates an issuer identifier (OIDC Discovery 3, RFC 8414 2): https URL
 * with a host and no query or fragment; http is accepted only for a loopback
 * host. Returns NULL or a static reason. Pure. */
const char *oidp_cfg_check_issuer(apr_pool_t *p, const char *issuer, const char **origin);

#endif /* OIDP_CONFIG_H */
