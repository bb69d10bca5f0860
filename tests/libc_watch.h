/*
 * Watching the C library's allocator.  common.h promises that an object
 * given a custom allocator takes all of its memory from it; a program that
 * includes this header (in one of its files) replaces malloc, calloc,
 * realloc and free with forwarders to glibc's own (__libc_malloc, ...)
 * that count the calls made between libc_watch_begin() and
 * libc_watch_end().  Calls on objects made with libc_watch_allocator (which
 * allocates through glibc directly, uncounted) must count none, whatever
 * the library calls inside: qsort(), for one, takes a buffer from malloc.
 * Calls from the test program's own code (its helpers' scratch arrays)
 * are not counted: only those from the shared library and from libc.
 *
 * Only where it can work: glibc (whose allocator may be replaced this way,
 * and which exports __libc_malloc), outside the sanitizers, which bring
 * their own malloc.  Elsewhere LIBC_WATCH is 0 and the tests say they
 * were skipped.
 * SPDX-License-Identifier: MIT
 */
#ifndef KPI_LIBC_WATCH_H
#define KPI_LIBC_WATCH_H

#include <stdint.h>
#include <stdlib.h>

#include "kpi/common.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LIBC_WATCH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||              \
    __has_feature(memory_sanitizer)
#define LIBC_WATCH_SANITIZED 1
#endif
#endif

#if defined(__GLIBC__) && !defined(LIBC_WATCH_SANITIZED)
#define LIBC_WATCH 1

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t count, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static int libc_watching;    /* inside a watched window */
static long libc_watch_calls; /* malloc, calloc and realloc calls seen in windows */

/* The test program's own text (GNU ld's symbols): its calls (scratch
 * arrays of the test's helpers) are not the library's.  libkpi is the
 * shared library here; libc_watch_usable() says so. */
extern const char __executable_start[], etext[];

static inline int libc_watch_from_program(const void *where)
{
    const char *p = where;
    return p >= __executable_start && p < etext;
}

/* The watch sees libkpi's calls only when libkpi's code is not in the
 * program's text (a static link would hide its calls). */
static inline int libc_watch_usable(void)
{
    return !libc_watch_from_program((const void *)(uintptr_t)kpi_strerror);
}

/* A call seen (break here in a debugger to find who made it). */
__attribute__((noinline)) static void libc_watch_seen(const void *caller)
{
    (void)caller;
    libc_watch_calls++;
}

#define LIBC_WATCH_SEE()                                                     \
    do {                                                                     \
        const void *from_ = __builtin_return_address(0);                     \
        if (libc_watching && !libc_watch_from_program(from_))                \
            libc_watch_seen(from_);                                          \
    } while (0)

void *malloc(size_t n)
{
    LIBC_WATCH_SEE();
    return __libc_malloc(n);
}

void *calloc(size_t count, size_t n)
{
    LIBC_WATCH_SEE();
    return __libc_calloc(count, n);
}

void *realloc(void *p, size_t n)
{
    LIBC_WATCH_SEE();
    return __libc_realloc(p, n);
}

void free(void *p) { __libc_free(p); }

/* the allocator the watched objects are given: glibc's, not counted */
static long libc_watch_live; /* its blocks not freed yet */

static void *lw_malloc(void *opaque, size_t n)
{
    (void)opaque;
    void *p = __libc_malloc(n);
    libc_watch_live += p != NULL;
    return p;
}

static void *lw_realloc(void *opaque, void *p, size_t n)
{
    (void)opaque;
    return __libc_realloc(p, n);
}

static void lw_free(void *opaque, void *p)
{
    (void)opaque;
    libc_watch_live--;
    __libc_free(p);
}

static const kpi_allocator libc_watch_allocator = {lw_malloc, lw_realloc, lw_free, NULL};

static inline void libc_watch_begin(void) { libc_watching = 1; }
static inline void libc_watch_end(void) { libc_watching = 0; }

#else
#define LIBC_WATCH 0
#endif

#endif /* KPI_LIBC_WATCH_H */
