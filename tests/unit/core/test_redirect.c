/*
 * src/redirect.c: redirect URI matching (exact; loopback port for public
 * clients, RFC 8252 7.3) and authorization response URLs.
 */
#include <string.h>

#include "oidp_redirect.h"
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

static oidp_client_t *client(const char *method, const char *u1, const char *u2)
{
    oidp_client_t *c = apr_pcalloc(p, sizeof(*c));

    c->client_id = "c";
    c->auth_method = method;
    c->redirect_uris = apr_array_make(p, 2, sizeof(const char *));
    c->post_logout_uris = apr_array_make(p, 1, sizeof(const char *));
    if (u1) {
        APR_ARRAY_PUSH(c->redirect_uris, const char *) = u1;
    }
    if (u2) {
        APR_ARRAY_PUSH(c->redirect_uris, const char *) = u2;
    }
    return c;
}

START_TEST(exact_match_only)
{
    oidp_client_t *c = client(OIDP_AUTH_BASIC, "https://app.example.com/cb",
                              "https://b.example/x?y=1");

    ck_assert(oidp_redirect_uri_allowed(p, c, "https://app.example.com/cb"));
    ck_assert(oidp_redirect_uri_allowed(p, c, "https://b.example/x?y=1"));
    /* what the conformance suite and real attacks try */
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://app.example.com/cb/abcdefghij"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://app.example.com/cb?x=1"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://app.example.com/cb#f"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://app.example.com/CB"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://APP.example.com/cb"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "http://app.example.com/cb"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://app.example.com:443/cb"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://evil.example/cb"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://app.example.com.evil.example/cb"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, "https://b.example/x?y=2"));
    ck_assert(!oidp_redirect_uri_allowed(p, c, ""));
    ck_assert(!oidp_redirect_uri_allowed(p, c, NULL));
}
END_TEST

START_TEST(loopback_port_varies_for_public_clients)
{
    oidp_client_t *pub = client(OIDP_AUTH_NONE, "http://127.0.0.1/callback", "http://[::1]:9/cb");
    oidp_client_t *conf = client(OIDP_AUTH_BASIC, "http://127.0.0.1/callback", NULL);

    ck_assert(oidp_redirect_uri_allowed(p, pub, "http://127.0.0.1:51004/callback"));
    ck_assert(oidp_redirect_uri_allowed(p, pub, "http://127.0.0.1/callback"));
    ck_assert(oidp_redirect_uri_allowed(p, pub, "http://[::1]:4000/cb"));
    /* only the port may vary */
    ck_assert(!oidp_redirect_uri_allowed(p, pub, "http://127.0.0.1:51004/other"));
    ck_assert(!oidp_redirect_uri_allowed(p, pub, "http://127.0.0.2:51004/callback"));
    ck_assert(!oidp_redirect_uri_allowed(p, pub, "https://127.0.0.1:51004/callback"));
    ck_assert(!oidp_redirect_uri_allowed(p, pub, "http://localhost:51004/callback"));
    ck_assert(!oidp_redirect_uri_allowed(p, pub, "http://127.0.0.1:51004/callback?x=1"));
    ck_assert(!oidp_redirect_uri_allowed(p, pub, "http://user@127.0.0.1:51004/callback"));
    /* confidential clients: exact only */
    ck_assert(!oidp_redirect_uri_allowed(p, conf, "http://127.0.0.1:51004/callback"));
    ck_assert(oidp_redirect_uri_allowed(p, conf, "http://127.0.0.1/callback"));
}
END_TEST

/* the port of the any-port rule: 1-5 digits, 1-65535, nothing else (what
 * strtol skips or takes: blanks, CR LF, signs) */
START_TEST(loopback_port_digits_only)
{
    oidp_client_t *pub = client(OIDP_AUTH_NONE, "http://127.0.0.1/cb", "http://[::1]/cb");
    static const char *const refused[] = {
        "http://127.0.0.1:\r\n80/cb", "http://127.0.0.1: 80/cb",    "http://127.0.0.1:+80/cb",
        "http://127.0.0.1:-80/cb",    "http://127.0.0.1:\t80/cb",   "http://127.0.0.1:80 /cb",
        "http://127.0.0.1:/cb",       "http://127.0.0.1:0/cb",      "http://127.0.0.1:65536/cb",
        "http://127.0.0.1:655350/cb", "http://127.0.0.1:000080/cb", "http://127.0.0.1:0x50/cb",
        "http://127.0.0.1:99999/cb",  "http://[::1]:\n80/cb",       "http://[::1]:-1/cb",
    };
    size_t i;

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ck_assert_msg(!oidp_redirect_uri_allowed(p, pub, refused[i]), "allowed: %s", refused[i]);
    }
    ck_assert(oidp_redirect_uri_allowed(p, pub, "http://127.0.0.1:1/cb"));
    ck_assert(oidp_redirect_uri_allowed(p, pub, "http://127.0.0.1:65535/cb"));
    ck_assert(oidp_redirect_uri_allowed(p, pub, "http://127.0.0.1:08080/cb"));
    ck_assert(oidp_redirect_uri_allowed(p, pub, "http://[::1]:51004/cb"));
}
END_TEST

