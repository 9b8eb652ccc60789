/*
 * The statement table and the SQL-running half of the store. Portable SQL
 * only (SQLite and PostgreSQL), apr_dbd "%s" placeholders, every value
 * passed as a parameter: no SQL is ever assembled from input.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_dbd.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "oidp_store.h"

/* clang-format off: the columns and the statements are laid out by hand */
#define CLIENT_COLS                                                                        \
    "c.client_id, c.secret_hash, c.auth_method, c.grant_types, c.scopes, c.display_name, " \
    "c.claim_dialect, c.first_party, c.id_token_alg, c.created_at, c.updated_at, "         \
    "c.auth_method_pinned, u.kind, u.uri"
#define CLIENT_FROM " FROM oidp_client c LEFT JOIN oidp_client_uri u ON u.client_id = c.client_id"

/* the user's columns, with a table prefix ("" or "u.") */
#define UCOLS(t)                                                                                \
    t "id, " t "username, " t "password_hash, " t "name, " t "given_name, " t "family_name, " t \
      "email, " t "email_verified, " t "phone_number, " t "phone_number_verified, " t           \
      "address_formatted, " t "address_street, " t "address_locality, " t "address_region, " t  \
      "address_postal_code, " t "address_country, " t "picture, " t "locale, " t "groups, " t   \
      "disabled, " t "created_at, " t "updated_at, " t "source"
#define USER_COLS UCOLS("")
#define USER_NCOLS 23

#define TCOLS(t)                                                                                  \
    t "token_hash, " t "issuer, " t "audience, " t "kind, " t "client_id, " t "user_id, " t       \
      "scope, " t "jti, " t "grant_id, " t "sid, " t "claims, " t "auth_time, " t "issued_at, " t \
      "expires_at, " t "revoked, " t "amr, " t "acr"
#define TOKEN_NCOLS 17

#define CODE_COLS                                                                         \
    "code_hash, issuer, client_id, user_id, redirect_uri, scope, nonce, code_challenge, " \
    "code_challenge_method, claims, auth_time, sid, grant_id, created_at, expires_at, used, amr, acr"

/* Placeholders: %s for text, %lld for integers (PostgreSQL types the
 * parameters of a prepared statement by them; SQLite converts by column
 * affinity). */
