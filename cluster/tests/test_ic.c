/*
 * The interconnection, held to the policy: for the example policies (Fig. 14
 * with its legacy proxy and mangling NAT, Fig. 16 whose TOS filters the switch
 * cannot match, the branch office with a Tee, metadata attributes and port
 * attributes, and the planner's five-NF chain with hash, range and direct
 * edges) on racks where everything fits one server or must spread over
 * several, build the deployment; compile every server's e2d configuration
 * with e2d's own config compiler; then walk generated packets (points of
 * every edge filter's cubes, made into frames, and the policy tests' trace)
 * through the switch rules and the configurations, and through the pGraph,
 * and require the same NF instances in the same order and the same exit port
 * (or drop), every packet. Plus what the interconnection refuses, and why.
 * E2IC_PATHS=1 prints every path the policy gives (to see what was covered).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2_compile.h"
#include "e2_ic.h"
#include "e2_plan.h"
#include "walk.h"

struct scenario {
    json_t *pgraph, *plan, *rack, *deploy;
    struct e2_nf_catalog cat;
};

static void catalog_of(const json_t *pgraph, struct e2_nf_catalog *cat)
{
    const json_t *nodes = json_object_get(pgraph, "nodes");
    struct e2_err err = {0};
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        const json_t *nf = json_object_get(json_array_get(nodes, i), "nf");
        const char *type = json_string_value(json_object_get(nf, "nf_type"));
        if (!json_is_object(nf) || e2_nf_catalog_find(cat, type)) continue;
        struct e2_nf_desc *d = NULL;
        if (e2_nf_desc_from_json(nf, "pgraph", &d, &err)) fail_msg("%s", err.msg);
        if (!d->instantiate.command) d->instantiate.command = strdup("e2nf-test"); /* chain5 */
        if (e2_nf_catalog_add(cat, d, &err)) fail_msg("%s", err.msg);
    }
}

static json_t *compile(const char *policy, const char *nf_dir)
{
    struct e2_compiled c;
    struct e2_diags diags = {0};
    if (e2_policy_compile(policy, nf_dir, &c, &diags))
        fail_msg("%s: %s", policy, diags.n ? diags.msgs[diags.n - 1] : "cannot compile");
    e2_diags_free(&diags);
    json_t *j = e2_pgraph_to_json(c.g);
    e2_compiled_free(&c);
    return j;
}

static json_t *plan_of(const json_t *pgraph, const char *hw_path)
{
    struct e2_err err = {0};
    struct e2_hw *hw = NULL;
    struct e2_plan_pgraph *pg = NULL;
    struct e2_plan *p = NULL;
    struct e2_plan_opts o;
    e2_plan_opts_default(&o);
    if (e2_hw_load(hw_path, &hw, &err) || e2_plan_pgraph_from_json(pgraph, "test", &pg, &err) ||
        e2_plan_build(pg, hw, &o, &p, &err))
        fail_msg("plan: %s", err.msg);
    json_t *j = e2_plan_to_json(p);
    e2_plan_free(p);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
    return j;
}

static json_t *rack_of(const json_t *plan)
{
    json_t *servers = json_object();
    const json_t *sv = json_object_get(plan, "servers");
    for (size_t i = 0; i < json_array_size(sv); i++)
        json_object_set_new(
            servers, json_string_value(json_object_get(json_array_get(sv, i), "name")),
            json_pack("{so}", "mac", json_sprintf("02:e2:00:00:00:%02zx", 0x10 + i)));
    return json_pack("{sosI}", "servers", servers, "flow_id_bits", (json_int_t)16);
}

static void scenario(struct scenario *s, json_t *pgraph, const char *hw)
{
    memset(s, 0, sizeof(*s));
    s->pgraph = pgraph;
    s->plan = plan_of(pgraph, hw);
    s->rack = rack_of(s->plan);
    catalog_of(pgraph, &s->cat);
    struct e2_err err = {0};
    if (e2_ic_build(s->plan, &s->cat, s->rack, &s->deploy, &err))
        fail_msg("e2_ic_build: %s", err.msg);
}

static void scenario_free(struct scenario *s)
{
    json_decref(s->pgraph);
    json_decref(s->plan);
    json_decref(s->rack);
    json_decref(s->deploy);
    e2_nf_catalog_free(&s->cat);
}

/* ---- packets ---- */

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16), put16(p + 2, v);
}

static bool port_proto(uint64_t p)
{
    return p == 6 || p == 17 || p == 132;
}

