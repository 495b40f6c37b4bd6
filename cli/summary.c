/* summary.c — aggregates inference spans per provider/model and prints the table (see
 * summary.h). Latency is the span's duration (request start to response end). */
#include "summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

#define LABEL_W 17   /* the first column: "model" under a provider line, or "total" */
#define MAX_TRACES 4 /* trace ids listed; more are counted */

/* The running sums of one provider/model (or of all: the total row). */
struct row {
    const char *provider;
    const char *model;
    size_t calls, errors;
    uint64_t in, out, cached, reasoning;
    double cost;
    size_t priced; /* calls that had llmtap.cost.usd */
    double *lat;   /* durations in ns, one per call */
    double *ttfc;  /* seconds, for the calls that have it */
    size_t n_ttfc;
};

static uint64_t usage(const struct cli_span *sp, const char *key)
{
    int64_t v;
    return cli_attr_int(sp->attrs, key, &v) && v > 0 ? (uint64_t)v : 0;
}

static void add_call(struct row *r, const struct cli_span *sp)
{
    r->lat[r->calls++] = (double)cli_span_duration(sp);
    r->errors += cli_span_is_error(sp);
    r->in += usage(sp, "gen_ai.usage.input_tokens");
    r->out += usage(sp, "gen_ai.usage.output_tokens");
    r->cached += usage(sp, "gen_ai.usage.cache_read.input_tokens");
    r->reasoning += usage(sp, "gen_ai.usage.reasoning.output_tokens");
    double d;
    if (cli_attr_double(sp->attrs, "llmtap.cost.usd", &d) && d >= 0) {
        r->cost += d;
        r->priced++;
    }
    if (cli_attr_double(sp->attrs, "gen_ai.response.time_to_first_chunk", &d) && d >= 0)
        r->ttfc[r->n_ttfc++] = d;
}

static const char *model_of(const struct cli_span *sp)
{
    const char *m = cli_attr_str(sp->attrs, "gen_ai.request.model");
    if (!m || !*m)
        m = cli_attr_str(sp->attrs, "gen_ai.response.model");
    return m && *m ? m : "?";
}

