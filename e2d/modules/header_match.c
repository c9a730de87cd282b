/*
 * HeaderMatch — steer packets by header fields and ingress port. The
 * operator's manual is header_match_type.manual at the end of this file (also
 * e2d --list-modules and docs/e2d-modules.md); the rule table and its
 * commands are shared with MetadataMatch (match.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "hdr.h"
#include "match.h"
#include "port.h"

/* The key: one 32-bit field each; an IPv6 address is four (most significant first). */
enum {
    F_IN_PORT,
    F_ETHER_TYPE,
    F_VLAN,
    F_SRC_IP4,
    F_DST_IP4,
    F_SRC_IP6,
    F_DST_IP6 = F_SRC_IP6 + 4,
    F_PROTO = F_DST_IP6 + 4,
    F_TOS,
    F_SRC_PORT,
    F_DST_PORT,
    F_ARP_SPA,
    F_ARP_TPA,
    F_COUNT
};
_Static_assert(F_COUNT <= MATCH_FIELDS_MAX, "too many header fields");

#define BIT(f)      (1u << (f))
#define ARP_FIELDS  (BIT(F_ARP_SPA) | BIT(F_ARP_TPA))
#define IP6_FIELDS  (0xfu << F_SRC_IP6 | 0xfu << F_DST_IP6)
#define PORT_FIELDS (BIT(F_SRC_PORT) | BIT(F_DST_PORT))
#define IP_FIELDS                                                                                  \
    (BIT(F_SRC_IP4) | BIT(F_DST_IP4) | IP6_FIELDS | BIT(F_PROTO) | BIT(F_TOS) | PORT_FIELDS)

static const char *const field_names[F_COUNT] = {
    [F_IN_PORT] = "in_port",    [F_ETHER_TYPE] = "ether_type", [F_VLAN] = "vlan",
    [F_SRC_IP4] = "src_ip",     [F_DST_IP4] = "dst_ip",        [F_SRC_IP6] = "src_ip",
    [F_SRC_IP6 + 1] = "src_ip", [F_SRC_IP6 + 2] = "src_ip",    [F_SRC_IP6 + 3] = "src_ip",
    [F_DST_IP6] = "dst_ip",     [F_DST_IP6 + 1] = "dst_ip",    [F_DST_IP6 + 2] = "dst_ip",
    [F_DST_IP6 + 3] = "dst_ip", [F_PROTO] = "proto",           [F_TOS] = "tos",
    [F_SRC_PORT] = "src_port",  [F_DST_PORT] = "dst_port",     [F_ARP_SPA] = "arp_spa",
    [F_ARP_TPA] = "arp_tpa",
};

/* ---- the key of a packet ---- */

/* The outer VLAN id: stripped by the NIC into the mbuf, or in the frame. */
static inline void key_vlan(const struct rte_mbuf *pkt, const uint8_t *p, uint32_t len,
                            struct match_key *k)
{
    if (pkt->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
        k->v[F_VLAN] = pkt->vlan_tci & 0xfff;
        k->present |= BIT(F_VLAN);
        return;
    }
    uint16_t et = rte_be_to_cpu_16(*(const rte_be16_t *)(p + 12));
    if ((et != RTE_ETHER_TYPE_VLAN && et != RTE_ETHER_TYPE_QINQ) || len < 18) return;
    k->v[F_VLAN] = rte_be_to_cpu_16(*(const rte_be16_t *)(p + 14)) & 0xfff;
    k->present |= BIT(F_VLAN);
}

static inline void key_ip4(const struct rte_ipv4_hdr *ip, struct match_key *k)
{
    k->v[F_SRC_IP4] = rte_be_to_cpu_32(ip->src_addr);
    k->v[F_DST_IP4] = rte_be_to_cpu_32(ip->dst_addr);
    k->v[F_TOS] = ip->type_of_service;
    k->present |= BIT(F_SRC_IP4) | BIT(F_DST_IP4) | BIT(F_TOS) | BIT(F_PROTO);
}

