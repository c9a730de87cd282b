/* The exact placement of largest headroom, as a MIP for GLPK (see e2_ilp.h). */
#include "e2_ilp.h"

#include <errno.h>
#include <stdlib.h>

#include <glpk.h>

struct mip {
    glp_prob *lp;
    const struct e2_igraph *ig;
    const struct e2_hw *hw;
    size_t S, P, E;              /* servers, placeable nodes, edges between placeable nodes */
    unsigned *node;              /* placeable node ids, in order */
    int *at;                     /* per iGraph node: its index in node[], or -1 */
    unsigned *inner;             /* edges between placeable nodes */
    double *to_port, *from_port; /* per placeable node, Gbit/s */
    double port_total;           /* all traffic to or from ports, Gbit/s */
    int *ia, *ja;
    double *ar;
    size_t n, cap;
    int oom;
};

static int col_x(const struct mip *m, size_t k, size_t s)
{
    return (int)(1 + k * m->S + s);
}

static int col_y(const struct mip *m, size_t i, size_t s)
{
    return (int)(1 + m->P * m->S + i * m->S + s);
}

static int col_z(const struct mip *m, size_t i, size_t s)
{
    return (int)(1 + (m->P + m->E) * m->S + i * m->S + s);
}

static int col_lambda(const struct mip *m)
{
    return (int)(1 + (m->P + 2 * m->E) * m->S);
}

static int row(struct mip *m, int type, double lb, double ub)
{
    int r = glp_add_rows(m->lp, 1);
    glp_set_row_bnds(m->lp, r, type, lb, ub);
    return r;
}

static void put(struct mip *m, int r, int c, double v)
{
    if (m->n + 1 >= m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 1024;
        int *ia = realloc(m->ia, cap * sizeof(int));
        if (ia) m->ia = ia;
        int *ja = realloc(m->ja, cap * sizeof(int));
        if (ja) m->ja = ja;
        double *ar = realloc(m->ar, cap * sizeof(double));
        if (ar) m->ar = ar;
        if (!ia || !ja || !ar) {
            m->oom = 1;
            return;
        }
        m->cap = cap;
    }
    m->n++; /* GLPK arrays are 1-based */
    m->ia[m->n] = r;
    m->ja[m->n] = c;
    m->ar[m->n] = v;
}

static int collect(struct mip *m)
{
    const struct e2_igraph *ig = m->ig;
    m->node = malloc((ig->n_nodes + 1) * sizeof(unsigned));
    m->at = malloc((ig->n_nodes + 1) * sizeof(int));
    m->inner = malloc((ig->n_edges + 1) * sizeof(unsigned));
    m->to_port = calloc(ig->n_nodes + 1, sizeof(double));
    m->from_port = calloc(ig->n_nodes + 1, sizeof(double));
    if (!m->node || !m->at || !m->inner || !m->to_port || !m->from_port) return -ENOMEM;
    for (size_t v = 0; v < ig->n_nodes; v++) {
        m->at[v] = e2_inode_placeable(&ig->nodes[v]) ? (int)m->P : -1;
        if (m->at[v] >= 0) m->node[m->P++] = (unsigned)v;
    }
    for (size_t e = 0; e < ig->n_edges; e++) {
        const struct e2_iedge *ed = &ig->edges[e];
        int a = m->at[ed->src], b = m->at[ed->dst];
        bool pa = ig->nodes[ed->src].kind == E2_INODE_PORT,
             pb = ig->nodes[ed->dst].kind == E2_INODE_PORT;
        double r = ed->rate_bps / 1e9;
        if (a >= 0 && b >= 0) m->inner[m->E++] = (unsigned)e;
        if (a >= 0 && pb) m->to_port[a] += r;
        if (pa && b >= 0) m->from_port[b] += r;
        if (pa || pb) m->port_total += r;
    }
    return 0;
}

