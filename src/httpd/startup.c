/*
 * Start-up: what single directives cannot check (apachectl configtest and
 * post_config), and each provider's runtime, built once per server at
 * post_config and read-only afterwards: keys, endpoint URLs, the JWKS and
 * the discovery document.
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "oidc_idp.h"
#include "oidp_config.h"
#include "oidp_dbd.h"
#include "oidp_metadata.h"
#include "oidp_pages.h"
#include "oidp_session.h"
#include "oidp_startup.h"


static const char *server_label(apr_pool_t *p, server_rec *s)
{
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "(default)",
                        s->port);
}

const char *oidp_startup_check(apr_pool_t *p, server_rec *s)
{
    server_rec *sp;
    int any = 0;

    for (sp = s; sp; sp = sp->next) {
        const oidp_cfg_t *c = ap_get_module_config(sp->module_config, &oidc_idp_module);
        if (!c->issuer) {
            if (c->keys) {
                return apr_psprintf(p, "mod_oidc_idp: server %s has OIDCIdPSigningKey but no "
                                       "OIDCIdPIssuer",
                                    server_label(p, sp));
            }
            continue;
        }
        any = 1;
        if (!c->keys || c->keys->nelts == 0) {
            return apr_psprintf(p, "mod_oidc_idp: server %s has OIDCIdPIssuer %s but no "
                                   "OIDCIdPSigningKey",
                                server_label(p, sp), c->issuer);
        }
        if (!oidp_jose_keyset_find_alg(&(oidp_keyset_t){c->keys}, OIDP_ALG_RS256)) {
            return apr_psprintf(p, "mod_oidc_idp: server %s needs an RSA OIDCIdPSigningKey: "
                                   "OpenID Connect requires RS256",
                                server_label(p, sp));
        }
    }
    if (any && !oidp_dbd_loaded()) {
        return "mod_oidc_idp: mod_dbd must be loaded (LoadModule dbd_module ...)";
    }
    return NULL;
}

static oidp_runtime_t *runtime_build(apr_pool_t *p, const oidp_cfg_t *c)
{
    oidp_runtime_t *rt = apr_pcalloc(p, sizeof(*rt));
    oidp_keyset_t *ks = apr_pcalloc(p, sizeof(*ks));
    oidp_metadata_t m;
    int i;

    ks->keys = c->keys;
    rt->keys = ks;
    oidp_cfg_check_issuer(p, c->issuer, &rt->origin);
    for (i = 0; i < OIDP_EP__COUNT; i++) {
        const char *path = oidp_cfg_endpoint_path(c, (oidp_endpoint_e)i);
        rt->endpoint_url[i] = path[0] == '/' ? apr_pstrcat(p, rt->origin, path, NULL) : path;
    }
    rt->jwks_json = oidp_jose_jwks_json(p, ks);
    rt->jwks_len = strlen(rt->jwks_json);
    m.issuer = c->issuer;
    memcpy(m.endpoint_url, rt->endpoint_url, sizeof(m.endpoint_url));
    m.keys = ks;
    m.plain_pkce = oidp_cfg_allow_plain_pkce(c);
    rt->discovery_json = oidp_metadata_json(p, &m);
    rt->mint.issuer = c->issuer;
    rt->mint.keys = ks;
    rt->mint.audience = c->access_token_audience;
    rt->mint.access_ttl = oidp_cfg_access_token_ttl(c);
    rt->mint.refresh_ttl = oidp_cfg_refresh_token_ttl(c);
    rt->mint.id_token_ttl = oidp_cfg_id_token_ttl(c);
    rt->discovery_len = strlen(rt->discovery_json);
    return rt;
}

int oidp_startup_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    const char *err = oidp_startup_check(ptemp, s);
    server_rec *sp;

    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OIDP_LOGNO(00004) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!oidp_session_init()) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OIDP_LOGNO(00012) "mod_session is not loaded: the authorization and logout "
                                       "endpoints need mod_session, mod_session_cookie and "
                                       "mod_session_crypto");
    }
    oidp_pages_init(pconf);
    for (sp = s; sp; sp = sp->next) {
        oidp_cfg_t *c = ap_get_module_config(sp->module_config, &oidc_idp_module);
        if (!c->issuer) {
            continue;
        }
        c->rt = runtime_build(pconf, c);
    }
    return OK;
}
