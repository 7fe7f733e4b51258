/* Two translation units see one pool: same slots, same stats, same caps. */
#include "test.h"
#include "two_units.h"

RPOOL_DEFINE(items, item);

static void handle_from_one_unit_resolves_in_the_other(void)
{
    items_handle h = other_acquire(7);
    item *mine = items_lookup(h);
    CHECK(mine != NULL);
    CHECK_EQ(mine->owner, 7);
    CHECK(other_lookup(h) == mine);
    CHECK_EQ(items_release(h), 0);
    CHECK(other_lookup(h) == NULL);
    CHECK_EQ(other_release(h), -ESTALE);
}

static void both_units_report_the_same_stats(void)
{
    items_handle a = other_acquire(1), b;
    rpool_stats mine, theirs;
    CHECK(items_acquire(&b) != NULL);
    items_stats(&mine);
    other_stats(&theirs);
    CHECK(memcmp(&mine, &theirs, sizeof mine) == 0);
    CHECK_EQ(mine.live, 2);
    CHECK_EQ(other_release(b), 0);
    CHECK_EQ(items_release(a), 0);
}

static void capacity_from_the_declare_binds_both_units(void)
{
    static items_handle hs[1000];
    items_handle extra;
    size_t i;
    for (i = 0; i < 1000; i++)
        hs[i] = other_acquire((int)i);
    CHECK(hs[999].value != 0);
    errno = 0;
    CHECK(items_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    CHECK_EQ(items_release_n(hs, 1000), 1000);
    CHECK(items_acquire(&extra) != NULL);
    CHECK_EQ(other_release(extra), 0);
}

/* One thread-local cache, not one per unit: the id this unit releases is
   the next one the other unit acquires. */
static void both_units_share_one_thread_cache(void)
{
    items_handle h = other_acquire(3), again;
    uint64_t id = items_id(h);
    CHECK(h.value != 0);
    CHECK_EQ(items_release(h), 0);
    again = other_acquire(4);
    CHECK_EQ(items_id(again), id);
    CHECK(again.value != h.value);
    CHECK_EQ(other_release(h), -ESTALE);
    CHECK_EQ(items_release(again), 0);
}

static void destroy_in_one_unit_empties_the_pool_for_both(void)
{
    items_handle h = other_acquire(9);
    rpool_stats st;
    CHECK(h.value != 0);
    items_destroy();
    CHECK(other_lookup(h) == NULL);
    CHECK_EQ(other_release(h), -EINVAL);
    other_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.blocks, 0);
    h = other_acquire(10);
    CHECK(items_lookup(h) != NULL);
    CHECK_EQ(items_lookup(h)->owner, 10);
    CHECK_EQ(items_release(h), 0);
}

int main(void)
{
    RUN(handle_from_one_unit_resolves_in_the_other);
    RUN(both_units_report_the_same_stats);
    RUN(capacity_from_the_declare_binds_both_units);
    RUN(both_units_share_one_thread_cache);
    RUN(destroy_in_one_unit_empties_the_pool_for_both);
    items_destroy();
    return test_summary();
}
