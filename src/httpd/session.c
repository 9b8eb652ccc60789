/*
 * Browser sessions through mod_session's optional functions.
 */
#include <string.h>

#include <apr_optional.h>
#include <apr_strings.h>
#include <apr_uuid.h>
#include <httpd.h>
#include <http_log.h>
#include <mod_session.h>

#include "oidc_idp.h"
#include "oidp_session.h"
#include "oidp_dbd.h"
#include "oidp_util.h"

#define KEY_SID "oidp.sid"
#define KEY_CSRF "oidp.csrf"
#define KEY_CONSENT "oidp.consent"

/* mod_session's functions, set at configuration time, read-only afterwards */
static APR_OPTIONAL_FN_TYPE(ap_session_load) * s_load;
static APR_OPTIONAL_FN_TYPE(ap_session_get) * s_get;
static APR_OPTIONAL_FN_TYPE(ap_session_set) * s_set;
static APR_OPTIONAL_FN_TYPE(ap_session_save) * s_save;

int oidp_session_init(void)
{
    s_load = APR_RETRIEVE_OPTIONAL_FN(ap_session_load);
    s_get = APR_RETRIEVE_OPTIONAL_FN(ap_session_get);
    s_set = APR_RETRIEVE_OPTIONAL_FN(ap_session_set);
    s_save = APR_RETRIEVE_OPTIONAL_FN(ap_session_save);
    return s_load && s_get && s_set && s_save;
}

/* A blank session, for a browser whose cookie could not be decrypted (a
 * changed passphrase, a forged cookie): it is replaced on the next save. */
static session_rec *blank(request_rec *r)
{
    session_rec *z = apr_pcalloc(r->pool, sizeof(*z));

    z->pool = r->pool;
    z->entries = apr_table_make(r->pool, 4);
    z->uuid = apr_pcalloc(r->pool, sizeof(apr_uuid_t));
    apr_uuid_get(z->uuid);
    return z;
}

static oidp_err_t load(oidp_browser_t **bp, request_rec *r, const oidp_cfg_t *c, oidp_db_t *db,
                       int required, const char **desc)
{
    oidp_browser_t *b = apr_pcalloc(r->pool, sizeof(*b));
    session_rec *z = NULL;
    oidp_session_t *s = NULL;
    const char *err = NULL;
    apr_status_t rv;

    *bp = b;
    if (!s_load) {
        *desc = "mod_session is not loaded";
        return required ? OIDP_ERR_SERVER_ERROR : OIDP_OK;
    }
    rv = s_load(r, &z);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                      OIDP_LOGNO(00010) "the session cookie could not be read; starting afresh");
        z = blank(r);
        b->dirty = 1;
    }
    else if (!z && !required) {
        return OIDP_OK;
    }
    else if (!z) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OIDP_LOGNO(00011) "no session for %s: configure Session On, "
                                        "SessionCookieName and SessionCryptoPassphrase here",
                      r->uri);
        *desc = "the login session is not configured";
        return OIDP_ERR_SERVER_ERROR;
    }
    b->z = z;
    s_get(r, z, KEY_SID, &b->sid);
    s_get(r, z, KEY_CSRF, &b->csrf);
    if (!b->sid) {
        return OIDP_OK;
    }
    rv = oidp_store_session_get(&s, r->pool, db, b->sid, c->issuer, &err);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00034), "session lookup", err);
        *desc = "the session store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    if (s && !s->ended && s->expires_at > oidp_util_now() && s->user && !s->user->disabled) {
        b->login = s;
    }
    return OIDP_OK;
}

oidp_err_t oidp_session_load(oidp_browser_t **b, request_rec *r, const oidp_cfg_t *c, oidp_db_t *db,
                             const char **desc)
{
    return load(b, r, c, db, 1, desc);
}

oidp_err_t oidp_session_peek(oidp_browser_t **b, request_rec *r, const oidp_cfg_t *c, oidp_db_t *db,
                             const char **desc)
{
    return load(b, r, c, db, 0, desc);
}

const char *oidp_session_csrf(request_rec *r, oidp_browser_t *b)
{
    if (!b->csrf) {
        b->csrf = oidp_util_random_token(r->pool, 32);
        s_set(r, b->z, KEY_CSRF, b->csrf);
        b->dirty = 1;
    }
    return b->csrf;
}

int oidp_session_csrf_ok(const oidp_browser_t *b, const char *token)
{
    return b->csrf && token && oidp_util_consteq(b->csrf, token);
}

