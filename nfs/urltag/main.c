/*
 * e2nf-urltag — URL classes of HTTP sessions (urltag.h) as a native NF.
 * Packets from "in" are reassembled per connection and their requests
 * parsed here; each packet leaves with its session's URL class:
 *   - method metadata (the instance has a port "out"): out of "out", the
 *     class number in the tag URLTag.class (--tag): the HTTP logger of Fig. 8,
 *     whose tag e2d's MetadataMatch steers by;
 *   - method port (no "out"): out of the port named after its class, or
 *     "other": the standalone URL classifier.
 * With --log, every request becomes a JSON line (nfs/http's log).
 *
 *   e2nf-urltag -n INSTANCE -c URLS [--tag NAME] [--log FILE] [--conns N] [--idle S]
 *               [-s SOCKET] [--ctl PATH] [--poll] [--cpu N]
 *
 * See nfs/urltag/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "e2/meta.h"
#include "e2/nfapp.h"
#include "e2_conf.h"
#include "e2_pkt.h"
#include "e2_streams.h"
#include "urltag.h"

#define FLUSH_NS     100000000ull
#define EXPIRE_SLICE 64

struct urltag_app {
    struct urltag u;
    struct e2_streams_opts sopts;
    struct e2_streams *streams;
    struct e2nf *nf;
    const char *tag_name, *log_path;
    int tag, out;              /* metadata: the tag's slot and "out"; else -1 */
    int ports[URLTAG_CLASSES]; /* method port: the output of each class */
    uint64_t next_flush, malformed;
};

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    struct urltag_app *a = ctx;
    uint64_t v;
    if (!strcmp(name, "tag")) {
        a->tag_name = value;
    } else if (!strcmp(name, "log")) {
        a->log_path = value;
    } else if (!strcmp(name, "conns")) {
        if (e2_conf_uint(value, "connections", 16, 1u << 26, &v, err)) return err->code;
        a->sopts.capacity = v;
    } else {
        if (e2_conf_uint(value, "idle seconds", 1, 86400, &v, err)) return err->code;
        a->sopts.idle_ns = v * 1000000000ull;
    }
    return 0;
}

/* Method port: every class of @t has an output. */
static int ports_for(struct urltag_app *a, const struct urltag_table *t, struct e2_err *err)
{
    for (unsigned c = 0; c <= urltag_classes(t); c++) {
        const char *name = urltag_class_name(t, c);
        a->ports[c] = e2nf_port(a->nf, name);
        if (a->ports[c] < 0)
            return e2_err_set(err, ENOENT,
                              "NF '%s' has no port '%s' for class %s (and no 'out' for method "
                              "metadata)",
                              e2nf_name(a->nf), name, name);
    }
    return 0;
}

static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct urltag_app *a = ctx;
    if (!a->u.http.on_request) { /* the first load, before attaching */
        FILE *log = a->log_path ? fopen(a->log_path, "a") : NULL;
        if (a->log_path && !log)
            return e2_err_set(err, errno, "cannot open %s: %s", a->log_path, strerror(errno));
        urltag_init(&a->u, log);
    }
    struct urltag_table *t;
    if (urltag_table_load(path, &t, err)) return err->code;
    if (a->nf && a->tag < 0 && ports_for(a, t, err)) {
        urltag_table_free(t);
        return err->code;
    }
    urltag_set_table(&a->u, t);
    return 0;
}

static int bind(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct urltag_app *a = ctx;
    a->nf = nf;
    a->out = e2nf_port(nf, "out");
    a->tag = -1;
    if (a->out >= 0) {
        const char *name = a->tag_name ? a->tag_name : "URLTag.class";
        a->tag = e2nf_tag(nf, name);
        if (a->tag < 0)
            return e2_err_set(err, ENOENT,
                              "NF '%s' has one output 'out' but e2d defines no tag '%s' "
                              "(tag(name=\"%s\") in its config)",
                              e2nf_name(nf), name, name);
    } else if (ports_for(a, a->u.table, err)) {
        return err->code;
    }
    a->sopts.user_size = sizeof(struct urltag_conn);
    const struct e2_streams_cb cb = {http_on_data, http_on_event, http_on_release, &a->u};
    a->streams = e2_streams_create(&a->sopts, &cb, err);
    return a->streams ? 0 : err->code;
}

static void process(void *ctx, unsigned in, struct rte_mbuf **pkts, uint16_t n, int *out)
{
    struct urltag_app *a = ctx;
    (void)in;
    uint64_t now = e2nf_app_now_ns();
    for (uint16_t i = 0; i < n; i++) {
        struct e2_pkt p;
        const struct urltag_conn *conn = NULL;
        if (e2_pkt_parse(rte_pktmbuf_mtod(pkts[i], uint8_t *), rte_pktmbuf_data_len(pkts[i]), &p) ==
            E2_PKT_OK)
            conn = e2_streams_packet(a->streams, &p, now);
        else
            a->malformed++;
        unsigned c = urltag_packet(&a->u, conn);
        if (a->tag >= 0) {
            e2_meta_set_tag(pkts[i], (unsigned)a->tag, c);
            out[i] = a->out;
        } else {
            out[i] = a->ports[c];
        }
    }
}

static void tick(void *ctx, uint64_t now_ns)
{
    struct urltag_app *a = ctx;
    if (a->streams) e2_streams_expire(a->streams, now_ns, EXPIRE_SLICE);
    if (!a->u.http.log || now_ns < a->next_flush) return;
    fflush(a->u.http.log);
    a->next_flush = now_ns + FLUSH_NS;
}

static json_t *stats(void *ctx)
{
    struct urltag_app *a = ctx;
    json_t *o = urltag_stats_json(&a->u);
    struct e2_streams_stats s = {0};
    if (a->streams) e2_streams_stats(a->streams, &s);
    json_object_set_new(o, "method", json_string(a->tag >= 0 ? "metadata" : "port"));
    json_object_set_new(o, "malformed", json_integer((json_int_t)a->malformed));
    json_object_set_new(o, "connections", json_integer((json_int_t)s.connections));
    json_object_set_new(o, "live", json_integer((json_int_t)s.live));
    return o;
}

static void fini(void *ctx)
{
    struct urltag_app *a = ctx;
    e2_streams_free(a->streams); /* the last requests are logged */
    if (a->u.http.log) fclose(a->u.http.log);
    urltag_fini(&a->u);
}

int main(int argc, char **argv)
{
    static const char *const inputs[] = {"in", NULL};
    static const struct e2nf_app_option options[] = {
        {"tag", "NAME", "the tag of method metadata (default URLTag.class)"},
        {"log", "FILE", "append a JSON line per request to FILE"},
        {"conns", "N", "connections tracked (65536)"},
        {"idle", "SECONDS", "forget a connection idle this long (300)"},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_def def = {
        .prog = "e2nf-urltag",
        .summary = "URL classes of HTTP sessions (-c URLS): each packet tagged URLTag.class (port "
                   "'out') or sent out of its class's port.",
        .ctx_size = sizeof(struct urltag_app),
        .inputs = inputs,
        .options = options,
        .config_required = true,
        .option = option,
        .load = load,
        .bind = bind,
        .process = process,
        .tick = tick,
        .stats = stats,
        .fini = fini,
    };
    return e2nf_app_main(&def, argc, argv);
}
