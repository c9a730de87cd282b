/*
 * One server's e2d pipeline (the stages of e2_ic.h):
 *   receive:   nic_in -> dec :: NSHDecap, a gate per SPI this server receives;
 *   inputs:    per instance input, its chain head: a native NF's VPort (after
 *              a SetTag for a metadata placeholder), a legacy NF's
 *              Rewrite(dst_mac=its MAC) -> PortOut(NAME_in), a Tee;
 *   outputs:   per instance output (VPort, a legacy NF's PortInc(NAME_out), a
 *              Tee's gate): the classifier of the edges leaving by it;
 *   distribute: per pGraph edge leaving an instance: a FlowHash over its
 *              iGraph edges' ranges when it has several destinations, then
 *              per destination the local input or NSHEncap -> nic_out;
 *              to a port: NSHEncap(egress SPI) -> nic_out; to Drop: Drop.
 * Names: an instance's modules start with its e2d name ("f_0_safe" is the
 * VPort of f#0's safe output, "f_0_safe_hm" its classifier), a distribute
 * stage with "e<pGraph edge>_<instance>".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic_int.h"

struct srv {
    struct ic *ic;
    size_t s;
    struct ic_graph g;
    long nic_in, nic_out, dec;
    struct e2_strbuf spis;
    unsigned dec_gates;
};

static const struct ic_server *here(const struct srv *v)
{
    return &v->ic->servers[v->s];
}

/* ---- receiving ---- */

static unsigned dec_gate(struct srv *v, unsigned spi)
{
    e2_strbuf_addf(&v->spis, "%s{spi=%u, gate=%u}", v->spis.len ? ", " : "", spi, v->dec_gates);
    return v->dec_gates++;
}

/* ---- instance inputs and outputs ---- */

static long vport(struct srv *v, const struct ic_inst *in, const char *port)
{
    char name[96];
    snprintf(name, sizeof(name), "%s_%s", in->name, port);
    long m = ic_mod_find(&v->g, "VPort", name);
    if (m >= 0) return m;
    m = ic_mod(&v->g, "VPort", false, false, true, 64, "%s", name);
    ic_mod_args(&v->g, m, "nf=%s, port=%s", in->name, port);
    v->g.mods[m].home = in->worker;
    return m;
}

static long legacy_input(struct srv *v, const struct ic_inst *in)
{
    char name[96];
    snprintf(name, sizeof(name), "%s_tx", in->name);
    long m = ic_mod_find(&v->g, "Rewrite", name);
    if (m >= 0) return m;
    m = ic_mod(&v->g, "Rewrite", false, true, false, 1, "%s", name);
    ic_mod_args(&v->g, m, "dst_mac=\"%s\", src_mac=\"%s\"", in->mac, here(v)->mac);
    long out = ic_mod(&v->g, "PortOut", true, false, false, 64, "%s_in_port", in->name);
    ic_mod_args(&v->g, out, "port=%s_in", in->name);
    ic_link(&v->g, m, 0, out);
    return m;
}

static long tee_module(struct srv *v, const struct ic_inst *in)
{
    char name[96];
    snprintf(name, sizeof(name), "tee_%s", in->name);
    long m = ic_mod_find(&v->g, "Tee", name);
    return m >= 0 ? m : ic_mod(&v->g, "Tee", false, false, false, 64, "%s", name);
}

/* The chain head that delivers into instance @i's input @input. */
static long inst_input(struct srv *v, size_t i, const char *input, const char *placeholder)
{
    const struct ic_inst *in = &v->ic->insts[i];
    if (in->tee) return tee_module(v, in);
    if (in->desc->api == E2_NF_LEGACY) return legacy_input(v, in);
    const char *port = input ? input : in->desc->inputs[0];
    long vp = vport(v, in, port);
    const struct e2_nf_placeholder *ph =
        placeholder ? e2_nf_desc_placeholder(in->desc, placeholder) : NULL;
    if (!ph || ph->method != E2_ATTR_METADATA) return vp;
    char name[128];
    snprintf(name, sizeof(name), "%s_%s_%s", in->name, port, placeholder);
    long m = ic_mod_find(&v->g, "SetTag", name);
    if (m >= 0) return m;
    m = ic_mod(&v->g, "SetTag", true, false, false, 64, "%s", name);
    ic_mod_args(&v->g, m, "tag=\"%s\", value=%lld", ph->tag, (long long)ph->value);
    ic_link(&v->g, m, 0, vp);
    return m;
}

