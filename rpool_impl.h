/* rpool_impl.h - the type-erased engine behind rpool.h. Include rpool.h. */
#ifndef RPOOL_H_INCLUDED
#error "rpool_impl.h is the engine of rpool.h: include rpool.h instead"
#endif
#ifndef RPOOL_IMPL_H
#define RPOOL_IMPL_H

/*
 * Map of this file
 *
 *   [layout]   what a (size, alignment, config) triple means: objects per
 *              block, handle split, capacity. Pure arithmetic on constants,
 *              folded away by the compiler in every generated function.
 *   [state]    the pool singleton, blocks, groups, chunks, local pools.
 *   [fast]     acquire, release, release_owned, lookup, pin, unpin, the
 *              walk of for_each: inline, no lock; no atomic
 *              read-modify-write but release's, pin's and unpin's one CAS
 *              and a walk's add at its start and end.
 *   [slow]     everything else, called out of line from the per-type
 *              functions that RPOOL_DEFINE emits.
 *
 * Memory: blocks live side by side in spans (one RPOOL_MAP each, about
 * 256 KiB of address space, committed as it is written); a block is
 *
 *   pad | versions[N] | items[N]        (`stride` bytes)
 *                     ^ base, aligned
 *
 * and its header (lists, stranded bitmap, trim floor) sits apart, in its
 * span's array of headers, so that it outlives a trim.
 *
 * The group table maps a block index to `base`; the version of slot `off`
 * sits at a fixed negative offset from it and the object at a positive one,
 * so id -> (version, object) is table[g] -> group[b] -> base: two dependent
 * loads after the table pointer. A trimmed block's entry is the guard
 * block's base (versions all 0): every handle into it is refused without
 * touching the memory trim handed back (see "trim").
 *
 * Sections: grep for "[layout]", "[state]", "[fast]", "[slow]", and inside
 * [slow] for "---- " (carve ranges, chunks and tails, the thread registry,
 * blocks, acquire and release, stats, iteration, flush, destroy, trim).
 */

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(RPOOL_IMPL_LIBC_FREE) && defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define RPOOL_IMPL_LIKELY(x) __builtin_expect(!!(x), 1)
#define RPOOL_IMPL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RPOOL_IMPL_FAST static inline __attribute__((always_inline))
#define RPOOL_IMPL_UNUSED __attribute__((unused))
#define RPOOL_IMPL_MUST_USE __attribute__((warn_unused_result))
#define RPOOL_IMPL_WEAK __attribute__((weak))
#else
#error "rpool needs GCC or Clang (__atomic builtins, __builtin_clzll)"
#endif

#ifdef __cplusplus
#define RPOOL_IMPL_TLS __thread /* constant-initialized: no C++ TLS wrapper call */
#define RPOOL_IMPL_EXTERN extern "C"
#define RPOOL_IMPL_LINK extern "C"
#define RPOOL_IMPL_CAST(T, x) static_cast<T>(x)
#else
#define RPOOL_IMPL_TLS _Thread_local
#define RPOOL_IMPL_EXTERN extern
#define RPOOL_IMPL_LINK
#define RPOOL_IMPL_CAST(T, x) ((T)(x))
#endif

#define RPOOL_IMPL_LOAD(p, mo) __atomic_load_n((p), __ATOMIC_##mo)
#define RPOOL_IMPL_STORE(p, v, mo) __atomic_store_n((p), (v), __ATOMIC_##mo)
#define RPOOL_IMPL_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define RPOOL_IMPL_SUB(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_RELAXED)

/* RPOOL_DEBUG (see rpool.h): RPOOL_IMPL_DEBUG_CHECK is RPOOL_ASSERT, and a
   released object is filled with RPOOL_IMPL_FILL and, under
   AddressSanitizer, poisoned. Off, the checks are never evaluated and the
   poisoning is empty. */
#if RPOOL_DEBUG
#define RPOOL_IMPL_DEBUG_CHECK(x) RPOOL_ASSERT(x)
#if defined(__SANITIZE_ADDRESS__)
#define RPOOL_IMPL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RPOOL_IMPL_ASAN 1
#endif
#endif
#else
#define RPOOL_IMPL_DEBUG_CHECK(x) ((void)sizeof((x) ? 1 : 0))
#endif
#ifdef RPOOL_IMPL_ASAN
#include <sanitizer/asan_interface.h>
/* Only the 8-byte shadow granules lying wholly inside the object: a granule
   shared with a neighbour would have its shadow byte rewritten by two
   threads at once (one poisoning, one unpoisoning), which corrupts it. */
static inline void rpool_impl_asan_granules(char *p, size_t n, int poison)
{
    uintptr_t lo = ((uintptr_t)p + 7) & ~(uintptr_t)7, hi = ((uintptr_t)p + n) & ~(uintptr_t)7;
    if (hi > lo) {
        if (poison)
            ASAN_POISON_MEMORY_REGION((void *)lo, hi - lo);
        else
            ASAN_UNPOISON_MEMORY_REGION((void *)lo, hi - lo);
    }
}
#define RPOOL_IMPL_POISON(p, n) rpool_impl_asan_granules((p), (n), 1)
#define RPOOL_IMPL_UNPOISON(p, n) rpool_impl_asan_granules((p), (n), 0)
#else
#define RPOOL_IMPL_POISON(p, n) ((void)(p), (void)(n))
#define RPOOL_IMPL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#define RPOOL_IMPL_FILL 0xdb

/* The default block memory: anonymous private mappings (RPOOL_MAP,
   RPOOL_UNMAP, RPOOL_DECOMMIT in rpool.h). A strict ISO build (-std=c11,
   or _POSIX_C_SOURCE alone) hides MAP_ANONYMOUS and madvise; their Linux
   values are the same on the architectures named. */
#if defined(MAP_ANONYMOUS)
#define RPOOL_IMPL_MAP_ANON MAP_ANONYMOUS
#elif defined(MAP_ANON)
#define RPOOL_IMPL_MAP_ANON MAP_ANON
#elif defined(__linux__) && (defined(__x86_64__) || defined(__i386__) || \
                             defined(__aarch64__) || defined(__arm__) || defined(__riscv))
#define RPOOL_IMPL_MAP_ANON 0x20
#else
#error "rpool: define _DEFAULT_SOURCE before any include, or RPOOL_MAP and RPOOL_UNMAP"
#endif
#if defined(MADV_DONTNEED)
#define RPOOL_IMPL_DONTNEED MADV_DONTNEED
#elif defined(__linux__)
#define RPOOL_IMPL_DONTNEED 4
RPOOL_IMPL_EXTERN int madvise(void *addr, size_t len, int advice);
#else
#define RPOOL_IMPL_DONTNEED POSIX_MADV_DONTNEED
#define madvise posix_madvise
#endif

static inline void *rpool_impl_map(size_t bytes)
{
    void *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | RPOOL_IMPL_MAP_ANON, -1, 0);
    return p == MAP_FAILED ? 0 : p;
}

static inline void rpool_impl_unmap(void *p, size_t bytes)
{
    munmap(p, bytes);
}

static inline int rpool_impl_decommit(void *p, size_t bytes)
{
    return madvise(p, bytes, RPOOL_IMPL_DONTNEED);
}

/* Blocks per group. Groups are allocated one at a time, when first needed. */
#define RPOOL_IMPL_GROUP_SHIFT 12u
#define RPOOL_IMPL_GROUP_BLOCKS (1u << RPOOL_IMPL_GROUP_SHIFT)
/* Hard limits (the manual's Capacity): ids are 32-bit in the free chunks;
   at most 2^24 blocks, so that the group table, allocated whole with a
   pool's first block, has at most 4096 entries (32 KiB). */
#define RPOOL_IMPL_MAX_SLOTS 0xffffffffull
#define RPOOL_IMPL_MAX_BLOCKS (1ull << 24)
#define RPOOL_IMPL_MAX_GROUPS 4096u /* MAX_BLOCKS / GROUP_BLOCKS */
#define RPOOL_IMPL_MAX_BLOCK_ITEMS 65536u
#define RPOOL_IMPL_MAX_CHUNK (1u << 20) /* ids per chunk */

/* Bytes of address space a span of blocks takes, at least (see [state]). */
#define RPOOL_IMPL_SPAN_BYTES (1u << 18)

/* A block's header, kept apart from its memory (in its span's array of
   headers) so that it outlives a trim. `next_tail` links blocks whose
   uncarved tail an exiting thread handed back; `next_stranded` links blocks
   holding ids freed while no chunk could be allocated, marked in the bitmap
   (one bit per slot) that follows the struct. A trimmed block (its memory
   handed back by NAME_trim) is on the trimmed list, through `next_tail`
   too (it has no tail), and `floor` is the highest version any of its
   slots had. Everything is under the pool lock. */
struct rpool_impl_block {
    struct rpool_impl_block *next_tail;
    struct rpool_impl_block *next_stranded;
    uint64_t floor;
    uint32_t first; /* id of the block's first slot */
    uint32_t tail_begin; /* a tail always runs to the block's end */
    uint32_t nstranded;
    int trimmed;
};

/* ===================================================================== */
/* [layout]                                                              */
/* ===================================================================== */

typedef struct rpool_impl_layout {
    size_t size;        /* bytes per object */
    size_t align;       /* alignment of the items array, at least 8 */
    uint32_t nitems;    /* objects per block: a power of two */
    unsigned bshift;    /* log2(nitems) */
    unsigned idbits;    /* low bits of a handle holding the id */
    int wide;           /* version words are 64-bit (version_bits > 32) */
    int pins;           /* slot words are 64-bit: version << 32 | pin count */
    uint64_t vmask;     /* all version_bits set */
    size_t hdrbytes;    /* block header with its stranded bitmap */
    size_t vbytes;      /* version words of a block, rounded up to 8 */
    size_t voff;        /* from a block's start to its items: vbytes rounded to align */
    size_t stride;      /* bytes of a block in its span */
    uint32_t span_blocks; /* blocks per span */
    size_t span_bytes;  /* bytes asked of RPOOL_MAP for one span */
    uint32_t chunk;     /* ids per free chunk */
    uint64_t cap;       /* slots that may ever be carved */
    uint32_t ngroups;   /* entries of the group table */
    int (*init)(void *obj);
    unsigned auto_trim; /* percent, 0 = off */
} rpool_impl_layout;

RPOOL_IMPL_FAST unsigned rpool_impl_log2(uint64_t x)
{
    return 63u - RPOOL_IMPL_CAST(unsigned, __builtin_clzll(x));
}

RPOOL_IMPL_FAST uint64_t rpool_impl_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

RPOOL_IMPL_FAST uint64_t rpool_impl_version_bits(const rpool_config *cfg)
{
    return cfg->version_bits ? cfg->version_bits : RPOOL_VERSION_BITS;
}

/* Every field is a function of constants, so in a generated function the
   whole struct folds to immediates. */
RPOOL_IMPL_FAST rpool_impl_layout rpool_impl_layout_of(size_t size, size_t align,
                                                     const rpool_config *cfg)
{
    rpool_impl_layout L;
    uint64_t per, vbits, blocks;

    L.size = size;
    L.align = align < 8 ? 8 : align;
    per = (cfg->block_bytes ? cfg->block_bytes : RPOOL_BLOCK_BYTES) / size;
    per = rpool_impl_min(per, cfg->block_items ? cfg->block_items : RPOOL_BLOCK_ITEMS);
    per = rpool_impl_min(per, RPOOL_IMPL_MAX_BLOCK_ITEMS);
    L.bshift = per ? rpool_impl_log2(per) : 0;
    L.nitems = 1u << L.bshift;

    vbits = rpool_impl_version_bits(cfg);
    vbits = vbits < 2 ? 2 : vbits > 63 ? 63 : vbits; /* out of range: refused, see rpool_impl_check_config */
    L.pins = cfg->pins != 0;
    if (L.pins && vbits > 32) /* refused by the slow path: no handle is ever issued */
        vbits = 32;
    L.idbits = RPOOL_IMPL_CAST(unsigned, 64 - vbits);
    L.wide = vbits > 32;
    L.vmask = (1ull << vbits) - 1;

    L.hdrbytes = sizeof(struct rpool_impl_block) + 8 * ((L.nitems + 63) / 64);
    L.vbytes = (L.nitems * (L.wide || L.pins ? 8u : 4u) + 7) & ~RPOOL_IMPL_CAST(size_t, 7);
    L.voff = (L.vbytes + L.align - 1) & ~(L.align - 1);
    L.stride = (L.voff + L.nitems * size + L.align - 1) & ~(L.align - 1);

    L.chunk = RPOOL_IMPL_CAST(uint32_t,
        rpool_impl_min(cfg->chunk_items ? cfg->chunk_items : L.nitems, RPOOL_IMPL_MAX_CHUNK));

    L.cap = rpool_impl_min(RPOOL_IMPL_MAX_SLOTS, RPOOL_IMPL_MAX_BLOCKS << L.bshift);
    if (L.idbits < 32)
        L.cap = rpool_impl_min(L.cap, 1ull << L.idbits);
    if (cfg->max_items)
        L.cap = rpool_impl_min(L.cap, cfg->max_items);
    blocks = (L.cap + L.nitems - 1) >> L.bshift;
    L.ngroups = RPOOL_IMPL_CAST(uint32_t,
        (blocks + RPOOL_IMPL_GROUP_BLOCKS - 1) >> RPOOL_IMPL_GROUP_SHIFT);
    L.span_blocks = RPOOL_IMPL_CAST(uint32_t,
        rpool_impl_min((RPOOL_IMPL_SPAN_BYTES + L.stride - 1) / L.stride, blocks));
    L.span_blocks = L.span_blocks ? L.span_blocks : 1;
    L.span_bytes = L.span_blocks * L.stride + (L.align > 4096 ? L.align : 0);
    L.init = cfg->init;
    L.auto_trim = cfg->auto_trim;
    return L;
}

