/* fw_acl — a rule set compiled with DPDK's rte_acl (see fw_acl.c). Needs the EAL. */
#ifndef FW_ACL_H
#define FW_ACL_H

#include "fw_rules.h"

/** Compile @rs with rte_acl; an fw_classifier_build_fn. */
int fw_acl_build(const struct fw_ruleset *rs, struct fw_classifier **out, struct e2_err *err);

#endif
