#include "e2_units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit {
    const char *name;
    double scale;
};

/* Parse "NUMBER [UNIT]" with UNIT looked up in @units ("" = bare number). */
static int parse_scaled(const char *text, const struct unit *units, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v)) return -EINVAL;
    while (*end == ' ') end++;
    for (const struct unit *u = units; u->name; u++) {
        if (strcmp(end, u->name)) continue;
        if (v < 0) return -ERANGE;
        *out = v * u->scale;
        return 0;
    }
    return -EINVAL;
}

int e2_rate_parse(const char *text, uint64_t *bps)
{
    static const struct unit units[] = {
        {"", 1},          {"bps", 1},      {"bit/s", 1},    {"bit", 1},      {"k", 1e3},
        {"K", 1e3},       {"kbps", 1e3},   {"Kbps", 1e3},   {"kbit/s", 1e3}, {"kbit", 1e3},
        {"M", 1e6},       {"Mbps", 1e6},   {"Mbit/s", 1e6}, {"Mbit", 1e6},   {"G", 1e9},
        {"Gbps", 1e9},    {"Gbit/s", 1e9}, {"Gbit", 1e9},   {"T", 1e12},     {"Tbps", 1e12},
        {"Tbit/s", 1e12}, {"Tbit", 1e12},  {NULL, 0},
    };
    double v;
    int rc = parse_scaled(text, units, &v);
    if (rc) return rc;
    if (v >= 9.2e18) return -ERANGE;
    *bps = (uint64_t)llround(v);
    return 0;
}

int e2_duration_parse_us(const char *text, uint64_t *us)
{
    static const struct unit units[] = {
        {"", 1e6},    {"s", 1e6},  {"ms", 1e3},   {"us", 1},
        {"ns", 1e-3}, {"m", 60e6}, {"h", 3600e6}, {NULL, 0},
    };
    double v;
    int rc = parse_scaled(text, units, &v);
    if (rc) return rc;
    if (v >= 9.2e18) return -ERANGE;
    *us = (uint64_t)ceil(v);
    return 0;
}

const char *e2_rate_format(uint64_t bps, char *buf, unsigned len)
{
    static const struct unit units[] = {
        {"Tbit/s", 1e12}, {"Gbit/s", 1e9}, {"Mbit/s", 1e6}, {"kbit/s", 1e3}, {"bit/s", 1}};
    for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if ((double)bps >= units[i].scale || units[i].scale == 1) {
            snprintf(buf, len, "%g %s", (double)bps / units[i].scale, units[i].name);
            break;
        }
    }
    return buf;
}