static inline void key_ip6(const struct rte_ipv6_hdr *ip, uint32_t used, struct match_key *k)
{
    k->v[F_TOS] = rte_be_to_cpu_32(ip->vtc_flow) >> 20 & 0xff;
    k->present |= BIT(F_TOS) | BIT(F_PROTO) | IP6_FIELDS;
    if (!(used & IP6_FIELDS)) return;
    rte_be32_t a[8]; /* the header is only 2-byte aligned */
    memcpy(a, ip->src_addr, 16);
    memcpy(a + 4, ip->dst_addr, 16);
    for (int w = 0; w < 4; w++) {
        k->v[F_SRC_IP6 + w] = rte_be_to_cpu_32(a[w]);
        k->v[F_DST_IP6 + w] = rte_be_to_cpu_32(a[4 + w]);
    }
}

static inline void key_ports(const struct rte_mbuf *pkt, const struct e2_hdr *h,
                             struct match_key *k)
{
    if (!h->l4_off || h->l4_off + 4u > rte_pktmbuf_data_len(pkt)) return;
    if (h->proto != IPPROTO_TCP && h->proto != IPPROTO_UDP && h->proto != IPPROTO_SCTP) return;
    const rte_be16_t *l4 = rte_pktmbuf_mtod_offset(pkt, const rte_be16_t *, h->l4_off);
    k->v[F_SRC_PORT] = rte_be_to_cpu_16(l4[0]);
    k->v[F_DST_PORT] = rte_be_to_cpu_16(l4[1]);
    k->present |= BIT(F_SRC_PORT) | BIT(F_DST_PORT);
}

/* ARP and RARP sender and target protocol addresses (Ethernet/IPv4 layout), after any tags. */
static inline void key_arp(const uint8_t *p, uint32_t len, struct match_key *k)
{
    uint32_t off = 12;
    for (int v = 0; v < 2 && off + 6 <= len; v++) {
        uint16_t et = rte_be_to_cpu_16(*(const rte_be16_t *)(p + off));
        if (et != RTE_ETHER_TYPE_VLAN && et != RTE_ETHER_TYPE_QINQ) break;
        off += 4;
    }
    off += 2; /* the ARP header */
    if (off + 28 > len) return;
    rte_be32_t spa, tpa;
    memcpy(&spa, p + off + 14, 4);
    memcpy(&tpa, p + off + 24, 4);
    k->v[F_ARP_SPA] = rte_be_to_cpu_32(spa);
    k->v[F_ARP_TPA] = rte_be_to_cpu_32(tpa);
    k->present |= ARP_FIELDS;
}

/*
 * The fields in @used (and some others); those the packet lacks are left out
 * of k->present (their values are not read).
 */
static inline __attribute__((always_inline)) void header_key(struct rte_mbuf *pkt, uint32_t used,
                                                             struct match_key *k)
{
    k->v[F_IN_PORT] = pkt->port;
    k->present = BIT(F_IN_PORT);
    uint32_t len = rte_pktmbuf_data_len(pkt);
    if (!(used & ~BIT(F_IN_PORT)) || len < sizeof(struct rte_ether_hdr)) return;
    const uint8_t *p = rte_pktmbuf_mtod(pkt, const uint8_t *);
    if (used & BIT(F_VLAN)) key_vlan(pkt, p, len, k);
    struct e2_hdr h;
    e2_hdr_parse(pkt, &h);
    k->v[F_ETHER_TYPE] = h.ether_type;
    k->present |= BIT(F_ETHER_TYPE);
    if ((used & ARP_FIELDS) &&
        (h.ether_type == RTE_ETHER_TYPE_ARP || h.ether_type == RTE_ETHER_TYPE_RARP))
        key_arp(p, len, k);
    if (!(used & IP_FIELDS)) return;
    if (h.ip_version == 4)
        key_ip4((const struct rte_ipv4_hdr *)(p + h.l3_off), k);
    else if (h.ip_version == 6)
        key_ip6((const struct rte_ipv6_hdr *)(p + h.l3_off), used, k);
    else
        return;
    k->v[F_PROTO] = h.proto;
    if (used & PORT_FIELDS) key_ports(pkt, &h, k);
}

