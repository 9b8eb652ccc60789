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

#endif /* OIDP_AUTHN_H */
