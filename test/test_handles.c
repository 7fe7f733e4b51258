/* Handles: every error value of release, release_owned and lookup, forged
 * values of every bit pattern, the ABA guard, version wrap and retirement,
 * and the counting invariant of DESIGN.md section 4 under mixed use. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rpool.h"
#include "test.h"

typedef struct thing {
    uint64_t tag;
} thing;

RPOOL_DEFINE_STATIC(plain, thing);                                /* 32 version bits */
RPOOL_DEFINE_STATIC(aba, thing);
RPOOL_DEFINE_STATIC(uncarved, thing);
RPOOL_DEFINE_STATIC(kept, thing);
RPOOL_DEFINE_STATIC(ours, thing);
RPOOL_DEFINE_STATIC(twin, thing);                                /* ours's type, another pool */
RPOOL_DEFINE_STATIC_EX(wide, thing, .version_bits = 56);          /* 8 id bits */
RPOOL_DEFINE_STATIC_EX(wide16, thing, .version_bits = 56, .block_items = 16);
RPOOL_DEFINE_STATIC_EX(narrow, thing, .version_bits = 20);         /* 44 id bits */
RPOOL_DEFINE_STATIC_EX(wide33, thing, .version_bits = 33);        /* 31 id bits */
RPOOL_DEFINE_STATIC_EX(wrap1, thing, .version_bits = 4, .max_items = 1);
RPOOL_DEFINE_STATIC_EX(wrap, thing, .version_bits = 4);
RPOOL_DEFINE_STATIC_EX(wrapmany, thing, .version_bits = 4, .max_items = 64,
                       .block_items = 16, .chunk_items = 8);
RPOOL_DEFINE_STATIC_EX(once, thing, .version_bits = 2, .max_items = 100, .block_items = 32);
/* The same, with room to live on after slots retire. */
RPOOL_DEFINE_STATIC_EX(relife, thing, .version_bits = 2, .max_items = 1000, .block_items = 32);
RPOOL_DEFINE_STATIC_EX(mixed, thing, .block_items = 64, .chunk_items = 16);
RPOOL_DEFINE_STATIC_EX(mixedwrap, thing, .version_bits = 6, .max_items = 500,
                       .block_items = 32, .chunk_items = 5);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* ---- the error values ---------------------------------------------------- */

static void handle_zero_is_invalid(void)
{
    plain_handle zero = { 0 }, h;
    CHECK_EQ(plain_release(zero), -EINVAL);
    CHECK_EQ(plain_release_owned(zero), -EINVAL);
    CHECK(plain_lookup(zero) == NULL);
    CHECK(plain_acquire(&h) != NULL); /* and once the pool has blocks */
    CHECK_EQ(plain_release(zero), -EINVAL);
    CHECK_EQ(plain_release_owned(zero), -EINVAL);
    CHECK(plain_lookup(zero) == NULL);
    CHECK_EQ(plain_release(h), 0);
}

static void no_issued_handle_is_zero(void)
{
    static plain_handle hs[600];
    size_t i;
    for (i = 0; i < 600; i++) {
        CHECK(plain_acquire(&hs[i]) != NULL);
        CHECK(hs[i].value != 0);
    }
    CHECK_EQ(plain_release_n(hs, 600), 600);
}

static void even_version_is_invalid_and_leaves_the_object_live(void)
{
    plain_handle h, forged;
    thing *t = plain_acquire(&h);
    CHECK(t != NULL);
    forged.value = h.value + ((uint64_t)1 << 32); /* version 1 -> 2 */
    CHECK_EQ(plain_release(forged), -EINVAL);
    CHECK_EQ(plain_release_owned(forged), -EINVAL);
    CHECK(plain_lookup(forged) == NULL);
    forged.value = h.value & 0xffffffffu; /* version 0 */
    CHECK_EQ(plain_release(forged), -EINVAL);
    CHECK(plain_lookup(h) == t);
    CHECK_EQ(plain_release(h), 0);
}

