#include "fw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_nfsig.h"

#define PROTO_ICMP    1
#define PROTO_TCP     6
#define PROTO_UDP     17
#define ETHER_ARP     0x0806
#define SWEEP_BUCKETS 256

enum { DIR_ORIG, DIR_REPLY };

/* TCP connection states (Linux's names) and their timeouts in seconds. */
enum tcp_state {
    TCP_NONE,
    TCP_SYN_SENT,
    TCP_SYN_RECV,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT,
    TCP_CLOSE_WAIT,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
    TCP_CLOSE,
    TCP_STATES,
};

static const char *const tcp_names[TCP_STATES] = {"NONE",        "SYN_SENT",  "SYN_RECV",
                                                  "ESTABLISHED", "FIN_WAIT",  "CLOSE_WAIT",
                                                  "LAST_ACK",    "TIME_WAIT", "CLOSE"};
static const uint32_t tcp_timeout_s[TCP_STATES] = {0, 120, 60, 432000, 120, 60, 30, 120, 10};

enum {
    UDP_TIMEOUT_S = 30,
    UDP_REPLIED_TIMEOUT_S = 120,
    ICMP_TIMEOUT_S = 30,
    OTHER_TIMEOUT_S = 600,
};

/* The verdict a direction's last packet got, while state and rule set hold. */
struct fw_cache {
    uint32_t gen;
    int32_t rule;
    uint8_t state;
};

/* A tracked connection: the data of its flow-table entry. */
struct fw_conn {
    struct fw_cache cache[2]; /* per direction */
    bool orig_swapped;        /* the opening packet's key was the canonical key reversed */
    bool replied;
    uint8_t tcp; /* enum tcp_state */
    uint8_t fin; /* bit per direction that sent a FIN */
};

struct fw {
    struct fw_opts o;
    struct e2_flowtab *conns, *blocks;
    size_t blocks_live; /* blocks held, as of the last change or sweep: 0 skips their lookup */
    struct fw_ruleset *rs;
    uint32_t gens;
    struct fw_stats st;
};

/* What tracking says of a packet. */
struct fw_track {
    struct e2_flow_entry *e; /* its connection, or NULL */
    unsigned dir;
    uint8_t state;
    bool create; /* no connection yet: confirm one if the packet is accepted */
};

static struct fw_conn *conn_of(struct e2_flow_entry *e)
{
    return (struct fw_conn *)e->data;
}

/* ---- rule sets ---- */

/* rte_acl (o.build) from acl_min_rules rules on, else the scan. */
static fw_classifier_build_fn builder_for(const struct fw *fw, const struct fw_ruleset *rs)
{
    bool compiled = fw->o.build && fw->o.acl_min_rules && rs->n >= fw->o.acl_min_rules;
    return compiled ? fw->o.build : fw_scan_build;
}

int fw_install(struct fw *fw, struct fw_ruleset *rs, struct e2_err *err)
{
    if (builder_for(fw, rs)(rs, &rs->cls, err)) {
        fw_ruleset_free(rs);
        return -EINVAL;
    }
    if (++fw->gens == 0) fw->gens = 1; /* 0 marks an empty verdict cache */
    rs->gen = fw->gens;
    struct fw_ruleset *old = fw->rs;
    fw->rs = rs;
    fw_ruleset_free(old);
    return 0;
}

int fw_load_text(struct fw *fw, const char *text, const char *name, struct e2_err *err)
{
    struct fw_ruleset *rs;
    if (fw_ruleset_parse_text(text, name, &rs, err)) return -EINVAL;
    return fw_install(fw, rs, err);
}

int fw_load_file(struct fw *fw, const char *path, struct e2_err *err)
{
    if (!path) return fw_load_text(fw, "", "(no rules)", err);
    struct fw_ruleset *rs;
    if (fw_ruleset_parse_file(path, &rs, err)) return -EINVAL;
    return fw_install(fw, rs, err);
}

int fw_set_builder(struct fw *fw, fw_classifier_build_fn build, struct e2_err *err)
{
    fw->o.build = build;
    struct fw_ruleset *rs = fw->rs;
    struct fw_classifier *cls;
    if (builder_for(fw, rs)(rs, &cls, err)) return -EINVAL;
    rs->cls->destroy(rs->cls);
    rs->cls = cls;
    return 0;
}

