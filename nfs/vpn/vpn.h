/*
 * vpn — an IPsec gateway's packet path: ESP in tunnel mode (RFC 4303) with
 * AES-GCM (RFC 4106), on frames, without DPDK.
 *
 * Security associations come from a configuration file (vpn_load_*):
 *
 *   sa out spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key 0x<key+salt> match 10.2.0.0/24
 *   sa in  spi 0x2001 src 192.0.2.2 dst 192.0.2.1 key 0x<key+salt> match 10.2.0.0/24
 *
 * src/dst are the tunnel endpoints (outer addresses), "match" the remote
 * network behind the peer, "local" (default any) ours. Every frame goes
 * through vpn_process(), which decides its direction from the frame:
 *   - ESP to the endpoint of an inbound SA (its dst): find the SA by SPI,
 *     check the sequence number against the replay window, verify and
 *     decrypt, slide the window, check padding and next header (4, IPv4),
 *     check the inner packet against the SA's selector (src in match, dst
 *     in local, RFC 4301 5.2), strip the outer headers: to the LAN;
 *   - any other IPv4 packet: plaintext. If its source lies in an inbound
 *     SA's remote network, it should have come encrypted and is dropped
 *     (RFC 4301: unprotected traffic for a protected selector). Otherwise
 *     the first outbound SA whose selector it matches (src in local, dst in
 *     match) encrypts it into a new outer IPv4 header + ESP: to the WAN;
 *     no match, no SA: dropped (DISCARD).
 * The frame's Ethernet header (and VLAN tags) stays as it was: the NF is a
 * bump in the wire between hosts that address each other's MACs.
 *
 * Outbound sequence numbers start at 1 and never wrap: after 2^32 - 1
 * packets (2^64 - 1 with ESN) the SA stops and counts. The IV is the
 * sequence number XOR a random 64-bit mask drawn when the SA is created,
 * so a re-created SA with an old key does not repeat nonces. A reload keeps
 * the state (sequence numbers, replay windows, counters) of every SA whose
 * direction, SPI, endpoints and key are unchanged.
 */
#ifndef VPN_H
#define VPN_H

#include <stdbool.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_pkt.h"
#include "vpn_esp.h"

#define VPN_DEFAULT_WINDOW 64
#define VPN_DEFAULT_MTU    1500
#define VPN_OUTER_IP_LEN   20
/* What encapsulation adds at most: outer IPv4 header and ESP's overhead. */
#define VPN_TUNNEL_OVERHEAD (VPN_OUTER_IP_LEN + VPN_ESP_MAX_OVERHEAD)

enum vpn_dir { VPN_OUT, VPN_IN };

/** What happened to one SA's packets. */
struct vpn_sa_stats {
    uint64_t packets, bytes;  /**< protected packets; bytes of their inner datagrams */
    uint64_t replay;          /**< in: sequence number seen or left of the window */
    uint64_t auth_failed;     /**< in: ICV did not verify */
    uint64_t bad_pad;         /**< in: pad length or padding bytes wrong */
    uint64_t bad_next_header; /**< in: next header not 4 (IPv4) */
    uint64_t dummy;           /**< in: dummy packets (next header 59), dropped as RFC 4303 says */
    uint64_t inner_malformed; /**< in: decrypted datagram not a valid IPv4 packet */
    uint64_t selector;        /**< in: inner addresses outside the SA's selector */
    uint64_t seq_exhausted;   /**< out: dropped because the sequence number would wrap */
    uint64_t too_big;         /**< out: encapsulated packet would exceed the MTU */
};

struct vpn_sa {
    enum vpn_dir dir;
    uint32_t spi;
    uint32_t src, dst; /**< tunnel endpoints, host order */
    uint32_t remote, local;
    uint8_t remote_len, local_len;
    bool esn;
    unsigned line; /**< where the configuration defined it */
    uint8_t keymat[VPN_KEY_MAX + VPN_SALT_LEN];
    uint8_t keymat_len;
    struct vpn_gcm gcm;
    uint64_t seq;             /**< out: last sequence number sent */
    uint64_t iv_mask;         /**< out: IV = seq ^ iv_mask */
    uint16_t ip_id;           /**< out: outer IPv4 identification */
    struct vpn_replay replay; /**< in */
    struct vpn_sa_stats st;
};

/** A whole configuration: SAs in file order, the inbound ones also by SPI. */
struct vpn_sadb {
    struct vpn_sa **sa;
    unsigned n;
    struct vpn_sa **in_by_spi; /**< inbound SAs sorted by SPI */
    unsigned n_in;
    uint32_t mtu; /**< largest outer IPv4 datagram sent */
};

/** Counters of packets no SA accounts for. */
struct vpn_stats {
    uint64_t malformed[E2_PKT_STATUS_COUNT];       /**< frames as received, by parse status */
    uint64_t inner_malformed[E2_PKT_STATUS_COUNT]; /**< decrypted datagrams, by parse status */
    uint64_t no_sa;         /**< ESP to our endpoint with an unknown SPI (or wrong source) */
    uint64_t no_policy;     /**< plaintext no outbound SA's selector matches */
    uint64_t unprotected;   /**< plaintext from a remote network that must come encrypted */
    uint64_t esp_short;     /**< ESP too short for header, IV, trailer and ICV */
    uint64_t esp_fragment;  /**< fragmented ESP (not reassembled) */
    uint64_t no_room;       /**< no headroom/tailroom in the buffer to encapsulate */
    uint64_t ecn_drop;      /**< outer CE over a not-ECT inner packet (RFC 6040) */
    uint64_t crypto_failed; /**< OpenSSL failed to encrypt (should never happen) */
};

struct vpn {
    struct vpn_sadb *db;
    struct vpn_stats st;
};

/**
 * Parse a configuration (@text named @name in messages) and make it
 * current, keeping the state of unchanged SAs; on error the current one
 * stays and @err says FILE:LINE: what.
 */
int vpn_load_text(struct vpn *v, const char *text, const char *name, struct e2_err *err);
int vpn_load_file(struct vpn *v, const char *path, struct e2_err *err);
void vpn_free(struct vpn *v);

/** An inbound SA by SPI, or NULL. */
struct vpn_sa *vpn_sa_in(const struct vpn_sadb *db, uint32_t spi);

enum vpn_action { VPN_DROP, VPN_TO_WAN, VPN_TO_LAN };

/**
 * A frame in a buffer: @data and @len change as the frame grows into
 * @headroom (bytes free before data) and @tailroom (after data + len).
 */
struct vpn_frame {
    uint8_t *data;
    uint32_t len, headroom, tailroom;
};

/** Encrypt, decrypt or drop one frame (see the top of this file). */
enum vpn_action vpn_process(struct vpn *v, struct vpn_frame *f);

#endif