/* ===================================================================== */
/* [state]                                                               */
/* ===================================================================== */

/* A free slot: its block's base, so that acquire needs no table walk, and
   the handle its next acquire issues (its id, and the version after the
   one its release left), so that acquire neither loads the version nor
   builds the handle: a free slot's version cannot change while its id sits
   in a chunk (every release of it fails), and not waiting on that load
   takes the table walk and the CAS of the previous release off the path
   from one handle to the next. */
typedef struct rpool_impl_entry {
    char *base;
    union {
        uint64_t next;    /* version + 1 << idbits | id */
        uint32_t half[2]; /* its halves in memory order: see rpool_impl_entry_ver */
    };
} rpool_impl_entry;

typedef struct rpool_impl_chunk {
    struct rpool_impl_chunk *next;
    size_t n;
} rpool_impl_chunk; /* followed by `layout.chunk` entries */

typedef struct rpool_impl_group {
    char *blocks[RPOOL_IMPL_GROUP_BLOCKS]; /* each points at its items (base) */
} rpool_impl_group;

/* The guard block, group and table. A trimmed block's entry, every entry
   of a group before its block is made, and every entry of the static
   guard group point at the guard block's base, whose version words (the
   largest block's worth, below it) all read 0; every entry of the guard
   table, which a pool's table pointer holds until its first block, and
   which a pool's own table holds for groups not yet made, points at the
   guard group. So any id below the table's size reads a version, with
   no bound to check, and a handle into a block never made or trimmed is
   refused without a read of memory the pool handed back. The guard block
   is never written: a release's compare-and-swap against it fails (an odd
   version never equals 0); it is writable memory all the same, because a
   failed locked compare-and-swap may still write back what it read. */
typedef union rpool_impl_guard_block {
    uint64_t words[RPOOL_IMPL_MAX_BLOCK_ITEMS];
    char bytes[8 * RPOOL_IMPL_MAX_BLOCK_ITEMS];
} rpool_impl_guard_block;

#define RPOOL_IMPL_GUARD_BASE (rpool_impl_guard.bytes + sizeof rpool_impl_guard.bytes)
#define RPOOL_IMPL_R4(...) __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__
#define RPOOL_IMPL_R64(...) RPOOL_IMPL_R4(RPOOL_IMPL_R4(RPOOL_IMPL_R4(__VA_ARGS__)))
#define RPOOL_IMPL_R4096(...) RPOOL_IMPL_R64(RPOOL_IMPL_R64(__VA_ARGS__))

/* Blocks live in spans: one RPOOL_MAP each, of span_blocks blocks side by
   side (`stride` bytes each: version words, then items), and an array of
   their headers. A span is address space: its pages are committed as they
   are first written, and NAME_trim decommits those of trimmed blocks, but
   a span stays mapped until NAME_destroy, so no address a handle can reach
   ever faults. Small blocks (256 objects of 16 bytes: 5 KiB) share pages
   this way, where a mapping per block would waste most of a page each. */
typedef struct rpool_impl_span {
    char *raw;  /* what RPOOL_MAP returned */
    char *mem;  /* the first block's start, aligned */
    char *hdrs; /* span_blocks headers, hdrbytes apart */
} rpool_impl_span;

struct rpool_impl_pool;

typedef struct rpool_impl_thread rpool_impl_thread;

/* One per thread per pool. The owner reads its fields plainly and writes
   `top` and `bottom` with relaxed atomic stores, because NAME_stats reads
   them from other threads. `range` packs the uncarved ids [cur, end) as
   cur | end << 32: the owner carves with a compare-and-swap, and a thread
   that finds no range anywhere else takes the whole of it under the pool
   lock (rpool_impl_steal_locked), so ids handed to an idle thread never
   make a pool with room refuse an acquire. A thread starts out pointing at
   a zeroed sentinel (pool == NULL, top == bottom == limit), so both fast
   paths fall through to the slow path without a NULL test. */
typedef struct rpool_impl_local {
    rpool_impl_entry *top;    /* next free entry of the chunk */
    rpool_impl_entry *bottom; /* the chunk's first entry */
    rpool_impl_entry *limit;  /* one past its last */
    uint64_t range;
    rpool_impl_chunk *chunk;
    struct rpool_impl_pool *pool;
    struct rpool_impl_local **tls; /* owner's thread-local pointer */
    struct rpool_impl_local *none; /* the sentinel it pointed at before */
    struct rpool_impl_local *prev, *next; /* the pool's list */
    struct rpool_impl_local *tnext;       /* the owning thread's list */
    rpool_impl_thread *self;              /* the owning thread */
    int in_init;                          /* the config's init is running */
} rpool_impl_local;

typedef struct rpool_impl_pool {
    pthread_mutex_t lock;
    char ***table;            /* ngroups groups, or the guard table: rpool_impl_slot_of */
    uint32_t nblocks;         /* published with release after the block */
    uint32_t nfull;           /* chunks in `full` and `partial`: read unlocked as a hint */
    uint32_t nstranded;       /* blocks in `stranded`: the same */
    rpool_impl_chunk *full;   /* chunks of free ids, each full */
    rpool_impl_chunk *partial; /* at most one chunk of free ids not full */
    rpool_impl_chunk *empty;  /* spare empty chunks, at most threads + 1 */
    size_t nempty;
    struct rpool_impl_block *tails;
    struct rpool_impl_block *stranded;
    rpool_impl_local *locals; /* registry of live local pools */
    size_t handed;            /* slots of carve ranges handed to threads */
    size_t global_free;       /* ids in `full` and `partial` plus stranded ids */
    size_t retired;           /* atomic */
    size_t pending;           /* atomic: released while pinned, not yet recycled */
    size_t blocks, bytes, threads;
    rpool_impl_span *spans;   /* nspans of them, room for spans_cap */
    size_t nspans, spans_cap;
    struct rpool_impl_block *trimmed; /* blocks NAME_trim emptied, made again first */
    size_t walkers;           /* atomic: NAME_for_each calls under way */
    int undecommitted;        /* trimmed blocks whose memory a walk kept */
    size_t trim_at;           /* auto_trim: global_free that calls trim next */
    uint64_t floor;           /* versions of new slots start here: see rpool_impl_destroy */
    uint32_t *gone;           /* ids of slots retired before a destroy */
    size_t ngone;
    struct rpool_impl_pool *next_pool; /* the registry's list of pools in use */
    int listed;               /* on that list */
    rpool_impl_layout layout; /* set with `listed`: thread exit and fork need it */
} rpool_impl_pool;

/* Everything after the lock starts zeroed (rpool.h silences
   -Wmissing-field-initializers around it). */
#define RPOOL_IMPL_POOL_INIT { PTHREAD_MUTEX_INITIALIZER, rpool_impl_guard_table }

/* The thread registry: one for the whole library, shared by every pool
   (weak definitions: one per executable or shared object that holds
   rpool's code). One pthread key whose destructor hands back everything a
   thread holds in every pool, so the number of pool types is not bounded
   by PTHREAD_KEYS_MAX. `lock` guards the key, every thread's list of local
   pools and the list of pools in use (for fork); it is taken before any
   pool lock. */
struct rpool_impl_thread {
    rpool_impl_local *locals; /* this thread's local pools, through tnext */
    int exiting;              /* rpool's key destructor has run for this thread */
};

typedef struct rpool_impl_registry {
    pthread_mutex_t lock;
    rpool_impl_pool *pools;   /* pools with local pools, through next_pool */
    size_t nlocals;           /* local pools in every pool */
    pthread_key_t key;
    int key_ready;
    int atfork_ready;
} rpool_impl_registry;

#ifdef __cplusplus
extern "C" {
#endif
RPOOL_IMPL_WEAK rpool_impl_registry rpool_impl_reg = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0 };
/* See rpool_impl_guard_block. */
RPOOL_IMPL_WEAK rpool_impl_guard_block rpool_impl_guard;
RPOOL_IMPL_WEAK char *rpool_impl_guard_group[RPOOL_IMPL_GROUP_BLOCKS] = {
    RPOOL_IMPL_R4096(RPOOL_IMPL_GUARD_BASE)
};
RPOOL_IMPL_WEAK char **rpool_impl_guard_table[RPOOL_IMPL_MAX_GROUPS] = {
    RPOOL_IMPL_R4096(rpool_impl_guard_group)
};
RPOOL_IMPL_WEAK RPOOL_IMPL_TLS rpool_impl_thread rpool_impl_me;
#ifdef __cplusplus
}
#endif

/* ===================================================================== */
/* [fast]                                                                */
/* ===================================================================== */

/* Block b's entry in the table of groups: two dependent loads, with no
   test, for any b the table covers (see rpool_impl_guard_block). The table
   pointer and its entries change when a pool makes its first block and its
   groups, and block entries when a block is made, trimmed or made again:
   all read with acquire (plain loads on x86). */
RPOOL_IMPL_FAST char **rpool_impl_slot_of(const rpool_impl_pool *pool, uint32_t b)
{
    char ***table = RPOOL_IMPL_LOAD(&pool->table, ACQUIRE);
    char **group = RPOOL_IMPL_LOAD(&table[b >> RPOOL_IMPL_GROUP_SHIFT], ACQUIRE);
    return group + (b & (RPOOL_IMPL_GROUP_BLOCKS - 1));
}

/* A block's entry changes when NAME_trim swaps in the guard and when the
   block is made again: loaded with acquire, so the version words written
   before the swap are seen (a plain load on x86). */
RPOOL_IMPL_FAST char *rpool_impl_base(const rpool_impl_pool *pool, const rpool_impl_layout *L,
                                    uint32_t id)
{
    return RPOOL_IMPL_LOAD(rpool_impl_slot_of(pool, id >> L->bshift), ACQUIRE);
}

/* The base of the guard block (see rpool_impl_guard). */
RPOOL_IMPL_FAST char *rpool_impl_guard_base(void)
{
    return RPOOL_IMPL_GUARD_BASE;
}

/* A pins pool's slot word: version << 32 | pins, the pin count in the low
   RPOOL_IMPL_PIN_BITS bits (the bits between stay 0). */
#define RPOOL_IMPL_PIN_BITS 20u
#define RPOOL_IMPL_PIN_MAX ((1ull << RPOOL_IMPL_PIN_BITS) - 1)

RPOOL_IMPL_FAST uint64_t *rpool_impl_word(const char *base, const rpool_impl_layout *L,
                                        uint32_t off)
{
    return (uint64_t *)(void *)(base - L->vbytes) + off;
}

RPOOL_IMPL_FAST uint64_t rpool_impl_ver_load(const char *base, const rpool_impl_layout *L,
                                           uint32_t off)
{
    const char *v = base - L->vbytes;
    if (L->pins)
        return RPOOL_IMPL_LOAD(rpool_impl_word(base, L, off), RELAXED) >> 32;
    if (L->wide)
        return RPOOL_IMPL_LOAD((const uint64_t *)(const void *)v + off, RELAXED);
    return RPOOL_IMPL_LOAD((const uint32_t *)(const void *)v + off, RELAXED);
}

/* The pins of a slot; 0 in a pool without pins. For RPOOL_DEBUG's checks. */
RPOOL_IMPL_FAST uint64_t rpool_impl_pins_of(const char *base, const rpool_impl_layout *L,
                                          uint32_t off)
{
    if (!L->pins)
        return 0;
    return RPOOL_IMPL_LOAD(rpool_impl_word(base, L, off), RELAXED) & RPOOL_IMPL_PIN_MAX;
}

/* Only for a slot that is not live (so has no pins, and no other thread
   writes its word) and for release_owned without pins. */
RPOOL_IMPL_FAST void rpool_impl_ver_store(char *base, const rpool_impl_layout *L, uint32_t off,
                                        uint64_t ver)
{
    char *v = base - L->vbytes;
    if (L->pins)
        RPOOL_IMPL_STORE(rpool_impl_word(base, L, off), ver << 32, RELAXED);
    else if (L->wide)
        RPOOL_IMPL_STORE((uint64_t *)(void *)v + off, ver, RELAXED);
    else
        RPOOL_IMPL_STORE((uint32_t *)(void *)v + off, RPOOL_IMPL_CAST(uint32_t, ver), RELAXED);
}

