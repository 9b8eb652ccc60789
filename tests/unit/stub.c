/*
 * The httpd symbols that the objects linked into the unit tests call, so
 * that they link without httpd (mod_auth_openidc's test/stub.c pattern).
 * Only what is reached is here: add a stub when a new link error names one.
 * Logging goes to stderr when UT_VERBOSE is set; response bodies written
 * with ap_rwrite are kept for the test to read (ut_response_body).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_core.h>
#include <http_protocol.h>
#include <util_cfgtree.h>
#include <util_filter.h>
#include <ap_expr.h>
#include <ap_provider.h>
#include <mod_auth.h>

#include "oidc_idp.h"
#include "unit_httpd.h"

/* The module record lives in mod_oidc_idp.c, which the tests do not link:
 * index 0 of the fake module_config vectors (unit.c). */
module AP_MODULE_DECLARE_DATA oidc_idp_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, NULL,
};

/* The configuration tree httpd read (util_cfgtree.h): tests build their own. */
AP_DECLARE_DATA ap_directive_t *ap_conftree;

static char last_log[4096];

static void vlog(const char *file, int line, int level, apr_status_t status, const char *fmt,
                 va_list ap)
{
    va_list copy;

    va_copy(copy, ap);
    vsnprintf(last_log, sizeof(last_log), fmt, copy);
    va_end(copy);
    if (getenv("UT_VERBOSE")) {
        fprintf(stderr, "[stub log %s:%d level %d status %d] ", file, line, level, status);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
}

const char *ut_log_last(void)
{
    return last_log;
}

void ut_log_reset(void)
{
    last_log[0] = '\0';
}

AP_DECLARE(void)
ap_log_error_(const char *file, int line, int module_index, int level, apr_status_t status,
              const server_rec *s, const char *fmt, ...)
{
    va_list ap;

    (void)module_index;
    (void)s;
    va_start(ap, fmt);
    vlog(file, line, level, status, fmt, ap);
    va_end(ap);
}

AP_DECLARE(void)
ap_log_rerror_(const char *file, int line, int module_index, int level, apr_status_t status,
               const request_rec *r, const char *fmt, ...)
{
    va_list ap;

    (void)module_index;
    (void)r;
    va_start(ap, fmt);
    vlog(file, line, level, status, fmt, ap);
    va_end(ap);
}

AP_DECLARE(char *) ap_server_root_relative(apr_pool_t *p, const char *fname)
{
    char *path = NULL;

    if (apr_filepath_merge(&path, ut_tmpdir(), fname, APR_FILEPATH_TRUENAME, p) != APR_SUCCESS) {
        return NULL;
    }
    return path;
}

AP_DECLARE(char *) ap_escape_logitem(apr_pool_t *p, const char *str)
{
    return apr_pstrdup(p, str ? str : "");
}

AP_DECLARE(void) ap_set_content_type(request_rec *r, const char *ct)
{
    r->content_type = ct;
}

AP_DECLARE(void) ap_set_content_length(request_rec *r, apr_off_t length)
{
    r->clength = length;
    apr_table_setn(r->headers_out, "Content-Length", apr_off_t_toa(r->pool, length));
}

static char *response_body;
static apr_size_t response_len;

AP_DECLARE(int) ap_rwrite(const void *buf, int nbyte, request_rec *r)
{
    char *b = malloc(response_len + (apr_size_t)nbyte + 1);

    (void)r;
    if (!b) {
        return -1;
    }
    if (response_body) {
        memcpy(b, response_body, response_len);
        free(response_body);
    }
    memcpy(b + response_len, buf, (apr_size_t)nbyte);
    response_len += (apr_size_t)nbyte;
    b[response_len] = '\0';
    response_body = b;
    return nbyte;
}

const char *ut_response_body(void)
{
    return response_body ? response_body : "";
}

void ut_response_reset(void)
{
    free(response_body);
    response_body = NULL;
    response_len = 0;
}

/* No request body in unit tests: reading one is an error. */
AP_DECLARE(apr_status_t)
ap_get_brigade(ap_filter_t *filter, apr_bucket_brigade *bucket, ap_input_mode_t mode,
               apr_read_type_e block, apr_off_t readbytes)
{
    (void)filter;
    (void)bucket;
    (void)mode;
    (void)block;
    (void)readbytes;
    return APR_EGENERAL;
}

AP_DECLARE(char *) ap_strcasestr(const char *s1, const char *s2)
{
    return strcasestr(s1, s2);
}

/* The audit log opens nothing in unit tests: every state is "running". */
AP_DECLARE(int) ap_state_query(int query)
{
    (void)query;
    return AP_SQ_MS_RUN_MPM;
}

/* Directives of the main server only (OIDCIdPPurgeInterval): a unit test's
 * cmd_parms has no virtual host, so the context is always right. */
AP_DECLARE(const char *) ap_check_cmd_context(cmd_parms *cmd, unsigned forbidden)
{
    (void)cmd;
    (void)forbidden;
    return NULL;
}

/* The start-up checks ask which modules are loaded: none in a unit test
 * (no unit test maps an endpoint). */
AP_DECLARE(module *) ap_find_linked_module(const char *name)
{
    (void)name;
    return NULL;
}

AP_DECLARE(piped_log *) ap_open_piped_log(apr_pool_t *p, const char *program)
{
    (void)p;
    (void)program;
    return NULL;
}

AP_DECLARE(apr_file_t *) ap_piped_log_write_fd(piped_log *pl)
{
    (void)pl;
    return NULL;
}

/* Authn providers (ap_provider.h): "file" checks passwords, "nocheck" does
 * not, any other name is unknown. */
static authn_status ut_check_password(request_rec *r, const char *user, const char *password)
{
    (void)r;
    (void)user;
    (void)password;
    return AUTH_DENIED;
}

void *ap_lookup_provider(const char *group, const char *name, const char *version)
{
    static const authn_provider file = {ut_check_password, NULL};
    static const authn_provider nocheck = {NULL, NULL};

    (void)version;
    if (strcmp(group, AUTHN_PROVIDER_GROUP) != 0) {
        return NULL;
    }
    return strcmp(name, "file") == 0      ? (void *)&file
           : strcmp(name, "nocheck") == 0 ? (void *)&nocheck
                                          : NULL;
}

/* ap_expr: an expression with an unclosed "%{" does not parse. */
ap_expr_info_t *ap_expr_parse_cmd_mi(const cmd_parms *cmd, const char *expr, unsigned int flags,
                                     const char **err, ap_expr_lookup_fn_t *lookup_fn,
                                     int module_index)
{
    const char *open = strstr(expr, "%{");

    (void)flags;
    (void)lookup_fn;
    (void)module_index;
    if (open && !strchr(open, '}')) {
        *err = "syntax error";
        return NULL;
    }
    *err = NULL;
    return apr_pcalloc(cmd->pool, sizeof(ap_expr_info_t));
}
