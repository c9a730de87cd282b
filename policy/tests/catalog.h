/* Test helper: the example NF catalog (policy/examples/nf), loaded once per test binary. */
#ifndef E2_TEST_CATALOG_H
#define E2_TEST_CATALOG_H

#include "e2_pgraph.h"

static struct e2_nf_catalog cat;

/** cmocka group setup: load `cat`, failing the run with the loader's message. */
static int catalog_setup(void **state)
{
    (void)state;
    struct e2_err err = {0};
    if (e2_nf_catalog_load_dir(E2_EXAMPLES "/nf", &cat, &err)) fail_msg("%s", err.msg);
    return 0;
}

static int catalog_teardown(void **state)
{
    (void)state;
    e2_nf_catalog_free(&cat);
    return 0;
}

#endif
