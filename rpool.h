/* rpool.h - typed object pools with versioned handles. Header-only C11.
 *
 * ======================================================================
 * What it is
 * ======================================================================
 *
 * One pool per struct type, shared by every thread. Objects are addressed
 * by a dense id in O(1) and handed out as 64-bit handles carrying a
 * version, so a handle to an object that was released (and maybe reused)
 * is refused instead of touching somebody else's object. Each thread keeps
 * a cache of free ids; the pool's lock is taken about once per 256
 * operations. Memory is never returned to malloc while the pool lives:
 * objects of one type reuse each other's slots, so nothing fragments.
 *
 * ======================================================================
 * Example
 * ======================================================================
 *
 *     #include <stdio.h>
 *     #include "rpool.h"
 *
 *     typedef struct { float x, y; int hp; } monster;
 *     RPOOL_DEFINE_STATIC(monsters, monster)
 *
 *     int main(void)
 *     {
 *         monsters_handle h;
 *         monster *m = monsters_acquire(&h);
 *         if (!m)
 *             return 1;
 *         m->hp = 100;
 *         monsters_handle copy = h;            // handles are plain values
 *         monsters_release(h);                 // 0: released
 *         if (monsters_lookup(copy) == NULL)   // stale: refused
 *             puts("stale handle refused");
 *         printf("release again: %d\n", monsters_release(copy)); // -ESTALE
 *         monsters_destroy();
 *         return 0;
 *     }
 *
 * ======================================================================
 * Instantiating
 * ======================================================================
 *
 *   RPOOL_DECLARE(NAME, T)             in a header: types, inline fast paths,
 *   RPOOL_DECLARE_EX(NAME, T, ...)     prototypes; _EX takes configuration
 *                                      fields: .max_items = 1000, ...
 *   RPOOL_DEFINE(NAME, T)              in exactly one .c file: the pool, its
 *                                      thread-local pointer and slow paths
 *   RPOOL_DEFINE_STATIC(NAME, T)       a single-file program: both at once,
 *   RPOOL_DEFINE_STATIC_EX(NAME, T, ...)  with internal linkage
 *
 *   RPOOL_HANDLE(NAME)                 only the type NAME_handle, for a T that
 *                                      holds handles of its own pool; then use
 *   RPOOL_DECLARE_POOL[_EX](NAME, T, ...)      the forms above without
 *   RPOOL_DEFINE_STATIC_POOL[_EX](NAME, T, ...) the handle type:
 *
 *       RPOOL_HANDLE(units)
 *       typedef struct unit { units_handle target; int hp; } unit;
 *       RPOOL_DEFINE_STATIC_POOL(units, unit)
 *
 * A pool is a singleton with a constant initializer: nothing to call
 * before first use, no init race. Every translation unit that includes the
 * DECLARE sees the same pool and the same thread-local caches.
 *
 * ======================================================================
 * API (generated per NAME; T is the object type)
 * ======================================================================
 *
 *   T *NAME_acquire(NAME_handle *h);
 *       A free object; *h is its handle. Fresh slots are zero-filled; a
 *       reused slot keeps what its last user left in it (0xDB bytes under
 *       RPOOL_DEBUG, unless the pool has an init function).
 *       Return: the object, or NULL with errno = ENOSPC (max_items or the
 *       id space used up), ENOMEM (allocation failed), ECANCELED (the
 *       config's init refused a new slot; the slot is kept for the next try),
 *       EINVAL (a pins pool with more than 32 version bits: refused, and
 *       RPOOL_ASSERTed).
 *       Thread-safe; no lock and no atomic read-modify-write while the
 *       thread's cache has ids.
 *
 *   int NAME_release(NAME_handle h);
 *       Return: 0; -ESTALE when h was released already (or is otherwise
 *       out of date); -EINVAL when h was never issued by this pool (0, an
 *       even version, an id past every block). Never fails for lack of
 *       memory. Thread-safe from any thread, and race-proof: of many threads
 *       releasing the same handle at once, exactly one gets 0. One atomic
 *       compare-and-swap. On a pins pool, h is dead at once (lookup and pin
 *       refuse it, a second release gets -ESTALE) but a pinned slot is
 *       recycled only by its last NAME_unpin (stats.pending meanwhile).
 *
 *   int NAME_release_owned(NAME_handle h);
 *       Same checks and results, no atomic read-modify-write. For a caller
 *       that is the only thread that may release h: two concurrent releases
 *       of one handle through this call are a bug, like a double free. On a
 *       pins pool it is NAME_release, compare-and-swap included: any thread
 *       may pin h meanwhile, and a plain store would lose that pin.
 *
 *   T *NAME_lookup(NAME_handle h);
 *       The live object h names, or NULL (stale, released, forged, 0).
 *       Never reads outside the pool's memory, whatever h holds. A snapshot:
 *       if another thread may release h meanwhile, synchronise with it, or
 *       use NAME_pin, which keeps the object from being reused.
 *
 *   uint64_t NAME_id(NAME_handle h);     the dense slot index in h
 *   T *NAME_address(uint64_t id);        the slot, no version check; NULL if
 *                                        the id was never carved
 *   size_t NAME_acquire_n(NAME_handle *hs, T **objs, size_t n);
 *       n objects (objs may be NULL), or 0 with errno as for acquire and
 *       nothing taken: all or nothing.
 *   size_t NAME_release_n(const NAME_handle *hs, size_t n);
 *       How many of hs were live and are now released (NAME_release each).
 *   void NAME_stats(rpool_stats *out);
 *       Exact whenever no operation is in flight; takes the pool lock and
 *       sums the threads' caches: cost O(threads with a cache), not O(objects).
 *   void NAME_for_each(void (*fn)(T *obj, NAME_handle h, void *arg), void *arg);
 *       Calls fn for every live object (not one released while pinned).
 *       fn may release it.
 *   void NAME_thread_flush(void);
 *       Hands this thread's cached ids and uncarved block tail back now, as
 *       thread exit does.
 *   void NAME_destroy(void);
 *       Frees every block, chunk and table; the pool is empty and usable
 *       again, and old handles are refused (-EINVAL). Call it only while no
 *       other thread is inside a call on this pool. Pins still held go with
 *       their objects: their pointers dangle, NAME_unpin of their handles
 *       returns -EINVAL, and stats.pending starts again at 0.
 *
 *   T *NAME_pin(NAME_handle h);
 *       The live object h names, pinned: until the matching NAME_unpin its
 *       slot is never handed to another acquirer, even if some thread
 *       releases h meanwhile, so the pointer stays valid to read (and to
 *       write, by whatever rules the program sets for its objects). Only
 *       on a pool configured with .pins = 1. A handle may be pinned many
 *       times, by any threads; each pin is undone by one NAME_unpin, from
 *       any thread. A pin never writes a slot it does not get: a pin of a
 *       stale handle changes nothing.
 *       Return: the object, or NULL with errno = ESTALE (h was released or
 *       is otherwise out of date), EINVAL (h was never issued by this pool:
 *       0, an even version, an id past every block), EOVERFLOW (2^20 - 1
 *       pins are held on that slot already), ENOTSUP (a pool without .pins).
 *       Thread-safe from any thread; one atomic compare-and-swap (more only
 *       while other threads change the same slot).
 *
 *   int NAME_unpin(NAME_handle h);
 *       Undoes one NAME_pin(h), while h is live or after it was released.
 *       The unpin that takes the last pin off a released slot recycles it
 *       into this thread's cache, as a release would have (RPOOL_DEBUG
 *       fills and poisons it only then).
 *       Return: 0; -EINVAL when h names no pinned slot (no pin held on
 *       its slot, a slot reused since, a handle never issued, a pool
 *       without .pins). Thread-safe from any thread; one atomic
 *       compare-and-swap, like NAME_pin.
 *
 * ======================================================================
 * Configuration (rpool_config; 0 or absent = default)
 * ======================================================================
 *
 *   block_bytes   max bytes of objects per block            (65536)
 *   block_items   max objects per block, at most 65536      (256)
 *                 A block holds the largest power of two of objects that
 *                 fits both (at least 1).
 *   chunk_items   free ids moved between threads at a time  (objects/block)
 *   max_items     slots that may ever be carved             (id space)
 *   version_bits  high handle bits given to the version, 2..63  (32)
 *                 (2..32 with pins)
 *   init          int (*)(void *obj), run once per slot on its first
 *                 acquire; nonzero refuses the acquire (ECANCELED)
 *   pins          nonzero: NAME_pin / NAME_unpin work. Each slot's version  (0)
 *                 word grows from 4 to 8 bytes (version << 32 | pin count),
 *                 so version_bits must be at most 32; release and
 *                 release_owned are one compare-and-swap loop. Pools
 *                 without it keep their code and memory exactly.
 *
 * Compile-time knobs (define before including; same in every unit):
 *
 *   RPOOL_ASSERT(x)        checks of misuse                 (assert(x))
 *   RPOOL_CALLOC(n, size)  every allocation the pool makes  (calloc)
 *   RPOOL_FREE(p)          its counterpart                  (free)
 *   RPOOL_BLOCK_BYTES, RPOOL_BLOCK_ITEMS, RPOOL_VERSION_BITS: defaults
 *   RPOOL_DEBUG            1: debug aids, below             (0: none, no cost)
 *
 * With RPOOL_DEBUG 1, a released object is filled with 0xDB bytes (unless
 * the pool has an init function: its objects keep their state by design),
 * so a stale raw pointer reads garbage instead of plausible data; under
 * AddressSanitizer it is also poisoned, so any access through a stale raw
 * pointer is reported (use-after-poison) until the slot is acquired again.
 * RPOOL_ASSERT then also checks that every slot handed out is free, that
 * every id in a chunk moved between threads is free, that no id is freed
 * twice into its block's bitmap, and that NAME_destroy finds the counters
 * matching the chunks and memory it frees.
 *
 * ======================================================================
 * Handles
 * ======================================================================
 *
 *   63            64-version_bits  63-version_bits                   0
 *   [ version (version_bits)      ][ id (64 - version_bits)           ]
 *
 * A slot's version is 0 until first carved, odd while live, even while
 * free. Every acquire and every release adds one. A handle is valid while
 * its version equals the slot's. Handle 0 is never issued. When a slot's
 * version would wrap, the slot retires (stats.retired) and is never handed
 * out again, so no handle value is ever issued twice (until NAME_destroy).
 * Ids are dense: id = block * objects_per_block + offset, below 2^32.
 *
 * ======================================================================
 * Guarantees, and what is undefined
 * ======================================================================
 *
 *   - Bad handles (stale, double-released, forged) get an error, never a
 *     crash or a write to another object. Exhaustion and allocation failure
 *     get NULL/errno and leave the pool consistent.
 *   - A thread that exits strands nothing: its cached ids and the uncarved
 *     tail of its block go back to the pool.
 *   - live + cached + global_free + retired + pending == carved when
 *     quiescent. A slot that retires while pinned counts in retired.
 *   - A pinned slot is never handed to another acquirer; of a release and
 *     the unpins of a slot, exactly one party recycles it, whatever the
 *     interleaving. Whatever the releaser wrote, and every pinner read,
 *     happens before the slot's next acquire.
 *   - Objects are aligned to alignof(T).
 *   Undefined: using a raw pointer after its release (unless pinned); two
 *   concurrent release_owned of one handle (without pins); NAME_destroy
 *   while another thread is in the pool or uses a pinned pointer; an unpin
 *   without its pin (it may take another holder's pin away); handles of
 *   one pool given to another pool of the same type (they are checked as
 *   forged, so that is merely refused, but pointless).
 *
 * Requires GCC or Clang (C11 or C++17) and POSIX threads.
 */
