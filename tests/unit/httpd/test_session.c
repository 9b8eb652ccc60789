/*
 * src/httpd/session.c: writing the cookie through a fake mod_session
 * (Secure, the ciphertext not left to be decoded again), and the start-up
 * check of the session cookie against the __Host- prefix
 * (oidp_session_check_cookie) on configuration trees built here as httpd
 * builds ap_conftree.
 */
#include <string.h>

#include <apr_optional.h>
#include <apr_strings.h>
#include <mod_session.h>
#include <util_cfgtree.h>

#include "oidc_idp.h"
#include "oidp_config.h"
#include "oidp_session.h"
#include "unit_httpd.h"

static apr_pool_t *p;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
    ut_log_reset();
}

static void teardown(void)
{
    ap_conftree = NULL;
    apr_pool_destroy(p);
}

/* A directive node (file "t.conf", line) appended to *first. */
static ap_directive_t *node(ap_directive_t **first, ap_directive_t *parent, const char *name,
                            const char *args, int line)
{
    ap_directive_t *d = apr_pcalloc(p, sizeof(*d)), **at = first;

    d->directive = name;
    d->args = args;
    d->parent = parent;
    d->filename = "t.conf";
    d->line_num = line;
    while (*at) {
        at = &(*at)->next;
    }
    *at = d;
    return d;
}

/* <LocationMatch ...> SessionCookieName ARGS </LocationMatch> under *first. */
static void cookie_in(ap_directive_t **first, ap_directive_t *parent, const char *args, int line)
{
    ap_directive_t *loc = node(first, parent, "<LocationMatch", "\"^/authorize$\">", line);

    node(&loc->first_child, loc, "Session", "On", line + 1);
    node(&loc->first_child, loc, "SessionCookieName", args, line + 2);
}

static const char *check(const char *issuer, const char *args)
{
    ap_conftree = NULL;
    cookie_in(&ap_conftree, NULL, args, 10);
    return oidp_session_check_cookie(p, ut_server(p, NULL), issuer);
}

/* ------------------------------------------------------------------ */
/* saving through a fake mod_session */

static const char *cookie_name; /* what the fake mod_session_cookie writes */
static int saves;

static apr_status_t fake_load(request_rec *r, session_rec **z)
{
    (void)r;
    *z = NULL;
    return APR_SUCCESS;
}

static apr_status_t fake_get(request_rec *r, session_rec *z, const char *key, const char **value)
{
    (void)r;
    *value = apr_table_get(z->entries, key);
    return APR_SUCCESS;
}

static apr_status_t fake_set(request_rec *r, session_rec *z, const char *key, const char *value)
{
    (void)r;
    apr_table_set(z->entries, key, value);
    return APR_SUCCESS;
}

/* as ap_session_save does: encode (the ciphertext in z->encoded), write
 * the cookie, mark the record written */
static apr_status_t fake_save(request_rec *r, session_rec *z)
{
    saves++;
    z->encoded = "CIPHERTEXT";
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   apr_pstrcat(r->pool, cookie_name, "=CIPHERTEXT;path=/;HttpOnly", NULL));
    z->written = 1;
    return APR_SUCCESS;
}

static void session_register(void)
{
    apr_hook_global_pool = ut_pool();
    apr_dynamic_fn_register("ap_session_load", (apr_opt_fn_t *)fake_load);
    apr_dynamic_fn_register("ap_session_get", (apr_opt_fn_t *)fake_get);
    apr_dynamic_fn_register("ap_session_set", (apr_opt_fn_t *)fake_set);
    apr_dynamic_fn_register("ap_session_save", (apr_opt_fn_t *)fake_save);
    ck_assert(oidp_session_init());
}

static void session_unregister(void)
{
    apr_dynamic_fn_register("ap_session_load", NULL);
    apr_dynamic_fn_register("ap_session_get", NULL);
    apr_dynamic_fn_register("ap_session_set", NULL);
    apr_dynamic_fn_register("ap_session_save", NULL);
    oidp_session_init();
}

