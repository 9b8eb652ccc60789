/*
 * Scope lists (RFC 6749 3.3). Pure.
 */
#ifndef OIDP_SCOPE_H
#define OIDP_SCOPE_H

#include <apr_errno.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_tables.h>

/* The limits of a scope (outside input, and what the admin tool
 * registers): at most this many distinct values of at most this many
 * bytes each. A longer list is refused, never truncated. */
#define OIDP_SCOPE_MAX_VALUES 100
#define OIDP_SCOPE_MAX_LEN 256

/* Scopes (RFC 6749 3.3): space-delimited tokens of %x21 / %x23-5B / %x5D-7E.
 * oidp_scope_split splits, checks the syntax and removes duplicates (order
 * kept) in time linear in the input; more than max_values distinct values
 * or a value longer than max_len bytes (0: no limit) fails too. APR_EINVAL
 * with a static *err. */
apr_status_t oidp_scope_split(apr_array_header_t **out, apr_pool_t *p, const char *scope,
                              int max_values, apr_size_t max_len, const char **err);
/* oidp_scope_split with the limits above; NULL for any error. */
apr_array_header_t *oidp_scope_parse(apr_pool_t *p, const char *scope);
int oidp_scope_has(const apr_array_header_t *scopes, const char *scope);
/* The scopes as a set (value = key), for membership tests of one list
 * against another in linear time. */
apr_hash_t *oidp_scope_set(apr_pool_t *p, const apr_array_header_t *scopes);
char *oidp_scope_join(apr_pool_t *p, const apr_array_header_t *scopes);

#endif /* OIDP_SCOPE_H */
