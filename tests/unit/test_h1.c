/* test_h1.c — HTTP/1.1 parser (preload/http/h1.c): provider-shaped requests and responses
 * fed whole, split at every byte offset and byte by byte, each piece against a guard page;
 * the event transcript (heads, body bytes, completions) must be the same for every split. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "http/h1.h"

/* ---- transcript of callback events ---------------------------------------------------- */

struct rec {
    char *s;
    size_t n, cap;
    int head_ret;    /* what on_head returns */
    size_t n_heads;  /* on_head calls */
    size_t n_done;   /* on_complete calls */
    size_t n_bodies; /* on_body calls */
};

static void rec_add(struct rec *r, const char *p, size_t n)
{
    if (r->n + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->n + n + 1)
            cap *= 2;
        r->s = realloc(r->s, cap);
        assert_non_null(r->s);
        r->cap = cap;
    }
    memcpy(r->s + r->n, p, n);
    r->n += n;
    r->s[r->n] = '\0';
}

static void rec_fmt(struct rec *r, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof(tmp));
    rec_add(r, tmp, (size_t)k);
}

static int on_head(void *ud, const struct lt_h1_head *h)
{
    struct rec *r = ud;
    r->n_heads++;
    if (h->method.n)
        rec_fmt(r, "[head %.*s %.*s v%d", (int)h->method.n, h->method.p, (int)h->target.n,
                h->target.p, h->version_minor);
    else
        rec_fmt(r, "[head %d v%d", h->status, h->version_minor);
    rec_fmt(r, " cl=%lld ch=%d close=%d]\n", (long long)h->content_length, h->chunked,
            h->conn_close);
    for (size_t i = 0; i < h->n_headers; i++) {
        rec_add(r, h->headers[i].name.p, h->headers[i].name.n);
        rec_add(r, "=", 1);
        rec_add(r, h->headers[i].value.p, h->headers[i].value.n);
        rec_add(r, "\n", 1);
    }
    rec_fmt(r, "[body]");
    return r->head_ret;
}

static void on_body(void *ud, const char *p, size_t n)
{
    struct rec *r = ud;
    assert_true(n > 0);
    r->n_bodies++;
    rec_add(r, p, n);
}

static void on_complete(void *ud)
{
    struct rec *r = ud;
    r->n_done++;
    rec_fmt(r, "[done]\n");
}

static const struct lt_h1_callbacks CB = {on_head, on_body, on_complete};

/* ---- fixtures ------------------------------------------------------------------------ */

struct fixture {
    const char *name;
    enum lt_h1_kind kind;
    const char *in;
    bool expect_head; /* lt_h1_expect_head(true) before the first byte */
    int head_ret;     /* on_head's answer */
    bool eof;         /* call lt_h1_eof() after the last byte */
    const char *want; /* expected transcript */
    int want_eof;     /* lt_h1_eof() result when eof */
    size_t consumed;  /* bytes consumed when upgraded (0: all) */
    enum lt_h1_state end_state;
};

#define OPENAI_REQ_BODY                                                                            \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are "         \
    "terse.\"},{\"role\":\"user\",\"content\":\"Say hello\"}],\"temperature\":0.2,\"stream\":"     \
    "true,\"stream_options\":{\"include_usage\":true}}"

static const char OPENAI_REQ[] = "POST /v1/chat/completions HTTP/1.1\r\n"
                                 "Host: api.openai.com\r\n"
                                 "Accept-Encoding: gzip, deflate\r\n"
                                 "Connection: keep-alive\r\n"
                                 "Accept: application/json\r\n"
                                 "Content-Type: application/json\r\n"
                                 "User-Agent: OpenAI/Python 1.51.0\r\n"
                                 "Authorization: Bearer sk-test-0000\r\n"
                                 "Content-Length: 191\r\n"
                                 "\r\n" OPENAI_REQ_BODY;

static const char OPENAI_REQ_WANT[] = "[head POST /v1/chat/completions v1 cl=191 ch=0 close=0]\n"
                                      "Host=api.openai.com\n"
                                      "Accept-Encoding=gzip, deflate\n"
                                      "Connection=keep-alive\n"
                                      "Accept=application/json\n"
                                      "Content-Type=application/json\n"
                                      "User-Agent=OpenAI/Python 1.51.0\n"
                                      "Authorization=Bearer sk-test-0000\n"
                                      "Content-Length=191\n"
                                      "[body]" OPENAI_REQ_BODY "[done]\n";

