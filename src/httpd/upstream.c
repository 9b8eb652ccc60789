/*
 * Identities from upstream Apache authentication (OIDCIdPUpstreamAuth):
 * r->user as another module set it in this request's check_user_id phase
 * (mod_auth_basic with any provider, mod_auth_gssapi, mod_ssl's
 * SSLUserName, mod_auth_mellon), trusted only when that module verified it.
 *
 * How each is told apart and what it says (amr: RFC 8176 values):
 *   AuthType Basic            amr pwd  acr password
 *   AuthType Negotiate/GSSAPI amr wia  acr kerberos  (RFC 8176 "wia":
 *                             Windows integrated authentication, which is
 *                             Kerberos through SPNEGO)
 *   AuthType ClientCert (as mod_ssl's SSLUserName sets it) or none, and
 *   mod_ssl's SSL_CLIENT_VERIFY is SUCCESS
 *                             amr swk  acr x509  (proof of a key: "swk",
 *                             as nothing says the key is in hardware; "hwk"
 *                             would claim more than is known)
 *   any other AuthType        no amr   acr upstream
 * A certificate mod_ssl did not verify (SSL_CLIENT_VERIFY FAILED or
 * GENEROUS: SSLVerifyClient optional_no_ca) makes every identity of the
 * request untrusted, whatever the AuthType (FakeBasicAuth would otherwise
 * turn it into a Basic user); r->user without an AuthType and without a
 * verified certificate is not trusted either (some module set it, nobody
 * says it checked anything).
 */
#include <string.h>

#include <apr_optional.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <mod_ssl.h>

#include "oidc_idp.h"
#include "oidp_acr.h"
#include "oidp_authn.h"
#include "oidp_claims.h"

/* mod_ssl's SSL_CLIENT_VERIFY of this request, or NULL (no mod_ssl, not
 * https, no certificate asked for). */
static const char *client_verify(request_rec *r)
{
    APR_OPTIONAL_FN_TYPE(ssl_var_lookup) *lookup = APR_RETRIEVE_OPTIONAL_FN(ssl_var_lookup);
    const char *v;

    if (!lookup) {
        return NULL;
    }
    v = lookup(r->pool, r->server, r->connection, r, (char *)"SSL_CLIENT_VERIFY");
    return v && *v ? v : NULL;
}

static int untrusted(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  OIDP_LOGNO(00730) "upstream user '%s' not trusted: %s",
                  ap_escape_logitem(r->pool, r->user), why);
    return 0;
}

int oidp_upstream_identity(oidp_upstream_t *id, request_rec *r)
{
    const char *type = r->ap_auth_type, *verify;

    memset(id, 0, sizeof(*id));
    if (!r->user || !*r->user) {
        return 0;
    }
    if (strlen(r->user) > 256) {
        return untrusted(r, "the name is longer than 256 bytes");
    }
    verify = client_verify(r);
    if (verify && strcmp(verify, "SUCCESS") != 0 && strcmp(verify, "NONE") != 0) {
        return untrusted(r, apr_pstrcat(r->pool,
                                        "the client certificate was not verified "
                                        "(SSL_CLIENT_VERIFY ",
                                        verify, ")", NULL));
    }
    id->name = r->user;
    if (!type || !*type || strcasecmp(type, "ClientCert") == 0) {
        /* mod_ssl's SSLUserName sets AuthType "ClientCert" (httpd 2.4.71) */
        if (!verify || strcmp(verify, "SUCCESS") != 0) {
            return untrusted(r, "no AuthType and no verified client certificate say who "
                                "checked it");
        }
        id->source = "upstream-x509";
        id->amr = OIDP_AMR_SWK;
        id->acr = OIDP_ACR_X509;
    }
    else if (strcasecmp(type, "Basic") == 0) {
        id->source = "upstream-basic";
        id->amr = OIDP_AMR_PWD;
        id->acr = OIDP_ACR_PASSWORD;
    }
    else if (strcasecmp(type, "Negotiate") == 0 || strcasecmp(type, "GSSAPI") == 0) {
        id->source = "upstream-kerberos";
        id->amr = OIDP_AMR_WIA;
        id->acr = OIDP_ACR_KERBEROS;
    }
    else {
        char *s = apr_pstrcat(r->pool, "upstream-", type, NULL);
        ap_str_tolower(s);
        id->source = s;
        id->acr = OIDP_ACR_UPSTREAM;
    }
    return 1;
}
