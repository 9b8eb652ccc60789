/*
 * src/config.c: server config create/merge, getters with defaults, the
 * directive setters on fake cmd_parms, the issuer check and the start-up
 * check of a server list.
 */
#include <string.h>

#include <apr_hooks.h>
#include <apr_optional.h>
#include <apr_strings.h>

#include "oidc_idp.h"
#include "oidp_config.h"
#include "oidp_startup.h"
#include "oidp_store.h"
#include "unit_httpd.h"

static apr_pool_t *p;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
}

static void dbd_unregister(void);

static void teardown(void)
{
    dbd_unregister(); /* a test that registered mod_dbd does not leak it into the next one
                         when Check does not fork (CK_FORK=no, tests/valgrind.sh) */
    apr_pool_destroy(p);
}

static oidp_cfg_t *fresh(void)
{
    return oidp_cfg_server_create(p, NULL);
}

/* A cmd_parms for directive name on a server whose config is c. */
static cmd_parms *cmd_for(oidp_cfg_t *c, const char *name, void *info)
{
    return ut_cmd(p, ut_server(p, c), name, info);
}

/* ------------------------------------------------------------------ */
/* create and merge */

START_TEST(create_is_unset_and_getters_default)
{
    oidp_cfg_t *c = fresh();
    int i;

    ck_assert_ptr_null(c->issuer);
    ck_assert_ptr_null(c->keys);
    ck_assert_ptr_null(c->access_token_audience);
    ck_assert_ptr_null(c->rt);
    for (i = 0; i < OIDP_EP__COUNT; i++) {
        ck_assert_ptr_null(c->endpoint[i]);
    }
    ck_assert_int_eq(c->access_token_ttl, OIDP_UNSET);
    ck_assert_int_eq(c->id_token_ttl, OIDP_UNSET);
    ck_assert_int_eq(c->refresh_token_ttl, OIDP_UNSET);
    ck_assert_int_eq(c->refresh_token_max_ttl, OIDP_UNSET);
    ck_assert_int_eq(c->bearer_in_query, OIDP_UNSET);
    ck_assert_int_eq(c->code_ttl, OIDP_UNSET);
    ck_assert_int_eq(c->session_ttl, OIDP_UNSET);
    ck_assert_int_eq(c->allow_plain_pkce, OIDP_UNSET);
    ck_assert(c->max_body == OIDP_UNSET);
    ck_assert_int_eq(c->throttle, OIDP_UNSET);
    ck_assert_int_eq(c->throttle_free, OIDP_UNSET);
    ck_assert_int_eq(c->throttle_max_delay, OIDP_UNSET);
    ck_assert_int_eq(c->throttle_window, OIDP_UNSET);
    ck_assert_ptr_null(c->throttle_exempt);
    ck_assert_ptr_null(c->audit_log);
    ck_assert(c->purge_interval == OIDP_UNSET);

    ck_assert_int_eq(oidp_cfg_access_token_ttl(c), OIDP_DEFAULT_ACCESS_TOKEN_TTL);
    ck_assert_int_eq(oidp_cfg_id_token_ttl(c), OIDP_DEFAULT_ID_TOKEN_TTL);
    ck_assert_int_eq(oidp_cfg_refresh_token_ttl(c), OIDP_DEFAULT_REFRESH_TOKEN_TTL);
    ck_assert_int_eq(oidp_cfg_refresh_token_max_ttl(c), 90 * 86400);
    ck_assert_int_eq(oidp_cfg_bearer_in_query(c), 1); /* Casdoor's clients keep ?accessToken= */
    ck_assert_int_eq(oidp_cfg_code_ttl(c), OIDP_DEFAULT_CODE_TTL);
    ck_assert_int_eq(oidp_cfg_session_ttl(c), OIDP_DEFAULT_SESSION_TTL);
    ck_assert_int_eq(oidp_cfg_allow_plain_pkce(c), 0);
    ck_assert(oidp_cfg_max_body(c) == OIDP_DEFAULT_MAX_BODY);
    /* throttling on by default, the audit log off */
    ck_assert_int_eq(oidp_cfg_throttle(c), 1);
    ck_assert_int_eq(oidp_cfg_throttle_policy(c).free_attempts, 5);
    ck_assert_int_eq(oidp_cfg_throttle_policy(c).max_delay, 300);
    ck_assert_int_eq(oidp_cfg_throttle_policy(c).window, 900);
    ck_assert_ptr_null(oidp_cfg_audit_log(c));
    ck_assert_int_eq(oidp_cfg_purge_interval(c), 3600); /* the watchdog purges hourly */
    /* Casdoor's paths by default (DEVELOPERS.md: drop-in for Casdoor apps) */
    ck_assert_str_eq(oidp_cfg_endpoint_path(c, OIDP_EP_AUTHORIZATION), "/login/oauth/authorize");
    ck_assert_str_eq(oidp_cfg_endpoint_path(c, OIDP_EP_TOKEN), "/api/login/oauth/access_token");
    for (i = 0; i < OIDP_EP__COUNT; i++) {
        ck_assert_int_eq(oidp_cfg_endpoint_path(c, (oidp_endpoint_e)i)[0], '/');
        ck_assert_ptr_nonnull(oidp_cfg_endpoint_name((oidp_endpoint_e)i));
    }
}
END_TEST

