/*
 * jansson values bound to APR pools, and their compact text.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "oidp_json.h"

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

json_t *oidp_json_bind(apr_pool_t *p, json_t *j)
{
    if (j) {
        apr_pool_cleanup_register(p, j, json_release, apr_pool_cleanup_null);
    }
    return j;
}

char *oidp_json_dump(apr_pool_t *p, const json_t *j, apr_size_t *len)
{
    char *s = json_dumps(j, JSON_COMPACT);
    char *out;
    apr_size_t n;

    if (!s) {
        return NULL;
    }
    n = strlen(s);
    out = apr_pmemdup(p, s, n + 1);
    free(s);
    if (len) {
        *len = n;
    }
    return out;
}
