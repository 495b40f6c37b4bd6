/* fuzz_h2.c — libFuzzer target for the HTTP/2 frame reader (preload/http/h2.c). Input:
 * byte 0 picks the direction (low bit: 0 client, 1 server), bytes 1 and 2 two split points;
 * the rest is the stream. It is fed whole and in three heap pieces; the event transcript
 * (DATA pieces merged per stream) and the result must be the same. SETTINGS header table
 * sizes are applied to the same reader, which exercises the between-blocks rule. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h2.h"

struct state {
    uint64_t hash;  /* FNV-1a over the normalised transcript */
    bool data_open; /* the previous event was a DATA piece without end_stream */
    uint32_t data_stream;
    struct lt_h2_reader *self;
};

static void mix(struct state *s, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        s->hash = (s->hash ^ b[i]) * 0x100000001b3ULL;
}

static void event(struct state *s, char tag, uint32_t a, uint32_t b)
{
    s->data_open = false;
    mix(s, &tag, 1);
    mix(s, &a, sizeof(a));
    mix(s, &b, sizeof(b));
}

static void on_headers(void *ud, uint32_t stream, const struct lt_h2_header *h, size_t n,
                       bool truncated, bool end_stream)
{
    struct state *s = ud;
    if (n > LT_H2_MAX_FIELDS || stream == 0 || stream > 0x7fffffffu)
        abort();
    event(s, 'H', stream, (uint32_t)n << 2 | (uint32_t)truncated << 1 | end_stream);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        mix(s, h[i].name, h[i].name_len); /* ASan checks the views */
        mix(s, "\0", 1);
        mix(s, h[i].value, h[i].value_len);
        mix(s, "\0", 1);
        bytes += h[i].name_len + h[i].value_len;
    }
    if (bytes > LT_H2_MAX_ARENA)
        abort();
}

static void on_data(void *ud, uint32_t stream, const char *p, size_t n, bool end_stream)
{
    struct state *s = ud;
    if ((n == 0 && !end_stream) || stream == 0 || stream > 0x7fffffffu)
        abort();
    if (!s->data_open || s->data_stream != stream) {
        event(s, 'D', stream, 0);
        s->data_open = true;
        s->data_stream = stream;
    }
    mix(s, p, n);
    if (end_stream)
        event(s, 'E', stream, 0);
}

static void on_rst(void *ud, uint32_t stream, uint32_t code)
{
    if (stream == 0 || stream > 0x7fffffffu)
        abort();
    event(ud, 'R', stream, code);
}

static void on_goaway(void *ud, uint32_t last, uint32_t code)
{
    if (last > 0x7fffffffu)
        abort();
    event(ud, 'G', last, code);
}

static void on_table(void *ud, uint32_t size)
{
    struct state *s = ud;
    event(s, 'T', size, 0);
    lt_h2_set_header_table_size(s->self, size);
}

static const struct lt_h2_callbacks CB = {on_headers, on_data, on_rst, on_goaway, on_table};

static uint64_t run(enum lt_h2_dir dir, const uint8_t *data, size_t size, size_t c1, size_t c2)
{
    struct lt_h2_reader *r = lt_h2_new(dir);
    if (!r)
        abort();
    struct state s = {.hash = 0xcbf29ce484222325ULL, .self = r};
    size_t off[4] = {0, c1, c2, size};
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = off[i + 1] - off[i];
        char *piece = malloc(n ? n : 1); /* own block: ASan sees reads past its end */
        if (!piece)
            abort();
        memcpy(piece, data + off[i], n);
        int k = lt_h2_feed(r, piece, n, &CB, &s);
        free(piece);
        if (k != 0 && k != -EINVAL && k != -ENOMEM)
            abort();
        if (rc && k != rc) /* errors are sticky */
            abort();
        if (!rc)
            rc = k;
    }
    event(&s, 'X', (uint32_t)rc, 0);
    lt_h2_free(r);
    return s.hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    enum lt_h2_dir dir = (data[0] & 1) ? LT_H2_SERVER : LT_H2_CLIENT;
    size_t c1 = data[1], c2 = data[2];
    data += 3;
    size -= 3;
    c1 = size * c1 / 255;
    c2 = size * c2 / 255;
    if (c1 > c2) {
        size_t t = c1;
        c1 = c2;
        c2 = t;
    }
    (void)lt_h2_preface_match(data, size);
    if (run(dir, data, size, c1, c2) != run(dir, data, size, 0, 0))
        abort();
    return 0;
}