/* ---- sending ---- */

static long encap(struct srv *v, const char *name, unsigned spi, const char *dst_mac)
{
    long m = ic_mod(&v->g, "NSHEncap", false, true, false, 1, "%s", name);
    ic_mod_args(&v->g, m, "spi=%u, si=255, dst_mac=\"%s\", src_mac=\"%s\", tags=true, flow_id=true",
                spi, dst_mac, here(v)->mac);
    ic_link(&v->g, m, 0, v->nic_out);
    return m;
}

/* Out of the rack by port node @p: the rack's rewrite, if any, then the egress SPI. */
static long egress(struct srv *v, const char *prefix, size_t p)
{
    const struct ic_port *pn = &v->ic->ports[p];
    unsigned spi = E2_SPI_EGRESS_BASE + pn->index;
    char name[96];
    snprintf(name, sizeof(name), "%s_out", prefix);
    long enc = encap(v, name, spi, v->ic->switch_mac);
    ic_spi(v->ic, spi, "leave the rack by port node %s (switch port %ld)", pn->name, pn->out_port);
    if (!pn->egress) return enc;
    const char *dst = json_string_value(json_object_get(pn->egress, "dst_mac"));
    const char *src = json_string_value(json_object_get(pn->egress, "src_mac"));
    long rw = ic_mod(&v->g, "Rewrite", false, true, false, 1, "%s_mac", prefix);
    ic_mod_args(&v->g, rw, "dst_mac=\"%s\", src_mac=\"%s\"", dst ? dst : "", src ? src : "");
    ic_link(&v->g, rw, 0, enc);
    return rw;
}

/* The head that takes iGraph edge @e's packets to its destination instance. */
static long deliver(struct srv *v, const struct ic_edge *e)
{
    struct ic *ic = v->ic;
    const struct ic_pedge *pe = &ic->pedges[e->pe];
    const struct ic_inst *dst = &ic->insts[e->dst.i];
    if (dst->server == v->s) return inst_input(v, e->dst.i, pe->dst_input, pe->placeholder);
    char name[64];
    snprintf(name, sizeof(name), "enc%u", e->id + 1);
    long m = ic_mod_find(&v->g, "NSHEncap", name);
    return m >= 0 ? m : encap(v, name, e->id + 1, ic->servers[dst->server].mac);
}

static void flowhash_args(struct srv *v, long fh, const struct ic_edge *const *e, size_t n,
                          bool ovs)
{
    struct e2_strbuf f = {0}, r = {0};
    for (uint32_t b = 1; b <= E2_FIELD_DST_PORT; b <<= 1)
        if (e[0]->steer.fields & b) e2_strbuf_addf(&f, "%s%s", f.len ? ", " : "", e2_field_name(b));
    for (size_t k = 0; k < n; k++)
        e2_strbuf_addf(&r, "%s{lo=%llu, hi=%llu, gate=%zu}", k ? ", " : "",
                       (unsigned long long)e[k]->lo, (unsigned long long)e[k]->hi, k);
    ic_mod_args(&v->g, fh, "fields=[%s], bits=%u, hash=%s, ranges=[%s], miss_gate=-1",
                f.s ? f.s : "", v->ic->bits, ovs ? "ovs" : "crc32c", r.s ? r.s : "");
    free(f.s);
    free(r.s);
}

/*
 * The distribute stage of pGraph edge @pe for packets from instance @src (-1:
 * from every source, e2d distribution of a root edge), named @name.
 */
