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
#include "oidp_startup.h"
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

/* data: the servers to purge through, one per database (server_rec *) */
static apr_status_t purge(int state, void *data, apr_pool_t *pool)
{
    const apr_array_header_t *servers = data;
    int i;

    if (state != AP_WATCHDOG_STATE_RUNNING) {
        return APR_SUCCESS;
    }
    for (i = 0; i < servers->nelts; i++) {
        purge_server(APR_ARRAY_IDX(servers, i, server_rec *), pool);
    }
    return APR_SUCCESS;
}

/* The servers with an issuer, one per database: the purge's statements
 * delete by time over whole tables, whichever issuer wrote the rows. */
static apr_array_header_t *servers_to_purge(apr_pool_t *p, server_rec *s)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(server_rec *));
    apr_hash_t *seen = apr_hash_make(p);
    server_rec *sp;

    for (sp = s; sp; sp = sp->next) {
        const oidp_cfg_t *c = ap_get_module_config(sp->module_config, &oidc_idp_module);
        const char *key;
        if (!c->issuer) {
            continue;
        }
        key = oidp_startup_dbd_key(p, sp);
        if (!apr_hash_get(seen, key, APR_HASH_KEY_STRING)) {
            apr_hash_set(seen, key, APR_HASH_KEY_STRING, sp);
            APR_ARRAY_PUSH(out, server_rec *) = sp;
        }
    }
    return out;
}

int oidp_purge_init(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) * get_instance;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) * register_callback;
    const oidp_cfg_t *c = ap_get_module_config(s->module_config, &oidc_idp_module);
    int interval = oidp_cfg_purge_interval(c);
    apr_array_header_t *servers;
    ap_watchdog_t *w = NULL;
    apr_status_t rv;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    servers = servers_to_purge(pconf, s);
    if (servers->nelts == 0) {
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
        rv = register_callback(w, apr_time_from_sec(interval), servers, purge);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     OIDP_LOGNO(00626) "cannot register the purge with mod_watchdog");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 OIDP_LOGNO(00627) "expired rows are purged every %d s by one child "
                                   "(mod_watchdog), %d database(s)",
                 interval, servers->nelts);
    return OK;
}
