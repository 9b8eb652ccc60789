/*
 * oidp_jose_verify: arbitrary JWS compact strings against a fixed key set
 * (the public halves of an RSA 2048, an EC P-256 and an Ed25519 key made
 * for this target only; the seed corpus holds tokens they signed).
 * An input that starts with '{' is taken as "HEADER\nPAYLOAD\nSIGNATURE"
 * in the clear and base64url-encoded here, so that the fuzzer can work on
 * the header JSON (alg, kid, crit, types, duplicates) directly.
 * Properties: only APR_SUCCESS or APR_EINVAL; a refusal says why; an
 * accepted JWS gives its header and payload, and the header names a
 * supported alg and no "crit".
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "fuzz.h"
#include "oidp_jose.h"
#include "oidp_b64url.h"

static const char rsa_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                              "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwnJvvNDBypbq8LeUt3lf\n"
                              "EEiHC16H0KooVNt/AJLV3F3xQks0koF0Jc/XtCHqlGe3VSagc8n5RhpeeqWMMd2z\n"
                              "lB7e9x1eRnWMPRhQDcSYroNmibFdz27bM+lAkJL4czDYDzUAsEq+rINmt1GVIZYK\n"
                              "WB7PGSH71pfT4Peqh2AVLNasL2O+89wAyRhrUFDXoiCIsto/xYTjvzMIzHJBDQRZ\n"
                              "OjwKZ180ydHK1+yEqXohXcSKwIuX16WZvWOhL9cuOthYsqBo+l7vb1+jPgY10Lf2\n"
                              "bLWFB/b2EesmX/a+2pIJHxkdSWy9/LFZtl3SRcgRq1enbu00fmG5ryHj8HwPyxfe\n"
                              "5QIDAQAB\n"
                              "-----END PUBLIC KEY-----\n";

static const char ec_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                             "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEF0E52sKIp+m8XEyMM4gC/TVwuIRs\n"
                             "SGqoEhCuihpFjz1Xe6ajeCpSUMgi1BQhltwIFaQ1OOmK0/7RweIoDb7Smg==\n"
                             "-----END PUBLIC KEY-----\n";

static const char ed_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                             "MCowBQYDK2VwAyEAEiwyvfZu3Do05d9WZ/CW+v/+t8TD3T2XbM3oNf2Emls=\n"
                             "-----END PUBLIC KEY-----\n";

/* APR may keep pool memory in mmap'd blocks that LeakSanitizer does not
 * scan: the EVP_PKEYs are also held here so that they stay reachable. */
static void *pkeys[3];

static oidp_keyset_t *keys(void)
{
    static oidp_keyset_t ks;
    static const char *const pems[] = {rsa_pub, ec_pub, ed_pub};
    apr_pool_t *g = fuzz_global_pool();
    size_t i;

    if (ks.keys) {
        return &ks;
    }
    ks.keys = apr_array_make(g, 3, sizeof(oidp_key_t *));
    for (i = 0; i < sizeof(pems) / sizeof(pems[0]); i++) {
        oidp_key_t *k = NULL;
        const char *err = NULL;
        if (oidp_jose_key_from_pem(&k, g, pems[i], strlen(pems[i]), "fuzz", &err) != APR_SUCCESS) {
            fuzz_fail(__FILE__, __LINE__, err);
        }
        APR_ARRAY_PUSH(ks.keys, oidp_key_t *) = k;
        pkeys[i] = k->pkey;
    }
    return &ks;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oidp_keyset_t *ks = keys();
    apr_pool_t *p = fuzz_pool();
    const char *jws = fuzz_cstr(data, size);
    const char *header = NULL, *payload = NULL, *err = NULL;
    apr_status_t rv;

    if (size > 0 && data[0] == '{') {
        const uint8_t *nl1 = memchr(data, '\n', size);
        const uint8_t *nl2 = nl1 ? memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - data)) : NULL;
        if (nl2) {
            jws = apr_pstrcat(p, oidp_b64url_encode(p, data, (apr_size_t)(nl1 - data)), ".",
                              oidp_b64url_encode(p, nl1 + 1, (apr_size_t)(nl2 - nl1 - 1)), ".",
                              oidp_b64url_encode(p, nl2 + 1, size - (size_t)(nl2 + 1 - data)),
                              NULL);
        }
    }
    rv = oidp_jose_verify(&header, &payload, p, ks, jws, &err);

    FUZZ_ASSERT(rv == APR_SUCCESS || rv == APR_EINVAL);
    if (rv == APR_SUCCESS) {
        json_t *h = json_loads(header, 0, NULL);
        const char *alg;
        FUZZ_ASSERT(payload != NULL);
        FUZZ_ASSERT(json_is_object(h));
        alg = json_string_value(json_object_get(h, "alg"));
        FUZZ_ASSERT(alg && oidp_jose_alg_from_name(alg) != OIDP_ALG_NONE);
        FUZZ_ASSERT(json_object_get(h, "crit") == NULL);
        json_decref(h);
    }
    else {
        FUZZ_ASSERT(err && *err);
    }
    fuzz_done();
    return 0;
}
