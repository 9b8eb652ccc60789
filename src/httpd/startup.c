/*
 * Start-up: what single directives cannot check (apachectl configtest and
 * post_config), and each provider's runtime, built once per server at
 * post_config and read-only afterwards: keys, endpoint URLs, the JWKS and
 * the discovery document.
 */
#include <stdlib.h>
#include <string.h>

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
                                    "mod_oidc_idp: server %s has OIDCIdPSigningKey but no "
                                    "OIDCIdPIssuer",
                                    server_label(p, sp));
            }
            continue;
        }
        any = 1;
        if (!c->keys || c->keys->nelts == 0) {
            return apr_psprintf(p,
                                "mod_oidc_idp: server %s has OIDCIdPIssuer %s but no "
                                "OIDCIdPSigningKey",
                                server_label(p, sp), c->issuer);
        }
        if (!oidp_jose_keyset_find_alg(&(oidp_keyset_t){c->keys}, OIDP_ALG_RS256)) {
            return apr_psprintf(p,
                                "mod_oidc_idp: server %s needs an RSA OIDCIdPSigningKey: "
                                "OpenID Connect requires RS256",
                                server_label(p, sp));
        }
        err = oidp_session_check_cookie(p, sp, c->issuer);
        if (err) {
            return err;
        }
    }
    if (any && !oidp_dbd_loaded()) {
        return "mod_oidc_idp: mod_dbd must be loaded (LoadModule dbd_module ...)";
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
