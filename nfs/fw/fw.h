/*
 * fw — a stateful firewall over Ethernet/IPv4 frames: connection tracking
 * (NEW, ESTABLISHED, RELATED, INVALID as Linux's conntrack defines them), a
 * first-match rule set (fw_rules.h) judging every packet with its state,
 * and dynamic blocks other NFs ask for (e2_nfsig.h). Pure C: the DPDK glue
 * (main.c) hands it frames and a clock.
 *
 * Connection tracking. One e2_flowtab entry per connection under the
 * canonical 5-tuple, so both directions find it; it remembers which
 * direction opened it. A packet is ESTABLISHED when it travels in the reply
 * direction or its connection has seen a reply, NEW otherwise, RELATED when
 * it is an ICMP error quoting a tracked connection, INVALID when it cannot
 * be tracked: a TCP segment that starts no connection (only a SYN does, as
 * Linux with nf_conntrack_tcp_loose=0) or breaks the TCP state machine
 * (RFC 793 flags: SYN, SYN/ACK, ACK, FIN, RST transitions; no window
 * tracking), an ICMP reply or non-query that matches nothing, a non-first
 * fragment (nothing is reassembled). As in Linux, a connection is only
 * created when its first packet is accepted ("confirmed"), and an existing
 * one follows its packets whatever the rules say of them.
 *
 * Timeouts (Linux's defaults): TCP SYN_SENT 120 s, SYN_RECV 60 s,
 * ESTABLISHED 5 days, FIN_WAIT 120 s, CLOSE_WAIT 60 s, LAST_ACK 30 s,
 * TIME_WAIT 120 s, CLOSE (after RST) 10 s; UDP 30 s, 120 s once replied;
 * ICMP 30 s; other protocols 600 s. A SYN on a connection in TIME_WAIT or
 * CLOSE starts a new connection.
 *
 * Verdicts. Each connection caches, per direction, the rule its last packet
 * matched with the state it had and the rule set's generation: while both
 * hold, a packet skips the classifier. A reload swaps the rule set whole
 * (between bursts) and keeps every connection; packets are then judged by
 * the new rules with their tracked state, as iptables does after
 * iptables-restore: a rule set that accepts ESTABLISHED keeps them all.
 *
 * Non-IPv4 frames: ARP is safe (a bump in the wire must let neighbours find
 * each other); others follow the policy. Malformed IPv4 is unsafe and
 * counted per reason.
 */
#ifndef FW_H
#define FW_H

#include <stdbool.h>
#include <stdint.h>

#include "e2_flowtab.h"
#include "e2_pkt.h"
#include "fw_rules.h"

#define FW_NS 1000000000ull

struct fw_opts {
    size_t conn_max;              /**< connection table capacity */
    size_t block_max;             /**< dynamic block table capacity */
    uint64_t block_timeout_ns;    /**< a block signal without its own timeout */
    uint32_t acl_min_rules;       /**< rule sets this large use @build (0: never) */
    fw_classifier_build_fn build; /**< the compiled classifier (rte_acl), or NULL */
};

struct fw_stats {
    uint64_t packets, bytes, safe, unsafe;
    uint64_t state[FW_CT_COUNT]; /**< IPv4 packets by tracked state */
    uint64_t arp, not_ipv4, fragments, blocked, classified, cache_hits;
    uint64_t malformed[E2_PKT_STATUS_COUNT]; /**< [E2_PKT_OK] unused */
    uint64_t conns_created, tcp_invalid, blocks_added, bad_signals;
};

struct fw;

struct fw *fw_create(const struct fw_opts *o, struct e2_err *err);
void fw_free(struct fw *fw);

/**
 * Make @rs (parsed, without classifier) current: compile it, give it a new
 * generation and swap it in; the old rule set is freed. On error @rs is
 * freed and the current rule set stays.
 */
int fw_install(struct fw *fw, struct fw_ruleset *rs, struct e2_err *err);

/** Parse and install the rule file at @path (NULL: no rules, policy ACCEPT). */
int fw_load_file(struct fw *fw, const char *path, struct e2_err *err);

/** Parse and install rules from @text, named @name in errors. */
int fw_load_text(struct fw *fw, const char *text, const char *name, struct e2_err *err);

/** Use @build from now on (rte_acl once DPDK is up) and recompile the current rules with it. */
int fw_set_builder(struct fw *fw, fw_classifier_build_fn build, struct e2_err *err);

const struct fw_ruleset *fw_rules(const struct fw *fw);

#define FW_BURST 32

/**
 * Judge @n frames at time @now (ns): verdicts[i] is an enum fw_verdict.
 * FW_BURST frames are parsed first, so their cache misses overlap (a third
 * fewer cycles than frame by frame), then judged in order: a packet sees
 * what the packets before it did to their connections.
 */
void fw_burst(struct fw *fw, uint8_t *const *frames, const uint32_t *lens, unsigned n, uint64_t now,
              uint8_t *verdicts);

/** Judge one frame. */
enum fw_verdict fw_packet(struct fw *fw, uint8_t *frame, uint32_t len, uint64_t now);

/** Forget connections and blocks that timed out (a slice of the tables per call). */
void fw_expire(struct fw *fw, uint64_t now);

/**
 * Block the connection @k (either direction) until @now + @timeout_ns
 * (0: the default): its packets are unsafe, its tracked state is dropped.
 */
void fw_block(struct fw *fw, const struct e2_flow_key *k, uint64_t timeout_ns, uint64_t now);

/** Act on an inter-NF signal (e2_nfsig.h); unknown or malformed ones are counted. */
void fw_signal(struct fw *fw, uint32_t type, const void *data, size_t len, uint64_t now);

const struct fw_stats *fw_stats(const struct fw *fw);

/** Connections and blocks currently held. */
size_t fw_conn_count(const struct fw *fw);
size_t fw_block_count(const struct fw *fw);

/** The flow table's own counters (evictions). */
void fw_conn_table_stats(const struct fw *fw, struct e2_flowtab_stats *s);

/** A connection as listings show it. */
struct fw_conn_info {
    struct e2_flow_key orig; /**< the direction that opened it */
    const char *proto_state; /**< "ESTABLISHED" (TCP), "" otherwise */
    bool replied;
    uint64_t expires;
};

/** Call @fn for each tracked connection. */
void fw_conn_foreach(struct fw *fw, void (*fn)(void *ctx, const struct fw_conn_info *c), void *ctx);

#endif
