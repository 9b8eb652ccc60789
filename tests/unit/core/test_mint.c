/*
 * Minting (src/core/mint.c): access tokens verified against the key set
 * with their RFC 9068 claims and their rows, refresh tokens, the ID token's
 * key and claims. No httpd, no database.
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "oidp_jose.h"
#include "oidp_json.h"
#include "oidp_mint.h"
#include "oidp_util.h"
#include "unit.h"

#define ISS "https://idp.example.com"
#define NOW 1700000000

static apr_pool_t *p;
static oidp_keyset_t *ks;
static oidp_mint_t m;
static oidp_client_t client;
static oidp_user_t alice;

static oidp_key_t *load(EVP_PKEY *k)
{
    const char *pem = ut_pem_private(p, k), *err = NULL;
    oidp_key_t *key = NULL;

    ck_assert_int_eq(oidp_jose_key_from_pem(&key, p, pem, strlen(pem), "test", &err), APR_SUCCESS);
    return key;
}

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
    ks = apr_pcalloc(p, sizeof(*ks));
    ks->keys = apr_array_make(p, 2, sizeof(oidp_key_t *));
    APR_ARRAY_PUSH(ks->keys, oidp_key_t *) = load(ut_keygen("RSA", NULL, 2048));
    APR_ARRAY_PUSH(ks->keys, oidp_key_t *) = load(ut_keygen("EC", "P-256", 0));
    memset(&m, 0, sizeof(m));
    m.issuer = ISS;
    m.keys = ks;
    m.access_ttl = 600;
    m.refresh_ttl = 86400;
    m.id_token_ttl = 300;
    memset(&client, 0, sizeof(client));
    client.client_id = "app";
    client.dialect = "standard";
    memset(&alice, 0, sizeof(alice));
    alice.id = "u-alice";
    alice.username = "alice";
    alice.name = "Alice Doe";
}

static void teardown(void)
{
    apr_pool_destroy(p);
}

static oidp_issue_t user_issue(void)
{
    oidp_issue_t is;

    memset(&is, 0, sizeof(is));
    is.client = &client;
    is.user = &alice;
    is.grant.client_id = "app";
    is.grant.user_id = alice.id;
    is.grant.scope = "openid profile offline_access";
    is.grant.auth_time = NOW - 30;
    is.grant.sid = "sid-1";
    is.grant.grant_id = "grant-1";
    is.grant.claims = "{\"userinfo\":{\"email\":null}}";
    return is;
}

/* The verified header and payload of a JWS signed by ks. */
static json_t *verified(const char *jws, const char *typ, const char *alg)
{
    const char *header = NULL, *payload = NULL, *err = NULL;
    json_t *h, *j;

    ck_assert_msg(oidp_jose_verify(&header, &payload, p, ks, jws, &err) == APR_SUCCESS, "%s",
                  err ? err : "?");
    h = oidp_json_bind(p, json_loads(header, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(h, "typ")), typ);
    ck_assert_str_eq(json_string_value(json_object_get(h, "alg")), alg);
    j = oidp_json_bind(p, json_loads(payload, 0, NULL));
    ck_assert_ptr_nonnull(j);
    return j;
}

static const char *str(json_t *j, const char *k)
{
    json_t *v = json_object_get(j, k);
    return v ? json_string_value(v) : NULL;
}

static json_int_t num(json_t *j, const char *k)
{
    return json_integer_value(json_object_get(j, k));
}

START_TEST(access_token_for_a_user)
{
    oidp_issue_t is = user_issue();
    const char *jws = NULL, *err = NULL;
    oidp_token_t row;
    json_t *j;

    ck_assert_int_eq(oidp_mint_access(&jws, &row, p, &m, &is, NOW, &err), APR_SUCCESS);
    j = verified(jws, "at+jwt", "RS256"); /* the first key signs access tokens */
    ck_assert_str_eq(str(j, "iss"), ISS);
    ck_assert_str_eq(str(j, "sub"), "u-alice");
    ck_assert_str_eq(str(j, "aud"), "app");
    ck_assert_str_eq(str(j, "client_id"), "app");
    ck_assert_str_eq(str(j, "scope"), "openid profile offline_access");
    ck_assert_str_eq(str(j, "sid"), "sid-1");
    ck_assert_int_eq(num(j, "auth_time"), NOW - 30);
    ck_assert_int_eq(num(j, "iat"), NOW);
    ck_assert_int_eq(num(j, "exp"), NOW + 600);
    ck_assert_int_eq(strlen(str(j, "jti")), 22);
    /* the row: by hash, the grant copied as one */
    ck_assert_str_eq(row.token_hash, oidp_util_sha256_hex(p, jws, strlen(jws)));
    ck_assert_str_eq(row.kind, OIDP_TOKEN_ACCESS);
    ck_assert_str_eq(row.issuer, ISS);
    ck_assert_str_eq(row.audience, "app");
    ck_assert_str_eq(row.jti, str(j, "jti"));
    ck_assert_str_eq(row.grant.client_id, "app");
    ck_assert_str_eq(row.grant.user_id, "u-alice");
    ck_assert_str_eq(row.grant.grant_id, "grant-1");
    ck_assert_str_eq(row.grant.sid, "sid-1");
    ck_assert_str_eq(row.grant.claims, is.grant.claims);
    ck_assert_int_eq(row.grant.auth_time, NOW - 30);
    ck_assert_int_eq(row.issued_at, NOW);
    ck_assert_int_eq(row.expires_at, NOW + 600);
}
END_TEST