RPOOL_IMPL_FAST int rpool_impl_ver_cas(char *base, const rpool_impl_layout *L, uint32_t off,
                                     uint64_t expect, uint64_t ver)
{
    char *v = base - L->vbytes;
    if (L->pins) { /* only an unpinned word matches */
        uint64_t e = expect << 32;
        return __atomic_compare_exchange_n(rpool_impl_word(base, L, off), &e, ver << 32, 0,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    } else if (L->wide) {
        uint64_t e = expect;
        return __atomic_compare_exchange_n((uint64_t *)(void *)v + off, &e, ver, 0,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    } else {
        uint32_t e = RPOOL_IMPL_CAST(uint32_t, expect);
        return __atomic_compare_exchange_n((uint32_t *)(void *)v + off, &e,
                                           RPOOL_IMPL_CAST(uint32_t, ver), 0,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
}

/* Versions: 0 = never carved; odd = live; even = free. The last live
   version is vmask - 2; releasing it stores vmask - 1 (retired), after
   which the slot is never handed out again. Version words are accessed
   relaxed: no data is published through them. Objects change hands through
   the pool lock (chunks) or through the caller's own synchronisation.
   Pins pools are the exception: there the library, not the caller, decides
   who recycles a slot, so release and unpin are acquire-release, and
   whatever the releaser wrote and every pinner read happens before the
   slot's recycling. */
RPOOL_IMPL_FAST int rpool_impl_is_retired(const rpool_impl_layout *L, uint64_t ver)
{
    if (L->wide)
        return ver == L->vmask - 1;
    return RPOOL_IMPL_CAST(uint32_t, ver) == RPOOL_IMPL_CAST(uint32_t, L->vmask - 1);
}

/* Whether the id of `h` lies in the table's reach: then *id and *base
   locate it, *base being the guard block's for a block not made or
   trimmed. Safe for any 64-bit value. With the default 32 id bits and 256
   objects a block the table reaches every id, and the test folds away. */
RPOOL_IMPL_FAST int rpool_impl_check(const rpool_impl_pool *pool, const rpool_impl_layout *L,
                                   uint64_t h, uint32_t *id, char **base)
{
    uint64_t raw = h & ((1ull << L->idbits) - 1);
    uint64_t b = raw >> L->bshift;

    if (L->idbits >= 32) /* 32-bit arithmetic; `raw >> 32` below refuses wider ids */
        b = RPOOL_IMPL_CAST(uint32_t, raw) >> L->bshift;
    if (RPOOL_IMPL_UNLIKELY(b >= (uint64_t)L->ngroups << RPOOL_IMPL_GROUP_SHIFT || raw >> 32))
        return 0;
    *id = RPOOL_IMPL_CAST(uint32_t, raw);
    *base = RPOOL_IMPL_LOAD(rpool_impl_slot_of(pool, RPOOL_IMPL_CAST(uint32_t, b)), ACQUIRE);
    return 1;
}

/* The error for a handle whose check passed but whose version did not
   match: -EINVAL if its block was never made (no such handle was issued),
   else -ESTALE. Off the fast path. */
RPOOL_IMPL_FAST int rpool_impl_mismatch(const rpool_impl_pool *pool, const rpool_impl_layout *L,
                                      uint32_t id)
{
    return id >> L->bshift >= RPOOL_IMPL_LOAD(&pool->nblocks, ACQUIRE) ? -EINVAL : -ESTALE;
}

/* The handle an acquire of free slot `id`, at version `cur`, issues. */
RPOOL_IMPL_FAST uint64_t rpool_impl_next(const rpool_impl_layout *L, uint32_t id, uint64_t cur)
{
    return (cur + 1) << L->idbits | id;
}

RPOOL_IMPL_FAST uint32_t rpool_impl_entry_id(const rpool_impl_entry *e, const rpool_impl_layout *L)
{
    return RPOOL_IMPL_CAST(uint32_t, e->next & ((1ull << L->idbits) - 1));
}

/* The version of the handle entry `e` issues. With 32 id bits and 32-bit
   version words that is the upper half of `next`, read as its own 4 bytes
   of the entry: one load, where a shift of the loaded handle takes two
   instructions (W1 per pair: gcc 46 -> 45, clang 46 -> 45). The load is
   atomic only so that clang does not fold it back into the shift; the
   entry is the owning thread's alone. */
RPOOL_IMPL_FAST uint64_t rpool_impl_entry_ver(const rpool_impl_entry *e, const rpool_impl_layout *L)
{
    if (L->idbits != 32 || L->pins)
        return e->next >> L->idbits;
    return RPOOL_IMPL_LOAD(&e->half[__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__], RELAXED);
}

/* Marks the free slot that entry `e` names live, at the version of the
   handle it holds, and hands it out: the step every acquire ends in. The
   object is never NULL, which the compiler is told, so that a caller's
   NULL test costs nothing on this path. */
RPOOL_IMPL_FAST void *rpool_impl_issue(const rpool_impl_entry *e, const rpool_impl_layout *L,
                                     uint64_t *handle)
{
    char *base = e->base;
    uint64_t next = e->next, ver = rpool_impl_entry_ver(e, L);
    uint32_t off = RPOOL_IMPL_CAST(uint32_t, next & ((1ull << L->idbits) - 1)) & (L->nitems - 1);
    char *obj = base + off * L->size;

    RPOOL_IMPL_DEBUG_CHECK(rpool_impl_ver_load(base, L, off) == ver - 1);
    RPOOL_IMPL_DEBUG_CHECK(rpool_impl_pins_of(base, L, off) == 0);
    RPOOL_IMPL_DEBUG_CHECK((ver & 1) && !rpool_impl_is_retired(L, ver - 1)); /* was free */
    rpool_impl_ver_store(base, L, off, ver);
    *handle = next;
    RPOOL_IMPL_UNPOISON(obj, L->size);
    if (!obj)
        __builtin_unreachable();
    return obj;
}

/* What the out-of-line acquire returns: the object (NULL on failure) and
   its handle, in two registers, so that the caller's handle need not live
   in memory because the slow path could write it. */
typedef struct rpool_impl_got {
    void *obj;
    uint64_t h;
} rpool_impl_got;

RPOOL_IMPL_FAST void *rpool_impl_acquire(rpool_impl_pool *pool, rpool_impl_local **tls,
                                       size_t size, size_t align, const rpool_config *cfg,
                                       uint64_t *handle, rpool_impl_got (*slow)(void))
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    rpool_impl_local *lp = *tls;
    rpool_impl_entry *e = lp->top;
    rpool_impl_got got;

    (void)pool;
    if (RPOOL_IMPL_LIKELY(e != lp->bottom)) {
        e--;
        RPOOL_IMPL_STORE(&lp->top, e, RELAXED);
        return rpool_impl_issue(e, &L, handle);
    }
    got = slow(); /* h is 0, the null handle, on failure */
    *handle = got.h;
    return got.obj;
}

/* A slot about to be reused: RPOOL_DEBUG fills it (not init's objects,
   which keep their state by design) and poisons it. */
RPOOL_IMPL_FAST void rpool_impl_scrub(char *base, const rpool_impl_layout *L, uint32_t off)
{
    if (RPOOL_DEBUG && !L->init)
        memset(base + off * L->size, RPOOL_IMPL_FILL, L->size);
    RPOOL_IMPL_POISON(base + off * L->size, L->size);
}

/* Pins pools: (ver, pins) -> (ver + 1, pins), one CAS, or 0 when the slot
   is not at version `ver`. *pins: the pins it had. Always atomic, owned or
   not: a plain store would lose a pin taken in between. */
RPOOL_IMPL_FAST int rpool_impl_word_release(char *base, const rpool_impl_layout *L, uint32_t off,
                                          uint64_t ver, uint64_t *pins)
{
    uint64_t *word = rpool_impl_word(base, L, off), w = RPOOL_IMPL_LOAD(word, RELAXED);

    do {
        if (w >> 32 != ver)
            return 0;
    } while (!__atomic_compare_exchange_n(word, &w, w + (1ull << 32), 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    *pins = w & RPOOL_IMPL_PIN_MAX;
    return 1;
}

/* Validates `h` and marks its slot free. Returns 0, -EINVAL or -ESTALE; on
   success *basep and *idp locate the slot, and *keep says the caller must
   not reuse its id: the slot used its last version (retired), or it is
   pinned and its last unpin recycles it (pending). */
RPOOL_IMPL_FAST int rpool_impl_commit(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                    uint64_t h, int owned, char **basep, uint32_t *idp,
                                    int *keep)
{
    uint64_t ver = h >> L->idbits, next = ver + 1, pins = 0;
    uint32_t off;
    char *base = 0; /* set by the check; GCC 12 at -O2 cannot always tell */

    if (RPOOL_IMPL_UNLIKELY(!(ver & 1) || !rpool_impl_check(pool, L, h, idp, &base)))
        return -EINVAL;
    off = *idp & (L->nitems - 1);
    if (L->pins) {
        if (RPOOL_IMPL_UNLIKELY(!rpool_impl_word_release(base, L, off, ver, &pins)))
            return rpool_impl_mismatch(pool, L, *idp);
    } else if (owned) {
        if (RPOOL_IMPL_UNLIKELY(rpool_impl_ver_load(base, L, off) != ver))
            return rpool_impl_mismatch(pool, L, *idp);
        rpool_impl_ver_store(base, L, off, next);
    } else if (RPOOL_IMPL_UNLIKELY(!rpool_impl_ver_cas(base, L, off, ver, next))) {
        return rpool_impl_mismatch(pool, L, *idp);
    }
    *basep = base;
    *keep = rpool_impl_is_retired(L, next);
    if (RPOOL_IMPL_UNLIKELY(*keep))
        RPOOL_IMPL_ADD(&pool->retired, 1);
    if (L->pins && RPOOL_IMPL_UNLIKELY(pins)) { /* pinners may still read it */
        if (!*keep)
            RPOOL_IMPL_ADD(&pool->pending, 1);
        *keep = 1;
        return 0;
    }
    rpool_impl_scrub(base, L, off);
    return 0;
}

RPOOL_IMPL_FAST int rpool_impl_release(rpool_impl_pool *pool, rpool_impl_local **tls,
                                     size_t size, size_t align, const rpool_config *cfg,
                                     uint64_t h, int owned, int (*slow)(uint64_t, int))
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    rpool_impl_local *lp = *tls;
    rpool_impl_entry *e = lp->top;
    uint32_t id = 0;
    char *base = 0;
    int r, keep = 0;

    if (RPOOL_IMPL_UNLIKELY(e == lp->limit))
        return slow(h, owned);
    r = rpool_impl_commit(pool, &L, h, owned, &base, &id, &keep);
    if (RPOOL_IMPL_LIKELY(r == 0 && !keep)) {
        e->base = base;
        e->next = h + (2ull << L.idbits);
        RPOOL_IMPL_STORE(&lp->top, e + 1, RELAXED);
    }
    return r;
}

RPOOL_IMPL_FAST void *rpool_impl_lookup(const rpool_impl_pool *pool, size_t size, size_t align,
                                      const rpool_config *cfg, uint64_t h)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    uint64_t ver = h >> L.idbits;
    uint32_t id = 0, off;
    char *base = 0;

    if (!(ver & 1) || !rpool_impl_check(pool, &L, h, &id, &base))
        return 0;
    off = id & (L.nitems - 1);
    if (rpool_impl_ver_load(base, &L, off) != ver)
        return 0;
    return base + off * L.size;
}

RPOOL_IMPL_FAST uint64_t rpool_impl_id(size_t size, size_t align, const rpool_config *cfg,
                                     uint64_t h)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    return h & ((1ull << L.idbits) - 1);
}

RPOOL_IMPL_FAST void *rpool_impl_address(const rpool_impl_pool *pool, size_t size, size_t align,
                                       const rpool_config *cfg, uint64_t id)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    uint32_t off = RPOOL_IMPL_CAST(uint32_t, id) & (L.nitems - 1);
    uint32_t id32 = 0;
    char *base = 0;

    if (id >= L.cap || !rpool_impl_check(pool, &L, id, &id32, &base) ||
        base == rpool_impl_guard_base() ||
        rpool_impl_ver_load(base, &L, off) == RPOOL_IMPL_LOAD(&pool->floor, RELAXED))
        return 0;
    return base + off * L.size;
}

/* Adds a pin only while the slot is at the handle's live version: one CAS
   that never writes a slot the caller does not hold, so a stale pin leaves
   a free or reused slot untouched. */
RPOOL_IMPL_FAST void *rpool_impl_pin(const rpool_impl_pool *pool, size_t size, size_t align,
                                   const rpool_config *cfg, uint64_t h)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    uint64_t ver = h >> L.idbits, *word, w;
    uint32_t id = 0, off;
    char *base = 0;

    if (!L.pins) {
        errno = ENOTSUP;
        return 0;
    }
    if (RPOOL_IMPL_UNLIKELY(!(ver & 1) || !rpool_impl_check(pool, &L, h, &id, &base))) {
        errno = EINVAL;
        return 0;
    }
    off = id & (L.nitems - 1);
    word = rpool_impl_word(base, &L, off);
    w = RPOOL_IMPL_LOAD(word, RELAXED);
    do {
        if (RPOOL_IMPL_UNLIKELY(w >> 32 != ver)) {
            errno = -rpool_impl_mismatch(pool, &L, id);
            return 0;
        }
        if (RPOOL_IMPL_UNLIKELY((w & RPOOL_IMPL_PIN_MAX) == RPOOL_IMPL_PIN_MAX)) {
            errno = EOVERFLOW;
            return 0;
        }
    } while (!__atomic_compare_exchange_n(word, &w, w + 1, 1, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return base + off * L.size;
}

/* Takes a pin off while the slot is at the handle's version (still live) or
   the next (released, pending): one CAS. The unpin that takes the last pin
   off a released slot recycles it, through `last`. */
RPOOL_IMPL_FAST int rpool_impl_unpin(const rpool_impl_pool *pool, size_t size, size_t align,
                                   const rpool_config *cfg, uint64_t h, void (*last)(uint64_t))
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    uint64_t ver = h >> L.idbits, *word, w;
    uint32_t id = 0;
    char *base = 0;

    if (!L.pins || RPOOL_IMPL_UNLIKELY(!(ver & 1) || !rpool_impl_check(pool, &L, h, &id, &base)))
        return -EINVAL;
    word = rpool_impl_word(base, &L, id & (L.nitems - 1));
    w = RPOOL_IMPL_LOAD(word, RELAXED);
    do {
        if (RPOOL_IMPL_UNLIKELY((w >> 32 != ver && w >> 32 != ver + 1) ||
                                !(w & RPOOL_IMPL_PIN_MAX)))
            return -EINVAL;
    } while (!__atomic_compare_exchange_n(word, &w, w - 1, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    if (RPOOL_IMPL_UNLIKELY(w >> 32 != ver && (w & RPOOL_IMPL_PIN_MAX) == 1))
        last(h);
    return 0;
}

/* A walk over the live slots, for NAME_for_each: the blocks published
   when it began, in id order. The generated loop is two plain loops over
   these three functions, which all inline, so that the compiler sees a
   loop over each block's slots with its base hoisted, one version load per
   slot and the caller's callback, when it can see it, inlined: the speed
   of a loop over an array. A slot whose version is even (free, or 0: never
   carved) is skipped, so each slot is seen at most once per walk, at the
   version it had when the walk reached it. */
typedef struct rpool_impl_walk {
    char *base;     /* the current block's items */
    uint32_t first; /* the id of its first slot */
    uint32_t end;   /* its slots to look at: fewer than nitems past L.cap */
    uint32_t next;  /* the next block */
    uint32_t nb;    /* blocks published when the walk began */
} rpool_impl_walk;

/* Announced before any table entry is read: a trim that sees a walk under
   way keeps the memory of the blocks it trims until a later trim. */
RPOOL_IMPL_FAST rpool_impl_walk rpool_impl_walk_begin(rpool_impl_pool *pool)
{
    rpool_impl_walk w = { 0, 0, 0, 0, 0 };

    __atomic_fetch_add(&pool->walkers, 1, __ATOMIC_SEQ_CST);
    w.nb = RPOOL_IMPL_LOAD(&pool->nblocks, ACQUIRE);
    return w;
}

RPOOL_IMPL_FAST void rpool_impl_walk_end(rpool_impl_pool *pool)
{
    __atomic_fetch_sub(&pool->walkers, 1, __ATOMIC_RELEASE);
}

/* Moves the walk to its next block: 0 when none is left. */
RPOOL_IMPL_FAST int rpool_impl_walk_block(const rpool_impl_pool *pool, size_t size, size_t align,
                                        const rpool_config *cfg, rpool_impl_walk *w)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);

    if (w->next == w->nb)
        return 0;
    w->base = RPOOL_IMPL_LOAD(rpool_impl_slot_of(pool, w->next), ACQUIRE); /* maybe the guard */
    w->first = w->next << L.bshift;
    w->end = RPOOL_IMPL_CAST(uint32_t, rpool_impl_min(L.nitems, L.cap - w->first));
    w->next++;
    return 1;
}

/* Whether slot `off` of the walk's block is live; *obj and *handle name it
   then. */
RPOOL_IMPL_FAST int rpool_impl_walk_live(size_t size, size_t align, const rpool_config *cfg,
                                       const rpool_impl_walk *w, uint32_t off, void **obj,
                                       uint64_t *handle)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    uint64_t ver = rpool_impl_ver_load(w->base, &L, off);

    *obj = w->base + off * L.size;
    *handle = ver << L.idbits | (w->first + off);
    return RPOOL_IMPL_CAST(int, ver & 1);
}

