/* The C side of cpp_test: owns the ctokens pool, and reaches the cxxtokens
   pool that the C++ unit owns. */
#include "cpp_c_unit.h"

RPOOL_DEFINE(ctokens, token);

ctokens_handle c_acquire_ctoken(int owner)
{
    ctokens_handle h = { 0 };
    token *t = ctokens_acquire(&h);
    if (t)
        t->owner = owner;
    return h;
}

token *c_lookup_ctoken(ctokens_handle h)
{
    return ctokens_lookup(h);
}

int c_release_ctoken(ctokens_handle h)
{
    return ctokens_release(h);
}

void c_ctokens_stats(rpool_stats *out)
{
    ctokens_stats(out);
}

cxxtokens_handle c_acquire_cxxtoken(int owner)
{
    cxxtokens_handle h = { 0 };
    token *t = cxxtokens_acquire(&h);
    if (t)
        t->owner = owner;
    return h;
}

token *c_lookup_cxxtoken(cxxtokens_handle h)
{
    return cxxtokens_lookup(h);
}

int c_release_cxxtoken(cxxtokens_handle h)
{
    return cxxtokens_release(h);
}
