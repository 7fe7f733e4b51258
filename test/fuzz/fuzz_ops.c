/* fuzz_ops.c - libFuzzer target: the input is a program of pool operations.
 *
 * Each input byte stream is decoded into operations (acquire, release,
 * release_owned, lookup, address, acquire_n, release_n, thread_flush,
 * destroy, for_each, stats, forged and stale handles, allocation failures,
 * init refusals) on nine pools whose configurations reach the engine's
 * corners: tiny capacities, versions that run out after a few uses, 8 id
 * bits, one object per block, a 1-byte and a 64-byte-aligned type, an init
 * that refuses. Every result is checked against a reference model that
 * knows, per id, the version and whether it is live or retired; any
 * mismatch abort()s with the operation and the values.
 *
 * What the model predicts comes from the manual in rpool.h and DESIGN.md,
 * not from the engine's internals: handles are version << id_bits | id; a
 * single thread reuses a free id before it carves a new one and carves ids
 * in order; a release is 0 for the live handle of its id, -EINVAL for an
 * even version or an id past every block, else -ESTALE; a slot retires
 * when its last live version, (1 << version_bits) - 3, is released. A
 * failed acquire_n gives back what it took without spending a version.
 *
 * NAME_destroy does not restart versions: a pool keeps a floor above every
 * version its slots had, where the next life's versions start, and the ids
 * of slots that retired stay retired ("gone": carving skips them, counting
 * each as carved and retired). Every input starts from empty pools and ends
 * by destroying them, but the floor and the gone ids carry over from one
 * input to the next, and so does the model's copy of them: an input replays
 * the same way only after the same inputs (test/fuzz/replay.c runs the seed
 * corpus through this file in `make test`, in name order, in one process).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every allocation of the pools goes through here, so an input can make
   one of them fail. */
static void *fuzz_calloc(size_t n, size_t size);
#define RPOOL_CALLOC(n, size) fuzz_calloc((n), (size))
#include "rpool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- failure report ---------------------------------------------------- */

static unsigned long fuzz_opno;
static const char *fuzz_pool_name = "-";

static void fuzz_fail(int line, const char *what)
{
    fprintf(stderr, "fuzz_ops.c:%d: op %lu on %s: %s\n", line, fuzz_opno, fuzz_pool_name, what);
    abort();
}

static void fuzz_fail_eq(int line, const char *a, const char *b, unsigned long long x,
                         unsigned long long y)
{
    fprintf(stderr, "fuzz_ops.c:%d: op %lu on %s: %s != %s: %llu (%lld) != %llu (%lld)\n", line,
            fuzz_opno, fuzz_pool_name, a, b, x, (long long)x, y, (long long)y);
    abort();
}

