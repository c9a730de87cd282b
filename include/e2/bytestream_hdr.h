/*
 * The header of a bytestream message (include/e2/bytestream.h), apart from
 * DPDK: what a message says, so pure-C NF logic and its tests can make and
 * read message headers without the mbufs that carry them.
 */
#ifndef E2_BYTESTREAM_HDR_H
#define E2_BYTESTREAM_HDR_H

#include <stdint.h>

#define E2BS_MAGIC 0xe2b5

enum e2bs_kind {
    E2BS_DATA,    /**< len bytes at stream offset @offset */
    E2BS_OPEN,    /**< a new connection; offset 1 when picked up mid-stream */
    E2BS_CLOSE,   /**< this direction's FIN: all its bytes were sent */
    E2BS_RESET,   /**< RST: the connection is over */
    E2BS_GAP,     /**< offset: bytes of this direction that will never come */
    E2BS_ANOMALY, /**< offset: the anomaly (enum e2_tcp_anomaly of nfs/kit) */
};

struct e2bs_hdr {
    uint16_t magic; /**< E2BS_MAGIC */
    uint8_t kind;   /**< enum e2bs_kind */
    uint8_t dir;    /**< 0: from the client (first sender), 1: from the server */
    uint32_t len;   /**< bytes after the header */
    uint64_t conn;  /**< the producer's connection id, unique while the connection lives */
    uint64_t offset;
    uint32_t client_ip, server_ip; /**< host order */
    uint16_t client_port, server_port;
};

#endif
