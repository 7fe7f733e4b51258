/* NAME_trim and auto_trim: which blocks a trim takes and which it leaves,
 * what it returns, the counts before and after, handles into a trimmed
 * block, and how a trimmed block comes back (before any new block, zeroed,
 * init run again, every handle above the old ones, across destroy too).
 *
 * RPOOL_DECOMMIT goes through a recorder that counts the calls and then
 * decommits for real, so that a test can tell whether a trim handed pages
 * back. Most pools hold 16 objects of 64 bytes a block (1088 bytes with
 * their version words, so several blocks share a page) and move free ids 8
 * at a time, so a block empties in a few calls. Each test has pools of its
 * own, so that counts start at zero. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static long decommits;
static int record_decommit(void *p, size_t bytes);
#define RPOOL_DECOMMIT(p, bytes) record_decommit((p), (bytes))

#include "rpool.h"
#include "test.h"

static int record_decommit(void *p, size_t bytes)
{
    __atomic_fetch_add(&decommits, 1, __ATOMIC_RELAXED);
    return rpool_impl_decommit(p, bytes);
}

typedef struct obj {
    uint64_t stamp;
    unsigned char bytes[56];
} obj;

#define SMALL .block_items = 16, .chunk_items = 8
#define BLOCK 16

RPOOL_DEFINE_STATIC(unused, obj);
RPOOL_DEFINE_STATIC_EX(busy, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(counted, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(stale, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(pinstale, obj, SMALL, .pins = 1);
RPOOL_DEFINE_STATIC_EX(addressed, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(holding, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(caching, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(carving, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(pending, obj, SMALL, .pins = 1);
RPOOL_DEFINE_STATIC_EX(worn, obj, SMALL, .version_bits = 4);
RPOOL_DEFINE_STATIC_EX(ordered, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(tailed, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(zeroed, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(repacked, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(below, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(above, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(walked, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(cycled, obj, SMALL, .version_bits = 6, .max_items = 64);
RPOOL_DEFINE_STATIC_EX(reborn, obj, SMALL, .version_bits = 6, .max_items = 32);
RPOOL_DEFINE_STATIC_EX(automatic, obj, SMALL, .auto_trim = 50);
RPOOL_DEFINE_STATIC_EX(manual, obj, SMALL);
RPOOL_DEFINE_STATIC_EX(chunked, obj, SMALL);
/* 256 objects of 64 bytes: 16 KiB of objects, four pages of them whole. */
RPOOL_DEFINE_STATIC_EX(paged, obj, .block_items = 256, .chunk_items = 8);

static int inits;
static int count_init(void *p)
{
    obj *o = (obj *)p;
    inits++;
    o->stamp = 0x1417;
    return 0;
}
RPOOL_DEFINE_STATIC_EX(inited, obj, SMALL, .init = count_init);
RPOOL_DEFINE_STATIC_EX(keeping, obj, .block_items = 256, .chunk_items = 8, .init = count_init);

/* ---- helpers --------------------------------------------------------------- */

static rpool_impl_layout layout_of(const rpool_config *cfg)
{
    return rpool_impl_layout_of(sizeof(obj), _Alignof(obj), cfg);
}

#define CHECK_SUM(st)                                                              \
    CHECK_EQ((st).live + (st).cached + (st).global_free + (st).retired + (st).pending, \
             (st).carved)

/* Acquires n objects into hs[0..n), each stamped with its handle. */
#define TAKE(NAME, hs, n)                                                          \
    do {                                                                           \
        size_t k_;                                                                 \
        for (k_ = 0; k_ < (size_t)(n); k_++) {                                     \
            obj *o_ = NAME##_acquire(&(hs)[k_]);                                   \
            CHECK(o_ != NULL);                                                     \
            o_->stamp = (hs)[k_].value;                                            \
        }                                                                          \
    } while (0)

/* Releases hs[from..to), but for hs[keep] (keep outside the range: none). */
#define GIVE(NAME, hs, from, to, keep)                                             \
    do {                                                                           \
        size_t k_;                                                                 \
        for (k_ = (from); k_ < (size_t)(to); k_++)                                 \
            if (k_ != (size_t)(keep))                                              \
                CHECK_EQ(NAME##_release((hs)[k_]), 0);                             \
    } while (0)

#define NONE ((size_t)-1)

/* Trims NAME and checks what every trim does: `gone` blocks go, stats.bytes
   falls by exactly what it returns, which is their bytes plus whole chunks
   (every chunk of the global side goes), and their slots leave carved and
   global_free; the other counts stay and still add up. */
#define TRIM_EXPECT(NAME, gone)                                                    \
    do {                                                                           \
        rpool_impl_layout L_ = layout_of(&NAME##_config);                          \
        rpool_stats b_, a_;                                                        \
        size_t r_;                                                                 \
        NAME##_stats(&b_);                                                         \
        r_ = NAME##_trim();                                                        \
        NAME##_stats(&a_);                                                         \
        CHECK_EQ(b_.blocks - a_.blocks, (gone));                                   \
        CHECK_EQ(b_.bytes - a_.bytes, r_);                                         \
        CHECK(r_ >= (size_t)(gone) * L_.stride);                                   \
        CHECK_EQ((r_ - (size_t)(gone) * L_.stride) % rpool_impl_chunk_bytes(&L_), 0); \
        CHECK_EQ(b_.carved - a_.carved, (size_t)(gone) * L_.nitems);               \
        CHECK_EQ(b_.global_free - a_.global_free, (size_t)(gone) * L_.nitems);     \
        CHECK_EQ(a_.live, b_.live);                                                \
        CHECK_EQ(a_.cached, b_.cached);                                            \
        CHECK_EQ(a_.retired, b_.retired);                                          \
        CHECK_EQ(a_.pending, b_.pending);                                          \
        CHECK_EQ(a_.threads, b_.threads);                                          \
        CHECK_SUM(a_);                                                             \
    } while (0)

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int all_bytes(const void *p, size_t n, unsigned char v)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++)
        if (c[i] != v)
            return 0;
    return 1;
}

