/* bench_sys.h - the systems the benchmarks compare, behind one small
 * interface, so every workload in bench.c is written once.
 *
 * One binary per system and object size; bench.mk picks the system:
 *
 *   -DBENCH_RPOOL               rpool, NAME_release
 *   -DBENCH_RPOOL -DBENCH_OWNED rpool, NAME_release_owned
 *   -DBENCH_RPOOL -DBENCH_AUTO_TRIM
 *                               rpool, NAME_release, on a pool with
 *                               .auto_trim = 50
 *   -DBENCH_MALLOC              malloc/free of whatever allocator is linked
 *                               (glibc, -ljemalloc, -lmimalloc,
 *                               -ltcmalloc_minimal), and with one of
 *                               -DBENCH_GLIBC, -DBENCH_JEMALLOC,
 *                               -DBENCH_MIMALLOC, -DBENCH_TCMALLOC, that
 *                               allocator's call to give memory back
 *   -DBENCH_FREELIST            a naive intrusive freelist: the floor
 *   -DBENCH_VCHECK              the version-check floor: the least pool
 *                               that refuses what rpool refuses
 *
 * and the object size with -DOBJ_SIZE=16|128|1024.
 *
 *   ref            what the caller keeps to name an object
 *   sys_get(&r)    a new object, its reference in r; NULL on failure
 *   sys_put(r)     gives it back; nonzero when the system refuses
 *   sys_deref(r)   the object r names, as a user of the system would find
 *                  it (rpool: NAME_lookup; the others: the pointer itself)
 *   sys_trim()     after this thread has put objects back: what the system
 *                  offers to give free memory back to the kernel, with this
 *                  thread's cache handed back first where it has one
 *                  (W11, W12); the bytes it says it gave back (0 where it
 *                  does not say), SIZE_MAX when the call failed
 *
 * Each is a one-line static inline function over the system's own call, so
 * that the compiled loop is the loop a user would write around that call.
 * Two constants say which workloads a system takes part in:
 *
 *   SYS_THREADS    2: an object may be put from any thread; 1: each thread
 *                  gets and puts its own; 0: one thread only
 *   SYS_CHECKED    1: sys_deref checks the reference and may refuse it
 *   SYS_TRIMS      1: sys_trim exists (not the freelist, which never frees
 *                  its slabs, nor vcheck, whose arrays are static)
 */
#ifndef BENCH_SYS_H
#define BENCH_SYS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#if !defined(OBJ_SIZE) || OBJ_SIZE < 16 || OBJ_SIZE % 8
#error "define OBJ_SIZE (bytes per object, a multiple of 8, at least 16)"
#endif

typedef struct bench_obj {
    uint64_t w[OBJ_SIZE / 8];
} bench_obj;

/* The adapters must vanish into the workloads for every system alike, or
   the compiler's inlining choices, not the systems, decide the results. */
#define SYS_INLINE static inline __attribute__((always_inline))

#if defined(BENCH_RPOOL)

#include "rpool.h"

#ifdef BENCH_AUTO_TRIM
RPOOL_DEFINE_STATIC_EX(objs, bench_obj, .auto_trim = 50);
#else
RPOOL_DEFINE_STATIC(objs, bench_obj);
#endif

#define SYS_THREADS 2
#define SYS_CHECKED 1
#define SYS_TRIMS 1

typedef objs_handle ref;

SYS_INLINE bench_obj *sys_get(ref *r)
{
    return objs_acquire(r);
}

#if defined(BENCH_OWNED)
#define SYS_NAME "rpool-owned"
SYS_INLINE int sys_put(ref r)
{
    return objs_release_owned(r);
}
#elif defined(BENCH_AUTO_TRIM)
#define SYS_NAME "rpool-auto"
SYS_INLINE int sys_put(ref r)
{
    return objs_release(r);
}
#else
#define SYS_NAME "rpool"
SYS_INLINE int sys_put(ref r)
{
    return objs_release(r);
}
#endif

SYS_INLINE bench_obj *sys_deref(ref r)
{
    return objs_lookup(r);
}

#ifdef BENCH_AUTO_TRIM
/* The policy trims by itself, as releases hand chunks to the global side:
   nothing to call, not even a flush. */
SYS_INLINE size_t sys_trim(void)
{
    return 0;
}
#else
SYS_INLINE size_t sys_trim(void)
{
    objs_thread_flush();
    return objs_trim();
}
#endif

#elif defined(BENCH_MALLOC)

/* The name comes from the library that defines malloc, found at run time
   (see sys_name in bench.c), so a link that did not take shows up. */
#define SYS_NAME 0
#define SYS_THREADS 2
#define SYS_CHECKED 0
#define SYS_TRIMS 1

typedef bench_obj *ref;

SYS_INLINE bench_obj *sys_get(ref *r)
{
    return *r = (bench_obj *)malloc(sizeof(bench_obj));
}

SYS_INLINE int sys_put(ref r)
{
    free(r);
    return 0;
}

SYS_INLINE bench_obj *sys_deref(ref r)
{
    return r;
}

/* Each allocator's documented call, after what hands this thread's cache
   back where the allocator has one apart from its heap (as rpool's
   NAME_thread_flush does before NAME_trim). */
