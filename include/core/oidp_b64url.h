/*
 * base64url without padding (RFC 7515 2). Pure.
 */
#ifndef OIDP_B64URL_H
#define OIDP_B64URL_H

#include <apr_pools.h>

/* base64url without padding (RFC 7515 2). decode rejects padding and any
 * character outside the alphabet and returns APR_EINVAL. */
char *oidp_b64url_encode(apr_pool_t *p, const unsigned char *data, apr_size_t len);
apr_status_t oidp_b64url_decode(unsigned char **out, apr_size_t *outlen, apr_pool_t *p,
                                const char *in, apr_size_t inlen);

#endif /* OIDP_B64URL_H */
