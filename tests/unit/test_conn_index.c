/* test_conn_index.c — the connection index of conn.h (the hooks' lock-free "does this call
 * need llmtap?"): the interest bits it publishes as a connection's protocol and exchanges
 * change, deletion and slot reuse, and the fallback when a record finds no slot. */
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

/* ---- exporter stub -------------------------------------------------------------------- */
static size_t n_got;

bool lt_export_submit(struct lt_exchange *x)
{
    n_got++;
    lt_exchange_free(x);
    return true;
}

void lt_export_arm_exit(void) {}

static int setup(void **state)
{
    lt_cfg.max_body = 1 << 20;
    return 0;
}

#define ALL (LT_CONN_READS | LT_CONN_WRITES | LT_CONN_KNOWN)
#define KEY(i) ((struct ssl_st *)(uintptr_t)(0x5550000 + 64 * (uintptr_t)(i)))

static const char llm_req[] = "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
                              "Content-Length: 2\r\n\r\n{}";
static const char llm_resp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 2\r\n\r\n{}";
static const char web_req[] = "POST /upload HTTP/1.1\r\nHost: www.example.org\r\n"
                              "Content-Length: 10\r\n\r\n";

static size_t index_used(void)
{
    size_t n = 0;
    for (size_t i = 0; i < LT_CONN_INDEX_SIZE; i++)
        n += lt_conn_index[i] != 0;
    return n;
}

static void test_states(void **state)
{
    struct ssl_st *k = KEY(1);
    assert_int_equal(lt_conn_interest(k), LT_CONN_WRITES); /* unknown: only a write matters */
    assert_int_equal(lt_conn_interest(NULL), 0);

    /* A non-LLM request: writes are framed, reads need nothing. */
    lt_conn_on_write(k, web_req, sizeof(web_req) - 1);
    assert_int_equal(lt_conn_interest(k), LT_CONN_KNOWN | LT_CONN_WRITES);
    lt_conn_on_write(k, "0123456789", 10);
    assert_int_equal(lt_conn_interest(k), LT_CONN_KNOWN | LT_CONN_WRITES);

    /* An LLM request on the same connection: its response is awaited, then it is not. */
    lt_conn_on_write(k, llm_req, sizeof(llm_req) - 1);
    assert_int_equal(lt_conn_interest(k), ALL);
    lt_conn_on_read(k, llm_resp, sizeof(llm_resp) - 1);
    assert_int_equal(lt_conn_interest(k), LT_CONN_KNOWN | LT_CONN_WRITES);
    assert_int_equal(n_got, 1);

    lt_conn_on_free(k);
    assert_int_equal(lt_conn_interest(k), LT_CONN_WRITES);
    assert_int_equal(index_used(), 0);
}

static void test_not_http(void **state)
{
    /* A TLS record, a binary protocol: ignored on the first bytes, nothing matters after. */
    static const char *const firsts[] = {"\x16\x03\x01\x02\x00", "\x80\x81", " GET / HTTP/1.1",
                                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof(firsts) / sizeof(*firsts); i++) {
        struct ssl_st *k = KEY(100 + i);
        lt_conn_on_write(k, firsts[i], strlen(firsts[i]));
        assert_int_equal(lt_conn_interest(k), LT_CONN_KNOWN);
        lt_conn_on_free(k);
    }
    /* The start of a method (split anywhere) and the HTTP/2 preface are not ruled out. */
    static const char *const maybe[] = {"P", "POS", "\r\nGET", "PRI * HTTP/2.0"};
    for (size_t i = 0; i < sizeof(maybe) / sizeof(*maybe); i++) {
        struct ssl_st *k = KEY(200 + i);
        lt_conn_on_write(k, maybe[i], strlen(maybe[i]));
        assert_int_equal(lt_conn_interest(k) & LT_CONN_WRITES, LT_CONN_WRITES);
        lt_conn_on_free(k);
    }
    /* Split request head: "PO" then "ST /v1/chat/completions ..." is still an LLM call. */
    struct ssl_st *k = KEY(300);
    lt_conn_on_write(k, llm_req, 2);
    lt_conn_on_write(k, llm_req + 2, sizeof(llm_req) - 3);
    assert_int_equal(lt_conn_interest(k), ALL);
    lt_conn_on_free(k);
    assert_int_equal(index_used(), 0);
}