/* Every byte of add set (a field added to oidp_cfg_t but forgotten in the
 * merge stays zero and shows here); rt is never merged. The struct has no
 * padding today; if a field brings some, compare field by field instead. */
START_TEST(merge_add_wins_everywhere)
{
    oidp_cfg_t *base = fresh(), *add = apr_palloc(p, sizeof(*add)), *m, want;

    memset(base, 0x11, sizeof(*base));
    memset(add, 0x22, sizeof(*add));
    m = oidp_cfg_server_merge(p, base, add);
    memcpy(&want, add, sizeof(want));
    want.rt = NULL;
    want.audit_fd = NULL; /* opened per server at post_config */
    ck_assert_ptr_null(m->rt);
    ck_assert_msg(memcmp(m, &want, sizeof(want)) == 0,
                  "a field of oidp_cfg_t set in the virtual host is not merged");
    ck_assert_ptr_ne(m, add); /* a new record: neither input is changed */
}
END_TEST

/* The converse: a virtual host that sets nothing inherits everything. */
START_TEST(merge_unset_inherits_everywhere)
{
    oidp_cfg_t *base = apr_palloc(p, sizeof(*base)), *add = fresh(), *m, want;

    memset(base, 0x11, sizeof(*base));
    m = oidp_cfg_server_merge(p, base, add);
    memcpy(&want, base, sizeof(want));
    want.rt = NULL;
    want.audit_fd = NULL;
    ck_assert_msg(memcmp(m, &want, sizeof(want)) == 0,
                  "a field unset in the virtual host (as created) does not inherit");
}
END_TEST

