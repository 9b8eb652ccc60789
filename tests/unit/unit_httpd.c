/*
 * Fakes of the httpd structures the httpd-facing code reads, for the unit
 * tests of src/httpd (tests/unit/httpd).
 */
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "unit_httpd.h"

server_rec *ut_server(apr_pool_t *p, void *cfg)
{
    server_rec *s = apr_pcalloc(p, sizeof(*s));
    void **vec = apr_pcalloc(p, sizeof(void *) * (oidc_idp_module.module_index + 1));

    vec[oidc_idp_module.module_index] = cfg;
    s->module_config = (ap_conf_vector_t *)vec;
    s->process = apr_pcalloc(p, sizeof(*s->process));
    s->process->pool = p;
    s->process->pconf = p;
    s->server_hostname = "unit.test";
    s->port = 443;
    s->log.level = APLOG_TRACE8;
    return s;
}

request_rec *ut_request(apr_pool_t *p, server_rec *s)
{
    request_rec *r = apr_pcalloc(p, sizeof(*r));

    r->pool = p;
    r->server = s;
    r->log = &s->log;
    r->connection = apr_pcalloc(p, sizeof(*r->connection));
    r->connection->pool = p;
    r->connection->base_server = s;
    r->connection->log = &s->log;
    r->connection->bucket_alloc = apr_bucket_alloc_create(p);
    r->headers_in = apr_table_make(p, 8);
    r->headers_out = apr_table_make(p, 8);
    r->err_headers_out = apr_table_make(p, 8);
    r->subprocess_env = apr_table_make(p, 8);
    r->notes = apr_table_make(p, 8);
    r->method = "POST";
    r->method_number = M_POST;
    r->protocol = "HTTP/1.1";
    r->proto_num = HTTP_VERSION(1, 1);
    r->status = HTTP_OK;
    return r;
}

cmd_parms *ut_cmd(apr_pool_t *p, server_rec *s, const char *name, void *info)
{
    cmd_parms *cmd = apr_pcalloc(p, sizeof(*cmd));
    command_rec *cr = apr_pcalloc(p, sizeof(*cr));

    cr->name = name;
    cr->req_override = RSRC_CONF;
    cmd->cmd = cr;
    cmd->info = info;
    cmd->pool = p;
    cmd->temp_pool = p;
    cmd->server = s;
    cmd->override = RSRC_CONF;
    return cmd;
}
