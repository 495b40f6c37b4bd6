/* test_h2.c — HTTP/2 frame reader (preload/http/h2.c). Byte streams are built here from
 * hand-written frame headers and header blocks encoded by nghttp2's own HPACK deflater, so
 * the test does not share code with the reader. Every stream is fed whole, split at every
 * byte into two guarded pieces (a stride for streams above 8 KiB) and byte by byte; the
 * event transcript must equal the expected text for each. Set LT_H2_CORPUS=dir to also
 * write every stream as a seed for tests/fuzz/fuzz_h2.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "guard.h"
#include "http/h2.h"

/* ---- byte buffers and frames --------------------------------------------------------- */

struct bytes {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void put_str(struct bytes *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_u32(struct bytes *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 4);
}

static void frame_hdr(struct bytes *b, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
    uint8_t h[5] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags};
    put(b, h, 5);
    put_u32(b, stream);
}

static void frame(struct bytes *b, uint8_t type, uint8_t flags, uint32_t stream, const void *p,
                  size_t n)
{
    frame_hdr(b, (uint32_t)n, type, flags, stream);
    put(b, p, n);
}

enum {
    DATA = 0,
    HEADERS = 1,
    PRIORITY = 2,
    RST = 3,
    SETTINGS = 4,
    PUSH = 5,
    PING = 6,
    GOAWAY = 7,
    WINUP = 8,
    CONT = 9
};
enum { ES = 0x1, ACK = 0x1, EH = 0x4, PADDED = 0x8, PRIO = 0x20 };

static const char PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* SETTINGS with `n` (id, value) pairs. */
static void settings(struct bytes *b, const uint32_t *kv, size_t n)
{
    frame_hdr(b, (uint32_t)(6 * n), SETTINGS, 0, 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t id[2] = {(uint8_t)(kv[2 * i] >> 8), (uint8_t)kv[2 * i]};
        put(b, id, 2);
        put_u32(b, kv[2 * i + 1]);
    }
}

/* Chrome-like client SETTINGS: HEADER_TABLE_SIZE, ENABLE_PUSH, INITIAL_WINDOW_SIZE,
 * MAX_HEADER_LIST_SIZE. */
static void client_start(struct bytes *b)
{
    static const uint32_t kv[] = {1, 65536, 2, 0, 4, 6291456, 6, 262144};
    put_str(b, PREFACE);
    settings(b, kv, 4);
    frame_hdr(b, 4, WINUP, 0, 0);
    put_u32(b, 15663105);
}

/* Server SETTINGS (MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE), then the
 * ACK of the client's. */
#define SERVER_START_LEN (9 + 18 + 9)
static void server_start(struct bytes *b)
{
    static const uint32_t kv[] = {3, 100, 4, 65535, 5, 16384};
    settings(b, kv, 3);
    frame(b, SETTINGS, ACK, 0, NULL, 0);
}

/* HPACK-encode NULL-terminated name/value pairs with deflater `d`. */
static struct bytes hpack(nghttp2_hd_deflater *d, const char *const *kv)
{
    nghttp2_nv nv[300];
    size_t n = 0;
    for (; kv[2 * n]; n++) {
        assert_true(n < 300);
        nv[n].name = (uint8_t *)(uintptr_t)kv[2 * n];
        nv[n].namelen = strlen(kv[2 * n]);
        nv[n].value = (uint8_t *)(uintptr_t)kv[2 * n + 1];
        nv[n].valuelen = strlen(kv[2 * n + 1]);
        nv[n].flags = NGHTTP2_NV_FLAG_NONE;
    }
    struct bytes out = {0};
    size_t cap = nghttp2_hd_deflate_bound(d, nv, n);
    out.p = malloc(cap + 1);
    assert_non_null(out.p);
    out.cap = cap + 1;
    ssize_t k = nghttp2_hd_deflate_hd(d, out.p, cap, nv, n);
    assert_true(k >= 0);
    out.n = (size_t)k;
    return out;
}

static nghttp2_hd_deflater *deflater(size_t max)
{
    nghttp2_hd_deflater *d = NULL;
    assert_int_equal(nghttp2_hd_deflate_new(&d, max), 0);
    return d;
}

/* HEADERS (END_HEADERS) carrying the whole encoded block. */
static void headers(struct bytes *b, nghttp2_hd_deflater *d, uint32_t stream, uint8_t flags,
                    const char *const *kv)
{
    struct bytes blk = hpack(d, kv);
    frame(b, HEADERS, flags | EH, stream, blk.p, blk.n);
    free(blk.p);
}

/* ---- transcript of callback events ---------------------------------------------------- */

struct rec {
    struct bytes t;
    bool data_open; /* a "D" line is open (consecutive pieces of one stream merge) */
    uint32_t data_stream;
    struct lt_h2_reader *self; /* on_header_table_size applies to this reader when set */
};

static void rec_fmt(struct rec *r, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof(tmp));
    put(&r->t, tmp, (size_t)k);
}

static void close_data(struct rec *r)
{
    if (r->data_open)
        put_str(&r->t, "\n");
    r->data_open = false;
}