#ifndef RPOOL_H_INCLUDED
#define RPOOL_H_INCLUDED

#define RPOOL_VERSION_MAJOR 0
#define RPOOL_VERSION_MINOR 1
#define RPOOL_VERSION_PATCH 0
#define RPOOL_VERSION_STRING "0.1.0"

/* ---- knobs ---------------------------------------------------------- */

#ifndef RPOOL_ASSERT
#include <assert.h>
#define RPOOL_ASSERT(x) assert(x)
#endif
#ifndef RPOOL_CALLOC
#include <stdlib.h>
#define RPOOL_CALLOC(n, size) calloc((n), (size))
#endif
#ifndef RPOOL_FREE
#include <stdlib.h>
#define RPOOL_FREE(p) free(p)
#endif
#ifndef RPOOL_BLOCK_BYTES
#define RPOOL_BLOCK_BYTES 65536u
#endif
#ifndef RPOOL_BLOCK_ITEMS
#define RPOOL_BLOCK_ITEMS 256u
#endif
#ifndef RPOOL_VERSION_BITS
#define RPOOL_VERSION_BITS 32u
#endif
#ifndef RPOOL_DEBUG
#define RPOOL_DEBUG 0
#endif

#include <stddef.h>
#include <stdint.h>

/* ---- public types ----------------------------------------------------- */

