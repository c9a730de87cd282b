/* The VPN's packet path: tunnel-mode ESP on frames (see vpn.h). */
#include "vpn.h"

#include <string.h>

#include "e2_csum.h"

#define PROTO_IPIP  4  /* next header of a tunnelled IPv4 packet */
#define PROTO_ESP   50 /* RFC 4303 */
#define PROTO_DUMMY 59 /* "no next header": a dummy packet (RFC 4303 2.6) */
#define ECN_CE      3
#define ECN_ECT0    2
#define ECN_ECT1    1

static bool in_prefix(uint32_t ip, uint32_t net, uint8_t len)
{
    return len == 0 || ((ip ^ net) >> (32 - len)) == 0;
}

/* ESP addressed to the endpoint of one of our inbound SAs is ours to open. */
static bool is_endpoint(const struct vpn_sadb *db, uint32_t ip)
{
    for (unsigned i = 0; i < db->n_in; i++)
        if (db->in_by_spi[i]->dst == ip) return true;
    return false;
}

/* Plaintext from a network our inbound SAs protect: it should have come encrypted. */
static bool unprotected(const struct vpn_sadb *db, const struct e2_pkt *p)
{
    for (unsigned i = 0; i < db->n_in; i++) {
        const struct vpn_sa *sa = db->in_by_spi[i];
        if (in_prefix(p->src_ip, sa->remote, sa->remote_len) &&
            in_prefix(p->dst_ip, sa->local, sa->local_len))
            return true;
    }
    return false;
}

static struct vpn_sa *find_out(const struct vpn_sadb *db, const struct e2_pkt *p)
{
    for (unsigned i = 0; i < db->n; i++) {
        struct vpn_sa *sa = db->sa[i];
        if (sa->dir == VPN_OUT && in_prefix(p->dst_ip, sa->remote, sa->remote_len) &&
            in_prefix(p->src_ip, sa->local, sa->local_len))
            return sa;
    }
    return NULL;
}

/* Point @f at @len bytes from @start, keeping head- and tailroom true. */
static void reframe(struct vpn_frame *f, uint8_t *start, uint32_t len)
{
    uint8_t *end = f->data + f->len;
    f->headroom = (uint32_t)((int64_t)f->headroom + (start - f->data));
    f->tailroom = (uint32_t)((int64_t)f->tailroom + (end - (start + len)));
    f->data = start;
    f->len = len;
}

static void write_outer_ip(uint8_t *ip, const struct vpn_sa *sa, uint32_t total, uint8_t tos,
                           bool df)
{
    ip[0] = 0x45;
    ip[1] = tos; /* DSCP copied (RFC 4301 5.1.2.1), ECN copied (RFC 6040 normal mode) */
    e2_put16(ip + 2, (uint16_t)total);
    e2_put16(ip + 4, sa->ip_id);
    e2_put16(ip + 6, df ? 0x4000 : 0); /* DF copied from the inner header (RFC 4301 8.1) */
    ip[8] = 64;
    ip[9] = PROTO_ESP;
    e2_put16(ip + 10, 0);
    e2_put32(ip + 12, sa->src);
    e2_put32(ip + 16, sa->dst);
    e2_put16(ip + 10, e2_ipv4_csum(ip, VPN_OUTER_IP_LEN));
}

static enum vpn_action outbound(struct vpn *v, struct vpn_frame *f, const struct e2_pkt *p)
{
    if (unprotected(v->db, p)) {
        v->st.unprotected++;
        return VPN_DROP;
    }
    struct vpn_sa *sa = find_out(v->db, p);
    if (!sa) {
        v->st.no_policy++;
        return VPN_DROP;
    }
    if (sa->seq == (sa->esn ? UINT64_MAX : UINT32_MAX)) { /* never wrap (RFC 4303 3.3.3) */
        sa->st.seq_exhausted++;
        return VPN_DROP;
    }
    uint32_t dlen = p->total_len, outer = VPN_OUTER_IP_LEN + vpn_esp_len(dlen);
    if (outer > v->db->mtu) {
        sa->st.too_big++;
        return VPN_DROP;
    }
    /* The datagram stays where it is: outer IP, ESP header and IV go before it. */
    uint32_t head = VPN_OUTER_IP_LEN + VPN_ESP_HDR_LEN + VPN_IV_LEN;
    uint32_t len = p->l3_off + outer;
    if (f->headroom < head || len > head + f->len + f->tailroom) {
        v->st.no_room++;
        return VPN_DROP;
    }
    uint8_t *start = f->data - head, *ip = start + p->l3_off;
    memmove(start, f->data, p->l3_off);
    uint8_t iv[VPN_IV_LEN];
    uint64_t seq = sa->seq + 1, ivv = seq ^ sa->iv_mask;
    e2_put32(iv, (uint32_t)(ivv >> 32));
    e2_put32(iv + 4, (uint32_t)ivv);
    uint8_t tos = p->tos;
    bool df = p->df;
    if (vpn_esp_seal(&sa->gcm, ip + VPN_OUTER_IP_LEN, dlen, PROTO_IPIP, sa->spi, seq, sa->esn, iv) <
        0) {
        v->st.crypto_failed++;
        return VPN_DROP;
    }
    sa->seq = seq;
    write_outer_ip(ip, sa, outer, tos, df);
    sa->ip_id++;
    sa->st.packets++;
    sa->st.bytes += dlen;
    reframe(f, start, len);
    return VPN_TO_WAN;
}

