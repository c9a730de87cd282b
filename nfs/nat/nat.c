/*
 * The NAT's translation: mappings, sessions, the port pool, TCP state and
 * ICMP errors. See nat.h for the model and nat_impl.h for the tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_csum.h"
#include "nat_impl.h"

#define NEVER         UINT64_MAX
#define SWEEP_BUCKETS 64
#define WORDS         (65536 / 64)
#define PROTO_ICMP    1
#define PROTO_TCP     6
#define PROTO_UDP     17
#define TCP_SYN_BOTH  (NAT_TCP_SYN_OUT | NAT_TCP_SYN_IN)
#define TCP_FIN_BOTH  (NAT_TCP_FIN_OUT | NAT_TCP_FIN_IN)

const uint8_t nat_proto_num[NAT_NPROTO] = {PROTO_TCP, PROTO_UDP, PROTO_ICMP};

int nat_proto_index(uint8_t proto)
{
    return proto == PROTO_TCP    ? NAT_TCP
           : proto == PROTO_UDP  ? NAT_UDP
           : proto == PROTO_ICMP ? NAT_ICMP
                                 : -1;
}

static enum nat_verdict drop(struct nat *n, enum nat_drop why)
{
    n->st.drops[why]++;
    return NAT_DROP;
}

/* ---- removing state: sessions, and mappings with their last session ---- */

static void pool_release(struct nat *n, const struct nat_mapping *m, int pr)
{
    uint64_t *used = n->pool[m->pool].used[pr];
    used[m->ext_port / 64] &= ~(1ull << (m->ext_port % 64));
}

static void mapping_remove(struct nat *n, struct e2_flow_entry *me)
{
    struct nat_mapping *m = NAT_DATA(me, struct nat_mapping);
    pool_release(n, m, nat_proto_index(me->key.proto));
    e2_flowtab_remove(n->map_rev, m->rev);
    e2_flowtab_remove(n->map, me);
}

/* Take session @so out of its mapping and the inbound table; the caller removes @so itself. */
static void session_unlink(struct nat *n, struct e2_flow_entry *so, bool expired)
{
    struct nat_session *s = NAT_DATA(so, struct nat_session);
    struct nat_mapping *m = NAT_DATA(s->map, struct nat_mapping);
    e2_flowtab_remove(n->sess_in, s->in);
    if (s->prev)
        NAT_DATA(s->prev, struct nat_session)->next = s->next;
    else
        m->sessions = s->next;
    if (s->next) NAT_DATA(s->next, struct nat_session)->prev = s->prev;
    if (--m->n_sessions) return;
    if (expired) n->st.mappings_expired[nat_proto_index(so->key.proto)]++;
    mapping_remove(n, s->map);
}

/* A session leaves the outbound table (expiry sweep or eviction by an insert). */
static void sess_out_evict(void *ctx, struct e2_flow_entry *so, bool expired)
{
    struct nat *n = ctx;
    if (expired)
        n->st.sessions_expired[nat_proto_index(so->key.proto)]++;
    else
        n->st.sessions_evicted++;
    session_unlink(n, so, expired);
}

static void session_kill(struct nat *n, struct e2_flow_entry *so, bool expired)
{
    sess_out_evict(n, so, expired);
    e2_flowtab_remove(n->sess_out, so);
}

/* An inbound entry pushed out by an insert: its session goes with it. */
static void sess_in_evict(void *ctx, struct e2_flow_entry *si, bool expired)
{
    (void)expired; /* inbound entries never expire themselves */
    session_kill(ctx, NAT_DATA(si, struct nat_link)->peer, false);
}

/* A mapping pushed out by an insert: every session of it goes, then the mapping with the last. */
static void mapping_kill(struct nat *n, struct e2_flow_entry *me)
{
    struct nat_mapping *m = NAT_DATA(me, struct nat_mapping);
    /* a mapping without sessions exists only inside mapping_get/session_make, never evicted */
    while (m->n_sessions > 1) session_kill(n, m->sessions, false);
    session_kill(n, m->sessions, false); /* the last one removes the mapping: @m is gone */
}

static void map_evict(void *ctx, struct e2_flow_entry *me, bool expired)
{
    (void)expired;
    mapping_kill(ctx, me);
}

