/* test_conn_h2.c — HTTP/2 exchange reconstruction on a connection (conn_h2.c through
 * conn.c's entry points): streams multiplexed on one connection, each LLM stream one
 * exchange with :authority as its host, non-LLM streams untracked, RST_STREAM and GOAWAY
 * ending streams. Header blocks are encoded with nghttp2's own HPACK deflater; both
 * directions are fed split at every byte. The exporter is a stub collecting exchanges. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

#include "../../export/export.h"
#include "config.h"
#include "conn.h"
#include "exchange.h"
#include "genai/genai.h"

/* ---- exporter stub -------------------------------------------------------------------- */
static struct lt_exchange *got[64];
static size_t n_got;

bool lt_export_submit(struct lt_exchange *x)
{
    assert_true(n_got < 64);
    got[n_got++] = x;
    return true;
}

void lt_export_arm_exit(void) {}

static void reset(void)
{
    for (size_t i = 0; i < n_got; i++)
        lt_exchange_free(got[i]);
    n_got = 0;
}

static int teardown_each(void **state)
{
    reset();
    return 0;
}

static int setup(void **state)
{
    lt_cfg.max_body = 1 << 20;
    return 0;
}

/* ---- frame building ------------------------------------------------------------------- */
struct wire {
    unsigned char b[16384];
    size_t n;
};

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
                  size_t n)
{
    assert_true(w->n + 9 + n <= sizeof(w->b));
    unsigned char *h = w->b + w->n;
    h[0] = (unsigned char)(n >> 16);
    h[1] = (unsigned char)(n >> 8);
    h[2] = (unsigned char)n;
    h[3] = type;
    h[4] = flags;
    h[5] = (unsigned char)(sid >> 24);
    h[6] = (unsigned char)(sid >> 16);
    h[7] = (unsigned char)(sid >> 8);
    h[8] = (unsigned char)sid;
    memcpy(h + 9, p, n);
    w->n += 9 + n;
}

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE         \
    }

static void headers(struct wire *w, nghttp2_hd_deflater *d, uint32_t sid, const nghttp2_nv *nv,
                    size_t n, bool end_stream)
{
    uint8_t block[4096];
    ssize_t len = nghttp2_hd_deflate_hd(d, block, sizeof(block), nv, n);
    assert_true(len > 0);
    frame(w, 0x1, (uint8_t)(0x4 | (end_stream ? 0x1 : 0)), sid, block, (size_t)len);
}

static void data(struct wire *w, uint32_t sid, const char *s, bool end_stream)
{
    frame(w, 0x0, end_stream ? 0x1 : 0, sid, s, strlen(s));
}

static void rst(struct wire *w, uint32_t sid, uint32_t code)
{
    unsigned char p[4] = {(unsigned char)(code >> 24), (unsigned char)(code >> 16),
                          (unsigned char)(code >> 8), (unsigned char)code};
    frame(w, 0x3, 0, sid, p, 4);
}

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define CHAT_BODY "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[]}"
#define SSE_BODY "data: {\"id\":\"c1\"}\n\ndata: [DONE]\n\n"

/* Client: preface, SETTINGS, stream 1 POST chat (LLM), stream 3 GET (not), stream 5 POST
 * chat again (HPACK-indexed this time). Server: SETTINGS, then interleaved answers. */
static void build(struct wire *cli, struct wire *srv)
{
    nghttp2_hd_deflater *dc, *ds;
    assert_int_equal(nghttp2_hd_deflate_new(&dc, 4096), 0);
    assert_int_equal(nghttp2_hd_deflate_new(&ds, 4096), 0);
    memcpy(cli->b, preface, 24);
    cli->n = 24;
    frame(cli, 0x4, 0, 0, "", 0);
    const nghttp2_nv req[] = {
        NV(":method", "POST"),
        NV(":scheme", "https"),
        NV(":authority", "api.openai.com"),
        NV(":path", "/v1/chat/completions"),
        NV("authorization", "Bearer sk-SECRET"),
        NV("content-type", "application/json"),
    };
    const nghttp2_nv get[] = {
        NV(":method", "GET"),
        NV(":scheme", "https"),
        NV(":authority", "api.openai.com"),
        NV(":path", "/v1/models"),
    };
    headers(cli, dc, 1, req, 6, false);
    headers(cli, dc, 3, get, 4, true);
    data(cli, 1, CHAT_BODY, true);
    headers(cli, dc, 5, req, 6, false);
    data(cli, 5, CHAT_BODY, true);

    const nghttp2_nv ok[] = {NV(":status", "200"), NV("content-type", "text/event-stream")};
    const nghttp2_nv js[] = {NV(":status", "200"), NV("content-type", "application/json")};
    frame(srv, 0x4, 0, 0, "", 0);
    frame(srv, 0x4, 0x1, 0, "", 0); /* SETTINGS ACK */
    headers(srv, ds, 1, ok, 2, false);
    headers(srv, ds, 3, js, 2, false);
    data(srv, 1, "data: {\"id\":\"c1\"}\n\n", false);
    data(srv, 3, "{\"data\":[]}", true);
    headers(srv, ds, 5, ok, 2, false);
    data(srv, 5, SSE_BODY, true);
    data(srv, 1, "data: [DONE]\n\n", true);
    nghttp2_hd_deflate_del(dc);
    nghttp2_hd_deflate_del(ds);
}

static void feed_split(bool write, struct ssl_st *ssl, const unsigned char *p, size_t n, size_t cut)
{
    if (cut) {
        if (write)
            lt_conn_on_write(ssl, p, cut);
        else
            lt_conn_on_read(ssl, p, cut);
    }
    if (n > cut) {
        if (write)
            lt_conn_on_write(ssl, p + cut, n - cut);
        else
            lt_conn_on_read(ssl, p + cut, n - cut);
    }
}