/* ---- what a trim takes, what it returns --------------------------------------- */

static void trim_of_a_pool_never_used_returns_0_and_changes_nothing(void)
{
    rpool_stats st;

    CHECK_EQ(unused_trim(), 0);
    unused_stats(&st);
    CHECK_EQ(st.blocks, 0);
    CHECK_EQ(st.bytes, 0);
    CHECK_EQ(st.carved, 0);
    CHECK_EQ(st.threads, 0);
    CHECK(unused_address(0) == NULL);
}

static void trim_of_a_pool_whose_objects_are_all_live_returns_0(void)
{
    busy_handle hs[2 * BLOCK];

    TAKE(busy, hs, 2 * BLOCK);
    busy_thread_flush();
    TRIM_EXPECT(busy, 0);
    CHECK(busy_lookup(hs[0]) != NULL);
    GIVE(busy, hs, 0, 2 * BLOCK, NONE);
}

static void trim_returns_what_stats_bytes_lose_and_revival_counts_back_exactly(void)
{
    rpool_impl_layout L = layout_of(&counted_config);
    counted_handle hs[3 * BLOCK];
    rpool_stats st, before;

    TAKE(counted, hs, 3 * BLOCK);
    GIVE(counted, hs, 0, 3 * BLOCK, NONE);
    counted_thread_flush();
    counted_stats(&before);
    CHECK_EQ(before.carved, 3 * BLOCK);
    CHECK_EQ(before.global_free, 3 * BLOCK);
    CHECK_EQ(before.blocks, 3);
    TRIM_EXPECT(counted, 3);
    counted_stats(&st);
    CHECK_EQ(st.carved, 0);
    CHECK_EQ(st.global_free, 0);
    CHECK_EQ(st.blocks, 0);
    TRIM_EXPECT(counted, 0); /* nothing left to take */

    /* One object from a block made again: one block, one slot carved. The
       flush frees the thread's local pool and hands the rest of the block
       back as a tail, so only the block's bytes remain. */
    before = st;
    TAKE(counted, hs, 1);
    counted_thread_flush();
    counted_stats(&st);
    CHECK_EQ(st.blocks, 1);
    CHECK_EQ(st.carved, 1);
    CHECK_EQ(st.live, 1);
    CHECK_EQ(st.bytes, before.bytes + L.stride);
    CHECK_SUM(st);
    TAKE(counted, hs + 1, BLOCK - 1);
    GIVE(counted, hs, 0, BLOCK, NONE);
    counted_thread_flush();
    counted_stats(&st);
    CHECK_EQ(st.carved, BLOCK);
    CHECK_EQ(st.global_free, BLOCK);
    CHECK_SUM(st);
    TRIM_EXPECT(counted, 1);
}

/* ---- handles into a trimmed block ------------------------------------------------- */

static void handles_into_a_trimmed_block_are_refused_before_and_after_it_comes_back(void)
{
    stale_handle hs[BLOCK], again[BLOCK], forged;
    uint64_t id;
    size_t i, j;

    TAKE(stale, hs, BLOCK);
    GIVE(stale, hs, 0, BLOCK, NONE);
    stale_thread_flush();
    TRIM_EXPECT(stale, 1);
    for (i = 0; i < BLOCK; i++) {
        CHECK(stale_lookup(hs[i]) == NULL);
        CHECK_EQ(stale_release(hs[i]), -ESTALE);
        CHECK_EQ(stale_release_owned(hs[i]), -ESTALE);
        /* Forged: the version the slot had (2, free), the next one it
           will be issued at (3), and an even one. */
        id = stale_id(hs[i]);
        forged.value = 3ull << 32 | id;
        CHECK(stale_lookup(forged) == NULL);
        CHECK_EQ(stale_release(forged), -ESTALE);
        CHECK_EQ(stale_release_owned(forged), -ESTALE);
        forged.value = 2ull << 32 | id;
        CHECK(stale_lookup(forged) == NULL);
        CHECK_EQ(stale_release(forged), -EINVAL);
    }
    /* The block comes back: the new handles are new values, above the old
       ones slot by slot, and the old ones stay refused. */
    TAKE(stale, again, BLOCK);
    for (i = 0; i < BLOCK; i++) {
        CHECK(stale_lookup(hs[i]) == NULL);
        CHECK_EQ(stale_release(hs[i]), -ESTALE);
        CHECK_EQ(stale_release_owned(hs[i]), -ESTALE);
        for (j = 0; j < BLOCK; j++)
            if (stale_id(hs[j]) == stale_id(again[i]))
                CHECK(again[i].value >> 32 > hs[j].value >> 32);
        CHECK(((obj *)stale_lookup(again[i]))->stamp == again[i].value);
    }
    GIVE(stale, again, 0, BLOCK, NONE);
}

