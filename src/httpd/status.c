/*
 * Counters in shared memory for mod_status (include/httpd/oidp_status.h).
 *
 * One anonymous apr_shm segment, made by the parent in post_config before
 * the children fork: every child maps the same counters. pconf owns it, so
 * a restart (graceful or not) destroys it with the configuration and the
 * next post_config makes a zeroed one; children of the previous generation
 * keep their mapping until they exit, and their last requests are not
 * counted in the new one. The pointer is the only global: written by
 * post_config, read-only in the children.
 */
#include <stdarg.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_optional.h>
#include <apr_optional_hooks.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <mod_status.h>

#include "oidc_idp.h"
#include "oidp_status.h"

/* the handlers timed, and their names in the ?auto form */
static const struct {
    const char *handler;
    const char *name;
} endpoints[] = {
    {"oidc-idp-discovery", "Discovery"}, {"oidc-idp-jwks", "JWKS"},
    {"oidc-idp-authorize", "Authorize"}, {"oidc-idp-token", "Token"},
    {"oidc-idp-refresh", "Refresh"},     {"oidc-idp-userinfo", "UserInfo"},
    {"oidc-idp-account", "Account"},     {"oidc-idp-introspect", "Introspect"},
    {"oidc-idp-revoke", "Revoke"},       {"oidc-idp-logout", "Logout"},
};
#define N_ENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

/* the counters' names in the ?auto form (OIDCIdP<name>: value) and the
 * HTML page */
static const char *const counter_names[OIDP_STAT__COUNT] = {
    [OIDP_STAT_SIGNIN_OK] = "SignInsOK",
    [OIDP_STAT_SIGNIN_FAILED] = "SignInsFailed",
    [OIDP_STAT_TOKEN_AUTHORIZATION_CODE] = "TokensAuthorizationCode",
    [OIDP_STAT_TOKEN_REFRESH_TOKEN] = "TokensRefreshToken",
    [OIDP_STAT_TOKEN_CLIENT_CREDENTIALS] = "TokensClientCredentials",
    [OIDP_STAT_REFRESH] = "Refreshes",
    [OIDP_STAT_REVOCATION] = "Revocations",
    [OIDP_STAT_REPLAY] = "ReplaysDetected",
    [OIDP_STAT_THROTTLE] = "ThrottlesEngaged",
    [OIDP_STAT_DB_ERROR] = "DatabaseErrors",
};

typedef struct {
    volatile apr_uint64_t count;
    volatile apr_uint64_t usec_total;
    volatile apr_uint32_t usec_max;
} latency_t;

typedef struct {
    volatile apr_uint32_t counter[OIDP_STAT__COUNT];
    latency_t latency[N_ENDPOINTS];
} stats_t;

static stats_t *stats;

static apr_status_t forget(void *unused)
{
    (void)unused;
    stats = NULL;
    return APR_SUCCESS;
}

int oidp_status_init(apr_pool_t *pconf, server_rec *s)
{
    apr_shm_t *shm = NULL;
    apr_status_t rv;

    stats = NULL;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    rv = apr_shm_create(&shm, sizeof(stats_t), NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     OIDP_LOGNO(00620) "cannot create the shared memory of the server-status "
                                       "counters (%" APR_SIZE_T_FMT " bytes)",
                     sizeof(stats_t));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    stats = apr_shm_baseaddr_get(shm);
    memset(stats, 0, sizeof(*stats));
    apr_pool_cleanup_register(pconf, NULL, forget, apr_pool_cleanup_null);
    return OK;
}

void oidp_status_count(oidp_stat_e which)
{
    if (stats && which >= 0 && which < OIDP_STAT__COUNT) {
        apr_atomic_inc32(&stats->counter[which]);
    }
}