static const oidp_stmt_def_t stmts[OIDP_STMT__COUNT] = {
    [OIDP_STMT_CLIENT_GET] = {OIDP_STMT_CLIENT_GET, "oidp_client_get",
                              "SELECT " CLIENT_COLS CLIENT_FROM
                              " WHERE c.client_id = %s ORDER BY u.kind, u.uri"},
    [OIDP_STMT_TOKEN_INSERT] =
        {OIDP_STMT_TOKEN_INSERT, "oidp_token_insert",
         "INSERT INTO oidp_token (token_hash, issuer, audience, kind, client_id, user_id, scope, jti, "
         "grant_id, sid, claims, auth_time, issued_at, expires_at, amr, acr) "
         "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld, %s, %s)"},
    [OIDP_STMT_TOKEN_GET] =
        {OIDP_STMT_TOKEN_GET, "oidp_token_get",
         "SELECT " TCOLS("t.") ", g.grant_id, c.claim_dialect, " UCOLS(
             "u.") " FROM oidp_token t JOIN oidp_client c ON c.client_id = t.client_id "
                   "LEFT JOIN oidp_grant_revoked g ON g.grant_id = t.grant_id "
                   "LEFT JOIN oidp_user u ON u.id = t.user_id WHERE t.token_hash = %s"},
    [OIDP_STMT_TOKEN_REVOKE] =
        {OIDP_STMT_TOKEN_REVOKE, "oidp_token_revoke",
         "UPDATE oidp_token SET revoked = 1 WHERE token_hash = %s AND revoked = 0"},
    [OIDP_STMT_TOKEN_REVOKE_GRANT] =
        {OIDP_STMT_TOKEN_REVOKE_GRANT, "oidp_token_revoke_grant",
         "UPDATE oidp_token SET revoked = revoked + 1 WHERE grant_id = %s"},
    [OIDP_STMT_GRANT_REVOKE] =
        {OIDP_STMT_GRANT_REVOKE, "oidp_grant_revoke",
         "INSERT INTO oidp_grant_revoked (grant_id, revoked_at) VALUES (%s, %lld) "
         "ON CONFLICT (grant_id) DO NOTHING"},
    [OIDP_STMT_TOKEN_REDEEM] =
        {OIDP_STMT_TOKEN_REDEEM, "oidp_token_redeem",
         "UPDATE oidp_token SET revoked = revoked + 1 "
         "WHERE token_hash = %s AND kind = 'refresh' AND client_id = %s AND issuer = %s "
         "AND NOT EXISTS (SELECT 1 FROM oidp_grant_revoked g WHERE g.grant_id = oidp_token.grant_id) "
         "RETURNING " TCOLS("")},
    [OIDP_STMT_USER_GET_BY_NAME] = {OIDP_STMT_USER_GET_BY_NAME, "oidp_user_get_by_name",
                                    "SELECT " USER_COLS
                                    " FROM oidp_user WHERE source = '' AND username = %s"},
    [OIDP_STMT_USER_GET_BY_SOURCE] = {OIDP_STMT_USER_GET_BY_SOURCE, "oidp_user_get_by_source",
                                      "SELECT " USER_COLS
                                      " FROM oidp_user WHERE source = %s AND username = %s"},
    [OIDP_STMT_USER_GET_BY_ID] = {OIDP_STMT_USER_GET_BY_ID, "oidp_user_get_by_id",
                                  "SELECT " USER_COLS " FROM oidp_user WHERE id = %s"},
    [OIDP_STMT_CODE_INSERT] = {OIDP_STMT_CODE_INSERT, "oidp_code_insert",
                               "INSERT INTO oidp_code (" CODE_COLS
                               ") VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                               "%lld, %s, %s, %lld, %lld, 0, %s, %s)"},
    [OIDP_STMT_CODE_REDEEM] =
        {OIDP_STMT_CODE_REDEEM, "oidp_code_redeem",
         "UPDATE oidp_code SET used = used + 1 WHERE code_hash = %s AND client_id = %s "
         "AND issuer = %s "
         "RETURNING " CODE_COLS},
    [OIDP_STMT_SESSION_INSERT] =
        {OIDP_STMT_SESSION_INSERT, "oidp_session_insert",
         "INSERT INTO oidp_session (sid, issuer, user_id, auth_time, created_at, expires_at, amr, "
         "acr) VALUES (%s, %s, %s, %lld, %lld, %lld, %s, %s)"},
    [OIDP_STMT_SESSION_GET] =
        {OIDP_STMT_SESSION_GET, "oidp_session_get",
         "SELECT s.sid, s.user_id, s.auth_time, s.created_at, s.expires_at, s.ended, s.amr, "
         "s.acr, " UCOLS("u.") " FROM oidp_session s JOIN oidp_user u ON u.id = s.user_id "
                               "WHERE s.sid = %s AND s.issuer = %s"},
    [OIDP_STMT_SESSION_END] = {OIDP_STMT_SESSION_END, "oidp_session_end",
                               "UPDATE oidp_session SET ended = 1 WHERE sid = %s"},
    [OIDP_STMT_SESSION_REAUTH] = {OIDP_STMT_SESSION_REAUTH, "oidp_session_reauth",
                                  "UPDATE oidp_session SET auth_time = %lld, amr = %s, acr = %s "
                                  "WHERE sid = %s AND issuer = %s AND ended = 0"},
    [OIDP_STMT_CONSENT_GET] =
        {OIDP_STMT_CONSENT_GET, "oidp_consent_get",
         "SELECT scope FROM oidp_consent WHERE user_id = %s AND client_id = %s"},
    [OIDP_STMT_CONSENT_PUT] =
        {OIDP_STMT_CONSENT_PUT, "oidp_consent_put",
         "INSERT INTO oidp_consent (user_id, client_id, scope, granted_at) VALUES (%s, %s, %s, %lld) "
         "ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, "
         "granted_at = excluded.granted_at"},
    [OIDP_STMT_THROTTLE_GET] =
        {OIDP_STMT_THROTTLE_GET, "oidp_throttle_get",
         "SELECT tkey, failures, last_at FROM oidp_throttle WHERE tkey IN (%s, %s)"},
    [OIDP_STMT_THROTTLE_FAIL] =
        {OIDP_STMT_THROTTLE_FAIL, "oidp_throttle_fail",
         "INSERT INTO oidp_throttle (tkey, failures, last_at) VALUES (%s, 1, %lld) "
         "ON CONFLICT (tkey) DO UPDATE SET failures = CASE WHEN oidp_throttle.last_at < %lld "
         "THEN 1 ELSE oidp_throttle.failures + 1 END, last_at = excluded.last_at "
         "RETURNING failures, last_at"},
    [OIDP_STMT_THROTTLE_CLEAR] = {OIDP_STMT_THROTTLE_CLEAR, "oidp_throttle_clear",
                                  "DELETE FROM oidp_throttle WHERE tkey = %s"},
    [OIDP_STMT_CLIENT_GET_COUNTED] =
        {OIDP_STMT_CLIENT_GET_COUNTED, "oidp_client_get_counted",
         "SELECT " CLIENT_COLS ", "
         "(SELECT failures FROM oidp_throttle WHERE tkey = %s), "
         "(SELECT last_at FROM oidp_throttle WHERE tkey = %s), "
         "(SELECT failures FROM oidp_throttle WHERE tkey = %s), "
         "(SELECT last_at FROM oidp_throttle WHERE tkey = %s)" CLIENT_FROM
         " WHERE c.client_id = %s ORDER BY u.kind, u.uri"},
    [OIDP_STMT_TOKEN_STATE] =
        {OIDP_STMT_TOKEN_STATE, "oidp_token_state",
         "SELECT c.claim_dialect, g.grant_id, t.revoked FROM oidp_client c "
         "LEFT JOIN oidp_grant_revoked g ON g.grant_id = %s "
         "LEFT JOIN oidp_token t ON t.token_hash = %s WHERE c.client_id = %s"},

    [OIDP_STMT_CLIENT_LIST] = {OIDP_STMT_CLIENT_LIST, "oidp_client_list",
                               "SELECT " CLIENT_COLS CLIENT_FROM
                               " ORDER BY c.client_id, u.kind, u.uri"},
    [OIDP_STMT_CLIENT_INSERT] =
        {OIDP_STMT_CLIENT_INSERT, "oidp_client_insert",
         "INSERT INTO oidp_client (client_id, secret_hash, auth_method, grant_types, scopes, "
         "display_name, claim_dialect, first_party, id_token_alg, created_at, updated_at, "
         "auth_method_pinned) VALUES (%s, %s, %s, %s, %s, %s, %s, %lld, %s, %lld, %lld, %lld)"},
    [OIDP_STMT_CLIENT_UPDATE] =
        {OIDP_STMT_CLIENT_UPDATE, "oidp_client_update",
         "UPDATE oidp_client SET secret_hash = %s, auth_method = %s, grant_types = %s, scopes = %s, "
         "display_name = %s, claim_dialect = %s, first_party = %lld, id_token_alg = %s, "
         "created_at = %lld, updated_at = %lld, auth_method_pinned = %lld WHERE client_id = %s"},
    [OIDP_STMT_CLIENT_DELETE] = {OIDP_STMT_CLIENT_DELETE, "oidp_client_delete",
                                 "DELETE FROM oidp_client WHERE client_id = %s"},
    [OIDP_STMT_CLIENT_URI_INSERT] =
        {OIDP_STMT_CLIENT_URI_INSERT, "oidp_client_uri_insert",
         "INSERT INTO oidp_client_uri (client_id, kind, uri) VALUES (%s, %s, %s)"},
    [OIDP_STMT_CLIENT_URI_DELETE] = {OIDP_STMT_CLIENT_URI_DELETE, "oidp_client_uri_delete",
                                     "DELETE FROM oidp_client_uri WHERE client_id = %s"},
    [OIDP_STMT_CLIENT_TOKENS_DELETE] = {OIDP_STMT_CLIENT_TOKENS_DELETE, "oidp_client_tokens_delete",
                                        "DELETE FROM oidp_token WHERE client_id = %s"},
    [OIDP_STMT_USER_LIST] = {OIDP_STMT_USER_LIST, "oidp_user_list",
                             "SELECT " USER_COLS " FROM oidp_user ORDER BY username"},
    [OIDP_STMT_USER_INSERT] = {OIDP_STMT_USER_INSERT, "oidp_user_insert",
                               "INSERT INTO oidp_user (" USER_COLS
                               ") VALUES (%s, %s, %s, %s, %s, %s, %s, %lld, %s, %lld, "
                               "%s, %s, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld, %s)"},
    [OIDP_STMT_USER_UPDATE] =
        {OIDP_STMT_USER_UPDATE, "oidp_user_update",
         "UPDATE oidp_user SET id = %s, username = %s, password_hash = %s, name = %s, given_name = %s, "
         "family_name = %s, email = %s, email_verified = %lld, phone_number = %s, "
         "phone_number_verified = %lld, address_formatted = %s, address_street = %s, "
         "address_locality = %s, address_region = %s, address_postal_code = %s, "
         "address_country = %s, picture = %s, locale = %s, groups = %s, disabled = %lld, "
         "created_at = %lld, updated_at = %lld, source = %s WHERE id = %s"},
    [OIDP_STMT_USER_DELETE] = {OIDP_STMT_USER_DELETE, "oidp_user_delete",
                               "DELETE FROM oidp_user WHERE id = %s"},
    [OIDP_STMT_USER_TOKENS_DELETE] = {OIDP_STMT_USER_TOKENS_DELETE, "oidp_user_tokens_delete",
                                      "DELETE FROM oidp_token WHERE user_id = %s"},
    [OIDP_STMT_USER_TOKENS_REVOKE] = {OIDP_STMT_USER_TOKENS_REVOKE, "oidp_user_tokens_revoke",
                                      "UPDATE oidp_token SET revoked = 1 "
                                      "WHERE user_id = %s AND revoked = 0"},
    [OIDP_STMT_USER_SESSIONS_END] = {OIDP_STMT_USER_SESSIONS_END, "oidp_user_sessions_end",
                                     "UPDATE oidp_session SET ended = 1 "
                                     "WHERE user_id = %s AND ended = 0"},
    [OIDP_STMT_CLIENT_CODES_DELETE] = {OIDP_STMT_CLIENT_CODES_DELETE, "oidp_client_codes_delete",
                                       "DELETE FROM oidp_code WHERE client_id = %s"},
    [OIDP_STMT_CLIENT_CONSENTS_DELETE] = {OIDP_STMT_CLIENT_CONSENTS_DELETE,
                                          "oidp_client_consents_delete",
                                          "DELETE FROM oidp_consent WHERE client_id = %s"},
    [OIDP_STMT_TOKEN_PURGE] = {OIDP_STMT_TOKEN_PURGE, "oidp_token_purge",
                               "DELETE FROM oidp_token WHERE expires_at < %lld"},
    [OIDP_STMT_CODE_PURGE] = {OIDP_STMT_CODE_PURGE, "oidp_code_purge",
                              "DELETE FROM oidp_code WHERE expires_at < %lld"},
    [OIDP_STMT_SESSION_PURGE] = {OIDP_STMT_SESSION_PURGE, "oidp_session_purge",
                                 "DELETE FROM oidp_session WHERE expires_at < %lld"},
    [OIDP_STMT_GRANT_PURGE] = {OIDP_STMT_GRANT_PURGE, "oidp_grant_purge",
                               "DELETE FROM oidp_grant_revoked WHERE revoked_at < %lld"},
    [OIDP_STMT_THROTTLE_PURGE] = {OIDP_STMT_THROTTLE_PURGE, "oidp_throttle_purge",
                                  "DELETE FROM oidp_throttle WHERE last_at < %lld"},
};
/* clang-format on */

