/*
 * Small pure helpers: randomness, hashing, constant-time comparison, time,
 * JSON bound to pools, scope lists. No httpd.
 */
#ifndef OIDP_UTIL_H
#define OIDP_UTIL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/* nbytes from the OS random source (OpenSSL RAND_bytes), base64url. NULL if
 * the generator fails. 32 bytes = 256 bits for secrets, codes and tokens. */
char *oidp_util_random_token(apr_pool_t *p, apr_size_t nbytes);

/* Lower-case hex SHA-256 of len bytes of s: how secrets, codes and tokens
 * are stored. */
char *oidp_util_sha256_hex(apr_pool_t *p, const char *s, apr_size_t len);

/* Constant-time equality of two NUL-terminated strings (time depends only
 * on the lengths). NULL never equals anything. */
int oidp_util_consteq(const char *a, const char *b);

/* A random RFC 4122 version 4 UUID string. */
char *oidp_util_uuid(apr_pool_t *p);

apr_int64_t oidp_util_now(void);

/* jansson values bound to a pool: the reference is dropped by a pool
 * cleanup. Returns j. */
json_t *oidp_json_bind(apr_pool_t *p, json_t *j);
/* Compact JSON text of j, copied into p; *len may be NULL. */
char *oidp_json_dump(apr_pool_t *p, const json_t *j, apr_size_t *len);

/* Scopes (RFC 6749 3.3): space-delimited tokens of %x21 / %x23-5B / %x5D-7E.
 * oidp_scope_parse splits, checks the syntax and removes duplicates (order
 * kept); it returns NULL for a syntax error. */
apr_array_header_t *oidp_scope_parse(apr_pool_t *p, const char *scope);
int oidp_scope_has(const apr_array_header_t *scopes, const char *scope);
char *oidp_scope_join(apr_pool_t *p, const apr_array_header_t *scopes);
/* Space-separated word list membership (grant types, auth methods). */
int oidp_word_in(const char *list, const char *word);

#endif /* OIDP_UTIL_H */
