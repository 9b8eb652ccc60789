/*
 * src/pages.c: templates (compile, render, escaping), hidden fields, CSP
 * origins.
 */
#include <string.h>

#include "oidp_redirect.h"
#include "unit.h"
#include "oidp_tpl.h"

static apr_pool_t *p;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
}

static void teardown(void)
{
    apr_pool_destroy(p);
}

START_TEST(compile_errors)
{
    oidp_tpl_t *t = NULL;

    ck_assert_ptr_nonnull(oidp_tpl_compile(&t, p, "<p>{{nope}}</p>"));
    ck_assert_ptr_nonnull(oidp_tpl_compile(&t, p, "<p>{{title</p>"));
    ck_assert_ptr_null(oidp_tpl_compile(&t, p, "plain text, no placeholders"));
    ck_assert_ptr_null(oidp_tpl_compile(&t, p, ""));
}
END_TEST

START_TEST(render_escapes_text_not_markup)
{
    oidp_tpl_t *t = NULL;
    const char *v[OIDP_PH__COUNT] = {NULL};

    ck_assert_ptr_null(oidp_tpl_compile(&t, p,
                                        "<h1>{{client_name}}</h1>{{hidden_fields}}"
                                        "<input value=\"{{username}}\">{{error}}|"));
    v[OIDP_PH_CLIENT_NAME] = "<script>alert('x')</script> & co";
    v[OIDP_PH_HIDDEN_FIELDS] = "<input type=\"hidden\">";
    v[OIDP_PH_USERNAME] = "\"><img src=x onerror=1>";
    ck_assert_str_eq(oidp_tpl_render(p, t, v),
                     "<h1>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co</h1>"
                     "<input type=\"hidden\"><input value=\"&quot;&gt;&lt;img src=x "
                     "onerror=1&gt;\">|");
}
END_TEST

START_TEST(hidden_fields_escaped)
{
    apr_array_header_t *n = apr_array_make(p, 2, sizeof(const char *));
    apr_array_header_t *v = apr_array_make(p, 2, sizeof(const char *));

    APR_ARRAY_PUSH(n, const char *) = "state";
    APR_ARRAY_PUSH(v, const char *) = "a\"b<c>&'d";
    ck_assert_str_eq(
        oidp_tpl_hidden(p, n, v),
        "<input type=\"hidden\" name=\"state\" value=\"a&quot;b&lt;c&gt;&amp;&#x27;d\">\n");
}
END_TEST

START_TEST(origins)
{
    ck_assert_str_eq(oidp_redirect_origin(p, "https://app.example.com:8443/cb?x=1"),
                     "https://app.example.com:8443");
    ck_assert_str_eq(oidp_redirect_origin(p, "http://127.0.0.1:5000/cb"), "http://127.0.0.1:5000");
    ck_assert_str_eq(oidp_redirect_origin(p, "com.example.app:/oauth2redirect"),
                     "com.example.app:");
    ck_assert_ptr_null(oidp_redirect_origin(p, "no-scheme"));
    ck_assert_ptr_null(oidp_redirect_origin(p, NULL));
}
END_TEST

static Suite *pages_suite(void)
{
    Suite *s = suite_create("pages");
    TCase *tc = tcase_create("pages");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, compile_errors);
    tcase_add_test(tc, render_escapes_text_not_markup);
    tcase_add_test(tc, hidden_fields_escaped);
    tcase_add_test(tc, origins);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(pages_suite());
}
