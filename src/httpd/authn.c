/*
 * Password authentication: the login form's name and password checked by
 * the sources OIDCIdPAuthnProvider names in the authorize <Location>, in
 * turn (as AuthBasicProvider): this module's user table ("local", bcrypt
 * hashes) or any Apache authn provider through ap_lookup_provider (file,
 * dbm, dbd, ldap, socache, <AuthnProviderAlias>, third-party ones). A user
 * a provider signs in gets a row of its own (source = the provider's name),
 * made at the first sign-in: its id is the stable subject; its claims
 * mapped by OIDCIdPClaim are refreshed at every sign-in.
 */
#include <string.h>

#include <apr_md5.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_expr.h>
#include <mod_auth.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_authn.h"
#include "oidp_claims.h"
#include "oidp_config.h"
#include "oidp_dbd.h"
#include "oidp_util.h"

/* A bcrypt hash of a random string nobody knows: unknown users are checked
 * against it so that they cost as much time as known ones. */
static const char dummy_hash[] = "$2y$10$kdGBV.zuhnpjzK78/ySmtOjvLElloKMMqwfdl2mfkTNy864vZKseW";

/* What one source says. */
typedef enum {
    A_GRANTED,
    A_DENIED,   /* wrong password, disabled */
    A_NOTFOUND, /* no such user here: ask the next source */
    A_ERROR     /* the source cannot answer: nobody gets in */
} verdict_e;

static const oidp_authn_src_t local_only = {OIDP_AUTHN_LOCAL, NULL};

static void denied(request_rec *r, const oidp_user_t *u, const char *username, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  OIDP_LOGNO(00014) "sign-in failed for user '%s' (%s)",
                  ap_escape_logitem(r->pool, username), why);
    /* sub last: without a row (a provider said no) the list ends before it */
    oidp_audit(r, "signin", "outcome", "failure", "reason",
               strcmp(why, "disabled") == 0 ? "disabled" : "wrong_password", "username", username,
               "sub", u ? u->id : NULL, NULL);
}

/* This module's table: bcrypt, the same cost for unknown users. */
static verdict_e local_check(const oidp_user_t **user, request_rec *r, oidp_db_t *db,
                             const char *username, const char *password)
{
    oidp_user_t *u = NULL;
    const char *err = NULL;
    apr_status_t rv;
    int ok;

    rv = oidp_store_user_get(&u, r->pool, db, username, NULL, &err);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00030), "user lookup", err);
        return A_ERROR;
    }
    ok = apr_password_validate(password, u && u->password_hash ? u->password_hash : dummy_hash)
         == APR_SUCCESS;
    if (!u) {
        return A_NOTFOUND;
    }
    if (!u->password_hash || !ok || u->disabled) {
        denied(r, u, username, u->disabled ? "disabled" : "wrong password");
        return A_DENIED;
    }
    *user = u;
    return A_GRANTED;
}

/* The OIDCIdPClaim expressions, evaluated now (the provider's variables,
 * AUTHENTICATE_*, are in r->subprocess_env), into u. A value that cannot
 * be had or typed is logged and leaves the claim as it was. */
static int map_claims(oidp_user_t *u, request_rec *r, const oidp_dir_cfg_t *d)
{
    int changed = 0, i;

    for (i = 0; d->claims && i < d->claims->nelts; i++) {
        const oidp_claim_map_t *m = &APR_ARRAY_IDX(d->claims, i, oidp_claim_map_t);
        const char *err = NULL, *v = ap_expr_str_exec(r, m->expr, &err);

        if (err || !v) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          OIDP_LOGNO(00680) "OIDCIdPClaim %s: the expression failed: %s", m->claim,
                          err ? err : "no value");
            continue;
        }
        if (oidp_claims_map_set(u, &changed, r->pool, m->claim, v, &err) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          OIDP_LOGNO(00681) "OIDCIdPClaim %s: the value of user '%s' is not "
                                            "taken: %s",
                          m->claim, ap_escape_logitem(r->pool, u->username), err);
        }
    }
    return changed;
}

/* The row of a user a provider signed in: found by (source, name), made at
 * the first sign-in, its mapped claims refreshed. */
static verdict_e provider_user(const oidp_user_t **user, request_rec *r, oidp_db_t *db,
                               const oidp_dir_cfg_t *d, const char *source, const char *name)
{
    oidp_user_t *u = NULL, *nu;
    const char *err = NULL;
    apr_status_t rv = oidp_store_user_find(&u, r->pool, db, source, name, &err);
    int insert = 0;

    if (rv == APR_NOTFOUND) {
        u = apr_pcalloc(r->pool, sizeof(*u));
        u->id = oidp_util_uuid(r->pool);
        u->username = name;
        u->source = source;
        u->created_at = oidp_util_now();
        insert = 1;
    }
    else if (rv != APR_SUCCESS) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00682), "provider user lookup", err);
        return A_ERROR;
    }
    nu = apr_pmemdup(r->pool, u, sizeof(*u));
    if (map_claims(nu, r, d) || insert) {
        nu->updated_at = oidp_util_now();
        rv = oidp_store_user_put(r->pool, db, nu, insert, &err);
        if (rv != APR_SUCCESS && insert) {
            /* another sign-in of the same user made the row first */
            oidp_user_t *again = NULL;
            if (oidp_store_user_find(&again, r->pool, db, source, name, NULL) == APR_SUCCESS) {
                u = again;
                nu = again;
                rv = APR_SUCCESS;
            }
        }
        if (rv != APR_SUCCESS) {
            OIDP_STORE_ERROR(r, OIDP_LOGNO(00683), "provider user write", err);
            return A_ERROR;
        }
        if (insert) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          OIDP_LOGNO(00684) "user '%s' of authn provider '%s' signed in for the "
                                            "first time: subject %s",
                          ap_escape_logitem(r->pool, name), source, nu->id);
        }
    }
    if (nu->disabled) {
        denied(r, nu, name, "disabled");
        return A_DENIED;
    }
    *user = nu;
    return A_GRANTED;
}

