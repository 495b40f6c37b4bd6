/* test_jsonseq.c — unit tests for the JSON value splitter (preload/http/jsonseq.c). Fixtures
 * are shaped like Ollama's NDJSON stream, Gemini's streamed array (streamGenerateContent
 * without alt=sse) and RFC 7464 json-seq; each is fed whole, split at every byte into two
 * guarded pieces, and byte by byte, and must give the same values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "http/jsonseq.h"

struct fixture {
    const char *name;
    const char *in;
    size_t in_len;
    size_t max_value; /* 0 = default */
    const char *const *val;
    size_t nval;
    size_t dropped;
};

#define FX(name_, in_, max_, val_, dropped_)                                                       \
    {                                                                                              \
        name_, in_, sizeof(in_) - 1, max_, val_, sizeof(val_) / sizeof(val_[0]), dropped_          \
    }

/* ---- fixtures ------------------------------------------------------------------------- */

/* Ollama POST /api/chat, "stream": true (application/x-ndjson). */
#define OLL_1                                                                                      \
    "{\"model\":\"llama3.2\",\"created_at\":\"2024-11-04T08:52:19.385406455Z\","                   \
    "\"message\":{\"role\":\"assistant\",\"content\":\"The\"},\"done\":false}"
#define OLL_2                                                                                      \
    "{\"model\":\"llama3.2\",\"created_at\":\"2024-11-04T08:52:19.402815Z\","                      \
    "\"message\":{\"role\":\"assistant\",\"content\":\" sky {is} [blue] \\\"\\\\\"},"              \
    "\"done\":false}"
#define OLL_3                                                                                      \
    "{\"model\":\"llama3.2\",\"created_at\":\"2024-11-04T08:52:19.499127Z\","                      \
    "\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"                         \
    "\"done_reason\":\"stop\",\"total_duration\":4883583458,\"load_duration\":1334875,"            \
    "\"prompt_eval_count\":26,\"prompt_eval_duration\":342546000,\"eval_count\":282,"              \
    "\"eval_duration\":4535599000}"

static const char ollama_in[] = OLL_1 "\n" OLL_2 "\n" OLL_3 "\n";
static const char *const ollama_val[] = {OLL_1, OLL_2, OLL_3};

/* The same with CRLF line ends and no newline after the last value. */
static const char ollama_crlf_in[] = OLL_1 "\r\n" OLL_2 "\r\n" OLL_3;

/* Gemini POST …:streamGenerateContent (no alt=sse): one JSON array, pretty-printed
 * elements separated by "\n,\r\n". */
#define GEM_1                                                                                      \
    "{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n          {\n"     \
    "            \"text\": \"The sky\"\n          }\n        ],\n        \"role\": \"model\"\n"    \
    "      },\n      \"index\": 0\n    }\n  ],\n  \"usageMetadata\": {\n"                          \
    "    \"promptTokenCount\": 8,\n    \"candidatesTokenCount\": 2,\n"                             \
    "    \"totalTokenCount\": 10\n  },\n  \"modelVersion\": \"gemini-2.0-flash\"\n}"
#define GEM_2                                                                                      \
    "{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n          {\n"     \
    "            \"text\": \" is blue ]} \\\"[\\n\"\n          }\n        ],\n"                    \
    "        \"role\": \"model\"\n      },\n      \"finishReason\": \"STOP\",\n"                   \
    "      \"index\": 0\n    }\n  ],\n  \"usageMetadata\": {\n    \"promptTokenCount\": 8,\n"      \
    "    \"candidatesTokenCount\": 6,\n    \"totalTokenCount\": 14\n  },\n"                        \
    "  \"modelVersion\": \"gemini-2.0-flash\"\n}"

static const char gemini_in[] = "[" GEM_1 "\n,\r\n" GEM_2 "\n]";
static const char *const gemini_val[] = {GEM_1, GEM_2};

/* A streamed array of scalars and nested arrays; after it ends, NDJSON goes on. */
static const char array_in[] = " \n[1, -2.5e3,\"s,]\" ,[true,[null]],{}]\n{\"after\":1}\n7";
static const char *const array_val[] = {"1",  "-2.5e3",        "\"s,]\"", "[true,[null]]",
                                        "{}", "{\"after\":1}", "7"};

