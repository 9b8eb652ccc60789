/*
 * src/client_auth.c: the secret check, and client authentication (RFC 6749
 * 2.3.1) on a fake request against clients stored in SQLite: one method per
 * request; a client with a secret sends it with Basic or in the body unless
 * it is pinned to its registered method; unknown client and wrong secret
 * answered alike.
 */
#include <string.h>

#include <apr_base64.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "oidp_client_auth.h"
#include "oidp_form.h"
#include "oidp_util.h"
#include "unit_httpd.h"

static apr_pool_t *p;
static oidp_db_t *db;

static oidp_client_t *client(const char *id, const char *method, const char *secret)
{
    oidp_client_t *c = apr_pcalloc(p, sizeof(*c));

    c->client_id = id;
    c->secret_hash = secret ? oidp_util_sha256_hex(p, secret, strlen(secret)) : NULL;
    c->auth_method = method;
    c->grant_types = "client_credentials";
    c->scopes = "read";
    return c;
}

static void setup(void)
{
    const char *err = NULL;
    oidp_client_t *pinned;

    apr_pool_create(&p, ut_pool());
    db = ut_sqlite(p);
    ck_assert_int_eq(oidp_store_client_put(p, db, client("basic-app", OIDP_AUTH_BASIC, "s3cr:t%+"),
                                           1, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(oidp_store_client_put(p, db, client("post-app", OIDP_AUTH_POST, "p0st"), 1,
                                           &err),
                     APR_SUCCESS);
    ck_assert_int_eq(oidp_store_client_put(p, db, client("spa", OIDP_AUTH_NONE, NULL), 1, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(oidp_store_client_put(p, db, client("my:app", OIDP_AUTH_BASIC, "x"), 1, &err),
                     APR_SUCCESS);
    pinned = client("pinned-post", OIDP_AUTH_POST, "p1n");
    pinned->auth_method_pinned = 1;
    ck_assert_int_eq(oidp_store_client_put(p, db, pinned, 1, &err), APR_SUCCESS);
    pinned = client("pinned-basic", OIDP_AUTH_BASIC, "p1n");
    pinned->auth_method_pinned = 1;
    ck_assert_int_eq(oidp_store_client_put(p, db, pinned, 1, &err), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(p);
}

/* Authenticates a request with an optional Authorization header and form
 * body; returns the error and sets *c and *desc. */
static oidp_err_t auth(const char *authorization, const char *body, int allow_public,
                       const oidp_client_t **c, const char **desc)
{
    request_rec *r = ut_request(p, ut_server(p, NULL));
    apr_hash_t *params = apr_hash_make(p);
    const char *err = NULL;

    if (authorization) {
        apr_table_setn(r->headers_in, "Authorization", authorization);
    }
    ck_assert_int_eq(oidp_form_parse(params, p, body, strlen(body), NULL, &err), APR_SUCCESS);
    *desc = NULL;
    return oidp_client_auth(c, r, db, params, allow_public, desc);
}

/* "Basic " + base64(urlencode(id) ":" urlencode(secret)), RFC 6749 2.3.1 */
static const char *basic(const char *id, const char *secret)
{
    const char *creds = apr_pstrcat(p, oidp_form_urlencode(p, id), ":",
                                    oidp_form_urlencode(p, secret), NULL);
    char *b = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)strlen(creds)));

    apr_base64_encode(b, creds, (int)strlen(creds));
    return apr_pstrcat(p, "Basic ", b, NULL);
}

START_TEST(secret_ok)
{
    oidp_client_t *c = client("a", OIDP_AUTH_BASIC, "right");

    ck_assert(oidp_client_auth_secret_ok(p, c, "right"));
    ck_assert(!oidp_client_auth_secret_ok(p, c, "wrong"));
    ck_assert(!oidp_client_auth_secret_ok(p, c, "righ"));
    ck_assert(!oidp_client_auth_secret_ok(p, c, ""));
    ck_assert(!oidp_client_auth_secret_ok(p, c, NULL));
    ck_assert(!oidp_client_auth_secret_ok(p, NULL, "right"));
    /* a public client has no secret to match, not even an empty one */
    ck_assert(!oidp_client_auth_secret_ok(p, client("b", OIDP_AUTH_NONE, NULL), ""));
    ck_assert(!oidp_client_auth_secret_ok(p, client("b", OIDP_AUTH_NONE, NULL), NULL));
}
END_TEST

START_TEST(basic_and_post)
{
    const oidp_client_t *c;
    const char *desc;

    ck_assert_int_eq(auth(basic("basic-app", "s3cr:t%+"), "grant_type=client_credentials", 0, &c,
                          &desc),
                     OIDP_OK);
    ck_assert_str_eq(c->client_id, "basic-app");
    /* client_id may be repeated in the body when it is the same */
    ck_assert_int_eq(auth(basic("basic-app", "s3cr:t%+"), "client_id=basic-app", 0, &c, &desc),
                     OIDP_OK);
    /* an id with reserved characters, form-encoded in the header */
    ck_assert_int_eq(auth(basic("my:app", "x"), "", 0, &c, &desc), OIDP_OK);
    ck_assert_str_eq(c->client_id, "my:app");

    ck_assert_int_eq(auth(NULL, "client_id=post-app&client_secret=p0st", 0, &c, &desc), OIDP_OK);
    ck_assert_str_eq(c->client_id, "post-app");
}
END_TEST

START_TEST(failures_look_alike)
{
    const oidp_client_t *c = (const oidp_client_t *)1;
    const char *wrong, *unknown;

    ck_assert_int_eq(auth(basic("basic-app", "nope"), "", 0, &c, &wrong), OIDP_ERR_INVALID_CLIENT);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(auth(basic("ghost", "nope"), "", 0, &c, &unknown), OIDP_ERR_INVALID_CLIENT);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(wrong, unknown); /* no client enumeration */
    ck_assert_int_eq(auth(NULL, "client_id=post-app&client_secret=nope", 0, &c, &wrong),
                     OIDP_ERR_INVALID_CLIENT);
    ck_assert_int_eq(auth(NULL, "client_id=ghost&client_secret=nope", 0, &c, &unknown),
                     OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(wrong, unknown);
    /* the secret of another client does not open this one */
    ck_assert_int_eq(auth(basic("basic-app", "p0st"), "", 0, &c, &wrong), OIDP_ERR_INVALID_CLIENT);
    /* the id is compared exactly */
    ck_assert_int_eq(auth(basic("Basic-App", "s3cr:t%+"), "", 0, &c, &wrong),
                     OIDP_ERR_INVALID_CLIENT);
}
END_TEST

START_TEST(method_rule)
{
    oidp_client_t *b = client("b", OIDP_AUTH_BASIC, "x"), *q = client("q", OIDP_AUTH_POST, "x");
    oidp_client_t *n = client("n", OIDP_AUTH_NONE, NULL);

    ck_assert(oidp_client_auth_method_ok(b, OIDP_AUTH_BASIC));
    ck_assert(oidp_client_auth_method_ok(b, OIDP_AUTH_POST));
    ck_assert(oidp_client_auth_method_ok(q, OIDP_AUTH_BASIC));
    ck_assert(!oidp_client_auth_method_ok(b, OIDP_AUTH_NONE));
    ck_assert(oidp_client_auth_method_ok(n, OIDP_AUTH_NONE));
    ck_assert(!oidp_client_auth_method_ok(n, OIDP_AUTH_BASIC));
    b->auth_method_pinned = q->auth_method_pinned = 1;
    ck_assert(oidp_client_auth_method_ok(b, OIDP_AUTH_BASIC));
    ck_assert(!oidp_client_auth_method_ok(b, OIDP_AUTH_POST));
    ck_assert(!oidp_client_auth_method_ok(q, OIDP_AUTH_BASIC));
    /* a method of another kind is only ever the registered one */
    b->auth_method_pinned = 0;
    b->auth_method = "private_key_jwt";
    ck_assert(!oidp_client_auth_method_ok(b, OIDP_AUTH_BASIC));
    ck_assert(oidp_client_auth_method_ok(b, "private_key_jwt"));
}
END_TEST

START_TEST(one_method_per_request)
{
    const oidp_client_t *c;
    const char *desc;

    /* no credentials at all */
    ck_assert_int_eq(auth(NULL, "grant_type=client_credentials", 0, &c, &desc),
                     OIDP_ERR_INVALID_CLIENT);
    ck_assert_ptr_nonnull(desc);
    /* two methods in one request (RFC 6749 2.3) */
    ck_assert_int_eq(auth(basic("basic-app", "s3cr:t%+"), "client_secret=s3cr%3At%25%2B", 0, &c,
                          &desc),
                     OIDP_ERR_INVALID_REQUEST);
    /* Basic for one client, client_id of another */
    ck_assert_int_eq(auth(basic("basic-app", "s3cr:t%+"), "client_id=post-app", 0, &c, &desc),
                     OIDP_ERR_INVALID_REQUEST);
    /* a client with a secret, not pinned: the other secret method too */
    ck_assert_int_eq(auth(NULL, "client_id=basic-app&client_secret=s3cr%3At%25%2B", 0, &c, &desc),
                     OIDP_OK);
    ck_assert_str_eq(c->client_id, "basic-app");
    ck_assert_int_eq(auth(basic("post-app", "p0st"), "", 0, &c, &desc), OIDP_OK);
    ck_assert_str_eq(c->client_id, "post-app");
    /* pinned: right secret, other method */
    ck_assert_int_eq(auth(basic("pinned-post", "p1n"), "", 0, &c, &desc), OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(desc, "this client must authenticate with its registered method");
    ck_assert_int_eq(auth(NULL, "client_id=pinned-post&client_secret=p1n", 0, &c, &desc), OIDP_OK);
    ck_assert_int_eq(auth(NULL, "client_id=pinned-basic&client_secret=p1n", 0, &c, &desc),
                     OIDP_ERR_INVALID_CLIENT);
    ck_assert_int_eq(auth(basic("pinned-basic", "p1n"), "", 0, &c, &desc), OIDP_OK);
    /* pinned, wrong secret: the answer of every failure */
    ck_assert_int_eq(auth(basic("pinned-post", "nope"), "", 0, &c, &desc), OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(desc, "client authentication failed");
    /* a confidential client without its secret */
    ck_assert_int_eq(auth(NULL, "client_id=post-app", 1, &c, &desc), OIDP_ERR_INVALID_CLIENT);
    /* malformed Basic is an authentication failure, not a fallback to the body */
    ck_assert_int_eq(auth("Basic !!!!", "client_id=post-app&client_secret=p0st", 0, &c, &desc),
                     OIDP_ERR_INVALID_CLIENT);
    /* another scheme is not client authentication: the body is used */
    ck_assert_int_eq(auth("Bearer abc", "client_id=post-app&client_secret=p0st", 0, &c, &desc),
                     OIDP_OK);
}
END_TEST

START_TEST(public_clients)
{
    const oidp_client_t *c;
    const char *desc;

    ck_assert_int_eq(auth(NULL, "client_id=spa", 1, &c, &desc), OIDP_OK);
    ck_assert_str_eq(c->client_id, "spa");
    /* where the endpoint does not take public clients: the answer of an
     * unknown client (issue 8, 11: no client id enumeration) */
    ck_assert_int_eq(auth(NULL, "client_id=spa", 0, &c, &desc), OIDP_ERR_INVALID_CLIENT);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(desc, "client authentication failed");
    /* a public client presenting a secret: the same answer as any failure */
    ck_assert_int_eq(auth(NULL, "client_id=spa&client_secret=x", 1, &c, &desc),
                     OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(desc, "client authentication failed");
    ck_assert_int_eq(auth(basic("spa", "x"), "", 1, &c, &desc), OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(desc, "client authentication failed");
    /* ... as an unknown client with a secret */
    ck_assert_int_eq(auth(basic("ghost", "x"), "", 1, &c, &desc), OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(desc, "client authentication failed");
    ck_assert_int_eq(auth(NULL, "client_id=ghost&client_secret=x", 1, &c, &desc),
                     OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(desc, "client authentication failed");
    /* an unknown client_id alone */
    ck_assert_int_eq(auth(NULL, "client_id=ghost", 1, &c, &desc), OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(desc, "client authentication failed");
    ck_assert_int_eq(auth(NULL, "client_id=ghost", 0, &c, &desc), OIDP_ERR_INVALID_CLIENT);
    ck_assert_str_eq(desc, "client authentication failed");
}
END_TEST

START_TEST(store_down)
{
    const oidp_client_t *c;
    const char *desc;

    db->prepared = apr_hash_make(p); /* every statement fails */
    ck_assert_int_eq(auth(basic("basic-app", "s3cr:t%+"), "", 0, &c, &desc),
                     OIDP_ERR_TEMPORARILY_UNAVAILABLE);
    ck_assert_ptr_null(c);
}
END_TEST

static Suite *client_auth_suite(void)
{
    Suite *s = suite_create("client_auth");
    TCase *t = tcase_create("client_auth");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, secret_ok);
    tcase_add_test(t, basic_and_post);
    tcase_add_test(t, failures_look_alike);
    tcase_add_test(t, method_rule);
    tcase_add_test(t, one_method_per_request);
    tcase_add_test(t, public_clients);
    tcase_add_test(t, store_down);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ut_main(client_auth_suite());
}
