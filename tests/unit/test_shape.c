/* test_shape.c — the shape cache of skipped stream events (preload/genai/shape.h): an event
 * matches the recording only when it differs inside the free values and each free value is
 * still a string or a number; recordings are kept, replaced, forgotten and given up on as
 * shape.h says. (The spans built with and without the cache are compared over every fixture
 * in test_genai_skip.c; fuzz_shape checks that a match never hides a needed event.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genai/shape.h"

static const char *const KEYS[] = {"content", "sequence_number", NULL};

#define T_OAI                                                                                      \
    "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},"                     \
    "\"finish_reason\":null}]}"

static char ev[4096];

static const char *oai(const char *content)
{
    snprintf(ev, sizeof(ev), T_OAI, content);
    return ev;
}

static bool match(struct lt_event_shape *s, const char *type, const char *data)
{
    return lt_shape_match(s, type, strlen(type), data, strlen(data));
}

static void record(struct lt_event_shape *s, const char *type, const char *data)
{
    lt_shape_record(s, KEYS, type, strlen(type), data, strlen(data));
}

static void test_string_value(void **state)
{
    (void)state;
    struct lt_event_shape s;
    lt_shape_init(&s);
    assert_false(match(&s, "message", oai(" the"))); /* nothing recorded */
    record(&s, "message", oai(" the"));
    assert_true(s.valid);
    assert_int_equal(s.n_vals, 1);
    assert_true(match(&s, "message", oai(" quick brown fox")));
    assert_true(match(&s, "message", oai("")));
    assert_true(match(&s, "message", oai("say \\\"hi\\\" \\\\"))); /* escapes stay inside */
    assert_true(match(&s, "message", oai("\xc3\xa9\xe2\x82\xac")));
    assert_int_equal(s.hits, 4);
    /* a quote that ends the string early changes the structure */
    assert_false(match(&s, "message", oai("a\"},\"finish_reason\":\"stop\",\"x\":{\"y\":\"")));
    assert_false(match(&s, "message", oai("a\\\\\"},\"finish_reason\":\"stop\",\"x\":{\"y\":\"")));
    /* another event type, another fixed byte, a longer or shorter tail */
    assert_false(match(&s, "other", oai(" the")));
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", oai("x"));
    buf[strlen(buf) - 10] = 'N'; /* inside "null" of finish_reason */
    assert_false(match(&s, "message", buf));
    snprintf(buf, sizeof(buf), "%s ", oai("x"));
    assert_false(match(&s, "message", buf));
    snprintf(buf, sizeof(buf), "%s", oai("x"));
    buf[strlen(buf) - 1] = '\0';
    assert_false(match(&s, "message", buf));
    assert_false(match(&s, "message",
                       "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x"));
    lt_shape_forget(&s);
    assert_false(match(&s, "message", oai(" the")));
    lt_shape_cleanup(&s);
}

static void test_number_value(void **state)
{
    (void)state;
    struct lt_event_shape s;
    lt_shape_init(&s);
    const char *fmt = "{\"type\":\"response.output_text.delta\",\"sequence_number\":%s,"
                      "\"content\":\"%s\"}";
    char a[256], b[256];
    snprintf(a, sizeof(a), fmt, "7", "Hel");
    record(&s, "", a);
    assert_int_equal(s.n_vals, 2);
    snprintf(b, sizeof(b), fmt, "12345", "lo!");
    assert_true(match(&s, "", b));
    snprintf(b, sizeof(b), fmt, "-1.5e+3", "");
    assert_true(match(&s, "", b));
    snprintf(b, sizeof(b), fmt, "\"8\"", "lo"); /* a string where the number was */
    assert_false(match(&s, "", b));
    snprintf(b, sizeof(b), fmt, "", "lo"); /* no number at all */
    assert_false(match(&s, "", b));
    snprintf(b, sizeof(b), fmt, "null", "lo");
    assert_false(match(&s, "", b));
    lt_shape_cleanup(&s);
}

static void test_what_is_not_recorded(void **state)
{
    (void)state;
    struct lt_event_shape s;
    lt_shape_init(&s);
    record(&s, "m", "{\"id\":\"c1\",\"delta\":{}}"); /* no free value */
    assert_false(s.valid);
    record(&s, "m", "{\"content\":null}"); /* null stays fixed: no free value either */
    assert_false(s.valid);
    record(&s, "m",
           "{\"content\":\"a\",\"content\":\"b\",\"content\":\"c\",\"content\":\"d\","
           "\"content\":\"e\"}"); /* more than LT_SHAPE_MAX_VALUES */
    assert_false(s.valid);
    record(&s, "m", "{\"c\\u006fntent\":\"a\",\"content\":\"b\"}"); /* an escaped key */
    assert_false(s.valid);
    record(&s, "m", "{\"sequence_number\":12"); /* a number up to the end */
    assert_false(s.valid);
    char *big = malloc(LT_SHAPE_MAX_BYTES + 64);
    assert_non_null(big);
    memset(big, ' ', LT_SHAPE_MAX_BYTES + 63);
    memcpy(big, "{\"content\":\"a\"}", 15);
    big[LT_SHAPE_MAX_BYTES + 63] = '\0';
    record(&s, "m", big); /* too long */
    assert_false(s.valid);
    free(big);
    /* a recording is kept when the next skipped event cannot be recorded */
    record(&s, "m", oai("a"));
    assert_true(s.valid);
    record(&s, "m", "{\"ping\":{}}");
    assert_true(s.valid);
    assert_true(match(&s, "m", oai("b")));
    lt_shape_cleanup(&s);
}