/* RFC 7464: RS before each text, LF after it; the third record is cut short by the next RS,
 * the fifth is a number with no whitespace before the RS (possibly truncated, §2.4). */
static const char seq_in[] = "\x1e{\"a\":1}\n"
                             "\x1e[2,3]\n"
                             "\x1e{\"cut\":[1,2\x1e"
                             "42\n"
                             "\x1e"
                             "43\x1e"
                             "\"str\"\n"
                             "\x1e{\"s\":\"x\x1e\"}\n"
                             "\x1enull\n";
static const char *const seq_val[] = {"{\"a\":1}", "[2,3]", "42", "\"str\"", "null"};

/* Top-level scalars in NDJSON; the last one has no newline (finish emits it). */
static const char scalars_in[] = "1\ntrue\n\"a \\\"b\\\" c\"\nnull\tfalse , 3.5\n\"\\\\\"-2e-3";
static const char *const scalars_val[] = {"1",     "true", "\"a \\\"b\\\" c\"", "null",
                                          "false", "3.5",  "\"\\\\\"",          "-2e-3"};

/* Escapes that end strings: an escaped backslash before the closing quote. */
static const char escapes_in[] = "{\"a\":\"\\\\\"}{\"b\":\"\\\"}\"}\n{\"c\":\"\\\\\\\"{\"}";
static const char *const escapes_val[] = {"{\"a\":\"\\\\\"}", "{\"b\":\"\\\"}\"}",
                                          "{\"c\":\"\\\\\\\"{\"}"};

/* max_value = 16: the second value (17 bytes) and the long scalar are dropped; a value of
 * exactly 16 bytes gets through. */
static const char oversize_in[] = "{\"a\":\"01234567\"}\n"
                                  "{\"b\":\"012345678\"}\n"
                                  "{\"c\":\"01234567\"}\n"
                                  "12345678901234567\n"
                                  "{\"big\":[[[[[[\"0123456789\"]]]]]]}{\"d\":1}";
static const char *const oversize_val[] = {"{\"a\":\"01234567\"}", "{\"c\":\"01234567\"}",
                                           "{\"d\":1}"};

/* An unfinished last value is dropped at finish. */
static const char unfinished_in[] = "{\"done\":false}\n{\"done\":tr";
static const char *const unfinished_val[] = {"{\"done\":false}"};

static const char unfinished_str_in[] = "[{\"x\":1},\"abc";
static const char *const unfinished_str_val[] = {"{\"x\":1}"};

/* Bytes that cannot start a value are skipped: a BOM, control bytes, stray closers. */
static const char junk_in[] = "\xEF\xBB\xBF{\"a\":1}\n\x01}]:{\"b\":\"\xC3\xA9\"}\n";
static const char *const junk_val[] = {"{\"a\":1}", "{\"b\":\"\xC3\xA9\"}"};

/* Only the first '[' of a stream is the enclosing array; later arrays are values. */
static const char arrays_in[] = "[[1],[2]]\n[3]\n";
static const char *const arrays_val[] = {"[1]", "[2]", "[3]"};

/* A raw newline inside a string breaks the value; the next line is read again. */
static const char resync_in[] = "{\"a\":\"broken\n{\"b\":1}\n\"x\n2\n";
static const char *const resync_val[] = {"{\"b\":1}", "2"};

static const char blank_in[] = " \r\n\t,\x1e,[]";
static const char *const none_val[] = {NULL};

static const struct fixture fixtures[] = {
    FX("ollama", ollama_in, 0, ollama_val, 0),
    FX("ollama_crlf", ollama_crlf_in, 0, ollama_val, 0),
    FX("gemini", gemini_in, 0, gemini_val, 0),
    FX("array", array_in, 0, array_val, 0),
    FX("json-seq", seq_in, 0, seq_val, 4),
    FX("scalars", scalars_in, 0, scalars_val, 0),
    FX("escapes", escapes_in, 0, escapes_val, 0),
    FX("oversize", oversize_in, 16, oversize_val, 3),
    FX("unfinished", unfinished_in, 0, unfinished_val, 1),
    FX("unfinished_str", unfinished_str_in, 0, unfinished_str_val, 1),
    FX("junk", junk_in, 0, junk_val, 0),
    FX("arrays", arrays_in, 0, arrays_val, 0),
    FX("resync", resync_in, 0, resync_val, 2),
    {"empty", "", 0, 0, none_val, 0, 0},
    {"blank", blank_in, sizeof(blank_in) - 1, 0, none_val, 0, 0},
};