static void header_key_fn(struct rte_mbuf *pkt, uint32_t used, struct match_key *k)
{
    header_key(pkt, used, k);
}

/* ---- rules ---- */

static const struct match_kind header_kind;

struct hm_key {
    const char *key;
    int (*parse)(const struct hm_key *hk, const json_t *v, struct match_rule *r,
                 struct e2_err *err);
    uint8_t field, field6; /* field6: an IPv6 address's first word */
    uint32_t max;
    const struct match_name *names;
};

static int add(struct match_rule *r, uint8_t field, uint32_t lo, uint32_t hi, struct e2_err *err)
{
    struct match_cond c = {.lo = lo, .hi = hi, .field = field, .present = true};
    return match_cond_add(&header_kind, r, c, err);
}

static int parse_value(const struct hm_key *hk, const json_t *v, struct match_rule *r,
                       struct e2_err *err)
{
    uint32_t lo, hi;
    int rc = match_range(v, hk->max, hk->names, &lo, &hi, err);
    return rc ? rc : add(r, hk->field, lo, hi, err);
}

/* DSCP is the top six bits of the TOS byte: a condition on tos. */
static int parse_dscp(const struct hm_key *hk, const json_t *v, struct match_rule *r,
                      struct e2_err *err)
{
    uint32_t lo, hi;
    int rc = match_range(v, hk->max, hk->names, &lo, &hi, err);
    return rc ? rc : add(r, hk->field, lo << 2, hi << 2 | 3, err);
}

/* A port by name: its DPDK port id, resolved now. */
static int parse_in_port(const struct hm_key *hk, const json_t *v, struct match_rule *r,
                         struct e2_err *err)
{
    const char *name = json_is_string(v) ? json_string_value(v) : "0";
    if (*name >= '0' && *name <= '9') return parse_value(hk, v, r, err);
    const struct e2_port *port = e2_port_find(name);
    if (!port) return e2_err_set(err, ENOENT, "no port named \"%s\"", name);
    return add(r, hk->field, port->port_id, port->port_id, err);
}

/* "A.B.C.D[/LEN]" or "X:...:Y[/LEN]"; *bits = 32 or 128. */
static int parse_prefix(const char *s, uint8_t addr[16], int *bits, int *len, struct e2_err *err)
{
    char host[INET6_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl >= sizeof(host)) return e2_err_set(err, EINVAL, "\"%s\" is not an address", s);
    memcpy(host, s, hl);
    host[hl] = '\0';
    *bits = strchr(host, ':') ? 128 : 32;
    if (inet_pton(*bits == 32 ? AF_INET : AF_INET6, host, addr) != 1)
        return e2_err_set(err, EINVAL, "\"%s\" is not an IPv%d address", s, *bits == 32 ? 4 : 6);
    *len = *bits;
    char *end = NULL;
    if (slash) *len = (int)strtol(slash + 1, &end, 10);
    if (slash && (end == slash + 1 || *end || *len < 0 || *len > *bits))
        return e2_err_set(err, EINVAL, "\"%s\" is not a prefix (the length must be 0..%d)", s,
                          *bits);
    return 0;
}

/* Word @w of the address as a range on its field; host bits must be clear. */
static int prefix_word(const char *s, const uint8_t *addr, int len, int w, uint8_t field,
                       struct match_rule *r, struct e2_err *err)
{
    int bits = len - 32 * w < 0 ? 0 : len - 32 * w > 32 ? 32 : len - 32 * w;
    uint32_t word, mask = bits ? UINT32_MAX << (32 - bits) : 0;
    memcpy(&word, addr + 4 * w, 4);
    word = ntohl(word);
    if (word & ~mask)
        return e2_err_set(err, EINVAL, "\"%s\" is not a prefix (bits set after the first %d)", s,
                          len);
    if (bits == 0 && w > 0) return 0; /* the first word alone says "this family" */
    return add(r, (uint8_t)(field + w), word, word | ~mask, err);
}