/* The same, spelled out with real values and a half-set virtual host. */
START_TEST(merge_field_by_field)
{
    oidp_cfg_t *base = fresh(), *add = fresh(), *m;
    apr_array_header_t *keys = apr_array_make(p, 1, sizeof(void *));
    int i;

    base->issuer = "https://main.example";
    base->keys = keys;
    base->access_token_ttl = 100;
    base->id_token_ttl = 200;
    base->refresh_token_ttl = 300;
    base->refresh_token_max_ttl = 3000;
    base->bearer_in_query = 1;
    base->code_ttl = 40;
    base->session_ttl = 500;
    base->allow_plain_pkce = 1;
    base->access_token_audience = "api://main";
    base->max_body = 2048;
    base->endpoint[OIDP_EP_TOKEN] = "/main/token";
    base->endpoint[OIDP_EP_JWKS] = "/main/jwks";
    base->rt = apr_pcalloc(p, sizeof(*base->rt));

    add->issuer = "https://vhost.example";
    add->id_token_ttl = 222;
    add->code_ttl = 44;
    add->bearer_in_query = 0;  /* Off in the vhost beats Casdoor in the main server */
    add->allow_plain_pkce = 0; /* Off in the vhost beats On in the main server */
    add->max_body = 4096;
    add->endpoint[OIDP_EP_JWKS] = "/vhost/jwks";
    base->throttle_free = 3;
    base->throttle_window = 120;
    base->audit_log = "/var/log/audit.json";
    add->throttle = 0;
    add->throttle_window = 600;

    m = oidp_cfg_server_merge(p, base, add);
    ck_assert_int_eq(oidp_cfg_throttle(m), 0);
    ck_assert_int_eq(oidp_cfg_throttle_policy(m).free_attempts, 3);
    ck_assert_int_eq(oidp_cfg_throttle_policy(m).max_delay, OIDP_DEFAULT_THROTTLE_MAX_DELAY);
    ck_assert_int_eq(oidp_cfg_throttle_policy(m).window, 600);
    ck_assert_str_eq(oidp_cfg_audit_log(m), "/var/log/audit.json");
    ck_assert_str_eq(m->issuer, "https://vhost.example");
    ck_assert_ptr_eq(m->keys, keys);
    ck_assert_int_eq(m->access_token_ttl, 100);
    ck_assert_int_eq(m->id_token_ttl, 222);
    ck_assert_int_eq(m->refresh_token_ttl, 300);
    ck_assert_int_eq(oidp_cfg_refresh_token_max_ttl(m), 3000);
    ck_assert_int_eq(oidp_cfg_bearer_in_query(m), 0);
    ck_assert_int_eq(m->code_ttl, 44);
    ck_assert_int_eq(m->session_ttl, 500);
    ck_assert_int_eq(oidp_cfg_allow_plain_pkce(m), 0);
    ck_assert_str_eq(m->access_token_audience, "api://main");
    ck_assert(m->max_body == 4096);
    ck_assert_str_eq(m->endpoint[OIDP_EP_TOKEN], "/main/token");
    ck_assert_str_eq(m->endpoint[OIDP_EP_JWKS], "/vhost/jwks");
    for (i = 0; i < OIDP_EP__COUNT; i++) {
        if (i != OIDP_EP_TOKEN && i != OIDP_EP_JWKS) {
            ck_assert_ptr_null(m->endpoint[i]);
        }
    }
    ck_assert_ptr_null(m->rt); /* built per server at post_config */
    /* the inputs are untouched */
    ck_assert_int_eq(base->id_token_ttl, 200);
    ck_assert_int_eq(add->access_token_ttl, OIDP_UNSET);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the issuer */

START_TEST(issuer_check)
{
    static const char *const good[] = {
        "https://idp.example.com",
        "https://idp.example.com/",
        "https://idp.example.com/tenant/a",
        "https://idp.example.com:8443",
        "HTTPS://idp.example.com",
        "http://localhost",
        "http://localhost:8080",
        "http://127.0.0.1:8080/idp",
        "http://[::1]:8080",
    };
    static const char *const bad[] = {
        "http://idp.example.com", /* http off loopback */
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
        "http://10.0.0.1",
        "https://idp.example.com?x=1", /* query */
        "https://idp.example.com/?",
        "https://idp.example.com#f",
        "https://idp.example.com/#",
        "https://user@idp.example.com", /* userinfo */
        "https://user:pw@idp.example.com",
        "http://localhost@evil.example",
        "idp.example.com",
        "/relative",
        "",
        "https://",
        "https:///path",
        "ftp://idp.example.com",
        "javascript:alert(1)",
    };
    size_t i;
    const char *origin = NULL;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *why = oidp_cfg_check_issuer(p, good[i], &origin);
        ck_assert_msg(why == NULL, "'%s' refused: %s", good[i], why);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(oidp_cfg_check_issuer(p, bad[i], NULL) != NULL, "'%s' accepted", bad[i]);
    }
    ck_assert_ptr_null(oidp_cfg_check_issuer(p, "https://idp.example.com:8443/t/a", &origin));
    ck_assert_str_eq(origin, "https://idp.example.com:8443");
    ck_assert_ptr_null(oidp_cfg_check_issuer(p, "https://idp.example.com/t", &origin));
    ck_assert_str_eq(origin, "https://idp.example.com");
}
END_TEST

/* mod_dbd's optional functions, faked: ap_dbd_prepare records what it is
 * given. Each test runs in its own process, so the registration stays there. */
static apr_hash_t *prepared;
static server_rec *prepared_for;

static void fake_dbd_prepare(server_rec *s, const char *q, const char *l)
{
    prepared_for = s;
    apr_hash_set(prepared, apr_pstrdup(ut_pool(), l), APR_HASH_KEY_STRING,
                 apr_pstrdup(ut_pool(), q));
}

static void *fake_dbd_acquire(request_rec *r)
{
    (void)r;
    return NULL;
}

static void *fake_dbd_open(apr_pool_t *p, server_rec *s)
{
    (void)p;
    (void)s;
    return NULL;
}

static void fake_dbd_close(server_rec *s, void *dbd)
{
    (void)s;
    (void)dbd;
}

static void dbd_register(void)
{
    prepared = apr_hash_make(ut_pool());
    apr_hook_global_pool = ut_pool();
    apr_dynamic_fn_register("ap_dbd_prepare", (apr_opt_fn_t *)fake_dbd_prepare);
    apr_dynamic_fn_register("ap_dbd_acquire", (apr_opt_fn_t *)fake_dbd_acquire);
    apr_dynamic_fn_register("ap_dbd_open", (apr_opt_fn_t *)fake_dbd_open);
    apr_dynamic_fn_register("ap_dbd_close", (apr_opt_fn_t *)fake_dbd_close);
}