static void id_past_every_block_is_invalid(void)
{
    plain_handle h, forged;
    rpool_stats st;
    CHECK(plain_acquire(&h) != NULL);
    plain_stats(&st);
    forged.value = (h.value & ~(uint64_t)0xffffffffu) | (st.blocks * 256);
    CHECK_EQ(plain_release(forged), -EINVAL);
    CHECK_EQ(plain_release_owned(forged), -EINVAL);
    CHECK(plain_lookup(forged) == NULL);
    forged.value = (h.value & ~(uint64_t)0xffffffffu) | 0xffffffffu;
    CHECK_EQ(plain_release(forged), -EINVAL);
    CHECK_EQ(plain_release_owned(forged), -EINVAL);
    CHECK(plain_lookup(forged) == NULL);
    CHECK_EQ(plain_release(h), 0);
}

/* A slot that exists but was never carved has version 0: an odd version
   naming it cannot match, and is refused as stale. */
static void odd_version_on_an_uncarved_slot_is_stale(void)
{
    uncarved_handle h, forged;
    rpool_stats st;
    CHECK(uncarved_acquire(&h) != NULL);
    uncarved_stats(&st);
    CHECK_EQ(st.carved, 1);
    CHECK_EQ(st.blocks, 1);
    forged.value = ((uint64_t)1 << 32) | 255u;
    CHECK_EQ(uncarved_release(forged), -ESTALE);
    CHECK_EQ(uncarved_release_owned(forged), -ESTALE);
    CHECK(uncarved_lookup(forged) == NULL);
    CHECK(uncarved_address(255) == NULL);
    CHECK_EQ(uncarved_release(h), 0);
}

static void double_release_returns_estale(void)
{
    plain_handle h;
    CHECK(plain_acquire(&h) != NULL);
    CHECK_EQ(plain_release(h), 0);
    CHECK_EQ(plain_release(h), -ESTALE);
    CHECK_EQ(plain_release(h), -ESTALE);
    CHECK_EQ(plain_release_owned(h), -ESTALE);
}

static void double_release_owned_returns_estale(void)
{
    plain_handle h;
    CHECK(plain_acquire(&h) != NULL);
    CHECK_EQ(plain_release_owned(h), 0);
    CHECK_EQ(plain_release_owned(h), -ESTALE);
    CHECK_EQ(plain_release(h), -ESTALE);
}

static void wrong_odd_version_of_a_live_slot_is_stale_and_harmless(void)
{
    plain_handle h, forged;
    thing *t = plain_acquire(&h);
    CHECK(t != NULL);
    forged.value = h.value + ((uint64_t)2 << 32);
    CHECK_EQ(plain_release(forged), -ESTALE);
    CHECK_EQ(plain_release_owned(forged), -ESTALE);
    CHECK(plain_lookup(forged) == NULL);
    CHECK(plain_lookup(h) == t);
    CHECK_EQ(plain_release(h), 0);
}

/* ABA: the slot is reused, and the old handle must not reach the new
   object, through any call. */
static void stale_handle_is_refused_after_its_slot_is_reused(void)
{
    aba_handle old, cur;
    thing *t1 = aba_acquire(&old), *t2;
    int round;
    CHECK(t1 != NULL);
    CHECK_EQ(aba_release(old), 0);
    for (round = 0; round < 100; round++) {
        t2 = aba_acquire(&cur);
        CHECK(t2 == t1);
        CHECK_EQ(aba_id(cur), aba_id(old));
        t2->tag = 0xfeed;
        CHECK(aba_lookup(old) == NULL);
        CHECK_EQ(aba_release(old), -ESTALE);
        CHECK_EQ(aba_release_owned(old), -ESTALE);
        CHECK(aba_lookup(cur) == t2);
        CHECK_EQ(t2->tag, 0xfeed);
        CHECK_EQ(round % 2 ? aba_release(cur) : aba_release_owned(cur), 0);
    }
}

/* ---- the handle as a value --------------------------------------------------- */

static plain_handle file_scope_none = RPOOL_NULL_HANDLE;