static int parse_ip(const struct hm_key *hk, const json_t *v, struct match_rule *r,
                    struct e2_err *err)
{
    if (!json_is_string(v))
        return e2_err_set(err, EINVAL, "must be an address or prefix, e.g. \"10.0.0.0/8\"");
    const char *s = json_string_value(v);
    uint8_t addr[16];
    int bits = 0, len = 0;
    int rc = parse_prefix(s, addr, &bits, &len, err);
    if (!rc && bits != 32 && hk->field == hk->field6)
        return e2_err_set(err, EINVAL, "\"%s\": ARP carries IPv4 addresses", s);
    for (int w = 0; !rc && w < bits / 32; w++)
        rc = prefix_word(s, addr, len, w, bits == 32 ? hk->field : hk->field6, r, err);
    return rc;
}

static const struct match_name ether_names[] = {{"ipv4", RTE_ETHER_TYPE_IPV4},
                                                {"ipv6", RTE_ETHER_TYPE_IPV6},
                                                {"arp", RTE_ETHER_TYPE_ARP},
                                                {NULL, 0}};
static const struct match_name proto_names[] = {{"icmp", IPPROTO_ICMP},     {"tcp", IPPROTO_TCP},
                                                {"udp", IPPROTO_UDP},       {"sctp", IPPROTO_SCTP},
                                                {"icmpv6", IPPROTO_ICMPV6}, {NULL, 0}};

static const struct hm_key hm_keys[] = {
    {"in_port", parse_in_port, F_IN_PORT, 0, UINT16_MAX, NULL},
    {"ether_type", parse_value, F_ETHER_TYPE, 0, UINT16_MAX, ether_names},
    {"vlan", parse_value, F_VLAN, 0, 4095, NULL},
    {"src_ip", parse_ip, F_SRC_IP4, F_SRC_IP6, 0, NULL},
    {"dst_ip", parse_ip, F_DST_IP4, F_DST_IP6, 0, NULL},
    {"proto", parse_value, F_PROTO, 0, UINT8_MAX, proto_names},
    {"tos", parse_value, F_TOS, 0, UINT8_MAX, NULL},
    {"dscp", parse_dscp, F_TOS, 0, 63, NULL},
    {"src_port", parse_value, F_SRC_PORT, 0, UINT16_MAX, NULL},
    {"dst_port", parse_value, F_DST_PORT, 0, UINT16_MAX, NULL},
    {"arp_spa", parse_ip, F_ARP_SPA, F_ARP_SPA, 0, NULL},
    {"arp_tpa", parse_ip, F_ARP_TPA, F_ARP_TPA, 0, NULL},
    {NULL, NULL, 0, 0, 0, NULL},
};

static int header_rule_parse(const json_t *rule, struct match_rule *r, struct e2_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)rule, key, v)
    {
        if (match_common_key(key)) continue;
        const struct hm_key *hk = hm_keys;
        while (hk->key && strcmp(hk->key, key) != 0) hk++;
        if (!hk->key)
            return e2_err_set(
                err, EINVAL,
                "%s: unknown key (a rule has gate, name, in_port, ether_type, vlan, "
                "src_ip, dst_ip, proto, tos, dscp, src_port, dst_port, arp_spa, arp_tpa)",
                key);
        int rc = hk->parse(hk, v, r, err);
        if (rc) return e2_err_prefix(err, "%s: ", key);
    }
    return 0;
}

static const struct match_kind header_kind = {
    .field_names = field_names,
    .parse = header_rule_parse,
    .fill = header_key_fn,
};

/* ---- the module ---- */

static const struct e2_arg header_match_spec[] = {
    MATCH_ARG_SPEC("list of rules {in_port, ether_type, vlan, src_ip, dst_ip, proto, tos, dscp, "
                   "src_port, dst_port, arp_spa, arp_tpa (any of them, ANDed), gate, name}"),
};

