/*
 * src/store.c on a real SQLite file through apr_dbd: the schema of
 * oidp_schema_sql("sqlite3"), every statement of the table prepared, and
 * clients, users, tokens, codes, sessions and consents written and read
 * back the way httpd and the admin tool do.
 */
#include <string.h>

#include <apr_dbd.h>
#include <apr_strings.h>

#include "oidp_store.h"
#include "oidp_schema.h"
#include "unit.h"

static apr_pool_t *p;
static oidp_db_t db;
static const char *err;

static void setup(void)
{
    apr_pool_create(&p, ut_pool());
    db = *ut_sqlite(p);
    err = NULL;
}

static void teardown(void)
{
    apr_pool_destroy(p); /* closes the database */
}

static apr_array_header_t *strs(int n, ...)
{
    apr_array_header_t *a = apr_array_make(p, n, sizeof(const char *));
    va_list ap;
    int i;

    va_start(ap, n);
    for (i = 0; i < n; i++) {
        APR_ARRAY_PUSH(a, const char *) = va_arg(ap, const char *);
    }
    va_end(ap);
    return a;
}

static oidp_client_t *client(const char *id)
{
    oidp_client_t *c = apr_pcalloc(p, sizeof(*c));

    c->client_id = id;
    c->secret_hash = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";
    c->auth_method = "client_secret_basic";
    c->grant_types = "authorization_code refresh_token";
    c->scopes = "openid profile email";
    c->display_name = "App \"One\" <é>";
    c->dialect = "casdoor";
    c->first_party = 1;
    c->id_token_alg = "ES256";
    c->redirect_uris = strs(2, "https://rp.example/cb", "http://127.0.0.1:9000/cb?x=1&y=2");
    c->post_logout_uris = strs(1, "https://rp.example/bye");
    c->created_at = 1700000000;
    c->updated_at = 1700000001;
    return c;
}

static oidp_user_t *user(const char *id, const char *username)
{
    oidp_user_t *u = apr_pcalloc(p, sizeof(*u));

    u->id = id;
    u->username = username;
    u->password_hash = "$2y$05$abcdefghijklmnopqrstuuZ9Zp6t9xUjAx4G8oQzWj1q6bQ3m7bLe";
    u->name = "Alice Example";
    u->given_name = "Alice";
    u->family_name = "Example";
    u->email = "alice@example.com";
    u->email_verified = 1;
    u->phone_number = "+1 555 0100";
    u->phone_number_verified = 0;
    u->address_formatted = "1 Main St\nSpringfield";
    u->address_street = "1 Main St";
    u->address_locality = "Springfield";
    u->address_region = "XX";
    u->address_postal_code = "12345";
    u->address_country = "US";
    u->picture = "https://img.example/a.png";
    u->locale = "en-US";
    u->groups = "[\"admins\",\"dev\"]";
    u->disabled = 0;
    u->created_at = 1700000100;
    u->updated_at = 1700000200;
    return u;
}

static oidp_token_t *token(const char *hash, const char *client_id, const char *user_id,
                           const char *grant, apr_int64_t expires)
{
    oidp_token_t *t = apr_pcalloc(p, sizeof(*t));

    t->token_hash = hash;
    t->issuer = "https://idp.example";
    t->audience = client_id;
    t->kind = OIDP_TOKEN_ACCESS;
    t->grant.client_id = client_id;
    t->grant.user_id = user_id;
    t->grant.scope = "openid profile";
    t->jti = apr_pstrcat(p, "jti-", hash, NULL);
    t->grant.grant_id = grant;
    t->grant.sid = user_id ? "sid-1" : NULL;
    t->grant.claims = user_id ? "{\"userinfo\":{\"email\":null}}" : NULL;
    t->grant.auth_time = user_id ? 1700000300 : 0;
    t->issued_at = 1700000400;
    t->expires_at = expires;
    return t;
}

#define DB_OK(expr) ck_assert_msg((expr) == APR_SUCCESS, "%s: %s", #expr, err ? err : "")

static void assert_strs(const apr_array_header_t *a, int n, ...)
{
    va_list ap;
    int i;

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->nelts, n);
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        ck_assert_str_eq(APR_ARRAY_IDX(a, i, const char *), va_arg(ap, const char *));
    }
    va_end(ap);
}

/* ------------------------------------------------------------------ */

START_TEST(statement_table)
{
    int i, j;

    for (i = 0; i < OIDP_STMT__COUNT; i++) {
        const oidp_stmt_def_t *d = oidp_store_stmt_def((oidp_stmt_e)i);
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(d->id, i); /* indexed by the enum */
        ck_assert_ptr_nonnull(d->label);
        ck_assert_int_eq(strncmp(d->label, "oidp_", 5), 0);
        ck_assert_ptr_nonnull(d->sql);
        for (j = 0; j < i; j++) {
            ck_assert_str_ne(oidp_store_stmt_def((oidp_stmt_e)j)->label, d->label);
        }
    }
    ck_assert_ptr_null(oidp_store_stmt_def(OIDP_STMT__COUNT));
    ck_assert_ptr_null(oidp_store_stmt_def((oidp_stmt_e)-1));
    ck_assert_ptr_nonnull(oidp_schema_sql("pgsql"));
    ck_assert_ptr_null(oidp_schema_sql("mysql"));
    ck_assert_ptr_null(oidp_schema_sql("sqlite"));
}
END_TEST