START_TEST(post_logout_exact)
{
    oidp_client_t *c = client(OIDP_AUTH_BASIC, NULL, NULL);

    APR_ARRAY_PUSH(c->post_logout_uris, const char *) = "https://app.example.com/bye";
    ck_assert(oidp_redirect_post_logout_allowed(c, "https://app.example.com/bye"));
    ck_assert(!oidp_redirect_post_logout_allowed(c, "https://app.example.com/bye?foo=bar"));
    ck_assert(!oidp_redirect_post_logout_allowed(c, "https://app.example.com/bye/"));
    ck_assert(!oidp_redirect_post_logout_allowed(c, NULL));
}
END_TEST

/* What the admin tool lets be registered (issue 8, 12). */
START_TEST(registration_check)
{
    static const char *const good[] = {
        "https://app.example.com/cb",
        "https://app.example.com:8443/cb?tenant=a",
        "http://127.0.0.1/cb",
        "http://127.0.0.1:8080/cb",
        "http://[::1]:8080/cb",
        "http://localhost:3000/callback",
        "com.example.app:/oauth2redirect", /* RFC 8252 7.1 */
        "com.example.app://cb",
        "myapp:cb",
    };
    static const char *const bad[] = {
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "https://app.example.com/cb#frag",
        "https://app.example.com/cb#",
        "https://app.example.com/c\rb",
        "https://app.example.com/cb\n",
        "https://app.example.com/c b",
        "https://app.example.com/cb\t",
        "https://app.example.com/\x7f",
        "https://app.example.com/caf\xc3\xa9",
        "http://app.example.com/cb", /* http off loopback */
        "http://10.0.0.1/cb",
        "http://127.0.0.1.example.com/cb",
        "https://user:pw@app.example.com/cb",
        "https://good.example.com@evil.example/cb",
        "https:///cb",
        "https:/cb",
        "https://app.example.com:99999/cb",
        "/relative/cb",
        "cb",
        ":nothing",
        "1app:/cb",
        "com.example.app:",
        "",
    };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(oidp_redirect_uri_check(p, good[i], 0) == NULL, "refused: %s", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(oidp_redirect_uri_check(p, bad[i], 0) != NULL, "accepted: %s", bad[i]);
    }
    /* the explicit option lets plain http through, nothing else */
    ck_assert_ptr_null(oidp_redirect_uri_check(p, "http://app.example.com/cb", 1));
    ck_assert_ptr_nonnull(oidp_redirect_uri_check(p, "javascript:alert(1)", 1));
    ck_assert_ptr_nonnull(oidp_redirect_uri_check(p, "http://app.example.com/cb#x", 1));
}
END_TEST

START_TEST(build_query_fragment)
{
    oidp_params_t *ps = oidp_redirect_params_make(p);

    oidp_redirect_params_add(ps, "code", "a b/c+d");
    oidp_redirect_params_add(ps, "state", "x&y=z\xc3\xa9~-._");
    oidp_redirect_params_add(ps, "skipped", NULL);
    ck_assert_str_eq(oidp_redirect_build(p, "https://a.example/cb", 0, ps),
                     "https://a.example/cb?code=a%20b%2Fc%2Bd&state=x%26y%3Dz%C3%A9~-._");
    ck_assert_str_eq(oidp_redirect_build(p, "https://a.example/cb?x=1", 0, ps),
                     "https://a.example/cb?x=1&code=a%20b%2Fc%2Bd&state=x%26y%3Dz%C3%A9~-._");
    ck_assert_str_eq(oidp_redirect_build(p, "https://a.example/cb?", 0, ps),
                     "https://a.example/cb?code=a%20b%2Fc%2Bd&state=x%26y%3Dz%C3%A9~-._");
    ck_assert_str_eq(oidp_redirect_build(p, "https://a.example/cb", 1, ps),
                     "https://a.example/cb#code=a%20b%2Fc%2Bd&state=x%26y%3Dz%C3%A9~-._");
    ck_assert_str_eq(oidp_redirect_build(p, "https://a.example/cb", 0,
                                         oidp_redirect_params_make(p)),
                     "https://a.example/cb");
}
END_TEST

static Suite *redirect_suite(void)
{
    Suite *s = suite_create("redirect");
    TCase *tc = tcase_create("redirect");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, exact_match_only);
    tcase_add_test(tc, loopback_port_varies_for_public_clients);
    tcase_add_test(tc, loopback_port_digits_only);
    tcase_add_test(tc, post_logout_exact);
    tcase_add_test(tc, build_query_fragment);
    tcase_add_test(tc, registration_check);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(redirect_suite());
}