/* ===================================================================== */
/* [slow]                                                                */
/* ===================================================================== */

static inline void *rpool_impl_alloc(rpool_impl_pool *pool, size_t bytes)
{
    void *p = RPOOL_CALLOC(1, bytes);
    if (p)
        RPOOL_IMPL_ADD(&pool->bytes, bytes);
    return p;
}

static inline void rpool_impl_free(rpool_impl_pool *pool, void *p, size_t bytes)
{
    if (p) {
        RPOOL_IMPL_SUB(&pool->bytes, bytes);
        RPOOL_FREE(p);
    }
}

static inline void rpool_impl_lock(pthread_mutex_t *lock)
{
    int r = pthread_mutex_lock(lock);
    RPOOL_ASSERT(r == 0);
    (void)r;
}

static inline void rpool_impl_unlock(pthread_mutex_t *lock)
{
    int r = pthread_mutex_unlock(lock);
    RPOOL_ASSERT(r == 0);
    (void)r;
}

/* Pool lock held (the array of spans grows under it). Block b's header. */
static inline struct rpool_impl_block *rpool_impl_header(const rpool_impl_pool *pool,
                                                         const rpool_impl_layout *L, uint32_t b)
{
    const rpool_impl_span *sp = &pool->spans[b / L->span_blocks];
    return (struct rpool_impl_block *)(void *)(sp->hdrs + (size_t)(b % L->span_blocks) *
                                                              L->hdrbytes);
}

/* Block b's first byte: the start of its version words' stride. */
static inline char *rpool_impl_block_start(const rpool_impl_pool *pool,
                                           const rpool_impl_layout *L, uint32_t b)
{
    return pool->spans[b / L->span_blocks].mem + (size_t)(b % L->span_blocks) * L->stride;
}

static inline uint64_t *rpool_impl_bitmap(struct rpool_impl_block *blk)
{
    return (uint64_t *)(void *)(blk + 1);
}

static inline size_t rpool_impl_chunk_bytes(const rpool_impl_layout *L)
{
    return sizeof(rpool_impl_chunk) + sizeof(rpool_impl_entry) * L->chunk;
}

static inline rpool_impl_entry *rpool_impl_entries(rpool_impl_chunk *c)
{
    return (rpool_impl_entry *)(void *)(c + 1);
}

/* Entries in a local chunk. Read by NAME_stats from another thread, whose
   two loads may straddle the owner swapping chunks: clamped to 0..chunk. */
static inline size_t rpool_impl_cached(const rpool_impl_local *lp, const rpool_impl_layout *L)
{
    const rpool_impl_entry *bottom = RPOOL_IMPL_LOAD(&lp->bottom, RELAXED);
    const rpool_impl_entry *top = RPOOL_IMPL_LOAD(&lp->top, RELAXED);
    uintptr_t n = ((uintptr_t)top - (uintptr_t)bottom) / sizeof(rpool_impl_entry);

    return top < bottom ? 0 : n > L->chunk ? L->chunk : n;
}

/* Installs chunk `c` (or none) as the local chunk, holding c->n entries. */
static inline void rpool_impl_set_chunk(rpool_impl_local *lp, const rpool_impl_layout *L,
                                        rpool_impl_chunk *c)
{
    rpool_impl_entry *e = c ? rpool_impl_entries(c) : 0;

    lp->chunk = c;
    lp->limit = c ? e + L->chunk : 0;
    RPOOL_IMPL_STORE(&lp->bottom, e, RELAXED);
    RPOOL_IMPL_STORE(&lp->top, c ? e + c->n : 0, RELAXED);
}

static inline void rpool_impl_push(rpool_impl_local *lp, const rpool_impl_layout *L, char *base,
                                   uint32_t id, uint64_t ver)
{
    rpool_impl_entry *e = lp->top;
    e->base = base;
    e->next = rpool_impl_next(L, id, ver);
    RPOOL_IMPL_STORE(&lp->top, e + 1, RELAXED);
}

/* ---- carve ranges ------------------------------------------------------ */

static inline uint64_t rpool_impl_range(uint32_t cur, uint32_t end)
{
    return (uint64_t)end << 32 | cur;
}

static inline uint32_t rpool_impl_range_cur(uint64_t r)
{
    return RPOOL_IMPL_CAST(uint32_t, r);
}

static inline uint32_t rpool_impl_range_end(uint64_t r)
{
    return RPOOL_IMPL_CAST(uint32_t, r >> 32);
}

static inline uint32_t rpool_impl_uncarved(uint64_t r)
{
    uint32_t cur = rpool_impl_range_cur(r), end = rpool_impl_range_end(r);
    return end > cur ? end - cur : 0;
}

static inline void rpool_impl_set_range(rpool_impl_local *lp, uint32_t cur, uint32_t end)
{
    RPOOL_IMPL_STORE(&lp->range, rpool_impl_range(cur, end), RELAXED);
}

/* ---- chunks and tails going to the global side ------------------------- */

/* RPOOL_DEBUG: every id in a chunk leaving its thread names a free slot. */
static inline void rpool_impl_debug_chunk(const rpool_impl_pool *pool, const rpool_impl_layout *L,
                                          rpool_impl_chunk *c)
{
    const rpool_impl_entry *e = rpool_impl_entries(c);
    size_t i;

    RPOOL_IMPL_DEBUG_CHECK(c->n <= L->chunk);
    for (i = 0; RPOOL_DEBUG && i < c->n; i++) {
        uint32_t id = rpool_impl_entry_id(&e[i], L);
        uint64_t ver = rpool_impl_ver_load(e[i].base, L, id & (L->nitems - 1));
        RPOOL_IMPL_DEBUG_CHECK(e[i].next == rpool_impl_next(L, id, ver));
        RPOOL_IMPL_DEBUG_CHECK(e[i].base == rpool_impl_base(pool, L, id));
        RPOOL_IMPL_DEBUG_CHECK(ver >= pool->floor && !(ver & 1) && !rpool_impl_is_retired(L, ver));
        RPOOL_IMPL_DEBUG_CHECK(rpool_impl_pins_of(e[i].base, L, id & (L->nitems - 1)) == 0);
    }
    (void)pool;
}

/* Pool lock held. Keeps an empty chunk as a spare, or frees it when the
   pool has one per thread already: a pool's spares never outnumber its
   threads, however many threads came and went. */
static inline void rpool_impl_spare_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                           rpool_impl_chunk *c)
{
    if (pool->nempty > pool->threads) {
        rpool_impl_free(pool, c, rpool_impl_chunk_bytes(L));
        return;
    }
    c->next = pool->empty;
    pool->empty = c;
    pool->nempty++;
}

/* Pool lock held. Adds a chunk of free ids to the global side. A full one
   joins `full`; a partial one (a thread exiting or flushing) is poured into
   the pool's one partial chunk, so partial chunks never pile up: the ids
   of any pattern of exits take whole chunks, plus one. */
static inline void rpool_impl_put_chunk_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                               rpool_impl_chunk *c)
{
    rpool_impl_chunk *p = pool->partial;
    size_t k;

    pool->global_free += c->n;
    if (c->n < L->chunk && p) {
        k = rpool_impl_min(c->n, L->chunk - p->n);
        c->n -= k;
        memcpy(rpool_impl_entries(p) + p->n, rpool_impl_entries(c) + c->n,
               k * sizeof(rpool_impl_entry));
        p->n += k;
        if (p->n < L->chunk) {
            rpool_impl_spare_locked(pool, L, c); /* all of c fitted */
            return;
        }
        pool->partial = 0;
        RPOOL_IMPL_STORE(&pool->nfull, pool->nfull - 1, RELAXED);
        rpool_impl_put_chunk_locked(pool, L, p);
        pool->global_free -= p->n;
        if (!c->n) {
            rpool_impl_spare_locked(pool, L, c);
            return;
        }
    }
    if (c->n == L->chunk) {
        c->next = pool->full;
        pool->full = c;
    } else {
        pool->partial = c;
    }
    RPOOL_IMPL_STORE(&pool->nfull, pool->nfull + 1, RELAXED);
}

/* Pool lock held. Hands the local chunk, if any, to the global side. */
static inline void rpool_impl_give_chunk_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                                rpool_impl_local *lp)
{
    rpool_impl_chunk *c = lp->chunk;

    if (!c)
        return;
    c->n = RPOOL_IMPL_CAST(size_t, lp->top - lp->bottom);
    rpool_impl_set_chunk(lp, L, 0);
    rpool_impl_debug_chunk(pool, L, c);
    if (c->n)
        rpool_impl_put_chunk_locked(pool, L, c);
    else
        rpool_impl_spare_locked(pool, L, c);
}

/* Pool lock held. Takes a chunk of free ids (a full one first) off the
   global side, or NULL. */
static inline rpool_impl_chunk *rpool_impl_get_chunk_locked(rpool_impl_pool *pool)
{
    rpool_impl_chunk *c = pool->full;

    if (c)
        pool->full = c->next;
    else if ((c = pool->partial) != 0)
        pool->partial = 0;
    else
        return 0;
    pool->global_free -= c->n;
    RPOOL_IMPL_STORE(&pool->nfull, pool->nfull - 1, RELAXED);
    return c;
}

static inline void rpool_impl_strand_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                            uint32_t id);

/* Pool lock held. Records a thread's uncarved range in its block, where the
   next thread that runs out of free ids carves it before any new block. A
   block never has two uncarved ranges: a range is only ever moved whole.
   When the thread is gone (exited, or not in a fork's child), has cached
   ids (a chunk) and the pool has no init (its fresh slots need nothing
   run), the whole range goes with those ids instead, in its chunk (or
   stranded in its block when the chunk is full), so that whoever takes
   them has the block to itself. Split between two threads, one taking the
   ids and one carving the tail, a block's slots share pages and often
   cache lines, and both threads slow down: neighbouring lines passed back
   and forth cost W3 of make bench 274 -> 9.5 ns per pair when the split
   moved to a fresh line of version words, and the pages left shared (the
   hardware prefetcher pulls a page's neighbouring lines to the other
   core) cost W8's two threads about 15 % of a thread's pairs per
   CPU-second until the split went. A thread with no chunk has no cached
   ids to split from: its range stays a tail. Call it before handing the
   chunk back. */
