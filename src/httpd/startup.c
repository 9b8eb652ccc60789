/*
 * Start-up: what single directives cannot check (apachectl configtest and
 * post_config), and each provider's runtime, built once per server at
 * post_config and read-only afterwards: keys, endpoint URLs, the JWKS and
 * the discovery document.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_binding.h"
#include "oidp_config.h"
#include "oidp_dbd.h"
#include "oidp_metadata.h"
#include "oidp_migrate.h"
#include "oidp_schema.h"
#include "oidp_pages.h"
#include "oidp_session.h"
#include "oidp_startup.h"


static const char *server_name(const server_rec *s)
{
    return s->server_hostname ? s->server_hostname : "(default)";
}

static const char *server_label(apr_pool_t *p, server_rec *s)
{
    return apr_psprintf(p, "%s:%u", server_name(s), s->port);
}

/* The server_rec of a <VirtualHost> section, or NULL. */
static server_rec *vhost_of(server_rec *s, const ap_directive_t *d)
{
    for (; s; s = s->next) {
        if (s->is_virtual && s->defn_name && d->filename && strcmp(s->defn_name, d->filename) == 0
            && (unsigned)d->line_num == s->defn_line_number) {
            return s;
        }
    }
    return NULL;
}

/* A SetHandler oidc-idp-* below d, in server sv (NULL: the main server's
 * sections, which every virtual host inherits): refused where the server has
 * no OIDCIdPIssuer, or, outside every virtual host, where no server has one
 * (every request would get 404 and an error in the log); the authorization
 * and logout endpoints also refused without mod_session and a session store
 * (every sign-in would get 500). */
static const char *mapping_walk(apr_pool_t *p, server_rec *s, const ap_directive_t *d,
                                server_rec *sv, int any)
{
    const char *err = NULL;

    for (; d && !err; d = d->next) {
        if (strcasecmp(d->directive, "<VirtualHost") == 0) {
            server_rec *v = vhost_of(s, d);
            err = mapping_walk(p, s, d->first_child, v ? v : sv, any);
        }
        else if (strcasecmp(d->directive, "SetHandler") == 0 && d->args) {
            /* the handler's name, without quotes */
            const char *h = d->args + strspn(d->args, " \t\"'");
            h = apr_pstrndup(p, h, strcspn(h, " \t\"'"));
            const oidp_cfg_t *c = sv ? ap_get_module_config(sv->module_config, &oidc_idp_module)
                                     : NULL;
            if (strncasecmp(h, "oidc-idp-", 9) == 0 && (sv ? !c->issuer : !any)) {
                err = apr_psprintf(p,
                                   "mod_oidc_idp: SetHandler %s (%s:%d) maps an endpoint in "
                                   "server %s, which has no OIDCIdPIssuer",
                                   h, d->filename, d->line_num,
                                   sv ? server_label(p, sv) : server_label(p, s));
            }
            else if ((strcasecmp(h, "oidc-idp-authorize") == 0
                      || strcasecmp(h, "oidc-idp-logout") == 0)
                     && (!ap_find_linked_module("mod_session.c")
                         || (!ap_find_linked_module("mod_session_cookie.c")
                             && !ap_find_linked_module("mod_session_dbd.c")))) {
                /* without them every sign-in would fail with a 500 */
                err = apr_psprintf(p,
                                   "mod_oidc_idp: SetHandler %s (%s:%d) needs mod_session and "
                                   "mod_session_cookie for the browser's sign-in (LoadModule "
                                   "session_module, session_cookie_module; a2enmod session_cookie)",
                                   h, d->filename, d->line_num);
            }
        }
        else if (d->first_child) {
            err = mapping_walk(p, s, d->first_child, sv, any);
        }
    }
    return err;
}

static const char *mapping_check(apr_pool_t *p, server_rec *s, int any)
{
    return mapping_walk(p, s, ap_conftree, NULL, any);
}

