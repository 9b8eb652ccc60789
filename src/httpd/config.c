/*
 * Server configuration: create, merge, directive setters and getters with
 * defaults. What is checked and built at start-up is in src/httpd/startup.c.
 */
#include <ctype.h>
#include <string.h>

#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <httpd.h>
#include <http_log.h>
#include <ap_provider.h>
#include <mod_auth.h>

#include "oidc_idp.h"
#include "oidp_claims.h"
#include "oidp_config.h"
#include "oidp_dbd.h"
#include "oidp_tpl.h"

static const char *const endpoint_names[OIDP_EP__COUNT] = {
    "authorization", "token", "userinfo", "jwks", "introspection", "revocation", "end_session",
};

/* Casdoor's paths where Casdoor has the endpoint, so that a migrated
 * deployment advertises the same URLs; the short standard paths otherwise. */
static const char *const endpoint_defaults[OIDP_EP__COUNT] = {
    "/login/oauth/authorize",
    "/api/login/oauth/access_token",
    "/api/userinfo",
    "/.well-known/jwks",
    "/api/login/oauth/introspect",
    "/revoke",
    "/api/logout",
};

void *oidp_cfg_server_create(apr_pool_t *p, server_rec *s)
{
    oidp_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->access_token_ttl = OIDP_UNSET;
    c->id_token_ttl = OIDP_UNSET;
    c->refresh_token_ttl = OIDP_UNSET;
    c->refresh_token_max_ttl = OIDP_UNSET;
    c->code_ttl = OIDP_UNSET;
    c->session_ttl = OIDP_UNSET;
    c->allow_plain_pkce = OIDP_UNSET;
    c->max_body = OIDP_UNSET;
    c->bearer_in_query = OIDP_UNSET;
    c->throttle = OIDP_UNSET;
    c->throttle_free = OIDP_UNSET;
    c->throttle_max_delay = OIDP_UNSET;
    c->throttle_window = OIDP_UNSET;
    c->purge_interval = OIDP_UNSET;
    return c;
}

#define MERGE_PTR(f) (add->f ? add->f : base->f)
#define MERGE_INT(f) (add->f != OIDP_UNSET ? add->f : base->f)

void *oidp_cfg_server_merge(apr_pool_t *p, void *basev, void *addv)
{
    const oidp_cfg_t *base = basev;
    const oidp_cfg_t *add = addv;
    oidp_cfg_t *c = apr_pcalloc(p, sizeof(*c));
    int i;

    c->issuer = MERGE_PTR(issuer);
    c->issuer_where = MERGE_PTR(issuer_where);
    c->keys_where = MERGE_PTR(keys_where);
    c->keys = MERGE_PTR(keys);
    c->access_token_ttl = MERGE_INT(access_token_ttl);
    c->id_token_ttl = MERGE_INT(id_token_ttl);
    c->refresh_token_ttl = MERGE_INT(refresh_token_ttl);
    c->refresh_token_max_ttl = MERGE_INT(refresh_token_max_ttl);
    c->code_ttl = MERGE_INT(code_ttl);
    c->session_ttl = MERGE_INT(session_ttl);
    c->allow_plain_pkce = MERGE_INT(allow_plain_pkce);
    c->login_template = MERGE_PTR(login_template);
    c->access_token_audience = MERGE_PTR(access_token_audience);
    for (i = 0; i < OIDP_EP__COUNT; i++) {
        c->endpoint[i] = MERGE_PTR(endpoint[i]);
    }
    c->max_body = MERGE_INT(max_body);
    c->bearer_in_query = MERGE_INT(bearer_in_query);
    c->throttle = MERGE_INT(throttle);
    c->throttle_free = MERGE_INT(throttle_free);
    c->throttle_max_delay = MERGE_INT(throttle_max_delay);
    c->throttle_window = MERGE_INT(throttle_window);
    c->throttle_exempt = MERGE_PTR(throttle_exempt);
    c->audit_log = MERGE_PTR(audit_log);
    c->purge_interval = MERGE_INT(purge_interval);
    c->audit_fd = NULL; /* opened per server at post_config */
    c->rt = NULL;       /* built per server at post_config */
    return c;
}

static oidp_cfg_t *cfg_of(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &oidc_idp_module);
}