static void map_rev_evict(void *ctx, struct e2_flow_entry *re, bool expired)
{
    (void)expired;
    mapping_kill(ctx, NAT_DATA(re, struct nat_link)->peer);
}

/* @so if its session is still alive at @now; a stale one is expired on the spot. */
static struct e2_flow_entry *alive(struct nat *n, struct e2_flow_entry *so, uint64_t now)
{
    if (!so || now < so->expires) return so;
    session_kill(n, so, true);
    return NULL;
}

/* ---- the port pool (RFC 4787 §4.1: paired pooling, no port overloading) ---- */

static int first_free(const uint64_t *used, unsigned a, unsigned b, uint64_t mask)
{
    for (unsigned w = a / 64; w <= b / 64; w++) {
        uint64_t free = ~used[w] & mask;
        if (w == a / 64) free &= ~0ull << (a % 64);
        if (w == b / 64 && b % 64 != 63) free &= (1ull << (b % 64 + 1)) - 1;
        if (free) return (int)(w * 64 + (unsigned)__builtin_ctzll(free));
    }
    return -1;
}

/* A free port in [lo, hi] of the bits in @mask, looking from @start on and then before it. */
static int scan(const uint64_t *used, unsigned lo, unsigned hi, unsigned start, uint64_t mask)
{
    int p = first_free(used, start, hi, mask);
    return p >= 0 || start == lo ? p : first_free(used, lo, start - 1, mask);
}

/*
 * A port for internal port @want: @want itself when free (port preservation),
 * else one of the same range, 0-1023 or 1024-65535 (RFC 4787 REQ-3), and
 * parity (REQ-4) when there is one, from a pseudo-random start; else any.
 */
static int port_pick(const struct nat_pool *p, int pr, uint16_t want, uint32_t seed)
{
    const uint64_t *used = p->used[pr];
    if (want >= p->lo && want <= p->hi && !(used[want / 64] >> (want % 64) & 1)) return want;
    unsigned lo = p->lo, hi = p->hi;
    if (pr != NAT_ICMP && want < 1024 && lo < 1024) hi = hi < 1023 ? hi : 1023;
    if (pr != NAT_ICMP && want >= 1024 && hi >= 1024) lo = lo > 1024 ? lo : 1024;
    unsigned start = lo + seed % (hi - lo + 1);
    int port = -1;
    if (pr != NAT_ICMP)
        port = scan(used, lo, hi, start, want & 1 ? 0xaaaaaaaaaaaaaaaaull : 0x5555555555555555ull);
    if (port < 0) port = scan(used, lo, hi, start, ~0ull);
    if (port < 0) port = scan(used, p->lo, p->hi, p->lo, ~0ull);
    return port;
}

/* ---- making state ---- */

static struct e2_flow_key mapping_key(int pr, uint32_t ip, uint16_t port)
{
    return (struct e2_flow_key){.src_ip = ip, .src_port = port, .proto = nat_proto_num[pr]};
}

/* The mapping of internal endpoint @ip:@port, made if there is none (endpoint-independent). */
static struct e2_flow_entry *mapping_get(struct nat *n, int pr, uint32_t ip, uint16_t port,
                                         uint64_t now)
{
    struct e2_flow_key k = mapping_key(pr, ip, port);
    struct e2_flow_entry *me = e2_flowtab_lookup(n->map, &k);
    if (me) return me;
    struct e2_flow_key addr = {.src_ip = ip};
    unsigned pi = e2_flow_hash(&addr) % n->n_pool; /* paired: one address per host */
    struct nat_pool *pool = &n->pool[pi];
    int ext = port_pick(pool, pr, port, e2_flow_hash(&k));
    if (ext < 0) {
        n->st.pool_exhausted[pr]++;
        return NULL;
    }
    bool created;
    me = e2_flowtab_insert(n->map, &k, now, NEVER, &created);
    struct nat_mapping *m = NAT_DATA(me, struct nat_mapping);
    m->ext_ip = pool->ip;
    m->ext_port = (uint16_t)ext;
    m->pool = (uint16_t)pi;
    struct e2_flow_key rk = {.dst_ip = pool->ip, .dst_port = (uint16_t)ext, .proto = k.proto};
    m->rev = e2_flowtab_insert(n->map_rev, &rk, now, NEVER, &created);
    NAT_DATA(m->rev, struct nat_link)->peer = me;
    pool->used[pr][ext / 64] |= 1ull << (ext % 64);
    n->st.mappings_created[pr]++;
    if (ext == port) n->st.port_preserved++;
    return me;
}

