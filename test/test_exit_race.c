/* test_exit_race.c - an acquire at a pool's capacity while another thread
 * exits: the exiting thread's cache and uncarved range reach the global
 * side between the acquire's look at it (unlocked) and its search for a
 * new range (locked). The acquire must take them, not fail with ENOSPC.
 * (Found by review; failed before the fix.)
 *
 * Deterministic: this program is linked with --wrap=pthread_mutex_lock
 * and --wrap=pthread_mutex_unlock, so that the main thread's acquire,
 * when it is about to take the pool lock for a new range, lets the other
 * thread exit first. */
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

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);

static pthread_t leaver, main_thread;
static pthread_barrier_t step;
static int armed;               /* main thread only */
static _Thread_local int in_registry; /* this thread holds the registry lock */

/* The main thread's first lock of the pool once armed, outside the
   registry lock (its flush dropped its local pool, which the acquire
   makes again under that lock), is new_range's: its look at the global
   side found nothing. The leaver exits now. */
int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    if (m == &rpool_impl_reg.lock)
        in_registry = 1;
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

int main(void)
{
    main_thread = pthread_self();
    RUN(an_acquire_at_capacity_takes_what_a_thread_exiting_meanwhile_left);
    return test_summary();
}
