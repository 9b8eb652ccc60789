/*
 * src/core/migrate.c and the embedded schema (build/schema.c): the schema
 * files carry OIDP_SCHEMA_VERSION, a migration exists to every version for
 * both drivers, and on SQLite a database of version 1 (tests/fixtures/v1,
 * read from the source tree: `make check` runs from the top folder) is
 * upgraded in place with every row kept and the schema of a new database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_strings.h>

#include "oidp_migrate.h"
#include "oidp_schema.h"
#include "oidp_store.h"
#include "unit.h"

#define FIXTURES "tests/fixtures/v1/"

static const char *const drivers[] = {"sqlite3", "pgsql", NULL};
static const char *const tables[] = {
    "oidp_meta",  "oidp_client",  "oidp_client_uri", "oidp_user",          "oidp_code",
    "oidp_token", "oidp_session", "oidp_consent",    "oidp_grant_revoked", NULL};

static apr_pool_t *p;
static const char *err;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
    err = NULL;
}

static void teardown(void)
{
    apr_pool_destroy(p); /* closes the databases */
}

static apr_status_t db_close(void *data)
{
    oidp_db_t *db = data;
    apr_dbd_close(db->driver, db->handle);
    return APR_SUCCESS;
}

/* A new, empty SQLite database (ut_sqlite makes one of the newest schema). */
static oidp_db_t *db_empty(void)
{
    static int serial;
    oidp_db_t *db = apr_pcalloc(p, sizeof(*db));
    const char *path, *oerr = NULL;

    ck_assert_int_eq(apr_dbd_init(p), APR_SUCCESS);
    ck_assert_int_eq(apr_dbd_get_driver(p, "sqlite3", &db->driver), APR_SUCCESS);
    path = apr_psprintf(p, "%s/mig-%ld-%d.sqlite", ut_tmpdir(), (long)getpid(), serial++);
    unlink(path);
    ck_assert_msg(apr_dbd_open_ex(db->driver, p, path, &db->handle, &oerr) == APR_SUCCESS,
                  "cannot open %s: %s", path, oerr ? oerr : "");
    apr_pool_cleanup_register(p, db, db_close, apr_pool_cleanup_null);
    db->prepared = apr_hash_make(p);
    return db;
}

static const char *file_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[4096];
    size_t n;
    char *text = "";

    ck_assert_msg(f != NULL, "cannot read %s (run from the top folder)", path);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        text = apr_pstrcat(p, text, apr_pstrmemdup(p, buf, n), NULL);
    }
    fclose(f);
    return text;
}

static void exec_ok(oidp_db_t *db, const char *sql)
{
    int n = 0;
    int rc = apr_dbd_query(db->driver, db->handle, &n, sql);

    ck_assert_msg(rc == 0, "%s: %s", sql, apr_dbd_error(db->driver, db->handle, rc));
}

/* A database of schema version 1 with the rows of the fixture. */
static oidp_db_t *db_v1(void)
{
    oidp_db_t *db = db_empty();

    ck_assert_msg(oidp_migrate_script(p, db, file_text(FIXTURES "schema.sqlite3.sql"), &err)
                      == APR_SUCCESS,
                  "v1 schema: %s", err);
    ck_assert_msg(oidp_migrate_script(p, db, file_text(FIXTURES "data.sql"), &err) == APR_SUCCESS,
                  "v1 data: %s", err);
    return db;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every row of a select, each as "col|col|..." (NULL as \N), sorted, one
 * a line. */
static const char *rows(oidp_db_t *db, const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *lines = apr_array_make(p, 16, sizeof(const char *));
    int rc = apr_dbd_select(db->driver, p, db->handle, &res, sql, 1), cols, i;

    ck_assert_msg(rc == 0, "%s: %s", sql, apr_dbd_error(db->driver, db->handle, rc));
    cols = apr_dbd_num_cols(db->driver, res);
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *line = "";
        for (i = 0; i < cols; i++) {
            char *v = NULL;
            if (apr_dbd_datum_get(db->driver, row, i, APR_DBD_TYPE_STRING, &v) != APR_SUCCESS) {
                v = "\\N";
            }
            line = apr_pstrcat(p, line, i ? "|" : "", v, NULL);
        }
        APR_ARRAY_PUSH(lines, const char *) = line;
    }
    qsort(lines->elts, (size_t)lines->nelts, sizeof(const char *), str_cmp);
    return apr_array_pstrcat(p, lines, '\n');
}