static inline void rpool_impl_give_tail_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                               rpool_impl_local *lp, int gone)
{
    uint64_t r = RPOOL_IMPL_LOAD(&lp->range, RELAXED);
    uint32_t cur = rpool_impl_range_cur(r), end = rpool_impl_range_end(r);

    for (; gone && lp->chunk && !L->init && cur < end; cur++) {
        char *base = rpool_impl_base(pool, L, cur);
        uint64_t ver = rpool_impl_ver_load(base, L, cur & (L->nitems - 1));
        if (rpool_impl_is_retired(L, ver)) {
            RPOOL_IMPL_ADD(&pool->retired, 1);
        } else if (lp->top != lp->limit) {
            rpool_impl_push(lp, L, base, cur, ver);
        } else {
            rpool_impl_strand_locked(pool, L, cur);
            pool->global_free++;
        }
    }
    if (cur < end) {
        struct rpool_impl_block *blk = rpool_impl_header(pool, L, cur >> L->bshift);
        blk->tail_begin = cur;
        blk->next_tail = pool->tails;
        pool->tails = blk;
        pool->handed -= end - cur;
    }
    rpool_impl_set_range(lp, 0, 0);
}

static inline size_t rpool_impl_trim_locked(rpool_impl_pool *pool, const rpool_impl_layout *L);

/* Pool lock held, a full chunk (a release) or a thread's cache (a flush or
   an exit) just given to the global side: the auto_trim policy. Trims
   when at least auto_trim percent of the slots handed out are free ids
   there, and at most once until they grow by half again (or by four
   chunks), so a run of releases costs O(ids) in trims; the count starts
   over whenever the share falls below the mark. */
static inline void rpool_impl_auto_trim_locked(rpool_impl_pool *pool, const rpool_impl_layout *L)
{
    size_t step;

    if (pool->global_free * 100 < (size_t)L->auto_trim * pool->handed) {
        pool->trim_at = 0;
        return;
    }
    if (pool->global_free < pool->trim_at)
        return;
    rpool_impl_trim_locked(pool, L);
    step = pool->global_free / 2 > 4 * (size_t)L->chunk ? pool->global_free / 2 : 4 * (size_t)L->chunk;
    pool->trim_at = pool->global_free + step;
}

/* ---- the thread registry: thread exit, fork, plugins ------------------- */

/* Registry and pool locks held (or, in a fork's child, no other thread).
   Hands back everything `lp` holds and takes it off its pool's list and
   the registry's count; its thread's list is the caller's business. */
static inline void rpool_impl_detach_locked(rpool_impl_pool *pool, rpool_impl_local *lp,
                                            int gone)
{
    rpool_impl_give_tail_locked(pool, &pool->layout, lp, gone);
    rpool_impl_give_chunk_locked(pool, &pool->layout, lp);
    if (lp->prev)
        lp->prev->next = lp->next;
    else
        pool->locals = lp->next;
    if (lp->next)
        lp->next->prev = lp->prev;
    pool->threads--;
    rpool_impl_reg.nlocals--;
}

/* Registry lock held. Hands back everything `lp` holds, takes it off its
   pool's and its thread's lists, points the thread back at the sentinel
   and frees it. The owner is the calling thread, or a thread that is not
   inside a call on this pool (NAME_destroy's rule). */
static inline void rpool_impl_drop_locked(rpool_impl_local *lp)
{
    rpool_impl_pool *pool = lp->pool;
    rpool_impl_local **pp = &lp->self->locals;

    rpool_impl_lock(&pool->lock);
    rpool_impl_detach_locked(pool, lp, lp->self->exiting);
    if (pool->layout.auto_trim)
        rpool_impl_auto_trim_locked(pool, &pool->layout);
    rpool_impl_unlock(&pool->lock);
    while (*pp != lp)
        pp = &(*pp)->tnext;
    *pp = lp->tnext;
    *lp->tls = lp->none;
    rpool_impl_free(pool, lp, sizeof *lp);
}

/* The key's destructor. It marks the thread as exiting: from then on any
   pool it uses (another library's key destructor, a later round) hands
   everything back at the end of each call, so nothing is stranded
   whichever destructor round uses a pool after this one ran. */
RPOOL_IMPL_LINK RPOOL_IMPL_WEAK void rpool_impl_thread_exit(void *arg);
RPOOL_IMPL_LINK RPOOL_IMPL_WEAK void rpool_impl_thread_exit(void *arg)
{
    (void)arg;
    rpool_impl_lock(&rpool_impl_reg.lock);
    rpool_impl_me.exiting = 1;
    while (rpool_impl_me.locals)
        rpool_impl_drop_locked(rpool_impl_me.locals);
    rpool_impl_unlock(&rpool_impl_reg.lock);
}

/* fork: the parent holds every lock across it, so the child finds each
   pool consistent; the child then takes back what the parent's other
   threads (which do not exist in the child) held in their caches. */
RPOOL_IMPL_LINK RPOOL_IMPL_WEAK void rpool_impl_fork_prepare(void);
RPOOL_IMPL_LINK RPOOL_IMPL_WEAK void rpool_impl_fork_prepare(void)
{
    rpool_impl_pool *pool;

    rpool_impl_lock(&rpool_impl_reg.lock);
    for (pool = rpool_impl_reg.pools; pool; pool = pool->next_pool)
        rpool_impl_lock(&pool->lock);
}

RPOOL_IMPL_LINK RPOOL_IMPL_WEAK void rpool_impl_fork_parent(void);
RPOOL_IMPL_LINK RPOOL_IMPL_WEAK void rpool_impl_fork_parent(void)
{
    rpool_impl_pool *pool;

    for (pool = rpool_impl_reg.pools; pool; pool = pool->next_pool)
        rpool_impl_unlock(&pool->lock);
    rpool_impl_unlock(&rpool_impl_reg.lock);
}

RPOOL_IMPL_LINK RPOOL_IMPL_WEAK void rpool_impl_fork_child(void);
RPOOL_IMPL_LINK RPOOL_IMPL_WEAK void rpool_impl_fork_child(void)
{
    rpool_impl_pool *pool;
    rpool_impl_local *lp, *next;

    pthread_mutex_init(&rpool_impl_reg.lock, 0);
    for (pool = rpool_impl_reg.pools; pool; pool = pool->next_pool) {
        pthread_mutex_init(&pool->lock, 0);
        /* Walks under way were other threads' (a fn must not fork). */
        RPOOL_IMPL_STORE(&pool->walkers, 0, RELAXED);
        for (lp = pool->locals; lp; lp = next) {
            next = lp->next;
            if (lp->self == &rpool_impl_me)
                continue;
            /* Another thread's: its thread is gone, so only the pool's list
               and the registry's count know it. */
            rpool_impl_detach_locked(pool, lp, 1);
            rpool_impl_free(pool, lp, sizeof *lp);
        }
    }
}

/* Registry lock held. The key and the fork handlers, made on first use.
   Returns 0, or EAGAIN when the process has no pthread key left. */
static inline int rpool_impl_registry_ready_locked(void)
{
    if (!rpool_impl_reg.atfork_ready) {
        if (pthread_atfork(rpool_impl_fork_prepare, rpool_impl_fork_parent,
                           rpool_impl_fork_child) != 0)
            return ENOMEM;
        rpool_impl_reg.atfork_ready = 1;
    }
    if (!rpool_impl_reg.key_ready) {
        if (pthread_key_create(&rpool_impl_reg.key, rpool_impl_thread_exit) != 0)
            return EAGAIN;
        rpool_impl_reg.key_ready = 1;
    }
    return 0;
}

/* The calling thread's local pool, created on first use; NULL + errno
   (ENOMEM, or EAGAIN when no pthread key is left). */
static inline rpool_impl_local *rpool_impl_local_get(rpool_impl_pool *pool,
                                                     rpool_impl_local **tls,
                                                     const rpool_impl_layout *L)
{
    rpool_impl_local *lp = *tls;
    int err;

    if (lp->pool)
        return lp;
    lp = RPOOL_IMPL_CAST(rpool_impl_local *, rpool_impl_alloc(pool, sizeof *lp));
    if (!lp) {
        errno = ENOMEM;
        return 0;
    }
    rpool_impl_lock(&rpool_impl_reg.lock);
    err = rpool_impl_registry_ready_locked();
    if (!err && !pthread_getspecific(rpool_impl_reg.key) &&
        pthread_setspecific(rpool_impl_reg.key, &rpool_impl_reg) != 0)
        err = ENOMEM;
    if (err) {
        rpool_impl_unlock(&rpool_impl_reg.lock);
        rpool_impl_free(pool, lp, sizeof *lp);
        errno = err;
        return 0;
    }
    lp->pool = pool;
    lp->tls = tls;
    lp->none = *tls;
    lp->self = &rpool_impl_me;
    lp->tnext = rpool_impl_me.locals;
    rpool_impl_me.locals = lp;
    rpool_impl_reg.nlocals++;
    rpool_impl_lock(&pool->lock);
    if (!pool->listed) {
        pool->layout = *L;
        pool->listed = 1;
        pool->next_pool = rpool_impl_reg.pools;
        rpool_impl_reg.pools = pool;
    }
    lp->next = pool->locals;
    if (lp->next)
        lp->next->prev = lp;
    pool->locals = lp;
    pool->threads++;
    rpool_impl_unlock(&pool->lock);
    rpool_impl_unlock(&rpool_impl_reg.lock);
    *tls = lp;
    return lp;
}

/* End of a slow-path call: a thread that is exiting keeps no cache. */
static inline void rpool_impl_local_done(rpool_impl_local *lp)
{
    if (RPOOL_IMPL_UNLIKELY(rpool_impl_me.exiting) && lp && !RPOOL_IMPL_LOAD(&lp->in_init, RELAXED)) {
        rpool_impl_lock(&rpool_impl_reg.lock);
        rpool_impl_drop_locked(lp);
        rpool_impl_unlock(&rpool_impl_reg.lock);
    }
}

/* ---- blocks ------------------------------------------------------------ */

/* Pool lock held. Makes sure block `b` has a place in the group table. */
static inline int rpool_impl_grow_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                         uint32_t b)
{
    uint32_t g = b >> RPOOL_IMPL_GROUP_SHIFT;
    rpool_impl_group *grp;

    char ***table = pool->table;
    uint32_t i;

    if (table == rpool_impl_guard_table) {
        table = RPOOL_IMPL_CAST(char ***, rpool_impl_alloc(pool, sizeof *table * L->ngroups));
        if (!table)
            return -ENOMEM;
        for (i = 0; i < L->ngroups; i++)
            table[i] = rpool_impl_guard_group;
        RPOOL_IMPL_STORE(&pool->table, table, RELEASE);
    }
    if (table[g] == rpool_impl_guard_group) {
        grp = RPOOL_IMPL_CAST(rpool_impl_group *, rpool_impl_alloc(pool, sizeof *grp));
        if (!grp)
            return -ENOMEM;
        for (i = 0; i < RPOOL_IMPL_GROUP_BLOCKS; i++)
            grp->blocks[i] = rpool_impl_guard_base();
        RPOOL_IMPL_STORE(&table[g], &grp->blocks[0], RELEASE);
    }
    return 0;
}

/* Pool lock held. A new block's version words: the pool's floor, so that
   no handle from before a NAME_destroy matches, and the retired mark for
   slots that retired before it, so they stay retired. */
static inline void rpool_impl_new_versions_locked(const rpool_impl_pool *pool,
                                                  const rpool_impl_layout *L, char *base,
                                                  uint32_t first)
{
    uint32_t off;
    size_t i;

    for (off = 0; pool->floor && off < L->nitems; off++)
        rpool_impl_ver_store(base, L, off, pool->floor);
    for (i = 0; i < pool->ngone; i++)
        if (pool->gone[i] - first < L->nitems)
            rpool_impl_ver_store(base, L, pool->gone[i] - first, L->vmask - 1);
}

/* Pool lock held. Takes the whole uncarved range of some other thread
   (not one whose init is running, see rpool_impl_carve); 0 if none. */
