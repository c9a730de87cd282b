/*
 * e2/switch.h — E2's switch rules and the drivers that program them.
 *
 * A switch rule is JSON (docs/switch.md): a table, a priority, a cookie, a
 * match on header fields and on a flow-ID range, and an action list (compute
 * the flow ID, go to a later table, push or pop NSH, set the Ethernet
 * destination, output). The manager computes rules (from the plan, through
 * the interconnection) and hands them to a driver behind struct e2_sw:
 *
 *   "model:rules=N,latency_us=L"   an in-process model switch: N masked
 *                                  entries over all tables, L µs of simulated
 *                                  install time per entry written; it also
 *                                  classifies frames (e2_sw_model_classify)
 *   "ovs:unix:/DIR/BR.mgmt"        Open vSwitch over OpenFlow 1.5 (ovs-ofctl);
 *   "ovs:tcp:HOST:PORT"            also any OpenFlow switch with OVS's extensions
 *
 * Ranges (IP address ranges, port ranges, flow-ID ranges) are not switch
 * primitives: each becomes its minimal cover of masked matches, and a rule
 * takes the product of its ranges' covers as entries (e2_sw_rule_entries).
 * Both drivers count capacity in entries, so the model's table-full is the
 * hardware's. Applying is atomic: all the deletes and adds of one call happen,
 * or none (an OpenFlow bundle on OVS).
 */
#ifndef E2_SWITCH_H
#define E2_SWITCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2/ovs_hash.h"
#include "e2_err.h"

#define E2_SW_TABLES       254         /**< tables 0 .. 253, as OVS */
#define E2_SW_ACTIONS_MAX  16          /**< actions per rule */
#define E2_SW_ENTRIES_MAX  4096        /**< masked entries one rule may expand into */
#define E2_SW_PORT_MAX     0xffffff00u /**< the last OpenFlow port number */
#define E2_SW_PRIORITY_DEF 32768       /**< OpenFlow's default priority */

/** Match fields, in canonical order; bit i of e2_sw_match.fields is field i. */
enum e2_sw_field {
    E2_SW_IN_PORT,
    E2_SW_ETH_TYPE,
    E2_SW_ETH_DST,
    E2_SW_IP_PROTO,
    E2_SW_SRC_IP,
    E2_SW_DST_IP,
    E2_SW_SRC_PORT,
    E2_SW_DST_PORT,
    E2_SW_NSH_SPI,
    E2_SW_NSH_SI,
    E2_SW_FLOW_RANGE,
    E2_SW_N_FIELDS
};

/** A half-open range [lo, hi) of values. */
struct e2_sw_span {
    uint64_t lo, hi;
};

struct e2_sw_match {
    uint32_t fields; /**< which fields are matched (1 << enum e2_sw_field) */
    uint32_t in_port;
    uint16_t eth_type;
    uint8_t eth_dst[6];
    uint8_t ip_proto;
    uint8_t nsh_si;
    uint32_t nsh_spi;
    /** IPv4 addresses (host order), ports and flow IDs as ranges */
    struct e2_sw_span src_ip, dst_ip, src_port, dst_port, flow;
};

enum e2_sw_action_kind {
    E2_SW_FLOW_HASH,   /**< flow ID := OVS multipath hash of hash_fields, hash_bits wide */
    E2_SW_GOTO_TABLE,  /**< continue in a later table (last action) */
    E2_SW_PUSH_NSH,    /**< wrap the frame: Ethernet + NSH (MD type 2, SPI, SI) */
    E2_SW_POP_NSH,     /**< unwrap Ethernet + NSH, leaving the inner frame */
    E2_SW_SET_ETH_DST, /**< rewrite the (outer) Ethernet destination */
    E2_SW_OUTPUT,      /**< send a copy out of a port */
    E2_SW_DROP,        /**< nothing (the only action) */
};

struct e2_sw_action {
    enum e2_sw_action_kind kind;
    enum e2_ovs_hash_fields hash_fields; /**< FLOW_HASH */
    uint8_t hash_bits;                   /**< FLOW_HASH: 1 .. 16 */
    uint8_t table;                       /**< GOTO_TABLE */
    uint8_t si;                          /**< PUSH_NSH */
    uint32_t spi;                        /**< PUSH_NSH: 24 bits */
    uint8_t mac[6];                      /**< SET_ETH_DST */
    uint32_t port;                       /**< OUTPUT */
};

struct e2_sw_rule {
    uint8_t table;
    uint16_t priority;
    uint32_t cookie; /**< rules are deleted by cookie */
    struct e2_sw_match match;
    unsigned n_actions;
    struct e2_sw_action actions[E2_SW_ACTIONS_MAX];
};

/* ---- rule JSON ---- */

