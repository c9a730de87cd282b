/*
 * The monitor's configuration (mon_conf.c) and its exporters
 * (mon_export.c): flow records as JSON lines to a file or stdout, and as
 * IPFIX messages over UDP to a collector.
 */
#ifndef MON_EXPORT_H
#define MON_EXPORT_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>

#include "ipfix.h"
#include "mon.h"

struct mon_conf {
    struct mon_timeouts to;
    uint64_t flows; /**< flow table capacity (fixed once running) */
    char json[256]; /**< JSON lines file, "-" for stdout, "" for none */
    bool ipfix;     /**< export IPFIX to ipfix_to */
    struct sockaddr_in ipfix_to;
    uint32_t domain;      /**< IPFIX observation domain id */
    uint64_t template_ns; /**< resend the template this often */
    struct mon_url *urls; /**< owned; NULL when no url lines */
};

/**
 * Read @opts (statements from options, may be NULL) then the file @path
 * (may be NULL) into @c; errors name FILE:LINE. Statements:
 *   idle-timeout D | active-timeout D | fin-linger D | flows N
 *   json PATH|- | ipfix ADDR:PORT [domain N] [template-refresh D] | url PATTERN VALUE
 */
int mon_conf_load(struct mon_conf *c, const char *opts, const char *path, struct e2_err *err);
void mon_conf_free(struct mon_conf *c);

/** Whether @a and @b export to the same places (a reload may keep its exporter). */
bool mon_conf_same_targets(const struct mon_conf *a, const struct mon_conf *b);

struct mon_export_stats {
    uint64_t json_records, ipfix_records, ipfix_messages, ipfix_templates, send_errors;
};

struct mon_export {
    FILE *json;
    bool json_dirty; /* lines written since the last flush */
    int fd;
    struct sockaddr_in to;
    uint32_t domain, seq;
    uint64_t template_ns, template_due;
    uint64_t now; /* the clock at the last flush: when the template is due */
    struct ipfix_msg msg;
    bool open; /* msg has been begun */
    struct mon_export_stats st;
};

/** Open the targets of @c (a file, a UDP socket): all or nothing. */
int mon_export_open(struct mon_export *x, const struct mon_conf *c, struct e2_err *err);

/** Send what is pending and close. */
void mon_export_close(struct mon_export *x, uint64_t now);

/** The monitor's record callback (mon_export_fn) with a struct mon_export as @ctx. */
void mon_export_record(void *ctx, const struct mon_record *r);

/** At @now: send the pending IPFIX message and flush the JSON file (every tick). */
void mon_export_flush(struct mon_export *x, uint64_t now);

/** A record as the JSON object the export writes ("reason" omitted when end is 0). */
json_t *mon_record_json(const struct mon_record *r);

#endif
