/*
 * fw_json — the firewall's counters, rules and connections as JSON for its
 * control operations (e2ctl nf -s CTL stats|rules|conns|block), and the
 * "block" request read back into a flow. Pure C over jansson.
 */
#ifndef FW_JSON_H
#define FW_JSON_H

#include <jansson.h>

#include "fw.h"

/** Every counter, the classifier, the connection table and the per-rule counters. */
json_t *fw_stats_json(struct fw *fw);

/** The current rules in order ({line, rule, target, packets, bytes}) and the policy. */
json_t *fw_rules_json(const struct fw *fw);

/** Up to @limit tracked connections, with seconds left before they time out at @now. */
json_t *fw_conns_json(struct fw *fw, size_t limit, uint64_t now);

/**
 * A "block" request: src, dst (addresses), proto (name or number), sport,
 * dport (numbers, default 0), timeout (seconds, default 0: the NF's own).
 */
int fw_block_from_json(const json_t *req, struct e2_flow_key *k, uint64_t *timeout_ns,
                       struct e2_err *err);

#endif
