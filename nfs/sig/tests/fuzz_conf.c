/* Fuzz the SIG pattern-file reader: any text is parsed, compiled for both
 * engines or refused with a message, never a crash or a leak. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"

#include "sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size, 4096);
    if (!text) return 0;
    for (int e = SIG_AC; e <= SIG_HYPERSCAN; e++) {
        struct sig_rules *r = NULL;
        struct e2_err err = {0};
        if (sig_rules_parse(text, "fuzz.sig", (enum sig_engine)e, &r, &err) == 0) {
            if (!r || sig_rules_count(r) == 0) abort();
            sig_rules_free(r);
        } else if (!err.msg[0]) {
            abort();
        }
    }
    free(text);
    return 0;
}