/* "FILE:LINE" of the directive being read */
static const char *where(cmd_parms *cmd)
{
    return cmd->directive && cmd->directive->filename
               ? apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                              cmd->directive->line_num)
               : "(unknown place)";
}

/* ------------------------------------------------------------------ */
/* directive setters */

const char *oidp_cfg_check_issuer(apr_pool_t *p, const char *issuer, const char **origin)
{
    apr_uri_t u;
    const char *h;

    const char *q;

    for (q = issuer; *q; q++) {
        /* RFC 3986 characters only: no spaces, quotes, angle brackets... */
        if (*q <= 0x20 || *q >= 0x7f || strchr("\"<>\\^`{|}", *q)) {
            return "must be a URL of RFC 3986 characters (no spaces, quotes or brackets)";
        }
    }
    if (apr_uri_parse(p, issuer, &u) != APR_SUCCESS || !u.scheme || !u.hostname || !*u.hostname) {
        return "must be an absolute URL such as https://idp.example.com";
    }
    if (u.port_str && (!*u.port_str || u.port == 0 || apr_atoi64(u.port_str) > 65535)) {
        return "has an invalid port";
    }
    if (u.query || u.fragment || strchr(issuer, '?') || strchr(issuer, '#')) {
        return "must not have a query or a fragment";
    }
    if (u.user || u.password) {
        return "must not carry user information";
    }
    h = u.hostname;
    if (strcasecmp(u.scheme, "https") != 0) {
        if (strcasecmp(u.scheme, "http") != 0
            || (strcasecmp(h, "localhost") != 0 && strcmp(h, "127.0.0.1") != 0
                && strcmp(h, "::1") != 0)) {
            return "must use https (http is accepted only for localhost, 127.0.0.1 and ::1)";
        }
    }
    if (origin) {
        *origin = apr_pstrcat(p, u.scheme, "://", u.hostinfo, NULL);
    }
    return NULL;
}

const char *oidp_cmd_issuer(cmd_parms *cmd, void *dcfg, const char *arg)
{
    const char *why = oidp_cfg_check_issuer(cmd->temp_pool, arg, NULL);
    oidp_cfg_t *c = cfg_of(cmd);

    (void)dcfg;
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, arg, why);
    }
    if (c->issuer) {
        return apr_psprintf(cmd->pool, "%s: set twice for this server", cmd->cmd->name);
    }
    /* mod_dbd gives the connections; the module prepares its statements on
     * each (src/httpd/dbd.c) */
    if (!oidp_dbd_loaded()) {
        return apr_psprintf(cmd->pool,
                            "%s: mod_dbd must be loaded first (LoadModule dbd_module "
                            "modules/mod_dbd.so before this directive)",
                            cmd->cmd->name);
    }
    c->issuer = arg;
    c->issuer_where = where(cmd);
    return NULL;
}

const char *oidp_cmd_signing_key(cmd_parms *cmd, void *dcfg, const char *arg)
{
    oidp_cfg_t *c = cfg_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *err = NULL;
    oidp_key_t *key;
    int i;

    (void)dcfg;
    if (!path) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", cmd->cmd->name, arg);
    }
    if (oidp_jose_key_load(&key, cmd->pool, path, &err) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s: %s", cmd->cmd->name, path, err);
    }
    if (!key->pkey || !key->kid) {
        return apr_psprintf(cmd->pool, "%s: %s: cannot compute the key id", cmd->cmd->name, path);
    }
    if (!c->keys) {
        c->keys = apr_array_make(cmd->pool, 2, sizeof(oidp_key_t *));
        c->keys_where = where(cmd);
    }
    for (i = 0; i < c->keys->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(c->keys, i, oidp_key_t *)->kid, key->kid) == 0) {
            return apr_psprintf(cmd->pool, "%s: %s: the same key is configured twice",
                                cmd->cmd->name, path);
        }
    }
    APR_ARRAY_PUSH(c->keys, oidp_key_t *) = key;
    return NULL;
}

/* "3600", "90s", "15m", "12h", "30d" -> seconds */
static int parse_duration(const char *s)
{
    apr_int64_t v = 0;
    int digits = 0;

    while (isdigit((unsigned char)*s) && v <= OIDP_MAX_TTL) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    if (!digits) {
        return -1;
    }
    switch (*s) {
    case '\0':
    case 's':
        break;
    case 'm':
        v *= 60;
        break;
    case 'h':
        v *= 3600;
        break;
    case 'd':
        v *= 86400;
        break;
    default:
        return -1;
    }
    if (*s && s[1]) {
        return -1;
    }
    return (v >= 1 && v <= OIDP_MAX_TTL) ? (int)v : -1;
}

