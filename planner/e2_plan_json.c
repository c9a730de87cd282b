/* The deployment plan as JSON ("e2-plan/1"; docs/planner.md describes every field). */
#include "e2_plan.h"

#include <stdio.h>

static json_t *bit_names(uint32_t bits, const char *(*name)(uint32_t))
{
    json_t *a = json_array();
    for (unsigned i = 0; i < 32; i++)
        if ((bits & (1u << i)) && name(1u << i))
            json_array_append_new(a, json_string(name(1u << i)));
    return a;
}

static json_t *range_json(struct e2_range r)
{
    return json_pack("[II]", (json_int_t)r.lo, (json_int_t)r.hi);
}

static json_t *ports_json(const unsigned *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_integer(v[i]));
    return a;
}

static json_t *strs_json(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

static const char *name_of(const struct e2_plan *p, unsigned node, char *buf, size_t len)
{
    return e2_inode_name(p->ig, node, buf, len);
}

static json_t *steering_json(const struct e2_plan *p, unsigned pnode)
{
    const struct e2_steering *s = &p->ig->steer[pnode];
    return json_pack("{sosbss}", "fields", bit_names(s->fields, e2_field_name), "symmetric",
                     s->symmetric, "owner", p->pg->nodes[s->owner].name);
}

static json_t *vports_json(const struct e2_nf_desc *d)
{
    static char *in[] = {"in"}, *out[] = {"out"};
    return json_pack("{soso}", "inputs", d ? strs_json(d->inputs, d->n_inputs) : strs_json(in, 1),
                     "outputs", d ? strs_json(d->outputs, d->n_outputs) : strs_json(out, 1));
}

static json_t *instance_json(const struct e2_plan *p, unsigned v, unsigned core)
{
    const struct e2_inode *n = &p->ig->nodes[v];
    const struct e2_plan_node *pn = &p->pg->nodes[n->pnode];
    char name[96];
    json_t *o = json_pack("{sssssssssI}", "id", name_of(p, v, name, sizeof(name)), "node", pn->name,
                          "kind", n->kind == E2_INODE_TEE ? "tee" : "instance", "nf_type",
                          pn->nf_type ? pn->nf_type : "Tee", "core", (json_int_t)core);
    if (n->kind == E2_INODE_TEE) json_object_set_new(o, "core", json_null());
    json_object_set_new(o, "flow_range", range_json(n->range));
    json_object_set_new(o, "load_bps", json_real(e2_inode_load(p->ig, v)));
    json_object_set_new(o, "capacity_bps", json_real(p->size[n->pnode].capacity_bps));
    json_object_set_new(o, "vports", vports_json(pn->nf));
    return o;
}

static const char *dist_name(enum e2_dist d)
{
    static const char *const names[] = {"none", "switch", "hash", "range", "direct"};
    return names[d];
}

static json_t *edge_json(const struct e2_plan *p, unsigned id)
{
    const struct e2_iedge *e = &p->ig->edges[id];
    const struct e2_plan_edge *pe = &p->pg->edges[e->pedge];
    const unsigned *srv = p->pl->server;
    char s[96], d[96];
    bool local = srv[e->src] == srv[e->dst] || srv[e->dst] == E2_SERVER_ANY;
    json_t *o =
        json_pack("{sIsIssss}", "id", (json_int_t)id, "pgraph_edge", (json_int_t)e->pedge, "src",
                  name_of(p, e->src, s, sizeof(s)), "dst", name_of(p, e->dst, d, sizeof(d)));
    json_object_set_new(o, "src_ports", strs_json(pe->src_ports, pe->n_src_ports));
    json_object_set_new(o, "dst_input", pe->dst_input ? json_string(pe->dst_input) : json_null());
    json_object_set_new(o, "filter", json_string(pe->filter));
    json_object_set_new(o, "class",
                        pe->classes ? ports_json(pe->classes, pe->n_classes) : json_null());
    json_object_set_new(o, "distribution", json_string(dist_name(e->dist)));
    bool hashed = e->dist == E2_DIST_SWITCH || e->dist == E2_DIST_HASH || e->dist == E2_DIST_RANGE;
    json_object_set_new(o, "hash",
                        hashed ? steering_json(p, p->ig->nodes[e->dst].pnode) : json_null());
    json_object_set_new(o, "flow_range", range_json(e->range));
    json_object_set_new(o, "rate_bps", json_real(e->rate_bps));
    json_object_set_new(o, "path", json_string(local ? "local" : "switch"));
    return o;
}

static bool touches(const struct e2_plan *p, unsigned id, unsigned s)
{
    const struct e2_iedge *e = &p->ig->edges[id];
    return p->pl->server[e->src] == s || p->pl->server[e->dst] == s;
}

static json_t *server_json(const struct e2_plan *p, size_t s)
{
    const struct e2_server *sv = &p->hw->servers[s];
    json_t *o =
        json_pack("{sssIsIsIsI}", "name", sv->name, "switch_port", (json_int_t)sv->switch_port,
                  "cores", (json_int_t)sv->cores, "dataplane_cores",
                  (json_int_t)sv->dataplane_cores, "cores_used", (json_int_t)p->usage.cores[s]);
    json_object_set_new(o, "ghz", json_real(sv->ghz));
    json_object_set_new(o, "nic_bps", json_integer((json_int_t)sv->nic_bps));
    json_object_set_new(o, "nic_in_bps", json_real(p->usage.nic_in[s]));
    json_object_set_new(o, "nic_out_bps", json_real(p->usage.nic_out[s]));
    json_t *inst = json_array(), *edges = json_array();
    unsigned core = sv->dataplane_cores;
    for (size_t v = 0; v < p->ig->n_nodes; v++)
        if (p->pl->server[v] == s && e2_inode_placeable(&p->ig->nodes[v])) {
            json_array_append_new(inst, instance_json(p, (unsigned)v, core));
            core += p->ig->nodes[v].cores;
        }
    for (size_t e = 0; e < p->ig->n_edges; e++)
        if (touches(p, (unsigned)e, (unsigned)s))
            json_array_append_new(edges, edge_json(p, (unsigned)e));
    json_object_set_new(o, "instances", inst);
    json_object_set_new(o, "edges", edges);
    return o;
}

static json_t *rule_target(const struct e2_plan *p, const struct e2_switch_rule *r)
{
    if (r->server == E2_SERVER_ANY) return json_pack("{ss}", "action", "drop");
    if (r->server == E2_SERVER_OUTSIDE) {
        const struct e2_plan_node *pn = &p->pg->nodes[r->port_node];
        return json_pack("{sssssI}", "action", "port_node", "port_node", pn->name, "out_port",
                         (json_int_t)pn->switch_ports[0]);
    }
    const struct e2_server *sv = &p->hw->servers[r->server];
    return json_pack("{sssssI}", "action", "server", "server", sv->name, "out_port",
                     (json_int_t)sv->switch_port);
}

static json_t *rule_json(const struct e2_plan *p, const struct e2_switch_rule *r)
{
    static const char *const kinds[] = {"port_group", "ingress", "to_server", "egress"};
    const struct e2_plan_node *group = &p->pg->nodes[r->group];
    if (r->kind == E2_RULE_PORT_GROUP)
        return json_pack("{sssIss}", "kind", kinds[r->kind], "in_port", (json_int_t)r->in_port,
                         "port_group", group->name);
    if (r->kind == E2_RULE_EGRESS) {
        const struct e2_plan_node *pn = &p->pg->nodes[r->port_node];
        return json_pack("{sssssssIso}", "kind", kinds[r->kind], "action", "port_node", "port_node",
                         pn->name, "out_port", (json_int_t)pn->switch_ports[0], "out_ports",
                         ports_json(pn->switch_ports, pn->n_switch_ports));
    }
    json_t *o = rule_target(p, r);
    json_object_set_new(o, "kind", json_string(kinds[r->kind]));
    if (r->kind != E2_RULE_INGRESS) return o;
    json_object_set_new(o, "port_group", json_string(group->name));
    json_object_set_new(o, "pgraph_edge", json_integer(r->pedge));
    json_object_set_new(o, "filter", json_string(p->pg->edges[r->pedge].filter));
    json_object_set_new(o, "flow",
                        json_pack("{sIsIsI}", "value", (json_int_t)r->flow.value, "mask",
                                  (json_int_t)r->flow.mask, "len", (json_int_t)r->flow.len));
    return o;
}

static json_t *switch_json(const struct e2_plan *p)
{
    json_t *rules = json_array();
    for (size_t i = 0; i < p->n_rules; i++)
        json_array_append_new(rules, rule_json(p, &p->rules[i]));
    json_t *o =
        json_pack("{sssIsI}", "name", p->hw->sw.name, "flow_table_size",
                  (json_int_t)p->hw->sw.flow_table_size, "rules_used", (json_int_t)p->n_rules);
    json_object_set_new(o, "traffic_bps", json_real(p->usage.switch_bps));
    json_object_set_new(o, "capacity_bps", json_real(p->opts.switch_bps));
    json_object_set_new(o, "rules", rules);
    return o;
}

static json_t *nfs_json(const struct e2_plan *p)
{
    json_t *a = json_array();
    char name[96];
    for (size_t i = 0; i < p->pg->n_nodes; i++) {
        const struct e2_plan_node *pn = &p->pg->nodes[i];
        if (pn->kind != E2_PNODE_NF) continue;
        json_t *inst = json_array();
        for (size_t k = 0; k < p->ig->members[i].n; k++)
            json_array_append_new(
                inst, json_string(name_of(p, p->ig->members[i].v[k], name, sizeof(name))));
        json_t *o = json_pack("{ssss}", "name", pn->name, "nf_type", pn->nf_type);
        json_object_set_new(o, "load_bps", json_real(p->size[i].load_bps));
        json_object_set_new(o, "instance_capacity_bps", json_real(p->size[i].capacity_bps));
        json_object_set_new(o, "slices", json_integer(p->size[i].slices));
        json_object_set_new(o, "instances", inst);
        json_object_set_new(o, "steering", steering_json(p, (unsigned)i));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *summary_json(const struct e2_plan *p)
{
    unsigned used = 0, nf_cores = 0, inst = 0, servers = 0;
    for (size_t s = 0; s < p->hw->n_servers; s++) {
        used += p->usage.cores[s];
        nf_cores += e2_server_nf_cores(p->hw, s);
        servers += p->usage.cores[s] > 0;
    }
    for (size_t v = 0; v < p->ig->n_nodes; v++) inst += p->ig->nodes[v].kind == E2_INODE_INSTANCE;
    const struct e2_usage *u = &p->usage;
    bool bounded = u->headroom < 1e300;
    json_t *o = json_pack("{sIsIsIsIsI}", "instances", (json_int_t)inst, "servers_used",
                          (json_int_t)servers, "cores_used", (json_int_t)used, "cores_free",
                          (json_int_t)(nf_cores - used), "rules_used", (json_int_t)p->n_rules);
    json_object_set_new(o, "offered_bps", json_real(u->offered_bps));
    json_object_set_new(o, "switch_bps", json_real(u->switch_bps));
    json_object_set_new(o, "cross_server_bps", json_real(u->cross_bps));
    json_object_set_new(o, "headroom", bounded ? json_real(u->headroom) : json_null());
    json_object_set_new(o, "max_rate_bps",
                        bounded ? json_real(u->headroom * u->offered_bps) : json_null());
    json_object_set_new(o, "bottleneck", bounded ? json_string(u->bottleneck) : json_null());
    return o;
}

static json_t *offload_json(const struct e2_plan *p)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->n_offload; i++) {
        const struct e2_offload *c = &p->offload[i];
        const struct e2_plan_node *pn = &p->pg->nodes[c->pnode];
        json_array_append_new(a, json_pack("{sssssosIsI}", "nf", pn->name, "nf_type", pn->nf_type,
                                           "actions", bit_names(c->actions, e2_switch_action_name),
                                           "rules_needed", (json_int_t)c->rules_needed,
                                           "frees_cores", (json_int_t)c->frees_cores));
    }
    return a;
}

json_t *e2_plan_to_json(const struct e2_plan *p)
{
    json_t *servers = json_array();
    for (size_t s = 0; s < p->hw->n_servers; s++) json_array_append_new(servers, server_json(p, s));
    return json_pack("{sssssIsososososo}", "format", E2_PLAN_FORMAT, "policy", p->pg->policy,
                     "flow_id_bits", (json_int_t)p->ig->bits, "summary", summary_json(p), "nfs",
                     nfs_json(p), "servers", servers, "switch", switch_json(p),
                     "offload_candidates", offload_json(p));
}