static int header_match_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    return match_init(m, &header_kind, args, err);
}

static void header_match_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    const struct match_table *t = match_table(m);
    uint16_t gates[E2_BATCH_MAX];
    if (t->acl) {
        match_acl_classify(t, &header_kind, b, gates);
    } else {
        struct match_key k;
        for (uint32_t i = 0; i < b->cnt; i++) {
            header_key(b->pkts[i], t->used, &k);
            gates[i] = match_scan(t, k.v, k.present);
        }
    }
    e2_split(m, gates, b);
}

static struct e2_module_type header_match_type = {
    .name = "HeaderMatch",
    .summary = "steers packets by header fields and ingress port, first rule wins",
    .manual =
        "Gates: up to 64 inputs; outputs as named by the rules (up to 1024).\n"
        "\n"
        "Each rule is a set of conditions on the packet's headers, all of which must hold, and "
        "a gate; rules are tried in order and the first that matches sends the packet out of its "
        "gate (-1: drop). Packets no rule matches leave by default_gate (-1: dropped). A rule "
        "with no condition matches every packet.\n"
        "\n"
        "Conditions (a number, or a string \"LO-HI\" for an inclusive range, decimal or 0x hex):\n"
        "- `in_port`: the ingress port (the mbuf's port): a port name or a DPDK port id\n"
        "- `ether_type`: after any VLAN tags; also `ipv4`, `ipv6`, `arp`\n"
        "- `vlan`: the outer VLAN id (0..4095), from the frame or as stripped by the NIC; "
        "untagged packets never match it\n"
        "- `src_ip`, `dst_ip`: an IPv4 or IPv6 address or prefix (\"10.0.0.0/8\", "
        "\"2001:db8::/32\"); an IPv4 prefix matches only IPv4 packets, and so on\n"
        "- `proto`: the IP protocol (IPv6: the first next header); also `icmp`, `tcp`, `udp`, "
        "`sctp`, `icmpv6`\n"
        "- `tos`: the IPv4 TOS byte or IPv6 traffic class (0..255); `dscp`: its top six bits "
        "(0..63)\n"
        "- `src_port`, `dst_port`: TCP, UDP or SCTP ports; packets without them (ICMP, "
        "non-first fragments) never match these\n"
        "- `arp_spa`, `arp_tpa`: the sender and target IPv4 address (or prefix) of an ARP or "
        "RARP packet; other packets never match these\n"
        "\n"
        "Refused, naming the rule and the key: unknown keys, bad or out-of-range values, a "
        "prefix with host bits set, an empty range, tos and dscp together, two rules with one "
        "name, and a rule that can never match because an earlier rule matches all it would.\n"
        "\n"
        "Rules change without pausing traffic: each command builds a new table and swaps it in "
        "RCU-style (set_rules replaces everything in one swap). A few rules are scanned in "
        "order; from acl_min_rules rules on the table is compiled with DPDK's rte_acl (cost "
        "nearly flat in the number of rules; the build, milliseconds for a thousand rules, "
        "runs in the command, before the swap). get_rules says which.",
    .example = "rx -> hm :: HeaderMatch(rules=[{proto=udp, dst_port=53, gate=1},\n"
               "    {dst_ip=\"10.0.0.0/8\", dst_port=\"80-443\", gate=2}], default_gate=0);\n"
               "hm[0] -> fw; hm[1] -> dns; hm[2] -> web;",
    .max_igates = 64,
    .max_ogates = E2_GATES_MAX,
    .flags = E2_MT_SAFE,
    .priv_size = sizeof(struct match_state),
    .args = header_match_spec,
    .args_size = sizeof(struct match_args),
    .init = header_match_init,
    .deinit = match_deinit,
    .process = header_match_process,
    .cmds = match_cmds,
};

E2_MODULE_REGISTER(header_match_type);
