/* fuzz_h1.c — libFuzzer target for the HTTP/1.1 parser (preload/http/h1.c): the input is
 * fed to a request parser and to a response parser in two pieces (split point taken from
 * the first byte; the second byte's low bit asks for a HEAD answer), then the peer closes.
 * Callbacks check the invariants every caller relies on. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"

struct state {
    uint64_t hash; /* FNV-1a over the event transcript: the same for every split */
    int heads;     /* on_head calls */
    int done;      /* on_complete calls */
    bool in_body;  /* between on_head and on_complete */
};

static void mix(struct state *s, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        s->hash = (s->hash ^ b[i]) * 0x100000001b3ULL;
}

static int on_head(void *ud, const struct lt_h1_head *h)
{
    struct state *s = ud;
    if (s->in_body || h->n_headers > LT_H1_MAX_HEADERS)
        abort();
    /* hash every view (ASan checks they lie inside the head buffer) and the framing */
    mix(s, "H", 1);
    mix(s, h->method.p ? h->method.p : "", h->method.n);
    mix(s, h->target.p ? h->target.p : "", h->target.n);
    for (size_t i = 0; i < h->n_headers; i++) {
        mix(s, h->headers[i].name.p, h->headers[i].name.n);
        mix(s, ":", 1);
        mix(s, h->headers[i].value.p, h->headers[i].value.n);
    }
    int nums[5] = {h->status, h->version_minor, h->chunked, h->conn_close, (int)h->n_headers};
    mix(s, nums, sizeof(nums));
    mix(s, &h->content_length, sizeof(h->content_length));
    (void)lt_h1_header_get(h, "content-type");
    s->heads++;
    s->in_body = true;
    return s->heads % 3 == 2; /* sometimes ask for the cheap skip */
}

static void on_body(void *ud, const char *p, size_t n)
{
    struct state *s = ud;
    if (!s->in_body || n == 0)
        abort();
    mix(s, p, n);
}

static void on_complete(void *ud)
{
    struct state *s = ud;
    if (!s->in_body)
        abort();
    s->in_body = false;
    s->done++;
    mix(s, "C", 1);
}

static const struct lt_h1_callbacks CB = {on_head, on_body, on_complete};

/* Feed in two pieces split at `cut`, then close; returns the transcript hash. */
static uint64_t run(enum lt_h1_kind kind, const uint8_t *data, size_t size, size_t cut, bool head)
{
    struct lt_h1_parser p;
    struct state s = {.hash = 0xcbf29ce484222325ULL};
    lt_h1_init(&p, kind);
    if (head)
        lt_h1_expect_head(&p, true);
    /* each piece in its own heap block so ASan catches reads past its end */
    size_t off[3] = {0, cut, size};
    for (int i = 0; i < 2; i++) {
        size_t n = off[i + 1] - off[i];
        char *piece = malloc(n ? n : 1);
        if (!piece)
            abort();
        memcpy(piece, data + off[i], n);
        ssize_t r = lt_h1_feed(&p, piece, n, &CB, &s);
        free(piece);
        if (r < 0) {
            if (r != LT_H1_E_STATE && p.state != LT_H1_S_ERROR)
                abort();
            if (r == LT_H1_E_STATE && p.state != LT_H1_S_ERROR && p.state != LT_H1_S_UPGRADED)
                abort();
            if (r != LT_H1_E_STATE) /* E_STATE: fed after the upgrade, split-dependent */
                mix(&s, &r, sizeof(r));
            break;
        }
        if ((size_t)r > n || ((size_t)r < n && p.state != LT_H1_S_UPGRADED))
            abort();
        if (p.head_len > LT_H1_MAX_HEAD || p.head_cap > LT_H1_MAX_HEAD)
            abort();
    }
    int e = lt_h1_eof(&p, &CB, &s);
    if (e < -1 || e > 1 || (e == 1 && s.in_body && p.state != LT_H1_S_UPGRADED))
        abort();
    if (e == 0 && (s.in_body || p.state != LT_H1_S_HEAD))
        abort();
    mix(&s, &e, sizeof(e));
    lt_h1_cleanup(&p);
    return s.hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t cut = data[0];
    bool head = data[1] & 1;
    data += 2;
    size -= 2;
    cut = size * cut / 255; /* 0 … size */
    /* incremental parsing: any split gives the same events as one piece */
    if (run(LT_H1_REQUEST, data, size, cut, false) != run(LT_H1_REQUEST, data, size, 0, false))
        abort();
    if (run(LT_H1_RESPONSE, data, size, cut, head) != run(LT_H1_RESPONSE, data, size, 0, head))
        abort();
    return 0;
}