/* ---- harness -------------------------------------------------------------------------- */

struct collector {
    char *val[64];
    size_t len[64];
    size_t n;
    size_t stop_after; /* return 7 from the callback after this many values (0 = never) */
};

static int on_value(void *ud, const char *p, size_t n)
{
    struct collector *c = ud;
    assert_true(c->n < sizeof(c->val) / sizeof(c->val[0]));
    assert_true(n > 0);
    char *d = malloc(n + 1);
    assert_non_null(d);
    memcpy(d, p, n);
    d[n] = '\0';
    c->val[c->n] = d;
    c->len[c->n++] = n;
    if (c->stop_after && c->n == c->stop_after)
        return 7;
    return 0;
}

static void collector_free(struct collector *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->val[i]);
    c->n = 0;
}

static void feed_guarded(struct lt_jsonseq_parser *p, const char *s, size_t n, struct collector *c)
{
    struct guarded g = guard_copy(s, n);
    assert_int_equal(lt_jsonseq_feed(p, g.p, n, on_value, c), 0);
    guard_free(&g);
}

static void check(const struct fixture *fx, const struct lt_jsonseq_parser *p,
                  const struct collector *c, const char *how, size_t at)
{
    if (c->n != fx->nval || p->dropped != fx->dropped || p->values != fx->nval)
        fail_msg("%s (%s @%zu): got %zu values, %zu dropped; want %zu, %zu", fx->name, how, at,
                 c->n, p->dropped, fx->nval, fx->dropped);
    for (size_t i = 0; i < fx->nval; i++)
        if (c->len[i] != strlen(fx->val[i]) || memcmp(c->val[i], fx->val[i], c->len[i]) != 0)
            fail_msg("%s (%s @%zu) value %zu: '%s' want '%s'", fx->name, how, at, i, c->val[i],
                     fx->val[i]);
}

static void run_pieces(const struct fixture *fx, size_t at, const char *how)
{
    struct lt_jsonseq_parser p;
    struct collector c = {0};
    lt_jsonseq_init(&p, fx->max_value);
    if (at == SIZE_MAX) {
        for (size_t i = 0; i < fx->in_len; i++)
            feed_guarded(&p, fx->in + i, 1, &c);
    } else {
        feed_guarded(&p, fx->in, at, &c);
        feed_guarded(&p, fx->in + at, fx->in_len - at, &c);
    }
    assert_int_equal(lt_jsonseq_finish(&p, on_value, &c), 0);
    check(fx, &p, &c, how, at);
    /* Bounded memory: never more than one value held. */
    if (fx->max_value)
        assert_true(p.cur.cap <= fx->max_value);
    /* finish is idempotent */
    assert_int_equal(lt_jsonseq_finish(&p, on_value, &c), 0);
    assert_int_equal(c.n, fx->nval);
    assert_int_equal(p.dropped, fx->dropped);
    lt_jsonseq_cleanup(&p);
    collector_free(&c);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_fixtures(void **state)
{
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        const struct fixture *fx = &fixtures[i];
        for (size_t at = 0; at <= fx->in_len; at++)
            run_pieces(fx, at, "split");
        run_pieces(fx, SIZE_MAX, "bytewise");
    }
}

/* Every prefix of a stream, finished: values wholly inside the prefix come out, in order,
 * and nothing else (an unfinished object or string is never emitted). */
static void test_prefixes(void **state)
{
    for (size_t len = 0; len <= sizeof(gemini_in) - 1; len++) {
        struct lt_jsonseq_parser p;
        struct collector c = {0};
        lt_jsonseq_init(&p, 0);
        feed_guarded(&p, gemini_in, len, &c);
        assert_int_equal(lt_jsonseq_finish(&p, on_value, &c), 0);
        size_t want = len >= 1 + strlen(GEM_1) + 4 + strlen(GEM_2) ? 2 : len >= 1 + strlen(GEM_1);
        if (c.n != want)
            fail_msg("prefix %zu: %zu values, want %zu", len, c.n, want);
        if (c.n >= 1)
            assert_string_equal(c.val[0], GEM_1);
        if (c.n == 2)
            assert_string_equal(c.val[1], GEM_2);
        lt_jsonseq_cleanup(&p);
        collector_free(&c);
    }
}