START_TEST(access_token_for_a_client)
{
    oidp_issue_t is;
    const char *jws = NULL, *err = NULL;
    oidp_token_t row;
    json_t *j;

    memset(&is, 0, sizeof(is));
    is.client = &client;
    m.audience = "https://api.example.com";
    ck_assert_int_eq(oidp_mint_access(&jws, &row, p, &m, &is, NOW, &err), APR_SUCCESS);
    j = verified(jws, "at+jwt", "RS256");
    ck_assert_str_eq(str(j, "sub"), "app"); /* the client acts for itself */
    ck_assert_str_eq(str(j, "aud"), "https://api.example.com");
    ck_assert_ptr_null(json_object_get(j, "scope"));
    ck_assert_ptr_null(json_object_get(j, "auth_time"));
    ck_assert_ptr_null(json_object_get(j, "sid"));
    ck_assert_ptr_null(row.grant.user_id);
    ck_assert_str_eq(row.grant.scope, "");
    ck_assert_str_eq(row.grant.grant_id, row.jti); /* a grant of its own */
    ck_assert_str_eq(row.audience, "https://api.example.com");
}
END_TEST

/* A client's access token is known from its claims alone (no row): what the
 * row would have said; never a user's token, an ID token, a tampered one or
 * another key's. */
START_TEST(access_token_parsed_without_a_row)
{
    oidp_issue_t is = user_issue(), cc;
    const char *jws = NULL, *user_jws = NULL, *id_jws = NULL, *err = NULL;
    oidp_token_t row, *t = NULL;
    oidp_keyset_t *other;
    oidp_mint_t m2;
    char *bad;

    memset(&cc, 0, sizeof(cc));
    cc.client = &client;
    cc.grant.scope = "api read";
    ck_assert_int_eq(oidp_mint_access(&jws, &row, p, &m, &cc, NOW, &err), APR_SUCCESS);
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m, jws), APR_SUCCESS);
    ck_assert_int_eq(t->rowless, 1);
    ck_assert_str_eq(t->kind, OIDP_TOKEN_ACCESS);
    ck_assert_str_eq(t->token_hash, row.token_hash);
    ck_assert_str_eq(t->issuer, ISS);
    ck_assert_str_eq(t->audience, row.audience);
    ck_assert_str_eq(t->grant.client_id, "app");
    ck_assert_ptr_null(t->grant.user_id);
    ck_assert_str_eq(t->grant.scope, "api read");
    ck_assert_str_eq(t->jti, row.jti);
    ck_assert_str_eq(t->grant.grant_id, row.jti);
    ck_assert_int_eq(t->issued_at, NOW);
    ck_assert_int_eq(t->expires_at, NOW + 600);
    ck_assert_int_eq(t->revoked, 0);

    /* no scope: "" as in the row */
    cc.grant.scope = NULL;
    ck_assert_int_eq(oidp_mint_access(&jws, &row, p, &m, &cc, NOW, &err), APR_SUCCESS);
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m, jws), APR_SUCCESS);
    ck_assert_str_eq(t->grant.scope, "");

    /* a user's token has a row: never taken from its claims, even when the
     * user's id is the client's */
    ck_assert_int_eq(oidp_mint_access(&user_jws, &row, p, &m, &is, NOW, &err), APR_SUCCESS);
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m, user_jws), APR_NOTFOUND);
    ck_assert_ptr_null(t);
    is.grant.user_id = "app";
    ck_assert_int_eq(oidp_mint_access(&user_jws, &row, p, &m, &is, NOW, &err), APR_SUCCESS);
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m, user_jws), APR_NOTFOUND);
    /* an ID token (typ JWT) */
    ck_assert_int_eq(oidp_mint_id_token(&id_jws, p, &m, &is, user_jws, NOW, &err), APR_SUCCESS);
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m, id_jws), APR_NOTFOUND);
    /* tampered: the last character of the signature changed */
    bad = apr_pstrdup(p, jws);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m, bad), APR_NOTFOUND);
    /* garbage */
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m, "garbage"), APR_NOTFOUND);
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."),
                     APR_NOTFOUND);
    /* signed by a key that is not ours */
    other = apr_pcalloc(p, sizeof(*other));
    other->keys = apr_array_make(p, 1, sizeof(oidp_key_t *));
    APR_ARRAY_PUSH(other->keys, oidp_key_t *) = load(ut_keygen("RSA", NULL, 2048));
    m2 = m;
    m2.keys = other;
    ck_assert_int_eq(oidp_mint_access_parse(&t, p, &m2, jws), APR_NOTFOUND);
}
END_TEST

