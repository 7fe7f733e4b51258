/* A pool's object type may have any name, including the names the generated
 * functions give their parameters and locals. That this file compiles is
 * half the test; the other half is that each pool sees the type's true
 * size (a shadowed name would make sizeof see a parameter instead). */
#include <errno.h>
#include <stdint.h>

#include "rpool.h"
#include "test.h"

typedef struct h { char bytes[100]; } h;
typedef struct obj { char bytes[200]; } obj;
typedef struct handle { char bytes[300]; } handle;
typedef struct id { char bytes[3]; } id;
typedef struct n { double d[5]; } n;
typedef struct hs { int i; } hs;
typedef struct objs { int i[3]; } objs;
typedef struct out { int i[4]; } out;
typedef struct fn { int i[5]; } fn;
typedef struct arg { int i[6]; } arg;
typedef struct ctx { int i[7]; } ctx;
typedef struct c { int i[9]; } c;
typedef struct lp { int i[10]; } lp;
struct tagged { char bytes[500]; };

RPOOL_DEFINE_STATIC(p_h, h);
RPOOL_DEFINE_STATIC(p_obj, obj);
RPOOL_DEFINE_STATIC(p_handle, handle);
RPOOL_DEFINE_STATIC(p_id, id);
RPOOL_DEFINE_STATIC(p_n, n);
RPOOL_DEFINE_STATIC(p_hs, hs);
RPOOL_DEFINE_STATIC(p_objs, objs);
RPOOL_DEFINE_STATIC(p_out, out);
RPOOL_DEFINE_STATIC(p_fn, fn);
RPOOL_DEFINE_STATIC(p_arg, arg);
RPOOL_DEFINE_STATIC(p_ctx, ctx);
RPOOL_DEFINE_STATIC(p_c, c);
RPOOL_DEFINE_STATIC(p_lp, lp);
RPOOL_DEFINE_STATIC(p_tagged, struct tagged);

/* Acquires two objects, fills both completely, and checks that they do not
   overlap, that lookup, id and address agree, and that every call of the
   pool works; then walks the pool and releases through for_each. */
#define ROUND_TRIP(NAME, T)                                                        \
    static void visit_##NAME(T *o, NAME##_handle hd, void *count)                  \
    {                                                                              \
        (void)o;                                                                   \
        *(int *)count += NAME##_release(hd) == 0;                                  \
    }                                                                              \
    static void type_named_like_a_parameter_works_##NAME(void)                     \
    {                                                                              \
        NAME##_handle a, b, more[4];                                               \
        T *pa = NAME##_acquire(&a), *pb = NAME##_acquire(&b), *objs_[4];           \
        rpool_stats st;                                                            \
        int released = 0;                                                          \
        CHECK(pa != NULL && pb != NULL);                                           \
        memset(pa, 1, sizeof(T));                                                  \
        memset(pb, 2, sizeof(T));                                                  \
        CHECK((char *)pb >= (char *)pa + sizeof(T) ||                              \
              (char *)pa >= (char *)pb + sizeof(T));                               \
        CHECK_EQ(((unsigned char *)pa)[sizeof(T) - 1], 1);                         \
        CHECK(NAME##_lookup(a) == pa);                                             \
        CHECK(NAME##_address(NAME##_id(b)) == pb);                                 \
        CHECK_EQ(NAME##_acquire_n(more, objs_, 4), 4);                             \
        CHECK_EQ(NAME##_release_n(more, 4), 4);                                    \
        NAME##_stats(&st);                                                         \
        CHECK_EQ(st.live, 2);                                                      \
        NAME##_for_each(visit_##NAME, &released);                                  \
        CHECK_EQ(released, 2);                                                     \
        CHECK_EQ(NAME##_release_owned(a), -ESTALE);                                \
        NAME##_thread_flush();                                                     \
        NAME##_destroy();                                                          \
    }

ROUND_TRIP(p_h, h)
ROUND_TRIP(p_obj, obj)
ROUND_TRIP(p_handle, handle)
ROUND_TRIP(p_id, id)
ROUND_TRIP(p_n, n)
ROUND_TRIP(p_hs, hs)
ROUND_TRIP(p_objs, objs)
ROUND_TRIP(p_out, out)
ROUND_TRIP(p_fn, fn)
ROUND_TRIP(p_arg, arg)
ROUND_TRIP(p_ctx, ctx)
ROUND_TRIP(p_c, c)
ROUND_TRIP(p_lp, lp)
ROUND_TRIP(p_tagged, struct tagged)

int main(void)
{
    RUN(type_named_like_a_parameter_works_p_h);
    RUN(type_named_like_a_parameter_works_p_obj);
    RUN(type_named_like_a_parameter_works_p_handle);
    RUN(type_named_like_a_parameter_works_p_id);
    RUN(type_named_like_a_parameter_works_p_n);
    RUN(type_named_like_a_parameter_works_p_hs);
    RUN(type_named_like_a_parameter_works_p_objs);
    RUN(type_named_like_a_parameter_works_p_out);
    RUN(type_named_like_a_parameter_works_p_fn);
    RUN(type_named_like_a_parameter_works_p_arg);
    RUN(type_named_like_a_parameter_works_p_ctx);
    RUN(type_named_like_a_parameter_works_p_c);
    RUN(type_named_like_a_parameter_works_p_lp);
    RUN(type_named_like_a_parameter_works_p_tagged);
    return test_summary();
}
