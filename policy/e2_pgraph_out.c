/*
 * The checked pGraph as JSON (docs/pgraph-json.md, the planner's input) and
 * as Graphviz DOT (for people).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_pgraph.h"
#include "e2_strbuf.h"
#include "e2_units.h"

static const char *const kind_names[] = {"nf", "port", "drop", "tee"};

static char *filter_text(const struct e2_filter *f)
{
    size_t n = e2_filter_print(f, NULL, 0);
    char *s = malloc(n + 1);
    if (s) e2_filter_print(f, s, n + 1);
    return s;
}

static json_t *uints(const unsigned *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_integer(v[i]));
    return a;
}

static json_t *node_json(const struct e2_pnode *n)
{
    json_t *o = json_pack("{ssss}", "name", n->name, "kind", kind_names[n->kind]);
    if (n->kind == E2_NODE_PORT) {
        json_t *ports = json_array();
        for (unsigned p = n->port_lo; p <= n->port_hi; p++)
            json_array_append_new(ports, json_integer(p));
        json_object_set_new(o, "switch_ports", ports);
    }
    if (n->kind == E2_NODE_NF) {
        json_object_set_new(o, "nf_type", json_string(n->nf_type));
        json_object_set_new(o, "nf", n->desc ? e2_nf_desc_to_json(n->desc) : json_null());
    }
    return o;
}

static json_t *dst_input_json(const struct e2_pgraph *g, const struct e2_pedge *e)
{
    const struct e2_pnode *d = &g->nodes[e->dst];
    if (e->dst_input < 0) return json_null();
    json_t *o = json_pack("{ss}", "port", d->desc ? d->desc->inputs[e->dst_input] : "in");
    const struct e2_nf_placeholder *p = e->placeholder;
    if (p && p->method == E2_ATTR_METADATA)
        json_object_set_new(o, "metadata",
                            json_pack("{sssI}", "tag", p->tag, "value", (json_int_t)p->value));
    if (p) json_object_set_new(o, "placeholder", json_string(p->name));
    return o;
}

static json_t *edge_json(const struct e2_pgraph *g, size_t id)
{
    const struct e2_pedge *e = &g->edges[id];
    const struct e2_pnode *s = &g->nodes[e->src];
    json_t *src_ports = json_array();
    for (size_t o = 0; s->kind == E2_NODE_NF && o < 64; o++)
        if (e->src_ports >> o & 1)
            json_array_append_new(src_ports, json_string(s->desc ? s->desc->outputs[o] : "out"));
    char *text = filter_text(e->filter);
    json_t *j =
        json_pack("{sIsssossso}", "id", (json_int_t)id, "src", s->name, "src_ports", src_ports,
                  "dst", g->nodes[e->dst].name, "dst_input", dst_input_json(g, e));
    json_object_set_new(j, "filter", json_string(text ? text : ""));
    json_object_set_new(j, "bw_bps", e->has_bw ? json_integer((json_int_t)e->bw_bps) : json_null());
    json_object_set_new(j, "pipelets", uints(e->pipelets, e->n_pipelets));
    json_object_set_new(j, "root", json_boolean(e->root));
    json_object_set_new(j, "class", e->restricted ? uints(e->cls, e->n_cls) : json_null());
    free(text);
    return j;
}

json_t *e2_pgraph_to_json(const struct e2_pgraph *g)
{
    json_t *pipelets = json_array(), *nodes = json_array(), *edges = json_array();
    for (size_t i = 0; i < g->n_pipelets; i++) {
        const struct e2_ppipelet *p = &g->pipelets[i];
        json_array_append_new(pipelets, json_pack("{sIsosIso}", "index", (json_int_t)i, "name",
                                                  p->name ? json_string(p->name) : json_null(),
                                                  "line", (json_int_t)p->pos.line, "roots",
                                                  uints(p->roots, p->n_roots)));
    }
    for (size_t i = 0; i < g->n_nodes; i++) json_array_append_new(nodes, node_json(&g->nodes[i]));
    for (size_t i = 0; i < g->n_edges; i++) json_array_append_new(edges, edge_json(g, i));
    return json_pack("{sssssososo}", "format", "e2-pgraph/1", "policy", g->file, "pipelets",
                     pipelets, "nodes", nodes, "edges", edges);
}

/* ---- DOT ---- */

/* A DOT string literal: quotes and backslashes escaped. */
static void add_quoted(struct e2_strbuf *b, const char *s)
{
    e2_strbuf_addf(b, "\"");
    for (; *s; s++) e2_strbuf_addf(b, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    e2_strbuf_addf(b, "\"");
}

static void dot_node(struct e2_strbuf *b, const struct e2_pnode *n)
{
    static const char *const shapes[] = {"box", "invhouse", "octagon", "triangle"};
    char label[256];
    if (n->kind == E2_NODE_PORT)
        snprintf(label, sizeof(label), "%s\\nPort<%u-%u>", n->name, n->port_lo, n->port_hi);
    else if (n->kind == E2_NODE_NF || n->kind == E2_NODE_TEE)
        snprintf(label, sizeof(label), "%s\\n%s", n->name, n->nf_type);
    else
        snprintf(label, sizeof(label), "%s", n->name);
    e2_strbuf_addf(b, "  ");
    add_quoted(b, n->name);
    e2_strbuf_addf(b, " [shape=%s, label=\"%s\"];\n", shapes[n->kind], label);
}

static void dot_edge(struct e2_strbuf *b, const struct e2_pgraph *g, size_t id)
{
    const struct e2_pedge *e = &g->edges[id];
    char *text = filter_text(e->filter), extra[256] = "";
    size_t o = 0;
    if (e->has_bw) {
        char rate[32];
        o += (size_t)snprintf(extra + o, sizeof(extra) - o, " (%s)",
                              e2_rate_format(e->bw_bps, rate, sizeof(rate)));
    }
    if (e->placeholder && o < sizeof(extra))
        o += (size_t)snprintf(extra + o, sizeof(extra) - o, " [%s]", e->placeholder->name);
    for (size_t k = 0; e->restricted && k < e->n_cls && o < sizeof(extra); k++)
        o += (size_t)snprintf(extra + o, sizeof(extra) - o, "%se%u", k ? ", " : " {class ",
                              e->cls[k]);
    if (e->restricted && o < sizeof(extra)) snprintf(extra + o, sizeof(extra) - o, "}");
    e2_strbuf_addf(b, "  ");
    add_quoted(b, g->nodes[e->src].name);
    e2_strbuf_addf(b, " -> ");
    add_quoted(b, g->nodes[e->dst].name);
    char label[4500];
    snprintf(label, sizeof(label), "e%zu: %s%s", id, text && *text ? text : "*", extra);
    e2_strbuf_addf(b, " [label=");
    add_quoted(b, label);
    e2_strbuf_addf(b, "%s];\n", e->restricted ? ", style=dashed" : "");
    free(text);
}

char *e2_pgraph_to_dot(const struct e2_pgraph *g)
{
    struct e2_strbuf b = {0};
    e2_strbuf_addf(
        &b, "// pGraph of %s (e2ctl compile --format dot); dashed: restricted to a traffic class\n",
        g->file);
    e2_strbuf_addf(&b, "digraph pgraph {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n"
                       "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (size_t i = 0; i < g->n_nodes; i++) dot_node(&b, &g->nodes[i]);
    for (size_t i = 0; i < g->n_edges; i++) dot_edge(&b, g, i);
    e2_strbuf_addf(&b, "}\n");
    return e2_strbuf_take(&b);
}
