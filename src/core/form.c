/*
 * Parsers of outside input without httpd: form-urlencoded, Basic
 * credentials, JSON parameter objects.
 */
#include <string.h>

#include <apr_base64.h>
#include <apr_strings.h>
#include <jansson.h>

#include "oidp_form.h"
#include "oidp_util.h"
#include "oidp_json.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

apr_status_t oidp_form_urldecode(char **out, apr_pool_t *p, const char *s, apr_size_t len)
{
    char *o = apr_palloc(p, len + 1);
    apr_size_t i, n = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            o[n++] = ' ';
        }
        else if (c == '%') {
            int hi, lo;
            if (i + 2 >= len) {
                return APR_EINVAL;
            }
            hi = hexval((unsigned char)s[i + 1]);
            lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return APR_EINVAL;
            }
            o[n++] = (char)(hi * 16 + lo);
            i += 2;
        }
        else if (c == '\0') {
            return APR_EINVAL;
        }
        else {
            o[n++] = (char)c;
        }
    }
    o[n] = '\0';
    *out = o;
    return APR_SUCCESS;
}

apr_status_t oidp_form_parse(apr_hash_t *out, apr_pool_t *p, const char *data, apr_size_t len,
                             apr_hash_t *bad, const char **err)
{
    apr_size_t i = 0;
    apr_status_t rv = APR_SUCCESS;

    while (i < len) {
        apr_size_t start = i, eq = (apr_size_t)-1;
        char *name = NULL, *value = NULL;
        const char *why = NULL;

        while (i < len && data[i] != '&') {
            if (data[i] == '=' && eq == (apr_size_t)-1) {
                eq = i;
            }
            i++;
        }
        if (i > start) {
            apr_size_t nend = eq == (apr_size_t)-1 ? i : eq;
            if (nend == start) {
                why = "a parameter has no name";
            }
            else if (oidp_form_urldecode(&name, p, data + start, nend - start) != APR_SUCCESS) {
                why = "malformed percent-encoding";
            }
            else if (eq != (apr_size_t)-1
                     && oidp_form_urldecode(&value, p, data + eq + 1, i - eq - 1) != APR_SUCCESS) {
                why = "malformed percent-encoding";
            }
            if (!why && !value) {
                value = "";
            }
            /* RFC 6749 3.1: a parameter without a value counts as omitted;
             * 3.1 / 3.2: none may be included more than once. */
            if (!why && *value && apr_hash_get(out, name, APR_HASH_KEY_STRING)) {
                why = "a parameter is repeated";
            }
            if (why) {
                if (!bad) {
                    *err = why;
                    return APR_EINVAL;
                }
                if (rv == APR_SUCCESS) {
                    *err = why;
                    rv = APR_EINVAL;
                }
                if (name) {
                    apr_hash_set(bad, name, APR_HASH_KEY_STRING, why);
                }
            }
            else if (*value) {
                apr_hash_set(out, name, APR_HASH_KEY_STRING, value);
            }
        }
        i++; /* skip '&' */
    }
    return rv;
}

char *oidp_form_urlencode(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t len = strlen(s), n = 0, i;
    char *o = apr_palloc(p, len * 3 + 1);

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
            || c == '.' || c == '_' || c == '~') {
            o[n++] = (char)c;
        }
        else {
            o[n++] = '%';
            o[n++] = hex[c >> 4];
            o[n++] = hex[c & 0x0f];
        }
    }
    o[n] = '\0';
    return o;
}

apr_status_t oidp_form_basic_auth(const char **user, const char **pass, apr_pool_t *p,
                                  const char *header)
{
    const char *s = header;
    char *decoded, *colon, *u, *pw;
    apr_size_t i, b64len;
    int len;

    *user = *pass = NULL;
    if (!s || strncasecmp(s, "Basic", 5) != 0 || (s[5] != ' ' && s[5] != '\t')) {
        return APR_ENOENT;
    }
    s += 5;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    b64len = strlen(s);
    while (b64len > 0 && (s[b64len - 1] == ' ' || s[b64len - 1] == '\t')) {
        b64len--;
    }
    if (b64len == 0 || b64len % 4 != 0) {
        return APR_EINVAL;
    }
    for (i = 0; i < b64len; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                 || c == '+' || c == '/' || (c == '=' && i >= b64len - 2);
        if (!ok || (i == b64len - 2 && c == '=' && s[b64len - 1] != '=')) {
            return APR_EINVAL;
        }
    }
    s = apr_pstrmemdup(p, s, b64len);
    decoded = apr_palloc(p, (apr_size_t)apr_base64_decode_len(s) + 1);
    len = apr_base64_decode(decoded, s);
    if (len <= 0) {
        return APR_EINVAL;
    }
    decoded[len] = '\0';
    if ((int)strlen(decoded) != len) { /* embedded NUL */
        return APR_EINVAL;
    }
    colon = strchr(decoded, ':');
    if (!colon || colon == decoded) {
        return APR_EINVAL;
    }
    *colon = '\0';
    /* RFC 6749 2.3.1: id and secret are form-urlencoded before base64 */
    if (oidp_form_urldecode(&u, p, decoded, strlen(decoded)) != APR_SUCCESS
        || oidp_form_urldecode(&pw, p, colon + 1, strlen(colon + 1)) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *user = u;
    *pass = pw;
    return APR_SUCCESS;
}

apr_status_t oidp_form_json_params(apr_hash_t *out, apr_pool_t *p, const char *data, apr_size_t len,
                                   const char **err)
{
    json_t *obj = oidp_json_bind(p, json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL));
    const char *key;
    json_t *v;

    if (!json_is_object(obj)) {
        *err = "the body is not a JSON object";
        return APR_EINVAL;
    }
    json_object_foreach(obj, key, v)
    {
        const char *val = NULL;
        if (strlen(key) == 0) {
            *err = "a parameter has no name";
            return APR_EINVAL;
        }
        if (json_is_string(v)) {
            if (memchr(json_string_value(v), '\0', json_string_length(v))) {
                *err = "a parameter holds a NUL byte";
                return APR_EINVAL;
            }
            val = apr_pstrdup(p, json_string_value(v));
        }
        else if (json_is_integer(v)) {
            val = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(v));
        }
        else if (json_is_boolean(v)) {
            val = json_is_true(v) ? "true" : "false";
        }
        else if (json_is_null(v)) {
            continue;
        }
        else {
            *err = "a parameter is not a string";
            return APR_EINVAL;
        }
        if (*val) {
            apr_hash_set(out, apr_pstrdup(p, key), APR_HASH_KEY_STRING, val);
        }
    }
    return APR_SUCCESS;
}
