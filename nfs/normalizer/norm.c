/* The normalizer's packet rules (norm.h). */
#include "norm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_csum.h"

#define IP_FLAG_RESERVED 0x8000u

const struct norm_counter norm_counters[] = {
#define NORM_ENTRY(name) {#name, offsetof(struct norm_stats, name)},
    NORM_COUNTERS(NORM_ENTRY)
#undef NORM_ENTRY
};
const unsigned norm_ncounters = sizeof(norm_counters) / sizeof(norm_counters[0]);

struct norm {
    struct norm_conf conf;
    struct norm_frags *frags;
    struct norm_stats st;
};

struct norm *norm_create(const struct norm_conf *c, struct e2_err *err)
{
    struct norm *n = calloc(1, sizeof(*n));
    if (!n) {
        e2_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    n->frags = norm_frags_create(c->fragments, &n->st, err);
    if (!n->frags) {
        free(n);
        return NULL;
    }
    n->conf = *c;
    return n;
}

void norm_free(struct norm *n)
{
    if (!n) return;
    norm_frags_free(n->frags);
    free(n);
}

void norm_configure(struct norm *n, const struct norm_conf *c)
{
    n->conf = *c;
}

const struct norm_stats *norm_stats(const struct norm *n)
{
    return &n->st;
}

void norm_sweep(struct norm *n, uint64_t now)
{
    norm_frags_sweep(n->frags, now);
}

/* The counter a bad flag combination is dropped under, or NULL when the flags are fine. */
static uint64_t *bad_flags(struct norm_stats *st, uint8_t flags)
{
    const uint8_t fin = E2_TCP_FIN, syn = E2_TCP_SYN, rst = E2_TCP_RST, psh = E2_TCP_PSH,
                  ack = E2_TCP_ACK, urg = E2_TCP_URG;
    if (!(flags & (fin | syn | rst | psh | ack | urg))) return &st->tcp_null;
    if ((flags & (fin | psh | urg)) == (fin | psh | urg)) return &st->tcp_xmas;
    if ((flags & (syn | fin)) == (syn | fin)) return &st->tcp_syn_fin;
    if ((flags & (syn | rst)) == (syn | rst)) return &st->tcp_syn_rst;
    if ((flags & (fin | psh | urg)) && !(flags & ack)) return &st->tcp_no_ack;
    return NULL;
}

/* Remove the IP options: move the Ethernet and base IPv4 headers forward over them. */
static void strip_options(struct e2_pkt *p, uint32_t *len, uint32_t *advance)
{
    uint16_t opt = (uint16_t)(p->ihl - 20);
    memmove(p->frame + opt, p->frame, p->l3_off + 20u);
    p->frame += opt;
    *len -= opt;
    *advance += opt;
    uint8_t *ip = p->frame + p->l3_off;
    ip[0] = 0x45;
    e2_put16(ip + 2, (uint16_t)(p->total_len - opt));
    e2_put16(ip + 10, 0);
    e2_put16(ip + 10, e2_ipv4_csum(ip, 20));
    p->ihl = 20;
    p->total_len = (uint16_t)(p->total_len - opt);
    p->len -= opt;
    p->l4_off = (uint16_t)(p->l4_off - opt); /* it stayed in place; the frame start moved */
    p->payload_off = (uint16_t)(p->payload_off - opt);
}

/* Rules 2 and 3: the reserved flag and IP options. False: drop. */
static bool ip_header(struct norm *n, struct e2_pkt *p, uint32_t *len, uint32_t *advance)
{
    uint8_t *ip = p->frame + p->l3_off;
    uint16_t frag = e2_get16(ip + 6);
    if ((frag & IP_FLAG_RESERVED) && n->conf.reserved == NORM_DROP) {
        n->st.reserved_dropped++;
        return false;
    }
    if ((frag & IP_FLAG_RESERVED) && n->conf.reserved == NORM_FIX) {
        e2_put16(ip + 6, frag & ~IP_FLAG_RESERVED);
        e2_csum_replace16(ip + 10, frag, frag & ~IP_FLAG_RESERVED);
        n->st.reserved_cleared++;
    }
    if (p->ihl == 20 || n->conf.ip_options == NORM_ALLOW) return true;
    if (n->conf.ip_options == NORM_DROP) {
        n->st.ip_options_dropped++;
        return false;
    }
    strip_options(p, len, advance);
    n->st.ip_options_stripped++;
    return true;
}

/* Rule 4: count a fragment's verdict. False: drop. */
static bool fragment(struct norm *n, const struct e2_pkt *p, uint64_t now)
{
    enum norm_frag_verdict v =
        norm_frags_add(n->frags, p, now, n->conf.frag_timeout, (enum norm_overlap)n->conf.overlap);
    uint64_t *const count[] = {
        [NORM_FRAG_OK] = NULL,
        [NORM_FRAG_SAME] = &n->st.frag_overlap_same,
        [NORM_FRAG_DIFFERING] = &n->st.frag_overlap_differing,
        [NORM_FRAG_OVERLAP] = &n->st.frag_overlap,
        [NORM_FRAG_TOO_MANY] = &n->st.frag_too_many,
        [NORM_FRAG_TOO_BIG] = &n->st.frag_too_big,
        [NORM_FRAG_BAD_LEN] = &n->st.frag_bad_len,
        [NORM_FRAG_BAD_END] = &n->st.frag_bad_end,
    };
    if (count[v]) (*count[v])++;
    return v == NORM_FRAG_OK || v == NORM_FRAG_SAME;
}

static bool judge(struct norm *n, uint8_t *frame, uint32_t *len, uint32_t *advance, uint64_t now)
{
    struct e2_pkt p;
    enum e2_pkt_status s = e2_pkt_parse(frame, *len, &p);
    if (s == E2_PKT_NOT_IPV4) {
        n->st.not_ipv4++;
        return true;
    }
    if (s != E2_PKT_OK) {
        n->st.malformed[s]++;
        return false;
    }
    if (!ip_header(n, &p, len, advance)) return false;
    if (p.is_frag && !fragment(n, &p, now)) return false;
    uint64_t *bad =
        p.proto == 6 && !p.frag_off && n->conf.tcp_flags ? bad_flags(&n->st, p.tcp_flags) : NULL;
    if (bad) {
        (*bad)++;
        return false;
    }
    if (p.ttl < n->conf.ttl_min) {
        e2_pkt_set_ttl(&p, n->conf.ttl_min);
        n->st.ttl_raised++;
    }
    return true;
}

bool norm_packet(struct norm *n, uint8_t *frame, uint32_t *len, uint32_t *advance, uint64_t now)
{
    *advance = 0;
    bool pass = judge(n, frame, len, advance, now);
    if (pass)
        n->st.passed++;
    else
        n->st.dropped++;
    return pass;
}
