/*
 * mod_dbd glue: statement registration and per-request connections. The
 * only file that includes mod_dbd.h.
 */
#include <apr_optional.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <apr_dbd.h>
#include <mod_dbd.h>

#include "oidc_idp.h"
#include "oidp_dbd.h"

/* mod_dbd's functions, looked up at configuration time (the only globals:
 * written before any request thread exists, read-only afterwards). */
static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) * dbd_prepare;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) * dbd_acquire;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) * dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) * dbd_close;

int oidp_dbd_loaded(void)
{
    dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    return dbd_prepare && dbd_acquire && dbd_open && dbd_close;
}

void oidp_dbd_prepare(server_rec *s)
{
    int i;

    for (i = 0; dbd_prepare && i < OIDP_STMT__HTTPD_COUNT; i++) {
        const oidp_stmt_def_t *d = oidp_store_stmt_def((oidp_stmt_e)i);
        dbd_prepare(s, d->sql, d->label);
    }
}

oidp_err_t oidp_dbd_acquire(oidp_db_t **dbp, request_rec *r, const char **desc)
{
    ap_dbd_t *dbd = dbd_acquire ? dbd_acquire(r) : NULL;
    oidp_db_t *db;

    *dbp = NULL;
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OIDP_LOGNO(00002) "no database connection (check DBDriver/DBDParams, and "
                                        "that the schema is initialised and current: "
                                        "oidc-idp-admin init, oidc-idp-admin migrate)");
        *desc = "the store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    db = apr_palloc(r->pool, sizeof(*db));
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    db->prepared = dbd->prepared;
    *dbp = db;
    return OIDP_OK;
}

void *oidp_dbd_open(oidp_db_t *db, apr_pool_t *p, server_rec *s)
{
    ap_dbd_t *dbd = dbd_open ? dbd_open(p, s) : NULL;

    if (!dbd) {
        return NULL;
    }
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    db->prepared = dbd->prepared;
    return dbd;
}

void oidp_dbd_close(server_rec *s, void *conn)
{
    if (conn && dbd_close) {
        dbd_close(s, conn);
    }
}
