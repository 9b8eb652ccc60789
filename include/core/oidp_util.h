/*
 * Small pure helpers: randomness, hashing, constant-time comparison, time,
 * word lists. No httpd.
 */
#ifndef OIDP_UTIL_H
#define OIDP_UTIL_H

#include <apr_pools.h>
#include <apr_tables.h>

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

/* Space-separated word list membership (grant types, auth methods). */
int oidp_util_word_in(const char *list, const char *word);

#endif /* OIDP_UTIL_H */
