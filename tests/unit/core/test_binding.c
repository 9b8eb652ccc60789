/*
 * src/core/binding.c: the issuer a database is bound to (oidp_meta
 * 'issuer'), on a new SQLite database of the newest schema: unbound at
 * first, bound once by bind (a second bind to another issuer leaves it as
 * it was), rebound by set, and a value with quotes stored as given.
 */
#include <string.h>

#include <apr_dbd.h>
#include <apr_strings.h>

#include "oidp_binding.h"
#include "oidp_store.h"
#include "unit.h"

static apr_pool_t *p;
static const char *err;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
    err = NULL;
}

static void teardown(void)
{
    apr_pool_destroy(p);
}

START_TEST(unbound_then_bound_once)
{
    oidp_db_t *db = ut_sqlite(p);
    const char *iss = NULL;
    int fresh = -1;

    ck_assert_int_eq(oidp_binding_get(&iss, p, db, &err), APR_NOTFOUND);
    ck_assert_ptr_null(iss);
    ck_assert_int_eq(oidp_binding_bind(&iss, &fresh, p, db, "https://a.example", &err),
                     APR_SUCCESS);
    ck_assert_str_eq(iss, "https://a.example");
    ck_assert_int_eq(fresh, 1);
    /* a second server, another issuer: the binding stays, it is told */
    ck_assert_int_eq(oidp_binding_bind(&iss, &fresh, p, db, "https://b.example", &err),
                     APR_SUCCESS);
    ck_assert_str_eq(iss, "https://a.example");
    ck_assert_int_eq(fresh, 0);
    ck_assert_int_eq(oidp_binding_bind(&iss, &fresh, p, db, "https://a.example", &err),
                     APR_SUCCESS);
    ck_assert_int_eq(fresh, 0);
    ck_assert_int_eq(oidp_binding_get(&iss, p, db, &err), APR_SUCCESS);
    ck_assert_str_eq(iss, "https://a.example");
}
END_TEST

START_TEST(set_rebinds)
{
    oidp_db_t *db = ut_sqlite(p);
    const char *old = "x", *iss = NULL;

    ck_assert_int_eq(oidp_binding_set(&old, p, db, "https://a.example", &err), APR_SUCCESS);
    ck_assert_ptr_null(old);
    ck_assert_int_eq(oidp_binding_set(&old, p, db, "https://b.example/it's", &err), APR_SUCCESS);
    ck_assert_str_eq(old, "https://a.example");
    ck_assert_int_eq(oidp_binding_get(&iss, p, db, &err), APR_SUCCESS);
    ck_assert_str_eq(iss, "https://b.example/it's");
}
END_TEST

START_TEST(no_table_is_an_error)
{
    oidp_db_t *db = ut_sqlite(p);
    const char *iss = NULL;
    int n = 0, fresh = 0;

    ck_assert_int_eq(apr_dbd_query(db->driver, db->handle, &n, "DROP TABLE oidp_meta"), 0);
    ck_assert_int_eq(oidp_binding_get(&iss, p, db, &err), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err, "oidp_meta"));
    ck_assert_int_eq(oidp_binding_bind(&iss, &fresh, p, db, "https://a.example", &err),
                     APR_EGENERAL);
    ck_assert_int_eq(oidp_binding_set(&iss, p, db, "https://a.example", &err), APR_EGENERAL);
}
END_TEST

static Suite *binding_suite(void)
{
    Suite *s = suite_create("binding");
    TCase *t = tcase_create("sqlite");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, unbound_then_bound_once);
    tcase_add_test(t, set_rebinds);
    tcase_add_test(t, no_table_is_an_error);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ut_main(binding_suite());
}
