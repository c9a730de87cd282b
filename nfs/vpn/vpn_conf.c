/*
 * The VPN's configuration file: security associations and the outer MTU.
 *
 *   sa out|in spi SPI src IP dst IP key 0xHEX match PREFIX
 *          [local PREFIX] [window N] [esn]
 *   mtu N
 *
 * Every refusal reads FILE:LINE: what; a key is never quoted back.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "e2_conf.h"
#include "vpn.h"

static void sa_free(struct vpn_sa *sa)
{
    if (!sa) return;
    vpn_gcm_free(&sa->gcm);
    OPENSSL_cleanse(sa->keymat, sizeof(sa->keymat));
    free(sa);
}

static void sadb_free(struct vpn_sadb *db)
{
    if (!db) return;
    for (unsigned i = 0; i < db->n; i++) sa_free(db->sa[i]);
    free(db->sa);
    free(db->in_by_spi);
    free(db);
}

void vpn_free(struct vpn *v)
{
    sadb_free(v->db);
    v->db = NULL;
}

/* "0x" and 40, 56 or 72 hex digits: AES-128/192/256 key and salt. Never echoes the key. */
static int parse_key(const char *text, struct vpn_sa *sa, struct e2_err *err)
{
    size_t n = strlen(text);
    if (n < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
        return e2_err_set(err, EINVAL, "key must be written 0x followed by hex digits");
    text += 2;
    n -= 2;
    if (n != 40 && n != 56 && n != 72)
        return e2_err_set(err, EINVAL,
                          "key has %zu hex digits; AES-GCM wants 40, 56 or 72 "
                          "(16, 24 or 32 key bytes and a 4-byte salt)",
                          n);
    for (size_t i = 0; i < n; i += 2) {
        if (!isxdigit((unsigned char)text[i]) || !isxdigit((unsigned char)text[i + 1]))
            return e2_err_set(err, EINVAL, "key has a character that is not a hex digit");
        char byte[3] = {text[i], text[i + 1], 0};
        sa->keymat[i / 2] = (uint8_t)strtoul(byte, NULL, 16);
    }
    sa->keymat_len = (uint8_t)(n / 2);
    return 0;
}

static int parse_spi(const char *text, uint32_t *spi, struct e2_err *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (!*text || *end || errno || *text == '-' || v < 256 || v > 0xffffffffull)
        return e2_err_set(err, EINVAL,
                          "SPI '%s' is not a number from 256 to 0xffffffff (0-255 are reserved)",
                          text);
    *spi = (uint32_t)v;
    return 0;
}

/* One "KEY VALUE" or flag of an sa statement; @seen collects the keys given. */
static int sa_field(struct vpn_sa *sa, const char *k, const char *val, unsigned *seen,
                    struct e2_err *err)
{
    static const char *const keys[] = {"spi", "src", "dst", "key", "match", "local", "window"};
    unsigned bit = 0;
    while (bit < sizeof(keys) / sizeof(keys[0]) && strcmp(k, keys[bit])) bit++;
    if (bit == sizeof(keys) / sizeof(keys[0]))
        return e2_err_set(err, EINVAL,
                          "unknown word '%s' (spi, src, dst, key, match, local, window, esn)", k);
    if (*seen & 1u << bit) return e2_err_set(err, EINVAL, "'%s' is given twice", k);
    *seen |= 1u << bit;
    if (!val) return e2_err_set(err, EINVAL, "'%s' wants a value", k);
    uint64_t w;
    switch (bit) {
    case 0: return parse_spi(val, &sa->spi, err);
    case 1: return e2_conf_ipv4(val, &sa->src, err);
    case 2: return e2_conf_ipv4(val, &sa->dst, err);
    case 3: return parse_key(val, sa, err);
    case 4: return e2_conf_prefix(val, &sa->remote, &sa->remote_len, err);
    case 5: return e2_conf_prefix(val, &sa->local, &sa->local_len, err);
    default:
        if (e2_conf_uint(val, "window", 0, VPN_REPLAY_MAX, &w, err)) return -EINVAL;
        if (w && w < 32)
            return e2_err_set(err, EINVAL, "window %s is below 32 (RFC 4303); 0 turns it off", val);
        sa->replay.size = (uint32_t)w;
        return 0;
    }
}

static int parse_sa(const struct e2_conf_line *l, struct vpn_sa *sa, struct e2_err *err)
{
    if (l->argc < 2 || (strcmp(l->argv[1], "out") && strcmp(l->argv[1], "in")))
        return e2_err_set(err, EINVAL, "sa wants a direction, out or in");
    sa->dir = strcmp(l->argv[1], "out") ? VPN_IN : VPN_OUT;
    sa->line = l->line;
    sa->replay.size = VPN_DEFAULT_WINDOW;
    unsigned seen = 0;
    for (int i = 2; i < l->argc; i++) {
        if (!strcmp(l->argv[i], "esn")) {
            sa->esn = true;
            continue;
        }
        const char *val = i + 1 < l->argc ? l->argv[i + 1] : NULL;
        if (sa_field(sa, l->argv[i], val, &seen, err)) return -EINVAL;
        i++;
    }
    static const char *const need[] = {"spi", "src", "dst", "key", "match"};
    for (unsigned b = 0; b < 5; b++)
        if (!(seen & 1u << b)) return e2_err_set(err, EINVAL, "sa needs '%s'", need[b]);
    if (RAND_bytes((unsigned char *)&sa->iv_mask, sizeof(sa->iv_mask)) != 1)
        return e2_err_set(err, EIO, "no random bytes for the IV mask");
    return vpn_gcm_init(&sa->gcm, sa->keymat, sa->keymat_len, sa->dir == VPN_OUT, err);
}

static int add_sa(struct vpn_sadb *db, const struct e2_conf_line *l, struct e2_err *err)
{
    struct vpn_sa *sa = calloc(1, sizeof(*sa));
    struct vpn_sa **grown = sa ? realloc(db->sa, (db->n + 1) * sizeof(*grown)) : NULL;
    if (!grown) {
        free(sa);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    db->sa = grown;
    if (parse_sa(l, sa, err)) {
        sa_free(sa);
        return -EINVAL;
    }
    for (unsigned i = 0; i < db->n; i++)
        if (db->sa[i]->dir == sa->dir && db->sa[i]->spi == sa->spi) {
            e2_err_set(err, EEXIST, "SPI 0x%x is already used by the %s SA of line %u", sa->spi,
                       sa->dir == VPN_OUT ? "outbound" : "inbound", db->sa[i]->line);
            sa_free(sa);
            return -EEXIST;
        }
    db->sa[db->n++] = sa;
    return 0;
}

static int conf_line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    struct vpn_sadb *db = ctx;
    if (!strcmp(l->argv[0], "sa")) return add_sa(db, l, err);
    if (!strcmp(l->argv[0], "mtu")) {
        uint64_t mtu;
        if (l->argc != 2) return e2_err_set(err, EINVAL, "mtu wants one number");
        if (e2_conf_uint(l->argv[1], "mtu", 68 + VPN_TUNNEL_OVERHEAD, 65535, &mtu, err))
            return -EINVAL;
        db->mtu = (uint32_t)mtu;
        return 0;
    }
    return e2_err_set(err, EINVAL, "unknown statement '%s' (sa, mtu)", l->argv[0]);
}

static int by_spi(const void *a, const void *b)
{
    uint32_t x = (*(struct vpn_sa *const *)a)->spi, y = (*(struct vpn_sa *const *)b)->spi;
    return x < y ? -1 : x > y;
}

struct vpn_sa *vpn_sa_in(const struct vpn_sadb *db, uint32_t spi)
{
    unsigned lo = 0, hi = db->n_in;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        uint32_t s = db->in_by_spi[mid]->spi;
        if (s == spi) return db->in_by_spi[mid];
        if (s < spi)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int index_inbound(struct vpn_sadb *db, struct e2_err *err)
{
    db->in_by_spi = calloc(db->n ? db->n : 1, sizeof(*db->in_by_spi));
    if (!db->in_by_spi) return e2_err_set(err, ENOMEM, "out of memory");
    for (unsigned i = 0; i < db->n; i++)
        if (db->sa[i]->dir == VPN_IN) db->in_by_spi[db->n_in++] = db->sa[i];
    qsort(db->in_by_spi, db->n_in, sizeof(*db->in_by_spi), by_spi);
    return 0;
}

static bool same_sa(const struct vpn_sa *a, const struct vpn_sa *b)
{
    return a->dir == b->dir && a->spi == b->spi && a->src == b->src && a->dst == b->dst &&
           a->esn == b->esn && a->keymat_len == b->keymat_len &&
           !CRYPTO_memcmp(a->keymat, b->keymat, a->keymat_len);
}

/* Carry the running state of SAs that did not change from @old into @db. */
static void keep_state(struct vpn_sadb *db, const struct vpn_sadb *old)
{
    for (unsigned i = 0; old && i < db->n; i++)
        for (unsigned j = 0; j < old->n; j++) {
            struct vpn_sa *n = db->sa[i];
            const struct vpn_sa *o = old->sa[j];
            if (!same_sa(n, o)) continue;
            uint32_t size = n->replay.size;
            n->seq = o->seq;
            n->iv_mask = o->iv_mask;
            n->ip_id = o->ip_id;
            n->replay = o->replay;
            n->replay.size = size;
            n->st = o->st;
            break;
        }
}

static struct vpn_sadb *sadb_new(void)
{
    struct vpn_sadb *db = calloc(1, sizeof(*db));
    if (db) db->mtu = VPN_DEFAULT_MTU;
    return db;
}

/* Make @db current after it was read (@rc), or throw it away. */
static int swap_in(struct vpn *v, struct vpn_sadb *db, int rc, struct e2_err *err)
{
    if (!rc) rc = index_inbound(db, err);
    if (rc) {
        sadb_free(db);
        return rc;
    }
    keep_state(db, v->db);
    sadb_free(v->db);
    v->db = db;
    return 0;
}

int vpn_load_text(struct vpn *v, const char *text, const char *name, struct e2_err *err)
{
    struct vpn_sadb *db = sadb_new();
    if (!db) return e2_err_set(err, ENOMEM, "out of memory");
    return swap_in(v, db, e2_conf_read_text(text, name, conf_line, db, err), err);
}

int vpn_load_file(struct vpn *v, const char *path, struct e2_err *err)
{
    struct vpn_sadb *db = sadb_new();
    if (!db) return e2_err_set(err, ENOMEM, "out of memory");
    return swap_in(v, db, e2_conf_read_file(path, conf_line, db, err), err);
}