/* A non-zero callback return stops the feed at once and is returned. */
static void test_callback_stop(void **state)
{
    struct lt_jsonseq_parser p;
    struct collector c = {0};
    c.stop_after = 2;
    lt_jsonseq_init(&p, 0);
    assert_int_equal(lt_jsonseq_feed(&p, ollama_in, sizeof(ollama_in) - 1, on_value, &c), 7);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.val[1], OLL_2);
    lt_jsonseq_cleanup(&p);
    collector_free(&c);

    /* From finish too. */
    c.stop_after = 1;
    lt_jsonseq_init(&p, 0);
    assert_int_equal(lt_jsonseq_feed(&p, "12", 2, on_value, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(lt_jsonseq_finish(&p, on_value, &c), 7);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.val[0], "12");
    lt_jsonseq_cleanup(&p);
    collector_free(&c);
}

/* A huge value is skipped without being buffered, however it is split. */
static void test_huge_value_not_buffered(void **state)
{
    size_t big = 1u << 20;
    char *s = malloc(big + 32);
    assert_non_null(s);
    size_t n = 0;
    n += (size_t)sprintf(s, "{\"t\":\"");
    memset(s + n, 'x', big);
    n += big;
    n += (size_t)sprintf(s + n, "\"}\n{\"k\":2}\n");

    struct lt_jsonseq_parser p;
    struct collector c = {0};
    lt_jsonseq_init(&p, 4096);
    for (size_t i = 0; i < n; i += 1000) {
        size_t k = n - i < 1000 ? n - i : 1000;
        assert_int_equal(lt_jsonseq_feed(&p, s + i, k, on_value, &c), 0);
        assert_true(p.cur.cap <= 4096);
    }
    assert_int_equal(lt_jsonseq_finish(&p, on_value, &c), 0);
    assert_int_equal(p.dropped, 1);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.val[0], "{\"k\":2}");
    lt_jsonseq_cleanup(&p);
    collector_free(&c);
    free(s);
}

/* Deep nesting costs a counter, not memory or stack. */
static void test_deep_nesting(void **state)
{
    size_t depth = 100000;
    char *s = malloc(2 * depth + 1);
    assert_non_null(s);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\n';
    struct lt_jsonseq_parser p;
    struct collector c = {0};
    lt_jsonseq_init(&p, 0);
    /* The first '[' is the enclosing array; the element is depth-1 deep. */
    assert_int_equal(lt_jsonseq_feed(&p, s, 2 * depth + 1, on_value, &c), 0);
    assert_int_equal(lt_jsonseq_finish(&p, on_value, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.len[0], 2 * (depth - 1));
    lt_jsonseq_cleanup(&p);
    collector_free(&c);
    free(s);
}

/* After finish the parser takes a new stream (the enclosing-array rule starts over). */
static void test_reuse_after_finish(void **state)
{
    struct lt_jsonseq_parser p;
    struct collector c = {0};
    lt_jsonseq_init(&p, 0);
    assert_int_equal(lt_jsonseq_feed(&p, "[{\"a\":1}]", 9, on_value, &c), 0);
    assert_int_equal(lt_jsonseq_finish(&p, on_value, &c), 0);
    assert_int_equal(lt_jsonseq_feed(&p, "[{\"b\":2}]", 9, on_value, &c), 0);
    assert_int_equal(lt_jsonseq_finish(&p, on_value, &c), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.val[0], "{\"a\":1}");
    assert_string_equal(c.val[1], "{\"b\":2}");
    lt_jsonseq_cleanup(&p);
    lt_jsonseq_cleanup(&p); /* cleanup twice is harmless */
    collector_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),      cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_callback_stop), cmocka_unit_test(test_huge_value_not_buffered),
        cmocka_unit_test(test_deep_nesting),  cmocka_unit_test(test_reuse_after_finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
