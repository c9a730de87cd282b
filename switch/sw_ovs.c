/*
 * The Open vSwitch driver: OpenFlow 1.5 through ovs-ofctl, a real OpenFlow
 * client (OpenStack Neutron's OVS agent drives bridges the same way).
 *
 *   apply     one `ovs-ofctl --bundle add-flows TARGET -`: the deletes by
 *             cookie mask, then every flow of every rule, in one atomic
 *             ordered bundle; if OVS refuses any flow it commits nothing
 *   dump      `ovs-ofctl dump-flows TARGET`, read back into rules (sw_ovs.h)
 *
 * Serials for new rules continue after the largest one in the switch (read
 * when the driver opens): one writer per switch, the manager, is assumed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw_exec.h"
#include "sw_ovs.h"

struct ovs {
    struct e2_sw base;
    char target[512];
    uint32_t next_serial;
};

static struct ovs *ovs_of(struct e2_sw *sw)
{
    return (struct ovs *)sw;
}

/* The first line of @text (at most @n bytes), for messages. */
static const char *first_line(const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s", text ? text : "");
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

/*
 * Run `ovs-ofctl -O OpenFlow15 [--bundle] CMD TARGET [-]` with @input on
 * stdin. *out gets stdout; on failure *errtext (if asked for) gets stderr and
 * @err says what ovs-ofctl said.
 */
static int ofctl(struct ovs *o, const char *cmd, const char *input, char **out, char **errtext,
                 struct e2_err *err)
{
    char *argv[] = {"ovs-ofctl", "-O", "OpenFlow15", "--timeout=30", NULL, NULL, NULL, NULL, NULL};
    int i = 4;
    if (input) argv[i++] = "--bundle";
    argv[i++] = (char *)cmd;
    argv[i++] = o->target;
    if (input) argv[i++] = "-";
    char *e = NULL, line[300];
    int rc = e2_sw_exec(argv, input, out, &e);
    if (rc < 0) return e2_err_set(err, rc, "cannot run ovs-ofctl: %s", strerror(-rc));
    if (rc > 0)
        e2_err_set(err, EIO, "ovs-ofctl %s %s: %s", cmd, o->target,
                   first_line(e, line, sizeof(line)));
    if (rc > 0 && errtext)
        *errtext = e;
    else
        free(e);
    return rc > 0 ? -EIO : 0;
}

static int ovs_dump_serial(struct ovs *o, struct e2_sw_entry **e, size_t *n, uint32_t *max_serial,
                           struct e2_err *err)
{
    char *out = NULL;
    int rc = ofctl(o, "dump-flows", NULL, &out, NULL, err);
    if (!rc) rc = e2_sw_ovs_parse_dump(out, e, n, max_serial, err);
    free(out);
    return rc;
}

static int ovs_dump(struct e2_sw *sw, struct e2_sw_entry **out, size_t *n, struct e2_err *err)
{
    uint32_t serial;
    return ovs_dump_serial(ovs_of(sw), out, n, &serial, err);
}

/* A number that follows @key in the block of table @table of a dump-tables style listing. */
static long table_value(const char *text, unsigned table, const char *key)
{
    long last = -1, value = -1;
    unsigned cur = ~0u, a, b;
    char k[40];
    snprintf(k, sizeof(k), "%s=", key);
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        const char *at = strstr(l, k), *nl = strchr(l, '\n');
        if (sscanf(l, " tables %u...%u: ditto", &a, &b) == 2 && a <= table && table <= b)
            return last;
        if (sscanf(l, " table %u:", &a) == 1) cur = a, value = -1;
        if (at && (!nl || at < nl)) {
            last = strtol(at + strlen(k), NULL, 10);
            if (cur == table) value = last;
        }
        if (cur == table && value >= 0) return value;
    }
    return -1;
}

/* "table full" in E2's words: what the change adds to table @t and what fits there. */
static int explain_table_full(struct ovs *o, const struct e2_sw_rule *add, size_t n_add, unsigned t,
                              struct e2_err *err)
{
    char *features = NULL, *tables = NULL;
    size_t asked = 0;
    for (size_t i = 0; i < n_add; i++)
        if (add[i].table == t) asked += e2_sw_rule_entries(&add[i]);
    struct e2_err ignore;
    ofctl(o, "dump-table-features", NULL, &features, NULL, &ignore);
    ofctl(o, "dump-tables", NULL, &tables, NULL, &ignore);
    long max = table_value(features, t, "max_entries"), active = table_value(tables, t, "active");
    free(features);
    free(tables);
    if (max < 0 || active < 0)
        return e2_err_set(err, ENOSPC,
                          "table full: this change adds %zu entries to table %u; "
                          "nothing changed",
                          asked, t);
    return e2_err_set(
        err, ENOSPC,
        "table full: this change adds %zu entries to table %u but %ld fit (it holds %ld, "
        "%ld in use); nothing changed",
        asked, t, max - active, max, active);
}

