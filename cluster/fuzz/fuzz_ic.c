/*
 * libFuzzer target: the interconnection's input. Any bytes are read as JSON
 * {"plan": PLAN, "rack": RACK} (the manager's plan, the operator's rack) and
 * built with the example NF catalogue: every input gives a deployment or an
 * error with a message, never a crash or a leak.
 *
 * Longer run: build with clang (CC=clang cmake -DE2_FUZZ=ON ...) and
 *   ./fuzz_ic -max_total_time=3600 CORPUS_DIR cluster/fuzz/seeds/ic
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "e2_ic.h"

static struct e2_nf_catalog cat;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cat.n) {
        struct e2_err err;
        if (e2_nf_catalog_load_dir(E2_EXAMPLES "/nf", &cat, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            abort();
        }
    }
    json_error_t jerr;
    json_t *in = json_loadb((const char *)data, size, 0, &jerr);
    if (!in) return 0;
    json_t *deploy = NULL;
    struct e2_err err = {0};
    int rc =
        e2_ic_build(json_object_get(in, "plan"), &cat, json_object_get(in, "rack"), &deploy, &err);
    if (rc && !err.msg[0]) {
        fprintf(stderr, "an error without a message (%d)\n", rc);
        abort();
    }
    json_decref(deploy);
    json_decref(in);
    return 0;
}
