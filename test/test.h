/* test.h - the whole test framework: CHECK, RUN, a summary line, threads.
 *
 * Each test is a void function; the first failed CHECK reports file, line
 * and expression and ends that test. main() RUNs the tests and returns
 * test_summary(), which prints "N passed, M failed" as its last line. */
#ifndef RPOOL_TEST_H
#define RPOOL_TEST_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed, test_failing;

static void test_fail_at(const char *file, int line, const char *what)
{
    fprintf(stderr, "    %s:%d: %s\n", file, line, what);
    test_failing = 1;
}

#define CHECK(e)                                                                   \
    do {                                                                           \
        if (!(e)) {                                                                \
            test_fail_at(__FILE__, __LINE__, "CHECK(" #e ")");                     \
            return;                                                                \
        }                                                                          \
    } while (0)

/* Integer equality that prints both sides. */
#define CHECK_EQ(a, b)                                                             \
    do {                                                                           \
        long long test_a_ = (long long)(a), test_b_ = (long long)(b);              \
        if (test_a_ != test_b_) {                                                  \
            char test_msg_[256];                                                   \
            snprintf(test_msg_, sizeof test_msg_, "CHECK_EQ(%s, %s): %lld != %lld", \
                     #a, #b, test_a_, test_b_);                                    \
            test_fail_at(__FILE__, __LINE__, test_msg_);                           \
            return;                                                                \
        }                                                                          \
    } while (0)

/* Failures seen on other threads (workers, helpers): WCHECK(e) records the
   first one and evaluates to e; the test's own thread ends with
   CHECK_WORKERS() once they have stopped. */
static int test_worker_failures;
static char test_worker_what[256];

static inline int test_note(int ok, const char *file, int line, const char *what)
{
    if (!ok && __atomic_fetch_add(&test_worker_failures, 1, __ATOMIC_RELAXED) == 0)
        snprintf(test_worker_what, sizeof test_worker_what, "%s:%d: %s", file, line, what);
    return ok;
}

#define WCHECK(e) test_note(!!(e), __FILE__, __LINE__, #e)
#define WORKERS_FAILED() (__atomic_load_n(&test_worker_failures, __ATOMIC_RELAXED) != 0)

#define CHECK_WORKERS()                                                            \
    do {                                                                           \
        if (WORKERS_FAILED()) {                                                    \
            test_fail_at(__FILE__, __LINE__, test_worker_what);                    \
            test_worker_failures = 0;                                              \
            return;                                                                \
        }                                                                          \
    } while (0)

/* A thread that must start, and its end: either failing ends the program,
   since the test could not run at all. */
static inline pthread_t test_spawn(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0)
        abort();
    return t;
}

static inline void test_join(pthread_t t)
{
    if (pthread_join(t, NULL) != 0)
        abort();
}

/* For the stress tests (which define _POSIX_C_SOURCE): how long a run
   lasts (RPOOL_STRESS_MS, default 1000), a clock, and xorshift64, a random
   stream per thread with no shared state. */
#include <stdint.h>
#include <time.h>
#ifdef CLOCK_MONOTONIC
static inline long test_stress_ms(void)
{
    const char *s = getenv("RPOOL_STRESS_MS");
    long ms = s ? atol(s) : 0;
    return ms > 0 ? ms : 1000;
}

static inline double test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
#endif

static inline uint64_t test_rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static inline int test_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Whether vals[0..n) holds no value twice (sorts it): no handle value
   issued twice. */
static inline int test_all_distinct(uint64_t *vals, size_t n)
{
    size_t i;
    qsort(vals, n, sizeof *vals, test_cmp_u64);
    for (i = 1; i < n; i++)
        if (vals[i] == vals[i - 1])
            return 0;
    return 1;
}

/* NAME's calls on plain handle values (uint64_t) instead of NAME_handle,
   as static functions NAME_op_acquire, _release, _release_owned, _lookup,
   _pin, _unpin and _id, for a test that runs one scenario over several
   pools through a table of them (T: the pools' object type). */
#define TEST_HANDLE_CALLS(NAME, T)                                                 \
    static T *NAME##_op_acquire(uint64_t *h)                                       \
    {                                                                              \
        NAME##_handle x = { 0 };                                                   \
        T *o = NAME##_acquire(&x);                                                 \
        *h = x.value;                                                              \
        return o;                                                                  \
    }                                                                              \
    static int NAME##_op_release(uint64_t h)                                       \
    {                                                                              \
        NAME##_handle x = { h };                                                   \
        return NAME##_release(x);                                                  \
    }                                                                              \
    static int NAME##_op_release_owned(uint64_t h)                                 \
    {                                                                              \
        NAME##_handle x = { h };                                                   \
        return NAME##_release_owned(x);                                            \
    }                                                                              \
    static T *NAME##_op_lookup(uint64_t h)                                         \
    {                                                                              \
        NAME##_handle x = { h };                                                   \
        return NAME##_lookup(x);                                                   \
    }                                                                              \
    static T *NAME##_op_pin(uint64_t h)                                            \
    {                                                                              \
        NAME##_handle x = { h };                                                   \
        return NAME##_pin(x);                                                      \
    }                                                                              \
    static int NAME##_op_unpin(uint64_t h)                                         \
    {                                                                              \
        NAME##_handle x = { h };                                                   \
        return NAME##_unpin(x);                                                    \
    }                                                                              \
    static uint64_t NAME##_op_id(uint64_t h)                                       \
    {                                                                              \
        NAME##_handle x = { h };                                                   \
        return NAME##_id(x);                                                       \
    }

static void test_run(const char *name, void (*fn)(void))
{
    test_failing = 0;
    fn();
    if (test_failing) {
        test_failed++;
        printf("FAIL %s\n", name);
    } else {
        test_passed++;
        printf("ok   %s\n", name);
    }
    fflush(stdout);
}

#define RUN(fn) test_run(#fn, fn)

static int test_summary(void)
{
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed != 0;
}

#endif
