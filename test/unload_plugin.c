/* unload_plugin.c - a plugin as a program would load it: a shared object
   (-fPIC -shared) that defines a pool of its own. test_unload.c loads two
   copies of it with dlopen and unloads one while a thread that used it
   still lives. Besides the generated functions (parts_stats, parts_destroy,
   ...), it exports three that use the inline fast paths. */
#include <errno.h>
#include <stdint.h>

#include "rpool.h"

typedef struct part {
    uint64_t serial;
    char name[24];
} part;

/* A plugin's header would hold the DECLARE; its one .c file the DEFINE. */
RPOOL_DECLARE(parts, part);
RPOOL_DEFINE(parts, part);

#define CHURN_MAX 1024

/* Acquires n objects (the thread's first call creates its cache and
   registers it for thread exit), checks each through its handle, and
   releases them all. 0, or -errno. */
int plugin_churn(unsigned n)
{
    parts_handle h[CHURN_MAX];
    unsigned i, got;
    int err = 0;

    if (n > CHURN_MAX)
        return -EINVAL;
    for (got = 0; got < n; got++) {
        part *p = parts_acquire(&h[got]);
        if (!p) {
            err = -errno;
            break;
        }
        p->serial = got;
    }
    for (i = 0; i < got; i++) {
        part *p = parts_lookup(h[i]);
        if (!err && (!p || p->serial != i))
            err = -EFAULT;
        if (parts_release(h[i]) != 0 && !err)
            err = -ESTALE;
    }
    return err;
}

/* One object left live: its handle's value, or 0 with errno set. */
uint64_t plugin_keep(void)
{
    parts_handle h = RPOOL_NULL_HANDLE;
    return parts_acquire(&h) ? h.value : 0;
}

/* Releases what plugin_keep returned: NAME_release's result. */
int plugin_drop(uint64_t value)
{
    parts_handle h = { value };
    return parts_release(h);
}
