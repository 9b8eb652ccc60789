/*
 * Throttling glue (include/httpd/oidp_throttling.h): keys, the counters in
 * the store, the audit events. The policy is src/core/throttle.c.
 */
#include <string.h>

#include <apr_network_io.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_config.h"
#include "oidp_dbd.h"
#include "oidp_throttle.h"
#include "oidp_throttling.h"
#include "oidp_util.h"

struct oidp_throttle_t {
    oidp_throttle_kind_e kind;
    oidp_throttle_policy_t policy;
    const char *subject_key;
    const char *address_key;
    oidp_throttle_count_t subject;
    oidp_throttle_count_t address;
    apr_int64_t now;
};

static const char *const subject_names[] = {"account", "client"};
static const char *const address_names[] = {"address", "client_address"};

/* The address as counted: IPv4 whole, IPv6 by its /64 (one host has a
 * whole /64 to pick from). */
static const char *address_of(request_rec *r)
{
    apr_sockaddr_t *sa = r->useragent_addr;

#if APR_HAVE_IPV6
    if (sa && sa->family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED((struct in6_addr *)sa->ipaddr_ptr)) {
        const unsigned char *b = sa->ipaddr_ptr;
        return apr_psprintf(r->pool, "%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0], b[1], b[2],
                            b[3], b[4], b[5], b[6], b[7]);
    }
#endif
    return r->useragent_ip ? r->useragent_ip : "";
}

static int exempt(const oidp_cfg_t *c, request_rec *r)
{
    int i;

    for (i = 0; c->throttle_exempt && r->useragent_addr && i < c->throttle_exempt->nelts; i++) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(c->throttle_exempt, i, apr_ipsubnet_t *),
                              r->useragent_addr)) {
            return 1;
        }
    }
    return 0;
}

/* "<kind>:<sha256 hex>": the value as typed is never stored */
static const char *key(apr_pool_t *p, char kind, const char *value)
{
    return apr_pstrcat(p, apr_psprintf(p, "%c:", kind),
                       oidp_util_sha256_hex(p, value, strlen(value)), NULL);
}

int oidp_throttle_keys(const char **subject_key, const char **address_key, request_rec *r,
                       oidp_throttle_kind_e kind, const char *subject)
{
    const oidp_cfg_t *c = ap_get_module_config(r->server->module_config, &oidc_idp_module);

    *subject_key = *address_key = NULL;
    if (!c || !oidp_cfg_throttle(c) || exempt(c, r)) {
        return 0;
    }
    *subject_key = key(r->pool, kind == OIDP_THROTTLE_LOGIN ? 'u' : 'c', subject ? subject : "");
    *address_key = key(r->pool, kind == OIDP_THROTTLE_LOGIN ? 'a' : 'k', address_of(r));
    return 1;
}

static oidp_err_t check(oidp_throttle_t **out, request_rec *r, oidp_throttle_t *t,
                        apr_int64_t *wait);

oidp_err_t oidp_throttle_check(oidp_throttle_t **out, request_rec *r, oidp_db_t *db,
                               oidp_throttle_kind_e kind, const char *subject, apr_int64_t *wait)
{
    oidp_throttle_count_t s, a;
    const char *sk, *ak, *err = NULL;

    *out = NULL;
    *wait = 0;
    if (!oidp_throttle_keys(&sk, &ak, r, kind, subject)) {
        return OIDP_OK;
    }
    if (oidp_store_throttle_get(&s, &a, r->pool, db, sk, ak, &err) != APR_SUCCESS) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00253), "throttle lookup", err);
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    return oidp_throttle_check_counted(out, r, kind, sk, ak, &s, &a, wait);
}

oidp_err_t oidp_throttle_check_counted(oidp_throttle_t **out, request_rec *r,
                                       oidp_throttle_kind_e kind, const char *subject_key,
                                       const char *address_key,
                                       const oidp_throttle_count_t *subject,
                                       const oidp_throttle_count_t *address, apr_int64_t *wait)
{
    const oidp_cfg_t *c = ap_get_module_config(r->server->module_config, &oidc_idp_module);
    oidp_throttle_t *t = apr_pcalloc(r->pool, sizeof(*t));

    t->kind = kind;
    t->policy = oidp_cfg_throttle_policy(c);
    t->subject_key = subject_key;
    t->address_key = address_key;
    t->subject = *subject;
    t->address = *address;
    t->now = oidp_util_now();
    return check(out, r, t, wait);
}

