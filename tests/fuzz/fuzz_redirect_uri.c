/*
 * Redirect URI matching (RFC 6749 3.1.2.3, RFC 8252 7.3) and PKCE
 * verification (RFC 7636) on outside input. The input is split at the first
 * newline: a redirect URI, then a code_verifier. Properties: a URI is
 * allowed for a confidential client only when it is byte-equal to a
 * registered one; anything allowed for the public client holds no fragment,
 * starts with "http://" and has no port or a port of 1 to 5 digits, at most
 * 65535 (RFC 8252 7.3 through apr_uri_parse, which takes what strtol
 * takes); a verifier matches the challenge of itself
 * and nothing else.
 */
#include <string.h>

#include "fuzz.h"
#include "oidp_jose.h"
#include "oidp_pkce.h"
#include "oidp_redirect.h"
#include "oidp_b64url.h"

#include <openssl/evp.h>

/* The port of an http://host[:port]/... URI is absent or 1-5 digits <= 65535. */
static int port_ok(const char *uri)
{
    const char *auth = uri + 7, *end = auth + strcspn(auth, "/?#"), *colon;
    long v = 0;
    int n = 0;

    colon = *auth == '[' ? memchr(auth, ']', (size_t)(end - auth)) : auth;
    if (!colon) {
        return 0;
    }
    colon = memchr(colon, ':', (size_t)(end - colon));
    if (!colon) {
        return 1;
    }
    for (colon++; colon < end; colon++, n++) {
        if (*colon < '0' || *colon > '9') {
            return 0;
        }
        v = v * 10 + (*colon - '0');
    }
    return n >= 1 && n <= 5 && v >= 1 && v <= 65535;
}

static const char *const registered[] = {"https://app.example.com/cb", "http://127.0.0.1/callback",
                                         "http://[::1]:8000/cb?x=1", "com.example.app:/oauth"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *s = fuzz_cstr(data, size);
    char *nl = strchr(s, '\n');
    const char *verifier = "";
    oidp_client_t pub, conf;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t i;
    int exact = 0;

    if (nl) {
        *nl = '\0';
        verifier = nl + 1;
    }
    memset(&pub, 0, sizeof(pub));
    pub.auth_method = OIDP_AUTH_NONE;
    pub.redirect_uris = apr_array_make(p, 4, sizeof(const char *));
    for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++) {
        APR_ARRAY_PUSH(pub.redirect_uris, const char *) = registered[i];
        exact |= strcmp(registered[i], s) == 0;
    }
    conf = pub;
    conf.auth_method = OIDP_AUTH_BASIC;
    FUZZ_ASSERT(oidp_redirect_uri_allowed(p, &conf, s) == exact);
    if (oidp_redirect_uri_allowed(p, &pub, s) && !exact) {
        FUZZ_ASSERT(strncmp(s, "http://", 7) == 0 && !strchr(s, '#'));
        FUZZ_ASSERT(port_ok(s));
    }

    if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL)) {
        const char *challenge = oidp_b64url_encode(p, md, mdlen);
        int ok = oidp_pkce_verify(p, "S256", challenge, verifier);
        size_t n = strlen(verifier);
        int syntax = n >= 43 && n <= 128
                     && strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
                                         "nopqrstuvwxyz0123456789-._~")
                            == n;
        FUZZ_ASSERT(ok == syntax);
        FUZZ_ASSERT(oidp_pkce_challenge_ok(challenge, "S256"));
        FUZZ_ASSERT(!oidp_pkce_verify(p, "S256", s, verifier) || strcmp(s, challenge) == 0);
    }
    fuzz_done();
    return 0;
}
