/*
 * The issuer a database is bound to: one database serves one issuer. The
 * clients, users and consents of a database carry no issuer (only codes,
 * tokens and sessions do), so two issuers on one database would share them:
 * a consent given at one would count at the other. The binding is the
 * oidp_meta row 'issuer', written by `oidc-idp-admin init --issuer`, by the
 * first start of the module on an unbound database, or by `oidc-idp-admin
 * rebind`; httpd's child_init refuses a server whose issuer is not the one
 * its database is bound to. Plain apr_dbd calls (no prepared statement), as
 * oidp_migrate.h: they run before the statement table is prepared.
 */
#ifndef OIDP_BINDING_H
#define OIDP_BINDING_H

#include <apr_pools.h>

#include "oidp_store.h"

/* The issuer the database is bound to. APR_NOTFOUND when it is unbound;
 * APR_EGENERAL with *err on a driver error. */
apr_status_t oidp_binding_get(const char **issuer, apr_pool_t *p, oidp_db_t *db, const char **err);

/* Binds an unbound database to issuer (a bound one is left as it is, also
 * when another process binds it at the same moment) and gives in *bound the
 * issuer the database is bound to now, and in *fresh whether this call
 * bound it. APR_EGENERAL with *err on a driver error. */
apr_status_t oidp_binding_bind(const char **bound, int *fresh, apr_pool_t *p, oidp_db_t *db,
                               const char *issuer, const char **err);

/* Binds the database to issuer whatever it was bound to (a renamed
 * issuer); *old is the previous binding or NULL. APR_EGENERAL with *err. */
apr_status_t oidp_binding_set(const char **old, apr_pool_t *p, oidp_db_t *db, const char *issuer,
                              const char **err);

#endif /* OIDP_BINDING_H */
