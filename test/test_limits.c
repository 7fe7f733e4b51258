/* test_limits.c - limits a pool keeps whatever the program does: capacity
   and what bounds it, capacity with idle threads, a failed bulk acquire,
   init that acquires, handles across many destroys. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "../rpool.h"
#include "test.h"

typedef struct node { uint64_t a, b; } node;

RPOOL_DEFINE_STATIC_EX(capped, node, .max_items = 1000);
RPOOL_DEFINE_STATIC_EX(tiny, node, .max_items = 40, .version_bits = 4, .block_items = 16);

static int make_sibling(void *obj);
RPOOL_DEFINE_STATIC_EX(tree, node, .init = make_sibling);
RPOOL_DEFINE_STATIC_EX(lives, node, .block_items = 8, .max_items = 64);
RPOOL_DEFINE_STATIC_EX(singles, node, .block_items = 1, .version_bits = 54);

/* ---- what bounds capacity ------------------------------------------------- */

/* The manual's capacity: slots <= min(2^32 - 1, 2^24 * objects per block,
   2^(64 - version_bits), max_items), objects per block being the largest
   power of two <= min(block_bytes / sizeof(T), block_items, 65536), at
   least 1. Each row makes a different term the least; the engine's layout
   is what every acquire checks against. (Reaching 2^24 one-object blocks
   for real takes 16 million allocations: too slow for make test.) */
static void capacity_is_the_least_of_its_four_bounds(void)
{
    static const struct {
        size_t size;
        rpool_config cfg;
        uint32_t per_block;
        uint64_t cap;
    } rows[] = {
        { 16, { 0 }, 256, 0xffffffffull },                         /* 32-bit ids */
        { 16, { .block_items = 1 }, 1, 1ull << 24 },               /* 2^24 blocks */
        { 16, { .block_items = 3 }, 2, 1ull << 25 },
        { 16, { .block_items = 128 }, 128, 1ull << 31 },
        { 16, { .block_bytes = 64 }, 4, 1ull << 26 },
        { 100000, { 0 }, 1, 1ull << 24 },                          /* T > block_bytes */
        { 16, { .block_items = 65536, .block_bytes = 1u << 20 }, 65536, 0xffffffffull },
        { 16, { .version_bits = 40 }, 256, 1ull << 24 },           /* id bits */
        { 16, { .block_items = 1, .version_bits = 48 }, 1, 1ull << 16 },
        { 16, { .block_items = 1, .max_items = 1000 }, 1, 1000 },  /* max_items */
        { 16, { .block_items = 1, .max_items = 1ull << 30 }, 1, 1ull << 24 },
        { 16, { .max_items = 1ull << 40 }, 256, 0xffffffffull },
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rpool_impl_layout L = rpool_impl_layout_of(rows[i].size, 8, &rows[i].cfg);
        if (L.nitems != rows[i].per_block || L.cap != rows[i].cap)
            fprintf(stderr, "    row %zu: %u objects per block, capacity %llu\n", i,
                    (unsigned)L.nitems, (unsigned long long)L.cap);
        CHECK(L.nitems == rows[i].per_block && L.cap == rows[i].cap);
    }
}

/* One object per block and 10 id bits: the pool stops at 2^10 slots, as
   its layout says, with ENOSPC that takes nothing, and goes on once one is
   released. */
static void one_object_blocks_stop_at_their_capacity_with_enospc(void)
{
    enum { CAP = 1024 };
    static singles_handle hs[CAP];
    singles_handle more[2];
    rpool_impl_layout L = rpool_impl_layout_of(sizeof(node), _Alignof(node), &singles_config);
    rpool_stats st;

    CHECK_EQ(L.nitems, 1);
    CHECK_EQ(L.cap, CAP);
    CHECK_EQ(singles_acquire_n(hs, NULL, CAP), CAP);
    errno = 0;
    CHECK(singles_acquire(&more[0]) == NULL);
    CHECK_EQ(errno, ENOSPC);
    errno = 0;
    CHECK_EQ(singles_acquire_n(more, NULL, 2), 0);
    CHECK_EQ(errno, ENOSPC);
    singles_stats(&st);
    CHECK_EQ(st.blocks, CAP);
    CHECK_EQ(st.carved, CAP);
    CHECK_EQ(st.live, CAP);
    CHECK(singles_address(CAP - 1) != NULL);
    CHECK(singles_address(CAP) == NULL);

    CHECK_EQ(singles_release(hs[7]), 0);
    CHECK(singles_acquire(&hs[7]) != NULL);
    CHECK_EQ(singles_id(hs[7]), 7);
    CHECK_EQ(singles_release_n(hs, CAP), CAP);
    singles_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.carved, CAP);
    singles_destroy();
}

/* ---- capacity and idle threads -------------------------------------------- */

static pthread_barrier_t idle_step;

static void *hold_one(void *arg)
{
    capped_handle h;

    (void)arg;
    WCHECK(capped_acquire(&h) != NULL);
    pthread_barrier_wait(&idle_step); /* idle, holding a block's range */
    pthread_barrier_wait(&idle_step);
    WCHECK(capped_release(h) == 0);
    return NULL;
}

