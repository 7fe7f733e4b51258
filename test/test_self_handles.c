/* RPOOL_HANDLE lets an object hold handles of its own pool. */
#include "test.h"
#include "rpool.h"

RPOOL_HANDLE(nodes);
typedef struct node {
    nodes_handle next;
    int value;
} node;
RPOOL_DEFINE_STATIC_POOL_EX(nodes, node, .block_items = 4);

RPOOL_HANDLE(cells);
typedef struct cell {
    cells_handle parent;
} cell;
RPOOL_DEFINE_STATIC_POOL(cells, cell);

static void a_list_linked_by_handles_walks_and_detects_removed_links(void)
{
    nodes_handle head = { 0 }, h, second;
    node *n;
    int i, sum = 0;

    for (i = 1; i <= 10; i++) {
        n = nodes_acquire(&h);
        CHECK(n != NULL);
        n->value = i;
        n->next = head;
        head = h;
    }
    for (n = nodes_lookup(head); n; n = nodes_lookup(n->next))
        sum += n->value;
    CHECK_EQ(sum, 55);
    second = nodes_lookup(head)->next;
    CHECK_EQ(nodes_release(second), 0);
    n = nodes_acquire(&h); /* likely reuses the slot: the old link stays dead */
    CHECK(n != NULL);
    CHECK(nodes_lookup(nodes_lookup(head)->next) == NULL);
    CHECK_EQ(nodes_release(h), 0);
}

static void the_handle_macro_works_with_the_default_config_too(void)
{
    cells_handle root, child;
    cell *c = cells_acquire(&root), *k = cells_acquire(&child);
    CHECK(c && k);
    k->parent = root;
    CHECK(cells_lookup(k->parent) == c);
    CHECK_EQ(cells_release(root), 0);
    CHECK(cells_lookup(k->parent) == NULL);
    CHECK_EQ(cells_release(child), 0);
}

int main(void)
{
    RUN(a_list_linked_by_handles_walks_and_detects_removed_links);
    RUN(the_handle_macro_works_with_the_default_config_too);
    nodes_destroy();
    cells_destroy();
    return test_summary();
}
