/* stress_pins.c - pins under load: each timed test bounded by
 * RPOOL_STRESS_MS milliseconds (default 1000), like stress.c.
 *
 * Churner threads keep a shared table of live handles turning over: each
 * takes a random entry out of the table (so that handles acquired by one
 * churner are released by another), releases it, and puts a freshly
 * acquired object in its place. Pinner threads pin random handles from the
 * table and hold up to HOLD pins at a time, checking on every step that
 * the object still carries the handle it was pinned by, even after its
 * release; some pins are handed to another pinner to undo. A prober pins
 * handles known to be dead and must be refused with ESTALE.
 *
 * Every object carries its handle and that handle's complement. Each id
 * has an ownership flag, set by acquire and cleared before release, and a
 * count of the pins the test holds on it: an acquire that gets a slot
 * someone still pins, or a slot recycled twice into two owners, is seen on
 * the spot; under ThreadSanitizer, so is any read under a pin that is not
 * ordered before the slot's next use. At the end every pin is undone,
 * nothing is pending, and every slot not retired is acquired again without
 * carving, under distinct ids. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "rpool.h"
#include "test.h"

typedef struct item {
    uint64_t stamp, check;
} item;

#define MAX_IDS (1u << 16)
#define TABLE 256
#define CHURNERS 3
#define PINNERS 4
#define HOLD 8
#define HANDOFF 64
#define DEAD_RING 512

RPOOL_DEFINE_STATIC_EX(pa, item, .pins = 1, .block_items = 16, .chunk_items = 8,
                       .max_items = MAX_IDS);
/* Eight version bits: a slot lives 127 times, then retires, so slots also
   retire while pinned, under load. */
RPOOL_DEFINE_STATIC_EX(pr, item, .pins = 1, .block_items = 16, .chunk_items = 8,
                       .version_bits = 8, .max_items = MAX_IDS);

/* The pool under test, its calls taking and giving plain handle values. */
typedef struct pool_ops {
    item *(*acquire)(uint64_t *h);
    int (*release)(uint64_t h);
    int (*release_owned)(uint64_t h);
    item *(*lookup)(uint64_t h);
    item *(*pin)(uint64_t h);
    int (*unpin)(uint64_t h);
    uint64_t (*id)(uint64_t h);
    void (*stats)(rpool_stats *out);
    void (*thread_flush)(void);
    void (*destroy)(void);
} pool_ops;

#define POOL_OPS(NAME)                                                             \
    TEST_HANDLE_CALLS(NAME, item)                                                  \
    static const pool_ops NAME##_ops = {                                           \
        NAME##_op_acquire, NAME##_op_release, NAME##_op_release_owned,             \
        NAME##_op_lookup, NAME##_op_pin, NAME##_op_unpin, NAME##_op_id,            \
        NAME##_stats, NAME##_thread_flush, NAME##_destroy                          \
    };

POOL_OPS(pa)
POOL_OPS(pr)

/* ---- shared state ---------------------------------------------------------- */

static const pool_ops *P;
static uint64_t table[TABLE];           /* live handles, 0 = empty */
static unsigned char owned[MAX_IDS];    /* acquired and not yet released */
static unsigned pinned[MAX_IDS];        /* pins the test holds */
static uint64_t dead[DEAD_RING];        /* handles released already */
static int stop;

static struct {
    pthread_mutex_t lock;
    uint64_t h[HANDOFF];
    int n;
} handoff = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0 };

static long n_acquired, n_pins, n_stale, n_released_under_pin, n_handed, n_probes, n_full;

static int stamped(const item *o, uint64_t h)
{
    return o && o->stamp == h && o->check == ~h;
}

