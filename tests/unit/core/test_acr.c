/*
 * src/core/acr.c: the acr table's levels and what a request asks for
 * (acr_values, the claims request's id_token acr and its essential flag).
 */
#include <string.h>

#include "oidp_acr.h"
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

START_TEST(levels)
{
    ck_assert_int_eq(oidp_acr_level(OIDP_ACR_PASSWORD), 1);
    ck_assert_int_eq(oidp_acr_level(OIDP_ACR_UPSTREAM), 1);
    ck_assert_int_eq(oidp_acr_level(OIDP_ACR_X509), 2);
    ck_assert_int_eq(oidp_acr_level(OIDP_ACR_KERBEROS), 2);
    ck_assert_int_eq(oidp_acr_level(NULL), 0);
    ck_assert_int_eq(oidp_acr_level("Password"), 0);
    ck_assert_int_eq(oidp_acr_level("1"), 0);
}
END_TEST

START_TEST(acr_values)
{
    int l, e, u;

    oidp_acr_request(p, "x509 password", NULL, &l, &e, &u);
    ck_assert_int_eq(l, 1); /* any one of them meets it: the lowest */
    ck_assert(!e && !u);
    oidp_acr_request(p, "  kerberos  nosuch ", NULL, &l, &e, &u);
    ck_assert_int_eq(l, 2);
    oidp_acr_request(p, "1 2", NULL, &l, &e, &u);
    ck_assert_int_eq(l, 0); /* unknown values ask for nothing (voluntary) */
    oidp_acr_request(p, NULL, NULL, &l, &e, &u);
    ck_assert_int_eq(l, 0);
}
END_TEST

START_TEST(claims_request)
{
    int l, e, u;

    oidp_acr_request(p, NULL, "{\"id_token\":{\"acr\":{\"essential\":true,\"values\":[\"x509\"]}}}",
                     &l, &e, &u);
    ck_assert_int_eq(l, 2);
    ck_assert(e == 2 && !u);
    /* a voluntary lower value does not lower the essential one */
    oidp_acr_request(p, "password",
                     "{\"id_token\":{\"acr\":{\"essential\":true,\"values\":[\"x509\"]}}}", &l, &e,
                     &u);
    ck_assert(l == 1 && e == 2 && !u);
    oidp_acr_request(p, "password", "{\"id_token\":{\"acr\":{\"value\":\"kerberos\"}}}", &l, &e,
                     &u);
    ck_assert_int_eq(l, 1);
    ck_assert(!e);
    oidp_acr_request(p, NULL, "{\"id_token\":{\"acr\":{\"essential\":true,\"value\":\"gold\"}}}",
                     &l, &e, &u);
    ck_assert_int_eq(l, 0);
    ck_assert(e == 1 && u); /* essential, nothing we reach: cannot be met */
    oidp_acr_request(p, NULL, "{\"id_token\":{\"acr\":{\"essential\":true}}}", &l, &e, &u);
    ck_assert(e == 1 && !u); /* any acr: level 1 */
    oidp_acr_request(p, NULL, "{\"userinfo\":{\"acr\":{\"essential\":true,\"value\":\"x509\"}}}",
                     &l, &e, &u);
    ck_assert(l == 0 && !e);
    oidp_acr_request(p, NULL, "{\"id_token\":{\"acr\":null}}", &l, &e, &u);
    ck_assert(l == 0 && !e && !u);
    oidp_acr_request(p, NULL, "not json", &l, &e, &u);
    ck_assert(l == 0 && !e && !u);
}
END_TEST

static Suite *acr_suite(void)
{
    Suite *s = suite_create("acr");
    TCase *tc = tcase_create("acr");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, levels);
    tcase_add_test(tc, acr_values);
    tcase_add_test(tc, claims_request);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(acr_suite());
}
