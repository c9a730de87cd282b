/*
 * e2_units — the rates and durations people write in policies and
 * descriptors: "10 Gbit/s", "10Gbps", "500M", "2.5e9" (bits/s when bare);
 * "60s", "3ms", "20us", "2m" (seconds when bare).
 */
#ifndef E2_UNITS_H
#define E2_UNITS_H

#include <stdint.h>

/**
 * Parse a rate into bits/s. Units (case-sensitive prefix, optional space):
 * bps, kbps/Kbps, Mbps, Gbps, Tbps, bit/s, kbit/s, Mbit/s, Gbit/s, Tbit/s,
 * bit, kbit, Mbit, Gbit, Tbit (as tc writes them),
 * or a bare SI prefix k/K/M/G/T. Bytes are not accepted (say bits).
 * @return 0, or -EINVAL (not a rate) / -ERANGE (negative or > 2^63).
 */
int e2_rate_parse(const char *text, uint64_t *bps);

/** Parse a duration into microseconds: ns (rounded up), us, ms, s, m, h. */
int e2_duration_parse_us(const char *text, uint64_t *us);

/** Format bits/s as "1.5 Gbit/s" (shortest exact-ish form); returns @buf. */
const char *e2_rate_format(uint64_t bps, char *buf, unsigned len);

#endif