const oidp_stmt_def_t *oidp_store_stmt_def(oidp_stmt_e id)
{
    if (id < 0 || id >= OIDP_STMT__COUNT) {
        return NULL;
    }
    return &stmts[id];
}

static int is_pgsql(oidp_db_t *db)
{
    return strcmp(apr_dbd_name(db->driver), "pgsql") == 0;
}

/* SQLite's busy timeout, and apr_dbd's SQLite driver. The driver runs
 * each statement up to 16 times while SQLite answers "busy" (100 ms apart,
 * apr-util 1.6's MAX_RETRY_COUNT), and SQLite waits the connection's busy
 * timeout in each attempt while the driver holds its process-wide mutex:
 * with DBDInitSQL's 5 s, a statement behind another writer's lock would
 * wait 16 times 5 s, and every other thread of the child would wait with
 * it, readers included. So the connection keeps the whole timeout only to
 * prepare the statements (one attempt), then waits a sixteenth of it, at
 * most OIDP_SQLITE_ATTEMPT_MS, per attempt, the mutex let go in between:
 * a statement behind a long lock fails after 16 * (100 + 100) ms = 3.2 s
 * when it waits alone, longer when several threads of one child wait (the
 * mutex serialises their attempts), never 16 busy timeouts.
 * A connection without a busy timeout gets OIDP_SQLITE_BUSY_MS: mod_dbd
 * prepares its own statements before it runs DBDInitSQL and stops at the
 * first one that fails, and "PRAGMA synchronous" reads the schema, so a
 * connection opened while the database is locked (the old children of a
 * graceful restart still writing) is left without the "PRAGMA
 * busy_timeout" that followed it. */
#define OIDP_SQLITE_BUSY_MS 5000
#define OIDP_SQLITE_ATTEMPTS 16
#define OIDP_SQLITE_ATTEMPT_MS 100

static int sqlite_busy_get(apr_pool_t *p, oidp_db_t *db)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int ms = 0;

    if (apr_dbd_select(db->driver, p, db->handle, &res, "PRAGMA busy_timeout", 1) == 0) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            const char *v = apr_dbd_get_entry(db->driver, row, 0);
            ms = v ? atoi(v) : 0;
        }
    }
    return ms > 0 ? ms : OIDP_SQLITE_BUSY_MS;
}

static void sqlite_busy_set(apr_pool_t *p, oidp_db_t *db, int ms)
{
    int n = 0;

    /* "fails" because the pragma returns a row, and takes effect */
    apr_dbd_query(db->driver, db->handle, &n,
                  apr_psprintf(p, "PRAGMA busy_timeout = %d", ms > 0 ? ms : 1));
}

static apr_status_t prepare_all(apr_pool_t *p, oidp_db_t *db, int count, const char **err);

apr_status_t oidp_store_prepare(apr_pool_t *p, oidp_db_t *db, int count, const char **err)
{
    apr_status_t rv;
    int busy;

    if (strcmp(apr_dbd_name(db->driver), "sqlite3") != 0) {
        return prepare_all(p, db, count, err);
    }
    busy = sqlite_busy_get(p, db);
    sqlite_busy_set(p, db, busy);
    rv = prepare_all(p, db, count, err);
    busy /= OIDP_SQLITE_ATTEMPTS;
    sqlite_busy_set(p, db, busy < OIDP_SQLITE_ATTEMPT_MS ? busy : OIDP_SQLITE_ATTEMPT_MS);
    return rv;
}