static void on_headers(void *ud, uint32_t stream, const struct lt_h2_header *h, size_t n,
                       bool truncated, bool end_stream)
{
    struct rec *r = ud;
    close_data(r);
    assert_true(n <= LT_H2_MAX_FIELDS);
    size_t bytes = 0;
    rec_fmt(r, "H s=%u n=%zu tr=%d es=%d\n", stream, n, truncated, end_stream);
    for (size_t i = 0; i < n; i++) {
        put(&r->t, h[i].name, h[i].name_len);
        put_str(&r->t, ": ");
        put(&r->t, h[i].value, h[i].value_len);
        put_str(&r->t, "\n");
        bytes += h[i].name_len + h[i].value_len;
    }
    assert_true(bytes <= LT_H2_MAX_ARENA);
}

static void on_data(void *ud, uint32_t stream, const char *p, size_t n, bool end_stream)
{
    struct rec *r = ud;
    assert_true(n > 0 || end_stream);
    if (!r->data_open || r->data_stream != stream) {
        close_data(r);
        rec_fmt(r, "D s=%u: ", stream);
        r->data_open = true;
        r->data_stream = stream;
    }
    put(&r->t, p, n);
    if (end_stream) {
        put_str(&r->t, "|ES");
        close_data(r);
    }
}

static void on_rst(void *ud, uint32_t stream, uint32_t code)
{
    struct rec *r = ud;
    close_data(r);
    rec_fmt(r, "R s=%u code=%u\n", stream, code);
}

static void on_goaway(void *ud, uint32_t last, uint32_t code)
{
    struct rec *r = ud;
    close_data(r);
    rec_fmt(r, "G last=%u code=%u\n", last, code);
}

static void on_table(void *ud, uint32_t size)
{
    struct rec *r = ud;
    close_data(r);
    rec_fmt(r, "T %u\n", size);
    if (r->self)
        lt_h2_set_header_table_size(r->self, size);
}

static const struct lt_h2_callbacks CB = {on_headers, on_data, on_rst, on_goaway, on_table};

/* ---- feeding ------------------------------------------------------------------------- */

struct opts {
    uint32_t table; /* lt_h2_set_header_table_size() before the first byte (0: no) */
    bool self;      /* apply reported table sizes to this same reader */
};

/* Feed `in` to a new reader as pieces [cuts[i], cuts[i+1]), each against a guard page;
 * returns the transcript ending with "rc=<first error or 0>". Caller frees. */
static char *run(enum lt_h2_dir dir, const struct bytes *in, const size_t *cuts, size_t ncuts,
                 const struct opts *o)
{
    struct lt_h2_reader *h = lt_h2_new(dir);
    assert_non_null(h);
    struct rec r = {0};
    put(&r.t, "", 0);
    if (o && o->table)
        lt_h2_set_header_table_size(h, o->table);
    if (o && o->self)
        r.self = h;
    int rc = 0;
    for (size_t i = 0; i + 1 < ncuts; i++) {
        size_t n = cuts[i + 1] - cuts[i];
        struct guarded g = guard_copy(in->p + cuts[i], n);
        int k = lt_h2_feed(h, g.p, n, &CB, &r);
        guard_free(&g);
        if (rc)
            assert_int_equal(k, rc); /* sticky */
        else
            rc = k;
    }
    if (rc) { /* ignored afterwards, no event */
        size_t before = r.t.n;
        assert_int_equal(lt_h2_feed(h, in->p, in->n, &CB, &r), rc);
        assert_int_equal(r.t.n, before);
    }
    close_data(&r);
    rec_fmt(&r, "rc=%d\n", rc);
    lt_h2_free(h);
    return (char *)r.t.p;
}

static void dump_corpus(const char *name, enum lt_h2_dir dir, const struct bytes *in)
{
    const char *dirpath = getenv("LT_H2_CORPUS");
    if (!dirpath)
        return;
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dirpath, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    /* fuzz_h2 input: direction byte, two split bytes, then the stream */
    uint8_t head[3] = {dir == LT_H2_SERVER ? 1 : 0, 0x55, 0xaa};
    fwrite(head, 1, 3, f);
    fwrite(in->p, 1, in->n, f);
    fclose(f);
}

/* The whole stream, every two-way split and one byte at a time give `want`. */
static void check_opts(const char *name, enum lt_h2_dir dir, const struct bytes *in,
                       const char *want, const struct opts *o)
{
    dump_corpus(name, dir, in);
    size_t whole[2] = {0, in->n};
    char *got = run(dir, in, whole, 2, o);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "%s: whole:\n%s\nwant:\n%s\n", name, got, want);
    assert_string_equal(got, want);
    free(got);
    size_t step = in->n > 8192 ? in->n / 1500 + 1 : 1;
    for (size_t k = 0; k <= in->n; k += step) {
        size_t cuts[3] = {0, k, in->n};
        got = run(dir, in, cuts, 3, o);
        if (strcmp(got, want) != 0)
            fprintf(stderr, "%s: split at %zu:\n%s\n", name, k, got);
        assert_string_equal(got, want);
        free(got);
    }
    size_t *cuts = malloc((in->n + 1) * sizeof(*cuts));
    assert_non_null(cuts);
    for (size_t i = 0; i <= in->n; i++)
        cuts[i] = i;
    got = run(dir, in, cuts, in->n + 1, o);
    assert_string_equal(got, want);
    free(got);
    free(cuts);
}

