/*
 * src/util.c: random tokens, SHA-256 hex, constant-time comparison, UUIDs,
 * pool-bound JSON, scope lists (RFC 6749 3.3) and word lists.
 */
#include <string.h>
#include <time.h>

#include <apr_strings.h>

#include "oidp_util.h"
#include "unit.h"
#include "oidp_json.h"
#include "oidp_scope.h"

static apr_pool_t *p;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
}

static void teardown(void)
{
    apr_pool_destroy(p);
}

/* ------------------------------------------------------------------ */
/* scopes */

static const char *scopes(const char *s)
{
    apr_array_header_t *a = oidp_scope_parse(p, s);
    return a ? oidp_scope_join(p, a) : NULL;
}

START_TEST(scope_parse_basic)
{
    apr_array_header_t *a = oidp_scope_parse(p, "openid profile email");

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 0, const char *), "openid");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 1, const char *), "profile");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 2, const char *), "email");
    ck_assert(oidp_scope_has(a, "profile"));
    ck_assert(!oidp_scope_has(a, "prof"));
    ck_assert(!oidp_scope_has(a, "Profile"));
    ck_assert(!oidp_scope_has(NULL, "openid"));
}
END_TEST

START_TEST(scope_parse_dedupe_and_spaces)
{
    ck_assert_str_eq(scopes("openid openid profile openid"), "openid profile");
    ck_assert_str_eq(scopes("b a b c a"), "b a c"); /* first occurrence order */
    ck_assert_str_eq(scopes("  openid   profile  "), "openid profile");
    ck_assert_str_eq(scopes("openid OpenID"), "openid OpenID"); /* case-sensitive */
    ck_assert_str_eq(scopes(""), "");
    ck_assert_str_eq(scopes("   "), "");
    ck_assert_ptr_nonnull(oidp_scope_parse(p, NULL));
    ck_assert_int_eq(oidp_scope_parse(p, NULL)->nelts, 0);
}
END_TEST

START_TEST(scope_nqchar)
{
    /* NQCHAR = %x21 / %x23-5B / %x5D-7E */
    static const char *const good[] = {
        "!",   "#", "[", "]", "~", "a:b/c", "https://x/y?z=1&w", "read:user", "{}", "$%&'()*+,-./",
        "^_`|"};
    static const char *const bad[] = {"a\"b", "a\\b", "a\tb",        "a\nb", "a\rb",
                                      "\x7f", "\x01", "caf\xc3\xa9", "\x80", "openid\tprofile",
                                      "a\x0b"};
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(scopes(good[i]) != NULL, "refused '%s'", good[i]);
        ck_assert_str_eq(scopes(good[i]), good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(oidp_scope_parse(p, bad[i]) == NULL, "accepted '%s'", bad[i]);
    }
    /* one bad token spoils the list */
    ck_assert_ptr_null(oidp_scope_parse(p, "openid pro\"file email"));
}
END_TEST