static const char *all_rows(oidp_db_t *db)
{
    const char *out = "";
    int i;

    for (i = 0; tables[i]; i++) {
        out = apr_pstrcat(p, out, "== ", tables[i], "\n",
                          rows(db, apr_pstrcat(p, "SELECT * FROM ", tables[i], NULL)), "\n", NULL);
    }
    return out;
}

/* Every row of every table, in the columns each table has in cols_of (a
 * database of an earlier version: its rows compared with a migrated one's). */
static const char *all_rows_as(oidp_db_t *db, oidp_db_t *cols_of)
{
    const char *out = "";
    int i;

    for (i = 0; tables[i]; i++) {
        const char *cols = rows(cols_of, apr_pstrcat(p,
                                                     "SELECT group_concat(name, ', ') FROM "
                                                     "(SELECT name FROM pragma_table_info('",
                                                     tables[i], "') ORDER BY cid)", NULL));
        out = apr_pstrcat(p, out, "== ", tables[i], "\n",
                          rows(db, apr_pstrcat(p, "SELECT ", cols, " FROM ", tables[i], NULL)),
                          "\n", NULL);
    }
    return out;
}

/* Tables, columns (name, type, not null, default, key) and indexes with
 * their columns and uniqueness: what two schemas must share. */
static const char *schema_shape(oidp_db_t *db)
{
    return apr_pstrcat(
        p,
        rows(db, "SELECT m.name, c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk "
                 "FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table'"),
        "\n",
        rows(db, "SELECT m.name, l.name, l.\"unique\", l.origin, i.seqno, i.name "
                 "FROM sqlite_master m, pragma_index_list(m.tbl_name) l, "
                 "pragma_index_info(l.name) i WHERE m.type = 'table'"),
        NULL);
}

/* Fails on the first line where two texts differ (Check's messages are
 * too short for whole dumps). */
static void same_text(const char *got, const char *want, const char *what)
{
    const char *g = got, *w = want;

    while (*g && *g == *w) {
        g++;
        w++;
    }
    if (*g || *w) {
        while (g > got && g[-1] != '\n') {
            g--;
            w--;
        }
        ck_abort_msg("%s differs at: '%.200s' (expected '%.200s')", what,
                     apr_pstrndup(p, g, strcspn(g, "\n")), apr_pstrndup(p, w, strcspn(w, "\n")));
    }
}

static int version_of(oidp_db_t *db)
{
    int v = -1;

    ck_assert_msg(oidp_migrate_version(&v, p, db, &err) == APR_SUCCESS, "version: %s", err);
    return v;
}

START_TEST(schema_files_carry_the_version)
{
    int i;

    for (i = 0; drivers[i]; i++) {
        const char *sql = oidp_schema_sql(drivers[i]);
        const char *at = sql ? strstr(sql, "('schema_version', '") : NULL;

        ck_assert_msg(at != NULL, "conf/schema.%s.sql sets no schema_version", drivers[i]);
        ck_assert_msg(atoi(at + strlen("('schema_version', '")) == OIDP_SCHEMA_VERSION,
                      "conf/schema.%s.sql has schema_version %d, OIDP_SCHEMA_VERSION is %d",
                      drivers[i], atoi(at + strlen("('schema_version', '")), OIDP_SCHEMA_VERSION);
        ck_assert_ptr_null(strstr(at + 1, "('schema_version', '")); /* only once */
    }
    ck_assert_ptr_null(oidp_schema_sql("mysql"));
}
END_TEST

START_TEST(a_migration_to_every_version)
{
    int i, v;

    ck_assert_int_ge(OIDP_SCHEMA_VERSION, 2);
    for (i = 0; drivers[i]; i++) {
        for (v = 2; v <= OIDP_SCHEMA_VERSION; v++) {
            const char *desc = NULL;
            const char *sql = oidp_schema_migration(drivers[i], v, &desc);
            const char *head;

            ck_assert_msg(sql != NULL, "no conf/migrations/%04d.%s.sql", v, drivers[i]);
            ck_assert_msg(desc && *desc, "migration %d for %s has no description", v, drivers[i]);
            head = apr_psprintf(p, "-- %d: %s\n", v, desc);
            ck_assert_msg(strncmp(sql, head, strlen(head)) == 0, "first line of %d.%s: %s", v,
                          drivers[i], sql);
            ck_assert_ptr_nonnull(strstr(sql, ";"));
        }
        /* nothing leads to version 1 or past the newest */
        ck_assert_ptr_null(oidp_schema_migration(drivers[i], 1, NULL));
        ck_assert_ptr_null(oidp_schema_migration(drivers[i], OIDP_SCHEMA_VERSION + 1, NULL));
    }
    ck_assert_ptr_null(oidp_schema_migration("mysql", 2, NULL));
}
END_TEST

