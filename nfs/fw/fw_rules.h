/*
 * fw_rules — the firewall's rule set: an iptables-like text file read with
 * e2_conf into an ordered list of rules over the IPv4 5-tuple and the
 * connection-tracking state, first match wins, and a default policy.
 *
 * Supported (everything else is refused with FILE:LINE and why):
 *   -P FORWARD ACCEPT|DROP                    the default policy (ACCEPT if unset)
 *   -A FORWARD [match ...] -j ACCEPT|DROP     append a rule
 *     -p PROTO            tcp, udp, icmp, esp, all or 0-255
 *     -s PREFIX, -d PREFIX                    10.0.0.0/8, an address, 0.0.0.0/0
 *     --sport P[:P], --dport P[:P]            with -p tcp or -p udp; open ends "1024:"
 *     -m state --state S,..  / -m conntrack --ctstate S,..   NEW ESTABLISHED RELATED INVALID
 *     -m tcp / -m udp     (as iptables-save writes them; must agree with -p)
 *     -m comment --comment TEXT
 *   *filter, COMMIT, :FORWARD POLICY [p:b], :INPUT/:OUTPUT ... (iptables-save framing;
 *   the INPUT/OUTPUT declarations concern the host's own traffic and are ignored)
 * ACCEPT makes a packet "safe", DROP "unsafe" (E2's FW.safe attribute): what
 * becomes of unsafe traffic is the policy's call (usually Drop).
 *
 * A rule set also holds its per-rule counters and the classifier compiled
 * from it (fw_classifier): the scan here, or rte_acl (fw_acl.c) supplied by
 * the DPDK side. Pure C.
 */
#ifndef FW_RULES_H
#define FW_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "e2_err.h"

#define FW_RULES_MAX 65536

/** Connection-tracking states, as iptables' -m state names them. */
enum fw_ctstate { FW_CT_NEW, FW_CT_ESTABLISHED, FW_CT_RELATED, FW_CT_INVALID, FW_CT_COUNT };

#define FW_CT_ALL ((1u << FW_CT_COUNT) - 1)

const char *fw_ctstate_name(enum fw_ctstate s);

/** What a rule (or the policy) makes of a packet. */
enum fw_verdict { FW_SAFE, FW_UNSAFE };

/** What the classifier sees of a packet (host order). */
struct fw_key {
    uint32_t src_ip, dst_ip;
    uint16_t src_port, dst_port;
    uint8_t proto;
    uint8_t state; /**< enum fw_ctstate */
    bool ports;    /**< TCP/UDP with its header: port conditions can match */
};

struct fw_rule {
    uint32_t src_ip, src_mask, dst_ip, dst_mask;
    uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
    uint8_t proto;   /**< 0: any */
    uint8_t states;  /**< bit per enum fw_ctstate; FW_CT_ALL without -m state */
    bool has_ports;  /**< a port condition: needs a TCP/UDP header */
    uint8_t verdict; /**< enum fw_verdict */
    unsigned line;
    char *text; /**< the statement as written (words joined), for listings */
};

struct fw_ruleset;

/** A compiled form of a rule set that finds the first matching rule. */
struct fw_classifier {
    const char *name; /**< "scan", "acl" */
    /** out[i] = the index of the first rule matching keys[i], or -1. */
    void (*classify)(const struct fw_classifier *c, const struct fw_key *keys, unsigned n,
                     int32_t *out);
    void (*destroy)(struct fw_classifier *c);
};

/** Compile @rs into *@out. */
typedef int (*fw_classifier_build_fn)(const struct fw_ruleset *rs, struct fw_classifier **out,
                                      struct e2_err *err);

struct fw_ruleset {
    struct fw_rule *rules;
    uint32_t n, cap;
    uint8_t policy;            /**< enum fw_verdict */
    uint32_t gen;              /**< which rule set this is (never 0): verdict caches compare it */
    uint64_t *packets, *bytes; /**< n + 1 counters: the rules, then the policy */
    struct fw_classifier *cls;
};

/** Parse @text (named @name in errors) into a new rule set, without a classifier. */
int fw_ruleset_parse_text(const char *text, const char *name, struct fw_ruleset **out,
                          struct e2_err *err);

/** Parse the file at @path. */
int fw_ruleset_parse_file(const char *path, struct fw_ruleset **out, struct e2_err *err);

void fw_ruleset_free(struct fw_ruleset *rs);

/** Does @r match @k? */
bool fw_rule_match(const struct fw_rule *r, const struct fw_key *k);

/** The reference classifier: rules tried in order. */
int fw_scan_build(const struct fw_ruleset *rs, struct fw_classifier **out, struct e2_err *err);

#endif
