/*
 * pGraph -> iGraph (paper Fig. 4): which hash picks each NF's instance, and
 * the edges that follow from it — a distribute stage that hashes (4b, 4c),
 * a range match on the flow ID already computed, or direct connections with
 * no re-classification (4d) — plus splitting an instance.
 */
#include "helpers.h"

#include <math.h>

#include "e2_igraph.h"

#define RATE 6000000000LL

static struct e2_igraph *build_sliced(struct e2_plan_pgraph *pg, unsigned ka, unsigned kb,
                                      unsigned bits, unsigned slices)
{
    double r[3] = {RATE, RATE, RATE};
    struct e2_nf_size s[4] = {{.instances = 0},
                              {.instances = ka, .slices = slices},
                              {.instances = kb, .slices = slices},
                              {.instances = 0}};
    struct e2_igraph *ig = NULL;
    struct e2_err err = {0};
    if (e2_igraph_build(pg, r, s, bits, &ig, &err)) fail_msg("%s", err.msg);
    return ig;
}

static struct e2_igraph *build(struct e2_plan_pgraph *pg, unsigned ka, unsigned kb, unsigned bits)
{
    return build_sliced(pg, ka, kb, bits, 1);
}

static unsigned count_edges(const struct e2_igraph *ig, unsigned pedge, enum e2_dist dist)
{
    unsigned n = 0;
    for (size_t e = 0; e < ig->n_edges; e++)
        n += ig->edges[e].pedge == pedge && ig->edges[e].dist == dist;
    return n;
}

static double pedge_total(const struct e2_igraph *ig, unsigned pedge)
{
    double s = 0;
    for (size_t e = 0; e < ig->n_edges; e++)
        if (ig->edges[e].pedge == pedge) s += ig->edges[e].rate_bps;
    return s;
}

/* Instance @i of pGraph node @p. */
static unsigned inst(const struct e2_igraph *ig, unsigned p, unsigned i)
{
    return ig->members[p].v[i];
}

static const struct e2_iedge *edge_between(const struct e2_igraph *ig, unsigned s, unsigned d)
{
    for (size_t e = 0; e < ig->n_edges; e++)
        if (ig->edges[e].src == s && ig->edges[e].dst == d) return &ig->edges[e];
    return NULL;
}

static void affinity_implication_follows_the_two_rules(void **state)
{
    (void)state;
    struct e2_nf_desc b = {.affinity = E2_FIELDS_5TUPLE, .affinity_symmetric = false};
    struct e2_steering src = {E2_FIELD_SRC_IP, false, 0};
    struct e2_steering ips = {E2_FIELD_SRC_IP | E2_FIELD_DST_IP, true, 0};
    struct e2_steering t5 = {E2_FIELDS_5TUPLE, true, 0};
    assert_true(e2_steering_implies(&src, 0, &b));                /* subset of B's fields */
    assert_false(e2_steering_implies(&src, E2_FIELD_SRC_IP, &b)); /* upstream rewrote it */
    assert_true(e2_steering_implies(&src, E2_FIELD_TOS, &b));     /* other rewrites are harmless */
    b.affinity_symmetric = true;
    assert_false(e2_steering_implies(&src, 0, &b)); /* B needs both directions together */
    assert_true(e2_steering_implies(&ips, 0, &b));
    b.affinity = E2_FIELD_SRC_IP | E2_FIELD_DST_IP;
    assert_false(e2_steering_implies(&t5, 0, &b)); /* ports split B's flows */
    b.affinity = 0;
    assert_true(e2_steering_implies(&t5, 0, &b)); /* no affinity: anything goes */
    assert_true(e2_steering_implies(&t5, 0, NULL));
    assert_false(e2_steering_implies(&t5, E2_FIELD_DST_PORT, NULL));
}

static struct e2_plan_pgraph *incompatible(void)
{
    char a[512], b[512];
    return fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", T5, 0, "[]"),
                       nf_json(b, sizeof(b), "TB", "1G", "[\"src_ip\"]", 0, "[]"), RATE);
}

