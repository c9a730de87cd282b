/* The NSH codec (see e2_nsh.h). */
#include "e2_nsh.h"

#include <stdbool.h>

static const char *const bad_names[E2_NSH_BAD_N] = {
    [E2_NSH_OK] = "ok",
    [E2_NSH_BAD_NOT_NSH] = "not_nsh",
    [E2_NSH_BAD_SHORT] = "short",
    [E2_NSH_BAD_VERSION] = "version",
    [E2_NSH_BAD_OAM] = "oam",
    [E2_NSH_BAD_MD_TYPE] = "md_type",
    [E2_NSH_BAD_NEXT_PROTO] = "next_proto",
    [E2_NSH_BAD_LENGTH] = "length",
    [E2_NSH_BAD_TLV_LENGTH] = "tlv_length",
    [E2_NSH_BAD_E2_TLV] = "e2_tlv",
    [E2_NSH_BAD_INNER] = "inner_short",
};

const char *e2_nsh_bad_name(enum e2_nsh_bad bad)
{
    return (unsigned)bad < E2_NSH_BAD_N ? bad_names[bad] : "?";
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An E2-class TLV: a tag slot or the flow ID, each at most once, 4 bytes of value. */
static enum e2_nsh_bad e2_tlv(uint8_t type, unsigned vlen, const uint8_t *v, struct e2_nsh *out)
{
    uint8_t bit = type == E2_NSH_TLV_FLOW_ID ? E2_NSH_MD_FLOW_ID
                  : type < E2_NSH_TAGS       ? (uint8_t)E2_NSH_MD_TAG(type)
                                             : 0;
    if (!bit) {
        out->skipped++;
        return E2_NSH_OK;
    }
    if (vlen != 4 || (out->md.valid & bit)) return E2_NSH_BAD_E2_TLV;
    out->md.valid |= bit;
    if (type == E2_NSH_TLV_FLOW_ID)
        out->md.flow_id = rd32(v);
    else
        out->md.tag[type] = rd32(v);
    return E2_NSH_OK;
}

/*
 * The context headers: TLVs filling [p, end) exactly. Length counts words and each TLV takes a
 * whole number of them, so a TLV header is never cut: only its value can be.
 */
static enum e2_nsh_bad parse_tlvs(const uint8_t *p, const uint8_t *end, struct e2_nsh *out)
{
    while (p < end) {
        unsigned cls = (unsigned)p[0] << 8 | p[1], type = p[2], vlen = p[3] & 0x7f;
        unsigned padded = (vlen + 3) & ~3u;
        if ((size_t)(end - p - 4) < padded) return E2_NSH_BAD_TLV_LENGTH;
        enum e2_nsh_bad bad = E2_NSH_OK;
        if (cls == E2_NSH_MD_CLASS)
            bad = e2_tlv((uint8_t)type, vlen, p + 4, out);
        else
            out->skipped++;
        if (bad) return bad;
        p += 4 + padded;
    }
    return E2_NSH_OK;
}

enum e2_nsh_bad e2_nsh_parse(const uint8_t *p, size_t len, struct e2_nsh *out)
{
    *out = (struct e2_nsh){0};
    if (len < E2_NSH_BASE_LEN) return E2_NSH_BAD_SHORT;
    uint32_t base = rd32(p), path = rd32(p + 4);
    if (base >> 30 != 0) return E2_NSH_BAD_VERSION;
    if (base & (1u << 29)) return E2_NSH_BAD_OAM;
    if (((base >> 8) & 0x0f) != E2_NSH_MD_TYPE2) return E2_NSH_BAD_MD_TYPE;
    if ((base & 0xff) != E2_NSH_NP_ETHERNET) return E2_NSH_BAD_NEXT_PROTO;
    size_t hlen = ((base >> 16) & 0x3f) * 4;
    if (hlen < E2_NSH_BASE_LEN || hlen > len) return E2_NSH_BAD_LENGTH;
    out->ttl = (uint8_t)((base >> 22) & 0x3f);
    out->len = (uint16_t)hlen;
    out->spi = path >> 8;
    out->si = (uint8_t)path;
    return parse_tlvs(p + E2_NSH_BASE_LEN, p + hlen, out);
}

enum e2_nsh_bad e2_nsh_parse_frame(const uint8_t *frame, size_t len, struct e2_nsh *out)
{
    if (len < E2_NSH_ETH_LEN || ((unsigned)frame[12] << 8 | frame[13]) != E2_NSH_ETHERTYPE) {
        *out = (struct e2_nsh){0};
        return E2_NSH_BAD_NOT_NSH;
    }
    enum e2_nsh_bad bad = e2_nsh_parse(frame + E2_NSH_ETH_LEN, len - E2_NSH_ETH_LEN, out);
    if (bad) return bad;
    return len - E2_NSH_ETH_LEN - out->len < E2_NSH_ETH_LEN ? E2_NSH_BAD_INNER : E2_NSH_OK;
}

size_t e2_nsh_hdr_len(const struct e2_nsh_md *md)
{
    /* TLVs per combination of valid bits (a table: without -mpopcnt popcount is a call) */
    static const uint8_t n[32] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                  1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5};
    return E2_NSH_BASE_LEN + 8u * n[md->valid & 0x1f];
}

static uint8_t *put_tlv(uint8_t *p, uint8_t type, uint32_t value)
{
    wr32(p, (uint32_t)E2_NSH_MD_CLASS << 16 | (uint32_t)type << 8 | 4);
    wr32(p + 4, value);
    return p + 8;
}

size_t e2_nsh_write_md(uint8_t *p, const struct e2_nsh_md *md)
{
    uint8_t *q = p;
    for (unsigned i = 0; i < E2_NSH_TAGS; i++)
        if (md->valid & E2_NSH_MD_TAG(i)) q = put_tlv(q, (uint8_t)i, md->tag[i]);
    if (md->valid & E2_NSH_MD_FLOW_ID) q = put_tlv(q, E2_NSH_TLV_FLOW_ID, md->flow_id);
    return (size_t)(q - p);
}

size_t e2_nsh_write(uint8_t *p, uint32_t spi, uint8_t si, uint8_t ttl, const struct e2_nsh_md *md)
{
    size_t len = e2_nsh_hdr_len(md);
    wr32(p, (uint32_t)(ttl & 0x3f) << 22 | (uint32_t)(len / 4) << 16 | E2_NSH_MD_TYPE2 << 8 |
                E2_NSH_NP_ETHERNET);
    wr32(p + 4, (spi & E2_NSH_SPI_MAX) << 8 | si);
    e2_nsh_write_md(p + E2_NSH_BASE_LEN, md);
    return len;
}
