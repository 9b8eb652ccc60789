/*
 * UTF-8 validation (RFC 3629 section 4, the well-formed byte sequences).
 */
#include <string.h>

#include "oidp_utf8.h"

int oidp_utf8_valid(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0;

    while (i < len) {
        unsigned char c = u[i];
        unsigned char lo = 0x80, hi = 0xbf;
        apr_size_t n, k;

        if (c == 0) {
            return 0;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        }
        else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80; /* overlong below U+0800 */
            hi = c == 0xed ? 0x9f : 0xbf; /* surrogates U+D800-DFFF */
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            lo = c == 0xf0 ? 0x90 : 0x80; /* overlong below U+10000 */
            hi = c == 0xf4 ? 0x8f : 0xbf; /* above U+10FFFF */
        }
        else {
            return 0; /* a continuation byte first, C0/C1 overlong, F5-FF */
        }
        if (len - i <= n) {
            return 0; /* truncated */
        }
        if (u[i + 1] < lo || u[i + 1] > hi) {
            return 0;
        }
        for (k = 2; k <= n; k++) {
            if (u[i + k] < 0x80 || u[i + k] > 0xbf) {
                return 0;
            }
        }
        i += n + 1;
    }
    return 1;
}

int oidp_utf8_valid_str(const char *s)
{
    return !s || oidp_utf8_valid(s, strlen(s));
}
