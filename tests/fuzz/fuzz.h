/*
 * Shared by the libFuzzer targets in tests/fuzz (built by tests/fuzz/run.sh):
 * APR initialised once and one pool per input. Every apr_palloc from that
 * pool is a malloc block of its own (fuzz.c interposes apr_palloc), so that
 * AddressSanitizer sees an overrun of a pool allocation instead of it
 * landing silently in the next one; the blocks are freed after each input.
 */
#ifndef OIDP_FUZZ_H
#define OIDP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <apr_pools.h>

/* The pool for this input, and the end of the input: the pool cleared
 * (cleanups run), its blocks freed, so that every input frees what it
 * allocated. Each target calls fuzz_pool() first and fuzz_done() last. */
apr_pool_t *fuzz_pool(void);
void fuzz_done(void);
/* A long-lived pool for state built once (keys). */
apr_pool_t *fuzz_global_pool(void);
/* A NUL-terminated copy of the input in a block of its own (freed by
 * fuzz_done), so that reading past the NUL is caught too. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* A property that must hold: abort (a crash libFuzzer reports) otherwise. */
#define FUZZ_ASSERT(cond)                         \
    do {                                          \
        if (!(cond)) {                            \
            fuzz_fail(__FILE__, __LINE__, #cond); \
        }                                         \
    } while (0)
void fuzz_fail(const char *file, int line, const char *what);

#endif /* OIDP_FUZZ_H */
