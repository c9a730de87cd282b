/*
 * NSHDecap — take Ethernet + NSH (RFC 8300 MD type 2) off a packet, restore the metadata its
 * context headers carry and steer it by SPI. The operator's manual is nsh_decap_type.manual at
 * the end of this file (also e2d --list-modules and docs/e2d-modules.md); the wire format and
 * every check are common/e2_nsh.h and docs/nsh.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_nsh.h"
#include "e2/meta.h"
#include "module.h"
#include "rangetab.h"
#include "rcu.h"

struct nsh_decap_args {
    json_t *spis;
    int64_t miss_gate;
};

static const struct e2_arg nsh_decap_spec[] = {
    E2_ARG_JSON(struct nsh_decap_args, spis, "[]",
                "list of {spi, gate}: packets of that service path leave by gate"),
    E2_ARG_I64(struct nsh_decap_args, miss_gate, "-1", -1, E2_GATES_MAX - 1,
               "gate for SPIs in no entry, -1 to drop"),
    E2_ARG_END,
};

struct nsh_decap_priv {
    struct e2_rangetab *table; /* RCU-protected; a range of one SPI per entry */
    uint64_t decapsulated, spi_miss, tlvs_skipped;
    uint64_t bad[E2_NSH_BAD_N];
};

/* ---- the data path ---- */

/*
 * The packet's metadata becomes exactly what its header carried: the values (absent ones are
 * zero and invalid) and the valid bits in one go, as e2_meta_mark would leave them.
 */
static void restore_md(struct rte_mbuf *pkt, const struct e2_nsh_md *md)
{
    if (!md->valid) {
        pkt->ol_flags &= ~e2_meta_flag;
        return;
    }
    struct e2_meta *meta = e2_meta(pkt);
    meta->flow_id = md->flow_id;
    memcpy(meta->tag, md->tag, sizeof(meta->tag));
    meta->valid = md->valid;
    pkt->ol_flags |= e2_meta_flag;
}

/*
 * Decapsulate @pkt and find its gate: true, or false when the header is refused (counted by
 * reason; the packet is to be dropped as it is).
 */
static bool decap_one(struct nsh_decap_priv *d, const struct e2_rangetab *t, struct rte_mbuf *pkt,
                      uint16_t *gate)
{
    struct e2_nsh h;
    enum e2_nsh_bad bad =
        e2_nsh_parse_frame(rte_pktmbuf_mtod(pkt, const uint8_t *), rte_pktmbuf_data_len(pkt), &h);
    if (bad) {
        e2_stat_add(&d->bad[bad], 1);
        *gate = E2_GATE_DROP;
        return false;
    }
    rte_pktmbuf_adj(pkt, (uint16_t)(E2_NSH_ETH_LEN + h.len));
    restore_md(pkt, &h.md);
    if (h.skipped) e2_stat_add(&d->tlvs_skipped, h.skipped);
    const struct e2_range_gate *r = e2_rangetab_range(t, h.spi);
    if (!r) e2_stat_add(&d->spi_miss, 1);
    *gate = r ? r->gate : t->miss_gate;
    return true;
}

static void nsh_decap_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct nsh_decap_priv *d = m->priv;
    const struct e2_rangetab *t = e2_rcu_load(&d->table);
    uint16_t gates[E2_BATCH_MAX];
    uint32_t ok = 0;
    for (uint32_t i = 0; i < b->cnt; i++) ok += decap_one(d, t, b->pkts[i], &gates[i]);
    e2_stat_add(&d->decapsulated, ok);
    e2_split(m, gates, b);
}

/* ---- the SPI table ---- */

static int spi_check(const void *ctx, struct e2_rangetab *t, struct e2_err *err)
{
    (void)ctx;
    uint32_t k = e2_rangetab_sort(t);
    if (!k) return 0;
    return e2_err_set(err, EEXIST, "spi %u is given twice (gates %u and %u)", t->r[k].lo,
                      t->r[k - 1].gate, t->r[k].gate);
}

