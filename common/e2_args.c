#include "e2_args.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <string.h>

static const struct e2_arg *find(const struct e2_arg *spec, const char *name)
{
    for (; spec->name; spec++)
        if (strcmp(spec->name, name) == 0) return spec;
    return NULL;
}

static int unknown_key(const struct e2_arg *spec, const char *key, struct e2_err *err)
{
    char names[256] = "";
    size_t n = 0;
    for (const struct e2_arg *a = spec; a->name && n < sizeof(names); a++)
        n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", a->name);
    if (!spec->name)
        return e2_err_set(err, EINVAL, "unknown argument '%s' (takes no arguments)", key);
    return e2_err_set(err, EINVAL, "unknown argument '%s' (expected one of: %s)", key, names);
}

static int parse_number(const struct e2_arg *a, const json_t *v, double *num, struct e2_err *err)
{
    if (!json_is_number(v)) return e2_err_set(err, EINVAL, "'%s' must be a number", a->name);
    *num = json_number_value(v);
    bool integral = a->type != E2_ARGT_DOUBLE;
    if (integral &&
        (*num != floor(*num) || (json_is_real(v) && fabs(*num) >= 9.007199254740992e15)))
        return e2_err_set(err, EINVAL, "'%s' must be a whole number, got %g", a->name, *num);
    if (a->min < a->max && (*num < a->min || *num > a->max))
        return e2_err_set(err, ERANGE, "'%s' = %.17g is out of range %.17g..%.17g", a->name, *num,
                          a->min, a->max);
    return 0;
}

static int store_integer(const struct e2_arg *a, const json_t *v, void *dst, struct e2_err *err)
{
    double num;
    int rc = parse_number(a, v, &num, err);
    if (rc) return rc;
    json_int_t i = json_is_integer(v) ? json_integer_value(v) : (json_int_t)num;
    static const struct {
        enum e2_arg_type t;
        double max;
    } limits[] = {{E2_ARGT_U8, 255},
                  {E2_ARGT_U16, 65535},
                  {E2_ARGT_U32, 4294967295.0},
                  {E2_ARGT_U64, 1.8446744073709552e19}};
    if (a->type != E2_ARGT_I64 && i < 0)
        return e2_err_set(err, ERANGE, "'%s' must not be negative", a->name);
    for (unsigned k = 0; k < 4; k++)
        if (limits[k].t == a->type && (double)i > limits[k].max)
            return e2_err_set(err, ERANGE, "'%s' = %lld does not fit", a->name, (long long)i);
    switch (a->type) {
    case E2_ARGT_U64: *(uint64_t *)dst = (uint64_t)i; break;
    case E2_ARGT_U32: *(uint32_t *)dst = (uint32_t)i; break;
    case E2_ARGT_U16: *(uint16_t *)dst = (uint16_t)i; break;
    case E2_ARGT_U8: *(uint8_t *)dst = (uint8_t)i; break;
    default: *(int64_t *)dst = (int64_t)i; break;
    }
    return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) !=
        6)
        return -EINVAL;
    for (int i = 0; i < 6; i++) mac[i] = (uint8_t)b[i];
    return 0;
}

static int store_string_kind(const struct e2_arg *a, const json_t *v, void *dst, struct e2_err *err)
{
    if (!json_is_string(v)) return e2_err_set(err, EINVAL, "'%s' must be a string", a->name);
    const char *s = json_string_value(v);
    switch (a->type) {
    case E2_ARGT_STR:
        if (strlen(s) >= a->size)
            return e2_err_set(err, EINVAL, "'%s' is longer than %zu characters", a->name,
                              a->size - 1);
        memcpy(dst, s, strlen(s) + 1);
        return 0;
    case E2_ARGT_ENUM:
        for (int i = 0; a->choices[i]; i++) {
            if (strcmp(a->choices[i], s) == 0) {
                *(int *)dst = i;
                return 0;
            }
        }
        {
            char buf[200];
            return e2_err_set(err, EINVAL, "'%s' = \"%s\" is not %s", a->name, s,
                              e2_arg_type_name(a, buf, sizeof(buf)));
        }
    case E2_ARGT_MAC:
        if (parse_mac(s, dst))
            return e2_err_set(err, EINVAL, "'%s' = \"%s\" is not a MAC address", a->name, s);
        return 0;
    default: {
        struct in_addr in;
        if (inet_pton(AF_INET, s, &in) != 1)
            return e2_err_set(err, EINVAL, "'%s' = \"%s\" is not an IPv4 address", a->name, s);
        *(uint32_t *)dst = in.s_addr;
        return 0;
    }
    }
}

