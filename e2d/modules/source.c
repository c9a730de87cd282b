/*
 * Source — the traffic generator. The operator's manual is source_type.manual at the end
 * of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "e2/meta.h"
#include "module.h"
#include "pktpool.h"
#include "tbucket.h"
#include "worker.h"

#define SIZES_MAX 32
#define FRAME_MAX 2048

enum { PROTO_UDP, PROTO_TCP, PROTO_ICMP };
static const char *const proto_names[] = {"udp", "tcp", "icmp", NULL};

struct tmpl_args {
    uint8_t src_mac[6], dst_mac[6];
    char src_ip[40], dst_ip[40];
    int proto;
    json_t *src_port, *dst_port, *size;
    uint8_t ttl, tos;
    uint16_t vlan;
    uint8_t tcp_flags;
};

static const struct e2_arg tmpl_spec[] = {
    E2_ARG_MAC(struct tmpl_args, src_mac, "\"02:00:00:00:00:01\"", "source MAC"),
    E2_ARG_MAC(struct tmpl_args, dst_mac, "\"02:00:00:00:00:02\"", "destination MAC"),
    E2_ARG_STR(struct tmpl_args, src_ip, "\"10.0.0.1\"", "source address, prefix or range"),
    E2_ARG_STR(struct tmpl_args, dst_ip, "\"10.0.1.1\"", "destination address, prefix or range"),
    E2_ARG_ENUM(struct tmpl_args, proto, "\"udp\"", proto_names, "L4 protocol"),
    E2_ARG_JSON(struct tmpl_args, src_port, "1024", "source port or \"lo-hi\" (ICMP: echo id)"),
    E2_ARG_JSON(struct tmpl_args, dst_port, "80", "destination port or \"lo-hi\""),
    E2_ARG_JSON(struct tmpl_args, size, "64", "frame length without FCS, or a list used in turn"),
    E2_ARG_U8(struct tmpl_args, ttl, "64", 1, 255, "IP TTL"),
    E2_ARG_U8(struct tmpl_args, tos, "0", 0, 255, "IP TOS byte"),
    E2_ARG_U16(struct tmpl_args, vlan, "0", 0, 4094, "802.1Q VLAN id, 0 for none"),
    E2_ARG_U8(struct tmpl_args, tcp_flags, "2", 0, 255, "TCP flags byte (2 = SYN)"),
    E2_ARG_END,
};

struct tmpl {
    uint8_t hdr[64];
    uint16_t hdr_len, l3_off, l4_off;
    int proto;
    uint32_t sip_lo, sip_n, dip_lo, dip_n; /* host order */
    uint32_t sport_lo, sport_n, dport_lo, dport_n;
    uint64_t n_flows, next;
    uint16_t sizes[SIZES_MAX];
    uint32_t n_sizes, next_size;
};

struct source_args {
    json_t *templates;
    uint32_t burst;
    uint64_t rate, limit;
    bool random, checksum;
};

struct source_priv {
    struct tmpl *t;
    uint32_t n_t, next_t, burst;
    uint64_t limit, sent, bytes, alloc_failed;
    bool random, checksum, paced;
    uint64_t rng;
    struct e2_tbucket tb;
};

static const struct e2_arg source_spec[] = {
    E2_ARG_JSON(struct source_args, templates, "[{}]", "list of packet templates (see above)"),
    E2_ARG_U32(struct source_args, burst, "32", 1, E2_BATCH_MAX, "packets per task run"),
    E2_ARG_U64(struct source_args, rate, "0", 0, 0,
               "packets per second, 0 for as fast as possible"),
    E2_ARG_U64(struct source_args, limit, "0", 0, 0, "stop after this many packets, 0 for never"),
    E2_ARG_BOOL(struct source_args, random, "false", "pick flows at random instead of in turn"),
    E2_ARG_BOOL(struct source_args, checksum, "true", "compute IP and L4 checksums"),
    E2_ARG_END,
};