static void null_handle_is_null_everywhere_and_never_issued(void)
{
    plain_handle none = RPOOL_NULL_HANDLE, h;
    struct { plain_handle a, b; } pair = { RPOOL_NULL_HANDLE, RPOOL_NULL_HANDLE };
    CHECK(plain_is_null(none) && plain_is_null(file_scope_none));
    CHECK(plain_is_null(pair.a) && plain_is_null(pair.b));
    CHECK_EQ(none.value, 0);
    CHECK(plain_lookup(none) == NULL);
    CHECK_EQ(plain_release(none), -EINVAL);
    CHECK(plain_acquire(&h) != NULL);
    CHECK(!plain_is_null(h));
    CHECK(!plain_equal(h, none));
    CHECK_EQ(plain_release(h), 0);
    CHECK(!plain_is_null(h)); /* stale, but not null: is_null only compares */
}

/* .value is the whole handle: stored as an integer (epoll's data.u64, a
   file) and put back into a handle, it names the same object. */
static void handle_value_round_trips_through_an_integer(void)
{
    kept_handle h, back;
    thing *t = kept_acquire(&h);
    uint64_t stored;
    CHECK(t != NULL);
    stored = h.value;
    back = (kept_handle){ stored };
    CHECK(kept_equal(back, h));
    CHECK(kept_lookup(back) == t);
    CHECK_EQ(kept_release(back), 0);
    CHECK(kept_lookup(h) == NULL);
}

/* equal compares values: a copy is equal, the next handle of the same slot
   (same id, next version) is not. */
static void handles_are_equal_only_to_their_own_value(void)
{
    kept_handle first, copy, again;
    thing *t = kept_acquire(&first);
    CHECK(t != NULL);
    copy = first;
    CHECK(kept_equal(first, copy) && kept_equal(copy, first));
    CHECK_EQ(kept_release(first), 0);
    CHECK(kept_acquire(&again) == t);
    CHECK_EQ(kept_id(again), kept_id(first));
    CHECK(!kept_equal(again, first));
    CHECK(kept_equal(again, again));
    CHECK_EQ(kept_release(again), 0);
}

/* Handles carry no pool: a value of ours's handle, put into a twin_handle,
   is checked against twin's slot of the same id, and names twin's object
   when that slot happens to have the same version. Passing an ours_handle
   to twin does not compile (test/compile_errors.sh); this takes .value. */
static void another_pools_handle_value_is_taken_as_this_pools(void)
{
    ours_handle mine;
    twin_handle theirs, forged;
    thing *t = twin_acquire(&theirs);
    CHECK(t != NULL);
    CHECK(ours_acquire(&mine) != NULL);
    CHECK_EQ(mine.value, theirs.value); /* both fresh: same id, same version */
    forged = (twin_handle){ mine.value };
    CHECK(twin_lookup(forged) == t);
    CHECK_EQ(twin_release(forged), 0); /* releases twin's object */
    CHECK(twin_lookup(theirs) == NULL);
    CHECK(ours_lookup(mine) != NULL);
    CHECK_EQ(ours_release(mine), 0);
}

/* ---- forged values --------------------------------------------------------- */

/* What the manual promises for a value that is not a live handle: -EINVAL
   for 0, an even version or an id past every block, else -ESTALE. */
static int expected_error(uint64_t v, unsigned idbits, uint64_t slots_in_blocks)
{
    uint64_t ver = v >> idbits, id = v & (((uint64_t)1 << idbits) - 1);
    if (!(ver & 1) || id >= slots_in_blocks)
        return -EINVAL;
    return -ESTALE;
}

static uint64_t pattern(uint64_t i)
{
    uint64_t k = i % 64, bit = (uint64_t)1 << k;
    switch ((i / 64) % 8) {
    case 0: return bit;
    case 1: return ~bit;
    case 2: return bit - 1;
    case 3: return ~(bit - 1);
    case 4: return 0x5555555555555555ull ^ bit;
    case 5: return 0xaaaaaaaaaaaaaaaaull ^ bit;
    case 6: return (bit << 32 | bit) ^ (k << 8);
    default: return UINT64_MAX - k;
    }
}

/* The calls of one pool, on raw 64-bit values, so that one test body can
   forge values for pools of different handle splits. */
struct pool_ops {
    void *(*lookup)(uint64_t v);
    int (*release)(uint64_t v);
    int (*release_owned)(uint64_t v);
    int (*acquire)(uint64_t *v);
    void (*stats)(rpool_stats *out);
    unsigned idbits;
    uint64_t per_block;
};

