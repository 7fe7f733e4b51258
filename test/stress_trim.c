/* stress_trim.c - trims under load: each timed test runs RPOOL_STRESS_MS
 * milliseconds (default 1000), like stress.c, or longer, up to ten times
 * that, until every thread has had its part (a trim, a decommit, a pin, a
 * probe, a pin from a walk; for auto_trim, a fall of stats.blocks).
 *
 * Churner threads keep a shared table of live handles turning over: each
 * takes a random entry out of the table (so that objects acquired by one
 * thread are released by another), releases it and, while the table fills,
 * puts a fresh object in its place; while it drains they only release, and
 * flush now and then, so whole blocks go free on the global side and are
 * trimmed, then made again as the table fills. A pinner pins handles from
 * the table and checks the objects under its pins, a prober tries handles
 * known to be dead (lookup, release and pin must all refuse them), and a
 * walker runs NAME_for_each, pinning what it visits. The first test has a
 * thread calling NAME_trim in a loop, on a pool whose slots also retire;
 * the second leaves trimming to auto_trim.
 *
 * Every object carries its handle and that handle's complement, each id
 * has an ownership flag set by acquire and cleared before release, and the
 * last handle issued for it, which the next must exceed: so a slot handed
 * to two owners, an object changed while held, a handle value issued again
 * or a stale handle accepted is seen on the spot. RPOOL_DECOMMIT counts its calls and
 * decommits for real. At the end every thread has exited, the counts add
 * up, and every slot that has not retired is acquired again, once, trimmed
 * blocks included. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static long decommits;
static int count_decommit(void *p, size_t bytes);
#define RPOOL_DECOMMIT(p, bytes) count_decommit((p), (bytes))

#include "rpool.h"
#include "test.h"

static int count_decommit(void *p, size_t bytes)
{
    __atomic_fetch_add(&decommits, 1, __ATOMIC_RELAXED);
    return rpool_impl_decommit(p, bytes);
}

typedef struct item {
    uint64_t stamp, check;
} item;

#define MAX_IDS (1u << 12)
#define TABLE 256
#define CHURNERS 2
#define HOLD 4
#define DEAD_RING 512
#define PHASE_MS 20 /* the table fills, then drains, by turns */

/* Twelve version bits: a slot lives 2047 times (fewer in a block that comes
   back at a high floor), then retires, so trims also meet retired slots. */
RPOOL_DEFINE_STATIC_EX(tp, item, .pins = 1, .block_items = 16, .chunk_items = 8,
                       .max_items = MAX_IDS, .version_bits = 12);
RPOOL_DEFINE_STATIC_EX(ta, item, .pins = 1, .block_items = 16, .chunk_items = 8,
                       .max_items = MAX_IDS, .auto_trim = 25);

/* The pool under test, its calls taking and giving plain handle values. */
typedef struct pool_ops {
    item *(*acquire)(uint64_t *h);
    int (*release)(uint64_t h);
    int (*release_owned)(uint64_t h);
    item *(*lookup)(uint64_t h);
    item *(*pin)(uint64_t h);
    int (*unpin)(uint64_t h);
    uint64_t (*id)(uint64_t h);
    item *(*address)(uint64_t id);
    void (*walk)(void);
    size_t (*trim)(void);
    void (*stats)(rpool_stats *out);
    void (*thread_flush)(void);
    void (*destroy)(void);
} pool_ops;

static long n_visits, n_visit_pins;

/* for_each's callback: what it visits is live at its handle (or released
   since: then the pin fails), at the address of its id (or, released
   since, in a block a trim took since: then the address is NULL), in id
   order. */
static int visited(void *obj, uint64_t id, uint64_t *last, void *pinned, void *addr, int pin_errno)
{
    __atomic_fetch_add(&n_visits, 1, __ATOMIC_RELAXED);
    if (!WCHECK(id < MAX_IDS) || !WCHECK(*last == UINT64_MAX || id > *last) ||
        !WCHECK(addr == obj || (!pinned && !addr)) ||
        !WCHECK(pinned == obj || (!pinned && pin_errno == ESTALE)))
        return 0;
    *last = id;
    if (pinned)
        __atomic_fetch_add(&n_visit_pins, 1, __ATOMIC_RELAXED);
    return 1;
}

