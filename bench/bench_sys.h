/* bench_sys.h - the systems the benchmarks compare, behind one small
 * interface, so every workload in bench.c is written once.
 *
 * One binary per system and object size; bench.mk picks the system:
 *
 *   -DBENCH_RPOOL               rpool, NAME_release
 *   -DBENCH_RPOOL -DBENCH_OWNED rpool, NAME_release_owned
 *   -DBENCH_MALLOC              malloc/free of whatever allocator is linked
 *                               (glibc, -ljemalloc, -lmimalloc,
 *                               -ltcmalloc_minimal)
 *   -DBENCH_FREELIST            a naive intrusive freelist: the floor
 *
 * and the object size with -DOBJ_SIZE=16|128|1024.
 *
 *   ref            what the caller keeps to name an object
 *   sys_get(&r)    a new object, its reference in r; NULL on failure
 *   sys_put(r)     gives it back; nonzero when the system refuses
 *   sys_deref(r)   the object r names, as a user of the system would find
 *                  it (rpool: NAME_lookup; the others: the pointer itself)
 *
 * Each is a one-line static inline function over the system's own call, so
 * that the compiled loop is the loop a user would write around that call.
 */
#ifndef BENCH_SYS_H
#define BENCH_SYS_H

#include <stdint.h>
#include <stdlib.h>

#ifndef OBJ_SIZE
#error "define OBJ_SIZE (bytes per object, a multiple of 8)"
#endif

typedef struct bench_obj {
    uint64_t w[OBJ_SIZE / 8];
} bench_obj;

/* The adapters must vanish into the workloads for every system alike, or
   the compiler's inlining choices, not the systems, decide the results. */
#define SYS_INLINE static inline __attribute__((always_inline))

#if defined(BENCH_RPOOL)

#include "rpool.h"

RPOOL_DEFINE_STATIC(objs, bench_obj);

typedef objs_handle ref;

SYS_INLINE bench_obj *sys_get(ref *r)
{
    return objs_acquire(r);
}

#ifdef BENCH_OWNED
#define SYS_NAME "rpool-owned"
SYS_INLINE int sys_put(ref r)
{
    return objs_release_owned(r);
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

#elif defined(BENCH_MALLOC)

/* The name comes from the library that defines malloc, found at run time
   (see sys_name in bench.c), so a link that did not take shows up. */
#define SYS_NAME 0

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

#elif defined(BENCH_FREELIST)

#define SYS_NAME "freelist"

/* Single-threaded by design: the list and the slab cursor are per thread,
   and an object must go back to the thread that took it, so W4 (cross
   thread) and W7 (thread churn) do not apply. Slabs are never freed. */
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

#else
#error "define BENCH_RPOOL, BENCH_MALLOC or BENCH_FREELIST"
#endif

#endif /* BENCH_SYS_H */
