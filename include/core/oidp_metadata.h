/*
 * OpenID Provider metadata (OpenID Connect Discovery 1.0, RFC 8414): the
 * endpoints a provider advertises and the discovery document. Pure.
 */
#ifndef OIDP_METADATA_H
#define OIDP_METADATA_H

#include <apr_pools.h>
#include "oidp_jose.h"

/* Endpoints advertised in discovery. The paths are where the admin maps the
 * matching handler with <Location path> SetHandler oidc-idp-...; they are
 * made absolute with the issuer's origin. */
typedef enum {
    OIDP_EP_AUTHORIZATION,
    OIDP_EP_TOKEN,
    OIDP_EP_USERINFO,
    OIDP_EP_JWKS,
    OIDP_EP_INTROSPECTION,
    OIDP_EP_REVOCATION,
    OIDP_EP_END_SESSION,
    OIDP_EP__COUNT
} oidp_endpoint_e;

/* What the discovery document is made of. */
typedef struct oidp_metadata_t {
    const char *issuer;
    const char *endpoint_url[OIDP_EP__COUNT]; /* absolute URLs */
    const oidp_keyset_t *keys;                /* their algs are advertised, RS256 first */
    int plain_pkce;                           /* code_challenge_method plain allowed */
} oidp_metadata_t;

/* The grant types the token endpoint serves (grant_types_supported; what
 * oidc-idp-admin lets a client register), NULL-terminated. */
extern const char *const oidp_metadata_grant_types[];

/* The discovery document as compact JSON. */
const char *oidp_metadata_json(apr_pool_t *p, const oidp_metadata_t *m);

#endif /* OIDP_METADATA_H */
