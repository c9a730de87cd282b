/* Random racks (as YAML) and pGraphs (as JSON) for tests and benchmarks. */
#include "e2_gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- racks ---- */

static int rack_yaml(char *buf, size_t len, unsigned ext, unsigned table, const char *actions)
{
    return snprintf(buf, len,
                    "switch:\n  ports: 4096\n  external_ports: [0-%u]\n  flow_table_size: %u\n"
                    "  rule_update_latency: 3ms\n  actions: [%s]\n",
                    ext - 1, table, actions);
}

static int parse_rack(char *yaml, struct e2_hw **out, struct e2_err *err)
{
    int rc = e2_hw_parse(yaml, strlen(yaml), "generated rack", out, err);
    free(yaml);
    return rc;
}

int e2_gen_rack_uniform(const struct e2_gen_rack *p, struct e2_hw **out, struct e2_err *err)
{
    size_t len = 256 + 128 * (size_t)p->servers, n = 0;
    char *y = malloc(len);
    if (!y) return e2_err_set(err, ENOMEM, "out of memory");
    n += (size_t)snprintf(y, len, "servers:\n");
    for (unsigned i = 0; i < p->servers; i++)
        n += (size_t)snprintf(y + n, len - n,
                              "  - {name: s%u, cores: %u, ghz: %g, nic: %llu, dataplane_cores: %u, "
                              "switch_port: %u}\n",
                              i, p->cores, p->ghz, (unsigned long long)p->nic_bps,
                              p->dataplane_cores, p->external_ports + i);
    rack_yaml(y + n, len - n, p->external_ports, p->flow_table_size,
              "forward, drop, hash_select, set_field");
    return parse_rack(y, out, err);
}

int e2_gen_rack_random(struct e2_rng *r, struct e2_hw **out, struct e2_err *err)
{
    static const unsigned tables[] = {16, 64, 256, 2048};
    static const double nics[] = {10e9, 25e9, 40e9, 100e9};
    unsigned servers = 1 + e2_rng_below(r, 8), ext = 2 + e2_rng_below(r, 7);
    size_t len = 512 + 160 * (size_t)servers, n = 0;
    char *y = malloc(len);
    if (!y) return e2_err_set(err, ENOMEM, "out of memory");
    n += (size_t)snprintf(y, len, "servers:\n");
    for (unsigned i = 0; i < servers; i++) {
        unsigned cores = 2 + e2_rng_below(r, 15), dp = 1 + e2_rng_below(r, 2);
        n += (size_t)snprintf(
            y + n, len - n,
            "  - {name: s%u, cores: %u, ghz: %.1f, nic: %.0f, dataplane_cores: %u, "
            "switch_port: %u}\n",
            i, cores, e2_rng_range(r, 1.8, 3.4), nics[e2_rng_below(r, 4)], dp < cores ? dp : 1,
            ext + i);
    }
    bool hashes = e2_rng_below(r, 8) != 0;
    rack_yaml(y + n, len - n, ext, tables[e2_rng_below(r, 4)],
              hashes ? "forward, drop, hash_select" : "forward, drop");
    return parse_rack(y, out, err);
}

/* ---- NF descriptions ---- */