static long distribute(struct srv *v, struct ic_pedge *pe, long src, const char *name)
{
    struct ic *ic = v->ic;
    long m = ic_mod_find(&v->g, NULL, name);
    if (m >= 0) return m;
    if (pe->to_drop || !strcmp(pe->dst, "Drop"))
        return ic_mod(&v->g, "Drop", false, false, false, 64, "%s", name);
    long port = pe->out_port >= 0 ? ic_find_port(ic, pe->dst) : -1;
    const struct ic_edge *e[1024];
    size_t n = 0;
    for (size_t i = 0; i < ic->n_edges && n < 1024; i++) {
        const struct ic_edge *x = &ic->edges[i];
        if (&ic->pedges[x->pe] != pe || (src >= 0 && x->src.i != (size_t)src)) continue;
        if (x->dst.kind == IC_PORT) port = (long)x->dst.i;
        e[n++] = x;
    }
    if (port >= 0) return egress(v, name, (size_t)port);
    if (n == 0) return ic_mod(&v->g, "Drop", false, false, false, 64, "%s", name);
    if (n == 1) return deliver(v, e[0]); /* every packet of it goes there */
    int kind = ic_hash_kind(ic, &e[0]->steer);
    if (kind < 0) {
        e2_err_prefix(ic->err, "pGraph edge %u (%s -> %s): ", pe->id, pe->src, pe->dst);
        return -1;
    }
    long fh = ic_mod(&v->g, "FlowHash", false, false, false, 64, "%s", name);
    flowhash_args(v, fh, e, n, kind == 1);
    for (size_t k = 0; k < n; k++) ic_link(&v->g, fh, (unsigned)k, deliver(v, e[k]));
    return fh;
}

/* Before a distribute stage: the traffic class, when the packets cannot carry it here. */
static long with_class(struct srv *v, const char *name, unsigned cls, long next)
{
    if (ic_tag_slot(v->ic, E2_IC_CLASS_TAG) < 0 || next < 0) return next;
    long m = ic_mod(&v->g, "SetTag", true, false, false, 64, "%s_cls", name);
    ic_mod_args(&v->g, m, "tag=\"%s\", value=%u", E2_IC_CLASS_TAG, cls);
    ic_link(&v->g, m, 0, next);
    return m;
}

static unsigned lowest_class(const struct ic_pedge *pe)
{
    unsigned c = pe->n_pcls ? pe->pcls[0] : pe->id;
    for (size_t i = 1; i < pe->n_pcls; i++)
        if (pe->pcls[i] < c) c = pe->pcls[i];
    return c;
}

/* ---- classifying what leaves an output ---- */

struct out_edges {
    struct ic_pedge *pe[64];
    struct e2_cubes cubes[64];
    size_t n;
};

static bool leaves_by(const struct ic *ic, const struct ic_pedge *pe, size_t inst, const char *port)
{
    if (strcmp(pe->src, ic->insts[inst].node)) return false;
    if (!port) return true;
    for (size_t i = 0; i < json_array_size(pe->src_ports); i++)
        if (!strcmp(json_string_value(json_array_get(pe->src_ports, i)), port)) return true;
    return false;
}

/* Classify (@from, @ogate) into @oe's edges; connect each edge's exits to its stage. */
static int classify_into(struct srv *v, const char *prefix, long from, unsigned ogate,
                         struct out_edges *oe, long src, bool retag)
{
    struct ic_region r[64];
    struct ic_exits exits[64];
    for (size_t k = 0; k < oe->n; k++) r[k] = (struct ic_region){&oe->cubes[k], (int)k};
    int rc = ic_classify(v->ic, &v->g, prefix, from, ogate, r, oe->n, exits);
    for (size_t k = 0; k < oe->n && !rc; k++) {
        if (!exits[k].n) continue;
        char name[96];
        snprintf(name, sizeof(name), "e%u_%s", oe->pe[k]->id,
                 src >= 0 ? v->ic->insts[src].name : "in");
        long head = distribute(v, oe->pe[k], src, name);
        if (retag)
            head = with_class(v, name, src >= 0 ? lowest_class(oe->pe[k]) : oe->pe[k]->id, head);
        if (head < 0) return v->ic->err->code;
        for (size_t x = 0; x < exits[k].n; x++)
            ic_link(&v->g, exits[k].mod[x], exits[k].gate[x], head);
    }
    return rc;
}

static void out_edges_free(struct out_edges *oe)
{
    for (size_t k = 0; k < oe->n; k++) e2_cubes_free(&oe->cubes[k]);
    oe->n = 0;
}

static int add_out_edge(struct srv *v, struct out_edges *oe, struct ic_pedge *pe,
                        const struct ic_end *src, const char *port)
{
    if (oe->n == 64) return ic_fail(v->ic, ENOTSUP, "more than 64 edges leave %s", pe->src);
    oe->pe[oe->n] = pe;
    oe->cubes[oe->n] = (struct e2_cubes){0};
    int rc = ic_edge_cubes_at(v->ic, pe, src, port, &oe->cubes[oe->n]);
    oe->n++;
    return rc;
}

