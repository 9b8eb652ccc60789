/*
 * PKCE (RFC 7636 4.1-4.6).
 */
#include <string.h>

#include <openssl/evp.h>

#include "oidp_jose.h"
#include "oidp_pkce.h"
#include "oidp_util.h"
#include "oidp_b64url.h"

/* unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
static int unreserved_run(const char *s, size_t min, size_t max)
{
    size_t n = 0;

    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
              || c == '.' || c == '_' || c == '~')) {
            return 0;
        }
        if (n >= max) {
            return 0;
        }
    }
    return n >= min;
}

int oidp_pkce_challenge_ok(const char *challenge, const char *method)
{
    if (!challenge || !method) {
        return 0;
    }
    if (strcmp(method, "S256") == 0) {
        /* BASE64URL(SHA256(verifier)): always 43 characters */
        return strlen(challenge) == 43 && unreserved_run(challenge, 43, 43)
               && !strpbrk(challenge, ".~");
    }
    if (strcmp(method, "plain") == 0) {
        return unreserved_run(challenge, 43, 128);
    }
    return 0;
}

int oidp_pkce_verify(apr_pool_t *p, const char *method, const char *challenge, const char *verifier)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!verifier || !challenge || !method || !unreserved_run(verifier, 43, 128)) {
        return 0;
    }
    if (strcmp(method, "plain") == 0) {
        return oidp_util_consteq(verifier, challenge);
    }
    if (strcmp(method, "S256") != 0
        || !EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL)) {
        return 0;
    }
    return oidp_util_consteq(oidp_b64url_encode(p, md, mdlen), challenge);
}
