/*
 * Authentication context classes (the acr claim, OpenID Connect Core 2):
 * the small table of values this provider reaches, each with a level, so
 * that an acr_values or an essential acr request is met by a sign-in of at
 * least the level of one of the values asked for. httpd-free.
 */
#ifndef OIDP_ACR_H
#define OIDP_ACR_H

#include <apr_pools.h>

#define OIDP_ACR_PASSWORD "password" /* a password: the login form, Basic upstream */
#define OIDP_ACR_UPSTREAM "upstream" /* another Apache module (SAML, ...) said who */
#define OIDP_ACR_X509 "x509"         /* a client certificate mod_ssl verified */
#define OIDP_ACR_KERBEROS "kerberos" /* Kerberos (SPNEGO, mod_auth_gssapi) */

/* The values, NULL-terminated, for discovery's acr_values_supported. */
extern const char *const oidp_acr_supported[];

/* The level of acr (1 or more), 0 for NULL or a value not in the table. */
int oidp_acr_level(const char *acr);

/* What a request asks for. *level: the lowest level among the known
 * values of acr_values (space-separated, may be NULL) and of the claims
 * request's id_token acr (value or values; claims is the parameter's JSON,
 * NULL for none, already checked by oidp_claims_request_parse); 0: nothing
 * known asked for (a session below it signs in again). *essential: 0, or
 * the level the claims request's essential acr needs (the lowest of its
 * known values; 1 when it names none); *essential_unknown: it is essential
 * and none of its values is known (it cannot be met). */
void oidp_acr_request(apr_pool_t *p, const char *acr_values, const char *claims, int *level,
                      int *essential, int *essential_unknown);

#endif /* OIDP_ACR_H */
