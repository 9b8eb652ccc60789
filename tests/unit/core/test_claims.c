/*
 * src/claims.c: claims by scope (OIDC Core 5.4), by request (5.5), in the
 * standard and the Casdoor dialect; the ID token's claims; Casdoor's user.
 */
#include <string.h>

#include <apr_strings.h>

#include "oidp_claims.h"
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

static oidp_user_t *alice(void)
{
    oidp_user_t *u = apr_pcalloc(p, sizeof(*u));

    u->id = "0b2c6c4e-4b1f-4a55-9c1e-6d4f0d9b9a01";
    u->username = "alice";
    u->name = "Alice Doe";
    u->given_name = "Alice";
    u->family_name = "Doe";
    u->email = "alice@example.com";
    u->email_verified = 1;
    u->phone_number = "+1 555 0100";
    u->phone_number_verified = 0;
    u->address_street = "1 Main St";
    u->address_locality = "Springfield";
    u->address_country = "US";
    u->picture = "";
    u->locale = NULL;
    u->groups = "[\"admins\",\"\",\"dev\"]";
    u->created_at = 1700000000;
    u->updated_at = 1700000100;
    return u;
}

static json_t *userinfo(const oidp_user_t *u, const char *scope, const char *claims,
                        const char *target, const char *dialect)
{
    json_t *j = oidp_json_bind(p, json_object());

    oidp_claims_user(j, u, oidp_scope_parse(p, scope), claims, target, dialect);
    return j;
}

#define STR(j, k) json_string_value(json_object_get((j), (k)))

START_TEST(openid_only_gives_nothing)
{
    json_t *j = userinfo(alice(), "openid", NULL, "userinfo", "standard");
    ck_assert_int_eq(json_object_size(j), 0);
}
END_TEST

START_TEST(profile_claims_and_types)
{
    json_t *j = userinfo(alice(), "openid profile", NULL, "userinfo", "standard");
    json_t *g = json_object_get(j, "groups");

    ck_assert_str_eq(STR(j, "name"), "Alice Doe");
    ck_assert_str_eq(STR(j, "given_name"), "Alice");
    ck_assert_str_eq(STR(j, "family_name"), "Doe");
    ck_assert_str_eq(STR(j, "preferred_username"), "alice");
    ck_assert(json_is_integer(json_object_get(j, "updated_at")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "updated_at")), 1700000100);
    /* empty and missing values are never emitted, nor empty group names */
    ck_assert_ptr_null(json_object_get(j, "picture"));
    ck_assert_ptr_null(json_object_get(j, "locale"));
    ck_assert(json_is_array(g));
    ck_assert_int_eq(json_array_size(g), 2);
    ck_assert_ptr_null(json_object_get(j, "email"));
    ck_assert_ptr_null(json_object_get(j, "address"));
}
END_TEST

START_TEST(email_phone_address)
{
    json_t *j = userinfo(alice(), "openid email phone address", NULL, "userinfo", "standard");
    json_t *a = json_object_get(j, "address");

    ck_assert_str_eq(STR(j, "email"), "alice@example.com");
    ck_assert(json_is_true(json_object_get(j, "email_verified")));
    ck_assert_str_eq(STR(j, "phone_number"), "+1 555 0100");
    ck_assert(json_is_false(json_object_get(j, "phone_number_verified")));
    ck_assert(json_is_object(a));
    ck_assert_str_eq(STR(a, "street_address"), "1 Main St");
    ck_assert_str_eq(STR(a, "locality"), "Springfield");
    ck_assert_str_eq(STR(a, "country"), "US");
    ck_assert_ptr_null(json_object_get(a, "region"));
    ck_assert_ptr_null(json_object_get(j, "name"));
}
END_TEST

START_TEST(no_verified_flag_without_value)
{
    oidp_user_t *u = alice();
    json_t *j;

    u->email = NULL;
    u->address_street = u->address_locality = u->address_country = NULL;
    j = userinfo(u, "openid email address", NULL, "userinfo", "standard");
    ck_assert_ptr_null(json_object_get(j, "email_verified"));
    ck_assert_ptr_null(json_object_get(j, "address"));
}
END_TEST

