#define _GNU_SOURCE
#include "stream_app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2/bytestream.h"
#include "e2_conf.h"
#include "e2_pkt.h"
#include "stream_msg.h"

#define BURST          32
#define FWD_CAPACITY   512
#define OPTIONS_MAX    24
#define EXPIRE_BUCKETS 64
#define BLOCKED_NS     20000

struct stream_app {
    enum stream_mode mode;
    struct e2_streams_opts sopts;
    struct e2_streams *streams;
    struct e2nf *nf;
    int in;
    struct e2bs_out *fwd; /* "out" (library) or "bs_out" (bytestream); NULL: freed after */
    struct rte_mbuf *pending[BURST];
    unsigned n_pending, next;
    uint64_t units, forwarded, freed, blocked, not_messages;
    uint64_t busy_ns; /* CPU time spent handling units (thread_cpu_ns) */
    uint64_t malformed[E2_PKT_STATUS_COUNT];
};

/* One NF per process: its definition, and the app's state behind the NF's. */
static const struct stream_nf *the_def;

static size_t nf_part(void)
{
    return (the_def->ctx_size + 63) & ~(size_t)63;
}

static struct stream_app *app_of(const void *ctx)
{
    return (struct stream_app *)((char *)ctx + nf_part());
}

enum stream_mode stream_app_mode(const void *ctx)
{
    return app_of(ctx)->mode;
}

/* ---- options ---- */

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    struct stream_app *a = app_of(ctx);
    uint64_t v;
    if (!strcmp(name, "mode")) {
        if (!strcmp(value, "library"))
            a->mode = STREAM_LIBRARY;
        else if (!strcmp(value, "bytestream"))
            a->mode = STREAM_BYTESTREAM;
        else
            return e2_err_set(err, EINVAL, "'%s' is not library or bytestream", value);
        return 0;
    }
    if (!strcmp(name, "conns")) {
        if (e2_conf_uint(value, "connections", 16, 1u << 26, &v, err)) return err->code;
        a->sopts.capacity = v;
        return 0;
    }
    if (!strcmp(name, "idle")) {
        if (e2_conf_uint(value, "idle seconds", 1, 86400, &v, err)) return err->code;
        a->sopts.idle_ns = v * 1000000000ull;
        return 0;
    }
    if (!strcmp(name, "max-flow-bytes")) {
        if (e2_conf_uint(value, "bytes", 1024, 1u << 30, &v, err)) return err->code;
        a->sopts.reasm.max_flow_bytes = (uint32_t)v;
        return 0;
    }
    return the_def->option ? the_def->option(ctx, name, value, err)
                           : e2_err_set(err, EINVAL, "unknown option");
}

static int load(void *ctx, const char *path, struct e2_err *err)
{
    return the_def->load ? the_def->load(ctx, path, err) : 0;
}

/* ---- binding ---- */

static int need_port(struct e2nf *nf, const char *name, struct e2_err *err)
{
    int p = e2nf_port(nf, name);
    if (p < 0)
        return e2_err_set(err, ENOENT, "NF '%s' has no port '%s' (declare it: nf %s(ports=[...]))",
                          e2nf_name(nf), name, e2nf_name(nf));
    return p;
}

static int bind(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct stream_app *a = app_of(ctx);
    bool lib = a->mode == STREAM_LIBRARY;
    a->nf = nf;
    a->in = need_port(nf, lib ? "in" : "bs", err);
    if (a->in < 0) return a->in;
    int out = lib ? need_port(nf, "out", err) : e2nf_port(nf, "bs_out");
    if (lib && out < 0) return out;
    if (out >= 0 && !(a->fwd = e2bs_out_create(nf, (unsigned)out, FWD_CAPACITY)))
        return e2_err_set(err, ENOMEM, "no memory for the output queue");
    a->sopts.user_size = the_def->user_size;
    const struct e2_streams_cb cb = {the_def->data, the_def->event, the_def->release, ctx};
    a->streams = e2_streams_create(&a->sopts, &cb, err);
    if (!a->streams) return err->code;
    return the_def->bind ? the_def->bind(ctx, nf, a->streams, err) : 0;
}

/* ---- moving units ---- */