const char *oidp_cmd_lifetime(cmd_parms *cmd, void *dcfg, const char *arg)
{
    oidp_cfg_t *c = cfg_of(cmd);
    int v = parse_duration(arg);

    (void)dcfg;
    if (v < 0) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a lifetime between 1 second and 365 days "
                            "(seconds, or a number with s, m, h or d)",
                            cmd->cmd->name, arg);
    }
    if (cmd->info == OIDP_TTL_ACCESS_TOKEN) {
        c->access_token_ttl = v;
    }
    else if (cmd->info == OIDP_TTL_ID_TOKEN) {
        c->id_token_ttl = v;
    }
    else if (cmd->info == OIDP_TTL_REFRESH_TOKEN) {
        c->refresh_token_ttl = v;
    }
    else if (cmd->info == OIDP_TTL_SESSION) {
        c->session_ttl = v;
    }
    else if (cmd->info == OIDP_TTL_REFRESH_TOKEN_MAX) {
        c->refresh_token_max_ttl = v;
    }
    else {
        if (v > 600) {
            return apr_psprintf(cmd->pool, "%s: at most 600 seconds (RFC 6749 4.1.2)",
                                cmd->cmd->name);
        }
        c->code_ttl = v;
    }
    return NULL;
}

const char *oidp_cmd_audience(cmd_parms *cmd, void *dcfg, const char *arg)
{
    (void)dcfg;
    if (!*arg) {
        return apr_psprintf(cmd->pool, "%s: must not be empty", cmd->cmd->name);
    }
    cfg_of(cmd)->access_token_audience = arg;
    return NULL;
}

const char *oidp_cmd_endpoint(cmd_parms *cmd, void *dcfg, const char *name, const char *path)
{
    int i;

    (void)dcfg;
    for (i = 0; i < OIDP_EP__COUNT; i++) {
        if (strcasecmp(name, endpoint_names[i]) == 0) {
            break;
        }
    }
    if (i == OIDP_EP__COUNT) {
        return apr_psprintf(cmd->pool,
                            "%s: unknown endpoint '%s' (authorization, token, userinfo, jwks, "
                            "introspection, revocation, end_session)",
                            cmd->cmd->name, name);
    }
    if (path[0] != '/' && strncasecmp(path, "https://", 8) != 0
        && strncasecmp(path, "http://", 7) != 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a path starting with / or an absolute URL",
                            cmd->cmd->name, path);
    }
    if (strchr(path, '#') || strchr(path, ' ')) {
        return apr_psprintf(cmd->pool, "%s: '%s' must not contain '#' or spaces", cmd->cmd->name,
                            path);
    }
    cfg_of(cmd)->endpoint[i] = path;
    return NULL;
}

const char *oidp_cmd_max_body(cmd_parms *cmd, void *dcfg, const char *arg)
{
    char *end = NULL;
    apr_off_t v = 0;

    (void)dcfg;
    if (apr_strtoff(&v, arg, &end, 10) != APR_SUCCESS || *end || v < 1024 || v > 16 * 1024 * 1024) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a number of bytes from 1024 to 16777216",
                            cmd->cmd->name, arg);
    }
    cfg_of(cmd)->max_body = v;
    return NULL;
}

