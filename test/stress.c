/* stress.c - more threads than cores on one pool at a time, each timed test
 * bounded by RPOOL_STRESS_MS milliseconds (default 1000).
 *
 * Every object carries the handle it was issued under and that handle's
 * complement. Whoever holds a handle checks both on every lookup, and each
 * id has an ownership flag that acquire sets and release clears, so a slot
 * handed to two owners at once, or changed by a release that should have
 * been refused, is seen on the spot. Worker threads cannot end a test with
 * CHECK, so they record the first failure with WCHECK and stop; the test
 * then reports it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "rpool.h"
#include "test.h"

typedef struct item {
    uint64_t stamp, check;
} item;

/* Ids below MAX_IDS, so that one flag per id can follow ownership. */
#define MAX_IDS (1u << 20)
#define THREADS 8

RPOOL_DEFINE_STATIC_EX(sq, item, .block_items = 64, .chunk_items = 32, .max_items = MAX_IDS);
RPOOL_DEFINE_STATIC_EX(sr, item, .block_items = 16, .chunk_items = 8, .max_items = MAX_IDS);
/* Eight version bits: a slot lives 127 times, then retires, so retirement
   happens under load too (and may use up all MAX_IDS: then churners stop). */
RPOOL_DEFINE_STATIC_EX(sd, item, .block_items = 16, .chunk_items = 8, .version_bits = 8,
                       .max_items = MAX_IDS);
RPOOL_DEFINE_STATIC_EX(sc, item, .block_items = 32, .chunk_items = 16, .max_items = MAX_IDS);
RPOOL_DEFINE_STATIC_EX(sp, item, .block_items = 16, .chunk_items = 8, .max_items = 100);
RPOOL_DEFINE_STATIC_EX(sf, item, .block_items = 64, .chunk_items = 128, .max_items = 64);

/* ---- shared helpers ------------------------------------------------------ */

static unsigned char owned[MAX_IDS];
static int stop;

static void stamp(item *o, uint64_t h)
{
    o->stamp = h;
    o->check = ~h;
}

static int stamped(const item *o, uint64_t h)
{
    return o && o->stamp == h && o->check == ~h;
}

/* Claims id for the caller: 0 if someone already holds it. */
static int claim(uint64_t id)
{
    return id < MAX_IDS && __atomic_exchange_n(&owned[id], 1, __ATOMIC_RELAXED) == 0;
}

static int unclaim(uint64_t id)
{
    return id < MAX_IDS && __atomic_exchange_n(&owned[id], 0, __ATOMIC_RELAXED) == 1;
}

static void reset_shared(void)
{
    memset(owned, 0, sizeof owned);
    stop = 0;
}

static void run_threads(int n, void *(*fn)(void *))
{
    pthread_t t[THREADS * 2];
    long i;

    for (i = 0; i < n; i++)
        if (pthread_create(&t[i], 0, fn, (void *)i) != 0)
            abort();
    for (i = 0; i < n; i++)
        pthread_join(t[i], 0);
}

/* Stats of a quiescent pool with nothing live hold together. */
#define CHECK_QUIESCENT_EMPTY(NAME)                                                \
    do {                                                                           \
        rpool_stats st_;                                                           \
        NAME##_stats(&st_);                                                        \
        CHECK_EQ(st_.live, 0);                                                     \
        CHECK_EQ(st_.threads, 0);                                                  \
        CHECK_EQ(st_.cached, 0);                                                   \
        CHECK_EQ(st_.global_free + st_.retired, st_.carved);                       \
    } while (0)

/* ---- 1. acquire on one thread, release on another, through a queue ------- */

#define QCAP 256
static struct {
    pthread_mutex_t lock;
    pthread_cond_t nonempty, nonfull;
    uint64_t ring[QCAP];
    unsigned head, n;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
        { 0 }, 0, 0 };
static uint32_t last_version[MAX_IDS];
static long transfers;

static void q_push(uint64_t h)
{
    pthread_mutex_lock(&q.lock);
    while (q.n == QCAP)
        pthread_cond_wait(&q.nonfull, &q.lock);
    q.ring[(q.head + q.n++) % QCAP] = h;
    pthread_cond_signal(&q.nonempty);
    pthread_mutex_unlock(&q.lock);
}

static uint64_t q_pop(void)
{
    uint64_t h;

    pthread_mutex_lock(&q.lock);
    while (q.n == 0)
        pthread_cond_wait(&q.nonempty, &q.lock);
    h = q.ring[q.head];
    q.head = (q.head + 1) % QCAP;
    q.n--;
    pthread_cond_signal(&q.nonfull);
    pthread_mutex_unlock(&q.lock);
    return h;
}