/* "a.b.c.d", "a.b.c.d/len" or "a.b.c.d-e.f.g.h" -> [lo, lo + n) in host order. */
static int parse_ip_range(const char *what, const char *s, uint32_t *lo, uint32_t *n,
                          struct e2_err *err)
{
    char buf[40];
    snprintf(buf, sizeof(buf), "%s", s);
    char *sep = strpbrk(buf, "/-");
    char kind = sep ? *sep : 0;
    if (sep) *sep = '\0';
    struct in_addr a, b;
    if (inet_pton(AF_INET, buf, &a) != 1)
        return e2_err_set(err, EINVAL, "'%s' = \"%s\": bad address", what, s);
    *lo = ntohl(a.s_addr);
    *n = 1;
    if (kind == '/') {
        char *end;
        long len = strtol(sep + 1, &end, 10);
        if (*end || len < 8 || len > 32)
            return e2_err_set(err, EINVAL, "'%s' = \"%s\": prefix length must be 8..32", what, s);
        *n = (uint32_t)(1ull << (32 - len));
        *lo &= ~(*n - 1);
    } else if (kind == '-') {
        if (inet_pton(AF_INET, sep + 1, &b) != 1 || ntohl(b.s_addr) < *lo)
            return e2_err_set(err, EINVAL, "'%s' = \"%s\": bad range", what, s);
        *n = ntohl(b.s_addr) - *lo + 1;
    }
    return 0;
}

/* 80 or "lo-hi" */
static int parse_port_range(const char *what, const json_t *v, uint32_t *lo, uint32_t *n,
                            struct e2_err *err)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 65535) {
        *lo = (uint32_t)json_integer_value(v);
        *n = 1;
        return 0;
    }
    unsigned a, b;
    char tail;
    if (json_is_string(v) && sscanf(json_string_value(v), "%u-%u%c", &a, &b, &tail) == 2 &&
        a <= b && b <= 65535) {
        *lo = a;
        *n = b - a + 1;
        return 0;
    }
    return e2_err_set(err, EINVAL, "'%s' must be a port 0..65535 or \"lo-hi\"", what);
}

static int parse_sizes(const json_t *v, struct tmpl *t, struct e2_err *err)
{
    const json_t *one = v;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    if (n == 0 || n > SIZES_MAX)
        return e2_err_set(err, EINVAL, "'size' lists 1..%d lengths", SIZES_MAX);
    for (size_t i = 0; i < n; i++) {
        if (json_is_array(v)) one = json_array_get(v, i);
        json_int_t s = json_is_integer(one) ? json_integer_value(one) : -1;
        if (s < t->hdr_len || s > FRAME_MAX)
            return e2_err_set(err, EINVAL, "'size' %lld must be %u..%d bytes for this template",
                              (long long)s, t->hdr_len, FRAME_MAX);
        t->sizes[i] = (uint16_t)s;
    }
    t->n_sizes = (uint32_t)n;
    return 0;
}

static void build_header(struct tmpl *t, const struct tmpl_args *a)
{
    uint8_t *p = t->hdr;
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
    memcpy(&eth->dst_addr, a->dst_mac, 6);
    memcpy(&eth->src_addr, a->src_mac, 6);
    uint16_t off = sizeof(*eth);
    if (a->vlan) {
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
        struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(p + off);
        vh->vlan_tci = rte_cpu_to_be_16(a->vlan);
        vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        off += sizeof(*vh);
    } else {
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    }
    t->l3_off = off;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + off);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = a->tos;
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = a->ttl;
    static const uint8_t ipproto[] = {IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP};
    ip->next_proto_id = ipproto[a->proto];
    off += sizeof(*ip);
    t->l4_off = off;
    if (a->proto == PROTO_TCP) {
        struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(p + off);
        tcp->sent_seq = rte_cpu_to_be_32(1);
        tcp->data_off = 5 << 4;
        tcp->tcp_flags = a->tcp_flags;
        tcp->rx_win = rte_cpu_to_be_16(65535);
        off += sizeof(*tcp);
    } else if (a->proto == PROTO_ICMP) {
        struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(p + off);
        icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
        off += sizeof(*icmp);
    } else {
        off += sizeof(struct rte_udp_hdr);
    }
    t->hdr_len = off;
    t->proto = a->proto;
}

