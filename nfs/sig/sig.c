#include "sig.h"

#include <ctype.h>
#include <errno.h>
#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>

#include "e2_conf.h"

struct pattern {
    char name[SIG_NAME_MAX];
    uint8_t *content;
    size_t len;
    bool nocase;
    unsigned line;
};

struct sig_rules {
    enum sig_engine engine;
    struct pattern *pats;
    unsigned n, cap;
    uint64_t *counts; /* matches per pattern */
    struct e2_ac *ac;
    hs_database_t *db;
    unsigned refs; /* the NF while current, each connection using it, the datagram stream */
    void *aux;
    void (*aux_free)(void *);
};

const char *sig_engine_name(enum sig_engine e)
{
    return e == SIG_HYPERSCAN ? "hyperscan" : "ac";
}

int sig_engine_parse(const char *text, enum sig_engine *e, struct e2_err *err)
{
    if (!strcmp(text, "ac"))
        *e = SIG_AC;
    else if (!strcmp(text, "hyperscan"))
        *e = SIG_HYPERSCAN;
    else
        return e2_err_set(err, EINVAL, "'%s' is not an engine (ac, hyperscan)", text);
    return 0;
}

/* ---- the pattern file ---- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int sig_content_decode(const char *text, uint8_t *out, size_t *len, struct e2_err *err)
{
    size_t n = 0;
    bool hex = false;
    int high = -1; /* first digit of a hex byte, or -1 */
    for (const char *p = text; *p; p++) {
        int byte = (unsigned char)*p;
        if (*p == '|') {
            if (high >= 0) return e2_err_set(err, EINVAL, "a hex byte needs two digits");
            hex = !hex;
            continue;
        }
        if (hex) {
            if (*p == ' ' || *p == '\t') {
                if (high >= 0) return e2_err_set(err, EINVAL, "a hex byte needs two digits");
                continue;
            }
            int v = hex_digit(*p);
            if (v < 0) return e2_err_set(err, EINVAL, "'%c' is not a hex digit inside |...|", *p);
            if (high < 0) {
                high = v;
                continue;
            }
            byte = high << 4 | v;
            high = -1;
        }
        if (n == SIG_CONTENT_MAX)
            return e2_err_set(err, E2BIG, "content longer than %d bytes", SIG_CONTENT_MAX);
        out[n++] = (uint8_t)byte;
    }
    if (hex) return e2_err_set(err, EINVAL, "a |hex| part is not closed");
    if (!n) return e2_err_set(err, EINVAL, "empty content");
    *len = n;
    return 0;
}

static bool valid_name(const char *s)
{
    if (!*s || strlen(s) >= SIG_NAME_MAX) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.:-", *s)) return false;
    return true;
}

struct sig_rules *sig_rules_new(enum sig_engine engine, void *aux, void (*aux_free)(void *))
{
    struct sig_rules *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    *r = (struct sig_rules){.engine = engine, .aux = aux, .aux_free = aux_free};
    return r;
}

void *sig_rules_aux(const struct sig_rules *r)
{
    return r->aux;
}

int sig_rules_add(struct sig_rules *r, const char *name, const uint8_t *content, size_t len,
                  bool nocase, unsigned line, struct e2_err *err)
{
    if (r->n == SIG_PATTERNS_MAX)
        return e2_err_set(err, E2BIG, "more than %d patterns", SIG_PATTERNS_MAX);
    if (r->n == r->cap) {
        unsigned cap = r->cap ? r->cap * 2 : 64;
        struct pattern *p = realloc(r->pats, cap * sizeof(*p));
        if (!p) return e2_err_set(err, ENOMEM, "out of memory");
        r->pats = p;
        r->cap = cap;
    }
    struct pattern *p = &r->pats[r->n];
    *p = (struct pattern){.len = len, .nocase = nocase, .line = line};
    if (!(p->content = malloc(len))) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(p->content, content, len);
    snprintf(p->name, sizeof(p->name), "%s", name);
    r->n++;
    return 0;
}

static int add_line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    if (l->argc < 2 || l->argc > 3)
        return e2_err_set(err, EINVAL, "a pattern is NAME CONTENT [nocase]");
    if (!valid_name(l->argv[0]))
        return e2_err_set(err, EINVAL, "'%s' is not a name (letters, digits, _ . : -)", l->argv[0]);
    if (l->argc == 3 && strcmp(l->argv[2], "nocase"))
        return e2_err_set(err, EINVAL, "'%s' is not an option (nocase)", l->argv[2]);
    static uint8_t buf[SIG_CONTENT_MAX];
    size_t len;
    if (sig_content_decode(l->argv[1], buf, &len, err)) return err->code;
    return sig_rules_add(ctx, l->argv[0], buf, len, l->argc == 3, l->line, err);
}