#define EXPECT(c)                                                                             \
    do {                                                                                      \
        if (!(c))                                                                             \
            fuzz_fail(__LINE__, #c);                                                          \
    } while (0)

#define EXPECT_EQ(a, b)                                                                       \
    do {                                                                                      \
        unsigned long long expect_x = (unsigned long long)(a);                                \
        unsigned long long expect_y = (unsigned long long)(b);                                \
        if (expect_x != expect_y)                                                             \
            fuzz_fail_eq(__LINE__, #a, #b, expect_x, expect_y);                               \
    } while (0)

/* ---- allocation failure and init refusal, steered by the input ---------- */

static long fault_countdown = -1; /* allocations to let through before one fails */
static unsigned long faults_fired;

static void *fuzz_calloc(size_t n, size_t size)
{
    if (fault_countdown >= 0 && fault_countdown-- == 0) {
        faults_fired++;
        return NULL;
    }
    return calloc(n, size);
}

#define INIT_MARK 0x1a2b3c4d5e6f7081ull

static unsigned init_refuse_bits; /* one bit per coming init call, 1 = refuse */
static unsigned long init_accepts, init_refusals;

/* The init of the p_init pool: sees a zeroed slot, and marks it when it
   accepts, so that acquire can show that the object it returns went
   through init. */
static int fuzz_init(void *obj)
{
    static const unsigned char zero[16];
    uint64_t mark = INIT_MARK;
    int refuse = init_refuse_bits & 1;

    EXPECT(memcmp(obj, zero, sizeof zero) == 0);
    init_refuse_bits >>= 1;
    if (refuse) {
        init_refusals++;
        return 1;
    }
    memcpy(obj, &mark, sizeof mark);
    init_accepts++;
    return 0;
}

/* ---- the pools ----------------------------------------------------------- */

typedef struct { uint64_t head, tail; } obj16;
typedef unsigned char obj1;
typedef struct { _Alignas(64) unsigned char bytes[64]; } obj64;

#define FUZZ_MAXN 64 /* most handles one acquire_n or release_n moves */

/* What the model needs of a pool: its shape and its functions with the
   handle type erased. */
typedef struct pool_desc {
    const char *name;
    const rpool_config *cfg;
    size_t size, align;
    void *(*acquire)(uint64_t *h);
    int (*release)(uint64_t h);
    int (*release_owned)(uint64_t h);
    void *(*lookup)(uint64_t h);
    uint64_t (*id)(uint64_t h);
    void *(*address)(uint64_t id);
    size_t (*acquire_n)(uint64_t *hs, void **objs, size_t n);
    size_t (*release_n)(const uint64_t *hs, size_t n);
    void (*for_each)(void (*fn)(void *obj, uint64_t h, void *arg), void *arg);
    void (*stats)(rpool_stats *out);
    void (*thread_flush)(void);
    void (*destroy)(void);
} pool_desc;

typedef struct visit_ctx {
    void (*fn)(void *obj, uint64_t h, void *arg);
    void *arg;
} visit_ctx;

/* One pool and its adapters. The config is kept twice: once for the pool,
   once for the model, which derives the layout from it as the manual says. */
#define FUZZ_POOL(NAME, T, ...)                                                               \
    RPOOL_DEFINE_STATIC_EX(NAME, T, __VA_ARGS__);                                             \
    static const rpool_config NAME##_cfg = { __VA_ARGS__ };                                  \
    static void *NAME##_acq(uint64_t *h)                                                      \
    {                                                                                         \
        NAME##_handle x = { *h };                                                             \
        T *obj = NAME##_acquire(&x);                                                          \
        *h = x.value;                                                                         \
        return obj;                                                                           \
    }                                                                                         \
    static int NAME##_rel(uint64_t h) { NAME##_handle x = { h }; return NAME##_release(x); }  \
    static int NAME##_rel_owned(uint64_t h)                                                   \
    {                                                                                         \
        NAME##_handle x = { h };                                                              \
        return NAME##_release_owned(x);                                                       \
    }                                                                                         \
    static void *NAME##_look(uint64_t h) { NAME##_handle x = { h }; return NAME##_lookup(x); } \
    static uint64_t NAME##_idof(uint64_t h) { NAME##_handle x = { h }; return NAME##_id(x); } \
    static void *NAME##_addr(uint64_t id) { return NAME##_address(id); }                      \
    static size_t NAME##_acq_n(uint64_t *hs, void **objs, size_t n)                           \
    {                                                                                         \
        NAME##_handle x[FUZZ_MAXN];                                                           \
        T *o[FUZZ_MAXN];                                                                      \
        size_t i, r;                                                                          \
        for (i = 0; i < n; i++) {                                                             \
            x[i].value = hs[i];                                                               \
            o[i] = NULL;                                                                      \
        }                                                                                     \
        r = NAME##_acquire_n(x, objs ? o : NULL, n);                                          \
        for (i = 0; i < n; i++) {                                                             \
            hs[i] = x[i].value;                                                               \
            if (objs)                                                                         \
                objs[i] = o[i];                                                               \
        }                                                                                     \
        return r;                                                                             \
    }                                                                                         \
    static size_t NAME##_rel_n(const uint64_t *hs, size_t n)                                  \
    {                                                                                         \
        NAME##_handle x[FUZZ_MAXN];                                                           \
        size_t i;                                                                             \
        for (i = 0; i < n; i++)                                                               \
            x[i].value = hs[i];                                                               \
        return NAME##_release_n(x, n);                                                        \
    }                                                                                         \
    static void NAME##_visit(T *obj, NAME##_handle h, void *arg)                              \
    {                                                                                         \
        const visit_ctx *c = (const visit_ctx *)arg;                                          \
        c->fn(obj, h.value, c->arg);                                                          \
    }                                                                                         \
    static void NAME##_each(void (*fn)(void *obj, uint64_t h, void *arg), void *arg)          \
    {                                                                                         \
        visit_ctx c = { fn, arg };                                                            \
        NAME##_for_each(NAME##_visit, &c);                                                    \
    }                                                                                         \
    static const pool_desc NAME##_desc = {                                                    \
        #NAME, &NAME##_cfg, sizeof(T), _Alignof(T), NAME##_acq, NAME##_rel,                   \
        NAME##_rel_owned, NAME##_look, NAME##_idof, NAME##_addr, NAME##_acq_n, NAME##_rel_n,  \
        NAME##_each, NAME##_stats, NAME##_thread_flush, NAME##_destroy                        \
    };

/* Defaults throughout (0 = default). */
FUZZ_POOL(p_def, obj16, .block_bytes = 0)
/* Capacity 7, not a multiple of the 4 objects per block; 2-id chunks. */
FUZZ_POOL(p_cap, obj16, .block_items = 4, .chunk_items = 2, .max_items = 7)
/* 4 version bits: a slot retires after 7 uses. */
FUZZ_POOL(p_v4, obj16, .block_items = 8, .chunk_items = 3, .max_items = 24, .version_bits = 4)
/* 56 version bits: 64-bit version words, 8 id bits, so 256 ids. */
FUZZ_POOL(p_v56, obj16, .block_items = 32, .chunk_items = 5, .version_bits = 56)
/* One object per block: every id is its own block. */
FUZZ_POOL(p_one, obj16, .block_items = 1, .max_items = 50, .version_bits = 6)
/* A 1-byte type; 2 version bits: each slot is used once, then retires. */
FUZZ_POOL(p_byte, obj1, .chunk_items = 7, .max_items = 300, .version_bits = 2)
/* 64-byte alignment; 200-byte blocks hold 2 objects; the narrowest wide
   version word. */
FUZZ_POOL(p_wide, obj64, .block_bytes = 200, .chunk_items = 2, .version_bits = 33)
/* An init that refuses when the input says so; 1-id chunks. */
FUZZ_POOL(p_init, obj16, .block_items = 4, .chunk_items = 1, .max_items = 30, .init = fuzz_init)
/* 63 version bits: one id bit, two slots. */
FUZZ_POOL(p_tiny, obj16, .version_bits = 63)

static const pool_desc *const fuzz_pools[] = {
    &p_def_desc, &p_cap_desc, &p_v4_desc, &p_v56_desc, &p_one_desc,
    &p_byte_desc, &p_wide_desc, &p_init_desc, &p_tiny_desc,
};
#define NPOOLS (sizeof fuzz_pools / sizeof fuzz_pools[0])

/* ---- the reference model ------------------------------------------------- */

#define HIST 64 /* handles kept per pool for stale and forged use */

typedef struct slot {
    uint64_t ver;     /* the slot's version */
    uint64_t stamp;   /* handle whose stamp the object holds; 0 = never stamped */
    void *obj;        /* its address, once seen */
    size_t live_at;   /* index in live_h while live */
    unsigned seen;    /* for_each generation that visited it */
    unsigned char live, retired;
} slot;

typedef struct model {
    const pool_desc *d;
    uint64_t nitems, cap, vmask, idmask;
    unsigned idbits;
    slot *slots; /* one per carved id */
    size_t nslots;
    uint64_t carved, live, retired;
    /* What outlives NAME_destroy, and so every input: the versions of a
       life's new slots start at floor (their first handle is floor + 1),
       and gone[id] marks an id whose slot retired in an earlier life. */
    uint64_t floor;
    unsigned char *gone;
    size_t gone_cap; /* ids gone[] covers */
    uint64_t ngone;
    uint64_t *live_h;
    size_t live_cap;
    uint64_t hist[HIST];
    unsigned hist_n, hist_at;
} model;

static model models[NPOOLS];

/* The layout as the manual describes it: the largest power of two of
   objects that fits block_bytes and block_items (at least 1); ids below
   2^(64 - version_bits), below 2^32, and below max_items. */
static void model_layout(model *m, const pool_desc *d)
{
    const rpool_config *c = d->cfg;
    uint64_t per = (c->block_bytes ? c->block_bytes : RPOOL_BLOCK_BYTES) / d->size;
    unsigned vbits = c->version_bits ? c->version_bits : RPOOL_VERSION_BITS;

    if (per > (c->block_items ? c->block_items : RPOOL_BLOCK_ITEMS))
        per = c->block_items ? c->block_items : RPOOL_BLOCK_ITEMS;
    m->nitems = 1;
    while (m->nitems * 2 <= per)
        m->nitems *= 2;
    m->idbits = 64 - vbits;
    m->idmask = (1ull << m->idbits) - 1;
    m->vmask = (1ull << vbits) - 1;
    m->cap = m->idbits < 32 ? 1ull << m->idbits : 0xffffffffull;
    if (c->max_items && c->max_items < m->cap)
        m->cap = c->max_items;
    m->d = d;
}

/* A new life: no slot. The floor and the gone ids stay. */
static void model_reset(model *m)
{
    m->carved = m->live = m->retired = 0;
}

static int is_gone(const model *m, uint64_t id)
{
    return id < m->gone_cap && m->gone[id];
}

static void gone_add(model *m, uint64_t id)
{
    if (id >= m->gone_cap) {
        size_t n = m->gone_cap ? m->gone_cap : 64;
        unsigned char *g;
        while (n <= id)
            n *= 2;
        g = (unsigned char *)realloc(m->gone, n);
        EXPECT(g != NULL);
        memset(g + m->gone_cap, 0, n - m->gone_cap);
        m->gone = g;
        m->gone_cap = n;
    }
    EXPECT(!m->gone[id]);
    m->gone[id] = 1;
    m->ngone++;
}

/* Whether the pool may make blocks in this life: the floor leaves a live
   version for their slots. */
static int can_grow(const model *m) { return m->floor < m->vmask - 1; }

/* Where carving from id `pos` stops skipping gone ids. */
static uint64_t skip_gone(const model *m, uint64_t pos)
{
    while (pos < m->cap && is_gone(m, pos))
        pos++;
    return pos;
}

static slot *slot_of(model *m, uint64_t id)
{
    EXPECT(id < m->carved);
    return &m->slots[id];
}

/* Makes room for one more carved id and returns it, zeroed. */
static slot *slot_new(model *m)
{
    slot *s;

    if (m->carved == m->nslots) {
        size_t n = m->nslots ? m->nslots * 2 : 64;
        s = (slot *)realloc(m->slots, n * sizeof *s);
        EXPECT(s != NULL);
        m->slots = s;
        m->nslots = n;
    }
    s = &m->slots[m->carved++];
    memset(s, 0, sizeof *s);
    return s;
}

/* Carving went up to id `end` (not included) without handing out what it
   carved: a gone id it skipped is a carved, retired slot; any other slot
   it carved is free at the floor, as a failed acquire_n leaves it. Returns
   how many of the latter. */
static uint64_t carve_to(model *m, uint64_t end)
{
    uint64_t k = 0;

    while (m->carved < end) {
        int g = is_gone(m, m->carved);
        slot *s = slot_new(m);
        if (g) {
            s->ver = m->vmask - 1;
            s->retired = 1;
            m->retired++;
        } else {
            s->ver = m->floor;
            k++;
        }
    }
    return k;
}

static uint64_t id_of(const model *m, uint64_t h) { return h & m->idmask; }
static uint64_t ver_of(const model *m, uint64_t h) { return h >> m->idbits; }
static uint64_t free_ids(const model *m) { return m->carved - m->live - m->retired; }
static int has_init(const model *m) { return m->d->cfg->init != NULL; }

static void hist_add(model *m, uint64_t h)
{
    m->hist[m->hist_at] = h;
    m->hist_at = (m->hist_at + 1) % HIST;
    if (m->hist_n < HIST)
        m->hist_n++;
}

static void live_add(model *m, slot *s, uint64_t h)
{
    if (m->live == m->live_cap) {
        size_t n = m->live_cap ? m->live_cap * 2 : 64;
        uint64_t *p = (uint64_t *)realloc(m->live_h, n * sizeof *p);
        EXPECT(p != NULL);
        m->live_h = p;
        m->live_cap = n;
    }
    s->live_at = m->live;
    m->live_h[m->live++] = h;
    s->live = 1;
}

static void live_remove(model *m, slot *s)
{
    uint64_t last = m->live_h[--m->live];

    m->live_h[s->live_at] = last;
    slot_of(m, id_of(m, last))->live_at = s->live_at;
    s->live = 0;
}

/* ---- object contents: stamped with their handle while in use ------------ */

/* A fresh slot is zero, or carries INIT_MARK in a pool with an init; a used
   one keeps the stamp of its last user (the manual: a reused slot keeps what
   its last user left in it, unless RPOOL_DEBUG fills it). The stamp covers
   the first and last 8 bytes, so overlapping objects show. */
static void stamp_bytes(const model *m, uint64_t h, unsigned char *buf)
{
    size_t k = m->d->size < 8 ? m->d->size : 8;
    uint64_t s = h * 0x9e3779b97f4a7c15ull;

    s ^= s >> 29;
    memset(buf, 0, m->d->size);
    if (h == 0 && has_init(m)) {
        uint64_t mark = INIT_MARK;
        memcpy(buf, &mark, sizeof mark);
        return;
    }
    if (h == 0)
        return;
    memcpy(buf, &s, k);
    if (m->d->size >= 16)
        memcpy(buf + m->d->size - 8, &s, 8);
}

static void stamp_check(const model *m, const void *obj, uint64_t h)
{
    unsigned char want[64];
    const unsigned char *p = (const unsigned char *)obj;

    stamp_bytes(m, h, want);
    if (h == 0) {
        EXPECT(memcmp(p, want, m->d->size) == 0);
    } else {
        EXPECT(memcmp(p, want, m->d->size < 8 ? m->d->size : 8) == 0);
        if (m->d->size >= 16)
            EXPECT(memcmp(p + m->d->size - 8, want + m->d->size - 8, 8) == 0);
    }
}

static void stamp_write(const model *m, void *obj, uint64_t h)
{
    unsigned char buf[64];

    stamp_bytes(m, h, buf);
    memcpy(obj, buf, m->d->size < 8 ? m->d->size : 8);
    if (m->d->size >= 16)
        memcpy((char *)obj + m->d->size - 8, buf + m->d->size - 8, 8);
}

/* ---- predictions and model updates ---------------------------------------- */

static void obj_seen(model *m, slot *s, uint64_t id, void *obj)
{
    EXPECT(obj != NULL);
    EXPECT((uintptr_t)obj % m->d->align == 0);
    if (s->obj) {
        EXPECT(obj == s->obj);
    } else {
        EXPECT(m->d->address(id) == obj);
        s->obj = obj;
    }
}

/* A successful acquire handed out h and obj: checks them and records them.
   One thread reuses a free id before it carves, and carves ids in order,
   skipping gone ids; a new slot's first version is floor + 1. */
static int took(model *m, uint64_t h, void *obj)
{
    uint64_t id = id_of(m, h), ver = ver_of(m, h);
    int fresh = free_ids(m) == 0;
    slot *s;

    EXPECT(h != 0);
    EXPECT_EQ(m->d->id(h), id);
    EXPECT(ver & 1);
    EXPECT(ver <= m->vmask - 2);
    if (!fresh) {
        s = slot_of(m, id);
        EXPECT(!s->live);
        EXPECT(!s->retired);
        EXPECT_EQ(ver, s->ver + 1);
    } else {
        EXPECT(can_grow(m));
        EXPECT_EQ(carve_to(m, skip_gone(m, m->carved)), 0);
        EXPECT(m->carved < m->cap);
        EXPECT_EQ(id, m->carved);
        EXPECT_EQ(ver, m->floor + 1);
        s = slot_new(m);
    }
    obj_seen(m, s, id, obj);
    if (RPOOL_DEBUG && !fresh && !has_init(m)) {
        /* Debug builds fill a released object with 0xDB (but for an init's
           pools, whose objects keep their state by design). */
        size_t i;
        for (i = 0; i < m->d->size; i++)
            EXPECT(((const unsigned char *)obj)[i] == 0xdb);
    } else {
        stamp_check(m, obj, s->stamp);
    }
    s->ver = ver;
    live_add(m, s, h);
    hist_add(m, h);
    stamp_write(m, obj, h);
    s->stamp = h;
    return fresh;
}

/* A release of h succeeded. */
static void gave_back(model *m, uint64_t h)
{
    slot *s = slot_of(m, id_of(m, h));

    s->ver++;
    live_remove(m, s);
    if (s->ver == m->vmask - 1) {
        s->retired = 1;
        m->retired++;
    }
}

static uint64_t published_ids(const model *m)
{
    rpool_stats st;
    m->d->stats(&st);
    return (uint64_t)st.blocks * m->nitems;
}

/* What releasing h returns: -EINVAL for an even version or an id past
   every block, 0 for the live handle of its id, else -ESTALE. */
static int expect_release(const model *m, uint64_t h)
{
    uint64_t id = id_of(m, h), ver = ver_of(m, h);

    if (!(ver & 1))
        return -EINVAL;
    if (id >= m->carved)
        return id >= published_ids(m) ? -EINVAL : -ESTALE;
    if (m->slots[id].live && m->slots[id].ver == ver)
        return 0;
    return -ESTALE;
}

/* Whether taking n objects in a row succeeds (0) or which error stops it;
   *carves is how many slots it carves before it stops and *end the id where
   carving stops (gone ids it skips included): free ids go first, then one
   init call per carved slot. With no version left above the floor, no
   block is made. */
static int expect_take(const model *m, uint64_t n, uint64_t *carves, uint64_t *end)
{
    uint64_t k, pos = m->carved, need = n > free_ids(m) ? n - free_ids(m) : 0;
    unsigned bits = init_refuse_bits;

    for (k = 0; k < need; k++) {
        if (can_grow(m))
            pos = skip_gone(m, pos);
        if (!can_grow(m) || pos >= m->cap) {
            *carves = k;
            *end = pos;
            return ENOSPC;
        }
        if (has_init(m)) {
            if (bits & 1) {
                *carves = k;
                *end = pos;
                return ECANCELED;
            }
            bits >>= 1;
        }
        pos++;
    }
    *carves = need;
    *end = pos;
    return 0;
}

static void check_stats(const model *m)
{
    rpool_stats st;
    uint64_t blocks = (m->carved + m->nitems - 1) / m->nitems;

    m->d->stats(&st);
    EXPECT_EQ(st.live, m->live);
    EXPECT_EQ(st.carved, m->carved);
    EXPECT_EQ(st.retired, m->retired);
    EXPECT_EQ(st.cached + st.global_free, free_ids(m));
    EXPECT_EQ(st.live + st.cached + st.global_free + st.retired, st.carved);
    EXPECT(m->carved <= m->cap);
    EXPECT(st.threads <= 1);
    if (st.threads == 0)
        EXPECT_EQ(st.cached, 0);
    /* Ids are carved in order and a block is taken only when the last one
       is used up, so at most one block is not yet carved into. */
    EXPECT(st.blocks >= blocks && st.blocks <= blocks + 1);
}

/* ---- the input ------------------------------------------------------------ */

typedef struct input {
    const uint8_t *p;
    size_t n, at;
} input;

static unsigned u8(input *in) { return in->at < in->n ? in->p[in->at++] : 0; }

static uint64_t u64(input *in)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v = v << 8 | u8(in);
    return v;
}

