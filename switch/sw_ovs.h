/*
 * The OVS driver's text layer (sw_ovs_text.c): E2 rules as ovs-ofctl flow
 * lines, and ovs-ofctl dump-flows output read back into E2 rules.
 *
 * One E2 rule becomes e2_sw_rule_entries() OpenFlow flows (the product of
 * its ranges' masked covers), all with the same 64-bit OpenFlow cookie:
 * the rule's E2 cookie in the high 32 bits, E2_SW_OVS_MARK | a serial in the
 * low 32. The serial tells the flows of different rules apart, so a dump
 * regroups them; the mark tells E2's flows from anybody else's; deleting an
 * E2 cookie is one masked delete.
 */
#ifndef E2_SW_OVS_H
#define E2_SW_OVS_H

#include "e2_strbuf.h"
#include "sw_int.h"

#define E2_SW_OVS_MARK   0x80000000u
#define E2_SW_OVS_SERIAL 0x7fffffffu

static inline uint64_t e2_sw_ovs_cookie(uint32_t cookie, uint32_t serial)
{
    return (uint64_t)cookie << 32 | E2_SW_OVS_MARK | serial;
}

/** Append "add table=..,priority=..,cookie=..,MATCH actions=ACTIONS" lines for @r. */
void e2_sw_ovs_add_lines(const struct e2_sw_rule *r, uint64_t ovs_cookie, struct e2_strbuf *b);

/** Append the line that deletes every flow of E2 cookie @cookie. */
void e2_sw_ovs_delete_line(uint32_t cookie, struct e2_strbuf *b);

/**
 * Read `ovs-ofctl dump-flows` output back into E2 rules with counters (in
 * cookie order). Flows without E2's mark are skipped; a marked flow E2 could
 * not have written is an error. *max_serial is the largest serial seen.
 */
int e2_sw_ovs_parse_dump(const char *text, struct e2_sw_entry **out, size_t *n,
                         uint32_t *max_serial, struct e2_err *err);

#endif
