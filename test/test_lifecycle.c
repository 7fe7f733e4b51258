/* test_lifecycle.c - what real programs do around a pool: fork while other
   threads use it, threads that exit in any destructor round, thousands of
   threads that come and go, stats read while other threads run. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../rpool.h"
#include "test.h"

typedef struct { uint64_t a, b; } item;

RPOOL_DEFINE_STATIC(forked, item);
RPOOL_DEFINE_STATIC(other, item);
RPOOL_DEFINE_STATIC(late, item);
RPOOL_DEFINE_STATIC(churn, item);
RPOOL_DEFINE_STATIC(watched, item);

static int counts_add_up(const rpool_stats *st)
{
    return st->live + st->cached + st->global_free + st->retired == st->carved;
}

/* ---- fork --------------------------------------------------------------- */

static volatile int fork_stop;
static pthread_barrier_t fork_ready;

/* Holds a cache of free ids and a part-carved block in both pools, then
   keeps taking the pool locks (chunk trades, new ranges) until told to stop. */
static void *fork_worker(void *arg)
{
    forked_handle hs[600];
    other_handle oh[10];
    size_t i, n = 0;

    (void)arg;
    for (i = 0; i < 300; i++)
        WCHECK(forked_acquire(&hs[i]) != NULL);
    for (i = 0; i < 200; i++)
        WCHECK(forked_release(hs[i]) == 0);
    for (i = 0; i < 10; i++)
        WCHECK(other_acquire(&oh[i]) != NULL);
    pthread_barrier_wait(&fork_ready);
    while (!__atomic_load_n(&fork_stop, __ATOMIC_RELAXED)) {
        for (i = 0; i < 600; i++)
            WCHECK(forked_acquire(&hs[i]) != NULL);
        WCHECK(forked_release_n(hs, 600) == 600);
        forked_thread_flush();
        n++;
    }
    (void)n;
    return NULL;
}

/* In the child: every pool works, only this thread is counted, and the
   ids the parent's other thread cached come back to this pool. */
static int child_checks(void)
{
    rpool_stats st, st2;
    forked_handle h;
    other_handle oh;
    size_t i, free_ids;

    alarm(20); /* a deadlock ends the child with SIGALRM */
    forked_stats(&st);
    if (st.threads > 1 || !counts_add_up(&st))
        return 1;
    other_stats(&st2);
    if (st2.threads > 1 || !counts_add_up(&st2) || st2.live != 10)
        return 2;
    free_ids = st.cached + st.global_free;
    for (i = 0; i < free_ids; i++) /* every free id, without carving */
        if (!forked_acquire(&h))
            return 3;
    forked_stats(&st2);
    if (st2.carved != st.carved)
        return 4;
    if (!other_acquire(&oh) || other_release(oh) != 0)
        return 5;
    return 0;
}

static void a_child_of_fork_uses_every_pool_and_gets_back_other_threads_caches(void)
{
    pthread_t t;
    int round, status;
    pid_t pid;

    for (round = 0; round < 20; round++) {
        fork_stop = 0;
        pthread_barrier_init(&fork_ready, NULL, 2);
        t = test_spawn(fork_worker, NULL);
        pthread_barrier_wait(&fork_ready);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            _exit(child_checks());
        CHECK(waitpid(pid, &status, 0) == pid);
        __atomic_store_n(&fork_stop, 1, __ATOMIC_RELAXED);
        test_join(t);
        pthread_barrier_destroy(&fork_ready);
        CHECK_WORKERS();
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
        forked_destroy();
        other_destroy();
    }
}

/* ---- thread exit, in any destructor round -------------------------------- */

static pthread_key_t late_key;
static _Thread_local int late_round;
static _Thread_local int late_first_round; /* the round that first uses the pool */

/* Another library's key destructor: asks for every round there is, and
   uses the pool in the rounds from late_first_round on. */
static void late_destructor(void *arg)
{
    late_handle h[3];
    int i;

    late_round++;
    if (late_round >= late_first_round) {
        for (i = 0; i < 3; i++)
            WCHECK(late_acquire(&h[i]) != NULL);
        WCHECK(late_release(h[0]) == 0);
        WCHECK(late_release(h[2]) == 0);
        /* h[1] stays live: a thread may exit holding objects */
    }
    if (late_round < PTHREAD_DESTRUCTOR_ITERATIONS)
        pthread_setspecific(late_key, arg);
}

static void *late_thread(void *arg)
{
    late_handle h;

    late_first_round = (int)(intptr_t)arg;
    if (late_first_round > 0) { /* this thread used pools before its exit */
        WCHECK(late_acquire(&h) != NULL);
        WCHECK(late_release(h) == 0);
    } else {
        late_first_round = -late_first_round;
    }
    pthread_setspecific(late_key, (void *)1);
    return NULL;
}

/* Whichever round of thread exit uses the pool (1 to the last), and
   whether or not the thread used a pool before: afterwards no thread is
   registered and the ids are all free on the global side. */
