/*
 * oidc-idp-admin init, migrate, rebind and status, and the schema version
 * check every other command makes before it touches the database.
 */
#include <stdio.h>
#include <string.h>

#include <apr_dbd.h>
#include <apr_strings.h>

#include "admin.h"
#include "oidp_binding.h"
#include "oidp_migrate.h"
#include "oidp_schema.h"

/* "sqlite3 database /path" or "pgsql database" (its parameters may hold a
 * password) */
static const char *what(admin_t *a)
{
    if (strcmp(a->driver_name, "sqlite3") == 0) {
        return apr_psprintf(a->pool, "sqlite3 database %s", a->params);
    }
    return apr_psprintf(a->pool, "%s database", a->driver_name);
}

static int newer(admin_t *a, int version)
{
    return admin_fail(EX_DB,
                      "the %s has schema version %d, newer than the %d this tool knows: "
                      "upgrade mod_oidc_idp and oidc-idp-admin",
                      what(a), version, OIDP_SCHEMA_VERSION);
}

static int older(admin_t *a, int version)
{
    return admin_fail(EX_DB,
                      "the %s has schema version %d, this tool needs %d: run "
                      "'oidc-idp-admin migrate' to upgrade it",
                      what(a), version, OIDP_SCHEMA_VERSION);
}

static int not_initialised(admin_t *a)
{
    return admin_fail(EX_DB, "the %s is not initialised: run 'oidc-idp-admin init'", what(a));
}

/* After init or migrate with --issuer: binds an unbound database, accepts
 * one bound to that issuer, refuses one bound to another. */
static int bind_issuer(admin_t *a, const char *issuer)
{
    const char *bound = NULL, *err = NULL;
    int fresh = 0;

    if (!issuer) {
        return EX_OK;
    }
    if (oidp_binding_bind(&bound, &fresh, a->pool, &a->db, issuer, &err) != APR_SUCCESS) {
        return admin_db_error("bind", err);
    }
    if (strcmp(bound, issuer) != 0) {
        return admin_fail(EX_EXISTS,
                          "the %s is bound to the issuer %s, not %s: one database serves one "
                          "issuer; if the issuer was renamed, run 'oidc-idp-admin rebind "
                          "--issuer %s'",
                          what(a), bound, issuer, issuer);
    }
    if (fresh) {
        printf("bound the %s to the issuer %s\n", what(a), issuer);
    }
    return EX_OK;
}

int admin_migrate_issuer_ok(const char *issuer)
{
    const char *rest, *c;

    if (strncmp(issuer, "https://", 8) == 0) {
        rest = issuer + 8;
    }
    else if (strncmp(issuer, "http://", 7) == 0) {
        rest = issuer + 7;
    }
    else {
        return 0;
    }
    if (!*rest || *rest == '/') {
        return 0;
    }
    for (c = issuer; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '?' || *c == '#' || *c == '\'') {
            return 0;
        }
    }
    return 1;
}

int admin_migrate_check(admin_t *a)
{
    const char *err = NULL;
    int version = 0;
    apr_status_t rv = oidp_migrate_version(&version, a->pool, &a->db, &err);

    if (rv == APR_NOTFOUND) {
        return not_initialised(a);
    }
    if (rv != APR_SUCCESS) {
        return admin_db_error("schema version", err);
    }
    if (version < OIDP_SCHEMA_VERSION) {
        return older(a, version);
    }
    if (version > OIDP_SCHEMA_VERSION) {
        return newer(a, version);
    }
    return EX_OK;
}

/* The newest schema, in one transaction; on a database of the current
 * version the same statements (all IF NOT EXISTS) only add what is missing. */
