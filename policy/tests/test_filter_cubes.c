/*
 * Filters as cubes, held to the filter's own verdict: every expression of
 * data/filters.txt (and the generated combinations) that converts must give,
 * on every packet of every trace in the exact domain, "some cube matches" ==
 * e2_filter_eval(); its cubes must be pairwise disjoint. Attribute filters are
 * checked the same way over random attribute values. First-match lists built
 * from the cubes of a filter and of its complement must send every packet to
 * the right label under a target that widens what it cannot write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_cubes.h"
#include "traces.h"

static struct e2_nf_catalog cat;

static bool disjoint(const struct e2_cube *a, const struct e2_cube *b)
{
    struct e2_cube x;
    return !e2_cube_intersect(a, b, &x);
}

static void assert_disjoint(const char *expr, const struct e2_cubes *c)
{
    for (size_t i = 0; i < c->n; i++)
        for (size_t j = i + 1; j < c->n; j++)
            if (!disjoint(&c->v[i], &c->v[j]))
                fail_msg("\"%s\": cubes %zu and %zu overlap", expr, i, j);
}

static struct e2_filter *parse(const char *text, const struct e2_filter_scope *scope)
{
    struct e2_filter *f = NULL;
    struct e2_err err = {0};
    struct e2_filter_src src = {"expr", 1, 1};
    if (e2_filter_parse(text, strlen(text), &src, scope, &f, &err))
        fail_msg("cannot parse \"%s\": %s", text, err.msg);
    return f;
}

static void header_filters_agree_with_the_evaluator(void **state)
{
    (void)state;
    size_t converted = 0, refused = 0, checks = 0, outside = 0, cubes = 0;
    for (size_t i = 0; i < exprs.n; i++) {
        struct e2_filter *f = parse(exprs.v[i], NULL);
        struct e2_cubes c = {0};
        struct e2_err err = {0};
        int rc = e2_filter_cubes(f, NULL, &c, &err);
        if (rc == -ENOTSUP) {
            assert_non_null(strstr(err.msg, "cannot be exact"));
            refused++;
            e2_filter_free(f);
            continue;
        }
        if (rc) fail_msg("\"%s\": %s", exprs.v[i], err.msg);
        converted++;
        cubes += c.n;
        assert_disjoint(exprs.v[i], &c);
        for (size_t k = 0; k < traces.n; k++) {
            const struct trace_packet *pk = &traces.p[k];
            uint64_t pt[E2_CD_COUNT];
            if (pk->h.caplen != pk->h.len || e2_cube_point(pk->data, pk->h.len, pt)) {
                outside++;
                continue;
            }
            bool want = e2_filter_eval(f, pk->data, pk->h.len, pk->h.len, NULL);
            bool got = e2_cubes_find(&c, pt) >= 0;
            checks++;
            if (want != got)
                fail_msg("\"%s\" packet %zu (len %u): filter %d, cubes %d", exprs.v[i], k + 1,
                         pk->h.len, want, got);
        }
        e2_cubes_free(&c);
        e2_filter_free(f);
    }
    printf("cubes: %zu expressions converted (%zu cubes), %zu refused; %zu verdicts compared, "
           "%zu packet visits outside the exact domain\n",
           converted, cubes, refused, checks, outside);
    assert_true(converted >= 180); /* the rest use vlan, MACs, byte offsets, IPv6 hosts... */
    assert_true(checks >= 300 * 1000);
}

static void refusals_say_why(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"vlan 100", "'vlan'"},
        {"ether host 00:11:22:33:44:55", "MAC address"},
        {"ip6 host ::1", "IPv6 address"},
        {"len > 100", "byte-offset"},
        {"greater 100", "frame length"},
        {"tcp[13] & 2 != 0", "byte-offset"},
        {"net 10.0.0.0 mask 255.0.255.0", "netmask"},
        {"ether broadcast", "broadcast"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct e2_filter *f = parse(cases[i][0], NULL);
        struct e2_cubes c = {0};
        struct e2_err err = {0};
        assert_int_equal(e2_filter_cubes(f, NULL, &c, &err), -ENOTSUP);
        if (!strstr(err.msg, cases[i][1]))
            fail_msg("\"%s\": \"%s\" does not mention %s", cases[i][0], err.msg, cases[i][1]);
        e2_cubes_free(&c);
        e2_filter_free(f);
    }
}

