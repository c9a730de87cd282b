/*
 * The switch rules of a deployment (contract B, docs/switch.md).
 *
 * Table 0 matches each external port (and computes the flow ID where an edge
 * of its port group needs one), then table 1 tells the group's root edges
 * apart by their filters' cubes, written as a first-match list
 * (e2_cubes_order; priorities falling with the list): per iGraph edge its
 * flow range -> push_nsh(SPI = edge + 1), set_eth_dst(server), output.
 * The switch matches EtherTypes and IP protocols exactly (a range is cut into
 * values, or ordered behind the rules it must not shadow), addresses and
 * ports as ranges, and no TOS; Open vSwitch reads a later fragment's ports as
 * 0. What cannot be written exactly sends the whole port group to one server
 * (SPI 0x800000 + its first root edge), whose e2d classifies it; an edge
 * whose hash the switch cannot compute goes to one server (SPI 0x800000 +
 * the edge), whose e2d splits it. NSH frames between servers go by eth_dst,
 * egress frames by SPI (pop_nsh, output); the rest is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_flowrange.h"
#include "ic_int.h"

#define ETH_NSH   0x894Fu
#define DROP      (-1)
#define PRIO_BASE 1000

/* ---- the switch as a target of e2_cubes_order ---- */

static bool one_value(const struct e2_cube *c, unsigned d)
{
    return c->lo[d] == c->hi[d];
}

static void sw_relax(void *ctx, const struct e2_cube *c, struct e2_cube *m)
{
    (void)ctx;
    *m = *c;
    for (unsigned d = E2_CD_ETH; d <= E2_CD_PROTO; d++)
        if (!e2_cube_dim_full(c, d) && !one_value(c, d)) e2_cube_widen(m, d);
    if (!e2_cube_dim_full(c, E2_CD_TOS)) e2_cube_widen(m, E2_CD_TOS);
    for (unsigned d = E2_CD_SPORT; d <= E2_CD_DPORT; d++)
        if (!e2_cube_dim_full(c, d) && c->lo[d] <= 1) {
            m->lo[d] = 0; /* a later fragment's ports read 0 */
            m->hi[d] = c->hi[d] > 1 ? c->hi[d] : 1;
        }
}

static int split_values(const struct e2_cube *c, unsigned d, struct e2_cubes *out)
{
    for (uint64_t v = c->lo[d]; v <= c->hi[d]; v++) {
        struct e2_cube p = *c;
        p.lo[d] = p.hi[d] = v;
        int rc = e2_cubes_add(out, &p);
        if (rc) return rc;
    }
    return 0;
}

static int sw_split(void *ctx, const struct e2_cube *c, struct e2_cubes *out, struct e2_err *err)
{
    (void)ctx;
    if (!e2_cube_dim_full(c, E2_CD_TOS))
        return e2_err_set(err, ENOTSUP, "the switch matches no TOS");
    for (unsigned d = E2_CD_ETH; d <= E2_CD_PROTO; d++)
        if (!e2_cube_dim_full(c, d) && !one_value(c, d) && c->hi[d] - c->lo[d] < 16)
            return split_values(c, d, out);
    for (unsigned d = E2_CD_SPORT; d <= E2_CD_DPORT; d++)
        if (!e2_cube_dim_full(c, d) && c->lo[d] == 1 && c->hi[d] > 1)
            return e2_cubes_add_cut(out, c, d, 2); /* port 0 | the rest */
    return e2_err_set(err, ENOTSUP,
                      "the switch matches EtherTypes and protocols only as single values, and "
                      "sees a later fragment's ports as 0");
}

/* ---- rule JSON ---- */

static json_t *ip_text(uint64_t lo, uint64_t hi)
{
    char a[16], b[16];
    snprintf(a, sizeof(a), "%u.%u.%u.%u", (unsigned)(lo >> 24), (unsigned)(lo >> 16 & 255),
             (unsigned)(lo >> 8 & 255), (unsigned)(lo & 255));
    snprintf(b, sizeof(b), "%u.%u.%u.%u", (unsigned)(hi >> 24), (unsigned)(hi >> 16 & 255),
             (unsigned)(hi >> 8 & 255), (unsigned)(hi & 255));
    uint64_t size = hi - lo + 1;
    if (e2_cube_is_prefix(lo, hi)) {
        unsigned len = 32;
        while (len && (size >> (32 - len)) > 1) len--;
        return json_sprintf("%s/%u", a, len);
    }
    return json_sprintf("%s-%s", a, b);
}