START_TEST(id_token_gets_only_requested)
{
    json_t *j = userinfo(alice(), "openid profile email", NULL, "id_token", "standard");

    ck_assert_int_eq(json_object_size(j), 0);
    j = userinfo(alice(), "openid profile email", "{\"id_token\":{\"email\":null}}", "id_token",
                 "standard");
    ck_assert_int_eq(json_object_size(j), 1);
    ck_assert_str_eq(STR(j, "email"), "alice@example.com");
    /* the userinfo member does not leak into the ID token */
    j = userinfo(alice(), "openid", "{\"userinfo\":{\"name\":{\"essential\":true}}}", "id_token",
                 "standard");
    ck_assert_int_eq(json_object_size(j), 0);
    j = userinfo(alice(), "openid", "{\"userinfo\":{\"name\":{\"essential\":true}}}", "userinfo",
                 "standard");
    ck_assert_str_eq(STR(j, "name"), "Alice Doe");
}
END_TEST

START_TEST(casdoor_dialect)
{
    json_t *j = userinfo(alice(), "openid profile email", NULL, "id_token", OIDP_DIALECT_CASDOOR);

    ck_assert_str_eq(STR(j, "name"), "alice"); /* Casdoor's name is the username */
    ck_assert_str_eq(STR(j, "display_name"), "Alice Doe");
    ck_assert_str_eq(STR(j, "displayName"), "Alice Doe");
    ck_assert_str_eq(STR(j, "email"), "alice@example.com");
    ck_assert_str_eq(STR(j, "id"), "0b2c6c4e-4b1f-4a55-9c1e-6d4f0d9b9a01");
    ck_assert_str_eq(STR(j, "owner"), "built-in");
    ck_assert(json_is_array(json_object_get(j, "groups")));
    ck_assert_ptr_null(json_object_get(j, "phone"));
    /* userinfo: standard claims by scope, then Casdoor's names on top */
    j = userinfo(alice(), "openid profile phone", NULL, "userinfo", OIDP_DIALECT_CASDOOR);
    ck_assert_str_eq(STR(j, "name"), "alice");
    ck_assert_str_eq(STR(j, "given_name"), "Alice");
    ck_assert_str_eq(STR(j, "phone"), "+1 555 0100");
    ck_assert_str_eq(STR(j, "phone_number"), "+1 555 0100");
}
END_TEST

START_TEST(claims_request_parse)
{
    apr_array_header_t *allowed = oidp_scope_parse(p, "openid profile email");
    apr_array_header_t *implied = NULL;
    const char *err = NULL, *out;

    out = oidp_claims_request_parse(p,
                                    "{\"userinfo\":{\"name\":{\"essential\":true},"
                                    "\"phone_number\":null,\"nonsense\":null},"
                                    "\"id_token\":{\"email\":null}}",
                                    allowed, &implied, &err);
    ck_assert_ptr_nonnull(out);
    /* phone is not allowed for the client, nonsense is unknown: dropped */
    ck_assert_ptr_null(strstr(out, "phone_number"));
    ck_assert_ptr_null(strstr(out, "nonsense"));
    ck_assert_ptr_nonnull(strstr(out, "\"name\""));
    ck_assert_int_eq(implied->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(implied, 0, const char *), "profile");
    ck_assert_str_eq(APR_ARRAY_IDX(implied, 1, const char *), "email");
    ck_assert_str_eq(oidp_claims_request_parse(p, "{}", allowed, &implied, &err), "");

    ck_assert_ptr_null(oidp_claims_request_parse(p, "[]", allowed, &implied, &err));
    ck_assert_ptr_null(oidp_claims_request_parse(p, "{", allowed, &implied, &err));
    ck_assert_ptr_null(oidp_claims_request_parse(p, "{\"userinfo\":[]}", allowed, &implied, &err));
    ck_assert_ptr_null(
        oidp_claims_request_parse(p, "{\"userinfo\":{\"name\":1}}", allowed, &implied, &err));
    ck_assert_ptr_null(
        oidp_claims_request_parse(p, "{\"userinfo\":{},\"userinfo\":{}}", allowed, &implied, &err));
}
END_TEST

