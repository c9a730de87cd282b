/*
 * tracegen: writes a pcap of synthetic Ethernet frames that exercise every
 * protocol and field E2 filters name: IPv4 (with options, first and later
 * fragments), TCP (all flags), UDP, ICMP, IGMP, SCTP, IPv6 (with and without
 * a fragment header), ICMPv6, ARP, RARP, 802.1Q and QinQ tags, broadcast and
 * multicast, an 802.3 length frame, odd IHL values, and truncated captures.
 * Deterministic (fixed seed). Usage: tracegen OUT.pcap [COUNT]
 */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static uint32_t pick(const uint32_t *v, size_t n)
{
    return v[rnd() % n];
}

struct frame {
    uint8_t b[1600];
    size_t n;
};

static void put8(struct frame *f, uint32_t v)
{
    f->b[f->n++] = (uint8_t)v;
}

static void put16(struct frame *f, uint32_t v)
{
    put8(f, v >> 8);
    put8(f, v);
}

static void put32(struct frame *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v);
}

static void fill(struct frame *f, size_t n)
{
    while (n-- && f->n < sizeof(f->b)) put8(f, rnd());
}

static const uint32_t v4addrs[] = {0x0a0c1e05, 0x0a0c1e63, 0x0a000001, 0x83725859, 0x8372585c,
                                   0x8372585d, 0xc0a80101, 0x08080808, 0xe0000001, 0xeffffffa,
                                   0xffffffff, 0x7f000001, 0x0a010203, 0xac100001};
static const uint32_t ports[] = {80, 443, 53, 22, 8080, 1024, 65535,
                                 0,  20,  21, 25, 5353, 123,  3128};
static const uint32_t flags[] = {0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01, 0xc2, 0x29, 0};

static void ether(struct frame *f, uint32_t type)
{
    static const uint8_t macs[][6] = {
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01},
        {0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01},
        {0x02, 0x00, 0x00, 0x00, 0x00, 0x02}, {0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5d}};
    f->n = 0;
    memcpy(f->b, macs[rnd() % 6], 6);
    memcpy(f->b + 6, macs[3 + rnd() % 3], 6);
    f->n = 12;
    unsigned tags = rnd() % 8 == 0 ? 1 + rnd() % 2 : 0;
    for (unsigned t = 0; t < tags; t++) {
        put16(f, t + 1 < tags ? 0x88a8 : (rnd() % 5 ? 0x8100 : 0x9100));
        put16(f, (rnd() % 8) << 13 | pick((const uint32_t[]){1, 10, 100, 4095, 7}, 5));
    }
    put16(f, type);
}

static void transport(struct frame *f, uint32_t proto)
{
    switch (proto) {
    case 6:
        put16(f, pick(ports, 14));
        put16(f, pick(ports, 14));
        put32(f, rnd());
        put32(f, rnd());
        put8(f, (5 + rnd() % 3) << 4);
        put8(f, pick(flags, 11));
        put16(f, rnd());
        put32(f, rnd());
        fill(f, rnd() % 40);
        break;
    case 17:
    case 132:
        put16(f, pick(ports, 14));
        put16(f, pick(ports, 14));
        put32(f, rnd());
        fill(f, rnd() % 40);
        break;
    case 1:
    case 58:
        put8(f, pick((const uint32_t[]){0, 3, 8, 11, 128, 129, 135, 136}, 8));
        put8(f, rnd() % 4);
        put16(f, rnd());
        fill(f, 4 + rnd() % 30);
        break;
    default: fill(f, 8 + rnd() % 20);
    }
}

static void ipv4(struct frame *f)
{
    uint32_t proto = pick((const uint32_t[]){6, 6, 17, 17, 1, 2, 132, 47, 58}, 9);
    unsigned ihl = rnd() % 6 == 0 ? 6 + rnd() % 3 : 5;
    if (rnd() % 40 == 0) ihl = rnd() % 16; /* odd IHL: libpcap uses it anyway */
    uint32_t frag =
        rnd() % 6 == 0 ? pick((const uint32_t[]){0x2000, 0x00b9, 0x20b9, 0x4000}, 4) : 0x4000;
    put8(f, 0x40 | ihl);
    put8(f, pick((const uint32_t[]){0, 1, 0x10, 0xb8, 0x28}, 5));
    put16(f, 60);
    put16(f, rnd());
    put16(f, frag);
    put8(f, 64);
    put8(f, proto);
    put16(f, 0);
    put32(f, pick(v4addrs, 14));
    put32(f, pick(v4addrs, 14));
    if (ihl > 5) fill(f, 4 * (ihl - 5));
    transport(f, proto);
}

static void ipv6(struct frame *f)
{
    static const uint8_t a6[][16] = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                     {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
                                     {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                     {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    uint32_t proto = pick((const uint32_t[]){6, 17, 58, 132, 0}, 5);
    bool frag = rnd() % 5 == 0;
    put32(f, 0x60000000 | (rnd() & 0x0fffffff));
    put16(f, 40);
    put8(f, frag ? 44 : proto);
    put8(f, 64);
    memcpy(f->b + f->n, a6[rnd() % 5], 16);
    memcpy(f->b + f->n + 16, a6[rnd() % 5], 16);
    f->n += 32;
    if (frag) {
        put8(f, proto);
        put8(f, 0);
        put16(f, rnd() % 2 ? 0 : 0x0009);
        put32(f, rnd());
    }
    transport(f, proto);
}

static void arp(struct frame *f)
{
    put16(f, 1);
    put16(f, 0x0800);
    put8(f, 6);
    put8(f, 4);
    put16(f, 1 + rnd() % 2);
    fill(f, 6);
    put32(f, pick(v4addrs, 14));
    fill(f, 6);
    put32(f, pick(v4addrs, 14));
}

static void build(struct frame *f)
{
    switch (rnd() % 12) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
        ether(f, 0x0800);
        ipv4(f);
        break;
    case 5:
    case 6:
    case 7:
        ether(f, 0x86dd);
        ipv6(f);
        break;
    case 8:
        ether(f, 0x0806);
        arp(f);
        break;
    case 9:
        ether(f, 0x8035);
        arp(f);
        break;
    case 10:
        ether(f, 40 + rnd() % 100);
        fill(f, 46);
        break; /* 802.3 length field */
    default:
        ether(f, pick((const uint32_t[]){0x88cc, 0x8847, 0x0800, 0x86dd}, 4));
        fill(f, rnd() % 80);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tracegen OUT.pcap [COUNT]\n");
        return 2;
    }
    int count = argc > 2 ? atoi(argv[2]) : 3000;
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *d = pcap_dump_open(p, argv[1]);
    if (!d) {
        fprintf(stderr, "tracegen: %s\n", pcap_geterr(p));
        return 1;
    }
    for (int i = 0; i < count; i++) {
        struct frame f;
        build(&f);
        struct pcap_pkthdr h = {.caplen = (uint32_t)f.n, .len = (uint32_t)f.n};
        h.ts.tv_sec = i;
        if (rnd() % 10 == 0) h.caplen = rnd() % (f.n + 1); /* truncated capture */
        if (rnd() % 20 == 0) h.len += rnd() % 1000;        /* wire length beyond the frame */
        pcap_dump((u_char *)d, &h, f.b);
    }
    pcap_dump_close(d);
    pcap_close(p);
    return 0;
}