static uint64_t session_timeout(const struct nat *n, int pr, uint8_t tcp)
{
    const uint64_t *t = n->conf.timeout_ns;
    if (pr == NAT_UDP) return t[NAT_TO_UDP];
    if (pr == NAT_ICMP) return t[NAT_TO_ICMP];
    if (tcp & NAT_TCP_RST || (tcp & TCP_FIN_BOTH) == TCP_FIN_BOTH) return t[NAT_TO_TCP_TRANS];
    return (tcp & TCP_SYN_BOTH) == TCP_SYN_BOTH ? t[NAT_TO_TCP_EST] : t[NAT_TO_TCP_TRANS];
}

/* A new session of mapping @me for the outbound 5-tuple @k. */
static struct e2_flow_entry *session_make(struct nat *n, struct e2_flow_entry *me,
                                          const struct e2_flow_key *k, uint64_t now)
{
    struct nat_mapping *m = NAT_DATA(me, struct nat_mapping);
    int pr = nat_proto_index(k->proto);
    m->n_sessions++; /* first: an eviction by the inserts below must not take @me away */
    bool created;
    struct e2_flow_entry *so =
        e2_flowtab_insert(n->sess_out, k, now, now + session_timeout(n, pr, 0), &created);
    struct nat_session *s = NAT_DATA(so, struct nat_session);
    s->map = me;
    s->ext_ip = m->ext_ip;
    s->ext_port = m->ext_port;
    struct e2_flow_key ik = {.src_ip = k->dst_ip,
                             .src_port = pr == NAT_ICMP ? m->ext_port : k->dst_port,
                             .dst_ip = m->ext_ip,
                             .dst_port = m->ext_port,
                             .proto = k->proto};
    s->in = e2_flowtab_insert(n->sess_in, &ik, now, NEVER, &created);
    NAT_DATA(s->in, struct nat_link)->peer = so;
    s->next = m->sessions;
    if (s->next) NAT_DATA(s->next, struct nat_session)->prev = so;
    m->sessions = so;
    n->st.sessions_created[pr]++;
    return so;
}

/* ---- per packet ---- */

/* RFC 5382: SYNs, FINs and RSTs seen each way; a SYN after a close starts over. */
static void tcp_track(struct nat_session *s, uint8_t flags, bool out)
{
    if (flags & E2_TCP_SYN) {
        if (s->tcp & NAT_TCP_RST || (s->tcp & TCP_FIN_BOTH) == TCP_FIN_BOTH) s->tcp = 0;
        s->tcp |= out ? NAT_TCP_SYN_OUT : NAT_TCP_SYN_IN;
    }
    if (flags & E2_TCP_FIN) s->tcp |= out ? NAT_TCP_FIN_OUT : NAT_TCP_FIN_IN;
    if (flags & E2_TCP_RST) s->tcp |= NAT_TCP_RST;
}

const char *nat_tcp_state_name(uint8_t tcp)
{
    if (tcp & NAT_TCP_RST) return "reset";
    if ((tcp & TCP_FIN_BOTH) == TCP_FIN_BOTH) return "closing";
    if ((tcp & TCP_SYN_BOTH) != TCP_SYN_BOTH) return tcp & NAT_TCP_SYN_OUT ? "syn_out" : "syn_in";
    if (tcp & TCP_FIN_BOTH) return tcp & NAT_TCP_FIN_OUT ? "fin_out" : "fin_in";
    return "established";
}

/* ICMP queries go out as requests and come back as replies (RFC 5508). */
static bool icmp_query_ok(uint8_t type, bool out)
{
    return out ? type == 8 || type == 13 : type == 0 || type == 14;
}