/* mod_dbd gone again: registering NULL removes a name from APR's table */
static void dbd_unregister(void)
{
    if (apr_hook_global_pool) {
        apr_dynamic_fn_register("ap_dbd_prepare", NULL);
        apr_dynamic_fn_register("ap_dbd_acquire", NULL);
        apr_dynamic_fn_register("ap_dbd_open", NULL);
        apr_dynamic_fn_register("ap_dbd_close", NULL);
    }
}

START_TEST(cmd_issuer)
{
    oidp_cfg_t *c = fresh();
    cmd_parms *cmd = cmd_for(c, "OIDCIdPIssuer", NULL);
    const char *err;

    /* without mod_dbd: one clear line */
    err = oidp_cmd_issuer(cmd, NULL, "https://idp.example.com");
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "mod_dbd"));
    ck_assert_ptr_null(c->issuer);

    dbd_register();
    err = oidp_cmd_issuer(cmd, NULL, "http://idp.example.com");
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "OIDCIdPIssuer")); /* one clear line naming the directive */
    ck_assert_ptr_null(c->issuer);
    ck_assert_uint_eq(apr_hash_count(prepared), 0);

    ck_assert_ptr_null(oidp_cmd_issuer(cmd, NULL, "https://idp.example.com"));
    ck_assert_str_eq(c->issuer, "https://idp.example.com");
    /* nothing is registered with mod_dbd: the module prepares its statements
     * on each connection (src/httpd/dbd.c) */
    ck_assert_ptr_null(prepared_for);
    ck_assert_uint_eq(apr_hash_count(prepared), 0);
    /* once per server */
    err = oidp_cmd_issuer(cmd, NULL, "https://other.example.com");
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(c->issuer, "https://idp.example.com"); /* unchanged */
}
END_TEST

/* ------------------------------------------------------------------ */
/* lifetimes */

static const char *lifetime(oidp_cfg_t *c, void *which, const char *arg)
{
    return oidp_cmd_lifetime(cmd_for(c, "OIDCIdPSomeLifetime", which), NULL, arg);
}

START_TEST(lifetime_accepts)
{
    static const struct {
        const char *arg;
        int secs;
    } ok[] = {
        {"3600", 3600},   {"90s", 90}, {"15m", 900},       {"12h", 43200},
        {"30d", 2592000}, {"1", 1},    {"365d", 31536000}, {"31536000", 31536000},
        {"0090", 90},
    };
    oidp_cfg_t *c = fresh();
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        const char *err = lifetime(c, OIDP_TTL_ACCESS_TOKEN, ok[i].arg);
        ck_assert_msg(err == NULL, "'%s' refused: %s", ok[i].arg, err);
        ck_assert_int_eq(oidp_cfg_access_token_ttl(c), ok[i].secs);
    }
    ck_assert_ptr_null(lifetime(c, OIDP_TTL_ID_TOKEN, "5m"));
    ck_assert_ptr_null(lifetime(c, OIDP_TTL_REFRESH_TOKEN, "7d"));
    ck_assert_ptr_null(lifetime(c, OIDP_TTL_CODE, "30s"));
    ck_assert_ptr_null(lifetime(c, OIDP_TTL_SESSION, "8h"));
    ck_assert_int_eq(oidp_cfg_id_token_ttl(c), 300);
    ck_assert_int_eq(oidp_cfg_refresh_token_ttl(c), 604800);
    ck_assert_int_eq(oidp_cfg_code_ttl(c), 30);
    ck_assert_int_eq(oidp_cfg_session_ttl(c), 28800);
    ck_assert_int_eq(oidp_cfg_access_token_ttl(c), 90); /* each directive its own field */
}
END_TEST

START_TEST(lifetime_refuses)
{
    static const char *const bad[] = {
        "0",       "0s",       "-1",
        "1y",      "366d",     "8761h",
        "525601m", "31536001", "99999999999999999999",
        "",        "s",        "10 s",
        " 10",     "10 ",      "+10",
        "1.5h",    "10ss",     "10sm",
        "0x10",    "1e3",      "10S",
        "ten",
    };
    oidp_cfg_t *c = fresh();
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err = lifetime(c, OIDP_TTL_ACCESS_TOKEN, bad[i]);
        ck_assert_msg(err != NULL, "'%s' accepted", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "OIDCIdPSomeLifetime"));
    }
    ck_assert_int_eq(c->access_token_ttl, OIDP_UNSET); /* nothing was set */
}
END_TEST