const char *oidp_cmd_login_template(cmd_parms *cmd, void *dcfg, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->temp_pool, arg);
    apr_file_t *f;
    apr_finfo_t fi;
    char *src;
    apr_size_t n;
    const char *why;

    (void)dcfg;
    if (!path || apr_file_open(&f, path, APR_FOPEN_READ, 0, cmd->temp_pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot open '%s'", cmd->cmd->name, arg);
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS || fi.size <= 0
        || fi.size > 256 * 1024) {
        apr_file_close(f);
        return apr_psprintf(cmd->pool, "%s: '%s' is empty or larger than 256 KiB", cmd->cmd->name,
                            path);
    }
    n = (apr_size_t)fi.size;
    src = apr_palloc(cmd->pool, n + 1);
    if (apr_file_read_full(f, src, n, &n) != APR_SUCCESS) {
        apr_file_close(f);
        return apr_psprintf(cmd->pool, "%s: cannot read '%s'", cmd->cmd->name, path);
    }
    apr_file_close(f);
    src[n] = '\0';
    why = oidp_tpl_compile(&cfg_of(cmd)->login_template, cmd->pool, src);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: %s: %s", cmd->cmd->name, path, why);
    }
    if (!strstr(src, "{{hidden_fields}}") || !strstr(src, "{{form_action}}")) {
        return apr_psprintf(cmd->pool,
                            "%s: %s: the form needs {{form_action}} and "
                            "{{hidden_fields}}",
                            cmd->cmd->name, path);
    }
    return NULL;
}

const char *oidp_cmd_plain_pkce(cmd_parms *cmd, void *dcfg, int on)
{
    (void)dcfg;
    cfg_of(cmd)->allow_plain_pkce = on ? 1 : 0;
    return NULL;
}

const char *oidp_cmd_bearer_in_query(cmd_parms *cmd, void *dcfg, const char *arg)
{
    (void)dcfg;
    if (strcasecmp(arg, "Casdoor") == 0) {
        cfg_of(cmd)->bearer_in_query = 1;
    }
    else if (strcasecmp(arg, "Off") == 0) {
        cfg_of(cmd)->bearer_in_query = 0;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' must be Casdoor or Off", cmd->cmd->name, arg);
    }
    return NULL;
}

const char *oidp_cmd_throttle(cmd_parms *cmd, void *dcfg, int on)
{
    (void)dcfg;
    cfg_of(cmd)->throttle = on ? 1 : 0;
    return NULL;
}

const char *oidp_cmd_throttle_number(cmd_parms *cmd, void *dcfg, const char *arg)
{
    oidp_cfg_t *c = cfg_of(cmd);
    int v;

    (void)dcfg;
    if (cmd->info == OIDP_THROTTLE_FREE) {
        char *end = NULL;
        apr_int64_t n = apr_strtoi64(arg, &end, 10);
        if (!*arg || *end || n < 1 || n > 1000) {
            return apr_psprintf(cmd->pool, "%s: '%s' must be a number of attempts from 1 to 1000",
                                cmd->cmd->name, arg);
        }
        c->throttle_free = (int)n;
        return NULL;
    }
    v = parse_duration(arg);
    if (cmd->info == OIDP_THROTTLE_MAX_DELAY) {
        if (v < 1 || v > 3600) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' must be a duration from 1 second to 1 hour "
                                "(seconds, or a number with s, m or h)",
                                cmd->cmd->name, arg);
        }
        c->throttle_max_delay = v;
        return NULL;
    }
    if (v < 60 || v > 86400) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' must be a duration from 60 seconds to 1 day "
                            "(seconds, or a number with s, m, h or d)",
                            cmd->cmd->name, arg);
    }
    c->throttle_window = v;
    return NULL;
}

const char *oidp_cmd_throttle_exempt(cmd_parms *cmd, void *dcfg, const char *arg)
{
    oidp_cfg_t *c = cfg_of(cmd);
    char *ip = apr_pstrdup(cmd->pool, arg);
    char *mask = strchr(ip, '/');
    apr_ipsubnet_t *sub = NULL;

    (void)dcfg;
    if (mask) {
        *mask++ = '\0';
    }
    if (apr_ipsubnet_create(&sub, ip, mask, cmd->pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an IP address or a network (addr/bits)",
                            cmd->cmd->name, arg);
    }
    if (!c->throttle_exempt) {
        c->throttle_exempt = apr_array_make(cmd->pool, 2, sizeof(apr_ipsubnet_t *));
    }
    APR_ARRAY_PUSH(c->throttle_exempt, apr_ipsubnet_t *) = sub;
    return NULL;
}

const char *oidp_cmd_audit_log(cmd_parms *cmd, void *dcfg, const char *arg)
{
    (void)dcfg;
    if (!*arg || (arg[0] == '|' && !arg[1 + strspn(arg + 1, " ")])) {
        return apr_psprintf(cmd->pool, "%s: a file, \"|program\" or off", cmd->cmd->name);
    }
    if (cfg_of(cmd)->audit_log) {
        return apr_psprintf(cmd->pool, "%s: set twice for this server", cmd->cmd->name);
    }
    cfg_of(cmd)->audit_log = strcasecmp(arg, "off") == 0 ? "off" : arg;
    return NULL;
}