#define SSE_C1                                                                                     \
    "data: {\"id\":\"chatcmpl-A1b2\",\"object\":\"chat.completion.chunk\",\"created\":"            \
    "1718000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{"        \
    "\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
#define SSE_C2                                                                                     \
    "data: {\"id\":\"chatcmpl-A1b2\",\"object\":\"chat.completion.chunk\",\"created\":"            \
    "1718000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{"        \
    "\"content\":\"lo!\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":18,"           \
    "\"completion_tokens\":2,\"total_tokens\":20}}\n\n"
#define SSE_C3 "data: [DONE]\n\n"

/* 207 = 0xcf, 259 = 0x103, 14 = 0xe; extensions, BWS before ';', upper-case and padded hex */
static const char SSE_RESP[] = "HTTP/1.1 200 OK\r\n"
                               "Date: Mon, 10 Jun 2024 06:13:20 GMT\r\n"
                               "Content-Type: text/event-stream; charset=utf-8\r\n"
                               "Transfer-Encoding: chunked\r\n"
                               "Connection: keep-alive\r\n"
                               "openai-processing-ms: 123\r\n"
                               "x-request-id: req_7f1a9c\r\n"
                               "\r\n"
                               "cf;foo=bar\r\n" SSE_C1 "\r\n"
                               "0103 ;name=\"v;x\"\r\n" SSE_C2 "\r\n"
                               "E\r\n" SSE_C3 "\r\n"
                               "0\r\n"
                               "x-trailer: done\r\n"
                               "\r\n";

static const char SSE_RESP_WANT[] = "[head 200 v1 cl=-1 ch=1 close=0]\n"
                                    "Date=Mon, 10 Jun 2024 06:13:20 GMT\n"
                                    "Content-Type=text/event-stream; charset=utf-8\n"
                                    "Transfer-Encoding=chunked\n"
                                    "Connection=keep-alive\n"
                                    "openai-processing-ms=123\n"
                                    "x-request-id=req_7f1a9c\n"
                                    "[body]" SSE_C1 SSE_C2 SSE_C3 "[done]\n";

#define ANTHROPIC_BODY                                                                             \
    "{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\","        \
    "\"model\":\"claude-sonnet-4-20250514\",\"content\":[{\"type\":\"text\",\"text\":"             \
    "\"Hi!\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":12,\"output_tokens\":"     \
    "4}}"

/* 100 Continue and 103 Early Hints are consumed; only the final response is reported. */
static const char CONTINUE_RESP[] = "HTTP/1.1 100 Continue\r\n"
                                    "\r\n"
                                    "HTTP/1.1 103 Early Hints\r\n"
                                    "Link: </style.css>; rel=preload\r\n"
                                    "\r\n"
                                    "HTTP/1.1 200 OK\r\n"
                                    "content-type: application/json\r\n"
                                    "request-id: req_011CQ\r\n"
                                    "content-length: 220\r\n"
                                    "\r\n" ANTHROPIC_BODY;

static const char CONTINUE_RESP_WANT[] = "[head 200 v1 cl=220 ch=0 close=0]\n"
                                         "content-type=application/json\n"
                                         "request-id=req_011CQ\n"
                                         "content-length=220\n"
                                         "[body]" ANTHROPIC_BODY "[done]\n";

/* Answer to HEAD: Content-Length but no body; the next response has its body again. */
static const char HEAD_RESP[] = "HTTP/1.1 200 OK\r\n"
                                "Content-Type: application/json\r\n"
                                "Content-Length: 1234\r\n"
                                "\r\n"
                                "HTTP/1.1 200 OK\r\n"
                                "Content-Length: 2\r\n"
                                "\r\n"
                                "ok";

static const char HEAD_RESP_WANT[] = "[head 200 v1 cl=1234 ch=0 close=0]\n"
                                     "Content-Type=application/json\n"
                                     "Content-Length=1234\n"
                                     "[body][done]\n"
                                     "[head 200 v1 cl=2 ch=0 close=0]\n"
                                     "Content-Length=2\n"
                                     "[body]ok[done]\n";

