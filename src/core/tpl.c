/*
 * Page templates: {{placeholder}} substitution with HTML escaping.
 */
#include <string.h>

#include <apr_strings.h>

#include "oidp_tpl.h"

static const struct {
    const char *name;
    int raw;
} placeholders[OIDP_PH__COUNT] = {
    {"title", 0},
    {"nonce", 0},
    {"client_name", 0},
    {"form_action", 0},
    {"hidden_fields", 1},
    {"username", 0},
    {"error", 0},
    {"error_html", 1},
    {"issuer", 0},
    {"scope_items", 1},
    {"message", 0},
    {"code", 0},
    {"body", 1},
    {"host", 0},
    {"username_autofocus", 1},
    {"password_autofocus", 1},
};

typedef struct part_t {
    const char *text; /* literal, or NULL for a placeholder */
    apr_size_t len;
    int ph;
} part_t;

struct oidp_tpl_t {
    apr_array_header_t *parts;
};

const char *oidp_tpl_compile(oidp_tpl_t **tp, apr_pool_t *p, const char *src)
{
    oidp_tpl_t *t = apr_palloc(p, sizeof(*t));
    const char *s = src;

    t->parts = apr_array_make(p, 16, sizeof(part_t));
    while (*s) {
        const char *open = strstr(s, "{{"), *close;
        part_t *pt;
        int i;
        if (!open) {
            open = s + strlen(s);
        }
        if (open > s) {
            pt = apr_array_push(t->parts);
            pt->text = s;
            pt->len = (apr_size_t)(open - s);
            pt->ph = -1;
        }
        if (!*open) {
            break;
        }
        close = strstr(open + 2, "}}");
        if (!close) {
            return "a {{ is not closed";
        }
        for (i = 0; i < OIDP_PH__COUNT; i++) {
            apr_size_t n = strlen(placeholders[i].name);
            if ((apr_size_t)(close - open - 2) == n
                && strncmp(open + 2, placeholders[i].name, n) == 0) {
                break;
            }
        }
        if (i == OIDP_PH__COUNT) {
            return apr_psprintf(p, "unknown placeholder {{%.*s}}", (int)(close - open - 2),
                                open + 2);
        }
        pt = apr_array_push(t->parts);
        pt->text = NULL;
        pt->len = 0;
        pt->ph = i;
        s = close + 2;
    }
    *tp = t;
    return NULL;
}

char *oidp_tpl_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0;
    const char *q;
    char *out, *o;

    for (q = s; *q; q++) {
        n += (*q == '&') ? 5 : (*q == '<' || *q == '>') ? 4 : (*q == '"' || *q == '\'') ? 6 : 1;
    }
    o = out = apr_palloc(p, n + 1);
    for (q = s; *q; q++) {
        switch (*q) {
        case '&':
            memcpy(o, "&amp;", 5), o += 5;
            break;
        case '<':
            memcpy(o, "&lt;", 4), o += 4;
            break;
        case '>':
            memcpy(o, "&gt;", 4), o += 4;
            break;
        case '"':
            memcpy(o, "&quot;", 6), o += 6;
            break;
        case '\'':
            memcpy(o, "&#x27;", 6), o += 6;
            break;
        default:
            *o++ = *q;
        }
    }
    *o = '\0';
    return out;
}

char *oidp_tpl_render(apr_pool_t *p, const oidp_tpl_t *t, const char *const *values)
{
    apr_array_header_t *out = apr_array_make(p, t->parts->nelts, sizeof(const char *));
    int i;

    for (i = 0; i < t->parts->nelts; i++) {
        const part_t *pt = &APR_ARRAY_IDX(t->parts, i, part_t);
        const char *v;
        if (pt->text) {
            v = apr_pstrmemdup(p, pt->text, pt->len);
        }
        else {
            v = values[pt->ph] ? values[pt->ph] : "";
            if (!placeholders[pt->ph].raw) {
                v = oidp_tpl_escape(p, v);
            }
        }
        APR_ARRAY_PUSH(out, const char *) = v;
    }
    return apr_array_pstrcat(p, out, '\0');
}

char *oidp_tpl_hidden(apr_pool_t *p, const apr_array_header_t *names,
                      const apr_array_header_t *values)
{
    apr_array_header_t *out = apr_array_make(p, names->nelts, sizeof(const char *));
    int i;

    for (i = 0; i < names->nelts; i++) {
        APR_ARRAY_PUSH(out, const char *) = apr_psprintf(
            p, "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n",
            oidp_tpl_escape(p, APR_ARRAY_IDX(names, i, const char *)),
            oidp_tpl_escape(p, APR_ARRAY_IDX(values, i, const char *)));
    }
    return apr_array_pstrcat(p, out, '\0');
}