static void the_bound_is_an_error_that_says_so(void **state)
{
    (void)state;
    struct e2_filter *f = parse("not (src net 10.1.2.0/24 or dst net 10.7.0.0/16) and not "
                                "(src portrange 1000-2000 or dst port 99)",
                                NULL);
    struct e2_cubes c = {0};
    struct e2_err err = {0};
    struct e2_cube_opts o = {.max = 8};
    assert_int_equal(e2_filter_cubes(f, &o, &c, &err), -E2BIG);
    assert_non_null(strstr(err.msg, "more than 8 cubes"));
    e2_cubes_free(&c);
    o.max = 0;
    assert_int_equal(e2_filter_cubes(f, &o, &c, &err), 0);
    assert_true(c.n > 8);
    e2_cubes_free(&c);
    e2_filter_free(f);
}

static void a_cube_prints_its_ranges(void **state)
{
    (void)state;
    struct e2_filter *f = parse("ip dst net 10.12.30.0/24 and tcp dst port 80", NULL);
    struct e2_cubes c = {0};
    assert_int_equal(e2_filter_cubes(f, NULL, &c, NULL), 0);
    assert_int_equal(c.n, 1);
    char buf[256];
    e2_cube_print(&c.v[0], buf, sizeof(buf));
    assert_string_equal(buf, "eth_type=0x800 proto=6 dst=10.12.30.0-10.12.30.255 dport=80");
    e2_cubes_free(&c);
    e2_filter_free(f);
}

/* ---- attributes ---- */

struct scope {
    struct e2_attr_table attrs;
};

static int scope_type(void *ctx, const char *type, const struct e2_nf_desc **out)
{
    (void)ctx;
    *out = e2_nf_catalog_find(&cat, type);
    return *out ? 0 : -ENOENT;
}

static int slot_dim(void *ctx, unsigned slot)
{
    (void)ctx;
    return (int)slot;
}

/* Attribute values for one packet: tag[s] (E2_CUBE_NONE32: not set). */
struct env {
    const struct e2_attr_table *attrs;
    uint64_t tag[E2_CUBE_META];
};

static int env_attr(void *ctx, unsigned slot, struct e2_attr_val *out)
{
    const struct env *e = ctx;
    if (e->tag[slot] == E2_CUBE_NONE32) return -ENOENT;
    out->num = (int64_t)e->tag[slot];
    const struct e2_nf_attr *a = e->attrs->slots[slot].attr;
    out->str = a->type == E2_ATTR_STRING ? a->values[e->tag[slot]].text : NULL;
    return 0;
}

static uint64_t random_tag(const struct e2_nf_attr *a, uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    uint32_t r = *x >> 8;
    if (r % 5 == 0) return E2_CUBE_NONE32;
    if (a->type == E2_ATTR_STRING) return r % a->n_values;
    if (a->type == E2_ATTR_BOOL) return r % 3; /* 2 is true as well */
    return r % 6;
}

