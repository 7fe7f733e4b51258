/* test_trim_races.c - trim against what other threads do at the same
 * moment: an acquire that makes a trimmed block again while another
 * acquire needs a slot, and a fork while another thread walks the pool.
 * (Found by review; both failed before the fixes they name.) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static long decommits;
static int count_decommit(void *p, size_t n)
{
    __atomic_fetch_add(&decommits, 1, __ATOMIC_RELAXED);
    (void)p;
    (void)n;
    return 0;
}
#define RPOOL_DECOMMIT(p, n) count_decommit((p), (n))

#include "rpool.h"
#include "test.h"

typedef struct big {
    char bytes[4096];
} big;

/* One block is the whole capacity. */
#define CAP 4096
RPOOL_DEFINE_STATIC_EX(bigs, big, .block_bytes = (size_t)CAP * 4096, .block_items = CAP,
                       .max_items = CAP);
RPOOL_DEFINE_STATIC_EX(walked, big, .block_items = 16, .chunk_items = 8);

static bigs_handle held[CAP];
static int go, b_errno;
static void *b_obj;

static void *second_acquirer(void *arg)
{
    bigs_handle h;

    (void)arg;
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        ;
    b_obj = bigs_acquire(&h);
    b_errno = b_obj ? 0 : errno;
    bigs_thread_flush();
    return 0;
}

/* Making the trimmed block again happens under the pool lock: before, the
   lock was dropped while it was zero-filled, and a second acquire in that
   window found no tail, no trimmed block and no id left: ENOSPC, with one
   slot of 4096 carved. */
static void an_acquire_beside_a_block_coming_back_never_gets_a_false_enospc(void)
{
    int i, round;

    for (round = 0; round < 20; round++) {
        bigs_handle h;
        pthread_t t;
        void *a;
        for (i = 0; i < CAP; i++)
            CHECK(bigs_acquire(&held[i]) != NULL);
        for (i = 0; i < CAP; i++)
            CHECK_EQ(bigs_release(held[i]), 0);
        bigs_thread_flush();
        CHECK(bigs_trim() > 0);
        __atomic_store_n(&go, 0, __ATOMIC_RELEASE);
        t = test_spawn(second_acquirer, NULL);
        __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
        a = bigs_acquire(&h);
        test_join(t);
        CHECK(a != NULL);
        CHECK(b_obj != NULL);
        CHECK_EQ(b_errno, 0);
        if (a)
            CHECK_EQ(bigs_release(h), 0);
        bigs_thread_flush();
        bigs_destroy();
    }
}

static int in_walk, leave_walk;

static void hold_the_walk(big *o, walked_handle h, void *arg)
{
    (void)o, (void)h, (void)arg;
    __atomic_store_n(&in_walk, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&leave_walk, __ATOMIC_ACQUIRE))
        ;
}

static void *walker(void *arg)
{
    (void)arg;
    walked_for_each(hold_the_walk, NULL);
    return 0;
}

/* The child of a fork has none of the parent's other threads, so none of
   their walks: before, it inherited the count of walks under way, and no
   trim in it ever decommitted a trimmed block again. */
static void a_fork_during_another_threads_walk_leaves_the_child_free_to_decommit(void)
{
    walked_handle keep, first[15];
    pthread_t t;
    pid_t pid;
    int i, status = 0;

    CHECK(walked_acquire(&keep) != NULL); /* block 0 stays: the walk's object */
    for (i = 0; i < 15; i++)
        CHECK(walked_acquire(&first[i]) != NULL);
    t = test_spawn(walker, NULL);
    while (!__atomic_load_n(&in_walk, __ATOMIC_ACQUIRE))
        ;
    pid = fork();
    if (pid == 0) {
        walked_handle more[16];
        size_t n;
        int ok = 1;
        for (i = 0; i < 16; i++) /* block 1 */
            ok &= walked_acquire(&more[i]) != NULL;
        for (i = 0; i < 16; i++)
            ok &= walked_release(more[i]) == 0;
        walked_thread_flush();
        __atomic_store_n(&decommits, 0, __ATOMIC_RELAXED);
        n = walked_trim();
        _exit(ok && n > 0 && __atomic_load_n(&decommits, __ATOMIC_RELAXED) > 0 ? 0 : 1);
    }
    CHECK(pid > 0);
    __atomic_store_n(&leave_walk, 1, __ATOMIC_RELEASE);
    test_join(t);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (i = 0; i < 15; i++)
        CHECK_EQ(walked_release(first[i]), 0);
    CHECK_EQ(walked_release(keep), 0);
    walked_destroy();
}

int main(void)
{
    RUN(an_acquire_beside_a_block_coming_back_never_gets_a_false_enospc);
    RUN(a_fork_during_another_threads_walk_leaves_the_child_free_to_decommit);
    return test_summary();
}