static void print_row(FILE *f, const char *label, struct row *r)
{
    char c[11][CLI_FMT_MAX];
    cli_fmt_count(c[0], r->calls);
    cli_fmt_count(c[1], r->errors);
    cli_fmt_count(c[2], r->in);
    cli_fmt_count(c[3], r->out);
    cli_fmt_count(c[4], r->cached);
    cli_fmt_count(c[5], r->reasoning);
    if (r->priced)
        cli_fmt_cost(c[6], r->cost);
    else
        strcpy(c[6], "-");
    cli_fmt_dur(c[7], (uint64_t)cli_percentile(r->lat, r->calls, 50));
    cli_fmt_dur(c[8], (uint64_t)cli_percentile(r->lat, r->calls, 95));
    if (r->n_ttfc)
        cli_fmt_dur(c[9], (uint64_t)(cli_percentile(r->ttfc, r->n_ttfc, 50) * 1e9));
    else
        strcpy(c[9], "-");
    fprintf(f, "%-*s %5s %3s %5s %5s %5s %5s %7s %6s %6s %6s\n", LABEL_W, label, c[0], c[1], c[2],
            c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
}

static int cmp_row(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(x->provider, y->provider);
    return c ? c : strcmp(x->model, y->model);
}

/* The distinct trace ids in order of first appearance (the first MAX_TRACES of them). */
static void print_traces(FILE *f, const struct cli_spans *s)
{
    size_t *ord = malloc((s->n_spans + 1) * sizeof(*ord));
    long nt = ord ? cli_spans_trace_ordinals(s, ord) : -1;
    if (nt < 0) {
        free(ord);
        return;
    }
    const char *shown[MAX_TRACES] = {NULL};
    for (size_t i = 0; i < s->n_spans; i++)
        if (ord[i] < MAX_TRACES && !shown[ord[i]])
            shown[ord[i]] = s->spans[i].trace_id;
    for (long t = 0; t < nt && t < MAX_TRACES; t++)
        if (shown[t] && *shown[t])
            fprintf(f, "trace %s\n", shown[t]);
    if (nt > MAX_TRACES)
        fprintf(f, "... and %ld more trace(s)\n", nt - MAX_TRACES);
    free(ord);
}

int cli_summary_write(FILE *f, const struct cli_spans *s)
{
    size_t n_calls = 0;
    for (size_t i = 0; i < s->n_spans; i++)
        n_calls += cli_span_is_call(&s->spans[i]);
    struct row *rows = calloc(n_calls + 1, sizeof(*rows));
    double *buf = calloc(4 * (n_calls + 1), sizeof(*buf));
    if (!rows || !buf) {
        free(rows);
        free(buf);
        return -ENOMEM;
    }
    /* Each call lands in at most one row, so slices of n_calls doubles never overflow. */
    struct row total = {.provider = "", .model = "", .lat = buf, .ttfc = buf + n_calls};
    size_t n_rows = 0, errors = 0;
    double *next = buf + 2 * n_calls;
    for (size_t i = 0; i < s->n_spans; i++) {
        const struct cli_span *sp = &s->spans[i];
        if (!cli_span_is_call(sp))
            continue;
        const char *prov = cli_attr_str(sp->attrs, "gen_ai.provider.name");
        const char *model = model_of(sp);
        struct row *r = NULL;
        for (size_t j = 0; j < n_rows && !r; j++)
            if (strcmp(rows[j].provider, prov) == 0 && strcmp(rows[j].model, model) == 0)
                r = &rows[j];
        if (!r) {
            r = &rows[n_rows++];
            r->provider = prov;
            r->model = model;
        }
        add_call(&total, sp);
        errors += cli_span_is_error(sp);
    }
    /* Second pass: rows get their latency slices now that their sizes are known. */
    for (size_t j = 0; j < n_rows; j++) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_spans; i++) {
            const struct cli_span *sp = &s->spans[i];
            n += cli_span_is_call(sp) &&
                 strcmp(cli_attr_str(sp->attrs, "gen_ai.provider.name"), rows[j].provider) == 0 &&
                 strcmp(model_of(sp), rows[j].model) == 0;
        }
        rows[j].lat = next;
        rows[j].ttfc = next + n;
        next += 2 * n;
        for (size_t i = 0; i < s->n_spans; i++) {
            const struct cli_span *sp = &s->spans[i];
            if (cli_span_is_call(sp) &&
                strcmp(cli_attr_str(sp->attrs, "gen_ai.provider.name"), rows[j].provider) == 0 &&
                strcmp(model_of(sp), rows[j].model) == 0)
                add_call(&rows[j], sp);
        }
    }
    qsort(rows, n_rows, sizeof(*rows), cmp_row);

    fprintf(f, "llmtap: %zu LLM call%s, %zu error%s\n", n_calls, n_calls == 1 ? "" : "s", errors,
            errors == 1 ? "" : "s");
    if (n_calls) {
        fprintf(f, "%-*s %5s %3s %5s %5s %5s %5s %7s %6s %6s %6s\n", LABEL_W, "provider/model",
                "calls", "err", "in", "out", "cache", "reas", "USD", "p50", "p95", "ttfc");
        const char *prov = NULL;
        for (size_t j = 0; j < n_rows; j++) {
            if (!prov || strcmp(prov, rows[j].provider) != 0) {
                prov = rows[j].provider;
                char p[81];
                fprintf(f, "%s\n", cli_clean(p, 80, prov));
            }
            char label[LABEL_W + 1], m[LABEL_W - 1];
            snprintf(label, sizeof(label), "  %s", cli_clean(m, LABEL_W - 2, rows[j].model));
            print_row(f, label, &rows[j]);
        }
        print_row(f, "total", &total);
        if (total.priced && total.priced < n_calls)
            fprintf(f, "(%zu call%s without a price: not in USD)\n", n_calls - total.priced,
                    n_calls - total.priced == 1 ? "" : "s");
    }
    print_traces(f, s);
    free(rows);
    free(buf);
    return ferror(f) ? -EIO : 0;
}

char *cli_summary_text(const struct cli_spans *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    int rc = cli_summary_write(f, s);
    if (fclose(f) != 0 || rc) {
        free(text);
        return NULL;
    }
    return text;
}