static inline int rpool_impl_steal_locked(rpool_impl_pool *pool, rpool_impl_local *thief,
                                          uint32_t *begin, uint32_t *end)
{
    rpool_impl_local *lp;

    for (lp = pool->locals; lp; lp = lp->next) {
        uint64_t r = RPOOL_IMPL_LOAD(&lp->range, ACQUIRE);
        while (lp != thief && rpool_impl_uncarved(r) && !RPOOL_IMPL_LOAD(&lp->in_init, RELAXED)) {
            uint32_t cur = rpool_impl_range_cur(r);
            if (__atomic_compare_exchange_n(&lp->range, &r, rpool_impl_range(cur, cur), 0,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                *begin = cur;
                *end = rpool_impl_range_end(r);
                return 1;
            }
        }
    }
    return 0;
}

/* Pool lock held. Room for one more span in the array of spans. */
static inline int rpool_impl_span_room_locked(rpool_impl_pool *pool)
{
    rpool_impl_span *spans;
    size_t cap = pool->spans_cap ? 2 * pool->spans_cap : 4;

    if (pool->nspans < pool->spans_cap)
        return 0;
    spans = RPOOL_IMPL_CAST(rpool_impl_span *, rpool_impl_alloc(pool, cap * sizeof *spans));
    if (!spans)
        return -ENOMEM;
    if (pool->nspans)
        memcpy(spans, pool->spans, pool->nspans * sizeof *spans);
    rpool_impl_free(pool, pool->spans, pool->spans_cap * sizeof *spans);
    pool->spans = spans;
    pool->spans_cap = cap;
    return 0;
}

/* Pool lock held. Makes block b = nblocks: a new span when b starts one (an
   RPOOL_MAP of span_bytes, and its headers), a place in the group table,
   its version words; then publishes it. 0, -ENOMEM. */
static inline int rpool_impl_make_block_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                               uint32_t b)
{
    struct rpool_impl_block *blk;
    rpool_impl_span sp;
    char *base;
    int r;

    if (b / L->span_blocks == pool->nspans) {
        if (rpool_impl_span_room_locked(pool))
            return -ENOMEM;
        sp.raw = RPOOL_IMPL_CAST(char *, RPOOL_MAP(L->span_bytes));
        if (!sp.raw)
            return -ENOMEM;
        sp.hdrs = RPOOL_IMPL_CAST(char *, rpool_impl_alloc(pool, L->span_blocks * L->hdrbytes));
        if (!sp.hdrs) {
            RPOOL_UNMAP(sp.raw, L->span_bytes);
            return -ENOMEM;
        }
        sp.mem = sp.raw + (L->align - (uintptr_t)sp.raw % L->align) % L->align;
        /* AddressSanitizer keeps the shadow of unmapped memory: a span
           mapped where an earlier one lay starts with its poison. */
        RPOOL_IMPL_UNPOISON(sp.raw, L->span_bytes);
        pool->spans[pool->nspans++] = sp;
    }
    r = rpool_impl_grow_locked(pool, L, b);
    if (r)
        return r;
    blk = rpool_impl_header(pool, L, b);
    base = rpool_impl_block_start(pool, L, b) + L->voff;
    blk->first = b << L->bshift;
    rpool_impl_new_versions_locked(pool, L, base, blk->first);
    RPOOL_IMPL_STORE(rpool_impl_slot_of(pool, b), base, RELEASE);
    RPOOL_IMPL_STORE(&pool->nblocks, b + 1, RELEASE);
    pool->blocks++;
    RPOOL_IMPL_ADD(&pool->bytes, L->stride);
    return 0;
}

/* A trimmed block taken off the trimmed list (so no trim touches it, and
   its table entry is still the guard): zero-filled again, and every
   version set to its floor, above any version its slots ever had. */
static inline void rpool_impl_revive(const rpool_impl_layout *L, char *base, uint64_t floor)
{
    uint32_t off;

    RPOOL_IMPL_UNPOISON(base, L->nitems * L->size);
    memset(base, 0, L->nitems * L->size);
    for (off = 0; off < L->nitems; off++)
        rpool_impl_ver_store(base, L, off, floor);
}

/* Gives `lp` a new range to carve: a tail some exited thread handed back,
   else a trimmed block made again, else a fresh block, else (the id space
   or max_items reached) what another thread has not carved yet. Returns 0,
   1 when there is no range but there are free ids on the global side (a
   thread exited or flushed after the caller looked: take those), -ENOSPC
   (every slot carved) or -ENOMEM. */
static inline int rpool_impl_new_range(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                       rpool_impl_local *lp)
{
    struct rpool_impl_block *blk;
    uint32_t begin = 0, end = 0;
    char *base;
    int r = 0;

    rpool_impl_lock(&pool->lock);
    if (pool->tails) {
        blk = pool->tails;
        pool->tails = blk->next_tail;
        begin = blk->tail_begin;
        end = RPOOL_IMPL_CAST(uint32_t, rpool_impl_min((uint64_t)blk->first + L->nitems, L->cap));
        pool->handed += end - begin;
        goto out;
    }
    if (pool->trimmed) {
        blk = pool->trimmed;
        pool->trimmed = blk->next_tail;
        blk->next_tail = 0;
        blk->trimmed = 0;
        /* Under the lock, a few microseconds: no other thread finds the
           pool with its capacity in a block half made (a false ENOSPC, or
           a new block made before it), and no fork copies it so. */
        base = rpool_impl_block_start(pool, L, blk->first >> L->bshift) + L->voff;
        rpool_impl_revive(L, base, blk->floor);
        RPOOL_IMPL_STORE(rpool_impl_slot_of(pool, blk->first >> L->bshift), base, RELEASE);
        begin = blk->first;
        end = RPOOL_IMPL_CAST(uint32_t, rpool_impl_min((uint64_t)begin + L->nitems, L->cap));
        pool->blocks++;
        RPOOL_IMPL_ADD(&pool->bytes, L->stride);
        pool->handed += end - begin;
        goto out;
    }
    if ((uint64_t)pool->nblocks << L->bshift >= L->cap || pool->floor >= L->vmask - 1) {
        /* No id left for a new block, or no version for its slots. */
        if (rpool_impl_steal_locked(pool, lp, &begin, &end))
            r = 0;
        else
            r = pool->full || pool->partial || pool->stranded ? 1 : -ENOSPC;
        goto out;
    }
    r = rpool_impl_make_block_locked(pool, L, pool->nblocks);
    if (r == 0) {
        begin = (pool->nblocks - 1) << L->bshift;
        end = RPOOL_IMPL_CAST(uint32_t, rpool_impl_min((uint64_t)begin + L->nitems, L->cap));
        pool->handed += end - begin;
    }
out:
    if (r == 0)
        rpool_impl_set_range(lp, begin, end);
    rpool_impl_unlock(&pool->lock);
    return r;
}

/* Pool lock held. Takes one id stranded by a release that found no chunk. */
static inline uint32_t rpool_impl_unstrand_locked(rpool_impl_pool *pool)
{
    struct rpool_impl_block *blk = pool->stranded;
    uint64_t *bits = rpool_impl_bitmap(blk);
    uint32_t w = 0, id;

    while (!bits[w])
        w++;
    id = blk->first + w * 64 + RPOOL_IMPL_CAST(uint32_t, __builtin_ctzll(bits[w]));
    bits[w] &= bits[w] - 1;
    if (--blk->nstranded == 0) {
        pool->stranded = blk->next_stranded;
        RPOOL_IMPL_STORE(&pool->nstranded, pool->nstranded - 1, RELAXED);
    }
    pool->global_free--;
    return id;
}

/* Pool lock held. Marks free id `id` in its block's bitmap. */
static inline void rpool_impl_strand_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                            uint32_t id)
{
    struct rpool_impl_block *blk = rpool_impl_header(pool, L, id >> L->bshift);
    uint32_t off = id & (L->nitems - 1);

    RPOOL_IMPL_DEBUG_CHECK(!(rpool_impl_bitmap(blk)[off / 64] >> (off % 64) & 1)); /* freed twice */
    rpool_impl_bitmap(blk)[off / 64] |= 1ull << (off % 64);
    if (blk->nstranded++ == 0) {
        blk->next_stranded = pool->stranded;
        pool->stranded = blk;
        RPOOL_IMPL_STORE(&pool->nstranded, pool->nstranded + 1, RELAXED);
    }
}

/* Keeps a freed id in its block's bitmap when no chunk could be had, so a
   release never fails for lack of memory and loses nothing. */
static inline void rpool_impl_strand(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                     uint32_t id)
{
    rpool_impl_lock(&pool->lock);
    rpool_impl_strand_locked(pool, L, id);
    pool->global_free++;
    rpool_impl_unlock(&pool->lock);
}

/* Pool lock held. Fills the empty local chunk of `lp` with stranded ids
   (free ids kept in blocks' bitmaps: by a release that found no chunk, or
   by NAME_trim, which keeps the global side's ids there). */
static inline void rpool_impl_unstrand_chunk_locked(rpool_impl_pool *pool,
                                                    const rpool_impl_layout *L,
                                                    rpool_impl_local *lp)
{
    rpool_impl_entry *e = lp->bottom;

    while (pool->stranded && e != lp->limit) {
        uint32_t id = rpool_impl_unstrand_locked(pool);
        char *base = rpool_impl_base(pool, L, id);
        e->base = base;
        e->next = rpool_impl_next(L, id, rpool_impl_ver_load(base, L, id & (L->nitems - 1)));
        e++;
    }
    RPOOL_IMPL_STORE(&lp->top, e, RELAXED);
}

/* Whether every field holds a value rpool.h allows. A build that folds the
   config never gets here with a bad one (rpool.h makes it an error); one
   that does not (-O0) gets a pool whose every acquire fails with EINVAL. */
static inline int rpool_impl_check_config(const rpool_config *cfg)
{
    return RPOOL_IMPL_VERSION_BITS_OK(cfg->version_bits) &&
           RPOOL_IMPL_BLOCK_ITEMS_OK(cfg->block_items) &&
           RPOOL_IMPL_CHUNK_ITEMS_OK(cfg->chunk_items) &&
           RPOOL_IMPL_PINS_OK(cfg->pins, cfg->version_bits) &&
           RPOOL_IMPL_AUTO_TRIM_OK(cfg->auto_trim);
}

/* ---- acquire and release ----------------------------------------------- */

/* Carves the next slot of the thread's range: 1 with *obj set, 0 when the
   range is empty, -1 (errno set) when init refused or is running. While
   init runs on a reserved slot, `in_init` keeps thieves off the range (they
   read it after the reserving compare-and-swap, which releases it), so a
   refusal can give the slot back to the range as it was; an acquire of the
   same pool from inside init cannot carve (EDEADLK). A slot that retired
   before a NAME_destroy is skipped. */
static inline int rpool_impl_carve_range(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                         rpool_impl_local *lp, uint64_t *handle, void **obj)
{
    uint64_t r = RPOOL_IMPL_LOAD(&lp->range, RELAXED), cur;
    uint32_t id, off;
    char *base;
    rpool_impl_entry e;

    for (;;) {
        if (!rpool_impl_uncarved(r))
            return 0;
        if (!__atomic_compare_exchange_n(&lp->range, &r, r + 1, 0, __ATOMIC_RELEASE,
                                         __ATOMIC_RELAXED))
            continue;
        id = rpool_impl_range_cur(r);
        off = id & (L->nitems - 1);
        base = rpool_impl_base(pool, L, id);
        cur = rpool_impl_ver_load(base, L, off);
        if (rpool_impl_is_retired(L, cur)) {
            RPOOL_IMPL_ADD(&pool->retired, 1);
            r++;
            continue;
        }
        if (L->init && L->init(base + off * L->size) != 0) {
            rpool_impl_set_range(lp, id, rpool_impl_range_end(r));
            errno = ECANCELED;
            return -1;
        }
        e.base = base;
        e.next = rpool_impl_next(L, id, cur);
        *obj = rpool_impl_issue(&e, L, handle);
        return 1;
    }
}

static inline int rpool_impl_carve(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                   rpool_impl_local *lp, uint64_t *handle, void **obj)
{
    int r;

    if (!L->init)
        return rpool_impl_carve_range(pool, L, lp, handle, obj);
    if (RPOOL_IMPL_LOAD(&lp->in_init, RELAXED)) {
        errno = EDEADLK;
        return -1;
    }
    RPOOL_IMPL_STORE(&lp->in_init, 1, RELAXED);
    r = rpool_impl_carve_range(pool, L, lp, handle, obj);
    RPOOL_IMPL_STORE(&lp->in_init, 0, RELAXED);
    return r;
}

/* Acquire when the local chunk is empty: global chunk, stranded id, carve,
   new range, in that order. NULL + errno on failure. */
static inline void *rpool_impl_acquire_slow(rpool_impl_pool *pool, rpool_impl_local **tls,
                                            size_t size, size_t align, const rpool_config *cfg,
                                            uint64_t *handle)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    rpool_impl_local *lp;
    void *obj = 0;
    uint32_t id = 0;
    int r, tried = 0; /* tried: to get a chunk for stranded ids */

    if (!rpool_impl_check_config(cfg)) {
        errno = EINVAL;
        return 0;
    }
    lp = rpool_impl_local_get(pool, tls, &L);
    if (!lp)
        return 0;
    for (;;) {
        if (lp->top != lp->bottom) {
            rpool_impl_entry *e = lp->top - 1;
            RPOOL_IMPL_STORE(&lp->top, e, RELAXED);
            obj = rpool_impl_issue(e, &L, handle);
            break;
        }
        if (RPOOL_IMPL_LOAD(&pool->nfull, RELAXED) || RPOOL_IMPL_LOAD(&pool->nstranded, RELAXED)) {
            rpool_impl_chunk *c = 0;
            int stranded = 0, want = 0;
            rpool_impl_lock(&pool->lock);
            if ((c = rpool_impl_get_chunk_locked(pool)) != 0) {
                rpool_impl_give_chunk_locked(pool, &L, lp);
                rpool_impl_set_chunk(lp, &L, c);
            } else if (pool->stranded && lp->chunk) { /* a chunk's worth at once */
                rpool_impl_unstrand_chunk_locked(pool, &L, lp);
                c = lp->chunk;
            } else if (pool->stranded && !tried) {
                want = 1;
            } else if (pool->stranded) {
                id = rpool_impl_unstrand_locked(pool);
                stranded = 1;
            }
            rpool_impl_unlock(&pool->lock);
            if (want) {
                /* A thread without a chunk (one that has only carved, say
                   after a trim stranded the global side's ids) gets one,
                   so that it takes stranded ids a chunk's worth under one
                   lock, not one id per lock. Without memory for it: one
                   id, as before. */
                tried = 1;
                c = RPOOL_IMPL_CAST(rpool_impl_chunk *,
                                    rpool_impl_alloc(pool, rpool_impl_chunk_bytes(&L)));
                if (c) {
                    c->n = 0;
                    rpool_impl_set_chunk(lp, &L, c);
                }
                continue;
            }
            if (stranded) {
                rpool_impl_entry e;
                e.base = rpool_impl_base(pool, &L, id);
                e.next = rpool_impl_next(&L, id, rpool_impl_ver_load(e.base, &L, id & (L.nitems - 1)));
                obj = rpool_impl_issue(&e, &L, handle);
                break;
            }
            if (c)
                continue;
        }
        r = rpool_impl_carve(pool, &L, lp, handle, &obj);
        if (r > 0)
            break;
        if (r < 0)
            return 0;
        r = rpool_impl_new_range(pool, &L, lp);
        if (r < 0) {
            errno = -r;
            rpool_impl_local_done(lp);
            return 0;
        }
    }
    rpool_impl_local_done(lp);
    return obj;
}