static void test_many(void **state)
{
    /* Thousands of connections come and go: every live one is found, every freed one is
     * gone, and the index is empty again at the end (deleted slots are reclaimed). */
    enum { N = 3000 };
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++)
            lt_conn_on_write(KEY(1000 + i + round * 7), "\x80", 1);
        assert_int_equal(lt_conn_unindexed, 0);
        for (int i = 0; i < N; i += 2)
            lt_conn_on_free(KEY(1000 + i + round * 7));
        for (int i = 0; i < N; i++)
            assert_int_equal(lt_conn_interest(KEY(1000 + i + round * 7)),
                             i % 2 ? LT_CONN_KNOWN : LT_CONN_WRITES);
        for (int i = 1; i < N; i += 2)
            lt_conn_on_free(KEY(1000 + i + round * 7));
        assert_int_equal(index_used(), 0);
    }
}

static void test_overflow(void **state)
{
    /* More records with one home slot than a probe window holds: the rest are counted as
     * unindexed, and while any is, an index miss sends every call to the locked table. */
    enum { N = LT_CONN_INDEX_PROBES + 4 };
    struct ssl_st *keys[N];
    uint32_t home = lt_conn_index_home((uintptr_t)KEY(5000));
    int n = 0;
    for (uintptr_t i = 5000; n < N; i++)
        if (lt_conn_index_home((uintptr_t)KEY(i)) == home)
            keys[n++] = KEY(i);
    for (int i = 0; i < N; i++)
        lt_conn_on_write(keys[i], web_req, sizeof(web_req) - 1);
    assert_int_equal(lt_conn_unindexed, 4);
    for (int i = 0; i < N; i++)
        assert_int_equal(lt_conn_interest(keys[i]) & LT_CONN_WRITES, LT_CONN_WRITES);
    assert_int_equal(lt_conn_interest(keys[N - 1]), ALL);  /* not in the index */
    assert_int_equal(lt_conn_interest(KEY(1)), ALL);       /* unknown, but cannot tell */
    assert_int_equal(lt_conn_interest(KEY(6000000)), ALL); /* likewise */
    /* An unindexed record still gets its reads when an LLM response is awaited. */
    lt_conn_on_write(keys[N - 1], "0123456789", 10); /* the upload's body */
    lt_conn_on_write(keys[N - 1], llm_req, sizeof(llm_req) - 1);
    size_t before = n_got;
    lt_conn_on_read(keys[N - 1], llm_resp, sizeof(llm_resp) - 1);
    assert_int_equal(n_got, before + 1);
    for (int i = 0; i < N; i++)
        lt_conn_on_free(keys[i]);
    assert_int_equal(lt_conn_unindexed, 0);
    assert_int_equal(lt_conn_interest(KEY(1)), LT_CONN_WRITES);
    assert_int_equal(index_used(), 0);
}

static void test_wide_key(void **state)
{
    /* A key wider than 56 bits cannot be indexed: counted, and always the slow path. */
    struct ssl_st *k = (struct ssl_st *)(uintptr_t)0xff00000000001000ull;
    lt_conn_on_write(k, "\x80", 1);
    assert_int_equal(lt_conn_unindexed, 1);
    assert_int_equal(lt_conn_interest(k), ALL);
    lt_conn_on_free(k);
    assert_int_equal(lt_conn_unindexed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),   cmocka_unit_test(test_not_http),
        cmocka_unit_test(test_many),     cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_wide_key),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
