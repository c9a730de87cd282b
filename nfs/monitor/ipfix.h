/*
 * ipfix — the monitor's flow records as IPFIX messages (RFC 7011), one
 * template and its data records, ready for a UDP datagram.
 *
 * A message is the 16-byte header (version 10, length, export time,
 * sequence number, observation domain), then optionally a template set
 * (set id 2) holding template 256, then one data set (set id 256) of
 * fixed-length records. Fields are IANA information elements (no
 * enterprise numbers), network byte order, in the order of ipfix_fields.
 * Over UDP a template must be sent again from time to time (RFC 7011
 * §8.4): the exporter puts it in the first message and then periodically.
 */
#ifndef IPFIX_H
#define IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mon.h"

#define IPFIX_VERSION      10
#define IPFIX_HEADER_LEN   16
#define IPFIX_SET_TEMPLATE 2
#define IPFIX_TEMPLATE_ID  256
#define IPFIX_MSG_MAX      1400 /* a datagram within a 1500-byte MTU */

/** One field of the template: IANA element id, length in bytes, name. */
struct ipfix_field {
    uint16_t ie, len;
    const char *name;
};

extern const struct ipfix_field ipfix_fields[];
extern const unsigned ipfix_nfields;

/** Bytes of one data record. */
unsigned ipfix_record_len(void);

struct ipfix_msg {
    uint8_t buf[IPFIX_MSG_MAX];
    size_t len;
    size_t data_set; /* offset of the data set's header, 0 while none */
    unsigned records;
};

/**
 * Start a message: @seq is the count of data records sent before it in
 * this observation domain (mod 2^32); @with_template adds the template set.
 */
void ipfix_begin(struct ipfix_msg *m, uint32_t export_time, uint32_t seq, uint32_t domain,
                 bool with_template);

/** Add a record; false when it does not fit (finish this message, begin another). */
bool ipfix_add(struct ipfix_msg *m, const struct mon_record *r);

/** Close the sets and write the lengths; returns the message's length. */
size_t ipfix_end(struct ipfix_msg *m);

#endif
