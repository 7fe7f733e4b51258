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
 *     RPOOL_DEFINE_STATIC(monsters, monster);
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
 *       RPOOL_HANDLE(units);
 *       typedef struct unit { units_handle target; int hp; } unit;
 *       RPOOL_DEFINE_STATIC_POOL(units, unit);
 *
 * Each macro is written like a declaration, with a semicolon after it,
 * and the semicolon is required: the macro ends in a declaration that only
 * the semicolon completes. So `RPOOL_DEFINE(x, T);` is clean under
 * -Wpedantic, and without the semicolon the build fails.
 *
 * A pool is a singleton with a constant initializer: nothing to call
 * before first use, no init race. Every translation unit that includes the
 * DECLARE sees the same pool and the same thread-local caches. The T of
 * RPOOL_DEFINE must be the DECLARE's (the same type, maybe by another
 * name), or the build fails ("RPOOL_DEFINE must name the same T as
 * RPOOL_DECLARE"); its configuration is always the DECLARE's. T must have
 * a size: a struct holding only a zero-length array (GNU), or in C a GNU
 * empty struct, fails the build ("sizeof(T) is 0"; in C++ an empty struct
 * has size 1 and works).
 *
 * ======================================================================
 * API (generated per NAME; T is the object type)
 * ======================================================================
 *
 *   T *NAME_acquire(NAME_handle *h);
 *       A free object; *h is its handle (the null handle on failure).
 *       Fresh slots are zero-filled; a reused slot keeps what its last
 *       user left in it (0xDB bytes under RPOOL_DEBUG, unless the pool has
 *       an init function), or zero bytes (the default RPOOL_DECOMMIT) if
 *       NAME_trim handed back its
 *       page or its block meanwhile.
 *       Return: the object, or NULL with errno = ENOSPC (the capacity,
 *       see Configuration, used up: every slot below it carved; slots
 *       another running thread cached stay with it, at most chunk_items a
 *       thread),
 *       ENOMEM (allocation failed), EAGAIN (first use of rpool by a process
 *       that has no pthread key left), ECANCELED (the config's init
 *       refused a new slot; the slot is kept for the next try), EDEADLK
 *       (called from the pool's own init while a new slot must be carved),
 *       EINVAL (every time: the configuration is forbidden and the build,
 *       at -O0, could not tell; see Configuration).
 *       Thread-safe; no lock and no atomic read-modify-write while the
 *       thread's cache has ids.
 *
 *   int NAME_release(NAME_handle h);
 *       Return: 0; -EINVAL when h cannot be a handle of this pool (0, an
 *       even version, an id past every block); -ESTALE when h's slot is
 *       not live at h's version (released already, reused, or a value the
 *       pool never issued, such as another pool's; but a value that
 *       matches a live slot is that slot's handle: see Handles). Never
 *       fails for lack of memory. Thread-safe from any thread, and
 *       race-proof: of many threads releasing the same handle at once,
 *       exactly one gets 0. One atomic compare-and-swap. On a pins pool, h is
 *       dead at once (lookup and pin refuse it, a second release gets
 *       -ESTALE) but a pinned slot is recycled only by its last NAME_unpin
 *       (stats.pending meanwhile).
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
 *   int NAME_is_null(NAME_handle h);     1 if h is the null handle (0)
 *   int NAME_equal(NAME_handle a, NAME_handle b);
 *       1 if a and b hold the same value: the same slot at the same version.
 *       Both only compare values and never look at the pool: a stale handle
 *       is not null, and equals its copies.
 *   uint64_t NAME_id(NAME_handle h);     the dense slot index in h
 *   T *NAME_address(uint64_t id);        the slot, no version check; NULL if
 *                                        the id was never carved since the
 *                                        last NAME_destroy, or its block is
 *                                        trimmed
 *   size_t NAME_acquire_n(NAME_handle *hs, T **objs, size_t n);
 *       n objects (objs may be NULL), or 0 with errno as for acquire and
 *       nothing taken: all or nothing. A failed call gives every slot it
 *       took back unspent: no version used, no slot retired.
 *   size_t NAME_release_n(const NAME_handle *hs, size_t n);
 *       How many of hs were live and are now released (NAME_release each).
 *   void NAME_stats(rpool_stats *out);
 *       Exact whenever no operation is in flight; while other threads run,
 *       every field is still within 0..carved. Takes the pool lock and sums
 *       the threads' caches: cost O(threads with a cache), not O(objects).
 *   void NAME_for_each(void (*fn)(T *obj, NAME_handle h, void *arg), void *arg);
 *       Calls fn(obj, h, arg) for every live object (not one released
 *       while pinned), with its handle, in id order. Inline: when fn is a
 *       function the compiler can see (named,
 *       not a pointer picked at run time), fn inlines into the walk, which
 *       then costs about what a loop over an array of T does (it also
 *       reads one version word per slot, live or not).
 *       The walk covers the blocks that existed when it began and reads
 *       each slot's version once, so it visits each object at most once,
 *       and an object live from before the walk began (in this thread, or
 *       in one that synchronised with it) until after it ends exactly once.
 *       From fn: releasing obj (h) is allowed, and so is releasing or
 *       acquiring other objects. An object fn releases that the walk has
 *       not reached yet (a higher id) is not visited; one fn acquires is
 *       visited later in this walk if and only if its id is higher than
 *       obj's and its block existed when the walk began (an acquire
 *       usually takes the slot this thread released last). fn must not
 *       call NAME_destroy, nor fork.
 *       Thread-safe, without a lock, and no snapshot: objects that other
 *       threads acquire or release during the walk may or may not be
 *       visited. A visited object may be released by another thread while
 *       fn runs (then h is stale), and the walk does not synchronise fn
 *       with the thread that acquired obj and writes its fields: as with
 *       NAME_lookup, fn synchronises with those threads itself (a lock, an
 *       atomic field) for the objects they share.
 *   void NAME_thread_flush(void);
 *       Hands this thread's cached ids and uncarved block tail back now, as
 *       thread exit does.
 *   size_t NAME_trim(void);
 *       Hands back to the system the memory of every block whose slots are
 *       all free ids held by the pool's global side (none live, in a
 *       thread's cache or carve range, pending or retired), and every
 *       chunk of the global side: the free ids that stay move into their
 *       blocks' bitmaps (1 bit each). Returns the bytes handed back
 *       (stats.bytes falls by as much). In a pool without init it also
 *       decommits every page of objects, in blocks still in use, whose
 *       slots are all free there (not counted in the result: a slot taken
 *       from such a page later reads as zero bytes, with the default
 *       RPOOL_DECOMMIT). Any thread, any time, while other threads use the
 *       pool; takes the pool lock for O(free ids on the global side).
 *       A thread's own cache reaches the global side with
 *       NAME_thread_flush (or its exit), so release, flush, then trim.
 *       Handles into a trimmed block stay refused (lookup NULL, release
 *       -ESTALE, pin ESTALE): its table entry points at a static guard
 *       block whose versions read 0, so no call reads the memory handed
 *       back, except one that read the block's address just before the
 *       trim: it may read zeroed pages there (and be refused), never
 *       unmapped memory, because a trimmed block's pages are decommitted
 *       (RPOOL_DECOMMIT) but stay mapped. A NAME_for_each under way keeps
 *       them committed until the next trim.
 *       A trimmed block comes back before any new block is allocated:
 *       zero-filled, its slots carved anew (init runs for each again),
 *       with versions above every version they had, so no handle value is
 *       ever issued twice. stats count its slots as never carved meanwhile:
 *       carved, global_free, blocks and bytes fall by what trim took.
 *       With glibc's malloc (RPOOL_FREE not defined), trim also calls
 *       malloc_trim(0), which hands back the freed chunks' pages.
 *   void NAME_destroy(void);
 *       Frees every block, chunk and table and every thread's cache of this
 *       pool; the pool is empty and usable again. Handles from before it
 *       are refused and no handle value is ever issued again: the next
 *       versions start above every earlier one (one floor per pool), and
 *       slots that retired stay retired (4 bytes each are kept for their
 *       ids). Call it only while no other thread is inside a call on this
 *       pool. As it frees every thread's cache, thread exit and fork call
 *       nothing of this pool afterwards; and a destroy that leaves no
 *       thread holding a cache of any pool sharing rpool's pthread key
 *       also deletes the key (each executable or shared object holding
 *       rpool's code has one, unless the dynamic linker binds its weak
 *       symbols to another's).
 *       Plugins: before a shared library that defines pools is dlclose'd,
 *       it destroys each of them, under the rule above, and no thread calls
 *       them again. Then no code of the library runs when a thread that
 *       used its pools exits, even one that outlives it, nor at a fork
 *       (the C library drops an unloaded object's pthread_atfork handlers,
 *       as glibc does).
 *       Pins still held go with their objects: their pointers dangle,
 *       NAME_unpin of their handles returns -EINVAL, and stats.pending
 *       starts again at 0.
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
 * Results that must be used are marked warn_unused_result, so that with
 * -Werror dropping one is a build error (GCC does not take a (void) cast as
 * a use). The rule: a result is marked when dropping it is always a bug.
 * That is every call that takes something, where NULL or 0 is the only
 * sign that nothing was taken (acquire, acquire_n, pin), and every call
 * that only computes its result (lookup, id, address, is_null, equal). The
 * others may be dropped: a failed release (release, release_owned,
 * release_n) changes nothing and only says that the handle was dead
 * already, which a caller that just wants it gone may not care about; a
 * failed unpin likewise changes nothing.
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
 *                 at most 1048576
 *   max_items     slots that may ever be carved             (no limit)
 *   version_bits  high handle bits given to the version, 2..63  (32)
 *                 (2..32 with pins)
 *   init          int (*)(void *obj), run once per slot on its first
 *                 acquire; nonzero refuses the acquire (ECANCELED). It may
 *                 use other pools freely; on its own pool it may release,
 *                 look up and acquire, but an acquire that needs a new slot
 *                 fails with EDEADLK (the slot being set up is never handed
 *                 out twice); it must not call NAME_thread_flush or
 *                 NAME_destroy of its own pool.
 *   pins          nonzero: NAME_pin / NAME_unpin work. Each slot's version  (0)
 *                 word grows from 4 to 8 bytes (version << 32 | pin count),
 *                 so version_bits must be at most 32 (0 takes the default,
 *                 32); release and release_owned are one compare-and-swap
 *                 loop. Pools without it keep their code and memory exactly.
 *   auto_trim     1..100: NAME_trim runs by itself when a release hands a   (0)
 *                 full chunk to the global side, or a thread flushes or
 *                 exits, and at least this percent of the slots handed out
 *                 are free ids there; then not again until they grow by
 *                 half (or four chunks), or the share falls below the mark.
 *                 Only those slow paths check it: acquire and release cost
 *                 the same.
 *
 * A value outside these ranges fails the build with a message that names
 * the field, e.g. "rpool: version_bits must be 0 (default) or 2..63":
 *
 *   C++  a static_assert in every unit that sees the DECLARE (or the
 *        DEFINE_STATIC), at any -O level. So the values must be constant
 *        expressions in C++ too.
 *   C    C cannot assert on a struct value, so the check is a call to an
 *        undefined function carrying the error attribute, which the
 *        compiler keeps only for a bad value, and only once it has folded
 *        the config: at every -O level but -O0 (-Og, -Os, -O1, -O2, -O3),
 *        with GCC and Clang. The unit holding the RPOOL_DEFINE (or the
 *        DEFINE_STATIC) then fails at that line, GCC saying "call to
 *        'rpool_impl_bad_version_bits' declared with attribute error:
 *        rpool: version_bits must be ...", Clang "call to
 *        rpool_impl_bad_version_bits declared with 'error' attribute:
 *        rpool: version_bits must be ...". Units that only include the
 *        DECLARE are not checked.
 *        At -O0 the build succeeds and the pool refuses at run time: every
 *        acquire and acquire_n fails with errno EINVAL, so nothing is ever
 *        carved (release gets -EINVAL, lookup NULL), with or without
 *        NDEBUG.
 *
 * Capacity: a pool has at most this many slots (live, cached, free or
 * retired; ids 0 to capacity - 1), the least of
 *
 *     2^32 - 1                    ids are 32-bit in the free lists
 *     2^24 * objects per block    at most 2^24 blocks
 *     2^(64 - version_bits)       the id bits of a handle
 *     max_items                   when not 0
 *
 * With the defaults (256 objects per block, 32 version bits) it is
 * 2^32 - 1. With 32 version bits and no max_items, the block bound is the
 * least whenever a block holds fewer than 256 objects: block_items = 1, or
 * a T larger than block_bytes (one object per block), stops a pool at
 * 2^24 = 16,777,216 slots; two objects per block at 2^25. Past its
 * capacity an acquire fails with ENOSPC.
 *
 * Compile-time knobs (define before including; same in every unit):
 *
 *   RPOOL_ASSERT(x)        checks of misuse                 (assert(x))
 *   RPOOL_CALLOC(n, size)  every allocation but blocks      (calloc)
 *   RPOOL_FREE(p)          its counterpart                  (free)
 *   RPOOL_MAP(size)        block memory: a span of blocks,  (mmap, anonymous)
 *                          zero-filled, NULL on failure
 *   RPOOL_UNMAP(p, size)   its counterpart (both or neither) (munmap)
 *   RPOOL_DECOMMIT(p, size) hands back the pages of a trimmed (madvise
 *                          block; 0 on success. Their bytes  MADV_DONTNEED)
 *                          may read anything afterwards
 *   RPOOL_BLOCK_BYTES, RPOOL_BLOCK_ITEMS, RPOOL_VERSION_BITS: defaults;
 *                          RPOOL_BLOCK_ITEMS above 65536 or
 *                          RPOOL_VERSION_BITS outside 2..63 is an #error
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
 * A slot's version starts at the pool's floor (0 until a NAME_destroy), is odd
 * while live and even while free.
 * Every acquire and every release adds one. A handle is valid while
 * its version equals the slot's. Handle 0 is never issued. When a slot's
 * version would wrap, the slot retires (stats.retired) and is never handed
 * out again, so no handle value is ever issued twice, across destroys too.
 * Ids are dense: id = block * objects_per_block + offset, below the
 * pool's capacity (see Configuration), so below 2^32 - 1.
 *
 * NAME_handle is a struct of one field, uint64_t value, so that each pool's
 * handles are a type of their own: giving one pool's handle to another pool
 * does not compile. The value is the whole handle: it is the integer to
 * keep where a handle must be an integer (epoll_event.data.u64, a file, a
 * hash key), and put back into a handle it is the same handle again:
 *
 *     uint64_t stored = h.value;
 *     units_handle back = { stored };      // C and C++
 *     back = (units_handle){ stored };     // C, a compound literal
 *     back = units_handle{ stored };       // C++
 *
 * The null handle is the value 0, which is never issued: lookup gives NULL
 * for it and release -EINVAL. RPOOL_NULL_HANDLE spells it as an initializer
 * of any pool's handle, in C and C++, at file scope and inside a struct's
 * initializer too (units_handle target = RPOOL_NULL_HANDLE;); zero-filled
 * memory (static storage, calloc, memset) holds null handles. C++ may
 * assign it (h = RPOOL_NULL_HANDLE;); C clears a handle with h.value = 0.
 * NAME_is_null(h) tests for it and NAME_equal(a, b) compares two handles;
 * they are per pool, like every generated function, so that comparing the
 * handles of two pools does not compile either.
 *
 * Handles carry no pool, only an id and a version. A value of another pool
 * (put back into this pool's handle type through .value) is checked like
 * any forged value, as a handle of this pool: refused (-EINVAL or -ESTALE,
 * lookup NULL) unless this pool's slot of that id is live at that very
 * version, and then it names that object, which release then releases.
 * Keep each value with its pool.
 *
 * ======================================================================
 * Guarantees, and what is undefined
 * ======================================================================
 *
 *   - Bad handles (stale, double-released, forged) get an error, never a
 *     crash or a write to another object. (A forged value that equals a
 *     live handle of the pool is that handle.) Exhaustion and allocation
 *     failure get NULL/errno and leave the pool consistent.
 *   - A thread that exits strands nothing: its cached ids and the uncarved
 *     tail of its block go back to the pool (the tail as free ids, counted
 *     in carved, where the pool has no init and the thread cached ids).
 *     One pthread key serves every pool (no limit on pool types). Once
 *     rpool's key destructor has run for a thread, pools that other keys'
 *     destructors use keep no cache between calls, so no later destructor
 *     round strands anything. One case is beyond reach: a thread whose
 *     first use of any pool is in the last destructor round
 *     (PTHREAD_DESTRUCTOR_ITERATIONS) of a key made after rpool's keeps
 *     that first cache (at most chunk_items ids and one block's uncarved
 *     range) until NAME_destroy.
 *   - fork: the child can use every pool; what the parent's other threads
 *     cached comes back to the child's pools (a call in flight on another
 *     thread at the fork may leave its one id behind).
 *   - A thread that exits, or flushes, hands back a partial chunk that is
 *     merged with others: at most about 64 bytes of pool memory per free
 *     id, whatever the pattern of exits.
 *   - max_items counts slots that exist (live, cached or free): ids handed
 *     to an idle thread but not carved are taken by a thread that needs them.
 *   - live + cached + global_free + retired + pending == carved when
 *     quiescent. A slot that retires while pinned counts in retired.
 *   - NAME_trim hands back memory while stale handles stay refused: a
 *     trimmed block's slots come back with versions above all they had.
 *   - A pinned slot is never handed to another acquirer; of a release and
 *     the unpins of a slot, exactly one party recycles it, whatever the
 *     interleaving. Whatever the releaser wrote, and every pinner read,
 *     happens before the slot's next acquire.
 *   - Objects are aligned to alignof(T).
 *   - Degenerate types and configurations fail the build (sizeof(T) 0,
 *     a field out of range: see Configuration for C at -O0).
 *   Undefined: using a raw pointer after its release (unless pinned); two
 *   concurrent release_owned of one handle (without pins); NAME_destroy
 *   while another thread is in the pool or uses a pinned pointer; an unpin
 *   without its pin (it may take another holder's pin away). Not refused:
 *   the value of another pool's handle, which this pool checks as its own
 *   (see Handles).
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
#define RPOOL_IMPL_LIBC_FREE 1 /* NAME_trim may ask the C library to give back */
#endif
#if defined(RPOOL_MAP) != defined(RPOOL_UNMAP)
#error "rpool: define both RPOOL_MAP and RPOOL_UNMAP, or neither"
#endif
#ifndef RPOOL_MAP
#define RPOOL_MAP(size) rpool_impl_map(size)
#define RPOOL_UNMAP(p, size) rpool_impl_unmap((p), (size))
#endif
#ifndef RPOOL_DECOMMIT
#define RPOOL_DECOMMIT(p, size) rpool_impl_decommit((p), (size))
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
#if RPOOL_VERSION_BITS < 2 || RPOOL_VERSION_BITS > 63
#error "rpool: RPOOL_VERSION_BITS must be 2..63"
#endif
#if RPOOL_BLOCK_ITEMS > 65536
#error "rpool: RPOOL_BLOCK_ITEMS must be at most 65536"
#endif

#include <stddef.h>
#include <stdint.h>

/* ---- public types ----------------------------------------------------- */

typedef struct rpool_config {
    size_t block_bytes;    /* max bytes of objects per block, default 65536 */
    size_t block_items;    /* max objects per block, default 256, at most 65536 */
    size_t chunk_items;    /* free ids per chunk, default = objects per block, at most 2^20 */
    uint64_t max_items;    /* capacity: slots ever carved; 0 = no limit of its own */
    unsigned version_bits; /* bits of the handle given to the version, default 32, 2..63 */
    int (*init)(void *obj); /* called once when a slot is first carved; nonzero = refuse */
    int pins;              /* nonzero: NAME_pin / NAME_unpin supported */
    unsigned auto_trim;    /* 1..100: NAME_trim runs by itself when at least this
                              percent of the slots are free on the global side; 0 = off.
                              New fields go last, so C++17 positional configs stay valid */
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

/* The null handle, as an initializer of any pool's handle (C and C++). */
#define RPOOL_NULL_HANDLE { 0 }

/* The values a configuration field accepts (0, the default, always), and
   what a build that breaks one is told. */
#define RPOOL_IMPL_VERSION_BITS_OK(v) ((v) == 0 || ((v) >= 2 && (v) <= 63))
#define RPOOL_IMPL_BLOCK_ITEMS_OK(n) ((n) <= RPOOL_IMPL_MAX_BLOCK_ITEMS)
#define RPOOL_IMPL_CHUNK_ITEMS_OK(n) ((n) <= RPOOL_IMPL_MAX_CHUNK)
#define RPOOL_IMPL_PINS_OK(p, v) (!(p) || ((v) ? (v) : RPOOL_VERSION_BITS) <= 32)
#define RPOOL_IMPL_AUTO_TRIM_OK(n) ((n) <= 100)
#define RPOOL_IMPL_MSG_VERSION_BITS "rpool: version_bits must be 0 (default) or 2..63"
#define RPOOL_IMPL_MSG_BLOCK_ITEMS "rpool: block_items must be at most 65536"
#define RPOOL_IMPL_MSG_CHUNK_ITEMS "rpool: chunk_items must be at most 1048576"
#define RPOOL_IMPL_MSG_PINS "rpool: a pool with pins needs version_bits of at most 32"
#define RPOOL_IMPL_MSG_AUTO_TRIM "rpool: auto_trim must be 0 (off) or a percent, 1..100"
#define RPOOL_IMPL_MSG_SIZE "rpool: sizeof(T) is 0: a pool needs a type with a size"
#define RPOOL_IMPL_MSG_TYPE "rpool: RPOOL_DEFINE must name the same T as RPOOL_DECLARE"

#ifdef __cplusplus
#include <type_traits>
#define RPOOL_ALIGNOF(T) alignof(T)
#define RPOOL_IMPL_ZERO_CONFIG
#define RPOOL_IMPL_CONFIG_CONST constexpr
#define RPOOL_IMPL_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define RPOOL_IMPL_SAME_TYPE(A, B) std::is_same<A, B>::value
#else
#define RPOOL_ALIGNOF(T) _Alignof(T)
#define RPOOL_IMPL_ZERO_CONFIG 0
#define RPOOL_IMPL_CONFIG_CONST const
#define RPOOL_IMPL_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define RPOOL_IMPL_SAME_TYPE(A, B) __builtin_types_compatible_p(A, B)
#endif

#include "rpool_impl.h"

/* ---- configuration checks ----------------------------------------------
 * A pool's configuration is a constant, so a forbidden value is a build
 * error. C++ asserts it (RPOOL_IMPL_CHECKS below). C cannot: a struct built
 * from designated initializers is never an integer constant expression. So
 * each RPOOL_DEFINE in C emits NAME_impl_check_config, which calls, for
 * each forbidden field, one of the functions below: they are never defined
 * and carry the error attribute, so a call that survives is an error naming
 * the field, reported at the line of the RPOOL_DEFINE. A call survives
 * exactly when the compiler has folded the config, which GCC and Clang do
 * at every -O level but -O0; at -O0 the pool refuses at run time instead
 * (acquire fails with EINVAL, see rpool_impl_check_config). */
#ifndef __cplusplus
#define RPOOL_IMPL_KEEP __attribute__((used)) /* emitted even when nothing calls it */
void rpool_impl_bad_version_bits(void) __attribute__((error(RPOOL_IMPL_MSG_VERSION_BITS)));
void rpool_impl_bad_block_items(void) __attribute__((error(RPOOL_IMPL_MSG_BLOCK_ITEMS)));
void rpool_impl_bad_chunk_items(void) __attribute__((error(RPOOL_IMPL_MSG_CHUNK_ITEMS)));
void rpool_impl_bad_pins(void) __attribute__((error(RPOOL_IMPL_MSG_PINS)));
void rpool_impl_bad_auto_trim(void) __attribute__((error(RPOOL_IMPL_MSG_AUTO_TRIM)));
/* A macro, not a function, so that the call is located at the caller's
   line: Clang names no inlining chain in this diagnostic. */
#define RPOOL_IMPL_CHECK_CONSTANT(value, ok, bad) \
    (__builtin_constant_p(value) && !ok(value) ? bad() : (void)0)
#endif

/* ---- per-type macros ---------------------------------------------------
 * Layers: TYPES (T's name, config), EXTERNS (the storage RPOOL_DEFINE
 * owns), STORAGE (that storage), PROTOS (out-of-line functions), INLINE
 * (fast paths and handle comparisons), BODIES (out-of-line functions, and
 * in C the config check), CHECKS (static assertions, last: the caller's
 * semicolon ends them). Every generated function is one call into the
 * engine with the pool, the thread-local pointer, sizeof(T), alignof(T)
 * and the config, or a one-line comparison of handle values. The one
 * exception, NAME_for_each, is two plain loops over the engine's walk
 * (rpool_impl_walk_*) that call fn themselves, so that a fn the compiler
 * can see inlines in every unit, as it could not once handed to the
 * engine as a pointer.
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
    static RPOOL_IMPL_CONFIG_CONST rpool_config NAME##_config RPOOL_IMPL_UNUSED = { __VA_ARGS__ }; \
    RPOOL_IMPL_SOME_FIELDS_END

/* Closes the DECLARE and the DEFINE_STATIC: what can be asserted of T and,
   in C++, of the config. A declaration without its semicolon, so that the
   caller's semicolon ends it; every public macro ends this way. */
#ifdef __cplusplus
#define RPOOL_IMPL_CHECKS(NAME)                                                               \
    static_assert(RPOOL_IMPL_VERSION_BITS_OK(NAME##_config.version_bits),                     \
                  RPOOL_IMPL_MSG_VERSION_BITS);                                               \
    static_assert(RPOOL_IMPL_BLOCK_ITEMS_OK(NAME##_config.block_items),                       \
                  RPOOL_IMPL_MSG_BLOCK_ITEMS);                                                \
    static_assert(RPOOL_IMPL_CHUNK_ITEMS_OK(NAME##_config.chunk_items),                       \
                  RPOOL_IMPL_MSG_CHUNK_ITEMS);                                                \
    static_assert(RPOOL_IMPL_PINS_OK(NAME##_config.pins, NAME##_config.version_bits),         \
                  RPOOL_IMPL_MSG_PINS);                                                       \
    static_assert(RPOOL_IMPL_AUTO_TRIM_OK(NAME##_config.auto_trim),                           \
                  RPOOL_IMPL_MSG_AUTO_TRIM);                                                  \
    static_assert(sizeof(NAME##_impl_type) > 0, RPOOL_IMPL_MSG_SIZE)
#define RPOOL_IMPL_CHECK_BODY(NAME)
#else
#define RPOOL_IMPL_CHECKS(NAME) _Static_assert(sizeof(NAME##_impl_type) > 0, RPOOL_IMPL_MSG_SIZE)
#define RPOOL_IMPL_CHECK_BODY(NAME)                                                           \
    static RPOOL_IMPL_KEEP void NAME##_impl_check_config(void)                                \
    {                                                                                         \
        RPOOL_IMPL_CHECK_CONSTANT(NAME##_config.version_bits, RPOOL_IMPL_VERSION_BITS_OK,     \
                                  rpool_impl_bad_version_bits);                               \
        RPOOL_IMPL_CHECK_CONSTANT(NAME##_config.block_items, RPOOL_IMPL_BLOCK_ITEMS_OK,       \
                                  rpool_impl_bad_block_items);                                \
        RPOOL_IMPL_CHECK_CONSTANT(NAME##_config.chunk_items, RPOOL_IMPL_CHUNK_ITEMS_OK,       \
                                  rpool_impl_bad_chunk_items);                                \
        RPOOL_IMPL_CHECK_CONSTANT(NAME##_config.auto_trim, RPOOL_IMPL_AUTO_TRIM_OK,           \
                                  rpool_impl_bad_auto_trim);                                  \
        (__builtin_constant_p(NAME##_config.pins) &&                                          \
                 __builtin_constant_p(NAME##_config.version_bits) &&                          \
                 !RPOOL_IMPL_PINS_OK(NAME##_config.pins, NAME##_config.version_bits)          \
             ? rpool_impl_bad_pins()                                                          \
             : (void)0);                                                                      \
    }
#endif

#define RPOOL_IMPL_EXTERNS(NAME)                                                              \
    RPOOL_IMPL_EXTERN rpool_impl_pool NAME##_impl_pool;                                       \
    RPOOL_IMPL_EXTERN RPOOL_IMPL_TLS rpool_impl_local *NAME##_impl_local;

#define RPOOL_IMPL_STORAGE(NAME, SCOPE)                                                       \
    static rpool_impl_local NAME##_impl_none;                                                 \
    RPOOL_IMPL_SOME_FIELDS_BEGIN                                                              \
    SCOPE rpool_impl_pool NAME##_impl_pool = RPOOL_IMPL_POOL_INIT;                            \
    RPOOL_IMPL_SOME_FIELDS_END                                                                \
    SCOPE RPOOL_IMPL_TLS rpool_impl_local *NAME##_impl_local = &NAME##_impl_none;

#define RPOOL_IMPL_PROTOS(NAME, T, SCOPE)                                                     \
    SCOPE rpool_impl_got NAME##_impl_acquire_slow(void);                                      \
    SCOPE int NAME##_impl_release_slow(uint64_t h, int owned);                                \
    SCOPE void NAME##_impl_unpin_last(uint64_t h);                                            \
    SCOPE RPOOL_IMPL_MUST_USE size_t NAME##_acquire_n(NAME##_handle *hs, T **objs, size_t n); \
    SCOPE size_t NAME##_release_n(const NAME##_handle *hs, size_t n);                         \
    SCOPE void NAME##_stats(rpool_stats *out);                                                \
    SCOPE void NAME##_thread_flush(void);                                                     \
    SCOPE size_t NAME##_trim(void);                                                           \
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
    RPOOL_IMPL_MUST_USE RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST T *NAME##_lookup(NAME##_handle h)     \
    {                                                                                         \
        return RPOOL_IMPL_CAST(T *, rpool_impl_lookup(&NAME##_impl_pool,                      \
                                                      RPOOL_IMPL_SHAPE(NAME, T), h.value));   \
    }                                                                                         \
    RPOOL_IMPL_MUST_USE RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST uint64_t NAME##_id(NAME##_handle h)   \
    {                                                                                         \
        return rpool_impl_id(RPOOL_IMPL_SHAPE(NAME, T), h.value);                             \
    }                                                                                         \
    RPOOL_IMPL_MUST_USE RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST T *NAME##_address(uint64_t id)        \
    {                                                                                         \
        return RPOOL_IMPL_CAST(T *, rpool_impl_address(&NAME##_impl_pool,                     \
                                                       RPOOL_IMPL_SHAPE(NAME, T), id));       \
    }                                                                                         \
    RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST void NAME##_for_each(                                   \
        void (*fn)(T *obj, NAME##_handle h, void *arg), void *arg)                            \
    {                                                                                         \
        rpool_impl_walk w = rpool_impl_walk_begin(&NAME##_impl_pool);                         \
        NAME##_handle h;                                                                      \
        void *obj;                                                                            \
        uint32_t off;                                                                         \
        while (rpool_impl_walk_block(&NAME##_impl_pool, RPOOL_IMPL_SHAPE(NAME, T), &w))       \
            for (off = 0; off < w.end; off++)                                                 \
                if (rpool_impl_walk_live(RPOOL_IMPL_SHAPE(NAME, T), &w, off, &obj, &h.value)) \
                    fn(RPOOL_IMPL_CAST(T *, obj), h, arg);                                    \
        rpool_impl_walk_end(&NAME##_impl_pool);                                               \
    }                                                                                         \
    RPOOL_IMPL_MUST_USE RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST int NAME##_is_null(NAME##_handle h)   \
    {                                                                                         \
        return h.value == 0;                                                                  \
    }                                                                                         \
    RPOOL_IMPL_MUST_USE RPOOL_IMPL_UNUSED RPOOL_IMPL_FAST int NAME##_equal(NAME##_handle a,     \
                                                                       NAME##_handle b)       \
    {                                                                                         \
        return a.value == b.value;                                                            \
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
    RPOOL_IMPL_CHECK_BODY(NAME)                                                               \
    SCOPE rpool_impl_got NAME##_impl_acquire_slow(void)                                       \
    {                                                                                         \
        rpool_impl_got got = { 0, 0 };                                                        \
        got.obj = rpool_impl_acquire_slow(RPOOL_IMPL_ARGS(NAME, T), &got.h);                  \
        return got;                                                                           \
    }                                                                                         \
    SCOPE int NAME##_impl_release_slow(uint64_t h, int owned)                                 \
    {                                                                                         \
        return rpool_impl_release_slow(RPOOL_IMPL_ARGS(NAME, T), h, owned);                   \
    }                                                                                         \
    SCOPE void NAME##_impl_unpin_last(uint64_t h)                                             \
    {                                                                                         \
        rpool_impl_unpin_last(RPOOL_IMPL_ARGS(NAME, T), h);                                   \
    }                                                                                         \
    static void *NAME##_impl_acquire_one(uint64_t *h)                                         \
    {                                                                                         \
        return rpool_impl_acquire(RPOOL_IMPL_ARGS(NAME, T), h, NAME##_impl_acquire_slow);     \
    }                                                                                         \
    static int NAME##_impl_release_raw(uint64_t h)                                            \
    {                                                                                         \
        return rpool_impl_release(RPOOL_IMPL_ARGS(NAME, T), h, 0, NAME##_impl_release_slow);  \
    }                                                                                         \
    static void NAME##_impl_unacquire(uint64_t h)                                             \
    {                                                                                         \
        rpool_impl_unacquire(RPOOL_IMPL_ARGS(NAME, T), h);                                    \
    }                                                                                         \
    SCOPE size_t NAME##_acquire_n(NAME##_handle *hs, T **objs, size_t n)                      \
    {                                                                                         \
        return rpool_impl_acquire_n(&hs->value, objs, sizeof *objs, n,                        \
                                    NAME##_impl_acquire_one, NAME##_impl_unacquire);          \
    }                                                                                         \
    SCOPE size_t NAME##_release_n(const NAME##_handle *hs, size_t n)                          \
    {                                                                                         \
        return rpool_impl_release_n(&hs->value, n, NAME##_impl_release_raw);                  \
    }                                                                                         \
    SCOPE void NAME##_stats(rpool_stats *out)                                                 \
    {                                                                                         \
        rpool_impl_stats(&NAME##_impl_pool, RPOOL_IMPL_SHAPE(NAME, T), out);                  \
    }                                                                                         \
    SCOPE void NAME##_thread_flush(void)                                                      \
    {                                                                                         \
        rpool_impl_thread_flush(&NAME##_impl_pool, &NAME##_impl_local);                       \
    }                                                                                         \
    SCOPE size_t NAME##_trim(void)                                                            \
    {                                                                                         \
        return rpool_impl_trim(&NAME##_impl_pool, RPOOL_IMPL_SHAPE(NAME, T));                 \
    }                                                                                         \
    SCOPE void NAME##_destroy(void)                                                           \
    {                                                                                         \
        rpool_impl_destroy(RPOOL_IMPL_ARGS(NAME, T));                                         \
    }

/* ---- the public macros --------------------------------------------------- */

/* The handle type alone: lets T hold handles of its own pool. Follow it with
   the _POOL forms below, which are the other macros minus the handle. Each
   public macro ends in a declaration that the caller's semicolon ends. */
#define RPOOL_HANDLE(NAME) typedef struct NAME##_handle { uint64_t value; } NAME##_handle

#define RPOOL_DECLARE(NAME, T) RPOOL_HANDLE(NAME); RPOOL_DECLARE_POOL(NAME, T)
#define RPOOL_DECLARE_EX(NAME, T, ...)                                                        \
    RPOOL_HANDLE(NAME); RPOOL_DECLARE_POOL_EX(NAME, T, __VA_ARGS__)
#define RPOOL_DECLARE_POOL(NAME, T) RPOOL_IMPL_DECLARE(NAME, T, RPOOL_IMPL_ZERO_CONFIG)
#define RPOOL_DECLARE_POOL_EX(NAME, T, ...) RPOOL_IMPL_DECLARE(NAME, T, __VA_ARGS__)

#define RPOOL_IMPL_DECLARE(NAME, T, ...)                                                      \
    RPOOL_IMPL_TYPES(NAME, T, __VA_ARGS__)                                                    \
    RPOOL_IMPL_EXTERNS(NAME)                                                                  \
    RPOOL_IMPL_PROTOS(NAME, NAME##_impl_type, RPOOL_IMPL_EXTERN)                              \
    RPOOL_IMPL_INLINE(NAME, NAME##_impl_type)                                                 \
    RPOOL_IMPL_CHECKS(NAME)

#define RPOOL_DEFINE(NAME, T)                                                                 \
    RPOOL_IMPL_STORAGE(NAME, )                                                                \
    RPOOL_IMPL_BODIES(NAME, NAME##_impl_type, )                                               \
    RPOOL_IMPL_STATIC_ASSERT(RPOOL_IMPL_SAME_TYPE(T, NAME##_impl_type), RPOOL_IMPL_MSG_TYPE)

#define RPOOL_DEFINE_STATIC(NAME, T) RPOOL_HANDLE(NAME); RPOOL_DEFINE_STATIC_POOL(NAME, T)
#define RPOOL_DEFINE_STATIC_EX(NAME, T, ...)                                                  \
    RPOOL_HANDLE(NAME); RPOOL_DEFINE_STATIC_POOL_EX(NAME, T, __VA_ARGS__)
#define RPOOL_DEFINE_STATIC_POOL(NAME, T) RPOOL_IMPL_DEFINE_STATIC(NAME, T, RPOOL_IMPL_ZERO_CONFIG)
#define RPOOL_DEFINE_STATIC_POOL_EX(NAME, T, ...) RPOOL_IMPL_DEFINE_STATIC(NAME, T, __VA_ARGS__)

#define RPOOL_IMPL_DEFINE_STATIC(NAME, T, ...)                                                \
    RPOOL_IMPL_TYPES(NAME, T, __VA_ARGS__)                                                    \
    RPOOL_IMPL_STORAGE(NAME, static)                                                          \
    RPOOL_IMPL_PROTOS(NAME, NAME##_impl_type, static RPOOL_IMPL_UNUSED)                       \
    RPOOL_IMPL_INLINE(NAME, NAME##_impl_type)                                                 \
    RPOOL_IMPL_BODIES(NAME, NAME##_impl_type, static RPOOL_IMPL_UNUSED)                       \
    RPOOL_IMPL_CHECKS(NAME)

#endif /* RPOOL_H_INCLUDED */
