/*
 * The httpd half of the store: mod_dbd's connection for a request and the
 * registration of the statement table with mod_dbd.
 */
#ifndef OIDP_STORE_DBD_H
#define OIDP_STORE_DBD_H

#include <httpd.h>
#include "oidp_store.h"

/* Non-zero when mod_dbd's optional functions are available. */
int oidp_dbd_loaded(void);

/* Registers every httpd statement with mod_dbd for server s (at
 * configuration time; each pooled connection then prepares them once). */
void oidp_dbd_prepare(server_rec *s);

/* The request's connection (acquired once per request, released by mod_dbd
 * with the request pool). NULL, after logging, when the database cannot be
 * reached: the caller answers temporarily_unavailable. */
oidp_db_t *oidp_dbd_acquire(request_rec *r);

/* Logs a store failure of the request with the store's message. */
void oidp_dbd_log(request_rec *r, const char *what, const char *err);

#endif /* OIDP_STORE_DBD_H */
