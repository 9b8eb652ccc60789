/*
 * The audit log: one JSON line per security event (include/httpd/oidp_audit.h).
 * Opened in post_config as mod_log_config opens CustomLog: a file in append
 * mode, or a piped program (ap_open_piped_log); written with one
 * apr_file_write per line, unbuffered, so that O_APPEND (or a pipe write of
 * at most PIPE_BUF bytes) keeps the lines of all threads and children whole.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>
#include <http_core.h>
#include <http_log.h>
#include <httpd.h>
#include <jansson.h>

#include "oidc_idp.h"
#include "oidp_audit.h"
#include "oidp_config.h"
#include "oidp_status.h"
#include "oidp_util.h"

/* a field is at most this long; a line stays well under PIPE_BUF (4096) */
#define FIELD_MAX 200
#define FIELDS_MAX 12

static apr_file_t *open_target(apr_pool_t *p, server_rec *s, const char *target)
{
    apr_file_t *fd = NULL;
    apr_status_t rv;

    if (*target == '|') {
        piped_log *pl = ap_open_piped_log(p, target + 1);
        if (!pl) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         OIDP_LOGNO(00250) "OIDCIdPAuditLog: cannot start '%s'", target + 1);
            return NULL;
        }
        return ap_piped_log_write_fd(pl);
    }
    target = ap_server_root_relative(p, target);
    rv = target ? apr_file_open(&fd, target, APR_FOPEN_WRITE | APR_FOPEN_APPEND | APR_FOPEN_CREATE,
                                APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD, p)
                : APR_EBADPATH;
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     OIDP_LOGNO(00251) "OIDCIdPAuditLog: cannot open '%s'", target);
        return NULL;
    }
    return fd;
}

int oidp_audit_open(apr_pool_t *pconf, server_rec *s)
{
    apr_hash_t *opened = apr_hash_make(pconf);
    server_rec *sv;

    /* the first pass of the configuration only checks it: open nothing */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (sv = s; sv; sv = sv->next) {
        oidp_cfg_t *c = ap_get_module_config(sv->module_config, &oidc_idp_module);
        const char *target = oidp_cfg_audit_log(c);
        apr_file_t *fd;

        c->audit_fd = NULL;
        if (!target || !c->issuer) {
            continue;
        }
        fd = apr_hash_get(opened, target, APR_HASH_KEY_STRING);
        if (!fd) {
            fd = open_target(pconf, sv, target);
            if (!fd) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            apr_hash_set(opened, target, APR_HASH_KEY_STRING, fd);
        }
        c->audit_fd = fd;
    }
    return OK;
}

/* v as a JSON string: at most FIELD_MAX bytes, control characters and
 * bytes that are not valid UTF-8 replaced by '?'. */
static json_t *field(apr_pool_t *p, const char *v)
{
    apr_size_t n = strlen(v);
    char *s;
    apr_size_t i;
    json_t *j;

    if (n > FIELD_MAX) {
        n = FIELD_MAX;
    }
    j = json_stringn(v, n);
    if (j) {
        return j;
    }
    s = apr_pstrmemdup(p, v, n);
    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x80) {
            s[i] = '?';
        }
    }
    return json_stringn(s, n);
}

static const char *request_id(request_rec *r)
{
    const char *id = apr_table_get(r->subprocess_env, "UNIQUE_ID");

    if (!id) {
        id = r->log_id;
    }
    if (!id) {
        id = apr_table_get(r->notes, "oidp-request-id");
    }
    if (!id) {
        id = oidp_util_random_token(r->pool, 9);
        apr_table_setn(r->notes, "oidp-request-id", id ? id : "-");
    }
    return id ? id : "-";
}

static const char *now_iso(apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    apr_time_exp_t t;

    apr_time_exp_gmt(&t, now);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
                        t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, t.tm_usec / 1000);
}

void oidp_audit(request_rec *r, const char *event, ...)
{
    const oidp_cfg_t *c = ap_get_module_config(r->server->module_config, &oidc_idp_module);
    json_t *j;
    char *raw, *line;
    apr_size_t len;
    apr_status_t rv;
    const char *outcome = NULL, *grant_type = NULL;
    /* the name/value pairs, read once: for the counters and for the line
     * (a NULL value is no field; at most FIELDS_MAX fields) */
    const char *kv[2 * FIELDS_MAX];
    va_list ap;
    int n = 0, i;

    va_start(ap, event);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        const char *v;
        if (!k) {
            break;
        }
        v = va_arg(ap, const char *);
        if (strcmp(k, "outcome") == 0) {
            outcome = v;
        }
        else if (strcmp(k, "grant_type") == 0) {
            grant_type = v;
        }
        if (v && n < FIELDS_MAX) {
            kv[2 * n] = k;
            kv[2 * n + 1] = v;
            n++;
        }
    }
    va_end(ap);
    /* every event is counted for server-status, audit log or not */
    oidp_status_event(event, outcome, grant_type);
    if (!c || !c->audit_fd) {
        return;
    }
    j = json_object();
    if (!j) {
        return;
    }
    json_object_set_new(j, "time", json_string(now_iso(r->pool)));
    json_object_set_new(j, "event", field(r->pool, event));
    json_object_set_new(j, "issuer", field(r->pool, c->issuer ? c->issuer : ""));
    json_object_set_new(j, "ip", field(r->pool, r->useragent_ip ? r->useragent_ip : "-"));
    json_object_set_new(j, "request_id", field(r->pool, request_id(r)));
    for (i = 0; i < n; i++) {
        json_object_set_new(j, kv[2 * i], field(r->pool, kv[2 * i + 1]));
    }
    raw = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!raw) {
        return;
    }
    line = apr_pstrcat(r->pool, raw, "\n", NULL);
    free(raw);
    len = strlen(line);
    rv = apr_file_write(c->audit_fd, line, &len);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      OIDP_LOGNO(00252) "audit log: a line could not be written (event %s)", event);
    }
}