/* The unframed match: the event is the first bytes of a longer buffer (the rest of an SSE
 * stream), its length is returned, and no CR or LF may be inside it. */
static size_t prefix(struct lt_event_shape *s, const char *buf)
{
    return lt_shape_match_prefix(s, "message", 7, buf, strlen(buf));
}

static void test_prefix(void **state)
{
    (void)state;
    struct lt_event_shape s;
    lt_shape_init(&s);
    char buf[8192];
    assert_int_equal(prefix(&s, "anything"), SIZE_MAX); /* nothing recorded */
    record(&s, "message", oai(" the"));
    assert_true(s.one_line);
    size_t n = strlen(oai(" quick fox"));
    snprintf(buf, sizeof(buf), "%s\n\ndata: {\"id\":\"c1\"}\n\n", ev);
    assert_int_equal(prefix(&s, buf), n);
    assert_int_equal(lt_shape_match_prefix(&s, "other", 5, buf, strlen(buf)), SIZE_MAX);
    /* cut before the tail is whole: no match (the framing then waits for more bytes) */
    assert_int_equal(lt_shape_match_prefix(&s, "message", 7, buf, n - 1), SIZE_MAX);
    assert_int_equal(lt_shape_match_prefix(&s, "message", 7, buf, n), n);
    /* escapes, and a value longer than the byte loop looks at (32 bytes) */
    const char *vals[] = {"say \\\"hi\\\" \\\\",
                          "a rather longer delta, of more than 32 bytes \\\" here",
                          "0123456789012345678901234567890\\\"", ""};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        n = strlen(oai(vals[i]));
        snprintf(buf, sizeof(buf), "%s\r\n\r\n", ev);
        assert_int_equal(prefix(&s, buf), n);
    }
    snprintf(buf, sizeof(buf), "%s", oai("0123456789012345678901234567890123456789\\\n"));
    assert_int_equal(prefix(&s, buf), SIZE_MAX); /* an escaped LF past the 32 bytes */
    /* a raw CR or LF inside the free string: another SSE line, never one event */
    assert_int_equal(prefix(&s, oai("a\nb")), SIZE_MAX);
    assert_int_equal(prefix(&s, oai("a\rb")), SIZE_MAX);
    assert_true(match(&s, "message", oai("a\rb"))); /* framed, the same bytes do match */
    /* a recording with a line end inside (a multi-line SSE event) is never matched unframed */
    record(&s, "message", "{\"content\":\"x\",\n\"id\":1}");
    assert_true(s.valid);
    assert_false(s.one_line);
    assert_int_equal(prefix(&s, "{\"content\":\"y\",\n\"id\":1}\n\n"), SIZE_MAX);
    assert_true(match(&s, "message", "{\"content\":\"y\",\n\"id\":1}"));
    lt_shape_cleanup(&s);
}

static void test_gives_up_on_fruitless_recordings(void **state)
{
    (void)state;
    struct lt_event_shape s;
    lt_shape_init(&s);
    char buf[256];
    /* every event has a new shape: each recording is replaced without a match */
    for (int i = 0; i <= LT_SHAPE_MAX_FRUITLESS; i++) {
        snprintf(buf, sizeof(buf), "{\"k%d\":1,\"content\":\"x\"}", i);
        assert_false(match(&s, "m", buf));
        record(&s, "m", buf);
    }
    assert_true(s.off);
    assert_false(s.valid);
    record(&s, "m", oai("a"));
    assert_false(match(&s, "m", oai("b")));
    lt_shape_cleanup(&s);

    /* a recording that matched once is not fruitless */
    lt_shape_init(&s);
    for (int i = 0; i < 3 * LT_SHAPE_MAX_FRUITLESS; i++) {
        snprintf(buf, sizeof(buf), "{\"k%d\":1,\"content\":\"x\"}", i);
        record(&s, "m", buf);
        snprintf(buf, sizeof(buf), "{\"k%d\":1,\"content\":\"yy\"}", i);
        assert_true(match(&s, "m", buf));
    }
    assert_false(s.off);
    lt_shape_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_value),
        cmocka_unit_test(test_number_value),
        cmocka_unit_test(test_what_is_not_recorded),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_gives_up_on_fruitless_recordings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