static void fig4b_single_a_hashes_evenly_to_every_b(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = incompatible();
    struct e2_igraph *ig = build(pg, 1, 3, 16);
    assert_int_equal(ig->steer[2].owner, 2); /* B hashes on its own fields */
    assert_int_equal(ig->steer[2].fields, E2_FIELD_SRC_IP);
    assert_int_equal(count_edges(ig, 1, E2_DIST_HASH), 3);
    uint64_t at = 0;
    for (unsigned j = 0; j < 3; j++) {
        const struct e2_iedge *e = edge_between(ig, inst(ig, 1, 0), inst(ig, 2, j));
        assert_non_null(e);
        assert_int_equal(e->range.lo, at); /* B's ranges, in order, tile the space */
        at = e->range.hi;
        assert_true(fabs(e->rate_bps - RATE / 3.0) < RATE / 64.0);
    }
    assert_int_equal(at, 1u << 16);
    assert_true(fabs(pedge_total(ig, 1) - RATE) < 1);
    assert_int_equal(count_edges(ig, 0, E2_DIST_SWITCH), 1); /* the port feeds A by switch rules */
    assert_int_equal(count_edges(ig, 2, E2_DIST_NONE), 3);   /* every B exits to the port */
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
}

static void fig4c_every_a_reclassifies_to_every_b(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = incompatible();
    struct e2_igraph *ig = build(pg, 2, 3, 16);
    assert_int_equal(count_edges(ig, 1, E2_DIST_HASH), 6);
    for (unsigned i = 0; i < 2; i++)
        for (unsigned j = 0; j < 3; j++) {
            const struct e2_iedge *e = edge_between(ig, inst(ig, 1, i), inst(ig, 2, j));
            assert_non_null(e);
            double want = RATE * (1.0 / 2) * ((double)(e->range.hi - e->range.lo) / 65536);
            assert_true(fabs(e->rate_bps - want) < 1);
        }
    assert_true(fabs(pedge_total(ig, 1) - RATE) < 1);
    assert_int_equal(count_edges(ig, 0, E2_DIST_SWITCH), 2);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
}

static void fig4d_compatible_affinity_connects_instances_directly(void **state)
{
    (void)state;
    char a[512], b[512];
    struct e2_plan_pgraph *pg = fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", "[\"src_ip\"]", 0, "[]"),
                                       nf_json(b, sizeof(b), "TB", "1G", T5, 0, "[]"), RATE);
    struct e2_igraph *ig = build(pg, 2, 2, 16);
    assert_int_equal(ig->steer[2].owner, 1); /* B adopts A's hash on src_ip */
    assert_int_equal(ig->steer[2].fields, E2_FIELD_SRC_IP);
    assert_int_equal(count_edges(ig, 1, E2_DIST_DIRECT), 2);
    assert_int_equal(count_edges(ig, 1, E2_DIST_HASH) + count_edges(ig, 1, E2_DIST_RANGE), 0);
    for (unsigned i = 0; i < 2; i++) {
        const struct e2_iedge *e = edge_between(ig, inst(ig, 1, i), inst(ig, 2, i));
        assert_non_null(e);
        assert_int_equal(e->range.lo, ig->nodes[inst(ig, 1, i)].range.lo);
        assert_int_equal(e->range.hi, ig->nodes[inst(ig, 2, i)].range.hi);
        assert_true(fabs(e->rate_bps - RATE / 2.0) < 1);
        assert_null(edge_between(ig, inst(ig, 1, i), inst(ig, 2, 1 - i)));
    }
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
}

static void same_hash_with_other_counts_sends_only_to_overlapping_ranges(void **state)
{
    (void)state;
    char a[512], b[512];
    struct e2_plan_pgraph *pg = fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", "[\"src_ip\"]", 0, "[]"),
                                       nf_json(b, sizeof(b), "TB", "1G", T5, 0, "[]"), RATE);
    struct e2_igraph *ig = build(pg, 2, 4, 16);
    assert_int_equal(count_edges(ig, 1, E2_DIST_RANGE), 4);
    assert_non_null(edge_between(ig, inst(ig, 1, 0), inst(ig, 2, 1)));
    assert_null(edge_between(ig, inst(ig, 1, 0), inst(ig, 2, 2)));
    assert_non_null(edge_between(ig, inst(ig, 1, 1), inst(ig, 2, 3)));
    assert_true(fabs(pedge_total(ig, 1) - RATE) < 1);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
}

