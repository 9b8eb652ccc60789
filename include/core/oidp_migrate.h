/*
 * Schema versions and migrations: reads the version a database carries
 * (oidp_meta 'schema_version') and upgrades a database of an earlier
 * version to OIDP_SCHEMA_VERSION with the steps of conf/migrations/
 * (oidp_schema_migration), in one transaction. Plain apr_dbd calls on the
 * connection: nothing here needs prepared statements, so httpd's child_init
 * and the admin tool can ask before preparing the statement table.
 */
#ifndef OIDP_MIGRATE_H
#define OIDP_MIGRATE_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "oidp_store.h"

/* The schema version of the database (a non-prepared select, outside any
 * transaction). APR_NOTFOUND when the database is not initialised (no
 * oidp_meta table or no schema_version row); APR_EGENERAL with *err on a
 * driver error or a value that is not a version number. */
apr_status_t oidp_migrate_version(int *version, apr_pool_t *p, oidp_db_t *db, const char **err);

/* What oidp_migrate_run did. */
typedef struct oidp_migrate_t {
    int from;                  /* the version found (0 when not initialised) */
    int to;                    /* the version the database has now */
    apr_array_header_t *steps; /* const char *: "N: description" of each step applied */
} oidp_migrate_t;

/* Upgrades the database to OIDP_SCHEMA_VERSION: each step from m->from + 1
 * on, then schema_version, in one transaction (all or nothing). At the
 * current version nothing is done (m->from == m->to, no steps).
 * APR_SUCCESS; APR_NOTFOUND when the database is not initialised;
 * APR_EINVAL (*err) when its version is newer than this build knows or no
 * migration leads from it; APR_EGENERAL (*err) on a driver error, after
 * which the database is as it was. */
apr_status_t oidp_migrate_run(oidp_migrate_t *m, apr_pool_t *p, oidp_db_t *db, const char **err);

/* Runs an SQL script (a schema file or a migration) statement by statement:
 * a statement ends with ';' at the end of a line; lines starting with "--"
 * are comments. (apr_dbd's SQLite driver runs one statement per call.)
 * APR_EGENERAL with *err naming the failed statement. */
apr_status_t oidp_migrate_script(apr_pool_t *p, oidp_db_t *db, const char *sql, const char **err);

#endif /* OIDP_MIGRATE_H */
