/*
 * OVS's multipath flow hashes (see e2/ovs_hash.h): the hash primitives, the
 * field sets of flow_hash_fields(), and the part of miniflow_extract() they
 * read. Word loads use the host's byte order on purpose: OVS hashes the
 * in-memory bytes of network-order fields the same way.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "e2/ovs_hash.h"

/* ---- lib/hash.h: murmur3-style mixing with the portable finish ---- */

static uint32_t rot32(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

static uint32_t mhash_add(uint32_t hash, uint32_t data)
{
    if (data) { /* OVS skips zero words in the mix */
        data *= 0xcc9e2d51;
        data = rot32(data, 15);
        data *= 0x1b873593;
        hash ^= data;
    }
    hash = rot32(hash, 13);
    return hash * 5 + 0xe6546b64;
}

static uint32_t mhash_add64(uint32_t hash, uint64_t data)
{
    return mhash_add(mhash_add(hash, (uint32_t)data), (uint32_t)(data >> 32));
}

static uint32_t mhash_finish(uint32_t hash, uint32_t final)
{
    hash ^= final;
    hash ^= hash >> 16;
    hash *= 0x85ebca6b;
    hash ^= hash >> 13;
    hash *= 0xc2b2ae35;
    hash ^= hash >> 16;
    return hash;
}

/* ---- lib/jhash.c: Bob Jenkins' lookup3 over bytes ---- */

static void jmix(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *a -= *c, *a ^= rot32(*c, 4), *c += *b;
    *b -= *a, *b ^= rot32(*a, 6), *a += *c;
    *c -= *b, *c ^= rot32(*b, 8), *b += *a;
    *a -= *c, *a ^= rot32(*c, 16), *c += *b;
    *b -= *a, *b ^= rot32(*a, 19), *a += *c;
    *c -= *b, *c ^= rot32(*b, 4), *b += *a;
}

static void jfinal(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *c ^= *b, *c -= rot32(*b, 14);
    *a ^= *c, *a -= rot32(*c, 11);
    *b ^= *a, *b -= rot32(*a, 25);
    *c ^= *b, *c -= rot32(*b, 16);
    *a ^= *c, *a -= rot32(*c, 4);
    *b ^= *a, *b -= rot32(*a, 14);
    *c ^= *b, *c -= rot32(*b, 24);
}

static uint32_t jhash_bytes(const void *data, size_t n, uint32_t basis)
{
    const uint8_t *p = data;
    uint32_t a, b, c, w[3];
    a = b = c = 0xdeadbeef + (uint32_t)n + basis;
    for (; n >= 12; n -= 12, p += 12) {
        memcpy(w, p, 12);
        a += w[0], b += w[1], c += w[2];
        jmix(&a, &b, &c);
    }
    if (n) { /* a multiple of 12 bytes ends without the final mix, as in OVS */
        memset(w, 0, sizeof(w));
        memcpy(w, p, n);
        a += w[0], b += w[1], c += w[2];
        jfinal(&a, &b, &c);
    }
    return c;
}

/* ---- lib/flow.c: the field sets ---- */

static uint32_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A host-order number stored in network order and read back natively. */
static uint16_t wire16(uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    uint16_t r;
    memcpy(&r, b, 2);
    return r;
}

static bool is_ip4(const struct e2_ovs_flow *f)
{
    return f->dl_type == E2_OVS_ETH_IP;
}

static bool is_ip6(const struct e2_ovs_flow *f)
{
    return f->dl_type == E2_OVS_ETH_IPV6;
}

/* The VLAN ID as the network-order bytes OVS keeps. */
static uint16_t vlan_bytes(const struct e2_ovs_flow *f)
{
    return wire16(f->vlan_vid);
}

/* XOR of source and destination address (4 or 16 bytes) into @out. */
static void nw_xor(const struct e2_ovs_flow *f, uint8_t out[16])
{
    size_t n = is_ip4(f) ? 4 : is_ip6(f) ? 16 : 0;
    memset(out, 0, 16);
    for (size_t i = 0; i < n; i++) out[i] = f->nw_src[i] ^ f->nw_dst[i];
}

/* flow_hash_symmetric_l2: three words of eth_type, VLAN IDs and MAC XOR. */
static uint32_t hash_symmetric_l2(const struct e2_ovs_flow *f, uint32_t basis)
{
    uint8_t w[12] = {0};
    uint16_t type = wire16(f->dl_type), vlan = vlan_bytes(f);
    memcpy(w, &type, 2);
    memcpy(w + 2, &vlan, 2);
    for (int i = 0; i < 6; i++) w[4 + i] = f->dl_src[i] ^ f->dl_dst[i];
    uint32_t hash = basis;
    for (int i = 0; i < 3; i++) hash = mhash_add(hash, load32(w + 4 * i));
    return mhash_finish(hash, basis);
}

static uint32_t hash_symmetric_l3l4(const struct e2_ovs_flow *f, uint32_t basis, bool udp)
{
    uint32_t hash = basis;
    if (is_ip4(f))
        hash = mhash_add(hash, load32(f->nw_src) ^ load32(f->nw_dst));
    else if (is_ip6(f))
        for (int i = 0; i < 2; i++)
            hash = mhash_add64(hash, load64(f->nw_src + 8 * i) ^ load64(f->nw_dst + 8 * i));
    else
        return hash_symmetric_l2(f, basis);
    hash = mhash_add(hash, f->nw_proto);
    bool ports = f->nw_proto == 6 || f->nw_proto == 132 || (udp && f->nw_proto == 17);
    if (ports && !f->nw_frag) hash = mhash_add(hash, wire16(f->tp_src ^ f->tp_dst));
    return mhash_finish(hash, basis);
}

/*
 * flow_hash_symmetric_l4: lookup3 over a zeroed 32-byte struct { 16-byte
 * address XOR; eth_type; VLAN IDs; TCP/SCTP port XOR; MAC XOR; ip_proto }.
 */
static uint32_t hash_symmetric_l4(const struct e2_ovs_flow *f, uint32_t basis)
{
    uint8_t s[32] = {0};
    uint16_t type = wire16(f->dl_type), vlan = vlan_bytes(f);
    memcpy(s + 16, &type, 2);
    memcpy(s + 18, &vlan, 2);
    for (int i = 0; i < 6; i++) s[22 + i] = f->dl_src[i] ^ f->dl_dst[i];
    if (is_ip4(f) || is_ip6(f)) {
        nw_xor(f, s);
        s[28] = f->nw_proto;
        if (f->nw_proto == 6 || f->nw_proto == 132) {
            uint16_t ports = wire16(f->tp_src ^ f->tp_dst);
            memcpy(s + 20, &ports, 2);
        }
    }
    return jhash_bytes(s, sizeof(s), basis);
}

/* flow_hash_symmetric_l3: lookup3 over a zeroed 20-byte { address XOR; eth_type }. */
static uint32_t hash_symmetric_l3(const struct e2_ovs_flow *f, uint32_t basis)
{
    uint8_t s[20] = {0};
    uint16_t type = wire16(f->dl_type);
    nw_xor(f, s);
    memcpy(s + 16, &type, 2);
    return jhash_bytes(s, sizeof(s), basis);
}

static uint32_t hash_address(const struct e2_ovs_flow *f, const uint8_t *addr, uint32_t basis)
{
    if (is_ip4(f)) return jhash_bytes(addr, 4, basis);
    if (is_ip6(f)) return jhash_bytes(addr, 16, basis);
    return basis;
}

uint32_t e2_ovs_flow_hash(const struct e2_ovs_flow *f, enum e2_ovs_hash_fields fields,
                          uint16_t basis)
{
    switch (fields) {
    case E2_OVS_HASH_ETH_SRC: return jhash_bytes(f->dl_src, 6, basis);
    case E2_OVS_HASH_SYMMETRIC_L4: return hash_symmetric_l4(f, basis);
    case E2_OVS_HASH_SYMMETRIC_L3L4: return hash_symmetric_l3l4(f, basis, false);
    case E2_OVS_HASH_SYMMETRIC_L3L4_UDP: return hash_symmetric_l3l4(f, basis, true);
    case E2_OVS_HASH_NW_SRC: return hash_address(f, f->nw_src, basis);
    case E2_OVS_HASH_NW_DST: return hash_address(f, f->nw_dst, basis);
    case E2_OVS_HASH_SYMMETRIC_L3: return hash_symmetric_l3(f, basis);
    case E2_OVS_HASH_N: break;
    }
    return basis;
}

uint32_t e2_ovs_flow_id(const void *frame, size_t len, enum e2_ovs_hash_fields fields,
                        unsigned bits)
{
    struct e2_ovs_flow f;
    e2_ovs_flow_extract(frame, len, &f);
    return e2_ovs_flow_hash(&f, fields, 0) % (1u << bits);
}

static const char *const field_names[E2_OVS_HASH_N] = {
    [E2_OVS_HASH_ETH_SRC] = "eth_src",
    [E2_OVS_HASH_SYMMETRIC_L4] = "symmetric_l4",
    [E2_OVS_HASH_SYMMETRIC_L3L4] = "symmetric_l3l4",
    [E2_OVS_HASH_SYMMETRIC_L3L4_UDP] = "symmetric_l3l4+udp",
    [E2_OVS_HASH_NW_SRC] = "nw_src",
    [E2_OVS_HASH_NW_DST] = "nw_dst",
    [E2_OVS_HASH_SYMMETRIC_L3] = "symmetric_l3",
};

const char *e2_ovs_hash_fields_name(enum e2_ovs_hash_fields fields)
{
    return (unsigned)fields < E2_OVS_HASH_N ? field_names[fields] : NULL;
}

int e2_ovs_hash_fields_parse(const char *name)
{
    for (int i = 0; i < E2_OVS_HASH_N; i++)
        if (!strcasecmp(name, field_names[i])) return i;
    return -EINVAL;
}

/* ---- lib/flow.c miniflow_extract(), the fields above ---- */

struct cursor {
    const uint8_t *p;
    size_t n;
};

static uint16_t get16(const uint8_t *p)
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
 * One 802.1Q/802.1ad tag (OVS's default other_config:vlan-limit=1: a second
 * tag's TPID becomes dl_type), then the EtherType; an 802.3 length field
 * gives 0x05ff, unless LLC/SNAP with OUI 0 carries an EtherType, which OVS
 * follows.
 */
static void extract_l2(struct cursor *c, struct e2_ovs_flow *f)
{
    memcpy(f->dl_dst, c->p, 6);
    memcpy(f->dl_src, c->p + 6, 6);
    pull(c, 12);
    if (c->n >= 6 && (get16(c->p) == 0x8100 || get16(c->p) == 0x88a8)) {
        f->vlan_vid = get16(c->p + 2) & 0x0fff;
        pull(c, 4);
    }
    uint16_t type = c->n >= 2 ? get16(c->p) : 0;
    pull(c, 2);
    f->dl_type = type >= 0x0600 ? type : 0x05ff;
    static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    if (type >= 0x0600 || c->n < 8 || memcmp(c->p, snap, sizeof(snap)) != 0) return;
    type = get16(c->p + 6);
    pull(c, 8);
    if (type >= 0x0600) f->dl_type = type;
}

/* ipv4_sanity_check(): bytes past the IP total length are Ethernet padding. */
static bool extract_ip4(struct cursor *c, struct e2_ovs_flow *f)
{
    if (c->n < 20) return false;
    size_t ihl = (size_t)(c->p[0] & 0x0f) * 4, tot = get16(c->p + 2);
    if (ihl < 20 || c->n < ihl || tot > c->n || ihl > tot) return false;
    memcpy(f->nw_src, c->p + 12, 4);
    memcpy(f->nw_dst, c->p + 16, 4);
    f->nw_proto = c->p[9];
    uint16_t frag = get16(c->p + 6);
    if (frag & 0x3fff) f->nw_frag = E2_OVS_FRAG_ANY | (frag & 0x1fff ? E2_OVS_FRAG_LATER : 0);
    c->n = tot;
    return pull(c, ihl);
}

/* Extension headers as parse_ipv6_ext_hdrs__(); false when they are cut short. */
static bool skip_ip6_ext(struct cursor *c, struct e2_ovs_flow *f)
{
    for (;;) {
        uint8_t nh = f->nw_proto;
        if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44) return true;
        if (c->n < 8) return false;
        f->nw_proto = c->p[0];
        if (nh == 51) {
            if (!pull(c, ((size_t)c->p[1] + 2) * 4)) return false;
        } else if (nh != 44) {
            if (!pull(c, ((size_t)c->p[1] + 1) * 8)) return false;
        } else {
            uint16_t offlg = get16(c->p + 2);
            pull(c, 8);
            if (!offlg) continue;
            f->nw_frag = E2_OVS_FRAG_ANY;
            if (offlg & 0xfff8) {
                f->nw_frag |= E2_OVS_FRAG_LATER;
                f->nw_proto = 44;
                return true;
            }
        }
    }
}

static bool extract_ip6(struct cursor *c, struct e2_ovs_flow *f)
{
    if (c->n < 40) return false;
    size_t plen = get16(c->p + 4);
    if (plen + 40 > c->n) return false;
    memcpy(f->nw_src, c->p + 8, 16);
    memcpy(f->nw_dst, c->p + 24, 16);
    f->nw_proto = c->p[6];
    c->n = plen + 40;
    pull(c, 40);
    if (skip_ip6_ext(c, f)) return true;
    f->nw_proto = f->nw_frag = 0; /* OVS keeps the addresses only */
    return false;
}

static void extract_l4(struct cursor *c, struct e2_ovs_flow *f)
{
    if (f->nw_frag & E2_OVS_FRAG_LATER) return;
    uint8_t proto = f->nw_proto;
    size_t need = proto == 6 ? 20 : proto == 132 ? 12 : 8;
    if (proto != 6 && proto != 17 && proto != 132 && proto != 1 && proto != 2 && proto != 58)
        return;
    if (c->n < need) return;
    bool ports = proto == 6 || proto == 17 || proto == 132;
    f->tp_src = ports ? get16(c->p) : c->p[0];
    f->tp_dst = ports ? get16(c->p + 2) : c->p[1];
}

/* parse_nsh(): version 0, a length that fits; MD type 1 must be 6 words. */
static void extract_nsh(struct cursor *c, struct e2_ovs_flow *f)
{
    if (c->n < 8) return;
    size_t len = (size_t)(get16(c->p) & 0x3f) * 4;
    uint8_t mdtype = c->p[2];
    if (len > c->n || c->p[0] >> 6 || (mdtype == 1 && len != 24) || (mdtype == 2 && len < 8))
        return;
    f->nsh_mdtype = mdtype;
    f->nsh_np = c->p[3];
    f->nsh_spi = (uint32_t)c->p[4] << 16 | (uint32_t)c->p[5] << 8 | c->p[6];
    f->nsh_si = c->p[7];
}

int e2_ovs_flow_extract(const void *frame, size_t len, struct e2_ovs_flow *f)
{
    memset(f, 0, sizeof(*f));
    if (len < 14) return -EINVAL;
    struct cursor c = {frame, len};
    extract_l2(&c, f);
    if (f->dl_type == E2_OVS_ETH_NSH) {
        extract_nsh(&c, f);
        return 0;
    }
    if (!is_ip4(f) && !is_ip6(f)) return 0;
    if (is_ip4(f) ? extract_ip4(&c, f) : extract_ip6(&c, f)) extract_l4(&c, f);
    return 0;
}

int e2_ovs_hash_fields_for(uint32_t fields, bool symmetric)
{
    static const struct {
        uint32_t fields;
        bool symmetric;
        enum e2_ovs_hash_fields ovs;
    } map[] = {
        {E2_OVS_F_SRC_IP, false, E2_OVS_HASH_NW_SRC},
        {E2_OVS_F_DST_IP, false, E2_OVS_HASH_NW_DST},
        {E2_OVS_F_SRC_IP | E2_OVS_F_DST_IP, true, E2_OVS_HASH_SYMMETRIC_L3},
        {E2_OVS_F_5TUPLE, true, E2_OVS_HASH_SYMMETRIC_L3L4_UDP},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].fields == fields && map[i].symmetric == symmetric) return (int)map[i].ovs;
    return -EINVAL;
}