static json_t *num_or_range(uint64_t lo, uint64_t hi)
{
    if (lo == hi) return json_integer((json_int_t)lo);
    return json_sprintf("%llu-%llu", (unsigned long long)lo, (unsigned long long)hi);
}

/* The match of a (switch-writable) cube; @entries *= what its ranges cost as masked matches. */
static json_t *cube_match(const struct e2_cube *c, unsigned in_port, uint64_t *entries)
{
    json_t *m = json_pack("{sI}", "in_port", (json_int_t)in_port);
    if (!e2_cube_dim_full(c, E2_CD_ETH))
        json_object_set_new(m, "eth_type", json_integer((json_int_t)c->lo[E2_CD_ETH]));
    if (!e2_cube_dim_full(c, E2_CD_PROTO))
        json_object_set_new(m, "ip_proto", json_integer((json_int_t)c->lo[E2_CD_PROTO]));
    static const char *const addr[] = {"src_ip", "dst_ip"}, *const port[] = {"src_port",
                                                                             "dst_port"};
    for (unsigned k = 0; k < 2; k++) {
        unsigned d = E2_CD_SRC + k;
        if (e2_cube_dim_full(c, d)) continue;
        json_object_set_new(m, addr[k], ip_text(c->lo[d], c->hi[d]));
        *entries *= e2_range_prefix_cover(c->lo[d], c->hi[d] + 1, 32, NULL);
    }
    for (unsigned k = 0; k < 2; k++) {
        unsigned d = E2_CD_SPORT + k;
        if (e2_cube_dim_full(c, d)) continue;
        uint64_t lo = c->lo[d] ? c->lo[d] - 1 : 0, hi = c->hi[d] ? c->hi[d] - 1 : 0;
        json_object_set_new(m, port[k], num_or_range(lo, hi));
        *entries *= e2_range_prefix_cover(lo, hi + 1, 16, NULL);
    }
    return m;
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h & 0x7fffffffffffffffull;
}

/* Add a rule; its cookie is a hash of the rest, so an unchanged rule keeps its cookie. */
static void add_rule(struct ic *ic, unsigned table, unsigned prio, json_t *match, json_t *actions)
{
    json_t *r = json_pack("{sIsIsoso}", "table", (json_int_t)table, "priority", (json_int_t)prio,
                          "match", match, "actions", actions);
    char *text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    json_object_set_new(r, "cookie", json_integer((json_int_t)fnv(text ? text : "")));
    free(text);
    json_array_append_new(ic->switch_rules, r);
}

static json_t *to_server(const struct ic *ic, size_t s, unsigned spi)
{
    return json_pack("[{s{sIsI}}{ss}{sI}]", "push_nsh", "spi", (json_int_t)spi, "si",
                     (json_int_t)255, "set_eth_dst", ic->servers[s].mac, "output",
                     (json_int_t)ic->servers[s].switch_port);
}

/* ---- a port group ---- */

struct group {
    size_t g;
    struct ic_pedge *pe[64];
    size_t n;
    const char *hash; /* the one flow hash of its hashed edges, or NULL */
    bool mixed;       /* its hashed edges need different hashes */
    struct e2_cube_rule *rules;
    size_t n_rules;
    uint64_t entries;
};

/* The iGraph edges of root edge @pe (to instances), into @e; returns how many. */
static size_t root_edges(const struct ic *ic, const struct ic_pedge *pe, const struct ic_edge **e)
{
    size_t n = 0;
    for (size_t i = 0; i < ic->n_edges && n < 1024; i++)
        if (&ic->pedges[ic->edges[i].pe] == pe) e[n++] = &ic->edges[i];
    return n;
}

/* The server carrying most of @pe's traffic (e2d distribution goes there). */
static size_t busiest_server(const struct ic *ic, struct ic_pedge *const *pe, size_t n)
{
    double *rate = calloc(ic->n_servers ? ic->n_servers : 1, sizeof(*rate));
    size_t best = 0;
    for (size_t k = 0; k < n && rate; k++)
        for (size_t i = 0; i < ic->n_edges; i++) {
            const struct ic_edge *e = &ic->edges[i];
            if (&ic->pedges[e->pe] == pe[k] && e->dst.kind != IC_PORT && e->dst.kind != IC_DROP)
                rate[ic->insts[e->dst.i].server] += e->rate > 0 ? e->rate : 1;
        }
    for (size_t s = 1; s < ic->n_servers && rate; s++)
        if (rate[s] > rate[best]) best = s;
    free(rate);
    return best;
}

