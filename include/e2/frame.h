/*
 * Plain UDP/IPv4 frames for probes, tests and benchmarks.
 *
 * e2_frame_udp4() writes Ethernet (no VLAN, zero MACs), IPv4 (no options,
 * TTL 64, no checksum) and UDP headers at the start of a frame of @len bytes,
 * with the length fields filled from @len. The payload after
 * E2_FRAME_UDP4_HDR bytes is left as it is. Addresses and ports are in host
 * order. e2d's Source module makes richer traffic (VLANs, TCP, ICMP, ranges).
 */
#ifndef E2_FRAME_H
#define E2_FRAME_H

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define E2_FRAME_UDP4_HDR                                                                          \
    (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))

static inline void e2_frame_udp4(uint8_t *p, uint16_t len, uint32_t sip, uint32_t dip,
                                 uint16_t sport, uint16_t dport)
{
    memset(p, 0, E2_FRAME_UDP4_HDR);
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth)));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(sip);
    ip->dst_addr = rte_cpu_to_be_32(dip);
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
    udp->src_port = rte_cpu_to_be_16(sport);
    udp->dst_port = rte_cpu_to_be_16(dport);
    udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth) - sizeof(*ip)));
}

#endif
