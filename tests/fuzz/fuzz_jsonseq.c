/* fuzz_jsonseq.c — libFuzzer target for the JSON value splitter (preload/http/jsonseq.c). The
 * first two bytes pick the split point and the value cap; the rest is fed in two pieces, then
 * finished. The result must equal a one-piece feed of the same bytes (split independence),
 * every value must fit the cap, and the buffer never grows past it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/jsonseq.h"

struct digest {
    uint64_t h;
    size_t n;
    size_t max;
};

static int on_value(void *ud, const char *p, size_t n)
{
    struct digest *d = ud;
    if (n == 0 || n > d->max)
        abort();
    /* A value starts with a byte that can start one, and a container or string ends with
     * its closing byte. */
    unsigned char c = (unsigned char)p[0], e = (unsigned char)p[n - 1];
    if (c == '{' || c == '[') {
        if (n < 2 || (e != '}' && e != ']'))
            abort();
    } else if (c == '"') {
        if (n < 2 || e != '"')
            abort();
    } else if (!(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                 (c >= 'A' && c <= 'Z'))) {
        abort();
    }
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ (unsigned char)p[i]) * 1099511628211ull;
    d->h = (d->h ^ 0x1ff) * 1099511628211ull; /* value separator */
    d->n++;
    return 0;
}

static void run(const char *in, size_t n, size_t at, size_t max_value, struct digest *d,
                size_t *dropped)
{
    struct lt_jsonseq_parser p;
    lt_jsonseq_init(&p, max_value);
    d->max = p.max_value;
    /* Copies of exact size so ASan sees any over-read of a piece. */
    char *a = malloc(at ? at : 1), *b = malloc(n - at ? n - at : 1);
    if (!a || !b)
        abort();
    memcpy(a, in, at);
    memcpy(b, in + at, n - at);
    if (lt_jsonseq_feed(&p, a, at, on_value, d) != 0)
        abort();
    if (p.cur.cap > p.max_value)
        abort();
    if (lt_jsonseq_feed(&p, b, n - at, on_value, d) != 0 || lt_jsonseq_finish(&p, on_value, d))
        abort();
    if (p.values != d->n || p.cur.cap > p.max_value)
        abort();
    *dropped = p.dropped;
    free(a);
    free(b);
    lt_jsonseq_cleanup(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t n = size - 2;
    const char *in = (const char *)data + 2;
    size_t at = n ? data[0] % (n + 1) : 0;
    size_t max_value = data[1] & 0x80 ? 0 : 1 + (size_t)(data[1] & 0x7f);

    struct digest whole = {14695981039346656037ull, 0, 0}, split = whole;
    size_t dw, ds;
    run(in, n, n, max_value, &whole, &dw);
    run(in, n, at, max_value, &split, &ds);
    if (whole.h != split.h || whole.n != split.n || dw != ds)
        abort();
    return 0;
}