typedef struct rpool_config {
    size_t block_bytes;    /* max bytes of objects per block, default 65536 */
    size_t block_items;    /* max objects per block, default 256 */
    size_t chunk_items;    /* free ids per chunk, default = objects per block */
    uint64_t max_items;    /* capacity: slots ever carved; 0 = limited only by id bits */
    unsigned version_bits; /* bits of the handle given to the version, default 32 */
    int (*init)(void *obj); /* called once when a slot is first carved; nonzero = refuse */
    int pins;              /* nonzero: NAME_pin / NAME_unpin supported (last, so that
                              C++17 positional configs stay valid) */
} rpool_config;

typedef struct rpool_stats {
    size_t live;        /* acquired and not yet released */
    size_t cached;      /* free, held in thread-local chunks */
    size_t global_free; /* free, in the global queue (or stranded, see rpool_impl.h) */
    size_t carved;      /* slots ever carved from blocks */
    size_t retired;     /* slots whose version ran out, never reused */
    size_t blocks;      /* blocks allocated */
    size_t bytes;       /* bytes the pool holds: blocks, tables, chunks, caches */
    size_t threads;     /* threads that currently have a local pool */
    size_t pending;     /* released while pinned: recycled at their last unpin */
} rpool_stats;

#ifdef __cplusplus
#define RPOOL_ALIGNOF(T) alignof(T)
#define RPOOL_IMPL_ZERO_CONFIG
#else
#define RPOOL_ALIGNOF(T) _Alignof(T)
#define RPOOL_IMPL_ZERO_CONFIG 0
#endif