static void packet(struct stream_app *a, void *ctx, struct rte_mbuf *m, uint64_t now)
{
    struct e2_pkt p;
    enum e2_pkt_status st =
        e2_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), &p);
    void *conn = NULL;
    if (st == E2_PKT_OK)
        conn = e2_streams_packet(a->streams, &p, now);
    else
        a->malformed[st]++;
    if (the_def->mark) the_def->mark(ctx, m, st == E2_PKT_OK ? &p : NULL, conn);
}

/* A message drives the callbacks; true when it is one (else it is freed, not forwarded). */
static bool message(struct stream_app *a, struct rte_mbuf *m, uint64_t now)
{
    const uint8_t *data;
    const struct e2bs_hdr *h = e2bs_msg_read(m, &data);
    struct e2_stream_msg msg;
    if (!h || stream_msg_decode(h, data, &msg)) {
        a->not_messages++;
        return false;
    }
    e2_streams_message(a->streams, &msg, now);
    return true;
}

static void handle(struct stream_app *a, void *ctx, struct rte_mbuf *m, uint64_t now)
{
    a->units++;
    bool keep = true;
    if (a->mode == STREAM_LIBRARY)
        packet(a, ctx, m, now);
    else
        keep = message(a, m, now);
    if (keep && a->fwd) {
        e2bs_out_put(a->fwd, m); /* ready() saw room */
        a->forwarded++;
        return;
    }
    a->freed++;
    e2nf_drop(a->nf, m);
}

static bool ready(struct stream_app *a, void *ctx)
{
    if (a->fwd && !e2bs_out_room(a->fwd) && e2bs_out_flush(a->fwd) == FWD_CAPACITY) return false;
    return !the_def->ready || the_def->ready(ctx);
}

/* Send what waits for the next NF: the forwarded units, a producer's own messages. */
static void flush(struct stream_app *a, void *ctx)
{
    if (a->fwd) e2bs_out_flush(a->fwd);
    if (the_def->flush) the_def->flush(ctx);
}

/* This thread's CPU time: what handling units costs, without sleeps, naps or preemption. */
static uint64_t thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static unsigned poll(void *ctx, struct e2nf *nf)
{
    struct stream_app *a = app_of(ctx);
    flush(a, ctx); /* what waits drains with no input too */
    if (a->next == a->n_pending) {
        a->n_pending = e2nf_rx_burst(nf, (unsigned)a->in, 0, a->pending, BURST);
        a->next = 0;
        if (!a->n_pending) return 0;
    }
    uint64_t now = e2nf_app_now_ns(), cpu = thread_cpu_ns();
    unsigned done = 0;
    while (a->next < a->n_pending && ready(a, ctx)) {
        handle(a, ctx, a->pending[a->next++], now);
        done++;
    }
    flush(a, ctx);
    a->busy_ns += thread_cpu_ns() - cpu;
    if (done) return done;
    /* blocked: the next NF's ring is full; nothing wakes us when it drains */
    a->blocked++;
    struct timespec nap = {0, BLOCKED_NS};
    nanosleep(&nap, NULL);
    return 1;
}

static void tick(void *ctx, uint64_t now_ns)
{
    struct stream_app *a = app_of(ctx);
    if (a->streams) e2_streams_expire(a->streams, now_ns, EXPIRE_BUCKETS);
    if (the_def->tick) the_def->tick(ctx, now_ns);
}

/* ---- statistics ---- */

static json_t *streams_json(const struct stream_app *a)
{
    struct e2_streams_stats s;
    e2_streams_stats(a->streams, &s);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "live",
                     (json_int_t)s.live, "capacity", (json_int_t)s.capacity, "connections",
                     (json_int_t)s.connections, "closed", (json_int_t)s.closed, "reset",
                     (json_int_t)s.reset, "expired", (json_int_t)s.expired, "evicted",
                     (json_int_t)s.evicted, "restarted", (json_int_t)s.restarted, "client_bytes",
                     (json_int_t)s.bytes[0], "server_bytes", (json_int_t)s.bytes[1], "not_tcp",
                     (json_int_t)s.not_tcp, "messages", (json_int_t)s.messages, "bad_messages",
                     (json_int_t)s.bad_messages);
}