START_TEST(lifetime_code_at_most_600)
{
    oidp_cfg_t *c = fresh();

    ck_assert_ptr_null(lifetime(c, OIDP_TTL_CODE, "600"));
    ck_assert_ptr_null(lifetime(c, OIDP_TTL_CODE, "10m"));
    ck_assert_ptr_nonnull(lifetime(c, OIDP_TTL_CODE, "601"));
    ck_assert_ptr_nonnull(lifetime(c, OIDP_TTL_CODE, "11m"));
    ck_assert_ptr_nonnull(lifetime(c, OIDP_TTL_CODE, "1h"));
    ck_assert_int_eq(oidp_cfg_code_ttl(c), 600);
    /* the cap is the code's only */
    ck_assert_ptr_null(lifetime(c, OIDP_TTL_ACCESS_TOKEN, "1h"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* other directives */

START_TEST(cmd_audience)
{
    oidp_cfg_t *c = fresh();

    ck_assert_ptr_nonnull(
        oidp_cmd_audience(cmd_for(c, "OIDCIdPAccessTokenAudience", NULL), NULL, ""));
    ck_assert_ptr_null(c->access_token_audience);
    ck_assert_ptr_null(
        oidp_cmd_audience(cmd_for(c, "OIDCIdPAccessTokenAudience", NULL), NULL, "api://x"));
    ck_assert_str_eq(c->access_token_audience, "api://x");
}
END_TEST

START_TEST(cmd_endpoint)
{
    oidp_cfg_t *c = fresh();
    cmd_parms *cmd = cmd_for(c, "OIDCIdPEndpoint", NULL);
    int i;

    for (i = 0; i < OIDP_EP__COUNT; i++) {
        const char *name = oidp_cfg_endpoint_name((oidp_endpoint_e)i);
        const char *path = apr_psprintf(p, "/x/%d", i);
        ck_assert_ptr_null(oidp_cmd_endpoint(cmd, NULL, name, path));
        ck_assert_str_eq(oidp_cfg_endpoint_path(c, (oidp_endpoint_e)i), path);
    }
    ck_assert_ptr_null(oidp_cmd_endpoint(cmd, NULL, "TOKEN", "/t"));
    ck_assert_str_eq(oidp_cfg_endpoint_path(c, OIDP_EP_TOKEN), "/t");
    ck_assert_ptr_null(oidp_cmd_endpoint(cmd, NULL, "jwks", "https://cdn.example/jwks.json"));
    ck_assert_ptr_null(oidp_cmd_endpoint(cmd, NULL, "jwks", "http://localhost/jwks"));
    ck_assert_ptr_nonnull(oidp_cmd_endpoint(cmd, NULL, "tokens", "/t"));
    ck_assert_ptr_nonnull(oidp_cmd_endpoint(cmd, NULL, "", "/t"));
    ck_assert_ptr_nonnull(oidp_cmd_endpoint(cmd, NULL, "token", "t"));
    ck_assert_ptr_nonnull(oidp_cmd_endpoint(cmd, NULL, "token", "ftp://x/t"));
    ck_assert_ptr_nonnull(oidp_cmd_endpoint(cmd, NULL, "token", "/t#x"));
    ck_assert_ptr_nonnull(oidp_cmd_endpoint(cmd, NULL, "token", "/a b"));
    ck_assert_str_eq(oidp_cfg_endpoint_path(c, OIDP_EP_TOKEN), "/t");
}
END_TEST

START_TEST(cmd_max_body)
{
    oidp_cfg_t *c = fresh();
    cmd_parms *cmd = cmd_for(c, "OIDCIdPMaxRequestBody", NULL);
    static const char *const bad[] = {"1023", "0", "-1", "16777217", "", "1k", "10 ", "abc"};
    size_t i;

    ck_assert_ptr_null(oidp_cmd_max_body(cmd, NULL, "1024"));
    ck_assert(oidp_cfg_max_body(c) == 1024);
    ck_assert_ptr_null(oidp_cmd_max_body(cmd, NULL, "16777216"));
    ck_assert(oidp_cfg_max_body(c) == 16777216);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(oidp_cmd_max_body(cmd, NULL, bad[i]) != NULL, "'%s' accepted", bad[i]);
    }
    ck_assert(oidp_cfg_max_body(c) == 16777216);
}
END_TEST

START_TEST(cmd_throttle)
{
    oidp_cfg_t *c = fresh();
    cmd_parms *cmd = cmd_for(c, "OIDCIdPThrottleFreeAttempts", OIDP_THROTTLE_FREE);
    static const char *const bad_free[] = {"0", "-1", "1001", "", "5x", "abc"};
    static const char *const bad_delay[] = {"0", "3601", "2h", "", "x"};
    static const char *const bad_window[] = {"59", "2d", "", "1w"};
    size_t i;

    ck_assert_ptr_null(oidp_cmd_throttle_number(cmd, NULL, "10"));
    ck_assert_int_eq(oidp_cfg_throttle_policy(c).free_attempts, 10);
    for (i = 0; i < sizeof(bad_free) / sizeof(bad_free[0]); i++) {
        ck_assert_msg(oidp_cmd_throttle_number(cmd, NULL, bad_free[i]) != NULL, "'%s' accepted",
                      bad_free[i]);
    }
    cmd = cmd_for(c, "OIDCIdPThrottleMaxDelay", OIDP_THROTTLE_MAX_DELAY);
    ck_assert_ptr_null(oidp_cmd_throttle_number(cmd, NULL, "2m"));
    ck_assert_int_eq(oidp_cfg_throttle_policy(c).max_delay, 120);
    for (i = 0; i < sizeof(bad_delay) / sizeof(bad_delay[0]); i++) {
        ck_assert_msg(oidp_cmd_throttle_number(cmd, NULL, bad_delay[i]) != NULL, "'%s' accepted",
                      bad_delay[i]);
    }
    cmd = cmd_for(c, "OIDCIdPThrottleWindow", OIDP_THROTTLE_WINDOW);
    ck_assert_ptr_null(oidp_cmd_throttle_number(cmd, NULL, "1h"));
    ck_assert_int_eq(oidp_cfg_throttle_policy(c).window, 3600);
    for (i = 0; i < sizeof(bad_window) / sizeof(bad_window[0]); i++) {
        ck_assert_msg(oidp_cmd_throttle_number(cmd, NULL, bad_window[i]) != NULL, "'%s' accepted",
                      bad_window[i]);
    }
    cmd = cmd_for(c, "OIDCIdPThrottle", NULL);
    ck_assert_ptr_null(oidp_cmd_throttle(cmd, NULL, 0));
    ck_assert_int_eq(oidp_cfg_throttle(c), 0);
    cmd = cmd_for(c, "OIDCIdPThrottleExempt", NULL);
    ck_assert_ptr_null(oidp_cmd_throttle_exempt(cmd, NULL, "127.0.0.1"));
    ck_assert_ptr_null(oidp_cmd_throttle_exempt(cmd, NULL, "10.0.0.0/8"));
    ck_assert_ptr_null(oidp_cmd_throttle_exempt(cmd, NULL, "::1"));
    ck_assert_int_eq(c->throttle_exempt->nelts, 3);
    ck_assert_ptr_nonnull(oidp_cmd_throttle_exempt(cmd, NULL, "example.com"));
    ck_assert_ptr_nonnull(oidp_cmd_throttle_exempt(cmd, NULL, "10.0.0.0/99"));
    cmd = cmd_for(c, "OIDCIdPAuditLog", NULL);
    ck_assert_ptr_nonnull(oidp_cmd_audit_log(cmd, NULL, ""));
    ck_assert_ptr_nonnull(oidp_cmd_audit_log(cmd, NULL, "| "));
    ck_assert_ptr_null(oidp_cmd_audit_log(cmd, NULL, "Off"));
    ck_assert_ptr_null(oidp_cfg_audit_log(c));
    ck_assert_ptr_nonnull(oidp_cmd_audit_log(cmd, NULL, "/tmp/a")); /* twice */
}
END_TEST

START_TEST(cmd_plain_pkce)
{
    oidp_cfg_t *c = fresh();
    cmd_parms *cmd = cmd_for(c, "OIDCIdPAllowPlainPKCE", NULL);

    ck_assert_ptr_null(oidp_cmd_plain_pkce(cmd, NULL, 1));
    ck_assert_int_eq(oidp_cfg_allow_plain_pkce(c), 1);
    ck_assert_ptr_null(oidp_cmd_plain_pkce(cmd, NULL, 0));
    ck_assert_int_eq(oidp_cfg_allow_plain_pkce(c), 0);
    ck_assert_int_ne(c->allow_plain_pkce, OIDP_UNSET); /* Off is set, not unset */
}
END_TEST

START_TEST(cmd_signing_key)
{
    oidp_cfg_t *c = fresh();
    cmd_parms *cmd = cmd_for(c, "OIDCIdPSigningKey", NULL);
    const char *rsa = ut_write_file(p, "cfg-rsa.pem",
                                    ut_pem_private(p, ut_keygen("RSA", NULL, 2048)));
    const char *ec = ut_write_file(p, "cfg-ec.pem", ut_pem_private(p, ut_keygen("EC", "P-256", 0)));
    const char *weak = ut_write_file(p, "cfg-weak.pem",
                                     ut_pem_private(p, ut_keygen("RSA", NULL, 1024)));
    const char *err;

    ck_assert_ptr_null(oidp_cmd_signing_key(cmd, NULL, rsa));
    /* relative to the ServerRoot (the stub's is the test's temporary folder) */
    ck_assert_ptr_null(oidp_cmd_signing_key(cmd, NULL, "cfg-ec.pem"));
    ck_assert_ptr_nonnull(c->keys);
    ck_assert_int_eq(c->keys->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(c->keys, 0, oidp_key_t *)->alg_name, "RS256"); /* first signs */
    ck_assert_str_eq(APR_ARRAY_IDX(c->keys, 1, oidp_key_t *)->alg_name, "ES256");

    err = oidp_cmd_signing_key(cmd, NULL, ec); /* the same key again */
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "OIDCIdPSigningKey"));
    err = oidp_cmd_signing_key(cmd, NULL, weak);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "2048"));
    ck_assert_ptr_nonnull(oidp_cmd_signing_key(cmd, NULL, "/nonexistent/key.pem"));
    ck_assert_int_eq(c->keys->nelts, 2);
}
END_TEST