#include "rpool_impl.h"

/* ---- per-type macros ---------------------------------------------------
 * Layers: TYPES (handle, config), EXTERNS (the storage RPOOL_DEFINE owns),
 * STORAGE (that storage), PROTOS (out-of-line functions), INLINE (fast
 * paths), BODIES (out-of-line functions). Every generated function is one
 * call into the engine with the pool, the thread-local pointer, sizeof(T),
 * alignof(T) and the config.
 */

#define RPOOL_IMPL_ARGS(NAME, T) \
    &NAME##_impl_pool, &NAME##_impl_local, sizeof(T), RPOOL_ALIGNOF(T), &NAME##_config
#define RPOOL_IMPL_SHAPE(NAME, T) sizeof(T), RPOOL_ALIGNOF(T), &NAME##_config

/* A config names only the fields it changes (absent = default), which
   -Wextra's -Wmissing-field-initializers flags in C++20 designated and in
   positional initializers: silence it for the config alone. */
#define RPOOL_IMPL_SOME_FIELDS_BEGIN                                                          \
    _Pragma("GCC diagnostic push")                                                            \
    _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")
#define RPOOL_IMPL_SOME_FIELDS_END _Pragma("GCC diagnostic pop")

/* The layers after TYPES name the object type NAME_impl_type, not T: a
   type called like a parameter of a generated function (h, obj, id, ...)
   would be shadowed by that parameter inside the function. */