static int parse_spi(const json_t *j, struct e2_range_gate *r, struct e2_err *err)
{
    struct {
        uint32_t spi;
        uint16_t gate;
    } a;
    static const struct e2_arg spec[] = {
        {.name = "spi",
         .type = E2_ARGT_U32,
         .offset = 0,
         .min = 0,
         .max = E2_NSH_SPI_MAX,
         .help = "service path identifier"},
        {.name = "gate",
         .type = E2_ARGT_U16,
         .offset = sizeof(uint32_t),
         .min = 0,
         .max = E2_GATES_MAX - 1,
         .help = "output gate"},
        E2_ARG_END,
    };
    int rc = e2_args_parse(spec, j, &a, err);
    if (rc) return rc;
    *r = (struct e2_range_gate){a.spi, a.spi, a.gate};
    return 0;
}

static const struct e2_rangetab_kind spi_kind = {
    .list = "spis",
    .entry = "{spi, gate}",
    .parse = parse_spi,
    .check = spi_check,
};

static int nsh_decap_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct nsh_decap_args *a = args;
    struct nsh_decap_priv *d = m->priv;
    return e2_rangetab_from_json(&spi_kind, NULL, a->spis, a->miss_gate, &d->table, err);
}

static void nsh_decap_deinit(struct e2_module *m)
{
    struct nsh_decap_priv *d = m->priv;
    free(d->table);
}

static json_t *nsh_decap_stats(struct e2_module *m)
{
    struct nsh_decap_priv *d = m->priv;
    json_t *why = json_object();
    uint64_t total = 0;
    for (int r = E2_NSH_OK + 1; r < E2_NSH_BAD_N; r++) {
        uint64_t n = e2_stat_read(&d->bad[r]);
        total += n;
        json_object_set_new(why, e2_nsh_bad_name((enum e2_nsh_bad)r), json_integer((json_int_t)n));
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:o}", "decapsulated",
                     (json_int_t)e2_stat_read(&d->decapsulated), "spi_miss",
                     (json_int_t)e2_stat_read(&d->spi_miss), "tlvs_skipped",
                     (json_int_t)e2_stat_read(&d->tlvs_skipped), "malformed", (json_int_t)total,
                     "malformed_by_reason", why);
}

/* ---- commands ---- */

struct spi_args {
    uint32_t spi;
    uint16_t gate;
};

static const struct e2_arg add_spec[] = {
    E2_ARG_U32(struct spi_args, spi, NULL, 0, E2_NSH_SPI_MAX, "service path identifier"),
    E2_ARG_U16(struct spi_args, gate, NULL, 0, E2_GATES_MAX - 1, "output gate"),
    E2_ARG_END,
};

static const struct e2_arg remove_spec[] = {
    E2_ARG_U32(struct spi_args, spi, NULL, 0, E2_NSH_SPI_MAX, "service path identifier"),
    E2_ARG_END,
};

static int cmd_add_spi(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct spi_args *a = args;
    struct nsh_decap_priv *d = m->priv;
    struct e2_range_gate r = {a->spi, a->spi, a->gate};
    return e2_rangetab_publish(&spi_kind, NULL, &d->table, e2_rangetab_with(d->table, r), err);
}

static int cmd_remove_spi(struct e2_module *m, const void *args, json_t **result,
                          struct e2_err *err)
{
    (void)result;
    const struct spi_args *a = args;
    struct nsh_decap_priv *d = m->priv;
    uint32_t k = e2_rangetab_find(d->table, a->spi, a->spi);
    if (k == d->table->n) return e2_err_set(err, ENOENT, "no spi %u", a->spi);
    return e2_rangetab_publish(&spi_kind, NULL, &d->table, e2_rangetab_without(d->table, k), err);
}

static int cmd_set_spis(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct nsh_decap_args *a = args;
    struct nsh_decap_priv *d = m->priv;
    return e2_rangetab_replace(&spi_kind, NULL, &d->table, a->spis, a->miss_gate, err);
}