static void pin_and_unpin_refuse_handles_into_a_trimmed_block(void)
{
    pinstale_handle hs[BLOCK], again[BLOCK], forged;
    size_t i;

    TAKE(pinstale, hs, BLOCK);
    CHECK(pinstale_pin(hs[0]) != NULL);
    CHECK_EQ(pinstale_unpin(hs[0]), 0);
    GIVE(pinstale, hs, 0, BLOCK, NONE);
    pinstale_thread_flush();
    TRIM_EXPECT(pinstale, 1);
    for (i = 0; i < BLOCK; i++) {
        errno = 0;
        CHECK(pinstale_pin(hs[i]) == NULL);
        CHECK_EQ(errno, ESTALE);
        CHECK_EQ(pinstale_unpin(hs[i]), -EINVAL);
        forged.value = 3ull << 32 | pinstale_id(hs[i]);
        errno = 0;
        CHECK(pinstale_pin(forged) == NULL);
        CHECK_EQ(errno, ESTALE);
        CHECK_EQ(pinstale_unpin(forged), -EINVAL);
    }
    TAKE(pinstale, again, BLOCK);
    for (i = 0; i < BLOCK; i++) {
        errno = 0;
        CHECK(pinstale_pin(hs[i]) == NULL);
        CHECK_EQ(errno, ESTALE);
        CHECK_EQ(pinstale_unpin(hs[i]), -EINVAL);
        CHECK(pinstale_pin(again[i]) == pinstale_lookup(again[i]));
        CHECK_EQ(pinstale_unpin(again[i]), 0);
    }
    GIVE(pinstale, again, 0, BLOCK, NONE);
}

static void address_is_null_for_the_ids_of_a_trimmed_block(void)
{
    addressed_handle hs[2 * BLOCK];
    uint64_t id;

    TAKE(addressed, hs, 2 * BLOCK);
    GIVE(addressed, hs, BLOCK, 2 * BLOCK, NONE);
    addressed_thread_flush();
    TRIM_EXPECT(addressed, 1);
    for (id = 0; id < BLOCK; id++)
        CHECK(addressed_address(id) == addressed_lookup(hs[id]));
    for (id = BLOCK; id < 2 * BLOCK; id++)
        CHECK(addressed_address(id) == NULL);
    TAKE(addressed, hs + BLOCK, BLOCK);
    for (id = 0; id < 2 * BLOCK; id++)
        CHECK(addressed_address(addressed_id(hs[id])) == addressed_lookup(hs[id]));
    GIVE(addressed, hs, 0, 2 * BLOCK, NONE);
}

/* ---- what a trim leaves ---------------------------------------------------------- */

static void a_block_holding_a_live_object_is_not_trimmed(void)
{
    holding_handle hs[2 * BLOCK];
    obj *o;

    TAKE(holding, hs, 2 * BLOCK);
    o = holding_lookup(hs[20]);
    GIVE(holding, hs, 0, 2 * BLOCK, 20);
    holding_thread_flush();
    TRIM_EXPECT(holding, 1); /* block 0 */
    CHECK(holding_lookup(hs[20]) == o);
    CHECK_EQ(o->stamp, hs[20].value);
    CHECK_EQ(holding_release(hs[20]), 0);
    holding_thread_flush();
    TRIM_EXPECT(holding, 1); /* block 1 */
}

/* Released in the order block 1, then block 0: the thread's chunk keeps the
   last 8, all of block 0. */
static void a_block_with_an_id_in_a_threads_cache_is_not_trimmed(void)
{
    caching_handle hs[2 * BLOCK];
    rpool_stats st;

    TAKE(caching, hs, 2 * BLOCK);
    GIVE(caching, hs, BLOCK, 2 * BLOCK, NONE);
    GIVE(caching, hs, 0, BLOCK, NONE);
    caching_stats(&st);
    CHECK_EQ(st.cached, 8);
    TRIM_EXPECT(caching, 1); /* block 1 */
    caching_thread_flush();
    TRIM_EXPECT(caching, 1); /* block 0, once the cache is handed back */
}