const char *oidp_cmd_purge_interval(cmd_parms *cmd, void *dcfg, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int v;

    (void)dcfg;
    if (err) {
        return apr_pstrcat(cmd->pool, err, " (one purge serves every virtual host)", NULL);
    }
    if (strcasecmp(arg, "off") == 0) {
        cfg_of(cmd)->purge_interval = 0;
        return NULL;
    }
    v = parse_duration(arg);
    if (v < 1 || v > 86400) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' must be Off or a duration from 1 second to 1 day "
                            "(seconds, or a number with s, m, h or d)",
                            cmd->cmd->name, arg);
    }
    cfg_of(cmd)->purge_interval = v;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* per directory: where users come from */

void *oidp_cfg_dir_create(apr_pool_t *p, char *dir)
{
    oidp_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    (void)dir;
    d->upstream = OIDP_UNSET;
    return d;
}

void *oidp_cfg_dir_merge(apr_pool_t *p, void *basev, void *addv)
{
    const oidp_dir_cfg_t *base = basev;
    const oidp_dir_cfg_t *add = addv;
    oidp_dir_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    /* as AuthBasicProvider: a list set here replaces the inherited one */
    c->providers = MERGE_PTR(providers);
    c->claims = MERGE_PTR(claims);
    c->upstream = add->upstream != OIDP_UNSET ? add->upstream : base->upstream;
    return c;
}

const char *oidp_cmd_authn_provider(cmd_parms *cmd, void *dcfg, const char *arg)
{
    oidp_dir_cfg_t *d = dcfg;
    oidp_authn_src_t *src;
    const authn_provider *ap = NULL;
    int i;

    if (!d->providers) {
        d->providers = apr_array_make(cmd->pool, 2, sizeof(oidp_authn_src_t));
    }
    for (i = 0; i < d->providers->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(d->providers, i, oidp_authn_src_t).name, arg) == 0) {
            return apr_psprintf(cmd->pool, "%s: provider '%s' named twice", cmd->cmd->name, arg);
        }
    }
    if (strcmp(arg, OIDP_AUTHN_LOCAL) != 0) {
        ap = ap_lookup_provider(AUTHN_PROVIDER_GROUP, arg, AUTHN_PROVIDER_VERSION);
        if (!ap) {
            return apr_psprintf(cmd->pool,
                                "%s: unknown authn provider '%s' (\"" OIDP_AUTHN_LOCAL
                                "\" is this module's user table; file, dbm, dbd, ldap, "
                                "socache or an <AuthnProviderAlias> need their module loaded, "
                                "or the alias defined, before this line)",
                                cmd->cmd->name, arg);
        }
        if (!ap->check_password) {
            return apr_psprintf(cmd->pool, "%s: the authn provider '%s' does not check passwords",
                                cmd->cmd->name, arg);
        }
    }
    src = apr_array_push(d->providers);
    src->name = arg;
    src->provider = ap;
    return NULL;
}

const char *oidp_cmd_claim(cmd_parms *cmd, void *dcfg, const char *claim, const char *expr)
{
    oidp_dir_cfg_t *d = dcfg;
    oidp_claim_map_t *m;
    const char *why = oidp_claims_map_check(claim), *err = NULL;
    ap_expr_info_t *e;
    int i;

    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, claim, why);
    }
    if (!d->claims) {
        d->claims = apr_array_make(cmd->pool, 4, sizeof(oidp_claim_map_t));
    }
    for (i = 0; i < d->claims->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(d->claims, i, oidp_claim_map_t).claim, claim) == 0) {
            return apr_psprintf(cmd->pool, "%s: claim '%s' mapped twice", cmd->cmd->name, claim);
        }
    }
    e = ap_expr_parse_cmd(cmd, expr, AP_EXPR_FLAG_STRING_RESULT, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: cannot parse the expression of '%s': %s",
                            cmd->cmd->name, claim, err);
    }
    m = apr_array_push(d->claims);
    m->claim = claim;
    m->expr = e;
    return NULL;
}

