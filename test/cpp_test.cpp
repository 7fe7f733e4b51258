/* rpool from C++ (C++17 and C++20): pools of C++ types, lambdas as
   visitors, std::thread, and pools shared with a C unit (cpp_c_unit.c).
   The pool never runs constructors: a slot is zero-filled memory, so T is a
   trivial type here (a non-trivial T needs placement new after acquire and
   an explicit destructor call before release). */
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <thread>
#include <vector>

#include "test.h"
#include "cpp_c_unit.h"

struct alignas(32) particle {
    float pos[3];
    float vel[3];
    std::uint32_t frame;
};
RPOOL_DEFINE_STATIC(particles, particle);

struct small {
    int value;
};
/* C++17: configuration fields go positionally, in declaration order
   (block_bytes, block_items, chunk_items, max_items). */
RPOOL_DEFINE_STATIC_EX(smalls, small, 0, 4, 0, 8);

struct job {
    char payload[64];
};
RPOOL_DEFINE_STATIC(jobs, job);

RPOOL_DEFINE(cxxtokens, token);

static bool stats_balance(const rpool_stats &s)
{
    return s.live + s.cached + s.global_free + s.retired == s.carved;
}

static void acquire_lookup_release_round_trip()
{
    particles_handle h;
    particle *p = particles_acquire(&h);
    CHECK(p != nullptr);
    CHECK(h.value != 0);
    p->frame = 42;
    CHECK(particles_lookup(h) == p);
    CHECK(particles_address(particles_id(h)) == p);
    CHECK_EQ(particles_release(h), 0);
    CHECK(particles_lookup(h) == nullptr);
    CHECK_EQ(particles_release(h), -ESTALE);
    CHECK_EQ(particles_release_owned(h), -ESTALE);
}

RPOOL_DEFINE_STATIC(notes, small);

struct holder {
    notes_handle note = RPOOL_NULL_HANDLE; /* a default member initializer */
};

static void null_handle_equal_and_value_work_in_cpp()
{
    holder none;
    notes_handle h;
    CHECK(notes_is_null(none.note));
    CHECK(notes_lookup(none.note) == nullptr);
    CHECK(notes_acquire(&h) != nullptr);
    CHECK(!notes_is_null(h));
    const std::uint64_t stored = h.value;
    notes_handle back = notes_handle{stored};
    CHECK(notes_equal(back, h));
    CHECK(!notes_equal(back, none.note));
    CHECK_EQ(notes_release(back), 0);
    back = RPOOL_NULL_HANDLE; /* C++ also assigns it */
    CHECK(notes_is_null(back));
}

static void objects_keep_the_alignment_of_t()
{
    std::vector<particles_handle> hs(600);
    std::vector<particle *> objs(600);
    CHECK_EQ(particles_acquire_n(hs.data(), objs.data(), hs.size()), 600);
    for (particle *p : objs)
        CHECK(reinterpret_cast<std::uintptr_t>(p) % alignof(particle) == 0);
    CHECK_EQ(particles_release_n(hs.data(), hs.size()), 600);
}

static void stats_count_what_is_live()
{
    rpool_stats before, during, after;
    particles_handle hs[3];
    particles_stats(&before);
    for (particles_handle &h : hs)
        CHECK(particles_acquire(&h) != nullptr);
    particles_stats(&during);
    CHECK_EQ(during.live, before.live + 3);
    CHECK(stats_balance(during));
    CHECK_EQ(particles_release_n(hs, 3), 3);
    particles_stats(&after);
    CHECK_EQ(after.live, before.live);
    CHECK(stats_balance(after));
}

static void for_each_takes_a_lambda_and_sees_live_objects_only()
{
    particles_handle keep[4], gone[2];
    std::uint32_t frames = 0;
    for (std::uint32_t i = 0; i < 4; i++) {
        particle *p = particles_acquire(&keep[i]);
        CHECK(p != nullptr);
        p->frame = i + 1;
    }
    for (particles_handle &h : gone)
        CHECK(particles_acquire(&h) != nullptr);
    CHECK_EQ(particles_release_n(gone, 2), 2);

    particles_for_each([](particle *obj, particles_handle, void *arg) {
        *static_cast<std::uint32_t *>(arg) += obj->frame;
    }, &frames);
    CHECK_EQ(frames, 1 + 2 + 3 + 4);

    /* The visitor may release the object it is given. */
    particles_for_each([](particle *, particles_handle h, void *) {
        particles_release(h);
    }, nullptr);
    for (particles_handle &h : keep)
        CHECK(particles_lookup(h) == nullptr);
}

static void positional_config_sets_capacity_and_block_size()
{
    std::vector<smalls_handle> hs(9);
    rpool_stats st;
    errno = 0;
    CHECK_EQ(smalls_acquire_n(hs.data(), nullptr, 9), 0);
    CHECK_EQ(errno, ENOSPC);
    smalls_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(smalls_acquire_n(hs.data(), nullptr, 8), 8);
    smalls_stats(&st);
    CHECK_EQ(st.blocks, 2); /* block_items = 4 */
    CHECK_EQ(smalls_release_n(hs.data(), 8), 8);
}

