/*
 * src/core/throttle.c: delays from failure counters, forgetting, and the
 * rule that keeps clean addresses free of failures made elsewhere.
 */
#include "oidp_throttle.h"
#include "unit.h"

static const oidp_throttle_policy_t pol = {5, 300, 900};

static oidp_throttle_count_t cnt(apr_int64_t failures, apr_int64_t last_at)
{
    oidp_throttle_count_t c;

    c.failures = failures;
    c.last_at = last_at;
    return c;
}

START_TEST(delay_grows_then_caps)
{
    static const apr_int64_t want[] = {0, 0,  0,  0,  0,   0,   1,   2,  4,
                                       8, 16, 32, 64, 128, 256, 300, 300};
    apr_int64_t n;

    for (n = 0; n < (apr_int64_t)(sizeof(want) / sizeof(want[0])); n++) {
        ck_assert_int_eq(oidp_throttle_delay(&pol, n), want[n]);
    }
    /* no overflow however many failures */
    ck_assert_int_eq(oidp_throttle_delay(&pol, 1000000), 300);
    ck_assert_int_eq(oidp_throttle_delay(&pol, APR_INT64_MAX), 300);
}
END_TEST

START_TEST(wait_counts_from_the_last_failure)
{
    oidp_throttle_count_t c = cnt(8, 1000); /* 8 failures: 4 s */

    ck_assert_int_eq(oidp_throttle_wait(&pol, &c, 1000), 4);
    ck_assert_int_eq(oidp_throttle_wait(&pol, &c, 1003), 1);
    ck_assert_int_eq(oidp_throttle_wait(&pol, &c, 1004), 0);
    c = cnt(5, 1000); /* the free attempts: no wait */
    ck_assert_int_eq(oidp_throttle_wait(&pol, &c, 1000), 0);
    c = cnt(0, 0);
    ck_assert_int_eq(oidp_throttle_wait(&pol, &c, 1000), 0);
}
END_TEST

START_TEST(failures_are_forgotten_after_the_window)
{
    oidp_throttle_count_t c = cnt(50, 1000);

    ck_assert_int_eq(oidp_throttle_live(&pol, &c, 1900), 50);
    ck_assert_int_eq(oidp_throttle_live(&pol, &c, 1901), 0);
    ck_assert_int_eq(oidp_throttle_forget_before(&pol, 1901), 1001);
    ck_assert_int_eq(oidp_throttle_wait(&pol, &c, 1901), 0);
    /* a window shorter than the longest delay never cuts a delay short */
    {
        oidp_throttle_policy_t shortw = {1, 600, 60};
        oidp_throttle_count_t d = cnt(40, 1000);
        ck_assert_int_eq(oidp_throttle_wait(&shortw, &d, 1599), 1);
        ck_assert_int_eq(oidp_throttle_live(&shortw, &d, 1600), 40);
        ck_assert_int_eq(oidp_throttle_live(&shortw, &d, 1601), 0);
    }
}
END_TEST

START_TEST(clean_address_is_not_held_by_the_subject)
{
    oidp_throttle_count_t locked = cnt(40, 1000); /* the account: 300 s */
    oidp_throttle_count_t clean = cnt(0, 0);
    oidp_throttle_count_t once = cnt(1, 990);  /* one failure, no wait of its own */
    oidp_throttle_count_t stale = cnt(3, 10);  /* failed long ago */
    oidp_throttle_count_t busy = cnt(7, 1000); /* its own 2 s */
    oidp_throttle_count_t none = cnt(0, 0);

    ck_assert_int_eq(oidp_throttle_attempt_wait(&pol, &locked, &clean, 1010), 0);
    ck_assert_int_eq(oidp_throttle_attempt_wait(&pol, &locked, &stale, 1010), 0);
    ck_assert_int_eq(oidp_throttle_attempt_wait(&pol, &locked, &once, 1010), 290);
    /* the address's own wait holds whatever the subject */
    ck_assert_int_eq(oidp_throttle_attempt_wait(&pol, &none, &busy, 1001), 1);
    ck_assert_int_eq(oidp_throttle_attempt_wait(&pol, &locked, &busy, 1001), 299);
    /* the bound for a real user: an address that failed once is free again
     * when its failure is forgotten, however long the account stays locked */
    locked = cnt(1000, 1000 + 900);
    ck_assert_int_eq(oidp_throttle_attempt_wait(&pol, &locked, &once, 990 + 901), 0);
}
END_TEST

static Suite *throttle_suite(void)
{
    Suite *s = suite_create("throttle");
    TCase *tc = tcase_create("policy");

    tcase_add_test(tc, delay_grows_then_caps);
    tcase_add_test(tc, wait_counts_from_the_last_failure);
    tcase_add_test(tc, failures_are_forgotten_after_the_window);
    tcase_add_test(tc, clean_address_is_not_held_by_the_subject);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(throttle_suite());
}
