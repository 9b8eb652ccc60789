/*
 * Schema versions and migrations (include/core/oidp_migrate.h). Plain
 * apr_dbd_query/apr_dbd_select on the connection, no prepared statement:
 * these run before the statement table can be prepared. The selects use
 * random access: in sequential mode the PostgreSQL driver answers a failed
 * query with an empty result, which would read as "no row".
 */
#include <stdlib.h>
#include <string.h>

#include <apr_dbd.h>
#include <apr_strings.h>

#include "oidp_migrate.h"
#include "oidp_schema.h"

#define VERSION_SQL "SELECT value FROM oidp_meta WHERE name = 'schema_version'"

/* The first column of the first row of a select; the rest is drained.
 * APR_NOTFOUND when there is no row. */
static apr_status_t select_value(const char **value, apr_pool_t *p, oidp_db_t *db, const char *sql,
                                 const char **err)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc = apr_dbd_select(db->driver, p, db->handle, &res, sql, 1);

    *value = NULL;
    if (rc != 0) {
        *err = apr_pstrcat(p, sql, ": ", apr_dbd_error(db->driver, db->handle, rc), NULL);
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        if (!*value) {
            const char *v = apr_dbd_get_entry(db->driver, row, 0);
            *value = apr_pstrdup(p, v ? v : "");
        }
    }
    return *value ? APR_SUCCESS : APR_NOTFOUND;
}

/* Whether the oidp_meta table exists, asked of the catalogue so that no
 * statement fails. Other drivers: assumed, the select then tells. */
static apr_status_t meta_exists(int *exists, apr_pool_t *p, oidp_db_t *db, const char **err)
{
    const char *driver = apr_dbd_name(db->driver);
    const char *sql = NULL, *v = NULL;
    apr_status_t rv;

    if (strcmp(driver, "sqlite3") == 0) {
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'oidp_meta'";
    }
    else if (strcmp(driver, "pgsql") == 0) {
        /* the table the unqualified name resolves to (search_path) */
        sql = "SELECT CASE WHEN to_regclass('oidp_meta') IS NULL THEN 0 ELSE 1 END";
    }
    if (!sql) {
        *exists = 1;
        return APR_SUCCESS;
    }
    rv = select_value(&v, p, db, sql, err);
    if (rv == APR_NOTFOUND) {
        *err = apr_pstrcat(p, sql, ": no row", NULL);
        return APR_EGENERAL;
    }
    *exists = rv == APR_SUCCESS && strcmp(v, "0") != 0;
    return rv;
}

static apr_status_t version_parse(int *version, apr_pool_t *p, const char *v, const char **err)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);

    if (!*v || *end || n < 1 || n > 1000000) {
        *err = apr_psprintf(p, "oidp_meta: schema_version '%s' is not a version number", v);
        return APR_EGENERAL;
    }
    *version = (int)n;
    return APR_SUCCESS;
}

apr_status_t oidp_migrate_version(int *version, apr_pool_t *p, oidp_db_t *db, const char **err)
{
    const char *v = NULL;
    int exists = 0;
    apr_status_t rv = meta_exists(&exists, p, db, err);

    *version = 0;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!exists) {
        return APR_NOTFOUND;
    }
    rv = select_value(&v, p, db, VERSION_SQL, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return version_parse(version, p, v, err);
}

