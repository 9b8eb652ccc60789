/*
 * oidc-idp-admin user ...: add, change, list, show, remove users. Passwords
 * are read from a prompt or stdin (never from argv) and stored as bcrypt.
 */
#include <stdio.h>
#include <string.h>

#include <apr_md5.h>
#include <apr_strings.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "admin.h"
#include "oidp_util.h"
#include "oidp_json.h"

#define BCRYPT_COST 10

static const char *bcrypt(admin_t *a, const char *pw)
{
    unsigned char salt[16];
    char out[128];

    if (RAND_bytes(salt, sizeof(salt)) != 1
        || apr_bcrypt_encode(pw, BCRYPT_COST, salt, sizeof(salt), out, sizeof(out))
               != APR_SUCCESS) {
        return NULL;
    }
    return apr_pstrdup(a->pool, out);
}

static int user_options(admin_t *a, oidp_user_t *u, int argc, const char *const *argv, int add,
                        int *pw_mode)
{
    static const struct {
        const char *opt;
        size_t off;
    } texts[] = {
        {"--name", offsetof(oidp_user_t, name)},
        {"--given-name", offsetof(oidp_user_t, given_name)},
        {"--family-name", offsetof(oidp_user_t, family_name)},
        {"--email", offsetof(oidp_user_t, email)},
        {"--phone", offsetof(oidp_user_t, phone_number)},
        {"--picture", offsetof(oidp_user_t, picture)},
        {"--locale", offsetof(oidp_user_t, locale)},
        {"--street", offsetof(oidp_user_t, address_street)},
        {"--locality", offsetof(oidp_user_t, address_locality)},
        {"--region", offsetof(oidp_user_t, address_region)},
        {"--postal-code", offsetof(oidp_user_t, address_postal_code)},
        {"--country", offsetof(oidp_user_t, address_country)},
        {"--formatted-address", offsetof(oidp_user_t, address_formatted)},
    };
    json_t *groups = NULL;
    int i;
    size_t k;

    for (i = 0; i < argc; i++) {
        const char *o = argv[i], *v;
        int done = 0;
        for (k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
            if (strcmp(o, texts[k].opt) == 0) {
                v = admin_optarg(argc, argv, &i);
                if (!v) {
                    return EX_USAGE;
                }
                *(const char **)((char *)u + texts[k].off) = *v ? v : NULL;
                done = 1;
            }
        }
        if (done) {
            continue;
        }
        if (strcmp(o, "--email-verified") == 0 || strcmp(o, "--no-email-verified") == 0) {
            u->email_verified = o[2] == 'e';
        }
        else if (strcmp(o, "--phone-verified") == 0 || strcmp(o, "--no-phone-verified") == 0) {
            u->phone_number_verified = o[2] == 'p';
        }
        else if (strcmp(o, "--disable") == 0 || strcmp(o, "--enable") == 0) {
            u->disabled = o[2] == 'd';
        }
        else if (strcmp(o, "--password-stdin") == 0) {
            *pw_mode = 2;
        }
        else if (strcmp(o, "--password") == 0 && !add) {
            *pw_mode = 1;
        }
        else if (strcmp(o, "--no-password") == 0 && add) {
            *pw_mode = -1;
        }
        else if (strcmp(o, "--id") == 0 && add) {
            v = admin_optarg(argc, argv, &i);
            if (!v || !*v) {
                return EX_USAGE;
            }
            u->id = v;
        }
        else if (strcmp(o, "--group") == 0) {
            v = admin_optarg(argc, argv, &i);
            if (!v) {
                return EX_USAGE;
            }
            if (!groups) {
                groups = oidp_json_bind(a->pool, json_array());
            }
            json_array_append_new(groups, json_string(v));
        }
        else {
            return admin_fail(EX_USAGE, "unknown user option %s", o);
        }
    }
    if (groups) {
        u->groups = oidp_json_dump(a->pool, groups, NULL);
    }
    return EX_OK;
}