/* Takes h from the caller's ownership and releases it, checking the object
   and that h is dead afterwards. */
static int sq_check_release(sq_handle h)
{
    uint64_t id = sq_id(h);

    return WCHECK(stamped(sq_lookup(h), h.value)) && WCHECK(unclaim(id)) &&
           WCHECK(sq_release(h) == 0) && WCHECK(sq_release(h) == -ESTALE) &&
           WCHECK(sq_lookup(h) == 0);
}

static void *producer(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)((long)arg + 1);
    double end = test_now_ms() + test_stress_ms();

    while (test_now_ms() < end) {
        int k, batch = 1 + (int)(test_rnd(&seed) % 16);
        for (k = 0; k < batch; k++) {
            sq_handle h;
            item *o = sq_acquire(&h);
            uint32_t ver, id;
            if (!WCHECK(o) || !WCHECK(claim(sq_id(h))))
                return 0;
            /* Versions of one id only grow: no handle value comes back. */
            id = (uint32_t)sq_id(h);
            ver = (uint32_t)(h.value >> 32);
            if (!WCHECK(ver > last_version[id] && (ver & 1)))
                return 0;
            last_version[id] = ver;
            stamp(o, h.value);
            if (test_rnd(&seed) % 8 == 0) { /* now and then, back on the same thread */
                if (!sq_check_release(h))
                    return 0;
            } else {
                q_push(h.value);
            }
        }
    }
    return 0;
}

static void *consumer(void *arg)
{
    uint64_t v;

    (void)arg;
    while ((v = q_pop()) != 0) {
        sq_handle h = { v };
        if (!sq_check_release(h))
            continue; /* keep draining so that producers finish */
        __atomic_fetch_add(&transfers, 1, __ATOMIC_RELAXED);
    }
    return 0;
}

static void objects_released_on_other_threads_come_back_through_a_queue(void)
{
    pthread_t p[THREADS / 2], c[THREADS / 2];
    long i;

    reset_shared();
    memset(last_version, 0, sizeof last_version);
    transfers = 0;
    for (i = 0; i < THREADS / 2; i++) {
        if (pthread_create(&p[i], 0, producer, (void *)i) != 0 ||
            pthread_create(&c[i], 0, consumer, (void *)i) != 0)
            abort();
    }
    for (i = 0; i < THREADS / 2; i++)
        pthread_join(p[i], 0);
    for (i = 0; i < THREADS / 2; i++)
        q_push(0);
    for (i = 0; i < THREADS / 2; i++)
        pthread_join(c[i], 0);
    CHECK_WORKERS();
    CHECK(transfers > 0);
    CHECK_QUIESCENT_EMPTY(sq);
    printf("     %ld objects crossed threads\n", transfers);
    sq_destroy();
}

/* ---- 2. many threads release the same handles at once -------------------- */

#define RACE_K 64
#define RACE_M 8
static pthread_barrier_t race_barrier;
static uint64_t race_handles[RACE_K];
static int race_wins[RACE_K];
static long race_rounds;

static int sr_take(sr_handle *h)
{
    item *o = sr_acquire(h);

    if (!WCHECK(o) || !WCHECK(claim(sr_id(*h))))
        return 0;
    stamp(o, h->value);
    return 1;
}

static void *racer(void *arg)
{
    long self = (long)arg;
    double end = test_now_ms() + test_stress_ms();
    int i, ok = 1;

    for (;;) {
        if (self == 0) {
            stop = WORKERS_FAILED() || test_now_ms() >= end;
            for (i = 0; !stop && i < RACE_K; i++) {
                sr_handle h = { 0 };
                ok = ok && sr_take(&h);
                /* From here the race, not an owner, decides who frees it. */
                ok = ok && WCHECK(unclaim(sr_id(h)));
                race_handles[i] = h.value;
                race_wins[i] = 0;
            }
        }
        pthread_barrier_wait(&race_barrier);
        if (stop)
            break;

        /* Everyone releases every handle in the same order, so that the
           threads running at the same moment collide on one handle, while
           the slots freed are claimed again by the acquirers below. */
        for (i = 0; ok && i < RACE_K; i++) {
            sr_handle h = { race_handles[i] };
            int r = sr_release(h);
            if (r == 0)
                __atomic_fetch_add(&race_wins[i], 1, __ATOMIC_RELAXED);
            else
                ok = WCHECK(r == -ESTALE);
        }
        {
            sr_handle mine[RACE_M];
            for (i = 0; ok && i < RACE_M; i++)
                ok = sr_take(&mine[i]);
            /* Every raced handle is dead now, even where its slot is mine. */
            for (i = 0; ok && i < RACE_K; i++) {
                sr_handle h = { race_handles[i] };
                ok = WCHECK(sr_release(h) == -ESTALE) && WCHECK(sr_lookup(h) == 0);
            }
            for (i = 0; ok && i < RACE_M; i++)
                ok = WCHECK(stamped(sr_lookup(mine[i]), mine[i].value)) &&
                     WCHECK(unclaim(sr_id(mine[i]))) && WCHECK(sr_release(mine[i]) == 0);
        }
        pthread_barrier_wait(&race_barrier);
        if (self == 0) {
            for (i = 0; i < RACE_K; i++)
                ok = ok && WCHECK(race_wins[i] == 1);
            race_rounds++;
        }
    }
    return 0;
}

