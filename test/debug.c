/* debug.c - RPOOL_DEBUG (built with -DRPOOL_DEBUG=1): released objects are
 * filled with 0xDB, or under AddressSanitizer poisoned so that a write
 * through a stale raw pointer is reported (pinned ones only when their last
 * unpin recycles them); the extra consistency checks
 * fire on a corrupted pool and stay quiet on a correct workout.
 *
 * RPOOL_ASSERT is routed to a recorder, so that a check that fires can be
 * seen without ending the program. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void assert_failed(const char *what);
#define RPOOL_ASSERT(x) ((x) ? (void)0 : assert_failed(#x))

#include "rpool.h"
#include "test.h"

#if !RPOOL_DEBUG
#error "test/debug.c is built with -DRPOOL_DEBUG=1"
#endif

static int asserts;
static char assert_what[256];

static void assert_failed(const char *what)
{
    if (__atomic_fetch_add(&asserts, 1, __ATOMIC_RELAXED) == 0)
        snprintf(assert_what, sizeof assert_what, "RPOOL_ASSERT(%s)", what);
}

/* Reports and clears a recorded assertion: none is expected. */
#define CHECK_NO_ASSERT()                                                          \
    do {                                                                           \
        if (asserts) {                                                             \
            test_fail_at(__FILE__, __LINE__, assert_what);                         \
            asserts = 0;                                                           \
            return;                                                                \
        }                                                                          \
    } while (0)

/* 12 bytes: objects straddle ASan's 8-byte granules. */
typedef struct thing {
    int32_t a, b, c;
} thing;

static int init_calls;

static int init_thing(void *obj)
{
    ((thing *)obj)->a = 42;
    init_calls++;
    return 0;
}

RPOOL_DEFINE_STATIC_EX(dbg, thing, .block_items = 16, .chunk_items = 8);
RPOOL_DEFINE_STATIC_EX(dbi, thing, .block_items = 16, .init = init_thing);
RPOOL_DEFINE_STATIC_EX(dbw, thing, .block_items = 64, .chunk_items = 16);
RPOOL_DEFINE_STATIC_EX(dbp, thing, .block_items = 16, .chunk_items = 8, .pins = 1);

#ifdef RPOOL_IMPL_ASAN

static void a_released_object_is_poisoned_until_acquired_again(void)
{
    dbg_handle h[3], again;
    thing *o[3], *p;
    int i;

    for (i = 0; i < 3; i++) {
        o[i] = dbg_acquire(&h[i]);
        CHECK(o[i]);
        CHECK(!__asan_region_is_poisoned(o[i], sizeof(thing)));
    }
    CHECK_EQ(dbg_release(h[1]), 0);
    CHECK(__asan_address_is_poisoned(&o[1]->b));
    /* The live neighbours, sharing granules with it, stay usable. */
    memset(o[0], 1, sizeof(thing));
    memset(o[2], 2, sizeof(thing));
    p = dbg_acquire(&again);
    CHECK(p == o[1]);
    CHECK(!__asan_region_is_poisoned(p, sizeof(thing)));
    memset(p, 3, sizeof(thing));
    CHECK_EQ(dbg_release(again), 0);
    CHECK_EQ(dbg_release(h[0]), 0);
    CHECK_EQ(dbg_release(h[2]), 0);
    dbg_destroy();
    CHECK_NO_ASSERT();
}

/* Released while pinned, it stays readable by the pinners: poisoned only
   when its last unpin recycles it. */
static void a_released_pinned_object_is_poisoned_only_at_its_last_unpin(void)
{
    dbp_handle h;
    thing *o = dbp_acquire(&h);

    CHECK(o);
    o->b = 9;
    CHECK(dbp_pin(h) == o);
    CHECK_EQ(dbp_release(h), 0);
    CHECK(!__asan_region_is_poisoned(o, sizeof(thing)));
    CHECK_EQ(o->b, 9);
    CHECK_EQ(dbp_unpin(h), 0);
    CHECK(__asan_address_is_poisoned(&o->b));
    dbp_destroy();
    CHECK_NO_ASSERT();
}

/* A death test: the child writes through a stale pointer and must die
   with AddressSanitizer's report. */
