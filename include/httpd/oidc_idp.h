/*
 * mod_oidc_idp: an OpenID Provider inside Apache httpd.
 *
 * Shared declarations for the httpd-facing layers (src/httpd,
 * src/endpoints): the module record, the log tag macro and the handler
 * type. The core (src/core, include/core) and the admin tool build
 * without httpd and never include this header.
 */
#ifndef OIDP_OIDC_IDP_H
#define OIDP_OIDC_IDP_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#define OIDP_VERSION "0.1.0"

/* Log tags: "OIDP00042: ". Numbers are unique and never reused; the next
 * free one is in include/next-log-number (checked by tests/check_sources.sh). */
#define OIDP_LOGNO(n) "OIDP" #n ": "

APLOG_USE_MODULE(oidc_idp);

#if defined(__GNUC__)
#define OIDP_EXPORT __attribute__((visibility("default")))
#else
#define OIDP_EXPORT
#endif

extern OIDP_EXPORT module AP_MODULE_DECLARE_DATA oidc_idp_module;

struct oidp_cfg_t;

/* An endpoint's content handler: called by the dispatcher in
 * mod_oidc_idp.c once the handler name and the method have been checked. */
typedef int oidp_handler_fn(request_rec *r, const struct oidp_cfg_t *cfg);

#endif /* OIDP_OIDC_IDP_H */