/* Per root edge: does the switch hash it (and with which OVS hash), or does e2d split it? */
static void plan_hashes(struct ic *ic, struct group *gr)
{
    for (size_t k = 0; k < gr->n; k++) {
        struct ic_pedge *pe = gr->pe[k];
        const struct ic_edge *e[1024];
        size_t n = root_edges(ic, pe, e);
        if (n < 2) continue;
        const char *h = ic_ovs_hash(e[0]->steer.fields, e[0]->steer.symmetric);
        if (!h) {
            pe->e2d = true;
            pe->e2d_server = busiest_server(ic, &pe, 1);
            json_array_append_new(
                ic->e2d_dist, json_pack("{sIsssIss}", "pgraph_edge", (json_int_t)pe->id, "server",
                                        ic->servers[pe->e2d_server].name, "spi",
                                        (json_int_t)(E2_SPI_DISTRIB_BASE + pe->id), "reason",
                                        "the switch cannot compute the hash of its destination"));
            ic_spi(ic, E2_SPI_DISTRIB_BASE + pe->id,
                   "pGraph edge %u (%s -> %s), split by e2d on %s: the switch cannot compute "
                   "its hash",
                   pe->id, pe->src, pe->dst, ic->servers[pe->e2d_server].name);
            continue;
        }
        if (gr->hash && strcmp(gr->hash, h)) gr->mixed = true;
        gr->hash = h;
    }
}

/* The group's root edges as ordered switch rules; -ENOTSUP when they cannot be written. */
static int order_group(struct ic *ic, struct group *gr)
{
    struct e2_cubes acc = {0}, cubes[64];
    struct e2_cube_rule *in = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct ic_end src = {IC_PORT, gr->g};
    for (size_t k = 0; k < gr->n; k++) cubes[k] = (struct e2_cubes){0};
    for (size_t k = 0; k <= gr->n && !rc; k++) {
        struct e2_cubes mine = {0}, next = {0};
        if (k < gr->n) {
            rc = ic_edge_cubes_at(ic, gr->pe[k], &src, NULL, &cubes[k]);
            if (!rc) rc = e2_cubes_minus(&cubes[k], &acc, &mine);
            if (!rc) rc = e2_cubes_or(&acc, &cubes[k], &next);
        } else {
            rc = e2_cubes_not(&acc, &mine);
        }
        if (!rc && n + mine.n > cap) {
            cap = 2 * (n + mine.n);
            struct e2_cube_rule *v = realloc(in, cap * sizeof(*v));
            rc = v ? 0 : -ENOMEM;
            if (v) in = v;
        }
        for (size_t i = 0; i < mine.n && !rc; i++)
            in[n++] = (struct e2_cube_rule){.cube = mine.v[i], .label = k < gr->n ? (int)k : DROP};
        e2_cubes_free(&mine);
        if (k < gr->n) {
            e2_cubes_free(&acc);
            acc = next;
        }
    }
    struct e2_cube_target t = {.relax = sw_relax, .split = sw_split};
    if (!rc)
        rc = e2_cubes_order(in, n, &t, 0, &gr->rules, &gr->n_rules, ic->err);
    else if (rc == -ENOMEM || rc == -E2BIG)
        rc = ic_fail(ic, rc, "too many cubes");
    if (!rc) gr->n_rules = e2_cube_rules_default(gr->rules, gr->n_rules, DROP); /* the last drop */
    for (size_t k = 0; k < gr->n; k++) e2_cubes_free(&cubes[k]);
    e2_cubes_free(&acc);
    free(in);
    return rc;
}

static json_t *edge_actions(const struct ic *ic, const struct ic_pedge *pe)
{
    if (pe->to_drop) return json_pack("[{sb}]", "drop", 1);
    if (pe->out_port >= 0) return json_pack("[{sI}]", "output", (json_int_t)pe->out_port);
    return to_server(ic, pe->e2d_server, E2_SPI_DISTRIB_BASE + pe->id);
}

