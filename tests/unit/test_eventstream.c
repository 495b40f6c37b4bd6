/* test_eventstream.c — unit tests for the AWS event stream decoder
 * (preload/http/eventstream.c). Messages are built here (CRCs by zlib) shaped like Bedrock
 * ConverseStream and InvokeModelWithResponseStream responses, plus the fixture files of
 * tests/fixtures/bedrock; each stream is fed whole, split at every byte into two guarded
 * pieces, and byte by byte, and must give the same messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "guard.h"
#include "http/eventstream.h"

/* ---- building messages ---------------------------------------------------------------- */

struct hdr {
    const char *name;
    unsigned type;   /* 0..9; 7 = string */
    const char *val; /* value bytes (types 2..9) */
    size_t vlen;     /* bytes of val; for 6/7 the u16 length written before them */
};

#define STR(n, v)                                                                                  \
    {                                                                                              \
        n, 7, v, sizeof(v) - 1                                                                     \
    }

struct mbuf {
    unsigned char *p;
    size_t n, cap;
};

static void put(struct mbuf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put32(struct mbuf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    put(b, x, 4);
}

static uint32_t get32(const unsigned char *x)
{
    return (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 | x[3];
}

static void encode_headers(struct mbuf *hb, const struct hdr *h, size_t nh)
{
    for (size_t i = 0; i < nh; i++) {
        unsigned char nl = (unsigned char)strlen(h[i].name), t = (unsigned char)h[i].type;
        put(hb, &nl, 1);
        put(hb, h[i].name, nl);
        put(hb, &t, 1);
        if (t == 6 || t == 7) {
            unsigned char l[2] = {(unsigned char)(h[i].vlen >> 8), (unsigned char)h[i].vlen};
            put(hb, l, 2);
        }
        put(hb, h[i].val, h[i].vlen);
    }
}

/* Append one message with raw header bytes `hb` and `payload`, CRCs computed by zlib. */
static void put_raw_message(struct mbuf *b, const unsigned char *hb, size_t hl, const char *payload,
                            size_t pl)
{
    size_t at = b->n;
    put32(b, (uint32_t)(16 + hl + pl));
    put32(b, (uint32_t)hl);
    put32(b, (uint32_t)crc32(0, b->p + at, 8));
    put(b, hb, hl);
    put(b, payload, pl);
    put32(b, (uint32_t)crc32(0, b->p + at, (uInt)(b->n - at)));
}

static void put_message(struct mbuf *b, const struct hdr *h, size_t nh, const char *payload)
{
    struct mbuf hb = {0};
    encode_headers(&hb, h, nh);
    put_raw_message(b, hb.p, hb.n, payload, strlen(payload));
    free(hb.p);
}

/* A Bedrock event: the three headers in the order the service sends them. */
static void put_event(struct mbuf *b, const char *event_type, const char *payload)
{
    struct hdr h[] = {
        {":event-type", 7, event_type, strlen(event_type)},
        STR(":content-type", "application/json"),
        STR(":message-type", "event"),
    };
    put_message(b, h, 3, payload);
}

static void put_exception(struct mbuf *b, const char *exception_type, const char *payload)
{
    struct hdr h[] = {
        {":exception-type", 7, exception_type, strlen(exception_type)},
        STR(":content-type", "application/json"),
        STR(":message-type", "exception"),
    };
    put_message(b, h, 3, payload);
}

static char *b64(const char *in)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    assert_non_null(out);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* ---- collecting ----------------------------------------------------------------------- */

struct got {
    char *message_type, *event_type, *exception_type, *error_message, *content_type, *payload;
    size_t payload_len;
};

struct collector {
    struct got m[64];
    size_t n;
    size_t stop_after; /* return 5 from the callback after this many messages (0 = never) */
};

/* A view as a heap string; NULL stays NULL (absent header). */
static char *view(const char *p, size_t n)
{
    if (!p) {
        assert_int_equal(n, 0);
        return NULL;
    }
    char *d = malloc(n + 1);
    assert_non_null(d);
    memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static int on_msg(void *ud, const struct lt_es_message *m)
{
    struct collector *c = ud;
    assert_true(c->n < sizeof(c->m) / sizeof(c->m[0]));
    struct got *g = &c->m[c->n++];
    g->message_type = view(m->message_type, m->message_type_len);
    g->event_type = view(m->event_type, m->event_type_len);
    g->exception_type = view(m->exception_type, m->exception_type_len);
    g->error_message = view(m->error_message, m->error_message_len);
    g->content_type = view(m->content_type, m->content_type_len);
    g->payload = view(m->payload, m->payload_len);
    g->payload_len = m->payload_len;
    if (c->stop_after && c->n == c->stop_after)
        return 5;
    return 0;
}

static void collector_free(struct collector *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct got *g = &c->m[i];
        free(g->message_type);
        free(g->event_type);
        free(g->exception_type);
        free(g->error_message);
        free(g->content_type);
        free(g->payload);
    }
    c->n = 0;
}

/* Expected message; NULL fields mean "absent". */
struct want {
    const char *message_type, *event_type, *exception_type, *content_type, *payload;
    const char *error_message;
};

static void eq_str(const char *what, size_t i, const char *got, const char *want, const char *how,
                   size_t at)
{
    if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
        fail_msg("message %zu (%s @%zu): %s '%s' want '%s'", i, how, at, what, got ? got : "(null)",
                 want ? want : "(null)");
}

static void check(const struct collector *c, const struct want *w, size_t nw, const char *how,
                  size_t at)
{
    if (c->n != nw)
        fail_msg("%s @%zu: got %zu messages, want %zu", how, at, c->n, nw);
    for (size_t i = 0; i < nw; i++) {
        eq_str("message-type", i, c->m[i].message_type, w[i].message_type, how, at);
        eq_str("event-type", i, c->m[i].event_type, w[i].event_type, how, at);
        eq_str("exception-type", i, c->m[i].exception_type, w[i].exception_type, how, at);
        eq_str("error-message", i, c->m[i].error_message, w[i].error_message, how, at);
        eq_str("content-type", i, c->m[i].content_type, w[i].content_type, how, at);
        eq_str("payload", i, c->m[i].payload, w[i].payload, how, at);
    }
}

static int feed_guarded(struct lt_es_parser *p, const unsigned char *s, size_t n,
                        struct collector *c)
{
    struct guarded g = guard_copy(s, n);
    int rc = lt_es_feed(p, g.p, n, on_msg, c);
    guard_free(&g);
    return rc;
}

/* Feed `in` in two pieces split at `at` (SIZE_MAX: byte by byte). Returns the first non-zero
 * return of a feed, or 0. */
static int run_pieces(const unsigned char *in, size_t n, size_t at, size_t max, struct collector *c,
                      struct lt_es_parser *p)
{
    lt_es_init(p, max);
    int rc = 0;
    if (at == SIZE_MAX) {
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = feed_guarded(p, in + i, 1, c);
    } else {
        rc = feed_guarded(p, in, at, c);
        if (rc == 0)
            rc = feed_guarded(p, in + at, n - at, c);
    }
    return rc;
}

/* Every split of a good stream gives exactly `w`. */
static void all_splits_ok(const unsigned char *in, size_t n, const struct want *w, size_t nw)
{
    for (size_t at = 0; at <= n + 1; at++) {
        size_t split = at == n + 1 ? SIZE_MAX : at;
        struct lt_es_parser p;
        struct collector c = {0};
        int rc = run_pieces(in, n, split, 0, &c, &p);
        if (rc != 0)
            fail_msg("split @%zu: rc %d", split, rc);
        check(&c, w, nw, split == SIZE_MAX ? "bytewise" : "split", split);
        assert_int_equal(p.messages, nw);
        assert_int_equal(p.cur.len, 0); /* nothing left over */
        lt_es_cleanup(&p);
        collector_free(&c);
    }
}

/* Every split of a stream whose message `bad` is corrupt gives the `bad` messages before it
 * and -EINVAL, which stays. */
static void all_splits_fail(const unsigned char *in, size_t n, const struct want *w, size_t bad)
{
    for (size_t at = 0; at <= n + 1; at++) {
        size_t split = at == n + 1 ? SIZE_MAX : at;
        struct lt_es_parser p;
        struct collector c = {0};
        int rc = run_pieces(in, n, split, 0, &c, &p);
        if (rc != -EINVAL)
            fail_msg("split @%zu: rc %d, want -EINVAL", split, rc);
        check(&c, w, bad, "corrupt", split);
        assert_int_equal(p.failed, -EINVAL);
        assert_int_equal(lt_es_feed(&p, (const char *)in, n, on_msg, &c), -EINVAL);
        assert_int_equal(c.n, bad);
        lt_es_cleanup(&p);
        collector_free(&c);
    }
}

/* ---- streams -------------------------------------------------------------------------- */

#define CS_START "{\"p\":\"abcdefghijklmnopqrs\",\"role\":\"assistant\"}"
#define CS_D1 "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hello\"},\"p\":\"abcdefg\"}"
#define CS_D2                                                                                      \
    "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"! How can I\"},\"p\":\"abcdefghijklmnop\"}"
#define CS_D3                                                                                      \
    "{\"contentBlockIndex\":0,\"delta\":{\"text\":\" help you "                                    \
    "today?\"},\"p\":\"abcdefghijklmnopqrstuvwxy\"}"
#define CS_STOP "{\"contentBlockIndex\":0,\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFG\"}"
#define CS_MSTOP "{\"p\":\"abcdefghijkl\",\"stopReason\":\"end_turn\"}"
#define CS_META                                                                                    \
    "{\"metrics\":{\"latencyMs\":613},\"p\":\"abcde\",\"usage\":{\"inputTokens\":12,"              \
    "\"outputTokens\":9,\"totalTokens\":21}}"
#define JSON "application/json"

static const struct want converse_want[] = {
    {"event", "messageStart", NULL, JSON, CS_START, NULL},
    {"event", "contentBlockDelta", NULL, JSON, CS_D1, NULL},
    {"event", "contentBlockDelta", NULL, JSON, CS_D2, NULL},
    {"event", "contentBlockDelta", NULL, JSON, CS_D3, NULL},
    {"event", "contentBlockStop", NULL, JSON, CS_STOP, NULL},
    {"event", "messageStop", NULL, JSON, CS_MSTOP, NULL},
    {"event", "metadata", NULL, JSON, CS_META, NULL},
};

static void build_converse(struct mbuf *b)
{
    put_event(b, "messageStart", CS_START);
    put_event(b, "contentBlockDelta", CS_D1);
    put_event(b, "contentBlockDelta", CS_D2);
    put_event(b, "contentBlockDelta", CS_D3);
    put_event(b, "contentBlockStop", CS_STOP);
    put_event(b, "messageStop", CS_MSTOP);
    put_event(b, "metadata", CS_META);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_converse_stream(void **state)
{
    struct mbuf b = {0};
    build_converse(&b);
    all_splits_ok(b.p, b.n, converse_want, 7);
    free(b.p);
}

/* InvokeModelWithResponseStream (Anthropic Claude): "chunk" events whose payload is
 * {"bytes":"<base64 of an Anthropic Messages stream event>"}. */
static void test_invoke_chunks(void **state)
{
    static const char *const anth[] = {
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_bdrk_01Jx5S8cQhFZ1KTXMv3pWq2a\","
        "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-sonnet-20240620\","
        "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
        "\"usage\":{\"input_tokens\":14,\"output_tokens\":1}}}",
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        "\"text\":\"Hello\"}}",
        "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":14,"
        "\"outputTokenCount\":11,\"invocationLatency\":702,\"firstByteLatency\":388}}",
    };
    struct mbuf b = {0};
    char *payload[3];
    struct want w[3];
    for (size_t i = 0; i < 3; i++) {
        char *enc = b64(anth[i]);
        payload[i] = malloc(strlen(enc) + 32);
        assert_non_null(payload[i]);
        sprintf(payload[i], "{\"bytes\":\"%s\",\"p\":\"abc\"}", enc);
        free(enc);
        put_event(&b, "chunk", payload[i]);
        w[i] = (struct want){"event", "chunk", NULL, JSON, payload[i], NULL};
    }
    all_splits_ok(b.p, b.n, w, 3);
    for (size_t i = 0; i < 3; i++)
        free(payload[i]);
    free(b.p);
}

/* A modelled exception mid-stream, and an "error" message (:error-code, :error-message). */
static void test_exception_and_error(void **state)
{
    struct mbuf b = {0};
    put_event(&b, "messageStart", CS_START);
    put_exception(&b, "throttlingException",
                  "{\"message\":\"Too many requests, please wait before trying again.\"}");
    struct hdr err[] = {
        STR(":message-type", "error"),
        STR(":error-code", "InternalFailure"),
        STR(":error-message", "An internal error occurred."),
    };
    put_message(&b, err, 3, "");
    /* An exception with no :exception-type: absent, not guessed. */
    struct hdr bare[] = {STR(":message-type", "exception")};
    put_message(&b, bare, 1, "{}");
    static const struct want w[] = {
        {"event", "messageStart", NULL, JSON, CS_START, NULL},
        {"exception", NULL, "throttlingException", JSON,
         "{\"message\":\"Too many requests, please wait before trying again.\"}", NULL},
        {"error", NULL, "InternalFailure", NULL, NULL, "An internal error occurred."},
        {"exception", NULL, NULL, NULL, "{}", NULL},
    };
    all_splits_ok(b.p, b.n, w, 4);
    free(b.p);
}

/* Every header value type is walked over; only string headers are reported. */
static void test_header_types(void **state)
{
    struct hdr h[] = {
        {"flag-true", 0, "", 0},
        {"flag-false", 1, "", 0},
        {"byte", 2, "\x7f", 1},
        {"short", 3, "\x01\x02", 2},
        {"int", 4, "\x00\x00\x00\x07", 4},
        {"long", 5, "\x00\x00\x00\x00\x00\x00\x00\x09", 8},
        {"bytes", 6, "\x00\x07\xff", 3},
        {":date", 8, "\x00\x00\x01\x92\x00\x00\x00\x00", 8},
        {"id", 9, "0123456789abcdef", 16},
        STR(":message-type", "event"),
        {"", 7, "", 0}, /* empty name and value */
        STR(":event-type", "contentBlockDelta"),
        {":event-type", 6, "notastring", 10}, /* not a string: ignored */
        STR(":content-type", "application/json"),
    };
    struct mbuf b = {0};
    put_message(&b, h, sizeof(h) / sizeof(h[0]), CS_D1);
    /* A message with neither headers nor payload: the 16-byte minimum. */
    put_message(&b, NULL, 0, "");
    static const struct want w[] = {
        {"event", "contentBlockDelta", NULL, JSON, CS_D1, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL},
    };
    all_splits_ok(b.p, b.n, w, 2);
    assert_int_equal(b.n - 16, get32(b.p));
    free(b.p);
}

/* Corrupt framing: -EINVAL after the good messages before it, at every split, sticky. */
static void test_bad_crc(void **state)
{
    struct mbuf b = {0};
    build_converse(&b);
    size_t second = get32(b.p), third = second + get32(b.p + second);

    /* Prelude CRC of the third message. */
    unsigned char *x = malloc(b.n);
    assert_non_null(x);
    memcpy(x, b.p, b.n);
    x[third + 9] ^= 0x01;
    all_splits_fail(x, b.n, converse_want, 2);

    /* Message CRC of the third message. */
    memcpy(x, b.p, b.n);
    x[third + get32(b.p + third) - 1] ^= 0x80;
    all_splits_fail(x, b.n, converse_want, 2);

    /* A payload byte of the first message. */
    memcpy(x, b.p, b.n);
    x[get32(b.p) - 10] ^= 0x20;
    all_splits_fail(x, b.n, converse_want, 0);

    /* A length byte: caught by the prelude CRC before the length is trusted. */
    memcpy(x, b.p, b.n);
    x[second + 3] ^= 0x04;
    all_splits_fail(x, b.n, converse_want, 1);
    free(x);
    free(b.p);
}

/* Put `hb` as headers of a message with valid CRCs after one good event; the second message
 * must be refused. */
static void bad_headers(const unsigned char *hb, size_t hl)
{
    struct mbuf b = {0};
    put_event(&b, "messageStart", CS_START);
    put_raw_message(&b, hb, hl, "{}", 2);
    all_splits_fail(b.p, b.n, converse_want, 1);
    free(b.p);
}

static void test_malformed_headers(void **state)
{
    /* Name length past the headers. */
    bad_headers((const unsigned char *)"\x0d:message-typ", 13);
    /* No value type after the name. */
    bad_headers((const unsigned char *)"\x02:a", 3);
    /* Unknown value type 10. */
    bad_headers((const unsigned char *)"\x02:a\x0a", 4);
    /* String length past the headers. */
    bad_headers((const unsigned char *)"\x02:a\x07\x00\x05"
                                       "abc",
                8);
    /* String length cut in half. */
    bad_headers((const unsigned char *)"\x02:a\x07\x00", 5);
    /* A fixed-size value cut short (uuid needs 16). */
    bad_headers((const unsigned char *)"\x02:a\x09"
                                       "0123456789",
                14);
}

/* Prelude lengths: below 16, above the cap, headers longer than the message. */
static void test_bad_lengths(void **state)
{
    struct {
        uint32_t total, hlen;
    } cases[] = {{0, 0}, {15, 0}, {16, 1}, {100, 85}, {0xffffffffu, 0}, {1u << 30, 10}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mbuf b = {0};
        put32(&b, cases[i].total);
        put32(&b, cases[i].hlen);
        put32(&b, (uint32_t)crc32(0, b.p, 8));
        /* Some bytes after, so a decoder that trusted the length would wait or read on. */
        put(&b, "0123456789abcdef0123456789abcdef", 32);
        for (size_t at = 0; at <= b.n + 1; at++) {
            size_t split = at == b.n + 1 ? SIZE_MAX : at;
            struct lt_es_parser p;
            struct collector c = {0};
            int rc = run_pieces(b.p, b.n, split, 4096, &c, &p);
            if (rc != -EINVAL)
                fail_msg("case %zu split @%zu: rc %d", i, split, rc);
            assert_int_equal(c.n, 0);
            assert_true(p.cur.cap <= 256); /* never allocated for the claimed length */
            lt_es_cleanup(&p);
        }
        free(b.p);
    }

    /* A message of exactly the cap is fine; one byte more is not. */
    struct mbuf b = {0};
    put_event(&b, "messageStart", CS_START);
    struct lt_es_parser p;
    struct collector c = {0};
    assert_int_equal(run_pieces(b.p, b.n, b.n / 2, b.n, &c, &p), 0);
    assert_int_equal(c.n, 1);
    lt_es_cleanup(&p);
    collector_free(&c);
    assert_int_equal(run_pieces(b.p, b.n, b.n / 2, b.n - 1, &c, &p), -EINVAL);
    assert_int_equal(c.n, 0);
    lt_es_cleanup(&p);
    free(b.p);
}

/* An incomplete last message is not delivered and not an error. */
static void test_truncated(void **state)
{
    struct mbuf b = {0};
    build_converse(&b);
    for (size_t cut = 1; cut < get32(b.p); cut++) {
        struct lt_es_parser p;
        struct collector c = {0};
        assert_int_equal(run_pieces(b.p, get32(b.p) + cut, cut / 2, 0, &c, &p), 0);
        assert_int_equal(c.n, 1);
        lt_es_cleanup(&p);
        collector_free(&c);
    }
    free(b.p);
}

static void test_callback_stop(void **state)
{
    struct mbuf b = {0};
    build_converse(&b);
    struct lt_es_parser p;
    struct collector c = {0};
    c.stop_after = 3;
    lt_es_init(&p, 0);
    assert_int_equal(lt_es_feed(&p, (const char *)b.p, b.n, on_msg, &c), 5);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.m[2].payload, CS_D2);
    assert_int_equal(p.failed, 0);
    lt_es_cleanup(&p);
    collector_free(&c);
    free(b.p);
}

static unsigned char *read_fixture(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("missing fixture %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* The fixture files written by make_streams.py decode as the stream built here. */
static void test_fixture_files(void **state)
{
    size_t n;
    unsigned char *f = read_fixture("tests/fixtures/bedrock/converse_stream.bin", &n);
    all_splits_ok(f, n, converse_want, 7);
    free(f);

    f = read_fixture("tests/fixtures/bedrock/invoke_stream.bin", &n);
    struct lt_es_parser p;
    struct collector c = {0};
    assert_int_equal(run_pieces(f, n, n / 3, 0, &c, &p), 0);
    assert_int_equal(c.n, 7);
    for (size_t i = 0; i < c.n; i++) {
        assert_string_equal(c.m[i].message_type, "event");
        assert_string_equal(c.m[i].event_type, "chunk");
        assert_string_equal(c.m[i].content_type, JSON);
        assert_memory_equal(c.m[i].payload, "{\"bytes\":\"", 10);
    }
    /* base64 of {"type":"message_start", … */
    assert_memory_equal(c.m[0].payload + 10, "eyJ0eXBlIjoibWVzc2FnZV9zdGFydCI", 31);
    lt_es_cleanup(&p);
    collector_free(&c);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_converse_stream),
        cmocka_unit_test(test_invoke_chunks),
        cmocka_unit_test(test_exception_and_error),
        cmocka_unit_test(test_header_types),
        cmocka_unit_test(test_bad_crc),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_fixture_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