#define POOL_OPS(NAME, IDBITS, PER_BLOCK)                                          \
    static void *NAME##_lookup_v(uint64_t v)                                       \
    {                                                                              \
        NAME##_handle h = { v };                                                   \
        return NAME##_lookup(h);                                                   \
    }                                                                              \
    static int NAME##_release_v(uint64_t v)                                        \
    {                                                                              \
        NAME##_handle h = { v };                                                   \
        return NAME##_release(h);                                                  \
    }                                                                              \
    static int NAME##_release_owned_v(uint64_t v)                                  \
    {                                                                              \
        NAME##_handle h = { v };                                                   \
        return NAME##_release_owned(h);                                            \
    }                                                                              \
    static int NAME##_acquire_v(uint64_t *v)                                       \
    {                                                                              \
        NAME##_handle h;                                                           \
        if (!NAME##_acquire(&h))                                                   \
            return 0;                                                              \
        *v = h.value;                                                              \
        return 1;                                                                  \
    }                                                                              \
    static const struct pool_ops NAME##_ops = {                                    \
        NAME##_lookup_v, NAME##_release_v, NAME##_release_owned_v,                 \
        NAME##_acquire_v, NAME##_stats, IDBITS, PER_BLOCK                          \
    };

POOL_OPS(plain, 32, 256)
POOL_OPS(wide, 8, 256)
POOL_OPS(wide16, 8, 16)
POOL_OPS(narrow, 44, 256)
POOL_OPS(wide33, 31, 256)

#define FORGE_LIVE 230
#define FORGE_TRIES 300000

/* Against a pool holding FORGE_LIVE live objects and 20 free ones, looks up
   and releases forged values: fixed bit patterns, random values, and random
   versions over ids that exist. Each gets exactly the error the manual
   names, and every live object stays live and untouched. */
static int forgeries_get_exact_errors(const struct pool_ops *ops)
{
    static uint64_t live[FORGE_LIVE], sorted[FORGE_LIVE];
    uint64_t junk[20], i, slots, v;
    rpool_stats st;
    size_t n;

    for (n = 0; n < FORGE_LIVE; n++) {
        if (!ops->acquire(&live[n]))
            return 0;
        *(uint64_t *)ops->lookup(live[n]) = n;
    }
    for (i = 0; i < 20; i++)
        if (!ops->acquire(&junk[i]))
            return 0;
    for (i = 0; i < 20; i++)
        if (ops->release(junk[i]) != 0)
            return 0;
    memcpy(sorted, live, sizeof live);
    qsort(sorted, FORGE_LIVE, sizeof *sorted, test_cmp_u64);
    ops->stats(&st);
    slots = st.blocks * ops->per_block;

    for (i = 0; i < FORGE_TRIES; i++) {
        int want, got;
        if (i < 64 * 8)
            v = pattern(i);
        else if (i % 2)
            v = rng();
        else /* a random version over an id that exists */
            v = (rng() & ~(((uint64_t)1 << ops->idbits) - 1)) | (rng() % slots);
        if (bsearch(&v, sorted, FORGE_LIVE, sizeof *sorted, test_cmp_u64))
            continue; /* a real handle, not a forgery */
        want = expected_error(v, ops->idbits, slots);
        if (ops->lookup(v) != NULL) {
            fprintf(stderr, "    value %#llx: lookup found an object\n", (unsigned long long)v);
            return 0;
        }
        got = i % 3 ? ops->release(v) : ops->release_owned(v);
        if (got != want) {
            fprintf(stderr, "    value %#llx: got %d, want %d\n", (unsigned long long)v,
                    got, want);
            return 0;
        }
    }
    ops->stats(&st);
    if (st.live != FORGE_LIVE) {
        fprintf(stderr, "    live %zu after the forgeries, want %d\n", st.live, FORGE_LIVE);
        return 0;
    }
    for (n = 0; n < FORGE_LIVE; n++) {
        uint64_t *obj = ops->lookup(live[n]);
        if (!obj || *obj != n || ops->release(live[n]) != 0) {
            fprintf(stderr, "    live object %zu damaged\n", n);
            return 0;
        }
    }
    return 1;
}

