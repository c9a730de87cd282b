/*
 * Values with their qualifiers, as libpcap's gen_ncode, gen_mcode and
 * gen_scode treat them: host and net addresses (with libpcap's promotion of
 * short addresses and its checks of masks), IPv6 prefixes, MAC addresses,
 * ports and port ranges, protocol numbers and names, and E2's address names.
 */
#include <arpa/inet.h>

#include "e2_filter_parser.h"

/* ---- values with qualifiers (libpcap gen_ncode/gen_mcode/gen_scode) ---- */

static int host4(struct parser *p, const struct e2_tok *t, struct e2_qual q, uint32_t addr,
                 uint32_t mask, struct e2_ast **out)
{
    if (q.pq == PQ_LINK) return fail_at(p, t, EINVAL, "illegal link layer address");
    if (q.pq == PQ_IP6) return fail_at(p, t, EINVAL, "'ip6' modifier applied to ip host");
    if (q.pq != PQ_DEFAULT && q.pq != PQ_IP && q.pq != PQ_ARP && q.pq != PQ_RARP)
        return fail_at(p, t, EINVAL, "'%s' modifier applied to host", e2_pq_names[q.pq]);
    struct e2_ast *a = node(A_HOST4, q);
    if (!a) return oom(p);
    a->addr4 = addr;
    a->mask4 = mask;
    *out = a;
    return 0;
}

static int host6(struct parser *p, const struct e2_tok *t, struct e2_qual q, const uint8_t *addr,
                 unsigned prefix, struct e2_ast **out)
{
    if (q.pq == PQ_IP) return fail_at(p, t, EINVAL, "'ip' modifier applied to ip6 host");
    if (q.pq != PQ_DEFAULT && q.pq != PQ_IP6)
        return fail_at(p, t, EINVAL, "'%s' modifier applied to ip6 host",
                       q.pq == PQ_LINK ? "link-layer" : e2_pq_names[q.pq]);
    if (q.aq != AQ_DEFAULT && q.aq != AQ_HOST && q.aq != AQ_NET)
        return fail_at(p, t, EINVAL, "invalid qualifier against IPv6 address");
    if (prefix > 128) return fail_at(p, t, EINVAL, "mask length must be <= 128");
    if (prefix != 128 && q.aq != AQ_NET)
        return fail_at(p, t, EINVAL, "Mask syntax for networks only");
    for (unsigned b = prefix; b < 128; b++)
        if (addr[b / 8] & (0x80 >> (b % 8)))
            return fail_at(p, t, EINVAL, "non-network bits set in \"%.*s/%u\"", (int)t->len, t->s,
                           prefix);
    struct e2_ast *a = node(A_HOST6, q);
    if (!a) return oom(p);
    memcpy(a->addr6, addr, 16);
    a->prefix6 = prefix;
    *out = a;
    return 0;
}

static int port(struct parser *p, const struct e2_tok *t, struct e2_qual q, uint32_t lo,
                uint32_t hi, struct e2_ast **out)
{
    if (q.pq != PQ_DEFAULT && q.pq != PQ_TCP && q.pq != PQ_UDP && q.pq != PQ_SCTP)
        return fail_at(p, t, EINVAL, "illegal qualifier of '%s'",
                       q.aq == AQ_PORT ? "port" : "portrange");
    if (lo > 65535 || hi > 65535)
        return fail_at(p, t, EINVAL, "illegal port number %u > 65535", lo > 65535 ? lo : hi);
    struct e2_ast *a = node(A_PORT, q);
    if (!a) return oom(p);
    a->is_range = q.aq == AQ_PORTRANGE;
    a->lo = lo < hi ? lo : hi;
    a->hi = lo < hi ? hi : lo;
    *out = a;
    return 0;
}

static int proto(struct parser *p, const struct e2_tok *t, struct e2_qual q, uint32_t v,
                 struct e2_ast **out)
{
    if (q.dq != DQ_DEFAULT) return fail_at(p, t, EINVAL, "direction applied to 'proto'");
    if (q.pq == PQ_LINK && v <= 1500)
        return fail_at(p, t, ENOTSUP, "'ether proto %u': 802.2 LLC SAP values are not supported",
                       v);
    if (q.pq != PQ_DEFAULT && q.pq != PQ_IP && q.pq != PQ_IP6 && q.pq != PQ_LINK)
        return fail_at(p, t, EINVAL, "'%s proto' is bogus", e2_pq_names[q.pq]);
    struct e2_ast *a = node(A_PROTO, q);
    if (!a) return oom(p);
    a->num = v;
    *out = a;
    return 0;
}