static struct lt_exchange *by_stream_body(const char *resp)
{
    for (size_t i = 0; i < n_got; i++)
        if (got[i]->resp_body.len == strlen(resp) &&
            memcmp(got[i]->resp_body.data, resp, strlen(resp)) == 0)
            return got[i];
    return NULL;
}

static void test_multiplexed_every_split(void **state)
{
    struct wire cli = {0}, srv = {0};
    build(&cli, &srv);
    size_t max = cli.n > srv.n ? cli.n : srv.n;
    for (size_t cut = 0; cut <= max; cut++) {
        struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)(0x10000 + cut * 16);
        feed_split(true, ssl, cli.b, cli.n, cut < cli.n ? cut : cli.n);
        feed_split(false, ssl, srv.b, srv.n, cut < srv.n ? cut : srv.n);
        lt_conn_on_free(ssl);
        assert_int_equal(n_got, 2); /* streams 1 and 5; the GET is not tracked */
        struct lt_exchange *x5 = by_stream_body(SSE_BODY);
        assert_non_null(x5);
        for (size_t i = 0; i < 2; i++) {
            struct lt_exchange *x = got[i];
            assert_int_equal(x->end, LT_END_COMPLETE);
            assert_int_equal(x->api, LT_API_OPENAI_CHAT);
            assert_string_equal(x->provider, "openai");
            assert_string_equal(x->server_address, "api.openai.com");
            assert_int_equal(x->server_port, 443);
            assert_string_equal(x->method, "POST");
            assert_string_equal(x->target, "/v1/chat/completions");
            assert_int_equal(x->status, 200);
            assert_string_equal(x->resp_content_type, "text/event-stream");
            assert_int_equal(x->req_body.len, strlen(CHAT_BODY));
            assert_memory_equal(x->req_body.data, CHAT_BODY, strlen(CHAT_BODY));
            assert_int_equal(x->resp_body.len, strlen(SSE_BODY)); /* stream 1 reassembled */
        }
        reset();
    }
}

static void test_one_byte_at_a_time(void **state)
{
    struct wire cli = {0}, srv = {0};
    build(&cli, &srv);
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0x9990;
    for (size_t i = 0; i < cli.n; i++)
        lt_conn_on_write(ssl, cli.b + i, 1);
    for (size_t i = 0; i < srv.n; i++)
        lt_conn_on_read(ssl, srv.b + i, 1);
    lt_conn_on_free(ssl);
    assert_int_equal(n_got, 2);
    assert_int_equal(got[0]->end, LT_END_COMPLETE);
    assert_int_equal(got[1]->end, LT_END_COMPLETE);
    reset();
}

static void test_reset_and_cut_off(void **state)
{
    nghttp2_hd_deflater *dc, *ds;
    assert_int_equal(nghttp2_hd_deflate_new(&dc, 4096), 0);
    assert_int_equal(nghttp2_hd_deflate_new(&ds, 4096), 0);
    struct wire cli = {0}, srv = {0};
    memcpy(cli.b, preface, 24);
    cli.n = 24;
    const nghttp2_nv req[] = {
        NV(":method", "POST"),
        NV(":authority", "api.anthropic.com:8443"),
        NV(":path", "/v1/messages"),
    };
    frame(&cli, 0x4, 0, 0, "", 0);
    frame(&srv, 0x4, 0, 0, "", 0);
    headers(&cli, dc, 1, req, 3, false);
    data(&cli, 1, "{}", true);
    headers(&cli, dc, 3, req, 3, false);
    data(&cli, 3, "{}", true);
    const nghttp2_nv ok[] = {NV(":status", "200")};
    headers(&srv, ds, 1, ok, 1, false);
    data(&srv, 1, "event: ping\n", false);
    rst(&srv, 1, 0x2); /* INTERNAL_ERROR */
    headers(&srv, ds, 3, ok, 1, false);
    data(&srv, 3, "event: ping\n", false);
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0xabc0;
    lt_conn_on_write(ssl, cli.b, cli.n);
    lt_conn_on_read(ssl, srv.b, srv.n);
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0]->end, LT_END_RESET);
    assert_int_equal(got[0]->h2_error, 2);
    assert_string_equal(got[0]->server_address, "api.anthropic.com");
    assert_int_equal(got[0]->server_port, 8443);
    assert_int_equal(got[0]->api, LT_API_ANTHROPIC_MESSAGES);
    lt_conn_on_free(ssl); /* stream 3 is cut off by the end of the connection */
    assert_int_equal(n_got, 2);
    assert_int_equal(got[1]->end, LT_END_CUT_OFF);
    nghttp2_hd_deflate_del(dc);
    nghttp2_hd_deflate_del(ds);
    reset();
}

static void test_h1_after_partial_preface_mismatch(void **state)
{
    /* A first write of "P" could start the HTTP/2 preface; "OST …" then rules it out and the
     * buffered byte plus the rest are one HTTP/1.1 request. */
    static const char req[] = "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
                              "Content-Length: 2\r\n\r\n{}";
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0xdef0;
    lt_conn_on_write(ssl, "P", 1);
    lt_conn_on_write(ssl, req + 1, strlen(req) - 1);
    lt_conn_on_read(ssl, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 41);
    lt_conn_on_free(ssl);
    assert_int_equal(n_got, 1); /* "P" + "OST …" is one HTTP/1.1 request */
    assert_int_equal(got[0]->status, 200);
    reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_multiplexed_every_split, teardown_each),
        cmocka_unit_test_teardown(test_one_byte_at_a_time, teardown_each),
        cmocka_unit_test_teardown(test_reset_and_cut_off, teardown_each),
        cmocka_unit_test_teardown(test_h1_after_partial_preface_mismatch, teardown_each),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