static void eight_threads_racing_to_release_each_handle_free_it_once(void)
{
    reset_shared();
    race_rounds = 0;
    pthread_barrier_init(&race_barrier, 0, THREADS);
    run_threads(THREADS, racer);
    pthread_barrier_destroy(&race_barrier);
    CHECK_WORKERS();
    CHECK(race_rounds > 0);
    CHECK_QUIESCENT_EMPTY(sr);
    printf("     %ld rounds of %d handles released by %d threads at once\n", race_rounds,
           RACE_K, THREADS);
    sr_destroy();
}

/* ---- 3. dead handles stay dead while their slots are reused -------------- */

#define DEAD_RING 1024
static uint64_t dead[DEAD_RING];
static long probes;

static void *churner(void *arg)
{
    uint64_t seed = 0x2545f4914f6cdd1dull * (uint64_t)((long)arg + 1);
    double end = test_now_ms() + test_stress_ms();

    while (test_now_ms() < end) {
        sd_handle h[4];
        int i, n = 1 + (int)(test_rnd(&seed) % 4);
        for (i = 0; i < n; i++) {
            item *o = sd_acquire(&h[i]);
            if (!o) {
                WCHECK(errno == ENOSPC);
                break;
            }
            if (!WCHECK(claim(sd_id(h[i]))))
                return 0;
            stamp(o, h[i].value);
        }
        n = i;
        for (i = 0; i < n; i++) {
            if (!WCHECK(stamped(sd_lookup(h[i]), h[i].value)) || !WCHECK(unclaim(sd_id(h[i]))) ||
                !WCHECK(sd_release(h[i]) == 0))
                return 0;
            __atomic_store_n(&dead[test_rnd(&seed) % DEAD_RING], h[i].value, __ATOMIC_RELAXED);
        }
        if (n == 0)
            break;
    }
    return 0;
}

static void *prober(void *arg)
{
    uint64_t seed = 0xda942042e4dd58b5ull * (uint64_t)((long)arg + 1);
    long n = 0;

    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        sd_handle h = { __atomic_load_n(&dead[test_rnd(&seed) % DEAD_RING], __ATOMIC_RELAXED) };
        if (!h.value)
            continue;
        if (!WCHECK(sd_lookup(h) == 0) || !WCHECK(sd_release(h) == -ESTALE) ||
            !WCHECK(sd_release_owned(h) == -ESTALE))
            break;
        n++;
    }
    __atomic_fetch_add(&probes, n, __ATOMIC_RELAXED);
    return 0;
}

static void dead_handles_are_refused_while_their_slots_are_reused(void)
{
    pthread_t c[THREADS / 2], p[THREADS / 2];
    rpool_stats st;
    long i;

    reset_shared();
    memset(dead, 0, sizeof dead);
    probes = 0;
    for (i = 0; i < THREADS / 2; i++) {
        if (pthread_create(&c[i], 0, churner, (void *)i) != 0 ||
            pthread_create(&p[i], 0, prober, (void *)i) != 0)
            abort();
    }
    for (i = 0; i < THREADS / 2; i++)
        pthread_join(c[i], 0);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < THREADS / 2; i++)
        pthread_join(p[i], 0);
    CHECK_WORKERS();
    CHECK(probes > 0);
    CHECK_QUIESCENT_EMPTY(sd);
    sd_stats(&st);
    printf("     %ld probes of dead handles; %zu slots carved, %zu retired\n", probes, st.carved,
           st.retired);
    sd_destroy();
}

/* ---- 4. thousands of short-lived threads --------------------------------- */