static void a_write_through_a_stale_pointer_is_reported(void)
{
    char report[16384];
    size_t got = 0;
    ssize_t n;
    int fds[2], status;
    pid_t pid;

    CHECK(pipe(fds) == 0);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dbg_handle h;
        volatile thing *o;
        dup2(fds[1], 2);
        close(fds[0]);
        o = dbg_acquire(&h);
        if (o && dbg_release(h) == 0)
            o->b = 7;
        _exit(0);
    }
    close(fds[1]);
    while (got < sizeof report - 1 && (n = read(fds[0], report + got, sizeof report - 1 - got)) > 0)
        got += (size_t)n;
    report[got] = 0;
    close(fds[0]);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    CHECK(strstr(report, "use-after-poison"));
}

#else

static int all_bytes(const void *p, int byte, size_t n)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i;

    for (i = 0; i < n; i++)
        if (c[i] != byte)
            return 0;
    return 1;
}

static void a_released_object_is_filled_with_0xdb(void)
{
    dbg_handle h[3], again;
    thing *o[3], *p;
    int i;

    for (i = 0; i < 3; i++) {
        o[i] = dbg_acquire(&h[i]);
        CHECK(o[i]);
        CHECK(all_bytes(o[i], 0, sizeof(thing))); /* fresh: zeroed */
        memset(o[i], 0x11 * (i + 1), sizeof(thing));
    }
    CHECK_EQ(dbg_release(h[1]), 0);
    CHECK(all_bytes(o[1], 0xdb, sizeof(thing)));
    /* Only that object. */
    CHECK(all_bytes(o[0], 0x11, sizeof(thing)));
    CHECK(all_bytes(o[2], 0x33, sizeof(thing)));
    /* Acquired again, it holds what the fill left. */
    p = dbg_acquire(&again);
    CHECK(p == o[1]);
    CHECK(all_bytes(p, 0xdb, sizeof(thing)));
    CHECK_EQ(dbg_release(again), 0);
    CHECK_EQ(dbg_release(h[0]), 0);
    CHECK_EQ(dbg_release(h[2]), 0);
    CHECK(all_bytes(o[0], 0xdb, sizeof(thing)));
    dbg_destroy();
    CHECK_NO_ASSERT();
}

/* Released while pinned, it keeps its bytes for the pinners: filled only
   when its last unpin recycles it. */
static void a_released_pinned_object_is_filled_only_at_its_last_unpin(void)
{
    dbp_handle h;
    thing *o = dbp_acquire(&h);

    CHECK(o);
    memset(o, 0x22, sizeof(thing));
    CHECK(dbp_pin(h) == o);
    CHECK(dbp_pin(h) == o);
    CHECK_EQ(dbp_release(h), 0);
    CHECK_EQ(dbp_unpin(h), 0);
    CHECK(all_bytes(o, 0x22, sizeof(thing)));
    CHECK_EQ(dbp_unpin(h), 0);
    CHECK(all_bytes(o, 0xdb, sizeof(thing)));
    dbp_destroy();
    CHECK_NO_ASSERT();
}

#endif

static void objects_of_a_pool_with_init_keep_their_state(void)
{
    dbi_handle h, again;
    thing *o, *p;

    init_calls = 0;
    o = dbi_acquire(&h);
    CHECK(o);
    CHECK_EQ(o->a, 42);
    o->b = 5;
    CHECK_EQ(dbi_release(h), 0);
    p = dbi_acquire(&again);
    CHECK(p == o);
    CHECK_EQ(init_calls, 1);
    CHECK_EQ(p->a, 42);
    CHECK_EQ(p->b, 5);
    CHECK_EQ(dbi_release(again), 0);
    dbi_destroy();
    CHECK_NO_ASSERT();
}

/* White box: a free slot whose version word says "live" is being handed
   out a second time. */
static void handing_out_a_live_slot_is_caught(void)
{
    rpool_impl_layout L = rpool_impl_layout_of(sizeof(thing), _Alignof(thing), &dbg_config);
    dbg_handle h, again;
    uint32_t id;
    char *base;

    CHECK(dbg_acquire(&h));
    CHECK_EQ(dbg_release(h), 0);
    id = (uint32_t)dbg_id(h);
    base = rpool_impl_base(&dbg_impl_pool, &L, id);
    rpool_impl_ver_store(base, &L, id & (L.nitems - 1), h.value >> L.idbits);
    CHECK_NO_ASSERT();
    CHECK(dbg_acquire(&again)); /* the same id, from the local chunk */
    CHECK_EQ(asserts, 1);
    asserts = 0;
    dbg_destroy();
    CHECK_NO_ASSERT();
}

