/* fuzz_eventstream.c — libFuzzer target for the AWS event stream decoder
 * (preload/http/eventstream.c). The first byte picks the split point; the second the message
 * cap and whether the input's CRCs are first recomputed (so mutations reach the header
 * parser instead of dying at a CRC check). The rest is fed in two pieces and must decode
 * exactly like a one-piece feed; every view must lie inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/eventstream.h"

struct digest {
    uint64_t h;
    size_t n;
    size_t max;
};

static void mix(struct digest *d, const char *p, size_t n)
{
    if (!p && n)
        abort();
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ (unsigned char)p[i]) * 1099511628211ull;
    d->h = (d->h ^ (p ? 0x1ff : 0x2ff)) * 1099511628211ull; /* separator; absent differs */
}

static int on_msg(void *ud, const struct lt_es_message *m)
{
    struct digest *d = ud;
    if (m->payload_len + 16 > d->max)
        abort();
    d->n++;
    mix(d, m->message_type, m->message_type_len);
    mix(d, m->event_type, m->event_type_len);
    mix(d, m->exception_type, m->exception_type_len);
    mix(d, m->error_message, m->error_message_len);
    mix(d, m->content_type, m->content_type_len);
    mix(d, m->payload, m->payload_len);
    return 0;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void wr32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* Rewrite both CRCs of every message that the lengths delimit. */
static void fix_crcs(uint8_t *b, size_t n)
{
    size_t off = 0;
    while (n - off >= 12) {
        wr32(b + off + 8, (uint32_t)crc32(0, b + off, 8));
        size_t total = be32(b + off);
        if (total < 16 || total > n - off)
            break;
        wr32(b + off + total - 4, (uint32_t)crc32(0, b + off, (uInt)(total - 4)));
        off += total;
    }
}

static int run(const uint8_t *in, size_t n, size_t at, size_t max, struct digest *d,
               size_t *messages)
{
    struct lt_es_parser p;
    lt_es_init(&p, max);
    d->max = p.max_message;
    /* Copies of exact size so ASan sees any over-read of a piece. */
    char *a = malloc(at ? at : 1), *b = malloc(n - at ? n - at : 1);
    if (!a || !b)
        abort();
    memcpy(a, in, at);
    memcpy(b, in + at, n - at);
    int rc = lt_es_feed(&p, a, at, on_msg, d);
    int rc2 = lt_es_feed(&p, b, n - at, on_msg, d);
    if (rc && rc2 != rc) /* errors are sticky */
        abort();
    if ((rc2 && rc2 != p.failed) || p.cur.cap > p.max_message || p.messages != d->n)
        abort();
    *messages = p.messages;
    free(a);
    free(b);
    lt_es_cleanup(&p);
    return rc2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t n = size - 2;
    uint8_t *in = malloc(n ? n : 1);
    if (!in)
        abort();
    memcpy(in, data + 2, n);
    if (data[1] & 0x40)
        fix_crcs(in, n);
    size_t at = n ? data[0] % (n + 1) : 0;
    size_t max = data[1] & 0x80 ? 0 : 16 + 8 * (size_t)(data[1] & 0x3f);

    struct digest whole = {14695981039346656037ull, 0, 0}, split = whole;
    size_t mw, ms;
    int rw = run(in, n, n, max, &whole, &mw);
    int rs = run(in, n, at, max, &split, &ms);
    if (rw != rs || whole.h != split.h || whole.n != split.n || mw != ms)
        abort();
    free(in);
    return 0;
}