#define CHURN_THREADS 2000
#define CHURN_WINDOW 4
#define CHURN_MAX 40
#define CHURN_KEEP 2

/* Handles that exiting threads left live, released by the main thread. */
static uint64_t leftover[CHURN_WINDOW * CHURN_KEEP];
static int nleftover;
static pthread_mutex_t leftover_lock = PTHREAD_MUTEX_INITIALIZER;

static void *short_lived(void *arg)
{
    uint64_t seed = 0x853c49e6748fea9bull * (uint64_t)((long)arg + 1);
    sc_handle h[CHURN_MAX];
    int i, n = 1 + (int)(test_rnd(&seed) % CHURN_MAX), keep = (int)(test_rnd(&seed) % (CHURN_KEEP + 1));

    for (i = 0; i < n; i++) {
        item *o = sc_acquire(&h[i]);
        if (!WCHECK(o) || !WCHECK(claim(sc_id(h[i]))))
            return 0;
        stamp(o, h[i].value);
    }
    for (i = 0; i < n; i++) {
        if (!WCHECK(stamped(sc_lookup(h[i]), h[i].value)))
            return 0;
        if (i < keep) { /* exits holding it */
            pthread_mutex_lock(&leftover_lock);
            leftover[nleftover++] = h[i].value;
            pthread_mutex_unlock(&leftover_lock);
        } else if (!WCHECK(unclaim(sc_id(h[i]))) || !WCHECK(sc_release(h[i]) == 0)) {
            return 0;
        }
    }
    return 0;
}

static void two_thousand_short_lived_threads_strand_nothing(void)
{
    pthread_t t[CHURN_WINDOW];
    rpool_stats st;
    sc_handle *all;
    size_t i, carved, bound;
    long done;
    int k;

    reset_shared();
    nleftover = 0;
    for (done = 0; done < CHURN_THREADS; done += CHURN_WINDOW) {
        for (k = 0; k < CHURN_WINDOW; k++)
            if (pthread_create(&t[k], 0, short_lived, (void *)(done + k)) != 0)
                abort();
        for (k = 0; k < CHURN_WINDOW; k++)
            pthread_join(t[k], 0);
        CHECK_WORKERS();
        for (k = 0; k < nleftover; k++) {
            sc_handle h = { leftover[k] };
            CHECK(stamped(sc_lookup(h), h.value));
            CHECK(unclaim(sc_id(h)));
            CHECK_EQ(sc_release(h), 0);
        }
        nleftover = 0;
    }
    sc_thread_flush();
    CHECK_QUIESCENT_EMPTY(sc);

    /* A new block is taken only when the taker sees no free id and no tail,
       so every slot carved is live, cached by a running thread (main's
       included) or in the range one of them carves. */
    sc_stats(&st);
    bound = (CHURN_WINDOW * (CHURN_MAX + CHURN_KEEP + 16 + 32) + 16) / 32 + CHURN_WINDOW + 2;
    printf("     %d threads; %zu blocks, %zu slots carved, %zu bytes\n", CHURN_THREADS,
           st.blocks, st.carved, st.bytes);
    CHECK(st.blocks <= bound);

    /* Every free id is still reachable: taking `carved` objects carves nothing. */
    carved = st.carved;
    all = malloc(carved * sizeof *all);
    CHECK(all);
    for (i = 0; i < carved; i++) {
        item *o = sc_acquire(&all[i]);
        if (!o || !claim(sc_id(all[i])))
            break;
    }
    sc_stats(&st);
    for (k = 0; (size_t)k < i; k++)
        sc_release(all[k]);
    free(all);
    CHECK_EQ(i, carved);
    CHECK_EQ(st.carved, carved);
    CHECK_EQ(st.live, carved);
    sc_thread_flush();
    sc_destroy();
}

/* ---- 5. capacity pressure ------------------------------------------------ */

#define CAP 100
static int in_use;
static long refusals;

