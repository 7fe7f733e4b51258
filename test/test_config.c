/* Configuration fields (max_items, block_items, block_bytes, chunk_items,
 * init) and object shapes: sizes from 1 to 2400 bytes, over-aligned types,
 * zero-filled fresh slots, and the memory cost per object. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rpool.h"
#include "test.h"

typedef struct one { unsigned char c; } one;
typedef struct sixteen { uint64_t a, b; } sixteen;
typedef struct line { _Alignas(64) unsigned char bytes[64]; } line;
typedef struct big { unsigned char bytes[2400]; } big;
typedef struct page_aligned { _Alignas(256) unsigned char bytes[40]; } page_aligned;
typedef struct counter { int value, inits; } counter;

RPOOL_DEFINE_STATIC_EX(capped, counter, .max_items = 1000);
RPOOL_DEFINE_STATIC_EX(three, counter, .max_items = 3);
RPOOL_DEFINE_STATIC_EX(pair, counter, .version_bits = 63);
RPOOL_DEFINE_STATIC_EX(items16, counter, .block_items = 16);
RPOOL_DEFINE_STATIC_EX(items100, counter, .block_items = 100);
RPOOL_DEFINE_STATIC_EX(kib, line, .block_bytes = 1024);
RPOOL_DEFINE_STATIC_EX(tight, big, .block_bytes = 1000);
RPOOL_DEFINE_STATIC_EX(chunk8, counter, .chunk_items = 8);
RPOOL_DEFINE_STATIC(chunkdef, counter);

static int init_calls, init_refuse, init_refusals;

/* Refuses while init_refuse is set; stamps what it accepts. */
static int init_obj(void *p)
{
    counter *o = p;
    init_calls++;
    if (o->value != 0 || o->inits != 0)
        return -1; /* not fresh: must never happen, shows up as ECANCELED */
    if (init_refuse) {
        init_refusals++;
        return 1;
    }
    o->value = 77;
    o->inits = 1;
    return 0;
}

RPOOL_DEFINE_STATIC_EX(inited, counter, .init = init_obj, .block_items = 16);
RPOOL_DEFINE_STATIC_EX(refusing, counter, .init = init_obj);
RPOOL_DEFINE_STATIC_EX(inited_n, counter, .init = init_obj, .max_items = 40);

RPOOL_DEFINE_STATIC(ones, one);
RPOOL_DEFINE_STATIC(sixteens, sixteen);
RPOOL_DEFINE_STATIC(lines, line);
RPOOL_DEFINE_STATIC(bigs, big);
RPOOL_DEFINE_STATIC(aligned256, page_aligned);
RPOOL_DEFINE_STATIC(late, big);
RPOOL_DEFINE_STATIC(warm, sixteen);

/* ---- capacity -------------------------------------------------------------- */

