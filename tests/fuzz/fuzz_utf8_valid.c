/*
 * oidp_utf8_valid (RFC 3629) on raw bytes. Properties: it agrees with
 * jansson's own check (json_stringn) on every input without a NUL byte,
 * and refuses every input with one; a prefix cut inside a multi-byte
 * sequence of valid input is refused.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "oidp_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int ok = oidp_utf8_valid(s, size);
    json_t *j;

    fuzz_pool();
    if (memchr(data, 0, size)) {
        FUZZ_ASSERT(!ok);
    }
    else {
        j = json_stringn(s, size);
        FUZZ_ASSERT(ok == (j != NULL));
        json_decref(j);
    }
    if (ok && size > 0 && (data[size - 1] & 0x80)) {
        size_t n = size - 1;
        while (n > 0 && (data[n] & 0xc0) == 0x80) {
            n--;
        }
        /* data[n] starts the last sequence: any cut inside it is truncated */
        if (size - n > 1) {
            FUZZ_ASSERT(!oidp_utf8_valid(s, size - 1));
        }
    }
    fuzz_done();
    return 0;
}