static void *hammer(void *arg)
{
    uint64_t seed = 0x6a09e667f3bcc909ull * (uint64_t)((long)arg + 1);
    double end = test_now_ms() + test_stress_ms();
    sp_handle h[CAP + 20];

    while (test_now_ms() < end) {
        /* Aim past the cap now and then, so refusals are certain. */
        int i, n = 0, target = 1 + (int)(test_rnd(&seed) % (CAP + 20));
        while (n < target) {
            item *o = sp_acquire(&h[n]);
            if (!o) {
                if (!WCHECK(errno == ENOSPC))
                    return 0;
                __atomic_fetch_add(&refusals, 1, __ATOMIC_RELAXED);
                break;
            }
            if (!WCHECK(__atomic_add_fetch(&in_use, 1, __ATOMIC_RELAXED) <= CAP) ||
                !WCHECK(sp_id(h[n]) < CAP) || !WCHECK(claim(sp_id(h[n]))))
                return 0;
            stamp(o, h[n].value);
            n++;
        }
        for (i = 0; i < n; i++) {
            if (!WCHECK(stamped(sp_lookup(h[i]), h[i].value)) || !WCHECK(unclaim(sp_id(h[i]))))
                return 0;
            __atomic_sub_fetch(&in_use, 1, __ATOMIC_RELAXED);
            if (!WCHECK(sp_release(h[i]) == 0))
                return 0;
        }
        if (test_rnd(&seed) % 4 == 0)
            sp_thread_flush();
    }
    return 0;
}

static void a_small_pool_under_pressure_never_exceeds_its_cap(void)
{
    sp_handle h[CAP + 1];
    rpool_stats st;
    int i;

    reset_shared();
    in_use = 0;
    refusals = 0;
    run_threads(THREADS, hammer);
    CHECK_WORKERS();
    CHECK(refusals > 0);
    CHECK_QUIESCENT_EMPTY(sp);
    sp_stats(&st);
    CHECK(st.carved <= CAP);
    CHECK(st.blocks <= (CAP + 15) / 16);
    printf("     %ld refusals\n", refusals);

    /* Once the threads are gone, the whole capacity is there again. */
    for (i = 0; i < CAP; i++)
        CHECK(sp_acquire(&h[i]));
    errno = 0;
    CHECK(sp_acquire(&h[CAP]) == 0);
    CHECK_EQ(errno, ENOSPC);
    for (i = 0; i < CAP; i++)
        CHECK_EQ(sp_release(h[i]), 0);
    sp_thread_flush();
    CHECK_QUIESCENT_EMPTY(sp);
    sp_destroy();
}

static pthread_barrier_t hog_barrier;

/* Takes the whole pool and, once main has seen it full, releases it all
   into its own cache. With `arg` set it then flushes and stays alive until
   main has taken the capacity back; else it exits holding the cache. */
static void *hog(void *arg)
{
    sf_handle h[64];
    int i, ok = 1;

    for (i = 0; i < 64; i++)
        ok = ok && WCHECK(sf_acquire(&h[i]));
    pthread_barrier_wait(&hog_barrier);
    pthread_barrier_wait(&hog_barrier);
    for (i = 0; ok && i < 64; i++)
        ok = WCHECK(sf_release(h[i]) == 0);
    if (arg) {
        sf_thread_flush();
        pthread_barrier_wait(&hog_barrier);
        pthread_barrier_wait(&hog_barrier);
    }
    return 0;
}

static void capacity_cached_by_a_thread_returns_after_its_flush_or_exit(void)
{
    sf_handle h[65];
    pthread_t t;
    long flush;
    int i;

    for (flush = 1; flush >= 0; flush--) {
        pthread_barrier_init(&hog_barrier, 0, 2);
        CHECK(pthread_create(&t, 0, hog, (void *)flush) == 0);
        pthread_barrier_wait(&hog_barrier);
        errno = 0;
        CHECK(sf_acquire(&h[0]) == 0);
        CHECK_EQ(errno, ENOSPC);
        pthread_barrier_wait(&hog_barrier);
        if (flush)
            pthread_barrier_wait(&hog_barrier); /* flushed, still running */
        else
            pthread_join(t, 0);
        for (i = 0; i < 64; i++)
            CHECK(sf_acquire(&h[i]));
        CHECK(sf_acquire(&h[64]) == 0);
        if (flush) {
            pthread_barrier_wait(&hog_barrier);
            pthread_join(t, 0);
        }
        pthread_barrier_destroy(&hog_barrier);
        CHECK_WORKERS();
        for (i = 0; i < 64; i++)
            CHECK_EQ(sf_release(h[i]), 0);
        sf_thread_flush();
        CHECK_QUIESCENT_EMPTY(sf);
    }
    sf_destroy();
}

int main(void)
{
    RUN(objects_released_on_other_threads_come_back_through_a_queue);
    RUN(eight_threads_racing_to_release_each_handle_free_it_once);
    RUN(dead_handles_are_refused_while_their_slots_are_reused);
    RUN(two_thousand_short_lived_threads_strand_nothing);
    RUN(a_small_pool_under_pressure_never_exceeds_its_cap);
    RUN(capacity_cached_by_a_thread_returns_after_its_flush_or_exit);
    return test_summary();
}
