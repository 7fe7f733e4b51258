/* Every generated function, used the way the manual in rpool.h says, on one
 * thread. Each test uses a pool of its own, so that counts start at zero. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rpool.h"
#include "test.h"

typedef struct rec {
    int a;
    double b;
} rec;

RPOOL_DEFINE_STATIC(basic, rec);
RPOOL_DEFINE_STATIC(dense, rec);
RPOOL_DEFINE_STATIC(owned, rec);
RPOOL_DEFINE_STATIC(reuse, rec);
RPOOL_DEFINE_STATIC(bulk, rec);
RPOOL_DEFINE_STATIC_EX(tiny, rec, .max_items = 10);
RPOOL_DEFINE_STATIC(counted, rec);
RPOOL_DEFINE_STATIC(walked, rec);
RPOOL_DEFINE_STATIC_EX(rewalked, rec, .block_items = 8);
RPOOL_DEFINE_STATIC_EX(grown, rec, .block_items = 8);
RPOOL_DEFINE_STATIC(flushed, rec);
RPOOL_DEFINE_STATIC(doomed, rec);

#define MANY 1000

static void acquire_returns_an_object_that_lookup_finds(void)
{
    basic_handle h = { 0 };
    rec *r = basic_acquire(&h);
    CHECK(r != NULL);
    CHECK(h.value != 0);
    CHECK(basic_lookup(h) == r);
    CHECK(basic_address(basic_id(h)) == r);
    r->a = 42;
    CHECK_EQ(basic_lookup(h)->a, 42);
    CHECK_EQ(basic_release(h), 0);
    CHECK(basic_lookup(h) == NULL);
}

/* ids are dense: a fresh pool used by one thread hands out 0, 1, 2, ... */
static void ids_are_dense_and_address_maps_each_back_to_its_object(void)
{
    static dense_handle hs[MANY];
    static rec *objs[MANY];
    static unsigned char seen[MANY];
    size_t i;

    for (i = 0; i < MANY; i++) {
        objs[i] = dense_acquire(&hs[i]);
        CHECK(objs[i] != NULL);
    }
    for (i = 0; i < MANY; i++) {
        uint64_t id = dense_id(hs[i]);
        CHECK(id < MANY);
        CHECK(!seen[id]);
        seen[id] = 1;
        CHECK(dense_address(id) == objs[i]);
        CHECK(dense_lookup(hs[i]) == objs[i]);
    }
    CHECK_EQ(dense_release_n(hs, MANY), MANY);
    /* Released slots keep their address: id -> slot is for life. */
    for (i = 0; i < MANY; i++)
        CHECK(dense_address(dense_id(hs[i])) == objs[i]);
}

static void address_of_an_id_never_carved_is_null(void)
{
    basic_handle h;
    rpool_stats st;
    CHECK(basic_acquire(&h) != NULL);
    basic_stats(&st);
    CHECK(basic_address(st.carved) == NULL);
    CHECK(basic_address(st.carved + 1) == NULL);
    CHECK(basic_address(st.blocks * 256) == NULL);
    CHECK(basic_address(UINT32_MAX) == NULL);
    CHECK(basic_address((uint64_t)1 << 32) == NULL);
    CHECK(basic_address(UINT64_MAX) == NULL);
    CHECK_EQ(basic_release(h), 0);
}

static void release_owned_releases_and_refuses_a_second_time(void)
{
    owned_handle h;
    rec *r = owned_acquire(&h);
    CHECK(r != NULL);
    CHECK_EQ(owned_release_owned(h), 0);
    CHECK(owned_lookup(h) == NULL);
    CHECK_EQ(owned_release_owned(h), -ESTALE);
    CHECK_EQ(owned_release(h), -ESTALE);
}

/* The thread cache is LIFO: the slot just released comes back first, under
   a new handle, and the old handle stays refused. */
