/*
 * nat — a NAPT for IPv4 (RFC 4787 UDP, RFC 5382 TCP, RFC 5508 ICMP), pure C
 * over frames.
 *
 * Direction comes from the configuration, not from the port a packet
 * arrived on: a packet whose source lies in an "inside" prefix is outbound
 * (its source is translated), a packet addressed to a "public" address is
 * inbound (its destination is translated back), a packet that is both is
 * hairpinned (both, in that order).
 *
 * State is two kinds of entries, each in a pair of flow tables (one per
 * lookup direction, partners pointing at each other; e2_flowtab entries
 * never move):
 *   - a mapping: internal endpoint (address, port or ICMP identifier) <->
 *     external endpoint. Endpoint-independent (RFC 4787 REQ-1, RFC 5382
 *     REQ-1): every session of an internal endpoint uses its one mapping.
 *     A mapping lives while it has sessions.
 *   - a session: one internal endpoint talking to one remote endpoint; it
 *     carries the TCP state (RFC 5382 §5), the idle timer and counters. The
 *     outbound table keys it by (internal -> remote), the inbound table by
 *     (remote -> external), so a translated packet costs one lookup.
 * Sessions expire by a sweep (nat_tick) or when found stale by a lookup; a
 * mapping leaves with its last session and gives its port back to the pool.
 *
 * Time is whatever the caller passes as @now (ns), so tests drive it.
 */
#ifndef E2_NAT_H
#define E2_NAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_pkt.h"

enum nat_proto { NAT_TCP, NAT_UDP, NAT_ICMP, NAT_NPROTO };

enum nat_filtering {
    NAT_FILTER_ENDPOINT,     /**< endpoint-independent: any remote may use a mapping */
    NAT_FILTER_ADDRESS,      /**< address-dependent: remotes the inside host sent to */
    NAT_FILTER_ADDRESS_PORT, /**< address-and-port-dependent: exact remote endpoints */
};

enum nat_timeout { NAT_TO_UDP, NAT_TO_TCP_EST, NAT_TO_TCP_TRANS, NAT_TO_ICMP, NAT_TO_COUNT };

#define NAT_PREFIX_MAX 32   /* inside prefixes, public prefixes */
#define NAT_PUBLIC_MAX 1024 /* public addresses in all */

struct nat_prefix {
    uint32_t ip;
    uint8_t len;
};

static inline bool nat_prefix_has(const struct nat_prefix *p, uint32_t ip)
{
    uint32_t mask = p->len ? ~0u << (32 - p->len) : 0;
    return (ip & mask) == p->ip;
}

struct nat_public_range {
    struct nat_prefix net;
    uint16_t lo, hi; /* ports (and ICMP identifiers) every address of net lends */
};

struct nat_conf {
    struct nat_prefix inside[NAT_PREFIX_MAX];
    unsigned n_inside;
    struct nat_public_range pub[NAT_PREFIX_MAX];
    unsigned n_pub;
    uint64_t timeout_ns[NAT_TO_COUNT];
    enum nat_filtering filtering;
    bool pass_other; /**< neither outbound nor inbound: pass (true) or drop */
    bool hairpin;
    uint32_t sessions; /**< capacity of the session tables */
};

/** The defaults: RFC minimums raised to usual values, address-dependent filtering. */
void nat_conf_defaults(struct nat_conf *c);

/** Parse configuration text named @name (FILE:LINE errors); @c starts from the defaults. */
int nat_conf_parse(const char *text, const char *name, struct nat_conf *c, struct e2_err *err);

/** The same from a file. */
int nat_conf_load(const char *path, struct nat_conf *c, struct e2_err *err);

