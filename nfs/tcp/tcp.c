#include "tcp.h"

#include "stream_msg.h"

/* Events one segment can raise besides data: open, gaps, anomalies, close, reset. */
#define TCP_EVENTS_PER_SEGMENT 64

void tcp_init(struct tcp_nf *t, tcp_emit_fn emit, void *emit_ctx)
{
    *t = (struct tcp_nf){.emit = emit, .emit_ctx = emit_ctx};
}

static void emit(struct tcp_nf *t, const struct e2bs_hdr *h, const uint8_t *data)
{
    if (t->emit(t->emit_ctx, h, data)) {
        t->lost++;
        return;
    }
    t->messages[h->kind]++;
}

void tcp_on_data(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                 const uint8_t *bytes, uint32_t len)
{
    (void)user;
    struct e2bs_hdr h;
    stream_msg_hdr(s, dir, E2_STREAM_DATA, off, len, &h);
    emit(ctx, &h, bytes);
}

void tcp_on_event(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                  uint64_t arg)
{
    struct tcp_nf *t = ctx;
    (void)user;
    if (ev == E2_TCP_ANOMALY && arg < E2_TCP_ANOMALY_COUNT) t->anomalies[arg]++;
    struct e2bs_hdr h;
    stream_msg_hdr(s, dir, (int)ev, arg, 0, &h);
    emit(t, &h, NULL);
}

unsigned tcp_worst_messages(const struct e2_tcp_reasm_opts *o, uint32_t data_max)
{
    uint64_t bytes = (uint64_t)o->max_flow_bytes + 65535;
    return (unsigned)((bytes + data_max - 1) / data_max) + TCP_EVENTS_PER_SEGMENT;
}

json_t *tcp_stats_json(const struct tcp_nf *t)
{
    static const char *const kinds[] = {"data", "open", "close", "reset", "gap", "anomaly"};
    json_t *msgs = json_object(), *anomalies = json_object();
    for (unsigned k = 0; k <= E2BS_ANOMALY; k++)
        json_object_set_new(msgs, kinds[k], json_integer((json_int_t)t->messages[k]));
    for (unsigned a = 0; a < E2_TCP_ANOMALY_COUNT; a++)
        json_object_set_new(anomalies, e2_tcp_anomaly_name(a),
                            json_integer((json_int_t)t->anomalies[a]));
    return json_pack("{s:o, s:o, s:I}", "messages", msgs, "anomalies", anomalies, "lost",
                     (json_int_t)t->lost);
}