const char *oidp_cmd_upstream_auth(cmd_parms *cmd, void *dcfg, const char *arg)
{
    oidp_dir_cfg_t *d = dcfg;

    if (strcasecmp(arg, "Off") == 0) {
        d->upstream = OIDP_UPSTREAM_OFF;
    }
    else if (strcasecmp(arg, "On") == 0) {
        d->upstream = OIDP_UPSTREAM_ON;
    }
    else if (strcasecmp(arg, "Optional") == 0) {
        d->upstream = OIDP_UPSTREAM_OPTIONAL;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not Off, On or Optional", cmd->cmd->name, arg);
    }
    return NULL;
}

int oidp_cfg_upstream(const oidp_dir_cfg_t *d)
{
    return d && d->upstream != OIDP_UNSET ? d->upstream : OIDP_UPSTREAM_OFF;
}

/* ------------------------------------------------------------------ */
/* getters */

const char *oidp_cfg_endpoint_name(oidp_endpoint_e ep)
{
    return endpoint_names[ep];
}

const char *oidp_cfg_endpoint_path(const oidp_cfg_t *c, oidp_endpoint_e ep)
{
    return c->endpoint[ep] ? c->endpoint[ep] : endpoint_defaults[ep];
}

int oidp_cfg_access_token_ttl(const oidp_cfg_t *c)
{
    return c->access_token_ttl != OIDP_UNSET ? c->access_token_ttl : OIDP_DEFAULT_ACCESS_TOKEN_TTL;
}

int oidp_cfg_id_token_ttl(const oidp_cfg_t *c)
{
    return c->id_token_ttl != OIDP_UNSET ? c->id_token_ttl : OIDP_DEFAULT_ID_TOKEN_TTL;
}

int oidp_cfg_refresh_token_ttl(const oidp_cfg_t *c)
{
    return c->refresh_token_ttl != OIDP_UNSET ? c->refresh_token_ttl
                                              : OIDP_DEFAULT_REFRESH_TOKEN_TTL;
}

int oidp_cfg_refresh_token_max_ttl(const oidp_cfg_t *c)
{
    return c->refresh_token_max_ttl != OIDP_UNSET ? c->refresh_token_max_ttl
                                                  : OIDP_DEFAULT_REFRESH_TOKEN_MAX_TTL;
}

int oidp_cfg_code_ttl(const oidp_cfg_t *c)
{
    return c->code_ttl != OIDP_UNSET ? c->code_ttl : OIDP_DEFAULT_CODE_TTL;
}

int oidp_cfg_session_ttl(const oidp_cfg_t *c)
{
    return c->session_ttl != OIDP_UNSET ? c->session_ttl : OIDP_DEFAULT_SESSION_TTL;
}

int oidp_cfg_allow_plain_pkce(const oidp_cfg_t *c)
{
    return c->allow_plain_pkce == 1;
}

apr_off_t oidp_cfg_max_body(const oidp_cfg_t *c)
{
    return c->max_body != OIDP_UNSET ? c->max_body : OIDP_DEFAULT_MAX_BODY;
}

int oidp_cfg_bearer_in_query(const oidp_cfg_t *c)
{
    return c->bearer_in_query != 0;
}

int oidp_cfg_throttle(const oidp_cfg_t *c)
{
    return c->throttle != 0;
}

oidp_throttle_policy_t oidp_cfg_throttle_policy(const oidp_cfg_t *c)
{
    oidp_throttle_policy_t p;

    p.free_attempts = c->throttle_free != OIDP_UNSET ? c->throttle_free
                                                     : OIDP_DEFAULT_THROTTLE_FREE;
    p.max_delay = c->throttle_max_delay != OIDP_UNSET ? c->throttle_max_delay
                                                      : OIDP_DEFAULT_THROTTLE_MAX_DELAY;
    p.window = c->throttle_window != OIDP_UNSET ? c->throttle_window : OIDP_DEFAULT_THROTTLE_WINDOW;
    return p;
}

int oidp_cfg_purge_interval(const oidp_cfg_t *c)
{
    return c->purge_interval != OIDP_UNSET ? (int)c->purge_interval : OIDP_DEFAULT_PURGE_INTERVAL;
}

const char *oidp_cfg_audit_log(const oidp_cfg_t *c)
{
    return c->audit_log && strcmp(c->audit_log, "off") != 0 ? c->audit_log : NULL;
}
