/*
 * Storage: the data model and every SQL statement, run through APR DBD.
 * The statement table (src/store.c) is the only place SQL is written; the
 * module prepares it once per connection through mod_dbd (src/store_dbd.c),
 * the admin tool through apr_dbd directly. Functions here take an
 * oidp_db_t and a pool, never a request, so unit tests and the admin tool
 * run the same code on SQLite.
 */
#ifndef OIDP_STORE_H
#define OIDP_STORE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_hash.h>

struct apr_dbd_driver_t;
struct apr_dbd_t;

typedef enum {
    OIDP_STMT_CLIENT_GET,
    OIDP_STMT_TOKEN_INSERT,
    OIDP_STMT_TOKEN_GET,
    OIDP_STMT_TOKEN_REVOKE,
    OIDP_STMT_TOKEN_REVOKE_GRANT,
    OIDP_STMT_GRANT_REVOKE,
    OIDP_STMT_TOKEN_REDEEM,
    OIDP_STMT_USER_GET_BY_NAME,
    OIDP_STMT_USER_GET_BY_ID,
    OIDP_STMT_USER_GET_BY_SOURCE,
    OIDP_STMT_USER_INSERT, /* a provider's user at the first sign-in (and the admin tool) */
    OIDP_STMT_USER_UPDATE, /* its claims at each sign-in */
    OIDP_STMT_CODE_INSERT,
    OIDP_STMT_CODE_REDEEM,
    OIDP_STMT_SESSION_INSERT,
    OIDP_STMT_SESSION_GET,
    OIDP_STMT_SESSION_END,
    OIDP_STMT_SESSION_REAUTH,
    OIDP_STMT_CONSENT_GET,
    OIDP_STMT_CONSENT_PUT,
    OIDP_STMT_THROTTLE_GET,
    OIDP_STMT_THROTTLE_FAIL,
    OIDP_STMT_THROTTLE_CLEAR,
    OIDP_STMT_TOKEN_STATE,
    OIDP_STMT_CLIENT_GET_COUNTED,
    /* statements below are used by the admin tool only and are not
     * prepared by httpd */
    OIDP_STMT__HTTPD_COUNT,
    OIDP_STMT_CLIENT_LIST = OIDP_STMT__HTTPD_COUNT,
    OIDP_STMT_CLIENT_INSERT,
    OIDP_STMT_CLIENT_UPDATE,
    OIDP_STMT_CLIENT_DELETE,
    OIDP_STMT_CLIENT_URI_INSERT,
    OIDP_STMT_CLIENT_URI_DELETE,
    OIDP_STMT_CLIENT_TOKENS_DELETE,
    OIDP_STMT_USER_LIST,
    OIDP_STMT_USER_DELETE,
    OIDP_STMT_USER_TOKENS_DELETE,
    OIDP_STMT_USER_TOKENS_REVOKE,
    OIDP_STMT_USER_SESSIONS_END,
    OIDP_STMT_CLIENT_CODES_DELETE,
    OIDP_STMT_CLIENT_CONSENTS_DELETE,
    OIDP_STMT_TOKEN_PURGE,
    OIDP_STMT_CODE_PURGE,
    OIDP_STMT_SESSION_PURGE,
    OIDP_STMT_GRANT_PURGE,
    OIDP_STMT_THROTTLE_PURGE,
    OIDP_STMT__COUNT
} oidp_stmt_e;

typedef struct oidp_stmt_def_t {
    oidp_stmt_e id;
    const char *label; /* also the PostgreSQL prepared statement name */
    const char *sql;   /* apr_dbd placeholders: %s */
} oidp_stmt_def_t;

const oidp_stmt_def_t *oidp_store_stmt_def(oidp_stmt_e id);

/* A connection with its prepared statements (label -> apr_dbd_prepared_t *):
 * mod_dbd's ap_dbd_t, or the admin tool's own. */
typedef struct oidp_db_t {
    const struct apr_dbd_driver_t *driver;
    struct apr_dbd_t *handle;
    apr_hash_t *prepared;
} oidp_db_t;

/* Prepares the first count statements of the table on db's connection
 * (OIDP_STMT__HTTPD_COUNT: what httpd runs; OIDP_STMT__COUNT: all), into
 * db->prepared, skipping those it has already; p must live as long as the
 * connection. APR_EGENERAL with *err naming the statement that does not
 * prepare (a missing or outdated schema). */