/* ---- operations ------------------------------------------------------------- */

/* An acquire or acquire_n failed with ENOMEM: how far it carved is not
   known, so stats says, within what it could reach (`end`, see
   expect_take); carving stopped there, and everything it took is back as
   it was (see carve_to). Returns how many slots it carved. */
static uint64_t resync_carved(model *m, uint64_t end)
{
    rpool_stats st;
    uint64_t carves;

    m->d->stats(&st);
    EXPECT(st.carved >= m->carved && st.carved <= end);
    carves = carve_to(m, st.carved);
    EXPECT_EQ(st.live, m->live);
    EXPECT_EQ(st.retired, m->retired);
    return carves;
}

/* One acquire, checked; *h gets the handle. Returns whether it succeeded. */
static int do_acquire(model *m, uint64_t *h)
{
    unsigned long f0 = faults_fired, a0 = init_accepts, r0 = init_refusals;
    uint64_t carves, end;
    int want = expect_take(m, 1, &carves, &end), err, fresh;
    void *obj;

    *h = 0x5555555555555555ull;
    errno = 0;
    obj = m->d->acquire(h);
    err = errno;
    if (obj) {
        rpool_stats st;
        EXPECT_EQ(want, 0);
        fresh = took(m, *h, obj);
        EXPECT_EQ(init_accepts - a0, fresh && has_init(m));
        EXPECT_EQ(init_refusals - r0, 0);
        m->d->stats(&st);
        EXPECT_EQ(st.threads, 1);
        return 1;
    }
    EXPECT_EQ(init_accepts - a0, 0);
    if (faults_fired != f0 && err == ENOMEM) {
        EXPECT_EQ(init_refusals - r0, 0);
        EXPECT_EQ(resync_carved(m, end), 0); /* gone ids skipped, maybe */
        return 0;
    }
    EXPECT(want != 0);
    EXPECT_EQ(err, want);
    EXPECT_EQ(init_refusals - r0, want == ECANCELED);
    EXPECT_EQ(carves, 0);
    EXPECT_EQ(carve_to(m, end), 0); /* gone ids skipped before it stopped */
    return 0;
}