/* RFC 6040 decapsulation: the inner ECN field from the outer one; false: drop. */
static bool ecn_decap(struct e2_pkt *q, uint8_t outer_ecn)
{
    uint8_t in = q->tos & 3, out = in;
    if (in == 0) return outer_ecn != ECN_CE;
    if (outer_ecn == ECN_CE)
        out = ECN_CE;
    else if (in == ECN_ECT0 && outer_ecn == ECN_ECT1)
        out = ECN_ECT1;
    if (out == in) return true;
    uint8_t *ip = q->frame + q->l3_off;
    uint16_t old = e2_get16(ip);
    ip[1] = (uint8_t)((ip[1] & ~3) | out);
    e2_csum_replace16(ip + 10, old, e2_get16(ip));
    q->tos = ip[1];
    return true;
}

/* After the ICV verified: the trailer's verdict, the inner packet and its selector. */
static enum vpn_action deliver(struct vpn *v, struct vpn_sa *sa, struct vpn_frame *f,
                               const struct e2_pkt *p, uint32_t plen, uint8_t nh)
{
    if (nh == PROTO_DUMMY) {
        sa->st.dummy++;
        return VPN_DROP;
    }
    if (nh != PROTO_IPIP) {
        sa->st.bad_next_header++;
        return VPN_DROP;
    }
    /* The frame's L2 header moves to just before the inner datagram. */
    uint8_t *inner = f->data + p->l4_off + VPN_ESP_HDR_LEN + VPN_IV_LEN;
    uint8_t *start = inner - p->l3_off;
    memmove(start, f->data, p->l3_off);
    struct e2_pkt q;
    enum e2_pkt_status s = e2_pkt_parse(start, p->l3_off + plen, &q);
    if (s != E2_PKT_OK) {
        v->st.inner_malformed[s]++;
        sa->st.inner_malformed++;
        return VPN_DROP;
    }
    if (!in_prefix(q.src_ip, sa->remote, sa->remote_len) ||
        !in_prefix(q.dst_ip, sa->local, sa->local_len)) {
        sa->st.selector++;
        return VPN_DROP;
    }
    if (!ecn_decap(&q, p->tos & 3)) {
        v->st.ecn_drop++;
        return VPN_DROP;
    }
    sa->st.packets++;
    sa->st.bytes += q.total_len;
    reframe(f, start, (uint32_t)q.l3_off + q.total_len);
    return VPN_TO_LAN;
}

static enum vpn_action inbound(struct vpn *v, struct vpn_frame *f, const struct e2_pkt *p)
{
    if (p->is_frag) {
        v->st.esp_fragment++;
        return VPN_DROP;
    }
    uint8_t *esp = f->data + p->l4_off;
    if (p->l4_len < VPN_ESP_HDR_LEN + VPN_IV_LEN + 2 + VPN_ICV_LEN) {
        v->st.esp_short++;
        return VPN_DROP;
    }
    struct vpn_sa *sa = vpn_sa_in(v->db, e2_get32(esp));
    if (!sa || sa->src != p->src_ip || sa->dst != p->dst_ip) {
        v->st.no_sa++;
        return VPN_DROP;
    }
    uint32_t lo = e2_get32(esp + 4);
    uint64_t seq = sa->esn ? vpn_replay_esn(&sa->replay, lo) : lo;
    if (!vpn_replay_check(&sa->replay, seq)) {
        sa->st.replay++;
        return VPN_DROP;
    }
    uint32_t plen = 0;
    uint8_t nh = 0;
    enum vpn_esp_status s = vpn_esp_open(&sa->gcm, esp, p->l4_len, seq, sa->esn, &plen, &nh);
    if (s == VPN_ESP_AUTH) {
        sa->st.auth_failed++;
        return VPN_DROP;
    }
    vpn_replay_update(&sa->replay, seq); /* authentic: the window moves even if the rest is bad */
    if (s != VPN_ESP_OK) {
        sa->st.bad_pad++;
        return VPN_DROP;
    }
    return deliver(v, sa, f, p, plen, nh);
}

enum vpn_action vpn_process(struct vpn *v, struct vpn_frame *f)
{
    struct e2_pkt p;
    enum e2_pkt_status s = e2_pkt_parse(f->data, f->len, &p);
    if (s != E2_PKT_OK) {
        v->st.malformed[s]++;
        return VPN_DROP;
    }
    if (p.proto == PROTO_ESP && is_endpoint(v->db, p.dst_ip)) return inbound(v, f, &p);
    return outbound(v, f, &p);
}
