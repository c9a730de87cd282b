/*
 * Rewrite — set Ethernet addresses and VLAN tags. The operator's manual is rewrite_type.manual at
 * the end of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <errno.h>
#include <string.h>

#include <rte_ether.h>

#include "module.h"

struct rewrite_args {
    char dst_mac[18], src_mac[18];
    bool swap_macs, vlan_pop;
    uint16_t vlan_push;
};

static const struct e2_arg rewrite_spec[] = {
    E2_ARG_STR(struct rewrite_args, dst_mac, "\"\"", "destination MAC to set, empty to keep"),
    E2_ARG_STR(struct rewrite_args, src_mac, "\"\"", "source MAC to set, empty to keep"),
    E2_ARG_BOOL(struct rewrite_args, swap_macs, "false", "exchange source and destination MACs"),
    E2_ARG_BOOL(struct rewrite_args, vlan_pop, "false", "remove the outer 802.1Q tag"),
    E2_ARG_U16(struct rewrite_args, vlan_push, "0", 0, 4094,
               "add an 802.1Q tag with this id (0: none)"),
    E2_ARG_END,
};

struct rewrite_priv {
    struct rte_ether_addr dst, src;
    bool set_dst, set_src, swap, pop;
    uint16_t push;
};

static int parse_mac(const char *what, const char *s, struct rte_ether_addr *mac, bool *set,
                     struct e2_err *err)
{
    *set = s[0] != '\0';
    if (*set && rte_ether_unformat_addr(s, mac) != 0)
        return e2_err_set(err, EINVAL, "'%s' = \"%s\" is not a MAC address", what, s);
    return 0;
}

static int rewrite_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct rewrite_args *a = args;
    struct rewrite_priv *r = m->priv;
    int rc = parse_mac("dst_mac", a->dst_mac, &r->dst, &r->set_dst, err);
    if (!rc) rc = parse_mac("src_mac", a->src_mac, &r->src, &r->set_src, err);
    r->swap = a->swap_macs;
    r->pop = a->vlan_pop;
    r->push = a->vlan_push;
    return rc;
}

static bool rewrite_one(const struct rewrite_priv *r, struct rte_mbuf *pkt)
{
    if (rte_pktmbuf_data_len(pkt) < sizeof(struct rte_ether_hdr)) return false;
    struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkt, struct rte_ether_hdr *);
    if (r->pop && eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
        if (rte_vlan_strip(pkt) != 0) return false;
        pkt->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
        eth = rte_pktmbuf_mtod(pkt, struct rte_ether_hdr *);
    }
    if (r->push) {
        pkt->vlan_tci = r->push;
        if (rte_vlan_insert(&pkt) != 0) return false;
        eth = rte_pktmbuf_mtod(pkt, struct rte_ether_hdr *);
    }
    if (r->swap) {
        struct rte_ether_addr t = eth->dst_addr;
        eth->dst_addr = eth->src_addr;
        eth->src_addr = t;
    }
    if (r->set_dst) eth->dst_addr = r->dst;
    if (r->set_src) eth->src_addr = r->src;
    return true;
}

static void rewrite_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    const struct rewrite_priv *r = m->priv;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < b->cnt; i++) {
        if (rewrite_one(r, b->pkts[i]))
            b->pkts[kept++] = b->pkts[i];
        else
            e2_drop(m, b->pkts[i]);
    }
    b->cnt = kept;
    e2_emit(m, igate, b);
}

static struct e2_module_type rewrite_type = {
    .name = "Rewrite",
    .summary = "sets or swaps Ethernet addresses, pops or pushes 802.1Q tags",
    .manual = "Gates: input i goes out of output i (up to 64).\n"
              "\n"
              "Applied in this order: pop the outer VLAN tag if asked (packets without one are "
              "unchanged), push a tag with vlan_push's id if non-zero, swap the MAC addresses if "
              "asked, then set whichever addresses are given. Packets too short for the change, or "
              "without headroom for a tag, are dropped.",
    .example = "fw -> Rewrite(dst_mac=\"02:00:00:00:00:09\") -> PortOut(port=uplink);",
    .max_igates = 64,
    .max_ogates = 64,
    .priv_size = sizeof(struct rewrite_priv),
    .args = rewrite_spec,
    .args_size = sizeof(struct rewrite_args),
    .init = rewrite_init,
    .process = rewrite_process,
};

E2_MODULE_REGISTER(rewrite_type);
