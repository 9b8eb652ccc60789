/*
 * Throttling of guessing (passwords at the login form, client secrets at
 * the endpoints that authenticate clients): the pure policy. Counters are
 * kept per subject (an account as typed, or a client_id) and per client
 * address (src/httpd/throttle.c keeps them in the database); this file
 * decides from them how long an attempt must wait. Pure.
 *
 * After `free_attempts` failures a key waits 1 s, then 2, 4, 8 ... up to
 * `max_delay` seconds after each further failure; failures are forgotten
 * `window` seconds after the last one. The wait of an address applies to
 * every attempt from it. The wait of a subject applies only to addresses
 * that have failed themselves within the window: a clean address is never
 * held by failures made elsewhere, so guessing from many addresses costs
 * each address its clean state, and nobody can lock a real user out for
 * longer than the window (a correct password from a clean address gets in
 * at once).
 */
#ifndef OIDP_THROTTLE_H
#define OIDP_THROTTLE_H

#include <apr.h>
#include "oidp_store.h"

typedef struct oidp_throttle_policy_t {
    int free_attempts; /* failures allowed before the first delay */
    int max_delay;     /* seconds: the longest wait after one failure */
    int window;        /* seconds of quiet after which failures are forgotten */
} oidp_throttle_policy_t;

/* The wait imposed by the n-th failure: 0 while n <= free_attempts, then
 * 1, 2, 4 ... seconds, at most max_delay. */
apr_int64_t oidp_throttle_delay(const oidp_throttle_policy_t *p, apr_int64_t n);

/* Counters whose last failure is older than this are forgotten: the window,
 * and never before the longest delay has run out. */
apr_int64_t oidp_throttle_forget_before(const oidp_throttle_policy_t *p, apr_int64_t now);

/* The failures of a counter that still count at now (0 if forgotten). */
apr_int64_t oidp_throttle_live(const oidp_throttle_policy_t *p, const oidp_throttle_count_t *c,
                               apr_int64_t now);

/* Seconds the key of counter c must still wait at now (0: it may try). */
apr_int64_t oidp_throttle_wait(const oidp_throttle_policy_t *p, const oidp_throttle_count_t *c,
                               apr_int64_t now);

/* Seconds an attempt on subject from address must wait (0: check it): the
 * address's own wait, and the subject's for an address that has failed. */
apr_int64_t oidp_throttle_attempt_wait(const oidp_throttle_policy_t *p,
                                       const oidp_throttle_count_t *subject,
                                       const oidp_throttle_count_t *address, apr_int64_t now);

#endif /* OIDP_THROTTLE_H */