apr_status_t oidp_store_prepare(apr_pool_t *p, oidp_db_t *db, int count, const char **err);

#define OIDP_AUTH_BASIC "client_secret_basic"
#define OIDP_AUTH_POST "client_secret_post"
#define OIDP_AUTH_NONE "none"

typedef struct oidp_client_t {
    const char *client_id;
    const char *secret_hash;              /* SHA-256 hex; NULL for a public client */
    const char *auth_method;              /* OIDP_AUTH_*: the registered method */
    int auth_method_pinned;               /* a client with a secret uses auth_method only;
                                           * else Basic or the body (RFC 6749 2.3.1) */
    const char *grant_types;              /* space-separated */
    const char *scopes;                   /* space-separated scopes the client may get */
    const char *display_name;             /* may be NULL */
    const char *dialect;                  /* "standard" or "casdoor" */
    int first_party;                      /* consent skipped */
    const char *id_token_alg;             /* NULL: the first key's */
    apr_array_header_t *redirect_uris;    /* const char * */
    apr_array_header_t *post_logout_uris; /* const char * */
    apr_int64_t created_at;
    apr_int64_t updated_at;
} oidp_client_t;

typedef struct oidp_user_t {
    const char *id; /* the subject, a UUID */
    const char *username;
    const char *password_hash; /* bcrypt (any APR format is accepted) */
    const char *name;
    const char *given_name;
    const char *family_name;
    const char *email;
    int email_verified;
    const char *phone_number;
    int phone_number_verified;
    const char *address_formatted;
    const char *address_street;
    const char *address_locality;
    const char *address_region;
    const char *address_postal_code;
    const char *address_country;
    const char *picture;
    const char *locale;
    const char *groups; /* JSON array of strings, or NULL */
    int disabled;
    apr_int64_t created_at;
    apr_int64_t updated_at;
    const char *source; /* "" (or NULL): this table's password; else the authn provider's name */
} oidp_user_t;

/* What one grant carries: the fields that its code, its refresh tokens and
 * its access tokens have alike, copied as one. */
typedef struct oidp_grant_t {
    const char *client_id;
    const char *user_id;   /* NULL for client_credentials: the client acts for itself */
    const char *scope;     /* granted, space-separated, may be "" */
    apr_int64_t auth_time; /* 0 when no user authenticated */
    const char *sid;       /* the login session, if any */
    const char *grant_id;  /* tokens of one grant are revoked together */
    const char *claims;    /* the claims request (JSON) or NULL */
    const char *amr;       /* how the user authenticated: space-separated RFC 8176
                            * values ("pwd", "otp mfa pwd"), or NULL */
    const char *acr;       /* the authentication context class reached, or NULL */
} oidp_grant_t;

#define OIDP_TOKEN_ACCESS "access"
#define OIDP_TOKEN_REFRESH "refresh"

typedef struct oidp_token_t {
    const char *token_hash; /* SHA-256 hex of the token */
    const char *issuer;     /* the issuer that issued it */
    const char *audience;   /* aud of an access token */
    const char *kind;       /* OIDP_TOKEN_* */
    oidp_grant_t grant;
    const char *jti;
    apr_int64_t issued_at;
    apr_int64_t expires_at;
    int revoked; /* a count: > 1 after a rotated refresh token is replayed */
    int rowless; /* a client_credentials access token known from its signed
                  * claims alone (no row: oidp_mint_access_parse); its
                  * grant_id is its jti, revoked through oidp_grant_revoked */
    /* filled by oidp_store_token_get */
    const oidp_user_t *user;    /* NULL if none or deleted */
    const char *client_dialect; /* the client's claim dialect */
} oidp_token_t;

/* An authorization code (stored by hash, single use). */
typedef struct oidp_code_t {
    const char *code_hash;
    const char *issuer;
    oidp_grant_t grant;
    const char *redirect_uri;
    const char *nonce;
    const char *code_challenge;
    const char *code_challenge_method;
    apr_int64_t created_at;
    apr_int64_t expires_at;
    int used; /* after oidp_store_code_redeem: 1 on the first redemption */
} oidp_code_t;