/* 204 followed by 304 (with a representation Content-Length) and a final 200; bare LF. */
static const char NOBODY_RESP[] = "HTTP/1.1 204 No Content\r\n"
                                  "Content-Length: 0\r\n"
                                  "\r\n"
                                  "HTTP/1.1 304 Not Modified\r\n"
                                  "ETag: \"abc\"\r\n"
                                  "Content-Length: 500\r\n"
                                  "\r\n"
                                  "HTTP/1.1 200\n"
                                  "Content-Length: 3\n"
                                  "\n"
                                  "abc";

static const char NOBODY_RESP_WANT[] = "[head 204 v1 cl=0 ch=0 close=0]\n"
                                       "Content-Length=0\n"
                                       "[body][done]\n"
                                       "[head 304 v1 cl=500 ch=0 close=0]\n"
                                       "ETag=\"abc\"\n"
                                       "Content-Length=500\n"
                                       "[body][done]\n"
                                       "[head 200 v1 cl=3 ch=0 close=0]\n"
                                       "Content-Length=3\n"
                                       "[body]abc[done]\n";

/* No length, not chunked: the body runs until the connection closes. */
static const char CLOSE_RESP[] = "HTTP/1.0 200 OK\r\n"
                                 "Server: uvicorn\r\n"
                                 "Content-Type: application/json\r\n"
                                 "\r\n" ANTHROPIC_BODY;

static const char CLOSE_RESP_WANT[] = "[head 200 v0 cl=-1 ch=0 close=1]\n"
                                      "Server=uvicorn\n"
                                      "Content-Type=application/json\n"
                                      "[body]" ANTHROPIC_BODY "[done]\n";

#define ANTHROPIC_REQ_BODY                                                                         \
    "{\"model\":\"claude-sonnet-4-20250514\",\"max_tokens\":1024,\"messages\":[{\"role\":"         \
    "\"user\",\"content\":\"Hello, Claude\"}]}"

/* Three pipelined requests in one buffer: GET without body, Content-Length body, chunked
 * body with a trailer; empty lines between messages are tolerated (RFC 9112 §2.2). */
static const char PIPELINE_REQ[] = "\r\nGET /v1/models HTTP/1.1\r\n"
                                   "Host: api.anthropic.com\r\n"
                                   "anthropic-version: 2023-06-01\r\n"
                                   "\r\n"
                                   "POST /v1/messages HTTP/1.1\r\n"
                                   "Host: api.anthropic.com\r\n"
                                   "content-type: application/json\r\n"
                                   "Content-Length: 109\r\n"
                                   "\r\n" ANTHROPIC_REQ_BODY "\r\n"
                                   "POST /v1/messages?beta=true HTTP/1.0\n"
                                   "Host: api.anthropic.com\n"
                                   "Transfer-Encoding: gzip, chunked\n"
                                   "Content-Length: 9\n"
                                   "\n"
                                   "5\nhello\n"
                                   "6\r\n world\r\n"
                                   "0\n"
                                   "\n";

static const char PIPELINE_REQ_WANT[] = "[head GET /v1/models v1 cl=-1 ch=0 close=0]\n"
                                        "Host=api.anthropic.com\n"
                                        "anthropic-version=2023-06-01\n"
                                        "[body][done]\n"
                                        "[head POST /v1/messages v1 cl=109 ch=0 close=0]\n"
                                        "Host=api.anthropic.com\n"
                                        "content-type=application/json\n"
                                        "Content-Length=109\n"
                                        "[body]" ANTHROPIC_REQ_BODY "[done]\n"
                                        "[head POST /v1/messages?beta=true v0 cl=-1 ch=1 "
                                        "close=1]\n"
                                        "Host=api.anthropic.com\n"
                                        "Transfer-Encoding=gzip, chunked\n"
                                        "Content-Length=9\n"
                                        "[body]hello world[done]\n";

/* 101: reported (head + complete), then the bytes stop being HTTP. */
static const char UPGRADE_HEAD[] = "HTTP/1.1 101 Switching Protocols\r\n"
                                   "Upgrade: websocket\r\n"
                                   "Connection: Upgrade\r\n"
                                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                   "\r\n";
