/*
 * oidc-idp-admin client ...: register, change, list, show, remove clients.
 */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_uri.h>
#include <jansson.h>

#include "admin.h"
#include "oidp_redirect.h"
#include "oidp_util.h"
#include "oidp_json.h"
#include "oidp_metadata.h"
#include "oidp_scope.h"

static int grants_ok(apr_pool_t *p, const char *list)
{
    char *copy = apr_pstrdup(p, list), *tok, *last = NULL;
    const char *const *g;
    const char *known = NULL;
    int ok = 1;

    for (g = oidp_metadata_grant_types; *g; g++) {
        known = known ? apr_pstrcat(p, known, ", ", *g, NULL) : *g;
    }
    for (tok = apr_strtok(copy, " ,", &last); tok; tok = apr_strtok(NULL, " ,", &last)) {
        int found = 0;
        for (g = oidp_metadata_grant_types; *g; g++) {
            found |= strcmp(*g, tok) == 0;
        }
        if (!found) {
            admin_fail(EX_USAGE, "unknown grant type '%s' (%s)", tok, known);
            ok = 0;
        }
    }
    return ok;
}

/* RFC 6749 3.1.2: absolute, no fragment, nothing that runs script; http
 * only for loopback (RFC 8252 7.3) unless --allow-http-redirect; private-use
 * schemes for native apps (src/core/redirect.c). */
static int uri_ok(apr_pool_t *p, const char *opt, const char *uri, int allow_http)
{
    const char *why = oidp_redirect_uri_check(p, uri, allow_http);
    const char *q;
    char *shown;

    if (!why) {
        return 1;
    }
    /* the URI as typed, with its control characters made visible */
    shown = apr_pstrdup(p, uri);
    for (q = uri; *q; q++) {
        if ((unsigned char)*q < 0x20 || (unsigned char)*q == 0x7f) {
            shown[q - uri] = '?';
        }
    }
    admin_fail(EX_USAGE, "%s: '%s' %s", opt, shown, why);
    return 0;
}

/* An operator's own secret (--secret-stdin) must not be the weak link:
 * at least 32 characters (128 bits as 32 hex digits; a
 * generated secret is 43 base64url characters, 256 bits) and at least 8
 * distinct ones (no "aaaa..." or short repeated pattern). */
#define MIN_SECRET_LEN 32
#define MIN_SECRET_DISTINCT 8

static int secret_strong(const char *secret)
{
    int seen[256] = {0}, distinct = 0;
    const unsigned char *q;

    for (q = (const unsigned char *)secret; *q; q++) {
        distinct += !seen[*q]++;
    }
    return strlen(secret) >= MIN_SECRET_LEN && distinct >= MIN_SECRET_DISTINCT;
}

static const char *new_secret(admin_t *a, oidp_client_t *c, int from_stdin)
{
    const char *secret = from_stdin ? admin_read_secret(a, "client secret", 1)
                                    : oidp_util_random_token(a->pool, 32);

    if (secret && from_stdin && !secret_strong(secret)) {
        admin_fail(EX_USAGE,
                   "--secret-stdin: the secret is too weak: at least %d characters, %d of them "
                   "distinct (e.g. openssl rand -base64 32); or let the tool generate one",
                   MIN_SECRET_LEN, MIN_SECRET_DISTINCT);
        return NULL;
    }
    if (secret) {
        c->secret_hash = oidp_util_sha256_hex(a->pool, secret, strlen(secret));
    }
    return secret;
}