static void forged_values_get_exact_errors_with_32_version_bits(void)
{
    CHECK(forgeries_get_exact_errors(&plain_ops));
}

static void forged_values_get_exact_errors_with_56_version_bits(void)
{
    CHECK(forgeries_get_exact_errors(&wide_ops));
}

static void forged_values_get_exact_errors_with_56_version_bits_and_small_blocks(void)
{
    CHECK(forgeries_get_exact_errors(&wide16_ops));
}

static void forged_values_get_exact_errors_with_20_version_bits(void)
{
    CHECK(forgeries_get_exact_errors(&narrow_ops));
}

static void forged_values_get_exact_errors_with_33_version_bits(void)
{
    CHECK(forgeries_get_exact_errors(&wide33_ops));
}

/* With 44 id bits, a handle can name ids past 2^32, where no slot can be.
   Such an id must not be cut to its low 32 bits and land on a live slot. */
static void ids_above_32_bits_never_alias_a_live_slot(void)
{
    narrow_handle h, forged;
    thing *t = narrow_acquire(&h);
    unsigned bit;
    CHECK(t != NULL);
    for (bit = 32; bit < 44; bit++) {
        forged.value = h.value | (uint64_t)1 << bit;
        CHECK(narrow_lookup(forged) == NULL);
        CHECK_EQ(narrow_release(forged), -EINVAL);
        CHECK_EQ(narrow_release_owned(forged), -EINVAL);
        CHECK(narrow_address(narrow_id(forged)) == NULL);
    }
    CHECK(narrow_lookup(h) == t);
    CHECK_EQ(narrow_release(h), 0);
}

/* ---- id space and version wrap --------------------------------------------- */

/* 56 version bits leave 8 id bits: 256 slots. The 257th acquire fails and
   no handle's id ever reaches into the version bits. */