static void count(long *c, long n)
{
    __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* ---- churners: release and re-acquire the table's handles -------------------- */

static int take_out_and_release(uint64_t h, uint64_t *seed)
{
    uint64_t id = P->id(h);
    int r;

    if (!WCHECK(id < MAX_IDS) || !WCHECK(stamped(P->lookup(h), h)) ||
        !WCHECK(__atomic_exchange_n(&owned[id], 0, __ATOMIC_RELAXED) == 1))
        return 0;
    r = test_rnd(seed) % 4 == 0 ? P->release_owned(h) : P->release(h);
    if (!WCHECK(r == 0) || !WCHECK(P->release(h) == -ESTALE) || !WCHECK(P->lookup(h) == 0))
        return 0;
    __atomic_store_n(&dead[test_rnd(seed) % DEAD_RING], h, __ATOMIC_RELAXED);
    return 1;
}

static void *churner(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)((long)arg + 1);
    double end = test_now_ms() + test_stress_ms();
    long acquired = 0, full = 0;

    while (test_now_ms() < end && !WORKERS_FAILED()) {
        unsigned i = (unsigned)(test_rnd(&seed) % TABLE);
        uint64_t h = __atomic_exchange_n(&table[i], 0, __ATOMIC_ACQ_REL), id;
        uint64_t expect = 0;
        item *o;

        if (h && !take_out_and_release(h, &seed))
            break;
        o = P->acquire(&h);
        if (!o) {
            if (!WCHECK(errno == ENOSPC))
                break;
            full++;
            continue;
        }
        id = P->id(h);
        /* Nobody owns or pins the slot it got. */
        if (!WCHECK(id < MAX_IDS) ||
            !WCHECK(__atomic_exchange_n(&owned[id], 1, __ATOMIC_RELAXED) == 0) ||
            !WCHECK(__atomic_load_n(&pinned[id], __ATOMIC_RELAXED) == 0))
            break;
        o->stamp = h;
        o->check = ~h;
        acquired++;
        /* Published with release: a pinner that loads h sees the stamp. */
        if (!__atomic_compare_exchange_n(&table[i], &expect, h, 0, __ATOMIC_RELEASE,
                                         __ATOMIC_RELAXED) &&
            !take_out_and_release(h, &seed))
            break;
    }
    count(&n_acquired, acquired);
    count(&n_full, full);
    return NULL;
}

/* ---- pinners: hold pins and check the objects under them ----------------------- */

typedef struct held {
    uint64_t h;
    item *o;
} held;

static int unpin_one(uint64_t h)
{
    __atomic_fetch_sub(&pinned[P->id(h)], 1, __ATOMIC_RELAXED);
    return WCHECK(P->unpin(h) == 0);
}

static int handoff_push(uint64_t h)
{
    int ok;

    pthread_mutex_lock(&handoff.lock);
    ok = handoff.n < HANDOFF;
    if (ok)
        handoff.h[handoff.n++] = h;
    pthread_mutex_unlock(&handoff.lock);
    return ok;
}

static uint64_t handoff_pop(void)
{
    uint64_t h = 0;

    pthread_mutex_lock(&handoff.lock);
    if (handoff.n > 0)
        h = handoff.h[--handoff.n];
    pthread_mutex_unlock(&handoff.lock);
    return h;
}

static void *pinner(void *arg)
{
    uint64_t seed = 0x2545f4914f6cdd1dull * (uint64_t)((long)arg + 1);
    held hold[HOLD];
    long pins = 0, stale = 0, released = 0, handed = 0;
    int n = 0, k, ok = 1;

    while (ok && !__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        uint64_t r = test_rnd(&seed), h;
        /* Everything held still carries its handle, released or not. */
        for (k = 0; ok && k < n; k++) {
            ok = WCHECK(stamped(hold[k].o, hold[k].h));
            if (ok && (r & 7) == 0 && P->lookup(hold[k].h) == 0)
                released++;
        }
        if (!ok)
            break;
        if (n < HOLD && r % 3 != 0) {
            h = __atomic_load_n(&table[(r >> 8) % TABLE], __ATOMIC_ACQUIRE);
            if (!h)
                continue;
            hold[n].o = P->pin(h);
            if (!hold[n].o) {
                ok = WCHECK(errno == ESTALE);
                stale++;
                continue;
            }
            ok = WCHECK(stamped(hold[n].o, h));
            __atomic_fetch_add(&pinned[P->id(h)], 1, __ATOMIC_RELAXED);
            hold[n++].h = h;
            pins++;
        } else if (n > 0) {
            k = (int)((r >> 8) % (unsigned)n);
            h = hold[k].h;
            hold[k] = hold[--n];
            if ((r >> 16) % 4 == 0 && handoff_push(h))
                handed++; /* another pinner undoes it */
            else
                ok = unpin_one(h);
        } else if ((h = handoff_pop()) != 0) {
            ok = unpin_one(h);
        }
        if ((r >> 24) % 512 == 0)
            sched_yield(); /* hold the pins across a time slice now and then */
    }
    while (n > 0)
        unpin_one(hold[--n].h);
    count(&n_pins, pins);
    count(&n_stale, stale);
    count(&n_released_under_pin, released);
    count(&n_handed, handed);
    return NULL;
}

/* ---- prober: dead handles are never pinned ----------------------------------- */