/* Puts a freed id (its slot's version now `ver`) where an acquire finds
   it: the local chunk, after trading a full chunk for an empty one, or,
   when no chunk can be had, its block's stranded bitmap. */
static inline void rpool_impl_recycle(rpool_impl_pool *pool, rpool_impl_local **tls,
                                      const rpool_impl_layout *L, char *base, uint32_t id,
                                      uint64_t ver)
{
    rpool_impl_local *lp = rpool_impl_local_get(pool, tls, L);
    rpool_impl_chunk *c;

    if (lp && lp->top == lp->limit) {
        rpool_impl_lock(&pool->lock);
        rpool_impl_give_chunk_locked(pool, L, lp);
        if (L->auto_trim)
            rpool_impl_auto_trim_locked(pool, L);
        c = pool->empty;
        if (c) {
            pool->empty = c->next;
            pool->nempty--;
        }
        rpool_impl_unlock(&pool->lock);
        if (!c)
            c = RPOOL_IMPL_CAST(rpool_impl_chunk *,
                                rpool_impl_alloc(pool, rpool_impl_chunk_bytes(L)));
        if (c) {
            c->n = 0;
            rpool_impl_set_chunk(lp, L, c);
        }
    }
    if (lp && lp->top != lp->limit)
        rpool_impl_push(lp, L, base, id, ver);
    else
        rpool_impl_strand(pool, L, id);
    rpool_impl_local_done(lp);
}

/* Release when the local chunk is full or missing. */
static inline int rpool_impl_release_slow(rpool_impl_pool *pool, rpool_impl_local **tls,
                                          size_t size, size_t align, const rpool_config *cfg,
                                          uint64_t h, int owned)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    char *base = 0;
    uint32_t id = 0;
    int r, keep = 0;

    r = rpool_impl_commit(pool, &L, h, owned, &base, &id, &keep);
    if (r == 0 && !keep)
        rpool_impl_recycle(pool, tls, &L, base, id, (h >> L.idbits) + 1);
    return r;
}

/* The unpin that took the last pin off the released slot `h` named: the
   slot is recycled now, like a release does it, unless it is retired (it
   was counted when released and stays out of use). */
static inline void rpool_impl_unpin_last(rpool_impl_pool *pool, rpool_impl_local **tls,
                                         size_t size, size_t align, const rpool_config *cfg,
                                         uint64_t h)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    uint64_t next = (h >> L.idbits) + 1;
    uint32_t id = RPOOL_IMPL_CAST(uint32_t, h & ((1ull << L.idbits) - 1));
    char *base = rpool_impl_base(pool, &L, id);

    rpool_impl_scrub(base, &L, id & (L.nitems - 1));
    if (rpool_impl_is_retired(&L, next))
        return;
    RPOOL_IMPL_SUB(&pool->pending, 1);
    rpool_impl_recycle(pool, tls, &L, base, id, next);
}

/* Takes back an acquire that never reached the caller (acquire_n's
   rollback): the slot's version goes back to what it was, so the failed
   call spends no version and retires nothing. */
static inline void rpool_impl_unacquire(rpool_impl_pool *pool, rpool_impl_local **tls,
                                        size_t size, size_t align, const rpool_config *cfg,
                                        uint64_t h)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    uint64_t ver = h >> L.idbits;
    uint32_t id = 0, off;
    char *base = 0;

    if (!rpool_impl_check(pool, &L, h, &id, &base))
        return;
    off = id & (L.nitems - 1);
    /* Fails only if a forger released the unseen handle (then it is free)
       or, in a pins pool, pinned it: then it is released as any handle is,
       and its last unpin recycles it. */
    if (!rpool_impl_ver_cas(base, &L, off, ver, ver - 1)) {
        if (L.pins)
            (void)rpool_impl_release_slow(pool, tls, size, align, cfg, h, 0);
        return;
    }
    rpool_impl_scrub(base, &L, off);
    rpool_impl_recycle(pool, tls, &L, base, id, ver - 1);
}

/* All or nothing: on failure every slot taken so far is given back
   unspent. objs is an array of T *, written through memcpy so that no T *
   is accessed as a void *. */
static inline size_t rpool_impl_acquire_n(uint64_t *hs, void *objs, size_t stride, size_t n,
                                          void *(*acquire)(uint64_t *),
                                          void (*unacquire)(uint64_t))
{
    size_t i, j;

    for (i = 0; i < n; i++) {
        void *obj = acquire(&hs[i]);
        if (!obj) {
            int err = errno;
            for (j = i; j-- > 0;) {
                unacquire(hs[j]);
                hs[j] = 0;
            }
            errno = err;
            return 0;
        }
        if (objs)
            memcpy((char *)objs + i * stride, &obj, sizeof obj);
    }
    return n;
}

static inline size_t rpool_impl_release_n(const uint64_t *hs, size_t n, int (*release)(uint64_t))
{
    size_t i, done = 0;

    for (i = 0; i < n; i++)
        done += release(hs[i]) == 0;
    return done;
}

/* ---- stats, iteration, flush, destroy ----------------------------------- */

static inline size_t rpool_impl_clamp_sub(size_t a, size_t b)
{
    return a > b ? a - b : 0;
}

/* Counters that only slow paths touch are kept under the lock; what fast
   paths move (chunk fill, carve cursor) is summed over the local pools.
   While other threads run, those sums may be off by what is in flight,
   but every field stays within 0..carved; whenever no call is in flight
   they are exact. */
static inline void rpool_impl_stats(rpool_impl_pool *pool, size_t size, size_t align,
                                    const rpool_config *cfg, rpool_stats *out)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    const rpool_impl_local *lp;
    size_t cached = 0, uncarved = 0, carved, rest;

    rpool_impl_lock(&pool->lock);
    for (lp = pool->locals; lp; lp = lp->next) {
        cached += rpool_impl_cached(lp, &L);
        uncarved += rpool_impl_uncarved(RPOOL_IMPL_LOAD(&lp->range, RELAXED));
    }
    carved = rpool_impl_clamp_sub(pool->handed, uncarved);
    out->carved = carved;
    out->retired = rpool_impl_min(RPOOL_IMPL_LOAD(&pool->retired, RELAXED), carved);
    rest = carved - out->retired;
    out->pending = rpool_impl_min(RPOOL_IMPL_LOAD(&pool->pending, RELAXED), rest);
    rest -= out->pending;
    out->global_free = rpool_impl_min(pool->global_free, rest);
    rest -= out->global_free;
    out->cached = rpool_impl_min(cached, rest);
    out->live = rest - out->cached;
    out->blocks = pool->blocks;
    out->bytes = RPOOL_IMPL_LOAD(&pool->bytes, RELAXED);
    out->threads = pool->threads;
    rpool_impl_unlock(&pool->lock);
}

static inline void rpool_impl_thread_flush(rpool_impl_pool *pool, rpool_impl_local **tls)
{
    rpool_impl_local *lp = *tls;

    (void)pool;
    if (!lp->pool)
        return;
    rpool_impl_lock(&rpool_impl_reg.lock);
    rpool_impl_drop_locked(lp);
    rpool_impl_unlock(&rpool_impl_reg.lock);
}

/* RPOOL_DEBUG, pool lock held: the free ids the pool counts are the ids in
   its global chunks plus those stranded in blocks. */
static inline void rpool_impl_debug_counts_locked(const rpool_impl_pool *pool)
{
    const rpool_impl_chunk *c;
    const struct rpool_impl_block *blk;
    size_t n = pool->partial ? pool->partial->n : 0;

    for (c = pool->full; RPOOL_DEBUG && c; c = c->next)
        n += c->n;
    for (blk = pool->stranded; RPOOL_DEBUG && blk; blk = blk->next_stranded)
        n += blk->nstranded;
    RPOOL_IMPL_DEBUG_CHECK(!RPOOL_DEBUG || n == pool->global_free);
}

/* Pool lock held, for NAME_destroy: calls fn(id) for each slot that has
   retired, and returns the highest version any other slot had, rounded up
   to even (at least the current floor). */
static inline uint64_t rpool_impl_scan_versions_locked(const rpool_impl_pool *pool,
                                                       const rpool_impl_layout *L,
                                                       uint32_t *gone, size_t *ngone)
{
    uint64_t floor = pool->floor;
    uint32_t b, off;

    for (b = 0; b < pool->nblocks; b++) {
        char *base = rpool_impl_base(pool, L, b << L->bshift);
        for (off = 0; off < L->nitems && ((uint64_t)b << L->bshift) + off < L->cap; off++) {
            uint64_t ver = rpool_impl_ver_load(base, L, off);
            if (rpool_impl_is_retired(L, ver)) {
                if (gone)
                    gone[*ngone] = b << L->bshift | off;
                ++*ngone;
            } else if (ver + (ver & 1) > floor) {
                floor = ver + (ver & 1);
            }
        }
    }
    return floor;
}

/* Pool lock held, for NAME_destroy. So that no handle value is issued
   twice across destroys, the next life's versions start above every
   version any slot had (the floor, one per pool), and slots that retired
   stay retired: their ids are kept in `gone` (4 bytes each, counted in
   stats.bytes) and marked again in each block made anew. If `gone` cannot
   be allocated, the pool refuses every new slot (ENOSPC) rather than
   reissue a handle. */
static inline void rpool_impl_keep_versions_locked(rpool_impl_pool *pool,
                                                   const rpool_impl_layout *L)
{
    const struct rpool_impl_block *blk;
    uint32_t *gone = 0;
    size_t n = 0, i, keep = 0;
    uint64_t floor;

    for (i = 0; i < pool->ngone; i++) /* still retired, block not made again */
        keep += pool->gone[i] >> L->bshift >= pool->nblocks;
    n = keep;
    floor = rpool_impl_scan_versions_locked(pool, L, 0, &n);
    for (blk = pool->trimmed; blk; blk = blk->next_tail) /* their words read 0 */
        floor = blk->floor > floor ? blk->floor : floor;
    if (n) {
        gone = RPOOL_IMPL_CAST(uint32_t *, rpool_impl_alloc(pool, n * sizeof *gone));
        if (!gone)
            floor = L->vmask - 1;
    }
    if (gone) {
        n = 0;
        for (i = 0; i < pool->ngone; i++)
            if (pool->gone[i] >> L->bshift >= pool->nblocks)
                gone[n++] = pool->gone[i];
        rpool_impl_scan_versions_locked(pool, L, gone, &n);
    }
    rpool_impl_free(pool, pool->gone, pool->ngone * sizeof *gone);
    pool->gone = gone;
    pool->ngone = gone ? n : 0;
    pool->floor = floor;
}

/* ---- trim ----------------------------------------------------------------
 * NAME_trim hands back the memory of every block whose slots are all free
 * ids on the global side (in `full`, `partial` or stranded; none in a
 * thread's cache or carve range, none live, pending or retired). Such a
 * block's versions collapse into one floor in its header (the highest
 * version any of its slots had), its table entry becomes the guard block,
 * its ids leave the chunks, and its pages are decommitted (RPOOL_DECOMMIT)
 * but stay mapped. It is made again, zero-filled and every slot at its
 * floor, before any new block (rpool_impl_new_range), and its slots are
 * carved anew: init runs again, and their handles are above every earlier
 * one. Stats count a trimmed block's slots as never carved.
 *
 * Why a floor per block and not dense version arrays kept resident: a
 * floor costs 8 bytes per block (in a header that stays) instead of 4 per
 * slot, and it keeps a slot's version next to its object, which lookup and
 * release read together (one table entry, no second array to load).
 */

#define RPOOL_IMPL_TRIM_MARK 0xffffffffu

/* Pool lock held. Moves the global side's free ids into their blocks'
   bitmaps, an eighth of a byte each where a chunk entry takes 16 (acquire
   takes them back a chunk at a time), drops those of blocks marked for
   trimming, and frees every global and spare chunk. Returns the bytes
   freed. */
static inline size_t rpool_impl_unchunk_locked(rpool_impl_pool *pool, const rpool_impl_layout *L,
                                               const uint32_t *cnt)
{
    rpool_impl_chunk *c, *next, *lists[3];
    size_t i, k, freed = 0;

    lists[0] = pool->full;
    lists[1] = pool->partial;
    lists[2] = pool->empty;
    if (lists[1])
        lists[1]->next = 0;
    for (k = 0; k < 3; k++) {
        for (c = lists[k]; c; c = next) {
            next = c->next;
            for (i = 0; i < c->n && k < 2; i++) {
                uint32_t id = rpool_impl_entry_id(&rpool_impl_entries(c)[i], L);
                if (cnt[id >> L->bshift] != RPOOL_IMPL_TRIM_MARK)
                    rpool_impl_strand_locked(pool, L, id);
            }
            rpool_impl_free(pool, c, rpool_impl_chunk_bytes(L));
            freed += rpool_impl_chunk_bytes(L);
        }
    }
    pool->full = pool->partial = pool->empty = 0;
    pool->nempty = 0;
    RPOOL_IMPL_STORE(&pool->nfull, 0, RELAXED);
    return freed;
}

