/* fuzz_sse.c — libFuzzer target for the SSE parser (preload/http/sse.c). The first two bytes
 * pick the split point and the event cap; the rest is fed in two pieces, then finished. The
 * result must equal a one-piece feed of the same bytes (split independence). Again with a
 * skip hook (lt_sse_set_skip) whose events the consumer ignores: the events not ignored, the
 * count of all events and the drops must equal those of a feed without the hook. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/sse.h"
#include "tests/unit/sse_skip_s.h"

struct digest {
    uint64_t h;
    size_t n;      /* events seen by the callback */
    bool ignore_s; /* the callback ignores what sse_ignored_s() names */
    size_t events; /* the parser's count of dispatched events, skipped ones included */
};

static void mix(struct digest *d, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ (unsigned char)p[i]) * 1099511628211ull;
    d->h = (d->h ^ 0xff) * 1099511628211ull; /* length separator */
}

static int on_event(void *ud, const struct lt_sse_event *ev)
{
    struct digest *d = ud;
    d->n++;
    if (d->ignore_s && sse_ignored_s(ev->data, ev->data_len))
        return 0;
    mix(d, ev->type, ev->type_len);
    mix(d, ev->data, ev->data_len);
    mix(d, ev->id, ev->id_len);
    if (ev->type_len == 0 || ev->type_len > 63 || ev->id_len > 127)
        abort();
    return 0;
}

static void run(const char *in, size_t n, size_t at, size_t max_event, bool hook, struct digest *d,
                size_t *dropped)
{
    struct lt_sse_parser p;
    lt_sse_init(&p, max_event);
    if (hook)
        lt_sse_set_skip(&p, sse_skip_s);
    /* Copies of exact size so ASan sees any over-read of a piece. */
    char *a = malloc(at ? at : 1), *b = malloc(n - at ? n - at : 1);
    if (!a || !b)
        abort();
    memcpy(a, in, at);
    memcpy(b, in + at, n - at);
    if (lt_sse_feed(&p, a, at, on_event, d) != 0 || lt_sse_feed(&p, b, n - at, on_event, d) != 0 ||
        lt_sse_finish(&p, on_event, d) != 0)
        abort();
    if (p.events != d->n + p.skipped || (!hook && p.skipped) ||
        p.line_cap > 2 * p.max_event + 128 || p.data_cap > 2 * p.max_event + 128)
        abort();
    *dropped = p.dropped;
    d->events = p.events;
    free(a);
    free(b);
    lt_sse_cleanup(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t n = size - 2;
    const char *in = (const char *)data + 2;
    size_t at = n ? data[0] % (n + 1) : 0;
    size_t max_event = data[1] & 0x80 ? 0 : 8 + (size_t)(data[1] & 0x7f);

    struct digest whole = {14695981039346656037ull, 0, false, 0}, split = whole;
    size_t dw, ds;
    run(in, n, n, max_event, false, &whole, &dw);
    run(in, n, at, max_event, false, &split, &ds);
    if (whole.h != split.h || whole.n != split.n || dw != ds)
        abort();

    struct digest plain = {14695981039346656037ull, 0, true, 0}, hooked[2] = {plain, plain};
    size_t dp, dh[2];
    run(in, n, n, max_event, false, &plain, &dp);
    run(in, n, n, max_event, true, &hooked[0], &dh[0]);
    run(in, n, at, max_event, true, &hooked[1], &dh[1]);
    for (int k = 0; k < 2; k++) /* n: the callback's count, skipped events not included */
        if (hooked[k].h != plain.h || hooked[k].events != plain.events || dh[k] != dp)
            abort();
    return 0;
}