void oidp_status_event(const char *event, const char *outcome, const char *grant_type)
{
    if (strcmp(event, "signin") == 0 && outcome) {
        if (strcmp(outcome, "success") == 0) {
            oidp_status_count(OIDP_STAT_SIGNIN_OK);
        }
        else if (strcmp(outcome, "failure") == 0) {
            oidp_status_count(OIDP_STAT_SIGNIN_FAILED);
        }
    }
    else if (strcmp(event, "token_issued") == 0 || strcmp(event, "token_refreshed") == 0) {
        if (!grant_type) {
            return;
        }
        if (strcmp(grant_type, "authorization_code") == 0) {
            oidp_status_count(OIDP_STAT_TOKEN_AUTHORIZATION_CODE);
        }
        else if (strcmp(grant_type, "refresh_token") == 0) {
            oidp_status_count(OIDP_STAT_TOKEN_REFRESH_TOKEN);
            oidp_status_count(OIDP_STAT_REFRESH);
        }
        else if (strcmp(grant_type, "client_credentials") == 0) {
            oidp_status_count(OIDP_STAT_TOKEN_CLIENT_CREDENTIALS);
        }
    }
    else if (strcmp(event, "token_revoked") == 0) {
        oidp_status_count(OIDP_STAT_REVOCATION);
    }
    else if (strcmp(event, "code_replayed") == 0 || strcmp(event, "refresh_replayed") == 0) {
        oidp_status_count(OIDP_STAT_REPLAY);
    }
    else if (strcmp(event, "throttle_engaged") == 0) {
        oidp_status_count(OIDP_STAT_THROTTLE);
    }
}

void oidp_status_latency(const char *handler, apr_time_t usec)
{
    size_t i;

    if (!stats || usec < 0) {
        return;
    }
    for (i = 0; i < N_ENDPOINTS; i++) {
        if (strcmp(endpoints[i].handler, handler) == 0) {
            latency_t *l = &stats->latency[i];
            apr_uint32_t u = usec > APR_UINT32_MAX ? APR_UINT32_MAX : (apr_uint32_t)usec;
            apr_uint32_t m = apr_atomic_read32(&l->usec_max);

            apr_atomic_inc64(&l->count);
            apr_atomic_add64(&l->usec_total, (apr_uint64_t)usec);
            while (u > m) {
                apr_uint32_t was = apr_atomic_cas32(&l->usec_max, u, m);
                if (was == m) {
                    break;
                }
                m = was;
            }
            return;
        }
    }
}

/* ap_rprintf, by way of the pool (the unit tests' stubs have ap_rwrite) */
static void out(request_rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(request_rec *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ap_rputs(apr_pvsprintf(r->pool, fmt, ap), r);
    va_end(ap);
}

static int status_hook(request_rec *r, int flags)
{
    size_t i;

    if (!stats) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        for (i = 0; i < OIDP_STAT__COUNT; i++) {
            out(r, "OIDCIdP%s: %u\n", counter_names[i], apr_atomic_read32(&stats->counter[i]));
        }
        for (i = 0; i < N_ENDPOINTS; i++) {
            const latency_t *l = &stats->latency[i];
            out(r,
                "OIDCIdP%sRequests: %" APR_UINT64_T_FMT "\n"
                "OIDCIdP%sMicrosecondsTotal: %" APR_UINT64_T_FMT "\n"
                "OIDCIdP%sMicrosecondsMax: %u\n",
                endpoints[i].name, apr_atomic_read64((volatile apr_uint64_t *)&l->count),
                endpoints[i].name, apr_atomic_read64((volatile apr_uint64_t *)&l->usec_total),
                endpoints[i].name, apr_atomic_read32((volatile apr_uint32_t *)&l->usec_max));
        }
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_oidc_idp (since the last restart, all children)</h2>\n<table>\n", r);
    for (i = 0; i < OIDP_STAT__COUNT; i++) {
        out(r, "<tr><td>%s</td><td>%u</td></tr>\n", counter_names[i],
            apr_atomic_read32(&stats->counter[i]));
    }
    ap_rputs("</table>\n<table border=\"0\">\n<tr><th>endpoint</th><th>requests</th>"
             "<th>mean ms</th><th>max ms</th></tr>\n",
             r);
    for (i = 0; i < N_ENDPOINTS; i++) {
        const latency_t *l = &stats->latency[i];
        apr_uint64_t n = apr_atomic_read64((volatile apr_uint64_t *)&l->count);
        apr_uint64_t t = apr_atomic_read64((volatile apr_uint64_t *)&l->usec_total);
        apr_uint32_t m = apr_atomic_read32((volatile apr_uint32_t *)&l->usec_max);
        out(r, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT "</td><td>%.3f</td><td>%.3f</td></tr>\n",
            endpoints[i].name, n, n ? (double)t / (double)n / 1000.0 : 0.0, (double)m / 1000.0);
    }
    ap_rputs("</table>\n", r);
    return OK;
}

void oidp_status_register(void)
{
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}