static void released_slot_is_reused_under_a_new_handle(void)
{
    reuse_handle h1, h2;
    rec *r1 = reuse_acquire(&h1), *r2;
    CHECK(r1 != NULL);
    r1->a = 7;
    CHECK_EQ(reuse_release(h1), 0);
    r2 = reuse_acquire(&h2);
    CHECK(r2 == r1);
    CHECK_EQ(reuse_id(h2), reuse_id(h1));
    CHECK(h2.value != h1.value);
#if RPOOL_DEBUG
    CHECK_EQ(*(unsigned char *)r2, 0xdb); /* released objects are poisoned */
#else
    CHECK_EQ(r2->a, 7); /* a reused slot keeps what its last user left */
#endif
    CHECK(reuse_lookup(h1) == NULL);
    CHECK(reuse_lookup(h2) == r2);
    CHECK_EQ(reuse_release(h2), 0);
}

static void acquire_n_hands_out_n_distinct_live_objects(void)
{
    static bulk_handle hs[300];
    static rec *objs[300];
    rpool_stats st;
    size_t i, j;

    CHECK_EQ(bulk_acquire_n(hs, objs, 300), 300);
    for (i = 0; i < 300; i++) {
        CHECK(objs[i] != NULL);
        CHECK(bulk_lookup(hs[i]) == objs[i]);
        for (j = 0; j < i; j++)
            CHECK(objs[j] != objs[i]);
    }
    bulk_stats(&st);
    CHECK_EQ(st.live, 300);
    CHECK_EQ(bulk_release_n(hs, 300), 300);
}

static void acquire_n_accepts_null_objs(void)
{
    bulk_handle hs[50];
    rpool_stats st;
    size_t i;

    CHECK_EQ(bulk_acquire_n(hs, NULL, 50), 50);
    for (i = 0; i < 50; i++)
        CHECK(bulk_lookup(hs[i]) != NULL);
    bulk_stats(&st);
    CHECK_EQ(st.live, 50);
    CHECK_EQ(bulk_release_n(hs, 50), 50);
}

static void acquire_n_past_capacity_takes_nothing_and_sets_enospc(void)
{
    tiny_handle singles[4], hs[7] = { { 0 } }, extra;
    rec *objs[7];
    rpool_stats st;
    size_t i;

    for (i = 0; i < 4; i++)
        CHECK(tiny_acquire(&singles[i]) != NULL);

    errno = 0;
    CHECK_EQ(tiny_acquire_n(hs, objs, 7), 0);
    CHECK_EQ(errno, ENOSPC);
    tiny_stats(&st);
    CHECK_EQ(st.live, 4);
    for (i = 0; i < 7; i++)
        CHECK(tiny_lookup(hs[i]) == NULL);

    errno = 0;
    CHECK_EQ(tiny_acquire_n(hs, NULL, 7), 0);
    CHECK_EQ(errno, ENOSPC);
    tiny_stats(&st);
    CHECK_EQ(st.live, 4);

    /* Exactly the room that is left still fits, and then nothing does. */
    CHECK_EQ(tiny_acquire_n(hs, objs, 6), 6);
    tiny_stats(&st);
    CHECK_EQ(st.live, 10);
    CHECK_EQ(st.carved, 10);
    errno = 0;
    CHECK(tiny_acquire(&extra) == NULL);
    CHECK_EQ(errno, ENOSPC);
    CHECK_EQ(tiny_release_n(hs, 6), 6);
    CHECK_EQ(tiny_release_n(singles, 4), 4);
    tiny_stats(&st);
    CHECK_EQ(st.live, 0);
}

static void release_n_counts_only_the_handles_that_were_live(void)
{
    bulk_handle hs[12];
    size_t i;

    for (i = 0; i < 10; i++)
        CHECK(bulk_acquire(&hs[i]) != NULL);
    CHECK_EQ(bulk_release(hs[2]), 0);
    CHECK_EQ(bulk_release(hs[5]), 0);
    CHECK_EQ(bulk_release_owned(hs[9]), 0);
    hs[10].value = 0;                 /* never valid */
    hs[11].value = hs[0].value + ((uint64_t)1 << 32); /* even version: forged */
    CHECK_EQ(bulk_release_n(hs, 12), 7);
    for (i = 0; i < 10; i++)
        CHECK(bulk_lookup(hs[i]) == NULL);
    CHECK_EQ(bulk_release_n(hs, 12), 0);
    CHECK_EQ(bulk_release_n(hs, 0), 0);
}