static void sliced_ranges_leave_no_sliver_across_a_slice(void **state)
{
    (void)state;
    char a[512], b[512];
    struct e2_plan_pgraph *pg = fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", T5, 1, "[]"),
                                            nf_json(b, sizeof(b), "TB", "1G", T5, 1, "[]"), RATE);
    /* Even splits round 6 and 3 ranges to different grains: A#1 reaches past B#0 into B#1. */
    struct e2_igraph *ig = build(pg, 6, 3, 16);
    assert_non_null(edge_between(ig, inst(ig, 1, 1), inst(ig, 2, 1)));
    e2_igraph_free(ig);
    /* In 3 slices each A instance feeds only the B instance of its own slice. */
    ig = build_sliced(pg, 6, 3, 16, 3);
    assert_int_equal(count_edges(ig, 1, E2_DIST_RANGE), 6);
    for (unsigned i = 0; i < 6; i++)
        assert_non_null(edge_between(ig, inst(ig, 1, i), inst(ig, 2, i / 2)));
    assert_true(fabs(pedge_total(ig, 1) - RATE) < 1);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
}

static void no_shortcut_when_a_rewrites_or_symmetry_is_missing(void **state)
{
    (void)state;
    char a[512], b[512];
    /* A hashes on src_ip but rewrites it (a NAT): B must re-classify. */
    struct e2_plan_pgraph *pg = fig4_pgraph(
        nf_json(a, sizeof(a), "TA", "1G", "[\"src_ip\"]", 0, "[\"src_ip\",\"src_port\"]"),
        nf_json(b, sizeof(b), "TB", "1G", T5, 0, "[]"), RATE);
    struct e2_igraph *ig = build(pg, 2, 2, 16);
    assert_int_equal(ig->steer[2].owner, 2);
    assert_int_equal(count_edges(ig, 1, E2_DIST_HASH), 4);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    /* B keeps both directions of a flow together; A's src_ip hash does not. */
    pg = fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", "[\"src_ip\"]", 0, "[]"),
                     nf_json(b, sizeof(b), "TB", "1G", T5, 1, "[]"), RATE);
    ig = build(pg, 2, 2, 16);
    assert_int_equal(count_edges(ig, 1, E2_DIST_HASH), 4);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
}

static void paired_fields_hash_symmetrically_so_symmetric_nfs_adopt(void **state)
{
    (void)state;
    char a[512], b[512];
    /* A keeps flows by their 5-tuple in one direction; hashing it symmetrically keeps them
     * just as well, and B, which needs both directions together, can then adopt it. */
    struct e2_plan_pgraph *pg = fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", T5, 0, "[]"),
                                            nf_json(b, sizeof(b), "TB", "1G", T5, 1, "[]"), RATE);
    struct e2_igraph *ig = build(pg, 2, 2, 16);
    assert_true(ig->steer[1].symmetric);
    assert_int_equal(ig->steer[2].owner, 1);
    assert_int_equal(count_edges(ig, 1, E2_DIST_DIRECT), 2);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
}