const char *oidp_startup_check(apr_pool_t *p, server_rec *s)
{
    server_rec *sp;
    const char *err;
    int any = 0;

    for (sp = s; sp; sp = sp->next) {
        const oidp_cfg_t *c = ap_get_module_config(sp->module_config, &oidc_idp_module);
        if (!c->issuer) {
            if (c->keys) {
                return apr_psprintf(p,
                                    "mod_oidc_idp: server %s has OIDCIdPSigningKey (%s) but no "
                                    "OIDCIdPIssuer",
                                    server_label(p, sp), c->keys_where);
            }
            continue;
        }
        any = 1;
        if (!c->keys || c->keys->nelts == 0) {
            return apr_psprintf(p,
                                "mod_oidc_idp: server %s has OIDCIdPIssuer %s (%s) but no "
                                "OIDCIdPSigningKey",
                                server_label(p, sp), c->issuer, c->issuer_where);
        }
        if (!oidp_jose_keyset_find_alg(&(oidp_keyset_t){c->keys}, OIDP_ALG_RS256)) {
            return apr_psprintf(p,
                                "mod_oidc_idp: server %s needs an RSA OIDCIdPSigningKey (%s): "
                                "OpenID Connect requires RS256",
                                server_label(p, sp), c->keys_where);
        }
        err = oidp_session_check_cookie(p, sp, c->issuer);
        if (err) {
            return err;
        }
    }
    if (any && !oidp_dbd_loaded()) {
        return "mod_oidc_idp: mod_dbd must be loaded (LoadModule dbd_module ...)";
    }
    return mapping_check(p, s, any);
}

/* The last DBDriver and DBDParams lines below d: into own[] those inside
 * sv's <VirtualHost>, into main[] those outside every <VirtualHost>. */
static void dbd_lines(server_rec *sv, const ap_directive_t *d, int in_own,
                      const ap_directive_t **own, const ap_directive_t **main)
{
    for (; d; d = d->next) {
        if (strcasecmp(d->directive, "<VirtualHost") == 0) {
            if (!in_own && sv->is_virtual && sv->defn_name && d->filename
                && strcmp(sv->defn_name, d->filename) == 0
                && (unsigned)d->line_num == sv->defn_line_number) {
                dbd_lines(sv, d->first_child, 1, own, main);
            }
        }
        else if (strcasecmp(d->directive, "DBDriver") == 0) {
            (in_own ? own : main)[0] = d;
        }
        else if (strcasecmp(d->directive, "DBDParams") == 0) {
            (in_own ? own : main)[1] = d;
        }
        else if (d->first_child) {
            dbd_lines(sv, d->first_child, in_own, own, main);
        }
    }
}

/* an argument of a directive, without its quotes */
static const char *unquoted(apr_pool_t *p, const char *args)
{
    apr_size_t n;

    while (*args == ' ' || *args == '\t') {
        args++;
    }
    n = strlen(args);
    while (n && (args[n - 1] == ' ' || args[n - 1] == '\t')) {
        n--;
    }
    if (n >= 2 && (args[0] == '"' || args[0] == '\'') && args[n - 1] == args[0]) {
        return apr_pstrndup(p, args + 1, n - 2);
    }
    return apr_pstrndup(p, args, n);
}

const char *oidp_startup_dbd_key(apr_pool_t *p, server_rec *s)
{
    const ap_directive_t *own[2] = {NULL, NULL}, *main[2] = {NULL, NULL};
    const ap_directive_t *drv, *prm;

    dbd_lines(s, ap_conftree, 0, own, main);
    drv = own[0] ? own[0] : main[0];
    prm = own[1] ? own[1] : main[1];
    return apr_pstrcat(p, drv && drv->args ? unquoted(p, drv->args) : "", ":",
                       prm && prm->args ? unquoted(p, prm->args) : "", NULL);
}

