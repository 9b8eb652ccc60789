/*
 * oidp_scope_parse and oidp_scope_split (RFC 6749 3.3). Properties: every
 * scope is non-empty, NQCHAR only and listed once; joining and parsing
 * again is stable; without limits a refusal means the input held a
 * character that is neither NQCHAR nor SP; with the limits a refusal
 * means that, or more than OIDP_SCOPE_MAX_VALUES distinct values, or a
 * value longer than OIDP_SCOPE_MAX_LEN.
 */
#include <string.h>

#include "fuzz.h"
#include "oidp_util.h"
#include "oidp_scope.h"

static int nqchar(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *s = fuzz_cstr(data, size);
    apr_array_header_t *a = NULL, *b, *capped = oidp_scope_parse(p, s);
    const char *c, *err = NULL;
    size_t run = 0, longest = 0;
    int i, j, bad = 0;

    for (c = s; *c; c++) {
        bad |= !(nqchar((unsigned char)*c) || *c == ' ');
        run = *c == ' ' ? 0 : run + 1;
        longest = run > longest ? run : longest;
    }
    FUZZ_ASSERT((oidp_scope_split(&a, p, s, 0, 0, &err) != APR_SUCCESS) == (bad != 0));
    FUZZ_ASSERT((a == NULL) == (bad != 0));
    if (a) {
        int over = a->nelts > OIDP_SCOPE_MAX_VALUES || longest > OIDP_SCOPE_MAX_LEN;
        FUZZ_ASSERT((capped == NULL) == over);
        FUZZ_ASSERT(!capped || capped->nelts == a->nelts);
    }
    else {
        FUZZ_ASSERT(capped == NULL);
    }
    if (a) {
        for (i = 0; i < a->nelts; i++) {
            const char *t = APR_ARRAY_IDX(a, i, const char *);
            FUZZ_ASSERT(*t);
            for (c = t; *c; c++) {
                FUZZ_ASSERT(nqchar((unsigned char)*c));
            }
            for (j = 0; j < i; j++) {
                FUZZ_ASSERT(strcmp(t, APR_ARRAY_IDX(a, j, const char *)) != 0);
            }
            FUZZ_ASSERT(oidp_scope_has(a, t));
        }
        FUZZ_ASSERT(oidp_scope_split(&b, p, oidp_scope_join(p, a), 0, 0, &err) == APR_SUCCESS);
        FUZZ_ASSERT(b && b->nelts == a->nelts);
        for (i = 0; i < a->nelts; i++) {
            FUZZ_ASSERT(strcmp(APR_ARRAY_IDX(a, i, const char *), APR_ARRAY_IDX(b, i, const char *))
                        == 0);
        }
    }
    fuzz_done();
    return 0;
}
