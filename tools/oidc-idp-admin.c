/*
 * oidc-idp-admin: manages the mod_oidc_idp database (in the spirit of
 * htpasswd and htdbm). The same schema and SQL as the module, through
 * apr_dbd; changes are seen by a running httpd at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "admin.h"
#include "oidp_schema.h"
#include "oidp_util.h"

static const char usage[] =
    "Usage: oidc-idp-admin [--db DRIVER:PARAMS] [--json] COMMAND ...\n"
    "\n"
    "Manages the database of mod_oidc_idp. DRIVER:PARAMS are what DBDriver and\n"
    "DBDParams say in httpd's configuration, e.g. sqlite3:/var/lib/oidc-idp/idp.db or\n"
    "'pgsql:host=db.example.com dbname=idp user=idp'. Default: $OIDC_IDP_DB.\n"
    "\n"
    "Commands:\n"
    "  init [--issuer URL]         create the tables of the newest schema (idempotent;\n"
    "                              refuses a database of an older schema: see migrate)\n"
    "  migrate [--issuer URL]      upgrade the tables to this version's schema, in one\n"
    "                              transaction, keeping every row; says what it did\n"
    "                              --issuer (init, migrate): bind the database to that\n"
    "                              OIDCIdPIssuer (one database serves one issuer; an\n"
    "                              unbound one is bound by the module's first start);\n"
    "                              refused if it is bound to another issuer\n"
    "  rebind --issuer URL         bind the database to a renamed issuer\n"
    "  status                      the schema version and the issuer it is bound to\n"
    "  client add ID [options]     register a client; prints a generated secret once\n"
    "  client update ID [options]  change a client (--new-secret prints a new secret)\n"
    "  client list | show ID | remove ID\n"
    "  user add NAME [options]     add a user; the password comes from a prompt or stdin\n"
    "  user update NAME [options]  change a user (--password / --password-stdin)\n"
    "  user list | show NAME | remove NAME\n"
    "  purge                       delete expired codes, tokens, sessions and counters\n"
    "                              (httpd does it itself with mod_watchdog: OIDCIdPPurgeInterval)\n"
    "  backup FILE                 SQLite: a consistent copy into the new FILE while httpd\n"
    "                              runs (VACUUM INTO); PostgreSQL: use pg_dump\n"
    "  restore FILE                SQLite: replace every row by those of a backup of this\n"
    "                              schema version, in one transaction (httpd may run)\n"
    "  check [--key FILE ...]      report what is wrong: schema version, integrity, the\n"
    "                              statements, clients' redirect URIs, signing keys\n"
    "\n"
    "Client options:\n"
    "  --public                    a public client (no secret; PKCE required)\n"
    "  --auth-method M             client_secret_basic (default), client_secret_post, none;\n"
    "                              a client with a secret may send it either way (HTTP Basic\n"
    "                              or the body, RFC 6749 2.3.1) unless pinned:\n"
    "  --pin-auth-method | --no-pin-auth-method   accept only the registered method, or\n"
    "                              both secret methods (the default)\n"
    "  --secret-stdin              read the secret from stdin instead of generating one\n"
    "                              (at least 32 characters, 8 of them distinct)\n"
    "  --new-secret                (update) generate a new secret\n"
    "  --grant-types 'G ...'       authorization_code refresh_token client_credentials\n"
    "                              (default: authorization_code refresh_token)\n"
    "  --redirect-uri URI          repeatable; on update the list is replaced; absolute,\n"
    "                              no fragment, no control character, never javascript:,\n"
    "                              data: or file:; https, http for 127.0.0.1, [::1] or\n"
    "                              localhost, or a native app's scheme (com.example.app:/cb)\n"
    "  --allow-http-redirect       also accept plain http URIs off loopback\n"
    "  --post-logout-uri URI       repeatable; on update the list is replaced\n"
    "  --name TEXT                 display name shown on the login and consent pages\n"
    "  --scopes 'S ...'            scopes the client may get\n"
    "                              (default: openid profile email address phone offline_access)\n"
    "  --dialect standard|casdoor  claim names in ID tokens and userinfo\n"
    "  --first-party | --no-first-party   skip the consent screen or not\n"
    "  --id-token-alg RS256|ES256|EdDSA   ID token signing algorithm\n"
    "\n"
    "User options:\n"
    "  --id UUID                   (add) the subject; default: a new random UUID\n"
    "  --password                  (update) prompt for a new password\n"
    "  --password-stdin            read the password from the first line of stdin\n"
    "  --no-password               (add) no password: the user cannot sign in with one\n"
    "  --name, --given-name, --family-name, --email, --phone, --picture, --locale TEXT\n"
    "  --email-verified | --no-email-verified, --phone-verified | --no-phone-verified\n"
    "  --street, --locality, --region, --postal-code, --country, --formatted-address TEXT\n"
    "  --group NAME                repeatable; on update the list is replaced\n"
    "  --disable | --enable\n"
    "\n"
    "Every command but init and migrate refuses a database whose schema version is\n"
    "not this tool's (run migrate, or upgrade mod_oidc_idp and this tool).\n"
    "\n"
    "Exit status: 0 done, 1 usage or invalid value, 2 not found, 3 already exists,\n"
    "4 database error (also: not initialised, another schema version), 5 internal error,\n"
    "6 check found problems.\n";

/* ------------------------------------------------------------------ */

