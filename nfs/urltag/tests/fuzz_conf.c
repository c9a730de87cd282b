/* Fuzz the URL-table reader: any text is parsed or refused with a message,
 * never a crash or a leak; a table that loads classifies its own lines. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"

#include "urltag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size, 4096);
    if (!text) return 0;
    struct urltag_table *t = NULL;
    struct e2_err err = {0};
    if (urltag_table_parse(text, "fuzz.urls", &t, &err) == 0) {
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
            if (urltag_classify(t, line, line) > urltag_classes(t)) abort();
        urltag_table_free(t);
    } else if (!err.msg[0]) {
        abort();
    }
    free(text);
    return 0;
}