START_TEST(refresh_token)
{
    oidp_issue_t is = user_issue();
    const char *value = NULL, *err = NULL;
    oidp_token_t row;

    ck_assert_int_eq(oidp_mint_refresh(&value, &row, p, &m, &is, NOW, &err), APR_SUCCESS);
    ck_assert_int_eq(strlen(value), 43); /* 256 bits, base64url */
    ck_assert_str_eq(row.token_hash, oidp_util_sha256_hex(p, value, strlen(value)));
    ck_assert_str_eq(row.kind, OIDP_TOKEN_REFRESH);
    ck_assert_ptr_null(row.audience);
    ck_assert_ptr_null(row.jti);
    ck_assert_str_eq(row.grant.scope, "openid profile offline_access");
    ck_assert_str_eq(row.grant.grant_id, "grant-1");
    ck_assert_int_eq(row.expires_at, NOW + 86400);
}
END_TEST

/* A rotated refresh token keeps the grant's scope when the access token is
 * narrowed (RFC 6749 6), and never outlives the grant's absolute cap
 * (RFC 9700 4.14), measured from the user's authentication. */
START_TEST(refresh_token_scope_and_cap)
{
    oidp_issue_t is = user_issue();
    const char *value = NULL, *err = NULL;
    oidp_token_t row;

    is.grant.scope = "openid";
    is.refresh_scope = "openid profile offline_access";
    m.refresh_max_ttl = 60;
    ck_assert_int_eq(oidp_mint_refresh(&value, &row, p, &m, &is, NOW, &err), APR_SUCCESS);
    ck_assert_str_eq(row.grant.scope, "openid profile offline_access");
    ck_assert_int_eq(row.expires_at, NOW + 30); /* auth_time (NOW - 30) + the cap */
    m.refresh_max_ttl = 0;                      /* no cap: the sliding lifetime alone */
    ck_assert_int_eq(oidp_mint_refresh_expiry(&m, &is.grant, NOW), NOW + 86400);
    m.refresh_max_ttl = 10 * 86400; /* a cap further than the sliding lifetime */
    ck_assert_int_eq(oidp_mint_refresh_expiry(&m, &is.grant, NOW), NOW + 86400);
}
END_TEST

START_TEST(id_token_key_and_claims)
{
    oidp_issue_t is = user_issue();
    const char *at = NULL, *idt = NULL, *err = NULL;
    oidp_token_t row;
    json_t *j;

    ck_assert_str_eq(oidp_mint_id_token_key(ks, &client)->alg_name, "RS256");
    client.id_token_alg = "ES256";
    ck_assert_str_eq(oidp_mint_id_token_key(ks, &client)->alg_name, "ES256");
    client.id_token_alg = "EdDSA"; /* no such key: RS256 */
    ck_assert_str_eq(oidp_mint_id_token_key(ks, &client)->alg_name, "RS256");
    client.id_token_alg = "ES256";

    is.nonce = "n-0S6_WzA2Mj";
    ck_assert_int_eq(oidp_mint_access(&at, &row, p, &m, &is, NOW, &err), APR_SUCCESS);
    ck_assert_int_eq(oidp_mint_id_token(&idt, p, &m, &is, at, NOW, &err), APR_SUCCESS);
    j = verified(idt, "JWT", "ES256");
    ck_assert_str_eq(str(j, "iss"), ISS);
    ck_assert_str_eq(str(j, "sub"), "u-alice");
    ck_assert_str_eq(str(j, "aud"), "app");
    ck_assert_str_eq(str(j, "nonce"), "n-0S6_WzA2Mj");
    ck_assert_str_eq(str(j, "sid"), "sid-1");
    ck_assert_str_eq(str(j, "at_hash"), oidp_jose_half_hash(p, OIDP_ALG_ES256, at));
    ck_assert_int_eq(num(j, "auth_time"), NOW - 30);
    ck_assert_int_eq(num(j, "exp"), NOW + 300);
    /* an access token is issued: profile claims go to userinfo, not here */
    ck_assert_ptr_null(json_object_get(j, "name"));
}
END_TEST

static Suite *mint_suite(void)
{
    Suite *s = suite_create("mint");
    TCase *tc = tcase_create("mint");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, access_token_for_a_user);
    tcase_add_test(tc, access_token_for_a_client);
    tcase_add_test(tc, access_token_parsed_without_a_row);
    tcase_add_test(tc, refresh_token);
    tcase_add_test(tc, refresh_token_scope_and_cap);
    tcase_add_test(tc, id_token_key_and_claims);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ut_main(mint_suite());
}