static void attribute_filters_agree_over_random_values(void **state)
{
    (void)state;
    static const char *const attr_exprs[] = {
        "IDS.verdict >= 2",
        "IDS.verdict < 2 and tcp dst port 80",
        "not (IDS.verdict == 1) or IDS.safe",
        "IDS.verdict != 3 and not IDS.safe and udp",
        "Monitor.app == \"dns\" or (Monitor.app != \"http\" and ip)",
        "FW.safe and not ip dst net 131.114.88.92/30",
        "not FW.safe or (IDS.verdict > 0 and IDS.verdict <= 2)",
        "VPN.direction == \"encrypt\" and not (IDS.verdict < 1)",
    };
    struct scope sc = {0};
    struct e2_filter_scope scope = {.ctx = &sc, .nf_type = scope_type, .attrs = &sc.attrs};
    size_t checks = 0;
    for (size_t i = 0; i < sizeof(attr_exprs) / sizeof(attr_exprs[0]); i++) {
        struct e2_filter *f = parse(attr_exprs[i], &scope);
        struct e2_cubes c = {0};
        struct e2_err err = {0};
        struct e2_cube_opts o = {.attrs = &sc.attrs, .slot_dim = slot_dim};
        if (e2_filter_cubes(f, &o, &c, &err)) fail_msg("\"%s\": %s", attr_exprs[i], err.msg);
        assert_disjoint(attr_exprs[i], &c);
        uint32_t x = (uint32_t)i;
        for (size_t k = 0; k < traces.n; k++) {
            const struct trace_packet *pk = &traces.p[k];
            uint64_t pt[E2_CD_COUNT];
            if (pk->h.caplen != pk->h.len || e2_cube_point(pk->data, pk->h.len, pt)) continue;
            struct env e = {.attrs = &sc.attrs};
            for (unsigned s = 0; s < E2_CUBE_META; s++)
                e.tag[s] = s < sc.attrs.n ? random_tag(sc.attrs.slots[s].attr, &x) : E2_CUBE_NONE32;
            for (unsigned s = 0; s < E2_CUBE_META; s++) pt[E2_CD_META + s] = e.tag[s];
            struct e2_filter_env fe = {.ctx = &e, .attr = env_attr};
            bool want = e2_filter_eval(f, pk->data, pk->h.len, pk->h.len, &fe);
            bool got = e2_cubes_find(&c, pt) >= 0;
            checks++;
            if (want != got)
                fail_msg("\"%s\" packet %zu: filter %d, cubes %d", attr_exprs[i], k + 1, want, got);
        }
        e2_cubes_free(&c);
        e2_filter_free(f);
    }
    e2_attr_table_free(&sc.attrs);
    assert_true(checks >= 8 * 1000);
}

static void an_open_string_domain_is_refused(void **state)
{
    (void)state;
    struct scope sc = {0};
    struct e2_filter_scope scope = {.ctx = &sc, .nf_type = scope_type, .attrs = &sc.attrs};
    struct e2_filter *f = parse("Monitor.url == \"example.com/login\"", &scope);
    struct e2_cubes c = {0};
    struct e2_err err = {0};
    struct e2_cube_opts o = {.attrs = &sc.attrs, .slot_dim = slot_dim};
    assert_int_equal(e2_filter_cubes(f, &o, &c, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "open domain"));
    e2_filter_free(f);
    e2_attr_table_free(&sc.attrs);
}

/* ---- first-match lists ---- */

/* A toy target: ports must exclude "no ports", addresses must be prefixes. */
static void toy_relax(void *ctx, const struct e2_cube *c, struct e2_cube *m)
{
    (void)ctx;
    *m = *c;
    for (unsigned d = E2_CD_SPORT; d <= E2_CD_DPORT; d++)
        if (m->lo[d] == 0) m->hi[d] = e2_cube_dim_max(d);
    for (unsigned d = E2_CD_SRC; d <= E2_CD_DST; d++)
        if (!e2_cube_is_prefix(m->lo[d], m->hi[d])) e2_cube_widen(m, d);
}

static int toy_split(void *ctx, const struct e2_cube *c, struct e2_cubes *out, struct e2_err *err)
{
    (void)ctx;
    for (unsigned d = E2_CD_SRC; d <= E2_CD_DST; d++) {
        if (!e2_cube_is_prefix(c->lo[d], c->hi[d])) return e2_cubes_add_prefixes(out, c, d);
    }
    return e2_err_set(err, ENOTSUP, "the toy target cannot split %s", "ports");
}

