/*
 * Shared support for the Check unit tests: the suite runner, one process
 * pool, test keys made with OpenSSL, an SQLite database. No httpd: the
 * tests of src/core build without httpd headers (the fakes of httpd's
 * structures are in unit_httpd.h).
 *
 * Every tests/unit/test_<area>.c builds one Suite and ends with
 *     int main(void) { return ut_main(<area>_suite()); }
 */
#ifndef OIDP_UNIT_H
#define OIDP_UNIT_H

#include <check.h>

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/evp.h>

/* Initialises APR and OpenSSL, runs the suite (forked tests), prints Check's
 * report and returns 0 when every test passed. */
int ut_main(Suite *s);

/* The process pool, created by ut_main before the suite runs. */
apr_pool_t *ut_pool(void);

/* Fresh keys: "RSA" with bits, "EC" with a curve name ("P-256", "P-384",
 * "secp256k1"), "ED25519" or "ED448". The EVP_PKEY lives until exit (the
 * process pool frees it: never free it yourself). */
EVP_PKEY *ut_keygen(const char *type, const char *curve, int bits);
/* PKCS#8 private key and SubjectPublicKeyInfo PEM texts of k. */
const char *ut_pem_private(apr_pool_t *p, EVP_PKEY *k);
const char *ut_pem_public(apr_pool_t *p, EVP_PKEY *k);
/* Writes text to a new file in a private temporary folder; returns its path. */
const char *ut_write_file(apr_pool_t *p, const char *name, const char *text);
/* A temporary folder of this process (removed by the runner's exit). */
const char *ut_tmpdir(void);

/* base64url of raw bytes, independent of src/jose.c (OpenSSL's EVP base64
 * with the alphabet swapped and padding dropped). */
char *ut_b64url(apr_pool_t *p, const unsigned char *d, size_t len);
/* The inverse, equally independent; NULL when s is not base64url. */
unsigned char *ut_b64url_decode(apr_pool_t *p, const char *s, size_t len, size_t *outlen);

/* A fresh SQLite database in the temporary folder with the schema of
 * oidp_schema_sql("sqlite3") and every statement of the table prepared,
 * as `oidc-idp-admin init` leaves it. Fails the test if anything fails. */
struct oidp_db_t *ut_sqlite(apr_pool_t *p);

#endif /* OIDP_UNIT_H */
