/*
 * oidc-idp-admin backup, restore and check: operations on a whole
 * database.
 *
 * backup FILE   SQLite only: VACUUM INTO FILE, a consistent copy made in
 *               one read transaction while httpd keeps running (readers and
 *               writers go on; WAL mode). PostgreSQL: pg_dump.
 * restore FILE  SQLite only: the rows of a backup of this schema version
 *               replace those of the database, table by table, in one write
 *               transaction (BEGIN IMMEDIATE), so httpd may keep running:
 *               its requests wait for the lock (busy timeout) and then see
 *               the restored rows.
 * check         what is wrong with the database and the signing keys
 *               (--key FILE, repeatable): schema version, integrity, the
 *               statements, every client's redirect URIs, keys that do not
 *               load. Prints each problem; exit status 6 when any.
 */
#include <stdio.h>
#include <string.h>

#include <apr_dbd.h>
#include <apr_file_info.h>
#include <apr_strings.h>

#include "admin.h"
#include "oidp_jose.h"
#include "oidp_migrate.h"
#include "oidp_redirect.h"
#include "oidp_schema.h"

static int is_sqlite(const admin_t *a)
{
    return strcmp(a->driver_name, "sqlite3") == 0;
}

/* 'text' as an SQL string literal */
static const char *quoted(apr_pool_t *p, const char *s)
{
    const char *q;
    char *out = apr_palloc(p, strlen(s) * 2 + 3), *o = out;

    *o++ = '\'';
    for (q = s; *q; q++) {
        if (*q == '\'') {
            *o++ = '\'';
        }
        *o++ = *q;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

static int exec(admin_t *a, const char *sql)
{
    int n = 0;
    int rc = apr_dbd_query(a->db.driver, a->db.handle, &n, sql);

    if (rc != 0) {
        return admin_fail(EX_DB, "%s: %s", sql, apr_dbd_error(a->db.driver, a->db.handle, rc));
    }
    return EX_OK;
}

/* The first column of the first row of a query, or NULL. */
static const char *one_value(apr_pool_t *p, oidp_db_t *db, const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;

    if (apr_dbd_select(db->driver, p, db->handle, &res, sql, 1) != 0) {
        return NULL;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        if (!v) {
            v = apr_pstrdup(p, apr_dbd_get_entry(db->driver, row, 0));
        }
    }
    return v;
}

int admin_ops_backup(admin_t *a, int argc, const char *const *argv)
{
    const char *file;
    int rc;

    if (argc != 1) {
        return admin_fail(EX_USAGE, "usage: oidc-idp-admin backup FILE");
    }
    if (!is_sqlite(a)) {
        return admin_fail(EX_USAGE,
                          "backup copies SQLite databases; for %s use its own tool "
                          "(pg_dump makes a consistent copy while httpd runs)",
                          a->driver_name);
    }
    file = argv[0];
    rc = exec(a, apr_pstrcat(a->pool, "VACUUM INTO ", quoted(a->pool, file), NULL));
    if (rc != EX_OK) {
        return rc;
    }
    printf("backed up %s to %s (schema version %d)\n", a->params, file, OIDP_SCHEMA_VERSION);
    return EX_OK;
}

/* The backup's schema version and integrity, in its own connection. */
static int backup_ok(admin_t *a, const char *file)
{
    oidp_db_t b;
    apr_finfo_t fi;
    const char *err = NULL, *ic;
    int version = 0, rc = EX_OK;
    apr_status_t rv;

    /* SQLite would create a missing file */
    if (apr_stat(&fi, file, APR_FINFO_TYPE, a->pool) != APR_SUCCESS || fi.filetype != APR_REG) {
        return admin_fail(EX_NOTFOUND, "no backup file %s", file);
    }
    b.driver = a->db.driver;
    b.prepared = apr_hash_make(a->pool);
    if (apr_dbd_open_ex(b.driver, a->pool, file, &b.handle, &err) != APR_SUCCESS) {
        return admin_fail(EX_DB, "cannot open the backup %s: %s", file, err ? err : "");
    }
    rv = oidp_migrate_version(&version, a->pool, &b, &err);
    ic = one_value(a->pool, &b, "PRAGMA integrity_check");
    if (rv != APR_SUCCESS) {
        rc = admin_fail(EX_DB, "%s is not a backup of a mod_oidc_idp database (%s)", file,
                        err ? err : "no schema version");
    }
    else if (version != OIDP_SCHEMA_VERSION) {
        rc = admin_fail(EX_DB,
                        "the backup %s has schema version %d, this tool %d: restore it with "
                        "the version that made it, then migrate",
                        file, version, OIDP_SCHEMA_VERSION);
    }
    else if (!ic || strcmp(ic, "ok") != 0) {
        rc = admin_fail(EX_DB, "the backup %s is damaged: %s", file, ic ? ic : "unreadable");
    }
    apr_dbd_close(b.driver, b.handle);
    return rc;
}

int admin_ops_restore(admin_t *a, int argc, const char *const *argv)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *tables = apr_array_make(a->pool, 16, sizeof(const char *));
    const char *file;
    int rc, i, ok = 1;

    if (argc != 1) {
        return admin_fail(EX_USAGE, "usage: oidc-idp-admin restore FILE");
    }
    if (!is_sqlite(a)) {
        return admin_fail(EX_USAGE,
                          "restore reads SQLite backups; for %s use its own tool "
                          "(pg_restore, psql)",
                          a->driver_name);
    }
    file = argv[0];
    if ((rc = backup_ok(a, file)) != EX_OK || (rc = admin_migrate_check(a)) != EX_OK) {
        return rc;
    }
    rc = exec(a, apr_pstrcat(a->pool, "ATTACH DATABASE ", quoted(a->pool, file), " AS oidp_backup",
                             NULL));
    if (rc != EX_OK) {
        return rc;
    }
    if (apr_dbd_select(a->db.driver, a->pool, a->db.handle, &res,
                       "SELECT name FROM oidp_backup.sqlite_master WHERE type = 'table' "
                       "AND name NOT LIKE 'sqlite_%' ORDER BY name",
                       1)
        != 0) {
        exec(a, "DETACH DATABASE oidp_backup");
        return admin_fail(EX_DB, "cannot list the tables of %s", file);
    }
    while (apr_dbd_get_row(a->db.driver, a->pool, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(tables, const char *) = apr_pstrdup(a->pool,
                                                           apr_dbd_get_entry(a->db.driver, row, 0));
    }
    rc = exec(a, "BEGIN IMMEDIATE");
    for (i = 0; rc == EX_OK && i < tables->nelts; i++) {
        const char *t = APR_ARRAY_IDX(tables, i, const char *);
        rc = exec(a, apr_psprintf(a->pool, "DELETE FROM main.\"%s\"", t));
        if (rc == EX_OK) {
            rc = exec(a, apr_psprintf(a->pool,
                                      "INSERT INTO main.\"%s\" SELECT * FROM "
                                      "oidp_backup.\"%s\"",
                                      t, t));
        }
    }
    ok = rc == EX_OK;
    if (exec(a, ok ? "COMMIT" : "ROLLBACK") != EX_OK) {
        ok = 0;
        rc = EX_DB;
    }
    exec(a, "DETACH DATABASE oidp_backup");
    if (ok) {
        printf("restored %d tables of %s into %s\n", tables->nelts, file, a->params);
    }
    return ok ? EX_OK : rc;
}

static int problem(int *n, const char *fmt, const char *a1, const char *a2, const char *a3)
{
    ++*n;
    printf("problem: ");
    printf(fmt, a1, a2, a3);
    putchar('\n');
    return 0;
}

static void check_uris(admin_t *a, int *n, const oidp_client_t *c, apr_array_header_t *uris,
                       const char *kind)
{
    int j;

    for (j = 0; uris && j < uris->nelts; j++) {
        const char *u = APR_ARRAY_IDX(uris, j, const char *);
        const char *why = oidp_redirect_uri_check(a->pool, u, 1);
        if (why) {
            problem(n, "client %s: %s", c->client_id,
                    apr_psprintf(a->pool, "%s '%s' %s", kind, u, why), "");
        }
        else if (oidp_redirect_uri_check(a->pool, u, 0)) {
            printf("warning: client %s: %s '%s' is plain http off loopback\n", c->client_id, kind,
                   u);
        }
    }
}

int admin_ops_check(admin_t *a, int argc, const char *const *argv)
{
    apr_array_header_t *clients = NULL;
    const char *err = NULL;
    int version = 0, n = 0, i, rsa = 0, keys = 0;
    apr_status_t rv;

    for (i = 0; i < argc; i++) {
        oidp_key_t *k = NULL;
        if (strcmp(argv[i], "--key") != 0 || i + 1 >= argc) {
            return admin_fail(EX_USAGE, "usage: oidc-idp-admin check [--key FILE ...]");
        }
        keys++;
        if (oidp_jose_key_load(&k, a->pool, argv[++i], &err) != APR_SUCCESS) {
            problem(&n, "signing key %s: %s", argv[i], err ? err : "does not load", "");
            continue;
        }
        rsa += k->alg == OIDP_ALG_RS256;
        printf("key %s: %s, kid %s\n", argv[i], k->alg_name, k->kid);
    }
    if (keys && !rsa) {
        problem(&n, "no RSA signing key among the %s given: OpenID Connect requires RS256",
                apr_itoa(a->pool, keys), "", "");
    }
    rv = oidp_migrate_version(&version, a->pool, &a->db, &err);
    if (rv == APR_NOTFOUND) {
        problem(&n, "the database is not initialised: run 'oidc-idp-admin init'", "", "", "");
    }
    else if (rv != APR_SUCCESS) {
        problem(&n, "cannot read the schema version: %s", err ? err : "database error", "", "");
    }
    else if (version != OIDP_SCHEMA_VERSION) {
        problem(&n, "the database has schema version %s, this tool and module %s: %s",
                apr_itoa(a->pool, version), apr_itoa(a->pool, OIDP_SCHEMA_VERSION),
                version < OIDP_SCHEMA_VERSION ? "run 'oidc-idp-admin migrate'"
                                              : "upgrade mod_oidc_idp and oidc-idp-admin");
    }
    else {
        printf("schema version %d: current\n", version);
        if (is_sqlite(a)) {
            const char *ic = one_value(a->pool, &a->db, "PRAGMA integrity_check");
            if (!ic || strcmp(ic, "ok") != 0) {
                problem(&n, "SQLite integrity check: %s", ic ? ic : "failed", "", "");
            }
        }
        if (oidp_store_prepare(a->pool, &a->db, OIDP_STMT__COUNT, &err) != APR_SUCCESS) {
            problem(&n, "the statements do not prepare: %s", err ? err : "", "", "");
        }
        else if (oidp_store_client_list(&clients, a->pool, &a->db, &err) != APR_SUCCESS) {
            problem(&n, "cannot list the clients: %s", err ? err : "", "", "");
        }
        else {
            for (i = 0; i < clients->nelts; i++) {
                const oidp_client_t *c = APR_ARRAY_IDX(clients, i, const oidp_client_t *);
                check_uris(a, &n, c, c->redirect_uris, "redirect URI");
                check_uris(a, &n, c, c->post_logout_uris, "post-logout URI");
            }
            printf("%d clients checked\n", clients->nelts);
        }
    }
    printf("check: %d problem%s\n", n, n == 1 ? "" : "s");
    return n ? EX_CHECK : EX_OK;
}