static int by_name(const void *a, const void *b)
{
    const struct pattern *x = *(struct pattern *const *)a, *y = *(struct pattern *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int unique_names(const struct sig_rules *r, const char *file, struct e2_err *err)
{
    const struct pattern **order = malloc((r->n ? r->n : 1) * sizeof(*order));
    if (!order) return e2_err_set(err, ENOMEM, "out of memory");
    for (unsigned i = 0; i < r->n; i++) order[i] = &r->pats[i];
    qsort(order, r->n, sizeof(*order), by_name);
    int rc = 0;
    for (unsigned i = 1; i < r->n && !rc; i++)
        if (!strcmp(order[i]->name, order[i - 1]->name))
            rc = e2_err_set(err, EEXIST, "%s:%u: pattern '%s' is named already (line %u)", file,
                            order[i]->line, order[i]->name, order[i - 1]->line);
    free(order);
    return rc;
}

static int compile_ac(struct sig_rules *r, struct e2_err *err)
{
    struct e2_ac_builder *b = e2_ac_builder_new();
    if (!b) return e2_err_set(err, ENOMEM, "out of memory");
    int rc = 0;
    for (unsigned i = 0; i < r->n && !rc; i++)
        rc = e2_ac_add(b, r->pats[i].content, r->pats[i].len, r->pats[i].nocase, i, err);
    if (!rc && !(r->ac = e2_ac_compile(b, err))) rc = err->code;
    e2_ac_builder_free(b);
    return rc;
}

static int compile_hs(struct sig_rules *r, struct e2_err *err)
{
    const char **exprs = malloc(r->n * sizeof(*exprs));
    unsigned *flags = malloc(r->n * sizeof(*flags)), *ids = malloc(r->n * sizeof(*ids));
    size_t *lens = malloc(r->n * sizeof(*lens));
    int rc = exprs && flags && ids && lens ? 0 : e2_err_set(err, ENOMEM, "out of memory");
    for (unsigned i = 0; i < r->n && !rc; i++) {
        exprs[i] = (const char *)r->pats[i].content;
        flags[i] = r->pats[i].nocase ? HS_FLAG_CASELESS : 0;
        ids[i] = i;
        lens[i] = r->pats[i].len;
    }
    hs_compile_error_t *ce = NULL;
    if (!rc && hs_compile_lit_multi(exprs, flags, ids, lens, r->n, HS_MODE_STREAM, NULL, &r->db,
                                    &ce) != HS_SUCCESS) {
        unsigned at = ce->expression >= 0 ? (unsigned)ce->expression : 0;
        rc = ce->expression >= 0 ? e2_err_set(err, EINVAL, "Hyperscan refuses pattern '%s': %s",
                                              r->pats[at].name, ce->message)
                                 : e2_err_set(err, EINVAL, "Hyperscan: %s", ce->message);
        hs_free_compile_error(ce);
    }
    free(exprs);
    free(flags);
    free(ids);
    free(lens);
    return rc;
}

void sig_rules_free(struct sig_rules *r)
{
    if (!r) return;
    for (unsigned i = 0; i < r->n; i++) free(r->pats[i].content);
    free(r->pats);
    free(r->counts);
    e2_ac_free(r->ac);
    hs_free_database(r->db);
    if (r->aux_free) r->aux_free(r->aux);
    free(r);
}

int sig_rules_compile(struct sig_rules *r, const char *file, struct e2_err *err)
{
    int rc = r->n ? 0 : e2_err_set(err, EINVAL, "%s: no patterns", file);
    if (!rc) rc = unique_names(r, file, err);
    if (!rc && !(r->counts = calloc(r->n, sizeof(*r->counts))))
        rc = e2_err_set(err, ENOMEM, "out of memory");
    if (!rc && (rc = r->engine == SIG_AC ? compile_ac(r, err) : compile_hs(r, err)))
        e2_err_prefix(err, "%s", file);
    return rc;
}

int sig_rules_read(struct sig_rules *r, const char *text, const char *name, e2_conf_line_fn fn,
                   struct sig_rules **out, struct e2_err *err)
{
    int rc = text ? e2_conf_read_text(text, name, fn, r, err) : e2_conf_read_file(name, fn, r, err);
    if (!rc) rc = sig_rules_compile(r, name, err);
    if (rc) {
        sig_rules_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int sig_rules_parse(const char *text, const char *name, enum sig_engine engine,
                    struct sig_rules **out, struct e2_err *err)
{
    struct sig_rules *r = sig_rules_new(engine, NULL, NULL);
    if (!r) return e2_err_set(err, ENOMEM, "out of memory");
    return sig_rules_read(r, text, name, add_line, out, err);
}

int sig_rules_load(const char *path, enum sig_engine engine, struct sig_rules **out,
                   struct e2_err *err)
{
    return sig_rules_parse(NULL, path, engine, out, err);
}

unsigned sig_rules_count(const struct sig_rules *r)
{
    return r->n;
}

/* ---- matching ---- */

static void deref(struct sig_rules *r)
{
    if (r && --r->refs == 0) sig_rules_free(r);
}

int sig_install(struct sig *s, struct sig_rules *r, struct e2_err *err)
{
    if (r->engine == SIG_HYPERSCAN &&
        hs_alloc_scratch(r->db, (hs_scratch_t **)&s->scratch) != HS_SUCCESS)
        return e2_err_set(err, ENOMEM, "no memory for Hyperscan's scratch space");
    r->refs++;
    if (s->rules) s->reloads++;
    deref(s->rules);
    s->rules = r;
    return 0;
}

static void close_hs(void **st)
{
    if (*st) hs_close_stream(*st, NULL, NULL, NULL); /* literals: no end-of-data matches */
    *st = NULL;
}

void sig_fini(struct sig *s)
{
    close_hs(&s->dgram);
    deref(s->dgram_rules);
    s->dgram_rules = NULL;
    deref(s->rules);
    s->rules = NULL;
    hs_free_scratch(s->scratch);
    s->scratch = NULL;
}

static void close_stream(struct sig_conn *c, int dir)
{
    if (c->rules && c->rules->engine == SIG_HYPERSCAN) close_hs(&c->st.hs[dir]);
}

/* The connection leaves its set (if any) and starts afresh on the current one. */
static void adopt(struct sig *s, struct sig_conn *c)
{
    close_stream(c, 0);
    close_stream(c, 1);
    deref(c->rules);
    memset(&c->st, 0, sizeof(c->st));
    c->rules = s->rules;
    c->rules->refs++;
}

struct scan {
    struct sig *s;
    struct sig_rules *r;
    uint64_t base; /* Hyperscan: the offset its stream offsets count from */
    uint64_t n;
};

static int on_ac_match(void *ctx, uint32_t id, uint64_t end)
{
    struct scan *sc = ctx;
    sc->r->counts[id]++;
    sc->n++;
    if (sc->s->on_match) sc->s->on_match(sc->s->match_ctx, sc->r, id, end);
    return 0;
}

static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                       void *ctx)
{
    (void)from;
    (void)flags;
    return on_ac_match(ctx, id, ((struct scan *)ctx)->base + to);
}

static void scan_hs(struct sig *s, struct sig_conn *c, int dir, const uint8_t *b, uint32_t len,
                    uint64_t off, struct scan *sc)
{
    hs_stream_t **st = (hs_stream_t **)&c->st.hs[dir];
    if (!*st) {
        if (hs_open_stream(c->rules->db, 0, st) != HS_SUCCESS) return;
        c->hs_base[dir] = off;
    }
    sc->base = c->hs_base[dir];
    hs_scan_stream(*st, (const char *)b, len, 0, s->scratch, on_hs_match, sc);
}

void sig_on_data(void *ctx, struct e2_stream *st, void *user, int dir, uint64_t off,
                 const uint8_t *bytes, uint32_t len)
{
    struct sig *s = ctx;
    struct sig_conn *c = user;
    (void)st;
    if (c->rules != s->rules) adopt(s, c);
    struct scan sc = {s, c->rules, 0, 0};
    s->bytes += len;
    if (c->rules->engine == SIG_AC)
        e2_ac_scan(c->rules->ac, &c->st.ac[dir], bytes, len, off, on_ac_match, &sc);
    else
        scan_hs(s, c, dir, bytes, len, off, &sc);
    if (!sc.n) return;
    s->conns_matched += !c->matches;
    c->matches += sc.n;
    s->matches += sc.n;
}

void sig_scan_datagram(struct sig *s, const uint8_t *bytes, uint32_t len)
{
    struct sig_rules *r = s->rules;
    struct scan sc = {s, r, 0, 0};
    s->bytes += len;
    if (r->engine == SIG_AC) {
        struct e2_ac_state st = {0, 0};
        e2_ac_scan(r->ac, &st, bytes, len, 0, on_ac_match, &sc);
    } else {
        if (s->dgram_rules != r) { /* a stream of the current set, reset after each datagram */
            close_hs(&s->dgram);
            deref(s->dgram_rules);
            (s->dgram_rules = r)->refs++;
        }
        if (s->dgram || hs_open_stream(r->db, 0, (hs_stream_t **)&s->dgram) == HS_SUCCESS) {
            hs_scan_stream(s->dgram, (const char *)bytes, len, 0, s->scratch, on_hs_match, &sc);
            hs_reset_stream(s->dgram, 0, NULL, NULL, NULL);
        }
    }
    s->matches += sc.n;
}

void sig_on_event(void *ctx, struct e2_stream *st, void *user, int dir, enum e2_tcp_event ev,
                  uint64_t arg)
{
    struct sig_conn *c = user;
    (void)ctx;
    (void)st;
    (void)arg;
    if (ev == E2_TCP_GAP && c->rules) {
        /* nothing may match across bytes that never came */
        if (c->rules->engine == SIG_AC)
            c->st.ac[dir] = (struct e2_ac_state){0, 0};
        else
            close_stream(c, dir); /* reopened at the next byte */
    } else if (ev == E2_TCP_CLOSE) {
        close_stream(c, dir);
    } else if (ev == E2_TCP_RESET) {
        close_stream(c, 0);
        close_stream(c, 1);
    }
}

void sig_on_release(void *ctx, struct e2_stream *st, void *user)
{
    struct sig_conn *c = user;
    (void)ctx;
    (void)st;
    close_stream(c, 0);
    close_stream(c, 1);
    deref(c->rules);
    c->rules = NULL;
}

/* ---- reports ---- */

int64_t sig_pattern_matches(const struct sig *s, const char *name)
{
    for (unsigned i = 0; s->rules && i < s->rules->n; i++)
        if (!strcmp(s->rules->pats[i].name, name)) return (int64_t)s->rules->counts[i];
    return -1;
}

static size_t rules_memory(const struct sig_rules *r)
{
    size_t n = 0;
    if (r->engine == SIG_AC) return e2_ac_memory(r->ac);
    hs_database_size(r->db, &n);
    return n;
}

json_t *sig_stats_json(const struct sig *s)
{
    size_t stream = 0;
    if (s->rules->engine == SIG_HYPERSCAN) hs_stream_size(s->rules->db, &stream);
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "engine",
                     sig_engine_name(s->rules->engine), "patterns", (json_int_t)s->rules->n,
                     "engine_memory", (json_int_t)rules_memory(s->rules), "stream_state_bytes",
                     (json_int_t)(stream ? stream : sizeof(struct e2_ac_state)), "bytes",
                     (json_int_t)s->bytes, "matches", (json_int_t)s->matches, "conns_matched",
                     (json_int_t)s->conns_matched, "reloads", (json_int_t)s->reloads);
}

static const struct sig_rules *sort_rules;

static int by_count(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    uint64_t cx = sort_rules->counts[x], cy = sort_rules->counts[y];
    if (cx != cy) return cx > cy ? -1 : 1;
    return strcmp(sort_rules->pats[x].name, sort_rules->pats[y].name);
}

json_t *sig_top_json(const struct sig *s, unsigned limit)
{
    const struct sig_rules *r = s->rules;
    unsigned *order = malloc(r->n * sizeof(*order));
    json_t *a = json_array();
    if (!order) return a;
    for (unsigned i = 0; i < r->n; i++) order[i] = i;
    sort_rules = r;
    qsort(order, r->n, sizeof(*order), by_count);
    for (unsigned i = 0; i < r->n && i < limit && r->counts[order[i]]; i++)
        json_array_append_new(a, json_pack("{s:s, s:I}", "name", r->pats[order[i]].name, "matches",
                                           (json_int_t)r->counts[order[i]]));
    free(order);
    return a;
}
