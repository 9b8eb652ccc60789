/*
 * src/core/utf8.c: well-formed UTF-8 (RFC 3629 4) and what is not:
 * overlong forms, surrogates, code points above U+10FFFF, truncated
 * sequences, stray continuation bytes, NUL. Cross-checked with jansson,
 * which refuses exactly what the validator refuses.
 */
#include <string.h>

#include <jansson.h>

#include "oidp_utf8.h"
#include "unit.h"

static int ok(const char *s)
{
    return oidp_utf8_valid(s, strlen(s));
}

static int jansson_ok(const char *s)
{
    json_t *j = json_string(s);
    int r = j != NULL;

    json_decref(j);
    return r;
}

static const char *const good[] = {
    "",
    "plain ascii \x7f",
    "caf\xc3\xa9",                   /* U+00E9 */
    "\xc2\x80",                      /* U+0080, the first two-byte */
    "\xdf\xbf",                      /* U+07FF */
    "\xe0\xa0\x80",                  /* U+0800, the first three-byte */
    "\xed\x9f\xbf",                  /* U+D7FF, below the surrogates */
    "\xee\x80\x80",                  /* U+E000, above them */
    "\xef\xbf\xbf",                  /* U+FFFF */
    "\xf0\x90\x80\x80",              /* U+10000, the first four-byte */
    "\xf4\x8f\xbf\xbf",              /* U+10FFFF, the last */
    "\xe2\x82\xac \xf0\x9f\x98\x80", /* euro sign, emoji */
};

static const char *const bad[] = {
    "\x80",                     /* a continuation byte first */
    "a\xbf",                    /* idem */
    "\xc0\xaf",                 /* overlong '/' */
    "\xc1\xbf",                 /* overlong U+007F */
    "\xe0\x80\xaf",             /* overlong '/' in three bytes */
    "\xe0\x9f\xbf",             /* overlong U+07FF */
    "\xf0\x80\x80\xaf",         /* overlong '/' in four bytes */
    "\xf0\x8f\xbf\xbf",         /* overlong U+FFFF */
    "\xed\xa0\x80",             /* U+D800, a high surrogate */
    "\xed\xbf\xbf",             /* U+DFFF, a low surrogate */
    "\xed\xa0\xbd\xed\xb8\x80", /* a CESU-8 surrogate pair */
    "\xf4\x90\x80\x80",         /* U+110000 */
    "\xf5\x80\x80\x80",         /* F5 never appears */
    "\xff",                     /* neither does FF */
    "\xfe\xfe",                 /* nor FE */
    "\xc3",                     /* truncated two-byte */
    "caf\xc3",                  /* idem at the end */
    "\xe2\x82",                 /* truncated three-byte */
    "\xf0\x9f\x98",             /* truncated four-byte */
    "\xe2\x28\xa1",             /* a bad second byte */
    "\xe2\x82\x28",             /* a bad third byte */
    "\xf0\x9f\x98\x28",         /* a bad fourth byte */
    "\xc3\xa9\xc3",             /* good, then truncated */
};

START_TEST(well_formed)
{
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(ok(good[i]), "refused good #%zu", i);
        ck_assert_msg(jansson_ok(good[i]), "jansson refused good #%zu", i);
    }
    ck_assert(oidp_utf8_valid_str(NULL));
    ck_assert(oidp_utf8_valid_str("n-0123"));
}
END_TEST

START_TEST(ill_formed)
{
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!ok(bad[i]), "accepted bad #%zu", i);
        ck_assert_msg(!oidp_utf8_valid_str(bad[i]), "accepted bad #%zu", i);
        ck_assert_msg(!jansson_ok(bad[i]), "jansson accepted bad #%zu", i);
    }
}
END_TEST

START_TEST(lengths_and_nul)
{
    /* the length is honoured: a sequence cut by len is truncated */
    ck_assert(!oidp_utf8_valid("\xc3\xa9", 1));
    ck_assert(oidp_utf8_valid("\xc3\xa9", 2));
    ck_assert(!oidp_utf8_valid("\xf0\x9f\x98\x80", 3));
    ck_assert(oidp_utf8_valid("abc", 0));
    /* NUL inside the counted bytes is refused (it would cut a C string) */
    ck_assert(!oidp_utf8_valid("a\0b", 3));
}
END_TEST

static Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("utf8");

    tcase_add_test(tc, well_formed);
    tcase_add_test(tc, ill_formed);
    tcase_add_test(tc, lengths_and_nul);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(utf8_suite());
}
