/*
 * src/core/scope.c: the limits of a scope (OIDP_SCOPE_MAX_VALUES distinct
 * values of at most OIDP_SCOPE_MAX_LEN bytes) and linear de-duplication
 * (a CPU bound far above the linear cost and far below the quadratic one).
 */
#include <string.h>
#include <time.h>

#include <apr_strings.h>

#include "oidp_scope.h"
#include "unit.h"

static apr_pool_t *p;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
}

static void teardown(void)
{
    apr_pool_destroy(p);
}

/* "s0 s1 ... s<n-1>" or n copies of "dup" */
static const char *tokens(int n, int distinct)
{
    apr_array_header_t *a = apr_array_make(p, n, sizeof(const char *));
    int i;

    for (i = 0; i < n; i++) {
        APR_ARRAY_PUSH(a, const char *) = distinct ? apr_psprintf(p, "s%d", i) : "dup";
    }
    return apr_array_pstrcat(p, a, ' ');
}

static double cpu_ms(clock_t since)
{
    return (double)(clock() - since) * 1000.0 / CLOCKS_PER_SEC;
}

START_TEST(count_cap)
{
    apr_array_header_t *a = NULL;
    const char *err = NULL;

    ck_assert_int_eq(oidp_scope_split(&a, p, tokens(OIDP_SCOPE_MAX_VALUES, 1),
                                      OIDP_SCOPE_MAX_VALUES, OIDP_SCOPE_MAX_LEN, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(a->nelts, OIDP_SCOPE_MAX_VALUES);
    ck_assert_ptr_nonnull(oidp_scope_parse(p, tokens(OIDP_SCOPE_MAX_VALUES, 1)));
    ck_assert_ptr_null(oidp_scope_parse(p, tokens(OIDP_SCOPE_MAX_VALUES + 1, 1)));
    ck_assert_int_eq(oidp_scope_split(&a, p, tokens(OIDP_SCOPE_MAX_VALUES + 1, 1),
                                      OIDP_SCOPE_MAX_VALUES, OIDP_SCOPE_MAX_LEN, &err),
                     APR_EINVAL);
    ck_assert_ptr_null(a);
    ck_assert_str_eq(err, "too many scope values");
    /* duplicates are not values: 1000 copies are one scope */
    a = oidp_scope_parse(p, tokens(1000, 0));
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->nelts, 1);
}
END_TEST

START_TEST(length_cap)
{
    char *v = apr_palloc(p, OIDP_SCOPE_MAX_LEN + 2);
    apr_array_header_t *a = NULL;
    const char *err = NULL;

    memset(v, 'x', OIDP_SCOPE_MAX_LEN);
    v[OIDP_SCOPE_MAX_LEN] = '\0';
    a = oidp_scope_parse(p, apr_pstrcat(p, "openid ", v, NULL));
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->nelts, 2);
    v[OIDP_SCOPE_MAX_LEN] = 'x';
    v[OIDP_SCOPE_MAX_LEN + 1] = '\0';
    ck_assert_ptr_null(oidp_scope_parse(p, apr_pstrcat(p, "openid ", v, NULL)));
    ck_assert_int_eq(oidp_scope_split(&a, p, v, OIDP_SCOPE_MAX_VALUES, OIDP_SCOPE_MAX_LEN, &err),
                     APR_EINVAL);
    ck_assert_str_eq(err, "a scope value is too long");
    /* without limits (0) the same value is fine */
    ck_assert_int_eq(oidp_scope_split(&a, p, v, 0, 0, &err), APR_SUCCESS);
    ck_assert_int_eq(a->nelts, 1);
    /* the syntax is still checked first-come */
    ck_assert_int_eq(oidp_scope_split(&a, p, "openid pro\"file", 0, 0, &err), APR_EINVAL);
    ck_assert_str_eq(err, "a scope holds a character that is not allowed");
}
END_TEST

/* 20,000 distinct scopes: a quadratic de-duplication makes 2e8 string
 * comparisons (about a second here); a linear one takes a few ms. The
 * bound is generous for slow machines and sanitizers alike. */
START_TEST(linear)
{
    const char *many = tokens(20000, 1), *dups = tokens(100001, 0);
    apr_array_header_t *a = NULL;
    const char *err = NULL;
    clock_t t0 = clock();
    double ms;

    ck_assert_int_eq(oidp_scope_split(&a, p, many, 0, 0, &err), APR_SUCCESS);
    ms = cpu_ms(t0);
    ck_assert_int_eq(a->nelts, 20000);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 0, const char *), "s0");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 19999, const char *), "s19999");
    ck_assert_msg(ms < 100.0, "20,000 distinct scopes took %.1f ms of CPU", ms);

    t0 = clock();
    ck_assert_int_eq(oidp_scope_split(&a, p, dups, 0, 0, &err), APR_SUCCESS);
    ms = cpu_ms(t0);
    ck_assert_int_eq(a->nelts, 1);
    ck_assert_msg(ms < 100.0, "100,001 duplicates took %.1f ms of CPU", ms);
}
END_TEST

START_TEST(as_a_set)
{
    apr_array_header_t *a = oidp_scope_parse(p, "openid profile email");
    apr_hash_t *set = oidp_scope_set(p, a);

    ck_assert_int_eq(apr_hash_count(set), 3);
    ck_assert_ptr_nonnull(apr_hash_get(set, "profile", APR_HASH_KEY_STRING));
    ck_assert_ptr_null(apr_hash_get(set, "prof", APR_HASH_KEY_STRING));
    ck_assert_int_eq(apr_hash_count(oidp_scope_set(p, NULL)), 0);
}
END_TEST

static Suite *scope_suite(void)
{
    Suite *s = suite_create("scope");
    TCase *tc = tcase_create("scope");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, count_cap);
    tcase_add_test(tc, length_cap);
    tcase_add_test(tc, linear);
    tcase_add_test(tc, as_a_set);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(scope_suite());
}