#define RPOOL_IMPL_TYPES(NAME, T, ...)                                                        \
    typedef T NAME##_impl_type;                                                               \
    RPOOL_IMPL_SOME_FIELDS_BEGIN                                                              \
    static const rpool_config NAME##_config RPOOL_IMPL_UNUSED = { __VA_ARGS__ };              \
    RPOOL_IMPL_SOME_FIELDS_END

#define RPOOL_IMPL_EXTERNS(NAME)                                                              \
    RPOOL_IMPL_EXTERN rpool_impl_pool NAME##_impl_pool;                                       \
    RPOOL_IMPL_EXTERN RPOOL_IMPL_TLS rpool_impl_local *NAME##_impl_local;

#define RPOOL_IMPL_STORAGE(NAME, SCOPE)                                                       \
    static rpool_impl_local NAME##_impl_none;                                                 \
    SCOPE rpool_impl_pool NAME##_impl_pool = RPOOL_IMPL_POOL_INIT;                            \
    SCOPE RPOOL_IMPL_TLS rpool_impl_local *NAME##_impl_local = &NAME##_impl_none;

#define RPOOL_IMPL_PROTOS(NAME, T, SCOPE)                                                     \
    SCOPE void *NAME##_impl_acquire_slow(uint64_t *h);                                        \
    SCOPE int NAME##_impl_release_slow(uint64_t h, int owned);                                \
    SCOPE void NAME##_impl_unpin_last(uint64_t h);                                            \
    SCOPE size_t NAME##_acquire_n(NAME##_handle *hs, T **objs, size_t n);                     \
    SCOPE size_t NAME##_release_n(const NAME##_handle *hs, size_t n);                         \
    SCOPE void NAME##_stats(rpool_stats *out);                                                \
    SCOPE void NAME##_for_each(void (*fn)(T *obj, NAME##_handle h, void *arg), void *arg);    \
    SCOPE void NAME##_thread_flush(void);                                                     \
    SCOPE void NAME##_destroy(void);

