/*
 * vpn_esp — the ESP protocol pieces of the VPN NF, below tunnel mode:
 * AES-GCM as RFC 4106 uses it, the ESP packet body (RFC 4303 section 2)
 * and the receiver's anti-replay window (RFC 4303 section 3.4.3 and
 * appendix A, extended sequence numbers included).
 *
 * AES-GCM (RFC 4106): the key material is the AES key (16, 24 or 32 bytes)
 * followed by a 4-byte salt; the 12-byte nonce is salt || the packet's
 * 8-byte explicit IV; the additional authenticated data is SPI || sequence
 * number (8 bytes), or SPI || high 32 bits || low 32 bits with extended
 * sequence numbers (12 bytes); the ICV is the full 16-byte tag. OpenSSL 3's
 * EVP does the cipher; a context per SA keeps the expanded key.
 *
 * An ESP packet body is SPI(4) seq(4) IV(8) ciphertext ICV(16), where the
 * ciphertext covers payload || padding || pad length || next header. The
 * padding is the RFC 4303 default, bytes 1, 2, 3, ..., just enough to end
 * the ciphertext on a 4-byte boundary (RFC 4106 section 3.2); a receiver
 * checks it.
 *
 * The replay window is a bitmap of up to VPN_REPLAY_MAX packets ending at
 * the highest sequence number authenticated so far. check() is cheap and
 * runs before the ICV is verified; update() runs only after, so forged
 * packets never move the window.
 */
#ifndef VPN_ESP_H
#define VPN_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"

#define VPN_KEY_MAX     32
#define VPN_SALT_LEN    4
#define VPN_IV_LEN      8
#define VPN_ICV_LEN     16
#define VPN_ESP_HDR_LEN 8 /* SPI, sequence number */
/* ESP header, IV, at most 3 bytes of padding, pad length, next header, ICV. */
#define VPN_ESP_MAX_OVERHEAD (VPN_ESP_HDR_LEN + VPN_IV_LEN + 3 + 2 + VPN_ICV_LEN)
#define VPN_REPLAY_MAX       4096 /* the largest window, in packets */

/** One direction of AES-GCM with its key: an OpenSSL context and the salt. */
struct vpn_gcm {
    void *ctx; /* EVP_CIPHER_CTX */
    uint8_t salt[VPN_SALT_LEN];
    bool encrypt;
};

/** Key @len bytes at @keymat (key || salt, 20, 28 or 36 bytes) for sealing or opening. */
int vpn_gcm_init(struct vpn_gcm *g, const uint8_t *keymat, size_t len, bool encrypt,
                 struct e2_err *err);
void vpn_gcm_free(struct vpn_gcm *g);

/** Encrypt @len bytes at @data in place, authenticating @aad too; the tag goes to @icv. */
int vpn_gcm_seal(struct vpn_gcm *g, const uint8_t iv[VPN_IV_LEN], const uint8_t *aad,
                 size_t aad_len, uint8_t *data, size_t len, uint8_t icv[VPN_ICV_LEN]);

/** Verify @icv and decrypt in place: 0, or -EBADMSG when the ICV is wrong (data then garbage). */
int vpn_gcm_open(struct vpn_gcm *g, const uint8_t iv[VPN_IV_LEN], const uint8_t *aad,
                 size_t aad_len, uint8_t *data, size_t len, const uint8_t icv[VPN_ICV_LEN]);

/** Padding bytes RFC 4106 wants after @payload_len bytes (so payload+pad+2 is 4-aligned). */
static inline unsigned vpn_esp_pad(uint32_t payload_len)
{
    return (4 - (payload_len + 2) % 4) % 4;
}

/** Bytes of the ESP body (header to ICV) carrying @payload_len bytes. */
static inline uint32_t vpn_esp_len(uint32_t payload_len)
{
    return VPN_ESP_HDR_LEN + VPN_IV_LEN + payload_len + vpn_esp_pad(payload_len) + 2 + VPN_ICV_LEN;
}

/**
 * Build the ESP body at @esp around the @payload_len bytes already at
 * esp + 16: header (@spi, low 32 bits of @seq), @iv, padding, trailer with
 * @next_header, encryption, ICV. @esn puts the high half of @seq in the
 * AAD. Returns the body's length (vpn_esp_len) or a negative errno.
 */
int vpn_esp_seal(struct vpn_gcm *g, uint8_t *esp, uint32_t payload_len, uint8_t next_header,
                 uint32_t spi, uint64_t seq, bool esn, const uint8_t iv[VPN_IV_LEN]);

/** Why an ESP body was refused. */
enum vpn_esp_status {
    VPN_ESP_OK,
    VPN_ESP_SHORT,   /**< shorter than header, IV, trailer and ICV */
    VPN_ESP_AUTH,    /**< ICV does not verify */
    VPN_ESP_BAD_PAD, /**< pad length beyond the data, or padding not 1, 2, 3, ... */
};

/**
 * Verify and decrypt the @len-byte ESP body at @esp whose full sequence
 * number is @seq (its high half matters with @esn). On VPN_ESP_OK the
 * payload lies at esp + 16, @payload_len bytes, and @next_header is set.
 */
enum vpn_esp_status vpn_esp_open(struct vpn_gcm *g, uint8_t *esp, uint32_t len, uint64_t seq,
                                 bool esn, uint32_t *payload_len, uint8_t *next_header);

/** A receiver's anti-replay state. */
struct vpn_replay {
    uint64_t top;  /**< highest sequence number authenticated so far (0: none yet) */
    uint32_t size; /**< window in packets (up to VPN_REPLAY_MAX); 0: no replay check */
    uint64_t bits[VPN_REPLAY_MAX / 64]; /**< bit (seq mod VPN_REPLAY_MAX) set: seen */
};

/** True when @seq may be accepted: new, or inside the window and not seen yet. */
bool vpn_replay_check(const struct vpn_replay *r, uint64_t seq);

/** Record @seq (already checked and authenticated), sliding the window if it is new. */
void vpn_replay_update(struct vpn_replay *r, uint64_t seq);

/**
 * The full 64-bit sequence number of a packet carrying low half @seq_lo
 * under extended sequence numbers: RFC 4303 appendix A2.2, with the window
 * (at least 1) placed at the highest number seen.
 */
uint64_t vpn_replay_esn(const struct vpn_replay *r, uint32_t seq_lo);

#endif