/* What leaves instance @i by output @port (NULL: a Tee's single edge @only). */
static int output_stage(struct srv *v, size_t i, const char *port, long from, unsigned ogate,
                        struct ic_pedge *only)
{
    struct ic *ic = v->ic;
    const struct ic_inst *in = &ic->insts[i];
    struct ic_end src = {in->tee ? IC_TEE : IC_INST, i};
    struct out_edges oe = {.n = 0};
    int rc = 0;
    for (size_t p = 0; p < ic->n_pedges && !rc; p++) {
        struct ic_pedge *pe = &ic->pedges[p];
        if ((only && pe != only) || (!only && !leaves_by(ic, pe, i, port))) continue;
        rc = add_out_edge(v, &oe, pe, &src, port);
    }
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "%s_%s", in->name, port ? port : "x");
    if (only) snprintf(prefix, sizeof(prefix), "%s_e%u", in->name, only->id);
    bool legacy = in->desc && in->desc->api == E2_NF_LEGACY;
    if (!rc && oe.n) rc = classify_into(v, prefix, from, ogate, &oe, (long)i, legacy);
    out_edges_free(&oe);
    return rc;
}

static int tee_stage(struct srv *v, size_t i)
{
    struct ic *ic = v->ic;
    long tee = tee_module(v, &ic->insts[i]);
    unsigned gates = 0;
    int rc = 0;
    for (size_t p = 0; p < ic->n_pedges && !rc; p++)
        if (leaves_by(ic, &ic->pedges[p], i, NULL))
            rc = output_stage(v, i, NULL, tee, gates++, &ic->pedges[p]);
    ic_mod_args(&v->g, tee, "gates=%u", gates ? gates : 1);
    return rc;
}

static int instance_outputs(struct srv *v, size_t i)
{
    const struct ic_inst *in = &v->ic->insts[i];
    if (in->tee) return tee_stage(v, i);
    if (in->desc->api == E2_NF_LEGACY) {
        if (in->desc->n_inputs != 1 || in->desc->n_outputs != 1)
            return ic_fail(v->ic, ENOTSUP,
                           "legacy NF %s: one input and one output (in/out "
                           "veths) is all a legacy NF has",
                           in->id);
        long rx = ic_mod(&v->g, "PortInc", false, false, true, 0, "%s_rx", in->name);
        ic_mod_args(&v->g, rx, "port=%s_out", in->name);
        v->g.mods[rx].home = in->worker;
        return output_stage(v, i, in->desc->outputs[0], rx, 0, NULL);
    }
    int rc = 0;
    for (size_t o = 0; o < in->desc->n_outputs && !rc; o++)
        rc = output_stage(v, i, in->desc->outputs[o], vport(v, in, in->desc->outputs[o]), 0, NULL);
    return rc;
}

/* ---- what arrives from the switch ---- */

/* Root edges into local instances; server-to-server edges into local instances. */
static void arrivals(struct srv *v)
{
    struct ic *ic = v->ic;
    for (size_t k = 0; k < ic->n_edges; k++) {
        const struct ic_edge *e = &ic->edges[k];
        struct ic_pedge *pe = &ic->pedges[e->pe];
        bool local_dst =
            (e->dst.kind == IC_INST || e->dst.kind == IC_TEE) && ic->insts[e->dst.i].server == v->s;
        if (!local_dst || pe->e2d) continue;
        bool root = e->src.kind == IC_PORT;
        if (!root && ic->insts[e->src.i].server == v->s) continue;
        if (root && ic->ports[e->src.i].e2d) continue;
        unsigned gate = dec_gate(v, e->id + 1);
        long head = inst_input(v, e->dst.i, pe->dst_input, pe->placeholder);
        char name[32];
        snprintf(name, sizeof(name), "in%u", e->id + 1);
        if (root) head = with_class(v, name, pe->id, head);
        ic_link(&v->g, v->dec, gate, head);
    }
}

