/*
 * mon — the flow accounting of the network monitor (E2 paper Fig. 2), pure
 * C over frames and an explicit clock.
 *
 * A flow is one direction of an IPv4 5-tuple, as IPFIX (RFC 7011) and
 * NetFlow count them, kept in an e2_flowtab. Per flow: packets, bytes (the
 * IP total length, as octetDeltaCount counts), first and last packet, the
 * OR of TCP flags seen, and its application class and URL tag value
 * (mon_class.c). A flow ends
 *   - on FIN or RST: after a short linger (so the last ACKs count in it),
 *     reason "end of flow detected";
 *   - when idle for the idle timeout: reason "idle timeout";
 *   - when the table must make room for a new flow: "lack of resources";
 *   - when the monitor stops: "forced end".
 * A flow active longer than the active timeout is reported every active
 * timeout while it lasts ("active timeout" records, counts since the last
 * record), so long flows show up before they end. Every report is a
 * struct mon_record handed to the exporter callback; the reason codes are
 * IPFIX's flowEndReason values (IANA IE 136).
 */
#ifndef MON_H
#define MON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_flowtab.h"
#include "e2_pkt.h"

enum mon_end {
    MON_END_IDLE = 1,    /**< idle timeout */
    MON_END_ACTIVE = 2,  /**< active timeout: an update, the flow goes on */
    MON_END_EOF = 3,     /**< end of flow detected (FIN, RST) */
    MON_END_FORCED = 4,  /**< forced end (the monitor stops) */
    MON_END_EVICTED = 5, /**< lack of resources */
};

const char *mon_end_name(uint8_t end);

/** Application classes, in the order of the description's values (the tag value). */
enum mon_app { MON_APP_HTTP, MON_APP_DNS, MON_APP_TLS, MON_APP_OTHER, MON_APP_COUNT };

const char *mon_app_name(uint8_t app);

/** One report of a flow. */
struct mon_record {
    struct e2_flow_key key;
    uint64_t packets, bytes;             /**< since the flow's previous record */
    uint64_t packets_total, bytes_total; /**< since the flow started */
    uint64_t first_ms, last_ms;          /**< first and last packet, ms since the Unix epoch */
    uint8_t tcp_flags;                   /**< OR of the flags of every packet so far */
    uint8_t end;                         /**< enum mon_end */
    uint8_t app;                         /**< enum mon_app */
    uint32_t url;                        /**< URL tag value, 0: none or not listed */
};

typedef void (*mon_export_fn)(void *ctx, const struct mon_record *r);

/** What the monitor knows of a packet's flow, for tagging it. */
struct mon_flow {
    uint64_t first, last, reported; /* ns: first/last packet, start of the current report */
    uint64_t packets, bytes, rep_packets, rep_bytes; /* rep_*: counted in earlier records */
    uint8_t tcp_flags, app;
    bool ended, classified;
    uint32_t url;
};

struct mon_timeouts {
    uint64_t idle, active, linger; /**< ns */
};

struct mon_url;

struct mon_stats {
    uint64_t packets, bytes;
    uint64_t bad[E2_PKT_STATUS_COUNT]; /**< not IPv4 or malformed, per e2_pkt status (passed on) */
    uint64_t records[MON_END_EVICTED + 1];
    uint64_t flows_created;
};

struct mon;

/**
 * A monitor for about @capacity flows; records go to @fn. @epoch_ns is
 * the Unix time (ns) at clock 0 of the clock the caller passes as @now.
 */
struct mon *mon_create(size_t capacity, mon_export_fn fn, void *ctx, int64_t epoch_ns,
                       struct e2_err *err);
void mon_free(struct mon *m);

/** New timeouts and URL table (@urls is the caller's; it must outlive its use). */
void mon_configure(struct mon *m, const struct mon_timeouts *t, const struct mon_url *urls);

/**
 * Account the frame at @now; returns its parse status. For IPv4 packets
 * (E2_PKT_OK) *flow is its flow after this packet (for tags), else NULL.
 */
enum e2_pkt_status mon_packet(struct mon *m, uint8_t *frame, uint32_t len, uint64_t now,
                              const struct mon_flow **flow);

#define MON_BURST 32

/**
 * mon_packet for @n frames, MON_BURST at a time: a burst is parsed and its
 * table lines loaded before any packet is counted, so its cache misses
 * overlap. flows[i] as mon_packet's *flow; status[i] (if not NULL) its
 * return value.
 */
void mon_burst(struct mon *m, uint8_t *const *frames, const uint32_t *lens, unsigned n,
               uint64_t now, const struct mon_flow **flows, enum e2_pkt_status *status);

/** End flows whose time came, looking at a slice of the table (all of it every ~100 calls). */
void mon_sweep(struct mon *m, uint64_t now);

/** End every flow with @reason (MON_END_FORCED when stopping). */
void mon_end_all(struct mon *m, uint8_t reason);

/** Up to @n flows with the most bytes so far, most first, as records (end 0); returns how many. */
unsigned mon_top(struct mon *m, unsigned n, struct mon_record *out);

void mon_stats(const struct mon *m, struct mon_stats *s, struct e2_flowtab_stats *table);

/* ---- application class and URL (mon_class.c) ---- */

/** The class of a flow from its ports alone (before any payload). */
uint8_t mon_app_of_ports(uint8_t proto, uint16_t sport, uint16_t dport);

/** The class a payload shows (HTTP request or response, TLS record, DNS), or MON_APP_OTHER. */
uint8_t mon_app_of_payload(const uint8_t *p, size_t len, uint8_t by_ports);

/**
 * "host/path" of an HTTP/1.x request in @p (request line and Host header,
 * within this segment) into @out; 0 when it holds none, else the length.
 */
size_t mon_http_url(const uint8_t *p, size_t len, char *out, size_t cap);

/** A URL table: "host/path" (exact, or a prefix ending in '*') -> tag value. */
struct mon_url *mon_url_create(void);
int mon_url_add(struct mon_url *u, const char *pattern, uint32_t value, struct e2_err *err);
uint32_t mon_url_lookup(const struct mon_url *u, const char *url);
void mon_url_free(struct mon_url *u);

#endif
