/*
 * Bytestream vports — reassembled TCP streams between NFs, reliably.
 *
 * One NF (the TCP NF) reassembles each connection once; the DPI NFs after
 * it receive ordered stream bytes and TCP events instead of packets. A
 * message is an mbuf from the shared pool holding a struct e2bs_hdr and, for
 * DATA, the bytes, so messages travel over ordinary vports, zero-copy.
 *
 * Reliability: connect the producer's port to the consumer's through e2d with
 * a reliable VPort (`VPort(nf=tcp, port=bs, reliable=true) -> VPort(nf=sig,
 * port=bs)`): e2d then takes from the producer only what the consumer's ring
 * has room for, and nothing is dropped in between. When the consumer falls
 * behind, the producer's sends stop succeeding; struct e2bs_out keeps its
 * messages in order until they go, and tells the producer to stop taking
 * input when it is full — back-pressure instead of loss.
 *
 * Per connection and direction, DATA offsets are contiguous except across a
 * GAP message (bytes the producer will never have); OPEN comes first and
 * CLOSE or RESET last.
 */
#ifndef E2_BYTESTREAM_H
#define E2_BYTESTREAM_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "e2/bytestream_hdr.h"
#include "e2/nf.h"

/** Bytes one message can carry from @pool (a longer stretch takes several). */
uint32_t e2bs_data_max(struct rte_mempool *pool);

/** A message in a fresh mbuf: @h (its len says how many bytes of @data). NULL if none is free or
 * len is too big. */
struct rte_mbuf *e2bs_msg_new(struct rte_mempool *pool, const struct e2bs_hdr *h, const void *data);

/** The header of message @m and its bytes (*data), or NULL when @m is not a message. */
const struct e2bs_hdr *e2bs_msg_read(const struct rte_mbuf *m, const uint8_t **data);

/** An order-keeping sender on one port of an NF. */
struct e2bs_out;

/** A sender for @port of @nf holding up to @capacity messages while the ring is full. */
struct e2bs_out *e2bs_out_create(struct e2nf *nf, unsigned port, unsigned capacity);
void e2bs_out_free(struct e2bs_out *o); /**< frees (drops, counted) what still waits */

/*
 * Sending is batched: put and data queue, and the ring gets the queue at the
 * next e2bs_out_flush() (or when the queue is full): flush after each burst
 * of input, and while idle until nothing waits.
 */

/** Queue @m behind what waits. -ENOBUFS (m not taken) when full even after a flush. */
int e2bs_out_put(struct e2bs_out *o, struct rte_mbuf *m);

/**
 * Queue a DATA stretch as messages of up to e2bs_data_max() bytes (h->len is
 * ignored; offsets advance). All or nothing: -ENOBUFS when the queue has no
 * room for every piece (after a flush), -ENOMEM when the pool ran dry;
 * nothing is queued then.
 */
int e2bs_out_data(struct e2bs_out *o, const struct e2bs_hdr *h, const uint8_t *data, uint32_t len);

/** Send what the ring takes; returns how many messages still wait. */
unsigned e2bs_out_flush(struct e2bs_out *o);

/** Messages waiting, and free places in the queue. */
unsigned e2bs_out_waiting(const struct e2bs_out *o);
unsigned e2bs_out_room(const struct e2bs_out *o);

#endif