/* Table 1 rules of one ordered cube rule on one in_port. */
static void table1_rule(struct ic *ic, struct group *gr, size_t r, unsigned in_port)
{
    const struct e2_cube_rule *cr = &gr->rules[r];
    unsigned prio = PRIO_BASE + (unsigned)(gr->n_rules - r);
    uint64_t entries = 1;
    json_t *match = cube_match(&cr->match, in_port, &entries);
    struct ic_pedge *pe = cr->label == DROP ? NULL : gr->pe[cr->label];
    const struct ic_edge *e[1024];
    size_t n = pe && !pe->to_drop && pe->out_port < 0 && !pe->e2d ? root_edges(ic, pe, e) : 0;
    if (n == 0) {
        gr->entries += entries;
        add_rule(ic, 1, prio, match, pe ? edge_actions(ic, pe) : json_pack("[{sb}]", "drop", 1));
        return;
    }
    for (size_t k = 0; k < n; k++) {
        json_t *m = json_deep_copy(match);
        uint64_t full = 1ull << ic->bits, cost = 1;
        if (e[k]->hi - e[k]->lo != full) {
            json_object_set_new(m, "flow_range",
                                json_pack("[II]", (json_int_t)e[k]->lo, (json_int_t)e[k]->hi));
            cost = e2_range_prefix_cover(e[k]->lo, e[k]->hi, ic->bits, NULL);
        }
        gr->entries += entries * cost;
        size_t s = ic->insts[e[k]->dst.i].server;
        add_rule(ic, 1, prio, m, to_server(ic, s, e[k]->id + 1));
        ic_spi(ic, e[k]->id + 1, "iGraph edge %u: %s -> %s (pGraph edge %u), from the switch",
               e[k]->id, ic->ports[gr->g].name, ic->insts[e[k]->dst.i].id, pe->id);
    }
    json_decref(match);
}

static json_t *hash_actions(const struct ic *ic, const char *hash)
{
    json_t *a = json_array();
    if (hash)
        json_array_append_new(
            a, json_pack("{s{sssI}}", "flow_hash", "hash", hash, "bits", (json_int_t)ic->bits));
    json_array_append_new(a, json_pack("{sI}", "goto_table", (json_int_t)1));
    return a;
}

/* Table 0: the flow ID (one hash per port; per rule when the group's edges differ). */
static void table0(struct ic *ic, struct group *gr, unsigned in_port)
{
    if (!gr->mixed) {
        add_rule(ic, 0, 100, json_pack("{sI}", "in_port", (json_int_t)in_port),
                 hash_actions(ic, gr->hash));
        gr->entries++;
        return;
    }
    for (size_t r = 0; r < gr->n_rules; r++) {
        const struct e2_cube_rule *cr = &gr->rules[r];
        const struct ic_pedge *pe = cr->label == DROP ? NULL : gr->pe[cr->label];
        const struct ic_edge *e[1024];
        size_t n = pe && !pe->e2d && pe->out_port < 0 && !pe->to_drop ? root_edges(ic, pe, e) : 0;
        const char *h = n > 1 ? ic_ovs_hash(e[0]->steer.fields, e[0]->steer.symmetric) : NULL;
        uint64_t entries = 1;
        json_t *m = cube_match(&cr->match, in_port, &entries);
        add_rule(ic, 0, PRIO_BASE + (unsigned)(gr->n_rules - r), m, hash_actions(ic, h));
        gr->entries += entries;
    }
    add_rule(ic, 0, 100, json_pack("{sI}", "in_port", (json_int_t)in_port), hash_actions(ic, NULL));
    gr->entries++;
}

