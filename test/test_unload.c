/* test_unload.c - a plugin that defines a pool is unloaded (dlclose) after
   NAME_destroy while a thread that used the pool still lives: that thread's
   exit must call nothing of the unloaded code, and another plugin, still
   loaded, keeps working. The plugins are two copies of unload_plugin.c,
   built as shared objects into UNLOAD_DIR (see test/unload.mk). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpool.h"
#include "test.h"

/* A plugin as dlopen and dlsym give it. */
typedef struct plugin {
    const char *path;
    void *lib;
    int (*churn)(unsigned n);
    uint64_t (*keep)(void);
    int (*drop)(uint64_t value);
    void (*stats)(rpool_stats *out);
    void (*destroy)(void);
} plugin;

static plugin first = { .path = UNLOAD_DIR "/unload_a.so" };
static plugin second = { .path = UNLOAD_DIR "/unload_b.so" };

/* dlsym's object pointer into a function pointer, without the cast that
   ISO C forbids: POSIX guarantees the two have the same representation. */
static int symbol(void *lib, const char *name, void *fn)
{
    void *p = dlsym(lib, name);
    memcpy(fn, &p, sizeof p);
    return p != NULL;
}

static int load(plugin *pl)
{
    pl->lib = dlopen(pl->path, RTLD_NOW | RTLD_LOCAL);
    if (!pl->lib) {
        fprintf(stderr, "    %s\n", dlerror());
        return 0;
    }
    return symbol(pl->lib, "plugin_churn", &pl->churn) &&
           symbol(pl->lib, "plugin_keep", &pl->keep) &&
           symbol(pl->lib, "plugin_drop", &pl->drop) &&
           symbol(pl->lib, "parts_stats", &pl->stats) &&
           symbol(pl->lib, "parts_destroy", &pl->destroy);
}

/* The worker's life: use both plugins, keep one object live in each, then
   wait (parked, inside no call) until the main thread says it may exit. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int parked, may_exit;
static uint64_t kept_in_second;

static void *worker(void *arg)
{
    (void)arg;
    WCHECK(first.churn(300) == 0);
    WCHECK(first.keep() != 0);
    WCHECK(second.churn(300) == 0);
    kept_in_second = second.keep();
    WCHECK(kept_in_second != 0);
    pthread_mutex_lock(&lock);
    parked = 1;
    pthread_cond_broadcast(&changed);
    while (!may_exit)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    return NULL; /* thread exit: only the second plugin's code may run now */
}

static void *use_second_and_exit(void *arg)
{
    (void)arg;
    WCHECK(second.churn(500) == 0);
    return NULL;
}

static void a_thread_that_used_an_unloaded_plugins_pool_exits_cleanly(void)
{
    rpool_stats st;
    pthread_t t;

    CHECK(load(&first));
    CHECK(load(&second));
    t = test_spawn(worker, NULL);
    pthread_mutex_lock(&lock);
    while (!parked)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);

    first.stats(&st);
    CHECK_EQ(st.threads, 1);
    CHECK_EQ(st.live, 1);
    first.destroy(); /* the worker is inside no call on the pool */
    first.stats(&st);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.bytes, 0);
    CHECK_EQ(dlclose(first.lib), 0);
    /* Really gone, not kept loaded by some reference to it. */
    CHECK(dlopen(first.path, RTLD_NOW | RTLD_NOLOAD) == NULL);
    first.lib = NULL;

    pthread_mutex_lock(&lock);
    may_exit = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    test_join(t); /* a crash here: thread exit called into the unloaded plugin */
    CHECK_WORKERS();
}

/* The unloaded plugin had registered rpool's fork handlers: the C library
   dropped them with it, and the loaded one's still work in the child. */
static void a_fork_after_the_unload_calls_nothing_of_the_unloaded_plugin(void)
{
    int status;
    pid_t pid;

    CHECK(first.lib == NULL && second.lib != NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(second.churn(100) == 0 ? 0 : 1);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
}

static void a_second_plugin_still_loaded_keeps_working(void)
{
    rpool_stats st;

    CHECK(second.lib != NULL);
    /* Its own thread exit ran for the worker: the cache came back and the
       object the worker kept is still live. */
    second.stats(&st);
    CHECK_EQ(st.threads, 0);
    CHECK_EQ(st.live, 1);
    CHECK_EQ(st.cached, 0);
    CHECK_EQ(second.drop(kept_in_second), 0);
    CHECK_EQ(second.drop(kept_in_second), -ESTALE);
    CHECK_EQ(second.churn(1000), 0);
    test_join(test_spawn(use_second_and_exit, NULL));
    CHECK_WORKERS();
    second.stats(&st);
    CHECK_EQ(st.threads, 1); /* this thread's */
    CHECK_EQ(st.live, 0);
    CHECK_EQ(st.live + st.cached + st.global_free + st.retired, st.carved);
    second.destroy();
    CHECK_EQ(dlclose(second.lib), 0);
    second.lib = NULL;
}

int main(void)
{
    RUN(a_thread_that_used_an_unloaded_plugins_pool_exits_cleanly);
    RUN(a_fork_after_the_unload_calls_nothing_of_the_unloaded_plugin);
    RUN(a_second_plugin_still_loaded_keeps_working);
    return test_summary();
}