static void max_items_caps_acquire_with_enospc(void)
{
    static capped_handle hs[1000];
    capped_handle extra;
    rpool_stats st;
    size_t i;

    for (i = 0; i < 1000; i++) {
        CHECK(capped_acquire(&hs[i]) != NULL);
        CHECK(capped_id(hs[i]) < 1000);
    }
    errno = 0;
    CHECK(capped_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    capped_stats(&st);
    CHECK_EQ(st.carved, 1000);
    CHECK_EQ(st.live, 1000);
    CHECK_EQ(st.blocks, 4);
    CHECK(capped_address(999) != NULL);
    CHECK(capped_address(1000) == NULL);

    CHECK_EQ(capped_release(hs[500]), 0);
    CHECK(capped_acquire(&hs[500]) != NULL);
    errno = 0;
    CHECK(capped_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    CHECK_EQ(capped_release_n(hs, 1000), 1000);
}

static void max_items_smaller_than_a_block(void)
{
    three_handle hs[3], extra;
    rpool_stats st;
    CHECK_EQ(three_acquire_n(hs, NULL, 3), 3);
    errno = 0;
    CHECK(three_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    three_stats(&st);
    CHECK_EQ(st.blocks, 1);
    CHECK_EQ(st.carved, 3);
    CHECK_EQ(three_release_n(hs, 3), 3);
}

/* 63 version bits leave one id bit: two slots. */
static void version_bits_63_leave_two_slots(void)
{
    pair_handle a, b, c;
    CHECK(pair_acquire(&a) != NULL);
    CHECK(pair_acquire(&b) != NULL);
    CHECK(pair_id(a) != pair_id(b));
    CHECK(pair_id(a) < 2 && pair_id(b) < 2);
    errno = 0;
    CHECK(pair_acquire(&c) == NULL);
    CHECK_EQ(errno, ENOSPC);
    CHECK_EQ(pair_release(a), 0);
    CHECK(pair_acquire(&c) != NULL);
    CHECK_EQ(pair_id(c), pair_id(a));
    CHECK(pair_lookup(a) == NULL);
    CHECK_EQ(pair_release(b), 0);
    CHECK_EQ(pair_release(c), 0);
}

/* ---- block shape ----------------------------------------------------------- */

static void block_items_sets_objects_per_block(void)
{
    items16_handle hs[100];
    rpool_stats st;
    CHECK_EQ(items16_acquire_n(hs, NULL, 100), 100);
    items16_stats(&st);
    CHECK_EQ(st.blocks, 7);
    CHECK_EQ(items16_id(hs[99]), 99);
    CHECK_EQ(items16_release_n(hs, 100), 100);
}

/* A block holds a power of two of objects: 100 rounds down to 64. */
static void block_items_round_down_to_a_power_of_two(void)
{
    items100_handle hs[100];
    rpool_stats st;
    CHECK_EQ(items100_acquire_n(hs, NULL, 100), 100);
    items100_stats(&st);
    CHECK_EQ(st.blocks, 2);
    CHECK_EQ(items100_release_n(hs, 100), 100);
}

static void block_bytes_limits_objects_per_block(void)
{
    kib_handle hs[100];
    tight_handle ts[5];
    rpool_stats st;
    CHECK_EQ(kib_acquire_n(hs, NULL, 100), 100); /* 1024 / 64: 16 a block */
    kib_stats(&st);
    CHECK_EQ(st.blocks, 7);
    CHECK_EQ(kib_release_n(hs, 100), 100);

    CHECK_EQ(tight_acquire_n(ts, NULL, 5), 5); /* bigger than a block: 1 a block */
    tight_stats(&st);
    CHECK_EQ(st.blocks, 5);
    CHECK_EQ(tight_release_n(ts, 5), 5);
}

/* A thread keeps at most one chunk of free ids; full chunks go global. */
static void chunk_items_bounds_the_thread_cache(void)
{
    chunk8_handle hs[100];
    chunkdef_handle ds[100];
    rpool_stats st;

    CHECK_EQ(chunk8_acquire_n(hs, NULL, 100), 100);
    CHECK_EQ(chunk8_release_n(hs, 100), 100);
    chunk8_stats(&st);
    CHECK(st.cached <= 8);
    CHECK_EQ(st.global_free % 8, 0);
    CHECK_EQ(st.cached + st.global_free, 100);

    CHECK_EQ(chunkdef_acquire_n(ds, NULL, 100), 100);
    CHECK_EQ(chunkdef_release_n(ds, 100), 100);
    chunkdef_stats(&st);
    CHECK_EQ(st.cached, 100); /* default chunk: a block's worth, 256 */
    CHECK_EQ(st.global_free, 0);

    /* Reacquiring takes the ids back from the global queue: nothing new. */
    CHECK_EQ(chunk8_acquire_n(hs, NULL, 100), 100);
    chunk8_stats(&st);
    CHECK_EQ(st.carved, 100);
    CHECK_EQ(st.cached + st.global_free, 0);
    CHECK_EQ(chunk8_release_n(hs, 100), 100);
}

/* ---- init ------------------------------------------------------------------ */

static void init_runs_once_per_slot_and_never_on_reuse(void)
{
    inited_handle hs[50];
    counter *objs[50];
    rpool_stats st;
    size_t i;

    init_calls = init_refusals = 0;
    CHECK_EQ(inited_acquire_n(hs, objs, 50), 50);
    CHECK_EQ(init_calls, 50);
    for (i = 0; i < 50; i++) {
        CHECK_EQ(objs[i]->value, 77);
        objs[i]->value = 5;
    }
    CHECK_EQ(inited_release_n(hs, 50), 50);
    CHECK_EQ(inited_acquire_n(hs, objs, 50), 50);
    CHECK_EQ(init_calls, 50);
    for (i = 0; i < 50; i++)
        CHECK_EQ(objs[i]->value, 5); /* reused as left, not re-initialised */
    inited_stats(&st);
    CHECK_EQ(st.carved, (size_t)init_calls);
    CHECK_EQ(inited_release_n(hs, 50), 50);
}

/* A refused init fails the acquire with ECANCELED and costs no slot: the
   same slot is offered to init again next time. */
static void init_refusal_returns_ecanceled_and_loses_no_slot(void)
{
    refusing_handle first[3], h;
    rpool_stats before, after;
    counter *o;
    int i;

    init_calls = init_refusals = 0;
    CHECK_EQ(refusing_acquire_n(first, NULL, 3), 3); /* all live: the cache is empty */
    refusing_stats(&before);
    CHECK_EQ(before.carved, 3);
    init_refuse = 1;
    for (i = 0; i < 5; i++) {
        errno = 0;
        CHECK(refusing_acquire(&h) == NULL);
        CHECK_EQ(errno, ECANCELED);
    }
    init_refuse = 0;
    CHECK_EQ(init_refusals, 5);
    refusing_stats(&after);
    CHECK_EQ(after.carved, 3);
    CHECK_EQ(after.live, 3);
    CHECK(refusing_address(3) == NULL);

    o = refusing_acquire(&h);
    CHECK(o != NULL);
    CHECK_EQ(o->value, 77);
    CHECK_EQ(refusing_id(h), 3);
    CHECK_EQ(init_calls, 3 + 5 + 1);
    refusing_stats(&after);
    CHECK_EQ(after.carved, 4);
    CHECK_EQ((size_t)(init_calls - init_refusals), after.carved);
    CHECK_EQ(refusing_release(h), 0);
    CHECK_EQ(refusing_release_n(first, 3), 3);
}

static int refuse_after;

static int init_until(void *p)
{
    (void)p;
    return refuse_after-- <= 0;
}

RPOOL_DEFINE_STATIC_EX(picky, counter, .init = init_until);

static void acquire_n_rolls_back_when_init_refuses_midway(void)
{
    picky_handle hs[10], more[10];
    rpool_stats st;

    refuse_after = 6;
    errno = 0;
    CHECK_EQ(picky_acquire_n(hs, NULL, 10), 0);
    CHECK_EQ(errno, ECANCELED);
    picky_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.carved, 6);

    refuse_after = 4;
    CHECK_EQ(picky_acquire_n(more, NULL, 10), 10); /* 6 reused, 4 carved */
    picky_stats(&st);
    CHECK_EQ(st.live, 10);
    CHECK_EQ(st.carved, 10);
    CHECK_EQ(picky_release_n(more, 10), 10);
}

/* Capacity counts only slots that init accepted. */
static void init_refusal_does_not_use_up_capacity(void)
{
    inited_n_handle hs[40], extra;
    int i;

    init_refuse = 1;
    for (i = 0; i < 100; i++) {
        errno = 0;
        CHECK(inited_n_acquire(&extra) == NULL);
        CHECK_EQ(errno, ECANCELED);
    }
    init_refuse = 0;
    CHECK_EQ(inited_n_acquire_n(hs, NULL, 40), 40);
    errno = 0;
    CHECK(inited_n_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    CHECK_EQ(inited_n_release_n(hs, 40), 40);
}

/* ---- object shapes ---------------------------------------------------------- */

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

#define SHAPE_COUNT 600

/* Fresh objects are zero; each is aligned; every byte of each can be
   written without touching another (checked by sorting the addresses and
   by rereading a per-object pattern); id -> address gives the object back. */
#define SHAPE_TEST(NAME, T)                                                        \
    static void NAME##_objects_are_aligned_zeroed_and_disjoint(void)               \
    {                                                                              \
        static NAME##_handle hs[SHAPE_COUNT];                                      \
        static T *objs[SHAPE_COUNT];                                               \
        static void *sorted[SHAPE_COUNT];                                          \
        size_t i, k;                                                               \
        CHECK_EQ(NAME##_acquire_n(hs, objs, SHAPE_COUNT), SHAPE_COUNT);            \
        for (i = 0; i < SHAPE_COUNT; i++) {                                        \
            const unsigned char *p = (const unsigned char *)objs[i];               \
            CHECK_EQ((uintptr_t)objs[i] % _Alignof(T), 0);                         \
            CHECK(NAME##_address(NAME##_id(hs[i])) == objs[i]);                    \
            for (k = 0; k < sizeof(T); k++)                                        \
                CHECK_EQ(p[k], 0);                                                 \
            memset(objs[i], (int)(i % 251 + 1), sizeof(T));                        \
            sorted[i] = objs[i];                                                   \
        }                                                                          \
        for (i = 0; i < SHAPE_COUNT; i++) {                                        \
            const unsigned char *p = (const unsigned char *)objs[i];               \
            for (k = 0; k < sizeof(T); k++)                                        \
                CHECK_EQ(p[k], i % 251 + 1);                                       \
        }                                                                          \
        qsort(sorted, SHAPE_COUNT, sizeof *sorted, cmp_ptr);                       \
        for (i = 1; i < SHAPE_COUNT; i++)                                          \
            CHECK((uintptr_t)sorted[i] - (uintptr_t)sorted[i - 1] >= sizeof(T));   \
        CHECK_EQ(NAME##_release_n(hs, SHAPE_COUNT), SHAPE_COUNT);                  \
    }

SHAPE_TEST(ones, one)
SHAPE_TEST(sixteens, sixteen)
SHAPE_TEST(lines, line)
SHAPE_TEST(bigs, big)
SHAPE_TEST(aligned256, page_aligned)

static void type_alignments_are_what_the_tests_assume(void)
{
    CHECK_EQ(sizeof(one), 1);
    CHECK_EQ(sizeof(sixteen), 16);
    CHECK_EQ(sizeof(line), 64);
    CHECK_EQ(_Alignof(line), 64);
    CHECK_EQ(sizeof(big), 2400);
    CHECK_EQ(_Alignof(page_aligned), 256);
}

/* Reused slots keep what their last user left (RPOOL_DEBUG poisons it
   with 0xDB); slots carved after them are still zero: zero-filling is a
   property of fresh slots, not of the first ones. */
static void slots_carved_late_are_zero_filled(void)
{
    late_handle hs[40];
    big *objs[40];
    size_t i, k;

    CHECK_EQ(late_acquire_n(hs, objs, 20), 20);
    for (i = 0; i < 20; i++)
        memset(objs[i], 0xab, sizeof(big));
    CHECK_EQ(late_release_n(hs, 20), 20);
    CHECK_EQ(late_acquire_n(hs, objs, 40), 40);
    for (i = 0; i < 40; i++)
        for (k = 0; k < sizeof(big); k++)
            CHECK_EQ(objs[i]->bytes[k], i >= 20 ? 0 : RPOOL_DEBUG ? 0xdb : 0xab);
    CHECK_EQ(late_release_n(hs, 40), 40);
}

#define WARM_LIVE 100000

/* DESIGN.md: a pool of a 16-byte type costs at most 8 bytes of overhead per
   object once warm. Measured from stats.bytes (what the pool asked of the
   allocator), at 100k live objects. */
static void sixteen_byte_objects_cost_at_most_24_bytes_each_when_warm(void)
{
    static warm_handle hs[WARM_LIVE];
    rpool_stats st;

    CHECK_EQ(warm_acquire_n(hs, NULL, WARM_LIVE), WARM_LIVE);
    warm_stats(&st);
    CHECK_EQ(st.live, WARM_LIVE);
    printf("     16-byte objects: %zu bytes for %zu live = %.2f bytes each\n", st.bytes,
           st.live, (double)st.bytes / (double)st.live);
    CHECK(st.bytes <= (size_t)WARM_LIVE * 24);
    CHECK(st.bytes >= (size_t)WARM_LIVE * 16);
    CHECK_EQ(warm_release_n(hs, WARM_LIVE), WARM_LIVE);
    warm_stats(&st);
    printf("     after releasing them all: %.2f bytes per carved slot\n",
           (double)st.bytes / (double)st.carved);
}

int main(void)
{
    RUN(max_items_caps_acquire_with_enospc);
    RUN(max_items_smaller_than_a_block);
    RUN(version_bits_63_leave_two_slots);
    RUN(block_items_sets_objects_per_block);
    RUN(block_items_round_down_to_a_power_of_two);
    RUN(block_bytes_limits_objects_per_block);
    RUN(chunk_items_bounds_the_thread_cache);
    RUN(init_runs_once_per_slot_and_never_on_reuse);
    RUN(init_refusal_returns_ecanceled_and_loses_no_slot);
    RUN(acquire_n_rolls_back_when_init_refuses_midway);
    RUN(init_refusal_does_not_use_up_capacity);
    RUN(type_alignments_are_what_the_tests_assume);
    RUN(ones_objects_are_aligned_zeroed_and_disjoint);
    RUN(sixteens_objects_are_aligned_zeroed_and_disjoint);
    RUN(lines_objects_are_aligned_zeroed_and_disjoint);
    RUN(bigs_objects_are_aligned_zeroed_and_disjoint);
    RUN(aligned256_objects_are_aligned_zeroed_and_disjoint);
    RUN(slots_carved_late_are_zero_filled);
    RUN(sixteen_byte_objects_cost_at_most_24_bytes_each_when_warm);
    capped_destroy();
    three_destroy();
    pair_destroy();
    items16_destroy();
    items100_destroy();
    kib_destroy();
    tight_destroy();
    chunk8_destroy();
    chunkdef_destroy();
    inited_destroy();
    inited_n_destroy();
    refusing_destroy();
    picky_destroy();
    ones_destroy();
    sixteens_destroy();
    lines_destroy();
    bigs_destroy();
    aligned256_destroy();
    late_destroy();
    warm_destroy();
    return test_summary();
}
