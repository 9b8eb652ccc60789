/*
 * Password authentication against the user table.
 */
#include <string.h>

#include <apr_md5.h>
#include <httpd.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_authn.h"
#include "oidp_dbd.h"

/* A bcrypt hash of a random string nobody knows: unknown users are checked
 * against it so that they cost as much time as known ones. */
static const char dummy_hash[] = "$2y$10$kdGBV.zuhnpjzK78/ySmtOjvLElloKMMqwfdl2mfkTNy864vZKseW";

oidp_err_t oidp_authn_password(const oidp_user_t **user, request_rec *r, oidp_db_t *db,
                               const char *username, const char *password)
{
    oidp_user_t *u = NULL;
    const char *err = NULL;
    apr_status_t rv;
    int ok;

    *user = NULL;
    if (!username || !password || strlen(username) > 256 || strlen(password) > 1024) {
        return OIDP_ERR_ACCESS_DENIED;
    }
    rv = oidp_store_user_get(&u, r->pool, db, username, NULL, &err);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00030), "user lookup", err);
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    ok = apr_password_validate(password, u && u->password_hash ? u->password_hash : dummy_hash)
         == APR_SUCCESS;
    if (!u) {
        /* what was typed is not logged: a name that is no user's is often a
         * password typed in the wrong field */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00151) "sign-in failed for an unknown user (the name typed is not "
                                        "logged)");
        oidp_audit(r, "signin", "outcome", "failure", "reason", "unknown_user", NULL);
        return OIDP_ERR_ACCESS_DENIED;
    }
    if (!u->password_hash || !ok || u->disabled) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00014) "sign-in failed for user '%s' (%s)",
                      ap_escape_logitem(r->pool, username),
                      u->disabled ? "disabled" : "wrong password");
        oidp_audit(r, "signin", "outcome", "failure", "reason",
                   u->disabled ? "disabled" : "wrong_password", "sub", u->id, "username",
                   u->username, NULL);
        return OIDP_ERR_ACCESS_DENIED;
    }
    oidp_audit(r, "signin", "outcome", "success", "sub", u->id, "username", u->username, NULL);
    *user = u;
    return OIDP_OK;
}