/*
 * Say which rule OVS refused ("Error CODE for: ... cookie:0x..."), and why;
 * -EIO (@err keeps ovs-ofctl's words) when its message is not one of those.
 */
static int explain_refusal(struct ovs *o, const char *errtext, const struct e2_sw_rule *add,
                           size_t n_add, uint32_t base, struct e2_err *err)
{
    char code[64] = "";
    unsigned long long cookie = 0;
    unsigned table = 0;
    const char *e = strstr(errtext, "Error "), *c = strstr(errtext, "cookie:"),
               *t = strstr(errtext, "table:");
    if (!e || sscanf(e, "Error %63s", code) != 1) return -EIO;
    if (c) cookie = strtoull(c + 7, NULL, 0);
    if (t) table = (unsigned)strtoul(t + 6, NULL, 10);
    uint64_t index = (cookie & E2_SW_OVS_SERIAL) - base;
    if (!strcmp(code, "OFPFMFC_TABLE_FULL") && t)
        return explain_table_full(o, add, n_add, table, err);
    if (c && index < n_add)
        return e2_err_set(err, EIO, "rules[%llu]: the switch refused it (%s); nothing changed",
                          (unsigned long long)index, code);
    return e2_err_set(err, EIO, "the switch refused the change (%s); nothing changed", code);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int ovs_apply(struct e2_sw *sw, const struct e2_sw_rule *add, size_t n_add,
                     const uint32_t *del, size_t n_del, double *us, struct e2_err *err)
{
    struct ovs *o = ovs_of(sw);
    struct e2_strbuf b = {0};
    uint32_t base = o->next_serial;
    if (base + n_add > E2_SW_OVS_SERIAL)
        return e2_err_set(err, ERANGE, "the switch ran out of rule serials; reopen it");
    for (size_t i = 0; i < n_del; i++) e2_sw_ovs_delete_line(del[i], &b);
    for (size_t i = 0; i < n_add; i++)
        e2_sw_ovs_add_lines(&add[i], e2_sw_ovs_cookie(add[i].cookie, base + (uint32_t)i), &b);
    char *text = e2_strbuf_take(&b), *out = NULL, *errtext = NULL;
    if (!text) return e2_err_set(err, ENOMEM, "out of memory for the flows of %zu rules", n_add);
    double t0 = now_us();
    int rc = *text ? ofctl(o, "add-flows", text, &out, &errtext, err) : 0;
    *us = now_us() - t0;
    if (rc && errtext) rc = explain_refusal(o, errtext, add, n_add, base, err);
    if (!rc) o->next_serial = base + (uint32_t)n_add;
    free(text);
    free(out);
    free(errtext);
    return rc;
}

static size_t ovs_capacity(struct e2_sw *sw)
{
    (void)sw;
    return 0;
}

static void ovs_close(struct e2_sw *sw)
{
    free(sw);
}

static const struct e2_sw_ops ovs_ops = {"ovs", ovs_apply, ovs_dump, ovs_capacity, ovs_close};

struct e2_sw *e2_sw_ovs_open(const char *target, struct e2_err *err)
{
    if ((strncmp(target, "unix:", 5) && strncmp(target, "tcp:", 4)) ||
        strlen(target) >= sizeof(((struct ovs *)0)->target)) {
        e2_err_set(err, EINVAL, "switch 'ovs:%s': expected ovs:unix:PATH or ovs:tcp:HOST:PORT",
                   target);
        return NULL;
    }
    struct ovs *o = calloc(1, sizeof(*o));
    struct e2_sw_entry *e = NULL;
    size_t n;
    uint32_t serial = 0;
    if (!o) {
        e2_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    o->base.ops = &ovs_ops;
    snprintf(o->target, sizeof(o->target), "%s", target);
    if (ovs_dump_serial(o, &e, &n, &serial, err)) {
        free(o);
        return NULL;
    }
    free(e);
    o->next_serial = serial + 1;
    return &o->base;
}
