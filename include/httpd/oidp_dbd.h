/*
 * The httpd half of the store: mod_dbd's connection for a request and the
 * registration of the statement table with mod_dbd.
 */
#ifndef OIDP_STORE_DBD_H
#define OIDP_STORE_DBD_H

#include <httpd.h>
#include <http_log.h>
#include "oidc_idp.h"
#include "oidp_error.h"
#include "oidp_status.h"
#include "oidp_store.h"

/* Non-zero when mod_dbd's optional functions are available. */
int oidp_dbd_loaded(void);

/* The request's connection (acquired once per request, released by mod_dbd
 * with the request pool): OIDP_OK with *db, or, logged, TEMPORARILY_UNAVAILABLE
 * with *desc for the handler's edge to answer (503). */
oidp_err_t oidp_dbd_acquire(oidp_db_t **db, request_rec *r, const char **desc);

/* A connection outside a request (child_init): fills *db and returns the
 * handle to give back with oidp_dbd_close, or NULL when the database
 * cannot be reached (mod_dbd has logged why). */
void *oidp_dbd_open(oidp_db_t *db, apr_pool_t *p, server_rec *s);
void oidp_dbd_close(server_rec *s, void *conn);

/* The schema version of the database DRIVER:PARAMS, in a connection of its
 * own (apachectl configtest, where mod_dbd has no connections): as
 * oidp_migrate_version, or APR_EGENERAL with *err when it cannot be opened. */
apr_status_t oidp_dbd_schema_version(int *version, apr_pool_t *p, const char *driver,
                                     const char *params, const char **err);

/* The same with every statement of the table prepared, the admin tool's
 * too (the purge of src/httpd/purge.c): NULL with *err when the database
 * cannot be reached or a statement does not prepare. */
void *oidp_dbd_open_all(oidp_db_t *db, apr_pool_t *p, server_rec *s, const char **err);

/* A store operation failed: logged at ERROR with the call site's own tag
 * (OIDP_LOGNO(n)), the operation and the driver's message; the caller then
 * answers temporarily_unavailable; counted for server-status. A macro so that the log line names the
 * call site's file and line. */
#define OIDP_STORE_ERROR(r, tag, what, err)                                              \
    do {                                                                                 \
        oidp_status_count(OIDP_STAT_DB_ERROR);                                           \
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, (r), tag "store: %s failed: %s", (what), \
                      (err) ? (err) : "unknown error");                                  \
    } while (0)

#endif /* OIDP_STORE_DBD_H */