static int number_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                        struct e2_ast **out)
{
    uint32_t v = t->num, mask = 0xffffffffu;
    switch (q.aq) {
    case AQ_PORT:
    case AQ_PORTRANGE: return port(p, t, q, v, v, out);
    case AQ_PROTO: return proto(p, t, q, v, out);
    case AQ_NET:
        while (v && !(v & 0xff000000u)) { /* libpcap promotes a short net number */
            v <<= 8;
            mask <<= 8;
        }
        break;
    default: break;
    }
    return host4(p, t, q, v, mask, out);
}

/* libpcap's __pcap_atoin: dotted parts into *v; returns 8 * parts, or -1. */
static int atoin(const char *s, uint32_t *v)
{
    int bits = 0;
    *v = 0;
    for (;;) {
        uint32_t part = 0;
        while (*s >= '0' && *s <= '9') {
            part = part * 10 + (uint32_t)(*s++ - '0');
            if (part > 255) return -1;
        }
        *v = (*v << 8) | part;
        bits += 8;
        if (*s++ != '.') return bits;
    }
}

static int net_mask(struct parser *p, const struct e2_tok *t, struct e2_qual q, uint32_t n,
                    uint32_t m, const char *how, struct e2_ast **out)
{
    if ((n & ~m) != 0)
        return fail_at(p, t, EINVAL, "non-network bits set in \"%.*s%s\"", (int)t->len, t->s, how);
    if (q.aq != AQ_NET) return fail_at(p, t, EINVAL, "Mask syntax for networks only");
    return host4(p, t, q, n, m, out);
}

static int hid_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                     struct e2_ast **out)
{
    uint32_t v;
    int bits = atoin(t->text, &v);
    if (bits < 0) return fail_at(p, t, EINVAL, "invalid IPv4 address '%s'", t->text);
    v <<= 32 - bits;
    uint32_t mask = 0xffffffffu << (32 - bits);
    if (take(p, T_SLASH)) {
        const struct e2_tok *len = tok(p);
        if (expect(p, T_NUM, "a mask length")) return -EINVAL;
        if (len->num > 32) return fail_at(p, len, EINVAL, "mask length must be <= 32");
        uint32_t m = len->num ? 0xffffffffu << (32 - len->num) : 0;
        char how[16];
        snprintf(how, sizeof(how), "/%u", len->num);
        if (q.e2_addr) q.aq = len->num == 32 ? AQ_HOST : AQ_NET;
        return net_mask(p, t, q, v, m, how, out);
    }
    if (take(p, K_MASK)) {
        const struct e2_tok *mt = tok(p);
        if (expect(p, T_HID, "a dotted mask")) return -EINVAL;
        uint32_t m;
        int mbits = atoin(mt->text, &m);
        if (mbits < 0) return fail_at(p, mt, EINVAL, "invalid IPv4 address '%s'", mt->text);
        m <<= 32 - mbits;
        char how[64];
        snprintf(how, sizeof(how), " mask %s", mt->text);
        return net_mask(p, t, q, v, m, how, out);
    }
    if (q.aq == AQ_PORT || q.aq == AQ_PORTRANGE || q.aq == AQ_PROTO)
        return fail_at(p, t, EINVAL, "'%s' modifier applied to ip host",
                       q.aq == AQ_PORT        ? "port"
                       : q.aq == AQ_PORTRANGE ? "portrange"
                                              : "proto");
    return host4(p, t, q, v, mask, out);
}

static int hid6_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                      struct e2_ast **out)
{
    unsigned prefix = 128;
    if (take(p, T_SLASH)) {
        const struct e2_tok *len = tok(p);
        if (expect(p, T_NUM, "a prefix length")) return -EINVAL;
        prefix = len->num;
        if (q.e2_addr) q.aq = prefix >= 128 ? AQ_HOST : AQ_NET;
    }
    return host6(p, t, q, t->addr, prefix, out);
}

static int eid_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                     struct e2_ast **out)
{
    if (q.pq != PQ_LINK || (q.aq != AQ_DEFAULT && q.aq != AQ_HOST))
        return fail_at(p, t, EINVAL, "ethernet address used in non-ether expression");
    struct e2_ast *a = node(A_EHOST, q);
    if (!a) return oom(p);
    memcpy(a->mac, t->addr, 6);
    *out = a;
    return 0;
}

struct proto_name {
    const char *name;
    uint32_t ip, ether;
};

static const struct proto_name proto_names[] = {
    {"icmp", 1, 0},    {"igmp", 2, 0},     {"tcp", 6, 0},      {"udp", 17, 0},
    {"gre", 47, 0},    {"esp", 50, 0},     {"ah", 51, 0},      {"sctp", 132, 0},
    {"ip", 0, 0x0800}, {"ip6", 0, 0x86dd}, {"arp", 0, 0x0806}, {"rarp", 0, 0x8035},
};