static json_t *names(const char *const *v)
{
    json_t *a = json_array();
    for (; *v; v++) json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *affinity(struct e2_rng *r)
{
    static const char *const t5[] = {"src_ip", "dst_ip", "proto", "src_port", "dst_port", NULL};
    static const char *const src[] = {"src_ip", NULL}, *const ips[] = {"src_ip", "dst_ip", NULL};
    static const char *const none[] = {NULL};
    switch (e2_rng_below(r, 5)) {
    case 0: return json_pack("{sosb}", "fields", names(t5), "symmetric", 1);
    case 1: return json_pack("{sosb}", "fields", names(t5), "symmetric", 0);
    case 2: return json_pack("{sosb}", "fields", names(src), "symmetric", 0);
    case 3: return json_pack("{sosb}", "fields", names(ips), "symmetric", 1);
    }
    return json_pack("{sosb}", "fields", names(none), "symmetric", 0);
}

static json_t *scaling(struct e2_rng *r, bool constrained)
{
    unsigned pick = constrained ? e2_rng_below(r, 12) : 11;
    if (pick == 0) return json_pack("{sbsb}", "across_cores", 0, "across_servers", 0);
    if (pick == 1)
        return json_pack("{sbsbsi}", "across_cores", 1, "across_servers", 0,
                         "max_number_of_instances", 6);
    if (pick == 2)
        return json_pack("{sbsbsi}", "across_cores", 0, "across_servers", 1,
                         "max_number_of_instances", 4);
    if (pick == 3)
        return json_pack("{sbsbsi}", "across_cores", 1, "across_servers", 1,
                         "max_number_of_instances", 3);
    return json_pack("{sbsb}", "across_cores", 1, "across_servers", 1);
}

static json_t *nf_desc(struct e2_rng *r, const struct e2_gen_graph *g, unsigned i)
{
    static const char *const nat[] = {"src_ip", "src_port", NULL}, *const none[] = {NULL};
    static const char *const fw[] = {"forward", "drop", NULL};
    char type[32];
    snprintf(type, sizeof(type), "T%u", i);
    static const char *const t5[] = {"src_ip", "dst_ip", "proto", "src_port", "dst_port", NULL};
    json_int_t tput =
        g->n_pool
            ? (json_int_t)g->pool[e2_rng_below(r, (unsigned)g->n_pool)]->throughput_bps_per_core_ghz
            : (json_int_t)e2_rng_range(r, g->tput_min, g->tput_max);
    json_t *aff =
        g->compatible ? json_pack("{sosb}", "fields", names(t5), "symmetric", 1) : affinity(r);
    bool rewrites = !g->compatible && !e2_rng_below(r, 5);
    return json_pack("{sssssosos{sI}soso}", "nf_type", type, "api", "native", "scaling",
                     scaling(r, g->constrained), "affinity", aff, "performance",
                     "throughput_per_core_per_ghz", tput, "rewrites", names(rewrites ? nat : none),
                     "offload_actions", names(e2_rng_below(r, 4) ? none : fw));
}

/* ---- graphs ---- */

struct gedge {
    int src, dst; /* NF index; -1 = ext, -2 = Drop */
    double w, bps;
};

struct gbuild {
    struct gedge *e;
    size_t n, cap;
};

static int add(struct gbuild *b, int src, int dst, double w)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->e[i].src == src && b->e[i].dst == dst) return 0;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 32;
        struct gedge *p = realloc(b->e, cap * sizeof(*p));
        if (!p) return -ENOMEM;
        b->e = p;
        b->cap = cap;
    }
    b->e[b->n++] = (struct gedge){src, dst, w, 0};
    return 0;
}

static int shape(struct e2_rng *r, const struct e2_gen_graph *g, struct gbuild *b)
{
    int n = (int)g->n_nfs, rc = add(b, -1, 0, e2_rng_range(r, 0.3, 1));
    bool dag = g->shape == E2_GEN_DAG;
    if (dag && n > 1 && e2_rng_below(r, 2))
        rc |= add(b, -1, 1 + (int)e2_rng_below(r, 2) % (n - 1), 0.5);
    for (int j = 1; j < n; j++)
        rc |= add(b, dag ? (int)e2_rng_below(r, (unsigned)j) : j - 1, j, e2_rng_range(r, 0.3, 1));
    for (int i = 0; dag && i < n - 1; i++)
        if (e2_rng_below(r, 2))
            rc |= add(b, i, i + 1 + (int)e2_rng_below(r, (unsigned)(n - i - 1)),
                      e2_rng_range(r, 0.2, 1));
    for (int i = 0; i < n; i++) {
        bool has_out = false;
        for (size_t k = 0; k < b->n; k++) has_out |= b->e[k].src == i;
        if (!has_out || (dag && !e2_rng_below(r, 4))) rc |= add(b, i, -1, e2_rng_range(r, 0.2, 1));
        if (dag && !e2_rng_below(r, 6)) rc |= add(b, i, -2, e2_rng_range(r, 0.05, 0.2));
    }
    return rc ? -ENOMEM : 0;
}

/* Each node's input splits over its out-edges by weight, in index order (edges go forward). */
static void rates(struct gbuild *b, int n, double ingress)
{
    for (int v = -1; v < n; v++) {
        double in = v < 0 ? ingress : 0, wsum = 0;
        for (size_t k = 0; v >= 0 && k < b->n; k++)
            if (b->e[k].dst == v) in += b->e[k].bps;
        for (size_t k = 0; k < b->n; k++)
            if (b->e[k].src == v) wsum += b->e[k].w;
        for (size_t k = 0; k < b->n; k++)
            if (b->e[k].src == v) b->e[k].bps = in * b->e[k].w / wsum;
    }
}

