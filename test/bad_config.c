/* A configuration that rpool.h forbids, in a build that cannot see it: at
 * -O0 the compiler does not fold the config, so the build succeeds (at any
 * other -O level it fails: test/compile_errors.sh), and the pool refuses at
 * run time instead. make test builds this file at -O0, with and without
 * NDEBUG: the refusal is the same in both. */
#include <errno.h>

#include "rpool.h"
#include "test.h"

typedef struct item { int a; } item;

RPOOL_DEFINE_STATIC_EX(vb64, item, .version_bits = 64);
RPOOL_DEFINE_STATIC_EX(vb1, item, .version_bits = 1, .max_items = 10);
RPOOL_DEFINE_STATIC_EX(wide_blocks, item, .block_items = 65537);
RPOOL_DEFINE_STATIC_EX(long_chunks, item, .chunk_items = (1 << 20) + 1);
RPOOL_DEFINE_STATIC_EX(wide_pins, item, .version_bits = 40, .pins = 1);
RPOOL_DEFINE_STATIC_EX(eager_trim, item, .auto_trim = 101);
RPOOL_DEFINE_STATIC_EX(fine, item, .version_bits = 63, .block_items = 65536,
                       .chunk_items = 1 << 20, .auto_trim = 100);

/* Every acquire fails with EINVAL, so nothing is ever carved: every other
   call finds an empty pool, before and after NAME_destroy. */
#define REFUSED(NAME)                                                              \
    static void NAME##_refuses_every_acquire_with_einval(void)                     \
    {                                                                              \
        NAME##_handle h = RPOOL_NULL_HANDLE, hs[3];                                \
        NAME##_handle forged = { 1ull << 32 };                                     \
        item *objs[3];                                                             \
        rpool_stats st;                                                            \
        int round;                                                                 \
        for (round = 0; round < 2; round++) {                                      \
            errno = 0;                                                             \
            CHECK(NAME##_acquire(&h) == NULL);                                     \
            CHECK_EQ(errno, EINVAL);                                               \
            CHECK(NAME##_is_null(h));                                              \
            errno = 0;                                                             \
            CHECK_EQ(NAME##_acquire_n(hs, objs, 3), 0);                            \
            CHECK_EQ(errno, EINVAL);                                               \
            CHECK_EQ(NAME##_release(forged), -EINVAL);                             \
            CHECK_EQ(NAME##_release_owned(forged), -EINVAL);                       \
            CHECK(NAME##_lookup(forged) == NULL);                                  \
            CHECK(NAME##_address(0) == NULL);                                      \
            CHECK_EQ(NAME##_trim(), 0);                                            \
            NAME##_stats(&st);                                                     \
            CHECK_EQ(st.carved, 0);                                                \
            CHECK_EQ(st.blocks, 0);                                                \
            CHECK_EQ(st.bytes, 0);                                                 \
            CHECK_EQ(st.threads, 0);                                               \
            NAME##_destroy();                                                      \
        }                                                                          \
    }

REFUSED(vb64)
REFUSED(vb1)
REFUSED(wide_blocks)
REFUSED(long_chunks)
REFUSED(wide_pins)
REFUSED(eager_trim)

static void the_limits_themselves_work(void)
{
    fine_handle h;
    item *it = fine_acquire(&h);
    CHECK(it != NULL);
    CHECK(fine_lookup(h) == it);
    CHECK_EQ(fine_release(h), 0);
    fine_destroy();
}

int main(void)
{
    RUN(vb64_refuses_every_acquire_with_einval);
    RUN(vb1_refuses_every_acquire_with_einval);
    RUN(wide_blocks_refuses_every_acquire_with_einval);
    RUN(long_chunks_refuses_every_acquire_with_einval);
    RUN(wide_pins_refuses_every_acquire_with_einval);
    RUN(eager_trim_refuses_every_acquire_with_einval);
    RUN(the_limits_themselves_work);
    return test_summary();
}