/* 17 objects: block 0, and id 16 of block 1, whose ids 17..31 stay the
   thread's to carve; flushed, they are a tail on the pool's side. */
static void a_block_with_an_uncarved_range_or_tail_is_not_trimmed(void)
{
    carving_handle hs[2 * BLOCK];
    rpool_stats st;
    size_t i;

    TAKE(carving, hs, BLOCK + 1);
    GIVE(carving, hs, BLOCK, BLOCK + 1, NONE); /* id 16, first: it goes global */
    GIVE(carving, hs, 0, BLOCK, NONE);
    carving_stats(&st);
    CHECK_EQ(st.carved, BLOCK + 1);
    TRIM_EXPECT(carving, 0); /* block 0: an id cached; block 1: the range */
    carving_thread_flush();
    TRIM_EXPECT(carving, 1); /* block 0; block 1's tail keeps it */
    carving_stats(&st);
    CHECK_EQ(st.blocks, 1);
    CHECK_EQ(st.carved, 1);
    /* Id 16 from the global side, then the tail, 17..31. */
    TAKE(carving, hs, BLOCK);
    for (i = 0; i < BLOCK; i++)
        CHECK_EQ(carving_id(hs[i]), BLOCK + i);
    GIVE(carving, hs, 0, BLOCK, NONE);
    carving_thread_flush();
    TRIM_EXPECT(carving, 1);
}

static void a_block_with_a_slot_pending_under_a_pin_is_not_trimmed(void)
{
    pending_handle hs[BLOCK];
    rpool_stats st;
    obj *pinned;

    TAKE(pending, hs, BLOCK);
    pinned = pending_pin(hs[3]);
    CHECK(pinned != NULL);
    GIVE(pending, hs, 0, BLOCK, NONE);
    pending_thread_flush();
    pending_stats(&st);
    CHECK_EQ(st.pending, 1);
    CHECK_EQ(st.global_free, BLOCK - 1);
    TRIM_EXPECT(pending, 0);
    CHECK_EQ(pinned->stamp, hs[3].value);
    CHECK_EQ(pending_unpin(hs[3]), 0); /* recycled into this thread's cache */
    pending_thread_flush();
    TRIM_EXPECT(pending, 1);
}

/* Four version bits: a slot is live at 1, 3, ..., 13 and retires at 14. */
static void a_block_holding_a_retired_slot_is_never_trimmed(void)
{
    worn_handle hs[2 * BLOCK], h;
    rpool_stats st;
    int i;

    TAKE(worn, hs, 2 * BLOCK);
    GIVE(worn, hs, BLOCK, 2 * BLOCK, NONE);
    GIVE(worn, hs, 0, BLOCK, NONE);
    /* The thread's chunk hands back the last id released first: a slot of
       block 0, worn out by turns until it retires. */
    for (i = 0; i < 7; i++) {
        CHECK(worn_acquire(&h) != NULL);
        CHECK(worn_id(h) < BLOCK);
        CHECK_EQ(worn_release(h), 0);
    }
    worn_thread_flush();
    worn_stats(&st);
    CHECK_EQ(st.retired, 1);
    TRIM_EXPECT(worn, 1); /* block 1 only */
    TRIM_EXPECT(worn, 0);
    worn_stats(&st);
    CHECK_EQ(st.blocks, 1);
    CHECK_EQ(st.retired, 1);
}

/* ---- how a trimmed block comes back --------------------------------------------- */

static void trimmed_blocks_are_made_again_before_any_new_block(void)
{
    ordered_handle hs[4 * BLOCK];
    uint64_t ids[4 * BLOCK];
    rpool_stats st;
    size_t i;

    TAKE(ordered, hs, 4 * BLOCK);
    for (i = 0; i < 4 * BLOCK; i++)
        if (i != 0 && i != 2 * BLOCK) /* blocks 0 and 2 keep one object */
            CHECK_EQ(ordered_release(hs[i]), 0);
    ordered_thread_flush();
    TRIM_EXPECT(ordered, 2); /* blocks 1 and 3 */
    /* 30 free ids, then blocks 1 and 3 again: no new block. */
    for (i = 0; i < 4 * BLOCK - 2; i++) {
        CHECK(ordered_acquire(&hs[i + 2]) != NULL);
        ids[i] = ordered_id(hs[i + 2]);
        CHECK(ids[i] < 4 * BLOCK);
        ordered_stats(&st);
        CHECK(st.blocks <= 4);
    }
    ids[4 * BLOCK - 2] = 0;
    ids[4 * BLOCK - 1] = 2 * BLOCK;
    CHECK(test_all_distinct(ids, 4 * BLOCK));
    CHECK(ordered_acquire(&hs[0]) != NULL); /* only now a new block */
    CHECK_EQ(ordered_id(hs[0]), 4 * BLOCK);
    ordered_stats(&st);
    CHECK_EQ(st.blocks, 5);
}