const char *oidp_session_consent_issue(request_rec *r, oidp_browser_t *b, const char *binding)
{
    const char *token = oidp_util_random_token(r->pool, 32);

    if (!token || !b->z) {
        return NULL;
    }
    /* "<token> <issued at> <binding>": one pending consent per browser */
    s_set(r, b->z, KEY_CONSENT,
          apr_psprintf(r->pool, "%s %" APR_INT64_T_FMT " %s", token, oidp_util_now(), binding));
    b->dirty = 1;
    return token;
}

int oidp_session_consent_take(request_rec *r, oidp_browser_t *b, const char *token,
                              const char *binding, apr_int64_t ttl)
{
    const char *stored = NULL;
    char *copy, *t, *at, *bound, *last = NULL, *end = NULL;
    apr_int64_t issued;

    if (!b->z) {
        return 0;
    }
    s_get(r, b->z, KEY_CONSENT, &stored);
    if (!stored) {
        return 0;
    }
    /* used up whatever the answer: a token counts once */
    s_set(r, b->z, KEY_CONSENT, NULL);
    b->dirty = 1;
    copy = apr_pstrdup(r->pool, stored);
    t = apr_strtok(copy, " ", &last);
    at = apr_strtok(NULL, " ", &last);
    bound = apr_strtok(NULL, " ", &last);
    if (!t || !at || !bound || !token || !binding) {
        return 0;
    }
    issued = apr_strtoi64(at, &end, 10);
    if (*end || oidp_util_now() - issued > ttl || oidp_util_now() < issued) {
        return 0;
    }
    return oidp_util_consteq(t, token) && oidp_util_consteq(bound, binding);
}

oidp_err_t oidp_session_login(request_rec *r, const oidp_cfg_t *c, oidp_db_t *db, oidp_browser_t *b,
                              const oidp_user_t *u, const char *amr, const char *acr,
                              const char **desc)
{
    oidp_session_t *s = apr_pcalloc(r->pool, sizeof(*s));
    const char *err = NULL;

    s->sid = oidp_util_random_token(r->pool, 32);
    s->issuer = c->issuer;
    s->user_id = u->id;
    s->auth_time = s->created_at = oidp_util_now();
    s->expires_at = s->created_at + oidp_cfg_session_ttl(c);
    s->amr = amr;
    s->acr = acr;
    s->user = u;
    if (!s->sid) {
        *desc = "no randomness";
        return OIDP_ERR_SERVER_ERROR;
    }
    if (oidp_store_session_insert(r->pool, db, s, &err) != APR_SUCCESS) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00035), "session insert", err);
        *desc = "the session store is unavailable";
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    /* a fresh sid and CSRF token at each login: no session fixation */
    b->sid = s->sid;
    b->csrf = oidp_util_random_token(r->pool, 32);
    b->login = s;
    s_set(r, b->z, KEY_SID, b->sid);
    s_set(r, b->z, KEY_CSRF, b->csrf);
    b->dirty = 1;
    return OIDP_OK;
}

oidp_err_t oidp_session_logout(request_rec *r, oidp_db_t *db, oidp_browser_t *b)
{
    const char *err = NULL;
    oidp_err_t e = OIDP_OK;

    if (b->sid && oidp_store_session_end(r->pool, db, b->sid, &err) != APR_SUCCESS) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00036), "session end", err);
        e = OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    if (b->z) {
        s_set(r, b->z, KEY_SID, NULL);
        s_set(r, b->z, KEY_CSRF, NULL);
        s_set(r, b->z, KEY_CONSENT, NULL);
        b->dirty = 1;
    }
    b->sid = NULL;
    b->csrf = NULL;
    b->login = NULL;
    return e;
}

void oidp_session_save(request_rec *r, const oidp_cfg_t *c, oidp_browser_t *b)
{
    const apr_array_header_t *h = apr_table_elts(r->err_headers_out);
    int before = h->nelts, i;
    session_rec *z = b->z;

    if (!z || !b->dirty || z->written) {
        return;
    }
    z->dirty = 1;
    if (s_save(r, z) != APR_SUCCESS) {
        return; /* mod_session has logged why */
    }
    b->dirty = 0;
    if (strncasecmp(c->issuer, "https:", 6) != 0) {
        return;
    }
    /* behind TLS (here or at a load balancer) the cookie is Secure */
    h = apr_table_elts(r->err_headers_out);
    for (i = before; i < h->nelts; i++) {
        apr_table_entry_t *e = &((apr_table_entry_t *)h->elts)[i];
        const char *attrs = e->val ? strchr(e->val, ';') : NULL;
        if (e->key && strcasecmp(e->key, "Set-Cookie") == 0 && e->val
            && !(attrs && ap_strcasestr(attrs, "secure"))) {
            e->val = apr_pstrcat(r->pool, e->val, ";Secure", NULL);
        }
    }
}
