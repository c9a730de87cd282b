/* Run a program, feed its stdin, collect its output (sw_exec.c). */
#ifndef E2_SW_EXEC_H
#define E2_SW_EXEC_H

/**
 * Run argv[0] (looked up in PATH) with @input (may be NULL) on its stdin.
 * *out and *errtext receive its stdout and stderr (malloc'd, NUL-terminated).
 * @return its exit status (128 + signal when killed), or -errno when it
 *         could not run (the outputs are then NULL)
 */
int e2_sw_exec(char *const argv[], const char *input, char **out, char **errtext);

#endif
