/* Threads: racing releases, objects that change threads, threads that exit
 * or flush, destroy beside an idle thread, and for_each beside threads that
 * acquire and release. Short by design (well under
 * a second); long stress runs belong elsewhere. */
#define _POSIX_C_SOURCE 200809L /* pthread barriers under -std=c11 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "rpool.h"
#include "test.h"

typedef struct job {
    uint64_t owner, seq;
} job;

RPOOL_DEFINE_STATIC(raced, job);
RPOOL_DEFINE_STATIC(passed, job);
RPOOL_DEFINE_STATIC(brief, job);
RPOOL_DEFINE_STATIC(brief_rel, job);
RPOOL_DEFINE_STATIC(flushing, job);
RPOOL_DEFINE_STATIC(shared, job);
RPOOL_DEFINE_STATIC_EX(churn, job, .block_items = 64, .chunk_items = 16);
RPOOL_DEFINE_STATIC_EX(roam, job, .block_items = 32, .chunk_items = 8, .max_items = 65536);
RPOOL_DEFINE_STATIC_EX(worn, job, .version_bits = 4, .max_items = 512, .block_items = 32,
                       .chunk_items = 8);

/* ---- racing releases ------------------------------------------------------- */

#define RACERS 2
#define RACE_ROUNDS 20
#define RACE_BATCH 65536

/* The racers busy-wait on a round counter, so that both are running when it
   moves: a barrier or a condition variable wakes sleepers one at a time,
   so far apart that one pass would be over before the next began. */
static atomic_int race_round, race_started;
static pthread_barrier_t race_done;
static raced_handle race_hs[RACE_BATCH];
static int race_result[RACERS][RACE_BATCH];

static void spin_until(atomic_int *v, int want)
{
    unsigned spins = 0;
    while (atomic_load_explicit(v, memory_order_acquire) != want)
        if (++spins % 4096 == 0)
            sched_yield(); /* let the main thread run on a busy machine */
}

/* Every racer releases the whole batch in the same order: one that falls
   behind catches up (a refused release is quicker than a successful one),
   so the racers meet on the same handle again and again. */
static void *racer(void *arg)
{
    size_t me = (size_t)arg, k;
    int round;
    for (round = 1; round <= RACE_ROUNDS; round++) {
        spin_until(&race_round, round);
        /* Then wait, without yielding, until every racer is running. */
        atomic_fetch_add(&race_started, 1);
        while (atomic_load(&race_started) != round * RACERS)
            continue;
        for (k = 0; k < RACE_BATCH; k++)
            race_result[me][k] = raced_release(race_hs[k]);
        pthread_barrier_wait(&race_done);
    }
    return NULL;
}

/* Of RACERS threads releasing one handle at once, exactly one gets 0 and
   the others -ESTALE, for every handle of every round. */
static void racing_releases_of_one_handle_succeed_exactly_once(void)
{
    pthread_t t[RACERS];
    size_t i, k;
    int round, bad = 0;
    rpool_stats st;

    pthread_barrier_init(&race_done, NULL, RACERS + 1);
    for (i = 0; i < RACERS; i++)
        t[i] = test_spawn(racer, (void *)i);
    for (round = 1; round <= RACE_ROUNDS; round++) {
        if (raced_acquire_n(race_hs, NULL, RACE_BATCH) != RACE_BATCH)
            abort();
        atomic_store_explicit(&race_round, round, memory_order_release);
        pthread_barrier_wait(&race_done);
        for (k = 0; k < RACE_BATCH; k++) {
            int zeros = 0, stale = 0;
            for (i = 0; i < RACERS; i++) {
                zeros += race_result[i][k] == 0;
                stale += race_result[i][k] == -ESTALE;
            }
            bad += zeros != 1 || stale != RACERS - 1;
        }
    }
    for (i = 0; i < RACERS; i++)
        test_join(t[i]);
    pthread_barrier_destroy(&race_done);
    CHECK_EQ(bad, 0);
    raced_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.threads, 1); /* only this thread's cache is left */
    CHECK_EQ(st.live + st.cached + st.global_free + st.retired, st.carved);
}