const struct fw_ruleset *fw_rules(const struct fw *fw)
{
    return fw->rs;
}

/* ---- connection tracking ---- */

/* Linux's tcp_valid_flags: the combinations a segment may carry (PSH, ECE, CWR aside). */
static bool tcp_flags_valid(uint8_t flags)
{
    uint8_t f = flags & (E2_TCP_SYN | E2_TCP_ACK | E2_TCP_FIN | E2_TCP_RST);
    return f == E2_TCP_SYN || f == (E2_TCP_SYN | E2_TCP_ACK) || f == E2_TCP_RST ||
           f == (E2_TCP_RST | E2_TCP_ACK) || f == (E2_TCP_FIN | E2_TCP_ACK) || f == E2_TCP_ACK;
}

enum tcp_step { STEP_OK, STEP_INVALID, STEP_REOPEN };

/* Move @c by a segment with @flags (valid) in direction @dir. */
static enum tcp_step tcp_step(struct fw_conn *c, unsigned dir, uint8_t flags)
{
    uint8_t f = flags & (E2_TCP_SYN | E2_TCP_ACK | E2_TCP_FIN | E2_TCP_RST);
    if (f & E2_TCP_RST) {
        c->tcp = TCP_CLOSE;
        return STEP_OK;
    }
    if (f == E2_TCP_SYN) {
        if (c->tcp == TCP_TIME_WAIT || c->tcp == TCP_CLOSE) return STEP_REOPEN;
        return dir == DIR_ORIG && c->tcp == TCP_SYN_SENT ? STEP_OK : STEP_INVALID;
    }
    if (f == (E2_TCP_SYN | E2_TCP_ACK)) {
        if (dir != DIR_REPLY || (c->tcp != TCP_SYN_SENT && c->tcp != TCP_SYN_RECV))
            return STEP_INVALID;
        c->tcp = TCP_SYN_RECV;
        return STEP_OK;
    }
    if (f & E2_TCP_FIN) {
        if (c->tcp < TCP_SYN_RECV || c->tcp > TCP_LAST_ACK) return STEP_INVALID;
        c->fin |= (uint8_t)(1u << dir);
        c->tcp = c->fin == 3 ? TCP_LAST_ACK : dir == DIR_ORIG ? TCP_FIN_WAIT : TCP_CLOSE_WAIT;
        return STEP_OK;
    }
    switch (c->tcp) { /* a bare ACK */
    case TCP_SYN_SENT: return STEP_INVALID;
    case TCP_SYN_RECV:
        if (dir == DIR_ORIG) c->tcp = TCP_ESTABLISHED;
        return STEP_OK;
    case TCP_LAST_ACK: c->tcp = TCP_TIME_WAIT; return STEP_OK;
    default: return STEP_OK;
    }
}

static uint64_t conn_timeout(uint8_t proto, const struct fw_conn *c)
{
    uint64_t s = proto == PROTO_TCP    ? tcp_timeout_s[c->tcp]
                 : proto == PROTO_UDP  ? (c->replied ? UDP_REPLIED_TIMEOUT_S : UDP_TIMEOUT_S)
                 : proto == PROTO_ICMP ? ICMP_TIMEOUT_S
                                       : OTHER_TIMEOUT_S;
    return s * FW_NS;
}

/* The entry of @k unless it has timed out (then it goes now, not at the next sweep). */
static struct e2_flow_entry *live_lookup(struct e2_flowtab *t, const struct e2_flow_key *k,
                                         uint64_t now)
{
    struct e2_flow_entry *e = e2_flowtab_lookup(t, k);
    if (e && now >= e->expires) {
        e2_flowtab_remove(t, e);
        return NULL;
    }
    return e;
}