/* Four idle threads each hold one object (and were handed a block's range);
   a fifth gets all the 996 slots left. */
static void idle_threads_ranges_never_refuse_an_acquire_with_room(void)
{
    static capped_handle hs[1000];
    pthread_t t[4];
    rpool_stats st;
    size_t i;

    pthread_barrier_init(&idle_step, NULL, 5);
    for (i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, hold_one, NULL) == 0);
    pthread_barrier_wait(&idle_step);
    for (i = 0; i < 996; i++)
        CHECK(capped_acquire(&hs[i]) != NULL);
    errno = 0;
    CHECK(capped_acquire(&hs[996]) == NULL);
    CHECK_EQ(errno, ENOSPC);
    capped_stats(&st);
    CHECK_EQ(st.live, 1000);
    CHECK_EQ(st.carved, 1000);
    pthread_barrier_wait(&idle_step);
    for (i = 0; i < 4; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    pthread_barrier_destroy(&idle_step);
    CHECK_WORKERS();
    CHECK_EQ(capped_release_n(hs, 996), 996);
    capped_destroy();
}

/* ---- acquire_n rollback ----------------------------------------------------- */

/* With 4 version bits a slot has 7 handles; 100 failed bulk acquires of
   more than the pool holds spend none of them. */
static void a_failed_acquire_n_spends_no_version(void)
{
    tiny_handle hs[41], h;
    rpool_stats st;
    size_t i;

    for (i = 0; i < 100; i++) {
        errno = 0;
        CHECK_EQ(tiny_acquire_n(hs, NULL, 41), 0);
        CHECK_EQ(errno, ENOSPC);
    }
    tiny_stats(&st);
    CHECK_EQ(st.retired, 0);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(tiny_acquire_n(hs, NULL, 40), 40);
    for (i = 0; i < 40; i++)
        CHECK_EQ(hs[i].value >> 60, 1); /* each slot's first handle */
    CHECK_EQ(tiny_release_n(hs, 40), 40);
    CHECK(tiny_acquire(&h) != NULL);
    CHECK_EQ(tiny_release(h), 0);
    tiny_destroy();
}

/* ---- init that acquires from its own pool ----------------------------------- */

static int sibling_calls, sibling_deadlocks;
static tree_handle siblings[16];

/* A node's first use sets up a sibling from the same pool. */
static int make_sibling(void *obj)
{
    tree_handle h;

    (void)obj;
    if (sibling_calls++ >= 16)
        return 0;
    if (tree_acquire(&h) != NULL)
        siblings[sibling_calls - 1] = h; /* never reached: carving is busy */
    else if (errno == EDEADLK)
        sibling_deadlocks++;
    return 0;
}

/* An acquire inside init never gets the slot being initialised: carving
   is busy, so it fails with EDEADLK (one served from a cached free id would
   get another slot), and the outer acquire goes on unharmed. */
static void init_acquiring_from_its_own_pool_never_gets_the_same_slot(void)
{
    tree_handle a, b;
    rpool_stats st;

    CHECK(tree_acquire(&a) != NULL);
    CHECK_EQ(sibling_deadlocks, 1);
    CHECK(tree_acquire(&b) != NULL);
    CHECK_EQ(sibling_deadlocks, 2);
    CHECK(tree_id(b) != tree_id(a));
    CHECK(a.value != b.value);
    tree_stats(&st);
    CHECK_EQ(st.live, 2);
    CHECK_EQ(st.carved, 2);
    tree_destroy();
}

/* ---- handles across destroys -------------------------------------------------- */

/* A game destroys a pool at every level's end and keeps stale handles:
   across 500 destroys no handle value comes back, and every old handle is
   refused after each destroy. */
static void no_handle_value_repeats_across_many_destroys(void)
{
    enum { LIVES = 500, PER = 40 };
    static uint64_t seen[LIVES * PER];
    lives_handle hs[PER], old;
    size_t life, i, n = 0;

    for (life = 0; life < LIVES; life++) {
        CHECK_EQ(lives_acquire_n(hs, NULL, PER), PER);
        for (i = 0; i < PER; i += 3)
            CHECK_EQ(lives_release(hs[i]), 0);
        for (i = 0; i < PER; i += 3)
            CHECK(lives_acquire(&hs[i]) != NULL);
        for (i = 0; i < PER; i++)
            seen[n++] = hs[i].value;
        old = hs[life % PER];
        lives_destroy();
        CHECK(lives_lookup(old) == NULL);
        CHECK(lives_release(old) != 0);
    }
    CHECK(test_all_distinct(seen, n));
}

int main(void)
{
    RUN(capacity_is_the_least_of_its_four_bounds);
    RUN(one_object_blocks_stop_at_their_capacity_with_enospc);
    RUN(idle_threads_ranges_never_refuse_an_acquire_with_room);
    RUN(a_failed_acquire_n_spends_no_version);
    RUN(init_acquiring_from_its_own_pool_never_gets_the_same_slot);
    RUN(no_handle_value_repeats_across_many_destroys);
    return test_summary();
}