/* A frame at point @pt (untagged: the switch's exact domain); 0 when none is made. */
static uint32_t frame_at(const uint64_t *pt, uint8_t *f)
{
    uint64_t eth = pt[E2_CD_ETH];
    if (eth == 0x8100 || eth == 0x88a8 || eth == 0x9100 || eth == 0x894F) return 0;
    memset(f, 0, 128);
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    memcpy(f, macs, 12);
    put16(f + 12, (uint32_t)eth);
    uint32_t src = pt[E2_CD_SRC] < E2_CUBE_NONE32 ? (uint32_t)pt[E2_CD_SRC] : 0x0a000001;
    uint32_t dst = pt[E2_CD_DST] < E2_CUBE_NONE32 ? (uint32_t)pt[E2_CD_DST] : 0x0a000002;
    uint64_t proto = pt[E2_CD_PROTO] < 256 ? pt[E2_CD_PROTO] : 6;
    bool ports = port_proto(proto) && pt[E2_CD_SPORT] && pt[E2_CD_DPORT];
    if (eth == 0x0800) {
        f[14] = 0x45;
        f[15] = pt[E2_CD_TOS] < 256 ? (uint8_t)pt[E2_CD_TOS] : 0;
        put16(f + 16, 46);
        if (port_proto(proto) && !ports) put16(f + 20, 100); /* a later fragment */
        f[22] = 64;
        f[23] = (uint8_t)proto;
        put32(f + 26, src);
        put32(f + 30, dst);
        if (ports)
            put16(f + 34, (uint32_t)pt[E2_CD_SPORT] - 1),
                put16(f + 36, (uint32_t)pt[E2_CD_DPORT] - 1);
        return 60;
    }
    if (eth == 0x86dd) {
        f[14] = 0x60;
        put16(f + 18, 8);
        f[20] = proto == 44 ? 59 : (uint8_t)proto;
        f[21] = 64;
        put32(f + 22, src);
        put32(f + 38, dst);
        if (port_proto(proto))
            put16(f + 54, (uint32_t)(pt[E2_CD_SPORT] ? pt[E2_CD_SPORT] - 1 : 7)),
                put16(f + 56, (uint32_t)(pt[E2_CD_DPORT] ? pt[E2_CD_DPORT] - 1 : 7));
        return 62;
    }
    if (eth == 0x0806 || eth == 0x8035) {
        static const uint8_t arp[8] = {0, 1, 8, 0, 6, 4, 0, 1};
        memcpy(f + 14, arp, 8);
        put32(f + 28, src);
        put32(f + 38, dst);
    }
    return 60;
}

static uint64_t pick(uint64_t lo, uint64_t hi)
{
    switch (rnd() % 3) {
    case 0: return lo;
    case 1: return hi;
    default: return lo + (hi - lo) / 2 + (hi > lo ? rnd() % (hi - lo) / 2 : 0);
    }
}

struct frames {
    uint8_t (*f)[128];
    uint32_t *len;
    size_t n;
};

static void add_frame(struct frames *fr, const uint8_t *f, uint32_t len)
{
    fr->f = realloc(fr->f, (fr->n + 1) * sizeof(*fr->f));
    fr->len = realloc(fr->len, (fr->n + 1) * sizeof(*fr->len));
    memcpy(fr->f[fr->n], f, len);
    fr->len[fr->n++] = len;
}

static int slot_dim(void *ctx, unsigned slot)
{
    (void)ctx;
    return slot < E2_CUBE_META ? (int)slot : -1;
}

static int scope_type(void *ctx, const char *type, const struct e2_nf_desc **out)
{
    *out = e2_nf_catalog_find(ctx, type);
    return *out ? 0 : -ENOENT;
}

static void add_value(struct walk_values *v, unsigned d, uint64_t x)
{
    for (size_t i = 0; i < v->n[d]; i++)
        if (v->v[d][i] == x) return;
    v->v[d] = realloc(v->v[d], (v->n[d] + 1) * sizeof(**v->v));
    v->v[d][v->n[d]++] = x;
}

