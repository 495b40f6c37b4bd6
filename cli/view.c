/* view.c — the span tree in the terminal (see view.h). Parents are found by (trace id,
 * span id) with a sorted index, so large files stay O(n log n); a span whose parent is not
 * in the file is shown as a root of its trace. */
#include "view.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "summary.h"

#define NAME_W 30    /* indented name column */
#define BAR_W 16     /* cells between the brackets */
#define MAX_DEPTH 24 /* deeper spans are shown at this depth */
#define INDENT 2

struct node {
    const struct cli_span *s;
    long first_child, next_sibling, last_child; /* indices into the node array, -1 none */
    bool is_child;
};

/* The printing state. */
struct view {
    FILE *f;
    bool color;
    struct node *nodes;
    uint64_t t0, t1; /* the current trace's time range */
};

static const struct cli_span *const *sort_base;
static const size_t *sort_ord; /* trace ordinal per span */

/* By trace (in order of appearance), then start time, then file position. */
static int cmp_start(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const struct cli_span *p = sort_base[x], *q = sort_base[y];
    if (sort_ord[x] != sort_ord[y])
        return sort_ord[x] < sort_ord[y] ? -1 : 1;
    if (p->start_ns != q->start_ns)
        return p->start_ns < q->start_ns ? -1 : 1;
    return (x > y) - (x < y);
}

static int cmp_id(const void *a, const void *b)
{
    const struct cli_span *p = sort_base[*(const size_t *)a], *q = sort_base[*(const size_t *)b];
    int c = strcmp(p->trace_id, q->trace_id);
    return c ? c : strcmp(p->span_id, q->span_id);
}

static const char *col(const struct view *v, const char *code)
{
    return v->color ? code : "";
}

static void print_bar(struct view *v, const struct cli_span *s)
{
    char bar[BAR_W + 1];
    memset(bar, ' ', BAR_W);
    bar[BAR_W] = '\0';
    uint64_t span = v->t1 > v->t0 ? v->t1 - v->t0 : 0;
    if (span && s->start_ns >= v->t0 && s->end_ns >= s->start_ns) {
        size_t a = (size_t)((double)(s->start_ns - v->t0) / (double)span * BAR_W);
        size_t b = (size_t)((double)(s->end_ns - v->t0) / (double)span * BAR_W + 0.5);
        if (a >= BAR_W)
            a = BAR_W - 1;
        if (b > BAR_W)
            b = BAR_W;
        if (b <= a)
            b = a + 1;
        memset(bar + a, '=', b - a);
    }
    fprintf(v->f, "[%s%s%s]", col(v, "\033[36m"), bar, col(v, "\033[0m"));
}

static void print_details(struct view *v, const struct cli_span *s)
{
    char a[CLI_FMT_MAX], b[CLI_FMT_MAX];
    int64_t i;
    double d;
    const char *prov = cli_attr_str(s->attrs, "gen_ai.provider.name");
    if (prov) {
        char p[41];
        cli_clean(p, 40, prov);
        fprintf(v->f, " %s", p);
        int64_t in, out;
        bool has_in = cli_attr_int(s->attrs, "gen_ai.usage.input_tokens", &in) && in >= 0;
        bool has_out = cli_attr_int(s->attrs, "gen_ai.usage.output_tokens", &out) && out >= 0;
        if (has_in || has_out)
            fprintf(v->f, " in %s out %s", has_in ? cli_fmt_count(a, (uint64_t)in) : "-",
                    has_out ? cli_fmt_count(b, (uint64_t)out) : "-");
        if (cli_attr_double(s->attrs, "gen_ai.response.time_to_first_chunk", &d) && d >= 0)
            fprintf(v->f, " ttfc %s", cli_fmt_dur(a, (uint64_t)(d * 1e9)));
        if (cli_attr_double(s->attrs, "llmtap.cost.usd", &d) && d >= 0)
            fprintf(v->f, " $%s", cli_fmt_cost(a, d));
    } else if (cli_attr_int(s->attrs, "process.pid", &i)) {
        fprintf(v->f, " pid %lld", (long long)i);
    }
    if (cli_span_is_error(s)) {
        const char *et = cli_attr_str(s->attrs, "error.type");
        char e[41];
        cli_clean(e, 40, et ? et : (*s->status_msg ? s->status_msg : "error"));
        fprintf(v->f, " %sERROR %s%s", col(v, "\033[31;1m"), e, col(v, "\033[0m"));
    } else if (prov) {
        fprintf(v->f, " %sok%s", col(v, "\033[32m"), col(v, "\033[0m"));
    }
    fputc('\n', v->f);
}

static void print_node(struct view *v, long idx, int depth)
{
    /* Iterative over siblings, recursive over depth (bounded by MAX_DEPTH, and a span is
     * reachable from one parent only, so no cycle can recurse forever). */
    for (; idx >= 0; idx = v->nodes[idx].next_sibling) {
        const struct cli_span *s = v->nodes[idx].s;
        int ind = (depth < MAX_DEPTH ? depth : MAX_DEPTH) * INDENT;
        if (ind > NAME_W - 8)
            ind = NAME_W - 8;
        char name[NAME_W + 1];
        cli_clean(name, (size_t)(NAME_W - ind), *s->name ? s->name : "(unnamed)");
        bool call = cli_span_is_call(s);
        fprintf(v->f, "%*s%s%-*s%s ", ind, "", col(v, call ? "\033[32m" : "\033[1m"), NAME_W - ind,
                name, col(v, "\033[0m"));
        print_bar(v, s);
        char d[CLI_FMT_MAX];
        fprintf(v->f, " %6s", cli_fmt_dur(d, cli_span_duration(s)));
        print_details(v, s);
        if (depth < 1000)
            print_node(v, v->nodes[idx].first_child, depth + 1);
    }
}

