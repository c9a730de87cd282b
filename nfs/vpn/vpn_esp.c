#include "vpn_esp.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "e2_csum.h"

int vpn_gcm_init(struct vpn_gcm *g, const uint8_t *keymat, size_t len, bool encrypt,
                 struct e2_err *err)
{
    const EVP_CIPHER *cipher = len == 16 + VPN_SALT_LEN   ? EVP_aes_128_gcm()
                               : len == 24 + VPN_SALT_LEN ? EVP_aes_192_gcm()
                               : len == 32 + VPN_SALT_LEN ? EVP_aes_256_gcm()
                                                          : NULL;
    if (!cipher) return e2_err_set(err, EINVAL, "key material is %zu bytes, not 20, 28 or 36", len);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return e2_err_set(err, ENOMEM, "out of memory for a cipher context");
    /* 12-byte nonces are GCM's default; the key is expanded once, here. */
    if (EVP_CipherInit_ex(ctx, cipher, NULL, keymat, NULL, encrypt) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return e2_err_set(err, EINVAL, "OpenSSL refused the AES-GCM key");
    }
    g->ctx = ctx;
    g->encrypt = encrypt;
    memcpy(g->salt, keymat + len - VPN_SALT_LEN, VPN_SALT_LEN);
    return 0;
}

void vpn_gcm_free(struct vpn_gcm *g)
{
    EVP_CIPHER_CTX_free(g->ctx);
    g->ctx = NULL;
}

/* Start one message: the nonce salt || iv, then the AAD. */
static int gcm_start(struct vpn_gcm *g, const uint8_t iv[VPN_IV_LEN], const uint8_t *aad,
                     size_t aad_len)
{
    uint8_t nonce[VPN_SALT_LEN + VPN_IV_LEN];
    memcpy(nonce, g->salt, VPN_SALT_LEN);
    memcpy(nonce + VPN_SALT_LEN, iv, VPN_IV_LEN);
    int n;
    if (EVP_CipherInit_ex(g->ctx, NULL, NULL, NULL, nonce, g->encrypt) != 1 ||
        EVP_CipherUpdate(g->ctx, NULL, &n, aad, (int)aad_len) != 1)
        return -EIO;
    return 0;
}

int vpn_gcm_seal(struct vpn_gcm *g, const uint8_t iv[VPN_IV_LEN], const uint8_t *aad,
                 size_t aad_len, uint8_t *data, size_t len, uint8_t icv[VPN_ICV_LEN])
{
    int n;
    if (gcm_start(g, iv, aad, aad_len) || EVP_CipherUpdate(g->ctx, data, &n, data, (int)len) != 1 ||
        EVP_CipherFinal_ex(g->ctx, data + n, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, VPN_ICV_LEN, icv) != 1)
        return -EIO;
    return 0;
}

int vpn_gcm_open(struct vpn_gcm *g, const uint8_t iv[VPN_IV_LEN], const uint8_t *aad,
                 size_t aad_len, uint8_t *data, size_t len, const uint8_t icv[VPN_ICV_LEN])
{
    int n;
    if (gcm_start(g, iv, aad, aad_len) || EVP_CipherUpdate(g->ctx, data, &n, data, (int)len) != 1 ||
        EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, VPN_ICV_LEN, (void *)icv) != 1)
        return -EIO;
    return EVP_CipherFinal_ex(g->ctx, data + n, &n) == 1 ? 0 : -EBADMSG;
}

/* The AAD of RFC 4106 section 5: SPI || seq, or SPI || seq high || seq low. */
static size_t esp_aad(uint8_t aad[12], uint32_t spi, uint64_t seq, bool esn)
{
    e2_put32(aad, spi);
    if (!esn) {
        e2_put32(aad + 4, (uint32_t)seq);
        return 8;
    }
    e2_put32(aad + 4, (uint32_t)(seq >> 32));
    e2_put32(aad + 8, (uint32_t)seq);
    return 12;
}

