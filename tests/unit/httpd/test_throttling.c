/*
 * src/httpd/throttle.c on fake requests against SQLite: an attempt from a
 * hammering address is refused without a check once its free attempts are
 * used; a clean address still gets to check a locked account; unknown and
 * known accounts look alike (the glue never sees which); success forgives
 * the account, never the address; exempt addresses and Off count nothing.
 */
#include <string.h>

#include <apr_network_io.h>
#include <apr_strings.h>

#include "oidp_config.h"
#include "oidp_throttling.h"
#include "oidp_util.h"
#include "unit_httpd.h"

static apr_pool_t *p;
static oidp_db_t *db;
static oidp_cfg_t *cfg;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
    db = ut_sqlite(p);
    cfg = oidp_cfg_server_create(p, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(p);
}

static request_rec *from(const char *ip)
{
    request_rec *r = ut_request(p, ut_server(p, cfg));

    r->useragent_ip = (char *)ip;
    ck_assert_int_eq(apr_sockaddr_info_get(&r->useragent_addr, ip, APR_UNSPEC, 0, 0, p),
                     APR_SUCCESS);
    return r;
}

/* One attempt: the outcome of the check and the wait it leaves. */
static oidp_err_t attempt(const char *ip, const char *user, int right, apr_int64_t *wait)
{
    request_rec *r = from(ip);
    oidp_throttle_t *t = NULL;
    oidp_err_t e = oidp_throttle_check(&t, r, db, OIDP_THROTTLE_LOGIN, user, wait);

    if (e != OIDP_OK) {
        ck_assert_str_eq(apr_table_get(r->notes, OIDP_NOTE_RETRY_AFTER),
                         apr_psprintf(p, "%" APR_INT64_T_FMT, *wait));
        return e;
    }
    return oidp_throttle_done(t, r, db, right ? OIDP_OK : OIDP_ERR_ACCESS_DENIED, wait);
}

/* Waits of 1 s are checked right after they start: begin at a new second. */
static void new_second(void)
{
    apr_int64_t t = oidp_util_now();

    while (oidp_util_now() == t) {
        apr_sleep(10000);
    }
}

START_TEST(hammering_address_is_stopped)
{
    apr_int64_t wait = 0;
    int i;

    for (i = 1; i <= 5; i++) {
        ck_assert_int_eq(attempt("192.0.2.1", "alice", 0, &wait), OIDP_ERR_ACCESS_DENIED);
        ck_assert_int_eq(wait, 0);
    }
    /* the 6th failure engages 1 s; the next attempt is refused unchecked */
    new_second();
    ck_assert_int_eq(attempt("192.0.2.1", "alice", 0, &wait), OIDP_ERR_ACCESS_DENIED);
    ck_assert_int_eq(wait, 1);
    ck_assert_int_eq(attempt("192.0.2.1", "alice", 1, &wait), OIDP_ERR_TOO_MANY_ATTEMPTS);
    ck_assert_int_ge(wait, 1);
    /* the same for another account from that address: the address is held */
    ck_assert_int_eq(attempt("192.0.2.1", "bob", 1, &wait), OIDP_ERR_TOO_MANY_ATTEMPTS);
    /* ... until the wait is over: then the attempt is checked again */
    apr_sleep(apr_time_from_sec(wait) + 50000);
    new_second();
    ck_assert_int_eq(attempt("192.0.2.1", "alice", 0, &wait), OIDP_ERR_ACCESS_DENIED);
    ck_assert_int_eq(wait, 2); /* the 7th failure: 2 s */
    ck_assert_int_eq(attempt("192.0.2.1", "alice", 1, &wait), OIDP_ERR_TOO_MANY_ATTEMPTS);
    /* a clean address checks the locked account, and a right password gets in */
    ck_assert_int_eq(attempt("198.51.100.7", "alice", 1, &wait), OIDP_OK);
    /* ... which forgave the account but not the hammering address */
    ck_assert_int_eq(attempt("192.0.2.1", "alice", 1, &wait), OIDP_ERR_TOO_MANY_ATTEMPTS);
}
END_TEST

