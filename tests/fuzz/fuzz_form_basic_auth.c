/*
 * oidp_form_basic_auth: an Authorization header value. The first byte
 * chooses whether "Basic " is put in front, so that most inputs reach the
 * base64 and form-urldecoding of the credentials. Properties: success gives
 * a non-empty id and a secret; failure gives neither; only ENOENT (not
 * Basic) and EINVAL (malformed) are returned.
 */
#include <string.h>

#include <apr_strings.h>

#include "fuzz.h"
#include "oidp_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *user = NULL, *pass = NULL, *header;
    apr_status_t rv;

    if (size > 0 && (data[0] & 1)) {
        header = apr_pstrcat(p, "Basic ", fuzz_cstr(data + 1, size - 1), NULL);
    }
    else {
        header = fuzz_cstr(data, size);
    }
    rv = oidp_form_basic_auth(&user, &pass, p, header);
    FUZZ_ASSERT(rv == APR_SUCCESS || rv == APR_ENOENT || rv == APR_EINVAL);
    if (rv == APR_SUCCESS) {
        FUZZ_ASSERT(user && *user && pass);
    }
    else {
        FUZZ_ASSERT(!user && !pass);
    }
    fuzz_done();
    return 0;
}