static oidp_err_t check(oidp_throttle_t **out, request_rec *r, oidp_throttle_t *t,
                        apr_int64_t *wait)
{
    oidp_throttle_kind_e kind = t->kind;

    *out = NULL;
    *wait = oidp_throttle_attempt_wait(&t->policy, &t->subject, &t->address, t->now);
    if (*wait > 0) {
        apr_table_setn(r->notes, OIDP_NOTE_RETRY_AFTER,
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT, *wait));
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OIDP_LOGNO(00254) "throttled: %s attempt refused for %" APR_INT64_T_FMT
                                        " s without checking it",
                      kind == OIDP_THROTTLE_LOGIN ? "sign-in" : "client authentication", *wait);
        oidp_audit(r, kind == OIDP_THROTTLE_LOGIN ? "signin" : "client_auth_failed", "outcome",
                   "failure", "reason", "throttled", "retry_after",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, *wait), NULL);
        return OIDP_ERR_TOO_MANY_ATTEMPTS;
    }
    *out = t;
    return OIDP_OK;
}

static oidp_err_t fail(oidp_throttle_t *t, request_rec *r, oidp_db_t *db, apr_int64_t *wait)
{
    apr_int64_t forget = oidp_throttle_forget_before(&t->policy, t->now);
    oidp_throttle_count_t s, a;
    apr_int64_t sw, aw;
    const char *err = NULL;

    if (oidp_store_throttle_fail(&s, r->pool, db, t->subject_key, t->now, forget, &err)
            != APR_SUCCESS
        || oidp_store_throttle_fail(&a, r->pool, db, t->address_key, t->now, forget, &err)
               != APR_SUCCESS) {
        OIDP_STORE_ERROR(r, OIDP_LOGNO(00255), "counting a failed attempt", err);
        return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
    }
    sw = oidp_throttle_wait(&t->policy, &s, t->now);
    aw = oidp_throttle_wait(&t->policy, &a, t->now);
    if (sw > 0) {
        oidp_audit(r, "throttle_engaged", "key", subject_names[t->kind], "failures",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, s.failures), "retry_after",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, sw), NULL);
    }
    if (aw > 0) {
        oidp_audit(r, "throttle_engaged", "key", address_names[t->kind], "failures",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, a.failures), "retry_after",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, aw), NULL);
    }
    if (wait) {
        /* what the next attempt from this address will have to wait */
        *wait = oidp_throttle_attempt_wait(&t->policy, &s, &a, t->now);
    }
    return OIDP_OK;
}

oidp_err_t oidp_throttle_done(oidp_throttle_t *t, request_rec *r, oidp_db_t *db, oidp_err_t outcome,
                              apr_int64_t *wait)
{
    const char *err = NULL;
    oidp_err_t e;

    if (wait) {
        *wait = 0;
    }
    if (!t || outcome == OIDP_ERR_TEMPORARILY_UNAVAILABLE) {
        return outcome;
    }
    if (outcome != OIDP_OK) {
        e = fail(t, r, db, wait);
        return e != OIDP_OK ? e : outcome;
    }
    if (oidp_throttle_live(&t->policy, &t->subject, t->now)) {
        /* the right credential: the subject's failures are forgiven (the
         * address's are not: signing in to one's own account must not
         * clear an address that guesses at others) */
        if (oidp_store_throttle_clear(r->pool, db, t->subject_key, &err) != APR_SUCCESS) {
            OIDP_STORE_ERROR(r, OIDP_LOGNO(00256), "clearing a throttle counter", err);
            return OIDP_ERR_TEMPORARILY_UNAVAILABLE;
        }
        oidp_audit(r, "throttle_released", "key", subject_names[t->kind], "failures",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, t->subject.failures), NULL);
    }
    return OIDP_OK;
}

const char *oidp_throttle_message(apr_pool_t *p, apr_int64_t wait)
{
    return apr_psprintf(p, "Too many attempts. Try again in %" APR_INT64_T_FMT " second%s.", wait,
                        wait == 1 ? "" : "s");
}
