/* console.c — the human-readable form of a span batch (OTEL_TRACES_EXPORTER=console):
 * one "trace <id>" line per trace, then its spans as a tree (children indented under
 * their parent, siblings by start time) with duration, provider, token usage, finish
 * reasons and error status. The text is built in memory and written with write(2). */
#include "otlp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

#define MAX_DEPTH 32  /* deeper spans (or parent cycles) are printed at top level */
#define MAX_TEXT 200  /* bytes of a name or status message shown */
#define INDENT_CAP 16 /* indentation stops growing past this depth */

/* One span of the batch plus its position in the input (keeps the sort stable). */
struct entry {
    const struct lt_span *s;
    size_t idx;
    bool done;
};

/* The printing state of one call. */
struct tree {
    struct entry *e;
    size_t n;
    struct lt_buf out;
    int err; /* first append error */
};

static void put(struct tree *t, const char *p, size_t n)
{
    int rc = lt_buf_append(&t->out, p, n);
    if (rc && !t->err)
        t->err = rc;
}

static void putf(struct tree *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct tree *t, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(t, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Append text from the traffic with control bytes blanked (no terminal escapes or line
 * breaks from a provider's error message) and cut to MAX_TEXT bytes. */
static void put_text(struct tree *t, const char *s)
{
    char tmp[MAX_TEXT + 3];
    size_t n = 0;
    for (; s && *s && n < MAX_TEXT; s++)
        tmp[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
    if (s && *s) /* cut: an ellipsis, within the 3 bytes reserved for it */
        for (int i = 0; i < 3; i++)
            tmp[n++] = '.';
    put(t, tmp, n);
}

static void put_hex(struct tree *t, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char h[2] = {digits[p[i] >> 4], digits[p[i] & 0xf]};
        put(t, h, 2);
    }
}

static bool same_trace(const struct lt_span *a, const struct lt_span *b)
{
    return memcmp(a->trace_id, b->trace_id, sizeof(a->trace_id)) == 0;
}

/* Is `c` a child of `p` (same trace, parent id matches)? */
static bool child_of(const struct lt_span *c, const struct lt_span *p)
{
    return c != p && c->has_parent && same_trace(c, p) &&
           memcmp(c->parent_span_id, p->span_id, sizeof(p->span_id)) == 0;
}

/* A span whose parent is not in this batch is shown at top level. */
static bool is_root(const struct tree *t, const struct lt_span *s)
{
    if (!s->has_parent)
        return true;
    for (size_t i = 0; i < t->n; i++)
        if (child_of(s, t->e[i].s))
            return false;
    return true;
}

static void put_line(struct tree *t, const struct lt_span *s, size_t depth)
{
    size_t indent = 2 * (depth < INDENT_CAP ? depth : INDENT_CAP);
    putf(t, "%*s", (int)indent, "");
    put_text(t, s->name && *s->name ? s->name : "(unnamed)");
    double ms = s->end_ns > s->start_ns ? (double)(s->end_ns - s->start_ns) / 1e6 : 0.0;
    putf(t, "  %.1f ms", ms);

    const struct lt_attr *a = lt_span_get(s, "gen_ai.provider.name");
    if (a && a->type == LT_ATTR_STRING) {
        put(t, "  ", 2);
        put_text(t, a->u.s);
    }
    const struct lt_attr *in = lt_span_get(s, "gen_ai.usage.input_tokens");
    const struct lt_attr *out = lt_span_get(s, "gen_ai.usage.output_tokens");
    if ((in && in->type == LT_ATTR_INT) || (out && out->type == LT_ATTR_INT))
        put(t, " ", 1);
    if (in && in->type == LT_ATTR_INT)
        putf(t, " in=%" PRId64, in->u.i);
    if (out && out->type == LT_ATTR_INT)
        putf(t, " out=%" PRId64, out->u.i);
    a = lt_span_get(s, "gen_ai.response.time_to_first_chunk");
    if (a && a->type == LT_ATTR_DOUBLE)
        putf(t, " first=%.1f ms", a->u.d * 1e3);
    a = lt_span_get(s, "gen_ai.response.finish_reasons");
    if (a && a->type == LT_ATTR_STRING_ARRAY && a->u.arr.n) {
        put(t, " [", 2);
        for (size_t i = 0; i < a->u.arr.n; i++) {
            if (i)
                put(t, ",", 1);
            put_text(t, a->u.arr.v[i]);
        }
        put(t, "]", 1);
    }
    if (s->status == LT_STATUS_ERROR) {
        put(t, "  ERROR", 7);
        a = lt_span_get(s, "error.type");
        if (a && a->type == LT_ATTR_STRING) {
            put(t, " ", 1);
            put_text(t, a->u.s);
        }
        if (s->status_message && *s->status_message) {
            put(t, ": ", 2);
            put_text(t, s->status_message);
        }
    }
    put(t, "\n", 1);
}

static void put_subtree(struct tree *t, size_t i, size_t depth)
{
    struct entry *e = &t->e[i];
    if (e->done)
        return;
    e->done = true;
    put_line(t, e->s, depth);
    if (depth >= MAX_DEPTH)
        return;
    for (size_t j = 0; j < t->n; j++)
        if (!t->e[j].done && child_of(t->e[j].s, e->s))
            put_subtree(t, j, depth + 1);
}

/* Which process sent the trace: children of a traced program share its terminal. */
static void put_origin(struct tree *t, const struct lt_resource *res)
{
    const struct lt_attr *name = NULL, *pid = NULL;
    for (size_t i = 0; res && i < res->n_attrs; i++) {
        const struct lt_attr *a = &res->attrs[i];
        if (a->key && a->type == LT_ATTR_STRING && !strcmp(a->key, "service.name"))
            name = a;
        else if (a->key && a->type == LT_ATTR_INT && !strcmp(a->key, "process.pid"))
            pid = a;
    }
    if (name) {
        put(t, "  ", 2);
        put_text(t, name->u.s);
    }
    if (pid)
        putf(t, "  pid %" PRId64, pid->u.i);
}

static int by_start(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->s->start_ns != b->s->start_ns)
        return a->s->start_ns < b->s->start_ns ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Write all of p[0..n), resuming after EINTR and partial writes. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int lt_console_write(int fd, const struct lt_resource *res, const struct lt_span *spans)
{
    struct tree t = {0};
    lt_buf_init(&t.out, 0);
    for (const struct lt_span *s = spans; s; s = s->next)
        t.n++;
    if (!t.n)
        return 0;
    t.e = calloc(t.n, sizeof(*t.e));
    if (!t.e)
        return -ENOMEM;
    size_t k = 0;
    for (const struct lt_span *s = spans; s; s = s->next, k++) {
        t.e[k].s = s;
        t.e[k].idx = k;
    }
    qsort(t.e, t.n, sizeof(*t.e), by_start);

    for (size_t i = 0; i < t.n; i++) {
        const struct lt_span *s = t.e[i].s;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_trace(t.e[j].s, s);
        if (seen)
            continue;
        put(&t, "trace ", 6);
        put_hex(&t, s->trace_id, sizeof(s->trace_id));
        put_origin(&t, res);
        put(&t, "\n", 1);
        for (size_t j = i; j < t.n; j++)
            if (!t.e[j].done && same_trace(t.e[j].s, s) && is_root(&t, t.e[j].s))
                put_subtree(&t, j, 1);
        /* Whatever a parent cycle or MAX_DEPTH left out still gets a line. */
        for (size_t j = i; j < t.n; j++)
            if (!t.e[j].done && same_trace(t.e[j].s, s))
                put_subtree(&t, j, 1);
    }
    free(t.e);

    int rc = t.err ? t.err : write_all(fd, t.out.data, t.out.len);
    lt_buf_cleanup(&t.out);
    return rc;
}