/* ---- objects that change threads ------------------------------------------- */

#define PASSED 5000

static passed_handle passed_hs[PASSED];

static void *produce(void *arg)
{
    size_t i;
    (void)arg;
    for (i = 0; i < PASSED; i++) {
        job *j = passed_acquire(&passed_hs[i]);
        if (!j)
            abort();
        j->owner = 1;
        j->seq = i;
    }
    return NULL;
}

static void *consume(void *arg)
{
    size_t i, *released = arg;
    for (i = 0; i < PASSED; i++) {
        job *j = passed_lookup(passed_hs[i]);
        if (j && j->owner == 1 && j->seq == i && passed_release(passed_hs[i]) == 0)
            ++*released;
    }
    return NULL;
}

/* Acquired on one thread, looked up and released on a second; after both
   exit, a third thread gets the same slots back instead of new ones. */
static void objects_acquired_on_one_thread_are_released_on_another(void)
{
    size_t released = 0, carved;
    rpool_stats st;
    size_t i;

    test_join(test_spawn(produce, NULL));
    passed_stats(&st);
    CHECK_EQ(st.live, PASSED);
    CHECK_EQ(st.threads, 0);
    test_join(test_spawn(consume, &released));
    CHECK_EQ(released, PASSED);
    passed_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.cached, 0);
    CHECK_EQ(st.global_free, st.carved); /* and the producer's exit left the */
    CHECK(st.carved >= PASSED);           /* rest of a line of slots free */
    CHECK_EQ(st.threads, 0);
    carved = st.carved;
    for (i = 0; i < PASSED; i++)
        CHECK(passed_lookup(passed_hs[i]) == NULL);

    test_join(test_spawn(produce, NULL));
    passed_stats(&st);
    CHECK_EQ(st.carved, carved);
    CHECK_EQ(st.live, PASSED);
    CHECK_EQ(passed_release_n(passed_hs, PASSED), PASSED);
}

/* ---- threads that exit ----------------------------------------------------- */

#define BRIEF_THREADS 1000

static brief_handle brief_hs[BRIEF_THREADS];

static void *acquire_one_and_exit(void *arg)
{
    size_t i = (size_t)arg;
    job *j = brief_acquire(&brief_hs[i]);
    if (!j)
        abort();
    j->seq = i;
    return NULL;
}

/* Each thread carves the tail the last one's exit left (a thread with no
   cached ids hands its tail back as it is): 1000 objects fill 4 blocks
   (256 each), the rest of the last is still uncarved, and no thread keeps
   anything. */
static void short_lived_threads_strand_nothing(void)
{
    rpool_stats st;
    size_t i;

    for (i = 0; i < BRIEF_THREADS; i++)
        test_join(test_spawn(acquire_one_and_exit, (void *)i));
    brief_stats(&st);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.live, BRIEF_THREADS);
    CHECK_EQ(st.live + st.global_free, st.carved);
    CHECK_EQ(st.blocks, (BRIEF_THREADS + 255) / 256);
    CHECK_EQ(st.carved, BRIEF_THREADS);
    for (i = 0; i < BRIEF_THREADS; i++) {
        job *j = brief_lookup(brief_hs[i]);
        CHECK(j != NULL);
        CHECK_EQ(j->seq, i);
    }
    CHECK_EQ(brief_release_n(brief_hs, BRIEF_THREADS), BRIEF_THREADS);
}

static void *acquire_release_and_exit(void *arg)
{
    brief_rel_handle h;
    (void)arg;
    if (!brief_rel_acquire(&h) || brief_rel_release(h) != 0)
        abort();
    return NULL;
}

/* A thread that releases what it took leaves the id in a chunk the next
   thread picks up: 1000 such threads use one block (the first thread's
   exit leaves the rest of it free with the id). */
static void short_lived_threads_that_release_reuse_one_block(void)
{
    rpool_stats st;
    size_t i;

    for (i = 0; i < BRIEF_THREADS; i++)
        test_join(test_spawn(acquire_release_and_exit, NULL));
    brief_rel_stats(&st);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.carved, 256);
    CHECK_EQ(st.blocks, 1);
    CHECK_EQ(st.global_free, 256);
}

