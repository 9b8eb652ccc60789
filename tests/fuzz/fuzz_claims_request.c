/*
 * oidp_claims_request_parse: the claims parameter of an authorization
 * request (OIDC Core 5.5), JSON from the outside. Properties: a success is
 * "" or a JSON object holding only userinfo/id_token objects; what it keeps
 * parses again to itself; the implied scopes are among the allowed ones;
 * claims built from it for a user never crash and never hold null.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "oidp_claims.h"
#include "oidp_util.h"
#include "oidp_scope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *s = fuzz_cstr(data, size);
    apr_array_header_t *allowed = oidp_scope_parse(p, "openid profile email phone");
    apr_array_header_t *implied = NULL, *again = NULL;
    const char *err = NULL, *out = oidp_claims_request_parse(p, s, allowed, &implied, &err);
    oidp_user_t u;
    json_t *j, *v;
    const char *k;
    int i;

    if (out) {
        FUZZ_ASSERT(implied);
        for (i = 0; i < implied->nelts; i++) {
            FUZZ_ASSERT(oidp_scope_has(allowed, APR_ARRAY_IDX(implied, i, const char *)));
        }
        if (*out) {
            j = json_loads(out, 0, NULL);
            FUZZ_ASSERT(json_is_object(j));
            json_object_foreach(j, k, v)
            {
                FUZZ_ASSERT(strcmp(k, "userinfo") == 0 || strcmp(k, "id_token") == 0);
                FUZZ_ASSERT(json_is_object(v));
            }
            json_decref(j);
            FUZZ_ASSERT(strcmp(oidp_claims_request_parse(p, out, allowed, &again, &err), out) == 0);
        }
        memset(&u, 0, sizeof(u));
        u.id = "sub";
        u.username = "u";
        u.name = "N";
        u.email = "e@x";
        u.groups = "[\"g\"]";
        j = json_object();
        oidp_claims_user(j, &u, allowed, out, "userinfo", "casdoor");
        oidp_claims_user(j, &u, allowed, out, "id_token", "standard");
        json_object_foreach(j, k, v)
        {
            FUZZ_ASSERT(!json_is_null(v));
        }
        json_decref(j);
    }
    else {
        FUZZ_ASSERT(err && *err);
    }
    fuzz_done();
    return 0;
}
