/*
 * oidc-idp-admin: shared declarations of the admin tool's files.
 */
#ifndef OIDP_ADMIN_H
#define OIDP_ADMIN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "oidp_store.h"

/* Exit codes, as documented in --help. */
#define EX_OK 0
#define EX_USAGE 1
#define EX_NOTFOUND 2
#define EX_EXISTS 3
#define EX_DB 4
#define EX_SOFTWARE 5
#define EX_CHECK 6

typedef struct admin_t {
    apr_pool_t *pool;
    const char *driver_name;
    const char *params;
    oidp_db_t db;
    int json; /* --json output for list/show */
} admin_t;

/* tools/admin.c: what the commands share. */

/* getopt_long-free option scanning: argv[i] is an option; returns its value
 * (the next argument) or NULL after printing an error. */
const char *admin_optarg(int argc, const char *const *argv, int *i);
/* Prints "oidc-idp-admin: <message>" on stderr and returns code. */
int admin_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int admin_db_error(const char *what, const char *err);
/* Reads a secret: from stdin (one line) or, on a terminal, with a prompt
 * asked twice. NULL after printing an error. */
const char *admin_read_secret(admin_t *a, const char *what, int from_stdin);
int admin_txn(admin_t *a, void **txn);
int admin_commit(admin_t *a, void *txn, int ok);
/* Prepares the statement table on a->db (EX_DB, reported, if the tables do
 * not match it). */
int admin_prepare(admin_t *a);

/* tools/admin_migrate.c: the schema's version. */

/* init: the newest schema on an empty database; a database of the current
 * version is left as it is, an older or newer one refused. */
int admin_migrate_init(admin_t *a, const char *issuer);
/* migrate: upgrades an older database to OIDP_SCHEMA_VERSION. init and
 * migrate with an issuer (not NULL) then bind an unbound database to it and
 * refuse (EX_EXISTS) one bound to another issuer. */
int admin_migrate(admin_t *a, const char *issuer);
/* rebind: binds the database to issuer whatever it was bound to. */
int admin_migrate_rebind(admin_t *a, const char *issuer);
/* status: the schema version and the issuer the database is bound to. */
int admin_migrate_status(admin_t *a);
/* Non-zero when issuer looks like an OIDCIdPIssuer: http(s)://host..., no
 * blank, control character, quote, query or fragment. */
int admin_migrate_issuer_ok(const char *issuer);
/* EX_OK when the database has the schema version of this build; otherwise
 * EX_DB after saying what to run (init, migrate, or upgrade the tool). */
int admin_migrate_check(admin_t *a);

/* tools/admin_client.c, tools/admin_user.c: the client and user commands. */
int admin_client(admin_t *a, int argc, const char *const *argv);
int admin_user(admin_t *a, int argc, const char *const *argv);

/* tools/admin_ops.c: backup, restore (SQLite) and check. */
int admin_ops_backup(admin_t *a, int argc, const char *const *argv);
int admin_ops_restore(admin_t *a, int argc, const char *const *argv);
int admin_ops_check(admin_t *a, int argc, const char *const *argv);

#endif