static void check(const char *name, enum lt_h2_dir dir, const struct bytes *in, const char *want)
{
    check_opts(name, dir, in, want, NULL);
}

/* ---- fixtures ------------------------------------------------------------------------ */

#define CHAT_BODY                                                                                  \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}],"     \
    "\"stream\":true,\"stream_options\":{\"include_usage\":true}}"

static const char *const CHAT_REQ[] = {":method",
                                       "POST",
                                       ":scheme",
                                       "https",
                                       ":path",
                                       "/v1/chat/completions",
                                       ":authority",
                                       "api.openai.com",
                                       "content-type",
                                       "application/json",
                                       "accept",
                                       "application/json",
                                       "user-agent",
                                       "OpenAI/Python 1.51.0",
                                       "authorization",
                                       "Bearer sk-test-0000",
                                       NULL};

#define CHAT_REQ_WANT(stream, es)                                                                  \
    "H s=" stream " n=8 tr=0 es=" es "\n"                                                          \
    ":method: POST\n"                                                                              \
    ":scheme: https\n"                                                                             \
    ":path: /v1/chat/completions\n"                                                                \
    ":authority: api.openai.com\n"                                                                 \
    "content-type: application/json\n"                                                             \
    "accept: application/json\n"                                                                   \
    "user-agent: OpenAI/Python 1.51.0\n"                                                           \
    "authorization: Bearer sk-test-0000\n"

#define SSE_C1                                                                                     \
    "data: {\"id\":\"chatcmpl-A1b2\",\"object\":\"chat.completion.chunk\",\"created\":"            \
    "1718000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{"        \
    "\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
#define SSE_C2                                                                                     \
    "data: {\"id\":\"chatcmpl-A1b2\",\"object\":\"chat.completion.chunk\",\"created\":"            \
    "1718000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{"        \
    "\"content\":\"lo!\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":18,"           \
    "\"completion_tokens\":2,\"total_tokens\":20}}\n\n"
#define SSE_DONE "data: [DONE]\n\n"

#define EMB_BODY_1 "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
#define EMB_BODY_2                                                                                 \
    "\"embedding\":[0.0023,-0.0093]}],\"model\":\"text-embedding-3-small\",\"usage\":{"            \
    "\"prompt_tokens\":5,\"total_tokens\":5}}"

/* ---- tests --------------------------------------------------------------------------- */

static void test_preface_match(void **state)
{
    (void)state;
    assert_int_equal(lt_h2_preface_match(PREFACE, 24), 1);
    assert_int_equal(lt_h2_preface_match("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0", 26), 1);
    assert_int_equal(lt_h2_preface_match(PREFACE, 10), 0);
    assert_int_equal(lt_h2_preface_match("", 0), 0);
    assert_int_equal(lt_h2_preface_match("POST /v1/chat", 13), -1);
    assert_int_equal(lt_h2_preface_match("PRX", 3), -1);
    assert_int_equal(lt_h2_preface_match("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r", 24), -1);
}