/* @k and @h: the packet's 5-tuple and its hash. */
static enum nat_verdict translate_out(struct nat *n, struct e2_pkt *p, int pr,
                                      const struct e2_flow_key *k, uint32_t h, uint64_t now)
{
    if (pr == NAT_ICMP && !icmp_query_ok(p->icmp_type, true)) return drop(n, NAT_DROP_ICMP_TYPE);
    struct e2_flow_entry *so = alive(n, e2_flowtab_lookup_hashed(n->sess_out, k, h), now);
    if (!so) {
        if (pr == NAT_TCP && p->tcp_flags & E2_TCP_RST) return drop(n, NAT_DROP_NO_SESSION);
        struct e2_flow_entry *me = mapping_get(n, pr, p->src_ip, p->src_port, now);
        if (!me) return drop(n, NAT_DROP_POOL);
        so = session_make(n, me, k, now);
        /* TCP picked up mid-stream (no SYN: the NAT restarted) counts as established */
        if (pr == NAT_TCP && !(p->tcp_flags & E2_TCP_SYN))
            NAT_DATA(so, struct nat_session)->tcp = TCP_SYN_BOTH;
    }
    struct nat_session *s = NAT_DATA(so, struct nat_session);
    if (pr == NAT_TCP) tcp_track(s, p->tcp_flags, true);
    so->expires = now + session_timeout(n, pr, s->tcp); /* outbound refresh: RFC 4787 REQ-6 */
    s->pkts_out++;
    e2_pkt_set_endpoint(p, false, s->ext_ip, s->ext_port);
    n->st.translated_out[pr]++;
    return NAT_FORWARD;
}

/* May remote @ip reach mapping @m without a session (RFC 4787 §5, RFC 5382 REQ-3)? */
static bool filter_allows(const struct nat *n, const struct nat_mapping *m, uint32_t ip)
{
    if (n->conf.filtering == NAT_FILTER_ENDPOINT) return true;
    if (n->conf.filtering == NAT_FILTER_ADDRESS_PORT) return false;
    for (struct e2_flow_entry *e = m->sessions; e; e = NAT_DATA(e, struct nat_session)->next)
        if (e->key.dst_ip == ip) return true;
    return false;
}

/* An inbound packet without a session: a new one through an existing mapping, if allowed. */
static struct e2_flow_entry *open_inbound(struct nat *n, const struct e2_pkt *p, int pr,
                                          uint64_t now, enum nat_drop *why)
{
    *why = NAT_DROP_NO_SESSION;
    if (pr == NAT_ICMP) return NULL; /* replies only match queries that went out */
    if (pr == NAT_TCP && (p->tcp_flags & (E2_TCP_SYN | E2_TCP_ACK | E2_TCP_RST)) != E2_TCP_SYN)
        return NULL;
    struct e2_flow_key rk = {.dst_ip = p->dst_ip, .dst_port = p->dst_port, .proto = p->proto};
    struct e2_flow_entry *re = e2_flowtab_lookup(n->map_rev, &rk);
    *why = NAT_DROP_NO_MAPPING;
    if (!re) return NULL;
    struct e2_flow_entry *me = NAT_DATA(re, struct nat_link)->peer;
    *why = NAT_DROP_FILTERED;
    if (!filter_allows(n, NAT_DATA(me, struct nat_mapping), p->src_ip)) return NULL;
    struct e2_flow_key k = {.src_ip = me->key.src_ip,
                            .src_port = me->key.src_port,
                            .dst_ip = p->src_ip,
                            .dst_port = p->src_port,
                            .proto = p->proto};
    return session_make(n, me, &k, now);
}

static enum nat_verdict translate_in(struct nat *n, struct e2_pkt *p, int pr,
                                     const struct e2_flow_key *k, uint32_t h, uint64_t now)
{
    if (pr == NAT_ICMP && !icmp_query_ok(p->icmp_type, false)) return drop(n, NAT_DROP_ICMP_TYPE);
    struct e2_flow_entry *si = e2_flowtab_lookup_hashed(n->sess_in, k, h);
    struct e2_flow_entry *so = si ? alive(n, NAT_DATA(si, struct nat_link)->peer, now) : NULL;
    enum nat_drop why;
    if (!so && !(so = open_inbound(n, p, pr, now, &why))) return drop(n, why);
    struct nat_session *s = NAT_DATA(so, struct nat_session);
    if (pr == NAT_TCP) { /* a TCP connection is idle only when idle both ways */
        tcp_track(s, p->tcp_flags, false);
        so->expires = now + session_timeout(n, pr, s->tcp);
    }
    s->pkts_in++;
    e2_pkt_set_endpoint(p, true, so->key.src_ip, so->key.src_port);
    n->st.translated_in[pr]++;
    return NAT_FORWARD;
}

