/*
 * re — redundancy elimination over TCP streams, measured: the RE NF of the
 * E2 paper's bytestream experiment (§7.1), a WAN optimizer's core.
 *
 * Each direction of each connection is cut into content-defined chunks: a
 * Rabin fingerprint (rabin.h) slides over the last 48 bytes and a chunk ends
 * where the fingerprint takes a sampled value (fp mod avg == 0x78 mod avg:
 * value-sampled anchors, so chunk boundaries follow the content, not where
 * packets or messages cut it), no sooner than avg/4 and no later than 8 avg
 * bytes. A chunk is named by a 64-bit hash of its bytes and its length and
 * looked up in a fixed-size fingerprint cache of chunks seen before, on any
 * connection (4-way sets, least recently used out). A chunk found there is
 * one an RE encoder would replace by a reference (RE_SHIM bytes: fingerprint
 * and length) that the decoder at the far end, keeping the same cache over
 * the same streams in order, expands again; this NF measures, as the paper's
 * RE does for the experiment: it counts the bytes that would be saved and
 * does not rewrite packets. (An encoder would also keep the chunks' bytes
 * to rule out hash collisions; at 64 bits they are negligible for counting.)
 *
 * A gap drops the chunk in progress and restarts the window; a closing
 * direction ends its last chunk, which is looked up too.
 *
 * Pure C over e2_streams callbacks; main.c is the NF glue.
 */
#ifndef RE_H
#define RE_H

#include <jansson.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_streams.h"
#include "rabin.h"

#define RE_SHIM 12 /* bytes of a reference to a cached chunk */

struct re_opts {
    uint32_t chunk_avg;     /**< average chunk bytes, a power of two 64..65536 (0: 256) */
    uint32_t cache_entries; /**< fingerprint cache, rounded up to a power of two (0: 2^20) */
};

struct re_stats {
    uint64_t bytes[2]; /**< stream bytes per direction */
    uint64_t chunks, chunk_bytes, hits, hit_bytes;
    uint64_t saved; /**< hit bytes minus a reference each */
    uint64_t inserted, replaced, dropped_partial;
};

struct re_slot;

struct re {
    struct rabin rb;
    struct re_slot *cache;
    uint64_t sets_mask, seq;
    uint64_t mask, magic;
    uint32_t min, max, cache_entries;
    struct re_stats st;
};

/** One direction's chunker. */
struct re_dir {
    uint64_t fp, hash;
    uint32_t len;
    uint8_t pos;
    uint8_t win[RABIN_WINDOW];
};

/** Per-connection state: e2_streams user state of this size. */
struct re_conn {
    struct re_dir d[2];
};

int re_init(struct re *r, const struct re_opts *o, struct e2_err *err);
void re_fini(struct re *r);

/** The e2_streams callbacks (ctx: the struct re). */
void re_on_data(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                const uint8_t *bytes, uint32_t len);
void re_on_event(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                 uint64_t arg);

json_t *re_stats_json(const struct re *r);

#endif
