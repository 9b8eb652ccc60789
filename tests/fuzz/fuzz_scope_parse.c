/*
 * oidp_scope_parse (RFC 6749 3.3). Properties: every scope is non-empty,
 * NQCHAR only and listed once; joining and parsing again is stable; a
 * refusal means the input held a character that is neither NQCHAR nor SP.
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
    apr_array_header_t *a = oidp_scope_parse(p, s), *b;
    const char *c;
    int i, j, bad = 0;

    for (c = s; *c; c++) {
        bad |= !(nqchar((unsigned char)*c) || *c == ' ');
    }
    FUZZ_ASSERT((a == NULL) == (bad != 0));
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
        b = oidp_scope_parse(p, oidp_scope_join(p, a));
        FUZZ_ASSERT(b && b->nelts == a->nelts);
        for (i = 0; i < a->nelts; i++) {
            FUZZ_ASSERT(strcmp(APR_ARRAY_IDX(a, i, const char *), APR_ARRAY_IDX(b, i, const char *))
                        == 0);
        }
    }
    fuzz_done();
    return 0;
}
