/*
 * The NAT's state, shared by nat.c (translation) and nat_ctl.c (counters
 * and listings as JSON). Not for users of nat.h.
 *
 * Four flow tables (e2_flowtab; entries never move, so they point at each
 * other):
 *   sess_out  outbound 5-tuple (internal -> remote)   data: struct nat_session
 *   sess_in   inbound 5-tuple (remote -> external)    data: struct nat_link to its sess_out entry
 *   map       {internal ip, port, proto}              data: struct nat_mapping
 *   map_rev   {external ip, port, proto} as dst       data: struct nat_link to its map entry
 * Only sess_out entries have an expiry; the others leave with them.
 */
#ifndef E2_NAT_IMPL_H
#define E2_NAT_IMPL_H

#include "e2_flowtab.h"
#include "nat.h"

/** TCP events seen on a session, per direction (RFC 5382 §5 states derive from them). */
enum {
    NAT_TCP_SYN_OUT = 1,
    NAT_TCP_SYN_IN = 2,
    NAT_TCP_FIN_OUT = 4,
    NAT_TCP_FIN_IN = 8,
    NAT_TCP_RST = 16,
};

struct nat_session {
    struct e2_flow_entry *in;          /* its sess_in entry */
    struct e2_flow_entry *map;         /* its mapping */
    struct e2_flow_entry *next, *prev; /* the mapping's sessions */
    uint64_t pkts_out, pkts_in;
    uint32_t ext_ip; /* the mapping's, copied: an outbound hit reads one entry */
    uint16_t ext_port;
    uint8_t tcp;
};

struct nat_mapping {
    struct e2_flow_entry *rev;      /* its map_rev entry */
    struct e2_flow_entry *sessions; /* first session */
    uint32_t n_sessions;
    uint32_t ext_ip;
    uint16_t ext_port;
    uint16_t pool; /* index of its public address */
};

struct nat_link {
    struct e2_flow_entry *peer;
};

/** One public address and the ports it lends, a bitmap of those in use per protocol. */
struct nat_pool {
    uint32_t ip;
    uint16_t lo, hi;
    uint64_t *used[NAT_NPROTO]; /* 65536 bits each */
};

struct nat {
    struct nat_conf conf;
    struct e2_flowtab *sess_out, *sess_in, *map, *map_rev;
    struct nat_pool *pool;
    uint64_t *bits; /* the pools' bitmaps, one allocation */
    unsigned n_pool;
    struct nat_stats st;
};

#define NAT_DATA(e, type) ((type *)(void *)(e)->data)

/** enum nat_proto of an IP protocol number, or -1; and back. */
int nat_proto_index(uint8_t proto);
extern const uint8_t nat_proto_num[NAT_NPROTO];

/** The RFC 5382 state name of a session's TCP events ("established"). */
const char *nat_tcp_state_name(uint8_t tcp);

#endif