int cli_view_write(FILE *f, const struct cli_spans *s, bool color)
{
    size_t n = s->n_spans;
    if (!n) {
        fprintf(f, "no spans\n");
        return ferror(f) ? -EIO : 0;
    }
    const struct cli_span **ptrs =
        malloc((n + 1) * sizeof(const struct cli_span *)); /* [n]: search key */
    size_t *by_start = malloc(n * sizeof(*by_start));
    size_t *by_id = malloc(n * sizeof(*by_id));
    struct node *nodes = malloc(n * sizeof(*nodes));
    size_t *ord = malloc(n * sizeof(*ord));
    int rc = 0;
    if (!ptrs || !by_start || !by_id || !nodes || !ord || cli_spans_trace_ordinals(s, ord) < 0) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = &s->spans[i];
        by_start[i] = by_id[i] = i;
        nodes[i] =
            (struct node){.s = ptrs[i], .first_child = -1, .next_sibling = -1, .last_child = -1};
    }
    sort_base = ptrs;
    sort_ord = ord;
    qsort(by_start, n, sizeof(*by_start), cmp_start);
    qsort(by_id, n, sizeof(*by_id), cmp_id);
    /* Link each span under its parent, in start order. */
    for (size_t k = 0; k < n; k++) {
        size_t i = by_start[k];
        const struct cli_span *sp = ptrs[i];
        if (!*sp->parent_id)
            continue;
        struct cli_span key = {.trace_id = sp->trace_id, .span_id = sp->parent_id};
        size_t key_idx = n; /* bsearch compares through sort_base: slot n is the key */
        ptrs[n] = &key;
        size_t *hit = bsearch(&key_idx, by_id, n, sizeof(*by_id), cmp_id);
        if (!hit || *hit == i)
            continue;
        struct node *p = &nodes[*hit];
        if (p->last_child < 0)
            p->first_child = (long)i;
        else
            nodes[p->last_child].next_sibling = (long)i;
        p->last_child = (long)i;
        nodes[i].is_child = true;
    }
    struct view v = {.f = f, .color = color, .nodes = nodes};
    /* by_start holds each trace's spans together, traces in order of appearance. */
    for (size_t k0 = 0, k1; k0 < n; k0 = k1) {
        const char *t = ptrs[by_start[k0]]->trace_id;
        v.t0 = UINT64_MAX;
        v.t1 = 0;
        for (k1 = k0; k1 < n && ord[by_start[k1]] == ord[by_start[k0]]; k1++) {
            const struct cli_span *sp = ptrs[by_start[k1]];
            if (sp->start_ns && sp->start_ns < v.t0)
                v.t0 = sp->start_ns;
            if (sp->end_ns > v.t1)
                v.t1 = sp->end_ns;
        }
        size_t count = k1 - k0;
        char d[CLI_FMT_MAX];
        fprintf(f, "%strace %s%s  %zu span%s, %s\n", col(&v, "\033[1m"), *t ? t : "(none)",
                col(&v, "\033[0m"), count, count == 1 ? "" : "s",
                cli_fmt_dur(d, v.t1 > v.t0 ? v.t1 - v.t0 : 0));
        /* The trace's roots in start order, chained through next_sibling (free for roots:
         * they are nobody's child). */
        long head = -1, tail = -1;
        for (size_t k = k0; k < k1; k++) {
            size_t j = by_start[k];
            if (nodes[j].is_child)
                continue;
            if (tail < 0)
                head = (long)j;
            else
                nodes[tail].next_sibling = (long)j;
            tail = (long)j;
        }
        print_node(&v, head, 0);
    }
out:
    free(ptrs);
    free(by_start);
    free(by_id);
    free(nodes);
    free(ord);
    if (!rc && ferror(f))
        rc = -EIO;
    return rc;
}

static void view_usage(FILE *f)
{
    fprintf(f, "usage: llmtap view [--summary] [--color|--no-color] FILE.jsonl\n");
}

int cli_view_main(int argc, char **argv)
{
    static const struct option opts[] = {{"summary", no_argument, NULL, 's'},
                                         {"color", no_argument, NULL, 'c'},
                                         {"no-color", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *nc = getenv("NO_COLOR");
    bool color = isatty(STDOUT_FILENO) && !(nc && *nc);
    bool summary = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+sh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            summary = true;
            break;
        case 'c':
            color = true;
            break;
        case 'n':
            color = false;
            break;
        case 'h':
            view_usage(stdout);
            return 0;
        default:
            view_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        view_usage(stderr);
        return 2;
    }
    struct cli_spans s;
    int rc = cli_spans_load(argv[optind], 0, &s);
    if (rc) {
        fprintf(stderr, "llmtap: %s: %s\n", argv[optind], strerror(-rc));
        cli_spans_free(&s);
        return 1;
    }
    if (s.bad_lines)
        fprintf(stderr, "llmtap: %s: %zu line(s) skipped (not OTLP JSON)\n", argv[optind],
                s.bad_lines);
    rc = cli_view_write(stdout, &s, color);
    if (!rc && summary) {
        fputc('\n', stdout);
        rc = cli_summary_write(stdout, &s);
    }
    cli_spans_free(&s);
    return rc ? 1 : 0;
}
