/*
 * e2/ovs_hash.h — the flow hashes of Open vSwitch's multipath action, in C.
 *
 * The rack switch (OVS, docs/switch.md) and e2d (FlowHash with hash="ovs")
 * must compute the same flow ID for the same packet, so both use this file:
 * a flow ID is what `multipath(FIELDS, 0, modulo_n, 2^bits, 0, reg0[0..bits-1])`
 * writes, i.e. flow_hash_fields(flow, FIELDS, basis 0) % 2^bits.
 *
 * This is our own implementation of the algorithms OVS 3.1 uses (lib/hash.h's
 * murmur-style mhash with the portable finish, lib/jhash.c's lookup3,
 * lib/flow.c's flow_hash_fields and miniflow_extract for the fields they
 * read). Values are read from packet bytes with the host's byte order, as OVS
 * does, so the results match an OVS running on a host of the same endianness
 * (OVS built without SSE 4.2 hashing, as Debian's packages are; the test
 * switch_ovs_hash checks every field set against a running ovs-vswitchd).
 */
#ifndef E2_OVS_HASH_H
#define E2_OVS_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The field sets of OVS's multipath and bundle actions (enum nx_hash_fields). */
enum e2_ovs_hash_fields {
    E2_OVS_HASH_ETH_SRC,
    E2_OVS_HASH_SYMMETRIC_L4,
    E2_OVS_HASH_SYMMETRIC_L3L4,
    E2_OVS_HASH_SYMMETRIC_L3L4_UDP,
    E2_OVS_HASH_NW_SRC,
    E2_OVS_HASH_NW_DST,
    E2_OVS_HASH_SYMMETRIC_L3,
    E2_OVS_HASH_N
};

/** The largest flow-ID width: multipath takes at most 65536 links. */
#define E2_OVS_FLOW_BITS_MAX 16

#define E2_OVS_ETH_IP   0x0800
#define E2_OVS_ETH_IPV6 0x86dd
#define E2_OVS_ETH_NSH  0x894f

/*
 * What OVS extracts from an Ethernet frame, as far as its hashes and E2's
 * switch rules read it. Byte strings keep network order; numbers are in host
 * order. Fields OVS leaves unset for a packet stay zero.
 */
struct e2_ovs_flow {
    uint8_t dl_dst[6], dl_src[6];
    uint16_t dl_type;               /**< after one VLAN tag; 0x05ff for 802.3 frames */
    uint16_t vlan_vid;              /**< VLAN ID of the tag (0 when absent) */
    uint8_t nw_src[16], nw_dst[16]; /**< IPv4 in the first 4 bytes, or IPv6 */
    uint8_t nw_proto;
    uint8_t nw_frag;         /**< E2_OVS_FRAG_* */
    uint16_t tp_src, tp_dst; /**< ports; ICMP type and code */
    uint32_t nsh_spi;        /**< dl_type 0x894f with a valid NSH header */
    uint8_t nsh_si, nsh_np;  /**< service index, next protocol */
    uint8_t nsh_mdtype;      /**< 0 when there is no (valid) NSH header */
};

#define E2_OVS_FRAG_ANY   1 /**< a fragment */
#define E2_OVS_FRAG_LATER 2 /**< not the first fragment */

/**
 * Extract @flow from an Ethernet frame as OVS's miniflow_extract() does.
 * @return 0, or -EINVAL when the frame is shorter than an Ethernet header
 */
int e2_ovs_flow_extract(const void *frame, size_t len, struct e2_ovs_flow *flow);

/** OVS's flow_hash_fields(@flow, @fields, @basis). */
uint32_t e2_ovs_flow_hash(const struct e2_ovs_flow *flow, enum e2_ovs_hash_fields fields,
                          uint16_t basis);

/**
 * The flow ID `multipath(FIELDS,0,modulo_n,2^bits,0,reg0[0..bits-1])` writes
 * for the Ethernet frame @frame (bits 1..16); a frame shorter than an
 * Ethernet header hashes as an empty flow.
 */
uint32_t e2_ovs_flow_id(const void *frame, size_t len, enum e2_ovs_hash_fields fields,
                        unsigned bits);

/*
 * E2's affinity fields (the same bits as policy's E2_FIELD_*), for mapping an
 * NF's affinity onto the field set OVS hashes.
 */
#define E2_OVS_F_SRC_IP   0x01u
#define E2_OVS_F_DST_IP   0x02u
#define E2_OVS_F_PROTO    0x04u
#define E2_OVS_F_SRC_PORT 0x08u
#define E2_OVS_F_DST_PORT 0x10u
#define E2_OVS_F_5TUPLE   0x1fu

/**
 * The field set that hashes E2 affinity @fields (E2_OVS_F_*), @symmetric or
 * not, as OVS can: [src_ip] nw_src, [dst_ip] nw_dst, [src_ip, dst_ip]
 * symmetric symmetric_l3, the symmetric 5-tuple symmetric_l3l4+udp;
 * -EINVAL for any other.
 */
int e2_ovs_hash_fields_for(uint32_t fields, bool symmetric);

/** OVS's name of a field set ("symmetric_l3l4+udp"), or NULL. */
const char *e2_ovs_hash_fields_name(enum e2_ovs_hash_fields fields);

/** The field set OVS calls @name (case-insensitive), or -EINVAL. */
int e2_ovs_hash_fields_parse(const char *name);

#endif