static void pools_used_in_any_destructor_round_strand_nothing(void)
{
    rpool_stats st;
    late_handle h;
    int first;

    late_destroy();
    CHECK(late_acquire(&h) != NULL); /* rpool's key exists before late_key: a lower index */
    CHECK_EQ(late_release(h), 0);
    late_thread_flush();
    CHECK_EQ(pthread_key_create(&late_key, late_destructor), 0);
    for (first = 1; first <= PTHREAD_DESTRUCTOR_ITERATIONS; first++) {
        test_join(test_spawn(late_thread, (void *)(intptr_t)first));
        CHECK_WORKERS();
        late_stats(&st);
        CHECK_EQ(st.threads, 0);
        CHECK_EQ(st.cached, 0);
        CHECK(counts_add_up(&st));
    }
    CHECK_EQ(st.live, (size_t)(PTHREAD_DESTRUCTOR_ITERATIONS *
                               (PTHREAD_DESTRUCTOR_ITERATIONS + 1) / 2));
    pthread_key_delete(late_key);
    late_destroy();
}

/* A thread whose very first use of rpool is in another library's key
   destructor, when that key was made before rpool's (so rpool's destructor
   comes later in the same round). */
static void a_first_use_inside_an_earlier_keys_destructor_strands_nothing(void)
{
    rpool_stats st;
    int first;

    late_destroy();
    other_destroy();
    forked_destroy();
    watched_destroy();
    churn_destroy(); /* no pool has a thread: rpool's key is made anew later */
    CHECK_EQ(pthread_key_create(&late_key, late_destructor), 0);
    for (first = 1; first < PTHREAD_DESTRUCTOR_ITERATIONS; first++) {
        test_join(test_spawn(late_thread, (void *)(intptr_t)-first));
        CHECK_WORKERS();
        late_stats(&st);
        CHECK_EQ(st.threads, 0);
        CHECK_EQ(st.cached, 0);
        CHECK(counts_add_up(&st));
    }
    pthread_key_delete(late_key);
    late_destroy();
}

/* ---- many threads come and go --------------------------------------------- */

#define CHURN_THREADS 5000
static churn_handle churn_hs[CHURN_THREADS];

static void *churn_release_one(void *arg)
{
    WCHECK(churn_release(churn_hs[(intptr_t)arg]) == 0);
    return NULL;
}

/* 5000 threads that each release one object and exit leave the pool
   holding at most 64 bytes per free id (chunks are merged, spares freed). */
static void threads_that_release_one_object_and_exit_cost_little_memory(void)
{
    rpool_stats before, st;
    intptr_t i;

    churn_destroy();
    for (i = 0; i < CHURN_THREADS; i++)
        CHECK(churn_acquire(&churn_hs[i]) != NULL);
    churn_thread_flush();
    churn_stats(&before);
    for (i = 0; i < CHURN_THREADS; i++) {
        test_join(test_spawn(churn_release_one, (void *)i));
        CHECK_WORKERS();
    }
    churn_stats(&st);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.global_free, CHURN_THREADS);
    CHECK(st.bytes - before.bytes <= 64 * (size_t)CHURN_THREADS);
    CHECK(counts_add_up(&st));
    churn_destroy();
}

/* ---- stats while other threads run ------------------------------------------ */

static volatile int watch_stop;

static void *watched_worker(void *arg)
{
    watched_handle hs[300];
    size_t i;

    (void)arg;
    while (!__atomic_load_n(&watch_stop, __ATOMIC_RELAXED)) {
        for (i = 0; i < 300; i++)
            WCHECK(watched_acquire(&hs[i]) != NULL);
        for (i = 0; i < 300; i++)
            WCHECK(watched_release(hs[i]) == 0);
    }
    return NULL;
}

/* Every field stays within 0..carved while other threads swap chunks. */
static void stats_stay_in_range_while_other_threads_run(void)
{
    pthread_t t[3];
    rpool_stats st;
    int i, n;

    watch_stop = 0;
    for (i = 0; i < 3; i++)
        t[i] = test_spawn(watched_worker, NULL);
    for (n = 0; n < 200000; n++) {
        watched_stats(&st);
        if (st.live > st.carved || st.cached > st.carved || st.global_free > st.carved ||
            st.retired > st.carved || !counts_add_up(&st) || st.bytes > (64u << 20))
            break;
    }
    __atomic_store_n(&watch_stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < 3; i++)
        test_join(t[i]);
    CHECK_WORKERS();
    CHECK_EQ(n, 200000);
    watched_destroy();
}

/* ThreadSanitizer finishes a thread from its own key destructor and
   crashes on what later destructor rounds do: those two tests run in the
   plain, ASan and valgrind builds only. */
#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif

int main(void)
{
    RUN(a_child_of_fork_uses_every_pool_and_gets_back_other_threads_caches);
#ifndef TEST_TSAN
    RUN(pools_used_in_any_destructor_round_strand_nothing);
    RUN(a_first_use_inside_an_earlier_keys_destructor_strands_nothing);
#else
    (void)pools_used_in_any_destructor_round_strand_nothing;
    (void)a_first_use_inside_an_earlier_keys_destructor_strands_nothing;
#endif
    RUN(threads_that_release_one_object_and_exit_cost_little_memory);
    RUN(stats_stay_in_range_while_other_threads_run);
    return test_summary();
}
