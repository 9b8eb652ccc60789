/*
 * The issuer a database is bound to (include/core/oidp_binding.h): the
 * oidp_meta row 'issuer'. Plain apr_dbd_query/apr_dbd_select with the value
 * escaped by the driver (apr_dbd_escape), random-access selects as in
 * migrate.c.
 */
#include <string.h>

#include <apr_dbd.h>
#include <apr_strings.h>

#include "oidp_binding.h"

#define GET_SQL "SELECT value FROM oidp_meta WHERE name = 'issuer'"

static const char *db_error(apr_pool_t *p, oidp_db_t *db, const char *sql, int rc)
{
    return apr_pstrcat(p, sql, ": ", apr_dbd_error(db->driver, db->handle, rc), NULL);
}

apr_status_t oidp_binding_get(const char **issuer, apr_pool_t *p, oidp_db_t *db, const char **err)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc = apr_dbd_select(db->driver, p, db->handle, &res, GET_SQL, 1);

    *issuer = NULL;
    if (rc != 0) {
        *err = db_error(p, db, GET_SQL, rc);
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        if (!*issuer) {
            const char *v = apr_dbd_get_entry(db->driver, row, 0);
            *issuer = apr_pstrdup(p, v ? v : "");
        }
    }
    return *issuer ? APR_SUCCESS : APR_NOTFOUND;
}

/* 'value', quoted for an SQL literal */
static const char *literal(apr_pool_t *p, oidp_db_t *db, const char *value)
{
    return apr_pstrcat(p, "'", apr_dbd_escape(db->driver, p, value, db->handle), "'", NULL);
}

apr_status_t oidp_binding_bind(const char **bound, int *fresh, apr_pool_t *p, oidp_db_t *db,
                               const char *issuer, const char **err)
{
    apr_status_t rv = oidp_binding_get(bound, p, db, err);
    const char *sql;
    int n = 0, rc;

    *fresh = 0;
    if (rv != APR_NOTFOUND) {
        return rv;
    }
    /* one statement: of two processes binding at once (two children, two
     * nodes) one inserts, the other inserts nothing or fails on the
     * primary key, and both read the one row back */
    sql = apr_pstrcat(p, "INSERT INTO oidp_meta (name, value) SELECT 'issuer', ",
                      literal(p, db, issuer),
                      " WHERE NOT EXISTS (SELECT 1 FROM oidp_meta WHERE name = 'issuer')", NULL);
    rc = apr_dbd_query(db->driver, db->handle, &n, sql);
    rv = oidp_binding_get(bound, p, db, err);
    if (rv == APR_NOTFOUND) {
        *err = rc != 0 ? db_error(p, db, sql, rc) : "oidp_meta: the issuer row was not written";
        return APR_EGENERAL;
    }
    *fresh = rv == APR_SUCCESS && rc == 0 && n == 1;
    return rv;
}

apr_status_t oidp_binding_set(const char **old, apr_pool_t *p, oidp_db_t *db, const char *issuer,
                              const char **err)
{
    apr_status_t rv = oidp_binding_get(old, p, db, err);
    const char *sql;
    int n = 0, rc;

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        return rv;
    }
    sql = rv == APR_SUCCESS
              ? apr_pstrcat(p, "UPDATE oidp_meta SET value = ", literal(p, db, issuer),
                            " WHERE name = 'issuer'", NULL)
              : apr_pstrcat(p, "INSERT INTO oidp_meta (name, value) VALUES ('issuer', ",
                            literal(p, db, issuer), ")", NULL);
    rc = apr_dbd_query(db->driver, db->handle, &n, sql);
    if (rc != 0 || n != 1) {
        *err = rc != 0 ? db_error(p, db, sql, rc) : "oidp_meta: the issuer row was not written";
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}
