/* Flow accounting of the network monitor (mon.h). */
#include "mon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_SHARE 100 /* a sweep looks at 1/100 of the table */

struct mon {
    struct e2_flowtab *tab;
    mon_export_fn fn;
    void *ctx;
    int64_t epoch_ns;
    struct mon_timeouts to;
    const struct mon_url *urls;
    size_t sweep_buckets;
    uint8_t ending; /* mon_end_all's reason while it empties the table */
    struct mon_stats st;
};

const char *mon_end_name(uint8_t end)
{
    static const char *const names[] = {"", "idle", "active", "eof", "forced", "evicted"};
    return end <= MON_END_EVICTED ? names[end] : "unknown";
}

const char *mon_app_name(uint8_t app)
{
    static const char *const names[MON_APP_COUNT] = {"http", "dns", "tls", "other"};
    return app < MON_APP_COUNT ? names[app] : "unknown";
}

static uint64_t epoch_ms(const struct mon *m, uint64_t ns)
{
    return (uint64_t)((int64_t)ns + m->epoch_ns) / 1000000u;
}

static void record_of(const struct mon *m, const struct e2_flow_entry *e, uint8_t end,
                      struct mon_record *r)
{
    const struct mon_flow *f = (const struct mon_flow *)e->data;
    *r = (struct mon_record){
        .key = e->key,
        .packets = f->packets - f->rep_packets,
        .bytes = f->bytes - f->rep_bytes,
        .packets_total = f->packets,
        .bytes_total = f->bytes,
        .first_ms = epoch_ms(m, f->first),
        .last_ms = epoch_ms(m, f->last),
        .tcp_flags = f->tcp_flags,
        .end = end,
        .app = f->app,
        .url = f->url,
    };
}

static void report(struct mon *m, struct e2_flow_entry *e, uint8_t end)
{
    struct mon_record r;
    record_of(m, e, end, &r);
    struct mon_flow *f = (struct mon_flow *)e->data;
    f->rep_packets = f->packets;
    f->rep_bytes = f->bytes;
    m->st.records[end]++;
    m->fn(m->ctx, &r);
}

static void on_evict(void *ctx, struct e2_flow_entry *e, bool expired)
{
    struct mon *m = ctx;
    const struct mon_flow *f = (const struct mon_flow *)e->data;
    report(m, e,
           m->ending  ? m->ending
           : !expired ? MON_END_EVICTED
           : f->ended ? MON_END_EOF
                      : MON_END_IDLE);
}