static void *prober(void *arg)
{
    uint64_t seed = 0xda942042e4dd58b5ull * (uint64_t)((long)arg + 1);
    long probes = 0;

    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        uint64_t h = __atomic_load_n(&dead[test_rnd(&seed) % DEAD_RING], __ATOMIC_RELAXED);
        if (!h)
            continue;
        errno = 0;
        if (!WCHECK(P->pin(h) == 0) || !WCHECK(errno == ESTALE) || !WCHECK(P->lookup(h) == 0))
            break;
        probes++;
    }
    count(&n_probes, probes);
    return NULL;
}

/* ---- the test ---------------------------------------------------------------- */

static void run(const pool_ops *ops)
{
    pthread_t c[CHURNERS], p[PINNERS], d;
    long i;

    P = ops;
    memset(table, 0, sizeof table);
    memset(owned, 0, sizeof owned);
    memset(pinned, 0, sizeof pinned);
    memset(dead, 0, sizeof dead);
    stop = 0;
    handoff.n = 0;
    n_acquired = n_pins = n_stale = n_released_under_pin = n_handed = n_probes = n_full = 0;
    for (i = 0; i < CHURNERS; i++)
        if (pthread_create(&c[i], 0, churner, (void *)i) != 0)
            abort();
    for (i = 0; i < PINNERS; i++)
        if (pthread_create(&p[i], 0, pinner, (void *)i) != 0)
            abort();
    if (pthread_create(&d, 0, prober, 0) != 0)
        abort();
    for (i = 0; i < CHURNERS; i++)
        pthread_join(c[i], 0);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < PINNERS; i++)
        pthread_join(p[i], 0);
    pthread_join(d, 0);
}

/* After the threads: undo the handed-off pins, release what the table
   holds, and check that nothing is lost. */
#define CHECK_ALL_BACK()                                                           \
    do {                                                                           \
        static uint64_t again[MAX_IDS];                                            \
        rpool_stats st;                                                            \
        uint64_t h;                                                                \
        size_t k, n;                                                               \
        while ((h = handoff_pop()) != 0)                                           \
            CHECK(unpin_one(h));                                                   \
        for (k = 0; k < TABLE; k++) {                                              \
            uint64_t s = 0;                                                        \
            if (table[k])                                                          \
                CHECK(take_out_and_release(table[k], &s));                         \
        }                                                                          \
        for (k = 0; k < MAX_IDS; k++)                                              \
            CHECK_EQ(pinned[k], 0);                                                \
        P->thread_flush();                                                         \
        P->stats(&st);                                                             \
        CHECK_EQ(st.threads, 0);                                                   \
        CHECK_EQ(st.live, 0);                                                      \
        CHECK_EQ(st.pending, 0);                                                   \
        CHECK_EQ(st.cached, 0);                                                    \
        CHECK_EQ(st.global_free + st.retired, st.carved);                          \
        /* Every slot not retired comes back, once, without carving. */            \
        n = st.carved - st.retired;                                                \
        for (k = 0; k < n; k++) {                                                  \
            CHECK(P->acquire(&again[k]) != NULL);                                  \
            CHECK(__atomic_exchange_n(&owned[P->id(again[k])], 1, __ATOMIC_RELAXED) == 0); \
        }                                                                          \
        P->stats(&st);                                                             \
        CHECK_EQ(st.carved - st.retired, n);                                       \
        CHECK_EQ(st.live, n);                                                      \
        for (k = 0; k < n; k++)                                                    \
            CHECK_EQ(P->release(again[k]), 0);                                     \
        printf("     %ld acquired, %ld pins (%ld seen released while held, %ld undone by "  \
               "another thread), %ld stale pins refused, %ld dead probes; %zu carved, "      \
               "%zu retired%s\n",                                                  \
               n_acquired, n_pins, n_released_under_pin, n_handed, n_stale, n_probes, \
               st.carved, st.retired, n_full ? " (ids used up)" : "");             \
        P->thread_flush();                                                         \
        P->destroy();                                                              \
    } while (0)

static void pins_hold_objects_while_other_threads_release_and_reacquire_them(void)
{
    run(&pa_ops);
    CHECK_WORKERS();
    CHECK(n_pins > 0 && n_released_under_pin > 0 && n_handed > 0 && n_probes > 0);
    CHECK_ALL_BACK();
}

static void slots_retiring_while_pinned_stay_retired_under_load(void)
{
    rpool_stats st;

    run(&pr_ops);
    CHECK_WORKERS();
    CHECK(n_pins > 0 && n_released_under_pin > 0);
    pr_stats(&st);
    CHECK(st.retired > 0);
    CHECK_ALL_BACK();
}

int main(void)
{
    RUN(pins_hold_objects_while_other_threads_release_and_reacquire_them);
    RUN(slots_retiring_while_pinned_stay_retired_under_load);
    return test_summary();
}