/*
 * An ICMP error about a datagram the NAT translated (RFC 5508): from
 * outside it quotes an outbound datagram (inner source external), from
 * inside an inbound one (inner destination internal). The quoted endpoint
 * and the outer address facing the NAT are translated back, the inner IP
 * and L4 checksums patched, and the outer ICMP checksum patched for what
 * changed in the quote. An error whose ICMP checksum or quoted IP header
 * checksum is wrong is dropped; errors never refresh sessions.
 */
static enum nat_verdict translate_icmp_error(struct nat *n, struct e2_pkt *p, bool out,
                                             uint64_t now)
{
    struct e2_pkt q;
    if (e2_pkt_parse_quoted(p, &q) != E2_PKT_OK || q.frag_off || nat_proto_index(q.proto) < 0 ||
        (q.proto == PROTO_ICMP && !e2_icmp_is_query(q.icmp_type)))
        return drop(n, NAT_DROP_ICMP_QUOTE);
    const uint8_t *icmp = p->frame + p->l4_off, *quote = q.frame + q.l3_off;
    if (e2_csum_fold(e2_csum_add(0, icmp, p->l4_len)) || e2_csum_fold(e2_csum_add(0, quote, q.ihl)))
        return drop(n, NAT_DROP_ICMP_CHECKSUM); /* a sum over a right checksum is -0 */
    struct e2_flow_key k, rk;
    e2_flow_key_of(&q, &k);
    rk = e2_flow_key_reverse(&k);
    struct e2_flow_entry *so;
    if (out) {
        so = e2_flowtab_lookup(n->sess_out, &rk);
    } else {
        struct e2_flow_entry *si = e2_flowtab_lookup(n->sess_in, &rk);
        so = si ? NAT_DATA(si, struct nat_link)->peer : NULL;
    }
    if (!so || now >= so->expires) return drop(n, NAT_DROP_ICMP_UNMATCHED);
    const struct nat_session *s = NAT_DATA(so, struct nat_session);
    uint8_t before[60 + 20];
    size_t len = q.ihl + (q.l4_len < 20 ? q.l4_len : 20u); /* the words a rewrite touches */
    memcpy(before, quote, len);
    if (out) {
        e2_pkt_set_endpoint(&q, true, s->ext_ip, s->ext_port);
        e2_pkt_set_endpoint(p, false, s->ext_ip, 0);
        n->st.icmp_errors_out++;
    } else {
        e2_pkt_set_endpoint(&q, false, so->key.src_ip, so->key.src_port);
        e2_pkt_set_endpoint(p, true, so->key.src_ip, 0);
        n->st.icmp_errors_in++;
    }
    e2_csum_replace_bytes(p->frame + p->l4_off + 2, before, quote, len);
    return NAT_FORWARD;
}

static bool is_inside(const struct nat *n, uint32_t ip)
{
    for (unsigned i = 0; i < n->conf.n_inside; i++)
        if (nat_prefix_has(&n->conf.inside[i], ip)) return true;
    return false;
}

static bool is_public(const struct nat *n, uint32_t ip)
{
    for (unsigned i = 0; i < n->conf.n_pub; i++)
        if (nat_prefix_has(&n->conf.pub[i].net, ip)) return true;
    return false;
}

static enum nat_verdict other(struct nat *n)
{
    if (!n->conf.pass_other) return drop(n, NAT_DROP_OTHER);
    n->st.passed++;
    return NAT_FORWARD;
}

/* One packet of a burst, from its classification to its translation. */
struct nat_job {
    struct e2_pkt p;
    struct e2_flow_key k; /* of its first lookup, in table t */
    uint32_t h;
    struct e2_flowtab *t;
    int pr;
    bool out, in, error; /* error: an ICMP error, translated without prefetching */
    enum nat_verdict v;
};

