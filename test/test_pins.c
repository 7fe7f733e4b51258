/* Pins: NAME_pin, NAME_unpin, stats.pending, and what every other call does
 * on a pool configured with .pins. Each test uses a pool of its own, so
 * that counts start at zero.
 *
 * RPOOL_ASSERT is routed to a recorder, so that the one configuration the
 * engine must refuse (pins with more than 32 version bits) can be seen
 * refused at run time too; every other test expects no assertion. */
#define _POSIX_C_SOURCE 200809L /* pthread barriers under -std=c11 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static int asserts;
#define RPOOL_ASSERT(x) ((x) ? (void)0 : (void)__atomic_fetch_add(&asserts, 1, __ATOMIC_RELAXED))

#include "rpool.h"
#include "test.h"

typedef struct rec {
    uint64_t stamp;
    int a;
} rec;

RPOOL_DEFINE_STATIC_EX(basic, rec, .pins = 1);
RPOOL_DEFINE_STATIC(plain, rec);
RPOOL_DEFINE_STATIC_EX(forged, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(stale, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(killed, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(unpinned, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(owned, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(reused, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(capped, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(worn, rec, .pins = 1, .version_bits = 4, .block_items = 8);
RPOOL_DEFINE_STATIC_EX(counted, rec, .pins = 1, .block_items = 16, .chunk_items = 4);
RPOOL_DEFINE_STATIC_EX(walked, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(bulk, rec, .pins = 1, .max_items = 10);
RPOOL_DEFINE_STATIC_EX(flushed, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(crossed, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(raced, rec, .pins = 1, .block_items = 64, .chunk_items = 16);
RPOOL_DEFINE_STATIC_EX(doomed, rec, .pins = 1);
RPOOL_DEFINE_STATIC_EX(warm, rec, .pins = 1);

#define PIN_MAX ((1u << 20) - 1)

/* live + cached + global_free + retired + pending == carved, and the
   fields given match. */
#define CHECK_COUNTS(NAME, LIVE, PENDING)                                          \
    do {                                                                           \
        rpool_stats st_;                                                           \
        NAME##_stats(&st_);                                                        \
        CHECK_EQ(st_.live, LIVE);                                                  \
        CHECK_EQ(st_.pending, PENDING);                                            \
        CHECK_EQ(st_.live + st_.cached + st_.global_free + st_.retired + st_.pending, \
                 st_.carved);                                                      \
    } while (0)

/* ---- the rules, one thread ------------------------------------------------ */

static void pin_returns_the_live_object_and_unpin_undoes_it(void)
{
    basic_handle h = { 0 };
    rec *r = basic_acquire(&h), *p;

    CHECK(r != NULL);
    r->a = 5;
    p = basic_pin(h);
    CHECK(p == r);
    CHECK(basic_pin(h) == r); /* pins add up */
    CHECK_EQ(basic_unpin(h), 0);
    CHECK_EQ(basic_unpin(h), 0);
    CHECK_EQ(basic_unpin(h), -EINVAL); /* no pin left to undo */
    CHECK(basic_lookup(h) == r);
    CHECK_EQ(r->a, 5);
    CHECK_COUNTS(basic, 1, 0);
    CHECK_EQ(basic_release(h), 0);
    CHECK_COUNTS(basic, 0, 0);
}

static void pools_without_pins_refuse_pin_with_enotsup_and_unpin_with_einval(void)
{
    plain_handle h = { 0 }, zero = { 0 };

    CHECK(plain_acquire(&h) != NULL);
    errno = 0;
    CHECK(plain_pin(h) == NULL);
    CHECK_EQ(errno, ENOTSUP);
    errno = 0;
    CHECK(plain_pin(zero) == NULL);
    CHECK_EQ(errno, ENOTSUP);
    CHECK_EQ(plain_unpin(h), -EINVAL);
    CHECK(plain_lookup(h) != NULL); /* nothing changed */
    CHECK_EQ(plain_release(h), 0);
}

/* Handles this pool never issued: refused before any slot is touched. */
static void pin_and_unpin_refuse_handles_never_issued_with_einval(void)
{
    forged_handle h = { 0 }, bad[4];
    int i;

    CHECK(forged_acquire(&h) != NULL);
    bad[0].value = 0;                            /* 0 */
    bad[1].value = h.value + (1ull << 32);       /* even version */
    bad[2].value = h.value + 256;                /* an id past every block */
    bad[3].value = (h.value & ~0xffffffffull) | 0xffffffffu; /* the last id */
    for (i = 0; i < 4; i++) {
        errno = 0;
        CHECK(forged_pin(bad[i]) == NULL);
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(forged_unpin(bad[i]), -EINVAL);
    }
    CHECK_EQ(forged_unpin(h), -EINVAL); /* live, but not pinned */
    CHECK_COUNTS(forged, 1, 0);
    CHECK_EQ(forged_release(h), 0);
    CHECK_COUNTS(forged, 0, 0);
}

/* A stale pin writes nothing: the slot it names, free or reused, keeps its
   pin count (an add-then-undo pin would bump and undo it, and an acquire
   in between would overwrite the bump). */
static void pin_of_a_released_handle_fails_with_estale_and_touches_nothing(void)
{
    stale_handle h = { 0 }, again = { 0 }, later = { 0 };
    rec *r = stale_acquire(&h);

    CHECK(r != NULL);
    CHECK_EQ(stale_release(h), 0);
    errno = 0;
    CHECK(stale_pin(h) == NULL);
    CHECK_EQ(errno, ESTALE);
    CHECK_EQ(stale_unpin(h), -EINVAL);
    CHECK(stale_acquire(&again) == r); /* the same slot, a new handle */
    errno = 0;
    CHECK(stale_pin(h) == NULL);
    CHECK_EQ(errno, ESTALE);
    /* A handle of a later version than the slot's is refused too. */
    later.value = again.value + (2ull << 32);
    errno = 0;
    CHECK(stale_pin(later) == NULL);
    CHECK_EQ(errno, ESTALE);
    CHECK_EQ(stale_unpin(again), -EINVAL); /* no pin was added */
    CHECK_EQ(stale_release(again), 0);
    CHECK_COUNTS(stale, 0, 0); /* recycled at once: nothing pending */
}

static void release_of_a_pinned_handle_kills_it_but_keeps_the_slot_until_the_last_unpin(void)
{
    killed_handle h = { 0 }, other[64], next = { 0 };
    rec *r = killed_acquire(&h);
    uint64_t id = killed_id(h);
    int i;

    CHECK(r != NULL);
    r->stamp = h.value;
    CHECK(killed_pin(h) == r);
    CHECK(killed_pin(h) == r);
    CHECK_EQ(killed_release(h), 0);
    /* The handle is dead at once... */
    CHECK(killed_lookup(h) == NULL);
    errno = 0;
    CHECK(killed_pin(h) == NULL);
    CHECK_EQ(errno, ESTALE);
    CHECK_EQ(killed_release(h), -ESTALE);
    CHECK_EQ(killed_release_owned(h), -ESTALE);
    CHECK_COUNTS(killed, 0, 1);
    /* ...but its object is still the pinners' to read, and no acquire
       gets the slot. */
    CHECK_EQ(r->stamp, h.value);
    for (i = 0; i < 64; i++) {
        CHECK(killed_acquire(&other[i]) != NULL);
        CHECK(killed_id(other[i]) != id);
    }
    CHECK_EQ(killed_release_n(other, 64), 64);
    CHECK_EQ(killed_unpin(h), 0);
    CHECK_COUNTS(killed, 0, 1);
    CHECK_EQ(r->stamp, h.value);
    /* The last unpin recycles it into this thread's cache: it comes back
       first, under a new handle. */
    CHECK_EQ(killed_unpin(h), 0);
    CHECK_COUNTS(killed, 0, 0);
    CHECK_EQ(killed_unpin(h), -EINVAL);
    CHECK(killed_acquire(&next) == r);
    CHECK(next.value != h.value);
    CHECK_EQ(killed_unpin(h), -EINVAL);
    CHECK_EQ(killed_release(next), 0);
}

static void release_of_a_handle_whose_pins_are_all_undone_recycles_at_once(void)
{
    unpinned_handle h = { 0 }, next = { 0 };
    rec *r = unpinned_acquire(&h);

    CHECK(r != NULL);
    CHECK(unpinned_pin(h) == r);
    CHECK_EQ(unpinned_unpin(h), 0);
    CHECK_EQ(unpinned_release(h), 0);
    CHECK_COUNTS(unpinned, 0, 0);
    CHECK(unpinned_acquire(&next) == r);
    CHECK_EQ(unpinned_release(next), 0);
}

/* release_owned on a pins pool is the same compare-and-swap as release: a
   pin taken while the owner holds the handle is kept. */
static void release_owned_keeps_a_pin_and_leaves_the_slot_pending(void)
{
    owned_handle h = { 0 };
    rec *r = owned_acquire(&h);

    CHECK(r != NULL);
    CHECK(owned_pin(h) == r);
    CHECK_EQ(owned_release_owned(h), 0);
    CHECK_EQ(owned_release_owned(h), -ESTALE);
    CHECK(owned_lookup(h) == NULL);
    CHECK_COUNTS(owned, 0, 1);
    CHECK_EQ(owned_unpin(h), 0);
    CHECK_COUNTS(owned, 0, 0);
}

/* An unpin counts only against the slot's current life: once the slot was
   recycled and acquired again, the old handle's unpin is refused and the
   new holder's pins stay. */
static void unpin_of_a_handle_whose_slot_was_reused_is_refused(void)
{
    reused_handle h = { 0 }, next = { 0 };
    rec *r = reused_acquire(&h);

    CHECK(r != NULL);
    CHECK(reused_pin(h) == r);
    CHECK_EQ(reused_release(h), 0);
    CHECK_EQ(reused_unpin(h), 0); /* the last: recycled */
    CHECK(reused_acquire(&next) == r);
    CHECK(reused_pin(next) == r);
    CHECK_EQ(reused_unpin(h), -EINVAL);
    CHECK_EQ(reused_release(next), 0);
    CHECK_EQ(reused_unpin(h), -EINVAL); /* next's version + 1 is not h's */
    CHECK_COUNTS(reused, 0, 1);
    CHECK_EQ(reused_unpin(next), 0);
    CHECK_EQ(reused_unpin(next), -EINVAL);
    CHECK_COUNTS(reused, 0, 0);
}

static void pin_count_overflows_with_eoverflow_after_2_20_minus_1_pins(void)
{
    capped_handle h = { 0 };
    rec *r = capped_acquire(&h);
    uint32_t i;

    CHECK(r != NULL);
    for (i = 0; i < PIN_MAX; i++)
        if (capped_pin(h) != r)
            break;
    CHECK_EQ(i, PIN_MAX);
    errno = 0;
    CHECK(capped_pin(h) == NULL);
    CHECK_EQ(errno, EOVERFLOW);
    CHECK(capped_lookup(h) == r); /* still live, version untouched */
    CHECK_EQ(capped_unpin(h), 0);
    CHECK(capped_pin(h) == r); /* room for one again */
    CHECK_EQ(capped_release(h), 0);
    CHECK_COUNTS(capped, 0, 1);
    for (i = 0; i < PIN_MAX; i++)
        if (capped_unpin(h) != 0)
            break;
    CHECK_EQ(i, PIN_MAX);
    CHECK_EQ(capped_unpin(h), -EINVAL);
    CHECK_COUNTS(capped, 0, 0);
}

/* Four version bits: a slot lives at versions 1, 3, ..., 13, and releasing
   13 retires it. Retired while pinned, it is counted retired at once (not
   pending) and its last unpin leaves it out of use. */
static void a_slot_retiring_while_pinned_stays_retired_after_its_last_unpin(void)
{
    worn_handle h = { 0 }, next = { 0 };
    rec *r = NULL;
    rpool_stats st;
    int lives;

    for (lives = 1;; lives++) {
        r = worn_acquire(&h);
        CHECK(r != NULL);
        if (h.value >> 60 == 13)
            break;
        CHECK_EQ(worn_release(h), 0);
    }
    CHECK_EQ(lives, 7);
    CHECK(worn_pin(h) == r);
    CHECK_EQ(worn_release(h), 0);
    worn_stats(&st);
    CHECK_EQ(st.retired, 1);
    CHECK_COUNTS(worn, 0, 0);
    CHECK_EQ(worn_unpin(h), 0);
    CHECK_EQ(worn_unpin(h), -EINVAL);
    worn_stats(&st);
    CHECK_EQ(st.retired, 1);
    CHECK_EQ(st.cached, 0); /* not recycled */
    CHECK_COUNTS(worn, 0, 0);
    CHECK(worn_acquire(&next) != r);
    CHECK(worn_id(next) != worn_id(h));
    CHECK_EQ(worn_release(next), 0);
}

/* stats.pending counts released-but-pinned slots, and the counts add up
   after every step, through chunk trades (chunks of 4 ids). */
static void pending_counts_released_pinned_slots_and_the_counts_add_up(void)
{
    counted_handle hs[40];
    int i;

    for (i = 0; i < 40; i++)
        CHECK(counted_acquire(&hs[i]) != NULL);
    for (i = 0; i < 40; i += 2)
        CHECK(counted_pin(hs[i]) != NULL);
    CHECK_COUNTS(counted, 40, 0);
    for (i = 0; i < 40; i++) {
        CHECK_EQ(counted_release(hs[i]), 0);
        CHECK_COUNTS(counted, 39 - i, (i + 2) / 2);
    }
    for (i = 0; i < 40; i += 2) {
        CHECK_EQ(counted_unpin(hs[i]), 0);
        CHECK_COUNTS(counted, 0, 19 - i / 2);
    }
    /* Every slot comes back without carving a new one. */
    {
        rpool_stats before, after;
        counted_stats(&before);
        for (i = 0; i < 40; i++)
            CHECK(counted_acquire(&hs[i]) != NULL);
        counted_stats(&after);
        CHECK_EQ(after.carved, before.carved);
        CHECK_EQ(counted_release_n(hs, 40), 40);
    }
}

static void count_visit(rec *r, walked_handle h, void *arg)
{
    (void)h;
    *(int *)arg += r->a;
}

static void for_each_visits_live_objects_only_never_released_pinned_ones(void)
{
    walked_handle h[3];
    int i, sum = 0;

    for (i = 0; i < 3; i++) {
        rec *r = walked_acquire(&h[i]);
        CHECK(r != NULL);
        r->a = 1 << i;
    }
    CHECK(walked_pin(h[0]) != NULL);
    CHECK(walked_pin(h[1]) != NULL);
    CHECK_EQ(walked_release(h[1]), 0); /* pending */
    walked_for_each(count_visit, &sum);
    CHECK_EQ(sum, 1 + 4); /* h[0] pinned and live, h[2] live */
    CHECK_EQ(walked_unpin(h[0]), 0);
    CHECK_EQ(walked_unpin(h[1]), 0);
    CHECK_EQ(walked_release(h[0]), 0);
    CHECK_EQ(walked_release(h[2]), 0);
    CHECK_COUNTS(walked, 0, 0);
}

/* release_n counts pinned handles as released; acquire_n stays all or
   nothing while pins keep slots pending (here: out of a capacity of 10). */
static void acquire_n_and_release_n_keep_their_contracts_beside_pins(void)
{
    bulk_handle hs[10], more[7];
    int i;

    CHECK_EQ(bulk_acquire_n(hs, NULL, 10), 10);
    for (i = 0; i < 4; i++)
        CHECK(bulk_pin(hs[i]) != NULL);
    CHECK_EQ(bulk_release_n(hs, 10), 10);
    CHECK_EQ(bulk_release_n(hs, 10), 0);
    CHECK_COUNTS(bulk, 0, 4);
    errno = 0;
    CHECK_EQ(bulk_acquire_n(more, NULL, 7), 0); /* 4 of the 10 are pending */
    CHECK_EQ(errno, ENOSPC);
    CHECK_COUNTS(bulk, 0, 4);
    CHECK_EQ(bulk_acquire_n(hs + 4, NULL, 6), 6);
    for (i = 0; i < 4; i++)
        CHECK_EQ(bulk_unpin(hs[i]), 0);
    CHECK_EQ(bulk_acquire_n(hs, NULL, 4), 4);
    CHECK_COUNTS(bulk, 10, 0);
    CHECK_EQ(bulk_release_n(hs, 10), 10);
}

static void thread_flush_leaves_pending_slots_to_their_last_unpin(void)
{
    flushed_handle h = { 0 };
    rpool_stats st;

    CHECK(flushed_acquire(&h) != NULL);
    CHECK(flushed_pin(h) != NULL);
    CHECK_EQ(flushed_release(h), 0);
    flushed_thread_flush();
    flushed_stats(&st);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.pending, 1);
    CHECK_EQ(flushed_unpin(h), 0); /* recycles into a new local cache */
    flushed_stats(&st);
    CHECK_EQ(st.threads, 1);
    CHECK_EQ(st.cached, 1);
    CHECK_COUNTS(flushed, 0, 0);
}

/* ---- threads ----------------------------------------------------------------- */

static crossed_handle crossed_h;

static void *unpin_and_exit(void *arg)
{
    (void)arg;
    WCHECK(crossed_unpin(crossed_h) == 0);
    return NULL;
}

/* Pinned on this thread, released here, unpinned on a thread that then
   exits: the slot goes to that thread's cache and, at its exit, back to the
   pool, where this thread gets it again. */
static void a_pin_taken_on_one_thread_is_undone_on_another(void)
{
    crossed_handle next = { 0 };
    pthread_t t;
    rec *r = crossed_acquire(&crossed_h);
    rpool_stats st;

    CHECK(r != NULL);
    CHECK(crossed_pin(crossed_h) == r);
    CHECK_EQ(crossed_release(crossed_h), 0);
    CHECK_EQ(pthread_create(&t, NULL, unpin_and_exit, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_WORKERS();
    crossed_stats(&st);
    CHECK_EQ(st.global_free, 1);
    CHECK_COUNTS(crossed, 0, 0);
    CHECK(crossed_acquire(&next) == r);
    CHECK_EQ(crossed_release(next), 0);
}

/* Each round, every racer works through the same batch of handles in the
   same order, so that they meet on one handle again and again: the
   releaser releases it, each unpinner takes off one of the pins this
   thread put on it, and the stale pinner pins it (and unpins when that
   succeeds, before the release). Whatever the order, exactly one of them
   recycles each slot: afterwards nothing is live and nothing pending
   (live is what is left of `carved`, so a slot recycled twice shows as -1
   and one never recycled as 1), and every slot is acquired again without
   carving a new one, under distinct ids. */
#define RACE_BATCH 512
#define RACE_ROUNDS 100
#define UNPINNERS 2
enum { RELEASER, STALE_PINNER, UNPINNER0, RACERS = UNPINNER0 + UNPINNERS };

static raced_handle race_hs[RACE_BATCH];
static atomic_int race_round, race_started;
static pthread_barrier_t race_done;
static long stale_pins_refused, stale_pins_won;

static void spin_until(atomic_int *v, int want)
{
    unsigned spins = 0;
    while (atomic_load_explicit(v, memory_order_acquire) != want)
        if (++spins % 4096 == 0)
            sched_yield();
}

static void *race_recycle(void *arg)
{
    long me = (long)arg, refused = 0, won = 0;
    int round, k, ok = 1;

    for (round = 1; round <= RACE_ROUNDS; round++) {
        spin_until(&race_round, round);
        atomic_fetch_add(&race_started, 1);
        spin_until(&race_started, round * RACERS);
        for (k = 0; ok && k < RACE_BATCH; k++) {
            raced_handle h = race_hs[k];
            if (me == RELEASER) {
                ok = WCHECK(raced_release(h) == 0);
            } else if (me == STALE_PINNER) {
                rec *r = raced_pin(h);
                if (r) {
                    ok = WCHECK(r->stamp == h.value) && WCHECK(raced_unpin(h) == 0);
                    won++;
                } else {
                    ok = WCHECK(errno == ESTALE);
                    refused++;
                }
            } else {
                ok = WCHECK(raced_unpin(h) == 0);
            }
        }
        pthread_barrier_wait(&race_done);
    }
    __atomic_fetch_add(&stale_pins_refused, refused, __ATOMIC_RELAXED);
    __atomic_fetch_add(&stale_pins_won, won, __ATOMIC_RELAXED);
    return NULL;
}

static void exactly_one_party_recycles_when_release_unpins_and_stale_pins_race(void)
{
    static raced_handle again[RACE_BATCH * 4];
    static unsigned char seen[RACE_BATCH * 4];
    pthread_t t[RACERS];
    rpool_stats st;
    size_t i, n;
    int round, k, u, bad = 0;

    pthread_barrier_init(&race_done, NULL, RACERS + 1);
    for (i = 0; i < RACERS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, race_recycle, (void *)i), 0);
    for (round = 1; round <= RACE_ROUNDS; round++) {
        for (k = 0; k < RACE_BATCH; k++) {
            rec *r = raced_acquire(&race_hs[k]);
            if (!r)
                abort();
            r->stamp = race_hs[k].value;
            for (u = 0; u < UNPINNERS; u++)
                if (raced_pin(race_hs[k]) != r)
                    abort();
        }
        atomic_store_explicit(&race_round, round, memory_order_release);
        pthread_barrier_wait(&race_done);
        raced_stats(&st);
        bad += st.live != 0 || st.pending != 0;
    }
    for (i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&race_done);
    CHECK_WORKERS();
    CHECK_EQ(bad, 0);
    printf("     %d handles raced; stale pins: %ld refused, %ld before the release\n",
           RACE_ROUNDS * RACE_BATCH, stale_pins_refused, stale_pins_won);
    raced_stats(&st);
    CHECK_EQ(st.threads, 1);
    CHECK_COUNTS(raced, 0, 0);
    n = st.carved;
    CHECK(n <= RACE_BATCH * 4);
    for (i = 0; i < n; i++) {
        uint64_t id;
        CHECK(raced_acquire(&again[i]) != NULL);
        id = raced_id(again[i]);
        CHECK(id < n);
        CHECK(!seen[id]);
        seen[id] = 1;
    }
    raced_stats(&st);
    CHECK_EQ(st.carved, n);
    CHECK_EQ(raced_release_n(again, n), n);
}

/* ---- destroy, configuration, memory ------------------------------------------- */

static void destroy_drops_outstanding_pins_and_their_unpin_is_refused(void)
{
    doomed_handle h = { 0 }, live = { 0 };
    rpool_stats st;

    CHECK(doomed_acquire(&h) != NULL);
    CHECK(doomed_acquire(&live) != NULL);
    CHECK(doomed_pin(h) != NULL);
    CHECK(doomed_pin(live) != NULL);
    CHECK_EQ(doomed_release(h), 0);
    CHECK_COUNTS(doomed, 1, 1);
    doomed_destroy();
    doomed_stats(&st);
    CHECK_EQ(st.pending, 0);
    CHECK_EQ(st.carved, 0);
    CHECK_EQ(st.bytes, 0);
    CHECK_EQ(doomed_unpin(h), -EINVAL);
    CHECK_EQ(doomed_unpin(live), -EINVAL);
    errno = 0;
    CHECK(doomed_pin(live) == NULL);
    CHECK_EQ(errno, EINVAL);
}

#define WARM_LIVE 100000

/* Issue 10: at most 25 bytes per live 16-byte object on a pins pool (4
   more than without pins: the slot word is 8 bytes, not 4). */
static void sixteen_byte_objects_with_pins_cost_at_most_25_bytes_each(void)
{
    static warm_handle hs[WARM_LIVE];
    rpool_stats st;

    CHECK_EQ(sizeof(rec), 16);
    CHECK_EQ(warm_acquire_n(hs, NULL, WARM_LIVE), WARM_LIVE);
    warm_stats(&st);
    printf("     16-byte objects with pins: %.2f bytes each at %d live\n",
           (double)st.bytes / (double)st.live, WARM_LIVE);
    CHECK(st.bytes <= (size_t)WARM_LIVE * 25);
    CHECK_EQ(warm_release_n(hs, WARM_LIVE), WARM_LIVE);
}

static void no_engine_assertion_fired_in_any_other_test(void)
{
    CHECK_EQ(asserts, 0);
}

int main(void)
{
    RUN(pin_returns_the_live_object_and_unpin_undoes_it);
    RUN(pools_without_pins_refuse_pin_with_enotsup_and_unpin_with_einval);
    RUN(pin_and_unpin_refuse_handles_never_issued_with_einval);
    RUN(pin_of_a_released_handle_fails_with_estale_and_touches_nothing);
    RUN(release_of_a_pinned_handle_kills_it_but_keeps_the_slot_until_the_last_unpin);
    RUN(release_of_a_handle_whose_pins_are_all_undone_recycles_at_once);
    RUN(release_owned_keeps_a_pin_and_leaves_the_slot_pending);
    RUN(unpin_of_a_handle_whose_slot_was_reused_is_refused);
    RUN(pin_count_overflows_with_eoverflow_after_2_20_minus_1_pins);
    RUN(a_slot_retiring_while_pinned_stays_retired_after_its_last_unpin);
    RUN(pending_counts_released_pinned_slots_and_the_counts_add_up);
    RUN(for_each_visits_live_objects_only_never_released_pinned_ones);
    RUN(acquire_n_and_release_n_keep_their_contracts_beside_pins);
    RUN(thread_flush_leaves_pending_slots_to_their_last_unpin);
    RUN(a_pin_taken_on_one_thread_is_undone_on_another);
    RUN(exactly_one_party_recycles_when_release_unpins_and_stale_pins_race);
    RUN(destroy_drops_outstanding_pins_and_their_unpin_is_refused);
    RUN(sixteen_byte_objects_with_pins_cost_at_most_25_bytes_each);
    RUN(no_engine_assertion_fired_in_any_other_test);
    return test_summary();
}