/* Saves a changed session of an issuer under a cookie name: the session
 * record, the Set-Cookie header written. */
static const char *save(const char *issuer, const char *name, session_rec **zp)
{
    oidp_cfg_t *c = oidp_cfg_server_create(p, NULL);
    request_rec *r = ut_request(p, ut_server(p, c));
    session_rec *z = apr_pcalloc(p, sizeof(*z));
    oidp_browser_t b = {.z = z, .dirty = 1};

    c->issuer = issuer;
    z->pool = p;
    z->entries = apr_table_make(p, 4);
    cookie_name = name;
    saves = 0;
    oidp_session_save(r, c, &b);
    ck_assert_int_eq(saves, 1);
    ck_assert_int_eq(b.dirty, 0);
    *zp = z;
    return apr_table_get(r->err_headers_out, "Set-Cookie");
}

START_TEST(save_leaves_nothing_to_decode_again)
{
    session_rec *z;

    session_register();
    save("http://127.0.0.1:8080", "oidp_session", &z);
    /* mod_session's output filter loads the record again and decodes
     * z->encoded: the ciphertext left there costs mod_session_crypto a
     * second key derivation (PBKDF2) on every request that saves */
    ck_assert_ptr_null(z->encoded);
    ck_assert_int_eq(z->written, 1);
    session_unregister();
}
END_TEST

START_TEST(save_adds_secure)
{
    session_rec *z;

    session_register();
    ck_assert_str_eq(save("http://127.0.0.1:8080", "oidp_session", &z),
                     "oidp_session=CIPHERTEXT;path=/;HttpOnly");
    ck_assert_str_eq(save("https://idp.test", "oidp_session", &z),
                     "oidp_session=CIPHERTEXT;path=/;HttpOnly;Secure");
    /* a __Host- cookie is Secure whatever the issuer, or no browser takes it */
    ck_assert_str_eq(save("http://127.0.0.1:8080", "__Host-s", &z),
                     "__Host-s=CIPHERTEXT;path=/;HttpOnly;Secure");
    ck_assert_str_eq(save("https://idp.test", "__Host-s", &z),
                     "__Host-s=CIPHERTEXT;path=/;HttpOnly;Secure");
    session_unregister();
}
END_TEST

/* ------------------------------------------------------------------ */
/* the start-up check */

START_TEST(https_host_prefix_passes_quietly)
{
    ck_assert_ptr_null(
        check("https://idp.test", "__Host-oidc_idp_session path=/;HttpOnly;SameSite=Lax"));
    ck_assert_str_eq(ut_log_last(), "");
    /* attribute names in any case, spaces around them */
    ck_assert_ptr_null(check("https://idp.test", "__Host-s HttpOnly; Path = / ;SameSite=Lax"));
    ck_assert_str_eq(ut_log_last(), "");
}
END_TEST

START_TEST(https_without_prefix_warns)
{
    ck_assert_ptr_null(check("https://idp.test", "oidp_session path=/;HttpOnly"));
    ck_assert_ptr_nonnull(strstr(ut_log_last(), "OIDP00300"));
    ck_assert_ptr_nonnull(strstr(ut_log_last(), "oidp_session"));
    ck_assert_ptr_nonnull(strstr(ut_log_last(), "t.conf:12"));
}
END_TEST

START_TEST(http_without_prefix_is_quiet)
{
    ck_assert_ptr_null(check("http://127.0.0.1:8080", "oidp_session path=/;HttpOnly"));
    ck_assert_str_eq(ut_log_last(), "");
}
END_TEST

START_TEST(http_with_prefix_warns)
{
    ck_assert_ptr_null(check("http://localhost:8080", "__Host-s path=/;HttpOnly"));
    ck_assert_ptr_nonnull(strstr(ut_log_last(), "OIDP00301"));
}
END_TEST