START_TEST(cmd_login_template)
{
    oidp_cfg_t *c = fresh();
    cmd_parms *cmd = cmd_for(c, "OIDCIdPLoginTemplate", NULL);
    const char *good = ut_write_file(
        p, "cfg-login.html",
        "<form method=\"post\" action=\"{{form_action}}\">{{hidden_fields}}</form>\n");
    const char *lacking = ut_write_file(p, "cfg-lacking.html", "<form>{{hidden_fields}}</form>\n");
    const char *unknown = ut_write_file(
        p, "cfg-unknown.html",
        "<form action=\"{{form_action}}\">{{hidden_fields}}{{nope}}</form>\n");

    ck_assert_ptr_nonnull(oidp_cmd_login_template(cmd, NULL, "/nonexistent.html"));
    ck_assert_ptr_nonnull(oidp_cmd_login_template(cmd, NULL, lacking));
    ck_assert_ptr_nonnull(oidp_cmd_login_template(cmd, NULL, unknown));
    ck_assert_ptr_nonnull(
        oidp_cmd_login_template(cmd, NULL, ut_write_file(p, "cfg-empty.html", "")));
    c->login_template = NULL;
    ck_assert_ptr_null(oidp_cmd_login_template(cmd, NULL, good));
    ck_assert_ptr_nonnull(c->login_template);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the start-up check over the server list */

START_TEST(startup_check)
{
    oidp_cfg_t *main_c = fresh(), *vhost_c = fresh();
    server_rec *s = ut_server(p, main_c), *v = ut_server(p, vhost_c);
    const char *rsa = ut_write_file(p, "chk-rsa.pem",
                                    ut_pem_private(p, ut_keygen("RSA", NULL, 2048)));
    const char *ec = ut_write_file(p, "chk-ec.pem", ut_pem_private(p, ut_keygen("EC", "P-256", 0)));
    const char *err;

    s->next = v;
    v->server_hostname = "vhost.test";
    /* nothing configured: the module is idle, nothing to check */
    ck_assert_ptr_null(oidp_startup_check(p, s));

    /* a key without an issuer */
    ck_assert_ptr_null(oidp_cmd_signing_key(ut_cmd(p, v, "OIDCIdPSigningKey", NULL), NULL, ec));
    err = oidp_startup_check(p, s);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "vhost.test"));
    ck_assert_ptr_nonnull(strstr(err, "OIDCIdPIssuer"));

    /* an issuer with only an EC key: OpenID Connect requires RS256 */
    vhost_c->issuer = "https://vhost.test";
    err = oidp_startup_check(p, s);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "RS256"));

    /* an issuer without any key */
    main_c->issuer = "https://unit.test";
    vhost_c->issuer = NULL;
    vhost_c->keys = NULL;
    err = oidp_startup_check(p, s);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "OIDCIdPSigningKey"));

    /* complete, but mod_dbd is not loaded */
    ck_assert_ptr_null(oidp_cmd_signing_key(ut_cmd(p, s, "OIDCIdPSigningKey", NULL), NULL, rsa));
    err = oidp_startup_check(p, s);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "mod_dbd"));

    /* with mod_dbd's optional functions: fine */
    dbd_register();
    ck_assert_ptr_null(oidp_startup_check(p, s));
}
END_TEST

