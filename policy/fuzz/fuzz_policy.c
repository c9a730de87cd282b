/*
 * libFuzzer target: the policy front door. Any bytes go through parse,
 * resolution against a fixed NF catalog, merge, the exact check (with a
 * small work budget) and JSON/DOT output. Bad input must come back as an
 * error, never a crash, leak or hang.
 *
 * Longer run: build with clang (CC=clang cmake -DE2_SANITIZE=ON ...) and
 *   ./fuzz_policy -max_total_time=3600 CORPUS_DIR policy/fuzz/seeds/policy
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2_pgraph.h"

static const char *const descriptions[] = {
    "nf_type: FW\napi: native\nports: {outputs: [safe, unsafe]}\nattributes:\n"
    "  safe: {type: bool, method: port, ports: {true: safe, false: unsafe}}\n",
    "nf_type: NAT\napi: native\nrewrites: [src_ip, src_port]\n",
    "nf_type: Proxy\napi: legacy\n",
    "nf_type: IDS\napi: native\nattributes:\n  verdict: {type: int, method: metadata, values: [0, "
    "1, 2, 3]}\n"
    "  score: {type: int, method: metadata, range: [-10, 1000]}\n",
    "nf_type: Monitor\napi: native\nattributes:\n  url: {type: string, method: metadata}\n"
    "  app: {type: string, method: metadata, values: [http, dns]}\n",
    "nf_type: RateLimiter\napi: legacy\nports: {inputs: [vp0, vp1]}\n"
    "placeholders: {prio0: {port: vp0}, prio1: {port: vp1}}\n",
};

static struct e2_nf_catalog cat;

static void load_catalog(void)
{
    for (size_t i = 0; i < sizeof(descriptions) / sizeof(descriptions[0]); i++) {
        struct e2_nf_desc *d;
        struct e2_err err;
        if (e2_nf_desc_parse(descriptions[i], strlen(descriptions[i]), "fuzz.yaml", &d, &err) ||
            e2_nf_catalog_add(&cat, d, &err))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cat.n) load_catalog();
    struct e2_policy *pol = NULL;
    struct e2_pgraph *g = NULL;
    struct e2_err err;
    if (memchr(data, 0, size) || e2_policy_parse((const char *)data, size, "fuzz.e2", &pol, &err))
        return 0;
    if (!e2_pgraph_build(pol, &cat, &g, &err)) {
        struct e2_diags diags = {0};
        g->check_steps = 200000;
        if (e2_pgraph_check(g, &diags) == 0) {
            json_decref(e2_pgraph_to_json(g));
            free(e2_pgraph_to_dot(g));
        }
        e2_diags_free(&diags);
        e2_pgraph_free(g);
    }
    e2_policy_free(pol);
    return 0;
}