int vpn_esp_seal(struct vpn_gcm *g, uint8_t *esp, uint32_t payload_len, uint8_t next_header,
                 uint32_t spi, uint64_t seq, bool esn, const uint8_t iv[VPN_IV_LEN])
{
    e2_put32(esp, spi);
    e2_put32(esp + 4, (uint32_t)seq);
    memcpy(esp + VPN_ESP_HDR_LEN, iv, VPN_IV_LEN);
    uint8_t *text = esp + VPN_ESP_HDR_LEN + VPN_IV_LEN;
    unsigned pad = vpn_esp_pad(payload_len);
    uint8_t *t = text + payload_len;
    for (unsigned i = 0; i < pad; i++) *t++ = (uint8_t)(i + 1);
    *t++ = (uint8_t)pad;
    *t++ = next_header;
    uint8_t aad[12];
    size_t aad_len = esp_aad(aad, spi, seq, esn);
    uint32_t text_len = (uint32_t)(t - text);
    int rc = vpn_gcm_seal(g, iv, aad, aad_len, text, text_len, t);
    return rc ? rc : (int)vpn_esp_len(payload_len);
}

enum vpn_esp_status vpn_esp_open(struct vpn_gcm *g, uint8_t *esp, uint32_t len, uint64_t seq,
                                 bool esn, uint32_t *payload_len, uint8_t *next_header)
{
    if (len < VPN_ESP_HDR_LEN + VPN_IV_LEN + 2 + VPN_ICV_LEN) return VPN_ESP_SHORT;
    uint8_t aad[12];
    size_t aad_len = esp_aad(aad, e2_get32(esp), seq, esn);
    uint8_t *text = esp + VPN_ESP_HDR_LEN + VPN_IV_LEN;
    uint32_t text_len = len - VPN_ESP_HDR_LEN - VPN_IV_LEN - VPN_ICV_LEN;
    if (vpn_gcm_open(g, esp + VPN_ESP_HDR_LEN, aad, aad_len, text, text_len, text + text_len))
        return VPN_ESP_AUTH;
    unsigned pad = text[text_len - 2];
    if (pad > text_len - 2) return VPN_ESP_BAD_PAD;
    uint32_t plen = text_len - 2 - pad;
    for (unsigned i = 0; i < pad; i++)
        if (text[plen + i] != (uint8_t)(i + 1)) return VPN_ESP_BAD_PAD;
    *payload_len = plen;
    *next_header = text[text_len - 1];
    return VPN_ESP_OK;
}

/* ---- anti-replay (RFC 4303 3.4.3) ---- */

static bool replay_bit(const struct vpn_replay *r, uint64_t seq)
{
    uint64_t i = seq % VPN_REPLAY_MAX;
    return r->bits[i / 64] >> (i % 64) & 1;
}

bool vpn_replay_check(const struct vpn_replay *r, uint64_t seq)
{
    if (!r->size) return true;
    if (seq == 0) return false; /* the first packet of an SA is number 1 */
    if (seq > r->top) return true;
    if (r->top - seq >= r->size) return false; /* left of the window */
    return !replay_bit(r, seq);
}

void vpn_replay_update(struct vpn_replay *r, uint64_t seq)
{
    if (seq > r->top) {
        /* Slide: forget the numbers the window moves over (their bits are reused). */
        if (seq - r->top >= VPN_REPLAY_MAX)
            memset(r->bits, 0, sizeof(r->bits));
        else
            for (uint64_t s = r->top + 1; s <= seq; s++) {
                uint64_t i = s % VPN_REPLAY_MAX;
                r->bits[i / 64] &= ~(1ull << (i % 64));
            }
        r->top = seq;
    }
    uint64_t i = seq % VPN_REPLAY_MAX;
    r->bits[i / 64] |= 1ull << (i % 64);
}

uint64_t vpn_replay_esn(const struct vpn_replay *r, uint32_t seq_lo)
{
    uint32_t th = (uint32_t)(r->top >> 32), tl = (uint32_t)r->top;
    uint32_t w = r->size ? r->size : 1;
    uint32_t bottom = tl - w + 1; /* mod 2^32 */
    uint32_t seq_hi;
    if (tl >= w - 1) /* case A: the window lies within one sub-space */
        seq_hi = seq_lo >= bottom ? th : th + 1;
    else /* case B: the window spans two sub-spaces (none below the first) */
        seq_hi = seq_lo >= bottom && th > 0 ? th - 1 : th;
    return (uint64_t)seq_hi << 32 | seq_lo;
}
