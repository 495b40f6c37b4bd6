/* test_conn.c — HTTP/1.1 exchange reconstruction on a connection (conn.c), driven the way
 * the hooks drive it, with every request and response split at every byte. The exporter is
 * replaced by a stub that collects the finished exchanges. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../export/export.h"
#include "config.h"
#include "conn.h"
#include "exchange.h"
#include "genai/genai.h"
#include "guard.h"

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
    lt_genai_set_providers("api.anthropic.com=anthropic");
    return 0;
}

/* ---- fixtures ------------------------------------------------------------------------- */
#define OPENAI_BODY                                                                                \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
static const char openai_req[] = "POST /v1/chat/completions HTTP/1.1\r\n"
                                 "Host: api.openai.com\r\n"
                                 "Authorization: Bearer sk-test-SECRET\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Length: 67\r\n"
                                 "\r\n" OPENAI_BODY;
static const char sse_resp[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/event-stream\r\n"
                               "x-request-id: req_123\r\n"
                               "Transfer-Encoding: chunked\r\n"
                               "\r\n"
                               "f\r\ndata: {\"a\":1}\n\n\r\n"
                               "e\r\ndata: [DONE]\n\n\r\n"
                               "0\r\n\r\n";
static const char sse_body[] = "data: {\"a\":1}\n\ndata: [DONE]\n\n";
static const char plain_req[] = "GET /download HTTP/1.1\r\nHost: example.com\r\n\r\n";
static const char plain_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

static void write_split(struct ssl_st *ssl, const char *p, size_t n, size_t cut)
{
    lt_conn_on_write(ssl, p, cut);
    if (n > cut)
        lt_conn_on_write(ssl, p + cut, n - cut);
}

static void read_split(struct ssl_st *ssl, const char *p, size_t n, size_t cut)
{
    if (cut)
        lt_conn_on_read(ssl, p, cut);
    if (n > cut)
        lt_conn_on_read(ssl, p + cut, n - cut);
}

static void test_stream_every_split(void **state)
{
    size_t nreq = strlen(openai_req), nresp = strlen(sse_resp);
    assert_int_equal(strlen(OPENAI_BODY), 67);
    for (size_t cut = 1; cut <= nreq + nresp; cut++) {
        struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)(0x1000 + cut * 16);
        write_split(ssl, openai_req, nreq, cut < nreq ? cut : nreq);
        read_split(ssl, sse_resp, nresp, cut < nresp ? cut : nresp);
        assert_int_equal(n_got, 1);
        struct lt_exchange *x = got[0];
        assert_int_equal(x->api, LT_API_OPENAI_CHAT);
        assert_string_equal(x->provider, "openai");
        assert_string_equal(x->server_address, "api.openai.com");
        assert_int_equal(x->server_port, 443);
        assert_string_equal(x->target, "/v1/chat/completions");
        assert_int_equal(x->status, 200);
        assert_string_equal(x->resp_content_type, "text/event-stream");
        assert_int_equal(x->end, LT_END_COMPLETE);
        assert_int_equal(x->req_body.len, 67);
        assert_memory_equal(x->req_body.data, OPENAI_BODY, 67);
        assert_int_equal(x->resp_body.len, strlen(sse_body));
        assert_memory_equal(x->resp_body.data, sse_body, strlen(sse_body));
        assert_non_null(strstr(openai_req, "SECRET")); /* the fixture carries a secret... */
        assert_null(memmem(x->req_body.data, x->req_body.len, "SECRET", 6)); /* ...not kept */
        lt_conn_on_free(ssl);
        reset();
    }
}

