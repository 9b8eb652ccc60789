/*
 * oidp_form_urldecode. Properties: the output is never longer than the
 * input and holds no NUL; encoding it with oidp_form_urlencode and decoding
 * again gives it back.
 */
#include <string.h>

#include "fuzz.h"
#include "oidp_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *in = apr_palloc(p, size ? size : 1);
    char *out = NULL, *again = NULL, *enc;

    memcpy(in, data, size);
    if (oidp_form_urldecode(&out, p, in, size) == APR_SUCCESS) {
        FUZZ_ASSERT(out != NULL);
        FUZZ_ASSERT(strlen(out) <= size);
        FUZZ_ASSERT(memchr(data, '\0', size) == NULL);
        enc = oidp_form_urlencode(p, out);
        FUZZ_ASSERT(oidp_form_urldecode(&again, p, enc, strlen(enc)) == APR_SUCCESS);
        FUZZ_ASSERT(strcmp(again, out) == 0);
    }
    fuzz_done();
    return 0;
}
