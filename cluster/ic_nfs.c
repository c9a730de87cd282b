/*
 * The NF processes of a server: what its agent starts, from each NF type's
 * `instantiate` (docs/descriptors.md). A native NF gets
 *     COMMAND -n NAME --cpu CORE ARGS...
 * (libe2nf's app options; the agent adds E2D_SOCKET to the environment); a
 * legacy NF gets COMMAND ARGS... and a "legacy" block naming what the
 * command must create (scripts/legacy-nf.sh's convention): namespace
 * e2nf-NAME with veths NAME-i/NAME-o, "in" with the given MAC. In ARGS,
 * {name}, {instance}, {core}, {mac} and {gw_mac} (the server's NIC MAC,
 * e2d's address for a routed legacy NF) are replaced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic_int.h"

static json_t *strings(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

/* @arg with {name}, {instance}, {core}, {mac}, {gw_mac} replaced. */
static json_t *substitute(const struct ic *ic, const struct ic_inst *in, const char *arg)
{
    char core[16];
    snprintf(core, sizeof(core), "%ld", in->core);
    const char *keys[][2] = {{"{name}", in->name},
                             {"{instance}", in->id},
                             {"{core}", core},
                             {"{mac}", in->mac},
                             {"{gw_mac}", ic->servers[in->server].mac}};
    struct e2_strbuf b = {0};
    while (*arg) {
        size_t k = 0, n = sizeof(keys) / sizeof(keys[0]);
        while (k < n && strncmp(arg, keys[k][0], strlen(keys[k][0]))) k++;
        if (k < n) {
            e2_strbuf_addf(&b, "%s", keys[k][1]);
            arg += strlen(keys[k][0]);
        } else {
            e2_strbuf_addf(&b, "%c", *arg++);
        }
    }
    json_t *s = json_string(b.s ? b.s : "");
    free(b.s);
    return s;
}

static json_t *argv_of(const struct ic *ic, const struct ic_inst *in)
{
    const struct e2_nf_instantiate *inst = &in->desc->instantiate;
    json_t *a = json_array();
    json_array_append_new(a, json_string(inst->command));
    if (in->desc->api == E2_NF_NATIVE) {
        json_array_append_new(a, json_string("-n"));
        json_array_append_new(a, json_string(in->name));
        json_array_append_new(a, json_string("--cpu"));
        json_array_append_new(a, json_sprintf("%ld", in->core));
    }
    for (size_t i = 0; i < inst->n_args; i++)
        json_array_append_new(a, substitute(ic, in, inst->args[i]));
    return a;
}

static json_t *env_of(const struct e2_nf_desc *d)
{
    json_t *o = json_object();
    for (size_t i = 0; i < d->instantiate.n_env; i++) {
        const char *kv = d->instantiate.env[i], *eq = strchr(kv, '=');
        if (!eq) continue;
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
        json_object_set_new(o, key, json_string(eq + 1));
    }
    return o;
}

static json_t *legacy_of(const struct ic *ic, const struct ic_inst *in)
{
    return json_pack("{sssososossss}", "name", in->name, "netns", json_sprintf("e2nf-%s", in->name),
                     "in_iface", json_sprintf("%s-i", in->name), "out_iface",
                     json_sprintf("%s-o", in->name), "mac", in->mac, "gw_mac",
                     ic->servers[in->server].mac);
}

static json_t *nf_json(struct ic *ic, const struct ic_inst *in)
{
    const struct e2_nf_desc *d = in->desc;
    json_t *o =
        json_pack("{sssssssssssI}", "instance", in->id, "nf", in->name, "node", in->node, "nf_type",
                  d->nf_type, "api", d->api == E2_NF_NATIVE ? "native" : "legacy", "core",
                  (json_int_t)in->core);
    json_object_set_new(o, "argv", argv_of(ic, in));
    json_object_set_new(o, "env", env_of(d));
    json_object_set_new(o, "ports",
                        json_pack("{soso}", "inputs", strings(d->inputs, d->n_inputs), "outputs",
                                  strings(d->outputs, d->n_outputs)));
    json_object_set_new(o, "flow_range", json_pack("[II]", (json_int_t)in->lo, (json_int_t)in->hi));
    if (d->api == E2_NF_LEGACY) json_object_set_new(o, "legacy", legacy_of(ic, in));
    return o;
}

int ic_server_nfs(struct ic *ic, size_t s, json_t **nfs)
{
    *nfs = json_array();
    for (size_t i = 0; i < ic->n_insts; i++) {
        const struct ic_inst *in = &ic->insts[i];
        if (in->server != s || in->tee) continue;
        if (!in->desc->instantiate.command) {
            json_decref(*nfs);
            *nfs = NULL;
            return ic_fail(ic, ENOTSUP,
                           "NF type %s has no instantiate.command: the agent could "
                           "not start %s",
                           in->desc->nf_type, in->id);
        }
        json_array_append_new(*nfs, nf_json(ic, in));
    }
    return 0;
}
