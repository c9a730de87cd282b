/*
 * Fuzz the config language: any text must compile to requests or fail with
 * a located message — never crash, leak or hang. The arguments it produces
 * are also fed to the declarative argument parser.
 *
 *   CC=clang cmake -S . -B build-fuzz -DE2_FUZZ=ON && cmake --build build-fuzz --target fuzz
 *   mkdir -p /tmp/corpus && build-fuzz/e2d/fuzz_conf -max_total_time=600 /tmp/corpus e2d/fuzz/seeds/conf
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "e2_args.h"

struct any_args {
    uint32_t size;
    char name[16];
    bool flag;
    int mode;
    uint8_t mac[6];
    json_t *rest;
};

static const char *const modes[] = {"a", "b", NULL};
static const struct e2_arg spec[] = {
    E2_ARG_U32(struct any_args, size, "1", 1, 1000, "a bounded number"),
    E2_ARG_STR(struct any_args, name, "\"x\"", "a short string"),
    E2_ARG_BOOL(struct any_args, flag, "false", "a flag"),
    E2_ARG_ENUM(struct any_args, mode, "\"a\"", modes, "a choice"),
    E2_ARG_MAC(struct any_args, mac, "\"00:00:00:00:00:01\"", "a MAC"),
    E2_ARG_JSON(struct any_args, rest, "null", "anything"),
    E2_ARG_END,
};

static void parse_each(const json_t *ops)
{
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        const json_t *args = json_object_get(op, "args");
        if (!args) continue;
        struct any_args a;
        struct e2_err err;
        if (e2_args_parse(spec, args, &a, &err) == 0) e2_args_release(spec, &a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct e2_err err;
    json_t *ops = NULL;
    if (e2_conf_compile(text, "fuzz.conf", &ops, &err) == 0) {
        parse_each(ops);
        json_decref(ops);
    }
    json_t *obj = NULL;
    if (e2_conf_parse_args(text, &obj, &err) == 0) json_decref(obj);
    free(text);
    return 0;
}