/* A thread exits holding ids 17..31 uncarved: that tail (left as free ids
   with the ids the thread freed) is used before block 0, trimmed, comes
   back. */
static void *take_seventeen_and_exit(void *arg)
{
    tailed_handle *hs = (tailed_handle *)arg;
    size_t i;

    for (i = 0; i < BLOCK + 1; i++)
        if (!WCHECK(tailed_acquire(&hs[i]) != NULL))
            return NULL;
    for (i = 0; i < BLOCK; i++)
        WCHECK(tailed_release(hs[i]) == 0);
    return NULL;
}

static void an_exited_threads_tail_is_used_before_a_trimmed_block_comes_back(void)
{
    tailed_handle hs[BLOCK + 1], h;
    rpool_stats st;
    uint64_t ids[BLOCK - 1];
    size_t i;

    test_join(test_spawn(take_seventeen_and_exit, hs));
    CHECK_WORKERS();
    TRIM_EXPECT(tailed, 1); /* block 0 */
    for (i = 0; i < BLOCK - 1; i++) {
        CHECK(tailed_acquire(&h) != NULL);
        ids[i] = tailed_id(h);
        CHECK(ids[i] > BLOCK && ids[i] < 2 * BLOCK);
    }
    CHECK(test_all_distinct(ids, BLOCK - 1));
    tailed_stats(&st);
    CHECK_EQ(st.blocks, 1);
    CHECK(tailed_acquire(&h) != NULL);
    CHECK(tailed_id(h) < BLOCK);
    tailed_stats(&st);
    CHECK_EQ(st.blocks, 2);
    CHECK(tailed_lookup(hs[BLOCK]) != NULL); /* the exited thread's object */
}


/* Blocks 0 and 2 keep an object each, so the pages block 1 shares with them
   stay committed: only the revival can zero its objects. */
static void objects_of_a_block_made_again_are_zero_filled(void)
{
    zeroed_handle hs[3 * BLOCK], again[3 * BLOCK];
    long calls;
    size_t i;
    obj *o;

    TAKE(zeroed, hs, 3 * BLOCK);
    for (i = 0; i < 3 * BLOCK; i++)
        memset(zeroed_lookup(hs[i]), 0xab, sizeof(obj));
    for (i = 0; i < 3 * BLOCK; i++)
        if (i != 0 && i != 2 * BLOCK)
            CHECK_EQ(zeroed_release(hs[i]), 0);
    zeroed_thread_flush();
    calls = decommits;
    TRIM_EXPECT(zeroed, 1);
    CHECK_EQ(decommits, calls); /* no page was block 1's alone */
    for (i = 0; i < 2 * BLOCK - 2; i++) { /* the free ids of blocks 0 and 2 */
        CHECK(zeroed_acquire(&again[i]) != NULL);
        CHECK(zeroed_id(again[i]) / BLOCK != 1);
    }
    for (i = 2 * BLOCK - 2; i < 3 * BLOCK - 2; i++) {
        o = zeroed_acquire(&again[i]);
        CHECK(o != NULL);
        CHECK_EQ(zeroed_id(again[i]) / BLOCK, 1);
        CHECK(all_bytes(o, sizeof *o, 0));
    }
}

static void init_runs_again_on_each_slot_of_a_block_made_again(void)
{
    inited_handle hs[BLOCK];
    size_t i;
    obj *o;

    TAKE(inited, hs, BLOCK);
    CHECK_EQ(inits, BLOCK);
    for (i = 0; i < BLOCK; i++)
        memset(inited_lookup(hs[i])->bytes, 0xab, sizeof o->bytes);
    GIVE(inited, hs, 0, BLOCK, NONE);
    TAKE(inited, hs, BLOCK); /* reused: init does not run */
    CHECK_EQ(inits, BLOCK);
    GIVE(inited, hs, 0, BLOCK, NONE);
    inited_thread_flush();
    TRIM_EXPECT(inited, 1);
    for (i = 0; i < BLOCK; i++) {
        o = inited_acquire(&hs[i]);
        CHECK(o != NULL);
        CHECK_EQ(inits, BLOCK + i + 1); /* as each slot is carved */
        CHECK_EQ(o->stamp, 0x1417);     /* after the zero fill */
        CHECK(all_bytes(o->bytes, sizeof o->bytes, 0));
    }
    GIVE(inited, hs, 0, BLOCK, NONE);
}

/* Five blocks released in an order that mixes them in every chunk (ids 0,
   16, 32, 48, 64, 1, 17, ...); blocks 0, 2 and 4 keep one object each. The
   trim drops the ids of blocks 1 and 3 from the chunks; every other free
   id is still there, once, and handed out before any slot is carved. */
