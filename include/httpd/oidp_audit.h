/*
 * The audit log (OIDCIdPAuditLog): one JSON line per security event, in a
 * file or to a program's standard input as CustomLog does, opened by the
 * parent at start-up. Every line has "time" (UTC, ms), "event", "issuer",
 * "ip" and "request_id" (mod_unique_id's UNIQUE_ID, else httpd's log id,
 * else one made for the request), then the event's own fields.
 *
 * Never pass a secret, token, code, password or a value typed by an
 * unauthenticated party (an unknown username or client_id may be a
 * password typed into the wrong field): client ids and usernames of known
 * clients and users, subjects, grant ids, outcomes and reasons only.
 */
#ifndef OIDP_AUDIT_H
#define OIDP_AUDIT_H

#include <httpd.h>

/* post_config: opens the audit log of every server that has one (servers
 * with the same target share it). OK or an HTTP error status. */
int oidp_audit_open(apr_pool_t *pconf, server_rec *s);

/* One event: field names and values in pairs after the event name, ended
 * by NULL; a pair whose value is NULL is left out. Nothing happens when the
 * server has no audit log. One write per line (lines of threads and
 * processes never interleave). */
void oidp_audit(request_rec *r, const char *event, ...);

#endif /* OIDP_AUDIT_H */