static void stats_count_live_free_carved_and_blocks(void)
{
    static counted_handle hs[300];
    rpool_stats st;
    size_t i;

    counted_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.carved, 0);
    CHECK_EQ(st.blocks, 0);
    CHECK_EQ(st.bytes, 0);
    CHECK_EQ(st.threads, 0);

    for (i = 0; i < 300; i++)
        CHECK(counted_acquire(&hs[i]) != NULL);
    counted_stats(&st);
    CHECK_EQ(st.live, 300);
    CHECK_EQ(st.carved, 300);
    CHECK_EQ(st.cached + st.global_free + st.retired, 0);
    CHECK_EQ(st.blocks, 2); /* 256 small objects per block by default */
    CHECK_EQ(st.threads, 1);
    CHECK(st.bytes >= 300 * sizeof(rec));

    CHECK_EQ(counted_release_n(hs, 100), 100);
    counted_stats(&st);
    CHECK_EQ(st.live, 200);
    CHECK_EQ(st.carved, 300);
    CHECK_EQ(st.cached + st.global_free, 100);

    CHECK_EQ(counted_release_n(hs + 100, 200), 200);
    counted_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.cached + st.global_free, 300);
    CHECK_EQ(st.live + st.cached + st.global_free + st.retired, st.carved);
}

struct visit_log {
    size_t calls;
    int bad;
    walked_handle seen[64];
};

static void log_visit(rec *obj, walked_handle h, void *arg)
{
    struct visit_log *log = arg;
    if (walked_lookup(h) != obj || log->calls >= 64)
        log->bad = 1;
    else
        log->seen[log->calls] = h;
    log->calls++;
}

static void for_each_visits_live_objects_only_with_their_handles(void)
{
    walked_handle hs[40];
    struct visit_log log = { 0, 0, { { 0 } } };
    size_t i, j;

    walked_for_each(log_visit, &log);
    CHECK_EQ(log.calls, 0);

    for (i = 0; i < 40; i++)
        CHECK(walked_acquire(&hs[i]) != NULL);
    for (i = 0; i < 40; i += 2)
        CHECK_EQ(walked_release(hs[i]), 0);
    walked_for_each(log_visit, &log);
    CHECK_EQ(log.calls, 20);
    CHECK(!log.bad);
    for (i = 1; i < 40; i += 2) {
        int found = 0;
        for (j = 0; j < log.calls; j++)
            found += log.seen[j].value == hs[i].value;
        CHECK_EQ(found, 1);
    }
    for (i = 1; i < 40; i += 2)
        CHECK_EQ(walked_release(hs[i]), 0);
}

struct release_log {
    size_t calls, released;
};

static void release_visited(rec *obj, walked_handle h, void *arg)
{
    struct release_log *log = arg;
    (void)obj;
    log->calls++;
    log->released += walked_release(h) == 0;
}

static void for_each_callback_may_release_the_object_it_visits(void)
{
    walked_handle hs[600];
    struct release_log log = { 0, 0 };
    rpool_stats st;
    size_t i;

    for (i = 0; i < 600; i++)
        CHECK(walked_acquire(&hs[i]) != NULL);
    walked_for_each(release_visited, &log);
    CHECK_EQ(log.calls, 600);
    CHECK_EQ(log.released, 600);
    walked_stats(&st);
    CHECK_EQ(st.live, 0);
    for (i = 0; i < 600; i++)
        CHECK(walked_lookup(hs[i]) == NULL);
    log.calls = 0;
    walked_for_each(release_visited, &log);
    CHECK_EQ(log.calls, 0);
}

struct change_log {
    size_t calls;
    uint64_t ids[16];
    rewalked_handle seen[16];
    rewalked_handle dropped;   /* released from fn, at id 2 */
    rewalked_handle added;     /* acquired from fn, at id 1 */
    int bad;
};