static void assignment_and_cores(struct mip *m)
{
    for (size_t k = 0; k < m->P; k++) {
        int r = row(m, GLP_FX, 1, 1);
        for (size_t s = 0; s < m->S; s++) put(m, r, col_x(m, k, s), 1);
    }
    for (size_t s = 0; s < m->S; s++) {
        int r = row(m, GLP_UP, 0, e2_server_nf_cores(m->hw, s));
        for (size_t k = 0; k < m->P; k++) put(m, r, col_x(m, k, s), m->ig->nodes[m->node[k]].cores);
    }
}

static void crossing(struct mip *m)
{
    for (size_t i = 0; i < m->E; i++) {
        const struct e2_iedge *e = &m->ig->edges[m->inner[i]];
        int u = m->at[e->src], w = m->at[e->dst];
        for (size_t s = 0; s < m->S; s++) {
            int r = row(m, GLP_LO, 0, 0);
            put(m, r, col_y(m, i, s), 1);
            put(m, r, col_x(m, (size_t)u, s), -1);
            put(m, r, col_x(m, (size_t)w, s), 1);
            r = row(m, GLP_LO, 0, 0);
            put(m, r, col_z(m, i, s), 1);
            put(m, r, col_x(m, (size_t)w, s), -1);
            put(m, r, col_x(m, (size_t)u, s), 1);
        }
    }
}

static void links(struct mip *m, double switch_bps)
{
    for (size_t s = 0; s < m->S; s++)
        for (int dir = 0; dir < 2; dir++) {
            int r = row(m, GLP_UP, 0, 0);
            for (size_t i = 0; i < m->E; i++)
                put(m, r, dir ? col_y(m, i, s) : col_z(m, i, s),
                    m->ig->edges[m->inner[i]].rate_bps / 1e9);
            for (size_t k = 0; k < m->P; k++)
                put(m, r, col_x(m, k, s), dir ? m->to_port[k] : m->from_port[k]);
            put(m, r, col_lambda(m), -(double)m->hw->servers[s].nic_bps / 1e9);
        }
    if (switch_bps <= 0) return;
    int r = row(m, GLP_UP, 0, -m->port_total);
    for (size_t i = 0; i < m->E; i++)
        for (size_t s = 0; s < m->S; s++)
            put(m, r, col_y(m, i, s), m->ig->edges[m->inner[i]].rate_bps / 1e9);
    put(m, r, col_lambda(m), -switch_bps / 1e9);
}

static void core_utilization(struct mip *m)
{
    for (size_t k = 0; k < m->P; k++) {
        unsigned v = m->node[k];
        const struct e2_nf_desc *d = m->ig->pg->nodes[m->ig->nodes[v].pnode].nf;
        double load = e2_inode_load(m->ig, v);
        if (m->ig->nodes[v].kind != E2_INODE_INSTANCE || !d || !d->throughput_bps_per_core_ghz ||
            load <= 0)
            continue;
        int r = row(m, GLP_UP, 0, 0);
        for (size_t s = 0; s < m->S; s++)
            put(m, r, col_x(m, k, s),
                load / ((double)d->throughput_bps_per_core_ghz * m->hw->servers[s].ghz));
        put(m, r, col_lambda(m), -1);
    }
}

static void scaling_rules(struct mip *m)
{
    const struct e2_igraph *ig = m->ig;
    for (size_t p = 0; p < ig->pg->n_nodes; p++) {
        const struct e2_nf_desc *d = ig->pg->nodes[p].nf;
        const struct e2_ivec *mem = &ig->members[p];
        if (!d || ig->pg->nodes[p].kind != E2_PNODE_NF || mem->n < 2) continue;
        for (size_t s = 0; s < m->S; s++) {
            if (!d->across_cores) {
                int r = row(m, GLP_UP, 0, 1);
                for (size_t k = 0; k < mem->n; k++)
                    put(m, r, col_x(m, (size_t)m->at[mem->v[k]], s), 1);
            }
            for (size_t k = 1; !d->across_servers && k < mem->n; k++) {
                int r = row(m, GLP_FX, 0, 0);
                put(m, r, col_x(m, (size_t)m->at[mem->v[k]], s), 1);
                put(m, r, col_x(m, (size_t)m->at[mem->v[0]], s), -1);
            }
        }
    }
}

