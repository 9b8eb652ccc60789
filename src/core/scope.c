/*
 * Scope lists (RFC 6749 3.3).
 */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "oidp_scope.h"

static int scope_char_ok(unsigned char c)
{
    /* NQCHAR: %x21 / %x23-5B / %x5D-7E */
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

/* One pass over the text; duplicates are found in a hash, so the work is
 * linear in the length of the input whatever it holds. */
apr_status_t oidp_scope_split(apr_array_header_t **out, apr_pool_t *p, const char *scope,
                              int max_values, apr_size_t max_len, const char **err)
{
    apr_array_header_t *a = apr_array_make(p, 8, sizeof(const char *));
    apr_hash_t *seen = apr_hash_make(p);
    const char *s = scope ? scope : "";

    *out = NULL;
    while (*s) {
        const char *start;
        apr_size_t n;

        if (*s == ' ') {
            s++;
            continue;
        }
        start = s;
        while (*s && *s != ' ') {
            if (!scope_char_ok((unsigned char)*s)) {
                *err = "a scope holds a character that is not allowed";
                return APR_EINVAL;
            }
            s++;
        }
        n = (apr_size_t)(s - start);
        if (max_len && n > max_len) {
            *err = "a scope value is too long";
            return APR_EINVAL;
        }
        if (!apr_hash_get(seen, start, (apr_ssize_t)n)) {
            char *tok = apr_pstrmemdup(p, start, n);
            if (max_values && a->nelts >= max_values) {
                *err = "too many scope values";
                return APR_EINVAL;
            }
            apr_hash_set(seen, tok, (apr_ssize_t)n, tok);
            APR_ARRAY_PUSH(a, const char *) = tok;
        }
    }
    *out = a;
    return APR_SUCCESS;
}

apr_array_header_t *oidp_scope_parse(apr_pool_t *p, const char *scope)
{
    apr_array_header_t *out = NULL;
    const char *err = NULL;

    oidp_scope_split(&out, p, scope, OIDP_SCOPE_MAX_VALUES, OIDP_SCOPE_MAX_LEN, &err);
    return out;
}

apr_hash_t *oidp_scope_set(apr_pool_t *p, const apr_array_header_t *scopes)
{
    apr_hash_t *h = apr_hash_make(p);
    int i;

    for (i = 0; scopes && i < scopes->nelts; i++) {
        const char *s = APR_ARRAY_IDX(scopes, i, const char *);
        apr_hash_set(h, s, APR_HASH_KEY_STRING, s);
    }
    return h;
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