/* per directory: OIDCIdPAuthnProvider and OIDCIdPClaim, and their merge */
START_TEST(dir_authn_and_claims)
{
    oidp_cfg_t *c = fresh();
    oidp_dir_cfg_t *base = oidp_cfg_dir_create(p, NULL), *add = oidp_cfg_dir_create(p, NULL), *m;
    cmd_parms *cmd = cmd_for(c, "OIDCIdPAuthnProvider", NULL);
    const oidp_authn_src_t *src;

    ck_assert_ptr_null(base->providers);
    ck_assert_ptr_null(base->claims);
    ck_assert_ptr_null(oidp_cmd_authn_provider(cmd, base, "file"));
    ck_assert_ptr_null(oidp_cmd_authn_provider(cmd, base, OIDP_AUTHN_LOCAL));
    ck_assert_ptr_nonnull(strstr(oidp_cmd_authn_provider(cmd, base, "nosuch"), "unknown"));
    ck_assert_ptr_nonnull(strstr(oidp_cmd_authn_provider(cmd, base, "nocheck"), "passwords"));
    ck_assert_ptr_nonnull(strstr(oidp_cmd_authn_provider(cmd, base, "file"), "twice"));
    ck_assert_int_eq(base->providers->nelts, 2);
    src = (const oidp_authn_src_t *)base->providers->elts;
    ck_assert_str_eq(src[0].name, "file");
    ck_assert_ptr_nonnull(src[0].provider);
    ck_assert_str_eq(src[1].name, OIDP_AUTHN_LOCAL);
    ck_assert_ptr_null(src[1].provider);

    cmd = cmd_for(c, "OIDCIdPClaim", NULL);
    ck_assert_ptr_null(oidp_cmd_claim(cmd, base, "email", "%{reqenv:AUTHENTICATE_MAIL}"));
    ck_assert_ptr_nonnull(strstr(oidp_cmd_claim(cmd, base, "email", "x"), "twice"));
    ck_assert_ptr_nonnull(strstr(oidp_cmd_claim(cmd, base, "sub", "x"), "is not a claim"));
    ck_assert_ptr_nonnull(strstr(oidp_cmd_claim(cmd, base, "name", "%{reqenv:X"), "parse"));
    ck_assert_int_eq(base->claims->nelts, 1);

    /* unset inherits, set replaces (as AuthBasicProvider) */
    m = oidp_cfg_dir_merge(p, base, add);
    ck_assert_ptr_eq(m->providers, base->providers);
    ck_assert_ptr_eq(m->claims, base->claims);
    ck_assert_ptr_null(oidp_cmd_authn_provider(cmd, add, OIDP_AUTHN_LOCAL));
    ck_assert_ptr_null(oidp_cmd_claim(cmd, add, "groups", "%{reqenv:AUTHENTICATE_MEMBEROF}"));
    m = oidp_cfg_dir_merge(p, base, add);
    ck_assert_ptr_eq(m->providers, add->providers);
    ck_assert_ptr_eq(m->claims, add->claims);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *merge = tcase_create("merge");
    TCase *iss = tcase_create("issuer");
    TCase *dir = tcase_create("directives");
    TCase *chk = tcase_create("check");

    tcase_add_checked_fixture(merge, setup, teardown);
    tcase_add_test(merge, create_is_unset_and_getters_default);
    tcase_add_test(merge, merge_add_wins_everywhere);
    tcase_add_test(merge, merge_unset_inherits_everywhere);
    tcase_add_test(merge, merge_field_by_field);
    suite_add_tcase(s, merge);

    tcase_add_checked_fixture(iss, setup, teardown);
    tcase_add_test(iss, issuer_check);
    tcase_add_test(iss, cmd_issuer);
    suite_add_tcase(s, iss);

    tcase_add_checked_fixture(dir, setup, teardown);
    tcase_set_timeout(dir, 30);
    tcase_add_test(dir, lifetime_accepts);
    tcase_add_test(dir, lifetime_refuses);
    tcase_add_test(dir, lifetime_code_at_most_600);
    tcase_add_test(dir, cmd_audience);
    tcase_add_test(dir, cmd_endpoint);
    tcase_add_test(dir, cmd_max_body);
    tcase_add_test(dir, cmd_plain_pkce);
    tcase_add_test(dir, cmd_throttle);
    tcase_add_test(dir, cmd_signing_key);
    tcase_add_test(dir, cmd_login_template);
    tcase_add_test(dir, dir_authn_and_claims);
    suite_add_tcase(s, dir);

    tcase_add_checked_fixture(chk, setup, teardown);
    tcase_set_timeout(chk, 30);
    tcase_add_test(chk, startup_check);
    suite_add_tcase(s, chk);
    return s;
}

int main(void)
{
    return ut_main(config_suite());
}