/* Run as root on an SQLite file owned by the web server's user: switch to
 * that user first, so that the files SQLite creates beside the database
 * (-wal, -shm) stay writable by httpd. */
static int sqlite_become_owner(const char *path)
{
    struct stat st;
    char *dir, *slash;

    if (geteuid() != 0) {
        return EX_OK;
    }
    if (stat(path, &st) != 0) {
        dir = strdup(path);
        slash = dir ? strrchr(dir, '/') : NULL;
        if (slash) {
            *slash = '\0';
        }
        if (!slash || stat(*dir ? dir : "/", &st) != 0) {
            free(dir);
            return EX_OK;
        }
        free(dir);
    }
    if (st.st_uid == 0) {
        return EX_OK;
    }
    if (setgid(st.st_gid) != 0 || setuid(st.st_uid) != 0) {
        return admin_fail(EX_SOFTWARE, "cannot switch to the owner of %s: %s", path,
                          strerror(errno));
    }
    return EX_OK;
}

static int db_open(admin_t *a, const char *spec)
{
    const char *colon = spec ? strchr(spec, ':') : NULL;
    const char *err;
    int rc;

    if (!colon || colon == spec) {
        return admin_fail(EX_USAGE, "no database: give --db DRIVER:PARAMS or set OIDC_IDP_DB "
                                    "(e.g. sqlite3:/var/lib/oidc-idp/idp.db)");
    }
    a->driver_name = apr_pstrmemdup(a->pool, spec, (apr_size_t)(colon - spec));
    a->params = colon + 1;
    if (!oidp_schema_sql(a->driver_name)) {
        return admin_fail(EX_USAGE, "unsupported driver '%s' (sqlite3 or pgsql)", a->driver_name);
    }
    if (strcmp(a->driver_name, "sqlite3") == 0) {
        rc = sqlite_become_owner(a->params);
        if (rc != EX_OK) {
            return rc;
        }
    }
    rc = apr_dbd_get_driver(a->pool, a->driver_name, &a->db.driver);
    if (rc != APR_SUCCESS) {
        return admin_fail(EX_DB,
                          "cannot load the apr_dbd driver '%s' (install "
                          "libaprutil1-dbd-%s)",
                          a->driver_name, a->driver_name);
    }
    rc = apr_dbd_open_ex(a->db.driver, a->pool, a->params, &a->db.handle, &err);
    if (rc != APR_SUCCESS) {
        return admin_fail(EX_DB, "cannot open the database: %s", err ? err : "unknown error");
    }
    if (strcmp(a->driver_name, "sqlite3") == 0) {
        int n;
        apr_dbd_query(a->db.driver, a->db.handle, &n, "PRAGMA busy_timeout = 5000");
    }
    a->db.prepared = apr_hash_make(a->pool);
    return EX_OK;
}

static int cmd_purge(admin_t *a)
{
    const char *err = NULL;
    int n = 0;

    if (oidp_store_purge(&n, a->pool, &a->db, oidp_util_now(), &err) != APR_SUCCESS) {
        return admin_db_error("purge", err);
    }
    printf("purged %d expired tokens\n", n);
    return EX_OK;
}

/* The options of init, migrate, rebind, status and purge (argv[cmd] is the
 * command): --issuer URL for the first three, nothing else. */