static int parse_template(const json_t *j, struct tmpl *t, struct e2_err *err)
{
    struct tmpl_args a;
    int rc = e2_args_parse(tmpl_spec, j, &a, err);
    if (rc) return rc;
    build_header(t, &a);
    rc = parse_ip_range("src_ip", a.src_ip, &t->sip_lo, &t->sip_n, err);
    if (!rc) rc = parse_ip_range("dst_ip", a.dst_ip, &t->dip_lo, &t->dip_n, err);
    if (!rc) rc = parse_port_range("src_port", a.src_port, &t->sport_lo, &t->sport_n, err);
    if (!rc) rc = parse_port_range("dst_port", a.dst_port, &t->dport_lo, &t->dport_n, err);
    if (!rc) rc = parse_sizes(a.size, t, err);
    t->n_flows = (uint64_t)t->sip_n * t->dip_n * t->sport_n * t->dport_n;
    e2_args_release(tmpl_spec, &a);
    return rc;
}

static int source_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct source_args *a = args;
    struct source_priv *s = m->priv;
    if (!json_is_array(a->templates) || json_array_size(a->templates) == 0)
        return e2_err_set(err, EINVAL, "'templates' must be a non-empty list");
    s->n_t = (uint32_t)json_array_size(a->templates);
    s->t = calloc(s->n_t, sizeof(*s->t));
    if (!s->t) return e2_err_set(err, ENOMEM, "out of memory");
    for (uint32_t i = 0; i < s->n_t; i++) {
        int rc = parse_template(json_array_get(a->templates, i), &s->t[i], err);
        if (rc) return e2_err_prefix(err, "templates[%u]: ", i);
    }
    s->burst = a->burst;
    s->limit = a->limit;
    s->random = a->random;
    s->checksum = a->checksum;
    s->rng = 0x9E3779B97F4A7C15ull;
    s->paced = a->rate > 0;
    /* A paced source may sleep between runs; let it keep a millisecond of tokens. */
    uint64_t burst = a->rate / 1000 > s->burst ? a->rate / 1000 : s->burst;
    e2_tbucket_init(&s->tb, a->rate, burst, e2_tsc_hz(), rte_rdtsc());
    int rc = e2_module_add_task(m, NULL, err);
    return rc < 0 ? rc : 0;
}

static void source_deinit(struct e2_module *m)
{
    struct source_priv *s = m->priv;
    free(s->t);
}

static uint64_t next_flow(struct source_priv *s, struct tmpl *t)
{
    if (!s->random) return t->next++ % t->n_flows;
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng % t->n_flows;
}

static void fill(struct source_priv *s, struct tmpl *t, struct rte_mbuf *pkt)
{
    uint64_t f = next_flow(s, t);
    uint32_t sip = t->sip_lo + (uint32_t)(f % t->sip_n);
    f /= t->sip_n;
    uint32_t dip = t->dip_lo + (uint32_t)(f % t->dip_n);
    f /= t->dip_n;
    uint16_t sport = (uint16_t)(t->sport_lo + f % t->sport_n);
    f /= t->sport_n;
    uint16_t dport = (uint16_t)(t->dport_lo + f % t->dport_n);
    uint16_t size = t->sizes[t->next_size++ % t->n_sizes];

    uint8_t *p = rte_pktmbuf_mtod(pkt, uint8_t *);
    pkt->data_len = pkt->pkt_len = size;
    memcpy(p, t->hdr, t->hdr_len);
    memset(p + t->hdr_len, 0, size - t->hdr_len);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + t->l3_off);
    ip->total_length = rte_cpu_to_be_16((uint16_t)(size - t->l3_off));
    ip->src_addr = rte_cpu_to_be_32(sip);
    ip->dst_addr = rte_cpu_to_be_32(dip);
    void *l4 = p + t->l4_off;
    if (t->proto == PROTO_UDP) {
        struct rte_udp_hdr *u = l4;
        u->src_port = rte_cpu_to_be_16(sport);
        u->dst_port = rte_cpu_to_be_16(dport);
        u->dgram_len = rte_cpu_to_be_16((uint16_t)(size - t->l4_off));
    } else if (t->proto == PROTO_TCP) {
        struct rte_tcp_hdr *tcp = l4;
        tcp->src_port = rte_cpu_to_be_16(sport);
        tcp->dst_port = rte_cpu_to_be_16(dport);
    } else {
        struct rte_icmp_hdr *icmp = l4;
        icmp->icmp_ident = rte_cpu_to_be_16(sport);
        icmp->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)t->next);
    }
    if (!s->checksum) return;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    if (t->proto == PROTO_UDP)
        ((struct rte_udp_hdr *)l4)->dgram_cksum = rte_ipv4_udptcp_cksum(ip, l4);
    else if (t->proto == PROTO_TCP)
        ((struct rte_tcp_hdr *)l4)->cksum = rte_ipv4_udptcp_cksum(ip, l4);
    else
        ((struct rte_icmp_hdr *)l4)->icmp_cksum = (uint16_t)~rte_raw_cksum(l4, size - t->l4_off);
}

