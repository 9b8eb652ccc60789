/*
 * Page templates with {{placeholders}}: every value HTML-escaped unless the
 * placeholder takes markup the module built. Pure.
 */
#ifndef OIDP_TPL_H
#define OIDP_TPL_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Placeholders; the ones marked raw take markup built by the module. */
typedef enum {
    OIDP_PH_TITLE,
    OIDP_PH_NONCE,
    OIDP_PH_CLIENT_NAME,
    OIDP_PH_FORM_ACTION,
    OIDP_PH_HIDDEN_FIELDS, /* raw */
    OIDP_PH_USERNAME,
    OIDP_PH_ERROR,
    OIDP_PH_ERROR_HTML, /* raw */
    OIDP_PH_ISSUER,
    OIDP_PH_SCOPE_ITEMS, /* raw */
    OIDP_PH_MESSAGE,
    OIDP_PH_CODE,
    OIDP_PH_BODY,           /* raw */
    OIDP_PH_HOST,           /* the issuer's host, for the footer */
    OIDP_PH_USERNAME_FOCUS, /* raw: "autofocus" or "" */
    OIDP_PH_PASSWORD_FOCUS, /* raw: "autofocus" or "" */
    OIDP_PH__COUNT
} oidp_ph_e;

typedef struct oidp_tpl_t oidp_tpl_t;

/* Compiles a template; unknown placeholders are an error (returned as a
 * sentence). Pure. */
const char *oidp_tpl_compile(oidp_tpl_t **t, apr_pool_t *p, const char *src);
/* Renders with values indexed by oidp_ph_e (NULL = empty); non-raw values
 * are HTML-escaped. Pure. */
char *oidp_tpl_render(apr_pool_t *p, const oidp_tpl_t *t, const char *const *values);
char *oidp_tpl_escape(apr_pool_t *p, const char *s);

/* <input type="hidden"> fields for name/value arrays. */
char *oidp_tpl_hidden(apr_pool_t *p, const apr_array_header_t *names,
                      const apr_array_header_t *values);

#endif /* OIDP_TPL_H */