/* An E2 address name used as a host or net. */
static int address_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                         const struct e2_addr *a, struct e2_ast **out)
{
    if (q.aq == AQ_PORT || q.aq == AQ_PORTRANGE || q.aq == AQ_PROTO)
        return fail_at(p, t, EINVAL, "'%s' is an address, not a port or protocol", t->text);
    unsigned full = a->family == AF_INET ? 32 : 128;
    q.aq = a->prefix == full ? AQ_HOST : AQ_NET;
    if (a->family == AF_INET6) return host6(p, t, q, a->bytes, a->prefix, out);
    uint32_t v = ((uint32_t)a->bytes[0] << 24) | ((uint32_t)a->bytes[1] << 16) |
                 ((uint32_t)a->bytes[2] << 8) | a->bytes[3];
    uint32_t m = a->prefix ? 0xffffffffu << (32 - a->prefix) : 0;
    return host4(p, t, q, v & m, m, out);
}

static int name_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                      struct e2_ast **out)
{
    struct e2_addr a;
    if (p->scope && p->scope->address && p->scope->address(p->scope->ctx, t->text, &a) == 0)
        return address_value(p, t, q, &a, out);
    if (q.aq == AQ_PROTO) {
        for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
            uint32_t v = q.pq == PQ_LINK ? proto_names[i].ether : proto_names[i].ip;
            if (v && !strcmp(proto_names[i].name, t->text)) return proto(p, t, q, v, out);
        }
        return fail_at(p, t, EINVAL, "unknown %s proto '%s'",
                       q.pq == PQ_LINK  ? "ether"
                       : q.pq == PQ_IP6 ? "ip6"
                                        : "ip",
                       t->text);
    }
    if (q.aq == AQ_PORTRANGE) {
        unsigned lo, hi;
        char tail;
        if (sscanf(t->text, "%u-%u%c", &lo, &hi, &tail) == 2) return port(p, t, q, lo, hi, out);
    }
    if (q.aq == AQ_PORT || q.aq == AQ_PORTRANGE)
        return fail_at(p, t, ENOTSUP, "port names such as '%s' are not supported: write the number",
                       t->text);
    return fail_at(p, t, EINVAL, "unknown name '%s' (not an Address declared in the policy)",
                   t->text);
}

bool e2_fp_is_value(const struct e2_tok *t)
{
    return t->kind == T_NUM || t->kind == T_HID || t->kind == T_HID6 || t->kind == T_EID ||
           (t->kind == T_ID && !strchr(t->text, '.'));
}

/* '(' id { and|or id } ')' with the same qualifiers throughout. */
static int parse_id_group(struct parser *p, struct e2_qual q, struct e2_ast **out)
{
    struct e2_ast *acc = NULL, *rhs;
    int rc = e2_fp_parse_id(p, q, &acc);
    while (!rc && (tok(p)->kind == T_AND || tok(p)->kind == T_OR)) {
        enum e2_ast_kind k = tok(p)->kind == T_AND ? A_AND : A_OR;
        p->i++;
        if ((rc = e2_fp_parse_id(p, q, &rhs))) break;
        if (!(acc = join(k, acc, rhs))) return oom(p);
    }
    if (!rc) rc = expect(p, T_RP, "')'");
    if (rc) {
        e2_ast_free(acc);
        return rc;
    }
    *out = acc;
    return 0;
}

int e2_fp_parse_id(struct parser *p, struct e2_qual q, struct e2_ast **out)
{
    const struct e2_tok *t = tok(p);
    if (!q.valid) return unexpected(p, "a qualifier (host, net, port...) before a value");
    if (++p->depth > MAX_DEPTH) return fail_at(p, t, EINVAL, "filter nested too deeply");
    int rc;
    p->i++;
    switch (t->kind) {
    case T_NOT: {
        struct e2_ast *a;
        if ((rc = e2_fp_parse_id(p, q, &a))) break;
        if (!(*out = join(A_NOT, a, NULL))) rc = oom(p);
        break;
    }
    case T_LP: rc = parse_id_group(p, q, out); break;
    case T_NUM: rc = number_value(p, t, q, out); break;
    case T_HID: rc = hid_value(p, t, q, out); break;
    case T_HID6: rc = hid6_value(p, t, q, out); break;
    case T_EID: rc = eid_value(p, t, q, out); break;
    case T_ID: rc = name_value(p, t, q, out); break;
    default:
        p->i--;
        rc = unexpected(p, "a value");
        break;
    }
    p->depth--;
    return rc;
}
