/*
 * Small pure helpers: randomness, digests, constant-time comparison, time,
 * pool-bound JSON and scope lists.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "oidp_jose.h"
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
    return apr_psprintf(p,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                        b[12], b[13], b[14], b[15]);
}

apr_int64_t oidp_util_now(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

/* ------------------------------------------------------------------ */

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

json_t *oidp_json_bind(apr_pool_t *p, json_t *j)
{
    if (j) {
        apr_pool_cleanup_register(p, j, json_release, apr_pool_cleanup_null);
    }
    return j;
}

char *oidp_json_dump(apr_pool_t *p, const json_t *j, apr_size_t *len)
{
    char *s = json_dumps(j, JSON_COMPACT);
    char *out;
    apr_size_t n;

    if (!s) {
        return NULL;
    }
    n = strlen(s);
    out = apr_pmemdup(p, s, n + 1);
    free(s);
    if (len) {
        *len = n;
    }
    return out;
}

/* ------------------------------------------------------------------ */

static int scope_char_ok(unsigned char c)
{
    /* NQCHAR: %x21 / %x23-5B / %x5D-7E */
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

apr_array_header_t *oidp_scope_parse(apr_pool_t *p, const char *scope)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    const char *s = scope ? scope : "";

    while (*s) {
        const char *start;
        char *tok;

        if (*s == ' ') {
            s++;
            continue;
        }
        start = s;
        while (*s && *s != ' ') {
            if (!scope_char_ok((unsigned char)*s)) {
                return NULL;
            }
            s++;
        }
        tok = apr_pstrmemdup(p, start, (apr_size_t)(s - start));
        if (!oidp_scope_has(out, tok)) {
            APR_ARRAY_PUSH(out, const char *) = tok;
        }
    }
    return out;
}

int oidp_scope_has(const apr_array_header_t *scopes, const char *scope)
{
    int i;

    for (i = 0; scopes && i < scopes->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(scopes, i, const char *), scope) == 0) {
            return 1;
        }
    }
    return 0;
}

char *oidp_scope_join(apr_pool_t *p, const apr_array_header_t *scopes)
{
    return apr_array_pstrcat(p, scopes, ' ');
}

int oidp_word_in(const char *list, const char *word)
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
