/* Test helper: the packets of every trace in a folder and the expression lists. */
#ifndef E2_TEST_TRACES_H
#define E2_TEST_TRACES_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

struct trace_packet {
    struct pcap_pkthdr h;
    uint8_t *data;
};

struct traces {
    struct trace_packet *p;
    size_t n, files;
};

/** Load every *.pcap of @dir (aborts the test on error). */
void traces_load(const char *dir, struct traces *t);
void traces_free(struct traces *t);

struct exprs {
    char **v;
    size_t n, listed;
};

/** The expressions of @path (one per line, # comments), then generated combinations. */
void exprs_load(const char *path, struct exprs *e);
void exprs_free(struct exprs *e);

/** The test data folder's traces and filters.txt expressions, for a whole test binary. */
extern struct traces traces;
extern struct exprs exprs;

/** cmocka group setup/teardown: load and free `traces` and `exprs`. */
int corpus_setup(void **state);
int corpus_teardown(void **state);

#endif