static void test_keepalive_and_non_llm(void **state)
{
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0xabc0;
    for (int i = 0; i < 3; i++) {
        lt_conn_on_write(ssl, plain_req, strlen(plain_req));
        lt_conn_on_read(ssl, plain_resp, strlen(plain_resp));
        lt_conn_on_write(ssl, openai_req, strlen(openai_req));
        /* byte by byte */
        for (size_t j = 0; j < strlen(sse_resp); j++)
            lt_conn_on_read(ssl, sse_resp + j, 1);
    }
    assert_int_equal(n_got, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(got[i]->end, LT_END_COMPLETE);
    lt_conn_on_free(ssl);
    reset();
}

/* The thread's cached record (conn.c, conn_use): calls alternating between two connections
 * each reach their own record, and a session freed and then reallocated at the same address
 * gets a fresh record, never the released one (its exchange was cut off at the free). */
static void test_thread_cache_switch_and_reuse(void **state)
{
    struct ssl_st *a = (struct ssl_st *)(uintptr_t)0xa000, *b = (struct ssl_st *)(uintptr_t)0xb000;
    size_t nresp = strlen(sse_resp), half = nresp / 2;
    lt_conn_on_write(a, openai_req, strlen(openai_req));
    lt_conn_on_write(b, openai_req, strlen(openai_req));
    lt_conn_on_read(a, sse_resp, half);
    lt_conn_on_read(b, sse_resp, 3);
    lt_conn_on_read(a, sse_resp + half, nresp - half);
    assert_int_equal(n_got, 1);
    lt_conn_on_read(b, sse_resp + 3, half - 3); /* the last record this thread used */
    lt_conn_on_free(b); /* b's record is the cached one: cut off, and marked gone */
    assert_int_equal(n_got, 2);
    assert_int_equal(got[0]->end, LT_END_COMPLETE);
    assert_int_equal(got[1]->end, LT_END_CUT_OFF);
    /* a new session at b's address: the rest of the old response means nothing to it */
    lt_conn_on_read(b, sse_resp + half, nresp - half);
    lt_conn_on_write(b, plain_req, strlen(plain_req));
    lt_conn_on_read(b, plain_resp, strlen(plain_resp));
    lt_conn_on_write(b, openai_req, strlen(openai_req));
    lt_conn_on_read(b, sse_resp, nresp);
    assert_int_equal(n_got, 3);
    assert_int_equal(got[2]->end, LT_END_COMPLETE);
    assert_int_equal(got[2]->resp_body.len, strlen(sse_body));
    /* the new record is the table's: freeing the session cuts its open exchange off */
    lt_conn_on_write(b, openai_req, strlen(openai_req));
    lt_conn_on_read(b, sse_resp, half);
    lt_conn_on_free(b);
    assert_int_equal(n_got, 4);
    assert_int_equal(got[3]->end, LT_END_CUT_OFF);
    lt_conn_on_free(a);
    reset();
}

static void test_cut_off(void **state)
{
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0xdef0;
    lt_conn_on_write(ssl, openai_req, strlen(openai_req));
    lt_conn_on_read(ssl, sse_resp, strlen(sse_resp) - 20);
    assert_int_equal(n_got, 0);
    lt_conn_on_free(ssl);
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0]->end, LT_END_CUT_OFF);
    reset();
}

static void test_close_delimited(void **state)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Connection: close\r\n\r\n{\"id\":\"x\"}";
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0xfed0;
    lt_conn_on_write(ssl, openai_req, strlen(openai_req));
    lt_conn_on_read(ssl, resp, strlen(resp));
    assert_int_equal(n_got, 0);
    lt_conn_on_free(ssl); /* end of connection ends the body */
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0]->end, LT_END_COMPLETE);
    assert_string_equal(got[0]->resp_body.data, "{\"id\":\"x\"}");
    reset();
}

static void test_not_http(void **state)
{
    static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0x5550;
    lt_conn_on_write(ssl, h2, strlen(h2));
    lt_conn_on_write(ssl, openai_req, strlen(openai_req));
    lt_conn_on_read(ssl, sse_resp, strlen(sse_resp));
    lt_conn_on_free(ssl);
    assert_int_equal(n_got, 0);
}

static void test_non_llm_response_never_parsed(void **state)
{
    /* Garbage on the read side of a non-LLM connection must not matter. */
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0x7770;
    lt_conn_on_write(ssl, plain_req, strlen(plain_req));
    lt_conn_on_read(ssl, "\x00\x01garbage", 9);
    lt_conn_on_write(ssl, openai_req, strlen(openai_req));
    lt_conn_on_read(ssl, sse_resp, strlen(sse_resp));
    lt_conn_on_free(ssl);
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0]->end, LT_END_COMPLETE);
    reset();
}

static void test_anthropic_host_port(void **state)
{
    static const char req[] = "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com:8443\r\n"
                              "x-api-key: sk-ant-SECRET\r\nContent-Length: 2\r\n\r\n{}";
    static const char resp[] = "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 2\r\n\r\n{}";
    struct ssl_st *ssl = (struct ssl_st *)(uintptr_t)0x8880;
    lt_conn_on_write(ssl, req, strlen(req));
    lt_conn_on_read(ssl, resp, strlen(resp));
    lt_conn_on_free(ssl);
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0]->api, LT_API_ANTHROPIC_MESSAGES);
    assert_string_equal(got[0]->provider, "anthropic");
    assert_string_equal(got[0]->server_address, "api.anthropic.com");
    assert_int_equal(got[0]->server_port, 8443);
    assert_int_equal(got[0]->status, 429);
    reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stream_every_split, teardown_each),
        cmocka_unit_test_teardown(test_keepalive_and_non_llm, teardown_each),
        cmocka_unit_test_teardown(test_thread_cache_switch_and_reuse, teardown_each),
        cmocka_unit_test_teardown(test_cut_off, teardown_each),
        cmocka_unit_test_teardown(test_close_delimited, teardown_each),
        cmocka_unit_test_teardown(test_not_http, teardown_each),
        cmocka_unit_test_teardown(test_non_llm_response_never_parsed, teardown_each),
        cmocka_unit_test_teardown(test_anthropic_host_port, teardown_each),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