const char *oidp_startup_check_schema(apr_pool_t *p, server_rec *s)
{
    server_rec *sp;

    for (sp = s; sp; sp = sp->next) {
        const oidp_cfg_t *c = ap_get_module_config(sp->module_config, &oidc_idp_module);
        const ap_directive_t *own[2] = {NULL, NULL}, *main[2] = {NULL, NULL};
        const ap_directive_t *drv, *prm;
        const char *driver, *params, *err = NULL;
        apr_finfo_t fi;
        apr_status_t rv;
        int v = 0;

        if (!c->issuer) {
            continue;
        }
        dbd_lines(sp, ap_conftree, 0, own, main);
        drv = own[0] ? own[0] : main[0];
        prm = own[1] ? own[1] : main[1];
        if (!drv || !prm || !drv->args || !prm->args) {
            continue; /* mod_dbd says what is missing when it starts */
        }
        driver = unquoted(p, drv->args);
        params = unquoted(p, prm->args);
        if (strcmp(driver, "sqlite3") == 0
            && apr_stat(&fi, params, APR_FINFO_TYPE, p) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sp,
                         OIDP_LOGNO(00628) "the database of %s (DBDParams %s, %s:%d) does not "
                                           "exist yet: create it with 'oidc-idp-admin --db "
                                           "sqlite3:%s init'",
                         server_name(sp), params, prm->filename, prm->line_num, params);
            continue;
        }
        rv = oidp_dbd_schema_version(&v, p, driver, params, &err);
        if (rv == APR_NOTFOUND) {
            return apr_psprintf(p,
                                "mod_oidc_idp: the database of %s (DBDParams, %s:%d) has no "
                                "schema version: run 'oidc-idp-admin init'",
                                server_label(p, sp), prm->filename, prm->line_num);
        }
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sp,
                         OIDP_LOGNO(00629) "cannot read the schema version of the database of "
                                           "%s (DBDParams, %s:%d) now: %s",
                         server_name(sp), prm->filename, prm->line_num,
                         err ? err : "unknown error");
            continue;
        }
        if (v != OIDP_SCHEMA_VERSION) {
            return apr_psprintf(p,
                                "mod_oidc_idp: the database of %s (DBDParams, %s:%d) has schema "
                                "version %d, this module needs %d: %s",
                                server_label(p, sp), prm->filename, prm->line_num, v,
                                OIDP_SCHEMA_VERSION,
                                v < OIDP_SCHEMA_VERSION
                                    ? "run 'oidc-idp-admin migrate'"
                                    : "install the module (and oidc-idp-admin) that made it");
        }
    }
    return NULL;
}

static oidp_runtime_t *runtime_build(apr_pool_t *p, const oidp_cfg_t *c)
{
    oidp_runtime_t *rt = apr_pcalloc(p, sizeof(*rt));
    oidp_keyset_t *ks = apr_pcalloc(p, sizeof(*ks));
    oidp_metadata_t m;
    int i;

    ks->keys = c->keys;
    rt->keys = ks;
    oidp_cfg_check_issuer(p, c->issuer, &rt->origin);
    for (i = 0; i < OIDP_EP__COUNT; i++) {
        const char *path = oidp_cfg_endpoint_path(c, (oidp_endpoint_e)i);
        rt->endpoint_url[i] = path[0] == '/' ? apr_pstrcat(p, rt->origin, path, NULL) : path;
    }
    rt->jwks_json = oidp_jose_jwks_json(p, ks);
    rt->jwks_len = strlen(rt->jwks_json);
    m.issuer = c->issuer;
    memcpy(m.endpoint_url, rt->endpoint_url, sizeof(m.endpoint_url));
    m.keys = ks;
    m.plain_pkce = oidp_cfg_allow_plain_pkce(c);
    rt->discovery_json = oidp_metadata_json(p, &m);
    rt->mint.issuer = c->issuer;
    rt->mint.keys = ks;
    rt->mint.audience = c->access_token_audience;
    rt->mint.access_ttl = oidp_cfg_access_token_ttl(c);
    rt->mint.refresh_ttl = oidp_cfg_refresh_token_ttl(c);
    rt->mint.refresh_max_ttl = oidp_cfg_refresh_token_max_ttl(c);
    rt->mint.id_token_ttl = oidp_cfg_id_token_ttl(c);
    rt->discovery_len = strlen(rt->discovery_json);
    return rt;
}

int oidp_startup_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    const char *err = oidp_startup_check(ptemp, s);
    server_rec *sp;

    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OIDP_LOGNO(00004) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!oidp_session_init()) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00012) "mod_session is not loaded: the authorization and logout "
                                       "endpoints need mod_session, mod_session_cookie and "
                                       "mod_session_crypto");
    }
    oidp_pages_init(pconf);
    for (sp = s; sp; sp = sp->next) {
        oidp_cfg_t *c = ap_get_module_config(sp->module_config, &oidc_idp_module);
        if (!c->issuer) {
            continue;
        }
        c->rt = runtime_build(pconf, c);
    }
    return OK;
}

