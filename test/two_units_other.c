/* The second translation unit of test_two_units: no RPOOL_DEFINE here. */
#include "two_units.h"

items_handle other_acquire(int owner)
{
    items_handle h = { 0 };
    item *it = items_acquire(&h);
    if (it)
        it->owner = owner;
    return h;
}

int other_release(items_handle h)
{
    return items_release(h);
}

item *other_lookup(items_handle h)
{
    return items_lookup(h);
}

void other_stats(rpool_stats *out)
{
    items_stats(out);
}