static const char UPGRADE_RESP[] = "HTTP/1.1 101 Switching Protocols\r\n"
                                   "Upgrade: websocket\r\n"
                                   "Connection: Upgrade\r\n"
                                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                   "\r\n"
                                   "\x81\x05hello";

static const char UPGRADE_RESP_WANT[] = "[head 101 v1 cl=-1 ch=0 close=0]\n"
                                        "Upgrade=websocket\n"
                                        "Connection=Upgrade\n"
                                        "Sec-WebSocket-Accept=s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n"
                                        "[body][done]\n";

/* on_head returns 1: framed (chunked) but not delivered, still completed; then next. */
static const char SKIP_RESP[] = "HTTP/1.1 200 OK\r\n"
                                "Transfer-Encoding: chunked\r\n"
                                "\r\n"
                                "4\r\nabcd\r\n0\r\n\r\n"
                                "HTTP/1.1 404 Not Found\r\n"
                                "Content-Length: 5\r\n"
                                "\r\n"
                                "nope!";

static const char SKIP_RESP_WANT[] = "[head 200 v1 cl=-1 ch=1 close=0]\n"
                                     "Transfer-Encoding=chunked\n"
                                     "[body][done]\n"
                                     "[head 404 v1 cl=5 ch=0 close=0]\n"
                                     "Content-Length=5\n"
                                     "[body][done]\n";

/* Content-Length given as a list of identical values, Connection: close on HTTP/1.1. */
static const char CL_LIST_RESP[] = "HTTP/1.1 200 OK\r\n"
                                   "Content-Length: 3, 3\r\n"
                                   "content-length: 3\r\n"
                                   "Connection: Keep-Alive, close\r\n"
                                   "X-Empty:\r\n"
                                   "\r\n"
                                   "xyz";

static const char CL_LIST_RESP_WANT[] = "[head 200 v1 cl=3 ch=0 close=1]\n"
                                        "Content-Length=3, 3\n"
                                        "content-length=3\n"
                                        "Connection=Keep-Alive, close\n"
                                        "X-Empty=\n"
                                        "[body]xyz[done]\n";

#define FX(n, k, s, w) .name = n, .kind = k, .in = s, .want = w

static const struct fixture FIXTURES[] = {
    {FX("openai request", LT_H1_REQUEST, OPENAI_REQ, OPENAI_REQ_WANT), .want_eof = 1},
    {FX("sse chunked", LT_H1_RESPONSE, SSE_RESP, SSE_RESP_WANT), .eof = true, .want_eof = 1},
    {FX("100 continue", LT_H1_RESPONSE, CONTINUE_RESP, CONTINUE_RESP_WANT)},
    {FX("head response", LT_H1_RESPONSE, HEAD_RESP, HEAD_RESP_WANT), .expect_head = true},
    {FX("204 304", LT_H1_RESPONSE, NOBODY_RESP, NOBODY_RESP_WANT)},
    {FX("close delimited", LT_H1_RESPONSE, CLOSE_RESP, CLOSE_RESP_WANT), .eof = true,
     .want_eof = 0},
    {FX("pipeline", LT_H1_REQUEST, PIPELINE_REQ, PIPELINE_REQ_WANT), .eof = true, .want_eof = 1},
    {FX("upgrade", LT_H1_RESPONSE, UPGRADE_RESP, UPGRADE_RESP_WANT),
     .consumed = sizeof(UPGRADE_HEAD) - 1, .end_state = LT_H1_S_UPGRADED, .eof = true,
     .want_eof = 1},
    {FX("skip body", LT_H1_RESPONSE, SKIP_RESP, SKIP_RESP_WANT), .head_ret = 1},
    {FX("cl list", LT_H1_RESPONSE, CL_LIST_RESP, CL_LIST_RESP_WANT)},
};

/* ---- feeding ------------------------------------------------------------------------- */

struct run {
    struct lt_h1_parser p;
    struct rec rec;
    ssize_t err;     /* first negative lt_h1_feed result, 0 if none */
    size_t consumed; /* bytes consumed in total */
    bool upgraded;
};

static void run_start(struct run *r, enum lt_h1_kind kind, bool expect_head, int head_ret)
{
    memset(r, 0, sizeof(*r));
    lt_h1_init(&r->p, kind);
    if (expect_head)
        lt_h1_expect_head(&r->p, true);
    r->rec.head_ret = head_ret;
}