static bool identical_servers(const struct e2_hw *hw)
{
    for (size_t s = 1; s < hw->n_servers; s++) {
        const struct e2_server *a = &hw->servers[0], *b = &hw->servers[s];
        if (a->cores != b->cores || a->dataplane_cores != b->dataplane_cores || a->ghz != b->ghz ||
            a->nic_bps != b->nic_bps)
            return false;
    }
    return true;
}

static void columns(struct mip *m)
{
    int n = col_lambda(m);
    glp_add_cols(m->lp, n);
    bool sym = identical_servers(m->hw);
    for (size_t k = 0; k < m->P; k++)
        for (size_t s = 0; s < m->S; s++) {
            glp_set_col_kind(m->lp, col_x(m, k, s), GLP_BV);
            if (sym && s > k) glp_set_col_bnds(m->lp, col_x(m, k, s), GLP_FX, 0, 0);
        }
    for (int c = col_y(m, 0, 0); c < n; c++) glp_set_col_bnds(m->lp, c, GLP_LO, 0, 0);
    glp_set_col_bnds(m->lp, n, GLP_LO, 0, 0);
    glp_set_obj_dir(m->lp, GLP_MIN);
    glp_set_obj_coef(m->lp, n, 1);
}

static int solve(struct mip *m, double seconds, bool *optimal, struct e2_err *err)
{
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.presolve = GLP_ON;
    parm.msg_lev = GLP_MSG_OFF;
    parm.tm_lim = (int)(seconds * 1000);
    int ret = glp_intopt(m->lp, &parm), st = glp_mip_status(m->lp);
    *optimal = st == GLP_OPT;
    if (st == GLP_OPT || st == GLP_FEAS) return 0;
    if (ret == GLP_ENOPFS || st == GLP_NOFEAS)
        return e2_err_set(err, ENOSPC, "ILP: no placement keeps the cores and scaling rules");
    return e2_err_set(err, ETIMEDOUT, "ILP: no placement found within %.1f s", seconds);
}

static int extract(struct mip *m, const struct e2_place_opts *opts, struct e2_placement **out,
                   struct e2_err *err)
{
    int rc = e2_placement_new(m->ig, m->hw, opts, out, err);
    for (size_t k = 0; !rc && k < m->P; k++) {
        size_t best = 0;
        for (size_t s = 1; s < m->S; s++)
            if (glp_mip_col_val(m->lp, col_x(m, k, s)) > glp_mip_col_val(m->lp, col_x(m, k, best)))
                best = s;
        e2_placement_set(*out, m->ig, m->node[k], (unsigned)best);
    }
    return rc;
}

int e2_ilp_place(const struct e2_igraph *ig, const struct e2_hw *hw,
                 const struct e2_place_opts *opts, double seconds, struct e2_placement **out,
                 bool *optimal, struct e2_err *err)
{
    struct mip m = {.ig = ig, .hw = hw, .S = hw->n_servers};
    *out = NULL;
    *optimal = false;
    glp_term_out(GLP_OFF);
    m.lp = glp_create_prob();
    int rc = collect(&m);
    if (!rc) {
        columns(&m);
        assignment_and_cores(&m);
        crossing(&m);
        links(&m, opts->switch_bps);
        core_utilization(&m);
        scaling_rules(&m);
        rc = m.oom ? -ENOMEM : 0;
    }
    if (!rc) {
        glp_load_matrix(m.lp, (int)m.n, m.ia, m.ja, m.ar);
        rc = solve(&m, seconds, optimal, err);
    } else {
        e2_err_set(err, rc, "ILP: out of memory");
    }
    if (!rc) rc = extract(&m, opts, out, err);
    glp_delete_prob(m.lp);
    free(m.node);
    free(m.at);
    free(m.inner);
    free(m.to_port);
    free(m.from_port);
    free(m.ia);
    free(m.ja);
    free(m.ar);
    return rc;
}