static int cmd_get_spis(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)err;
    const struct e2_rangetab *t = ((struct nsh_decap_priv *)m->priv)->table;
    json_t *arr = json_array();
    for (uint32_t i = 0; i < t->n; i++)
        json_array_append_new(
            arr, json_pack("{s:i, s:i}", "spi", (int)t->r[i].lo, "gate", t->r[i].gate));
    *result = json_pack("{s:o, s:i}", "spis", arr, "miss_gate",
                        t->miss_gate == E2_GATE_DROP ? -1 : t->miss_gate);
    return 0;
}

static const struct e2_cmd nsh_decap_cmds[] = {
    {"add_spi", "send service path spi out of gate (spi must be new)", add_spec,
     sizeof(struct spi_args), cmd_add_spi, true},
    {"remove_spi", "forget service path spi (its packets take miss_gate)", remove_spec,
     sizeof(struct spi_args), cmd_remove_spi, true},
    {"set_spis", "replace the whole SPI table in one swap", nsh_decap_spec,
     sizeof(struct nsh_decap_args), cmd_set_spis, true},
    {"get_spis", "the current table", NULL, 0, cmd_get_spis, true},
    {"get", "packets decapsulated, SPI misses, malformed frames by reason", NULL, 0, e2_cmd_stats,
     true},
    {.name = NULL},
};

static struct e2_module_type nsh_decap_type = {
    .name = "NSHDecap",
    .summary = "takes Ethernet + NSH off packets, restores their tags and flow ID, steers by SPI",
    .manual =
        "Gates: up to 64 inputs; outputs as named by the SPI table (up to 1024).\n"
        "\n"
        "Checks the outer Ethernet header and the NSH header against RFC 8300 and E2's use of "
        "it (docs/nsh.md) before touching the packet: ethertype 0x894F, version 0, O bit clear "
        "(OAM is not E2's), MD type 2, next protocol Ethernet, Length at least 2 words and within "
        "the frame, every context TLV within Length, E2's TLVs (class 0xFFF6) 4 bytes and each "
        "at most once, and an inner Ethernet frame after it. A frame that fails is dropped and "
        "counted under the first rule it breaks (malformed_by_reason: not_nsh, short, version, "
        "oam, md_type, next_proto, length, tlv_length, e2_tlv, inner_short); nothing past the "
        "frame is read. Unassigned bits are ignored, and so are TLVs of other classes or of "
        "types E2 does not know (tlvs_skipped).\n"
        "\n"
        "A good frame loses its outer Ethernet and NSH headers; its metadata becomes what the "
        "TLVs carried (tag slots 0..3, the flow ID: type 0x10), and it leaves by the gate of "
        "its SPI, or by miss_gate (-1: dropped) when the SPI has no entry (spi_miss). The "
        "service index is neither checked nor decremented: E2's service path is one hop, switch "
        "or e2d to the next e2d, and ends here (docs/nsh.md explains the choice). The SPI table "
        "changes without pausing traffic (add_spi, remove_spi, set_spis build a new table and "
        "swap it in RCU-style).\n"
        "\n"
        "Statistics: decapsulated, spi_miss, tlvs_skipped, malformed, malformed_by_reason.",
    .example = "nic_in -> dec :: NSHDecap(spis=[{spi=12, gate=0}, {spi=13, gate=1}]);\n"
               "dec[0] -> fw0; dec[1] -> nat0;",
    .max_igates = 64,
    .max_ogates = E2_GATES_MAX,
    .priv_size = sizeof(struct nsh_decap_priv),
    .args = nsh_decap_spec,
    .args_size = sizeof(struct nsh_decap_args),
    .init = nsh_decap_init,
    .deinit = nsh_decap_deinit,
    .process = nsh_decap_process,
    .stats = nsh_decap_stats,
    .cmds = nsh_decap_cmds,
};

E2_MODULE_REGISTER(nsh_decap_type);