/* Client preface + SETTINGS + WINDOW_UPDATE + HEADERS + DATA(END_STREAM). */
static void test_request(void **state)
{
    (void)state;
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes b = {0};
    client_start(&b);
    headers(&b, d, 1, 0, CHAT_REQ);
    frame(&b, DATA, ES, 1, CHAT_BODY, strlen(CHAT_BODY));
    check("request", LT_H2_CLIENT, &b,
          "T 65536\n" CHAT_REQ_WANT("1", "0") "D s=1: " CHAT_BODY "|ES\n"
                                              "rc=0\n");
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* Server side: two streams interleaved, PING and WINDOW_UPDATE in between, an empty
 * END_STREAM DATA frame, PRIORITY and an unknown frame type skipped. */
static void test_interleaved(void **state)
{
    (void)state;
    static const char *const sse[] = {
        ":status", "200", "content-type", "text/event-stream", "x-request-id", "req_7f1a9c", NULL};
    static const char *const json[] = {
        ":status", "200", "content-type", "application/json", "x-request-id", "req_81bb02", NULL};
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes b = {0};
    server_start(&b);
    headers(&b, d, 1, 0, sse);
    headers(&b, d, 3, 0, json);
    frame(&b, DATA, 0, 1, SSE_C1, strlen(SSE_C1));
    frame(&b, DATA, 0, 3, EMB_BODY_1, strlen(EMB_BODY_1));
    frame(&b, PING, 0, 0, "\1\2\3\4\5\6\7\10", 8);
    frame(&b, DATA, 0, 1, SSE_C2, strlen(SSE_C2));
    frame(&b, PRIORITY, 0, 3, "\0\0\0\1\20", 5);
    frame(&b, 0xfa, 0xff, 1, "unknown", 7);
    frame_hdr(&b, 4, WINUP, 0, 1);
    put_u32(&b, 1000);
    frame(&b, DATA, ES, 3, EMB_BODY_2, strlen(EMB_BODY_2));
    frame(&b, DATA, 0, 1, SSE_DONE, strlen(SSE_DONE));
    frame(&b, DATA, 0, 1, NULL, 0); /* empty, no END_STREAM: no event */
    frame(&b, DATA, ES, 1, NULL, 0);
    check("interleaved", LT_H2_SERVER, &b,
          "H s=1 n=3 tr=0 es=0\n:status: 200\ncontent-type: text/event-stream\n"
          "x-request-id: req_7f1a9c\n"
          "H s=3 n=3 tr=0 es=0\n:status: 200\ncontent-type: application/json\n"
          "x-request-id: req_81bb02\n"
          "D s=1: " SSE_C1 "\n"
          "D s=3: " EMB_BODY_1 "\n"
          "D s=1: " SSE_C2 "\n"
          "D s=3: " EMB_BODY_2 "|ES\n"
          "D s=1: " SSE_DONE "|ES\n"
          "rc=0\n");
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* HEADERS(END_STREAM, no END_HEADERS) + CONTINUATION + CONTINUATION(END_HEADERS): a GET. */
static void test_continuation(void **state)
{
    (void)state;
    static const char *const get[] = {":method",
                                      "GET",
                                      ":scheme",
                                      "https",
                                      ":path",
                                      "/v1/models",
                                      ":authority",
                                      "api.openai.com",
                                      "authorization",
                                      "Bearer sk-test-0000",
                                      "openai-organization",
                                      "org-test",
                                      NULL};
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes blk = hpack(d, get);
    assert_true(blk.n > 12);
    struct bytes b = {0};
    client_start(&b);
    frame(&b, HEADERS, ES, 5, blk.p, 5);
    frame(&b, CONT, 0, 5, blk.p + 5, 0); /* an empty fragment is allowed */
    frame(&b, CONT, 0, 5, blk.p + 5, 4);
    frame(&b, CONT, EH | ES /* ES means nothing on CONTINUATION */, 5, blk.p + 9, blk.n - 9);
    check("continuation", LT_H2_CLIENT, &b,
          "T 65536\n"
          "H s=5 n=6 tr=0 es=1\n:method: GET\n:scheme: https\n:path: /v1/models\n"
          ":authority: api.openai.com\nauthorization: Bearer sk-test-0000\n"
          "openai-organization: org-test\n"
          "rc=0\n");
    free(blk.p);
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* Padded HEADERS with PRIORITY fields, padded DATA, a DATA frame that is only padding. */
static void test_padded(void **state)
{
    (void)state;
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes blk = hpack(d, CHAT_REQ);
    struct bytes b = {0};
    client_start(&b);
    /* HEADERS: pad length 7, exclusive dep on 0 + weight 255, block, 7 zero bytes */
    frame_hdr(&b, (uint32_t)(1 + 5 + blk.n + 7), HEADERS, EH | PADDED | PRIO, 1);
    put(&b, "\7\x80\0\0\0\xff", 6);
    put(&b, blk.p, blk.n);
    put(&b, "\0\0\0\0\0\0\0", 7);
    /* DATA: pad 3 */
    frame_hdr(&b, (uint32_t)(1 + 20 + 3), DATA, PADDED, 1);
    put(&b, "\3", 1);
    put(&b, CHAT_BODY, 20);
    put(&b, "\0\0\0", 3);
    /* DATA: pad 0 */
    frame_hdr(&b, (uint32_t)(1 + strlen(CHAT_BODY) - 20), DATA, PADDED, 1);
    put(&b, "\0", 1);
    put_str(&b, &CHAT_BODY[20]);
    /* DATA: padding only, END_STREAM */
    frame_hdr(&b, 1 + 200, DATA, PADDED | ES, 1);
    put(&b, "\310", 1);
    for (int i = 0; i < 200; i++)
        put(&b, "\0", 1);
    check("padded", LT_H2_CLIENT, &b,
          "T 65536\n" CHAT_REQ_WANT("1", "0") "D s=1: " CHAT_BODY "|ES\n"
                                              "rc=0\n");
    free(blk.p);
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* A padded DATA frame with END_STREAM whose content and padding are both non-empty. */
static void test_padded_end_stream(void **state)
{
    (void)state;
    static const char *const resp[] = {":status", "200", NULL};
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes b = {0};
    server_start(&b);
    headers(&b, d, 1, 0, resp);
    frame_hdr(&b, 1 + 5 + 2, DATA, PADDED | ES, 1);
    put(&b, "\2hello\0\0", 8);
    check("padded_es", LT_H2_SERVER, &b,
          "H s=1 n=1 tr=0 es=0\n:status: 200\nD s=1: hello|ES\nrc=0\n");
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* RST_STREAM (CANCEL) on one stream, GOAWAY with debug data, SETTINGS ACK. */
static void test_rst_goaway(void **state)
{
    (void)state;
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes b = {0};
    client_start(&b);
    frame(&b, SETTINGS, ACK, 0, NULL, 0);
    headers(&b, d, 1, 0, CHAT_REQ);
    frame(&b, DATA, 0, 1, "{\"model\"", 8);
    frame_hdr(&b, 4, RST, 0, 1);
    put_u32(&b, 8);
    headers(&b, d, 3, ES, CHAT_REQ);
    frame_hdr(&b, 8 + 15, GOAWAY, 0, 0);
    put_u32(&b, 3);
    put_u32(&b, 0);
    put_str(&b, "graceful close!");
    frame_hdr(&b, 8, GOAWAY, 0, 0);
    put_u32(&b, 0x80000003u); /* reserved bit ignored */
    put_u32(&b, 2);
    check("rst_goaway", LT_H2_CLIENT, &b,
          "T 65536\n" CHAT_REQ_WANT("1", "0") "D s=1: {\"model\"\n"
                                              "R s=1 code=8\n" CHAT_REQ_WANT(
                                                  "3", "1") "G last=3 code=0\n"
                                                            "G last=3 code=2\n"
                                                            "rc=0\n");
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* The same headers twice: the second block is mostly indexed references to the dynamic
 * table, and still decodes; without the first block it cannot be decoded at all. */
static void test_dynamic_table(void **state)
{
    (void)state;
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes blk1 = hpack(d, CHAT_REQ);
    struct bytes blk2 = hpack(d, CHAT_REQ);
    assert_true(blk2.n * 2 < blk1.n); /* indexed (authorization is sent literal) */
    struct bytes b = {0};
    client_start(&b);
    frame(&b, HEADERS, EH, 1, blk1.p, blk1.n);
    frame(&b, DATA, ES, 1, "{}", 2);
    frame(&b, HEADERS, EH, 3, blk2.p, blk2.n);
    frame(&b, DATA, ES, 3, "{}", 2);
    check("dynamic_table", LT_H2_CLIENT, &b,
          "T 65536\n" CHAT_REQ_WANT("1", "0") "D s=1: {}|ES\n" CHAT_REQ_WANT("3",
                                                                             "0") "D s=3: {}|ES\n"
                                                                                  "rc=0\n");
    /* a reader that never saw the first block */
    struct bytes c = {0};
    client_start(&c);
    frame(&c, HEADERS, EH, 3, blk2.p, blk2.n);
    check("dynamic_table_missing", LT_H2_CLIENT, &c, "T 65536\nrc=-22\n");
    free(c.p);
    free(blk1.p);
    free(blk2.p);
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

static const char *const RESP[] = {":status",
                                   "200",
                                   "content-type",
                                   "application/json",
                                   "openai-processing-ms",
                                   "312",
                                   "x-request-id",
                                   "req_1",
                                   NULL};
#define RESP_WANT(stream)                                                                          \
    "H s=" stream " n=4 tr=0 es=1\n:status: 200\ncontent-type: application/json\n"                 \
    "openai-processing-ms: 312\nx-request-id: req_1\n"

/* Server stream whose encoder switches to a `size` table after the first block (a dynamic
 * table size update opens the second block), then reuses the headers. */
static struct bytes table_stream(size_t size)
{
    nghttp2_hd_deflater *d = deflater(4u << 20);
    struct bytes b = {0};
    server_start(&b);
    headers(&b, d, 1, ES, RESP);
    assert_int_equal(nghttp2_hd_deflate_change_table_size(d, size), 0);
    headers(&b, d, 3, ES, RESP);
    headers(&b, d, 5, ES, RESP);
    nghttp2_hd_deflate_del(d);
    return b;
}

static void test_table_size_update(void **state)
{
    (void)state;
    const char *ok = RESP_WANT("1") RESP_WANT("3") RESP_WANT("5") "rc=0\n";
    /* a browser's 65536 is accepted by default, and so is a reduction */
    struct bytes b = table_stream(65536);
    check("table_65536", LT_H2_SERVER, &b, ok);
    free(b.p);
    b = table_stream(0);
    check("table_0", LT_H2_SERVER, &b, ok);
    free(b.p);
    /* above the default: only once the reader was told */
    b = table_stream(200000);
    check_opts("table_200000_unset", LT_H2_SERVER, &b, RESP_WANT("1") "rc=-22\n", NULL);
    struct opts o = {.table = 200000};
    check_opts("table_200000", LT_H2_SERVER, &b, ok, &o);
    o.table = 100; /* lowering is ignored: the encoder announces reductions in-band */
    check_opts("table_lower_ignored", LT_H2_SERVER, &b, RESP_WANT("1") "rc=-22\n", &o);
    free(b.p);
    /* never more than LT_H2_MAX_TABLE_SIZE */
    b = table_stream(LT_H2_MAX_TABLE_SIZE + 1);
    o.table = 4u << 20;
    check_opts("table_over_max", LT_H2_SERVER, &b, RESP_WANT("1") "rc=-22\n", &o);
    free(b.p);
}

/* The limit raised while a block is half decoded applies from the next block on. */
static void test_table_size_deferred(void **state)
{
    (void)state;
    struct bytes b = table_stream(200000);
    for (int set = 0; set < 2; set++) {
        struct lt_h2_reader *h = lt_h2_new(LT_H2_SERVER);
        assert_non_null(h);
        struct rec r = {0};
        put(&r.t, "", 0);
        size_t mid = SERVER_START_LEN + 9 + 5; /* inside the first HEADERS block */
        assert_int_equal(lt_h2_feed(h, b.p, mid, &CB, &r), 0);
        if (set)
            lt_h2_set_header_table_size(h, 200000);
        int rc = lt_h2_feed(h, b.p + mid, b.n - mid, &CB, &r);
        assert_int_equal(rc, set ? 0 : -EINVAL);
        close_data(&r);
        assert_string_equal((char *)r.t.p,
                            set ? RESP_WANT("1") RESP_WANT("3") RESP_WANT("5") : RESP_WANT("1"));
        free(r.t.p);
        lt_h2_free(h);
    }
    /* SETTINGS_HEADER_TABLE_SIZE reported mid-stream, applied by the callback */
    struct bytes c = {0};
    server_start(&c);
    static const uint32_t kv[] = {1, 200000};
    settings(&c, kv, 1);
    put(&c, b.p + SERVER_START_LEN, b.n - SERVER_START_LEN);
    struct opts o = {.self = true};
    check_opts("table_by_settings", LT_H2_SERVER, &c,
               "T 200000\n" RESP_WANT("1") RESP_WANT("3") RESP_WANT("5") "rc=0\n", &o);
    free(c.p);
    free(b.p);
}

/* Trailers: a second header block with END_STREAM after the DATA. */
static void test_trailers(void **state)
{
    (void)state;
    static const char *const resp[] = {":status", "200", "content-type", "application/grpc", NULL};
    static const char *const trailers[] = {"grpc-status", "0", "grpc-message", "", NULL};
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes b = {0};
    server_start(&b);
    headers(&b, d, 1, 0, resp);
    frame(&b, DATA, 0, 1, "{\"ok\":true}", 11);
    headers(&b, d, 1, ES, trailers);
    check("trailers", LT_H2_SERVER, &b,
          "H s=1 n=2 tr=0 es=0\n:status: 200\ncontent-type: application/grpc\n"
          "D s=1: {\"ok\":true}\n"
          "H s=1 n=2 tr=0 es=1\ngrpc-status: 0\ngrpc-message: \n"
          "rc=0\n");
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* PUSH_PROMISE (padded, with CONTINUATION) is decoded but not reported; the pushed
 * response's HEADERS refers to entries it added to the dynamic table. */
static void test_push_promise(void **state)
{
    (void)state;
    static const char *const resp[] = {":status", "200", NULL};
    static const char *const promise[] = {":method",    "GET",        ":scheme",    "https",
                                          ":path",      "/style.css", ":authority", "example.com",
                                          "x-push-tag", "abc123",     NULL};
    static const char *const pushed[] = {":status", "200", "x-push-tag", "abc123", NULL};
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes b = {0};
    server_start(&b);
    headers(&b, d, 1, 0, resp);
    struct bytes blk = hpack(d, promise);
    frame_hdr(&b, (uint32_t)(1 + 4 + 6 + 2), PUSH, PADDED, 1);
    put(&b, "\2", 1);
    put_u32(&b, 2);
    put(&b, blk.p, 6);
    put(&b, "\0\0", 2);
    frame(&b, CONT, EH, 1, blk.p + 6, blk.n - 6);
    struct bytes blk2 = hpack(d, pushed);
    assert_true(blk2.n <= 3); /* both fields indexed */
    frame(&b, HEADERS, EH, 2, blk2.p, blk2.n);
    frame(&b, DATA, ES, 2, "body{}", 6);
    check("push_promise", LT_H2_SERVER, &b,
          "H s=1 n=1 tr=0 es=0\n:status: 200\n"
          "H s=2 n=2 tr=0 es=0\n:status: 200\nx-push-tag: abc123\n"
          "D s=2: body{}|ES\n"
          "rc=0\n");
    free(blk.p);
    free(blk2.p);
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* Blocks beyond the arena: 200 fields (in many CONTINUATION frames) keep the first 128;
 * a 40000-byte value is left out; the next block, made of references to the first one's
 * entries, decodes in full — the inflater kept going. */
static void test_arena_overflow(void **state)
{
    (void)state;
    static char names[200][16], values[200][16];
    const char *kv1[2 * 200 + 2];
    for (int i = 0; i < 200; i++) {
        snprintf(names[i], sizeof(names[i]), "x-f-%03d", i);
        snprintf(values[i], sizeof(values[i]), "v%03d", i);
        kv1[2 * i] = names[i];
        kv1[2 * i + 1] = values[i];
    }
    kv1[400] = kv1[401] = NULL;
    static char big[40001];
    memset(big, 'b', 40000);
    const char *kv2[] = {":status", "200", "x-big", big, "x-after", "yes", NULL};
    const char *kv3[2 * 10 + 1];
    for (int i = 0; i < 10; i++) {
        kv3[2 * i] = names[190 + i];
        kv3[2 * i + 1] = values[190 + i];
    }
    kv3[20] = NULL;

    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes blk1 = hpack(d, kv1);
    struct bytes blk2 = hpack(d, kv2);
    struct bytes blk3 = hpack(d, kv3);
    assert_true(blk3.n <= 10); /* one byte per indexed field */
    struct bytes b = {0};
    server_start(&b);
    frame(&b, HEADERS, 0, 1, blk1.p, 256);
    size_t off = 256;
    while (off < blk1.n) {
        size_t n = blk1.n - off < 256 ? blk1.n - off : 256;
        frame(&b, CONT, off + n == blk1.n ? EH : 0, 1, blk1.p + off, n);
        off += n;
    }
    frame(&b, HEADERS, EH, 3, blk2.p, blk2.n);
    frame(&b, HEADERS, EH | ES, 5, blk3.p, blk3.n);

    struct bytes want = {0};
    put_str(&want, "H s=1 n=128 tr=1 es=0\n");
    char line[64];
    for (int i = 0; i < 128; i++) {
        snprintf(line, sizeof(line), "x-f-%03d: v%03d\n", i, i);
        put_str(&want, line);
    }
    put_str(&want, "H s=3 n=2 tr=1 es=0\n:status: 200\nx-after: yes\n");
    put_str(&want, "H s=5 n=10 tr=0 es=1\n");
    for (int i = 190; i < 200; i++) {
        snprintf(line, sizeof(line), "x-f-%03d: v%03d\n", i, i);
        put_str(&want, line);
    }
    put_str(&want, "rc=0\n");
    check("arena_overflow", LT_H2_SERVER, &b, (char *)want.p);
    free(want.p);
    free(blk1.p);
    free(blk2.p);
    free(blk3.p);
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* Arena bytes: many fields whose names+values together pass LT_H2_MAX_ARENA. */
static void test_arena_bytes(void **state)
{
    (void)state;
    static char vals[20][2001];
    static char names[20][16];
    const char *kv[41];
    for (int i = 0; i < 20; i++) {
        memset(vals[i], 'a' + i, 2000);
        snprintf(names[i], sizeof(names[i]), "x-long-%02d", i);
        kv[2 * i] = names[i];
        kv[2 * i + 1] = vals[i];
    }
    kv[40] = NULL;
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes b = {0};
    server_start(&b);
    headers(&b, d, 1, 0, kv);
    headers(&b, d, 3, ES, RESP);
    headers(&b, d, 5, ES, RESP);
    struct lt_h2_reader *h = lt_h2_new(LT_H2_SERVER);
    assert_non_null(h);
    struct rec r = {0};
    put(&r.t, "", 0);
    assert_int_equal(lt_h2_feed(h, b.p, b.n, &CB, &r), 0);
    /* each field is 2009 bytes: 16 fit in 32768 */
    assert_non_null(strstr((char *)r.t.p, "H s=1 n=16 tr=1 es=0\nx-long-00: aaaa"));
    assert_non_null(strstr((char *)r.t.p, "x-long-15: pppp"));
    assert_null(strstr((char *)r.t.p, "x-long-16"));
    assert_non_null(strstr((char *)r.t.p, RESP_WANT("3") RESP_WANT("5")));
    free(r.t.p);
    lt_h2_free(h);
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* A DATA frame is streamed, not buffered: half a frame in, half its payload out. A frame of
 * the protocol's largest size (2^24-1) of an unknown type is skipped. */
static void test_large_frames(void **state)
{
    (void)state;
    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes b = {0};
    server_start(&b);
    headers(&b, d, 1, 0, RESP);
    size_t head_len = b.n;
    frame_hdr(&b, 100000, DATA, ES, 1);
    for (int i = 0; i < 100000; i++)
        put(&b, "x", 1);
    frame_hdr(&b, 0xffffff, 0xfb, 0, 0);
    size_t skip_at = b.n;
    struct bytes tail = {0};
    frame(&tail, RST, 0, 1, "\0\0\0\5", 4);

    struct lt_h2_reader *h = lt_h2_new(LT_H2_SERVER);
    assert_non_null(h);
    struct rec r = {0};
    put(&r.t, "", 0);
    size_t half = head_len + 9 + 50000;
    assert_int_equal(lt_h2_feed(h, b.p, half, &CB, &r), 0);
    const char *dl = strstr((char *)r.t.p, "D s=1: ");
    assert_non_null(dl);
    assert_int_equal(strlen(dl), 7 + 50000);
    assert_int_equal(lt_h2_feed(h, b.p + half, skip_at - half, &CB, &r), 0);
    assert_non_null(strstr((char *)r.t.p, "x|ES\n"));
    char *zeros = calloc(1, 1 << 20);
    assert_non_null(zeros);
    for (size_t left = 0xffffff; left;) {
        size_t n = left < (1u << 20) ? left : (1u << 20);
        assert_int_equal(lt_h2_feed(h, zeros, n, &CB, &r), 0);
        left -= n;
    }
    free(zeros);
    assert_int_equal(lt_h2_feed(h, tail.p, tail.n, &CB, &r), 0);
    assert_non_null(strstr((char *)r.t.p, "|ES\nR s=1 code=5\n"));
    free(r.t.p);
    lt_h2_free(h);
    free(tail.p);
    free(b.p);
    nghttp2_hd_deflate_del(d);
}

/* Not HTTP/2, or HTTP/2 broken: -EINVAL at the same byte for every split, events before
 * it kept, nothing after it. */
static void test_errors(void **state)
{
    (void)state;
    struct bytes b = {0};
    put_str(&b, "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n\r\n");
    check("err_h1", LT_H2_CLIENT, &b, "rc=-22\n");
    free(b.p);

    b = (struct bytes){0};
    put(&b, PREFACE, 20);
    put_str(&b, "\r\r\n\n");
    check("err_preface_tail", LT_H2_CLIENT, &b, "rc=-22\n");
    free(b.p);

    /* server bytes that are HTTP/1.1, and a server whose first frame is not SETTINGS */
    b = (struct bytes){0};
    put_str(&b, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    check("err_server_h1", LT_H2_SERVER, &b, "rc=-22\n");
    free(b.p);
    b = (struct bytes){0};
    frame(&b, PING, 0, 0, "12345678", 8);
    check("err_first_ping", LT_H2_SERVER, &b, "rc=-22\n");
    free(b.p);
    b = (struct bytes){0};
    put_str(&b, PREFACE);
    frame(&b, SETTINGS, ACK, 0, NULL, 0);
    check("err_first_ack", LT_H2_CLIENT, &b, "rc=-22\n");
    free(b.p);

    nghttp2_hd_deflater *d = deflater(4096);
    struct bytes blk = hpack(d, CHAT_REQ);
    nghttp2_hd_deflate_del(d);

    /* a DATA frame inside a header block; events before the error stay */
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, DATA, 0, 7, "abc", 3);
    frame(&b, HEADERS, 0, 1, blk.p, 10);
    frame(&b, DATA, ES, 1, "{}", 2);
    frame(&b, CONT, EH, 1, blk.p + 10, blk.n - 10);
    check("err_data_in_block", LT_H2_CLIENT, &b, "T 65536\nD s=7: abc\nrc=-22\n");
    free(b.p);

    /* PING inside a header block */
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, HEADERS, 0, 1, blk.p, 10);
    frame(&b, PING, 0, 0, "12345678", 8);
    check("err_ping_in_block", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);

    /* CONTINUATION on another stream */
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, HEADERS, 0, 1, blk.p, 10);
    frame(&b, CONT, EH, 3, blk.p + 10, blk.n - 10);
    check("err_cont_stream", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);

    /* CONTINUATION without a block */
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, HEADERS, EH, 1, blk.p, blk.n);
    frame(&b, CONT, EH, 1, blk.p, 1);
    check("err_cont_orphan", LT_H2_CLIENT, &b, "T 65536\n" CHAT_REQ_WANT("1", "0") "rc=-22\n");
    free(b.p);

    /* HPACK: index far beyond both tables */
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, HEADERS, EH, 1, "\xff\xff\xff\x0f", 4);
    check("err_hpack_index", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);

    /* HPACK: the block ends inside a field */
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, HEADERS, EH, 1, blk.p, blk.n - 3);
    check("err_hpack_short", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);

    /* padding longer than the frame */
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, DATA, PADDED, 1, "\5ab", 3);
    check("err_pad", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, HEADERS, PADDED | PRIO | EH, 1, "\0\0\0", 3);
    check("err_prio_short", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);

    /* frame sizes and streams that the type forbids */
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, RST, 0, 1, "\0\0\0\0\0", 5);
    check("err_rst_len", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, SETTINGS, 0, 0, "\0\1\0\0", 4);
    check("err_settings_len", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, SETTINGS, ACK, 0, "\0\1\0\0\0\0", 6);
    check("err_settings_ack_len", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, DATA, 0, 0, "ab", 2);
    check("err_data_stream0", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);
    b = (struct bytes){0};
    client_start(&b);
    frame(&b, GOAWAY, 0, 0, "\0\0\0\1", 4);
    check("err_goaway_len", LT_H2_CLIENT, &b, "T 65536\nrc=-22\n");
    free(b.p);

    free(blk.p);
}

static void test_null_args(void **state)
{
    (void)state;
    lt_h2_free(NULL);
    lt_h2_set_header_table_size(NULL, 1);
    assert_int_equal(lt_h2_feed(NULL, "x", 1, &CB, NULL), -EINVAL);
    struct lt_h2_reader *h = lt_h2_new(LT_H2_CLIENT);
    assert_non_null(h);
    assert_int_equal(lt_h2_feed(h, NULL, 0, NULL, NULL), 0);
    /* no callbacks at all */
    struct bytes b = {0};
    client_start(&b);
    frame(&b, DATA, ES, 1, "x", 1);
    assert_int_equal(lt_h2_feed(h, b.p, b.n, NULL, NULL), 0);
    free(b.p);
    lt_h2_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preface_match),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_interleaved),
        cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_padded),
        cmocka_unit_test(test_padded_end_stream),
        cmocka_unit_test(test_rst_goaway),
        cmocka_unit_test(test_dynamic_table),
        cmocka_unit_test(test_table_size_update),
        cmocka_unit_test(test_table_size_deferred),
        cmocka_unit_test(test_trailers),
        cmocka_unit_test(test_push_promise),
        cmocka_unit_test(test_arena_overflow),
        cmocka_unit_test(test_arena_bytes),
        cmocka_unit_test(test_large_frames),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_null_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