/* Frames at points of every edge filter's cubes; the values they name, for rewrites. */
static void frames_of_filters(const struct scenario *s, struct frames *fr, struct walk_values *vals)
{
    struct e2_attr_table attrs = {0};
    struct e2_filter_scope scope = {.ctx = (void *)&s->cat, .nf_type = scope_type, .attrs = &attrs};
    const json_t *edges = json_object_get(s->pgraph, "edges");
    for (size_t i = 0; i < json_array_size(edges); i++) {
        const char *text = json_string_value(json_object_get(json_array_get(edges, i), "filter"));
        struct e2_filter *f = NULL;
        struct e2_filter_src src = {"t", 1, 1};
        struct e2_cubes c = {0};
        struct e2_cube_opts o = {.attrs = &attrs, .slot_dim = slot_dim};
        assert_int_equal(e2_filter_parse(text, strlen(text), &src, &scope, &f, NULL), 0);
        assert_int_equal(e2_filter_cubes(f, &o, &c, NULL), 0);
        for (size_t k = 0; k < c.n; k++) {
            for (unsigned d = E2_CD_SRC; d < E2_CD_META; d++)
                if (!e2_cube_dim_full(&c.v[k], d))
                    add_value(vals, d, c.v[k].lo[d]), add_value(vals, d, c.v[k].hi[d]);
            for (int rep = 0; rep < 6; rep++) {
                uint64_t pt[E2_CD_COUNT];
                for (unsigned d = 0; d < E2_CD_META; d++) pt[d] = pick(c.v[k].lo[d], c.v[k].hi[d]);
                uint8_t frame[128];
                uint32_t len = frame_at(pt, frame);
                if (len) add_frame(fr, frame, len);
            }
        }
        e2_cubes_free(&c);
        e2_filter_free(f);
    }
    e2_attr_table_free(&attrs);
}

/* The policy tests' synthetic trace: complete, untagged frames of the exact domain. */
static void frames_of_trace(struct frames *fr)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(E2_TESTDATA "/generated.pcap", errbuf);
    if (!p) fail_msg("%s", errbuf);
    struct pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        uint64_t pt[E2_CD_COUNT];
        if (h->caplen != h->len || h->len > 128 || e2_cube_point(d, h->len, pt)) continue;
        uint32_t eth = (uint32_t)d[12] << 8 | d[13];
        if (eth == 0x8100 || eth == 0x88a8 || eth == 0x9100) continue;
        add_frame(fr, d, h->len);
    }
    pcap_close(p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every frame, at one port of each port group: the deployment's paths == the policy's. */
static void walk_all(struct scenario *s, size_t min_frames)
{
    struct frames fr = {0};
    struct walk_values vals = {0};
    frames_of_filters(s, &fr, &vals);
    frames_of_trace(&fr);
    assert_true(fr.n >= min_frames);
    struct walk *w = walk_new(s->pgraph, s->plan, s->deploy, &s->cat, &vals);
    const json_t *nodes = json_object_get(s->pgraph, "nodes");
    size_t walks = 0, visits = 0, exits = 0;
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        const json_t *ports = json_object_get(json_array_get(nodes, i), "switch_ports");
        if (!json_array_size(ports)) continue;
        unsigned in_port =
            (unsigned)json_integer_value(json_array_get(ports, json_array_size(ports) - 1));
        for (size_t k = 0; k < fr.n; k++) {
            struct walk_paths got = {0}, want = {0};
            walk_deploy(w, fr.f[k], fr.len[k], in_port, k, &got);
            walk_oracle(w, fr.f[k], fr.len[k], in_port, k, &want);
            qsort(got.v, got.n, sizeof(*got.v), cmp_str);
            qsort(want.v, want.n, sizeof(*want.v), cmp_str);
            bool same = got.n == want.n;
            for (size_t j = 0; same && j < got.n; j++) same = !strcmp(got.v[j], want.v[j]);
            if (!same)
                fail_msg("frame %zu (%u bytes) at port %u: the deployment takes it [%s%s] but the "
                         "policy [%s%s]",
                         k, fr.len[k], in_port, got.n ? got.v[0] : "", got.n > 1 ? " ..." : "",
                         want.n ? want.v[0] : "", want.n > 1 ? " ..." : "");
            for (size_t j = 0; j < want.n && getenv("E2IC_PATHS"); j++)
                printf("    %s\n", want.v[j]);
            for (size_t j = 0; j < want.n; j++) {
                visits += strchr(want.v[j], '#') != NULL;
                exits += strstr(want.v[j], "exit:") != NULL;
            }
            walks++;
            walk_paths_free(&got);
            walk_paths_free(&want);
        }
    }
    printf("  %zu frames walked in %zu walks: %zu paths through NF instances, %zu leave the rack, "
           "%zu SPIs used\n",
           fr.n, walks, visits, exits, walk_spis_used(w));
    assert_true(visits >= 100);
    walk_free(w);
    for (unsigned d = 0; d < E2_CD_META; d++) free(vals.v[d]);
    free(fr.f);
    free(fr.len);
}