/* The action on a handle: 0 release, 1 release_owned, 2 lookup, 3 id. */
static void act(model *m, uint64_t h, unsigned action)
{
    int want = expect_release(m, h), r;
    void *obj;

    switch (action % 4) {
    case 0:
    case 1:
        r = action % 4 == 0 ? m->d->release(h) : m->d->release_owned(h);
        EXPECT_EQ(r, want);
        if (r == 0)
            gave_back(m, h);
        break;
    case 2:
        obj = m->d->lookup(h);
        if (want == 0) {
            EXPECT(obj == m->slots[id_of(m, h)].obj);
            stamp_check(m, obj, h);
        } else {
            EXPECT(obj == NULL);
        }
        break;
    default:
        EXPECT_EQ(m->d->id(h), id_of(m, h));
        break;
    }
}

static uint64_t pick_live(const model *m, input *in)
{
    return m->live_h[u8(in) % m->live];
}

/* A handle nobody was given, or one that was given once: see the cases. */
static uint64_t forge(const model *m, input *in)
{
    unsigned kind = u8(in) % 12, vbits = 64 - m->idbits;
    uint64_t base = m->hist_n ? m->hist[u8(in) % m->hist_n] : u64(in);
    uint64_t v = u64(in);

    switch (kind) {
    case 0: /* anything */
        return v;
    case 1: /* an issued handle with one version bit flipped */
        return base ^ 1ull << (m->idbits + v % vbits);
    case 2: /* an issued id with an even version */
        return ((v & m->vmask & ~1ull) << m->idbits) | id_of(m, base);
    case 3: /* an issued id with any odd version */
        return ((v & m->vmask) | 1) << m->idbits | id_of(m, base);
    case 4: /* just past the carved ids, maybe inside the last block */
        return (1ull << m->idbits) | ((m->carved + v % 8) & m->idmask);
    case 5: /* past every block */
        return (1ull << m->idbits) | ((published_ids(m) + v % 300) & m->idmask);
    case 6: /* an issued handle with one id bit flipped */
        return base ^ 1ull << (v % m->idbits);
    case 7:
        return 0;
    case 8: /* the all-ones version, never issued */
        return m->vmask << m->idbits | id_of(m, base);
    case 9: /* the highest ids */
        return (1ull << m->idbits) | (m->idmask - v % 4);
    case 10: /* a handle of another pool */
        {
            const model *o = &models[v % NPOOLS];
            return o->hist_n ? o->hist[(v >> 8) % o->hist_n] : v;
        }
    default: /* a live handle from the future */
        return m->live ? m->live_h[v % m->live] + (2ull << m->idbits) : base;
    }
}

