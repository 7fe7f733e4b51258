/* faults.c - allocation failure at every allocation a scenario makes.
 *
 * RPOOL_CALLOC/RPOOL_FREE go to a counting allocator. Each scenario runs
 * once to count the allocations it makes, then once per k with allocation
 * failing from the k-th call on, until the operation that met the failure
 * has returned; then allocation works again. Every operation is checked:
 * an acquire that met a failure returns NULL with ENOMEM (and the retry
 * succeeds); a release never fails (it strands the id when it cannot get a
 * chunk) and loses nothing: stats.live always equals the objects the test
 * holds, stats.bytes the bytes the allocator has out, and at the end every
 * free id can be acquired again without carving. After NAME_destroy the
 * allocator has nothing out.
 *
 * NAME_trim allocates one array (a count per block): when that fails, the
 * trim returns 0 and changes nothing. RPOOL_DECOMMIT goes to a function
 * that checks that the range lies on whole pages of one span and fills it
 * with 0xA5 bytes (rpool.h: the bytes "may read anything afterwards"), or
 * fails, changing nothing, from its k-th call on: either way a trimmed
 * block comes back zeroed, and so does a block made afterwards. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static void *fault_calloc(size_t n, size_t size);
static void fault_free(void *p);
static void *fault_map(size_t size);
static void fault_unmap(void *p, size_t size);
static int fault_decommit(void *p, size_t size);
#define RPOOL_CALLOC(n, size) fault_calloc((n), (size))
#define RPOOL_FREE(p) fault_free(p)
#define RPOOL_MAP(size) fault_map(size)
#define RPOOL_UNMAP(p, size) fault_unmap((p), (size))
#define RPOOL_DECOMMIT(p, size) fault_decommit((p), (size))

#include "rpool.h"
#include "test.h"

/* ---- the allocator ------------------------------------------------------- */

/* Every allocation carries its size and a tag, so that a free of anything
   the allocator did not hand out, or a double free, is caught. */
typedef struct fault_head {
    size_t size;
    uint64_t tag;
} fault_head;

#define FAULT_TAG 0x52504f4f4c414c43ull
#define FAULT_DEAD 0xdeadbeefdeadbeefull

static struct {
    int armed;          /* counting calls toward fail_at */
    long calls;         /* calls counted while armed */
    long fail_at;       /* 0: never fail; else fail calls >= fail_at */
    long injected;      /* failures handed out */
    size_t first_size;  /* size asked by the first failed call of a run */
    long live;          /* allocations out */
    size_t live_bytes;  /* their sizes */
    size_t map_bytes;   /* of them, block memory (RPOOL_MAP) */
    int bad_free;
    long decommits;     /* RPOOL_DECOMMIT calls counted while armed */
    long decommit_fail_at; /* 0: never fail; else fail calls >= this */
    long decommits_failed;
    int bad_decommit;   /* a range not on whole pages of one span */
} fa_state;

/* The spans RPOOL_MAP handed out, for fault_decommit's check. */
#define SPANS_MAX 64
static struct {
    char *p;
    size_t size;
} spans[SPANS_MAX];

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

static void *fault_calloc(size_t n, size_t size)
{
    fault_head *h;

    if (LOAD(fa_state.armed)) {
        long call = ADD(fa_state.calls, 1);
        long at = LOAD(fa_state.fail_at);
        if (at && call >= at) {
            if (ADD(fa_state.injected, 1) == 1)
                STORE(fa_state.first_size, n * size);
            return 0;
        }
    }
    h = calloc(1, sizeof *h + n * size);
    if (!h)
        return 0;
    h->size = n * size;
    h->tag = FAULT_TAG;
    ADD(fa_state.live, 1);
    ADD(fa_state.live_bytes, n * size);
    return h + 1;
}

static void fault_free(void *p)
{
    fault_head *h;

    if (!p)
        return;
    h = (fault_head *)p - 1;
    if (h->tag != FAULT_TAG) {
        STORE(fa_state.bad_free, 1);
        return;
    }
    h->tag = FAULT_DEAD;
    ADD(fa_state.live, -1);
    ADD(fa_state.live_bytes, -h->size);
    free(h);
}

/* Block memory comes from the same allocator, so it fails with the rest;
   stats count blocks made, not the spans that hold them. */