/* Every NF instance of the plan must be reached by some packet. */
static void every_instance_is_used(struct scenario *s)
{
    struct frames fr = {0};
    struct walk_values vals = {0};
    frames_of_filters(s, &fr, &vals);
    frames_of_trace(&fr);
    struct walk *w = walk_new(s->pgraph, s->plan, s->deploy, &s->cat, &vals);
    const json_t *servers = json_object_get(s->plan, "servers"),
                 *nodes = json_object_get(s->pgraph, "nodes");
    for (size_t sv = 0; sv < json_array_size(servers); sv++) {
        const json_t *insts = json_object_get(json_array_get(servers, sv), "instances");
        for (size_t i = 0; i < json_array_size(insts); i++) {
            const json_t *in = json_array_get(insts, i);
            if (!strcmp(json_string_value(json_object_get(in, "kind")), "tee")) continue;
            char needle[64];
            snprintf(needle, sizeof(needle), "%s:", json_string_value(json_object_get(in, "id")));
            bool seen = false;
            for (size_t n = 0; n < json_array_size(nodes) && !seen; n++) {
                const json_t *ports = json_object_get(json_array_get(nodes, n), "switch_ports");
                if (!json_array_size(ports)) continue;
                for (size_t k = 0; k < fr.n && !seen; k++) {
                    struct walk_paths got = {0};
                    walk_deploy(w, fr.f[k], fr.len[k],
                                (unsigned)json_integer_value(json_array_get(ports, 0)), k, &got);
                    for (size_t j = 0; j < got.n; j++) seen |= strstr(got.v[j], needle) != NULL;
                    walk_paths_free(&got);
                }
            }
            if (!seen) fail_msg("no packet reached %s", needle);
        }
    }
    walk_free(w);
    for (unsigned d = 0; d < E2_CD_META; d++) free(vals.v[d]);
    free(fr.f);
    free(fr.len);
}

/* ---- scenarios ---- */

static void fig14_on_one_server(void **state)
{
    (void)state;
    struct scenario s;
    scenario(&s, compile(E2_EXAMPLES "/fig14.e2", E2_EXAMPLES "/nf"), E2_EXAMPLES "/hw.yaml");
    walk_all(&s, 200);
    every_instance_is_used(&s);
    scenario_free(&s);
}

static void fig14_on_the_planner_rack(void **state)
{
    (void)state;
    struct scenario s;
    scenario(&s, compile(E2_EXAMPLES "/fig14.e2", E2_EXAMPLES "/nf"),
             E2_PLANNER_DATA "/hw-small.yaml");
    walk_all(&s, 200);
    scenario_free(&s);
}

static void fig14_split_across_servers(void **state)
{
    (void)state;
    struct scenario s;
    scenario(&s, compile(E2_EXAMPLES "/fig14.e2", E2_EXAMPLES "/nf"), E2_IC_DATA "/hw-split.yaml");
    size_t used = 0;
    const json_t *sv = json_object_get(s.plan, "servers");
    for (size_t i = 0; i < json_array_size(sv); i++)
        used += json_array_size(json_object_get(json_array_get(sv, i), "instances")) > 0;
    assert_true(used >= 2);
    walk_all(&s, 200);
    every_instance_is_used(&s);
    scenario_free(&s);
}

static void fig16_tos_goes_to_e2d(void **state)
{
    (void)state;
    struct scenario s;
    scenario(&s, compile(E2_EXAMPLES "/fig16.e2", E2_EXAMPLES "/nf"), E2_EXAMPLES "/hw.yaml");
    /* the switch cannot match TOS: port group int is classified by e2d */
    char *text = json_dumps(json_object_get(s.deploy, "spis"), 0);
    assert_non_null(strstr(text, "port node int, classified and split by e2d"));
    free(text);
    const json_t *e2d = json_object_get(json_object_get(s.deploy, "switch"), "e2d_distribution");
    assert_int_equal(json_array_size(e2d), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(e2d, 0), "port_node")),
                        "int");
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(e2d, 0), "reason")), "TOS"));
    walk_all(&s, 50);
    scenario_free(&s);
}

