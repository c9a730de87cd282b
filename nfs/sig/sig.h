/*
 * sig — signature matching over TCP streams: the SIG NF of the E2 paper's
 * bytestream experiment (§7.1), an IDS's content matching.
 *
 * A pattern file names byte strings, one per line (sig_rules_parse): every
 * occurrence of every pattern in either direction of every connection is
 * counted, also when it is split across segments or messages. Two engines
 * give the same counts:
 *   ac         our streaming Aho-Corasick (nfs/kit/e2_ac.h): 8 bytes of state
 *              per connection direction, one table load per byte;
 *   hyperscan  Intel Hyperscan in streaming mode (HS_MODE_STREAM, literal
 *              patterns): one hs_stream_t per connection direction, opened at
 *              its first byte; its state (hs_stream_size) is allocated per
 *              stream. Streaming, not block mode over reassembled chunks: a
 *              match across chunk boundaries is found without keeping bytes.
 * A gap in a stream restarts matching after it (a pattern cannot span bytes
 * that never came).
 *
 * Reloads: a new pattern set becomes current at once; connections go on
 * with the set they started with until their next bytes, then restart their
 * state on the new one (a match straddling the reload is missed). Counters
 * belong to a set, so they restart with it.
 *
 * Pure C over e2_streams callbacks: the NF glue is nfs/sig/main.c.
 */
#ifndef SIG_H
#define SIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "e2_ac.h"
#include "e2_conf.h"
#include "e2_err.h"
#include "e2_streams.h"

#define SIG_PATTERNS_MAX 100000
#define SIG_CONTENT_MAX  4096
#define SIG_NAME_MAX     64

enum sig_engine { SIG_AC, SIG_HYPERSCAN };

const char *sig_engine_name(enum sig_engine e);
int sig_engine_parse(const char *text, enum sig_engine *e, struct e2_err *err);

/** A compiled pattern set with its counters. */
struct sig_rules;

/**
 * Parse pattern-file text @text (named @name in errors) and compile it for
 * @engine. Each line:  NAME CONTENT [nocase]
 *   NAME     letters, digits and _ . : - (unique);
 *   CONTENT  the bytes; |hex bytes| as in Snort's content ("|0d 0a|GET"),
 *            blanks between hex bytes allowed; quote it when it has blanks
 *            or '#' ("GET /|2e 2e|/"); a quote itself is |22|, a pipe |7c|;
 *   nocase   match ASCII letters in either case.
 * '#' starts a comment. Errors name FILE:LINE. @text NULL: read the file @name.
 */
int sig_rules_parse(const char *text, const char *name, enum sig_engine engine,
                    struct sig_rules **out, struct e2_err *err);
/** The file at @path (sig_rules_parse with @text NULL reads it too). */
int sig_rules_load(const char *path, enum sig_engine engine, struct sig_rules **out,
                   struct e2_err *err);
void sig_rules_free(struct sig_rules *r); /**< only a set never installed */

/*
 * A set built by hand (the IDS turns its rules into patterns): new, add each
 * pattern (its index is the order of adding), compile. @aux is the owner's
 * data behind the patterns, freed by @aux_free with the set (connections
 * that still use an old set keep its aux alive).
 */
struct sig_rules *sig_rules_new(enum sig_engine engine, void *aux, void (*aux_free)(void *));
int sig_rules_add(struct sig_rules *r, const char *name, const uint8_t *content, size_t len,
                  bool nocase, unsigned line, struct e2_err *err);
/** Names unique, compiled for the engine; errors begin with @file. */
int sig_rules_compile(struct sig_rules *r, const char *file, struct e2_err *err);
/**
 * Read @text (named @name in errors), or the file @name when @text is NULL,
 * line by line with @fn (its ctx is @r, which it fills with sig_rules_add),
 * then compile: *@out = @r, or @r is freed and the error returned.
 */
int sig_rules_read(struct sig_rules *r, const char *text, const char *name, e2_conf_line_fn fn,
                   struct sig_rules **out, struct e2_err *err);
void *sig_rules_aux(const struct sig_rules *r);

unsigned sig_rules_count(const struct sig_rules *r);

/** Decode one CONTENT (the Snort-like syntax above) into @out (SIG_CONTENT_MAX bytes). */
int sig_content_decode(const char *text, uint8_t *out, size_t *len, struct e2_err *err);

/**
 * A match: pattern index in its set and the stream offset just after its
 * last byte (a datagram: the offset in the datagram).
 */
typedef void (*sig_match_fn)(void *ctx, const struct sig_rules *r, unsigned pattern, uint64_t end);

/** The SIG NF's state. */
struct sig {
    struct sig_rules *rules; /**< current */
    void *scratch;           /**< Hyperscan scratch, grown for every set installed */
    sig_match_fn on_match;   /**< optional, with match_ctx: every match (the IDS) */
    void *match_ctx;
    struct sig_rules *dgram_rules; /**< the set of dgram */
    void *dgram;                   /**< Hyperscan: a stream reset for each datagram */
    uint64_t bytes, matches, conns_matched, reloads;
};

/** Per-connection state (e2_streams user state of sizeof(struct sig_conn) bytes). */
struct sig_conn {
    struct sig_rules *rules; /**< the set its state belongs to */
    union {
        struct e2_ac_state ac[2];
        void *hs[2]; /* hs_stream_t * */
    } st;
    uint64_t hs_base[2]; /**< the stream offset a Hyperscan stream was opened at */
    uint64_t matches;
};

/** Make @r current (the previous set lives on while connections use it). */
int sig_install(struct sig *s, struct sig_rules *r, struct e2_err *err);
void sig_fini(struct sig *s);

/** The e2_streams callbacks (ctx: the struct sig). */
void sig_on_data(void *ctx, struct e2_stream *st, void *user, int dir, uint64_t off,
                 const uint8_t *bytes, uint32_t len);
void sig_on_event(void *ctx, struct e2_stream *st, void *user, int dir, enum e2_tcp_event ev,
                  uint64_t arg);
void sig_on_release(void *ctx, struct e2_stream *st, void *user);

/** Match one datagram's @len bytes alone (no state kept): counted, reported to on_match. */
void sig_scan_datagram(struct sig *s, const uint8_t *bytes, uint32_t len);

/** Matches of pattern @name so far (-1: no such pattern). */
int64_t sig_pattern_matches(const struct sig *s, const char *name);

/** Counters, and the @limit patterns with most matches ({name, matches}, most first). */
json_t *sig_stats_json(const struct sig *s);
json_t *sig_top_json(const struct sig *s, unsigned limit);

#endif