static apr_status_t prepare_all(apr_pool_t *p, oidp_db_t *db, int count, const char **err)
{
    int i;

    for (i = 0; i < count && i < OIDP_STMT__COUNT; i++) {
        apr_dbd_prepared_t *st = NULL;
        int rc;

        if (apr_hash_get(db->prepared, stmts[i].label, APR_HASH_KEY_STRING)) {
            continue; /* this connection has it (PostgreSQL refuses a name twice) */
        }
        rc = apr_dbd_prepare(db->driver, p, db->handle, stmts[i].sql, stmts[i].label, &st);
        if (rc != 0 && is_pgsql(db)) {
            /* forgotten after a failure (see failed()) on a session that
             * still has it: drop the server's copy and prepare it again */
            int n = 0;
            apr_dbd_query(db->driver, db->handle, &n,
                          apr_pstrcat(p, "DEALLOCATE ", stmts[i].label, NULL));
            rc = apr_dbd_prepare(db->driver, p, db->handle, stmts[i].sql, stmts[i].label, &st);
        }
        if (rc != 0) {
            *err = apr_pstrcat(p, stmts[i].label, ": ", apr_dbd_error(db->driver, db->handle, rc),
                               NULL);
            return APR_EGENERAL;
        }
        apr_hash_set(db->prepared, stmts[i].label, APR_HASH_KEY_STRING, st);
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */

static apr_dbd_prepared_t *stmt_get(oidp_db_t *db, oidp_stmt_e id, const char **err)
{
    apr_dbd_prepared_t *st = apr_hash_get(db->prepared, stmts[id].label, APR_HASH_KEY_STRING);
    if (!st) {
        *err = "statement not prepared (is the schema initialised?)";
    }
    return st;
}

/* A statement failed: the error for the log. On PostgreSQL the connection
 * may have been lost, and mod_dbd's check of it at the next acquire
 * reconnects (PQreset) to a session without the prepared statements: the
 * module's are forgotten on this connection, so that its next request
 * prepares them again (oidp_store_prepare) instead of failing for as long
 * as the connection lives. */
static apr_status_t failed(const char **err, apr_pool_t *p, oidp_db_t *db, oidp_stmt_e id, int rc)
{
    int i;

    *err = apr_pstrcat(p, stmts[id].label, ": ", apr_dbd_error(db->driver, db->handle, rc), NULL);
    if (is_pgsql(db)) {
        for (i = 0; i < OIDP_STMT__COUNT; i++) {
            apr_hash_set(db->prepared, stmts[i].label, APR_HASH_KEY_STRING, NULL);
        }
    }
    return APR_EGENERAL;
}

/* Random access (seek 1), never sequential: apr_dbd's PostgreSQL driver
 * answers a sequential select that fails (the server gone, a statement
 * cancelled) with an empty result and no error, so a lost database would
 * read as "no such client, token, user or session", and it sleeps 0.1 s on
 * every sequential select that has no row. Random access runs the
 * statement at once and returns its error. SQLite's driver reads every row
 * in apr_dbd_pselect either way, so its path is unchanged. */
static apr_status_t run_select(apr_dbd_results_t **res, apr_pool_t *p, oidp_db_t *db,
                               oidp_stmt_e id, int nargs, const char **args, const char **err)
{
    apr_dbd_prepared_t *st = stmt_get(db, id, err);
    int rc;

    if (!st) {
        return APR_EGENERAL;
    }
    *res = NULL;
    rc = apr_dbd_pselect(db->driver, p, db->handle, res, st, 1, nargs, args);
    if (rc != 0) {
        return failed(err, p, db, id, rc);
    }
    return APR_SUCCESS;
}

static apr_status_t run_query(int *nrows, apr_pool_t *p, oidp_db_t *db, oidp_stmt_e id, int nargs,
                              const char **args, const char **err)
{
    apr_dbd_prepared_t *st = stmt_get(db, id, err);
    int rc, n = 0;

    if (!st) {
        return APR_EGENERAL;
    }
    rc = apr_dbd_pquery(db->driver, p, db->handle, &n, st, nargs, args);
    if (rc != 0) {
        return failed(err, p, db, id, rc);
    }
    if (nrows) {
        *nrows = n;
    }
    return APR_SUCCESS;
}

/* Column n as text, NULL for SQL NULL (apr_dbd_get_entry cannot tell: the
 * PostgreSQL driver gives "" for NULL). */
static const char *raw(oidp_db_t *db, apr_dbd_row_t *row, int n)
{
    char *v = NULL;

    if (apr_dbd_datum_get(db->driver, row, n, APR_DBD_TYPE_STRING, &v) != APR_SUCCESS) {
        return NULL;
    }
    return v;
}

/* Column n of row as a string copied into p, NULL for SQL NULL. */
static const char *col(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row, int n)
{
    const char *v = raw(db, row, n);
    return v ? apr_pstrdup(p, v) : NULL;
}

static apr_int64_t col_int(oidp_db_t *db, apr_dbd_row_t *row, int n)
{
    const char *v = raw(db, row, n);
    return v ? apr_atoi64(v) : 0;
}

/* PostgreSQL booleans come back as "t"/"f" if a column is ever declared
 * boolean; integers as digits. Both map here. */
static int col_flag(oidp_db_t *db, apr_dbd_row_t *row, int n)
{
    const char *v = raw(db, row, n);
    return v && (*v == 't' || (*v >= '1' && *v <= '9'));
}

static const char *i64s(apr_pool_t *p, apr_int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

/* Maps a result row to a struct. */
typedef void *row_fn(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row);

/* Runs a select and maps its first row; the rest is drained so that the
 * driver releases the statement. APR_NOTFOUND when there is no row. */
static apr_status_t select_one(void **out, apr_pool_t *p, oidp_db_t *db, oidp_stmt_e id, int nargs,
                               const char **args, row_fn *fn, const char **err)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = run_select(&res, p, db, id, nargs, args, err);

    *out = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        if (!*out) {
            *out = fn(p, db, row);
        }
    }
    return *out ? APR_SUCCESS : APR_NOTFOUND;
}

/* ------------------------------------------------------------------ */
/* clients */

/* Reads every row of a CLIENT_COLS result into clients, one element per
 * client (rows of one client are adjacent thanks to ORDER BY). */
#define CLIENT_NCOLS 14

static void clients_from_rows(apr_array_header_t *clients, apr_pool_t *p, oidp_db_t *db,
                              apr_dbd_results_t *res, oidp_throttle_count_t *c1,
                              oidp_throttle_count_t *c2)
{
    apr_dbd_row_t *row = NULL;
    oidp_client_t *c = NULL;

    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *id = raw(db, row, 0);
        const char *kind, *uri;

        if (c1 && !c) {
            /* the throttle counters of oidp_client_get_counted, on every row */
            c1->failures = col_int(db, row, CLIENT_NCOLS);
            c1->last_at = col_int(db, row, CLIENT_NCOLS + 1);
            c2->failures = col_int(db, row, CLIENT_NCOLS + 2);
            c2->last_at = col_int(db, row, CLIENT_NCOLS + 3);
        }
        if (!c || strcmp(c->client_id, id) != 0) {
            c = apr_pcalloc(p, sizeof(*c));
            c->client_id = col(p, db, row, 0);
            c->secret_hash = col(p, db, row, 1);
            c->auth_method = col(p, db, row, 2);
            c->grant_types = col(p, db, row, 3);
            c->scopes = col(p, db, row, 4);
            c->display_name = col(p, db, row, 5);
            c->dialect = col(p, db, row, 6);
            c->first_party = col_flag(db, row, 7);
            c->id_token_alg = col(p, db, row, 8);
            c->created_at = col_int(db, row, 9);
            c->updated_at = col_int(db, row, 10);
            c->auth_method_pinned = col_flag(db, row, 11);
            c->redirect_uris = apr_array_make(p, 2, sizeof(const char *));
            c->post_logout_uris = apr_array_make(p, 1, sizeof(const char *));
            APR_ARRAY_PUSH(clients, oidp_client_t *) = c;
        }
        kind = raw(db, row, 12);
        uri = col(p, db, row, 13);
        if (kind && uri) {
            if (strcmp(kind, "redirect") == 0) {
                APR_ARRAY_PUSH(c->redirect_uris, const char *) = uri;
            }
            else if (strcmp(kind, "post_logout") == 0) {
                APR_ARRAY_PUSH(c->post_logout_uris, const char *) = uri;
            }
        }
    }
}