START_TEST(host_prefix_needs_root_path_and_no_domain)
{
    const char *e;

    e = check("https://idp.test", "__Host-s path=/;Domain=idp.test;HttpOnly");
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(strstr(e, "has a Domain"));
    ck_assert_ptr_nonnull(strstr(e, "t.conf:12"));
    ck_assert_ptr_nonnull(
        strstr(check("https://idp.test", "__Host-s path=/;domain"), "has a Domain"));
    ck_assert_ptr_nonnull(
        strstr(check("https://idp.test", "__Host-s path=/login;HttpOnly"), "path is not /"));
    /* no attributes: mod_session_cookie's defaults carry no path */
    ck_assert_ptr_nonnull(strstr(check("https://idp.test", "__Host-s"), "no path=/"));
    ck_assert_ptr_nonnull(
        strstr(check("https://idp.test", "__Host-s HttpOnly;Secure"), "no path=/"));
    /* also for an http issuer: the browser refuses it whatever the scheme */
    ck_assert_ptr_nonnull(check("http://localhost:8080", "__Host-s path=/;Domain=localhost"));
}
END_TEST

START_TEST(virtual_hosts_are_told_apart)
{
    ap_directive_t *mine, *other;
    server_rec *s = ut_server(p, NULL);

    ap_conftree = NULL;
    cookie_in(&ap_conftree, NULL, "__Host-main path=/", 1);
    other = node(&ap_conftree, NULL, "<VirtualHost", "other:443>", 20);
    cookie_in(&other->first_child, other, "__Host-other path=/;Domain=x.test", 21);
    mine = node(&ap_conftree, NULL, "<VirtualHost", "mine:443>", 40);
    s->is_virtual = 1;
    s->defn_name = "t.conf";
    s->defn_line_number = 40;
    /* another virtual host's line does not apply, the main server's does */
    ck_assert_ptr_null(oidp_session_check_cookie(p, s, "https://mine.test"));
    ck_assert_str_eq(ut_log_last(), "");
    cookie_in(&ap_conftree, NULL, "plain path=/", 60);
    ck_assert_ptr_null(oidp_session_check_cookie(p, s, "https://mine.test"));
    ck_assert_ptr_nonnull(strstr(ut_log_last(), "OIDP00300"));
    /* the server's own line overrides the main server's */
    ut_log_reset();
    cookie_in(&mine->first_child, mine, "__Host-mine path=/", 41);
    ck_assert_ptr_null(oidp_session_check_cookie(p, s, "https://mine.test"));
    ck_assert_str_eq(ut_log_last(), "");
    mine->first_child = NULL;
    cookie_in(&mine->first_child, mine, "__Host-mine path=/x", 41);
    ck_assert_ptr_nonnull(
        strstr(oidp_session_check_cookie(p, s, "https://mine.test"), "__Host-mine"));
    /* the main server sees the lines outside every virtual host only */
    s->is_virtual = 0;
    ut_log_reset();
    ck_assert_ptr_null(oidp_session_check_cookie(p, s, "https://main.test"));
    ck_assert_ptr_nonnull(strstr(ut_log_last(), "OIDP00300: the session cookie plain"));
}
END_TEST

static Suite *session_suite(void)
{
    Suite *s = suite_create("session");
    TCase *w = tcase_create("save");
    TCase *t = tcase_create("host_prefix");

    tcase_add_checked_fixture(w, setup, teardown);
    tcase_add_test(w, save_leaves_nothing_to_decode_again);
    tcase_add_test(w, save_adds_secure);
    suite_add_tcase(s, w);

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, https_host_prefix_passes_quietly);
    tcase_add_test(t, https_without_prefix_warns);
    tcase_add_test(t, http_without_prefix_is_quiet);
    tcase_add_test(t, http_with_prefix_warns);
    tcase_add_test(t, host_prefix_needs_root_path_and_no_domain);
    tcase_add_test(t, virtual_hosts_are_told_apart);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ut_main(session_suite());
}
