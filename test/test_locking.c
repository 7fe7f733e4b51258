/* test_locking.c - the pool lock, watched. This program is linked with
 * --wrap=pthread_mutex_lock and --wrap=pthread_mutex_unlock, so it can
 * count a thread's takes of a pool's lock and step another thread in
 * just before one.
 *
 *   - An acquire at a pool's capacity while another thread exits: the
 *     exiting thread's cache and uncarved range reach the global side
 *     between the acquire's look at it (unlocked) and its search for a
 *     new range (locked). The acquire must take them, not fail with
 *     ENOSPC. (Found by review; failed before the fix.)
 *   - A thread without a chunk that finds stranded ids takes them a
 *     chunk's worth per lock, not one id per lock. (Failed before the
 *     fix: 200 acquires took the lock 201 times; now 3.) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "rpool.h"
#include "test.h"

typedef struct item {
    int x;
} item;

/* One block is the whole capacity. */
RPOOL_DEFINE_STATIC_EX(capped, item, .max_items = 256, .block_items = 256);
RPOOL_DEFINE_STATIC_EX(strands, item, .block_items = 256);

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);

static pthread_t leaver, main_thread;
static pthread_barrier_t step;
static int armed;               /* main thread only */
static _Thread_local int in_registry; /* this thread holds the registry lock */
static _Thread_local long strands_locks; /* this thread's takes of strands' lock */

/* The main thread's first lock of the pool once armed, outside the
   registry lock (its flush dropped its local pool, which the acquire
   makes again under that lock), is new_range's: its look at the global
   side found nothing. The leaver exits now. */
int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    if (m == &rpool_impl_reg.lock)
        in_registry = 1;
    else if (m == &strands_impl_pool.lock)
        strands_locks++;
    else if (armed && !in_registry && m == &capped_impl_pool.lock &&
             pthread_equal(pthread_self(), main_thread)) {
        armed = 0;
        pthread_barrier_wait(&step);
        test_join(leaver);
    }
    return __real_pthread_mutex_lock(m);
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (m == &rpool_impl_reg.lock)
        in_registry = 0;
    return __real_pthread_mutex_unlock(m);
}

static void *take_two_and_exit(void *arg)
{
    capped_handle a, b;

    (void)arg;
    /* id 0 from the global chunk the main thread flushed, id 1 carved from
       the range [1, 256) it flushed: this thread now holds [2, 256). */
    if (!capped_acquire(&a) || !capped_acquire(&b))
        abort();
    pthread_barrier_wait(&step);
    pthread_barrier_wait(&step); /* then exits, keeping both objects */
    return NULL;
}

static void an_acquire_at_capacity_takes_what_a_thread_exiting_meanwhile_left(void)
{
    capped_handle h;
    rpool_stats st;

    pthread_barrier_init(&step, NULL, 2);
    CHECK(capped_acquire(&h) != NULL);
    CHECK_EQ(capped_release(h), 0);
    capped_thread_flush(); /* id 0 to a global chunk, [1, 256) a tail */
    leaver = test_spawn(take_two_and_exit, NULL);
    pthread_barrier_wait(&step); /* every slot carved or held by the leaver */
    armed = 1;
    errno = 0;
    CHECK(capped_acquire(&h) != NULL); /* the leaver exits inside this call */
    CHECK_EQ(errno, 0);
    CHECK(!armed);
    capped_stats(&st);
    CHECK_EQ(st.live, 3);
    CHECK_EQ(st.live + st.cached + st.global_free + st.retired, st.carved);
    CHECK_EQ(capped_release(h), 0);
    pthread_barrier_destroy(&step);
}

static long counted_locks;

static void *acquire_200_counting_locks(void *arg)
{
    strands_handle *hs = arg;
    size_t i;

    strands_locks = 0;
    for (i = 0; i < 200; i++)
        if (!strands_acquire(&hs[i]))
            abort();
    counted_locks = strands_locks;
    for (i = 0; i < 200; i++)
        if (strands_release(hs[i]) != 0)
            abort();
    return NULL;
}

static void a_thread_without_a_chunk_takes_stranded_ids_a_chunk_at_a_time(void)
{
    strands_handle hs[256], keep;
    rpool_stats st;

    CHECK(strands_acquire(&keep) != NULL); /* keeps block 0 from a trim */
    CHECK_EQ(strands_acquire_n(hs, NULL, 255), 255);
    CHECK_EQ(strands_release_n(hs, 255), 255);
    strands_thread_flush();
    strands_trim(); /* the global side's ids go to the block's bitmap */
    strands_stats(&st);
    CHECK_EQ(st.global_free, 255);
    CHECK_EQ(st.blocks, 1);
    test_join(test_spawn(acquire_200_counting_locks, hs));
    CHECK(counted_locks <= 4); /* first use, then a chunk's worth */
    strands_stats(&st);
    CHECK_EQ(st.blocks, 1);
    CHECK_EQ(st.live, 1);
    CHECK_EQ(strands_release(keep), 0);
}

int main(void)
{
    main_thread = pthread_self();
    RUN(an_acquire_at_capacity_takes_what_a_thread_exiting_meanwhile_left);
    RUN(a_thread_without_a_chunk_takes_stranded_ids_a_chunk_at_a_time);
    return test_summary();
}
