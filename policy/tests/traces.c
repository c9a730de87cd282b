#include "traces.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "traces: %s: %s\n", what, detail);
    exit(1);
}

static void load_one(const char *path, struct traces *t)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    if (!p) die(path, errbuf);
    struct pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        t->p = realloc(t->p, (t->n + 1) * sizeof(*t->p));
        t->p[t->n].h = *h;
        t->p[t->n].data = malloc(h->caplen ? h->caplen : 1);
        memcpy(t->p[t->n].data, d, h->caplen);
        t->n++;
    }
    pcap_close(p);
    t->files++;
}

void traces_load(const char *dir, struct traces *t)
{
    memset(t, 0, sizeof(*t));
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) die(dir, "cannot read");
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if (len > 5 && !strcmp(names[i]->d_name + len - 5, ".pcap")) {
            char path[2048];
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            load_one(path, t);
        }
        free(names[i]);
    }
    free(names);
}

void traces_free(struct traces *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->p[i].data);
    free(t->p);
}

static void add(struct exprs *e, const char *s)
{
    e->v = realloc(e->v, (e->n + 1) * sizeof(*e->v));
    e->v[e->n++] = strdup(s);
}

void exprs_load(const char *path, struct exprs *e)
{
    memset(e, 0, sizeof(*e));
    FILE *f = fopen(path, "r");
    if (!f) die(path, "cannot open");
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] && line[0] != '#') add(e, line);
    }
    fclose(f);
    e->listed = e->n;
    /* Combinations: pairs picked by a fixed LCG, joined three ways. */
    static const char *const joins[] = {"(%s) and (%s)", "(%s) or not (%s)", "not (%s) and (%s)"};
    uint32_t x = 12345;
    for (size_t i = 0; e->listed && i < 3 * e->listed / 2; i++) {
        x = x * 1103515245u + 12345u;
        size_t a = (x >> 8) % e->listed;
        x = x * 1103515245u + 12345u;
        size_t b = (x >> 8) % e->listed;
        char buf[2200];
        snprintf(buf, sizeof(buf), joins[i % 3], e->v[a], e->v[b]);
        add(e, buf);
    }
}

void exprs_free(struct exprs *e)
{
    for (size_t i = 0; i < e->n; i++) free(e->v[i]);
    free(e->v);
}

struct traces traces;
struct exprs exprs;

int corpus_setup(void **state)
{
    (void)state;
    traces_load(E2_TESTDATA, &traces);
    exprs_load(E2_TESTDATA "/filters.txt", &exprs);
    printf("test data: %zu expressions (%zu listed), %zu packets from %zu traces\n", exprs.n,
           exprs.listed, traces.n, traces.files);
    return 0;
}

int corpus_teardown(void **state)
{
    (void)state;
    traces_free(&traces);
    exprs_free(&exprs);
    return 0;
}