/* A login session at the IdP: the browser's cookie holds only the sid. */
typedef struct oidp_session_t {
    const char *sid;
    const char *issuer;
    const char *user_id;
    apr_int64_t auth_time;
    const char *amr; /* as in oidp_grant_t */
    const char *acr;
    apr_int64_t created_at;
    apr_int64_t expires_at;
    int ended;
    const oidp_user_t *user; /* filled by oidp_store_session_get */
} oidp_session_t;

/* Results: APR_SUCCESS, APR_NOTFOUND (no such row), or APR_EGENERAL with
 * *err set to the driver's message (for the log, never for the client). */
apr_status_t oidp_store_client_get(oidp_client_t **c, apr_pool_t *p, oidp_db_t *db,
                                   const char *client_id, const char **err);
apr_status_t oidp_store_client_list(apr_array_header_t **clients, apr_pool_t *p, oidp_db_t *db,
                                    const char **err);
apr_status_t oidp_store_client_put(apr_pool_t *p, oidp_db_t *db, const oidp_client_t *c, int insert,
                                   const char **err);
apr_status_t oidp_store_client_delete(apr_pool_t *p, oidp_db_t *db, const char *client_id,
                                      const char **err);

/* By username (a user of this table's own passwords: source '') or by id. */
apr_status_t oidp_store_user_get(oidp_user_t **u, apr_pool_t *p, oidp_db_t *db,
                                 const char *username, const char *id, const char **err);
/* By source (an authn provider's name; "" or NULL: this table) and username. */
apr_status_t oidp_store_user_find(oidp_user_t **u, apr_pool_t *p, oidp_db_t *db, const char *source,
                                  const char *username, const char **err);
apr_status_t oidp_store_user_list(apr_array_header_t **users, apr_pool_t *p, oidp_db_t *db,
                                  const char **err);
apr_status_t oidp_store_user_put(apr_pool_t *p, oidp_db_t *db, const oidp_user_t *u, int insert,
                                 const char **err);
apr_status_t oidp_store_user_delete(apr_pool_t *p, oidp_db_t *db, const char *id, const char **err);
/* Signs a user out everywhere: ends their login sessions (at every issuer)
 * and revokes every token issued to them (after a password change or when
 * the account is disabled). *sessions and *tokens (either may be NULL) are
 * the numbers of rows changed. */
apr_status_t oidp_store_user_revoke(int *sessions, int *tokens, apr_pool_t *p, oidp_db_t *db,
                                    const char *id, const char **err);

apr_status_t oidp_store_token_insert(apr_pool_t *p, oidp_db_t *db, const oidp_token_t *t,
                                     const char **err);
/* The token row by hash, with its user's name; APR_NOTFOUND also when its
 * client no longer exists. */
apr_status_t oidp_store_token_get(oidp_token_t **t, apr_pool_t *p, oidp_db_t *db,
                                  const char *token_hash, const char **err);
/* Marks a refresh token of this client used and returns it, atomically
 * (one statement): t->revoked == 1 on its first use; more means it was
 * already used or revoked (a replay). APR_NOTFOUND if this client has no
 * such refresh token (another client's is left untouched). */
apr_status_t oidp_store_token_redeem(oidp_token_t **t, apr_pool_t *p, oidp_db_t *db,
                                     const char *token_hash, const char *client_id,
                                     const char *issuer, const char **err);
apr_status_t oidp_store_token_revoke(apr_pool_t *p, oidp_db_t *db, const char *token_hash,
                                     const char **err);
/* Revokes a grant as a whole: its tokens now, and any token of it stored
 * later (oidp_store_token_get counts them revoked, redemption refuses them). */
apr_status_t oidp_store_token_revoke_grant(apr_pool_t *p, oidp_db_t *db, const char *grant_id,
                                           const char **err);
/* The state of a token known from its verified claims (t->rowless), in one
 * round trip: its client's dialect, and t->revoked when its grant (jti) is in
 * oidp_grant_revoked or a row of the same hash (stored before rows were
 * dropped for these tokens) is revoked. APR_NOTFOUND when its client no
 * longer exists. */
apr_status_t oidp_store_token_state(oidp_token_t *t, apr_pool_t *p, oidp_db_t *db,
                                    const char **err);
/* Records a grant (or a row-less token's jti) as revoked: every token of it
 * is inactive at once. */