/* Feed one piece from a guard-page copy; stop at the first error or the upgrade. */
static void run_piece(struct run *r, const char *p, size_t n)
{
    if (r->err || r->upgraded)
        return;
    struct guarded g = guard_copy(p, n);
    ssize_t k = lt_h1_feed(&r->p, g.p, n, &CB, &r->rec);
    guard_free(&g);
    if (k < 0) {
        r->err = k;
        assert_int_equal(r->p.state, LT_H1_S_ERROR);
        return;
    }
    assert_true((size_t)k <= n);
    r->consumed += (size_t)k;
    if (r->p.state == LT_H1_S_UPGRADED)
        r->upgraded = true;
    else
        assert_int_equal((size_t)k, n);
}

static void run_end(struct run *r)
{
    free(r->rec.s);
    lt_h1_cleanup(&r->p);
}

/* Feed `in` as pieces of `step` bytes (0: two pieces split at `cut`). */
static void run_fixture(struct run *r, const struct fixture *fx, size_t cut, size_t step)
{
    size_t n = strlen(fx->in);
    run_start(r, fx->kind, fx->expect_head, fx->head_ret);
    if (step == 0) {
        run_piece(r, fx->in, cut);
        run_piece(r, fx->in + cut, n - cut);
    } else {
        for (size_t i = 0; i < n; i += step)
            run_piece(r, fx->in + i, n - i < step ? n - i : step);
    }
}

static void check_fixture(const struct fixture *fx, size_t cut, size_t step)
{
    struct run r;
    size_t n = strlen(fx->in);
    run_fixture(&r, fx, cut, step);
    if (!r.rec.s || strcmp(r.rec.s, fx->want) != 0)
        fail_msg("%s (cut %zu step %zu): got\n%s\nwant\n%s", fx->name, cut, step,
                 r.rec.s ? r.rec.s : "(nothing)", fx->want);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.consumed, fx->consumed ? fx->consumed : n);
    assert_int_equal(r.p.state, fx->end_state);
    if (fx->eof) {
        size_t done = r.rec.n_done;
        assert_int_equal(lt_h1_eof(&r.p, &CB, &r.rec), fx->want_eof);
        assert_int_equal(r.rec.n_done, done); /* eof's completion is already in `want` */
    } else {
        /* without eof every message ended on its own; a close-delimited one is pending */
        int e = lt_h1_eof(&r.p, &CB, &r.rec);
        assert_true(e == 1 || e == 0);
    }
    run_end(&r);
}

static void test_fixtures_whole(void **state)
{
    for (size_t i = 0; i < sizeof(FIXTURES) / sizeof(FIXTURES[0]); i++) {
        const struct fixture *fx = &FIXTURES[i];
        struct run r;
        run_fixture(&r, fx, strlen(fx->in), 0);
        if (fx->eof)
            lt_h1_eof(&r.p, &CB, &r.rec);
        if (!r.rec.s || strcmp(r.rec.s, fx->want) != 0)
            fail_msg("%s: got\n%s\nwant\n%s", fx->name, r.rec.s ? r.rec.s : "(none)", fx->want);
        run_end(&r);
    }
}

/* The transcript checked in check_fixture() does not include eof's completion: fold the
 * close-delimited case in by checking the eof result there and here the full text. */
static void test_fixtures_split(void **state)
{
    for (size_t i = 0; i < sizeof(FIXTURES) / sizeof(FIXTURES[0]); i++) {
        const struct fixture *fx = &FIXTURES[i];
        if (fx->eof && fx->want_eof == 0)
            continue; /* close-delimited: see test_close_delimited_split */
        size_t n = strlen(fx->in);
        for (size_t cut = 0; cut <= n; cut++)
            check_fixture(fx, cut, 0);
    }
}

static void test_fixtures_bytewise(void **state)
{
    for (size_t i = 0; i < sizeof(FIXTURES) / sizeof(FIXTURES[0]); i++) {
        const struct fixture *fx = &FIXTURES[i];
        if (fx->eof && fx->want_eof == 0)
            continue;
        check_fixture(fx, 0, 1);
        check_fixture(fx, 0, 7);
    }
}

