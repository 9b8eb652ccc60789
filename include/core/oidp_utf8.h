/*
 * UTF-8 validation (RFC 3629) of outside input before it reaches a JSON
 * string (jansson refuses invalid UTF-8: json_string() returns NULL).
 * Pure.
 */
#ifndef OIDP_UTF8_H
#define OIDP_UTF8_H

#include <apr.h>

/* Non-zero when the len bytes of s are well-formed UTF-8: no overlong
 * form, no surrogate (U+D800-DFFF), nothing above U+10FFFF, no truncated
 * sequence, no NUL byte. Linear. */
int oidp_utf8_valid(const char *s, apr_size_t len);

/* oidp_utf8_valid of a NUL-terminated string; NULL is valid (absent). */
int oidp_utf8_valid_str(const char *s);

#endif /* OIDP_UTF8_H */