/* Parse and sort a packet; false when its verdict (v) is known already. */
static bool classify(struct nat *n, struct nat_job *j, uint8_t *frame, uint32_t len)
{
    enum e2_pkt_status status = e2_pkt_parse(frame, len, &j->p);
    n->st.status[status]++;
    j->t = NULL;
    j->error = false;
    if (status == E2_PKT_NOT_IPV4) return j->v = other(n), false;
    if (status != E2_PKT_OK) return j->v = drop(n, NAT_DROP_MALFORMED), false;
    j->out = is_inside(n, j->p.src_ip);
    j->in = is_public(n, j->p.dst_ip);
    if (!j->out && !j->in) return j->v = other(n), false;
    if (j->p.frag_off) return j->v = drop(n, NAT_DROP_FRAGMENT), false;
    j->pr = nat_proto_index(j->p.proto);
    if (j->pr < 0) return j->v = drop(n, NAT_DROP_PROTO), false;
    if (j->pr == NAT_ICMP && e2_icmp_is_error(j->p.icmp_type)) {
        if (j->out && j->in) return j->v = drop(n, NAT_DROP_ICMP_TYPE), false; /* not hairpinned */
        return j->error = true;
    }
    if (j->out && j->in && !n->conf.hairpin) return j->v = drop(n, NAT_DROP_HAIRPIN), false;
    e2_flow_key_of(&j->p, &j->k);
    j->h = e2_flow_hash(&j->k);
    j->t = j->out ? n->sess_out : n->sess_in;
    e2_flowtab_prefetch(j->t, j->h);
    return true;
}

static enum nat_verdict translate(struct nat *n, struct nat_job *j, uint64_t now)
{
    if (j->error) return translate_icmp_error(n, &j->p, j->out, now);
    if (j->out && translate_out(n, &j->p, j->pr, &j->k, j->h, now) == NAT_DROP) return NAT_DROP;
    if (!j->in) return NAT_FORWARD;
    if (j->out) { /* hairpinned: inbound as it now is */
        e2_flow_key_of(&j->p, &j->k);
        j->h = e2_flow_hash(&j->k);
    }
    enum nat_verdict v = translate_in(n, &j->p, j->pr, &j->k, j->h, now);
    if (j->out && v == NAT_FORWARD) n->st.hairpinned++;
    return v;
}

void nat_process_burst(struct nat *n, uint8_t *const *frames, const uint32_t *lens, unsigned count,
                       enum nat_verdict *verdicts, uint64_t now)
{
    struct nat_job jobs[NAT_BURST];
    for (unsigned base = 0; base < count; base += NAT_BURST) {
        unsigned m = count - base < NAT_BURST ? count - base : NAT_BURST;
        bool todo[NAT_BURST];
        for (unsigned i = 0; i < m; i++)
            todo[i] = classify(n, &jobs[i], frames[base + i], lens[base + i]);
        for (unsigned i = 0; i < m; i++)
            if (jobs[i].t) e2_flowtab_prefetch_entries(jobs[i].t, jobs[i].h);
        for (unsigned i = 0; i < m; i++)
            verdicts[base + i] = todo[i] ? translate(n, &jobs[i], now) : jobs[i].v;
    }
}

enum nat_verdict nat_process(struct nat *n, uint8_t *frame, uint32_t len, uint64_t now)
{
    enum nat_verdict v;
    nat_process_burst(n, &frame, &len, 1, &v, now);
    return v;
}

void nat_tick(struct nat *n, uint64_t now)
{
    e2_flowtab_expire(n->sess_out, now, SWEEP_BUCKETS);
}

/* ---- tables and pools ---- */

static void state_free(struct nat *n)
{
    e2_flowtab_free(n->sess_out);
    e2_flowtab_free(n->sess_in);
    e2_flowtab_free(n->map);
    e2_flowtab_free(n->map_rev);
    free(n->pool);
    free(n->bits);
    n->sess_out = n->sess_in = n->map = n->map_rev = NULL;
    n->pool = NULL;
    n->bits = NULL;
}

