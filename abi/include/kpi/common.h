/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/common.h
 * @brief Status codes, version, allocators, time units and the estimate
 *        type shared by every libkpi module.
 *
 * Everything in this header is safe to call from any thread at any time:
 * none of it touches mutable state.
 */
#ifndef KPI_COMMON_H
#define KPI_COMMON_H

#include <stddef.h>
#include <stdint.h>

/**
 * @def KPI_API
 * @brief Marks a declaration as part of the public, exported ABI.
 *
 * The library is built with hidden visibility by default; only declarations
 * carrying this macro are exported.  Two definitions change it when the
 * sources are compiled straight into another program (the amalgamation,
 * see the "ABI policy" page):
 * - `KPI_AMALGAMATION_STATIC`: every public function is `static` (file
 *   local), so a plugin that includes kpi.c into one translation unit
 *   exports nothing;
 * - `KPI_STATIC_BUILD`: the macro is empty, so the functions take the
 *   visibility the compiler is given (for example `-fvisibility=hidden`).
 *
 * Neither changes the ABI of the shared library.
 */
#if defined(KPI_AMALGAMATION_STATIC)
#if defined(__GNUC__)
#define KPI_API static __attribute__((unused))
#else
#define KPI_API static
#endif
#elif defined(KPI_STATIC_BUILD)
#define KPI_API
#elif defined(_WIN32)
#if defined(KPI_BUILDING)
#define KPI_API __declspec(dllexport)
#else
#define KPI_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define KPI_API __attribute__((visibility("default")))
#else
#define KPI_API
#endif

/**
 * @def KPI_DEPRECATED
 * @brief Marks a public function as deprecated, with a message naming its
 *        replacement.
 *
 * A deprecated function keeps its symbol, version node and behaviour for
 * the whole 1.x series; callers get a compiler warning (define
 * `KPI_NO_DEPRECATION_WARNINGS` to silence it).  See the "ABI policy" page.
 * @param msg the text of the warning, for example
 *        "use kpi_score_new_with()".
 */
