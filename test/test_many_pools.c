/* test_many_pools.c - a program with 5000 pool types (a pool per component
   or message type): every one works from threads that exit, none strands
   anything, and none is limited by the process's pthread keys. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "../rpool.h"
#include "test.h"

typedef struct { uint32_t v; } comp;

/* 5000 pools through the engine itself: each RPOOL_DEFINE makes exactly
   this, a pool object (initialized in main) and a thread-local pointer
   starting at a zeroed sentinel, and its functions are one-line calls into these engine
   functions. (5000 macro instances take minutes to compile.) */
#define NPOOLS 5000
static const rpool_config cfg;
static rpool_impl_pool pool_of[NPOOLS];
static rpool_impl_local sentinel;
static _Thread_local rpool_impl_local *local_of[NPOOLS];

static void *acquire(size_t i, uint64_t *h)
{
    if (!local_of[i])
        local_of[i] = &sentinel;
    return rpool_impl_acquire_slow(&pool_of[i], &local_of[i], sizeof(comp), _Alignof(comp),
                                   &cfg, h);
}

static int release(size_t i, uint64_t h)
{
    if (!local_of[i])
        local_of[i] = &sentinel;
    return rpool_impl_release_slow(&pool_of[i], &local_of[i], sizeof(comp), _Alignof(comp),
                                   &cfg, h, 0);
}

static void stats(size_t i, rpool_stats *st)
{
    rpool_impl_stats(&pool_of[i], sizeof(comp), _Alignof(comp), &cfg, st);
}

static void destroy(size_t i)
{
    rpool_impl_destroy(&pool_of[i], &local_of[i], sizeof(comp), _Alignof(comp), &cfg);
}

static uint64_t kept[NPOOLS];

/* Every pool: acquire two, release one, keep one for the other thread. */
static void *first_thread(void *arg)
{
    size_t i;
    uint64_t a, b;

    (void)arg;
    for (i = 0; i < NPOOLS; i++) {
        WCHECK(acquire(i, &a) != NULL);
        WCHECK(acquire(i, &b) != NULL);
        WCHECK(release(i, a) == 0);
        kept[i] = b;
    }
    return NULL;
}

static void *second_thread(void *arg)
{
    size_t i;

    (void)arg;
    for (i = 0; i < NPOOLS; i++)
        WCHECK(release(i, kept[i]) == 0);
    return NULL;
}

static void five_thousand_pool_types_work_from_threads_that_exit(void)
{
    pthread_t t;
    rpool_stats st;
    size_t i;

    CHECK(pthread_create(&t, NULL, first_thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(pthread_create(&t, NULL, second_thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_WORKERS();
    for (i = 0; i < NPOOLS; i++) {
        stats(i, &st);
        CHECK_EQ(st.threads, 0);
        CHECK_EQ(st.live, 0);
        CHECK_EQ(st.cached, 0);
        /* Both ids came back, with the rest of the first thread's
           block, which its exit left as free ids. */
        CHECK_EQ(st.global_free, st.carved);
        CHECK_EQ(st.blocks, 1);
        CHECK_EQ(st.carved, rpool_impl_layout_of(sizeof(comp), _Alignof(comp), &cfg).nitems);
    }
    for (i = 0; i < NPOOLS; i++)
        destroy(i);
}

/* With every pthread key taken, the first use of rpool fails with EAGAIN,
   not ENOMEM; once a key is free again it works. */
static void no_pthread_key_left_gives_eagain(void)
{
    static pthread_key_t keys[PTHREAD_KEYS_MAX];
    size_t n = 0, i;
    uint64_t h;

    while (n < PTHREAD_KEYS_MAX && pthread_key_create(&keys[n], NULL) == 0)
        n++;
    CHECK(n > 0);
    errno = 0;
    CHECK(acquire(0, &h) == NULL);
    CHECK_EQ(errno, EAGAIN);
    pthread_key_delete(keys[--n]);
    CHECK(acquire(0, &h) != NULL);
    CHECK_EQ(release(0, h), 0);
    for (i = 0; i < n; i++)
        pthread_key_delete(keys[i]);
    destroy(0);
}

int main(void)
{
    size_t i;

    for (i = 0; i < NPOOLS; i++) { /* what RPOOL_DEFINE's initializer makes */
        RPOOL_IMPL_SOME_FIELDS_BEGIN
        rpool_impl_pool fresh = RPOOL_IMPL_POOL_INIT;
        RPOOL_IMPL_SOME_FIELDS_END
        pool_of[i] = fresh;
    }
    RUN(five_thousand_pool_types_work_from_threads_that_exit);
    RUN(no_pthread_key_left_gives_eagain);
    return test_summary();
}