#if __cplusplus >= 202002L
RPOOL_DEFINE_STATIC_EX(desig, small, .block_items = 2, .max_items = 4);

static void cpp20_designated_config_takes_effect()
{
    desig_handle hs[5];
    rpool_stats st;
    CHECK_EQ(desig_acquire_n(hs, nullptr, 4), 4);
    errno = 0;
    CHECK(desig_acquire(&hs[4]) == nullptr);
    CHECK_EQ(errno, ENOSPC);
    desig_stats(&st);
    CHECK_EQ(st.blocks, 2);
    CHECK_EQ(desig_release_n(hs, 4), 4);
    desig_destroy();
}
#endif

/* Threads that exit hand back their cached ids and block tails (as free
   ids: 2000 is 7 blocks and 208 of an eighth, so each leaves 48 of those):
   the main thread then reuses every slot those blocks hold without a new
   block. */
static void exited_threads_strand_nothing()
{
    std::vector<std::thread> threads;
    std::atomic<int> holding{0};
    rpool_stats st;
    for (int t = 0; t < 4; t++)
        threads.emplace_back([&holding] {
            std::vector<jobs_handle> hs(2000);
            bool got = jobs_acquire_n(hs.data(), nullptr, hs.size()) == hs.size();
            /* Hold until every thread has its 2000, so none reuses another's. */
            holding++;
            while (holding.load() < 4)
                std::this_thread::yield();
            if (got)
                jobs_release_n(hs.data(), hs.size());
        });
    for (std::thread &t : threads)
        t.join();
    jobs_stats(&st);
    CHECK_EQ(st.carved, 8192);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.cached, 0);
    CHECK_EQ(st.threads, 0);
    CHECK(stats_balance(st));

    const size_t blocks = st.blocks, room = blocks * RPOOL_BLOCK_ITEMS;
    std::vector<jobs_handle> hs(room);
    CHECK_EQ(jobs_acquire_n(hs.data(), nullptr, room), room);
    jobs_stats(&st);
    CHECK_EQ(st.blocks, blocks);
    CHECK_EQ(jobs_release_n(hs.data(), room), room);
}

static void pool_defined_in_c_is_one_pool_in_cpp()
{
    rpool_stats mine, theirs;
    ctokens_handle h = c_acquire_ctoken(7);
    token *t = ctokens_lookup(h);
    CHECK(t != nullptr);
    CHECK_EQ(t->owner, 7);
    CHECK(c_lookup_ctoken(h) == t);
    ctokens_stats(&mine);
    c_ctokens_stats(&theirs);
    CHECK_EQ(mine.live, 1);
    CHECK_EQ(theirs.live, 1);
    CHECK_EQ(mine.carved, theirs.carved);
    CHECK_EQ(ctokens_release(h), 0);
    CHECK(c_lookup_ctoken(h) == nullptr);
    CHECK_EQ(c_release_ctoken(h), -ESTALE);
}

static void pool_defined_in_cpp_is_one_pool_in_c()
{
    cxxtokens_handle h;
    token *t = cxxtokens_acquire(&h);
    CHECK(t != nullptr);
    t->owner = 11;
    CHECK(c_lookup_cxxtoken(h) == t);
    CHECK_EQ(c_release_cxxtoken(h), 0);
    CHECK(cxxtokens_lookup(h) == nullptr);
    CHECK_EQ(cxxtokens_release(h), -ESTALE);

    cxxtokens_handle from_c = c_acquire_cxxtoken(12);
    t = cxxtokens_lookup(from_c);
    CHECK(t != nullptr);
    CHECK_EQ(t->owner, 12);
    CHECK_EQ(cxxtokens_release(from_c), 0);
}

static void c_unit_config_binds_the_cpp_unit()
{
    std::vector<ctokens_handle> hs(65);
    errno = 0;
    CHECK_EQ(ctokens_acquire_n(hs.data(), nullptr, 65), 0); /* max_items = 64 */
    CHECK_EQ(errno, ENOSPC);
    CHECK_EQ(ctokens_acquire_n(hs.data(), nullptr, 64), 64);
    CHECK(c_acquire_ctoken(1).value == 0);
    CHECK_EQ(ctokens_release_n(hs.data(), 64), 64);
}

int main()
{
    RUN(acquire_lookup_release_round_trip);
    RUN(null_handle_equal_and_value_work_in_cpp);
    RUN(objects_keep_the_alignment_of_t);
    RUN(stats_count_what_is_live);
    RUN(for_each_takes_a_lambda_and_sees_live_objects_only);
    RUN(positional_config_sets_capacity_and_block_size);
#if __cplusplus >= 202002L
    RUN(cpp20_designated_config_takes_effect);
#endif
    RUN(exited_threads_strand_nothing);
    RUN(pool_defined_in_c_is_one_pool_in_cpp);
    RUN(pool_defined_in_cpp_is_one_pool_in_c);
    RUN(c_unit_config_binds_the_cpp_unit);
    particles_destroy();
    smalls_destroy();
    jobs_destroy();
    notes_destroy();
    cxxtokens_destroy();
    ctokens_destroy();
    return test_summary();
}
