/*
 * oidp_form_parse: application/x-www-form-urlencoded bodies and query
 * strings, in both modes (stop at the first fault; go on and list the bad
 * names). Properties: what is kept has a non-empty name and value; a
 * success lists nothing bad; the first mode fails exactly when the second
 * finds a fault.
 */
#include <string.h>

#include <apr_hash.h>

#include "fuzz.h"
#include "oidp_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    /* the input in a block of its own, no NUL added: reads past size are caught */
    char *body = apr_palloc(p, size ? size : 1);
    apr_hash_t *strict = apr_hash_make(p), *lax = apr_hash_make(p), *bad = apr_hash_make(p);
    apr_hash_index_t *hi;
    const char *err1 = NULL, *err2 = NULL;
    apr_status_t rv1, rv2;

    memcpy(body, data, size);
    rv1 = oidp_form_parse(strict, p, body, size, NULL, &err1);
    rv2 = oidp_form_parse(lax, p, body, size, bad, &err2);
    FUZZ_ASSERT(rv1 == APR_SUCCESS || rv1 == APR_EINVAL);
    FUZZ_ASSERT(rv1 == rv2);
    FUZZ_ASSERT(rv1 == APR_SUCCESS || (err1 && *err1 && err2 && strcmp(err1, err2) == 0));
    FUZZ_ASSERT(rv2 != APR_SUCCESS || apr_hash_count(bad) == 0);
    for (hi = apr_hash_first(p, lax); hi; hi = apr_hash_next(hi)) {
        const void *k;
        apr_ssize_t klen;
        void *v;
        apr_hash_this(hi, &k, &klen, &v);
        FUZZ_ASSERT(klen > 0 && strlen(k) == (size_t)klen);
        FUZZ_ASSERT(v && *(const char *)v);
    }
    if (rv1 == APR_SUCCESS) {
        FUZZ_ASSERT(apr_hash_count(strict) == apr_hash_count(lax));
    }
    fuzz_done();
    return 0;
}