/* Pool lock held, a pool without init (whose objects keep no state while
   free): decommits the pages of blk's items that hold only slots whose ids
   are in its bitmap. Such a slot, acquired again, reads as zero bytes (or
   whatever RPOOL_DECOMMIT leaves), as a fresh one does; its version word,
   on which every check relies, stays. */
static inline void rpool_impl_decommit_free_locked(const rpool_impl_pool *pool,
                                                   const rpool_impl_layout *L,
                                                   struct rpool_impl_block *blk, uintptr_t page)
{
    const uint64_t *bits = rpool_impl_bitmap(blk);
    uint32_t b = blk->first >> L->bshift;
    uintptr_t base = (uintptr_t)rpool_impl_block_start(pool, L, b) + L->voff;
    uintptr_t end = base + rpool_impl_min(L->nitems, L->cap - blk->first) * L->size;
    uintptr_t p = (base + page - 1) & ~(page - 1), run = 0;
    size_t s, last;

    for (; p + page <= end; p += page) {
        int all = 1;
        last = (p + page - 1 - base) / L->size;
        for (s = (p - base) / L->size; all && s <= last; s++)
            all = bits[s / 64] >> (s % 64) & 1;
        if (all && !run)
            run = p;
        if (!all && run) {
            (void)RPOOL_DECOMMIT((void *)run, p - run);
            run = 0;
        }
    }
    if (run)
        (void)RPOOL_DECOMMIT((void *)run, p - run);
}

/* Pool lock held. Whether no block in use or still to be made has a byte
   in [lo, hi): every block of b's span there but b is trimmed. A page may
   hold parts of many blocks, not only of b's neighbours; and a block not
   made yet counts as in use, because it takes its memory as RPOOL_MAP left
   it, zero, where RPOOL_DECOMMIT may have left anything. */
static inline int rpool_impl_unused_locked(const rpool_impl_pool *pool,
                                           const rpool_impl_layout *L, uint32_t b,
                                           uintptr_t lo, uintptr_t hi)
{
    uintptr_t mem = (uintptr_t)pool->spans[b / L->span_blocks].mem;
    uint32_t first = b - b % L->span_blocks, j, end;

    if (hi <= lo || hi <= mem)
        return 1;
    j = lo > mem ? RPOOL_IMPL_CAST(uint32_t, (lo - mem) / L->stride) : 0;
    end = RPOOL_IMPL_CAST(uint32_t, rpool_impl_min((hi - 1 - mem) / L->stride + 1, L->span_blocks));
    for (; j < end; j++)
        if (first + j != b &&
            (first + j >= pool->nblocks || !rpool_impl_header(pool, L, first + j)->trimmed))
            return 0;
    return 1;
}

/* Pool lock held. Decommits what trimmed block b's memory shares with no
   block in use or still to be made: its whole pages, and the pages at its
   ends whose other bytes are trimmed blocks' or the span's unused edges. */
static inline void rpool_impl_decommit_block_locked(const rpool_impl_pool *pool,
                                                    const rpool_impl_layout *L, uint32_t b,
                                                    uintptr_t page)
{
    const rpool_impl_span *sp = &pool->spans[b / L->span_blocks];
    uintptr_t lo = (uintptr_t)rpool_impl_block_start(pool, L, b), hi = lo + L->stride;
    uintptr_t down = lo & ~(page - 1), up = (hi + page - 1) & ~(page - 1);
    uintptr_t first = ((uintptr_t)sp->raw + page - 1) & ~(page - 1);
    uintptr_t last = ((uintptr_t)sp->raw + L->span_bytes) & ~(page - 1);

    lo = rpool_impl_unused_locked(pool, L, b, down, lo) ? down : (lo + page - 1) & ~(page - 1);
    hi = rpool_impl_unused_locked(pool, L, b, hi, up) ? up : hi & ~(page - 1);
    lo = lo < first ? first : lo; /* never outside the span's own pages */
    hi = hi > last ? last : hi;
    if (hi > lo)
        (void)RPOOL_DECOMMIT((void *)lo, hi - lo);
}

/* Pool lock held. See "trim" above. Returns the bytes handed back. */
static inline size_t rpool_impl_trim_locked(rpool_impl_pool *pool, const rpool_impl_layout *L)
{
    uint32_t nb = pool->nblocks, b, off, slots, *cnt;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    struct rpool_impl_block *blk;
    rpool_impl_chunk *c;
    const rpool_impl_local *lp;
    size_t i, freed = 0, ntrim = 0;

    if (!nb || (!pool->global_free && !pool->undecommitted))
        return 0;
    cnt = RPOOL_IMPL_CAST(uint32_t *, rpool_impl_alloc(pool, nb * sizeof *cnt));
    if (!cnt)
        return 0;
    /* Free ids on the global side, per block. */
    for (c = pool->full; c; c = c->next)
        for (i = 0; i < c->n; i++)
            cnt[rpool_impl_entry_id(&rpool_impl_entries(c)[i], L) >> L->bshift]++;
    for (c = pool->partial, i = 0; c && i < c->n; i++)
        cnt[rpool_impl_entry_id(&rpool_impl_entries(c)[i], L) >> L->bshift]++;
    for (blk = pool->stranded; blk; blk = blk->next_stranded)
        cnt[blk->first >> L->bshift] += blk->nstranded;
    /* A block with an uncarved range, a thread's or a tail, stays. */
    for (lp = pool->locals; lp; lp = lp->next) {
        uint64_t r = RPOOL_IMPL_LOAD(&lp->range, RELAXED);
        if (rpool_impl_uncarved(r))
            cnt[rpool_impl_range_cur(r) >> L->bshift] = 0;
    }
    for (blk = pool->tails; blk; blk = blk->next_tail)
        cnt[blk->first >> L->bshift] = 0;
    for (b = 0; b < nb; b++) {
        blk = rpool_impl_header(pool, L, b);
        slots = RPOOL_IMPL_CAST(uint32_t, rpool_impl_min(L->nitems, L->cap - blk->first));
        if (blk->trimmed || cnt[b] != slots)
            continue;
        cnt[b] = RPOOL_IMPL_TRIM_MARK;
        ntrim++;
        blk->floor = 0;
        for (off = 0; off < slots; off++) {
            uint64_t ver = rpool_impl_ver_load(rpool_impl_base(pool, L, blk->first), L, off);
            blk->floor = ver > blk->floor ? ver : blk->floor; /* all free: even */
        }
        blk->trimmed = 1;
        blk->next_tail = pool->trimmed;
        pool->trimmed = blk;
        RPOOL_IMPL_STORE(rpool_impl_slot_of(pool, b), rpool_impl_guard_base(), RELEASE);
        pool->global_free -= slots;
        pool->handed -= slots;
        pool->blocks--;
        RPOOL_IMPL_SUB(&pool->bytes, L->stride);
        freed += L->stride;
    }
    if (ntrim) {
        struct rpool_impl_block **pp = &pool->stranded;
        while ((blk = *pp) != 0) {
            if (!blk->trimmed) {
                pp = &blk->next_stranded;
                continue;
            }
            memset(rpool_impl_bitmap(blk), 0, 8 * ((L->nitems + 63) / 64));
            blk->nstranded = 0;
            *pp = blk->next_stranded;
            RPOOL_IMPL_STORE(&pool->nstranded, pool->nstranded - 1, RELAXED);
        }
    }
    freed += rpool_impl_unchunk_locked(pool, L, cnt);
    for (blk = pool->stranded; !L->init && blk; blk = blk->next_stranded)
        rpool_impl_decommit_free_locked(pool, L, blk, page);
    /* A walk that began before the guard went in may still read the
       blocks: their pages wait for a trim that sees no walk. A read-modify-
       write, so that a walk's add either comes first (and is seen) or reads
       from it (and then the walk sees the guard). */
    if (__atomic_fetch_add(&pool->walkers, 0, __ATOMIC_SEQ_CST)) {
        pool->undecommitted |= ntrim != 0;
    } else {
        for (b = 0; b < nb; b++)
            if (cnt[b] == RPOOL_IMPL_TRIM_MARK ||
                (pool->undecommitted && rpool_impl_header(pool, L, b)->trimmed))
                rpool_impl_decommit_block_locked(pool, L, b, page);
        pool->undecommitted = 0;
    }
    rpool_impl_free(pool, cnt, nb * sizeof *cnt);
    rpool_impl_debug_counts_locked(pool);
    return freed;
}

static inline size_t rpool_impl_trim(rpool_impl_pool *pool, size_t size, size_t align,
                                     const rpool_config *cfg)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    size_t n;

    rpool_impl_lock(&pool->lock);
    n = rpool_impl_trim_locked(pool, &L);
    rpool_impl_unlock(&pool->lock);
#if defined(RPOOL_IMPL_LIBC_FREE) && defined(__GLIBC__)
    /* The chunks trim freed went to glibc's heap, which keeps free pages
       in the middle of it: this hands them back. */
    if (n)
        malloc_trim(0);
#endif
    return n;
}

/* Frees every block, chunk and table, and every thread's local pool of
   this pool (their threads point back at the sentinel), so that after it
   no thread exit and no fork calls into the pool: a shared library may be
   unloaded once it has destroyed its pools. Keeps the floor and `gone`. */
static inline void rpool_impl_destroy(rpool_impl_pool *pool, rpool_impl_local **tls,
                                      size_t size, size_t align, const rpool_config *cfg)
{
    const rpool_impl_layout L = rpool_impl_layout_of(size, align, cfg);
    rpool_impl_pool **pp;
    rpool_impl_chunk *c;
    uint32_t g;
    size_t i;

    (void)tls;
    rpool_impl_lock(&rpool_impl_reg.lock);
    while (pool->locals)
        rpool_impl_drop_locked(pool->locals);
    for (pp = &rpool_impl_reg.pools; *pp; pp = &(*pp)->next_pool) {
        if (*pp == pool) {
            *pp = pool->next_pool;
            break;
        }
    }
    pool->listed = 0;
    if (rpool_impl_reg.nlocals == 0 && rpool_impl_reg.key_ready) {
        /* No thread holds anything: nothing of this copy of rpool is left
           for thread exit to call. */
        pthread_key_delete(rpool_impl_reg.key);
        rpool_impl_reg.key_ready = 0;
    }
    rpool_impl_lock(&pool->lock);
    rpool_impl_debug_counts_locked(pool);
    rpool_impl_keep_versions_locked(pool, &L);
    if ((c = pool->partial) != 0)
        rpool_impl_free(pool, c, rpool_impl_chunk_bytes(&L));
    while ((c = pool->full) != 0) {
        pool->full = c->next;
        rpool_impl_free(pool, c, rpool_impl_chunk_bytes(&L));
    }
    while ((c = pool->empty) != 0) {
        pool->empty = c->next;
        rpool_impl_free(pool, c, rpool_impl_chunk_bytes(&L));
    }
    for (i = 0; i < pool->nspans; i++) {
        RPOOL_IMPL_UNPOISON(pool->spans[i].raw, L.span_bytes); /* for the next user */
        RPOOL_UNMAP(pool->spans[i].raw, L.span_bytes);
        rpool_impl_free(pool, pool->spans[i].hdrs, L.span_blocks * L.hdrbytes);
    }
    rpool_impl_free(pool, pool->spans, pool->spans_cap * sizeof *pool->spans);
    RPOOL_IMPL_SUB(&pool->bytes, pool->blocks * L.stride);
    pool->spans = 0;
    pool->nspans = pool->spans_cap = 0;
    pool->trimmed = 0;
    pool->undecommitted = 0;
    pool->trim_at = 0;
    if (pool->table != rpool_impl_guard_table) {
        char ***table = pool->table;
        RPOOL_IMPL_STORE(&pool->table, &rpool_impl_guard_table[0], RELEASE);
        for (g = 0; g < L.ngroups; g++)
            if (table[g] != rpool_impl_guard_group)
                rpool_impl_free(pool, table[g], sizeof(rpool_impl_group));
        rpool_impl_free(pool, table, sizeof *table * L.ngroups);
    }
    RPOOL_IMPL_STORE(&pool->nblocks, 0, RELEASE);
    RPOOL_IMPL_STORE(&pool->nfull, 0, RELAXED);
    RPOOL_IMPL_STORE(&pool->nstranded, 0, RELAXED);
    RPOOL_IMPL_STORE(&pool->retired, 0, RELAXED);
    RPOOL_IMPL_STORE(&pool->pending, 0, RELAXED);
    pool->partial = 0;
    pool->nempty = 0;
    pool->tails = 0;
    pool->stranded = 0;
    pool->handed = 0;
    pool->global_free = 0;
    pool->blocks = 0;
    /* All that is left: the list of slots that retired. */
    RPOOL_IMPL_DEBUG_CHECK(RPOOL_IMPL_LOAD(&pool->bytes, RELAXED) ==
                           pool->ngone * sizeof *pool->gone);
    rpool_impl_unlock(&pool->lock);
    rpool_impl_unlock(&rpool_impl_reg.lock);
}

#endif /* RPOOL_IMPL_H */
