/*
 * The schema files of conf/ and the migrations of conf/migrations/,
 * embedded at build time (scripts/embed-sql.sh generates build/schema.c).
 * Pure.
 */
#ifndef OIDP_SCHEMA_H
#define OIDP_SCHEMA_H

/* The version of conf/schema.*.sql (their oidp_meta 'schema_version' row):
 * what `oidc-idp-admin init` creates and what this build reads and writes.
 * Bump it with every schema change and add conf/migrations/NNNN.*.sql. */
#define OIDP_SCHEMA_VERSION 6

/* The newest schema for a driver ("sqlite3" or "pgsql"), from
 * conf/schema.<driver>.sql; NULL for other drivers. */
const char *oidp_schema_sql(const char *driver);

/* The SQL that takes a database of version to_version - 1 to to_version
 * (conf/migrations/<to_version>.<driver>.sql, without the update of
 * schema_version), and in *description (when not NULL) its one-line
 * description; NULL when there is no such migration. */
const char *oidp_schema_migration(const char *driver, int to_version, const char **description);

#endif /* OIDP_SCHEMA_H */