static void adoption_is_transitive_along_a_compatible_chain(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = load_pgraph("chain5.json");
    double r[7];
    struct e2_nf_size s[8];
    struct e2_hw *hw = load_hw("hw-small.yaml");
    assert_int_equal(e2_rates_compute(pg, 1e9, r, NULL), 0);
    assert_int_equal(e2_plan_size(pg, r, hw, s, NULL), 0);
    struct e2_igraph *ig = NULL;
    assert_int_equal(e2_igraph_build(pg, r, s, 16, &ig, NULL), 0);
    int norm = e2_plan_pgraph_find(pg, "norm"), mon = e2_plan_pgraph_find(pg, "mon");
    int ids = e2_plan_pgraph_find(pg, "ids"), fw = e2_plan_pgraph_find(pg, "fw");
    int vpn = e2_plan_pgraph_find(pg, "vpn");
    assert_int_equal(ig->steer[mon].owner, norm); /* src_ip within mon's 5-tuple */
    assert_int_equal(ig->steer[ids].owner, ids);  /* ids is symmetric; src_ip is not */
    assert_int_equal(ig->steer[fw].owner, ids);   /* symmetric 5-tuple within fw's */
    assert_int_equal(ig->steer[vpn].owner, vpn);  /* ports would split vpn's ip pairs */
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void split_halves_the_range_and_conserves_every_rate(void **state)
{
    (void)state;
    char a[512], b[512];
    struct e2_plan_pgraph *pg =
        fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", "[\"src_ip\"]", 0, "[]"),
                    nf_json(b, sizeof(b), "TB", "1G", T5, 0, "[]"), RATE);
    struct e2_igraph *ig = build(pg, 2, 2, 16);
    unsigned a0 = inst(ig, 1, 0), b0 = inst(ig, 2, 0), neu;
    assert_int_equal(e2_igraph_split(ig, a0, &neu, NULL), 0);
    assert_int_equal(ig->nodes[neu].pnode, 1);
    assert_int_equal(ig->nodes[neu].index, 2);
    assert_int_equal(ig->nodes[a0].range.hi, 16384);
    assert_int_equal(ig->nodes[neu].range.lo, 16384);
    assert_int_equal(ig->nodes[neu].range.hi, 32768);
    /* A0 no longer matches B0's range: both halves reach B0 by range match. */
    const struct e2_iedge *lo = edge_between(ig, a0, b0), *hi = edge_between(ig, neu, b0);
    assert_non_null(lo);
    assert_non_null(hi);
    assert_int_equal(lo->dist, E2_DIST_RANGE);
    assert_int_equal(hi->range.lo, 16384);
    assert_true(fabs(hi->rate_bps - RATE / 4.0) < 1);
    assert_int_equal(count_edges(ig, 0, E2_DIST_SWITCH), 3); /* the switch now feeds three */
    for (unsigned p = 0; p < 3; p++) assert_true(fabs(pedge_total(ig, p) - RATE) < 1);
    /* Splitting a B hashes nothing new upstream but mirrors its exit. */
    assert_int_equal(e2_igraph_split(ig, inst(ig, 2, 1), &neu, NULL), 0);
    assert_non_null(edge_between(ig, neu, inst(ig, 3, 0)));
    for (unsigned p = 0; p < 3; p++) assert_true(fabs(pedge_total(ig, p) - RATE) < 1);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
}

static void refuses_what_cannot_be_split_or_built(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = incompatible();
    struct e2_igraph *ig = build(pg, 2, 1, 1); /* 1 bit: A's two instances own one ID each */
    unsigned neu;
    struct e2_err err = {0};
    assert_int_equal(e2_igraph_split(ig, inst(ig, 1, 0), &neu, &err), -ENOSPC);
    assert_string_equal(err.msg, "split: A#0 owns a single flow ID");
    assert_int_equal(e2_igraph_split(ig, inst(ig, 0, 0), &neu, &err), -EINVAL); /* a port */
    e2_igraph_free(ig);
    double r[3] = {1, 1, 1};
    struct e2_nf_size s[4] = {
        {.instances = 0}, {.instances = 3}, {.instances = 1}, {.instances = 0}};
    assert_int_equal(e2_igraph_build(pg, r, s, 1, &ig, &err), -EINVAL);
    assert_string_equal(err.msg, "the 3 instances of 'A' cannot split 2^1 flow IDs; use more "
                                 "flow-ID bits");
    assert_int_equal(e2_igraph_build(pg, r, s, 25, &ig, &err), -EINVAL);
    e2_plan_pgraph_free(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(affinity_implication_follows_the_two_rules),
        cmocka_unit_test(fig4b_single_a_hashes_evenly_to_every_b),
        cmocka_unit_test(fig4c_every_a_reclassifies_to_every_b),
        cmocka_unit_test(fig4d_compatible_affinity_connects_instances_directly),
        cmocka_unit_test(same_hash_with_other_counts_sends_only_to_overlapping_ranges),
        cmocka_unit_test(sliced_ranges_leave_no_sliver_across_a_slice),
        cmocka_unit_test(no_shortcut_when_a_rewrites_or_symmetry_is_missing),
        cmocka_unit_test(paired_fields_hash_symmetrically_so_symmetric_nfs_adopt),
        cmocka_unit_test(adoption_is_transitive_along_a_compatible_chain),
        cmocka_unit_test(split_halves_the_range_and_conserves_every_rate),
        cmocka_unit_test(refuses_what_cannot_be_split_or_built),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