/* Root edges the switch sends here for e2d to split (and classify, for a whole port). */
static int e2d_arrivals(struct srv *v)
{
    struct ic *ic = v->ic;
    int rc = 0;
    for (size_t p = 0; p < ic->n_pedges && !rc; p++) {
        struct ic_pedge *pe = &ic->pedges[p];
        if (!pe->e2d || pe->e2d_server != v->s) continue;
        char name[32];
        snprintf(name, sizeof(name), "e%u_in", pe->id);
        long head = with_class(v, name, pe->id, distribute(v, pe, -1, name));
        if (head < 0) return ic->err->code;
        ic_link(&v->g, v->dec, dec_gate(v, E2_SPI_DISTRIB_BASE + pe->id), head);
    }
    for (size_t g = 0; g < ic->n_ports && !rc; g++) {
        const struct ic_port *pn = &ic->ports[g];
        if (!pn->e2d || pn->e2d_server != v->s) continue;
        struct out_edges oe = {.n = 0};
        struct ic_end src = {IC_PORT, g};
        for (size_t p = 0; p < ic->n_pedges && !rc; p++)
            if (ic->pedges[p].root && ic->pedges[p].group == (long)g)
                rc = add_out_edge(v, &oe, &ic->pedges[p], &src, NULL);
        char prefix[96];
        snprintf(prefix, sizeof(prefix), "from_%s", pn->name);
        if (!rc) rc = classify_into(v, prefix, v->dec, dec_gate(v, pn->e2d_spi), &oe, -1, true);
        out_edges_free(&oe);
    }
    return rc;
}

/* ---- declarations ---- */

static void declare(struct srv *v)
{
    struct ic *ic = v->ic;
    struct e2_strbuf *h = &v->g.head;
    e2_strbuf_addf(h, "# e2d configuration of server %s (e2_ic, %s)\n", here(v)->name,
                   E2_IC_FORMAT);
    for (size_t t = 0; t < ic->tags.n; t++)
        e2_strbuf_addf(h, "tag(name=\"%s\", slot=%zu);\n", ic->tags.name[t], t);
    for (size_t i = 0; i < ic->n_insts; i++) {
        const struct ic_inst *in = &ic->insts[i];
        if (in->server != v->s || in->tee) continue;
        if (in->desc->api == E2_NF_LEGACY) {
            e2_strbuf_addf(h, "port %s_in(vdev=\"net_af_packet_%s_i,iface=%s-i,framecnt=8192\");\n",
                           in->name, in->name, in->name);
            e2_strbuf_addf(h,
                           "port %s_out(vdev=\"net_af_packet_%s_o,iface=%s-o,framecnt=8192\");\n",
                           in->name, in->name, in->name);
            continue;
        }
        e2_strbuf_addf(h, "nf %s(ports=[", in->name);
        for (size_t k = 0; k < in->desc->n_inputs; k++)
            e2_strbuf_addf(h, "%s%s", k ? ", " : "", in->desc->inputs[k]);
        for (size_t k = 0; k < in->desc->n_outputs; k++) {
            bool dup = false;
            for (size_t j = 0; j < in->desc->n_inputs; j++)
                dup |= !strcmp(in->desc->inputs[j], in->desc->outputs[k]);
            if (!dup) e2_strbuf_addf(h, ", %s", in->desc->outputs[k]);
        }
        e2_strbuf_addf(h, "]);\n");
    }
}

int ic_server_config(struct ic *ic, size_t s, char **text)
{
    struct srv v = {.ic = ic, .s = s, .g = {.workers = ic->servers[s].workers}};
    declare(&v);
    v.nic_in = ic_mod(&v.g, "PortInc", false, false, true, 0, "nic_in");
    v.nic_out = ic_mod(&v.g, "PortOut", true, false, false, 64, "nic_out");
    v.g.mods[v.nic_in].external = v.g.mods[v.nic_out].external = true;
    v.g.mods[v.nic_in].home = 0;
    v.dec = ic_mod(&v.g, "NSHDecap", false, false, false, 1, "dec");
    ic_link(&v.g, v.nic_in, 0, v.dec);
    arrivals(&v);
    int rc = e2d_arrivals(&v);
    for (size_t i = 0; i < ic->n_insts && !rc; i++)
        if (ic->insts[i].server == s) rc = instance_outputs(&v, i);
    ic_mod_args(&v.g, v.dec, "spis=[%s], miss_gate=-1", v.spis.s ? v.spis.s : "");
    free(v.spis.s);
    *text = rc ? NULL : ic_graph_text(&v.g, ic->err);
    if (!rc && !*text) rc = ic->err->code;
    if (rc) e2_err_prefix(ic->err, "server %s: ", ic->servers[s].name);
    ic_graph_free(&v.g);
    return rc;
}