static int meta_args(int argc, const char *const *argv, int cmd, const char **issuer)
{
    int i, takes = strcmp(argv[cmd], "init") == 0 || strcmp(argv[cmd], "migrate") == 0
                   || strcmp(argv[cmd], "rebind") == 0;

    if (strcmp(argv[cmd], "client") == 0 || strcmp(argv[cmd], "user") == 0
        || strcmp(argv[cmd], "backup") == 0 || strcmp(argv[cmd], "restore") == 0
        || strcmp(argv[cmd], "check") == 0) {
        return EX_OK; /* their own arguments, read by their own functions */
    }
    for (i = cmd + 1; i < argc; i++) {
        if (takes && strcmp(argv[i], "--issuer") == 0) {
            *issuer = admin_optarg(argc, argv, &i);
            if (!*issuer) {
                return EX_USAGE;
            }
            if (!admin_migrate_issuer_ok(*issuer)) {
                return admin_fail(EX_USAGE,
                                  "--issuer '%s' is not an issuer URL (https://host[:port][/path], "
                                  "as OIDCIdPIssuer says it)",
                                  *issuer);
            }
        }
        else {
            return admin_fail(EX_USAGE, "%s: unknown argument %s", argv[cmd], argv[i]);
        }
    }
    return EX_OK;
}

int main(int argc, const char *const *argv)
{
    admin_t a;
    const char *db = getenv("OIDC_IDP_DB");
    const char *issuer = NULL;
    int i = 1, rc;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        return EX_SOFTWARE;
    }
    atexit(apr_terminate);
    memset(&a, 0, sizeof(a));
    apr_pool_create(&a.pool, NULL);
    apr_dbd_init(a.pool);

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return EX_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            puts("oidc-idp-admin (mod_oidc_idp) 0.1.0");
            return EX_OK;
        }
        if (strcmp(argv[i], "--db") == 0) {
            db = admin_optarg(argc, argv, &i);
            if (!db) {
                return EX_USAGE;
            }
        }
        else if (strcmp(argv[i], "--json") == 0) {
            a.json = 1;
        }
        else {
            fputs(usage, stderr);
            return admin_fail(EX_USAGE, "unknown option %s", argv[i]);
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return EX_USAGE;
    }
    if (strcmp(argv[i], "init") != 0 && strcmp(argv[i], "migrate") != 0
        && strcmp(argv[i], "rebind") != 0 && strcmp(argv[i], "status") != 0
        && strcmp(argv[i], "client") != 0 && strcmp(argv[i], "user") != 0
        && strcmp(argv[i], "purge") != 0 && strcmp(argv[i], "backup") != 0
        && strcmp(argv[i], "restore") != 0 && strcmp(argv[i], "check") != 0) {
        fputs(usage, stderr);
        return admin_fail(EX_USAGE, "unknown command '%s'", argv[i]);
    }
    rc = meta_args(argc, argv, i, &issuer);
    if (rc != EX_OK) {
        return rc;
    }
    rc = db_open(&a, db);
    if (rc != EX_OK) {
        return rc;
    }
    if (strcmp(argv[i], "init") == 0) {
        rc = admin_migrate_init(&a, issuer);
    }
    else if (strcmp(argv[i], "migrate") == 0) {
        rc = admin_migrate(&a, issuer);
    }
    else if (strcmp(argv[i], "backup") == 0) {
        rc = admin_ops_backup(&a, argc - i - 1, argv + i + 1);
    }
    else if (strcmp(argv[i], "restore") == 0) {
        rc = admin_ops_restore(&a, argc - i - 1, argv + i + 1);
    }
    else if (strcmp(argv[i], "check") == 0) {
        rc = admin_ops_check(&a, argc - i - 1, argv + i + 1);
    }
    else if ((rc = admin_migrate_check(&a)) != EX_OK || (rc = admin_prepare(&a)) != EX_OK) {
        /* reported */
    }
    else if (strcmp(argv[i], "rebind") == 0) {
        rc = admin_migrate_rebind(&a, issuer);
    }
    else if (strcmp(argv[i], "status") == 0) {
        rc = admin_migrate_status(&a);
    }
    else if (strcmp(argv[i], "purge") == 0) {
        rc = cmd_purge(&a);
    }
    else if (strcmp(argv[i], "client") == 0) {
        rc = admin_client(&a, argc - i - 1, argv + i + 1);
    }
    else {
        rc = admin_user(&a, argc - i - 1, argv + i + 1);
    }
    apr_dbd_close(a.db.driver, a.db.handle);
    return rc;
}