/* ---- thread_flush from a thread that stays --------------------------------- */

static pthread_barrier_t flush_step;

static void *cache_then_flush(void *arg)
{
    flushing_handle hs[100];
    (void)arg;
    if (flushing_acquire_n(hs, NULL, 100) != 100 || flushing_release_n(hs, 100) != 100)
        abort();
    pthread_barrier_wait(&flush_step); /* 1: the cache is full */
    pthread_barrier_wait(&flush_step); /* 2: main has looked */
    flushing_thread_flush();
    pthread_barrier_wait(&flush_step); /* 3: flushed, still running */
    pthread_barrier_wait(&flush_step); /* 4: main has looked */
    return NULL;
}

static void thread_flush_hands_a_live_threads_cache_back(void)
{
    flushing_handle hs[300];
    rpool_stats st;
    pthread_t t;

    pthread_barrier_init(&flush_step, NULL, 2);
    t = test_spawn(cache_then_flush, NULL);
    pthread_barrier_wait(&flush_step);
    flushing_stats(&st);
    CHECK_EQ(st.cached, 100);
    CHECK_EQ(st.global_free, 0);
    CHECK_EQ(st.threads, 1);
    CHECK_EQ(st.carved, 100);
    pthread_barrier_wait(&flush_step);
    pthread_barrier_wait(&flush_step);
    flushing_stats(&st);
    CHECK_EQ(st.cached, 0);
    CHECK_EQ(st.global_free, 100);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.carved, 100);
    pthread_barrier_wait(&flush_step);
    test_join(t);
    pthread_barrier_destroy(&flush_step);

    /* The 100 ids and the 156-slot tail come back before a second block. */
    CHECK_EQ(flushing_acquire_n(hs, NULL, 300), 300);
    flushing_stats(&st);
    CHECK_EQ(st.blocks, 2);
    CHECK_EQ(st.carved, 300);
    CHECK_EQ(flushing_release_n(hs, 300), 300);
}

/* ---- destroy beside an idle thread ----------------------------------------- */

static pthread_barrier_t idle_step;

static void *use_idle_use(void *arg)
{
    shared_handle hs[50];
    int *ok = arg;
    if (shared_acquire_n(hs, NULL, 50) != 50 || shared_release_n(hs, 40) != 40)
        abort();
    pthread_barrier_wait(&idle_step); /* main destroys the pool meanwhile */
    pthread_barrier_wait(&idle_step);
    *ok = shared_release(hs[45]) == -EINVAL && shared_acquire_n(hs, NULL, 50) == 50 &&
          shared_release_n(hs, 50) == 50;
    return NULL;
}

/* destroy takes the other thread's cache and local pool too: stats are all
   zero, and the thread goes on using the pool with a new local pool. */
static void destroy_empties_an_idle_threads_cache(void)
{
    rpool_stats st;
    pthread_t t;
    int ok = 0;

    pthread_barrier_init(&idle_step, NULL, 2);
    t = test_spawn(use_idle_use, &ok);
    pthread_barrier_wait(&idle_step);
    shared_stats(&st);
    CHECK_EQ(st.live, 10);
    CHECK_EQ(st.cached, 40);
    shared_destroy();
    shared_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.cached, 0);
    CHECK_EQ(st.global_free, 0);
    CHECK_EQ(st.carved, 0);
    CHECK_EQ(st.retired, 0);
    CHECK_EQ(st.blocks, 0);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.bytes, 0);
    pthread_barrier_wait(&idle_step);
    test_join(t);
    pthread_barrier_destroy(&idle_step);
    CHECK(ok);
    shared_stats(&st);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.global_free, st.carved); /* 50, and the rest of the block */
    CHECK_EQ(st.carved, st.blocks * 256); /* its exit left */
    shared_destroy();
    shared_stats(&st);
    CHECK_EQ(st.bytes, 0);
}

/* ---- counts and handles under concurrent use ------------------------------- */

#define CHURNERS 4
#define CHURN_OPS 40000
#define CHURN_HELD 200