struct mon *mon_create(size_t capacity, mon_export_fn fn, void *ctx, int64_t epoch_ns,
                       struct e2_err *err)
{
    struct mon *m = calloc(1, sizeof(*m));
    if (!m) {
        e2_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    m->tab = e2_flowtab_create(capacity, sizeof(struct mon_flow), on_evict, m, err);
    if (!m->tab) {
        free(m);
        return NULL;
    }
    struct e2_flowtab_stats ts;
    e2_flowtab_stats(m->tab, &ts);
    m->sweep_buckets = ts.buckets / SWEEP_SHARE + 1;
    m->fn = fn;
    m->ctx = ctx;
    m->epoch_ns = epoch_ns;
    m->to = (struct mon_timeouts){30000000000ull, 60000000000ull, 1000000000ull};
    return m;
}

void mon_free(struct mon *m)
{
    if (!m) return;
    e2_flowtab_free(m->tab);
    free(m);
}

void mon_configure(struct mon *m, const struct mon_timeouts *t, const struct mon_url *urls)
{
    m->to = *t;
    m->urls = urls;
}

/* Give a new flow its class: its reverse direction's if known, else by ports. */
static void classify_new(struct mon *m, struct e2_flow_entry *e)
{
    struct mon_flow *f = (struct mon_flow *)e->data;
    struct e2_flow_key rk = e2_flow_key_reverse(&e->key);
    struct e2_flow_entry *r = e2_flowtab_lookup(m->tab, &rk);
    const struct mon_flow *rf = r ? (const struct mon_flow *)r->data : NULL;
    if (rf && rf->classified) {
        f->app = rf->app;
        f->url = rf->url;
        f->classified = true;
        return;
    }
    f->app = mon_app_of_ports(e->key.proto, e->key.src_port, e->key.dst_port);
}

/* The first payload of a connection decides its class and URL, for both directions. */
static void classify_payload(struct mon *m, struct e2_flow_entry *e, const struct e2_pkt *p)
{
    struct mon_flow *f = (struct mon_flow *)e->data;
    const uint8_t *pl = p->frame + p->payload_off;
    size_t len = (size_t)(p->l3_off + p->total_len - p->payload_off);
    f->app = mon_app_of_payload(pl, len, f->app);
    char url[256];
    if (f->app == MON_APP_HTTP && m->urls && mon_http_url(pl, len, url, sizeof(url)))
        f->url = mon_url_lookup(m->urls, url);
    f->classified = true;
    struct e2_flow_key rk = e2_flow_key_reverse(&e->key);
    struct e2_flow_entry *r = e2_flowtab_lookup(m->tab, &rk);
    if (!r) return;
    struct mon_flow *rf = (struct mon_flow *)r->data;
    rf->app = f->app;
    rf->url = f->url;
    rf->classified = true;
}

static bool has_payload(const struct e2_pkt *p)
{
    return !p->is_frag && (p->proto == 6 || p->proto == 17) &&
           p->payload_off < p->l3_off + p->total_len;
}

/* Count the parsed packet @p of key @k (hash @h) at @now; its flow after it. */
static const struct mon_flow *account(struct mon *m, const struct e2_pkt *p,
                                      const struct e2_flow_key *k, uint32_t h, uint64_t now)
{
    bool created;
    struct e2_flow_entry *e =
        e2_flowtab_insert_hashed(m->tab, k, h, now, now + m->to.idle, &created);
    struct mon_flow *f = (struct mon_flow *)e->data;
    if (created) {
        m->st.flows_created++;
        f->first = f->reported = now;
        classify_new(m, e);
    } else if (now - f->reported >= m->to.active) {
        report(m, e, MON_END_ACTIVE); /* before this packet: counts up to now */
        f->reported = now;
    }
    f->packets++;
    f->bytes += p->total_len;
    f->last = now;
    if (p->proto == 6 && !p->is_frag) f->tcp_flags |= p->tcp_flags;
    if (!f->classified && has_payload(p)) classify_payload(m, e, p);
    if (!f->ended) e->expires = now + m->to.idle;
    if (!f->ended && p->proto == 6 && !p->is_frag && (p->tcp_flags & (E2_TCP_FIN | E2_TCP_RST))) {
        f->ended = true;
        e->expires = now + m->to.linger;
    }
    return f;
}

void mon_burst(struct mon *m, uint8_t *const *frames, const uint32_t *lens, unsigned n,
               uint64_t now, const struct mon_flow **flows, enum e2_pkt_status *status)
{
    for (; n > MON_BURST; n -= MON_BURST, frames += MON_BURST, lens += MON_BURST,
                          flows += MON_BURST, status = status ? status + MON_BURST : NULL)
        mon_burst(m, frames, lens, MON_BURST, now, flows, status);
    struct e2_pkt p[MON_BURST];
    struct e2_flow_key k[MON_BURST];
    uint32_t h[MON_BURST];
    bool ok[MON_BURST];
    for (unsigned i = 0; i < n; i++) __builtin_prefetch(frames[i]); /* headers: one line */
    for (unsigned i = 0; i < n; i++) { /* parse, and start loading the buckets */
        enum e2_pkt_status s = e2_pkt_parse(frames[i], lens[i], &p[i]);
        if (status) status[i] = s;
        m->st.packets++;
        m->st.bytes += lens[i];
        ok[i] = s == E2_PKT_OK;
        flows[i] = NULL;
        if (!ok[i]) {
            m->st.bad[s]++;
            continue;
        }
        e2_flow_key_of(&p[i], &k[i]);
        h[i] = e2_flow_hash(&k[i]);
        e2_flowtab_prefetch(m->tab, h[i]);
    }
    for (unsigned i = 0; i < n; i++) /* then the entries the buckets point at */
        if (ok[i]) e2_flowtab_prefetch_entries(m->tab, h[i]);
    for (unsigned i = 0; i < n; i++)
        if (ok[i]) flows[i] = account(m, &p[i], &k[i], h[i], now);
}

enum e2_pkt_status mon_packet(struct mon *m, uint8_t *frame, uint32_t len, uint64_t now,
                              const struct mon_flow **flow)
{
    enum e2_pkt_status s;
    mon_burst(m, &frame, &len, 1, now, flow, &s);
    return s;
}

void mon_sweep(struct mon *m, uint64_t now)
{
    e2_flowtab_expire(m->tab, now, m->sweep_buckets);
}

void mon_end_all(struct mon *m, uint8_t reason)
{
    struct e2_flowtab_stats ts;
    e2_flowtab_stats(m->tab, &ts);
    m->ending = reason; /* on_evict reports every entry with it */
    e2_flowtab_expire(m->tab, UINT64_MAX, ts.buckets);
    m->ending = 0;
}

struct top {
    struct mon *m;
    unsigned n, have;
    struct mon_record *out;
};

static void top_one(void *ctx, struct e2_flow_entry *e)
{
    struct top *t = ctx;
    const struct mon_flow *f = (const struct mon_flow *)e->data;
    if (t->have == t->n && f->bytes <= t->out[t->n - 1].bytes_total) return;
    unsigned i = t->have < t->n ? t->have++ : t->n - 1;
    for (; i > 0 && t->out[i - 1].bytes_total < f->bytes; i--) t->out[i] = t->out[i - 1];
    record_of(t->m, e, 0, &t->out[i]);
}

unsigned mon_top(struct mon *m, unsigned n, struct mon_record *out)
{
    struct top t = {m, n, 0, out};
    if (n) e2_flowtab_foreach(m->tab, top_one, &t);
    return t.have;
}

void mon_stats(const struct mon *m, struct mon_stats *s, struct e2_flowtab_stats *table)
{
    *s = m->st;
    e2_flowtab_stats(m->tab, table);
}
