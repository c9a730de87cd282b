/* Test helper: a fuzzer's input as text for a rule-file reader. */
#ifndef E2_TEST_FUZZ_TEXT_H
#define E2_TEST_FUZZ_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* @data as a NUL-terminated copy (free() it), or NULL when longer than @max bytes. */
static inline char *fuzz_text(const uint8_t *data, size_t size, size_t max)
{
    char *text = size <= max ? malloc(size + 1) : NULL;
    if (!text) return NULL;
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

#endif
