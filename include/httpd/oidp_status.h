/*
 * Counters for mod_status (server-status and its ?auto form): sign-ins,
 * tokens by grant type, refreshes, revocations, replays, throttles,
 * database errors and the latency of each endpoint. They live in one
 * anonymous shared memory segment made by the parent at post_config (so
 * every child adds to the same numbers, as mod_status's scoreboard does)
 * and start from zero at every (graceful) restart. Updated with atomics,
 * no lock.
 */
#ifndef OIDP_STATUS_H
#define OIDP_STATUS_H

#include <httpd.h>

typedef enum {
    OIDP_STAT_SIGNIN_OK,
    OIDP_STAT_SIGNIN_FAILED,
    OIDP_STAT_TOKEN_AUTHORIZATION_CODE,
    OIDP_STAT_TOKEN_REFRESH_TOKEN,
    OIDP_STAT_TOKEN_CLIENT_CREDENTIALS,
    OIDP_STAT_REFRESH,
    OIDP_STAT_REVOCATION,
    OIDP_STAT_REPLAY,
    OIDP_STAT_THROTTLE,
    OIDP_STAT_DB_ERROR,
    OIDP_STAT__COUNT
} oidp_stat_e;

/* post_config: makes the segment (the first, checking pass of the
 * configuration makes none). OK, or an HTTP error status, logged. */
int oidp_status_init(apr_pool_t *pconf, server_rec *s);

/* Adds one to a counter (nothing before oidp_status_init). */
void oidp_status_count(oidp_stat_e which);

/* An audit event (include/httpd/oidp_audit.h) counted by its name, outcome
 * and grant type. */
void oidp_status_event(const char *event, const char *outcome, const char *grant_type);

/* One request of the handler (oidc-idp-token ...) took usec. */
void oidp_status_latency(const char *handler, apr_time_t usec);

/* mod_status's status_hook: registered when mod_status is loaded. */
void oidp_status_register(void);

#endif /* OIDP_STATUS_H */