apr_status_t oidp_store_client_get(oidp_client_t **c, apr_pool_t *p, oidp_db_t *db,
                                   const char *client_id, const char **err)
{
    apr_dbd_results_t *res;
    apr_array_header_t *all = apr_array_make(p, 1, sizeof(oidp_client_t *));
    const char *args[1] = {client_id};
    apr_status_t rv = run_select(&res, p, db, OIDP_STMT_CLIENT_GET, 1, args, err);

    *c = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    clients_from_rows(all, p, db, res, NULL, NULL);
    if (all->nelts == 0) {
        return APR_NOTFOUND;
    }
    *c = APR_ARRAY_IDX(all, 0, oidp_client_t *);
    return APR_SUCCESS;
}

apr_status_t oidp_store_client_get_counted(oidp_client_t **c, oidp_throttle_count_t *c1,
                                           oidp_throttle_count_t *c2, apr_pool_t *p, oidp_db_t *db,
                                           const char *client_id, const char *key1,
                                           const char *key2, const char **err)
{
    apr_dbd_results_t *res;
    apr_array_header_t *all = apr_array_make(p, 1, sizeof(oidp_client_t *));
    const char *args[5] = {key1, key1, key2, key2, client_id};
    apr_status_t rv = run_select(&res, p, db, OIDP_STMT_CLIENT_GET_COUNTED, 5, args, err);

    *c = NULL;
    memset(c1, 0, sizeof(*c1));
    memset(c2, 0, sizeof(*c2));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    clients_from_rows(all, p, db, res, c1, c2);
    if (all->nelts == 0) {
        return APR_NOTFOUND;
    }
    *c = APR_ARRAY_IDX(all, 0, oidp_client_t *);
    return APR_SUCCESS;
}

apr_status_t oidp_store_client_list(apr_array_header_t **clients, apr_pool_t *p, oidp_db_t *db,
                                    const char **err)
{
    apr_dbd_results_t *res;
    apr_status_t rv = run_select(&res, p, db, OIDP_STMT_CLIENT_LIST, 0, NULL, err);

    *clients = apr_array_make(p, 8, sizeof(oidp_client_t *));
    if (rv == APR_SUCCESS) {
        clients_from_rows(*clients, p, db, res, NULL, NULL);
    }
    return rv;
}

static apr_status_t client_uris_put(apr_pool_t *p, oidp_db_t *db, const char *client_id,
                                    const char *kind, const apr_array_header_t *uris,
                                    const char **err)
{
    int i;

    for (i = 0; uris && i < uris->nelts; i++) {
        const char *args[3] = {client_id, kind, APR_ARRAY_IDX(uris, i, const char *)};
        apr_status_t rv = run_query(NULL, p, db, OIDP_STMT_CLIENT_URI_INSERT, 3, args, err);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t oidp_store_client_put(apr_pool_t *p, oidp_db_t *db, const oidp_client_t *c, int insert,
                                   const char **err)
{
    const char *fields[12] = {c->secret_hash,
                              c->auth_method,
                              c->grant_types,
                              c->scopes,
                              c->display_name,
                              c->dialect ? c->dialect : "standard",
                              c->first_party ? "1" : "0",
                              c->id_token_alg,
                              i64s(p, c->created_at),
                              i64s(p, c->updated_at),
                              c->auth_method_pinned ? "1" : "0",
                              c->client_id};
    const char *ins[12] = {c->client_id, fields[0], fields[1], fields[2], fields[3], fields[4],
                           fields[5],    fields[6], fields[7], fields[8], fields[9], fields[10]};
    const char *del[1] = {c->client_id};
    int n = 0;
    apr_status_t rv;

    if (insert) {
        rv = run_query(&n, p, db, OIDP_STMT_CLIENT_INSERT, 12, ins, err);
    }
    else {
        rv = run_query(&n, p, db, OIDP_STMT_CLIENT_UPDATE, 12, fields, err);
        if (rv == APR_SUCCESS && n == 0) {
            return APR_NOTFOUND;
        }
        if (rv == APR_SUCCESS) {
            rv = run_query(NULL, p, db, OIDP_STMT_CLIENT_URI_DELETE, 1, del, err);
        }
    }
    if (rv == APR_SUCCESS) {
        rv = client_uris_put(p, db, c->client_id, "redirect", c->redirect_uris, err);
    }
    if (rv == APR_SUCCESS) {
        rv = client_uris_put(p, db, c->client_id, "post_logout", c->post_logout_uris, err);
    }
    return rv;
}

apr_status_t oidp_store_client_delete(apr_pool_t *p, oidp_db_t *db, const char *client_id,
                                      const char **err)
{
    const char *args[1] = {client_id};
    int n = 0;
    /* its tokens and its codes go with it, and the consents given to it: a
     * client registered later under the same id inherits nothing */
    apr_status_t rv = run_query(NULL, p, db, OIDP_STMT_CLIENT_TOKENS_DELETE, 1, args, err);

    if (rv == APR_SUCCESS) {
        rv = run_query(NULL, p, db, OIDP_STMT_CLIENT_CODES_DELETE, 1, args, err);
    }
    if (rv == APR_SUCCESS) {
        rv = run_query(NULL, p, db, OIDP_STMT_CLIENT_CONSENTS_DELETE, 1, args, err);
    }
    if (rv == APR_SUCCESS) {
        rv = run_query(NULL, p, db, OIDP_STMT_CLIENT_URI_DELETE, 1, args, err);
    }
    if (rv == APR_SUCCESS) {
        rv = run_query(&n, p, db, OIDP_STMT_CLIENT_DELETE, 1, args, err);
    }
    if (rv == APR_SUCCESS && n == 0) {
        return APR_NOTFOUND;
    }
    return rv;
}

/* ------------------------------------------------------------------ */
/* users */

/* The UCOLS columns starting at column o; NULL when the row has no user
 * (a LEFT JOIN that found none). */
static oidp_user_t *user_from_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row, int o)
{
    oidp_user_t *u;

    if (!raw(db, row, o)) {
        return NULL;
    }
    u = apr_pcalloc(p, sizeof(*u));
    u->id = col(p, db, row, o + 0);
    u->username = col(p, db, row, o + 1);
    u->password_hash = col(p, db, row, o + 2);
    u->name = col(p, db, row, o + 3);
    u->given_name = col(p, db, row, o + 4);
    u->family_name = col(p, db, row, o + 5);
    u->email = col(p, db, row, o + 6);
    u->email_verified = col_flag(db, row, o + 7);
    u->phone_number = col(p, db, row, o + 8);
    u->phone_number_verified = col_flag(db, row, o + 9);
    u->address_formatted = col(p, db, row, o + 10);
    u->address_street = col(p, db, row, o + 11);
    u->address_locality = col(p, db, row, o + 12);
    u->address_region = col(p, db, row, o + 13);
    u->address_postal_code = col(p, db, row, o + 14);
    u->address_country = col(p, db, row, o + 15);
    u->picture = col(p, db, row, o + 16);
    u->locale = col(p, db, row, o + 17);
    u->groups = col(p, db, row, o + 18);
    u->disabled = col_flag(db, row, o + 19);
    u->created_at = col_int(db, row, o + 20);
    u->updated_at = col_int(db, row, o + 21);
    u->source = col(p, db, row, o + 22);
    return u;
}

static void *user_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row)
{
    return user_from_row(p, db, row, 0);
}

