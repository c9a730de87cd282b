/*
 * ids — an intrusion detection system on SIG (E2 paper §4.3, §7.1): Snort
 * rules of a subset (ids_rules_parse) matched over reassembled TCP streams
 * and over UDP datagrams, a verdict per connection and per packet, alerts.
 *
 * A rule's content is a pattern of a SIG set (sig.h: our Aho-Corasick or
 * Hyperscan, streaming), so a content split across segments, bytestream
 * messages or out-of-order packets is found. Each match is then checked
 * against its rule: protocol, the addresses and ports of the direction the
 * bytes went (SRC PORT -> DST PORT, or <> both ways) and where the content
 * lies: offset/depth count from the start of that direction's stream (TCP)
 * or of the datagram's payload (UDP). A match that passes is an alert.
 *
 * Verdicts (the IDS.verdict attribute; IDS.safe is verdict < 2):
 *   0 clean       nothing found so far;
 *   1 suspicious  a stream anomaly that evasion uses: overlapping bytes
 *                 that differ, data after FIN, out of window, SYN mismatch;
 *   2 malicious   a rule alerted on the connection (or on the datagram);
 *   3 unknown     not all bytes could be inspected: a gap (bytes never
 *                 seen), reassembly out of memory; a malformed frame.
 * A connection's verdict only rises (clean < suspicious < unknown <
 * malicious) and every later packet of it carries it. UDP has no
 * connection here: each datagram is judged alone. Other frames are clean.
 *
 * The first alert of a flow asks for it to be blocked (ids_alert.first):
 * the NF sends the firewall E2_NFSIG_BLOCK_FLOW (nfs/kit/e2_nfsig.h).
 *
 * Pure C over e2_streams callbacks: the NF glue is nfs/ids/main.c.
 */
#ifndef IDS_H
#define IDS_H

#include <jansson.h>

#include "e2_flowtab.h"
#include "e2_pkt.h"
#include "sig.h"

#define IDS_MSG_MAX 128
#define IDS_RECENT  64

enum ids_verdict { IDS_CLEAN, IDS_SUSPICIOUS, IDS_MALICIOUS, IDS_UNKNOWN, IDS_VERDICTS };

const char *ids_verdict_name(enum ids_verdict v);

struct ids_addr {
    uint32_t ip;
    uint8_t len;
    bool negated;
};

struct ids_ports {
    uint16_t lo, hi;
    bool negated;
};

struct ids_rule {
    unsigned sid, rev, priority, line;
    uint8_t proto; /**< 6 or 17 */
    bool bidir;    /**< <> */
    struct ids_addr src, dst;
    struct ids_ports sport, dport;
    uint32_t offset, depth; /**< depth 0: to the end */
    uint32_t content_len;
    char msg[IDS_MSG_MAX];
    uint64_t alerts;
};

/**
 * Parse rule-file text @text (named @name in errors) into a SIG set for
 * @engine whose aux is the rules (ids_rules_of). One rule a line:
 *   alert tcp|udp SRC SPORT ->|<> DST DPORT (OPTION; ...)
 *   SRC, DST   any, an address, a prefix (10.0.0.0/8), each may be !negated;
 *   SPORT...   any, 80, 1024:65535, :1023, 1024:, each may be !negated;
 *   options    msg:"text"; content:"bytes|0d 0a|" (exactly one); nocase;
 *              offset:N; depth:N (both after the content); sid:N (unique,
 *              required); rev:N; priority:N; classtype, reference and
 *              metadata are accepted and not used.
 * In values \; \\ and \" stand for ; \ and "; inside quotes ';' needs no
 * escape. A line's quotes must pair up (e2_conf reads it): write a lone
 * quote in a content as |22|. '#' starts a comment. Errors name FILE:LINE.
 * @text NULL: read the file @name.
 */
int ids_rules_parse(const char *text, const char *name, enum sig_engine engine,
                    struct sig_rules **out, struct e2_err *err);
/** The file at @path (ids_rules_parse with @text NULL reads it too). */
int ids_rules_load(const char *path, enum sig_engine engine, struct sig_rules **out,
                   struct e2_err *err);

/** The rules behind a set ids_rules_parse made, in file order. */
struct ids_rule *ids_rules_of(const struct sig_rules *r, unsigned *n);

/** One alert: the rule, the bytes' direction and place, whether it is its flow's first. */
struct ids_alert {
    unsigned sid, rev, priority;
    char msg[IDS_MSG_MAX];
    uint8_t proto;
    uint32_t src_ip, dst_ip; /**< host order: the sender and receiver of the content */
    uint16_t src_port, dst_port;
    uint64_t end;            /**< stream (datagram) offset just after the content */
    struct e2_flow_key flow; /**< TCP: client to server; UDP: the datagram's */
    bool first;              /**< the flow's first alert: block it */
};

typedef void (*ids_alert_fn)(void *ctx, const struct ids_alert *a);

/** Per-connection state (e2_streams user state of sizeof(struct ids_conn) bytes). */
struct ids_conn {
    struct sig_conn sig; /* first: SIG's own */
    uint8_t verdict;
    uint32_t alerts;
};

/** The IDS's state. */
struct ids {
    struct sig sig;
    ids_alert_fn alert; /**< optional, with alert_ctx */
    void *alert_ctx;
    struct { /* what is being matched: a connection's direction or a datagram */
        struct e2_stream *st;
        struct ids_conn *conn;
        int dir;
        const struct e2_pkt *dgram;
        bool hit;
    } cur;
    struct e2_flow_key last_udp_block;
    uint64_t alerts, conns_alerted, datagrams, datagram_alerts;
    uint64_t packets[IDS_VERDICTS]; /**< judged (ids_packet), by verdict */
    struct ids_alert recent[IDS_RECENT];
    unsigned recent_next;
};

/** Start (zeroed @ids); the alert callback may be set before or after. */
void ids_init(struct ids *ids);
/** Make @r (from ids_rules_parse) current, as sig_install. */
int ids_install(struct ids *ids, struct sig_rules *r, struct e2_err *err);
void ids_fini(struct ids *ids);

/** The e2_streams callbacks (ctx: the struct ids). */
void ids_on_data(void *ctx, struct e2_stream *st, void *user, int dir, uint64_t off,
                 const uint8_t *bytes, uint32_t len);
void ids_on_event(void *ctx, struct e2_stream *st, void *user, int dir, enum e2_tcp_event ev,
                  uint64_t arg);
void ids_on_release(void *ctx, struct e2_stream *st, void *user);

/**
 * The verdict of a packet that went through the connections (library mode):
 * @p NULL when it was malformed, @conn its connection's state (NULL: not
 * TCP). UDP datagrams are matched here. Counted in ids->packets.
 */
enum ids_verdict ids_packet(struct ids *ids, const struct e2_pkt *p, void *conn);

/** Counters (with SIG's); the rules with their alerts; the last @limit alerts, newest first. */
json_t *ids_stats_json(const struct ids *ids);
json_t *ids_rules_json(const struct ids *ids);
json_t *ids_alerts_json(const struct ids *ids, unsigned limit);

#endif