START_TEST(id_token_claims)
{
    oidp_id_token_t t;
    json_t *j;

    memset(&t, 0, sizeof(t));
    t.issuer = "https://idp.example.com";
    t.sub = "s";
    t.aud = "client";
    t.at_hash = "h";
    t.auth_time = 100;
    t.iat = 200;
    t.exp = 300;
    j = oidp_json_bind(p, oidp_claims_id_token(&t));
    ck_assert_str_eq(STR(j, "iss"), "https://idp.example.com");
    ck_assert_str_eq(STR(j, "aud"), "client");
    ck_assert_str_eq(STR(j, "azp"), "client");
    ck_assert_str_eq(STR(j, "at_hash"), "h");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "auth_time")), 100);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "exp")), 300);
    ck_assert_ptr_null(json_object_get(j, "nonce")); /* only if sent */
    ck_assert_ptr_null(json_object_get(j, "sid"));
    t.nonce = "n-0S6_WzA2Mj";
    t.sid = "sid1";
    j = oidp_json_bind(p, oidp_claims_id_token(&t));
    ck_assert_str_eq(STR(j, "nonce"), "n-0S6_WzA2Mj");
    ck_assert_str_eq(STR(j, "sid"), "sid1");
    ck_assert_ptr_null(json_object_get(j, "amr")); /* only when known */
    ck_assert_ptr_null(json_object_get(j, "acr"));
    t.amr = "pwd otp mfa";
    t.acr = "urn:example:mfa";
    j = oidp_json_bind(p, oidp_claims_id_token(&t));
    ck_assert_int_eq(json_array_size(json_object_get(j, "amr")), 3);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "amr"), 0)), "pwd");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "amr"), 2)), "mfa");
    ck_assert_str_eq(STR(j, "acr"), "urn:example:mfa");
    t.acr = "\xff"; /* not UTF-8: refused, never left out */
    ck_assert_ptr_null(oidp_claims_id_token(&t));
}
END_TEST

START_TEST(amr_sets)
{
    const char *a = oidp_claims_amr_add(p, NULL, OIDP_AMR_PWD);

    ck_assert_str_eq(a, "pwd");
    a = oidp_claims_amr_add(p, a, OIDP_AMR_OTP);
    a = oidp_claims_amr_add(p, a, OIDP_AMR_MFA);
    ck_assert_str_eq(oidp_claims_amr_add(p, a, OIDP_AMR_OTP), "pwd otp mfa"); /* once */
    ck_assert(oidp_claims_amr_has(a, "otp"));
    ck_assert(!oidp_claims_amr_has(a, "ot"));
    ck_assert(!oidp_claims_amr_has(a, "pwd otp"));
    ck_assert(!oidp_claims_amr_has(NULL, "pwd"));
    ck_assert(!oidp_claims_amr_has("pwd", ""));
}
END_TEST

/* the limits of a claims request and its encoding (issue 8) */
START_TEST(claims_request_limits)
{
    apr_array_header_t *allowed = oidp_scope_parse(p, "openid profile email");
    apr_array_header_t *implied = NULL, *names = apr_array_make(p, 128, sizeof(const char *));
    const char *err = NULL, *pad;
    char *big;
    int i;

    /* one byte over the length limit, valid otherwise */
    pad = "{\"userinfo\":{\"email\":{\"value\":\"";
    big = apr_palloc(p, OIDP_CLAIMS_MAX_LEN + 2);
    memset(big, 'a', OIDP_CLAIMS_MAX_LEN + 1);
    memcpy(big, pad, strlen(pad));
    memcpy(big + OIDP_CLAIMS_MAX_LEN + 1 - 4, "\"}}}", 4);
    big[OIDP_CLAIMS_MAX_LEN + 1] = '\0';
    ck_assert_ptr_null(oidp_claims_request_parse(p, big, allowed, &implied, &err));
    ck_assert_str_eq(err, "claims is too long");
    big[OIDP_CLAIMS_MAX_LEN - 4] = '"';
    memcpy(big + OIDP_CLAIMS_MAX_LEN - 4, "\"}}}", 4);
    big[OIDP_CLAIMS_MAX_LEN] = '\0';
    ck_assert_ptr_nonnull(oidp_claims_request_parse(p, big, allowed, &implied, &err));

    /* 100 names per target, not 101 */
    for (i = 0; i < OIDP_CLAIMS_MAX_NAMES; i++) {
        APR_ARRAY_PUSH(names, const char *) = apr_psprintf(p, "\"c%d\":null", i);
    }
    ck_assert_ptr_nonnull(oidp_claims_request_parse(
        p, apr_pstrcat(p, "{\"userinfo\":{", apr_array_pstrcat(p, names, ','), "}}", NULL), allowed,
        &implied, &err));
    APR_ARRAY_PUSH(names, const char *) = "\"email\":null";
    ck_assert_ptr_null(oidp_claims_request_parse(
        p, apr_pstrcat(p, "{\"userinfo\":{", apr_array_pstrcat(p, names, ','), "}}", NULL), allowed,
        &implied, &err));
    ck_assert_str_eq(err, "too many claims requested");

    ck_assert_ptr_null(oidp_claims_request_parse(
        p, "{\"userinfo\":{\"email\":{\"value\":\"\xc0\xaf\"}}}", allowed, &implied, &err));
    ck_assert_str_eq(err, "claims must be UTF-8");
}
END_TEST

