/*
 * oidp_form_json_params: JSON parameter bodies (Casdoor's SDKs). Properties:
 * what is kept has a non-empty name and a non-empty value; a failure says
 * why.
 */
#include <string.h>

#include <apr_hash.h>

#include "fuzz.h"
#include "oidp_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *body = apr_palloc(p, size ? size : 1);
    apr_hash_t *h = apr_hash_make(p);
    apr_hash_index_t *hi;
    const char *err = NULL;
    apr_status_t rv;

    memcpy(body, data, size);
    rv = oidp_form_json_params(h, p, body, size, &err);
    FUZZ_ASSERT(rv == APR_SUCCESS || (rv == APR_EINVAL && err && *err));
    for (hi = apr_hash_first(p, h); rv == APR_SUCCESS && hi; hi = apr_hash_next(hi)) {
        const void *k;
        apr_ssize_t klen;
        void *v;
        apr_hash_this(hi, &k, &klen, &v);
        FUZZ_ASSERT(klen > 0 && strlen(k) == (size_t)klen);
        FUZZ_ASSERT(v && *(const char *)v);
    }
    fuzz_done();
    return 0;
}
