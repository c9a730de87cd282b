/*
 * Descriptions as JSON, in the same schema as the YAML files, so the pGraph
 * JSON is self-contained and reads back with e2_nf_desc_from_json().
 */
#include "e2_desc.h"

#include <string.h>

extern const char *const e2_field_names[];
extern const char *const e2_switch_action_names[];

static json_t *names_of(const char *const *names, uint32_t bits)
{
    json_t *a = json_array();
    for (unsigned i = 0; names[i]; i++)
        if (bits & (1u << i)) json_array_append_new(a, json_string(names[i]));
    return a;
}

static json_t *strv(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *value_json(const struct e2_nf_attr *a, const struct e2_attr_value *v)
{
    switch (a->type) {
    case E2_ATTR_BOOL: return json_boolean(v->num);
    case E2_ATTR_INT: return json_integer(v->num);
    case E2_ATTR_STRING: break;
    }
    return json_string(v->text);
}

static json_t *attr_json(const struct e2_nf_desc *d, const struct e2_nf_attr *a)
{
    static const char *types[] = {"bool", "int", "string"};
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(types[a->type]));
    json_object_set_new(o, "method", json_string(a->method == E2_ATTR_PORT ? "port" : "metadata"));
    if (a->method == E2_ATTR_PORT) {
        json_t *ports = json_object();
        for (size_t i = 0; i < a->n_values; i++)
            json_object_set_new(ports, a->values[i].text,
                                json_string(d->outputs[a->values[i].port]));
        json_object_set_new(o, "ports", ports);
    } else if (a->type != E2_ATTR_BOOL && a->n_values) {
        json_t *values = json_array();
        for (size_t i = 0; i < a->n_values; i++)
            json_array_append_new(values, value_json(a, &a->values[i]));
        json_object_set_new(o, "values", values);
    } else if (a->has_range) {
        json_object_set_new(o, "range", json_pack("[II]", (json_int_t)a->min, (json_int_t)a->max));
    }
    return o;
}

static json_t *placeholder_json(const struct e2_nf_desc *d, const struct e2_nf_placeholder *p)
{
    if (p->method == E2_ATTR_PORT) return json_pack("{ss}", "port", d->inputs[p->port]);
    return json_pack("{sssI}", "metadata", p->tag, "value", (json_int_t)p->value);
}

static void set_opt_str(json_t *o, const char *key, const char *v)
{
    if (v) json_object_set_new(o, key, json_string(v));
}

static json_t *instantiate_json(const struct e2_nf_instantiate *in)
{
    json_t *o = json_object(), *env = json_object();
    json_object_set_new(o, "command", json_string(in->command));
    json_object_set_new(o, "args", strv(in->args, in->n_args));
    for (size_t i = 0; i < in->n_env; i++) {
        const char *eq = strchr(in->env[i], '=');
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(eq - in->env[i]), in->env[i]);
        json_object_set_new(env, name, json_string(eq + 1));
    }
    json_object_set_new(o, "env", env);
    return o;
}

json_t *e2_nf_desc_to_json(const struct e2_nf_desc *d)
{
    json_t *o = json_object(), *attrs = json_object(), *ph = json_object();
    json_object_set_new(o, "nf_type", json_string(d->nf_type));
    set_opt_str(o, "descriptor_id", d->descriptor_id);
    set_opt_str(o, "provider", d->provider);
    set_opt_str(o, "product_name", d->product_name);
    set_opt_str(o, "software_version", d->software_version);
    json_object_set_new(o, "api", json_string(d->api == E2_NF_NATIVE ? "native" : "legacy"));
    json_object_set_new(o, "ports",
                        json_pack("{soso}", "inputs", strv(d->inputs, d->n_inputs), "outputs",
                                  strv(d->outputs, d->n_outputs)));
    for (size_t i = 0; i < d->n_attrs; i++)
        json_object_set_new(attrs, d->attrs[i].name, attr_json(d, &d->attrs[i]));
    json_object_set_new(o, "attributes", attrs);
    for (size_t i = 0; i < d->n_placeholders; i++)
        json_object_set_new(ph, d->placeholders[i].name, placeholder_json(d, &d->placeholders[i]));
    json_object_set_new(o, "placeholders", ph);
    json_object_set_new(o, "scaling",
                        json_pack("{sbsbsIsI}", "across_cores", d->across_cores, "across_servers",
                                  d->across_servers, "min_number_of_instances",
                                  (json_int_t)d->min_instances, "max_number_of_instances",
                                  (json_int_t)d->max_instances));
    json_object_set_new(o, "affinity",
                        json_pack("{sosb}", "fields", names_of(e2_field_names, d->affinity),
                                  "symmetric", d->affinity_symmetric));
    if (d->throughput_bps_per_core_ghz)
        json_object_set_new(o, "performance",
                            json_pack("{sI}", "throughput_per_core_per_ghz",
                                      (json_int_t)d->throughput_bps_per_core_ghz));
    json_object_set_new(o, "rewrites", names_of(e2_field_names, d->rewrites));
    if (d->flow_idle_timeout_ms) {
        char t[32];
        unsigned long long ms = d->flow_idle_timeout_ms;
        if (ms % 1000)
            snprintf(t, sizeof(t), "%llums", ms);
        else
            snprintf(t, sizeof(t), "%llus", ms / 1000);
        json_object_set_new(o, "flow_idle_timeout", json_string(t));
    }
    json_object_set_new(o, "offload_actions", names_of(e2_switch_action_names, d->offload_actions));
    if (d->instantiate.command)
        json_object_set_new(o, "instantiate", instantiate_json(&d->instantiate));
    return o;
}

json_t *e2_hw_to_json(const struct e2_hw *hw)
{
    json_t *servers = json_array(), *ext = json_array();
    for (size_t i = 0; i < hw->n_servers; i++) {
        const struct e2_server *s = &hw->servers[i];
        json_array_append_new(servers, json_pack("{sssIsfsIsIsI}", "name", s->name, "cores",
                                                 (json_int_t)s->cores, "ghz", s->ghz, "nic",
                                                 (json_int_t)s->nic_bps, "dataplane_cores",
                                                 (json_int_t)s->dataplane_cores, "switch_port",
                                                 (json_int_t)s->switch_port));
    }
    for (size_t i = 0; i < hw->sw.n_external; i++)
        json_array_append_new(ext, json_integer(hw->sw.external_ports[i]));
    char lat[32];
    snprintf(lat, sizeof(lat), "%lluus", (unsigned long long)hw->sw.rule_update_latency_us);
    json_t *sw = json_pack("{sssIsosIssso}", "name", hw->sw.name, "ports",
                           (json_int_t)hw->sw.n_ports, "external_ports", ext, "flow_table_size",
                           (json_int_t)hw->sw.flow_table_size, "rule_update_latency", lat,
                           "actions", names_of(e2_switch_action_names, hw->sw.actions));
    return json_pack("{soso}", "servers", servers, "switch", sw);
}
