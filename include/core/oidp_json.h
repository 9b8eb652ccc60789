/*
 * jansson values bound to APR pools. Pure.
 */
#ifndef OIDP_JSON_H
#define OIDP_JSON_H

#include <apr_pools.h>
#include <jansson.h>

/* jansson values bound to a pool: the reference is dropped by a pool
 * cleanup. Returns j. */
json_t *oidp_json_bind(apr_pool_t *p, json_t *j);
/* Compact JSON text of j, copied into p; *len may be NULL. */
char *oidp_json_dump(apr_pool_t *p, const json_t *j, apr_size_t *len);

#endif /* OIDP_JSON_H */
