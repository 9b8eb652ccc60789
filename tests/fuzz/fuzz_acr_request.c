/*
 * oidp_acr_request: acr_values and the claims parameter as a client sends
 * them. The input up to the first NUL byte is acr_values, the rest the
 * claims JSON. Properties: no crash, no leak, no read past the
 * input; the levels are 0 or the table's; an essential request none of
 * whose values is known needs level 1 and is flagged.
 */
#include <string.h>

#include "fuzz.h"
#include "oidp_acr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *values = fuzz_cstr(data, n);
    char *claims = nul ? fuzz_cstr(nul + 1, size - n - 1) : NULL;
    int l = -1, e = -1, u = -1;

    oidp_acr_request(p, values, claims, &l, &e, &u);
    FUZZ_ASSERT(l >= 0 && l <= 2);
    FUZZ_ASSERT(e >= 0 && e <= 2);
    FUZZ_ASSERT(!u || e == 1);
    fuzz_done();
    return 0;
}