static void test_close_delimited_split(void **state)
{
    const struct fixture *fx = &FIXTURES[5];
    assert_string_equal(fx->name, "close delimited");
    size_t n = strlen(fx->in);
    for (size_t cut = 0; cut <= n + 1; cut++) {
        struct run r;
        if (cut <= n)
            run_fixture(&r, fx, cut, 0);
        else
            run_fixture(&r, fx, 0, 1);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.consumed, n);
        assert_int_equal(r.rec.n_done, 0);
        assert_int_equal(r.p.state, LT_H1_S_BODY_EOF);
        assert_int_equal(lt_h1_eof(&r.p, &CB, &r.rec), 0);
        assert_int_equal(r.rec.n_done, 1);
        assert_string_equal(r.rec.s, fx->want);
        assert_int_equal(r.p.state, LT_H1_S_HEAD);
        assert_int_equal(lt_h1_eof(&r.p, &CB, &r.rec), 1);
        run_end(&r);
    }
}

/* ---- invalid input ------------------------------------------------------------------- */

struct bad {
    const char *name;
    enum lt_h1_kind kind;
    const char *in;
    ssize_t err;
};

static const struct bad BAD[] = {
    {"bad chunk hex", LT_H1_RESPONSE,
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1g\r\nabc\r\n0\r\n\r\n",
     LT_H1_E_INVALID},
    {"no chunk size", LT_H1_RESPONSE,
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n", LT_H1_E_INVALID},
    {"chunk size overflow", LT_H1_RESPONSE,
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", LT_H1_E_INVALID},
    {"chunk data no crlf", LT_H1_RESPONSE,
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", LT_H1_E_INVALID},
    {"bad status code", LT_H1_RESPONSE, "HTTP/1.1 2x0 OK\r\n\r\n", LT_H1_E_INVALID},
    {"bad version", LT_H1_RESPONSE, "HTTP/2.0 200 OK\r\n\r\n", LT_H1_E_INVALID},
    {"bad protocol", LT_H1_RESPONSE, "HTP/1.1 200 OK\r\n\r\n", LT_H1_E_INVALID},
    {"status 099", LT_H1_RESPONSE, "HTTP/1.1 099 Huh\r\n\r\n", LT_H1_E_INVALID},
    {"status 4 digits", LT_H1_RESPONSE, "HTTP/1.1 2000 OK\r\n\r\n", LT_H1_E_INVALID},
    {"request line", LT_H1_REQUEST, "POST /v1/chat/completions\r\n\r\n", LT_H1_E_INVALID},
    {"space in target", LT_H1_REQUEST, "GET /a b HTTP/1.1\r\n\r\n", LT_H1_E_INVALID},
    {"conflicting content-length", LT_H1_RESPONSE,
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", LT_H1_E_INVALID},
    {"content-length list", LT_H1_REQUEST, "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello!",
     LT_H1_E_INVALID},
    {"content-length sign", LT_H1_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
     LT_H1_E_INVALID},
    {"content-length empty", LT_H1_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
     LT_H1_E_INVALID},
    {"content-length huge", LT_H1_RESPONSE,
     "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", LT_H1_E_INVALID},
    {"obs-fold", LT_H1_RESPONSE, "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", LT_H1_E_INVALID},
    {"space before colon", LT_H1_REQUEST, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", LT_H1_E_INVALID},
    {"no colon", LT_H1_REQUEST, "GET / HTTP/1.1\r\nHost\r\n\r\n", LT_H1_E_INVALID},
    {"bare cr", LT_H1_REQUEST, "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", LT_H1_E_INVALID},
    {"nul in value", LT_H1_REQUEST, "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", LT_H1_E_INVALID},
    {"request te not chunked", LT_H1_REQUEST,
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", LT_H1_E_INVALID},
};

/* Bad inputs given with explicit lengths (an embedded NUL). */
static size_t bad_len(const struct bad *b)
{
    if (strcmp(b->name, "nul in value") == 0)
        return sizeof("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n") - 1;
    return strlen(b->in);
}

static void test_invalid(void **state)
{
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        const struct bad *b = &BAD[i];
        size_t n = bad_len(b);
        for (size_t cut = 0; cut <= n + 1; cut++) {
            struct run r;
            run_start(&r, b->kind, false, 0);
            if (cut <= n) {
                run_piece(&r, b->in, cut);
                run_piece(&r, b->in + cut, n - cut);
            } else {
                for (size_t k = 0; k < n; k++)
                    run_piece(&r, b->in + k, 1);
            }
            if (r.err != b->err)
                fail_msg("%s (cut %zu): err %zd want %zd", b->name, cut, r.err, b->err);
            assert_int_equal(lt_h1_feed(&r.p, "x", 1, &CB, &r.rec), LT_H1_E_STATE);
            assert_int_equal(r.p.state, LT_H1_S_ERROR);
            assert_int_equal(r.rec.n_done, 0);
            assert_int_equal(lt_h1_eof(&r.p, &CB, &r.rec), -1);
            run_end(&r);
        }
    }
}

static void test_too_big(void **state)
{
    size_t n = LT_H1_MAX_HEAD + 4096;
    char *in = malloc(n);
    assert_non_null(in);
    size_t k = (size_t)snprintf(in, n, "HTTP/1.1 200 OK\r\n");
    while (k + 40 < n)
        k += (size_t)snprintf(in + k, n - k, "X-Filler-%06zu: aaaaaaaaaaaaaaa\r\n", k);
    memcpy(in + k, "\r\n", 2);
    k += 2;
    size_t cuts[] = {0, 1, 100, LT_H1_MAX_HEAD - 1, LT_H1_MAX_HEAD, LT_H1_MAX_HEAD + 1, k};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        struct run r;
        run_start(&r, LT_H1_RESPONSE, false, 0);
        run_piece(&r, in, cuts[i]);
        run_piece(&r, in + cuts[i], k - cuts[i]);
        assert_int_equal(r.err, LT_H1_E_TOOBIG);
        assert_int_equal(r.rec.n_heads, 0);
        run_end(&r);
    }
    /* byte by byte: the buffer grows to the cap and stops there */
    struct run r;
    run_start(&r, LT_H1_RESPONSE, false, 0);
    for (size_t i = 0; i < k && !r.err; i++)
        run_piece(&r, in + i, 1);
    assert_int_equal(r.err, LT_H1_E_TOOBIG);
    assert_true(r.p.head_cap <= LT_H1_MAX_HEAD);
    run_end(&r);

    /* exactly LT_H1_MAX_HEAD bytes of head is accepted */
    size_t m = LT_H1_MAX_HEAD;
    k = (size_t)snprintf(in, n, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ");
    memset(in + k, 'a', m - k - 4);
    memcpy(in + m - 4, "\r\n\r\n", 4);
    run_start(&r, LT_H1_RESPONSE, false, 0);
    run_piece(&r, in, m);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.rec.n_done, 1);
    run_end(&r);
    free(in);
}

/* ---- cut-off, callbacks, lookups --------------------------------------------------- */

static void test_cut_off(void **state)
{
    const char *cases[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
        "HTTP/1.1 200 OK\r\nContent-Le",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run r;
        run_start(&r, LT_H1_RESPONSE, false, 0);
        run_piece(&r, cases[i], strlen(cases[i]));
        assert_int_equal(r.err, 0);
        assert_int_equal(lt_h1_eof(&r.p, &CB, &r.rec), -1);
        assert_int_equal(r.rec.n_done, 0);
        run_end(&r);
    }
    /* nothing fed, or only empty lines: no message in progress */
    struct run r;
    run_start(&r, LT_H1_REQUEST, false, 0);
    assert_int_equal(lt_h1_eof(&r.p, &CB, &r.rec), 1);
    run_piece(&r, "\r\n\r\n", 4);
    assert_int_equal(lt_h1_eof(&r.p, &CB, &r.rec), 1);
    run_end(&r);
}

static int stop_head(void *ud, const struct lt_h1_head *h)
{
    return -1;
}

static void test_callback_stop_and_null(void **state)
{
    struct lt_h1_parser p;
    const struct lt_h1_callbacks stop = {stop_head, NULL, NULL};
    lt_h1_init(&p, LT_H1_REQUEST);
    assert_int_equal(lt_h1_feed(&p, OPENAI_REQ, strlen(OPENAI_REQ), &stop, NULL), LT_H1_E_CALLBACK);
    assert_int_equal(p.state, LT_H1_S_ERROR);
    assert_int_equal(lt_h1_feed(&p, "x", 1, &stop, NULL), LT_H1_E_STATE);
    lt_h1_cleanup(&p);

    /* no callbacks at all: still framed */
    lt_h1_init(&p, LT_H1_RESPONSE);
    assert_int_equal(lt_h1_feed(&p, SSE_RESP, strlen(SSE_RESP), NULL, NULL),
                     (ssize_t)strlen(SSE_RESP));
    assert_int_equal(p.state, LT_H1_S_HEAD);
    lt_h1_cleanup(&p);
    lt_h1_cleanup(&p); /* idempotent */
}

static int lookup_head(void *ud, const struct lt_h1_head *h)
{
    int *seen = ud;
    const struct lt_h1_str *v = lt_h1_header_get(h, "X-REQUEST-ID");
    assert_non_null(v);
    assert_int_equal(v->n, 10);
    assert_memory_equal(v->p, "req_7f1a9c", 10);
    v = lt_h1_header_get(h, "content-type");
    assert_non_null(v);
    assert_int_equal(v->n, strlen("text/event-stream; charset=utf-8"));
    assert_null(lt_h1_header_get(h, "x-request"));
    assert_null(lt_h1_header_get(h, "x-trailer")); /* trailers are not reported */
    assert_int_equal(h->status, 200);
    assert_int_equal(h->method.n, 0);
    *seen += 1;
    return 1;
}

static void test_header_get(void **state)
{
    struct lt_h1_parser p;
    const struct lt_h1_callbacks cb = {lookup_head, NULL, NULL};
    int seen = 0;
    lt_h1_init(&p, LT_H1_RESPONSE);
    assert_int_equal(lt_h1_feed(&p, SSE_RESP, strlen(SSE_RESP), &cb, &seen),
                     (ssize_t)strlen(SSE_RESP));
    assert_int_equal(seen, 1);
    lt_h1_cleanup(&p);
}

/* More than LT_H1_MAX_HEADERS fields: the rest is dropped from the view, still framed. */
static void test_many_headers(void **state)
{
    char in[8192];
    size_t k = (size_t)snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < LT_H1_MAX_HEADERS + 20; i++)
        k += (size_t)snprintf(in + k, sizeof(in) - k, "X-H%d: %d\r\n", i, i);
    k += (size_t)snprintf(in + k, sizeof(in) - k, "Content-Length: 4\r\n\r\nbody");
    struct run r;
    run_start(&r, LT_H1_RESPONSE, false, 0);
    run_piece(&r, in, k);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.rec.n_done, 1);
    assert_non_null(strstr(r.rec.s, "cl=4"));
    assert_non_null(strstr(r.rec.s, "[body]body[done]"));
    assert_null(strstr(r.rec.s, "X-H100="));
    run_end(&r);
}

/* expect_head is kept through interim responses and cleared after the final one. */
static void test_expect_head_interim(void **state)
{
    static const char in[] = "HTTP/1.1 100 Continue\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz";
    struct run r;
    run_start(&r, LT_H1_RESPONSE, true, 0);
    run_piece(&r, in, sizeof(in) - 1);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.rec.n_done, 2);
    assert_non_null(strstr(r.rec.s, "[body][done]\n[head 200"));
    assert_non_null(strstr(r.rec.s, "[body]z[done]\n"));
    assert_false(r.p.expect_no_body);
    run_end(&r);
}

/* The body path hands over the caller's bytes in one call per feed (no copies). */
static void test_body_zero_copy(void **state)
{
    static const char in[] = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
    struct run r;
    size_t head = sizeof(in) - 1 - 10;
    run_start(&r, LT_H1_REQUEST, false, 0);
    run_piece(&r, in, head + 3);
    run_piece(&r, in + head + 3, 7);
    assert_int_equal(r.rec.n_bodies, 2);
    assert_int_equal(r.rec.n_done, 1);
    run_end(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_whole),
        cmocka_unit_test(test_fixtures_split),
        cmocka_unit_test(test_fixtures_bytewise),
        cmocka_unit_test(test_close_delimited_split),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_cut_off),
        cmocka_unit_test(test_callback_stop_and_null),
        cmocka_unit_test(test_header_get),
        cmocka_unit_test(test_many_headers),
        cmocka_unit_test(test_expect_head_interim),
        cmocka_unit_test(test_body_zero_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