static struct e2_task_result source_run(struct e2_module *m, struct e2_task *task)
{
    (void)task;
    struct source_priv *s = m->priv;
    struct e2_task_result r = {0, 0};
    uint32_t n = s->burst;
    if (s->limit && s->limit - s->sent < n) n = (uint32_t)(s->limit - s->sent);
    uint64_t now = 0;
    if (s->paced) {
        now = rte_rdtsc();
        e2_tbucket_refill(&s->tb, now);
        uint64_t avail = e2_tbucket_available(&s->tb);
        if (avail < n) n = (uint32_t)avail;
    }
    if (n == 0) return r;
    struct e2_batch b;
    if (rte_pktmbuf_alloc_bulk(e2_pktpool(), b.pkts, n) != 0) {
        e2_stat_add(&s->alloc_failed, 1);
        return r;
    }
    if (s->paced) e2_tbucket_charge(&s->tb, now, n);
    b.cnt = n;
    for (uint32_t i = 0; i < n; i++) {
        struct tmpl *t = &s->t[s->next_t];
        s->next_t = s->next_t + 1 == s->n_t ? 0 : s->next_t + 1;
        fill(s, t, b.pkts[i]);
    }
    uint64_t bytes = e2_batch_bytes(&b);
    e2_stat_add(&s->sent, n);
    e2_stat_add(&s->bytes, bytes);
    r.packets = n;
    r.bits = bytes * 8;
    e2_emit_bytes(m, 0, &b, bytes);
    return r;
}

static json_t *source_stats(struct e2_module *m)
{
    struct source_priv *s = m->priv;
    uint64_t flows = 0;
    for (uint32_t i = 0; i < s->n_t; i++) flows += s->t[i].n_flows;
    return json_pack("{s:I, s:I, s:I, s:I}", "packets", (json_int_t)e2_stat_read(&s->sent), "bytes",
                     (json_int_t)e2_stat_read(&s->bytes), "alloc_failed",
                     (json_int_t)e2_stat_read(&s->alloc_failed), "flows", (json_int_t)flows);
}

static struct e2_module_type source_type = {
    .name = "Source",
    .summary = "generates Ethernet/IPv4 UDP, TCP or ICMP packets from templates with field ranges",
    .manual =
        "Gates: no inputs; output 0. Schedulable: one task.\n"
        "\n"
        "Each template describes a family of Ethernet/IPv4 packets whose fields may be ranges: "
        "`src_ip`/`dst_ip` take \"10.0.0.1\", \"10.0.0.0/24\" or \"10.0.0.1-10.0.0.50\"; "
        "`src_port`/`dst_port` take 80 or \"1024-2047\"; `size` takes a frame length in bytes "
        "(without FCS) or a list of lengths used in turn (an IMIX). The template's flows are every "
        "combination of its ranges; packets walk through them in order (or at random with "
        "random=true), templates taking turns packet by packet. `rate` paces the source in packets "
        "per second; `limit` stops it after that many packets.\n"
        "\n"
        "Template fields: src_mac, dst_mac, src_ip, dst_ip, proto (udp|tcp|icmp), src_port, "
        "dst_port (for ICMP: the echo id), size, ttl, tos, vlan (802.1Q id, 0 for none), tcp_flags "
        "(the flags byte, default 2 = SYN).\n"
        "\n"
        "Statistics: packets, bytes, alloc_failed (bursts lost to an empty pool), flows.",
    .example = "src :: Source(templates=[{dst_ip=\"10.0.1.0/24\", proto=udp, dst_port=53,\n"
               "size=[64, 576, 1500]}], rate=1M);",
    .max_igates = 0,
    .max_ogates = 1,
    .priv_size = sizeof(struct source_priv),
    .args = source_spec,
    .args_size = sizeof(struct source_args),
    .init = source_init,
    .deinit = source_deinit,
    .run_task = source_run,
    .stats = source_stats,
};

E2_MODULE_REGISTER(source_type);
