/*
 * Support shared by the unit tests: runner, pool, keys, temporary files and
 * fakes of httpd's structures (see unit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <apr_dbd.h>

#include "oidp_store.h"
#include "oidp_schema.h"
#include "unit.h"

static apr_pool_t *pool;
static char tmpdir[256];
static pid_t tmpdir_owner;

apr_pool_t *ut_pool(void)
{
    return pool;
}

static void tmpdir_remove(void)
{
    /* forked test processes run exit handlers too: only the creator cleans */
    if (tmpdir[0] && getpid() == tmpdir_owner) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", tmpdir);
        }
    }
}

const char *ut_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof(tmpdir), "%s/oidp-unit-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            abort();
        }
        tmpdir_owner = getpid();
        atexit(tmpdir_remove);
    }
    return tmpdir;
}

int ut_main(Suite *s)
{
    SRunner *sr;
    int failed;

    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "apr_initialize failed\n");
        return 2;
    }
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    ut_tmpdir(); /* created before any fork so that every test shares it */
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV); /* CK_VERBOSITY=verbose lists every test */
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

static apr_status_t key_free(void *k)
{
    EVP_PKEY_free(k);
    return APR_SUCCESS;
}

/* RSA key generation is what makes the tests slow under valgrind:
 * tests/valgrind.sh generates RSA keys natively beforehand into
 * $UT_KEY_DIR/rsa-BITS-N.pem, and the Nth key of BITS asked for is that
 * file's (each call still gets a key of its own). */
static EVP_PKEY *rsa_pregenerated(int bits)
{
    static int next[8];
    const char *dir = getenv("UT_KEY_DIR");
    int slot = bits / 1024 < 8 ? bits / 1024 : 7;
    char path[512];
    EVP_PKEY *k;
    FILE *f;

    if (!dir || !*dir) {
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/rsa-%d-%d.pem", dir, bits, next[slot]++);
    f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ut_keygen: no %s, generating\n", path);
        return NULL;
    }
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

EVP_PKEY *ut_keygen(const char *type, const char *curve, int bits)
{
    EVP_PKEY *k = NULL;

    if (strcmp(type, "RSA") == 0) {
        k = rsa_pregenerated(bits);
        if (!k) {
            k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
        }
    }
    else if (strcmp(type, "EC") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
    }
    else {
        k = EVP_PKEY_Q_keygen(NULL, NULL, type);
    }
    if (!k) {
        ERR_print_errors_fp(stderr);
        abort();
    }
    /* freed with the process pool at exit (apr_terminate) */
    apr_pool_cleanup_register(pool, k, key_free, apr_pool_cleanup_null);
    return k;
}

static const char *bio_text(apr_pool_t *p, BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    const char *out = apr_pstrmemdup(p, data, (apr_size_t)n);

    BIO_free(b);
    return out;
}

const char *ut_pem_private(apr_pool_t *p, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());

    if (!b || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
        abort();
    }
    return bio_text(p, b);
}

const char *ut_pem_public(apr_pool_t *p, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());

    if (!b || !PEM_write_bio_PUBKEY(b, k)) {
        abort();
    }
    return bio_text(p, b);
}

const char *ut_write_file(apr_pool_t *p, const char *name, const char *text)
{
    const char *path = apr_pstrcat(p, ut_tmpdir(), "/", name, NULL);
    FILE *f = fopen(path, "w");

    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

char *ut_b64url(apr_pool_t *p, const unsigned char *d, size_t len)
{
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, d, (int)len);
    int i;

    while (n > 0 && out[n - 1] == '=') {
        n--;
    }
    out[n] = '\0';
    for (i = 0; i < n; i++) {
        if (out[i] == '+') {
            out[i] = '-';
        }
        else if (out[i] == '/') {
            out[i] = '_';
        }
    }
    return out;
}

unsigned char *ut_b64url_decode(apr_pool_t *p, const char *s, size_t len, size_t *outlen)
{
    size_t padded = (len + 3) / 4 * 4, i;
    char *in = apr_palloc(p, padded + 1);
    unsigned char *out = apr_palloc(p, padded / 4 * 3 + 1);
    int n;

    for (i = 0; i < len; i++) {
        in[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
        if (in[i] == '+' && s[i] == '+') {
            return NULL; /* '+' and '/' are not base64url */
        }
        if (in[i] == '/' && s[i] == '/') {
            return NULL;
        }
    }
    for (; i < padded; i++) {
        in[i] = '=';
    }
    in[padded] = '\0';
    n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)padded);
    if (n < 0) {
        return NULL;
    }
    *outlen = (size_t)n - (padded - len); /* EVP_DecodeBlock counts the padding */
    out[*outlen] = '\0';
    return out;
}

/* ------------------------------------------------------------------ */
/* SQLite through apr_dbd */

/* Runs the schema statement by statement (the SQLite driver runs one per
 * call), as `oidc-idp-admin init` does. */
static void schema_load(apr_pool_t *p, oidp_db_t *db)
{
    const char *schema = oidp_schema_sql("sqlite3");
    char *sql, *line, *last = NULL;
    apr_array_header_t *stmt = apr_array_make(p, 16, sizeof(char *));
    int n, statements = 0;

    ck_assert_ptr_nonnull(schema);
    sql = apr_pstrdup(p, schema);
    for (line = apr_strtok(sql, "\n", &last); line; line = apr_strtok(NULL, "\n", &last)) {
        size_t len = strlen(line);
        const char *t = line;
        while (*t == ' ') {
            t++;
        }
        if (!*t || strncmp(t, "--", 2) == 0) {
            continue;
        }
        APR_ARRAY_PUSH(stmt, char *) = line;
        if (len > 0 && line[len - 1] == ';') {
            const char *q = apr_array_pstrcat(p, stmt, '\n');
            int rc = apr_dbd_query(db->driver, db->handle, &n, q);
            ck_assert_msg(rc == 0, "schema: %s: %s", q, apr_dbd_error(db->driver, db->handle, rc));
            apr_array_clear(stmt);
            statements++;
        }
    }
    ck_assert_int_eq(stmt->nelts, 0); /* no statement left without its ';' */
    ck_assert_int_gt(statements, 5);
}

static apr_status_t db_close(void *data)
{
    oidp_db_t *db = data;
    apr_dbd_close(db->driver, db->handle);
    return APR_SUCCESS;
}

oidp_db_t *ut_sqlite(apr_pool_t *p)
{
    static int serial;
    oidp_db_t *db = apr_pcalloc(p, sizeof(*db));
    const char *path, *oerr = NULL, *err = NULL;

    ck_assert_int_eq(apr_dbd_init(p), APR_SUCCESS);
    ck_assert_msg(apr_dbd_get_driver(p, "sqlite3", &db->driver) == APR_SUCCESS,
                  "no apr_dbd sqlite3 driver (Debian: libaprutil1-dbd-sqlite3)");
    /* one database per test and call (tests run in processes of their own) */
    path = apr_psprintf(p, "%s/db-%ld-%d.sqlite", ut_tmpdir(), (long)getpid(), serial++);
    unlink(path);
    ck_assert_msg(apr_dbd_open_ex(db->driver, p, path, &db->handle, &oerr) == APR_SUCCESS,
                  "cannot open %s: %s", path, oerr ? oerr : "");
    apr_pool_cleanup_register(p, db, db_close, apr_pool_cleanup_null);
    schema_load(p, db);
    db->prepared = apr_hash_make(p);
    ck_assert_msg(oidp_store_prepare(p, db, OIDP_STMT__COUNT, &err) == APR_SUCCESS,
                  "the statements do not prepare on SQLite: %s", err);
    return db;
}