static void version_bits_56_allow_exactly_256_slots(void)
{
    static wide_handle hs[256];
    wide_handle extra;
    rpool_stats st;
    size_t i;

    wide_destroy();
    for (i = 0; i < 256; i++) {
        CHECK(wide_acquire(&hs[i]) != NULL);
        CHECK_EQ(wide_id(hs[i]), i);
        CHECK_EQ(hs[i].value >> 8, hs[0].value >> 8); /* every slot's first use */
    }
    errno = 0;
    CHECK(wide_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    errno = 0;
    CHECK(wide_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    wide_stats(&st);
    CHECK_EQ(st.carved, 256);
    CHECK_EQ(st.live, 256);

    CHECK_EQ(wide_release(hs[17]), 0);
    CHECK(wide_acquire(&extra) != NULL);
    CHECK_EQ(wide_id(extra), 17);
    CHECK_EQ(extra.value >> 8, (hs[0].value >> 8) + 2);
    CHECK(wide_lookup(hs[17]) == NULL);
    hs[17] = extra;
    CHECK_EQ(wide_release_n(hs, 256), 256);
}

static void version_bits_56_with_16_item_blocks_stop_at_16_blocks(void)
{
    static wide16_handle hs[256];
    wide16_handle extra;
    rpool_stats st;
    size_t i;

    wide16_destroy();
    narrow_destroy();
    wide33_destroy();
    CHECK_EQ(wide16_acquire_n(hs, NULL, 256), 256);
    for (i = 0; i < 256; i++)
        CHECK(wide16_id(hs[i]) < 256);
    errno = 0;
    CHECK(wide16_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    wide16_stats(&st);
    CHECK_EQ(st.blocks, 16);
    CHECK_EQ(st.carved, 256);
    CHECK_EQ(wide16_release_n(hs, 256), 256);
}

/* With 4 version bits a slot has live versions 1, 3, ..., 13: seven
   handles, then it retires and the pool (of one slot) is used up. */
static void slot_retires_after_its_last_version_and_is_never_reused(void)
{
    wrap1_handle hs[7], extra;
    uint64_t vals[7];
    thing *first = NULL;
    rpool_stats st;
    size_t i, j;

    for (i = 0; i < 7; i++) {
        thing *t = wrap1_acquire(&hs[i]);
        CHECK(t != NULL);
        if (!first)
            first = t;
        CHECK(t == first);
        CHECK_EQ(wrap1_id(hs[i]), 0);
        CHECK_EQ(hs[i].value >> 60, 2 * i + 1);
        wrap1_stats(&st);
        CHECK_EQ(st.retired, 0);
        CHECK_EQ(wrap1_release(hs[i]), 0);
        vals[i] = hs[i].value;
    }
    CHECK(test_all_distinct(vals, 7));
    wrap1_stats(&st);
    CHECK_EQ(st.retired, 1);
    CHECK_EQ(st.carved, 1);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.cached + st.global_free, 0);

    for (j = 0; j < 3; j++) {
        errno = 0;
        CHECK(wrap1_acquire(&extra) == NULL);
        CHECK_EQ(errno, ENOSPC);
    }
    for (i = 0; i < 7; i++) {
        CHECK(wrap1_lookup(hs[i]) == NULL);
        CHECK_EQ(wrap1_release(hs[i]), -ESTALE);
        CHECK_EQ(wrap1_release_owned(hs[i]), -ESTALE);
    }
    /* The slot stays addressable by id; only handing it out is over. */
    CHECK(wrap1_address(0) == first);
}

/* Without a capacity, a retired slot makes the pool carve the next one. */
static void retired_slot_makes_way_for_a_fresh_one(void)
{
    wrap_handle h, prev = { 0 };
    rpool_stats st;
    size_t i;

    for (i = 0; i < 7 * 5; i++) {
        CHECK(wrap_acquire(&h) != NULL);
        CHECK_EQ(wrap_id(h), i / 7);
        CHECK(h.value != prev.value);
        prev = h;
        CHECK_EQ(wrap_release(h), 0);
    }
    wrap_stats(&st);
    CHECK_EQ(st.retired, 5);
    CHECK_EQ(st.carved, 5);
    CHECK_EQ(st.live + st.cached + st.global_free + st.retired, st.carved);
}

#define WRAP_SLOTS 64
#define WRAP_HANDLES (WRAP_SLOTS * 7)

/* Random acquires and releases over 64 slots of 4 version bits, until every
   slot has retired: exactly 64 * 7 handles come out, all distinct, and a
   retired slot is never handed out again. */
static void no_handle_value_is_issued_twice_until_every_slot_retires(void)
{
    static uint64_t issued[WRAP_HANDLES + 1];
    static unsigned char retired[WRAP_SLOTS];
    wrapmany_handle held[WRAP_SLOTS];
    size_t nheld = 0, nissued = 0, i;
    rpool_stats st;

    for (;;) {
        int want_acquire = nheld == 0 || (nheld < WRAP_SLOTS && rng() % 3);
        if (want_acquire) {
            wrapmany_handle h;
            errno = 0;
            if (!wrapmany_acquire(&h)) {
                CHECK_EQ(errno, ENOSPC);
                if (nheld == 0)
                    break;
                want_acquire = 0;
            } else {
                CHECK(nissued < WRAP_HANDLES);
                CHECK(wrapmany_id(h) < WRAP_SLOTS);
                CHECK(!retired[wrapmany_id(h)]);
                issued[nissued++] = h.value;
                held[nheld++] = h;
            }
        }
        if (!want_acquire) {
            size_t k = rng() % nheld;
            wrapmany_handle h = held[k];
            held[k] = held[--nheld];
            CHECK_EQ(rng() % 2 ? wrapmany_release(h) : wrapmany_release_owned(h), 0);
            if (h.value >> 60 == 13)
                retired[wrapmany_id(h)] = 1;
        }
    }
    CHECK_EQ(nissued, WRAP_HANDLES);
    CHECK(test_all_distinct(issued, nissued));
    for (i = 0; i < WRAP_SLOTS; i++)
        CHECK(retired[i]);
    wrapmany_stats(&st);
    CHECK_EQ(st.retired, WRAP_SLOTS);
    CHECK_EQ(st.carved, WRAP_SLOTS);
    CHECK_EQ(st.live, 0);
}

/* 2 version bits: version 1 is a slot's only live one, so every release
   retires it and every acquire carves a new slot. */
static void two_version_bits_give_each_slot_one_handle(void)
{
    once_handle h;
    rpool_stats st;
    size_t i;

    for (i = 0; i < 100; i++) {
        CHECK(once_acquire(&h) != NULL);
        CHECK_EQ(once_id(h), i);
        CHECK_EQ(h.value >> 62, 1);
        CHECK_EQ(i % 2 ? once_release(h) : once_release_owned(h), 0);
        CHECK_EQ(once_release(h), -ESTALE);
    }
    errno = 0;
    CHECK(once_acquire(&h) == NULL);
    CHECK_EQ(errno, ENOSPC);
    once_stats(&st);
    CHECK_EQ(st.retired, 100);
    CHECK_EQ(st.carved, 100);
    CHECK_EQ(st.cached + st.global_free + st.live, 0);
}

/* destroy empties the pool but keeps what makes handles unique: slots that
   retired stay retired (skipped by carving, counted again), and the versions
   of the next life start above every earlier one. */
static void destroy_keeps_retired_slots_retired(void)
{
    relife_handle h, dead[10];
    rpool_stats st;
    size_t i, j;

    relife_destroy();
    for (i = 0; i < 10; i++) {
        CHECK(relife_acquire(&dead[i]) != NULL);
        CHECK_EQ(relife_release(dead[i]), 0);
    }
    relife_stats(&st);
    CHECK_EQ(st.retired, 10);
    relife_destroy();
    relife_stats(&st);
    CHECK_EQ(st.retired, 0);
    CHECK_EQ(st.carved, 0);
    for (i = 0; i < 5; i++) {
        CHECK(relife_acquire(&h) != NULL);
        for (j = 0; j < 10; j++) {
            CHECK(h.value != dead[j].value);
            CHECK(relife_id(h) != relife_id(dead[j]));
        }
        CHECK_EQ(relife_release(h), 0);
    }
    for (j = 0; j < 10; j++)
        CHECK_EQ(relife_release(dead[j]), -ESTALE);
    relife_stats(&st);
    CHECK_EQ(st.live + st.cached + st.global_free + st.retired, st.carved);
    CHECK(st.retired >= 15);
}

/* ---- the counting invariant ------------------------------------------------ */

#define MIX_HELD 3000
#define MIX_OPS 150000

struct mix_state {
    uint64_t held[MIX_HELD];
    size_t nheld;
    uint64_t issued, max_id_plus_one;
};

/* Counts for_each's visits. */
static size_t visits;
static void count_plain(thing *t, mixed_handle h, void *arg)
{
    (void)t, (void)h, (void)arg;
    visits++;
}
static void count_wrap(thing *t, mixedwrap_handle h, void *arg)
{
    (void)t, (void)h, (void)arg;
    visits++;
}

POOL_OPS(mixed, 32, 64)
POOL_OPS(mixedwrap, 58, 32)

/* Mixed acquires, releases (both kinds, some of them repeated or forged)
   and flushes. Checks, every so often and at the end, that stats.live is
   the number of handles held, that for_each sees as many, that the ids seen
   are exactly 0..carved-1 (one thread carves densely) and that
   live + cached + global_free + retired == carved. */
static int mixed_operations_keep_counts(const struct pool_ops *ops, void (*flush)(void),
                                        void (*walk)(void), struct mix_state *s)
{
    rpool_stats st;
    size_t op;

    for (op = 0; op < MIX_OPS; op++) {
        unsigned r = (unsigned)(rng() % 100);
        if (r < 50 && s->nheld < MIX_HELD) {
            uint64_t v;
            errno = 0;
            if (ops->acquire(&v)) {
                uint64_t id = v & (((uint64_t)1 << ops->idbits) - 1);
                s->held[s->nheld++] = v;
                s->issued++;
                if (id + 1 > s->max_id_plus_one)
                    s->max_id_plus_one = id + 1;
            } else if (errno != ENOSPC) {
                return 0;
            }
        } else if (r < 96 && s->nheld) {
            size_t k = rng() % s->nheld;
            uint64_t v = s->held[k];
            s->held[k] = s->held[--s->nheld];
            if ((r % 2 ? ops->release(v) : ops->release_owned(v)) != 0)
                return 0;
            if (r % 5 == 0 && ops->release(v) != -ESTALE)
                return 0;
        } else if (r < 97) {
            flush();
        } else if (ops->release(rng() | ((uint64_t)1 << ops->idbits)) == 0) {
            return 0; /* a forged value released something */
        }
        if (op % 5000 == 0 || op == MIX_OPS - 1) {
            ops->stats(&st);
            visits = 0;
            walk();
            if (st.live != s->nheld || visits != s->nheld)
                return 0;
            if (st.live + st.cached + st.global_free + st.retired != st.carved)
                return 0;
            if (st.carved != s->max_id_plus_one)
                return 0;
            if (st.blocks != (st.carved + ops->per_block - 1) / ops->per_block &&
                st.blocks != (st.carved + ops->per_block - 1) / ops->per_block + 1)
                return 0;
        }
    }
    while (s->nheld)
        if (ops->release(s->held[--s->nheld]) != 0)
            return 0;
    ops->stats(&st);
    return st.live == 0 && st.cached + st.global_free + st.retired == st.carved;
}

static void walk_mixed(void)
{
    mixed_for_each(count_plain, NULL);
}

static void walk_mixedwrap(void)
{
    mixedwrap_for_each(count_wrap, NULL);
}

static void counts_add_up_after_many_mixed_operations(void)
{
    static struct mix_state s;
    CHECK(mixed_operations_keep_counts(&mixed_ops, mixed_thread_flush, walk_mixed, &s));
}

static void counts_add_up_after_mixed_operations_that_retire_slots(void)
{
    static struct mix_state s;
    rpool_stats st;
    CHECK(mixed_operations_keep_counts(&mixedwrap_ops, mixedwrap_thread_flush,
                                       walk_mixedwrap, &s));
    mixedwrap_stats(&st);
    CHECK(st.retired > 0);
}

int main(void)
{
    RUN(handle_zero_is_invalid);
    RUN(no_issued_handle_is_zero);
    RUN(even_version_is_invalid_and_leaves_the_object_live);
    RUN(id_past_every_block_is_invalid);
    RUN(odd_version_on_an_uncarved_slot_is_stale);
    RUN(double_release_returns_estale);
    RUN(double_release_owned_returns_estale);
    RUN(wrong_odd_version_of_a_live_slot_is_stale_and_harmless);
    RUN(stale_handle_is_refused_after_its_slot_is_reused);
    RUN(null_handle_is_null_everywhere_and_never_issued);
    RUN(handle_value_round_trips_through_an_integer);
    RUN(handles_are_equal_only_to_their_own_value);
    RUN(another_pools_handle_value_is_taken_as_this_pools);
    RUN(forged_values_get_exact_errors_with_32_version_bits);
    RUN(forged_values_get_exact_errors_with_56_version_bits);
    RUN(forged_values_get_exact_errors_with_56_version_bits_and_small_blocks);
    RUN(forged_values_get_exact_errors_with_20_version_bits);
    RUN(forged_values_get_exact_errors_with_33_version_bits);
    RUN(ids_above_32_bits_never_alias_a_live_slot);
    RUN(version_bits_56_allow_exactly_256_slots);
    RUN(version_bits_56_with_16_item_blocks_stop_at_16_blocks);
    RUN(slot_retires_after_its_last_version_and_is_never_reused);
    RUN(retired_slot_makes_way_for_a_fresh_one);
    RUN(no_handle_value_is_issued_twice_until_every_slot_retires);
    RUN(two_version_bits_give_each_slot_one_handle);
    RUN(destroy_keeps_retired_slots_retired);
    RUN(counts_add_up_after_many_mixed_operations);
    RUN(counts_add_up_after_mixed_operations_that_retire_slots);
    plain_destroy();
    aba_destroy();
    uncarved_destroy();
    kept_destroy();
    ours_destroy();
    twin_destroy();
    wide_destroy();
    wide16_destroy();
    wrap1_destroy();
    wrap_destroy();
    wrapmany_destroy();
    once_destroy();
    mixed_destroy();
    mixedwrap_destroy();
    return test_summary();
}
