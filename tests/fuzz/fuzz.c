/*
 * Support for the fuzz targets (see fuzz.h): APR set up once, one pool per
 * input, and apr_palloc interposed for that pool so that AddressSanitizer
 * guards every allocation of the code under test.
 *
 * libapr calls apr_palloc through its PLT (apr_pstrdup, apr_array_make,
 * apr_hash_set, cleanup registration ...), so the definition below, in the
 * executable, takes those calls too; anything but the input pool goes on to
 * the real apr_palloc. apr_psprintf writes into the pool's own blocks and
 * is not guarded. Not thread-safe: libFuzzer runs one input at a time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <apr_general.h>

#include "fuzz.h"

static apr_pool_t *global, *input;
static void **blocks;
static size_t nblocks, cap;

typedef void *palloc_fn(apr_pool_t *p, apr_size_t size);
static palloc_fn *real_palloc;

static void track(void *m)
{
    if (nblocks == cap) {
        size_t ncap = cap ? cap * 2 : 1024;
        void **nb = realloc(blocks, ncap * sizeof(*nb));
        if (!nb) {
            abort();
        }
        blocks = nb;
        cap = ncap;
    }
    blocks[nblocks++] = m;
}

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    void *m;

    if (!real_palloc) {
        real_palloc = (palloc_fn *)dlsym(RTLD_NEXT, "apr_palloc");
        if (!real_palloc) {
            abort();
        }
    }
    if (!input || p != input) {
        return real_palloc(p, size);
    }
    m = malloc(size ? size : 1);
    if (!m) {
        abort();
    }
    track(m);
    return m;
}

static void init(void)
{
    if (global) {
        return;
    }
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&global, NULL) != APR_SUCCESS
        || apr_pool_create(&input, global) != APR_SUCCESS) {
        abort();
    }
}

apr_pool_t *fuzz_global_pool(void)
{
    init();
    return global;
}

apr_pool_t *fuzz_pool(void)
{
    init();
    return input;
}

void fuzz_done(void)
{
    size_t i;

    apr_pool_clear(input); /* cleanups first: they may live in the blocks */
    for (i = 0; i < nblocks; i++) {
        free(blocks[i]);
    }
    nblocks = 0;
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = apr_palloc(fuzz_pool(), size + 1);

    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
    abort();
}
