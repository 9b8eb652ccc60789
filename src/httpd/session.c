/*
 * Browser sessions through mod_session's optional functions.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include <apr_uuid.h>
#include <httpd.h>
#include <http_log.h>
#include <mod_session.h>
#include <util_cfgtree.h>

#include "oidc_idp.h"
#include "oidp_session.h"
#include "oidp_dbd.h"
#include "oidp_util.h"

#define KEY_SID "oidp.sid"
#define KEY_CSRF "oidp.csrf"
#define KEY_CONSENT "oidp.consent"

/* RFC 6265bis 4.1.3.2: a cookie so named is taken by a browser only with
 * Secure, Path=/ and no Domain, so no other host or path can set it */
#define HOST_PREFIX "__Host-"
#define HOST_PREFIX_LEN (sizeof(HOST_PREFIX) - 1)

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
    int before = h->nelts, i, https;
    session_rec *z = b->z;

    if (!z || !b->dirty || z->written) {
        return;
    }
    z->dirty = 1;
    if (s_save(r, z) != APR_SUCCESS) {
        return; /* mod_session has logged why */
    }
    /* The cookie is written; what stays in z->encoded is its ciphertext.
     * mod_session's output filter loads the session once more (the record
     * itself is cached) and decodes z->encoded again, which would cost
     * mod_session_crypto a second key derivation (PBKDF2, 4096 rounds: as
     * much as the encryption) to learn what z->entries already hold. */
    z->encoded = NULL;
    b->dirty = 0;
    https = strncasecmp(c->issuer, "https:", 6) == 0;
    /* behind TLS (here or at a load balancer) the cookie is Secure; a
     * __Host- cookie always is, or no browser takes it */
    h = apr_table_elts(r->err_headers_out);
    for (i = before; i < h->nelts; i++) {
        apr_table_entry_t *e = &((apr_table_entry_t *)h->elts)[i];
        const char *attrs = e->val ? strchr(e->val, ';') : NULL;
        if (e->key && strcasecmp(e->key, "Set-Cookie") == 0 && e->val
            && (https || strncmp(e->val, HOST_PREFIX, HOST_PREFIX_LEN) == 0)
            && !(attrs && ap_strcasestr(attrs, "secure"))) {
            e->val = apr_pstrcat(r->pool, e->val, ";Secure", NULL);
        }
    }
}

/* Why the attributes of a __Host- cookie make browsers refuse it, or NULL:
 * a Domain, or a path other than "/" (mod_session_cookie sets no path
 * unless told, and the browser then takes the request's folder). */
static const char *host_attrs_problem(apr_pool_t *p, const char *attrs)
{
    char *copy = apr_pstrdup(p, attrs ? attrs : ""), *a, *last = NULL;
    int root = 0;

    for (a = apr_strtok(copy, ";", &last); a; a = apr_strtok(NULL, ";", &last)) {
        char *eq;
        while (apr_isspace(*a)) {
            a++;
        }
        eq = strchr(a, '=');
        if (eq) {
            char *v = eq + 1, *end;
            while (eq > a && apr_isspace(eq[-1])) {
                eq--;
            }
            *eq = '\0';
            while (apr_isspace(*v)) {
                v++;
            }
            for (end = v + strlen(v); end > v && apr_isspace(end[-1]); end--) {
                end[-1] = '\0';
            }
            if (strcasecmp(a, "domain") == 0) {
                return "it has a Domain";
            }
            if (strcasecmp(a, "path") == 0) {
                if (strcmp(v, "/") != 0) {
                    return "its path is not /";
                }
                root = 1;
            }
        }
        else if (strncasecmp(a, "domain", 6) == 0 && !a[6 + strspn(a + 6, " \t")]) {
            return "it has a Domain";
        }
    }
    return root ? NULL : "it has no path=/";
}

/* One SessionCookieName line that applies to a server with issuer iss. */
static const char *check_line(apr_pool_t *p, server_rec *s, const char *iss,
                              const ap_directive_t *d)
{
    char *last = NULL, *line = apr_pstrdup(p, d->args ? d->args : "");
    const char *name = apr_strtok(line, " \t", &last), *why;
    int https = strncasecmp(iss, "https:", 6) == 0;

    if (!name) {
        return NULL;
    }
    while (last && apr_isspace(*last)) {
        last++;
    }
    if (strncmp(name, HOST_PREFIX, HOST_PREFIX_LEN) != 0) {
        if (https) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         OIDP_LOGNO(00300) "the session cookie %s of the https issuer %s "
                                           "(%s:%d) lacks the __Host- prefix: another host or "
                                           "path can plant or overwrite it (SessionCookieName "
                                           "__Host-oidc_idp_session path=/;HttpOnly;SameSite=Lax)",
                         name, iss, d->filename, d->line_num);
        }
        return NULL;
    }
    why = host_attrs_problem(p, last);
    if (why) {
        return apr_psprintf(p,
                            "mod_oidc_idp: the session cookie %s of the issuer %s (%s:%d) has "
                            "the __Host- prefix but %s: browsers refuse it (give it path=/ and "
                            "no Domain)",
                            name, iss, d->filename, d->line_num, why);
    }
    if (!https) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00301) "the session cookie %s of the http issuer %s (%s:%d): "
                                       "browsers take a __Host- cookie only from a secure "
                                       "origin (some count loopback as one); name it without the "
                                       "prefix over plain http",
                     name, iss, d->filename, d->line_num);
    }
    return NULL;
}

/* Collects the SessionCookieName lines below d: into own those inside s's
 * <VirtualHost>, into main those outside every <VirtualHost>. */
static void collect(server_rec *s, const ap_directive_t *d, int in_own, apr_array_header_t *own,
                    apr_array_header_t *main)
{
    for (; d; d = d->next) {
        if (strcasecmp(d->directive, "<VirtualHost") == 0) {
            if (!in_own && s->is_virtual && s->defn_name && d->filename
                && strcmp(s->defn_name, d->filename) == 0
                && (unsigned)d->line_num == s->defn_line_number) {
                collect(s, d->first_child, 1, own, main);
            }
        }
        else if (strcasecmp(d->directive, "SessionCookieName") == 0) {
            *(const ap_directive_t **)apr_array_push(in_own ? own : main) = d;
        }
        else if (d->first_child) {
            collect(s, d->first_child, in_own, own, main);
        }
    }
}

const char *oidp_session_check_cookie(apr_pool_t *p, server_rec *s, const char *issuer)
{
    apr_array_header_t *own = apr_array_make(p, 2, sizeof(const ap_directive_t *));
    apr_array_header_t *main = apr_array_make(p, 2, sizeof(const ap_directive_t *));
    apr_array_header_t *lines;
    const char *err = NULL;
    int i;

    collect(s, ap_conftree, 0, own, main);
    /* a virtual host that names its cookie overrides the main server's
     * (its sections merge after the main server's) */
    lines = own->nelts ? own : main;
    for (i = 0; i < lines->nelts && !err; i++) {
        err = check_line(p, s, issuer, APR_ARRAY_IDX(lines, i, const ap_directive_t *));
    }
    return err;
}