apr_status_t oidp_store_user_get(oidp_user_t **u, apr_pool_t *p, oidp_db_t *db,
                                 const char *username, const char *id, const char **err)
{
    const char *args[1] = {username ? username : id};

    return select_one((void **)u, p, db,
                      username ? OIDP_STMT_USER_GET_BY_NAME : OIDP_STMT_USER_GET_BY_ID, 1, args,
                      user_row, err);
}

apr_status_t oidp_store_user_find(oidp_user_t **u, apr_pool_t *p, oidp_db_t *db, const char *source,
                                  const char *username, const char **err)
{
    const char *args[2] = {source ? source : "", username};

    return select_one((void **)u, p, db, OIDP_STMT_USER_GET_BY_SOURCE, 2, args, user_row, err);
}

apr_status_t oidp_store_user_list(apr_array_header_t **users, apr_pool_t *p, oidp_db_t *db,
                                  const char **err)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = run_select(&res, p, db, OIDP_STMT_USER_LIST, 0, NULL, err);

    *users = apr_array_make(p, 8, sizeof(oidp_user_t *));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(*users, oidp_user_t *) = user_from_row(p, db, row, 0);
    }
    return APR_SUCCESS;
}

apr_status_t oidp_store_user_put(apr_pool_t *p, oidp_db_t *db, const oidp_user_t *u, int insert,
                                 const char **err)
{
    const char *args[USER_NCOLS + 1] = {u->id,
                                        u->username,
                                        u->password_hash,
                                        u->name,
                                        u->given_name,
                                        u->family_name,
                                        u->email,
                                        u->email_verified ? "1" : "0",
                                        u->phone_number,
                                        u->phone_number_verified ? "1" : "0",
                                        u->address_formatted,
                                        u->address_street,
                                        u->address_locality,
                                        u->address_region,
                                        u->address_postal_code,
                                        u->address_country,
                                        u->picture,
                                        u->locale,
                                        u->groups,
                                        u->disabled ? "1" : "0",
                                        i64s(p, u->created_at),
                                        i64s(p, u->updated_at),
                                        u->source ? u->source : "",
                                        u->id};
    int n = 0;
    apr_status_t rv;

    if (insert) {
        return run_query(NULL, p, db, OIDP_STMT_USER_INSERT, USER_NCOLS, args, err);
    }
    rv = run_query(&n, p, db, OIDP_STMT_USER_UPDATE, USER_NCOLS + 1, args, err);
    return (rv == APR_SUCCESS && n == 0) ? APR_NOTFOUND : rv;
}

apr_status_t oidp_store_user_delete(apr_pool_t *p, oidp_db_t *db, const char *id, const char **err)
{
    const char *args[1] = {id};
    int n = 0;
    apr_status_t rv = run_query(NULL, p, db, OIDP_STMT_USER_TOKENS_DELETE, 1, args, err);

    if (rv == APR_SUCCESS) {
        rv = run_query(&n, p, db, OIDP_STMT_USER_DELETE, 1, args, err);
    }
    return (rv == APR_SUCCESS && n == 0) ? APR_NOTFOUND : rv;
}

apr_status_t oidp_store_user_revoke(int *sessions, int *tokens, apr_pool_t *p, oidp_db_t *db,
                                    const char *id, const char **err)
{
    const char *args[1] = {id};
    int ns = 0, nt = 0;
    apr_status_t rv = run_query(&ns, p, db, OIDP_STMT_USER_SESSIONS_END, 1, args, err);

    if (rv == APR_SUCCESS) {
        rv = run_query(&nt, p, db, OIDP_STMT_USER_TOKENS_REVOKE, 1, args, err);
    }
    if (sessions) {
        *sessions = ns;
    }
    if (tokens) {
        *tokens = nt;
    }
    return rv;
}

/* ------------------------------------------------------------------ */
/* tokens */

apr_status_t oidp_store_token_insert(apr_pool_t *p, oidp_db_t *db, const oidp_token_t *t,
                                     const char **err)
{
    const char *args[16] = {
        t->token_hash,         t->issuer,
        t->audience,           t->kind,
        t->grant.client_id,    t->grant.user_id,
        t->grant.scope,        t->jti,
        t->grant.grant_id,     t->grant.sid,
        t->grant.claims,       t->grant.auth_time ? i64s(p, t->grant.auth_time) : NULL,
        i64s(p, t->issued_at), i64s(p, t->expires_at),
        t->grant.amr,          t->grant.acr};

    return run_query(NULL, p, db, OIDP_STMT_TOKEN_INSERT, 16, args, err);
}

static void *token_from_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row)
{
    oidp_token_t *k = apr_pcalloc(p, sizeof(*k));

    k->token_hash = col(p, db, row, 0);
    k->issuer = col(p, db, row, 1);
    k->audience = col(p, db, row, 2);
    k->kind = col(p, db, row, 3);
    k->grant.client_id = col(p, db, row, 4);
    k->grant.user_id = col(p, db, row, 5);
    k->grant.scope = col(p, db, row, 6);
    k->jti = col(p, db, row, 7);
    k->grant.grant_id = col(p, db, row, 8);
    k->grant.sid = col(p, db, row, 9);
    k->grant.claims = col(p, db, row, 10);
    k->grant.auth_time = col_int(db, row, 11);
    k->issued_at = col_int(db, row, 12);
    k->expires_at = col_int(db, row, 13);
    k->revoked = (int)col_int(db, row, 14);
    k->grant.amr = col(p, db, row, 15);
    k->grant.acr = col(p, db, row, 16);
    if (!k->grant.scope) {
        k->grant.scope = "";
    }
    return k;
}

