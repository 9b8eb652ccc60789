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

/* The cost of splitting N scopes, as it grows with N: the best of three
 * runs at 4,000 and at 40,000 tokens. A linear de-duplication costs about
 * 10 times more for 10 times the tokens, a quadratic one 100 times; the
 * bound (40) sits between, and a ratio holds on a slow or loaded machine
 * and under valgrind or sanitizers, where an absolute time does not. */
static double split_ms(int n, int distinct, int nelts)
{
    const char *in = tokens(n, distinct);
    double best = -1;
    int i;

    for (i = 0; i < 3; i++) {
        apr_array_header_t *a = NULL;
        const char *err = NULL;
        clock_t t0 = clock();
        double ms;

        ck_assert_int_eq(oidp_scope_split(&a, p, in, 0, 0, &err), APR_SUCCESS);
        ms = cpu_ms(t0);
        ck_assert_int_eq(a->nelts, nelts);
        if (distinct) {
            ck_assert_str_eq(APR_ARRAY_IDX(a, 0, const char *), "s0");
            ck_assert_str_eq(APR_ARRAY_IDX(a, n - 1, const char *), apr_psprintf(p, "s%d", n - 1));
        }
        if (best < 0 || ms < best) {
            best = ms;
        }
    }
    /* clock()'s granularity: never divide by (nearly) nothing */
    return best < 0.05 ? 0.05 : best;
}

START_TEST(linear)
{
    double small = split_ms(4000, 1, 4000), large = split_ms(40000, 1, 40000);

    ck_assert_msg(large / small < 40.0,
                  "distinct scopes: 4,000 took %.2f ms, 40,000 took %.2f ms (x%.0f)", small, large,
                  large / small);
    small = split_ms(10000, 0, 1);
    large = split_ms(100000, 0, 1);
    ck_assert_msg(large / small < 40.0,
                  "duplicates: 10,000 took %.2f ms, 100,000 took %.2f ms (x%.0f)", small, large,
                  large / small);
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