/** Why a packet was dropped. */
enum nat_drop {
    NAT_DROP_MALFORMED,      /**< e2_pkt refused it (counted per status too) */
    NAT_DROP_FRAGMENT,       /**< a non-first fragment: no ports to translate by */
    NAT_DROP_PROTO,          /**< not TCP, UDP or ICMP */
    NAT_DROP_NO_SESSION,     /**< TCP that may not open a session (RST, inbound non-SYN) */
    NAT_DROP_NO_MAPPING,     /**< inbound to a public endpoint nobody holds */
    NAT_DROP_FILTERED,       /**< inbound refused by the filtering behaviour */
    NAT_DROP_POOL,           /**< no free port on the public address */
    NAT_DROP_ICMP_TYPE,      /**< an ICMP message this direction does not translate */
    NAT_DROP_ICMP_QUOTE,     /**< an ICMP error quoting nothing usable */
    NAT_DROP_ICMP_UNMATCHED, /**< an ICMP error about no session of ours */
    NAT_DROP_ICMP_CHECKSUM,  /**< an ICMP error with a wrong ICMP or quoted IP checksum */
    NAT_DROP_HAIRPIN,        /**< inside to a public address with hairpinning off */
    NAT_DROP_OTHER,          /**< neither outbound nor inbound, "other drop" */
    NAT_DROP_COUNT,
};

const char *nat_drop_name(enum nat_drop d);
const char *nat_proto_name(enum nat_proto p);

struct nat_stats {
    uint64_t status[E2_PKT_STATUS_COUNT]; /**< every packet's parse status */
    uint64_t drops[NAT_DROP_COUNT];
    uint64_t translated_out[NAT_NPROTO], translated_in[NAT_NPROTO];
    uint64_t mappings_created[NAT_NPROTO], mappings_expired[NAT_NPROTO];
    uint64_t sessions_created[NAT_NPROTO], sessions_expired[NAT_NPROTO];
    uint64_t pool_exhausted[NAT_NPROTO];
    uint64_t port_preserved;   /**< new mappings that kept the internal port */
    uint64_t sessions_evicted; /**< live sessions pushed out by a full table */
    uint64_t icmp_errors_in, icmp_errors_out;
    uint64_t hairpinned, passed, flushes;
};

enum nat_verdict { NAT_FORWARD, NAT_DROP };

struct nat;

struct nat *nat_create(const struct nat_conf *c, struct e2_err *err);
void nat_free(struct nat *n);

/**
 * Make @c current. Timeouts, filtering and the other/hairpin options apply
 * to existing state; a changed inside/public set or capacity starts with
 * empty tables (a flush). On error @n keeps its configuration and state.
 */
int nat_reconfigure(struct nat *n, const struct nat_conf *c, struct e2_err *err);

/** Translate one frame in place; the verdict says whether to send it on. */
enum nat_verdict nat_process(struct nat *n, uint8_t *frame, uint32_t len, uint64_t now);

/**
 * The same for @count frames, NAT_BURST at a time: all are parsed and their
 * table slots prefetched before any is translated, so the cache misses of a
 * burst overlap. Verdicts and counters are those of nat_process in turn.
 */
#define NAT_BURST 32
void nat_process_burst(struct nat *n, uint8_t *const *frames, const uint32_t *lens, unsigned count,
                       enum nat_verdict *verdicts, uint64_t now);

/** Expire stale sessions: a slice of the table per call (call often, e.g. every ms). */
void nat_tick(struct nat *n, uint64_t now);

const struct nat_stats *nat_stats(const struct nat *n);
const struct nat_conf *nat_conf(const struct nat *n);

/** Live mappings and sessions. */
void nat_counts(const struct nat *n, size_t *mappings, size_t *sessions);

/** Counters as JSON (the "stats" of the control socket). */
json_t *nat_stats_json(const struct nat *n);

struct nat_filter {
    int proto;          /**< -1: any, else enum nat_proto */
    uint32_t inside_ip; /**< 0: any */
    uint32_t public_ip; /**< 0: any */
    int port;           /**< -1: any, else internal or external port */
    unsigned limit;     /**< at most this many mappings */
};

/** Mappings matching @f, each with its sessions (remote, state, idle time left). */
json_t *nat_mappings_json(struct nat *n, const struct nat_filter *f, uint64_t now);

#endif