START_TEST(word_in)
{
    ck_assert(oidp_util_word_in("authorization_code refresh_token", "refresh_token"));
    ck_assert(oidp_util_word_in("authorization_code refresh_token", "authorization_code"));
    ck_assert(oidp_util_word_in("a,b c", "b"));
    ck_assert(oidp_util_word_in("a,b c", "c"));
    ck_assert(oidp_util_word_in("  a  ", "a"));
    ck_assert(!oidp_util_word_in("authorization_code", "authorization"));
    ck_assert(!oidp_util_word_in("code", "authorization_code"));
    ck_assert(!oidp_util_word_in("a b", ""));
    ck_assert(!oidp_util_word_in("", "a"));
    ck_assert(!oidp_util_word_in(NULL, "a"));
    ck_assert(!oidp_util_word_in("A", "a"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* secrets */

START_TEST(consteq)
{
    ck_assert(oidp_util_consteq("secret", "secret"));
    ck_assert(oidp_util_consteq("", ""));
    ck_assert(!oidp_util_consteq("secret", "secreT"));
    ck_assert(!oidp_util_consteq("secret", "secret2"));
    ck_assert(!oidp_util_consteq("secret2", "secret"));
    ck_assert(!oidp_util_consteq("", "x"));
    ck_assert(!oidp_util_consteq(NULL, "x"));
    ck_assert(!oidp_util_consteq("x", NULL));
    ck_assert(!oidp_util_consteq(NULL, NULL));
    ck_assert(oidp_util_consteq("ab\0c", "ab\0d")); /* C strings: compared up to the NUL */
}
END_TEST

START_TEST(sha256_hex)
{
    /* FIPS 180-2 examples */
    ck_assert_str_eq(oidp_util_sha256_hex(p, "abc", 3),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(oidp_util_sha256_hex(p, "", 0),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* len counts, not the NUL */
    ck_assert_str_eq(oidp_util_sha256_hex(p, "abcdef", 3),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(random_token)
{
    char *a = oidp_util_random_token(p, 32);
    char *b = oidp_util_random_token(p, 32);
    size_t i;

    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(strlen(a), 43);
    ck_assert_str_ne(a, b);
    for (i = 0; a[i]; i++) {
        ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                             a[i]),
                      "'%c' is not base64url", a[i]);
    }
    ck_assert_uint_eq(strlen(oidp_util_random_token(p, 16)), 22);
    ck_assert_uint_eq(strlen(oidp_util_random_token(p, 64)), 86);
    ck_assert_ptr_null(oidp_util_random_token(p, 65)); /* more than the buffer */
}
END_TEST

START_TEST(uuid_v4)
{
    char *u = oidp_util_uuid(p);
    size_t i;

    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(strlen(u), 36);
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            ck_assert_int_eq(u[i], '-');
        }
        else {
            ck_assert_msg(strchr("0123456789abcdef", u[i]) != NULL, "bad uuid %s", u);
        }
    }
    ck_assert_int_eq(u[14], '4');                 /* version 4 */
    ck_assert_ptr_nonnull(strchr("89ab", u[19])); /* RFC 4122 variant */
    ck_assert_str_ne(u, oidp_util_uuid(p));
}
END_TEST

START_TEST(now)
{
    apr_int64_t t = oidp_util_now();
    apr_int64_t sys = (apr_int64_t)time(NULL);

    ck_assert(t >= sys - 2 && t <= sys + 2);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON */

START_TEST(json_bind_dump)
{
    apr_pool_t *sub;
    json_t *j;
    apr_size_t len = 0;
    char *s;

    apr_pool_create(&sub, p);
    j = oidp_json_bind(sub, json_pack("{s:s, s:i}", "a", "x\"y", "b", 2));
    ck_assert_ptr_nonnull(j);
    json_incref(j); /* one reference for the test, one for the pool */
    s = oidp_json_dump(p, j, &len);
    ck_assert_str_eq(s, "{\"a\":\"x\\\"y\",\"b\":2}");
    ck_assert_uint_eq(len, strlen(s));
    ck_assert_ptr_nonnull(oidp_json_dump(p, j, NULL));
    ck_assert_int_eq((int)j->refcount, 2);
    apr_pool_destroy(sub); /* the pool's cleanup drops its reference */
    ck_assert_int_eq((int)j->refcount, 1);
    json_decref(j);
    ck_assert_ptr_null(oidp_json_bind(p, NULL));
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *sc = tcase_create("scopes");
    TCase *sec = tcase_create("secrets");
    TCase *js = tcase_create("json");

    tcase_add_checked_fixture(sc, setup, teardown);
    tcase_add_test(sc, scope_parse_basic);
    tcase_add_test(sc, scope_parse_dedupe_and_spaces);
    tcase_add_test(sc, scope_nqchar);
    tcase_add_test(sc, word_in);
    suite_add_tcase(s, sc);

    tcase_add_checked_fixture(sec, setup, teardown);
    tcase_add_test(sec, consteq);
    tcase_add_test(sec, sha256_hex);
    tcase_add_test(sec, random_token);
    tcase_add_test(sec, uuid_v4);
    tcase_add_test(sec, now);
    suite_add_tcase(s, sec);

    tcase_add_checked_fixture(js, setup, teardown);
    tcase_add_test(js, json_bind_dump);
    suite_add_tcase(s, js);
    return s;
}

int main(void)
{
    return ut_main(util_suite());
}