START_TEST(v1_migrated_keeps_every_row)
{
    oidp_db_t *db = db_v1(), *fresh = ut_sqlite(p);
    const char *before, *after;
    oidp_migrate_t m;
    int i;

    ck_assert_int_eq(version_of(db), 1);
    before = all_rows(db);
    /* the fixture fills every table (oidp_meta has one row of its own) */
    for (i = 1; tables[i]; i++) {
        ck_assert_msg(strstr(before, apr_pstrcat(p, "== ", tables[i], "\n\n", NULL)) == NULL,
                      "fixture: %s is empty", tables[i]);
    }
    ck_assert_ptr_nonnull(strstr(before, "José Müller"));

    ck_assert_msg(oidp_migrate_run(&m, p, db, &err) == APR_SUCCESS, "migrate: %s", err);
    ck_assert_int_eq(m.from, 1);
    ck_assert_int_eq(m.to, OIDP_SCHEMA_VERSION);
    ck_assert_int_eq(m.steps->nelts, OIDP_SCHEMA_VERSION - 1);
    ck_assert_str_eq(APR_ARRAY_IDX(m.steps, 0, const char *),
                     "2: index on oidp_grant_revoked (revoked_at)");
    ck_assert_ptr_nonnull(
        strstr(APR_ARRAY_IDX(m.steps, 1, const char *), "3: oidp_client.auth_method_pinned"));
    ck_assert_ptr_nonnull(strstr(APR_ARRAY_IDX(m.steps, 2, const char *), "4: oidp_throttle"));
    /* version 4's table starts empty */
    ck_assert_str_eq(rows(db, "SELECT count(*) FROM oidp_throttle"), "0");
    ck_assert_int_eq(version_of(db), OIDP_SCHEMA_VERSION);

    /* the rows of version 1's columns (version 3 added one to oidp_client,
     * where every migrated client is unpinned) */
    ck_assert_str_eq(rows(db, "SELECT count(*) FROM oidp_client WHERE auth_method_pinned <> 0"),
                     "0");
    after = all_rows_as(db, db_v1());
    /* the same rows but for the version */
    same_text(after,
              apr_pstrcat(p, "== oidp_meta\nschema_version|", apr_itoa(p, OIDP_SCHEMA_VERSION),
                          strstr(before, "\n== oidp_client\n"), NULL),
              "rows after the migration");
    /* the schema of a new database, index for index */
    same_text(schema_shape(db), schema_shape(fresh), "migrated schema");
    ck_assert_ptr_nonnull(strstr(schema_shape(db), "oidp_grant_revoked|oidp_grant_revoked_at|"));
    ck_assert_ptr_nonnull(strstr(schema_shape(db), "oidp_throttle|oidp_throttle_last|"));

    /* a second run does nothing */
    ck_assert_msg(oidp_migrate_run(&m, p, db, &err) == APR_SUCCESS, "again: %s", err);
    ck_assert_int_eq(m.from, OIDP_SCHEMA_VERSION);
    ck_assert_int_eq(m.to, OIDP_SCHEMA_VERSION);
    ck_assert_int_eq(m.steps->nelts, 0);
    same_text(schema_shape(db), schema_shape(fresh), "schema after a second run");
}
END_TEST

START_TEST(a_failed_step_changes_nothing)
{
    oidp_db_t *db = db_v1();
    const char *before;
    oidp_migrate_t m;

    /* the last step fails (its column is there already) after step 2 ran:
     * step 2's index is rolled back with it */
    exec_ok(db, "ALTER TABLE oidp_client ADD COLUMN auth_method_pinned TEXT");
    before = apr_pstrcat(p, all_rows(db), schema_shape(db), NULL);
    ck_assert_int_eq(oidp_migrate_run(&m, p, db, &err), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err, "auth_method_pinned"));
    ck_assert_int_eq(m.steps->nelts, 0);
    ck_assert_int_eq(m.to, 1);
    ck_assert_int_eq(version_of(db), 1);
    same_text(apr_pstrcat(p, all_rows(db), schema_shape(db), NULL), before,
              "database after a failed migration");
    ck_assert_ptr_null(strstr(before, "oidp_grant_revoked_at"));
}
END_TEST

