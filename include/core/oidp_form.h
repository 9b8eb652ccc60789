/*
 * Parsers of outside input that need no httpd: application/x-www-form-urlencoded
 * bodies and query strings, HTTP Basic credentials (RFC 6749 2.3.1) and
 * Casdoor-style JSON parameter bodies. Each has a fuzz target in tests/fuzz.
 */
#ifndef OIDP_FORM_H
#define OIDP_FORM_H

#include <apr_pools.h>
#include <apr_hash.h>

/* Parameter names are case-sensitive, so parameters live in an apr_hash_t
 * (apr_table_t compares keys without case). */
#define oidp_param(params, name) ((const char *)apr_hash_get((params), (name), APR_HASH_KEY_STRING))

/* Parses name=value pairs separated by '&' into out. Parameters without a
 * value count as omitted (RFC 6749 3.1). A name given twice, a malformed
 * percent escape, a NUL byte or an empty name fails with APR_EINVAL and a
 * static *err. With bad == NULL parsing stops at the first error; otherwise
 * it goes on (keeping the first value of a repeated name) and records the
 * names at fault in bad, so that a caller can tell which parameters it can
 * still trust. */
apr_status_t oidp_form_parse(apr_hash_t *out, apr_pool_t *p, const char *data, apr_size_t len,
                             apr_hash_t *bad, const char **err);

/* Percent-decoding with '+' as space. APR_EINVAL for a bad escape or %00. */
apr_status_t oidp_form_urldecode(char **out, apr_pool_t *p, const char *s, apr_size_t len);

/* application/x-www-form-urlencoded encoding of s (unreserved kept, space as %20). */
char *oidp_form_urlencode(apr_pool_t *p, const char *s);

/* "Basic base64(urlencode(id):urlencode(secret))": both parts are decoded.
 * Returns APR_ENOENT if the header is not Basic, APR_EINVAL if malformed. */
apr_status_t oidp_form_basic_auth(const char **user, const char **pass, apr_pool_t *p,
                                  const char *header);

/* A JSON object whose members are strings (integers and booleans are taken
 * as their text, null as absent), as Casdoor's SDKs post to the token
 * endpoint. Duplicated
 * names, nested values and non-objects fail with APR_EINVAL. */
apr_status_t oidp_form_json_params(apr_hash_t *out, apr_pool_t *p, const char *data, apr_size_t len,
                                   const char **err);

#endif /* OIDP_FORM_H */
