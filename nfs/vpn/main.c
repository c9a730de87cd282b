/*
 * e2nf-vpn — an IPsec VPN gateway as a native E2 NF: ESP tunnel mode with
 * AES-GCM (vpn.h). One input, "in", takes both sides' traffic; what it
 * encrypts leaves by "to_wan", what it decrypts by "to_lan".
 *
 *   e2nf-vpn -n INSTANCE -c SA_FILE [-s SOCKET] [--ctl PATH] [--poll] [--cpu N]
 *
 * Control operations: "sas" lists the SAs (never their keys) with their
 * counters; "stats" has the same and the NF-wide drops; "reload" re-reads
 * the SA file, keeping the state of unchanged SAs. See README.md.
 */
#include <errno.h>
#include <rte_mbuf.h>

#include "e2/nfapp.h"
#include "vpn.h"

struct vpn_app {
    struct vpn vpn;
    int to_wan, to_lan;
    uint64_t multiseg; /* chained mbufs: not handled, dropped */
};

static int load(void *ctx, const char *path, struct e2_err *err)
{
    return vpn_load_file(&((struct vpn_app *)ctx)->vpn, path, err);
}

static int bind(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct vpn_app *a = ctx;
    a->to_wan = e2nf_port(nf, "to_wan");
    a->to_lan = e2nf_port(nf, "to_lan");
    if (a->to_wan < 0 || a->to_lan < 0)
        return e2_err_set(err, ENOENT,
                          "NF '%s' needs ports to_wan and to_lan (nf %s(ports=[in, "
                          "to_wan, to_lan]))",
                          e2nf_name(nf), e2nf_name(nf));
    return 0;
}

static void process(void *ctx, unsigned in, struct rte_mbuf **pkts, uint16_t n, int *out)
{
    struct vpn_app *a = ctx;
    (void)in;
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        out[i] = E2NF_APP_DROP;
        if (m->nb_segs != 1) {
            a->multiseg++;
            continue;
        }
        struct vpn_frame f = {rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
                              rte_pktmbuf_headroom(m), rte_pktmbuf_tailroom(m)};
        enum vpn_action act = vpn_process(&a->vpn, &f);
        if (act == VPN_DROP) continue;
        m->data_off = (uint16_t)(f.data - (uint8_t *)m->buf_addr);
        m->data_len = (uint16_t)f.len;
        m->pkt_len = f.len;
        out[i] = act == VPN_TO_WAN ? a->to_wan : a->to_lan;
    }
}

static json_t *sa_json(const struct vpn_sa *sa)
{
    char src[16], dst[16], remote[20], local[20], spi[12];
    snprintf(spi, sizeof(spi), "0x%x", sa->spi);
#define IP4(b, v)                                                                                  \
    snprintf(b, sizeof(b), "%u.%u.%u.%u", (v) >> 24, (v) >> 16 & 255, (v) >> 8 & 255, (v)&255)
    IP4(src, sa->src);
    IP4(dst, sa->dst);
    IP4(remote, sa->remote);
    IP4(local, sa->local);
#undef IP4
    size_t n = strlen(remote);
    snprintf(remote + n, sizeof(remote) - n, "/%u", sa->remote_len);
    n = strlen(local);
    snprintf(local + n, sizeof(local) - n, "/%u", sa->local_len);
    const struct vpn_sa_stats *s = &sa->st;
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:I, s:I}", "dir",
                  sa->dir == VPN_OUT ? "out" : "in", "spi", spi, "src", src, "dst", dst, "match",
                  remote, "local", local, "key_bits", (sa->keymat_len - VPN_SALT_LEN) * 8, "esn",
                  sa->esn, "packets", (json_int_t)s->packets, "bytes", (json_int_t)s->bytes);
    if (sa->dir == VPN_OUT) {
        json_object_update_new(j, json_pack("{s:I, s:I, s:I}", "seq", (json_int_t)sa->seq,
                                            "seq_exhausted", (json_int_t)s->seq_exhausted,
                                            "too_big", (json_int_t)s->too_big));
        return j;
    }
    json_object_update_new(
        j, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "window",
                     (int)sa->replay.size, "highest_seq", (json_int_t)sa->replay.top, "replay",
                     (json_int_t)s->replay, "auth_failed", (json_int_t)s->auth_failed, "bad_pad",
                     (json_int_t)s->bad_pad, "bad_next_header", (json_int_t)s->bad_next_header,
                     "dummy", (json_int_t)s->dummy, "inner_malformed",
                     (json_int_t)s->inner_malformed, "selector", (json_int_t)s->selector));
    return j;
}

static json_t *sas(void *ctx, const json_t *req, struct e2_err *err)
{
    (void)req;
    (void)err;
    const struct vpn_sadb *db = ((struct vpn_app *)ctx)->vpn.db;
    json_t *a = json_array();
    for (unsigned i = 0; db && i < db->n; i++) json_array_append_new(a, sa_json(db->sa[i]));
    return a;
}

static json_t *by_status(const uint64_t *counts)
{
    json_t *o = json_object();
    for (int s = E2_PKT_OK + 1; s < E2_PKT_STATUS_COUNT; s++)
        json_object_set_new(o, e2_pkt_status_name(s), json_integer((json_int_t)counts[s]));
    return o;
}

static json_t *stats(void *ctx)
{
    struct vpn_app *a = ctx;
    const struct vpn_stats *s = &a->vpn.st;
    return json_pack("{s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "sas",
                     sas(ctx, NULL, NULL), "malformed", by_status(s->malformed), "inner_malformed",
                     by_status(s->inner_malformed), "no_sa", (json_int_t)s->no_sa, "no_policy",
                     (json_int_t)s->no_policy, "unprotected", (json_int_t)s->unprotected,
                     "esp_short", (json_int_t)s->esp_short, "esp_fragment",
                     (json_int_t)s->esp_fragment, "no_room", (json_int_t)s->no_room, "ecn_drop",
                     (json_int_t)s->ecn_drop, "crypto_failed", (json_int_t)s->crypto_failed,
                     "multiseg", (json_int_t)a->multiseg);
}

static void fini(void *ctx)
{
    vpn_free(&((struct vpn_app *)ctx)->vpn);
}

int main(int argc, char **argv)
{
    static const char *const inputs[] = {"in", NULL};
    static const struct e2nf_app_op ops[] = {
        {"sas", "the security associations (never their keys) with their counters", sas},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_def def = {
        .prog = "e2nf-vpn",
        .summary = "IPsec VPN gateway: ESP tunnel mode with AES-GCM (RFC 4303, RFC 4106); "
                   "encrypts towards 'to_wan', decrypts towards 'to_lan'.",
        .ctx_size = sizeof(struct vpn_app),
        .inputs = inputs,
        .ops = ops,
        .config_required = true,
        .load = load,
        .bind = bind,
        .process = process,
        .stats = stats,
        .fini = fini,
    };
    return e2nf_app_main(&def, argc, argv);
}
