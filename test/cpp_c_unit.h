/* Pools shared by a C and a C++ translation unit (cpp_test.cpp with
   cpp_c_unit.c): one DEFINEd in C, one DEFINEd in C++, both used from both. */
#ifndef CPP_C_UNIT_H
#define CPP_C_UNIT_H
#include "rpool.h"

typedef struct token {
    int owner;
    double weight;
} token;

/* Positional configuration: C++17 has no designated initializers, and the
   DECLARE must read the same in every unit. Fields in declaration order:
   block_bytes, block_items, chunk_items, max_items. */
RPOOL_DECLARE_EX(ctokens, token, 0, 8, 0, 64); /* DEFINEd in cpp_c_unit.c */
RPOOL_DECLARE(cxxtokens, token);               /* DEFINEd in cpp_test.cpp */

#ifdef __cplusplus
extern "C" {
#endif
ctokens_handle c_acquire_ctoken(int owner);
token *c_lookup_ctoken(ctokens_handle h);
int c_release_ctoken(ctokens_handle h);
void c_ctokens_stats(rpool_stats *out);
cxxtokens_handle c_acquire_cxxtoken(int owner);
token *c_lookup_cxxtoken(cxxtokens_handle h);
int c_release_cxxtoken(cxxtokens_handle h);
#ifdef __cplusplus
}
#endif

#endif
