/*
 * Authentication context classes: the table and what a request asks for
 * (include/core/oidp_acr.h). The levels order the values: a certificate
 * or a Kerberos ticket (proof of a key the user holds, which nobody types
 * into a phishing page) above a password; "upstream" (an Apache module
 * whose method this module does not know, e.g. mod_auth_mellon) counts as
 * a password.
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "oidp_acr.h"

typedef struct {
    const char *name;
    int level;
} acr_t;

static const acr_t table[] = {
    {OIDP_ACR_PASSWORD, 1},
    {OIDP_ACR_UPSTREAM, 1},
    {OIDP_ACR_X509, 2},
    {OIDP_ACR_KERBEROS, 2},
};

const char *const oidp_acr_supported[] = {OIDP_ACR_PASSWORD, OIDP_ACR_UPSTREAM, OIDP_ACR_X509,
                                          OIDP_ACR_KERBEROS, NULL};

int oidp_acr_level(const char *acr)
{
    size_t i;

    for (i = 0; acr && i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(table[i].name, acr) == 0) {
            return table[i].level;
        }
    }
    return 0;
}

/* The lowest known level in *lowest (0: none yet); returns 1 if v is known. */
static int lower(int *lowest, const char *v)
{
    int l = oidp_acr_level(v);

    if (l > 0 && (*lowest == 0 || l < *lowest)) {
        *lowest = l;
    }
    return l > 0;
}

void oidp_acr_request(apr_pool_t *p, const char *acr_values, const char *claims, int *level,
                      int *essential, int *essential_unknown)
{
    json_t *j = NULL, *acr;
    int lowest = 0, known = 0, own = 0;

    *level = 0;
    *essential = 0;
    *essential_unknown = 0;
    if (acr_values) {
        char *copy = apr_pstrdup(p, acr_values), *tok, *last = NULL;
        for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last)) {
            lower(&lowest, tok);
        }
    }
    if (claims && *claims) {
        j = json_loads(claims, 0, NULL);
    }
    acr = json_object_get(json_object_get(j, "id_token"), "acr");
    if (json_is_object(acr)) {
        json_t *vs = json_object_get(acr, "values"), *v = json_object_get(acr, "value");
        size_t i;

        int ess = json_is_true(json_object_get(acr, "essential"));

        if (json_is_string(v)) {
            known |= lower(&own, json_string_value(v));
        }
        for (i = 0; json_is_array(vs) && i < json_array_size(vs); i++) {
            if (json_is_string(json_array_get(vs, i))) {
                known |= lower(&own, json_string_value(json_array_get(vs, i)));
            }
        }
        if (own) {
            lowest = lowest == 0 || own < lowest ? own : lowest;
        }
        /* essential without a value asks for an acr, any: level 1 */
        *essential = ess ? (own ? own : 1) : 0;
        *essential_unknown = ess && !known && (json_is_string(v) || json_is_array(vs));
    }
    json_decref(j);
    *level = lowest;
}
