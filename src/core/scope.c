/*
 * Scope lists (RFC 6749 3.3).
 */
#include <string.h>

#include <apr_strings.h>

#include "oidp_scope.h"

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