/* May this packet open a connection? TCP: a SYN alone; ICMP: a query's request. */
static bool starts_conn(const struct e2_pkt *p)
{
    if (p->proto == PROTO_TCP)
        return tcp_flags_valid(p->tcp_flags) &&
               (p->tcp_flags & (E2_TCP_SYN | E2_TCP_ACK | E2_TCP_FIN | E2_TCP_RST)) == E2_TCP_SYN;
    if (p->proto == PROTO_ICMP)
        return p->icmp_type == 8 || p->icmp_type == 13 || p->icmp_type == 15 || p->icmp_type == 17;
    return true;
}

/* An ICMP error that quotes a tracked connection. */
static bool is_related(struct fw *fw, const struct e2_pkt *p, uint64_t now)
{
    struct e2_pkt inner;
    if (e2_pkt_parse_quoted(p, &inner) != E2_PKT_OK) return false;
    struct e2_flow_key k;
    bool swapped;
    e2_flow_key_of(&inner, &k);
    struct e2_flow_key ck = e2_flow_key_canonical(&k, &swapped);
    return live_lookup(fw->conns, &ck, now) != NULL;
}

/* Move @e (the connection of @p, direction @dir) on by @p, unless @p breaks it. */
static enum tcp_step follow(const struct e2_pkt *p, struct e2_flow_entry *e, unsigned dir,
                            uint64_t now)
{
    struct fw_conn *c = conn_of(e);
    if (p->proto == PROTO_TCP) {
        enum tcp_step s =
            tcp_flags_valid(p->tcp_flags) ? tcp_step(c, dir, p->tcp_flags) : STEP_INVALID;
        if (s != STEP_OK) return s;
    }
    if (dir == DIR_REPLY) c->replied = true;
    e->expires = now + conn_timeout(p->proto, c);
    return STEP_OK;
}

static void track(struct fw *fw, const struct e2_pkt *p, const struct e2_flow_key *ck, bool swapped,
                  uint64_t now, struct fw_track *t)
{
    if (p->frag_off) {
        fw->st.fragments++;
        t->state = FW_CT_INVALID;
        return;
    }
    if (p->proto == PROTO_ICMP && e2_icmp_is_error(p->icmp_type)) {
        t->state = is_related(fw, p, now) ? FW_CT_RELATED : FW_CT_INVALID;
        return;
    }
    struct e2_flow_entry *e = live_lookup(fw->conns, ck, now);
    if (e) {
        unsigned dir = swapped != conn_of(e)->orig_swapped ? DIR_REPLY : DIR_ORIG;
        enum tcp_step s = follow(p, e, dir, now);
        if (s == STEP_OK) {
            *t = (struct fw_track){.e = e, .dir = dir};
            t->state = dir == DIR_REPLY || conn_of(e)->replied ? FW_CT_ESTABLISHED : FW_CT_NEW;
            return;
        }
        if (s == STEP_INVALID) {
            fw->st.tcp_invalid++;
            *t = (struct fw_track){.e = e, .dir = dir, .state = FW_CT_INVALID};
            return;
        }
        e2_flowtab_remove(fw->conns, e); /* a SYN after the end: a new connection */
    }
    if (starts_conn(p)) {
        *t = (struct fw_track){.state = FW_CT_NEW, .create = true};
        return;
    }
    if (p->proto == PROTO_TCP) fw->st.tcp_invalid++;
    t->state = FW_CT_INVALID;
}

/* An accepted first packet: the connection exists from now on. */
static void confirm(struct fw *fw, const struct e2_pkt *p, const struct e2_flow_key *ck,
                    bool swapped, uint64_t now, int32_t rule)
{
    bool created;
    struct e2_flow_entry *e = e2_flowtab_insert(fw->conns, ck, now, now, &created);
    struct fw_conn *c = conn_of(e);
    *c = (struct fw_conn){.orig_swapped = swapped, .tcp = p->proto == PROTO_TCP ? TCP_SYN_SENT : 0};
    c->cache[DIR_ORIG] = (struct fw_cache){.gen = fw->rs->gen, .rule = rule, .state = FW_CT_NEW};
    e->expires = now + conn_timeout(p->proto, c);
    fw->st.conns_created++;
}

/* ---- verdicts ---- */

