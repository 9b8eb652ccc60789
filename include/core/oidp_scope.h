/*
 * Scope lists (RFC 6749 3.3). Pure.
 */
#ifndef OIDP_SCOPE_H
#define OIDP_SCOPE_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Scopes (RFC 6749 3.3): space-delimited tokens of %x21 / %x23-5B / %x5D-7E.
 * oidp_scope_parse splits, checks the syntax and removes duplicates (order
 * kept); it returns NULL for a syntax error. */
apr_array_header_t *oidp_scope_parse(apr_pool_t *p, const char *scope);
int oidp_scope_has(const apr_array_header_t *scopes, const char *scope);
char *oidp_scope_join(apr_pool_t *p, const apr_array_header_t *scopes);

#endif /* OIDP_SCOPE_H */
