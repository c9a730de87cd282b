/*
 * stream_msg — bytestream messages (include/e2/bytestream_hdr.h) to and from
 * the units of e2_streams (nfs/kit): the TCP NF writes them, the DPI NFs in
 * ByteStream mode read them. Kinds map one to one: DATA is E2_STREAM_DATA,
 * OPEN/CLOSE/RESET/GAP/ANOMALY the e2_tcp_event of the same name, and the
 * header's offset carries the event's argument (mid-stream, gap length,
 * anomaly) as it carries DATA's stream offset.
 */
#ifndef STREAM_MSG_H
#define STREAM_MSG_H

#include "e2/bytestream_hdr.h"
#include "e2_streams.h"

/** The header of a message of stream @s: @kind E2_STREAM_DATA (@arg: offset) or an event. */
void stream_msg_hdr(const struct e2_stream *s, int dir, int kind, uint64_t arg, uint32_t len,
                    struct e2bs_hdr *h);

/** Header @h and its @data as input for e2_streams_message(); -1 when @h is no message. */
int stream_msg_decode(const struct e2bs_hdr *h, const uint8_t *data, struct e2_stream_msg *m);

#endif
