/* test_fastpaths.c — the shortcuts taken for speed (issue 5) keep the exact behaviour:
 * lt_buf_reserve, hashed attribute lookup in spans, and the ASCII path of UTF-8 repair. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../export/utf8.h"
#include "buf.h"
#include "trace/span.h"

static void test_buf_reserve(void **state)
{
    struct lt_buf b;
    lt_buf_init(&b, 1000);
    assert_int_equal(lt_buf_reserve(&b, 600), 0);
    assert_int_equal(b.cap, 600);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    char *at = b.data;
    char chunk[100];
    memset(chunk, 'a', sizeof(chunk));
    for (int i = 0; i < 6; i++)
        assert_int_equal(lt_buf_append(&b, chunk, sizeof(chunk)), 0);
    assert_ptr_equal(b.data, at); /* no reallocation up to the reserved size */
    assert_int_equal(b.len, 600);
    assert_int_equal(b.data[600], '\0');
    /* Past the reservation it grows as before, and the cap still holds. */
    for (int i = 0; i < 5; i++)
        lt_buf_append(&b, chunk, sizeof(chunk));
    assert_int_equal(b.len, 1000);
    assert_true(b.truncated);
    /* A reservation is capped at max and never shrinks the buffer. */
    assert_int_equal(lt_buf_reserve(&b, 5000), 0);
    assert_int_equal(b.cap, 1000);
    assert_int_equal(lt_buf_reserve(&b, 10), 0);
    assert_int_equal(b.cap, 1000);
    assert_int_equal(b.len, 1000);
    lt_buf_cleanup(&b);
}

static void test_span_lookup_many(void **state)
{
    struct lt_span *s = lt_span_new("x", LT_SPAN_KIND_CLIENT);
    assert_non_null(s);
    char key[32];
    for (int i = 0; i < 60; i++) {
        snprintf(key, sizeof(key), "gen_ai.k%d", i);
        assert_int_equal(lt_span_set_int(s, key, i), 0);
    }
    for (int i = 0; i < 60; i += 7) {
        snprintf(key, sizeof(key), "gen_ai.k%d", i);
        assert_int_equal(lt_span_set_int(s, key, 1000 + i), 0);
    }
    assert_int_equal(s->n_attrs, 60);
    for (int i = 0; i < 60; i++) {
        snprintf(key, sizeof(key), "gen_ai.k%d", i);
        const struct lt_attr *a = lt_span_get(s, key);
        assert_non_null(a);
        assert_string_equal(a->key, key);
        assert_int_equal(a->u.i, i % 7 == 0 ? 1000 + i : i);
    }
    assert_null(lt_span_get(s, "gen_ai.k60"));
    assert_null(lt_span_get(s, "gen_ai.k"));
    lt_span_free(s);
}

/* Attributes built by hand (no hash) are still found, and a setter replaces them. */
static void test_span_lookup_unhashed(void **state)
{
    struct lt_span *s = lt_span_new("x", LT_SPAN_KIND_CLIENT);
    s->attrs = calloc(16, sizeof(*s->attrs));
    s->cap_attrs = 16;
    s->attrs[0].key = strdup("service.name");
    s->attrs[0].type = LT_ATTR_STRING;
    s->attrs[0].u.s = strdup("a");
    s->n_attrs = 1;
    assert_non_null(lt_span_get(s, "service.name"));
    assert_int_equal(lt_span_set_str(s, "service.name", "b"), 0);
    assert_int_equal(s->n_attrs, 1);
    assert_string_equal(lt_span_get(s, "service.name")->u.s, "b");
    assert_int_not_equal(lt_span_key_hash(""), 0);
    lt_span_free(s);
}

static void test_utf8_repair(void **state)
{
    bool nomem = false;
    assert_null(lt_utf8_repair("plain ascii text, quite long to pass the fast loop", &nomem));
    assert_null(lt_utf8_repair("ascii then \xC3\xA9t\xC3\xA9 and \xF0\x9F\x98\x80 ok", &nomem));
    char *r = lt_utf8_repair("ab\xFF"
                             "cd\xC3",
                             &nomem);
    assert_non_null(r);
    assert_string_equal(r, "ab\xEF\xBF\xBD"
                           "cd\xEF\xBF\xBD");
    free(r);
    r = lt_utf8_repair("\x80", &nomem);
    assert_string_equal(r, "\xEF\xBF\xBD");
    free(r);
    /* A bad byte or a good sequence at every offset of the word-at-a-time ASCII loop. */
    for (size_t i = 0; i < 40; i++) {
        char in[48], want[48];
        memset(in, 'a', 40);
        in[40] = '\0';
        in[i] = '\xFF';
        snprintf(want, sizeof(want), "%.*s\xEF\xBF\xBD%s", (int)i, in, in + i + 1);
        size_t len = 0;
        r = lt_utf8_repair_len(in, &len, &nomem);
        assert_non_null(r);
        assert_string_equal(r, want);
        assert_int_equal(len, 42);
        free(r);
        if (i < 39) {
            memcpy(in + i, "\xC3\xA9", 2);
            assert_null(lt_utf8_repair_len(in, &len, &nomem));
            assert_int_equal(len, 40);
        }
    }
    assert_false(nomem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_reserve),
        cmocka_unit_test(test_span_lookup_many),
        cmocka_unit_test(test_span_lookup_unhashed),
        cmocka_unit_test(test_utf8_repair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