apr_status_t oidp_store_grant_revoke(apr_pool_t *p, oidp_db_t *db, const char *grant_id,
                                     const char **err);
apr_status_t oidp_store_code_insert(apr_pool_t *p, oidp_db_t *db, const oidp_code_t *c,
                                    const char **err);
/* Marks the code (of this client and issuer) used and returns it in one atomic statement:
 * c->used is 1 for the first redemption, more for a replay. APR_NOTFOUND if this client has
 * no such code (another client's is left untouched: presenting it does not burn it). */
apr_status_t oidp_store_code_redeem(oidp_code_t **c, apr_pool_t *p, oidp_db_t *db,
                                    const char *code_hash, const char *client_id,
                                    const char *issuer, const char **err);

apr_status_t oidp_store_session_insert(apr_pool_t *p, oidp_db_t *db, const oidp_session_t *s,
                                       const char **err);
/* The session of this issuer with its user (APR_NOTFOUND if the sid or the
 * user is gone, or the session belongs to another issuer). */
apr_status_t oidp_store_session_get(oidp_session_t **s, apr_pool_t *p, oidp_db_t *db,
                                    const char *sid, const char *issuer, const char **err);
apr_status_t oidp_store_session_end(apr_pool_t *p, oidp_db_t *db, const char *sid,
                                    const char **err);
/* Records a new authentication in a live session of this issuer (a second
 * factor, a re-authentication): its auth_time, amr and acr. APR_NOTFOUND if
 * the session is gone or ended. */
apr_status_t oidp_store_session_reauth(apr_pool_t *p, oidp_db_t *db, const oidp_session_t *s,
                                       const char **err);

/* The scope a user granted a client, or NULL. */
apr_status_t oidp_store_consent_get(const char **scope, apr_pool_t *p, oidp_db_t *db,
                                    const char *user_id, const char *client_id, const char **err);
apr_status_t oidp_store_consent_put(apr_pool_t *p, oidp_db_t *db, const char *user_id,
                                    const char *client_id, const char *scope, const char **err);

/* A throttle counter (oidp_throttle): failures of one key and the time of
 * the last; both 0 for a key without a row. */
typedef struct oidp_throttle_count_t {
    apr_int64_t failures;
    apr_int64_t last_at;
} oidp_throttle_count_t;

/* oidp_store_client_get and the two throttle counters of client
 * authentication (oidp_store_throttle_get's) in one statement. APR_NOTFOUND
 * (counters not read) when there is no such client. */
apr_status_t oidp_store_client_get_counted(oidp_client_t **c, oidp_throttle_count_t *c1,
                                           oidp_throttle_count_t *c2, apr_pool_t *p, oidp_db_t *db,
                                           const char *client_id, const char *key1,
                                           const char *key2, const char **err);
/* The counters of two keys in one round trip (key2 may equal key1). */
apr_status_t oidp_store_throttle_get(oidp_throttle_count_t *c1, oidp_throttle_count_t *c2,
                                     apr_pool_t *p, oidp_db_t *db, const char *key1,
                                     const char *key2, const char **err);
/* Counts a failure of key at now, atomically (one statement): the counter
 * starts again at 1 when its last failure is older than forget_before.
 * *c is the counter after the failure. */
apr_status_t oidp_store_throttle_fail(oidp_throttle_count_t *c, apr_pool_t *p, oidp_db_t *db,
                                      const char *key, apr_int64_t now, apr_int64_t forget_before,
                                      const char **err);
/* Clears the counter of key. */
apr_status_t oidp_store_throttle_clear(apr_pool_t *p, oidp_db_t *db, const char *key,
                                       const char **err);

/* Deletes tokens, codes and sessions expired before `before`, and throttle
 * counters idle for a day (longer than OIDCIdPThrottleWindow allows); *n is
 * the number of rows removed. */
apr_status_t oidp_store_purge(int *n, apr_pool_t *p, oidp_db_t *db, apr_int64_t before,
                              const char **err);

/* Transactions around multi-statement writes (admin tool). */
apr_status_t oidp_store_begin(apr_pool_t *p, oidp_db_t *db, void **txn, const char **err);
apr_status_t oidp_store_end(apr_pool_t *p, oidp_db_t *db, void *txn, int commit);

#endif /* OIDP_STORE_H */