#define RPOOL_IMPL_INLINE(NAME, T)                                                            \
    RPOOL_IMPL_MUST_USE RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST T *NAME##_acquire(NAME##_handle *h)   \
    {                                                                                         \
        return RPOOL_IMPL_CAST(T *, rpool_impl_acquire(RPOOL_IMPL_ARGS(NAME, T), &h->value,   \
                                                       NAME##_impl_acquire_slow));            \
    }                                                                                         \
    RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST int NAME##_release(NAME##_handle h)                       \
    {                                                                                         \
        return rpool_impl_release(RPOOL_IMPL_ARGS(NAME, T), h.value, 0,                       \
                                  NAME##_impl_release_slow);                                  \
    }                                                                                         \
    RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST int NAME##_release_owned(NAME##_handle h)                 \
    {                                                                                         \
        return rpool_impl_release(RPOOL_IMPL_ARGS(NAME, T), h.value, 1,                       \
                                  NAME##_impl_release_slow);                                  \
    }                                                                                         \
    RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST T *NAME##_lookup(NAME##_handle h)                         \
    {                                                                                         \
        return RPOOL_IMPL_CAST(T *, rpool_impl_lookup(&NAME##_impl_pool,                      \
                                                      RPOOL_IMPL_SHAPE(NAME, T), h.value));   \
    }                                                                                         \
    RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST uint64_t NAME##_id(NAME##_handle h)                       \
    {                                                                                         \
        return rpool_impl_id(RPOOL_IMPL_SHAPE(NAME, T), h.value);                             \
    }                                                                                         \
    RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST T *NAME##_address(uint64_t id)                            \
    {                                                                                         \
        return RPOOL_IMPL_CAST(T *, rpool_impl_address(&NAME##_impl_pool,                     \
                                                       RPOOL_IMPL_SHAPE(NAME, T), id));       \
    }                                                                                         \
    RPOOL_IMPL_MUST_USE RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST T *NAME##_pin(NAME##_handle h)        \
    {                                                                                         \
        return RPOOL_IMPL_CAST(T *, rpool_impl_pin(&NAME##_impl_pool,                         \
                                                   RPOOL_IMPL_SHAPE(NAME, T), h.value));      \
    }                                                                                         \
    RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST int NAME##_unpin(NAME##_handle h)                         \
    {                                                                                         \
        return rpool_impl_unpin(&NAME##_impl_pool, RPOOL_IMPL_SHAPE(NAME, T), h.value,        \
                                NAME##_impl_unpin_last);                                      \
    }

#define RPOOL_IMPL_BODIES(NAME, T, SCOPE)                                                     \
    static void NAME##_impl_exit(void *lp)                                                    \
    {                                                                                         \
        rpool_impl_local_exit(&NAME##_impl_pool, RPOOL_IMPL_SHAPE(NAME, T),                   \
                              RPOOL_IMPL_CAST(rpool_impl_local *, lp));                       \
    }                                                                                         \
    SCOPE void *NAME##_impl_acquire_slow(uint64_t *h)                                         \
    {                                                                                         \
        return rpool_impl_acquire_slow(RPOOL_IMPL_ARGS(NAME, T), NAME##_impl_exit, h);        \
    }                                                                                         \
    SCOPE int NAME##_impl_release_slow(uint64_t h, int owned)                                 \
    {                                                                                         \
        return rpool_impl_release_slow(RPOOL_IMPL_ARGS(NAME, T), NAME##_impl_exit, h, owned); \
    }                                                                                         \
    SCOPE void NAME##_impl_unpin_last(uint64_t h)                                             \
    {                                                                                         \
        rpool_impl_unpin_last(RPOOL_IMPL_ARGS(NAME, T), NAME##_impl_exit, h);                 \
    }                                                                                         \
    static void *NAME##_impl_acquire_one(uint64_t *h)                                         \
    {                                                                                         \
        return rpool_impl_acquire(RPOOL_IMPL_ARGS(NAME, T), h, NAME##_impl_acquire_slow);     \
    }                                                                                         \
    static int NAME##_impl_release_raw(uint64_t h)                                            \
    {                                                                                         \
        return rpool_impl_release(RPOOL_IMPL_ARGS(NAME, T), h, 0, NAME##_impl_release_slow);  \
    }                                                                                         \
    static int NAME##_impl_release_owned_raw(uint64_t h)                                      \
    {                                                                                         \
        return rpool_impl_release(RPOOL_IMPL_ARGS(NAME, T), h, 1, NAME##_impl_release_slow);  \
    }                                                                                         \
    SCOPE size_t NAME##_acquire_n(NAME##_handle *hs, T **objs, size_t n)                      \
    {                                                                                         \
        return rpool_impl_acquire_n(&hs->value, objs, sizeof *objs, n,                        \
                                    NAME##_impl_acquire_one, NAME##_impl_release_owned_raw);  \
    }                                                                                         \
    SCOPE size_t NAME##_release_n(const NAME##_handle *hs, size_t n)                          \
    {                                                                                         \
        return rpool_impl_release_n(&hs->value, n, NAME##_impl_release_raw);                  \
    }                                                                                         \
    SCOPE void NAME##_stats(rpool_stats *out)                                                 \
    {                                                                                         \
        rpool_impl_stats(&NAME##_impl_pool, out);                                             \
    }                                                                                         \
    typedef struct NAME##_impl_visit_ctx {                                                    \
        void (*fn)(T *obj, NAME##_handle h, void *arg);                                       \
        void *arg;                                                                            \
    } NAME##_impl_visit_ctx;                                                                  \
    static void NAME##_impl_visit(void *obj, uint64_t h, void *ctx)                           \
    {                                                                                         \
        NAME##_impl_visit_ctx *c = RPOOL_IMPL_CAST(NAME##_impl_visit_ctx *, ctx);             \
        NAME##_handle handle = { h };                                                         \
        c->fn(RPOOL_IMPL_CAST(T *, obj), handle, c->arg);                                     \
    }                                                                                         \
    SCOPE void NAME##_for_each(void (*fn)(T *obj, NAME##_handle h, void *arg), void *arg)     \
    {                                                                                         \
        NAME##_impl_visit_ctx ctx = { fn, arg };                                              \
        rpool_impl_for_each(&NAME##_impl_pool, RPOOL_IMPL_SHAPE(NAME, T), NAME##_impl_visit,  \
                            &ctx);                                                            \
    }                                                                                         \
    SCOPE void NAME##_thread_flush(void)                                                      \
    {                                                                                         \
        rpool_impl_thread_flush(RPOOL_IMPL_ARGS(NAME, T));                                    \
    }                                                                                         \
    SCOPE void NAME##_destroy(void)                                                           \
    {                                                                                         \
        rpool_impl_destroy(RPOOL_IMPL_ARGS(NAME, T));                                         \
    }

/* ---- the public macros --------------------------------------------------- */

/* The handle type alone: lets T hold handles of its own pool. Follow it with
   the _POOL forms below, which are the other macros minus the handle. */
#define RPOOL_HANDLE(NAME) typedef struct NAME##_handle { uint64_t value; } NAME##_handle;

#define RPOOL_DECLARE(NAME, T) RPOOL_HANDLE(NAME) RPOOL_DECLARE_POOL(NAME, T)
#define RPOOL_DECLARE_EX(NAME, T, ...) RPOOL_HANDLE(NAME) RPOOL_DECLARE_POOL_EX(NAME, T, __VA_ARGS__)
#define RPOOL_DECLARE_POOL(NAME, T) RPOOL_IMPL_DECLARE(NAME, T, RPOOL_IMPL_ZERO_CONFIG)
#define RPOOL_DECLARE_POOL_EX(NAME, T, ...) RPOOL_IMPL_DECLARE(NAME, T, __VA_ARGS__)

#define RPOOL_IMPL_DECLARE(NAME, T, ...)                                                      \
    RPOOL_IMPL_TYPES(NAME, T, __VA_ARGS__)                                                    \
    RPOOL_IMPL_EXTERNS(NAME)                                                                  \
    RPOOL_IMPL_PROTOS(NAME, NAME##_impl_type, RPOOL_IMPL_EXTERN)                              \
    RPOOL_IMPL_INLINE(NAME, NAME##_impl_type)

#define RPOOL_DEFINE(NAME, T)                                                                 \
    RPOOL_IMPL_STORAGE(NAME, )                                                                \
    RPOOL_IMPL_BODIES(NAME, NAME##_impl_type, )

#define RPOOL_DEFINE_STATIC(NAME, T) RPOOL_HANDLE(NAME) RPOOL_DEFINE_STATIC_POOL(NAME, T)
#define RPOOL_DEFINE_STATIC_EX(NAME, T, ...)                                                  \
    RPOOL_HANDLE(NAME) RPOOL_DEFINE_STATIC_POOL_EX(NAME, T, __VA_ARGS__)
#define RPOOL_DEFINE_STATIC_POOL(NAME, T) RPOOL_IMPL_DEFINE_STATIC(NAME, T, RPOOL_IMPL_ZERO_CONFIG)
#define RPOOL_DEFINE_STATIC_POOL_EX(NAME, T, ...) RPOOL_IMPL_DEFINE_STATIC(NAME, T, __VA_ARGS__)

#define RPOOL_IMPL_DEFINE_STATIC(NAME, T, ...)                                                \
    RPOOL_IMPL_TYPES(NAME, T, __VA_ARGS__)                                                    \
    RPOOL_IMPL_STORAGE(NAME, static)                                                          \
    RPOOL_IMPL_PROTOS(NAME, NAME##_impl_type, static RPOOL_IMPL_UNUSED)                       \
    RPOOL_IMPL_INLINE(NAME, NAME##_impl_type)                                                 \
    RPOOL_IMPL_BODIES(NAME, NAME##_impl_type, static RPOOL_IMPL_UNUSED)

#endif /* RPOOL_H_INCLUDED */