static uint64_t pick_any(const model *m, input *in)
{
    unsigned kind = u8(in) % 4;

    if ((kind == 0 || kind == 3) && m->live)
        return pick_live(m, in);
    if (kind == 1 && m->hist_n)
        return m->hist[u8(in) % m->hist_n];
    return forge(m, in);
}

static void do_address(model *m, input *in)
{
    uint64_t v = u8(in), id;
    void *obj;

    switch (u8(in) % 6) {
    case 0: id = v % (m->carved + 2 * m->nitems + 1); break;
    case 1: id = m->cap - 1 + v % 3; break;
    case 2: id = (1ull << 32) + v; break;
    case 3: id = UINT64_MAX - v; break;
    case 4: id = u64(in); break;
    default: id = m->carved; break;
    }
    obj = m->d->address(id);
    if (id < m->carved && slot_of(m, id)->ver == m->floor) {
        EXPECT(obj == NULL); /* carved by a failed acquire_n, never used */
    } else if (id < m->carved) {
        obj_seen(m, slot_of(m, id), id, obj);
    } else if (is_gone(m, id) && id < published_ids(m)) {
        /* Marked retired when its block was made, before carving skips it. */
        EXPECT(obj != NULL);
        EXPECT((uintptr_t)obj % m->d->align == 0);
    } else {
        EXPECT(obj == NULL);
    }
}