static void user_print(admin_t *a, const oidp_user_t *u)
{
    json_t *groups = u->groups ? json_loads(u->groups, 0, NULL) : NULL;

    if (a->json) {
        json_t *j = json_pack(
            "{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:s?, s:b, s:s?, s:s?, s:s?, s:s?, s:s?, "
            "s:s?, s:s?, s:s?, s:o, s:b, s:b, s:I, s:I}",
            "id", u->id, "username", u->username, "name", u->name, "given_name", u->given_name,
            "family_name", u->family_name, "email", u->email, "email_verified", u->email_verified,
            "phone_number", u->phone_number, "phone_number_verified", u->phone_number_verified,
            "street_address", u->address_street, "locality", u->address_locality, "region",
            u->address_region, "postal_code", u->address_postal_code, "country", u->address_country,
            "formatted_address", u->address_formatted, "picture", u->picture, "locale", u->locale,
            "groups", groups ? groups : json_array(), "disabled", u->disabled, "has_password",
            u->password_hash != NULL, "created_at", (json_int_t)u->created_at, "updated_at",
            (json_int_t)u->updated_at);
        if (j && u->source && *u->source) {
            /* the authn provider that signs the user in (OIDCIdPAuthnProvider) */
            json_object_set_new(j, "source", json_string(u->source));
        }
        puts(oidp_json_dump(a->pool, oidp_json_bind(a->pool, j), NULL));
        return;
    }
#define LINE(k, v) printf("%-22s %s\n", k ":", (v) ? (v) : "")
    LINE("id", u->id);
    LINE("username", u->username);
    if (u->source && *u->source) {
        LINE("source", u->source);
    }
    LINE("name", u->name);
    LINE("given_name", u->given_name);
    LINE("family_name", u->family_name);
    LINE("email", u->email);
    LINE("email_verified", u->email_verified ? "yes" : "no");
    LINE("phone_number", u->phone_number);
    LINE("phone_number_verified", u->phone_number_verified ? "yes" : "no");
    LINE("street_address", u->address_street);
    LINE("locality", u->address_locality);
    LINE("region", u->address_region);
    LINE("postal_code", u->address_postal_code);
    LINE("country", u->address_country);
    LINE("formatted_address", u->address_formatted);
    LINE("picture", u->picture);
    LINE("locale", u->locale);
    LINE("groups", u->groups);
    LINE("disabled", u->disabled ? "yes" : "no");
    LINE("password", u->password_hash ? "set (bcrypt)" : "none");
#undef LINE
    json_decref(groups);
}

static int user_write(admin_t *a, oidp_user_t *u, int insert)
{
    const char *err = NULL;
    apr_status_t rv = oidp_store_user_put(a->pool, &a->db, u, insert, &err);

    if (rv == APR_NOTFOUND) {
        return admin_fail(EX_NOTFOUND, "no user '%s'", u->username);
    }
    return rv == APR_SUCCESS ? EX_OK : admin_db_error("user", err);
}

static int set_password(admin_t *a, oidp_user_t *u, int pw_mode)
{
    const char *pw;

    if (pw_mode < 0) {
        u->password_hash = NULL;
        return EX_OK;
    }
    pw = admin_read_secret(a, "password", pw_mode == 2);
    if (!pw) {
        return EX_USAGE;
    }
    u->password_hash = bcrypt(a, pw);
    return u->password_hash ? EX_OK : admin_fail(EX_SOFTWARE, "bcrypt failed");
}

static int user_add(admin_t *a, const char *name, int argc, const char *const *argv)
{
    oidp_user_t *u = apr_pcalloc(a->pool, sizeof(*u)), *old = NULL;
    const char *err = NULL;
    int pw_mode = 0, rc;

    u->username = name;
    u->created_at = u->updated_at = oidp_util_now();
    rc = user_options(a, u, argc, argv, 1, &pw_mode);
    if (rc != EX_OK) {
        return rc;
    }
    if (!u->id) {
        u->id = oidp_util_uuid(a->pool);
    }
    if (oidp_store_user_get(&old, a->pool, &a->db, name, NULL, &err) == APR_SUCCESS
        || oidp_store_user_get(&old, a->pool, &a->db, NULL, u->id, &err) == APR_SUCCESS) {
        return admin_fail(EX_EXISTS, "user '%s' already exists", old->username);
    }
    rc = set_password(a, u, pw_mode);
    if (rc == EX_OK) {
        rc = user_write(a, u, 1);
    }
    if (rc == EX_OK) {
        printf("added user %s (sub %s)\n", u->username, u->id);
    }
    return rc;
}

/* A user by name: one of the own table, or PROVIDER:NAME for a user an
 * authn provider signed in (OIDCIdPAuthnProvider). */
static apr_status_t user_lookup(oidp_user_t **u, admin_t *a, const char *name, const char **err)
{
    apr_status_t rv = oidp_store_user_get(u, a->pool, &a->db, name, NULL, err);
    const char *colon = strchr(name, ':');

    if (rv == APR_NOTFOUND && colon && colon > name && colon[1]) {
        rv = oidp_store_user_find(u, a->pool, &a->db, apr_pstrmemdup(a->pool, name, colon - name),
                                  colon + 1, err);
    }
    return rv;
}

