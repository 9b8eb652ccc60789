/*
 * base64url without padding (RFC 4648 5, RFC 7515 2).
 */
#include <apr_strings.h>

#include "oidp_b64url.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *oidp_b64url_encode(apr_pool_t *p, const unsigned char *d, apr_size_t len)
{
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1);
    char *o = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        *o++ = b64url[d[i] >> 2];
        *o++ = b64url[((d[i] & 0x03) << 4) | (d[i + 1] >> 4)];
        *o++ = b64url[((d[i + 1] & 0x0f) << 2) | (d[i + 2] >> 6)];
        *o++ = b64url[d[i + 2] & 0x3f];
    }
    if (len - i == 1) {
        *o++ = b64url[d[i] >> 2];
        *o++ = b64url[(d[i] & 0x03) << 4];
    }
    else if (len - i == 2) {
        *o++ = b64url[d[i] >> 2];
        *o++ = b64url[((d[i] & 0x03) << 4) | (d[i + 1] >> 4)];
        *o++ = b64url[(d[i + 1] & 0x0f) << 2];
    }
    *o = '\0';
    return out;
}

static int b64url_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

apr_status_t oidp_b64url_decode(unsigned char **out, apr_size_t *outlen, apr_pool_t *p,
                                const char *in, apr_size_t inlen)
{
    unsigned char *o;
    apr_size_t i, n = 0;
    apr_uint32_t acc = 0;
    int bits = 0;

    if (inlen % 4 == 1) {
        return APR_EINVAL;
    }
    o = apr_palloc(p, inlen / 4 * 3 + 3);
    for (i = 0; i < inlen; i++) {
        int v = b64url_val((unsigned char)in[i]);
        if (v < 0) {
            return APR_EINVAL;
        }
        acc = (acc << 6) | (apr_uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) { /* non-canonical: unused trailing bits must be zero */
        return APR_EINVAL;
    }
    o[n] = '\0';
    *out = o;
    *outlen = n;
    return APR_SUCCESS;
}