int admin_migrate_init(admin_t *a, const char *issuer)
{
    const char *err = NULL;
    int version = 0, n, rc;
    apr_status_t rv = oidp_migrate_version(&version, a->pool, &a->db, &err);
    void *txn = NULL;

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        return admin_db_error("init", err);
    }
    if (rv == APR_SUCCESS && version < OIDP_SCHEMA_VERSION) {
        return admin_fail(EX_DB,
                          "the %s is already initialised, with schema version %d: run "
                          "'oidc-idp-admin migrate' to upgrade it to %d",
                          what(a), version, OIDP_SCHEMA_VERSION);
    }
    if (rv == APR_SUCCESS && version > OIDP_SCHEMA_VERSION) {
        return newer(a, version);
    }
    /* WAL is persistent and cannot change inside a transaction; a failure
     * here shows in the next statement */
    if (strcmp(a->driver_name, "sqlite3") == 0) {
        apr_dbd_query(a->db.driver, a->db.handle, &n, "PRAGMA journal_mode = WAL");
    }
    rc = admin_txn(a, &txn);
    if (rc != EX_OK) {
        return rc;
    }
    if (oidp_migrate_script(a->pool, &a->db, oidp_schema_sql(a->driver_name), &err)
        != APR_SUCCESS) {
        admin_commit(a, txn, 0);
        return admin_db_error("init", err);
    }
    rc = admin_commit(a, txn, 1);
    if (rc != EX_OK) {
        return rc;
    }
    if (admin_prepare(a) != EX_OK) {
        return EX_DB;
    }
    if (rv == APR_SUCCESS) {
        printf("the %s is already initialised (schema version %d): nothing to do\n", what(a),
               version);
    }
    else {
        printf("initialised %s (schema version %d)\n", what(a), OIDP_SCHEMA_VERSION);
    }
    return bind_issuer(a, issuer);
}

int admin_migrate(admin_t *a, const char *issuer)
{
    oidp_migrate_t m;
    const char *err = NULL;
    apr_status_t rv = oidp_migrate_run(&m, a->pool, &a->db, &err);
    char *steps;
    int i;

    if (rv == APR_NOTFOUND) {
        return not_initialised(a);
    }
    if (rv == APR_EINVAL && m.from > OIDP_SCHEMA_VERSION) {
        return newer(a, m.from);
    }
    if (rv == APR_EINVAL) {
        return admin_fail(EX_SOFTWARE, "migrate: %s", err);
    }
    if (rv != APR_SUCCESS) {
        return admin_fail(EX_DB, "migrate: %s (nothing was changed)", err ? err : "database error");
    }
    /* the statement table must prepare on the result */
    if (admin_prepare(a) != EX_OK) {
        return EX_DB;
    }
    if (m.steps->nelts == 0) {
        printf("schema version %d is current: nothing to do\n", m.to);
        return bind_issuer(a, issuer);
    }
    steps = "";
    for (i = 0; i < m.steps->nelts; i++) {
        steps = apr_pstrcat(a->pool, steps, i ? "; " : "", APR_ARRAY_IDX(m.steps, i, const char *),
                            NULL);
    }
    printf("migrated %s from schema version %d to %d: %s\n", what(a), m.from, m.to, steps);
    return bind_issuer(a, issuer);
}

int admin_migrate_rebind(admin_t *a, const char *issuer)
{
    const char *old = NULL, *err = NULL;

    if (!issuer) {
        return admin_fail(EX_USAGE, "rebind needs --issuer URL (the new OIDCIdPIssuer)");
    }
    if (oidp_binding_set(&old, a->pool, &a->db, issuer, &err) != APR_SUCCESS) {
        return admin_db_error("rebind", err);
    }
    if (old && strcmp(old, issuer) == 0) {
        printf("the %s is bound to the issuer %s already: nothing to do\n", what(a), issuer);
    }
    else {
        printf("the %s is now bound to the issuer %s (was %s)\n", what(a), issuer,
               old ? old : "unbound");
    }
    return EX_OK;
}

int admin_migrate_status(admin_t *a)
{
    const char *issuer = NULL, *err = NULL;
    apr_status_t rv = oidp_binding_get(&issuer, a->pool, &a->db, &err);

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        return admin_db_error("status", err);
    }
    printf("database:       %s\n", what(a));
    printf("schema version: %d\n", OIDP_SCHEMA_VERSION);
    if (issuer) {
        printf("issuer:         %s\n", issuer);
    }
    else {
        printf("issuer:         (unbound: the first start of mod_oidc_idp binds it to its "
               "OIDCIdPIssuer)\n");
    }
    return EX_OK;
}
