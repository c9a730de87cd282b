/*
 * Header parsing shared by the modules that look into packets (FlowHash,
 * Rewrite, later the classifiers): where L3 and L4 start, which protocol,
 * and whether this is a non-first fragment (which has no L4 header).
 */
#ifndef E2_HDR_H
#define E2_HDR_H

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

struct e2_hdr {
    uint16_t l3_off;     /**< offset of the IP header, 0 when not IP */
    uint16_t l4_off;     /**< offset of the L4 header, 0 when absent */
    uint16_t ether_type; /**< host order, after any VLAN tags */
    uint8_t proto;       /**< IP protocol (IPv4) or next header (IPv6, no extensions) */
    uint8_t ip_version;  /**< 4, 6 or 0 */
};

/** Parse Ethernet (with up to two VLAN tags), IPv4 or IPv6, and find L4. */
static inline void e2_hdr_parse(const struct rte_mbuf *m, struct e2_hdr *h)
{
    const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
    uint32_t len = rte_pktmbuf_data_len(m);
    h->l3_off = h->l4_off = 0;
    h->proto = h->ip_version = 0;
    h->ether_type = 0;
    if (len < sizeof(struct rte_ether_hdr)) return;
    uint16_t off = 12;
    uint16_t et = rte_be_to_cpu_16(*(const rte_be16_t *)(p + off));
    off += 2;
    for (int v = 0;
         v < 2 && (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ) && off + 4u <= len;
         v++) {
        et = rte_be_to_cpu_16(*(const rte_be16_t *)(p + off + 2));
        off += 4;
    }
    h->ether_type = et;
    if (et == RTE_ETHER_TYPE_IPV4 && off + sizeof(struct rte_ipv4_hdr) <= len) {
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + off);
        h->l3_off = off;
        h->ip_version = 4;
        h->proto = ip->next_proto_id;
        uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK;
        uint16_t ihl = (uint16_t)((ip->version_ihl & 0x0f) * 4);
        if (frag == 0 && ihl >= 20 && off + ihl < len) h->l4_off = (uint16_t)(off + ihl);
    } else if (et == RTE_ETHER_TYPE_IPV6 && off + sizeof(struct rte_ipv6_hdr) <= len) {
        const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(p + off);
        h->l3_off = off;
        h->ip_version = 6;
        h->proto = ip6->proto;
        if (off + sizeof(*ip6) < len) h->l4_off = (uint16_t)(off + sizeof(*ip6));
    }
}

#endif
