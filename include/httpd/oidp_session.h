/*
 * The browser's login session: mod_session carries it (its cookie encrypted
 * by mod_session_crypto) and holds only a session id (sid), a CSRF token
 * and the pending consent token; the session itself is a row in oidp_session, so that it can be ended
 * server-side and seen by every node sharing the database.
 */
#ifndef OIDP_SESSION_H
#define OIDP_SESSION_H

#include <httpd.h>
#include "oidp_config.h"
#include "oidp_error.h"
#include "oidp_store.h"

typedef struct oidp_browser_t {
    void *z;               /* mod_session's session_rec */
    const char *sid;       /* from the cookie */
    const char *csrf;      /* from the cookie */
    oidp_session_t *login; /* the live login session with its user, or NULL */
    int dirty;             /* the cookie must be written */
} oidp_browser_t;

/* Looks up mod_session's functions (configuration time). Non-zero if loaded. */
int oidp_session_init(void);

/* The browser session of this request, and the login it names if that is
 * still live (not ended, not expired, user present and enabled). Fails
 * with SERVER_ERROR when no session is configured for this location
 * (Session On and SessionCookieName), TEMPORARILY_UNAVAILABLE when the
 * store is down. */
oidp_err_t oidp_session_load(oidp_browser_t **b, request_rec *r, const oidp_cfg_t *c, oidp_db_t *db,
                             const char **desc);

/* Like oidp_session_load where a session is optional (a location without
 * Session On simply has none): never fails for that reason. */
oidp_err_t oidp_session_peek(oidp_browser_t **b, request_rec *r, const oidp_cfg_t *c, oidp_db_t *db,
                             const char **desc);

/* The CSRF token of the browser session (created on first use). */
const char *oidp_session_csrf(request_rec *r, oidp_browser_t *b);
int oidp_session_csrf_ok(const oidp_browser_t *b, const char *token);

/* A one-time token for the consent page about to be shown, kept in the
 * browser session with the time and binding (a digest of the request and
 * the login the page follows); a new one replaces the last. NULL without
 * randomness or a session. */
const char *oidp_session_consent_issue(request_rec *r, oidp_browser_t *b, const char *binding);
/* Non-zero when token is the pending consent token, issued for binding at
 * most ttl seconds ago. The pending token is used up either way. */
int oidp_session_consent_take(request_rec *r, oidp_browser_t *b, const char *token,
                              const char *binding, apr_int64_t ttl);

/* Starts a new login session for u (fresh sid and CSRF token), recording
 * how u authenticated: amr (space-separated RFC 8176 values, OIDP_AMR_*)
 * and acr (or NULL), which the ID tokens of its grants carry. */
oidp_err_t oidp_session_login(request_rec *r, const oidp_cfg_t *c, oidp_db_t *db, oidp_browser_t *b,
                              const oidp_user_t *u, const char *amr, const char *acr,
                              const char **desc);

/* Ends the login session: the row is marked ended, the cookie emptied. */
oidp_err_t oidp_session_logout(request_rec *r, oidp_db_t *db, oidp_browser_t *b);

/* Writes the cookie if the session changed; Secure is added when the
 * issuer is https or the cookie's name has the __Host- prefix. */
void oidp_session_save(request_rec *r, const oidp_cfg_t *c, oidp_browser_t *b);

/* Start-up: the SessionCookieName lines of the configuration that apply to
 * server s (those inside s's <VirtualHost>, or if it has none those outside
 * every <VirtualHost>). Returns a sentence
 * when a __Host- cookie has a Domain or a path other than "/" (browsers
 * refuse it); warns when an https issuer's cookie lacks the prefix, or an
 * http issuer's has it. NULL otherwise. */
const char *oidp_session_check_cookie(apr_pool_t *p, server_rec *s, const char *issuer);

#endif /* OIDP_SESSION_H */