struct churner {
    uint64_t seed;
    churn_handle held[CHURN_HELD];
    size_t nheld;
    int bad;
};

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *churn_thread(void *arg)
{
    struct churner *c = arg;
    size_t op;
    for (op = 0; op < CHURN_OPS; op++) {
        uint64_t r = next_rand(&c->seed);
        if (r % 2 && c->nheld < CHURN_HELD) {
            job *j = churn_acquire(&c->held[c->nheld]);
            if (!j) {
                c->bad = 1;
                break;
            }
            j->owner = (uint64_t)(uintptr_t)c;
            c->nheld++;
        } else if (c->nheld) {
            size_t k = (size_t)(r >> 8) % c->nheld;
            churn_handle h = c->held[k];
            job *j = churn_lookup(h);
            if (!j || j->owner != (uint64_t)(uintptr_t)c)
                c->bad = 1; /* somebody else's object under my handle */
            c->held[k] = c->held[--c->nheld];
            if ((r & 4 ? churn_release(h) : churn_release_owned(h)) != 0 ||
                churn_release(h) != -ESTALE)
                c->bad = 1;
        }
    }
    return NULL;
}

/* Threads acquire and release at random; each keeps its handles. After they
   exit, every kept handle still names its owner's object, stats.live is the
   number kept, and the counts add up. */
static void concurrent_use_keeps_objects_private_and_counts_exact(void)
{
    static struct churner c[CHURNERS];
    pthread_t t[CHURNERS];
    size_t i, kept = 0, k;
    rpool_stats st;

    for (i = 0; i < CHURNERS; i++) {
        c[i].seed = 0x2545f4914f6cdd1dull * (i + 1);
        t[i] = test_spawn(churn_thread, &c[i]);
    }
    for (i = 0; i < CHURNERS; i++)
        test_join(t[i]);
    for (i = 0; i < CHURNERS; i++) {
        CHECK(!c[i].bad);
        kept += c[i].nheld;
        for (k = 0; k < c[i].nheld; k++) {
            job *j = churn_lookup(c[i].held[k]);
            CHECK(j != NULL);
            CHECK_EQ(j->owner, (uint64_t)(uintptr_t)&c[i]);
        }
    }
    churn_stats(&st);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.live, kept);
    CHECK_EQ(st.cached, 0);
    CHECK_EQ(st.live + st.cached + st.global_free + st.retired, st.carved);
    for (i = 0; i < CHURNERS; i++)
        CHECK_EQ(churn_release_n(c[i].held, c[i].nheld), c[i].nheld);
}

#define WORN_SLOTS 512
#define WORN_HANDLES (WORN_SLOTS * 7)
#define WORNERS 4

struct worner {
    uint64_t issued[WORN_HANDLES];
    size_t n;
    int bad;
};

/* Acquires and releases one object at a time until the pool says ENOSPC. */
static void *wear_out(void *arg)
{
    struct worner *w = arg;
    for (;;) {
        worn_handle h;
        errno = 0;
        if (!worn_acquire(&h)) {
            w->bad |= errno != ENOSPC;
            return NULL;
        }
        if (w->n == WORN_HANDLES || worn_release(h) != 0) {
            w->bad = 1;
            return NULL;
        }
        w->issued[w->n++] = h.value;
    }
}

/* 512 slots of 4 version bits worn out by 4 threads, then by this one once
   they have exited and handed back their caches: exactly 512 * 7 handles
   come out, no value twice, and every slot retires. */
static void threads_wearing_slots_out_never_issue_a_handle_twice(void)
{
    static struct worner w[WORNERS + 1];
    static uint64_t all[WORN_HANDLES];
    pthread_t t[WORNERS];
    size_t i, k, n = 0;
    rpool_stats st;

    for (i = 0; i < WORNERS; i++)
        t[i] = test_spawn(wear_out, &w[i]);
    for (i = 0; i < WORNERS; i++)
        test_join(t[i]);
    wear_out(&w[WORNERS]);
    for (i = 0; i <= WORNERS; i++) {
        CHECK(!w[i].bad);
        for (k = 0; k < w[i].n; k++) {
            CHECK(n < WORN_HANDLES);
            all[n++] = w[i].issued[k];
        }
    }
    CHECK_EQ(n, WORN_HANDLES);
    CHECK(test_all_distinct(all, n));
    worn_stats(&st);
    CHECK_EQ(st.retired, WORN_SLOTS);
    CHECK_EQ(st.carved, WORN_SLOTS);
    CHECK_EQ(st.live + st.cached + st.global_free, 0);
}

