/* One pool shared by two translation units: DECLARE here, DEFINE in
   test_two_units.c. */
#ifndef TWO_UNITS_H
#define TWO_UNITS_H
#include "rpool.h"

typedef struct item {
    int owner;
    char pad[60];
} item;

RPOOL_DECLARE_EX(items, item, .max_items = 1000);

/* Implemented in two_units_other.c, using the pool from that unit. */
items_handle other_acquire(int owner);
int other_release(items_handle h);
item *other_lookup(items_handle h);
void other_stats(rpool_stats *out);

#endif