static void do_acquire_n(model *m, input *in)
{
    uint64_t hs[FUZZ_MAXN], carves, end, fresh = 0;
    void *objs[FUZZ_MAXN];
    unsigned long f0 = faults_fired, a0 = init_accepts, r0 = init_refusals;
    unsigned arg = u8(in);
    size_t n = arg % (FUZZ_MAXN + 1), i, r;
    int with_objs = arg & 0x80, want = expect_take(m, n, &carves, &end), err;

    for (i = 0; i < n; i++)
        hs[i] = 0x5555555555555555ull;
    errno = 0;
    r = m->d->acquire_n(hs, with_objs ? objs : NULL, n);
    err = errno;
    if (n == 0) {
        EXPECT_EQ(r, 0);
        return;
    }
    if (r == n) {
        EXPECT_EQ(want, 0);
        for (i = 0; i < n; i++)
            fresh += took(m, hs[i], with_objs ? objs[i] : m->d->lookup(hs[i]));
        EXPECT_EQ(init_accepts - a0, has_init(m) ? fresh : 0);
        EXPECT_EQ(init_refusals - r0, 0);
        return;
    }
    /* Failed: every slot it took is back, its version unspent, so the
       model changes only by the ids it carved or skipped. */
    EXPECT_EQ(r, 0);
    for (i = 0; i < n; i++) /* nothing taken */
        EXPECT(m->d->lookup(hs[i]) == NULL);
    if (faults_fired != f0 && err == ENOMEM) {
        EXPECT_EQ(init_refusals - r0, 0);
        carves = resync_carved(m, end);
        EXPECT_EQ(init_accepts - a0, has_init(m) ? carves : 0);
        return;
    }
    EXPECT(want != 0);
    EXPECT_EQ(err, want);
    EXPECT_EQ(init_accepts - a0, has_init(m) ? carves : 0);
    EXPECT_EQ(init_refusals - r0, want == ECANCELED);
    EXPECT_EQ(carve_to(m, end), carves);
}

