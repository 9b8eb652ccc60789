/*
 * The purge of expired rows inside httpd: one process of all the children
 * (mod_watchdog's singleton child watchdog, as mod_proxy_hcheck and mod_md
 * use it) runs oidp_store_purge every OIDCIdPPurgeInterval, never on the
 * request path. Without mod_watchdog, or with OIDCIdPPurgeInterval Off,
 * `oidc-idp-admin purge` (cron) does it.
 */
#ifndef OIDP_PURGE_H
#define OIDP_PURGE_H

#include <httpd.h>

/* post_config: registers the watchdog callback (or logs once that purging
 * needs the admin tool). OK, or an HTTP error status, logged. */
int oidp_purge_init(apr_pool_t *pconf, server_rec *s);

#endif /* OIDP_PURGE_H */