static int user_update(admin_t *a, const char *name, int argc, const char *const *argv)
{
    oidp_user_t *u = NULL;
    const char *err = NULL;
    void *txn = NULL;
    int pw_mode = 0, rc, was_disabled, signout, sessions = 0, tokens = 0;
    apr_status_t rv = user_lookup(&u, a, name, &err);

    if (rv == APR_NOTFOUND) {
        return admin_fail(EX_NOTFOUND, "no user '%s'", name);
    }
    if (rv != APR_SUCCESS) {
        return admin_db_error("user", err);
    }
    was_disabled = u->disabled;
    rc = user_options(a, u, argc, argv, 0, &pw_mode);
    if (rc == EX_OK && pw_mode != 0) {
        rc = set_password(a, u, pw_mode);
    }
    if (rc != EX_OK) {
        return rc;
    }
    u->updated_at = oidp_util_now();
    rc = admin_txn(a, &txn);
    if (rc != EX_OK) {
        return rc;
    }
    rc = user_write(a, u, 0);
    /* a new password or a disabled account signs the user out everywhere:
     * their sessions end and their tokens are revoked */
    signout = pw_mode != 0 || (u->disabled && !was_disabled);
    if (rc == EX_OK && signout
        && oidp_store_user_revoke(&sessions, &tokens, a->pool, &a->db, u->id, &err)
               != APR_SUCCESS) {
        rc = admin_db_error("user sign-out", err);
    }
    if (admin_commit(a, txn, rc == EX_OK) != EX_OK && rc == EX_OK) {
        rc = EX_DB;
    }
    if (rc == EX_OK) {
        printf("updated user %s\n", u->username);
        if (signout) {
            printf("signed out: %d session(s) ended, %d token(s) revoked\n", sessions, tokens);
        }
    }
    return rc;
}

int admin_user(admin_t *a, int argc, const char *const *argv)
{
    const char *err = NULL;
    oidp_user_t *u = NULL;
    apr_status_t rv;

    if (argc >= 1 && strcmp(argv[0], "list") == 0) {
        apr_array_header_t *all;
        int i;
        rv = oidp_store_user_list(&all, a->pool, &a->db, &err);
        if (rv != APR_SUCCESS) {
            return admin_db_error("user list", err);
        }
        for (i = 0; i < all->nelts; i++) {
            u = APR_ARRAY_IDX(all, i, oidp_user_t *);
            if (a->json) {
                user_print(a, u);
            }
            else {
                printf("%-24s %-36s %s%s\n", u->username, u->id, u->email ? u->email : "",
                       u->disabled ? " (disabled)" : "");
            }
        }
        return EX_OK;
    }
    if (argc < 2) {
        return admin_fail(EX_USAGE, "usage: user add|update|show|remove USERNAME [options], "
                                    "or user list");
    }
    if (strcmp(argv[0], "add") == 0) {
        return user_add(a, argv[1], argc - 2, argv + 2);
    }
    if (strcmp(argv[0], "update") == 0) {
        return user_update(a, argv[1], argc - 2, argv + 2);
    }
    if (strcmp(argv[0], "show") != 0 && strcmp(argv[0], "remove") != 0) {
        return admin_fail(EX_USAGE, "unknown user command '%s'", argv[0]);
    }
    if (argc != 2) {
        return admin_fail(EX_USAGE, "usage: user %s USERNAME", argv[0]);
    }
    rv = user_lookup(&u, a, argv[1], &err);
    if (rv == APR_NOTFOUND) {
        return admin_fail(EX_NOTFOUND, "no user '%s'", argv[1]);
    }
    if (rv != APR_SUCCESS) {
        return admin_db_error("user", err);
    }
    if (argv[0][0] == 's') {
        user_print(a, u);
        return EX_OK;
    }
    {
        void *txn = NULL;
        if (admin_txn(a, &txn) != EX_OK) {
            return EX_DB;
        }
        rv = oidp_store_user_delete(a->pool, &a->db, u->id, &err);
        admin_commit(a, txn, rv == APR_SUCCESS);
    }
    if (rv != APR_SUCCESS) {
        return admin_db_error("user remove", err);
    }
    printf("removed user %s\n", argv[1]);
    return EX_OK;
}