/* A token with the state of its grant, its client's dialect and its user. */
static void *token_full_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row)
{
    oidp_token_t *t = token_from_row(p, db, row);

    if (raw(db, row, TOKEN_NCOLS)) {
        t->revoked++; /* its grant was revoked as a whole */
    }
    t->client_dialect = col(p, db, row, TOKEN_NCOLS + 1);
    t->user = user_from_row(p, db, row, TOKEN_NCOLS + 2);
    return t;
}

apr_status_t oidp_store_token_get(oidp_token_t **t, apr_pool_t *p, oidp_db_t *db,
                                  const char *token_hash, const char **err)
{
    const char *args[1] = {token_hash};

    return select_one((void **)t, p, db, OIDP_STMT_TOKEN_GET, 1, args, token_full_row, err);
}

apr_status_t oidp_store_token_redeem(oidp_token_t **t, apr_pool_t *p, oidp_db_t *db,
                                     const char *token_hash, const char *client_id,
                                     const char *issuer, const char **err)
{
    const char *args[3] = {token_hash, client_id, issuer};

    return select_one((void **)t, p, db, OIDP_STMT_TOKEN_REDEEM, 3, args, token_from_row, err);
}

apr_status_t oidp_store_token_revoke(apr_pool_t *p, oidp_db_t *db, const char *token_hash,
                                     const char **err)
{
    const char *args[1] = {token_hash};
    return run_query(NULL, p, db, OIDP_STMT_TOKEN_REVOKE, 1, args, err);
}

apr_status_t oidp_store_token_revoke_grant(apr_pool_t *p, oidp_db_t *db, const char *grant_id,
                                           const char **err)
{
    const char *args[2] = {grant_id, i64s(p, (apr_int64_t)apr_time_sec(apr_time_now()))};
    apr_status_t rv = run_query(NULL, p, db, OIDP_STMT_GRANT_REVOKE, 2, args, err);

    return rv == APR_SUCCESS ? run_query(NULL, p, db, OIDP_STMT_TOKEN_REVOKE_GRANT, 1, args, err)
                             : rv;
}

typedef struct token_state_t {
    const char *dialect;
    int revoked;
} token_state_t;

static void *token_state_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row)
{
    token_state_t *s = apr_pcalloc(p, sizeof(*s));

    s->dialect = col(p, db, row, 0);
    s->revoked = (raw(db, row, 1) ? 1 : 0) + (int)col_int(db, row, 2);
    return s;
}

apr_status_t oidp_store_token_state(oidp_token_t *t, apr_pool_t *p, oidp_db_t *db, const char **err)
{
    const char *args[3] = {t->grant.grant_id, t->token_hash, t->grant.client_id};
    token_state_t *s = NULL;
    apr_status_t rv = select_one((void **)&s, p, db, OIDP_STMT_TOKEN_STATE, 3, args,
                                 token_state_row, err);

    if (rv == APR_SUCCESS) {
        t->client_dialect = s->dialect;
        t->revoked += s->revoked;
    }
    return rv;
}

apr_status_t oidp_store_grant_revoke(apr_pool_t *p, oidp_db_t *db, const char *grant_id,
                                     const char **err)
{
    const char *args[2] = {grant_id, i64s(p, (apr_int64_t)apr_time_sec(apr_time_now()))};

    return run_query(NULL, p, db, OIDP_STMT_GRANT_REVOKE, 2, args, err);
}

apr_status_t oidp_store_purge(int *n, apr_pool_t *p, oidp_db_t *db, apr_int64_t before,
                              const char **err)
{
    static const oidp_stmt_e purge[] = {OIDP_STMT_TOKEN_PURGE, OIDP_STMT_CODE_PURGE,
                                        OIDP_STMT_SESSION_PURGE, OIDP_STMT_GRANT_PURGE,
                                        OIDP_STMT_THROTTLE_PURGE};
    /* a revoked grant is remembered longer than any of its tokens can live */
    const char *args[1] = {i64s(p, before)};
    const char *grant_args[1] = {i64s(p, before - 400 * 86400)};
    /* a throttle counter is forgotten after OIDCIdPThrottleWindow (at most a day) */
    const char *throttle_args[1] = {i64s(p, before - 86400)};
    size_t i;

    *n = 0;
    for (i = 0; i < sizeof(purge) / sizeof(purge[0]); i++) {
        int k = 0;
        apr_status_t rv = run_query(&k, p, db, purge[i], 1,
                                    purge[i] == OIDP_STMT_GRANT_PURGE      ? grant_args
                                    : purge[i] == OIDP_STMT_THROTTLE_PURGE ? throttle_args
                                                                           : args,
                                    err);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        *n += k;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* throttle counters */

apr_status_t oidp_store_throttle_get(oidp_throttle_count_t *c1, oidp_throttle_count_t *c2,
                                     apr_pool_t *p, oidp_db_t *db, const char *key1,
                                     const char *key2, const char **err)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *args[2] = {key1, key2};
    apr_status_t rv = run_select(&res, p, db, OIDP_STMT_THROTTLE_GET, 2, args, err);

    memset(c1, 0, sizeof(*c1));
    memset(c2, 0, sizeof(*c2));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *k = raw(db, row, 0);
        oidp_throttle_count_t v;

        v.failures = col_int(db, row, 1);
        v.last_at = col_int(db, row, 2);
        if (k && strcmp(k, key1) == 0) {
            *c1 = v;
        }
        if (k && strcmp(k, key2) == 0) {
            *c2 = v;
        }
    }
    return APR_SUCCESS;
}

static void *throttle_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row)
{
    oidp_throttle_count_t *c = apr_palloc(p, sizeof(*c));

    c->failures = col_int(db, row, 0);
    c->last_at = col_int(db, row, 1);
    return c;
}

apr_status_t oidp_store_throttle_fail(oidp_throttle_count_t *c, apr_pool_t *p, oidp_db_t *db,
                                      const char *key, apr_int64_t now, apr_int64_t forget_before,
                                      const char **err)
{
    const char *args[3] = {key, i64s(p, now), i64s(p, forget_before)};
    oidp_throttle_count_t *out = NULL;
    apr_status_t rv = select_one((void **)&out, p, db, OIDP_STMT_THROTTLE_FAIL, 3, args,
                                 throttle_row, err);

    if (rv == APR_NOTFOUND) {
        /* an upsert returns its row: none means the statement failed */
        *err = "oidp_throttle_fail: no row returned";
        return APR_EGENERAL;
    }
    if (rv == APR_SUCCESS) {
        *c = *out;
    }
    return rv;
}