#if defined(KPI_NO_DEPRECATION_WARNINGS)
#define KPI_DEPRECATED(msg)
#elif defined(__GNUC__) && (__GNUC__ > 4 || (__GNUC__ == 4 && __GNUC_MINOR__ >= 5))
#define KPI_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#define KPI_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#define KPI_DEPRECATED(msg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @name Version
 *  The version of the headers; compare with kpi_version_number() to detect
 *  a program compiled against one release running on another.
 *  @{ */
/** Major version: changes only on an ABI break (the soname changes too). */
#define KPI_VERSION_MAJOR 0
/** Minor version: new functions, compatible with every earlier minor. */
#define KPI_VERSION_MINOR 1
/** Patch version: fixes only. */
#define KPI_VERSION_PATCH 0
/** The version as one number: major * 10000 + minor * 100 + patch. */
#define KPI_VERSION_NUMBER \
    (KPI_VERSION_MAJOR * 10000 + KPI_VERSION_MINOR * 100 + KPI_VERSION_PATCH)
/** @} */

/**
 * @brief The version of the library actually loaded, as
 *        major * 10000 + minor * 100 + patch.
 *
 * Equal to #KPI_VERSION_NUMBER when headers and library match.
 * @return the runtime version number. Thread-safe.
 */
KPI_API uint32_t kpi_version_number(void);

/**
 * @brief The version of the library actually loaded, as "major.minor.patch".
 * @return a static string, never NULL. Thread-safe.
 */
KPI_API const char *kpi_version_string(void);

/** @name Status codes
 *  Every function that can fail returns an `int`: #KPI_OK (0) on success,
 *  one of these negative codes otherwise.  A call that fails leaves every
 *  object it was given exactly as it was.  Codes are append-only: a code's
 *  number and meaning never change, and a retired code keeps its number.
 *  @{ */
/** Success. */
#define KPI_OK 0
/** A required pointer is NULL, or an argument is malformed (NaN, a bad
 *  string), or a selector is unknown: an argument whose values are a set
 *  of the library's named constants (a KPI_ENGINE_* metric, option or
 *  counter, a KPI_DIM_* dimension, a KPI_EVENT_* kind, a KPI_SLA_* metric,
 *  a KPI_RATIO_* kind, ...) given a value that is none of them. */
#define KPI_ERR_INVALID (-1)
/** A value lies outside the accepted range (an answer off the scale, a
 *  negative duration, a quantile outside [0, 1], an option's value
 *  outside its domain, a caller's own code beyond the library's limit
 *  such as a channel code or an SLA priority). */
#define KPI_ERR_RANGE (-2)
/** An allocation failed; nothing was changed. */
#define KPI_ERR_NOMEM (-3)
/** The object holds no data yet, so the requested value does not exist. */
#define KPI_ERR_EMPTY (-4)
/** Two objects configured differently cannot be merged. */
#define KPI_ERR_INCOMPATIBLE (-5)
/** Serialized bytes are not a libkpi state, or fail their checksum or
 *  structure checks. */
#define KPI_ERR_CORRUPT (-6)
/** Serialized bytes use a format version this library does not know. */
#define KPI_ERR_VERSION (-7)
/** The output buffer is too small; the size needed was reported. */
#define KPI_ERR_BUFFER (-8)
/** An event is earlier than one already applied (time went backwards). */
#define KPI_ERR_ORDER (-9)
/** An id that the object has never seen. */
#define KPI_ERR_UNKNOWN_ID (-10)
/** An id or entry that the object already has. */
#define KPI_ERR_DUPLICATE (-11)
/** Serialized bytes end before the state they announce does. */
#define KPI_ERR_TRUNCATED (-12)
/** Something of another type than the call needs: serialized bytes that
 *  hold a state of another type than the one asked for, an engine metric
 *  of another type than the typed read or setting (a rate given to
 *  kpi_engine_duration() or kpi_engine_add_target()), or a prototype of a
 *  type that cannot be a group member. */
#define KPI_ERR_TYPE (-13)
/** The operation is not allowed in the object's current state (for
 *  example a message on a closed ticket). */
#define KPI_ERR_STATE (-14)
/** A hard capacity limit of the object would be exceeded. */
#define KPI_ERR_LIMIT (-15)
/** A counter or sum would overflow its 64-bit range. */
#define KPI_ERR_OVERFLOW (-16)
/** The most negative status code defined by this version of the headers. */
#define KPI_ERR_LAST KPI_ERR_OVERFLOW
/** @} */

/**
 * @brief A human-readable English text for a status code.
 * @param status a value returned by any libkpi function.
 * @return a static string, never NULL; unknown codes give
 *         "unknown libkpi status". Thread-safe.
 */
KPI_API const char *kpi_strerror(int status);

/**
 * @brief The symbolic name of a status code, for example "KPI_ERR_RANGE".
 * @param status a value returned by any libkpi function.
 * @return a static string, never NULL; unknown codes give "KPI_ERR_UNKNOWN".
 *         Thread-safe.
 */
KPI_API const char *kpi_status_name(int status);

/**
 * @brief The most negative status code this library knows (equals
 *        #KPI_ERR_LAST of the headers it was built with).
 *
 * Bindings use it to enumerate codes without hard-coding them.
 * @return a negative status code. Thread-safe.
 */
KPI_API int kpi_status_last(void);

/** @name Time units
 *  Timestamps are milliseconds since the Unix epoch, UTC; durations are
 *  milliseconds and never negative.
 *  @{ */
/** A point in time: milliseconds since 1970-01-01T00:00:00Z. */
typedef int64_t kpi_time_ms;
/** A span of time in milliseconds (never negative where libkpi accepts it). */
typedef int64_t kpi_duration_ms;
/** Milliseconds in one second. */
#define KPI_MS_PER_SECOND INT64_C(1000)
/** Milliseconds in one minute. */
#define KPI_MS_PER_MINUTE INT64_C(60000)
/** Milliseconds in one hour. */
#define KPI_MS_PER_HOUR INT64_C(3600000)
/** Milliseconds in one day of 24 hours. */
#define KPI_MS_PER_DAY INT64_C(86400000)
/** @} */

/**
 * @brief A custom allocator, given to an object when it is created.
 *
 * Every object remembers the allocator it was created with and uses it for
 * all of its memory, so two plugins in one process can each bring their own
 * allocator without any global hook.  Passing NULL where an allocator is
 * accepted means the C library's malloc, realloc and free.  Scratch memory
 * too comes from the object's allocator or from the stack: the library
 * calls no function of the C library that allocates (it sorts with its own
 * in-place sort, not qsort(), which may take a buffer from malloc).
 *
 * The functions receive `opaque` as their first argument.  `realloc_fn`
 * follows C realloc: it may move the block, and it returns NULL (leaving
 * the old block valid) on failure.  All three functions must be set.
 *
 * The allocator must outlive every object created with it.  Objects never
 * call it concurrently unless the caller uses those objects concurrently.
 *
 * The layout of this struct is frozen for the life of the 1.x ABI.
 */
typedef struct kpi_allocator {
    /** Allocate `size` bytes; NULL on failure. */
    void *(*malloc_fn)(void *opaque, size_t size);
    /** Resize a block from malloc_fn or realloc_fn (never called with
     *  NULL: growing from nothing is a malloc_fn call); NULL on failure. */
    void *(*realloc_fn)(void *opaque, void *ptr, size_t size);
    /** Release a block; never called with NULL. */
    void (*free_fn)(void *opaque, void *ptr);
    /** Passed unchanged to the three functions. */
    void *opaque;
} kpi_allocator;

/**
 * @brief A value with its 95% confidence interval and the sample size it
 *        rests on.
 *
 * For shares, `value` is in [0, 1] and [lower, upper] is the Wilson score
 * interval; for an NPS, the adjusted-Wald interval (kpi_score_nps());
 * for means, a normal-approximation interval.  `n` is the number of
 * observations behind the value.
 *
 * The layout of this struct is frozen for the life of the 1.x ABI.
 */
typedef struct kpi_estimate {
    double value;   /**< the point estimate */
    double lower;   /**< lower bound of the 95% interval */
    double upper;   /**< upper bound of the 95% interval */
    uint64_t n;     /**< sample size */
} kpi_estimate;

/**
 * @brief The Wilson score interval of a share at 95% confidence.
 *
 * value = successes / trials; lower and upper bound the true share with
 * 95% confidence (z = 1.959964), and are well-behaved near 0 and 1 and
 * for small samples, unlike the normal approximation.
 *
 * @param successes number of successes.
 * @param trials number of trials.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_RANGE if
 *         successes > trials; #KPI_ERR_EMPTY if trials is 0.
 *         Thread-safe.
 */
KPI_API int kpi_wilson_interval(uint64_t successes, uint64_t trials,
                                kpi_estimate *out);

#ifdef __cplusplus
}
#endif

#endif /* KPI_COMMON_H */