static void client_print(admin_t *a, const oidp_client_t *c)
{
    int i;

    if (a->json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:b, s:s?, s:s?, s:o, s:o, s:I, "
                              "s:I}",
                              "client_id", c->client_id, "type",
                              strcmp(c->auth_method, "none") == 0 ? "public" : "confidential",
                              "auth_method", c->auth_method, "auth_method_pinned",
                              c->auth_method_pinned, "grant_types", c->grant_types, "scopes",
                              c->scopes, "dialect", c->dialect, "first_party", c->first_party,
                              "display_name", c->display_name, "id_token_alg", c->id_token_alg,
                              "redirect_uris", json_array(), "post_logout_uris", json_array(),
                              "created_at", (json_int_t)c->created_at, "updated_at",
                              (json_int_t)c->updated_at);
        for (i = 0; i < c->redirect_uris->nelts; i++) {
            json_array_append_new(json_object_get(j, "redirect_uris"),
                                  json_string(APR_ARRAY_IDX(c->redirect_uris, i, const char *)));
        }
        for (i = 0; i < c->post_logout_uris->nelts; i++) {
            json_array_append_new(json_object_get(j, "post_logout_uris"),
                                  json_string(APR_ARRAY_IDX(c->post_logout_uris, i, const char *)));
        }
        puts(oidp_json_dump(a->pool, oidp_json_bind(a->pool, j), NULL));
        return;
    }
    printf("client_id:      %s\n", c->client_id);
    printf("type:           %s\n", strcmp(c->auth_method, "none") == 0 ? "public" : "confidential");
    printf("auth_method:    %s%s\n", c->auth_method,
           strcmp(c->auth_method, "none") == 0 ? ""
           : c->auth_method_pinned             ? " (pinned: the only method accepted)"
                                               : " (client_secret_basic and client_secret_post "
                                                 "accepted)");
    printf("grant_types:    %s\n", c->grant_types);
    printf("scopes:         %s\n", c->scopes);
    printf("display_name:   %s\n", c->display_name ? c->display_name : "");
    printf("dialect:        %s\n", c->dialect);
    printf("first_party:    %s\n", c->first_party ? "yes" : "no");
    printf("id_token_alg:   %s\n", c->id_token_alg ? c->id_token_alg : "(first key)");
    for (i = 0; i < c->redirect_uris->nelts; i++) {
        printf("redirect_uri:   %s\n", APR_ARRAY_IDX(c->redirect_uris, i, const char *));
    }
    for (i = 0; i < c->post_logout_uris->nelts; i++) {
        printf("post_logout_uri: %s\n", APR_ARRAY_IDX(c->post_logout_uris, i, const char *));
    }
}