apr_status_t oidp_migrate_script(apr_pool_t *p, oidp_db_t *db, const char *sql, const char **err)
{
    char *copy = apr_pstrdup(p, sql);
    char *line, *last = NULL;
    apr_array_header_t *stmt = apr_array_make(p, 16, sizeof(char *));

    for (line = apr_strtok(copy, "\n", &last); line; line = apr_strtok(NULL, "\n", &last)) {
        const char *t = line;
        size_t len = strlen(line);

        while (*t == ' ' || *t == '\t') {
            t++;
        }
        if (!*t || strncmp(t, "--", 2) == 0) {
            continue;
        }
        APR_ARRAY_PUSH(stmt, char *) = line;
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r')) {
            len--;
        }
        if (len > 0 && line[len - 1] == ';') {
            const char *q;
            int n = 0, rc;

            line[len] = '\0'; /* the SQLite driver fails on blanks after the ';' */
            q = apr_array_pstrcat(p, stmt, '\n');
            rc = apr_dbd_query(db->driver, db->handle, &n, q);

            if (rc != 0) {
                *err = apr_pstrcat(p, q, ": ", apr_dbd_error(db->driver, db->handle, rc), NULL);
                return APR_EGENERAL;
            }
            apr_array_clear(stmt);
        }
    }
    if (stmt->nelts > 0) {
        *err = apr_pstrcat(p, "no ';' at the end of: ", apr_array_pstrcat(p, stmt, '\n'), NULL);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* The steps from m->from + 1 to OIDP_SCHEMA_VERSION and the new version,
 * inside the caller's transaction. */
static apr_status_t steps_apply(oidp_migrate_t *m, apr_pool_t *p, oidp_db_t *db, const char **err)
{
    const char *driver = apr_dbd_name(db->driver);
    int v, rc, n = 0;

    for (v = m->from + 1; v <= OIDP_SCHEMA_VERSION; v++) {
        const char *desc = NULL;
        const char *sql = oidp_schema_migration(driver, v, &desc);

        if (!sql) {
            *err = apr_psprintf(p, "no migration of the %s schema to version %d", driver, v);
            return APR_EINVAL;
        }
        if (oidp_migrate_script(p, db, sql, err) != APR_SUCCESS) {
            *err = apr_psprintf(p, "migration to version %d: %s", v, *err);
            return APR_EGENERAL;
        }
        APR_ARRAY_PUSH(m->steps, const char *) = apr_psprintf(p, "%d: %s", v, desc);
    }
    /* the version is a literal of this build, not input */
    rc = apr_dbd_query(db->driver, db->handle, &n,
                       apr_psprintf(p,
                                    "UPDATE oidp_meta SET value = '%d' "
                                    "WHERE name = 'schema_version'",
                                    OIDP_SCHEMA_VERSION));
    if (rc != 0 || n != 1) {
        *err = apr_pstrcat(p, "oidp_meta: schema_version not updated: ",
                           rc != 0 ? apr_dbd_error(db->driver, db->handle, rc) : "no row", NULL);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static const char *newer(apr_pool_t *p, int version)
{
    return apr_psprintf(p, "the database has schema version %d, newer than the %d this build knows",
                        version, OIDP_SCHEMA_VERSION);
}

/* Rolls back; m says nothing was done. */
static apr_status_t undo(oidp_migrate_t *m, apr_pool_t *p, oidp_db_t *db,
                         apr_dbd_transaction_t *txn, apr_status_t rv)
{
    apr_dbd_transaction_mode_set(db->driver, txn, APR_DBD_TRANSACTION_ROLLBACK);
    apr_dbd_transaction_end(db->driver, p, txn);
    apr_array_clear(m->steps);
    m->to = m->from;
    return rv;
}

apr_status_t oidp_migrate_run(oidp_migrate_t *m, apr_pool_t *p, oidp_db_t *db, const char **err)
{
    apr_dbd_transaction_t *txn = NULL;
    const char *v = NULL;
    apr_status_t rv;
    int rc;

    memset(m, 0, sizeof(*m));
    m->steps = apr_array_make(p, 4, sizeof(const char *));
    /* outside the transaction: on PostgreSQL a failed statement aborts it */
    rv = oidp_migrate_version(&m->from, p, db, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    m->to = m->from;
    if (m->from == OIDP_SCHEMA_VERSION) {
        return APR_SUCCESS;
    }
    if (m->from > OIDP_SCHEMA_VERSION) {
        *err = newer(p, m->from);
        return APR_EINVAL;
    }
    rc = apr_dbd_transaction_start(db->driver, p, db->handle, &txn);
    if (rc != 0) {
        *err = apr_pstrcat(p, "begin: ", apr_dbd_error(db->driver, db->handle, rc), NULL);
        return APR_EGENERAL;
    }
    /* read again inside: a concurrent migration may have run meanwhile
     * (SQLite's transaction takes the write lock at once; PostgreSQL's
     * FOR UPDATE makes a second migration wait for the first) */
    rv = select_value(&v, p, db,
                      strcmp(apr_dbd_name(db->driver), "pgsql") == 0 ? VERSION_SQL " FOR UPDATE"
                                                                     : VERSION_SQL,
                      err);
    if (rv == APR_NOTFOUND) {
        *err = "oidp_meta: the schema_version row is gone";
        rv = APR_EGENERAL;
    }
    if (rv == APR_SUCCESS) {
        rv = version_parse(&m->from, p, v, err);
    }
    if (rv == APR_SUCCESS && m->from > OIDP_SCHEMA_VERSION) {
        *err = newer(p, m->from);
        rv = APR_EINVAL;
    }
    if (rv == APR_SUCCESS && m->from < OIDP_SCHEMA_VERSION) {
        rv = steps_apply(m, p, db, err);
    }
    if (rv != APR_SUCCESS) {
        return undo(m, p, db, txn, rv);
    }
    rc = apr_dbd_transaction_end(db->driver, p, txn);
    if (rc != 0) {
        *err = apr_pstrcat(p, "commit: ", apr_dbd_error(db->driver, db->handle, rc), NULL);
        apr_array_clear(m->steps);
        m->to = m->from;
        return APR_EGENERAL;
    }
    m->to = OIDP_SCHEMA_VERSION;
    return APR_SUCCESS;
}