static void trim_keeps_every_other_free_id_and_only_those(void)
{
    repacked_handle hs[5 * BLOCK], again[5 * BLOCK];
    uint64_t ids[5 * BLOCK];
    rpool_stats st;
    size_t i, n;

    TAKE(repacked, hs, 5 * BLOCK);
    for (i = 0; i < 5 * BLOCK; i++) {
        size_t k = (i % 5) * BLOCK + i / 5;
        if (k % (2 * BLOCK) != 0)
            CHECK_EQ(repacked_release(hs[k]), 0);
    }
    repacked_thread_flush();
    TRIM_EXPECT(repacked, 2);
    repacked_stats(&st);
    n = st.global_free;
    CHECK_EQ(n, 3 * BLOCK - 3);
    for (i = 0; i < n; i++) {
        CHECK(repacked_acquire(&again[i]) != NULL);
        ids[i] = repacked_id(again[i]);
        CHECK_EQ(ids[i] / BLOCK % 2, 0);
    }
    repacked_stats(&st);
    CHECK_EQ(st.carved, 3 * BLOCK); /* nothing carved */
    CHECK_EQ(st.global_free, 0);
    CHECK_EQ(st.blocks, 3);
    ids[n] = 0;
    ids[n + 1] = 2 * BLOCK;
    ids[n + 2] = 4 * BLOCK;
    CHECK(test_all_distinct(ids, n + 3));
}

/* Every block keeps a live object, so no block goes, but the free ids'
   chunks do: the ids stay, each once, and come back before any slot is
   carved. */
static void a_trim_that_takes_no_block_still_frees_the_global_sides_chunks(void)
{
    chunked_handle hs[3 * BLOCK];
    uint64_t ids[3 * BLOCK];
    rpool_stats before, st;
    size_t i, n = 0, r;

    TAKE(chunked, hs, 3 * BLOCK);
    for (i = 0; i < 3 * BLOCK; i++)
        if (i % BLOCK != 0)
            CHECK_EQ(chunked_release(hs[i]), 0);
    chunked_thread_flush();
    chunked_stats(&before);
    r = chunked_trim();
    chunked_stats(&st);
    CHECK(r > 0);
    CHECK_EQ(before.bytes - st.bytes, r);
    CHECK_EQ(st.blocks, 3);
    CHECK_EQ(st.global_free, before.global_free);
    CHECK_EQ(chunked_trim(), 0); /* no chunk left */
    for (i = 0; i < 3 * BLOCK; i++)
        if (i % BLOCK != 0) {
            CHECK(chunked_acquire(&hs[i]) != NULL);
            ids[n++] = chunked_id(hs[i]);
            CHECK(ids[n - 1] % BLOCK != 0);
        }
    chunked_stats(&st);
    CHECK_EQ(st.carved, 3 * BLOCK);
    CHECK_EQ(st.global_free, 0);
    CHECK(test_all_distinct(ids, n));
}

/* ---- decommit -------------------------------------------------------------------- */

/* Objects 0xab all over; the block keeps its first object live. Its three
   pages of free objects only are handed back: those objects come back
   zeroed, the others as they were, the live one untouched. */
static void trim_hands_back_pages_of_free_objects_in_a_block_in_use(void)
{
    paged_handle hs[256];
    size_t i, zeroed = 0;
    long calls;
    obj *o;

    TAKE(paged, hs, 256);
    for (i = 0; i < 256; i++)
        memset(paged_lookup(hs[i])->bytes, 0xab, sizeof o->bytes);
    GIVE(paged, hs, 0, 256, 0);
    paged_thread_flush();
    calls = decommits;
    TRIM_EXPECT(paged, 0);
    CHECK(decommits > calls);
    o = paged_lookup(hs[0]);
    CHECK(o != NULL);
    CHECK_EQ(o->stamp, hs[0].value);
    CHECK(all_bytes(o->bytes, sizeof o->bytes, 0xab));
    for (i = 1; i < 256; i++) {
        o = paged_acquire(&hs[i]);
        CHECK(o != NULL);
        CHECK(all_bytes(o->bytes, sizeof o->bytes, 0) ||
              all_bytes(o->bytes, sizeof o->bytes, 0xab));
        zeroed += o->bytes[0] == 0;
    }
    CHECK(zeroed >= 3 * 4096 / sizeof(obj));
    CHECK(zeroed < 255);
}

/* With init, free objects keep the state init and their users gave them:
   no page of theirs is handed back, and init does not run again. */
static void trim_keeps_the_free_objects_of_a_pool_with_init(void)
{
    keeping_handle hs[256];
    long calls;
    int before;
    size_t i;
    obj *o;

    TAKE(keeping, hs, 256);
    for (i = 0; i < 256; i++)
        memset(keeping_lookup(hs[i])->bytes, 0xab, sizeof o->bytes);
    GIVE(keeping, hs, 0, 256, 0);
    keeping_thread_flush();
    calls = decommits;
    before = inits;
    TRIM_EXPECT(keeping, 0);
    CHECK_EQ(decommits, calls);
    for (i = 1; i < 256; i++) {
        o = keeping_acquire(&hs[i]);
        CHECK(o != NULL);
        CHECK(all_bytes(o->bytes, sizeof o->bytes, 0xab));
    }
    CHECK_EQ(inits, before);
}