static void do_release_n(model *m, input *in)
{
    uint64_t hs[FUZZ_MAXN];
    size_t n = u8(in) % 17, i, want = 0;

    /* Predicted one by one, as release_n releases them in order. */
    for (i = 0; i < n; i++) {
        hs[i] = pick_any(m, in);
        if (expect_release(m, hs[i]) == 0) {
            gave_back(m, hs[i]);
            want++;
        }
    }
    EXPECT_EQ(m->d->release_n(hs, n), want);
}

typedef struct each_ctx {
    model *m;
    unsigned mode, gen;
    uint64_t visited;
} each_ctx;

/* Visits a live object; releases some, as for_each allows. */
static void each_visit(void *obj, uint64_t h, void *arg)
{
    each_ctx *c = (each_ctx *)arg;
    model *m = c->m;
    slot *s = slot_of(m, id_of(m, h));

    EXPECT(s->live);
    EXPECT_EQ(s->ver, ver_of(m, h));
    EXPECT(s->seen != c->gen);
    s->seen = c->gen;
    EXPECT(obj == s->obj);
    stamp_check(m, obj, h);
    c->visited++;
    if (c->mode == 0 || c->visited % c->mode != 0)
        return;
    EXPECT_EQ(c->visited & 1 ? m->d->release(h) : m->d->release_owned(h), 0);
    gave_back(m, h);
}

/* for_each visits every live object once; with mode k > 0 it releases
   every k-th one on the way. */
static void visit_all(model *m, unsigned mode)
{
    static unsigned gen;
    each_ctx c;
    uint64_t live = m->live;

    c.m = m;
    c.mode = mode;
    c.gen = ++gen;
    c.visited = 0;
    m->d->for_each(each_visit, &c);
    EXPECT_EQ(c.visited, live);
}

/* The pool keeps a floor above every version a slot that did not retire
   had (rounded up to even), and the ids of the slots that retired, in an
   array of 4-byte ids, its one allocation: when that fails, the floor goes
   to the top and the pool makes no block ever again. */
static void do_destroy(model *m)
{
    rpool_stats st;
    uint64_t id, floor = m->floor, ngone = m->ngone;
    unsigned long f0 = faults_fired;
    int fail;

    for (id = 0; id < m->carved; id++) {
        const slot *s = &m->slots[id];
        if (s->retired)
            ngone += !is_gone(m, id);
        else if (s->ver + (s->ver & 1) > floor)
            floor = s->ver + (s->ver & 1);
    }
    fail = ngone && fault_countdown == 0;
    m->d->destroy();
    EXPECT_EQ(faults_fired - f0, fail);
    if (fail) {
        memset(m->gone, 0, m->gone_cap);
        m->ngone = 0;
        m->floor = m->vmask - 1;
    } else {
        for (id = 0; id < m->carved; id++)
            if (m->slots[id].retired && !is_gone(m, id))
                gone_add(m, id);
        EXPECT_EQ(m->ngone, ngone);
        m->floor = floor;
    }
    model_reset(m);
    m->d->stats(&st);
    EXPECT_EQ(st.live + st.cached + st.global_free + st.carved + st.retired, 0);
    EXPECT_EQ(st.blocks, 0);
    EXPECT_EQ(st.bytes, 4 * m->ngone);
    EXPECT_EQ(st.threads, 0);
}