#if defined(BENCH_GLIBC)
#include <malloc.h>
SYS_INLINE size_t sys_trim(void)
{
    malloc_trim(0);
    return 0;
}
#elif defined(BENCH_JEMALLOC)
#include <jemalloc/jemalloc.h>
#define SYS_STR(x) SYS_STR2(x)
#define SYS_STR2(x) #x
/* jemalloc.h's own example: purge every arena's unused dirty pages. */
SYS_INLINE size_t sys_trim(void)
{
    if (mallctl("thread.tcache.flush", 0, 0, 0, 0) != 0 ||
        mallctl("arena." SYS_STR(MALLCTL_ARENAS_ALL) ".purge", 0, 0, 0, 0) != 0)
        return SIZE_MAX;
    return 0;
}
#elif defined(BENCH_MIMALLOC)
#include <mimalloc.h>
/* force: also this thread's deferred frees, and return memory to the OS. */
SYS_INLINE size_t sys_trim(void)
{
    mi_collect(1);
    return 0;
}
#elif defined(BENCH_TCMALLOC)
#include <gperftools/malloc_extension_c.h>
SYS_INLINE size_t sys_trim(void)
{
    MallocExtension_MarkThreadIdle();
    MallocExtension_ReleaseFreeMemory();
    return 0;
}
#else
#error "BENCH_MALLOC needs BENCH_GLIBC, BENCH_JEMALLOC, BENCH_MIMALLOC or BENCH_TCMALLOC"
#endif

#elif defined(BENCH_FREELIST)

#define SYS_NAME "freelist"
#define SYS_THREADS 1
#define SYS_CHECKED 0
#define SYS_TRIMS 0

/* Single-threaded by design: the list and the slab cursor are per thread,
   and an object must go back to the thread that took it, so W4 and the
   W8 producer/consumer pairs (cross thread) and W7 (thread churn) do not
   apply. Slabs are never freed. */
typedef struct fl_node {
    struct fl_node *next;
} fl_node;

#define FL_SLAB_OBJS 4096

static _Thread_local fl_node *fl_head;
static _Thread_local bench_obj *fl_cur, *fl_end;

typedef bench_obj *ref;

static inline bench_obj *fl_refill(void)
{
    fl_cur = (bench_obj *)malloc(sizeof(bench_obj) * FL_SLAB_OBJS);
    if (!fl_cur) {
        fl_end = 0;
        return 0;
    }
    fl_end = fl_cur + FL_SLAB_OBJS;
    return fl_cur++;
}

SYS_INLINE bench_obj *sys_get(ref *r)
{
    fl_node *n = fl_head;

    if (n) {
        fl_head = n->next;
        return *r = (bench_obj *)(void *)n;
    }
    if (fl_cur != fl_end)
        return *r = fl_cur++;
    return *r = fl_refill();
}

SYS_INLINE int sys_put(ref r)
{
    fl_node *n = (fl_node *)(void *)r;

    n->next = fl_head;
    fl_head = n;
    return 0;
}

SYS_INLINE bench_obj *sys_deref(ref r)
{
    return r;
}

#elif defined(BENCH_VCHECK)

#define SYS_NAME "vcheck"
#define SYS_THREADS 0
#define SYS_CHECKED 1
#define SYS_TRIMS 0

/* The version-check floor: the least machinery that refuses exactly the
   handles rpool refuses (0, an even version, an id never carved, a stale or
   already released handle), to show what rpool's checks, thread caches and
   thread safety cost on top. One thread, a fixed capacity: slot i's object
   and version in two static arrays (untouched pages stay unfaulted), free
   slots on a stack. Versions follow rpool's rule: 0 never used, odd live,
   even free; a handle is version << 32 | id; a release that would leave the
   version at 0xfffffffe retires the slot, so no handle value is issued
   twice. A stack entry is the free slot's handle, so that a get builds the
   new handle without reading the slot's version (as rpool's chunks do). */
#define VC_CAP (1u << 20) /* the most any workload keeps live is 1M */
#define VC_RETIRED 0xfffffffeu
#define VC_VER1 (1ull << 32) /* 1 in a handle's version */

typedef struct vc_handle {
    uint64_t value;
} ref;

static bench_obj vc_obj[VC_CAP];
static uint32_t vc_ver[VC_CAP];
static uint64_t vc_free[VC_CAP];
static uint32_t vc_carved, vc_nfree;

SYS_INLINE bench_obj *sys_get(ref *r)
{
    uint64_t h;

    if (vc_nfree) {
        h = vc_free[--vc_nfree] + VC_VER1;
    } else if (vc_carved < VC_CAP) {
        h = VC_VER1 | vc_carved++;
    } else {
        r->value = 0; /* a handle every call refuses */
        return 0;
    }
    vc_ver[(uint32_t)h] = (uint32_t)(h >> 32);
    r->value = h;
    return &vc_obj[(uint32_t)h];
}

/* 0; -EINVAL for a handle never issued; -ESTALE for one no longer live. */
SYS_INLINE int sys_put(ref r)
{
    uint32_t ver = (uint32_t)(r.value >> 32), id = (uint32_t)r.value;

    if (!(ver & 1) || id >= vc_carved)
        return -EINVAL;
    if (vc_ver[id] != ver)
        return -ESTALE;
    vc_ver[id] = ver + 1;
    if (ver + 1 != VC_RETIRED)
        vc_free[vc_nfree++] = r.value + VC_VER1;
    return 0;
}

SYS_INLINE bench_obj *sys_deref(ref r)
{
    uint32_t ver = (uint32_t)(r.value >> 32), id = (uint32_t)r.value;

    if (!(ver & 1) || id >= vc_carved || vc_ver[id] != ver)
        return 0;
    return &vc_obj[id];
}

#else
#error "define BENCH_RPOOL, BENCH_MALLOC, BENCH_FREELIST or BENCH_VCHECK"
#endif

#endif /* BENCH_SYS_H */
