/*
 * oidp_claims_map_set (OIDCIdPClaim): a value an authn provider gives
 * (an LDAP attribute, an SQL column, whatever the admin's expression makes
 * of them), typed by the claim. The input's first byte picks the claim, the
 * rest is the value. Properties: a string claim takes any UTF-8 value up to
 * the limit as it is ("" clears it) and refuses the rest, leaving the user
 * unchanged; a boolean is 0 or 1 and unchanged on refusal; groups are a
 * JSON array of non-empty strings without ";", each once, or NULL; setting
 * the same value again changes nothing.
 */
#include <string.h>

#include "fuzz.h"
#include "oidp_claims.h"
#include "oidp_json.h"
#include "oidp_utf8.h"

static const char *const claims[] = {"name",   "display_name",          "email",  "email_verified",
                                     "groups", "phone_number_verified", "locale", "sub"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *claim = claims[size ? data[0] % (sizeof(claims) / sizeof(claims[0])) : 0];
    char *v = fuzz_cstr(size ? data + 1 : data, size ? size - 1 : 0);
    oidp_user_t u, before;
    const char *err = NULL;
    int changed = 0, again = 0;
    apr_status_t rv;

    memset(&u, 0, sizeof(u));
    u.name = u.email = u.locale = "old";
    u.groups = "[\"old\"]";
    u.email_verified = 1;
    before = u;
    rv = oidp_claims_map_set(&u, &changed, p, claim, v, &err);
    if (rv != APR_SUCCESS) {
        FUZZ_ASSERT(err != NULL);
        FUZZ_ASSERT(memcmp(&u, &before, sizeof(u)) == 0);
        FUZZ_ASSERT(changed == 0);
        FUZZ_ASSERT(strcmp(claim, "sub") == 0 || strlen(v) > 4096 || !oidp_utf8_valid_str(v)
                    || strcmp(claim, "email_verified") == 0
                    || strcmp(claim, "phone_number_verified") == 0 || strcmp(claim, "groups") == 0);
        fuzz_done();
        return 0;
    }
    FUZZ_ASSERT(strcmp(claim, "sub") != 0);
    if (strcmp(claim, "name") == 0 || strcmp(claim, "display_name") == 0) {
        FUZZ_ASSERT(*v ? (u.name && strcmp(u.name, v) == 0) : u.name == NULL);
    }
    if (strcmp(claim, "email_verified") == 0) {
        FUZZ_ASSERT(u.email_verified == 0 || u.email_verified == 1);
    }
    if (strcmp(claim, "groups") == 0 && u.groups) {
        json_t *g = json_loads(u.groups, 0, NULL);
        size_t i, j;
        FUZZ_ASSERT(json_is_array(g) && json_array_size(g) > 0);
        for (i = 0; i < json_array_size(g); i++) {
            const char *s = json_string_value(json_array_get(g, i));
            FUZZ_ASSERT(s && *s && !strchr(s, ';') && s[0] != ' ' && s[strlen(s) - 1] != ' ');
            for (j = 0; j < i; j++) {
                FUZZ_ASSERT(!json_equal(json_array_get(g, i), json_array_get(g, j)));
            }
        }
        json_decref(g);
    }
    rv = oidp_claims_map_set(&u, &again, p, claim, v, &err);
    FUZZ_ASSERT(rv == APR_SUCCESS && again == 0);
    fuzz_done();
    return 0;
}