static void do_flush(model *m)
{
    rpool_stats st;

    m->d->thread_flush();
    m->d->stats(&st);
    EXPECT_EQ(st.threads, 0);
    EXPECT_EQ(st.cached, 0);
}

/* An operation is one byte (taken modulo NOPS) and then the bytes its
   arguments read, in the order the code reads them; past the end of the
   input every byte reads as 0. Operations apply to the current pool, which
   OP_POOL picks (p_def at the start). */
enum {
    OP_POOL,
    OP_ACQUIRE,
    OP_ACQUIRE_AGAIN,
    OP_RELEASE,
    OP_RELEASE_OWNED,
    OP_DOUBLE_RELEASE,
    OP_LOOKUP,
    OP_STALE,
    OP_FORGED,
    OP_ADDRESS,
    OP_ACQUIRE_N,
    OP_RELEASE_N,
    OP_FLUSH,
    OP_DESTROY,
    OP_FOR_EACH,
    OP_STATS,
    OP_CYCLE,
    OP_FILL,
    OP_DRAIN,
    OP_REFUSE,
    OP_FAULT,
    NOPS
};

static void run_op(model **cur, input *in)
{
    model *m = *cur;
    unsigned op = u8(in) % NOPS, i, k;
    uint64_t h;

    switch (op) {
    case OP_POOL:
        *cur = &models[u8(in) % NPOOLS];
        return;
    case OP_ACQUIRE:
    case OP_ACQUIRE_AGAIN:
        do_acquire(m, &h);
        break;
    case OP_RELEASE:
    case OP_RELEASE_OWNED:
    case OP_LOOKUP:
        if (m->live)
            act(m, pick_live(m, in), op == OP_RELEASE ? 0 : op == OP_RELEASE_OWNED ? 1 : 2);
        break;
    case OP_DOUBLE_RELEASE:
        if (m->live) {
            h = pick_live(m, in);
            k = u8(in);
            act(m, h, k & 1);
            act(m, h, k >> 1 & 1);
        }
        break;
    case OP_STALE: /* one read per statement: argument order is unspecified */
        if (m->hist_n) {
            h = m->hist[u8(in) % m->hist_n];
            act(m, h, u8(in));
        }
        break;
    case OP_FORGED:
        h = forge(m, in);
        act(m, h, u8(in));
        break;
    case OP_ADDRESS:
        do_address(m, in);
        break;
    case OP_ACQUIRE_N:
        do_acquire_n(m, in);
        break;
    case OP_RELEASE_N:
        do_release_n(m, in);
        break;
    case OP_FLUSH:
        do_flush(m);
        break;
    case OP_DESTROY:
        do_destroy(m);
        break;
    case OP_FOR_EACH:
        visit_all(m, u8(in) % 5);
        break;
    case OP_STATS:
        for (i = 0; i < NPOOLS; i++)
            check_stats(&models[i]);
        break;
    case OP_CYCLE: /* acquire and release at once: ages a slot's version */
        k = u8(in);
        for (i = 0; i < k % 32 + 1 && do_acquire(m, &h); i++)
            act(m, h, (k >> 5) & 1 ? i & 1 : 0);
        break;
    case OP_FILL: /* runs into the capacity */
        k = u8(in) % 64 + 1;
        for (i = 0; i < k && do_acquire(m, &h); i++)
            ;
        break;
    case OP_DRAIN:
        k = u8(in);
        while (m->live)
            act(m, m->live_h[m->live - 1], k++ & 1);
        break;
    case OP_REFUSE:
        init_refuse_bits = u8(in);
        break;
    default:
        fault_countdown = u8(in) % 8;
        break;
    }
    check_stats(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = { data, size, 0 };
    model *cur = &models[0];
    unsigned i;

    for (i = 0; i < NPOOLS; i++) {
        model_layout(&models[i], fuzz_pools[i]);
        model_reset(&models[i]);
        models[i].hist_n = models[i].hist_at = 0;
    }
    fault_countdown = -1;
    init_refuse_bits = 0;
    for (fuzz_opno = 0; in.at < in.n; fuzz_opno++) {
        fuzz_pool_name = cur->d->name;
        run_op(&cur, &in);
    }
    fault_countdown = -1;
    for (i = 0; i < NPOOLS; i++) {
        fuzz_pool_name = models[i].d->name;
        check_stats(&models[i]);
        visit_all(&models[i], 0);
        do_destroy(&models[i]);
        free(models[i].slots);
        free(models[i].live_h);
        models[i].slots = NULL;
        models[i].live_h = NULL;
        models[i].nslots = models[i].live_cap = 0;
    }
    return 0;
}