static json_t *reasm_json(const struct stream_app *a)
{
    struct e2_tcp_reasm_stats r;
    e2_streams_reasm_stats(a->streams, &r);
    json_t *anomalies = json_object();
    for (unsigned i = 0; i < E2_TCP_ANOMALY_COUNT; i++)
        json_object_set_new(anomalies, e2_tcp_anomaly_name(i),
                            json_integer((json_int_t)r.anomalies[i]));
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "segments", (json_int_t)r.segments,
                     "delivered_bytes", (json_int_t)r.delivered_bytes, "retransmitted_bytes",
                     (json_int_t)r.retransmitted_bytes, "overlap_bytes",
                     (json_int_t)r.overlap_bytes, "gaps", (json_int_t)r.gaps, "gap_bytes",
                     (json_int_t)r.gap_bytes, "waiting_bytes", (json_int_t)r.waiting_bytes,
                     "anomalies", anomalies);
}

static json_t *stats(void *ctx)
{
    struct stream_app *a = app_of(ctx);
    json_t *malformed = json_object();
    for (unsigned i = 1; i < E2_PKT_STATUS_COUNT; i++)
        if (a->malformed[i])
            json_object_set_new(malformed, e2_pkt_status_name(i),
                                json_integer((json_int_t)a->malformed[i]));
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:I}", "mode",
                          a->mode == STREAM_LIBRARY ? "library" : "bytestream", "units",
                          (json_int_t)a->units, "forwarded", (json_int_t)a->forwarded, "freed",
                          (json_int_t)a->freed, "blocked", (json_int_t)a->blocked, "not_messages",
                          (json_int_t)a->not_messages, "malformed", malformed, "waiting",
                          (json_int_t)(a->fwd ? e2bs_out_waiting(a->fwd) : 0));
    json_object_set_new(o, "busy_ns", json_integer((json_int_t)a->busy_ns));
    if (a->streams) {
        json_object_set_new(o, "streams", streams_json(a));
        if (a->mode == STREAM_LIBRARY) json_object_set_new(o, "reassembly", reasm_json(a));
    }
    json_t *own = the_def->stats ? the_def->stats(ctx) : NULL;
    if (own) json_object_update(o, own);
    json_decref(own);
    return o;
}

static void fini(void *ctx)
{
    struct stream_app *a = app_of(ctx);
    e2_streams_free(a->streams); /* releases connections: the NF still has its state */
    if (the_def->fini) the_def->fini(ctx);
    for (unsigned i = a->next; i < a->n_pending; i++) e2nf_drop(a->nf, a->pending[i]);
    stream_app_close_out(a->fwd);
}

void stream_app_close_out(struct e2bs_out *o)
{
    struct timespec nap = {0, 1000000};
    for (int i = 0; i < 100 && o && e2bs_out_flush(o); i++) nanosleep(&nap, NULL);
    e2bs_out_free(o);
}

/* ---- main ---- */

static void merge_options(const struct stream_nf *def, struct e2nf_app_option *out)
{
    static const struct e2nf_app_option common[] = {
        {"mode", "MODE", "library (packets on in/out) or bytestream (messages on bs/bs_out)"},
        {"conns", "N", "connections tracked (65536)"},
        {"idle", "SECONDS", "forget a connection idle this long (300)"},
        {"max-flow-bytes", "N", "out-of-order bytes held per direction (262144)"},
    };
    unsigned n = 0;
    for (unsigned i = def->library_only ? 1 : 0; i < sizeof(common) / sizeof(common[0]); i++)
        out[n++] = common[i];
    for (const struct e2nf_app_option *o = def->options; o && o->name && n < OPTIONS_MAX - 1; o++)
        out[n++] = *o;
    out[n] = (struct e2nf_app_option){NULL, NULL, NULL};
}

int stream_app_main(const struct stream_nf *def, int argc, char **argv)
{
    static struct e2nf_app_option options[OPTIONS_MAX];
    the_def = def;
    merge_options(def, options);
    const struct e2nf_app_def app = {
        .prog = def->prog,
        .summary = def->summary,
        .ctx_size = nf_part() + sizeof(struct stream_app),
        .options = options,
        .ops = def->ops,
        .config_required = def->config_required,
        .option = option,
        .load = load,
        .bind = bind,
        .poll = poll,
        .tick = tick,
        .stats = stats,
        .fini = fini,
    };
    return e2nf_app_main(&app, argc, argv);
}