static void first_match_lists_send_every_packet_to_its_label(void **state)
{
    (void)state;
    static const char *const pairs[] = {
        "not dst port 80",
        "tcp dst port 80 or udp",
        "not ip dst net 10.12.30.0/24 and src port 80",
        "dst net 192.168.0.0/16 or (tcp and not src portrange 1-1023)",
    };
    struct e2_cube_target t = {.relax = toy_relax, .split = toy_split};
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        struct e2_filter *f = parse(pairs[i], NULL);
        struct e2_cubes yes = {0}, no = {0};
        assert_int_equal(e2_filter_cubes(f, NULL, &yes, NULL), 0);
        assert_int_equal(e2_cubes_not(&yes, &no), 0);
        size_t n = yes.n + no.n;
        struct e2_cube_rule *in = calloc(n, sizeof(*in)), *out = NULL;
        for (size_t k = 0; k < n; k++) {
            in[k].cube = k < yes.n ? yes.v[k] : no.v[k - yes.n];
            in[k].label = k < yes.n;
        }
        size_t n_out = 0;
        struct e2_err err = {0};
        if (e2_cubes_order(in, n, &t, 0, &out, &n_out, &err))
            fail_msg("\"%s\": %s", pairs[i], err.msg);
        for (size_t k = 0; k < traces.n; k++) {
            const struct trace_packet *pk = &traces.p[k];
            uint64_t pt[E2_CD_COUNT];
            if (pk->h.caplen != pk->h.len || e2_cube_point(pk->data, pk->h.len, pt)) continue;
            int want = e2_filter_eval(f, pk->data, pk->h.len, pk->h.len, NULL), got = -1;
            for (size_t r = 0; r < n_out && got < 0; r++)
                if (e2_cube_contains(&out[r].match, pt)) got = out[r].label;
            if (want != got)
                fail_msg("\"%s\" packet %zu: label %d, first rule %d", pairs[i], k + 1, want, got);
        }
        free(in);
        free(out);
        e2_cubes_free(&yes);
        e2_cubes_free(&no);
        e2_filter_free(f);
    }
}

/* A target that writes only "everything" and cannot split. */
static void blunt_relax(void *ctx, const struct e2_cube *c, struct e2_cube *m)
{
    (void)ctx;
    (void)c;
    e2_cube_full(m);
}

static int blunt_split(void *ctx, const struct e2_cube *c, struct e2_cubes *out, struct e2_err *err)
{
    (void)ctx;
    (void)c;
    (void)out;
    return e2_err_set(err, ENOTSUP, "the blunt target cannot split");
}

static void unwritable_shadows_are_refused(void **state)
{
    (void)state;
    struct e2_filter *f = parse("tcp", NULL);
    struct e2_cubes yes = {0}, no = {0};
    assert_int_equal(e2_filter_cubes(f, NULL, &yes, NULL), 0);
    assert_int_equal(e2_cubes_not(&yes, &no), 0);
    struct e2_cube_rule in[64];
    size_t n = 0;
    for (size_t k = 0; k < yes.n; k++) in[n].cube = yes.v[k], in[n++].label = 1;
    for (size_t k = 0; k < no.n; k++) in[n].cube = no.v[k], in[n++].label = 0;
    struct e2_cube_target t = {.relax = blunt_relax, .split = blunt_split};
    struct e2_cube_rule *out = NULL;
    size_t n_out = 0;
    struct e2_err err = {0};
    assert_int_equal(e2_cubes_order(in, n, &t, 0, &out, &n_out, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "no first-match order: the blunt target cannot split"));
    /* One label: every rule may match everything, so the first is all it takes. */
    for (size_t k = 0; k < n; k++) in[k].label = 1;
    assert_int_equal(e2_cubes_order(in, n, &t, 0, &out, &n_out, &err), 0);
    assert_true(n > 1);
    assert_int_equal(n_out, 1);
    free(out);
    e2_cubes_free(&yes);
    e2_cubes_free(&no);
    e2_filter_free(f);
}

static int setup(void **state)
{
    struct e2_err err = {0};
    if (e2_nf_catalog_load_dir(E2_EXAMPLES "/nf", &cat, &err)) fail_msg("%s", err.msg);
    return corpus_setup(state);
}

static int teardown(void **state)
{
    e2_nf_catalog_free(&cat);
    return corpus_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_filters_agree_with_the_evaluator),
        cmocka_unit_test(refusals_say_why),
        cmocka_unit_test(the_bound_is_an_error_that_says_so),
        cmocka_unit_test(a_cube_prints_its_ranges),
        cmocka_unit_test(attribute_filters_agree_over_random_values),
        cmocka_unit_test(an_open_string_domain_is_refused),
        cmocka_unit_test(first_match_lists_send_every_packet_to_its_label),
        cmocka_unit_test(unwritable_shadows_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
