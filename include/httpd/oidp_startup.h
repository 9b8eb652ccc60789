/*
 * Start-up checks and the per-server runtime (src/httpd/startup.c), called
 * by the hooks of mod_oidc_idp.c.
 */
#ifndef OIDP_STARTUP_H
#define OIDP_STARTUP_H

#include <httpd.h>

/* Checks what single directives cannot: an issuer needs a signing key with
 * RS256, keys need an issuer, mod_dbd must be loaded. Returns NULL or one
 * sentence naming the server. Used by test_config (apachectl configtest) and
 * post_config. */
const char *oidp_startup_check(apr_pool_t *p, server_rec *s);

/* post_config: builds each IdP server's runtime (keys, endpoint URLs, the
 * JWKS and the discovery document). The SQL statements are registered
 * with mod_dbd earlier, by OIDCIdPIssuer (src/httpd/config.c). */
int oidp_startup_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

/* child_init: every provider's database must have the schema version this
 * module was built for (OIDP_SCHEMA_VERSION); otherwise the child exits
 * with APEXIT_CHILDFATAL and httpd stops, naming the command to run. */
void oidp_startup_child_init(apr_pool_t *pchild, server_rec *s);

/* "DRIVER:PARAMS" of the DBDriver and DBDParams lines that apply to s (its
 * <VirtualHost>'s, else the main server's): servers with the same key share
 * one database. */
const char *oidp_startup_dbd_key(apr_pool_t *p, server_rec *s);

/* apachectl configtest: the schema version of each provider's database,
 * read with apr_dbd from the DBDriver and DBDParams lines (mod_dbd has no
 * connections then). An SQLite file that does not exist yet or a database
 * that cannot be reached is only warned about. NULL or the message. */
const char *oidp_startup_check_schema(apr_pool_t *p, server_rec *s);

#endif /* OIDP_STARTUP_H */