/* White box: a free slot of a pins pool still carrying a pin is being
   handed out. */
static void handing_out_a_pinned_free_slot_is_caught(void)
{
    rpool_impl_layout L = rpool_impl_layout_of(sizeof(thing), _Alignof(thing), &dbp_config);
    dbp_handle h, again;
    uint32_t id;
    char *base;

    CHECK(dbp_acquire(&h));
    CHECK_EQ(dbp_release(h), 0);
    id = (uint32_t)dbp_id(h);
    base = rpool_impl_base(&dbp_impl_pool, &L, id);
    __atomic_fetch_add(rpool_impl_word(base, &L, id & (L.nitems - 1)), 1, __ATOMIC_RELAXED);
    CHECK_NO_ASSERT();
    CHECK(dbp_acquire(&again)); /* the same id, from the local chunk */
    CHECK_EQ(asserts, 1);
    asserts = 0;
    dbp_destroy();
    CHECK_NO_ASSERT();
}

/* White box: the pool's count of free ids disagrees with its chunks. */
static void a_free_count_that_disagrees_with_the_chunks_is_caught(void)
{
    dbg_handle h[20];
    int i;

    for (i = 0; i < 20; i++)
        CHECK(dbg_acquire(&h[i]));
    for (i = 0; i < 20; i++)
        CHECK_EQ(dbg_release(h[i]), 0);
    CHECK_NO_ASSERT();
    pthread_mutex_lock(&dbg_impl_pool.lock);
    dbg_impl_pool.global_free++;
    pthread_mutex_unlock(&dbg_impl_pool.lock);
    dbg_destroy();
    CHECK(asserts >= 1);
    asserts = 0;
}

/* Threads trading objects through a mutex-guarded stack, releasing them
   on other threads, flushing and exiting: no check fires. */
#define WORK_THREADS 8
#define WORK_OPS 20000
static uint64_t stack[256];
static int depth;
static pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)((long)arg + 1);
    int i;

    for (i = 0; i < WORK_OPS; i++) {
        dbw_handle h = { 0 };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        pthread_mutex_lock(&stack_lock);
        if ((seed & 1) && depth > 0) {
            h.value = stack[--depth];
        } else if (depth < 256) {
            thing *o = dbw_acquire(&h);
            if (o) {
                memset(o, 0x5a, sizeof *o);
                stack[depth++] = h.value;
            }
            h.value = 0;
        }
        pthread_mutex_unlock(&stack_lock);
        if (h.value && dbw_release(h) != 0)
            assert_failed("release of a handle from the stack");
        if (seed % 1000 == 0)
            dbw_thread_flush();
    }
    return 0;
}

static void a_correct_workout_trips_no_check(void)
{
    pthread_t t[WORK_THREADS];
    rpool_stats st;
    long i;

    for (i = 0; i < WORK_THREADS; i++)
        CHECK(pthread_create(&t[i], 0, worker, (void *)i) == 0);
    for (i = 0; i < WORK_THREADS; i++)
        pthread_join(t[i], 0);
    while (depth > 0) {
        dbw_handle h = { stack[--depth] };
        CHECK_EQ(dbw_release(h), 0);
    }
    dbw_stats(&st);
    CHECK_EQ(st.live, 0);
    dbw_destroy();
    CHECK_NO_ASSERT();
}

int main(void)
{
#ifdef RPOOL_IMPL_ASAN
    RUN(a_released_object_is_poisoned_until_acquired_again);
    RUN(a_write_through_a_stale_pointer_is_reported);
    RUN(a_released_pinned_object_is_poisoned_only_at_its_last_unpin);
#else
    RUN(a_released_object_is_filled_with_0xdb);
    RUN(a_released_pinned_object_is_filled_only_at_its_last_unpin);
#endif
    RUN(objects_of_a_pool_with_init_keep_their_state);
    RUN(handing_out_a_live_slot_is_caught);
    RUN(handing_out_a_pinned_free_slot_is_caught);
    RUN(a_free_count_that_disagrees_with_the_chunks_is_caught);
    RUN(a_correct_workout_trips_no_check);
    return test_summary();
}