static void *fault_map(size_t size)
{
    void *p = fault_calloc(1, size);
    int i;

    if (p) {
        ADD(fa_state.map_bytes, size);
        for (i = 0; i < SPANS_MAX && spans[i].p; i++)
            ;
        if (i == SPANS_MAX)
            abort(); /* more spans than any scenario makes */
        spans[i].p = (char *)p;
        spans[i].size = size;
    }
    return p;
}

static void fault_unmap(void *p, size_t size)
{
    int i;

    for (i = 0; i < SPANS_MAX; i++)
        if (spans[i].p == p)
            spans[i].p = 0;
    ADD(fa_state.map_bytes, -size);
    fault_free(p);
}

/* Called under the pool lock. */
static int fault_decommit(void *p, size_t size)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)p;
    int i, inside = 0;

    for (i = 0; i < SPANS_MAX; i++)
        inside |= spans[i].p && (char *)p >= spans[i].p &&
                  (char *)p + size <= spans[i].p + spans[i].size;
    if (!inside || a % page || size % page || !size)
        STORE(fa_state.bad_decommit, 1);
    if (LOAD(fa_state.armed)) {
        long call = ADD(fa_state.decommits, 1);
        long at = LOAD(fa_state.decommit_fail_at);
        if (at && call >= at) {
            ADD(fa_state.decommits_failed, 1);
            return -1;
        }
    }
    if (inside)
        memset(p, 0xa5, size);
    return 0;
}

/* Allocation works again, for the rest of this run. */
static void allow(void)
{
    STORE(fa_state.fail_at, 0);
}

/* ---- the pools, seen through one interface -------------------------------- */

typedef struct item {
    uint64_t stamp, check;
} item;

enum { SITE_LOCAL, SITE_TABLE, SITE_GROUP, SITE_SPANS, SITE_SPAN, SITE_HEADERS, SITE_CHUNK,
       SITE_COUNTS, NSITES };
static const char *const site_name[NSITES] = { "thread's local pool", "group table", "group",
                                               "array of spans", "span", "block headers",
                                               "chunk", "trim's counts" };

/* The trim scenario makes this many blocks, so trim's array of counts (one
   uint32_t per block) has a size of its own. */
#define TRIM_BLOCKS 5

typedef struct pool {
    void *(*acquire)(uint64_t *h);
    int (*release)(uint64_t h);
    void *(*lookup)(uint64_t h);
    size_t (*acquire_n)(uint64_t *hs, size_t n);
    void (*stats)(rpool_stats *out);
    void (*flush)(void);
    size_t (*trim)(void);
    void (*destroy)(void);
    size_t nitems;             /* objects per block */
    size_t site_bytes[NSITES]; /* what the engine asks for at each site */
    size_t stride;             /* bytes stats count per block */
} pool;

#define BULK_MAX 64

/* One-line adapters from NAME_* to uint64_t handles, and the sizes of the
   engine's allocations for this pool's layout (white box: they tell which
   site a failed call was). */
