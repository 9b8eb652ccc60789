/*
 * OpenID Provider metadata (OpenID Connect Discovery 1.0 section 3, RFC
 * 8414): the document, from plain inputs. It lists only what the module
 * implements. Built once per server at start-up (src/httpd/startup.c).
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "oidp_json.h"
#include "oidp_acr.h"
#include "oidp_metadata.h"

static json_t *strings(const char *const *v)
{
    json_t *a = json_array();

    for (; *v; v++) {
        json_array_append_new(a, json_string(*v));
    }
    return a;
}

static const char *const scopes[] = {"openid", "profile",        "email", "address",
                                     "phone",  "offline_access", NULL};
const char *const oidp_metadata_grant_types[] = {"authorization_code", "refresh_token",
                                                 "client_credentials", NULL};
static const char *const auth_methods[] = {"client_secret_basic", "client_secret_post", NULL};
static const char *const token_auth_methods[] = {"client_secret_basic", "client_secret_post",
                                                 "none", NULL};
/* clang-format off */
static const char *const claims[] = {
    "iss",   "sub",          "aud",         "exp",     "iat",           "auth_time", "amr", "acr",
    "nonce", "azp",          "at_hash",     "sid",     "name",          "given_name",
    "family_name", "preferred_username", "picture", "locale",  "updated_at",    "email",
    "email_verified", "phone_number", "phone_number_verified", "address", "groups", NULL};
/* clang-format on */

const char *oidp_metadata_json(apr_pool_t *p, const oidp_metadata_t *m)
{
    json_t *d = oidp_json_bind(p, json_object());
    json_t *algs = json_array();
    int i;

    json_object_set_new(d, "issuer", json_string(m->issuer));
    json_object_set_new(d, "authorization_endpoint",
                        json_string(m->endpoint_url[OIDP_EP_AUTHORIZATION]));
    json_object_set_new(d, "token_endpoint", json_string(m->endpoint_url[OIDP_EP_TOKEN]));
    json_object_set_new(d, "userinfo_endpoint", json_string(m->endpoint_url[OIDP_EP_USERINFO]));
    json_object_set_new(d, "jwks_uri", json_string(m->endpoint_url[OIDP_EP_JWKS]));
    json_object_set_new(d, "introspection_endpoint",
                        json_string(m->endpoint_url[OIDP_EP_INTROSPECTION]));
    json_object_set_new(d, "revocation_endpoint", json_string(m->endpoint_url[OIDP_EP_REVOCATION]));
    json_object_set_new(d, "end_session_endpoint",
                        json_string(m->endpoint_url[OIDP_EP_END_SESSION]));
    json_object_set_new(d, "scopes_supported", strings(scopes));
    json_object_set_new(d, "response_types_supported",
                        strings((const char *const[]){"code", NULL}));
    json_object_set_new(d, "response_modes_supported",
                        strings((const char *const[]){"query", "fragment", "form_post", NULL}));
    json_object_set_new(d, "grant_types_supported", strings(oidp_metadata_grant_types));
    json_object_set_new(d, "subject_types_supported",
                        strings((const char *const[]){"public", NULL}));

    /* RS256 first (always present: the start-up check requires an RSA key) */
    json_array_append_new(algs, json_string("RS256"));
    for (i = 0; i < m->keys->keys->nelts; i++) {
        const oidp_key_t *k = APR_ARRAY_IDX(m->keys->keys, i, const oidp_key_t *);
        int j, seen = 0;
        for (j = 0; j < (int)json_array_size(algs); j++) {
            seen |= strcmp(json_string_value(json_array_get(algs, j)), k->alg_name) == 0;
        }
        if (!seen) {
            json_array_append_new(algs, json_string(k->alg_name));
        }
    }
    json_object_set_new(d, "id_token_signing_alg_values_supported", algs);
    json_object_set_new(d, "token_endpoint_auth_methods_supported", strings(token_auth_methods));
    json_object_set_new(d, "introspection_endpoint_auth_methods_supported", strings(auth_methods));
    json_object_set_new(d, "revocation_endpoint_auth_methods_supported", strings(auth_methods));
    json_object_set_new(d, "code_challenge_methods_supported",
                        m->plain_pkce ? strings((const char *const[]){"S256", "plain", NULL})
                                      : strings((const char *const[]){"S256", NULL}));
    json_object_set_new(d, "claims_supported", strings(claims));
    json_object_set_new(d, "acr_values_supported", strings(oidp_acr_supported));
    json_object_set_new(d, "claims_parameter_supported", json_true());
    json_object_set_new(d, "request_parameter_supported", json_false());
    json_object_set_new(d, "request_uri_parameter_supported", json_false());
    json_object_set_new(d, "authorization_response_iss_parameter_supported", json_true());
    json_object_set_new(d, "prompt_values_supported",
                        strings((const char *const[]){"none", "login", "consent", "select_account",
                                                      NULL}));
    return oidp_json_dump(p, d, NULL);
}
