/*
 * Throttling at the edges that check credentials (src/httpd/throttle.c):
 * the counters of the pure policy (include/core/oidp_throttle.h) kept in
 * the database (schema 4, oidp_throttle), keyed by a digest of the subject
 * (the account as typed at the login form, or the client_id) and of the
 * client address (r->useragent_addr, so mod_remoteip behind a proxy; an
 * IPv6 address by its /64). Around whatever checks the credential:
 *
 *   e = oidp_throttle_check(&t, r, db, OIDP_THROTTLE_LOGIN, username, &wait);
 *   if (e == OIDP_OK) {
 *       e = oidp_throttle_done(t, r, db, oidp_authn_password(...), &wait);
 *   }
 *
 * Unknown accounts and clients are counted like known ones.
 */
#ifndef OIDP_THROTTLING_H
#define OIDP_THROTTLING_H

#include <httpd.h>
#include "oidp_error.h"
#include "oidp_store.h"

typedef enum {
    OIDP_THROTTLE_LOGIN,  /* passwords at the login form */
    OIDP_THROTTLE_CLIENT, /* client secrets */
} oidp_throttle_kind_e;

typedef struct oidp_throttle_t oidp_throttle_t;

/* Before the credential is checked: OIDP_OK to check it (*t to pass to
 * oidp_throttle_done); OIDP_ERR_TOO_MANY_ATTEMPTS when this attempt must
 * wait *wait seconds (the credential is not checked; Retry-After is noted
 * for the error's renderer); TEMPORARILY_UNAVAILABLE when the store fails.
 * Throttling off or an exempt address: OIDP_OK and nothing counted. */
oidp_err_t oidp_throttle_check(oidp_throttle_t **t, request_rec *r, oidp_db_t *db,
                               oidp_throttle_kind_e kind, const char *subject, apr_int64_t *wait);

/* The two counters oidp_throttle_check reads for this attempt: 1 with their
 * keys, 0 when nothing is counted (throttling off, an exempt address). */
int oidp_throttle_keys(const char **subject_key, const char **address_key, request_rec *r,
                       oidp_throttle_kind_e kind, const char *subject);

/* oidp_throttle_check with the counters of those keys already read (by the
 * statement that read the client: oidp_store_client_get_counted). */
oidp_err_t oidp_throttle_check_counted(oidp_throttle_t **t, request_rec *r,
                                       oidp_throttle_kind_e kind, const char *subject_key,
                                       const char *address_key,
                                       const oidp_throttle_count_t *subject,
                                       const oidp_throttle_count_t *address, apr_int64_t *wait);

/* After the check, with its outcome: OIDP_OK (the credential was right)
 * clears the subject's counter; any other outcome but
 * TEMPORARILY_UNAVAILABLE counts a failure of the subject and the address.
 * Returns the outcome, or TEMPORARILY_UNAVAILABLE if the store fails;
 * *wait (may be NULL) is the wait this failure engaged, 0 if none. */
oidp_err_t oidp_throttle_done(oidp_throttle_t *t, request_rec *r, oidp_db_t *db, oidp_err_t outcome,
                              apr_int64_t *wait);

/* The sentence for a person: "Too many attempts. Try again in N seconds." */
const char *oidp_throttle_message(apr_pool_t *p, apr_int64_t wait);

#endif /* OIDP_THROTTLING_H */