/* Applies the options argv[from..] to c. Returns EX_OK or an exit code. */
static int client_options(admin_t *a, oidp_client_t *c, int argc, const char *const *argv,
                          int update, int *secret_stdin, int *regen)
{
    apr_array_header_t *redirects = NULL, *post_logout = NULL;
    int i, allow_http = 0;

    for (i = 0; i < argc; i++) {
        allow_http |= strcmp(argv[i], "--allow-http-redirect") == 0;
    }
    for (i = 0; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        if (strcmp(o, "--public") == 0) {
            c->auth_method = "none";
        }
        else if (strcmp(o, "--first-party") == 0) {
            c->first_party = 1;
        }
        else if (strcmp(o, "--pin-auth-method") == 0) {
            c->auth_method_pinned = 1;
        }
        else if (strcmp(o, "--no-pin-auth-method") == 0) {
            c->auth_method_pinned = 0;
        }
        else if (strcmp(o, "--no-first-party") == 0) {
            c->first_party = 0;
        }
        else if (strcmp(o, "--allow-http-redirect") == 0) {
            continue; /* read above: it applies to every URI of the command */
        }
        else if (strcmp(o, "--secret-stdin") == 0) {
            *secret_stdin = 1;
        }
        else if (strcmp(o, "--new-secret") == 0 && update) {
            *regen = 1;
        }
        else if (strcmp(o, "--auth-method") == 0 || strcmp(o, "--grant-types") == 0
                 || strcmp(o, "--redirect-uri") == 0 || strcmp(o, "--post-logout-uri") == 0
                 || strcmp(o, "--name") == 0 || strcmp(o, "--scopes") == 0
                 || strcmp(o, "--dialect") == 0 || strcmp(o, "--id-token-alg") == 0) {
            v = admin_optarg(argc, argv, &i);
            if (!v) {
                return EX_USAGE;
            }
        }
        else {
            return admin_fail(EX_USAGE, "unknown client option %s", o);
        }
        if (!v) {
            continue;
        }
        if (strcmp(o, "--auth-method") == 0) {
            if (strcmp(v, "client_secret_basic") != 0 && strcmp(v, "client_secret_post") != 0
                && strcmp(v, "none") != 0) {
                return admin_fail(EX_USAGE, "--auth-method: client_secret_basic, "
                                            "client_secret_post or none");
            }
            c->auth_method = v;
        }
        else if (strcmp(o, "--grant-types") == 0) {
            if (!grants_ok(a->pool, v)) {
                return EX_USAGE;
            }
            c->grant_types = v;
        }
        else if (strcmp(o, "--redirect-uri") == 0 || strcmp(o, "--post-logout-uri") == 0) {
            apr_array_header_t **list = o[2] == 'r' ? &redirects : &post_logout;
            if (!uri_ok(a->pool, o, v, allow_http)) {
                return EX_USAGE;
            }
            if (!*list) {
                *list = apr_array_make(a->pool, 2, sizeof(const char *));
            }
            APR_ARRAY_PUSH(*list, const char *) = v;
        }
        else if (strcmp(o, "--name") == 0) {
            c->display_name = *v ? v : NULL;
        }
        else if (strcmp(o, "--scopes") == 0) {
            apr_array_header_t *s = oidp_scope_parse(a->pool, v);
            if (!s || s->nelts == 0) {
                return admin_fail(EX_USAGE, "--scopes: invalid scope list '%s'", v);
            }
            c->scopes = oidp_scope_join(a->pool, s);
        }
        else if (strcmp(o, "--dialect") == 0) {
            if (strcmp(v, "standard") != 0 && strcmp(v, "casdoor") != 0) {
                return admin_fail(EX_USAGE, "--dialect: standard or casdoor");
            }
            c->dialect = v;
        }
        else if (strcmp(o, "--id-token-alg") == 0) {
            if (strcmp(v, "RS256") != 0 && strcmp(v, "ES256") != 0 && strcmp(v, "EdDSA") != 0) {
                return admin_fail(EX_USAGE, "--id-token-alg: RS256, ES256 or EdDSA");
            }
            c->id_token_alg = v;
        }
    }
    if (strcmp(c->auth_method, "none") == 0
        && oidp_util_word_in(c->grant_types, "client_credentials")) {
        return admin_fail(EX_USAGE, "a public client cannot use client_credentials");
    }
    if (redirects) {
        c->redirect_uris = redirects;
    }
    if (post_logout) {
        c->post_logout_uris = post_logout;
    }
    return EX_OK;
}

static int client_write(admin_t *a, oidp_client_t *c, int insert)
{
    void *txn = NULL;
    const char *err = NULL;
    apr_status_t rv;
    int rc = admin_txn(a, &txn);

    if (rc != EX_OK) {
        return rc;
    }
    rv = oidp_store_client_put(a->pool, &a->db, c, insert, &err);
    admin_commit(a, txn, rv == APR_SUCCESS);
    if (rv == APR_NOTFOUND) {
        return admin_fail(EX_NOTFOUND, "no client '%s'", c->client_id);
    }
    if (rv != APR_SUCCESS) {
        return admin_db_error("client", err);
    }
    return EX_OK;
}

static int client_add(admin_t *a, const char *id, int argc, const char *const *argv)
{
    oidp_client_t *c = apr_pcalloc(a->pool, sizeof(*c)), *old = NULL;
    const char *err = NULL, *secret = NULL;
    int secret_stdin = 0, regen = 0, rc;

    c->client_id = id;
    c->auth_method = "client_secret_basic";
    c->grant_types = "authorization_code refresh_token";
    c->scopes = "openid profile email address phone offline_access";
    c->dialect = "standard";
    c->redirect_uris = apr_array_make(a->pool, 1, sizeof(const char *));
    c->post_logout_uris = apr_array_make(a->pool, 1, sizeof(const char *));
    c->created_at = c->updated_at = oidp_util_now();
    rc = client_options(a, c, argc, argv, 0, &secret_stdin, &regen);
    if (rc != EX_OK) {
        return rc;
    }
    if (oidp_store_client_get(&old, a->pool, &a->db, id, &err) == APR_SUCCESS) {
        return admin_fail(EX_EXISTS, "client '%s' already exists", id);
    }
    if (strcmp(c->auth_method, "none") != 0) {
        secret = new_secret(a, c, secret_stdin);
        if (!secret) {
            return EX_USAGE;
        }
    }
    rc = client_write(a, c, 1);
    if (rc != EX_OK) {
        return rc;
    }
    printf("client_id: %s\n", id);
    if (secret && !secret_stdin) {
        printf("client_secret: %s\n", secret);
        fprintf(stderr, "The secret is shown only now; only its hash is stored.\n");
    }
    return EX_OK;
}