apr_status_t oidp_store_throttle_clear(apr_pool_t *p, oidp_db_t *db, const char *key,
                                       const char **err)
{
    const char *args[1] = {key};

    return run_query(NULL, p, db, OIDP_STMT_THROTTLE_CLEAR, 1, args, err);
}

/* ------------------------------------------------------------------ */
/* codes */

apr_status_t oidp_store_code_insert(apr_pool_t *p, oidp_db_t *db, const oidp_code_t *c,
                                    const char **err)
{
    const char *args[17] = {c->code_hash,
                            c->issuer,
                            c->grant.client_id,
                            c->grant.user_id,
                            c->redirect_uri,
                            c->grant.scope,
                            c->nonce,
                            c->code_challenge,
                            c->code_challenge_method,
                            c->grant.claims,
                            i64s(p, c->grant.auth_time),
                            c->grant.sid,
                            c->grant.grant_id,
                            i64s(p, c->created_at),
                            i64s(p, c->expires_at),
                            c->grant.amr,
                            c->grant.acr};

    return run_query(NULL, p, db, OIDP_STMT_CODE_INSERT, 17, args, err);
}

static void *code_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row)
{
    oidp_code_t *k = apr_pcalloc(p, sizeof(*k));

    k->code_hash = col(p, db, row, 0);
    k->issuer = col(p, db, row, 1);
    k->grant.client_id = col(p, db, row, 2);
    k->grant.user_id = col(p, db, row, 3);
    k->redirect_uri = col(p, db, row, 4);
    k->grant.scope = col(p, db, row, 5);
    k->nonce = col(p, db, row, 6);
    k->code_challenge = col(p, db, row, 7);
    k->code_challenge_method = col(p, db, row, 8);
    k->grant.claims = col(p, db, row, 9);
    k->grant.auth_time = col_int(db, row, 10);
    k->grant.sid = col(p, db, row, 11);
    k->grant.grant_id = col(p, db, row, 12);
    k->created_at = col_int(db, row, 13);
    k->expires_at = col_int(db, row, 14);
    k->used = (int)col_int(db, row, 15);
    k->grant.amr = col(p, db, row, 16);
    k->grant.acr = col(p, db, row, 17);
    return k;
}

apr_status_t oidp_store_code_redeem(oidp_code_t **c, apr_pool_t *p, oidp_db_t *db,
                                    const char *code_hash, const char *client_id,
                                    const char *issuer, const char **err)
{
    const char *args[3] = {code_hash, client_id, issuer};

    return select_one((void **)c, p, db, OIDP_STMT_CODE_REDEEM, 3, args, code_row, err);
}

/* ------------------------------------------------------------------ */
/* sessions and consents */

apr_status_t oidp_store_session_insert(apr_pool_t *p, oidp_db_t *db, const oidp_session_t *s,
                                       const char **err)
{
    const char *args[8] = {s->sid,
                           s->issuer,
                           s->user_id,
                           i64s(p, s->auth_time),
                           i64s(p, s->created_at),
                           i64s(p, s->expires_at),
                           s->amr,
                           s->acr};

    return run_query(NULL, p, db, OIDP_STMT_SESSION_INSERT, 8, args, err);
}

static void *session_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row)
{
    oidp_session_t *k = apr_pcalloc(p, sizeof(*k));

    k->sid = col(p, db, row, 0);
    k->user_id = col(p, db, row, 1);
    k->auth_time = col_int(db, row, 2);
    k->created_at = col_int(db, row, 3);
    k->expires_at = col_int(db, row, 4);
    k->ended = col_flag(db, row, 5);
    k->amr = col(p, db, row, 6);
    k->acr = col(p, db, row, 7);
    k->user = user_from_row(p, db, row, 8);
    return k;
}

apr_status_t oidp_store_session_get(oidp_session_t **s, apr_pool_t *p, oidp_db_t *db,
                                    const char *sid, const char *issuer, const char **err)
{
    const char *args[2] = {sid, issuer};

    return select_one((void **)s, p, db, OIDP_STMT_SESSION_GET, 2, args, session_row, err);
}

apr_status_t oidp_store_session_end(apr_pool_t *p, oidp_db_t *db, const char *sid, const char **err)
{
    const char *args[1] = {sid};
    return run_query(NULL, p, db, OIDP_STMT_SESSION_END, 1, args, err);
}

apr_status_t oidp_store_session_reauth(apr_pool_t *p, oidp_db_t *db, const oidp_session_t *s,
                                       const char **err)
{
    const char *args[5] = {i64s(p, s->auth_time), s->amr, s->acr, s->sid, s->issuer};
    int n = 0;
    apr_status_t rv = run_query(&n, p, db, OIDP_STMT_SESSION_REAUTH, 5, args, err);

    return rv == APR_SUCCESS && n == 0 ? APR_NOTFOUND : rv;
}

static void *text_row(apr_pool_t *p, oidp_db_t *db, apr_dbd_row_t *row)
{
    const char *v = col(p, db, row, 0);
    return (void *)(v ? v : "");
}

apr_status_t oidp_store_consent_get(const char **scope, apr_pool_t *p, oidp_db_t *db,
                                    const char *user_id, const char *client_id, const char **err)
{
    const char *args[2] = {user_id, client_id};
    apr_status_t rv = select_one((void **)scope, p, db, OIDP_STMT_CONSENT_GET, 2, args, text_row,
                                 err);

    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t oidp_store_consent_put(apr_pool_t *p, oidp_db_t *db, const char *user_id,
                                    const char *client_id, const char *scope, const char **err)
{
    const char *args[4] = {user_id, client_id, scope,
                           i64s(p, (apr_int64_t)apr_time_sec(apr_time_now()))};
    return run_query(NULL, p, db, OIDP_STMT_CONSENT_PUT, 4, args, err);
}

/* ------------------------------------------------------------------ */

apr_status_t oidp_store_begin(apr_pool_t *p, oidp_db_t *db, void **txn, const char **err)
{
    apr_dbd_transaction_t *t = NULL;
    int rc = apr_dbd_transaction_start(db->driver, p, db->handle, &t);

    if (rc != 0) {
        *err = apr_dbd_error(db->driver, db->handle, rc);
        return APR_EGENERAL;
    }
    *txn = t;
    return APR_SUCCESS;
}

apr_status_t oidp_store_end(apr_pool_t *p, oidp_db_t *db, void *txn, int commit)
{
    apr_dbd_transaction_t *t = txn;

    if (!t) {
        return APR_SUCCESS;
    }
    if (!commit) {
        apr_dbd_transaction_mode_set(db->driver, t, APR_DBD_TRANSACTION_ROLLBACK);
    }
    return apr_dbd_transaction_end(db->driver, p, t) == 0 ? APR_SUCCESS : APR_EGENERAL;
}
