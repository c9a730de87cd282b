/*
 * e2_ovs_hash — the flow hashes of Open vSwitch's multipath action, in pure C, so that e2d
 * (FlowHash hash="ovs") and anything modelling the switch compute the flow ID OVS computes for
 * the same packet.
 *
 * OVS hashes a packet in two steps. It extracts a flow from the frame (lib/flow.c,
 * miniflow_extract): Ethernet addresses, one VLAN tag (OVS's default vlan-limit; an inner
 * tag's TPID is then the ethertype), the ethertype (LLC/SNAP too),
 * IPv4 after its sanity checks (header and total length against the frame) with the fragment
 * bits, IPv6 after its extension headers, and L4 ports only from a non-later fragment whose L4
 * header fits. Then it hashes the fields the action names (flow_hash_fields): Bob Jenkins'
 * lookup3 (jhash_bytes) over a small zero-padded struct for eth_src, nw_src, nw_dst,
 * symmetric_l4 and symmetric_l3; murmur3 steps (hash_add, hash_finish) for symmetric_l3l4 and
 * symmetric_l3l4+udp, which fall back to an L2 hash for non-IP frames. multipath's modulo_n
 * keeps hash % n_links; with n_links = 2^bits (bits <= 16, OVS's limit) that is the low `bits`
 * bits of the hash: E2's flow ID.
 *
 * This is OVS 3.1 as built for generic x86-64 (Debian's package): builds for SSE 4.2 or ARMv8
 * CRC replace the murmur steps with CRC32-C, and the vectors test (tests/test_ovs_hash.c, vectors
 * traced through the installed ovs-vswitchd by tests/ovs_hash_vectors.sh) says so at once.
 * Values are handled as OVS handles them: network-order fields read from memory in host order.
 * Written from OVS's lib/hash.h, lib/jhash.c, lib/flow.c and lib/multipath.c.
 */
#ifndef E2_OVS_HASH_H
#define E2_OVS_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Header-field bits: the values of policy's E2_FIELD_* and of FlowHash's `fields`. */
#define E2_OVS_F_SRC_IP   0x01u
#define E2_OVS_F_DST_IP   0x02u
#define E2_OVS_F_PROTO    0x04u
#define E2_OVS_F_SRC_PORT 0x08u
#define E2_OVS_F_DST_PORT 0x10u
#define E2_OVS_F_5TUPLE   0x1fu

/** The field sets of OVS's multipath (and bundle, select groups): enum nx_hash_fields. */
enum e2_ovs_fields {
    E2_OVS_ETH_SRC,
    E2_OVS_SYMMETRIC_L4,
    E2_OVS_SYMMETRIC_L3L4,
    E2_OVS_SYMMETRIC_L3L4_UDP,
    E2_OVS_NW_SRC,
    E2_OVS_NW_DST,
    E2_OVS_SYMMETRIC_L3,
    E2_OVS_FIELDS_N
};

/** What of a frame OVS's hashes read (struct flow's fields, as OVS stores them). */
struct e2_ovs_flow {
    uint8_t dl_dst[6], dl_src[6];
    uint16_t vlan_vid[2]; /**< host order; 0 for absent tags (OVS keeps two, parses one) */
    uint16_t dl_type;     /**< host order, after VLANs and LLC/SNAP; 0x05ff: none */
    uint8_t nw_proto;
    uint8_t nw_frag; /**< E2_OVS_FRAG_* */
    uint32_t nw_src, nw_dst;
    uint8_t ipv6_src[16], ipv6_dst[16];
    uint16_t tp_src, tp_dst; /**< network order as in the frame */
};

#define E2_OVS_FRAG_ANY   0x01u /**< a fragment */
#define E2_OVS_FRAG_LATER 0x02u /**< a fragment other than the first */

/** Extract @f from the @len bytes of an Ethernet frame, as OVS does; never reads past @len. */
void e2_ovs_flow_extract(const void *frame, size_t len, struct e2_ovs_flow *f);

/** flow_hash_fields(): the hash multipath computes over @fields with @basis. */
uint32_t e2_ovs_flow_hash(const struct e2_ovs_flow *f, enum e2_ovs_fields fields, uint16_t basis);

/** multipath's modulo_n: the link (register value) for @hash over @n_links (1..65536). */
static inline uint32_t e2_ovs_modulo_n(uint32_t hash, uint32_t n_links)
{
    return hash % n_links;
}

/** OVS's name of a field set ("symmetric_l3l4+udp"). */
const char *e2_ovs_fields_name(enum e2_ovs_fields fields);

/** The field set OVS calls @name; 0, or -1 when there is none. */
int e2_ovs_fields_parse(const char *name, enum e2_ovs_fields *out);

/**
 * The OVS field set that hashes exactly the E2 header fields @fields (E2_OVS_F_* bits),
 * symmetrically (both directions of a flow alike) when @symmetric: 0, or -1 when OVS has
 * none. src_ip is nw_src, dst_ip nw_dst, {src_ip, dst_ip} symmetric is symmetric_l3, the
 * 5-tuple symmetric is symmetric_l3l4+udp.
 */
int e2_ovs_hash_fields(uint32_t fields, bool symmetric, enum e2_ovs_fields *out);

/** The OVS multipath field name for @fields (as e2_ovs_hash_fields), or NULL. */
const char *e2_ovs_hash_name(uint32_t fields, bool symmetric);

/* ---- OVS's hash functions ---- */

/** lookup3 over bytes (lib/jhash.c jhash_bytes). */
uint32_t e2_ovs_jhash_bytes(const void *p, size_t n, uint32_t basis);

/** One murmur3 step (lib/hash.h hash_add for builds without CRC32 instructions). */
uint32_t e2_ovs_hash_add(uint32_t hash, uint32_t data);

/** The murmur3 finish (hash_finish). */
uint32_t e2_ovs_hash_finish(uint32_t hash, uint32_t final);

#endif
