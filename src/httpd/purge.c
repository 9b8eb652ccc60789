/*
 * The purge by mod_watchdog (include/httpd/oidp_purge.h).
 *
 * A child watchdog in singleton mode: mod_watchdog starts its thread in
 * every child, and only the one holding the watchdog's global mutex runs
 * the callbacks, so one process purges at a time (when it exits another
 * child takes over). The callback gets a connection from mod_dbd's pool of
 * each server with an issuer (ap_dbd_open: no request needed), prepares the
 * statement table on it once (the purge statements are not among those a
 * request needs) and runs the store's purge, the statements
 * `oidc-idp-admin purge` runs.
 */
#include <apr_optional.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <mod_watchdog.h>

#include "oidc_idp.h"
#include "oidp_config.h"
#include "oidp_dbd.h"
#include "oidp_purge.h"
#include "oidp_store.h"
#include "oidp_util.h"

#define WATCHDOG_NAME "oidc_idp_purge"

static void purge_server(server_rec *s, apr_pool_t *p)
{
    const char *err = NULL;
    oidp_db_t db;
    void *conn = oidp_dbd_open_all(&db, p, s, &err);
    int n = 0;

    if (!conn) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00621) "purge of expired rows skipped this time: %s",
                     err ? err : "no database connection");
        return;
    }
    if (oidp_store_purge(&n, p, &db, oidp_util_now(), &err) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00622) "purge of expired rows failed: %s",
                     err ? err : "unknown error");
    }
    else {
        ap_log_error(APLOG_MARK, n ? APLOG_INFO : APLOG_DEBUG, 0, s,
                     OIDP_LOGNO(00623) "purged %d expired rows (codes, tokens, sessions, "
                                       "revoked grants, throttle counters)",
                     n);
    }
    oidp_dbd_close(s, conn);
}

static apr_status_t purge(int state, void *data, apr_pool_t *pool)
{
    server_rec *s = data, *sp;

    if (state != AP_WATCHDOG_STATE_RUNNING) {
        return APR_SUCCESS;
    }
    for (sp = s; sp; sp = sp->next) {
        const oidp_cfg_t *c = ap_get_module_config(sp->module_config, &oidc_idp_module);
        if (c->issuer) {
            purge_server(sp, pool);
        }
    }
    return APR_SUCCESS;
}

int oidp_purge_init(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) * get_instance;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) * register_callback;
    const oidp_cfg_t *c = ap_get_module_config(s->module_config, &oidc_idp_module);
    int interval = oidp_cfg_purge_interval(c);
    ap_watchdog_t *w = NULL;
    server_rec *sp;
    apr_status_t rv;
    int any = 0;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (sp = s; sp && !any; sp = sp->next) {
        const oidp_cfg_t *sc = ap_get_module_config(sp->module_config, &oidc_idp_module);
        any = sc->issuer != NULL;
    }
    if (!any) {
        return OK;
    }
    if (interval <= 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     OIDP_LOGNO(00624) "OIDCIdPPurgeInterval Off: expired rows are deleted "
                                       "only by 'oidc-idp-admin purge' (run it from cron)");
        return OK;
    }
    get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!get_instance || !register_callback) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00625) "mod_watchdog is not loaded: expired rows are not "
                                       "purged by httpd; run 'oidc-idp-admin purge' from cron "
                                       "(or LoadModule watchdog_module)");
        return OK;
    }
    rv = get_instance(&w, WATCHDOG_NAME, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = register_callback(w, apr_time_from_sec(interval), s, purge);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     OIDP_LOGNO(00626) "cannot register the purge with mod_watchdog");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 OIDP_LOGNO(00627) "expired rows are purged every %d s by one child "
                                   "(mod_watchdog)",
                 interval);
    return OK;
}