static void change_while_walking(rec *obj, rewalked_handle h, void *arg)
{
    struct change_log *log = arg;
    uint64_t id = rewalked_id(h);

    if (rewalked_lookup(h) != obj || log->calls >= 16) {
        log->bad = 1;
        return;
    }
    log->ids[log->calls] = id;
    log->seen[log->calls++] = h;
    if (id == 1 && !rewalked_acquire(&log->added))
        log->bad = 1;
    else if (id == 2 && rewalked_release(log->dropped) != 0)
        log->bad = 1;
}

/* The manual's rules for fn, on one thread: the walk goes in id order; an
   object fn releases that the walk has not reached is not visited; one fn
   acquires is visited later exactly when its id is higher than the one
   being visited. */
static void for_each_skips_what_fn_releases_ahead_and_visits_what_it_acquires_ahead(void)
{
    rewalked_handle hs[8];
    struct change_log log;
    size_t i, added_seen = 0;

    memset(&log, 0, sizeof log);
    for (i = 0; i < 8; i++)
        CHECK(rewalked_acquire(&hs[i]) != NULL);
    CHECK_EQ(rewalked_id(hs[7]), 7);
    CHECK_EQ(rewalked_release(hs[6]), 0); /* a free slot ahead for fn's acquire */
    log.dropped = hs[4];
    rewalked_for_each(change_while_walking, &log);
    CHECK(!log.bad);
    for (i = 1; i < log.calls; i++)
        CHECK(log.ids[i] > log.ids[i - 1]);
    for (i = 0; i < log.calls; i++) {
        CHECK(log.ids[i] != 4);
        added_seen += log.seen[i].value == log.added.value;
    }
    CHECK_EQ(added_seen, rewalked_id(log.added) > 1);
    CHECK_EQ(log.calls, 6 + added_seen); /* 0 1 2 3 5 7, and fn's new object if ahead */
    CHECK_EQ(rewalked_release(log.added), 0);
    for (i = 0; i < 8; i++)
        if (i != 4 && i != 6)
            CHECK_EQ(rewalked_release(hs[i]), 0);
}

struct grow_log {
    size_t calls;
    int bad;
};

static void acquire_one_more(rec *obj, grown_handle h, void *arg)
{
    struct grow_log *log = arg;
    grown_handle more;

    (void)obj;
    (void)h;
    if (++log->calls > 1000 || !grown_acquire(&more))
        log->bad = 1;
}

/* A walk covers the blocks that existed when it began: a fn that acquires
   an object at every visit (each a new slot, ahead of the walk) makes the
   walk visit the rest of the block, not blocks made meanwhile, so it
   ends. */
static void for_each_whose_fn_acquires_at_every_visit_ends_at_the_blocks_it_began_with(void)
{
    grown_handle h;
    struct grow_log log = { 0, 0 };
    rpool_stats before, after;

    CHECK(grown_acquire(&h) != NULL);
    grown_stats(&before);
    CHECK_EQ(before.blocks, 1);
    grown_for_each(acquire_one_more, &log);
    CHECK(!log.bad);
    CHECK_EQ(log.calls, 8); /* the one live object, then the seven carved after it */
    grown_stats(&after);
    CHECK_EQ(after.live, 9);
    CHECK_EQ(after.blocks, 2);
}

/* The calling thread's cached ids and its uncarved block tail go to the
   global side; the next acquire takes them back instead of carving. */
static void thread_flush_moves_the_cache_to_the_global_queue(void)
{
    flushed_handle hs[100];
    rpool_stats before, after;
    size_t i;

    for (i = 0; i < 100; i++)
        CHECK(flushed_acquire(&hs[i]) != NULL);
    CHECK_EQ(flushed_release_n(hs, 100), 100);
    flushed_stats(&before);
    CHECK_EQ(before.cached, 100);
    CHECK_EQ(before.global_free, 0);
    CHECK_EQ(before.threads, 1);

    flushed_thread_flush();
    flushed_stats(&after);
    CHECK_EQ(after.cached, 0);
    CHECK_EQ(after.global_free, 100);
    CHECK_EQ(after.threads, 0);
    CHECK_EQ(after.carved, 100);
    CHECK_EQ(after.live, 0);

    flushed_thread_flush(); /* nothing left to hand back: harmless */

    /* 300 objects: the 100 flushed ids, the 156 of the block's tail, and
       44 from a second block. */
    {
        static flushed_handle more[300];
        CHECK_EQ(flushed_acquire_n(more, NULL, 300), 300);
        flushed_stats(&after);
        CHECK_EQ(after.carved, 300);
        CHECK_EQ(after.blocks, 2);
        CHECK_EQ(after.live, 300);
        CHECK_EQ(after.threads, 1);
        CHECK_EQ(flushed_release_n(more, 300), 300);
    }
}

