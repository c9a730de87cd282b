/*
 * e2_compile — a policy file to its checked pGraph in one call: load the NF
 * descriptions, parse the policy, merge and check. What e2ctl's check,
 * compile and plan verbs and the manager all start from.
 */
#ifndef E2_COMPILE_H
#define E2_COMPILE_H

#include <stdbool.h>

#include "e2_pgraph.h"

/** A checked pGraph and the NF catalog its nodes point into. */
struct e2_compiled {
    struct e2_nf_catalog cat;
    bool have_cat;
    struct e2_pgraph *g;
};

/**
 * Compile @policy. NF descriptions come from @nf_dir, or (NULL) from the
 * folder "nf" next to the policy when there is one.
 * @return 0; otherwise -EINVAL (or -ENOMEM), with every problem, one line
 * each ("FILE:LINE:COL: error: ..." or "FILE: error: ..."), in @diags.
 */
int e2_policy_compile(const char *policy, const char *nf_dir, struct e2_compiled *out,
                      struct e2_diags *diags);

void e2_compiled_free(struct e2_compiled *c);

#endif
