/*
 * e2_ic_build: load the plan and the rack, give tags their slots, write the
 * switch rules (which decides what e2d must classify or split instead), then
 * each server's e2d configuration and NF processes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic_int.h"

static json_t *server_json(struct ic *ic, size_t s, int *rc)
{
    const struct ic_server *S = &ic->servers[s];
    char *text = NULL;
    json_t *nfs = NULL, *tags = json_object();
    *rc = ic_server_config(ic, s, &text);
    if (!*rc) *rc = ic_server_nfs(ic, s, &nfs);
    for (size_t t = 0; t < ic->tags.n; t++)
        json_object_set_new(tags, ic->tags.name[t], json_integer((json_int_t)t));
    json_t *o = *rc ? NULL
                    : json_pack("{sssIsIsssoso}", "mac", S->mac, "switch_port",
                                (json_int_t)S->switch_port, "workers", (json_int_t)S->workers,
                                "e2d_config", text, "nfs", nfs, "tags", tags);
    if (!o) {
        json_decref(nfs);
        json_decref(tags);
    }
    free(text);
    return o;
}

static int build(struct ic *ic, json_t **deploy)
{
    int rc = ic_load(ic);
    if (!rc) rc = ic_tags_plan(ic);
    if (!rc) rc = ic_switch(ic);
    json_t *servers = json_object();
    for (size_t s = 0; s < ic->n_servers && !rc; s++) {
        json_t *o = server_json(ic, s, &rc);
        if (o) json_object_set_new(servers, ic->servers[s].name, o);
    }
    if (rc) {
        json_decref(servers);
        return rc;
    }
    const char *policy = json_string_value(json_object_get(ic->plan, "policy"));
    *deploy =
        json_pack("{sssssIsos{sOsO}sO}", "format", E2_IC_FORMAT, "policy", policy ? policy : "",
                  "flow_id_bits", (json_int_t)ic->bits, "servers", servers, "switch", "rules",
                  ic->switch_rules, "e2d_distribution", ic->e2d_dist, "spis", ic->spis);
    return *deploy ? 0 : ic_fail(ic, ENOMEM, "out of memory");
}

int e2_ic_build(const json_t *plan, const struct e2_nf_catalog *nfs, const json_t *rack,
                json_t **deploy, struct e2_err *err)
{
    struct e2_err local = {0};
    struct ic ic = {.plan = plan, .rack = rack, .cat = nfs, .err = err ? err : &local};
    ic.spis = json_object();
    ic.switch_rules = json_array();
    ic.e2d_dist = json_array();
    *deploy = NULL;
    int rc = ic.spis && ic.switch_rules && ic.e2d_dist ? build(&ic, deploy)
                                                       : ic_fail(&ic, ENOMEM, "out of memory");
    json_decref(ic.spis);
    json_decref(ic.switch_rules);
    json_decref(ic.e2d_dist);
    ic_free(&ic);
    return rc;
}
