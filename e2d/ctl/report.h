/*
 * The human-readable report e2d prints: per-module packet rates every
 * --stats-period seconds, and totals when it stops.
 */
#ifndef E2_REPORT_H
#define E2_REPORT_H

#include <stdio.h>

/** Print rates since the previous call (the first call only sets the base). */
void e2_report_rates(FILE *out, const char *name);

/** Print per-module totals since start, and the workers' busy share. */
void e2_report_totals(FILE *out, const char *name);

/** Print every module type's manual, arguments and commands (Markdown or text). */
void e2_report_module_types(FILE *out, int markdown);

#endif