/* ---- for_each beside threads that acquire and release ---------------------- */

/* A roam job's `owner` is its own handle value, stored by whoever acquired
   it (an atomic store: the walk reads it while other threads write it). */
#define ROAM_IDS 65536
#define ROAM_WORKERS 2
#define ROAM_BATCH 8
#define ROAM_RING 256
#define ROAM_KEPT 100
#define ROAM_WALKS 200    /* at least */
#define ROAM_CHURN 20000  /* objects passed between the workers, at least */

/* Worker i passes what it acquires to worker i + 1, which releases it. */
static struct roam_ring {
    pthread_mutex_t lock;
    roam_handle hs[ROAM_RING];
    size_t n;
} roam_rings[ROAM_WORKERS];
static atomic_int roam_stop;
static atomic_size_t roam_passed; /* released by the other worker */

static void roam_own(job *j, roam_handle h)
{
    __atomic_store_n(&j->owner, h.value, __ATOMIC_RELEASE);
}

static void *roam_worker(void *arg)
{
    size_t me = (size_t)arg, k, round;
    struct roam_ring *out = &roam_rings[me], *in = &roam_rings[(me + 1) % ROAM_WORKERS];

    for (round = 0; !atomic_load(&roam_stop) && !WORKERS_FAILED(); round++) {
        roam_handle hs[ROAM_BATCH];
        job *js[ROAM_BATCH];
        size_t n = 0;
        pthread_mutex_lock(&in->lock);
        while (n < ROAM_BATCH && in->n)
            hs[n++] = in->hs[--in->n];
        pthread_mutex_unlock(&in->lock);
        for (k = 0; k < n; k++)
            WCHECK(roam_release(hs[k]) == 0);
        atomic_fetch_add(&roam_passed, n);
        for (k = 0; k < ROAM_BATCH; k++)
            if (!WCHECK((js[k] = roam_acquire(&hs[k])) != NULL))
                return NULL;
        if (round % 16 == 0)
            sched_yield(); /* live, not yet owned: what a walk may meet */
        for (k = 0; k < ROAM_BATCH; k++)
            roam_own(js[k], hs[k]);
        pthread_mutex_lock(&out->lock);
        for (k = 0; k < ROAM_BATCH && out->n < ROAM_RING; k++)
            out->hs[out->n++] = hs[k];
        pthread_mutex_unlock(&out->lock);
        for (; k < ROAM_BATCH; k++) /* no room: released here */
            WCHECK(roam_release(hs[k]) == 0);
    }
    return NULL;
}

static uint32_t roam_seen[ROAM_IDS]; /* the last walk that visited each id */
static unsigned char roam_kept[ROAM_IDS]; /* the walking thread's own objects */

struct roam_walk {
    uint32_t walk;
    size_t kept, current, lagging, gone, bad;
};

/* What a visit may see of another thread's object: its own handle (the
   current one); an older handle or 0, when its acquirer has not stored
   yet (lagging); a newer one, when it was released and acquired again
   since the walk read its version, and then h is refused (gone). Never
   another slot's handle, never an even version, never a slot twice. */
static void roam_check(job *obj, roam_handle h, void *arg)
{
    struct roam_walk *w = arg;
    uint64_t id = roam_id(h), ver = h.value >> 32, stored;

    if (id >= ROAM_IDS || roam_seen[id] == w->walk || !(ver & 1) || roam_address(id) != obj) {
        w->bad++;
        return;
    }
    roam_seen[id] = w->walk;
    stored = __atomic_load_n(&obj->owner, __ATOMIC_ACQUIRE);
    if (roam_kept[id]) {
        w->kept++;
        w->bad += stored != h.value;
    } else if (stored == h.value) {
        w->current++;
    } else if (stored != 0 && roam_id((roam_handle){ stored }) != id) {
        w->bad++;
    } else if (stored >> 32 < ver) {
        w->lagging++;
    } else {
        w->gone++;
        w->bad += roam_lookup(h) != NULL;
    }
}

