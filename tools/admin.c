/*
 * oidc-idp-admin: what the commands share (messages, options, secrets,
 * transactions, the statement table).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "admin.h"
#include "oidp_schema.h"

int admin_fail(int code, const char *fmt, ...)
{
    va_list ap;

    fputs("oidc-idp-admin: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int admin_db_error(const char *what, const char *err)
{
    return admin_fail(EX_DB, "%s: %s", what, err ? err : "database error");
}

const char *admin_optarg(int argc, const char *const *argv, int *i)
{
    if (*i + 1 >= argc) {
        admin_fail(EX_USAGE, "%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

const char *admin_read_secret(admin_t *a, const char *what, int from_stdin)
{
    char buf[1024], again[1024];
    apr_size_t len = sizeof(buf);

    if (from_stdin || !isatty(0)) {
        size_t n;
        if (!fgets(buf, sizeof(buf), stdin)) {
            admin_fail(EX_USAGE, "no %s on standard input", what);
            return NULL;
        }
        n = strlen(buf);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
            buf[--n] = '\0';
        }
        if (n == 0) {
            admin_fail(EX_USAGE, "empty %s", what);
            return NULL;
        }
        return apr_pstrdup(a->pool, buf);
    }
    if (apr_password_get(apr_psprintf(a->pool, "New %s: ", what), buf, &len) != APR_SUCCESS
        || !*buf) {
        admin_fail(EX_USAGE, "empty %s", what);
        return NULL;
    }
    len = sizeof(again);
    if (apr_password_get(apr_psprintf(a->pool, "Re-type new %s: ", what), again, &len)
            != APR_SUCCESS
        || strcmp(buf, again) != 0) {
        admin_fail(EX_USAGE, "the two entries do not match");
        return NULL;
    }
    return apr_pstrdup(a->pool, buf);
}

int admin_txn(admin_t *a, void **txn)
{
    const char *err = NULL;

    if (oidp_store_begin(a->pool, &a->db, txn, &err) != APR_SUCCESS) {
        return admin_db_error("begin", err);
    }
    return EX_OK;
}

int admin_commit(admin_t *a, void *txn, int ok)
{
    if (oidp_store_end(a->pool, &a->db, txn, ok) != APR_SUCCESS && ok) {
        return admin_fail(EX_DB, "the change could not be committed");
    }
    return EX_OK;
}

int admin_prepare(admin_t *a)
{
    const char *err = NULL;

    if (oidp_store_prepare(a->pool, &a->db, OIDP_STMT__COUNT, &err) != APR_SUCCESS) {
        return admin_fail(EX_DB, "the database does not have the tables of schema version %d (%s)",
                          OIDP_SCHEMA_VERSION, err);
    }
    return EX_OK;
}
