/*
 * PKCE (RFC 7636): challenge syntax and verifier checks. Pure.
 */
#ifndef OIDP_PKCE_H
#define OIDP_PKCE_H

#include <apr_pools.h>

/* Is this a syntactically valid code_challenge for method ("S256" or
 * "plain")? S256: 43 base64url characters; plain: 43-128 unreserved. */
int oidp_pkce_challenge_ok(const char *challenge, const char *method);

/* Does the code_verifier (43-128 unreserved characters) match? */
int oidp_pkce_verify(apr_pool_t *p, const char *method, const char *challenge,
                     const char *verifier);

#endif /* OIDP_PKCE_H */
