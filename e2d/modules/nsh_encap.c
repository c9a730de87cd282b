/*
 * NSHEncap — put a packet into Ethernet + NSH (RFC 8300 MD type 2) for the wire between servers
 * and the switch, carrying its metadata tags and flow ID. The operator's manual is
 * nsh_encap_type.manual at the end of this file (also e2d --list-modules and
 * docs/e2d-modules.md); the wire format is common/e2_nsh.h and docs/nsh.md.
 */
#include <string.h>

#include <rte_ether.h>

#include "e2_nsh.h"
#include "e2/meta.h"
#include "module.h"

_Static_assert(E2_NSH_MD_FLOW_ID == E2_META_FLOW_ID && E2_NSH_MD_TAG(3) == E2_META_TAG(3) &&
                   E2_NSH_TAGS == E2_META_TAGS,
               "NSH metadata bits are e2_meta's");

struct nsh_encap_args {
    uint32_t spi;
    uint8_t si, ttl;
    uint8_t dst_mac[6], src_mac[6];
    bool tags, flow_id;
};

static const struct e2_arg nsh_encap_spec[] = {
    E2_ARG_U32(struct nsh_encap_args, spi, NULL, 0, E2_NSH_SPI_MAX,
               "service path identifier (24 bits): the iGraph edge"),
    E2_ARG_U8(struct nsh_encap_args, si, "255", 1, 255, "service index"),
    E2_ARG_U8(struct nsh_encap_args, ttl, "63", 1, 63, "NSH TTL (6 bits)"),
    E2_ARG_MAC(struct nsh_encap_args, dst_mac, NULL, "outer destination MAC: the next server's"),
    E2_ARG_MAC(struct nsh_encap_args, src_mac, NULL, "outer source MAC: this server's NIC"),
    E2_ARG_BOOL(struct nsh_encap_args, tags, "true", "carry the metadata tags the packet has"),
    E2_ARG_BOOL(struct nsh_encap_args, flow_id, "true", "carry its flow ID when it has one"),
    E2_ARG_END,
};

#define HDR_FIXED (E2_NSH_ETH_LEN + E2_NSH_BASE_LEN)

/*
 * The outer Ethernet, base and service path headers are the same for every packet but for
 * Length, which follows the metadata carried: one ready copy per combination of valid bits.
 */
struct nsh_encap_priv {
    uint8_t hdr[1u << (E2_META_TAGS + 1)][HDR_FIXED];
    uint32_t spi;
    uint8_t si;
    uint8_t carry; /* the metadata valid bits carried */
    uint64_t encapsulated, no_headroom;
};

static int nsh_encap_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    (void)err;
    const struct nsh_encap_args *a = args;
    struct nsh_encap_priv *e = m->priv;
    for (unsigned v = 0; v < RTE_DIM(e->hdr); v++) {
        uint8_t *h = e->hdr[v], full[E2_NSH_HDR_MAX];
        memcpy(h, a->dst_mac, 6);
        memcpy(h + 6, a->src_mac, 6);
        h[12] = E2_NSH_ETHERTYPE >> 8;
        h[13] = E2_NSH_ETHERTYPE & 0xff;
        struct e2_nsh_md md = {.valid = (uint8_t)v};
        e2_nsh_write(full, a->spi, a->si, a->ttl, &md);
        memcpy(h + E2_NSH_ETH_LEN, full, E2_NSH_BASE_LEN);
    }
    e->spi = a->spi;
    e->si = a->si;
    e->carry = (uint8_t)((a->flow_id ? E2_META_FLOW_ID : 0) |
                         (a->tags ? (E2_META_TAG(E2_META_TAGS) - E2_META_TAG(0)) : 0));
    return 0;
}