START_TEST(client_round_trip)
{
    oidp_client_t *c = NULL;

    DB_OK(oidp_store_client_put(p, &db, client("app1"), 1, &err));
    DB_OK(oidp_store_client_get(&c, p, &db, "app1", &err));
    ck_assert_str_eq(c->client_id, "app1");
    ck_assert_str_eq(c->secret_hash, client("x")->secret_hash);
    ck_assert_str_eq(c->auth_method, "client_secret_basic");
    ck_assert_str_eq(c->grant_types, "authorization_code refresh_token");
    ck_assert_str_eq(c->scopes, "openid profile email");
    ck_assert_str_eq(c->display_name, "App \"One\" <é>");
    ck_assert_str_eq(c->dialect, "casdoor");
    ck_assert_int_eq(c->first_party, 1);
    ck_assert_str_eq(c->id_token_alg, "ES256");
    ck_assert(c->created_at == 1700000000);
    ck_assert(c->updated_at == 1700000001);
    /* sorted by the query */
    assert_strs(c->redirect_uris, 2, "http://127.0.0.1:9000/cb?x=1&y=2", "https://rp.example/cb");
    assert_strs(c->post_logout_uris, 1, "https://rp.example/bye");

    /* a public client: no secret, no URIs, defaults */
    c = client("public");
    c->secret_hash = NULL;
    c->auth_method = OIDP_AUTH_NONE;
    c->display_name = NULL;
    c->dialect = NULL;
    c->first_party = 0;
    c->id_token_alg = NULL;
    c->redirect_uris = NULL;
    c->post_logout_uris = NULL;
    DB_OK(oidp_store_client_put(p, &db, c, 1, &err));
    DB_OK(oidp_store_client_get(&c, p, &db, "public", &err));
    ck_assert_ptr_null(c->secret_hash);
    ck_assert_str_eq(c->auth_method, "none");
    ck_assert_ptr_null(c->display_name);
    ck_assert_str_eq(c->dialect, "standard");
    ck_assert_int_eq(c->first_party, 0);
    ck_assert_ptr_null(c->id_token_alg);
    assert_strs(c->redirect_uris, 0);
    assert_strs(c->post_logout_uris, 0);

    /* unknown, and case matters */
    ck_assert_int_eq(oidp_store_client_get(&c, p, &db, "APP1", &err), APR_NOTFOUND);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(oidp_store_client_get(&c, p, &db, "app1' OR '1'='1", &err), APR_NOTFOUND);
    /* the primary key holds */
    ck_assert_int_eq(oidp_store_client_put(p, &db, client("app1"), 1, &err), APR_EGENERAL);
    ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(client_list_update_delete)
{
    apr_array_header_t *all = NULL;
    oidp_client_t *c, *got = NULL;

    DB_OK(oidp_store_client_put(p, &db, client("b-app"), 1, &err));
    DB_OK(oidp_store_client_put(p, &db, client("a-app"), 1, &err));
    c = client("c-app");
    c->redirect_uris = NULL;
    c->post_logout_uris = NULL;
    DB_OK(oidp_store_client_put(p, &db, c, 1, &err));
    DB_OK(oidp_store_client_list(&all, p, &db, &err));
    ck_assert_int_eq(all->nelts, 3); /* one element per client, not per URI row */
    ck_assert_str_eq(APR_ARRAY_IDX(all, 0, oidp_client_t *)->client_id, "a-app");
    ck_assert_str_eq(APR_ARRAY_IDX(all, 1, oidp_client_t *)->client_id, "b-app");
    ck_assert_str_eq(APR_ARRAY_IDX(all, 2, oidp_client_t *)->client_id, "c-app");
    ck_assert_int_eq(APR_ARRAY_IDX(all, 0, oidp_client_t *)->redirect_uris->nelts, 2);
    ck_assert_int_eq(APR_ARRAY_IDX(all, 2, oidp_client_t *)->redirect_uris->nelts, 0);

    /* update replaces the fields and the URI lists */
    c = client("a-app");
    c->scopes = "openid";
    c->first_party = 0;
    c->display_name = NULL;
    c->redirect_uris = strs(1, "https://new.example/cb");
    c->post_logout_uris = NULL;
    c->updated_at = 1800000000;
    DB_OK(oidp_store_client_put(p, &db, c, 0, &err));
    DB_OK(oidp_store_client_get(&got, p, &db, "a-app", &err));
    ck_assert_str_eq(got->scopes, "openid");
    ck_assert_int_eq(got->first_party, 0);
    ck_assert_ptr_null(got->display_name);
    ck_assert(got->updated_at == 1800000000);
    assert_strs(got->redirect_uris, 1, "https://new.example/cb");
    assert_strs(got->post_logout_uris, 0);
    /* the other clients' URIs are untouched */
    DB_OK(oidp_store_client_get(&got, p, &db, "b-app", &err));
    ck_assert_int_eq(got->redirect_uris->nelts, 2);
    /* updating a missing client */
    ck_assert_int_eq(oidp_store_client_put(p, &db, client("zzz"), 0, &err), APR_NOTFOUND);

    /* delete */
    DB_OK(oidp_store_client_delete(p, &db, "a-app", &err));
    ck_assert_int_eq(oidp_store_client_get(&got, p, &db, "a-app", &err), APR_NOTFOUND);
    ck_assert_int_eq(oidp_store_client_delete(p, &db, "a-app", &err), APR_NOTFOUND);
    DB_OK(oidp_store_client_list(&all, p, &db, &err));
    ck_assert_int_eq(all->nelts, 2);
    /* its URIs went with it: a new client of the same id starts clean */
    c = client("a-app");
    c->redirect_uris = NULL;
    c->post_logout_uris = NULL;
    DB_OK(oidp_store_client_put(p, &db, c, 1, &err));
    DB_OK(oidp_store_client_get(&got, p, &db, "a-app", &err));
    assert_strs(got->redirect_uris, 0);
}
END_TEST

static void assert_user_eq(const oidp_user_t *a, const oidp_user_t *b)
{
    ck_assert_str_eq(a->id, b->id);
    ck_assert_str_eq(a->username, b->username);
    ck_assert_str_eq(a->password_hash, b->password_hash);
    ck_assert_str_eq(a->name, b->name);
    ck_assert_str_eq(a->given_name, b->given_name);
    ck_assert_str_eq(a->family_name, b->family_name);
    ck_assert_str_eq(a->email, b->email);
    ck_assert_int_eq(a->email_verified, b->email_verified);
    ck_assert_str_eq(a->phone_number, b->phone_number);
    ck_assert_int_eq(a->phone_number_verified, b->phone_number_verified);
    ck_assert_str_eq(a->address_formatted, b->address_formatted);
    ck_assert_str_eq(a->address_street, b->address_street);
    ck_assert_str_eq(a->address_locality, b->address_locality);
    ck_assert_str_eq(a->address_region, b->address_region);
    ck_assert_str_eq(a->address_postal_code, b->address_postal_code);
    ck_assert_str_eq(a->address_country, b->address_country);
    ck_assert_str_eq(a->picture, b->picture);
    ck_assert_str_eq(a->locale, b->locale);
    ck_assert_str_eq(a->groups, b->groups);
    ck_assert_int_eq(a->disabled, b->disabled);
    ck_assert(a->created_at == b->created_at);
    ck_assert(a->updated_at == b->updated_at);
}

START_TEST(user_round_trip)
{
    oidp_user_t *alice = user("11111111-1111-4111-8111-111111111111", "alice"), *u = NULL;
    oidp_user_t *bob = apr_pcalloc(p, sizeof(*bob));
    apr_array_header_t *all;

    DB_OK(oidp_store_user_put(p, &db, alice, 1, &err));
    DB_OK(oidp_store_user_get(&u, p, &db, "alice", NULL, &err));
    assert_user_eq(u, alice);
    u = NULL;
    DB_OK(oidp_store_user_get(&u, p, &db, NULL, alice->id, &err));
    assert_user_eq(u, alice);

    /* only the required columns */
    bob->id = "22222222-2222-4222-8222-222222222222";
    bob->username = "bob";
    bob->disabled = 1;
    DB_OK(oidp_store_user_put(p, &db, bob, 1, &err));
    DB_OK(oidp_store_user_get(&u, p, &db, "bob", NULL, &err));
    ck_assert_ptr_null(u->password_hash);
    ck_assert_ptr_null(u->email);
    ck_assert_ptr_null(u->groups);
    ck_assert_int_eq(u->email_verified, 0);
    ck_assert_int_eq(u->disabled, 1);

    ck_assert_int_eq(oidp_store_user_get(&u, p, &db, "Alice", NULL, &err), APR_NOTFOUND);
    ck_assert_ptr_null(u);
    ck_assert_int_eq(oidp_store_user_get(&u, p, &db, NULL, "nope", &err), APR_NOTFOUND);
    /* usernames are unique */
    ck_assert_int_eq(
        oidp_store_user_put(p, &db, user("33333333-3333-4333-8333-333333333333", "alice"), 1, &err),
        APR_EGENERAL);
    /* ... per source: an authn provider's alice is another user */
    {
        oidp_user_t *ldap = user("44444444-4444-4444-8444-444444444444", "alice");
        ldap->source = "ldap";
        DB_OK(oidp_store_user_put(p, &db, ldap, 1, &err));
        ck_assert_int_eq(oidp_store_user_put(p, &db,
                                             user("55555555-5555-4555-8555-555555555555", "alice"),
                                             1, &err),
                         APR_EGENERAL);
        DB_OK(oidp_store_user_get(&u, p, &db, "alice", NULL, &err));
        ck_assert_str_eq(u->source, "");
        DB_OK(oidp_store_user_find(&u, p, &db, "ldap", "alice", &err));
        ck_assert_str_eq(u->id, ldap->id);
        ck_assert_str_eq(u->source, "ldap");
        DB_OK(oidp_store_user_find(&u, p, &db, NULL, "alice", &err));
        ck_assert_str_ne(u->id, ldap->id);
        ck_assert_int_eq(oidp_store_user_find(&u, p, &db, "file", "alice", &err), APR_NOTFOUND);
        DB_OK(oidp_store_user_delete(p, &db, ldap->id, &err));
    }

    DB_OK(oidp_store_user_list(&all, p, &db, &err));
    ck_assert_int_eq(all->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(all, 0, oidp_user_t *)->username, "alice");
    ck_assert_str_eq(APR_ARRAY_IDX(all, 1, oidp_user_t *)->username, "bob");
}
END_TEST

START_TEST(user_update_delete)
{
    oidp_user_t *alice = user("11111111-1111-4111-8111-111111111111", "alice"), *u = NULL;
    apr_array_header_t *all;

    DB_OK(oidp_store_user_put(p, &db, alice, 1, &err));
    alice->username = "alice2";
    alice->email = "new@example.com";
    alice->email_verified = 0;
    alice->disabled = 1;
    alice->groups = NULL;
    DB_OK(oidp_store_user_put(p, &db, alice, 0, &err));
    DB_OK(oidp_store_user_get(&u, p, &db, NULL, alice->id, &err));
    ck_assert_str_eq(u->username, "alice2");
    ck_assert_str_eq(u->email, "new@example.com");
    ck_assert_int_eq(u->email_verified, 0);
    ck_assert_int_eq(u->disabled, 1);
    ck_assert_ptr_null(u->groups);
    ck_assert_int_eq(oidp_store_user_get(&u, p, &db, "alice", NULL, &err), APR_NOTFOUND);
    ck_assert_int_eq(oidp_store_user_put(p, &db, user("nope", "nope"), 0, &err), APR_NOTFOUND);

    DB_OK(oidp_store_user_delete(p, &db, alice->id, &err));
    ck_assert_int_eq(oidp_store_user_get(&u, p, &db, NULL, alice->id, &err), APR_NOTFOUND);
    ck_assert_int_eq(oidp_store_user_delete(p, &db, alice->id, &err), APR_NOTFOUND);
    DB_OK(oidp_store_user_list(&all, p, &db, &err));
    ck_assert_int_eq(all->nelts, 0);
}
END_TEST

START_TEST(token_insert_get)
{
    oidp_user_t *alice = user("11111111-1111-4111-8111-111111111111", "alice");
    oidp_token_t *t = NULL;

    DB_OK(oidp_store_client_put(p, &db, client("app1"), 1, &err));
    DB_OK(oidp_store_user_put(p, &db, alice, 1, &err));
    t = token("h-user", "app1", alice->id, "g1", 1700003600);
    t->grant.amr = "pwd hwk";
    t->grant.acr = "urn:example:cert";
    DB_OK(oidp_store_token_insert(p, &db, t, &err));
    DB_OK(oidp_store_token_insert(p, &db, token("h-cc", "app1", NULL, NULL, 1700003600), &err));

    DB_OK(oidp_store_token_get(&t, p, &db, "h-user", &err));
    ck_assert_str_eq(t->grant.amr, "pwd hwk");
    ck_assert_str_eq(t->grant.acr, "urn:example:cert");
    ck_assert_str_eq(t->token_hash, "h-user");
    ck_assert_str_eq(t->issuer, "https://idp.example");
    ck_assert_str_eq(t->audience, "app1");
    ck_assert_str_eq(t->kind, "access");
    ck_assert_str_eq(t->grant.client_id, "app1");
    ck_assert_str_eq(t->grant.user_id, alice->id);
    ck_assert_str_eq(t->grant.scope, "openid profile");
    ck_assert_str_eq(t->jti, "jti-h-user");
    ck_assert_str_eq(t->grant.grant_id, "g1");
    ck_assert_str_eq(t->grant.sid, "sid-1");
    ck_assert_str_eq(t->grant.claims, "{\"userinfo\":{\"email\":null}}");
    ck_assert(t->grant.auth_time == 1700000300);
    ck_assert(t->issued_at == 1700000400);
    ck_assert(t->expires_at == 1700003600);
    ck_assert_int_eq(t->revoked, 0);
    ck_assert_str_eq(t->client_dialect, "casdoor");
    ck_assert_ptr_nonnull(t->user);
    assert_user_eq(t->user, alice);

    /* client_credentials: no user */
    DB_OK(oidp_store_token_get(&t, p, &db, "h-cc", &err));
    ck_assert_ptr_null(t->grant.user_id);
    ck_assert_ptr_null(t->user);
    ck_assert_ptr_null(t->grant.grant_id);
    ck_assert(t->grant.auth_time == 0);

    ck_assert_int_eq(oidp_store_token_get(&t, p, &db, "nope", &err), APR_NOTFOUND);
    ck_assert_ptr_null(t);
    /* hashes are unique */
    ck_assert_int_eq(oidp_store_token_insert(p, &db, token("h-cc", "app1", NULL, NULL, 1), &err),
                     APR_EGENERAL);
}
END_TEST

START_TEST(token_hidden_with_client_or_user_gone)
{
    oidp_user_t *alice = user("11111111-1111-4111-8111-111111111111", "alice");
    oidp_token_t *t = NULL;

    DB_OK(oidp_store_client_put(p, &db, client("app1"), 1, &err));
    DB_OK(oidp_store_user_put(p, &db, alice, 1, &err));
    /* a token row whose client does not exist (deleted behind its back):
     * the join hides it */
    DB_OK(
        oidp_store_token_insert(p, &db, token("h-orphan", "ghost", NULL, NULL, 1700003600), &err));
    ck_assert_int_eq(oidp_store_token_get(&t, p, &db, "h-orphan", &err), APR_NOTFOUND);

    /* deleting a client takes its tokens */
    DB_OK(oidp_store_token_insert(p, &db, token("h-app1", "app1", NULL, NULL, 1700003600), &err));
    DB_OK(oidp_store_token_get(&t, p, &db, "h-app1", &err));
    DB_OK(oidp_store_client_delete(p, &db, "app1", &err));
    ck_assert_int_eq(oidp_store_token_get(&t, p, &db, "h-app1", &err), APR_NOTFOUND);

    /* deleting a user takes theirs */
    DB_OK(oidp_store_client_put(p, &db, client("app2"), 1, &err));
    DB_OK(oidp_store_token_insert(p, &db, token("h-alice", "app2", alice->id, "g", 1700003600),
                                  &err));
    DB_OK(oidp_store_token_get(&t, p, &db, "h-alice", &err));
    DB_OK(oidp_store_user_delete(p, &db, alice->id, &err));
    ck_assert_int_eq(oidp_store_token_get(&t, p, &db, "h-alice", &err), APR_NOTFOUND);
}
END_TEST

START_TEST(token_revoke_purge)
{
    oidp_token_t *t = NULL, *r;
    int n = -1;

    DB_OK(oidp_store_client_put(p, &db, client("app1"), 1, &err));
    DB_OK(oidp_store_token_insert(p, &db, token("a1", "app1", NULL, "g1", 1000), &err));
    DB_OK(oidp_store_token_insert(p, &db, token("a2", "app1", NULL, "g1", 3000), &err));
    DB_OK(oidp_store_token_insert(p, &db, token("b1", "app1", NULL, "g2", 3000), &err));

    DB_OK(oidp_store_token_revoke(p, &db, "b1", &err));
    DB_OK(oidp_store_token_get(&t, p, &db, "b1", &err));
    ck_assert_int_ne(t->revoked, 0);
    DB_OK(oidp_store_token_get(&t, p, &db, "a1", &err));
    ck_assert_int_eq(t->revoked, 0);
    DB_OK(oidp_store_token_revoke(p, &db, "nope", &err)); /* nothing to do is fine */

    DB_OK(oidp_store_token_revoke_grant(p, &db, "g1", &err));
    DB_OK(oidp_store_token_get(&t, p, &db, "a1", &err));
    ck_assert_int_ne(t->revoked, 0);
    DB_OK(oidp_store_token_get(&t, p, &db, "a2", &err));
    ck_assert_int_ne(t->revoked, 0);

    /* purge removes what expired before the time given, and counts it */
    DB_OK(oidp_store_purge(&n, p, &db, 2000, &err));
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(oidp_store_token_get(&t, p, &db, "a1", &err), APR_NOTFOUND);
    DB_OK(oidp_store_token_get(&t, p, &db, "a2", &err));
    DB_OK(oidp_store_purge(&n, p, &db, 3000, &err)); /* strictly before */
    ck_assert_int_eq(n, 0);
    DB_OK(oidp_store_purge(&n, p, &db, 3001, &err));
    ck_assert_int_eq(n, 2);

    /* refresh token redemption: once, then a counted replay */
    t = token("r1", "app1", NULL, "g3", 5000);
    t->kind = OIDP_TOKEN_REFRESH;
    DB_OK(oidp_store_token_insert(p, &db, t, &err));
    DB_OK(oidp_store_token_redeem(&r, p, &db, "r1", "app1", "https://idp.example", &err));
    ck_assert_int_eq(r->revoked, 1);
    ck_assert_str_eq(r->grant.grant_id, "g3");
    ck_assert_str_eq(r->issuer, "https://idp.example");
    DB_OK(oidp_store_token_redeem(&r, p, &db, "r1", "app1", "https://idp.example", &err));
    ck_assert_int_eq(r->revoked, 2);
    /* another client's or another issuer's, or an access token, is not redeemable */
    ck_assert_int_eq(oidp_store_token_redeem(&r, p, &db, "r1", "app2", "https://idp.example", &err),
                     APR_NOTFOUND);
    ck_assert_int_eq(oidp_store_token_redeem(&r, p, &db, "r1", "app1", "https://other.example",
                                             &err),
                     APR_NOTFOUND);
    DB_OK(oidp_store_token_insert(p, &db, token("a9", "app1", NULL, "g3", 5000), &err));
    ck_assert_int_eq(oidp_store_token_redeem(&r, p, &db, "a9", "app1", "https://idp.example", &err),
                     APR_NOTFOUND);
}
END_TEST

/* A row-less client_credentials token: its client and its revocation (by
 * jti, or a row of the same hash from before) in one statement. */
START_TEST(token_state_without_a_row)
{
    oidp_token_t *t = token("h-cc", "app1", NULL, "jti-cc", 1700003600), *old;

    t->rowless = 1;
    DB_OK(oidp_store_client_put(p, &db, client("app1"), 1, &err));
    DB_OK(oidp_store_token_state(t, p, &db, &err));
    ck_assert_int_eq(t->revoked, 0);
    ck_assert_str_eq(t->client_dialect, "casdoor");
    DB_OK(oidp_store_grant_revoke(p, &db, "jti-cc", &err));
    DB_OK(oidp_store_grant_revoke(p, &db, "jti-cc", &err)); /* again: fine */
    DB_OK(oidp_store_token_state(t, p, &db, &err));
    ck_assert_int_ne(t->revoked, 0);

    /* a token stored with a row before, revoked through its row */
    old = token("h-old", "app1", NULL, "jti-old", 1700003600);
    DB_OK(oidp_store_token_insert(p, &db, old, &err));
    old->rowless = 1;
    DB_OK(oidp_store_token_state(old, p, &db, &err));
    ck_assert_int_eq(old->revoked, 0);
    DB_OK(oidp_store_token_revoke(p, &db, "h-old", &err));
    DB_OK(oidp_store_token_state(old, p, &db, &err));
    ck_assert_int_ne(old->revoked, 0);

    /* its client removed: not found */
    t = token("h-cc2", "app1", NULL, "jti-cc2", 1700003600);
    DB_OK(oidp_store_client_delete(p, &db, "app1", &err));
    ck_assert_int_eq(oidp_store_token_state(t, p, &db, &err), APR_NOTFOUND);
}
END_TEST

START_TEST(code_once)
{
    oidp_code_t c = {0}, *got = NULL;
    int n;

    c.code_hash = "ch1";
    c.issuer = "https://idp.example";
    c.grant.client_id = "app1";
    c.grant.user_id = "u1";
    c.redirect_uri = "https://rp.example/cb";
    c.grant.scope = "openid";
    c.nonce = "n-0S6_WzA2Mj";
    c.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    c.code_challenge_method = "S256";
    c.grant.auth_time = 1700000000;
    c.grant.sid = "s1";
    c.grant.grant_id = "g1";
    c.created_at = 1700000000;
    c.expires_at = 1700000060;
    DB_OK(oidp_store_code_insert(p, &db, &c, &err));
    /* another issuer (virtual host) does not know the code, and does not spend it */
    ck_assert_int_eq(oidp_store_code_redeem(&got, p, &db, "ch1", "app1", "https://other.example",
                                            &err),
                     APR_NOTFOUND);
    /* nor does another client: a stolen code presented by it is not used up (issue 8, 7) */
    ck_assert_int_eq(oidp_store_code_redeem(&got, p, &db, "ch1", "app2", "https://idp.example",
                                            &err),
                     APR_NOTFOUND);
    DB_OK(oidp_store_code_redeem(&got, p, &db, "ch1", "app1", "https://idp.example", &err));
    ck_assert_int_eq(got->used, 1);
    ck_assert_str_eq(got->issuer, "https://idp.example");
    ck_assert_str_eq(got->grant.client_id, "app1");
    ck_assert_str_eq(got->redirect_uri, "https://rp.example/cb");
    ck_assert_str_eq(got->nonce, "n-0S6_WzA2Mj");
    ck_assert_str_eq(got->code_challenge, c.code_challenge);
    ck_assert_str_eq(got->code_challenge_method, "S256");
    ck_assert_ptr_null(got->grant.claims);
    ck_assert(got->expires_at == 1700000060);
    DB_OK(oidp_store_code_redeem(&got, p, &db, "ch1", "app1", "https://idp.example", &err));
    ck_assert_int_eq(got->used, 2); /* a replay, for the grant to be revoked */
    ck_assert_int_eq(oidp_store_code_redeem(&got, p, &db, "nope", "app1", "https://idp.example",
                                            &err),
                     APR_NOTFOUND);
    DB_OK(oidp_store_purge(&n, p, &db, 1700000061, &err));
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(oidp_store_code_redeem(&got, p, &db, "ch1", "app1", "https://idp.example",
                                            &err),
                     APR_NOTFOUND);
}
END_TEST

START_TEST(session_and_consent)
{
    oidp_user_t *alice = user("11111111-1111-4111-8111-111111111111", "alice");
    oidp_session_t s = {0}, *got = NULL;
    const char *scope = "x";

    DB_OK(oidp_store_user_put(p, &db, alice, 1, &err));
    s.sid = "sid-1";
    s.issuer = "https://idp.example.com";
    s.user_id = alice->id;
    s.auth_time = 1700000000;
    s.created_at = 1700000000;
    s.expires_at = 1700086400;
    s.amr = "pwd";
    DB_OK(oidp_store_session_insert(p, &db, &s, &err));
    DB_OK(oidp_store_session_get(&got, p, &db, "sid-1", "https://idp.example.com", &err));
    ck_assert_str_eq(got->user_id, alice->id);
    ck_assert_str_eq(got->amr, "pwd");
    ck_assert_ptr_null(got->acr);
    /* a second factor recorded in the live session */
    s.auth_time = 1700000100;
    s.amr = "pwd otp mfa";
    s.acr = "mfa";
    DB_OK(oidp_store_session_reauth(p, &db, &s, &err));
    DB_OK(oidp_store_session_get(&got, p, &db, "sid-1", "https://idp.example.com", &err));
    ck_assert_str_eq(got->amr, "pwd otp mfa");
    ck_assert_str_eq(got->acr, "mfa");
    ck_assert_int_eq(got->auth_time, 1700000100);
    s.issuer = "https://other.example.com"; /* not this issuer's session */
    ck_assert_int_eq(oidp_store_session_reauth(p, &db, &s, &err), APR_NOTFOUND);
    s.issuer = "https://idp.example.com";
    ck_assert_int_eq(got->ended, 0);
    ck_assert_ptr_nonnull(got->user);
    ck_assert_str_eq(got->user->username, "alice");
    /* a login at one issuer is no login at another */
    ck_assert_int_eq(oidp_store_session_get(&got, p, &db, "sid-1", "https://other.example.com",
                                            &err),
                     APR_NOTFOUND);
    DB_OK(oidp_store_session_end(p, &db, "sid-1", &err));
    DB_OK(oidp_store_session_get(&got, p, &db, "sid-1", "https://idp.example.com", &err));
    ck_assert_int_eq(got->ended, 1);
    /* an ended session takes no new authentication */
    ck_assert_int_eq(oidp_store_session_reauth(p, &db, &s, &err), APR_NOTFOUND);
    ck_assert_int_eq(oidp_store_session_get(&got, p, &db, "nope", "https://idp.example.com", &err),
                     APR_NOTFOUND);

    DB_OK(oidp_store_consent_get(&scope, p, &db, alice->id, "app1", &err));
    ck_assert_ptr_null(scope);
    DB_OK(oidp_store_consent_put(p, &db, alice->id, "app1", "openid", &err));
    DB_OK(oidp_store_consent_put(p, &db, alice->id, "app1", "openid email", &err)); /* upsert */
    DB_OK(oidp_store_consent_get(&scope, p, &db, alice->id, "app1", &err));
    ck_assert_str_eq(scope, "openid email");
    DB_OK(oidp_store_consent_get(&scope, p, &db, alice->id, "app2", &err));
    ck_assert_ptr_null(scope);

    /* a session whose user is gone is no session */
    DB_OK(oidp_store_user_delete(p, &db, alice->id, &err));
    ck_assert_int_eq(oidp_store_session_get(&got, p, &db, "sid-1", "https://idp.example.com", &err),
                     APR_NOTFOUND);
}
END_TEST

START_TEST(transaction_rollback)
{
    void *txn = NULL;
    oidp_client_t *c = NULL;

    DB_OK(oidp_store_begin(p, &db, &txn, &err));
    DB_OK(oidp_store_client_put(p, &db, client("tx"), 1, &err));
    ck_assert_int_eq(oidp_store_end(p, &db, txn, 0), APR_SUCCESS);
    ck_assert_int_eq(oidp_store_client_get(&c, p, &db, "tx", &err), APR_NOTFOUND);
    DB_OK(oidp_store_begin(p, &db, &txn, &err));
    DB_OK(oidp_store_client_put(p, &db, client("tx"), 1, &err));
    ck_assert_int_eq(oidp_store_end(p, &db, txn, 1), APR_SUCCESS);
    DB_OK(oidp_store_client_get(&c, p, &db, "tx", &err));
}
END_TEST

START_TEST(unprepared_statement_is_an_error)
{
    oidp_client_t *c = NULL;

    db.prepared = apr_hash_make(p);
    ck_assert_int_eq(oidp_store_client_get(&c, p, &db, "app1", &err), APR_EGENERAL);
    ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(throttle_counters)
{
    oidp_throttle_count_t a, b;
    int n = -1;

    DB_OK(oidp_store_throttle_get(&a, &b, p, &db, "u:x", "a:y", &err));
    ck_assert_int_eq(a.failures + a.last_at + b.failures + b.last_at, 0);
    DB_OK(oidp_store_throttle_fail(&a, p, &db, "u:x", 1000, 0, &err));
    ck_assert_int_eq(a.failures, 1);
    ck_assert_int_eq(a.last_at, 1000);
    DB_OK(oidp_store_throttle_fail(&a, p, &db, "u:x", 1005, 0, &err));
    ck_assert_int_eq(a.failures, 2);
    ck_assert_int_eq(a.last_at, 1005);
    DB_OK(oidp_store_throttle_fail(&b, p, &db, "a:y", 1006, 0, &err));
    DB_OK(oidp_store_throttle_get(&a, &b, p, &db, "u:x", "a:y", &err));
    ck_assert_int_eq(a.failures, 2);
    ck_assert_int_eq(b.failures, 1);
    ck_assert_int_eq(b.last_at, 1006);
    /* the same key twice fills both */
    DB_OK(oidp_store_throttle_get(&a, &b, p, &db, "a:y", "a:y", &err));
    ck_assert_int_eq(a.failures, 1);
    ck_assert_int_eq(b.failures, 1);
    /* a failure after the counter was forgotten starts again at 1 */
    DB_OK(oidp_store_throttle_fail(&a, p, &db, "u:x", 5000, 4000, &err));
    ck_assert_int_eq(a.failures, 1);
    ck_assert_int_eq(a.last_at, 5000);
    DB_OK(oidp_store_throttle_clear(p, &db, "u:x", &err));
    DB_OK(oidp_store_throttle_get(&a, &b, p, &db, "u:x", "a:y", &err));
    ck_assert_int_eq(a.failures, 0);
    ck_assert_int_eq(b.failures, 1);
    /* purge forgets counters idle for a day */
    DB_OK(oidp_store_purge(&n, p, &db, 1006 + 86400, &err));
    ck_assert_int_eq(n, 0);
    DB_OK(oidp_store_purge(&n, p, &db, 1007 + 86400, &err));
    ck_assert_int_eq(n, 1);
}
END_TEST

/* The client and its two throttle counters in one statement: the same as
 * oidp_store_client_get and oidp_store_throttle_get. */
START_TEST(client_get_counted)
{
    oidp_throttle_count_t a, b;
    oidp_client_t *c = NULL, *plain = NULL;

    DB_OK(oidp_store_client_put(p, &db, client("app1"), 1, &err));
    DB_OK(oidp_store_client_get_counted(&c, &a, &b, p, &db, "app1", "c:x", "k:y", &err));
    ck_assert_int_eq(a.failures + a.last_at + b.failures + b.last_at, 0);
    DB_OK(oidp_store_client_get(&plain, p, &db, "app1", &err));
    ck_assert_str_eq(c->client_id, plain->client_id);
    ck_assert_str_eq(c->secret_hash, plain->secret_hash);
    ck_assert_str_eq(c->dialect, plain->dialect);
    ck_assert_int_eq(c->redirect_uris->nelts, 2); /* every URI row, one client */
    ck_assert_int_eq(c->post_logout_uris->nelts, 1);
    DB_OK(oidp_store_throttle_fail(&a, p, &db, "c:x", 1000, 0, &err));
    DB_OK(oidp_store_throttle_fail(&a, p, &db, "c:x", 1001, 0, &err));
    DB_OK(oidp_store_throttle_fail(&b, p, &db, "k:y", 1002, 0, &err));
    DB_OK(oidp_store_client_get_counted(&c, &a, &b, p, &db, "app1", "c:x", "k:y", &err));
    ck_assert_int_eq(a.failures, 2);
    ck_assert_int_eq(a.last_at, 1001);
    ck_assert_int_eq(b.failures, 1);
    ck_assert_int_eq(b.last_at, 1002);
    ck_assert_int_eq(oidp_store_client_get_counted(&c, &a, &b, p, &db, "nope", "c:x", "k:y", &err),
                     APR_NOTFOUND);
    ck_assert_ptr_null(c);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *t = tcase_create("sqlite");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, statement_table);
    tcase_add_test(t, client_round_trip);
    tcase_add_test(t, client_list_update_delete);
    tcase_add_test(t, user_round_trip);
    tcase_add_test(t, user_update_delete);
    tcase_add_test(t, token_insert_get);
    tcase_add_test(t, token_hidden_with_client_or_user_gone);
    tcase_add_test(t, token_revoke_purge);
    tcase_add_test(t, token_state_without_a_row);
    tcase_add_test(t, code_once);
    tcase_add_test(t, session_and_consent);
    tcase_add_test(t, throttle_counters);
    tcase_add_test(t, client_get_counted);
    tcase_add_test(t, transaction_rollback);
    tcase_add_test(t, unprepared_statement_is_an_error);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ut_main(store_suite());
}
