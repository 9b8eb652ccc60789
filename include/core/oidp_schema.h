/*
 * The schema files of conf/, embedded at build time (scripts/embed-sql.sh
 * generates build/schema.c). Pure.
 */
#ifndef OIDP_SCHEMA_H
#define OIDP_SCHEMA_H

/* The newest schema for a driver ("sqlite3" or "pgsql"), from
 * conf/schema.<driver>.sql; NULL for other drivers. */
const char *oidp_schema_sql(const char *driver);

#endif /* OIDP_SCHEMA_H */