static int32_t rule_for(struct fw *fw, const struct e2_pkt *p, const struct fw_track *t)
{
    const struct fw_ruleset *rs = fw->rs;
    struct fw_cache *cache = t->e ? &conn_of(t->e)->cache[t->dir] : NULL;
    if (cache && cache->gen == rs->gen && cache->state == t->state) {
        fw->st.cache_hits++;
        return cache->rule;
    }
    struct fw_key k = {.src_ip = p->src_ip,
                       .dst_ip = p->dst_ip,
                       .src_port = p->src_port,
                       .dst_port = p->dst_port,
                       .proto = p->proto,
                       .state = t->state,
                       .ports = (p->proto == PROTO_TCP || p->proto == PROTO_UDP) && !p->frag_off};
    int32_t rule;
    rs->cls->classify(rs->cls, &k, 1, &rule);
    fw->st.classified++;
    if (cache) *cache = (struct fw_cache){.gen = rs->gen, .rule = rule, .state = t->state};
    return rule;
}

/* A parsed packet of a burst, with its connection's canonical key. */
struct fw_parsed {
    struct e2_pkt p;
    struct e2_flow_key ck;
    enum e2_pkt_status status;
    bool swapped;
};

static void parse(uint8_t *frame, uint32_t len, struct fw_parsed *x)
{
    x->status = e2_pkt_parse(frame, len, &x->p);
    if (x->status != E2_PKT_OK) return;
    struct e2_flow_key k;
    e2_flow_key_of(&x->p, &k);
    x->ck = e2_flow_key_canonical(&k, &x->swapped);
}

static enum fw_verdict judge_ipv4(struct fw *fw, const struct fw_parsed *x, uint32_t len,
                                  uint64_t now)
{
    const struct e2_pkt *p = &x->p;
    if (fw->blocks_live && live_lookup(fw->blocks, &x->ck, now)) {
        fw->st.blocked++;
        return FW_UNSAFE;
    }
    struct fw_track t = {0};
    track(fw, p, &x->ck, x->swapped, now, &t);
    fw->st.state[t.state]++;
    int32_t rule = rule_for(fw, p, &t);
    struct fw_ruleset *rs = fw->rs;
    uint32_t idx = rule < 0 ? rs->n : (uint32_t)rule;
    rs->packets[idx]++;
    rs->bytes[idx] += len;
    enum fw_verdict v = rule < 0 ? rs->policy : rs->rules[rule].verdict;
    if (t.create && v == FW_SAFE) confirm(fw, p, &x->ck, x->swapped, now, rule);
    return v;
}

static enum fw_verdict judge(struct fw *fw, const struct fw_parsed *x, uint32_t len, uint64_t now)
{
    if (x->status == E2_PKT_OK) return judge_ipv4(fw, x, len, now);
    if (x->status == E2_PKT_NOT_IPV4 && x->p.ether_type == ETHER_ARP) {
        fw->st.arp++;
        return FW_SAFE;
    }
    if (x->status == E2_PKT_NOT_IPV4) {
        fw->st.not_ipv4++;
        return fw->rs->policy;
    }
    fw->st.malformed[x->status]++;
    return FW_UNSAFE;
}

void fw_burst(struct fw *fw, uint8_t *const *frames, const uint32_t *lens, unsigned n, uint64_t now,
              uint8_t *verdicts)
{
    struct fw_parsed x[FW_BURST];
    for (unsigned done = 0; done < n; done += FW_BURST) {
        unsigned m = n - done < FW_BURST ? n - done : FW_BURST;
        for (unsigned i = 0; i < m; i++) parse(frames[done + i], lens[done + i], &x[i]);
        for (unsigned i = 0; i < m; i++) {
            enum fw_verdict v = judge(fw, &x[i], lens[done + i], now);
            verdicts[done + i] = (uint8_t)v;
            fw->st.bytes += lens[done + i];
            if (v == FW_SAFE)
                fw->st.safe++;
            else
                fw->st.unsafe++;
        }
    }
    fw->st.packets += n;
}

enum fw_verdict fw_packet(struct fw *fw, uint8_t *frame, uint32_t len, uint64_t now)
{
    uint8_t v;
    fw_burst(fw, &frame, &len, 1, now, &v);
    return (enum fw_verdict)v;
}

/* ---- blocks, expiry ---- */

