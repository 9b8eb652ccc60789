/*
 * oidp_b64url_decode. Properties: a decoded input is canonical (encoding
 * the bytes gives the input back) and the output is NUL-terminated at its
 * length; and the input taken as bytes encodes and decodes back to itself.
 */
#include <string.h>

#include "fuzz.h"
#include "oidp_jose.h"
#include "oidp_b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *in = apr_palloc(p, size ? size : 1);
    unsigned char *out = NULL;
    apr_size_t n = 0;
    char *enc;

    memcpy(in, data, size);
    if (oidp_b64url_decode(&out, &n, p, in, size) == APR_SUCCESS) {
        FUZZ_ASSERT(n == size * 6 / 8);
        FUZZ_ASSERT(out[n] == '\0');
        enc = oidp_b64url_encode(p, out, n);
        FUZZ_ASSERT(strlen(enc) == size && memcmp(enc, data, size) == 0);
    }
    enc = oidp_b64url_encode(p, data, size);
    FUZZ_ASSERT(oidp_b64url_decode(&out, &n, p, enc, strlen(enc)) == APR_SUCCESS);
    FUZZ_ASSERT(n == size && memcmp(out, data, size) == 0);
    fuzz_done();
    return 0;
}