/* Blocks are 1088 bytes, so a page holds parts of four. Trimming blocks 1
   and 2 must hand back no page block 0 still uses, nor trimming blocks 0
   and 1 one that block 2 uses. */
static void trim_hands_back_no_page_a_later_block_in_use_shares(void)
{
    below_handle hs[3 * BLOCK];
    obj *o;

    TAKE(below, hs, 3 * BLOCK);
    o = below_lookup(hs[0]);
    memset(o->bytes, 0xab, sizeof o->bytes);
    GIVE(below, hs, 0, 3 * BLOCK, 0);
    below_thread_flush();
    TRIM_EXPECT(below, 2);
    CHECK(below_lookup(hs[0]) == o);
    CHECK_EQ(o->stamp, hs[0].value);
    CHECK(all_bytes(o->bytes, sizeof o->bytes, 0xab));
    CHECK_EQ(below_release(hs[0]), 0);
}

static void trim_hands_back_no_page_an_earlier_block_in_use_shares(void)
{
    above_handle hs[3 * BLOCK];
    size_t last = 3 * BLOCK - 1;
    obj *o;

    TAKE(above, hs, 3 * BLOCK);
    o = above_lookup(hs[last]);
    memset(o->bytes, 0xab, sizeof o->bytes);
    GIVE(above, hs, 0, 3 * BLOCK, last);
    above_thread_flush();
    TRIM_EXPECT(above, 2);
    CHECK(above_lookup(hs[last]) == o);
    CHECK_EQ(o->stamp, hs[last].value);
    CHECK(all_bytes(o->bytes, sizeof o->bytes, 0xab));
    CHECK_EQ(above_release(hs[last]), 0);
}

/* Eight blocks, block 0 keeps an object: blocks 3 to 7 cover whole pages. A
   trim from inside a walk takes the blocks but leaves their pages; the next
   trim, with no walk under way, hands them back. */
static size_t walk_trimmed;
static long walk_decommits;

static void trim_inside_a_walk(obj *o, walked_handle h, void *arg)
{
    long calls = decommits;

    (void)o;
    (void)h;
    (void)arg;
    walk_trimmed += walked_trim();
    walk_decommits += decommits - calls;
}

static void a_trim_during_a_walk_leaves_the_pages_to_the_next_trim(void)
{
    walked_handle hs[8 * BLOCK];
    rpool_stats st;
    long calls;

    TAKE(walked, hs, 8 * BLOCK);
    GIVE(walked, hs, 0, 8 * BLOCK, 0);
    walked_thread_flush();
    walked_for_each(trim_inside_a_walk, NULL);
    CHECK(walk_trimmed > 0);
    CHECK_EQ(walk_decommits, 0);
    walked_stats(&st);
    CHECK_EQ(st.blocks, 1);
    calls = decommits;
    CHECK_EQ(walked_trim(), 0); /* no block left to take, pages to hand back */
    CHECK(decommits > calls);
    calls = decommits;
    CHECK_EQ(walked_trim(), 0);
    CHECK_EQ(decommits, calls); /* once */
    CHECK(walked_lookup(hs[0]) != NULL);
    /* Without a walk, the trim itself hands the pages back. */
    CHECK_EQ(walked_release(hs[0]), 0);
    walked_thread_flush();
    TRIM_EXPECT(walked, 1);
    CHECK(decommits > calls);
}

/* ---- no handle value twice ------------------------------------------------------- */

/* Six version bits: a slot lives 31 times. Rounds of acquires and releases
   in random order, flushed or not, trimmed or not, until every slot has
   retired; every handle issued is recorded. */
#define ISSUED_MAX 4096
static uint64_t issued[ISSUED_MAX];

static void no_handle_value_is_issued_twice_across_trims_and_revivals(void)
{
    cycled_handle hs[64], t;
    rpool_stats before, after;
    size_t n = 0, k, got, i, r, trims = 0, round;

    for (round = 0; round < 10000; round++) {
        k = 1 + rng() % 64;
        for (got = 0; got < k; got++) {
            errno = 0;
            if (!cycled_acquire(&hs[got])) {
                CHECK_EQ(errno, ENOSPC);
                break;
            }
            CHECK(n < ISSUED_MAX);
            issued[n++] = hs[got].value;
        }
        if (got == 0)
            break;
        for (i = got; i > 1; i--) {
            size_t j = rng() % i;
            t = hs[i - 1];
            hs[i - 1] = hs[j];
            hs[j] = t;
        }
        GIVE(cycled, hs, 0, got, NONE);
        if (rng() % 2)
            cycled_thread_flush();
        if (rng() % 3) {
            cycled_stats(&before);
            r = cycled_trim();
            cycled_stats(&after);
            CHECK_EQ(before.bytes - after.bytes, r);
            CHECK_SUM(after);
            trims += r > 0;
        }
    }
    cycled_stats(&after);
    CHECK_EQ(after.retired, 64);
    CHECK_EQ(after.carved, 64);
    CHECK(trims >= 10);
    CHECK(test_all_distinct(issued, n));
}

