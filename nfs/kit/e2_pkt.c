#include "e2_pkt.h"

#include <string.h>

#include "e2_csum.h"

#define ETH_HLEN       14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define PROTO_ICMP     1
#define PROTO_TCP      6
#define PROTO_UDP      17

const char *e2_pkt_status_name(enum e2_pkt_status s)
{
    static const char *const names[E2_PKT_STATUS_COUNT] = {
        [E2_PKT_OK] = "ok",
        [E2_PKT_NOT_IPV4] = "not_ipv4",
        [E2_PKT_SHORT_L2] = "short_l2",
        [E2_PKT_SHORT_IP] = "short_ip",
        [E2_PKT_BAD_VERSION] = "bad_version",
        [E2_PKT_BAD_IHL] = "bad_ihl",
        [E2_PKT_BAD_TOTAL_LEN] = "bad_total_len",
        [E2_PKT_SHORT_L4] = "short_l4",
        [E2_PKT_BAD_TCP_OFF] = "bad_tcp_off",
    };
    return (unsigned)s < E2_PKT_STATUS_COUNT ? names[s] : "unknown";
}

bool e2_icmp_is_error(uint8_t type)
{
    /* destination unreachable, source quench, redirect, time exceeded, parameter problem */
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

bool e2_icmp_is_query(uint8_t type)
{
    /* echo request/reply, timestamp request/reply */
    return type == 8 || type == 0 || type == 13 || type == 14;
}

int e2_l4_csum_offset(uint8_t proto)
{
    return proto == PROTO_TCP ? 16 : proto == PROTO_UDP ? 6 : proto == PROTO_ICMP ? 2 : -1;
}

static enum e2_pkt_status parse_l2(struct e2_pkt *p)
{
    if (p->len < ETH_HLEN) return E2_PKT_SHORT_L2;
    uint16_t off = 12, et = e2_get16(p->frame + off);
    while ((et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ) && p->vlans < 2) {
        if (p->len < off + 6u) return E2_PKT_SHORT_L2;
        off += 4;
        et = e2_get16(p->frame + off);
        p->vlans++;
    }
    p->ether_type = et;
    p->l3_off = (uint16_t)(off + 2);
    return et == ETHERTYPE_IPV4 ? E2_PKT_OK : E2_PKT_NOT_IPV4;
}

static enum e2_pkt_status parse_ipv4(struct e2_pkt *p, bool quoted)
{
    const uint8_t *ip = p->frame + p->l3_off;
    uint32_t room = p->len - p->l3_off;
    if (room < 20) return E2_PKT_SHORT_IP;
    if (ip[0] >> 4 != 4) return E2_PKT_BAD_VERSION;
    p->ihl = (uint16_t)((ip[0] & 0x0f) * 4);
    if (p->ihl < 20 || p->ihl > room) return E2_PKT_BAD_IHL;
    p->total_len = e2_get16(ip + 2);
    if (p->total_len < p->ihl || (!quoted && p->total_len > room)) return E2_PKT_BAD_TOTAL_LEN;
    p->tos = ip[1];
    p->ip_id = e2_get16(ip + 4);
    uint16_t frag = e2_get16(ip + 6);
    p->df = frag & 0x4000;
    p->mf = frag & 0x2000;
    p->frag_off = (uint16_t)((frag & 0x1fff) * 8);
    p->is_frag = p->mf || p->frag_off;
    p->ttl = ip[8];
    p->proto = ip[9];
    p->src_ip = e2_get32(ip + 12);
    p->dst_ip = e2_get32(ip + 16);
    p->l4_off = (uint16_t)(p->l3_off + p->ihl);
    p->l4_len = (uint16_t)((p->total_len < room ? p->total_len : room) - p->ihl);
    p->payload_off = p->l4_off;
    return E2_PKT_OK;
}

static enum e2_pkt_status parse_l4(struct e2_pkt *p)
{
    if (p->frag_off) return E2_PKT_OK; /* later fragments carry no L4 header */
    const uint8_t *l4 = p->frame + p->l4_off;
    unsigned need = p->proto == PROTO_TCP                             ? 20
                    : p->proto == PROTO_UDP || p->proto == PROTO_ICMP ? 8
                                                                      : 0;
    if (p->l4_len < need) return E2_PKT_SHORT_L4;
    switch (p->proto) {
    case PROTO_TCP: {
        unsigned doff = (unsigned)(l4[12] >> 4) * 4;
        if (doff < 20 || doff > p->l4_len) return E2_PKT_BAD_TCP_OFF;
        p->src_port = e2_get16(l4);
        p->dst_port = e2_get16(l4 + 2);
        p->tcp_seq = e2_get32(l4 + 4);
        p->tcp_ack = e2_get32(l4 + 8);
        p->tcp_flags = l4[13];
        p->payload_off = (uint16_t)(p->l4_off + doff);
        break;
    }
    case PROTO_UDP:
        p->src_port = e2_get16(l4);
        p->dst_port = e2_get16(l4 + 2);
        p->payload_off = (uint16_t)(p->l4_off + 8);
        break;
    case PROTO_ICMP:
        p->icmp_type = l4[0];
        p->icmp_code = l4[1];
        if (e2_icmp_is_query(p->icmp_type)) p->src_port = p->dst_port = e2_get16(l4 + 4);
        p->payload_off = (uint16_t)(p->l4_off + 8);
        break;
    }
    return E2_PKT_OK;
}

enum e2_pkt_status e2_pkt_parse(uint8_t *frame, uint32_t len, struct e2_pkt *p)
{
    memset(p, 0, sizeof(*p));
    p->frame = frame;
    p->len = len;
    enum e2_pkt_status s = parse_l2(p);
    if (s == E2_PKT_OK) s = parse_ipv4(p, false);
    if (s == E2_PKT_OK) s = parse_l4(p);
    return s;
}

enum e2_pkt_status e2_pkt_parse_quoted(const struct e2_pkt *outer, struct e2_pkt *inner)
{
    memset(inner, 0, sizeof(*inner));
    inner->frame = outer->frame;
    inner->len = (uint32_t)outer->l3_off + outer->total_len;
    inner->l3_off = outer->payload_off;
    inner->ether_type = ETHERTYPE_IPV4;
    if (outer->proto != PROTO_ICMP || !e2_icmp_is_error(outer->icmp_type) || outer->is_frag ||
        inner->l3_off > inner->len)
        return E2_PKT_SHORT_IP;
    enum e2_pkt_status s = parse_ipv4(inner, true);
    if (s != E2_PKT_OK || inner->frag_off) return s;
    const uint8_t *l4 = inner->frame + inner->l4_off;
    if (inner->proto != PROTO_TCP && inner->proto != PROTO_UDP && inner->proto != PROTO_ICMP)
        return E2_PKT_OK;
    if (inner->l4_len < 8) return E2_PKT_SHORT_L4;
    if (inner->proto == PROTO_ICMP) {
        inner->icmp_type = l4[0];
        inner->icmp_code = l4[1];
        if (e2_icmp_is_query(inner->icmp_type))
            inner->src_port = inner->dst_port = e2_get16(l4 + 4);
    } else {
        inner->src_port = e2_get16(l4);
        inner->dst_port = e2_get16(l4 + 2);
    }
    return E2_PKT_OK;
}

uint16_t e2_ipv4_csum(const uint8_t *ip, unsigned ihl)
{
    uint32_t s = e2_csum_add(0, ip, 10);
    s = e2_csum_add(s, ip + 12, ihl - 12);
    return e2_csum_fold(s);
}

uint16_t e2_l4_csum(const uint8_t *l4, unsigned len, uint8_t proto, uint32_t src, uint32_t dst)
{
    int at = e2_l4_csum_offset(proto);
    uint32_t s = 0;
    if (proto != PROTO_ICMP) {
        uint8_t pseudo[12];
        e2_put32(pseudo, src);
        e2_put32(pseudo + 4, dst);
        pseudo[8] = 0;
        pseudo[9] = proto;
        e2_put16(pseudo + 10, (uint16_t)len);
        s = e2_csum_add(s, pseudo, sizeof(pseudo));
    }
    if (at >= 0 && (unsigned)at + 2 <= len) {
        s = e2_csum_add(s, l4, (size_t)at);
        s = e2_csum_add(s, l4 + at + 2, len - (unsigned)at - 2);
    } else {
        s = e2_csum_add(s, l4, len);
    }
    uint16_t c = e2_csum_fold(s);
    return proto == PROTO_UDP && c == 0 ? 0xffff : c;
}

/* The L4 checksum field of @p when present and meant to be patched, else NULL. */
static uint8_t *l4_csum_field(const struct e2_pkt *p)
{
    int at = e2_l4_csum_offset(p->proto);
    if (at < 0 || p->frag_off || p->l4_len < (unsigned)at + 2) return NULL;
    uint8_t *f = p->frame + p->l4_off + at;
    if (p->proto == PROTO_UDP && e2_get16(f) == 0) return NULL; /* no checksum */
    return f;
}

void e2_pkt_set_endpoint(struct e2_pkt *p, bool dst, uint32_t ip, uint16_t port)
{
    uint8_t *iph = p->frame + p->l3_off;
    uint8_t *addr = iph + (dst ? 16 : 12);
    uint32_t old_ip = e2_get32(addr);
    uint8_t *l4c = l4_csum_field(p);
    e2_put32(addr, ip);
    e2_csum_replace32(iph + 10, old_ip, ip);
    if (l4c && p->proto != PROTO_ICMP) e2_csum_replace32(l4c, old_ip, ip); /* pseudo header */
    *(dst ? &p->dst_ip : &p->src_ip) = ip;
    if (p->frag_off || p->l4_len < 8) return;
    uint8_t *l4 = p->frame + p->l4_off;
    uint8_t *pf = NULL;
    if (p->proto == PROTO_TCP || p->proto == PROTO_UDP)
        pf = l4 + (dst ? 2 : 0);
    else if (p->proto == PROTO_ICMP && e2_icmp_is_query(p->icmp_type))
        pf = l4 + 4; /* one identifier serves both directions */
    if (!pf) return;
    uint16_t old_port = e2_get16(pf);
    e2_put16(pf, port);
    if (l4c) e2_csum_replace16(l4c, old_port, port);
    if (l4c && p->proto == PROTO_UDP && e2_get16(l4c) == 0) e2_put16(l4c, 0xffff);
    if (p->proto == PROTO_ICMP)
        p->src_port = p->dst_port = port;
    else
        *(dst ? &p->dst_port : &p->src_port) = port;
}

void e2_pkt_set_ttl(struct e2_pkt *p, uint8_t ttl)
{
    uint8_t *iph = p->frame + p->l3_off;
    uint16_t old = e2_get16(iph + 8);
    iph[8] = ttl;
    e2_csum_replace16(iph + 10, old, e2_get16(iph + 8));
    p->ttl = ttl;
}
