#include "e2_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *level_names[] = {"error", "warn", "info", "debug"};
static enum e2_log_level threshold = E2_LOG_INFO;
static char prog[32] = "e2";

int e2_log_parse_level(const char *name, enum e2_log_level *out)
{
    for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum e2_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

void e2_log_init(const char *progname)
{
    snprintf(prog, sizeof(prog), "%s", progname);
    const char *env = getenv("E2_LOG");
    enum e2_log_level lvl;
    if (env && e2_log_parse_level(env, &lvl) == 0) threshold = lvl;
}

void e2_log_set_level(enum e2_log_level level)
{
    threshold = level;
}

void e2_log(enum e2_log_level level, const char *fmt, ...)
{
    if (level > threshold) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[1024];
    int n = snprintf(line, sizeof(line),
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, prog, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(line)) vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