/* The switch cannot tell the group's edges apart: all of it to one server's e2d. */
static void whole_group(struct ic *ic, struct group *gr)
{
    struct ic_port *pn = &ic->ports[gr->g];
    pn->e2d = true;
    pn->e2d_server = busiest_server(ic, gr->pe, gr->n);
    unsigned first = gr->pe[0]->id;
    for (size_t k = 1; k < gr->n; k++)
        if (gr->pe[k]->id < first) first = gr->pe[k]->id;
    pn->e2d_spi = E2_SPI_DISTRIB_BASE + first;
    ic_spi(ic, pn->e2d_spi, "port node %s, classified and split by e2d on %s: %s", pn->name,
           ic->servers[pn->e2d_server].name, ic->err->msg);
    for (size_t i = json_array_size(ic->e2d_dist); i-- > 0;) {
        json_int_t id =
            json_integer_value(json_object_get(json_array_get(ic->e2d_dist, i), "pgraph_edge"));
        for (size_t k = 0; k < gr->n; k++)
            if (gr->pe[k]->e2d && gr->pe[k]->id == id) json_array_remove(ic->e2d_dist, i);
    }
    json_array_append_new(ic->e2d_dist, json_pack("{sssssIss}", "port_node", pn->name, "server",
                                                  ic->servers[pn->e2d_server].name, "spi",
                                                  (json_int_t)pn->e2d_spi, "reason", ic->err->msg));
    e2_err_clear(ic->err);
    for (size_t k = 0; k < gr->n; k++) {
        char key[16];
        snprintf(key, sizeof(key), "%u", E2_SPI_DISTRIB_BASE + gr->pe[k]->id);
        if (gr->pe[k]->e2d && E2_SPI_DISTRIB_BASE + gr->pe[k]->id != pn->e2d_spi)
            json_object_del(ic->spis, key);
        gr->pe[k]->e2d = false;
    }
    for (size_t i = 0; i < pn->n_in; i++) {
        add_rule(ic, 0, 100, json_pack("{sI}", "in_port", (json_int_t)pn->in_ports[i]),
                 hash_actions(ic, NULL));
        add_rule(ic, 1, PRIO_BASE, json_pack("{sI}", "in_port", (json_int_t)pn->in_ports[i]),
                 to_server(ic, pn->e2d_server, pn->e2d_spi));
        gr->entries += 2;
    }
}

static int port_group(struct ic *ic, size_t g, uint64_t *entries)
{
    struct group gr = {.g = g};
    for (size_t p = 0; p < ic->n_pedges; p++) {
        struct ic_pedge *pe = &ic->pedges[p];
        if (!pe->root || pe->group != (long)g) continue;
        if (gr.n == 64) return ic_fail(ic, ENOTSUP, "more than 64 edges leave %s", pe->src);
        gr.pe[gr.n++] = pe;
    }
    if (!gr.n || !ic->ports[g].n_in) return 0;
    plan_hashes(ic, &gr);
    int rc = order_group(ic, &gr);
    if (rc == -ENOTSUP) {
        whole_group(ic, &gr);
        rc = 0;
    } else if (!rc) {
        for (size_t i = 0; i < ic->ports[g].n_in; i++) {
            table0(ic, &gr, ic->ports[g].in_ports[i]);
            for (size_t r = 0; r < gr.n_rules; r++)
                table1_rule(ic, &gr, r, ic->ports[g].in_ports[i]);
        }
    }
    free(gr.rules);
    *entries += gr.entries;
    return rc;
}

/* ---- the whole switch ---- */

static void between_servers(struct ic *ic)
{
    for (size_t s = 0; s < ic->n_servers; s++)
        add_rule(
            ic, 0, 200,
            json_pack("{sIss}", "eth_type", (json_int_t)ETH_NSH, "eth_dst", ic->servers[s].mac),
            json_pack("[{sI}]", "output", (json_int_t)ic->servers[s].switch_port));
    for (size_t p = 0; p < ic->n_ports; p++) {
        const struct ic_port *pn = &ic->ports[p];
        if (pn->out_port < 0) continue;
        unsigned spi = E2_SPI_EGRESS_BASE + pn->index;
        add_rule(ic, 0, 300,
                 json_pack("{sIsI}", "eth_type", (json_int_t)ETH_NSH, "nsh_spi", (json_int_t)spi),
                 json_pack("[{sb}{sI}]", "pop_nsh", 1, "output", (json_int_t)pn->out_port));
    }
}

int ic_switch(struct ic *ic)
{
    uint64_t entries = 0;
    int rc = 0;
    for (size_t g = 0; g < ic->n_ports && !rc; g++) rc = port_group(ic, g, &entries);
    if (rc) return rc;
    between_servers(ic);
    for (unsigned t = 0; t < 2; t++)
        add_rule(ic, t, 0, json_object(), json_pack("[{sb}]", "drop", 1));
    entries += ic->n_servers + ic->n_ports + 2;
    const json_t *sw = json_object_get(ic->plan, "switch");
    json_int_t size = json_integer_value(json_object_get(sw, "flow_table_size"));
    if (size > 0 && entries > (uint64_t)size)
        return ic_fail(ic, ENOSPC,
                       "the switch rules need %llu flow entries (ranges as masked matches), "
                       "switch '%s' holds %lld",
                       (unsigned long long)entries, json_string_value(json_object_get(sw, "name")),
                       (long long)size);
    return 0;
}