#define POOL_OPS(NAME)                                                             \
    TEST_HANDLE_CALLS(NAME, item)                                                  \
    static item *NAME##_op_address(uint64_t id)                                    \
    {                                                                              \
        return NAME##_address(id);                                                 \
    }                                                                              \
    static void NAME##_visit(item *obj, NAME##_handle h, void *arg)                \
    {                                                                              \
        item *pinned;                                                              \
        int err;                                                                   \
        errno = 0;                                                                 \
        pinned = NAME##_pin(h);                                                    \
        err = errno;                                                               \
        if (visited(obj, NAME##_id(h), (uint64_t *)arg, pinned,                    \
                    NAME##_address(NAME##_id(h)), err) && pinned)                  \
            WCHECK(NAME##_unpin(h) == 0);                                          \
    }                                                                              \
    static void NAME##_op_walk(void)                                               \
    {                                                                              \
        uint64_t last = UINT64_MAX;                                                \
        NAME##_for_each(NAME##_visit, &last);                                      \
    }                                                                              \
    static const pool_ops NAME##_ops = {                                           \
        NAME##_op_acquire, NAME##_op_release, NAME##_op_release_owned,             \
        NAME##_op_lookup, NAME##_op_pin, NAME##_op_unpin, NAME##_op_id,            \
        NAME##_op_address, NAME##_op_walk, NAME##_trim, NAME##_stats,              \
        NAME##_thread_flush, NAME##_destroy                                        \
    };

POOL_OPS(tp)
POOL_OPS(ta)

/* ---- shared state ---------------------------------------------------------- */

static const pool_ops *P;
static uint64_t table[TABLE];        /* live handles, 0 = empty */
static unsigned char owned[MAX_IDS]; /* acquired and not yet released */
static uint64_t last[MAX_IDS];       /* the last handle issued for the id */
static uint64_t dead[DEAD_RING];     /* handles released already */
static int stop, churning;
static double start;

static long n_acquired, n_released, n_flushes, n_pins, n_probes, n_trims, n_trimmed_bytes,
    n_walks, n_full, n_falls;

static int stamped(const item *o, uint64_t h)
{
    return o && o->stamp == h && o->check == ~h;
}

static long count(long *c, long n)
{
    return __atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static int stopped(void)
{
    return __atomic_load_n(&stop, __ATOMIC_RELAXED) || WORKERS_FAILED();
}

static long seen(long *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* What a run must have done before its churners stop, if it can within ten
   times its time: on one core at a time (valgrind) the other threads may
   get few turns in the first. */
static int (*done_enough)(void);

static int trimmed_enough(void)
{
    return seen(&n_trims) && seen(&decommits) && seen(&n_pins) && seen(&n_probes) &&
           seen(&n_visit_pins);
}

static int auto_trimmed_enough(void)
{
    return seen(&n_falls) && seen(&n_pins) && seen(&n_probes) && seen(&n_visit_pins);
}

/* ---- churners: the table fills and drains -------------------------------------- */

static int draining(void)
{
    return (long)((test_now_ms() - start) / PHASE_MS) % 2;
}

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

/* An acquire got the slot: nobody else owns it, and the handle is above
   every one issued for it before (the same id, a higher version). */
static int issued(uint64_t id, uint64_t h)
{
    return WCHECK(__atomic_exchange_n(&owned[id], 1, __ATOMIC_RELAXED) == 0) &&
           WCHECK(__atomic_exchange_n(&last[id], h, __ATOMIC_RELAXED) < h);
}

static void *churner(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)((long)arg + 1);
    double end = test_now_ms() + test_stress_ms(), last = end + 9 * test_stress_ms();
    long acquired = 0, released = 0, flushes = 0, full = 0, ops = 0;

    while (!WORKERS_FAILED() && (test_now_ms() < end || (!done_enough() && test_now_ms() < last))) {
        unsigned i = (unsigned)(test_rnd(&seed) % TABLE);
        uint64_t h = __atomic_exchange_n(&table[i], 0, __ATOMIC_ACQ_REL), id, expect = 0;
        item *o;

        if (h) {
            if (!take_out_and_release(h, &seed))
                break;
            released++;
        }
        if (draining()) {
            if (++ops % 64 == 0) {
                P->thread_flush(); /* the ids this thread caches go global */
                flushes++;
                sched_yield(); /* a turn for the trims, where threads take turns */
            }
            continue;
        }
        o = P->acquire(&h);
        if (!o) {
            if (!WCHECK(errno == ENOSPC))
                break;
            full++;
            continue;
        }
        id = P->id(h);
        if (!WCHECK(id < MAX_IDS) || !issued(id, h))
            break;
        o->stamp = h;
        o->check = ~h;
        acquired++;
        /* Published with release: whoever loads h sees the stamp. */
        if (!__atomic_compare_exchange_n(&table[i], &expect, h, 0, __ATOMIC_RELEASE,
                                         __ATOMIC_RELAXED)) {
            if (!take_out_and_release(h, &seed))
                break;
            released++;
        }
    }
    count(&n_acquired, acquired);
    count(&n_released, released);
    count(&n_flushes, flushes);
    count(&n_full, full);
    __atomic_fetch_sub(&churning, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* ---- pinner: objects under pins keep their contents ------------------------------- */

static void *pinner(void *arg)
{
    uint64_t seed = 0x2545f4914f6cdd1dull * (uint64_t)((long)arg + 1), hold[HOLD];
    item *at[HOLD];
    int n = 0, k;

    while (!stopped()) {
        uint64_t r = test_rnd(&seed), h;
        for (k = 0; k < n; k++)
            if (!WCHECK(stamped(at[k], hold[k])))
                break;
        if (n < HOLD && r % 2) {
            h = __atomic_load_n(&table[(r >> 8) % TABLE], __ATOMIC_ACQUIRE);
            if (!h)
                continue;
            errno = 0;
            at[n] = P->pin(h);
            if (!at[n]) {
                WCHECK(errno == ESTALE);
                continue;
            }
            WCHECK(stamped(at[n], h));
            hold[n++] = h;
            count(&n_pins, 1);
        } else if (n > 0) {
            WCHECK(P->unpin(hold[--n]) == 0);
        }
        if ((r >> 24) % 256 == 0)
            sched_yield(); /* hold the pins across a time slice now and then */
        if ((r >> 32) % 64 == 0)
            P->thread_flush(); /* what its last unpins recycled */
    }
    while (n > 0)
        WCHECK(P->unpin(hold[--n]) == 0);
    return NULL;
}

/* ---- prober: dead handles stay dead, trimmed or made again ------------------------ */

static void *prober(void *arg)
{
    uint64_t seed = 0xda942042e4dd58b5ull * (uint64_t)((long)arg + 1);

    while (!stopped()) {
        uint64_t h = __atomic_load_n(&dead[test_rnd(&seed) % DEAD_RING], __ATOMIC_RELAXED);
        if (!h)
            continue;
        errno = 0;
        if (!WCHECK(P->lookup(h) == 0) || !WCHECK(P->release(h) == -ESTALE) ||
            !WCHECK(P->pin(h) == 0) || !WCHECK(errno == ESTALE))
            break;
        if (count(&n_probes, 1) % 1024 == 0)
            sched_yield();
    }
    return NULL;
}

/* ---- trimmer and walker -------------------------------------------------------------- */

static void *trimmer(void *arg)
{
    (void)arg;
    while (!stopped()) {
        size_t r = P->trim();
        count(&n_trims, r > 0);
        count(&n_trimmed_bytes, (long)r);
        sched_yield();
    }
    return NULL;
}

/* Walks with pauses between, so that most trims find no walk under way and
   decommit at once. */
static void *walker(void *arg)
{
    struct timespec pause = { 0, 1000000 };

    (void)arg;
    while (!stopped()) {
        P->walk();
        P->thread_flush(); /* what its last unpins recycled */
        count(&n_walks, 1);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* ---- the test ---------------------------------------------------------------- */

/* While the churners run, the test's thread watches stats.blocks: only a
   trim lowers it, so each fall it sees is a trim (auto_trim's, when no
   thread calls NAME_trim). */
static void run(const pool_ops *ops, int with_trimmer, int (*enough)(void))
{
    struct timespec pause = { 0, 200000 };
    pthread_t c[CHURNERS], p, d, t = 0, w;
    size_t blocks = 0;
    rpool_stats st;
    long i;

    P = ops;
    done_enough = enough;
    memset(table, 0, sizeof table);
    memset(owned, 0, sizeof owned);
    memset(last, 0, sizeof last);
    memset(dead, 0, sizeof dead);
    stop = 0;
    churning = CHURNERS;
    decommits = 0;
    n_acquired = n_released = n_flushes = n_pins = n_probes = n_trims = n_trimmed_bytes = 0;
    n_walks = n_visits = n_visit_pins = n_full = n_falls = 0;
    start = test_now_ms();
    for (i = 0; i < CHURNERS; i++)
        c[i] = test_spawn(churner, (void *)i);
    p = test_spawn(pinner, 0);
    d = test_spawn(prober, 0);
    w = test_spawn(walker, 0);
    if (with_trimmer)
        t = test_spawn(trimmer, 0);
    while (__atomic_load_n(&churning, __ATOMIC_ACQUIRE) > 0) {
        P->stats(&st);
        count(&n_falls, st.blocks < blocks);
        blocks = st.blocks;
        nanosleep(&pause, NULL);
    }
    for (i = 0; i < CHURNERS; i++)
        test_join(c[i]);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    test_join(p);
    test_join(d);
    test_join(w);
    if (with_trimmer)
        test_join(t);
}

/* After the threads (all exited): release what the table holds, then every
   slot not retired comes back once, trimmed blocks included, and nothing
   more. */
#define CHECK_ALL_BACK()                                                           \
    do {                                                                           \
        static uint64_t again[MAX_IDS];                                            \
        rpool_stats st;                                                            \
        uint64_t s = 1;                                                            \
        size_t k, n, retired;                                                      \
        for (k = 0; k < TABLE; k++)                                                \
            if (table[k])                                                          \
                CHECK(take_out_and_release(table[k], &s));                         \
        P->thread_flush();                                                         \
        P->stats(&st);                                                             \
        CHECK_EQ(st.threads, 0);                                                   \
        CHECK_EQ(st.live, 0);                                                      \
        CHECK_EQ(st.pending, 0);                                                   \
        CHECK_EQ(st.cached, 0);                                                    \
        CHECK_EQ(st.global_free + st.retired, st.carved);                          \
        retired = st.retired;                                                      \
        P->trim(); /* every block without a retired slot */                        \
        P->stats(&st);                                                             \
        CHECK_EQ(st.global_free + st.retired, st.carved);                          \
        for (n = 0; n < MAX_IDS && P->acquire(&again[n]) != NULL; n++)             \
            CHECK(issued(P->id(again[n]), again[n]));                              \
        errno = 0;                                                                 \
        CHECK(P->acquire(&s) == NULL);                                             \
        CHECK_EQ(errno, ENOSPC);                                                   \
        CHECK_EQ(n + retired, MAX_IDS);                                            \
        P->stats(&st);                                                             \
        CHECK_EQ(st.carved, MAX_IDS);                                              \
        CHECK_EQ(st.live, n);                                                      \
        for (k = 0; k < n; k++)                                                    \
            CHECK_EQ(P->release(again[k]), 0);                                     \
        printf("     %ld acquired, %ld released, %ld flushes, %ld pins, %ld dead probes, " \
               "%ld walks (%ld visits, %ld pinned); %ld trims (%ld bytes), %ld falls of "   \
               "stats.blocks seen, %ld decommits; %zu retired%s\n",               \
               n_acquired, n_released, n_flushes, n_pins, n_probes, n_walks, n_visits, \
               n_visit_pins, n_trims, n_trimmed_bytes, n_falls, decommits, retired, \
               n_full ? " (ids used up)" : "");                                    \
        P->thread_flush();                                                         \
        P->destroy();                                                              \
    } while (0)

static void trims_beside_churn_pins_and_walks_lose_nothing_and_revive_no_handle(void)
{
    run(&tp_ops, 1, trimmed_enough);
    CHECK_WORKERS();
    CHECK(trimmed_enough());
    CHECK_ALL_BACK();
}

/* No thread calls NAME_trim: the falls of stats.blocks are auto_trim's. */
static void auto_trim_beside_churn_pins_and_walks_loses_nothing(void)
{
    run(&ta_ops, 0, auto_trimmed_enough);
    CHECK_WORKERS();
    CHECK(auto_trimmed_enough());
    CHECK_ALL_BACK();
}

int main(void)
{
    RUN(trims_beside_churn_pins_and_walks_lose_nothing_and_revive_no_handle);
    RUN(auto_trim_beside_churn_pins_and_walks_loses_nothing);
    return test_summary();
}