START_TEST(newer_version_refused)
{
    oidp_db_t *db = ut_sqlite(p);
    oidp_migrate_t m;

    exec_ok(db, "UPDATE oidp_meta SET value = '99' WHERE name = 'schema_version'");
    ck_assert_int_eq(version_of(db), 99);
    ck_assert_int_eq(oidp_migrate_run(&m, p, db, &err), APR_EINVAL);
    ck_assert_int_eq(m.from, 99);
    ck_assert_int_eq(m.to, 99);
    ck_assert_int_eq(m.steps->nelts, 0);
    ck_assert_ptr_nonnull(strstr(err, "99"));
    ck_assert_int_eq(version_of(db), 99);
}
END_TEST

START_TEST(not_initialised)
{
    oidp_db_t *db = db_empty();
    oidp_migrate_t m;
    int v = -1;

    ck_assert_int_eq(oidp_migrate_version(&v, p, db, &err), APR_NOTFOUND);
    ck_assert_int_eq(oidp_migrate_run(&m, p, db, &err), APR_NOTFOUND);
    /* the table without its row */
    exec_ok(db, "CREATE TABLE oidp_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    ck_assert_int_eq(oidp_migrate_version(&v, p, db, &err), APR_NOTFOUND);
    ck_assert_int_eq(oidp_migrate_run(&m, p, db, &err), APR_NOTFOUND);
    ck_assert_int_eq(m.steps->nelts, 0);
}
END_TEST

START_TEST(broken_meta_is_an_error)
{
    oidp_db_t *db = db_empty();
    int v = -1;

    /* a driver error is not "not initialised" */
    exec_ok(db, "CREATE TABLE oidp_meta (name TEXT)");
    err = NULL;
    ck_assert_int_eq(oidp_migrate_version(&v, p, db, &err), APR_EGENERAL);
    ck_assert_ptr_nonnull(err);
    exec_ok(db, "DROP TABLE oidp_meta");
    exec_ok(db, "CREATE TABLE oidp_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    exec_ok(db, "INSERT INTO oidp_meta VALUES ('schema_version', 'two')");
    err = NULL;
    ck_assert_int_eq(oidp_migrate_version(&v, p, db, &err), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err, "'two'"));
}
END_TEST

START_TEST(script_splits_statements)
{
    oidp_db_t *db = db_empty();

    ck_assert_msg(oidp_migrate_script(p, db,
                                      "-- a comment\n"
                                      "CREATE TABLE a (x TEXT, -- inline\n"
                                      "    y INTEGER);\n"
                                      "\n"
                                      "  INSERT INTO a VALUES ('1;2', 3);  \n"
                                      "INSERT INTO a VALUES ('4', 5);\n",
                                      &err)
                      == APR_SUCCESS,
                  "%s", err);
    ck_assert_str_eq(rows(db, "SELECT * FROM a"), "1;2|3\n4|5");
    ck_assert_int_eq(oidp_migrate_script(p, db, "INSERT INTO a VALUES ('6', 7)\n", &err),
                     APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err, "no ';'"));
    ck_assert_int_eq(oidp_migrate_script(p, db, "INSERT INTO nowhere VALUES (1);\n", &err),
                     APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err, "nowhere"));
    ck_assert_str_eq(rows(db, "SELECT * FROM a"), "1;2|3\n4|5");
}
END_TEST

static Suite *migrate_suite(void)
{
    Suite *s = suite_create("migrate");
    TCase *t = tcase_create("sqlite");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, schema_files_carry_the_version);
    tcase_add_test(t, a_migration_to_every_version);
    tcase_add_test(t, v1_migrated_keeps_every_row);
    tcase_add_test(t, a_failed_step_changes_nothing);
    tcase_add_test(t, newer_version_refused);
    tcase_add_test(t, not_initialised);
    tcase_add_test(t, broken_meta_is_an_error);
    tcase_add_test(t, script_splits_statements);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ut_main(migrate_suite());
}