static int store(const struct e2_arg *a, const json_t *v, void *out, struct e2_err *err)
{
    void *dst = (char *)out + a->offset;
    switch (a->type) {
    case E2_ARGT_DOUBLE: {
        double num;
        int rc = parse_number(a, v, &num, err);
        if (!rc) *(double *)dst = num;
        return rc;
    }
    case E2_ARGT_BOOL:
        if (!json_is_boolean(v))
            return e2_err_set(err, EINVAL, "'%s' must be true or false", a->name);
        *(bool *)dst = json_is_true(v);
        return 0;
    case E2_ARGT_JSON:
        *(json_t **)dst = json_is_null(v) ? NULL : json_incref((json_t *)v);
        return 0;
    case E2_ARGT_STR:
    case E2_ARGT_ENUM:
    case E2_ARGT_MAC:
    case E2_ARGT_IPV4: return store_string_kind(a, v, dst, err);
    default: return store_integer(a, v, dst, err);
    }
}

void e2_args_release(const struct e2_arg *spec, void *out)
{
    for (; spec->name; spec++) {
        if (spec->type != E2_ARGT_JSON) continue;
        json_t **slot = (json_t **)((char *)out + spec->offset);
        json_decref(*slot);
        *slot = NULL;
    }
}

static int apply_default(const struct e2_arg *a, void *out, struct e2_err *err)
{
    if (!a->def) return e2_err_set(err, EINVAL, "missing required argument '%s'", a->name);
    json_error_t jerr;
    json_t *v = json_loads(a->def, JSON_DECODE_ANY, &jerr);
    if (!v)
        return e2_err_set(err, EINVAL, "argument '%s': bad default '%s' in the spec", a->name,
                          a->def);
    int rc = store(a, v, out, err);
    json_decref(v);
    return rc;
}

int e2_args_parse(const struct e2_arg *spec, const json_t *in, void *out, struct e2_err *err)
{
    for (const struct e2_arg *a = spec; a->name; a++)
        if (a->type == E2_ARGT_JSON) *(json_t **)((char *)out + a->offset) = NULL;
    if (in && !json_is_null(in) && !json_is_object(in))
        return e2_err_set(err, EINVAL, "arguments must be an object of name=value pairs");
    const char *key;
    json_t *v;
    int rc = 0;
    if (in && json_is_object(in)) {
        json_object_foreach((json_t *)in, key, v)
        {
            if (!find(spec, key)) {
                rc = unknown_key(spec, key, err);
                break;
            }
        }
    }
    for (const struct e2_arg *a = spec; !rc && a->name; a++) {
        json_t *given = in && json_is_object(in) ? json_object_get(in, a->name) : NULL;
        rc = given ? store(a, given, out, err) : apply_default(a, out, err);
    }
    if (rc) e2_args_release(spec, out);
    return rc;
}

const char *e2_arg_type_name(const struct e2_arg *a, char *buf, size_t len)
{
    static const char *names[] = {"uint64", "uint32",      "uint16",       "uint8",
                                  "int64",  "number",      "bool",         "string",
                                  "enum",   "MAC address", "IPv4 address", "JSON"};
    if (a->type != E2_ARGT_ENUM) {
        snprintf(buf, len, "%s", names[a->type]);
        return buf;
    }
    size_t n = (size_t)snprintf(buf, len, "one of ");
    for (int i = 0; a->choices[i] && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "|" : "", a->choices[i]);
    return buf;
}

void e2_args_doc(const struct e2_arg *spec, FILE *out)
{
    if (!spec->name) {
        fprintf(out, "No arguments.\n");
        return;
    }
    fprintf(out, "| argument | type | default | meaning |\n|---|---|---|---|\n");
    for (const struct e2_arg *a = spec; a->name; a++) {
        char buf[200];
        fprintf(out, "| `%s` | %s | %s%s%s | %s |\n", a->name,
                e2_arg_type_name(a, buf, sizeof(buf)), a->def ? "`" : "",
                a->def ? a->def : "required", a->def ? "`" : "", a->help);
    }
}

json_t *e2_args_describe(const struct e2_arg *spec)
{
    json_t *arr = json_array();
    for (const struct e2_arg *a = spec; a->name; a++) {
        char buf[200];
        json_t *o = json_pack("{s:s, s:s, s:b, s:s}", "name", a->name, "type",
                              e2_arg_type_name(a, buf, sizeof(buf)), "required", a->def == NULL,
                              "help", a->help);
        if (a->def) json_object_set_new(o, "default", json_string(a->def));
        json_array_append_new(arr, o);
    }
    return arr;
}
