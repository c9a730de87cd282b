/* IPFIX messages of flow records (ipfix.h, RFC 7011 §3). */
#include "ipfix.h"

#include "e2_csum.h"

/* IANA "IPFIX Information Elements" registry ids. */
const struct ipfix_field ipfix_fields[] = {
    {8, 4, "sourceIPv4Address"},       {12, 4, "destinationIPv4Address"},
    {7, 2, "sourceTransportPort"},     {11, 2, "destinationTransportPort"},
    {4, 1, "protocolIdentifier"},      {6, 2, "tcpControlBits"},
    {2, 8, "packetDeltaCount"},        {1, 8, "octetDeltaCount"},
    {152, 8, "flowStartMilliseconds"}, {153, 8, "flowEndMilliseconds"},
    {136, 1, "flowEndReason"},
};
const unsigned ipfix_nfields = sizeof(ipfix_fields) / sizeof(ipfix_fields[0]);

unsigned ipfix_record_len(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ipfix_nfields; i++) n += ipfix_fields[i].len;
    return n;
}

static uint64_t field_value(const struct mon_record *r, uint16_t ie)
{
    switch (ie) {
    case 8: return r->key.src_ip;
    case 12: return r->key.dst_ip;
    case 7: return r->key.src_port;
    case 11: return r->key.dst_port;
    case 4: return r->key.proto;
    case 6: return r->tcp_flags;
    case 2: return r->packets;
    case 1: return r->bytes;
    case 152: return r->first_ms;
    case 153: return r->last_ms;
    default: return r->end; /* 136 */
    }
}

static void put_be(uint8_t *p, uint64_t v, unsigned len)
{
    for (unsigned i = len; i-- > 0; v >>= 8) p[i] = (uint8_t)v;
}

void ipfix_begin(struct ipfix_msg *m, uint32_t export_time, uint32_t seq, uint32_t domain,
                 bool with_template)
{
    e2_put16(m->buf, IPFIX_VERSION);
    e2_put32(m->buf + 4, export_time);
    e2_put32(m->buf + 8, seq);
    e2_put32(m->buf + 12, domain);
    m->len = IPFIX_HEADER_LEN;
    m->data_set = 0;
    m->records = 0;
    if (!with_template) return;
    uint8_t *set = m->buf + m->len;
    e2_put16(set, IPFIX_SET_TEMPLATE);
    e2_put16(set + 2, (uint16_t)(4 + 4 + 4 * ipfix_nfields));
    e2_put16(set + 4, IPFIX_TEMPLATE_ID);
    e2_put16(set + 6, (uint16_t)ipfix_nfields);
    for (unsigned i = 0; i < ipfix_nfields; i++) {
        e2_put16(set + 8 + 4 * i, ipfix_fields[i].ie);
        e2_put16(set + 10 + 4 * i, ipfix_fields[i].len);
    }
    m->len += 8 + 4 * ipfix_nfields;
}

bool ipfix_add(struct ipfix_msg *m, const struct mon_record *r)
{
    size_t need = ipfix_record_len() + (m->data_set ? 0 : 4);
    if (m->len + need > IPFIX_MSG_MAX) return false;
    if (!m->data_set) {
        m->data_set = m->len;
        e2_put16(m->buf + m->len, IPFIX_TEMPLATE_ID);
        m->len += 4;
    }
    for (unsigned i = 0; i < ipfix_nfields; i++) {
        put_be(m->buf + m->len, field_value(r, ipfix_fields[i].ie), ipfix_fields[i].len);
        m->len += ipfix_fields[i].len;
    }
    m->records++;
    return true;
}

size_t ipfix_end(struct ipfix_msg *m)
{
    if (m->data_set) e2_put16(m->buf + m->data_set + 2, (uint16_t)(m->len - m->data_set));
    e2_put16(m->buf + 2, (uint16_t)m->len);
    return m->len;
}
