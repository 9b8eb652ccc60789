/*
 * mod_dbd glue: the request's connection with the module's statements. The
 * only file that includes mod_dbd.h.
 *
 * The statements are prepared by the module on each connection the first
 * time one of its requests gets it, into the connection's own table of
 * prepared statements (ap_dbd_t's prepared hash, which lives as long as the
 * connection): once per connection, as mod_dbd would, but not registered
 * with ap_dbd_prepare. mod_dbd fails a new connection as a whole, for every
 * module sharing it (mod_authn_dbd, mod_session_dbd), when one registered
 * statement does not prepare, which is what a database of an older schema
 * version does, and then nobody can tell why; here such a failure stays the
 * module's, its schema version is read and the log names the command to run
 * (oidc-idp-admin migrate), and child_init can check the version at all
 * (src/httpd/startup.c).
 */
#include <apr_optional.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <apr_dbd.h>
#include <mod_dbd.h>

#include "oidc_idp.h"
#include "oidp_dbd.h"
#include "oidp_migrate.h"
#include "oidp_schema.h"

/* mod_dbd's functions, looked up at configuration time (the only globals:
 * written before any request thread exists, read-only afterwards). */
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) * dbd_acquire;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) * dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) * dbd_close;

int oidp_dbd_loaded(void)
{
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    return dbd_acquire && dbd_open && dbd_close;
}

/* The statements of the table that httpd runs, on this connection: the
 * first request of the module on a connection prepares them. When one does
 * not prepare, the schema version says why. */
static oidp_err_t statements(oidp_db_t *db, ap_dbd_t *dbd, request_rec *r, const char **desc)
{
    const char *err = NULL, *verr = NULL;
    apr_status_t rv;
    int v = 0;

    if (oidp_store_prepare(dbd->pool, db, OIDP_STMT__HTTPD_COUNT, &err) == APR_SUCCESS) {
        return OIDP_OK;
    }
    rv = oidp_migrate_version(&v, r->pool, db, &verr);
    if (rv == APR_SUCCESS && v < OIDP_SCHEMA_VERSION) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OIDP_LOGNO(00042) "the database has schema version %d, this module needs "
                                        "%d: run 'oidc-idp-admin migrate' (%s)",
                      v, OIDP_SCHEMA_VERSION, err);
    }
    else if (rv == APR_SUCCESS && v > OIDP_SCHEMA_VERSION) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OIDP_LOGNO(00043) "the database has schema version %d, newer than this "
                                        "module's %d: install the module that made it (%s)",
                      v, OIDP_SCHEMA_VERSION, err);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OIDP_LOGNO(00044) "the statements do not prepare (%s): is the schema "
                                        "initialised (oidc-idp-admin init)?",
                      err);
    }
    oidp_status_count(OIDP_STAT_DB_ERROR);
    *desc = "the store is unavailable";
    return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
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
        oidp_status_count(OIDP_STAT_DB_ERROR);
        *desc = "the store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    db = apr_palloc(r->pool, sizeof(*db));
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    db->prepared = dbd->prepared;
    if (!apr_hash_get(db->prepared, oidp_store_stmt_def(OIDP_STMT__HTTPD_COUNT - 1)->label,
                      APR_HASH_KEY_STRING)
        && statements(db, dbd, r, desc) != OIDP_OK) {
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
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

void *oidp_dbd_open_all(oidp_db_t *db, apr_pool_t *p, server_rec *s, const char **err)
{
    ap_dbd_t *dbd = oidp_dbd_open(db, p, s);

    if (!dbd) {
        *err = "no database connection (mod_dbd says why)";
        return NULL;
    }
    /* into the connection's pool: its prepared statements live as long as it */
    if (oidp_store_prepare(dbd->pool, db, OIDP_STMT__COUNT, err) != APR_SUCCESS) {
        oidp_dbd_close(s, dbd);
        return NULL;
    }
    return dbd;
}

apr_status_t oidp_dbd_schema_version(int *version, apr_pool_t *p, const char *driver,
                                     const char *params, const char **err)
{
    const apr_dbd_driver_t *drv = NULL;
    oidp_db_t db;
    apr_status_t rv;

    apr_dbd_init(p);
    if (apr_dbd_get_driver(p, driver, &drv) != APR_SUCCESS) {
        *err = apr_psprintf(p, "no apr_dbd driver %s", driver);
        return APR_EGENERAL;
    }
    if (apr_dbd_open_ex(drv, p, params, &db.handle, err) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    db.driver = drv;
    db.prepared = apr_hash_make(p);
    rv = oidp_migrate_version(version, p, &db, err);
    apr_dbd_close(drv, db.handle);
    return rv;
}

void oidp_dbd_close(server_rec *s, void *conn)
{
    if (conn && dbd_close) {
        dbd_close(s, conn);
    }
}