void fw_block(struct fw *fw, const struct e2_flow_key *k, uint64_t timeout_ns, uint64_t now)
{
    struct e2_flow_key clean = {.src_ip = k->src_ip,
                                .dst_ip = k->dst_ip,
                                .src_port = k->src_port,
                                .dst_port = k->dst_port,
                                .proto = k->proto};
    bool swapped, created;
    struct e2_flow_key ck = e2_flow_key_canonical(&clean, &swapped);
    uint64_t until = now + (timeout_ns ? timeout_ns : fw->o.block_timeout_ns);
    e2_flowtab_insert(fw->blocks, &ck, now, until, &created)->expires = until;
    struct e2_flow_entry *e = e2_flowtab_lookup(fw->conns, &ck);
    if (e) e2_flowtab_remove(fw->conns, e);
    fw->st.blocks_added++;
    fw->blocks_live = fw_block_count(fw);
}

void fw_signal(struct fw *fw, uint32_t type, const void *data, size_t len, uint64_t now)
{
    struct e2_nfsig_block b = {0};
    if (type != E2_NFSIG_BLOCK_FLOW || (len != sizeof(b) && len != sizeof(struct e2_flow_key))) {
        fw->st.bad_signals++;
        return;
    }
    memcpy(&b, data, len);
    fw_block(fw, &b.flow, (uint64_t)b.timeout_s * FW_NS, now);
}

void fw_expire(struct fw *fw, uint64_t now)
{
    e2_flowtab_expire(fw->conns, now, SWEEP_BUCKETS);
    if (fw->blocks_live) {
        e2_flowtab_expire(fw->blocks, now, SWEEP_BUCKETS);
        fw->blocks_live = fw_block_count(fw);
    }
}

/* ---- life, introspection ---- */

struct fw *fw_create(const struct fw_opts *o, struct e2_err *err)
{
    struct fw *fw = calloc(1, sizeof(*fw));
    if (!fw) return NULL;
    fw->o = *o;
    fw->conns = e2_flowtab_create(o->conn_max, sizeof(struct fw_conn), NULL, NULL, err);
    fw->blocks = fw->conns ? e2_flowtab_create(o->block_max, 0, NULL, NULL, err) : NULL;
    if (!fw->blocks || fw_load_file(fw, NULL, err)) {
        fw_free(fw);
        return NULL;
    }
    return fw;
}

void fw_free(struct fw *fw)
{
    if (!fw) return;
    e2_flowtab_free(fw->conns);
    e2_flowtab_free(fw->blocks);
    fw_ruleset_free(fw->rs);
    free(fw);
}

const struct fw_stats *fw_stats(const struct fw *fw)
{
    return &fw->st;
}

static size_t table_entries(const struct e2_flowtab *t)
{
    struct e2_flowtab_stats s;
    e2_flowtab_stats(t, &s);
    return s.entries;
}

size_t fw_conn_count(const struct fw *fw)
{
    return table_entries(fw->conns);
}

size_t fw_block_count(const struct fw *fw)
{
    return table_entries(fw->blocks);
}

void fw_conn_table_stats(const struct fw *fw, struct e2_flowtab_stats *s)
{
    e2_flowtab_stats(fw->conns, s);
}

struct conn_walk {
    void (*fn)(void *ctx, const struct fw_conn_info *c);
    void *ctx;
};

static void conn_visit(void *ctx, struct e2_flow_entry *e)
{
    struct conn_walk *w = ctx;
    const struct fw_conn *c = conn_of(e);
    struct fw_conn_info info = {
        .orig = c->orig_swapped ? e2_flow_key_reverse(&e->key) : e->key,
        .proto_state = e->key.proto == PROTO_TCP ? tcp_names[c->tcp] : "",
        .replied = c->replied,
        .expires = e->expires,
    };
    w->fn(w->ctx, &info);
}

void fw_conn_foreach(struct fw *fw, void (*fn)(void *ctx, const struct fw_conn_info *c), void *ctx)
{
    struct conn_walk w = {.fn = fn, .ctx = ctx};
    e2_flowtab_foreach(fw->conns, conn_visit, &w);
}