/**
 * Parse and check one rule. Errors name the JSON path under @path
 * ("rules[3].match.src_ip: ..."). Matching on IP fields implies eth_type
 * 0x0800 and on NSH fields 0x894f; ports need ip_proto 6, 17 or 132;
 * full-range matches are dropped; [] and [{"drop": true}] are the same.
 */
int e2_sw_rule_parse(const json_t *j, const char *path, struct e2_sw_rule *out, struct e2_err *err);

/** Parse a JSON array of rules ("rules[i]..." in errors). *out is malloc'd. */
int e2_sw_rules_parse(const json_t *array, struct e2_sw_rule **out, size_t *n, struct e2_err *err);

/** The canonical JSON of a rule: every key in a fixed order, ranges in their shortest form. */
json_t *e2_sw_rule_to_json(const struct e2_sw_rule *r);

/** A total order on rules (table, priority descending, match, actions, cookie); 0: equal. */
int e2_sw_rule_cmp(const struct e2_sw_rule *a, const struct e2_sw_rule *b);

/** The masked entries a rule takes in a switch: the product of its ranges' covers. */
size_t e2_sw_rule_entries(const struct e2_sw_rule *r);

/** One line for people: "in_port=3,src_ip=10.0.0.0/8 -> flow_hash(nw_src,16),goto_table:1". */
void e2_sw_rule_format(const struct e2_sw_rule *r, char *buf, size_t len);

/**
 * The minimal cover of [lo, hi) by masked values inside [0, 2^bits): the
 * prefix blocks (value, mask) whose union is exactly the range, at most
 * 2 * bits of them. @out has room for 2 * bits; returns how many.
 */
size_t e2_sw_span_cover(struct e2_sw_span s, unsigned bits, uint64_t *value, uint64_t *mask);

/* ---- drivers ---- */

struct e2_sw;

/** Open a switch by URI (see the top of this file). NULL with @err set on failure. */
struct e2_sw *e2_sw_open(const char *uri, struct e2_err *err);

/**
 * One atomic change: delete every rule whose cookie is in @cookies_del (a
 * JSON array of integers, or NULL), then add @rules_add (a JSON array of
 * rules, or NULL). On any error nothing changed. An added rule with the same
 * table, priority and match as an installed one replaces it (OpenFlow's add).
 * A full table says how many entries the change asked for and how many fit.
 */
int e2_sw_apply(struct e2_sw *sw, const json_t *rules_add, const json_t *cookies_del,
                struct e2_err *err);

/** The installed rules as a JSON array of canonical rules, in e2_sw_rule_cmp order. */
int e2_sw_rules(struct e2_sw *sw, json_t **rules_out, struct e2_err *err);

/** The same with "counters": {"packets": N, "bytes": N} added to each rule. */
int e2_sw_counters(struct e2_sw *sw, json_t **rules_out, struct e2_err *err);

struct e2_sw_stats {
    const char *driver;     /**< "model" or "ovs" */
    size_t rules, entries;  /**< installed now */
    size_t capacity;        /**< entries that fit in all (0: no bound known) */
    uint64_t applies;       /**< successful applies */
    uint64_t entries_added; /**< entries they added */
    double last_apply_us;   /**< time of the last successful apply */
    double total_apply_us;  /**< of all of them */
    bool simulated;         /**< the times are the model's: latency_us per entry added or
                                 deleted; otherwise measured wall clock */
};

/** Counts and install times (simulated on the model, wall clock on OVS). */
int e2_sw_stats(struct e2_sw *sw, struct e2_sw_stats *out, struct e2_err *err);

void e2_sw_close(struct e2_sw *sw);

/* ---- the model switch's classifier ---- */

#define E2_SW_FRAME_MAX 2048                    /**< the largest frame classified */
#define E2_SW_OUT_MAX   4                       /**< copies one frame may leave as */
#define E2_SW_OUT_FRAME (E2_SW_FRAME_MAX + 512) /**< room for pushed headers */

struct e2_sw_out {
    uint32_t port;
    size_t len;
    uint8_t frame[E2_SW_OUT_FRAME];
};

/** What the model switch did with one frame. */
struct e2_sw_verdict {
    unsigned n_out;
    struct e2_sw_out out[E2_SW_OUT_MAX];
    unsigned n_hits;                   /**< rules matched, one per table visited */
    uint32_t hit_cookie[E2_SW_TABLES]; /**< their cookies, in order */
    bool has_flow_id;
    uint32_t flow_id; /**< the last flow ID computed */
};

/**
 * Run the Ethernet frame @frame, received on @in_port, through the model's
 * tables as OVS does (highest priority first; among equal priorities the
 * earliest installed), counting packets and bytes per rule. Output to the
 * ingress port is skipped, as OpenFlow does. -ENOTSUP on other drivers.
 */
int e2_sw_model_classify(struct e2_sw *sw, const uint8_t *frame, size_t len, uint32_t in_port,
                         struct e2_sw_verdict *out, struct e2_err *err);

#endif
