/*
 * Small pure helpers: randomness, digests, constant-time comparison, time,
 * word lists.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "oidp_b64url.h"
#include "oidp_util.h"

char *oidp_util_random_token(apr_pool_t *p, apr_size_t nbytes)
{
    unsigned char buf[64];

    if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1) {
        return NULL;
    }
    return oidp_b64url_encode(p, buf, nbytes);
}

char *oidp_util_sha256_hex(apr_pool_t *p, const char *s, apr_size_t len)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    char *out;

    if (!EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL)) {
        return NULL;
    }
    out = apr_palloc(p, mdlen * 2 + 1);
    for (i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[2 * mdlen] = '\0';
    return out;
}

int oidp_util_consteq(const char *a, const char *b)
{
    size_t la, lb;

    if (!a || !b) {
        return 0;
    }
    la = strlen(a);
    lb = strlen(b);
    if (la != lb) {
        return 0;
    }
    return CRYPTO_memcmp(a, b, la) == 0;
}

char *oidp_util_uuid(apr_pool_t *p)
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        return NULL;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    return apr_psprintf(p, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                        b[12], b[13], b[14], b[15]);
}

apr_int64_t oidp_util_now(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

int oidp_util_word_in(const char *list, const char *word)
{
    apr_size_t wl = strlen(word);
    const char *s = list;

    while (s && *s) {
        const char *e;
        while (*s == ' ' || *s == ',') {
            s++;
        }
        e = s;
        while (*e && *e != ' ' && *e != ',') {
            e++;
        }
        if ((apr_size_t)(e - s) == wl && wl > 0 && strncmp(s, word, wl) == 0) {
            return 1;
        }
        s = e;
    }
    return 0;
}
