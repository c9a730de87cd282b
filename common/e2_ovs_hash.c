/*
 * OVS's multipath hashes (see e2_ovs_hash.h): flow extraction, lookup3, murmur3 steps and the
 * field sets.
 */
#include "e2_ovs_hash.h"

#include <string.h>
#include <strings.h>

#define ETH_TYPE_MIN  0x0600
#define ETH_TYPE_NONE 0x05ff
#define ETH_TYPE_IP   0x0800
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_QINQ 0x88a8
#define VLAN_LIMIT    1 /* OVS's default vlan-limit */

enum { P_HOPOPTS = 0, P_TCP = 6, P_UDP = 17, P_ROUTING = 43, P_FRAGMENT = 44, P_AH = 51 };
enum { P_DSTOPTS = 60, P_SCTP = 132 };

/* ---- hash functions ---- */

static inline uint32_t rot(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

static void jmix(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *a -= *c, *a ^= rot(*c, 4), *c += *b;
    *b -= *a, *b ^= rot(*a, 6), *a += *c;
    *c -= *b, *c ^= rot(*b, 8), *b += *a;
    *a -= *c, *a ^= rot(*c, 16), *c += *b;
    *b -= *a, *b ^= rot(*a, 19), *a += *c;
    *c -= *b, *c ^= rot(*b, 4), *b += *a;
}

static void jfinal(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *c ^= *b, *c -= rot(*b, 14);
    *a ^= *c, *a -= rot(*c, 11);
    *b ^= *a, *b -= rot(*a, 25);
    *c ^= *b, *c -= rot(*b, 16);
    *a ^= *c, *a -= rot(*c, 4);
    *b ^= *a, *b -= rot(*a, 14);
    *c ^= *b, *c -= rot(*b, 24);
}

uint32_t e2_ovs_jhash_bytes(const void *p_, size_t n, uint32_t basis)
{
    const uint8_t *p = p_;
    uint32_t a, b, c, w[3];
    a = b = c = 0xdeadbeef + (uint32_t)n + basis;
    for (; n >= 12; n -= 12, p += 12) {
        memcpy(w, p, 12);
        a += w[0], b += w[1], c += w[2];
        jmix(&a, &b, &c);
    }
    if (n) {
        memset(w, 0, sizeof(w));
        memcpy(w, p, n);
        a += w[0], b += w[1], c += w[2];
        jfinal(&a, &b, &c);
    }
    return c;
}

uint32_t e2_ovs_hash_add(uint32_t hash, uint32_t data)
{
    data *= 0xcc9e2d51;
    data = rot(data, 15);
    data *= 0x1b873593;
    hash = rot(hash ^ data, 13);
    return hash * 5 + 0xe6546b64;
}

uint32_t e2_ovs_hash_finish(uint32_t hash, uint32_t final)
{
    hash ^= final;
    hash ^= hash >> 16;
    hash *= 0x85ebca6b;
    hash ^= hash >> 13;
    hash *= 0xc2b2ae35;
    return hash ^ (hash >> 16);
}

static uint32_t hash_add64(uint32_t hash, uint64_t data)
{
    return e2_ovs_hash_add(e2_ovs_hash_add(hash, (uint32_t)data), (uint32_t)(data >> 32));
}

/* ---- flow extraction (miniflow_extract, the fields the hashes read) ---- */

struct cursor {
    const uint8_t *p;
    size_t n;
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static bool pull(struct cursor *c, size_t n)
{
    if (c->n < n) return false;
    c->p += n;
    c->n -= n;
    return true;
}

/*
 * An 802.1Q or 802.1ad tag, then the ethertype (or LLC/SNAP's). OVS parses up to its
 * other_config:vlan-limit tags, 1 unless configured otherwise: an inner tag's TPID is the
 * ethertype.
 */
static void parse_l2(struct cursor *c, struct e2_ovs_flow *f)
{
    uint16_t et = be16(c->p);
    for (int v = 0; v < VLAN_LIMIT && (et == ETH_TYPE_VLAN || et == ETH_TYPE_QINQ) && c->n >= 6;
         v++) {
        f->vlan_vid[v] = be16(c->p + 2) & 0x0fff;
        pull(c, 4);
        et = be16(c->p);
    }
    pull(c, 2);
    f->dl_type = ETH_TYPE_NONE;
    if (et >= ETH_TYPE_MIN) {
        f->dl_type = et;
        return;
    }
    static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    if (c->n < 8 || memcmp(c->p, snap, sizeof(snap)) != 0) return;
    uint16_t snap_type = be16(c->p + 6);
    pull(c, 8);
    if (snap_type >= ETH_TYPE_MIN) f->dl_type = snap_type;
}

/* ipv4_sanity_check and the fields; @c is left on the L4 header, cut to the IP total length. */
static bool parse_ipv4(struct cursor *c, struct e2_ovs_flow *f)
{
    if (c->n < 20) return false;
    size_t ihl = (size_t)(c->p[0] & 0x0f) * 4, tot = be16(c->p + 2);
    if (ihl < 20 || c->n < ihl || tot > c->n || ihl > tot || c->n - tot > UINT16_MAX) return false;
    memcpy(&f->nw_src, c->p + 12, 4);
    memcpy(&f->nw_dst, c->p + 16, 4);
    f->nw_proto = c->p[9];
    uint16_t frag = be16(c->p + 6);
    if (frag & 0x3fff) f->nw_frag = E2_OVS_FRAG_ANY | ((frag & 0x1fff) ? E2_OVS_FRAG_LATER : 0);
    c->n = tot;
    pull(c, ihl);
    return true;
}

/* parse_ipv6_ext_hdrs__: skip extension headers; a later fragment stops at its header. */
static bool parse_ipv6_ext(struct cursor *c, uint8_t *proto, uint8_t *frag)
{
    for (;;) {
        uint8_t p = *proto;
        if (p != P_HOPOPTS && p != P_ROUTING && p != P_DSTOPTS && p != P_AH && p != P_FRAGMENT)
            return true;
        if (c->n < 8) return false;
        *proto = c->p[0];
        if (p == P_FRAGMENT) {
            uint16_t offlg = be16(c->p + 2);
            pull(c, 8);
            if (offlg == 0) continue;
            *frag = E2_OVS_FRAG_ANY;
            if (offlg & 0xfff8) {
                *frag |= E2_OVS_FRAG_LATER;
                *proto = P_FRAGMENT;
                return true;
            }
            continue;
        }
        size_t len = p == P_AH ? ((size_t)c->p[1] + 2) * 4 : ((size_t)c->p[1] + 1) * 8;
        if (!pull(c, len)) return false;
    }
}

/* ipv6_sanity_check, the addresses, then the extension headers (all of them, or no L4). */
static bool parse_ipv6(struct cursor *c, struct e2_ovs_flow *f)
{
    if (c->n < 40) return false;
    size_t plen = be16(c->p + 4);
    if (plen + 40 > c->n || c->n - (plen + 40) > UINT16_MAX) return false;
    memcpy(f->ipv6_src, c->p + 8, 16);
    memcpy(f->ipv6_dst, c->p + 24, 16);
    uint8_t proto = c->p[6], frag = 0;
    pull(c, 40);
    c->n = plen;
    if (!parse_ipv6_ext(c, &proto, &frag)) return false;
    f->nw_proto = proto;
    f->nw_frag = frag;
    return true;
}

/* Ports of TCP, UDP and SCTP when their header fits (ICMP's type and code hash nowhere). */
static void parse_ports(const struct cursor *c, struct e2_ovs_flow *f)
{
    if (f->nw_frag & E2_OVS_FRAG_LATER) return;
    size_t need = f->nw_proto == P_TCP ? 20 : f->nw_proto == P_UDP ? 8 : 12;
    if (f->nw_proto != P_TCP && f->nw_proto != P_UDP && f->nw_proto != P_SCTP) return;
    if (c->n < need) return;
    memcpy(&f->tp_src, c->p, 2);
    memcpy(&f->tp_dst, c->p + 2, 2);
}

void e2_ovs_flow_extract(const void *frame, size_t len, struct e2_ovs_flow *f)
{
    memset(f, 0, sizeof(*f));
    struct cursor c = {frame, len};
    if (len < 14) return;
    memcpy(f->dl_dst, c.p, 6);
    memcpy(f->dl_src, c.p + 6, 6);
    pull(&c, 12);
    parse_l2(&c, f);
    bool ok = f->dl_type == ETH_TYPE_IP     ? parse_ipv4(&c, f)
              : f->dl_type == ETH_TYPE_IPV6 ? parse_ipv6(&c, f)
                                            : false;
    if (ok) parse_ports(&c, f);
}

/* ---- the field sets (flow_hash_fields) ---- */

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static bool is_ip(const struct e2_ovs_flow *f)
{
    return f->dl_type == ETH_TYPE_IP || f->dl_type == ETH_TYPE_IPV6;
}

/* The XOR of source and destination address into @out (4 or 16 bytes as the family has). */
static void addr_xor(const struct e2_ovs_flow *f, uint8_t out[16])
{
    if (f->dl_type == ETH_TYPE_IP) {
        uint32_t x = f->nw_src ^ f->nw_dst;
        memcpy(out, &x, 4);
    } else if (f->dl_type == ETH_TYPE_IPV6) {
        for (int i = 0; i < 16; i++) out[i] = f->ipv6_src[i] ^ f->ipv6_dst[i];
    }
}

static bool l4_ports_hashed(const struct e2_ovs_flow *f, bool udp)
{
    return f->nw_proto == P_TCP || f->nw_proto == P_SCTP || (udp && f->nw_proto == P_UDP);
}

/*
 * flow_hash_symmetric_l4: lookup3 over { union {be32; in6_addr} addr_xor; be16 eth_type;
 * be16 vlan_vid_xor; be16 port_xor; u8 eth_xor[6]; u8 proto; } (32 bytes with padding).
 */
static uint32_t hash_symmetric_l4(const struct e2_ovs_flow *f, uint32_t basis)
{
    uint8_t s[32] = {0};
    for (int i = 0; i < 6; i++) s[22 + i] = f->dl_src[i] ^ f->dl_dst[i];
    put_be16(s + 16, f->dl_type);
    put_be16(s + 18, f->vlan_vid[0] ^ f->vlan_vid[1]);
    if (is_ip(f)) {
        addr_xor(f, s);
        s[28] = f->nw_proto;
        if (l4_ports_hashed(f, false)) {
            uint16_t x = f->tp_src ^ f->tp_dst;
            memcpy(s + 20, &x, 2);
        }
    }
    return e2_ovs_jhash_bytes(s, sizeof(s), basis);
}

/* flow_hash_symmetric_l2: murmur over { be16 eth_type; be16 vid_xor; u8 eth_xor[6]; pad }. */
static uint32_t hash_symmetric_l2(const struct e2_ovs_flow *f, uint32_t basis)
{
    uint8_t s[12] = {0};
    put_be16(s, f->dl_type);
    put_be16(s + 2, f->vlan_vid[0] ^ f->vlan_vid[1]);
    for (int i = 0; i < 6; i++) s[4 + i] = f->dl_src[i] ^ f->dl_dst[i];
    uint32_t hash = basis, w[3];
    memcpy(w, s, sizeof(w));
    for (int i = 0; i < 3; i++) hash = e2_ovs_hash_add(hash, w[i]);
    return e2_ovs_hash_finish(hash, basis);
}

/* flow_hash_symmetric_l3l4: murmur over the address XOR, the protocol and the port XOR. */
static uint32_t hash_symmetric_l3l4(const struct e2_ovs_flow *f, uint32_t basis, bool udp)
{
    if (!is_ip(f)) return hash_symmetric_l2(f, basis);
    uint32_t hash = basis;
    if (f->dl_type == ETH_TYPE_IP) {
        hash = e2_ovs_hash_add(hash, f->nw_src ^ f->nw_dst);
    } else {
        for (int i = 0; i < 16; i += 8) {
            uint64_t a, b;
            memcpy(&a, f->ipv6_src + i, 8);
            memcpy(&b, f->ipv6_dst + i, 8);
            hash = hash_add64(hash, a ^ b);
        }
    }
    hash = e2_ovs_hash_add(hash, f->nw_proto);
    if (!(f->nw_frag & E2_OVS_FRAG_ANY) && l4_ports_hashed(f, udp))
        hash = e2_ovs_hash_add(hash, (uint16_t)(f->tp_src ^ f->tp_dst));
    return e2_ovs_hash_finish(hash, basis);
}

/* flow_hash_symmetric_l3: lookup3 over { union {be32; in6_addr} addr_xor; be16 eth_type; }. */
static uint32_t hash_symmetric_l3(const struct e2_ovs_flow *f, uint32_t basis)
{
    uint8_t s[20] = {0};
    put_be16(s + 16, f->dl_type);
    addr_xor(f, s);
    return e2_ovs_jhash_bytes(s, sizeof(s), basis);
}

static uint32_t hash_one_addr(const struct e2_ovs_flow *f, const uint32_t *v4, const uint8_t *v6,
                              uint32_t basis)
{
    if (f->dl_type == ETH_TYPE_IP) return e2_ovs_jhash_bytes(v4, 4, basis);
    if (f->dl_type == ETH_TYPE_IPV6) return e2_ovs_jhash_bytes(v6, 16, basis);
    return basis;
}

uint32_t e2_ovs_flow_hash(const struct e2_ovs_flow *f, enum e2_ovs_fields fields, uint16_t basis)
{
    switch (fields) {
    case E2_OVS_ETH_SRC: return e2_ovs_jhash_bytes(f->dl_src, 6, basis);
    case E2_OVS_SYMMETRIC_L4: return hash_symmetric_l4(f, basis);
    case E2_OVS_SYMMETRIC_L3L4: return hash_symmetric_l3l4(f, basis, false);
    case E2_OVS_SYMMETRIC_L3L4_UDP: return hash_symmetric_l3l4(f, basis, true);
    case E2_OVS_NW_SRC: return hash_one_addr(f, &f->nw_src, f->ipv6_src, basis);
    case E2_OVS_NW_DST: return hash_one_addr(f, &f->nw_dst, f->ipv6_dst, basis);
    case E2_OVS_SYMMETRIC_L3: return hash_symmetric_l3(f, basis);
    case E2_OVS_FIELDS_N: break;
    }
    return basis;
}

/* ---- names ---- */

static const char *const names[E2_OVS_FIELDS_N] = {
    [E2_OVS_ETH_SRC] = "eth_src",
    [E2_OVS_SYMMETRIC_L4] = "symmetric_l4",
    [E2_OVS_SYMMETRIC_L3L4] = "symmetric_l3l4",
    [E2_OVS_SYMMETRIC_L3L4_UDP] = "symmetric_l3l4+udp",
    [E2_OVS_NW_SRC] = "nw_src",
    [E2_OVS_NW_DST] = "nw_dst",
    [E2_OVS_SYMMETRIC_L3] = "symmetric_l3",
};

const char *e2_ovs_fields_name(enum e2_ovs_fields fields)
{
    return (unsigned)fields < E2_OVS_FIELDS_N ? names[fields] : NULL;
}

int e2_ovs_fields_parse(const char *name, enum e2_ovs_fields *out)
{
    for (int i = 0; i < E2_OVS_FIELDS_N; i++) {
        if (strcasecmp(names[i], name) == 0) {
            *out = (enum e2_ovs_fields)i;
            return 0;
        }
    }
    return -1;
}

int e2_ovs_hash_fields(uint32_t fields, bool symmetric, enum e2_ovs_fields *out)
{
    static const struct {
        uint32_t fields;
        bool symmetric;
        enum e2_ovs_fields ovs;
    } map[] = {
        {E2_OVS_F_SRC_IP, false, E2_OVS_NW_SRC},
        {E2_OVS_F_DST_IP, false, E2_OVS_NW_DST},
        {E2_OVS_F_SRC_IP | E2_OVS_F_DST_IP, true, E2_OVS_SYMMETRIC_L3},
        {E2_OVS_F_5TUPLE, true, E2_OVS_SYMMETRIC_L3L4_UDP},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (map[i].fields == fields && map[i].symmetric == symmetric) {
            *out = map[i].ovs;
            return 0;
        }
    }
    return -1;
}

const char *e2_ovs_hash_name(uint32_t fields, bool symmetric)
{
    enum e2_ovs_fields f;
    return e2_ovs_hash_fields(fields, symmetric, &f) == 0 ? names[f] : NULL;
}