START_TEST(unknown_accounts_count_alike)
{
    apr_int64_t w1 = 0, w2 = 0;
    int i;

    for (i = 0; i < 8; i++) {
        oidp_err_t a = attempt("192.0.2.10", "alice", 0, &w1);
        oidp_err_t b = attempt("192.0.2.11", "no-such-user", 0, &w2);
        ck_assert_int_eq(a, b);
        ck_assert_int_eq(w1, w2);
    }
}
END_TEST

START_TEST(dirty_address_waits_for_the_account)
{
    apr_int64_t wait = 0;
    int i;

    /* the account locked from many addresses, 1 failure each */
    new_second();
    for (i = 0; i < 8; i++) {
        attempt(apr_psprintf(p, "203.0.113.%d", i + 1), "carol", 0, &wait);
    }
    /* an address with a failure of its own waits for the account */
    ck_assert_int_eq(attempt("203.0.113.1", "carol", 1, &wait), OIDP_ERR_TOO_MANY_ATTEMPTS);
    /* a clean one does not */
    ck_assert_int_eq(attempt("203.0.113.200", "carol", 1, &wait), OIDP_OK);
}
END_TEST

START_TEST(ipv6_counts_by_64)
{
    apr_int64_t wait = 0;
    int i;

    new_second();
    for (i = 0; i < 6; i++) {
        attempt(apr_psprintf(p, "2001:db8:1:2::%x", i + 1), apr_psprintf(p, "u%d", i), 0, &wait);
    }
    ck_assert_int_eq(attempt("2001:db8:1:2:ffff::1", "someone", 1, &wait),
                     OIDP_ERR_TOO_MANY_ATTEMPTS);
    ck_assert_int_eq(attempt("2001:db8:1:3::1", "someone", 1, &wait), OIDP_OK);
}
END_TEST

START_TEST(off_and_exempt_count_nothing)
{
    apr_int64_t wait = 0;
    apr_ipsubnet_t *sub;
    int i;

    ck_assert_int_eq(apr_ipsubnet_create(&sub, "10.0.0.0", "8", p), APR_SUCCESS);
    cfg->throttle_exempt = apr_array_make(p, 1, sizeof(apr_ipsubnet_t *));
    APR_ARRAY_PUSH(cfg->throttle_exempt, apr_ipsubnet_t *) = sub;
    for (i = 0; i < 20; i++) {
        ck_assert_int_eq(attempt("10.1.2.3", "dave", 0, &wait), OIDP_ERR_ACCESS_DENIED);
        ck_assert_int_eq(wait, 0);
    }
    cfg->throttle = 0;
    for (i = 0; i < 20; i++) {
        ck_assert_int_eq(attempt("192.0.2.99", "dave", 0, &wait), OIDP_ERR_ACCESS_DENIED);
    }
    /* nothing was counted for dave: a clean address is not held, and
     * neither is the exempt-then-unthrottled one */
    cfg->throttle = 1;
    ck_assert_int_eq(attempt("192.0.2.99", "dave", 1, &wait), OIDP_OK);
}
END_TEST

START_TEST(message)
{
    ck_assert_str_eq(oidp_throttle_message(p, 1), "Too many attempts. Try again in 1 second.");
    ck_assert_str_eq(oidp_throttle_message(p, 42), "Too many attempts. Try again in 42 seconds.");
}
END_TEST

static Suite *throttling_suite(void)
{
    Suite *s = suite_create("throttling");
    TCase *t = tcase_create("glue");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, hammering_address_is_stopped);
    tcase_add_test(t, unknown_accounts_count_alike);
    tcase_add_test(t, dirty_address_waits_for_the_account);
    tcase_add_test(t, ipv6_counts_by_64);
    tcase_add_test(t, off_and_exempt_count_nothing);
    tcase_add_test(t, message);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ut_main(throttling_suite());
}