static void destroy_frees_everything_and_refuses_old_handles(void)
{
    static doomed_handle hs[MANY];
    doomed_handle h;
    rpool_stats st;
    rec *r;
    size_t i;

    for (i = 0; i < MANY; i++) {
        r = doomed_acquire(&hs[i]);
        CHECK(r != NULL);
        r->a = -1;
        r->b = 1.5;
    }
    CHECK_EQ(doomed_release_n(hs, MANY / 2), MANY / 2);

    doomed_destroy();
    doomed_stats(&st);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.cached, 0);
    CHECK_EQ(st.global_free, 0);
    CHECK_EQ(st.carved, 0);
    CHECK_EQ(st.retired, 0);
    CHECK_EQ(st.blocks, 0);
    CHECK_EQ(st.bytes, 0);
    CHECK_EQ(st.threads, 0);
    for (i = 0; i < MANY; i++) {
        CHECK(doomed_lookup(hs[i]) == NULL);
        CHECK(doomed_address(doomed_id(hs[i])) == NULL);
        CHECK_EQ(doomed_release(hs[i]), -EINVAL);
        CHECK_EQ(doomed_release_owned(hs[i]), -EINVAL);
    }
    CHECK_EQ(doomed_release_n(hs, MANY), 0);

    /* Usable again, from fresh zeroed memory. */
    r = doomed_acquire(&h);
    CHECK(r != NULL);
    CHECK_EQ(r->a, 0);
    CHECK(r->b == 0.0);
    CHECK_EQ(doomed_id(h), 0);
    doomed_stats(&st);
    CHECK_EQ(st.live, 1);
    CHECK_EQ(st.carved, 1);
    CHECK_EQ(st.blocks, 1);
    CHECK_EQ(doomed_release(h), 0);

    doomed_destroy();
    doomed_destroy(); /* twice in a row is harmless */
    doomed_stats(&st);
    CHECK_EQ(st.bytes, 0);
}

int main(void)
{
    RUN(acquire_returns_an_object_that_lookup_finds);
    RUN(ids_are_dense_and_address_maps_each_back_to_its_object);
    RUN(address_of_an_id_never_carved_is_null);
    RUN(release_owned_releases_and_refuses_a_second_time);
    RUN(released_slot_is_reused_under_a_new_handle);
    RUN(acquire_n_hands_out_n_distinct_live_objects);
    RUN(acquire_n_accepts_null_objs);
    RUN(acquire_n_past_capacity_takes_nothing_and_sets_enospc);
    RUN(release_n_counts_only_the_handles_that_were_live);
    RUN(stats_count_live_free_carved_and_blocks);
    RUN(for_each_visits_live_objects_only_with_their_handles);
    RUN(for_each_callback_may_release_the_object_it_visits);
    RUN(for_each_skips_what_fn_releases_ahead_and_visits_what_it_acquires_ahead);
    RUN(for_each_whose_fn_acquires_at_every_visit_ends_at_the_blocks_it_began_with);
    RUN(thread_flush_moves_the_cache_to_the_global_queue);
    RUN(destroy_frees_everything_and_refuses_old_handles);
    basic_destroy();
    dense_destroy();
    owned_destroy();
    reuse_destroy();
    bulk_destroy();
    tiny_destroy();
    counted_destroy();
    walked_destroy();
    rewalked_destroy();
    grown_destroy();
    flushed_destroy();
    return test_summary();
}