static int client_update(admin_t *a, const char *id, int argc, const char *const *argv)
{
    oidp_client_t *c = NULL;
    const char *err = NULL, *secret = NULL;
    int secret_stdin = 0, regen = 0, rc;
    apr_status_t rv = oidp_store_client_get(&c, a->pool, &a->db, id, &err);

    if (rv == APR_NOTFOUND) {
        return admin_fail(EX_NOTFOUND, "no client '%s'", id);
    }
    if (rv != APR_SUCCESS) {
        return admin_db_error("client", err);
    }
    rc = client_options(a, c, argc, argv, 1, &secret_stdin, &regen);
    if (rc != EX_OK) {
        return rc;
    }
    if (strcmp(c->auth_method, "none") == 0) {
        c->secret_hash = NULL;
    }
    else if (regen || secret_stdin || !c->secret_hash) {
        secret = new_secret(a, c, secret_stdin);
        if (!secret) {
            return EX_USAGE;
        }
    }
    c->updated_at = oidp_util_now();
    rc = client_write(a, c, 0);
    if (rc == EX_OK && secret && !secret_stdin) {
        printf("client_secret: %s\n", secret);
        fprintf(stderr, "The secret is shown only now; only its hash is stored.\n");
    }
    return rc;
}

int admin_client(admin_t *a, int argc, const char *const *argv)
{
    const char *err = NULL;
    apr_status_t rv;

    if (argc >= 1 && strcmp(argv[0], "list") == 0) {
        apr_array_header_t *all;
        int i;
        rv = oidp_store_client_list(&all, a->pool, &a->db, &err);
        if (rv != APR_SUCCESS) {
            return admin_db_error("client list", err);
        }
        for (i = 0; i < all->nelts; i++) {
            const oidp_client_t *c = APR_ARRAY_IDX(all, i, const oidp_client_t *);
            if (a->json) {
                client_print(a, c);
            }
            else {
                printf("%-24s %-13s %-20s %s\n", c->client_id,
                       strcmp(c->auth_method, "none") == 0 ? "public" : "confidential",
                       c->auth_method, c->display_name ? c->display_name : "");
            }
        }
        return EX_OK;
    }
    if (argc < 2) {
        return admin_fail(EX_USAGE, "usage: client add|update|show|remove CLIENT_ID [options], "
                                    "or client list");
    }
    if (strcmp(argv[0], "add") == 0) {
        return client_add(a, argv[1], argc - 2, argv + 2);
    }
    if (strcmp(argv[0], "update") == 0) {
        return client_update(a, argv[1], argc - 2, argv + 2);
    }
    if (strcmp(argv[0], "show") == 0 || strcmp(argv[0], "remove") == 0) {
        oidp_client_t *c = NULL;
        void *txn = NULL;
        if (argc != 2) {
            return admin_fail(EX_USAGE, "usage: client %s CLIENT_ID", argv[0]);
        }
        if (argv[0][0] == 's') {
            rv = oidp_store_client_get(&c, a->pool, &a->db, argv[1], &err);
            if (rv == APR_SUCCESS) {
                client_print(a, c);
            }
        }
        else {
            if (admin_txn(a, &txn) != EX_OK) {
                return EX_DB;
            }
            rv = oidp_store_client_delete(a->pool, &a->db, argv[1], &err);
            admin_commit(a, txn, rv == APR_SUCCESS);
            if (rv == APR_SUCCESS) {
                printf("removed client %s\n", argv[1]);
            }
        }
        if (rv == APR_NOTFOUND) {
            return admin_fail(EX_NOTFOUND, "no client '%s'", argv[1]);
        }
        return rv == APR_SUCCESS ? EX_OK : admin_db_error("client", err);
    }
    return admin_fail(EX_USAGE, "unknown client command '%s'", argv[0]);
}