/* The example NF descriptions, with @name.yaml replaced by (or added as) @yaml. */
static char *nf_dir_with(const char *name, const char *yaml)
{
    char *dir = strdup("/tmp/e2ic-nf-XXXXXX");
    assert_non_null(mkdtemp(dir));
    static const char *const files[] = {"fw",          "ids",    "monitor", "nat", "normalizer",
                                        "ratelimiter", "shaper", "proxy",   "vpn"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char from[512], to[512];
        if (!strcmp(files[i], name)) continue;
        snprintf(from, sizeof(from), E2_EXAMPLES "/nf/%s.yaml", files[i]);
        snprintf(to, sizeof(to), "%s/%s.yaml", dir, files[i]);
        assert_int_equal(symlink(from, to), 0);
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    return dir;
}

/* branch.e2's VPN is too slow for one core at the annotated rate: a faster copy of it. */
static char *branch_nf_dir(void)
{
    return nf_dir_with(
        "vpn", "nf_type: VPN\napi: native\nports: {inputs: [in], outputs: [to_wan, to_lan]}\n"
               "attributes:\n  direction:\n    type: string\n    method: port\n"
               "    ports: {encrypt: to_wan, decrypt: to_lan}\n"
               "performance: {throughput_per_core_per_ghz: 4 Gbit/s}\n"
               "rewrites: [src_ip, dst_ip, proto, src_port, dst_port, tos, payload]\n"
               "instantiate: {command: e2nf-vpn, args: [-c, /etc/e2/vpn.conf]}\n");
}

static void remove_dir(char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void branch_office_tee_metadata_and_port_attributes(void **state)
{
    (void)state;
    char *dir = branch_nf_dir();
    struct scenario s;
    scenario(&s, compile(E2_EXAMPLES "/branch.e2", dir), E2_EXAMPLES "/hw.yaml");
    const json_t *tags =
        json_object_get(json_object_get(json_object_get(s.deploy, "servers"), "s3"), "tags");
    assert_non_null(json_object_get(tags, "IDS.verdict"));
    assert_non_null(json_object_get(tags, E2_IC_CLASS_TAG));
    walk_all(&s, 200);
    every_instance_is_used(&s);
    scenario_free(&s);
    remove_dir(dir);
}

static void root_edges_with_different_hashes(void **state)
{
    (void)state;
    char *dir = nf_dir_with("lb", "nf_type: Lb\napi: native\n"
                                  "scaling: {across_cores: true, across_servers: true}\n"
                                  "affinity: {fields: [src_ip, dst_port]}\n"
                                  "performance: {throughput_per_core_per_ghz: 2 Gbit/s}\n"
                                  "instantiate: {command: e2nf-lb}\n");
    struct scenario s;
    scenario(&s, compile(E2_IC_DATA "/mixed.e2", dir), E2_PLANNER_DATA "/hw-small.yaml");
    const json_t *rules = json_object_get(json_object_get(s.deploy, "switch"), "rules");
    size_t hashes[2] = {0}; /* nw_src, symmetric_l3l4+udp in table 0 */
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *a = json_object_get(
            json_array_get(json_object_get(json_array_get(rules, i), "actions"), 0), "flow_hash");
        const char *h = json_string_value(json_object_get(a, "hash"));
        if (h) hashes[!strcmp(h, "symmetric_l3l4+udp")]++;
    }
    assert_true(hashes[0] > 0 && hashes[1] > 0);
    const json_t *e2d = json_object_get(json_object_get(s.deploy, "switch"), "e2d_distribution");
    assert_int_equal(json_array_size(e2d), 1);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(e2d, 0), "reason")), "hash"));
    walk_all(&s, 200);
    every_instance_is_used(&s);
    scenario_free(&s);
    remove_dir(dir);
}

static void chain5_hash_range_and_direct_edges(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *pg = json_load_file(E2_PLANNER_DATA "/chain5.json", 0, &jerr);
    assert_non_null(pg);
    struct scenario s;
    scenario(&s, pg, E2_PLANNER_DATA "/hw-small.yaml");
    walk_all(&s, 100);
    every_instance_is_used(&s);
    scenario_free(&s);
}

/* ---- what the deployment says, and what it refuses ---- */