/* The metadata of @pkt that is carried. */
static void carried_md(const struct nsh_encap_priv *e, struct rte_mbuf *pkt, struct e2_nsh_md *md)
{
    md->valid = e2_meta_valid(pkt) & e->carry;
    if (!md->valid) return;
    const struct e2_meta *meta = e2_meta(pkt);
    md->flow_id = meta->flow_id;
    memcpy(md->tag, meta->tag, sizeof(md->tag));
}

static bool encap_one(const struct nsh_encap_priv *e, struct rte_mbuf *pkt)
{
    struct e2_nsh_md md;
    carried_md(e, pkt, &md);
    size_t n = E2_NSH_ETH_LEN + e2_nsh_hdr_len(&md);
    uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(pkt, (uint16_t)n);
    if (!p) return false;
    memcpy(p, e->hdr[md.valid], HDR_FIXED);
    if (md.valid) e2_nsh_write_md(p + HDR_FIXED, &md);
    return true;
}

static void nsh_encap_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    struct nsh_encap_priv *e = m->priv;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < b->cnt; i++) {
        if (encap_one(e, b->pkts[i])) {
            b->pkts[kept++] = b->pkts[i];
            continue;
        }
        e2_stat_add(&e->no_headroom, 1);
        e2_drop(m, b->pkts[i]);
    }
    e2_stat_add(&e->encapsulated, kept);
    b->cnt = kept;
    e2_emit(m, igate, b);
}

static json_t *nsh_encap_stats(struct e2_module *m)
{
    struct nsh_encap_priv *e = m->priv;
    return json_pack("{s:I, s:I, s:i, s:i}", "encapsulated",
                     (json_int_t)e2_stat_read(&e->encapsulated), "no_headroom",
                     (json_int_t)e2_stat_read(&e->no_headroom), "spi", (int)e->spi, "si", e->si);
}

static const struct e2_cmd nsh_encap_cmds[] = {
    {.name = "get", .help = "packets encapsulated, dropped", .fn = e2_cmd_stats, .mt_safe = true},
    {.name = NULL},
};

static struct e2_module_type nsh_encap_type = {
    .name = "NSHEncap",
    .summary = "puts packets into Ethernet + NSH (RFC 8300, MD type 2) with their tags and flow ID",
    .manual =
        "Gates: input i goes out of output i (up to 64).\n"
        "\n"
        "Prepends an outer Ethernet header (dst_mac, src_mac, ethertype 0x894F) and an NSH "
        "header: version 0, O bit 0, TTL `ttl`, Length in 4-byte words, MD type 2, next "
        "protocol 0x3 (Ethernet), the service path `spi`/`si`, then one MD type 2 context TLV "
        "(class 0xFFF6, E2's, from the experimental range) per metadata tag the packet carries "
        "(type = the tag's slot, 0..3) and one for its flow ID (type 0x10), each 4 bytes; "
        "tags=false or flow_id=false leave those out. A packet without metadata gets the "
        "8-byte header alone. Wireshark, tcpdump and Open vSwitch decode the result (docs/nsh.md). "
        "The cost is one prepend and 22 to 62 bytes written per packet.\n"
        "\n"
        "A packet whose buffer has too little headroom for the headers is dropped and counted. "
        "SI is written as given: E2 ends an NSH hop at the next e2d, which removes the header "
        "(NSHDecap), so nothing decrements it on the way.\n"
        "\n"
        "Statistics: encapsulated, no_headroom, spi, si.",
    .example = "to_s2 :: NSHEncap(spi=12, dst_mac=\"02:e2:00:00:00:11\", "
               "src_mac=\"02:e2:00:00:00:10\") -> nic_out;",
    .max_igates = 64,
    .max_ogates = 64,
    .priv_size = sizeof(struct nsh_encap_priv),
    .args = nsh_encap_spec,
    .args_size = sizeof(struct nsh_encap_args),
    .init = nsh_encap_init,
    .process = nsh_encap_process,
    .stats = nsh_encap_stats,
    .cmds = nsh_encap_cmds,
};

E2_MODULE_REGISTER(nsh_encap_type);