/* The first life ends with its only block trimmed, its versions kept in
   the block's floor alone; the second life's handles are all new. */
static void trim_then_destroy_then_reuse_never_reissues_a_handle(void)
{
    reborn_handle hs[2 * BLOCK];
    size_t n = 0, i, round;

    for (round = 0; round < 3; round++) {
        TAKE(reborn, hs, BLOCK);
        for (i = 0; i < BLOCK; i++)
            issued[n++] = hs[i].value;
        GIVE(reborn, hs, 0, BLOCK, NONE);
    }
    reborn_thread_flush();
    TRIM_EXPECT(reborn, 1);
    reborn_destroy();
    for (round = 0; round < 3; round++) {
        TAKE(reborn, hs, 2 * BLOCK);
        for (i = 0; i < 2 * BLOCK; i++)
            issued[n++] = hs[i].value;
        GIVE(reborn, hs, 0, 2 * BLOCK, NONE);
    }
    CHECK(test_all_distinct(issued, n));
}

/* ---- auto_trim ------------------------------------------------------------------- */

/* 64 objects released in id order: each chunk the thread hands back holds 8
   ids of one block; once more than half of the slots are free on the
   global side, a release that hands a chunk back trims. */
static void auto_trim_trims_blocks_as_releases_free_them(void)
{
    automatic_handle hs[4 * BLOCK];
    rpool_stats before, st;
    size_t i;

    TAKE(automatic, hs, 4 * BLOCK);
    automatic_stats(&before);
    GIVE(automatic, hs, 0, 4 * BLOCK, NONE);
    automatic_stats(&st);
    CHECK(st.blocks < before.blocks);
    CHECK(st.bytes < before.bytes);
    CHECK_EQ(before.carved - st.carved, (before.blocks - st.blocks) * BLOCK);
    CHECK_SUM(st);
    TAKE(automatic, hs, 4 * BLOCK); /* and they come back, no block new */
    for (i = 0; i < 4 * BLOCK; i++)
        CHECK(automatic_id(hs[i]) < 4 * BLOCK);
    automatic_stats(&st);
    CHECK_EQ(st.blocks, 4);
}

static void a_pool_without_auto_trim_never_trims_by_itself(void)
{
    manual_handle hs[4 * BLOCK];
    rpool_stats st;

    TAKE(manual, hs, 4 * BLOCK);
    GIVE(manual, hs, 0, 4 * BLOCK, NONE);
    manual_stats(&st);
    CHECK_EQ(st.blocks, 4);
    manual_thread_flush();
    manual_stats(&st);
    CHECK_EQ(st.blocks, 4);
    CHECK_EQ(st.global_free, 4 * BLOCK);
    TRIM_EXPECT(manual, 4);
}

int main(void)
{
    RUN(trim_of_a_pool_never_used_returns_0_and_changes_nothing);
    RUN(trim_of_a_pool_whose_objects_are_all_live_returns_0);
    RUN(trim_returns_what_stats_bytes_lose_and_revival_counts_back_exactly);
    RUN(handles_into_a_trimmed_block_are_refused_before_and_after_it_comes_back);
    RUN(pin_and_unpin_refuse_handles_into_a_trimmed_block);
    RUN(address_is_null_for_the_ids_of_a_trimmed_block);
    RUN(a_block_holding_a_live_object_is_not_trimmed);
    RUN(a_block_with_an_id_in_a_threads_cache_is_not_trimmed);
    RUN(a_block_with_an_uncarved_range_or_tail_is_not_trimmed);
    RUN(a_block_with_a_slot_pending_under_a_pin_is_not_trimmed);
    RUN(a_block_holding_a_retired_slot_is_never_trimmed);
    RUN(trimmed_blocks_are_made_again_before_any_new_block);
    RUN(an_exited_threads_tail_is_used_before_a_trimmed_block_comes_back);
    RUN(objects_of_a_block_made_again_are_zero_filled);
    RUN(init_runs_again_on_each_slot_of_a_block_made_again);
    RUN(trim_keeps_every_other_free_id_and_only_those);
    RUN(a_trim_that_takes_no_block_still_frees_the_global_sides_chunks);
    RUN(trim_hands_back_pages_of_free_objects_in_a_block_in_use);
    RUN(trim_keeps_the_free_objects_of_a_pool_with_init);
    RUN(trim_hands_back_no_page_a_later_block_in_use_shares);
    RUN(trim_hands_back_no_page_an_earlier_block_in_use_shares);
    RUN(a_trim_during_a_walk_leaves_the_pages_to_the_next_trim);
    RUN(no_handle_value_is_issued_twice_across_trims_and_revivals);
    RUN(trim_then_destroy_then_reuse_never_reissues_a_handle);
    RUN(auto_trim_trims_blocks_as_releases_free_them);
    RUN(a_pool_without_auto_trim_never_trims_by_itself);
    return test_summary();
}