/* a nonce that cannot be a JSON string: no ID token, never one without it */
START_TEST(id_token_refuses_invalid_utf8)
{
    oidp_id_token_t t;

    memset(&t, 0, sizeof(t));
    t.issuer = "https://idp.example.com";
    t.sub = "s";
    t.aud = "client";
    t.iat = 200;
    t.exp = 300;
    t.nonce = "n-\xff";
    ck_assert_ptr_null(oidp_claims_id_token(&t));
    t.nonce = "n-\xc3\xa9";
    ck_assert_ptr_nonnull(oidp_json_bind(p, oidp_claims_id_token(&t)));
}
END_TEST

/* id_token_hint: ID tokens and access tokens of this issuer told apart */
START_TEST(hint_kinds)
{
    const char *iss = "https://idp.example.com", *err = NULL;
    oidp_hint_t h;

    ck_assert_int_eq(oidp_claims_hint(&h, p, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
                                      "{\"iss\":\"https://idp.example.com\",\"sub\":\"u1\","
                                      "\"aud\":\"c1\",\"azp\":\"c1\",\"exp\":5}",
                                      iss, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(h.kind, OIDP_HINT_ID_TOKEN);
    ck_assert_str_eq(h.sub, "u1");
    ck_assert_str_eq(h.client_id, "c1");
    ck_assert_int_eq(h.exp, 5);
    /* an audience array with azp naming one of them */
    ck_assert_int_eq(oidp_claims_hint(&h, p, "{\"typ\":\"JWT\"}",
                                      "{\"iss\":\"https://idp.example.com\",\"sub\":\"u1\","
                                      "\"aud\":[\"api\",\"c1\"],\"azp\":\"c1\"}",
                                      iss, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(h.client_id, "c1");
    /* an access token (RFC 9068) */
    ck_assert_int_eq(oidp_claims_hint(&h, p, "{\"typ\":\"at+jwt\"}",
                                      "{\"iss\":\"https://idp.example.com\",\"sub\":\"u1\","
                                      "\"aud\":\"api\",\"client_id\":\"c1\",\"scope\":\"openid\"}",
                                      iss, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(h.kind, OIDP_HINT_ACCESS_TOKEN);
    ck_assert_str_eq(h.client_id, "c1");
    /* refused: another issuer, no typ, another typ, an access token's
     * claims under typ JWT, azp not the audience, an array without azp */
    {
        static const char *const bad[][2] = {
            {"{\"typ\":\"JWT\"}", "{\"iss\":\"https://other\",\"sub\":\"u\",\"aud\":\"c\"}"},
            {"{\"alg\":\"RS256\"}",
             "{\"iss\":\"https://idp.example.com\",\"sub\":\"u\",\"aud\":\"c\"}"},
            {"{\"typ\":\"logout+jwt\"}",
             "{\"iss\":\"https://idp.example.com\",\"sub\":\"u\",\"aud\":\"c\"}"},
            {"{\"typ\":\"JWT\"}",
             "{\"iss\":\"https://idp.example.com\",\"sub\":\"u\",\"aud\":\"c\","
             "\"client_id\":\"c\",\"scope\":\"openid\"}"},
            {"{\"typ\":\"JWT\"}",
             "{\"iss\":\"https://idp.example.com\",\"sub\":\"u\",\"aud\":\"c\",\"azp\":\"d\"}"},
            {"{\"typ\":\"JWT\"}",
             "{\"iss\":\"https://idp.example.com\",\"sub\":\"u\",\"aud\":[\"c\",\"d\"]}"},
            {"{\"typ\":\"JWT\"}", "{\"iss\":\"https://idp.example.com\",\"aud\":\"c\"}"},
            {"{\"typ\":\"at+jwt\"}",
             "{\"iss\":\"https://idp.example.com\",\"sub\":\"u\",\"aud\":\"c\"}"},
            {"[]", "{}"},
        };
        size_t i;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            ck_assert_msg(oidp_claims_hint(&h, p, bad[i][0], bad[i][1], iss, &err) == APR_EINVAL,
                          "accepted #%zu", i);
        }
    }
}
END_TEST

START_TEST(casdoor_user_object)
{
    json_t *j = oidp_json_bind(p, oidp_claims_casdoor_user(p, alice(),
                                                           oidp_scope_parse(p, "openid profile")));

    ck_assert_str_eq(STR(j, "name"), "alice");
    ck_assert_str_eq(STR(j, "id"), "0b2c6c4e-4b1f-4a55-9c1e-6d4f0d9b9a01");
    ck_assert_str_eq(STR(j, "displayName"), "Alice Doe");
    ck_assert_str_eq(STR(j, "createdTime"), "2023-11-14T22:13:20Z");
    ck_assert_str_eq(STR(j, "password"), "");
    /* email needs the email scope */
    ck_assert_str_eq(STR(j, "email"), "");
    ck_assert(json_is_false(json_object_get(j, "emailVerified")));
}
END_TEST

/* OIDCIdPClaim: which claims a provider may set, and the typing of values */
START_TEST(map_check_and_set)
{
    oidp_user_t *u = apr_pcalloc(p, sizeof(*u));
    const char *err = NULL;
    int changed = 0;

    ck_assert_ptr_null(oidp_claims_map_check("email"));
    ck_assert_ptr_null(oidp_claims_map_check("display_name"));
    ck_assert_ptr_null(oidp_claims_map_check("displayName"));
    ck_assert_ptr_null(oidp_claims_map_check("groups"));
    ck_assert_ptr_null(oidp_claims_map_check("phone"));
    ck_assert_ptr_nonnull(oidp_claims_map_check("sub"));
    ck_assert_ptr_nonnull(oidp_claims_map_check("preferred_username"));
    ck_assert_ptr_nonnull(oidp_claims_map_check("updated_at"));
    ck_assert_ptr_nonnull(oidp_claims_map_check("address"));
    ck_assert_ptr_nonnull(oidp_claims_map_check(NULL));

    /* strings; Casdoor's names set the same fields */
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "display_name", "Zo\xc3\xab", &err),
                     APR_SUCCESS);
    ck_assert_str_eq(u->name, "Zo\xc3\xab");
    ck_assert_int_eq(changed, 1);
    changed = 0;
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "name", "Zo\xc3\xab", &err), APR_SUCCESS);
    ck_assert_int_eq(changed, 0);
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "phone", "+1 555", &err), APR_SUCCESS);
    ck_assert_str_eq(u->phone_number, "+1 555");
    changed = 0;
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "name", "", &err), APR_SUCCESS);
    ck_assert_ptr_null(u->name);
    ck_assert_int_eq(changed, 1);
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "name", "\xff", &err), APR_EINVAL);
    ck_assert_ptr_nonnull(err);

    /* booleans */
    changed = 0;
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "email_verified", "TRUE", &err),
                     APR_SUCCESS);
    ck_assert_int_eq(u->email_verified, 1);
    ck_assert_int_eq(changed, 1);
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "email_verified", "maybe", &err),
                     APR_EINVAL);
    ck_assert_int_eq(u->email_verified, 1);
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "email_verified", "", &err), APR_SUCCESS);
    ck_assert_int_eq(u->email_verified, 0);
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "phone_number_verified", "on", &err),
                     APR_SUCCESS);
    ck_assert_int_eq(u->phone_number_verified, 1);

    /* groups: mod_authnz_ldap's "; " between values */
    ck_assert_int_eq(
        oidp_claims_map_set(u, &changed, p, "groups",
                            "cn=admins,ou=groups,dc=example,dc=org; cn=staff,ou=groups,"
                            "dc=example,dc=org;; staff ;cn=admins,ou=groups,dc=example,"
                            "dc=org",
                            &err),
        APR_SUCCESS);
    ck_assert_str_eq(u->groups, "[\"cn=admins,ou=groups,dc=example,dc=org\",\"cn=staff,ou=groups,"
                                "dc=example,dc=org\",\"staff\"]");
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "groups", " ; ", &err), APR_SUCCESS);
    ck_assert_ptr_null(u->groups);

    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "sub", "x", &err), APR_EINVAL);
    ck_assert_int_eq(oidp_claims_map_set(u, &changed, p, "email",
                                         apr_pstrcat(p, apr_psprintf(p, "%4097s", "x"), NULL),
                                         &err),
                     APR_EINVAL);
}
END_TEST

static Suite *claims_suite(void)
{
    Suite *s = suite_create("claims");
    TCase *tc = tcase_create("claims");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, openid_only_gives_nothing);
    tcase_add_test(tc, profile_claims_and_types);
    tcase_add_test(tc, email_phone_address);
    tcase_add_test(tc, no_verified_flag_without_value);
    tcase_add_test(tc, id_token_gets_only_requested);
    tcase_add_test(tc, casdoor_dialect);
    tcase_add_test(tc, claims_request_parse);
    tcase_add_test(tc, id_token_claims);
    tcase_add_test(tc, amr_sets);
    tcase_add_test(tc, claims_request_limits);
    tcase_add_test(tc, id_token_refuses_invalid_utf8);
    tcase_add_test(tc, hint_kinds);
    tcase_add_test(tc, casdoor_user_object);
    tcase_add_test(tc, map_check_and_set);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(claims_suite());
}
