#include "re.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WAYS      4
#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define BREAKMARK 0x78

struct re_slot {
    uint64_t key;  /* 0: empty */
    uint64_t used; /* when last hit or inserted */
};

static bool pow2(uint32_t x)
{
    return x && !(x & (x - 1));
}

int re_init(struct re *r, const struct re_opts *o, struct e2_err *err)
{
    uint32_t avg = o->chunk_avg ? o->chunk_avg : 256;
    uint32_t entries = o->cache_entries ? o->cache_entries : 1u << 20;
    if (!pow2(avg) || avg < 64 || avg > 65536)
        return e2_err_set(err, EINVAL, "the average chunk is a power of two from 64 to 65536");
    if (entries < WAYS || entries > 1u << 28)
        return e2_err_set(err, EINVAL, "the cache holds %d to 2^28 chunks", WAYS);
    while (!pow2(entries)) entries += entries & -entries;
    memset(r, 0, sizeof(*r));
    rabin_init(&r->rb);
    r->cache = calloc(entries, sizeof(*r->cache));
    if (!r->cache) return e2_err_set(err, ENOMEM, "no memory for %u cached chunks", entries);
    r->cache_entries = entries;
    r->sets_mask = entries / WAYS - 1;
    r->mask = avg - 1;
    r->magic = BREAKMARK & r->mask;
    r->min = avg / 4;
    r->max = avg * 8;
    return 0;
}

void re_fini(struct re *r)
{
    free(r->cache);
    r->cache = NULL;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* A chunk ended: seen before (bytes saved) or remembered now. */
static void chunk(struct re *r, uint64_t hash, uint32_t len)
{
    uint64_t key = mix64(hash ^ ((uint64_t)len << 40)) | 1;
    struct re_slot *set = &r->cache[(key & r->sets_mask) * WAYS], *victim = set;
    r->st.chunks++;
    r->st.chunk_bytes += len;
    r->seq++;
    for (unsigned w = 0; w < WAYS; w++) {
        if (set[w].key == key) {
            set[w].used = r->seq;
            r->st.hits++;
            r->st.hit_bytes += len;
            r->st.saved += len > RE_SHIM ? len - RE_SHIM : 0;
            return;
        }
        if (set[w].used < victim->used) victim = &set[w];
    }
    r->st.replaced += victim->key != 0;
    r->st.inserted++;
    *victim = (struct re_slot){key, r->seq};
}

static void restart(struct re_dir *d)
{
    memset(d, 0, sizeof(*d));
    d->hash = FNV_BASIS;
}

void re_on_data(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                const uint8_t *bytes, uint32_t len)
{
    struct re *r = ctx;
    struct re_dir *d = &((struct re_conn *)user)->d[dir];
    (void)s;
    (void)off;
    r->st.bytes[dir] += len;
    uint64_t fp = d->fp, hash = d->hash, mask = r->mask, magic = r->magic;
    uint32_t clen = d->len, min = r->min, max = r->max;
    unsigned pos = d->pos;
    for (uint32_t i = 0; i < len; i++) {
        uint8_t b = bytes[i];
        fp = rabin_slide(&r->rb, fp, d->win[pos], b);
        d->win[pos] = b;
        if (++pos == RABIN_WINDOW) pos = 0;
        hash = (hash ^ b) * FNV_PRIME;
        clen++;
        if ((clen >= min && (fp & mask) == magic) || clen >= max) {
            chunk(r, hash, clen);
            hash = FNV_BASIS;
            clen = 0;
        }
    }
    d->fp = fp;
    d->hash = hash;
    d->len = clen;
    d->pos = (uint8_t)pos;
}

void re_on_event(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                 uint64_t arg)
{
    struct re *r = ctx;
    struct re_conn *c = user;
    struct re_dir *d = &c->d[dir];
    (void)s;
    (void)arg;
    if (ev == E2_TCP_OPEN) {
        restart(&c->d[0]);
        restart(&c->d[1]);
    } else if (ev == E2_TCP_CLOSE && d->len) {
        chunk(r, d->hash, d->len);
        restart(d);
    } else if (ev == E2_TCP_GAP) {
        r->st.dropped_partial += d->len != 0;
        restart(d);
    }
}

json_t *re_stats_json(const struct re *r)
{
    const struct re_stats *st = &r->st;
    uint64_t bytes = st->bytes[0] + st->bytes[1];
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I}",
                     "client_bytes", (json_int_t)st->bytes[0], "server_bytes",
                     (json_int_t)st->bytes[1], "chunks", (json_int_t)st->chunks, "chunk_bytes",
                     (json_int_t)st->chunk_bytes, "hits", (json_int_t)st->hits, "hit_bytes",
                     (json_int_t)st->hit_bytes, "saved_bytes", (json_int_t)st->saved, "saved_ratio",
                     bytes ? (double)st->saved / (double)bytes : 0.0, "dropped_partial",
                     (json_int_t)st->dropped_partial, "cache_entries", (json_int_t)r->cache_entries,
                     "inserted", (json_int_t)st->inserted, "replaced", (json_int_t)st->replaced,
                     "chunk_avg", (json_int_t)(r->mask + 1));
}