static void switch_rules_and_spis_follow_the_contracts(void **state)
{
    (void)state;
    struct scenario s;
    scenario(&s, compile(E2_EXAMPLES "/fig14.e2", E2_EXAMPLES "/nf"), E2_IC_DATA "/hw-split.yaml");
    assert_string_equal(json_string_value(json_object_get(s.deploy, "format")), E2_IC_FORMAT);
    const json_t *rules = json_object_get(json_object_get(s.deploy, "switch"), "rules");
    size_t drops = 0, egress = 0, servers = 0;
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i), *m = json_object_get(r, "match");
        assert_true(json_integer_value(json_object_get(r, "cookie")) > 0);
        drops +=
            json_object_size(m) == 0 && json_integer_value(json_object_get(r, "priority")) == 0;
        egress += json_integer_value(json_object_get(m, "nsh_spi")) >= E2_SPI_EGRESS_BASE;
        servers += json_object_get(m, "eth_dst") != NULL;
    }
    assert_int_equal(drops, 2);  /* the lowest-priority drop of each table */
    assert_int_equal(egress, 2); /* int and ext */
    assert_int_equal(servers, 3);
    const char *spi;
    json_t *what;
    json_object_foreach(json_object_get(s.deploy, "spis"), spi, what)
    {
        unsigned long v = strtoul(spi, NULL, 10);
        assert_true(v >= 1 &&
                    (v <= E2_SPI_EDGE_MAX || (v >= E2_SPI_DISTRIB_BASE && v < E2_SPI_EGRESS_BASE) ||
                     v >= E2_SPI_EGRESS_BASE));
    }
    /* NF processes: on the planned cores; native ones attach by their e2d name */
    const json_t *nfs =
        json_object_get(json_object_get(json_object_get(s.deploy, "servers"), "b"), "nfs");
    assert_int_equal(json_array_size(nfs), 2);
    const json_t *nat = json_array_get(nfs, 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(nat, "argv"), 0)),
                        "e2nf-nat");
    assert_string_equal(json_string_value(json_array_get(json_object_get(nat, "argv"), 2)), "n_0");
    const json_t *px = json_array_get(
        json_object_get(json_object_get(json_object_get(s.deploy, "servers"), "a"), "nfs"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(px, "legacy"), "netns")),
                        "e2nf-p_0");
    assert_string_equal(json_string_value(json_array_get(json_object_get(px, "argv"), 2)), "p_0");
    scenario_free(&s);
}

static void bad_racks_and_impossible_names_are_refused(void **state)
{
    (void)state;
    struct scenario s;
    scenario(&s, compile(E2_EXAMPLES "/fig14.e2", E2_EXAMPLES "/nf"), E2_EXAMPLES "/hw.yaml");
    struct e2_err err = {0};
    json_t *d = NULL;
    json_t *rack = json_pack("{s{s{ss}}}", "servers", "s1", "mac", "02:e2:00:00:00:01");
    assert_int_equal(e2_ic_build(s.plan, &s.cat, rack, &d, &err), -EINVAL);
    assert_string_equal(err.msg, "rack.servers.s2: missing (its MAC)");
    json_decref(rack);
    rack = json_deep_copy(s.rack);
    json_object_set_new(json_object_get(json_object_get(rack, "servers"), "s3"), "mac",
                        json_string("nope"));
    assert_int_equal(e2_ic_build(s.plan, &s.cat, rack, &d, &err), -EINVAL);
    assert_string_equal(err.msg, "rack.servers.s3.mac: expected a MAC address");
    json_object_set_new(json_object_get(json_object_get(rack, "servers"), "s3"), "mac",
                        json_string("02:e2:00:00:00:12"));
    json_object_set_new(rack, "legacy_prefix", json_string("toolong"));
    assert_int_equal(e2_ic_build(s.plan, &s.cat, rack, &d, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "legacy NF instance name \"toolongp_0\" is longer than 8"));
    json_decref(rack);
    json_t *plan = json_deep_copy(s.plan);
    json_object_set_new(plan, "format", json_string("e2-plan/0"));
    assert_int_equal(e2_ic_build(plan, &s.cat, s.rack, &d, &err), -EINVAL);
    assert_null(d);
    json_decref(plan);
    scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fig14_on_one_server),
        cmocka_unit_test(fig14_on_the_planner_rack),
        cmocka_unit_test(fig14_split_across_servers),
        cmocka_unit_test(fig16_tos_goes_to_e2d),
        cmocka_unit_test(branch_office_tee_metadata_and_port_attributes),
        cmocka_unit_test(root_edges_with_different_hashes),
        cmocka_unit_test(chain5_hash_range_and_direct_edges),
        cmocka_unit_test(switch_rules_and_spis_follow_the_contracts),
        cmocka_unit_test(bad_racks_and_impossible_names_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