/* An Apache authn provider, called as mod_auth_basic calls it: r->user set
 * to the name, the provider's name in r->notes (what <AuthnProviderAlias>
 * and mod_authn_socache read). */
static verdict_e provider_check(const oidp_user_t **user, request_rec *r, oidp_db_t *db,
                                const oidp_dir_cfg_t *d, const oidp_authn_src_t *src,
                                const char *username, const char *password)
{
    const authn_provider *ap = src->provider;
    char *old_user = r->user;
    const char *name;
    authn_status st;
    verdict_e v;

    r->user = apr_pstrdup(r->pool, username);
    apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, src->name);
    st = ap->check_password(r, username, password);
    apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
    switch (st) {
    case AUTH_GRANTED:
        /* the provider's name for the user if it set one (AuthLDAPRemoteUserAttribute) */
        name = r->user && *r->user && strlen(r->user) <= 256 ? r->user : username;
        v = provider_user(user, r, db, d, src->name, name);
        r->user = v == A_GRANTED ? apr_pstrdup(r->pool, name) : old_user;
        return v;
    case AUTH_USER_NOT_FOUND:
        r->user = old_user;
        return A_NOTFOUND;
    case AUTH_DENIED:
    case AUTH_USER_FOUND:
        r->user = old_user;
        denied(r, NULL, username,
               apr_pstrcat(r->pool, "wrong password, provider ", src->name, NULL));
        return A_DENIED;
    default:
        r->user = old_user;
        /* the name typed is not logged: the provider could not say whether
         * it is a user's (it may be a password typed in the wrong field) */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OIDP_LOGNO(00685) "authn provider '%s' could not check a password (status "
                                        "%d): the directory is unavailable, nobody signs in",
                      src->name, (int)st);
        oidp_audit(r, "signin", "outcome", "error", "reason", "provider_error", "provider",
                   src->name, NULL);
        return A_ERROR;
    }
}

oidp_err_t oidp_authn_external(const oidp_user_t **user, request_rec *r, oidp_db_t *db,
                               const char *source, const char *name)
{
    const oidp_dir_cfg_t *d = ap_get_module_config(r->per_dir_config, &oidc_idp_module);

    *user = NULL;
    switch (provider_user(user, r, db, d, source, name)) {
    case A_GRANTED:
        return OIDP_OK;
    case A_ERROR:
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    default:
        return OIDP_ERR_ACCESS_DENIED;
    }
}

oidp_err_t oidp_authn_password(const oidp_user_t **user, request_rec *r, oidp_db_t *db,
                               const char *username, const char *password)
{
    const oidp_dir_cfg_t *d = ap_get_module_config(r->per_dir_config, &oidc_idp_module);
    const oidp_authn_src_t *srcs = &local_only;
    verdict_e v = A_NOTFOUND;
    int n = 1, i;

    *user = NULL;
    if (!username || !password || !*username || strlen(username) > 256 || strlen(password) > 1024) {
        return OIDP_ERR_ACCESS_DENIED;
    }
    if (d && d->providers && d->providers->nelts > 0) {
        srcs = (const oidp_authn_src_t *)d->providers->elts;
        n = d->providers->nelts;
    }
    for (i = 0; i < n && v == A_NOTFOUND; i++) {
        const oidp_user_t *u = NULL;
        v = srcs[i].provider ? provider_check(&u, r, db, d, &srcs[i], username, password)
                             : local_check(&u, r, db, username, password);
        if (v == A_GRANTED) {
            oidp_audit(r, "signin", "outcome", "success", "sub", u->id, "username", u->username,
                       "provider", srcs[i].name, NULL);
            *user = u;
        }
    }
    switch (v) {
    case A_GRANTED:
        return OIDP_OK;
    case A_ERROR:
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    case A_NOTFOUND:
        /* what was typed is not logged: a name that is no user's is often a
         * password typed in the wrong field */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00151) "sign-in failed for an unknown user (the name typed is not "
                                        "logged)");
        oidp_audit(r, "signin", "outcome", "failure", "reason", "unknown_user", NULL);
        return OIDP_ERR_ACCESS_DENIED;
    default:
        return OIDP_ERR_ACCESS_DENIED;
    }
}