static int pools_make(struct nat *n, const struct nat_conf *c, struct e2_err *err)
{
    unsigned count = 0;
    for (unsigned i = 0; i < c->n_pub; i++) count += 1u << (32 - c->pub[i].net.len);
    n->pool = calloc(count, sizeof(*n->pool));
    n->bits = calloc((size_t)count * NAT_NPROTO * WORDS, sizeof(uint64_t));
    if (!n->pool || !n->bits)
        return e2_err_set(err, ENOMEM, "no memory for %u public addresses", count);
    n->n_pool = count;
    struct nat_pool *p = n->pool;
    for (unsigned i = 0; i < c->n_pub; i++) {
        for (uint32_t a = 0; a < 1u << (32 - c->pub[i].net.len); a++, p++) {
            *p = (struct nat_pool){
                .ip = c->pub[i].net.ip + a, .lo = c->pub[i].lo, .hi = c->pub[i].hi};
            for (int pr = 0; pr < NAT_NPROTO; pr++)
                p->used[pr] = n->bits + ((size_t)(p - n->pool) * NAT_NPROTO + (size_t)pr) * WORDS;
        }
    }
    return 0;
}

/* Fresh tables and pools for @c into @n (whose own are not touched on failure). */
static int state_make(struct nat *n, const struct nat_conf *c, struct e2_err *err)
{
    size_t cap = (size_t)c->sessions * 2; /* half full at capacity: evictions stay rare */
    struct nat fresh = {0};
    if (!(fresh.sess_out =
              e2_flowtab_create(cap, sizeof(struct nat_session), sess_out_evict, n, err)) ||
        !(fresh.sess_in = e2_flowtab_create(cap, sizeof(struct nat_link), sess_in_evict, n, err)) ||
        !(fresh.map = e2_flowtab_create(cap, sizeof(struct nat_mapping), map_evict, n, err)) ||
        !(fresh.map_rev = e2_flowtab_create(cap, sizeof(struct nat_link), map_rev_evict, n, err)) ||
        pools_make(&fresh, c, err)) {
        state_free(&fresh);
        return err ? err->code : -ENOMEM;
    }
    state_free(n);
    n->sess_out = fresh.sess_out;
    n->sess_in = fresh.sess_in;
    n->map = fresh.map;
    n->map_rev = fresh.map_rev;
    n->pool = fresh.pool;
    n->bits = fresh.bits;
    n->n_pool = fresh.n_pool;
    return 0;
}

struct nat *nat_create(const struct nat_conf *c, struct e2_err *err)
{
    struct nat *n = calloc(1, sizeof(*n));
    if (!n) {
        e2_err_set(err, ENOMEM, "no memory for the NAT");
        return NULL;
    }
    if (state_make(n, c, err)) {
        free(n);
        return NULL;
    }
    n->conf = *c;
    return n;
}

void nat_free(struct nat *n)
{
    if (!n) return;
    state_free(n);
    free(n);
}

/* Do @a and @b lend the same endpoints to the same hosts, in tables of one size? */
static bool same_space(const struct nat_conf *a, const struct nat_conf *b)
{
    return a->n_inside == b->n_inside && a->n_pub == b->n_pub && a->sessions == b->sessions &&
           !memcmp(a->inside, b->inside, sizeof(a->inside)) &&
           !memcmp(a->pub, b->pub, sizeof(a->pub));
}

int nat_reconfigure(struct nat *n, const struct nat_conf *c, struct e2_err *err)
{
    if (!same_space(&n->conf, c)) {
        if (state_make(n, c, err)) return err ? err->code : -ENOMEM;
        n->st.flushes++;
    }
    n->conf = *c;
    return 0;
}

const struct nat_stats *nat_stats(const struct nat *n)
{
    return &n->st;
}

const struct nat_conf *nat_conf(const struct nat *n)
{
    return &n->conf;
}

void nat_counts(const struct nat *n, size_t *mappings, size_t *sessions)
{
    struct e2_flowtab_stats s;
    e2_flowtab_stats(n->map, &s);
    *mappings = s.entries;
    e2_flowtab_stats(n->sess_out, &s);
    *sessions = s.entries;
}