/* One thread walks the pool again and again while two others acquire
   objects and release each other's. Every visit names a live-consistent
   object (see roam_check), no slot is visited twice in a walk, and each of
   the walking thread's own objects, live throughout, is visited in every
   walk exactly once, with its handle. Free slots, such as the ones it
   released before, are never visited (their versions are even). */
static void for_each_beside_cross_thread_churn_visits_each_object_at_most_once_and_consistently(void)
{
    static roam_handle kept[ROAM_KEPT];
    pthread_t t[ROAM_WORKERS];
    struct roam_walk total = { 0, 0, 0, 0, 0, 0 };
    size_t i, k;
    uint32_t walk;

    for (i = 0; i < 2 * ROAM_KEPT; i++) {
        job *j = roam_acquire(&kept[i / 2]);
        CHECK(j != NULL);
        roam_own(j, kept[i / 2]);
        if (i % 2 == 0) /* released: a free slot in the walks' way */
            CHECK_EQ(roam_release(kept[i / 2]), 0);
        else
            roam_kept[roam_id(kept[i / 2])] = 1;
    }
    for (i = 0; i < ROAM_WORKERS; i++)
        pthread_mutex_init(&roam_rings[i].lock, NULL);
    for (i = 0; i < ROAM_WORKERS; i++)
        t[i] = test_spawn(roam_worker, (void *)i);
    for (walk = 1; walk <= ROAM_WALKS || (atomic_load(&roam_passed) < ROAM_CHURN &&
                                          !WORKERS_FAILED()); walk++) {
        struct roam_walk w = { walk, 0, 0, 0, 0, 0 };
        roam_for_each(roam_check, &w);
        total.kept += w.kept == ROAM_KEPT;
        total.current += w.current;
        total.lagging += w.lagging;
        total.gone += w.gone;
        total.bad += w.bad;
        if (walk % 16 == 0)
            sched_yield(); /* let the workers run on a busy machine */
    }
    atomic_store(&roam_stop, 1);
    for (i = 0; i < ROAM_WORKERS; i++)
        test_join(t[i]);
    CHECK_WORKERS();
    for (i = 0; i < ROAM_WORKERS; i++) {
        for (k = 0; k < roam_rings[i].n; k++)
            CHECK_EQ(roam_release(roam_rings[i].hs[k]), 0);
        pthread_mutex_destroy(&roam_rings[i].lock);
    }
    CHECK_EQ(roam_release_n(kept, ROAM_KEPT), ROAM_KEPT);
    printf("     %u walks: %zu visits current, %zu lagging, %zu gone; %zu objects passed\n",
           walk - 1, total.current, total.lagging, total.gone, atomic_load(&roam_passed));
    CHECK_EQ(total.bad, 0);
    CHECK_EQ(total.kept, walk - 1);
    CHECK(total.current > 0); /* the walks met the workers' objects */
}

int main(void)
{
    RUN(racing_releases_of_one_handle_succeed_exactly_once);
    RUN(objects_acquired_on_one_thread_are_released_on_another);
    RUN(short_lived_threads_strand_nothing);
    RUN(short_lived_threads_that_release_reuse_one_block);
    RUN(thread_flush_hands_a_live_threads_cache_back);
    RUN(destroy_empties_an_idle_threads_cache);
    RUN(concurrent_use_keeps_objects_private_and_counts_exact);
    RUN(threads_wearing_slots_out_never_issue_a_handle_twice);
    RUN(for_each_beside_cross_thread_churn_visits_each_object_at_most_once_and_consistently);
    raced_destroy();
    passed_destroy();
    brief_destroy();
    brief_rel_destroy();
    flushing_destroy();
    shared_destroy();
    churn_destroy();
    worn_destroy();
    roam_destroy();
    return test_summary();
}
