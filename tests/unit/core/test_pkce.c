/*
 * src/pkce.c: RFC 7636 challenges and verifiers.
 */
#include <string.h>

#include "oidp_pkce.h"
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

/* RFC 7636 Appendix B */
#define V "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define C "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

START_TEST(s256_rfc7636_example)
{
    ck_assert(oidp_pkce_challenge_ok(C, "S256"));
    ck_assert(oidp_pkce_verify(p, "S256", C, V));
}
END_TEST

START_TEST(s256_wrong_verifier)
{
    ck_assert(!oidp_pkce_verify(p, "S256", C, V "x"));
    ck_assert(!oidp_pkce_verify(p, "S256", C, "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    /* the challenge itself is not a verifier of itself */
    ck_assert(!oidp_pkce_verify(p, "S256", C, C));
}
END_TEST

START_TEST(verifier_syntax)
{
    char longv[130];

    /* 43..128 unreserved characters */
    ck_assert(!oidp_pkce_verify(p, "plain", "short", "short"));
    memset(longv, 'a', 129);
    longv[129] = '\0';
    ck_assert(!oidp_pkce_verify(p, "plain", longv, longv));
    longv[128] = '\0';
    ck_assert(oidp_pkce_verify(p, "plain", longv, longv));
    ck_assert(!oidp_pkce_verify(p, "plain", V "+", V "+"));
    ck_assert(!oidp_pkce_verify(p, "plain", V " ", V " "));
    ck_assert(!oidp_pkce_verify(p, "S256", C, NULL));
    ck_assert(!oidp_pkce_verify(p, NULL, C, V));
    ck_assert(!oidp_pkce_verify(p, "S512", C, V));
}
END_TEST

START_TEST(challenge_syntax)
{
    ck_assert(!oidp_pkce_challenge_ok(NULL, "S256"));
    ck_assert(!oidp_pkce_challenge_ok(C, NULL));
    ck_assert(!oidp_pkce_challenge_ok(C "A", "S256")); /* 44 chars */
    ck_assert(!oidp_pkce_challenge_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c", "S256"));
    ck_assert(!oidp_pkce_challenge_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM", "S256"));
    ck_assert(!oidp_pkce_challenge_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw.cM", "S256"));
    ck_assert(oidp_pkce_challenge_ok(V, "plain"));
    ck_assert(!oidp_pkce_challenge_ok("abc", "plain"));
    ck_assert(!oidp_pkce_challenge_ok(C, "s256")); /* methods are case-sensitive */
}
END_TEST

START_TEST(plain_compares_exactly)
{
    ck_assert(oidp_pkce_verify(p, "plain", V, V));
    ck_assert(!oidp_pkce_verify(p, "plain", V, "DBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
}
END_TEST

static Suite *pkce_suite(void)
{
    Suite *s = suite_create("pkce");
    TCase *tc = tcase_create("pkce");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, s256_rfc7636_example);
    tcase_add_test(tc, s256_wrong_verifier);
    tcase_add_test(tc, verifier_syntax);
    tcase_add_test(tc, challenge_syntax);
    tcase_add_test(tc, plain_compares_exactly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(pkce_suite());
}