/* One database serves one issuer (include/core/oidp_binding.h): the first
 * start on an unbound database binds it to this server's issuer; a
 * database bound to another issuer is refused (non-zero), as a wrong schema
 * version is. A binding that cannot be read now is only logged. */
static int check_binding(apr_pool_t *p, server_rec *s, oidp_db_t *db, const char *issuer)
{
    const char *bound = NULL, *err = NULL;
    int fresh = 0;
    apr_status_t rv = oidp_binding_bind(&bound, &fresh, p, db, issuer, &err);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00600) "cannot read the issuer the database is bound to: %s; it "
                                       "is checked again by the next child",
                     err ? err : "unknown error");
        return 0;
    }
    if (fresh) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     OIDP_LOGNO(00601) "the database of %s was bound to no issuer: it is now "
                                       "bound to %s (one database serves one issuer)",
                     server_name(s), issuer);
    }
    if (strcmp(bound, issuer) == 0) {
        return 0;
    }
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 OIDP_LOGNO(00602) "the database of %s (issuer %s) is bound to the issuer %s: "
                                   "one database serves one issuer (clients, users and consents "
                                   "carry none). Give this server a database of its own "
                                   "(DBDParams), or if the issuer was renamed run 'oidc-idp-admin "
                                   "rebind --issuer %s' (with the DBDriver:DBDParams of this "
                                   "server); refusing to start",
                 server_name(s), issuer, bound, issuer);
    return 1;
}

/* The schema version of a provider's database: what this module was built
 * for, or it refuses to run (the child exits with APEXIT_CHILDFATAL, which
 * makes httpd stop, as a fatal child_init error does). A database that
 * cannot be reached now is only logged: it is checked again by the next
 * child, and requests meanwhile get 503. */
static void check_schema(apr_pool_t *p, server_rec *s, const char *issuer)
{
    const char *err = NULL;
    oidp_db_t db;
    void *conn = oidp_dbd_open(&db, p, s);
    apr_status_t rv;
    int v = 0;

    if (!conn) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00037) "cannot check the database's schema version now: no "
                                       "connection (mod_dbd says why above); it is checked again "
                                       "by the next child, requests get 503 meanwhile");
        return;
    }
    rv = oidp_migrate_version(&v, p, &db, &err);
    if (rv == APR_SUCCESS && v == OIDP_SCHEMA_VERSION) {
        int refuse = check_binding(p, s, &db, issuer);
        oidp_dbd_close(s, conn);
        if (refuse) {
            exit(APEXIT_CHILDFATAL);
        }
        return;
    }
    oidp_dbd_close(s, conn);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00038) "cannot read the database's schema version: %s",
                     err ? err : "unknown error");
        return;
    }
    if (rv == APR_NOTFOUND) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     OIDP_LOGNO(00039) "the database of %s has no schema version: it was not "
                                       "made by oidc-idp-admin init; refusing to start",
                     server_name(s));
    }
    else if (v < OIDP_SCHEMA_VERSION) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     OIDP_LOGNO(00040) "the database of %s has schema version %d, this module "
                                       "needs %d: run 'oidc-idp-admin migrate' (with the "
                                       "DBDriver:DBDParams of this server); refusing to start",
                     server_name(s), v, OIDP_SCHEMA_VERSION);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     OIDP_LOGNO(00041) "the database of %s has schema version %d, newer than "
                                       "this module's %d: install the module (and "
                                       "oidc-idp-admin) that made it; refusing to start",
                     server_name(s), v, OIDP_SCHEMA_VERSION);
    }
    exit(APEXIT_CHILDFATAL);
}

void oidp_startup_child_init(apr_pool_t *pchild, server_rec *s)
{
    server_rec *sp;

    for (sp = s; sp; sp = sp->next) {
        const oidp_cfg_t *c = ap_get_module_config(sp->module_config, &oidc_idp_module);
        if (c->issuer) {
            check_schema(pchild, sp, c->issuer);
        }
    }
}
