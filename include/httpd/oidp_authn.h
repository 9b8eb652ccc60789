/*
 * User authentication: the one small interface behind which users come
 * from. Today the oidp_user table (bcrypt passwords); later any Apache authn
 * provider (file, dbm, dbd, LDAP) plugs in here.
 */
#ifndef OIDP_AUTHN_H
#define OIDP_AUTHN_H

#include <httpd.h>
#include "oidp_error.h"
#include "oidp_store.h"

/* OIDP_OK with *user, ACCESS_DENIED for an unknown user, a wrong password or
 * a disabled account (the same answer and about the same time for all
 * three), TEMPORARILY_UNAVAILABLE when the store is down. */
oidp_err_t oidp_authn_password(const oidp_user_t **user, request_rec *r, oidp_db_t *db,
                               const char *username, const char *password);

/* The row of a user someone else authenticated (source, name): found, or
 * made at the first sign-in, its OIDCIdPClaim claims refreshed. OIDP_OK
 * with *user, ACCESS_DENIED when disabled, TEMPORARILY_UNAVAILABLE when the
 * store is down. */
oidp_err_t oidp_authn_external(const oidp_user_t **user, request_rec *r, oidp_db_t *db,
                               const char *source, const char *name);

/* An identity another Apache module established for this request
 * (src/httpd/upstream.c): r->user, when the module verified it. */
typedef struct oidp_upstream_t {
    const char *name;   /* r->user */
    const char *source; /* the user row's source: "upstream-<kind>" */
    const char *amr;    /* RFC 8176 values, or NULL */
    const char *acr;    /* OIDP_ACR_* */
} oidp_upstream_t;

/* 1 with *id when r->user is set and trusted, 0 when there is none or it
 * is not trusted (logged: e.g. a certificate mod_ssl could not verify). */
int oidp_upstream_identity(oidp_upstream_t *id, request_rec *r);

#endif /* OIDP_AUTHN_H */
