/*
 * e2_log — one-line log records on stderr for every E2 program.
 *
 * Records look like "2026-11-23T14:50:01.123Z e2d warn: message". The level
 * threshold comes from e2_log_set_level() or the E2_LOG environment variable
 * (error, warn, info, debug). Not for the packet path: log counters instead.
 */
#ifndef E2_LOG_H
#define E2_LOG_H

enum e2_log_level { E2_LOG_ERROR, E2_LOG_WARN, E2_LOG_INFO, E2_LOG_DEBUG };

/** Name the program in every record and read E2_LOG. Call once at start. */
void e2_log_init(const char *progname);

void e2_log_set_level(enum e2_log_level level);

/** Parse "error"/"warn"/"info"/"debug"; returns 0 or -EINVAL. */
int e2_log_parse_level(const char *name, enum e2_log_level *out);

void e2_log(enum e2_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define E2_ERROR(...) e2_log(E2_LOG_ERROR, __VA_ARGS__)
#define E2_WARN(...)  e2_log(E2_LOG_WARN, __VA_ARGS__)
#define E2_INFO(...)  e2_log(E2_LOG_INFO, __VA_ARGS__)
#define E2_DEBUG(...) e2_log(E2_LOG_DEBUG, __VA_ARGS__)

#endif