static const char *node_name(int v, char *buf)
{
    if (v == -1) return "ext";
    if (v == -2) return "Drop";
    snprintf(buf, 16, "nf%d", v);
    return buf;
}

/* The vports edges use: each NF's first input and output. */
struct vports {
    const char **in, **out;
};

static json_t *edges_json(const struct gbuild *b, const struct vports *vp)
{
    json_t *a = json_array();
    for (size_t k = 0; k < b->n; k++) {
        const struct gedge *e = &b->e[k];
        unsigned sib = 0, idx = 0;
        for (size_t m = 0; m < b->n; m++) {
            sib += b->e[m].src == e->src;
            idx += m < k && b->e[m].src == e->src;
        }
        char s[16], d[16], filter[32] = "";
        if (sib > 1) snprintf(filter, sizeof(filter), "ip[1] & 7 = %u", idx);
        json_t *o = json_pack("{sIssssss}", "id", (json_int_t)k, "src", node_name(e->src, s), "dst",
                              node_name(e->dst, d), "filter", filter);
        json_object_set_new(o, "src_ports",
                            e->src >= 0 ? json_pack("[s]", vp->out[e->src]) : json_array());
        json_object_set_new(o, "dst_input",
                            e->dst >= 0 ? json_pack("{ss}", "port", vp->in[e->dst]) : json_null());
        json_object_set_new(o, "bw_bps", json_integer((json_int_t)e->bps));
        json_object_set_new(o, "pipelets", json_pack("[i]", 0));
        json_object_set_new(o, "root", json_boolean(e->src == -1));
        json_object_set_new(o, "class", json_null());
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *nf_node(struct e2_rng *r, const struct e2_gen_graph *g, unsigned i,
                       struct vports *vp)
{
    char name[16], type[16];
    snprintf(name, sizeof(name), "nf%u", i);
    snprintf(type, sizeof(type), "T%u", i);
    vp->in[i] = "in";
    vp->out[i] = "out";
    if (!g->n_pool || g->compatible)
        return json_pack("{ssssssso}", "name", name, "kind", "nf", "nf_type", type, "nf",
                         nf_desc(r, g, i));
    const struct e2_nf_desc *d = g->pool[e2_rng_below(r, (unsigned)g->n_pool)];
    vp->in[i] = d->inputs[0];
    vp->out[i] = d->outputs[0];
    return json_pack("{ssssssso}", "name", name, "kind", "nf", "nf_type", d->nf_type, "nf",
                     e2_nf_desc_to_json(d));
}

static json_t *nodes_json(struct e2_rng *r, const struct e2_gen_graph *g, const struct gbuild *b,
                          struct vports *vp)
{
    json_t *a = json_array(), *ports = json_array();
    for (unsigned p = 0; p < g->n_ports; p++) json_array_append_new(ports, json_integer(p));
    json_array_append_new(
        a, json_pack("{sssssO}", "name", "ext", "kind", "port", "switch_ports", ports));
    json_decref(ports);
    for (unsigned i = 0; i < g->n_nfs; i++) json_array_append_new(a, nf_node(r, g, i, vp));
    bool drop = false;
    for (size_t k = 0; k < b->n; k++) drop |= b->e[k].dst == -2;
    if (drop) json_array_append_new(a, json_pack("{ssss}", "name", "Drop", "kind", "drop"));
    return a;
}

json_t *e2_gen_pgraph(struct e2_rng *r, const struct e2_gen_graph *g)
{
    struct gbuild b = {0};
    if (shape(r, g, &b)) {
        free(b.e);
        return NULL;
    }
    rates(&b, (int)g->n_nfs, g->ingress_bps);
    struct vports vp = {calloc(g->n_nfs, sizeof(char *)), calloc(g->n_nfs, sizeof(char *))};
    json_t *pg = NULL;
    if (vp.in && vp.out) {
        json_t *nodes = nodes_json(r, g, &b, &vp);
        pg = json_pack("{sssssos[{sisnsis[i]}]so}", "format", "e2-pgraph/1", "policy", "generated",
                       "nodes", nodes, "pipelets", "index", 0, "name", "line", 1, "roots", 0,
                       "edges", edges_json(&b, &vp));
    }
    free(vp.in);
    free(vp.out);
    free(b.e);
    return pg;
}