#define POOL(NAME)                                                                 \
    static void *NAME##_a(uint64_t *h)                                             \
    {                                                                              \
        NAME##_handle x = { 0 };                                                   \
        void *o = NAME##_acquire(&x);                                              \
        *h = x.value;                                                              \
        return o;                                                                  \
    }                                                                              \
    static int NAME##_r(uint64_t h) { NAME##_handle x = { h }; return NAME##_release(x); } \
    static void *NAME##_l(uint64_t h) { NAME##_handle x = { h }; return NAME##_lookup(x); } \
    static size_t NAME##_an(uint64_t *hs, size_t n)                                \
    {                                                                              \
        NAME##_handle x[BULK_MAX] = { { 0 } };                                               \
        size_t i, r = NAME##_acquire_n(x, 0, n);                                   \
        for (i = 0; i < n; i++)                                                    \
            hs[i] = x[i].value;                                                    \
        return r;                                                                  \
    }                                                                              \
    static pool NAME##_pool(void)                                                  \
    {                                                                              \
        rpool_impl_layout L = rpool_impl_layout_of(sizeof(item), _Alignof(item),   \
                                                   &NAME##_config);                \
        pool p = { NAME##_a, NAME##_r, NAME##_l, NAME##_an, NAME##_stats,          \
                   NAME##_thread_flush, NAME##_trim, NAME##_destroy, L.nitems,     \
                   { sizeof(rpool_impl_local), sizeof(uintptr_t) * L.ngroups,      \
                     sizeof(rpool_impl_group), 4 * sizeof(rpool_impl_span),        \
                     L.span_bytes, L.span_blocks * L.hdrbytes,                     \
                     rpool_impl_chunk_bytes(&L), TRIM_BLOCKS * sizeof(uint32_t) },  \
                   L.stride };                                                     \
        return p;                                                                  \
    }

/* Small blocks and chunks: new blocks and chunks come every few calls. The
   cap keeps the group table apart in size from a group. */
RPOOL_DEFINE_STATIC_EX(fa, item, .block_items = 16, .chunk_items = 8, .max_items = 1 << 16);
/* One object per block: the second group (block 4096) is cheap to reach. */
RPOOL_DEFINE_STATIC_EX(fg, item, .block_items = 1, .chunk_items = 64, .max_items = 8192);
/* Blocks of 10240 bytes: each holds whole pages wherever the span lies, so
   every trimmed block hands some back. */
RPOOL_DEFINE_STATIC_EX(ft, item, .block_items = 512, .chunk_items = 64, .max_items = 1 << 16);
POOL(fa)
POOL(fg)
POOL(ft)

/* ---- operations, each checked --------------------------------------------- */

#define HELD_MAX 8192
static uint64_t held[HELD_MAX];
static size_t nheld;
static long stranded;

/* The pool's counters agree with what the test holds and the allocator has
   out. Only called while no other thread is inside the pool. */
static int consistent(const pool *P)
{
    rpool_stats st;

    P->stats(&st);
    return WCHECK(st.live == nheld) &&
           WCHECK(st.live + st.cached + st.global_free + st.retired == st.carved) &&
           WCHECK(st.bytes == LOAD(fa_state.live_bytes) - LOAD(fa_state.map_bytes) +
                             st.blocks * P->stride) &&
           WCHECK(!LOAD(fa_state.bad_free)) && WCHECK(!LOAD(fa_state.bad_decommit));
}

/* Acquires an object; a fresh one (a slot carved for the first time, or
   again in a block trimmed and made again) must come zeroed. A failed
   allocation fails the acquire with ENOMEM, or, where what it was for is
   only a saving (a chunk in which a thread without one takes stranded ids
   a chunk's worth at once), the acquire goes on without it. */
static int take_object(const pool *P, int fresh)
{
    long before = LOAD(fa_state.injected);
    uint64_t h = 0;
    item *o;

    errno = 0;
    o = (item *)P->acquire(&h);
    if (LOAD(fa_state.injected) != before && !o) {
        if (!WCHECK(errno == ENOMEM) || !consistent(P))
            return 0;
        allow();
        o = (item *)P->acquire(&h);
    }
    if (!WCHECK(o) || !WCHECK(P->lookup(h) == o) || !WCHECK(nheld < HELD_MAX) ||
        !WCHECK(!fresh || (o->stamp == 0 && o->check == 0)))
        return 0;
    o->stamp = h;
    o->check = ~h;
    held[nheld++] = h;
    return consistent(P);
}

static int take(const pool *P)
{
    return take_object(P, 0);
}

/* All or nothing: a failed bulk acquire leaves nothing live. */
static int take_n(const pool *P, size_t n)
{
    long before = LOAD(fa_state.injected);
    uint64_t hs[BULK_MAX];
    size_t i, got;

    errno = 0;
    got = P->acquire_n(hs, n);
    if (LOAD(fa_state.injected) != before) {
        if (!WCHECK(got == 0 && errno == ENOMEM) || !consistent(P))
            return 0;
        allow();
        got = P->acquire_n(hs, n);
    }
    if (!WCHECK(got == n) || !WCHECK(nheld + n <= HELD_MAX))
        return 0;
    for (i = 0; i < n; i++) {
        item *o = (item *)P->lookup(hs[i]);
        if (!WCHECK(o))
            return 0;
        o->stamp = hs[i];
        o->check = ~hs[i];
        held[nheld++] = hs[i];
    }
    return consistent(P);
}

/* Releases the last object held. */
static int give(const pool *P)
{
    long before = LOAD(fa_state.injected);
    uint64_t h;
    item *o;

    if (!WCHECK(nheld > 0))
        return 0;
    h = held[--nheld];
    o = (item *)P->lookup(h);
    if (!WCHECK(o && o->stamp == h && o->check == ~h) || !WCHECK(P->release(h) == 0) ||
        !WCHECK(P->lookup(h) == 0) || !WCHECK(P->release(h) == -ESTALE))
        return 0;
    if (LOAD(fa_state.injected) != before) {
        stranded++;
        allow();
    }
    return consistent(P);
}

static int give_all(const pool *P)
{
    while (nheld)
        if (!give(P))
            return 0;
    return 1;
}

/* Trims: `gone` blocks go, with their slots, and stats.bytes falls by what
   the trim returns. One that could not have its array of counts returns 0
   and changes nothing; once allocation works again, it trims. */
static int trim_checked(const pool *P, size_t gone)
{
    long before = LOAD(fa_state.injected);
    rpool_stats b, a;
    size_t r;

    P->stats(&b);
    r = P->trim();
    P->stats(&a);
    if (LOAD(fa_state.injected) != before) {
        if (!WCHECK(r == 0) || !WCHECK(memcmp(&a, &b, sizeof a) == 0) || !consistent(P))
            return 0;
        allow();
        r = P->trim();
        P->stats(&a);
    }
    return WCHECK(b.blocks - a.blocks == gone) && WCHECK(b.bytes - a.bytes == r) &&
           WCHECK(b.carved - a.carved == gone * P->nitems) && consistent(P);
}

/* Destroys the pool, checking that it had lost no id and leaves nothing
   allocated. The calling thread must be the only one that used it and
   still runs. */
static int finish(const pool *P)
{
    rpool_stats st;
    size_t i, carved;

    allow();
    if (!give_all(P))
        return 0;
    P->flush();
    P->stats(&st);
    carved = st.carved;
    if (!WCHECK(st.threads == 0) || !WCHECK(st.retired == 0))
        return 0;
    for (i = 0; i < carved; i++)
        if (!take(P))
            return 0;
    P->stats(&st);
    if (!WCHECK(st.carved == carved) || !give_all(P))
        return 0;
    P->destroy();
    P->stats(&st);
    return WCHECK(st.carved == 0 && st.blocks == 0 && st.bytes == 0 && st.threads == 0) &&
           WCHECK(LOAD(fa_state.live) == 0) && WCHECK(LOAD(fa_state.live_bytes) == 0) &&
           WCHECK(!LOAD(fa_state.bad_free));
}

/* ---- scenarios ------------------------------------------------------------ */

static pool pa, pg, pt;

static void arm(void)
{
    STORE(fa_state.armed, 1);
}

static void disarm(void)
{
    STORE(fa_state.armed, 0);
}

/* First use: local pool, block, group table, group; first chunk. */
static void first_use(void)
{
    arm();
    (void)(take(&pa) && give(&pa) && take(&pa) && take(&pa) && give(&pa) && give(&pa));
}

/* Enough releases to fill chunks and need new ones, then reuse them. */
static void chunks_fill(void)
{
    int i, ok = 1;

    arm();
    for (i = 0; ok && i < 25; i++)
        ok = take(&pa);
    ok = ok && give_all(&pa);
    for (i = 0; ok && i < 25; i++)
        ok = take(&pa);
    ok = ok && give_all(&pa);
}

/* Block 4096 is the first of the second group: 4094 objects are taken
   before arming, then each of the next few takes a new block. */
static void second_group(void)
{
    int i, ok = 1;

    for (i = 0; ok && i < 4094; i++)
        ok = take(&pg);
    arm();
    for (i = 0; ok && i < 4; i++)
        ok = take(&pg);
    (void)(ok && give(&pg) && give(&pg) && take(&pg));
}

/* A thread whose first call is a release, one whose first is an acquire
   and that exits holding objects. */
static void *releaser(void *arg)
{
    int i, ok = 1;

    (void)arg;
    for (i = 0; ok && i < 10; i++)
        ok = give(&pa);
    for (i = 0; ok && i < 5; i++)
        ok = take(&pa);
    ok = ok && give_all(&pa);
    return 0;
}

static void *holder(void *arg)
{
    int i, ok = 1;

    (void)arg;
    for (i = 0; ok && i < 3; i++)
        ok = take(&pa);
    return 0;
}

static void new_threads(void)
{
    pthread_t t;
    int i, ok = 1;

    for (i = 0; ok && i < 10; i++)
        ok = take(&pa);
    arm();
    if (!ok || pthread_create(&t, 0, releaser, 0) != 0)
        return;
    pthread_join(t, 0);
    if (WORKERS_FAILED() || pthread_create(&t, 0, holder, 0) != 0)
        return;
    pthread_join(t, 0);
    if (!WORKERS_FAILED())
        (void)(consistent(&pa) && give_all(&pa));
}

/* Bulk acquires across blocks: a failure rolls back what was taken. */
static void bulk(void)
{
    arm();
    (void)(take_n(&pa, 40) && give_all(&pa) && take_n(&pa, 40) && take_n(&pa, 20) &&
           give_all(&pa));
}

/* Destroy, then the pool is built again from nothing. */
static void destroy_then_reuse(void)
{
    int i, ok = 1;

    arm();
    for (i = 0; ok && i < 5; i++)
        ok = take(&pa);
    ok = ok && give_all(&pa);
    if (!ok)
        return;
    pa.destroy();
    if (!WCHECK(LOAD(fa_state.live) == 0))
        return;
    for (i = 0; ok && i < 5; i++)
        ok = take(&pa);
    (void)(ok && give_all(&pa));
}

/* Of TRIM_BLOCKS blocks, block 2 keeps an object; a trim takes the others
   (ids of theirs stranded, when a release found no chunk), which come back
   zeroed, after block 2's free ids and before any new block. Then a trim
   takes all of them; they come back zeroed, and so does a new block, whose
   memory shares a page with the last of them. */
static void trim_and_revive(void)
{
    size_t i, n = TRIM_BLOCKS * pt.nitems;
    rpool_stats st;
    uint64_t h;
    int ok = 1;

    arm();
    for (i = 0; ok && i < n; i++)
        ok = take(&pt);
    for (i = 0; ok && (held[i] & 0xffffffffu) / pt.nitems != 2; i++)
        ;
    if (!ok)
        return;
    h = held[i];
    held[i] = held[0];
    held[0] = h;
    while (ok && nheld > 1)
        ok = give(&pt);
    pt.flush();
    ok = ok && consistent(&pt) && trim_checked(&pt, TRIM_BLOCKS - 1);
    pt.stats(&st);
    for (i = 0; ok && i < st.global_free; i++)
        ok = take(&pt);
    for (i = 0; ok && i < (TRIM_BLOCKS - 1) * pt.nitems; i++)
        ok = take_object(&pt, 1);
    pt.stats(&st);
    ok = ok && WCHECK(st.blocks == TRIM_BLOCKS) && give_all(&pt);
    pt.flush();
    ok = ok && trim_checked(&pt, TRIM_BLOCKS);
    for (i = 0; ok && i < n + 1; i++)
        ok = take_object(&pt, 1);
    pt.stats(&st);
    (void)(ok && WCHECK(st.blocks == TRIM_BLOCKS + 1));
}

/* ---- the harness ---------------------------------------------------------- */

static int site_hit[NSITES];
static long runs, decommit_runs;

static int site_of(const pool *P, size_t bytes)
{
    int s;

    for (s = 0; s < NSITES; s++)
        if (P->site_bytes[s] == bytes)
            return s;
    return -1;
}

static void reset_run(long fail_at)
{
    STORE(fa_state.armed, 0);
    STORE(fa_state.calls, 0);
    STORE(fa_state.fail_at, fail_at);
    STORE(fa_state.injected, 0);
    STORE(fa_state.first_size, 0);
    STORE(fa_state.decommits, 0);
    STORE(fa_state.decommit_fail_at, 0);
    STORE(fa_state.decommits_failed, 0);
    nheld = 0;
}

/* Runs `scenario` on pool P without failures, then once for every k up to
   the number of allocations it made while armed. */
static void inject_everywhere(const pool *P, void (*scenario)(void))
{
    long k, n;

    reset_run(0);
    scenario();
    disarm();
    n = LOAD(fa_state.calls);
    finish(P);
    CHECK_WORKERS();
    CHECK(n > 0);
    for (k = 1; k <= n; k++) {
        int s;
        reset_run(k);
        scenario();
        disarm();
        /* The k-th call was reached, and it was one of the known sites. */
        s = site_of(P, LOAD(fa_state.first_size));
        WCHECK(LOAD(fa_state.injected) > 0);
        WCHECK(s >= 0);
        if (s >= 0)
            site_hit[s] = 1;
        finish(P);
        /* And the pool works again from nothing. */
        reset_run(0);
        (void)(take(P) && take(P) && finish(P));
        if (WORKERS_FAILED())
            printf("     with allocation %ld of %ld failing:\n", k, n);
        CHECK_WORKERS();
        runs++;
    }
}

/* Runs `scenario` on pool P once to count its RPOOL_DECOMMIT calls, then
   once for every k with them failing from the k-th on. */
static void fail_decommit_everywhere(const pool *P, void (*scenario)(void))
{
    long k, n;

    reset_run(0);
    scenario();
    disarm();
    n = LOAD(fa_state.decommits);
    finish(P);
    CHECK_WORKERS();
    CHECK(n > 0);
    for (k = 1; k <= n; k++) {
        reset_run(0);
        STORE(fa_state.decommit_fail_at, k);
        scenario();
        disarm();
        WCHECK(LOAD(fa_state.decommits_failed) > 0);
        finish(P);
        if (WORKERS_FAILED())
            printf("     with decommit %ld of %ld failing:\n", k, n);
        CHECK_WORKERS();
        decommit_runs++;
    }
}

static void sizes_tell_the_allocation_sites_apart(void)
{
    const pool *ps[3] = { &pa, &pg, &pt };
    int i, s, t;

    for (i = 0; i < 3; i++)
        for (s = 0; s < NSITES; s++)
            for (t = s + 1; t < NSITES; t++)
                CHECK(ps[i]->site_bytes[s] != ps[i]->site_bytes[t]);
}

static void first_use_fails_cleanly_at_every_allocation(void)
{
    inject_everywhere(&pa, first_use);
}

static void filling_chunks_fails_cleanly_at_every_allocation(void)
{
    inject_everywhere(&pa, chunks_fill);
}

static void a_new_group_fails_cleanly_at_every_allocation(void)
{
    inject_everywhere(&pg, second_group);
}

static void new_threads_fail_cleanly_at_every_allocation(void)
{
    inject_everywhere(&pa, new_threads);
}

static void bulk_acquire_fails_whole_at_every_allocation(void)
{
    inject_everywhere(&pa, bulk);
}

static void reuse_after_destroy_fails_cleanly_at_every_allocation(void)
{
    inject_everywhere(&pa, destroy_then_reuse);
}

static void trimming_fails_cleanly_at_every_allocation(void)
{
    inject_everywhere(&pt, trim_and_revive);
}

static void a_failed_decommit_loses_nothing_at_every_call(void)
{
    fail_decommit_everywhere(&pt, trim_and_revive);
}

static void every_allocation_site_was_made_to_fail(void)
{
    int s, hit = 0;

    for (s = 0; s < NSITES; s++) {
        printf("     %-20s %s\n", site_name[s], site_hit[s] ? "failed and recovered" : "NOT REACHED");
        hit += site_hit[s];
    }
    printf("     %d of %d allocation sites, %ld runs (one per k), %ld releases stranded, "
           "%ld runs with decommits failing\n", hit, NSITES, runs, stranded, decommit_runs);
    CHECK_EQ(hit, NSITES);
    CHECK(stranded > 0);
    CHECK(decommit_runs > 0);
}

int main(void)
{
    pa = fa_pool();
    pg = fg_pool();
    pt = ft_pool();
    RUN(sizes_tell_the_allocation_sites_apart);
    RUN(first_use_fails_cleanly_at_every_allocation);
    RUN(filling_chunks_fails_cleanly_at_every_allocation);
    RUN(a_new_group_fails_cleanly_at_every_allocation);
    RUN(new_threads_fail_cleanly_at_every_allocation);
    RUN(bulk_acquire_fails_whole_at_every_allocation);
    RUN(reuse_after_destroy_fails_cleanly_at_every_allocation);
    RUN(trimming_fails_cleanly_at_every_allocation);
    RUN(a_failed_decommit_loses_nothing_at_every_call);
    RUN(every_allocation_site_was_made_to_fail);
    return test_summary();
}
