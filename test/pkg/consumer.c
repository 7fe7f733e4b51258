/* A program built against an installed rpool: <rpool.h> from the package's
   include path, and a pool used from two threads, so the -pthread (or
   Threads::Threads) that the package adds is needed. Prints the version. */
#include <pthread.h>
#include <stdio.h>
#include <rpool.h>

typedef struct {
    int hits;
} counter;
RPOOL_DEFINE_STATIC(counters, counter);

static void *work(void *arg)
{
    static counters_handle hs[2][500];
    counters_handle *mine = hs[*(int *)arg];
    if (counters_acquire_n(mine, NULL, 500) != 500)
        return arg;
    return counters_release_n(mine, 500) == 500 ? NULL : arg;
}

int main(void)
{
    int ids[2] = { 0, 1 };
    pthread_t threads[2];
    void *failed[2];
    rpool_stats st;
    int i;

    for (i = 0; i < 2; i++)
        if (pthread_create(&threads[i], NULL, work, &ids[i]) != 0)
            return 1;
    for (i = 0; i < 2; i++)
        if (pthread_join(threads[i], &failed[i]) != 0 || failed[i] != NULL)
            return 1;
    counters_stats(&st);
    if (st.live != 0 || st.threads != 0 || st.carved < 500)
        return 1;
    counters_destroy();
    printf("rpool %s\n", RPOOL_VERSION_STRING);
    return 0;
}
