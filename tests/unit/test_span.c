/* test_span.c — span attribute setters, replacement and the OTel attribute limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "trace/span.h"

static void test_types_and_replace(void **state)
{
    struct lt_span *s = lt_span_new("chat gpt-4o", LT_SPAN_KIND_CLIENT);
    assert_non_null(s);
    assert_int_equal(lt_span_set_str(s, "gen_ai.request.model", "gpt-4o"), 0);
    assert_int_equal(lt_span_set_int(s, "gen_ai.usage.input_tokens", 12), 0);
    assert_int_equal(lt_span_set_double(s, "gen_ai.request.temperature", 0.5), 0);
    assert_int_equal(lt_span_set_bool(s, "gen_ai.request.stream", true), 0);
    const char *fr[] = {"stop", "length"};
    assert_int_equal(lt_span_set_str_array(s, "gen_ai.response.finish_reasons", fr, 2), 0);
    assert_int_equal(s->n_attrs, 5);
    assert_int_equal(lt_span_set_int(s, "gen_ai.usage.input_tokens", 13), 0);
    assert_int_equal(s->n_attrs, 5);
    const struct lt_attr *a = lt_span_get(s, "gen_ai.usage.input_tokens");
    assert_int_equal(a->type, LT_ATTR_INT);
    assert_int_equal(a->u.i, 13);
    /* Replace with a different type. */
    assert_int_equal(lt_span_set_str(s, "gen_ai.usage.input_tokens", "x"), 0);
    assert_string_equal(lt_span_get(s, "gen_ai.usage.input_tokens")->u.s, "x");
    a = lt_span_get(s, "gen_ai.response.finish_reasons");
    assert_int_equal(a->u.arr.n, 2);
    assert_string_equal(a->u.arr.v[1], "length");
    lt_span_set_status(s, LT_STATUS_ERROR, "boom");
    assert_string_equal(s->status_message, "boom");
    lt_span_set_status(s, LT_STATUS_OK, "ignored");
    assert_null(s->status_message);
    lt_span_free(s);
}

static void test_limits(void **state)
{
    struct lt_span_limits saved = lt_span_limits;
    lt_span_limits.attr_count = 2;
    lt_span_limits.value_length = 4;
    struct lt_span *s = lt_span_new("x", LT_SPAN_KIND_INTERNAL);
    assert_int_equal(lt_span_set_str(s, "a", "abcdef"), 0);
    assert_string_equal(lt_span_get(s, "a")->u.s, "abcd");
    /* Cut on a UTF-8 boundary: "é" is 2 bytes, the 4-byte cut would split the second one. */
    assert_int_equal(lt_span_set_str(s, "b", "a\xc3\xa9\xc3\xa9"), 0);
    assert_string_equal(lt_span_get(s, "b")->u.s, "a\xc3\xa9");
    assert_int_equal(lt_span_set_int(s, "c", 1), -ENOSPC);
    assert_int_equal(s->dropped_attrs, 1);
    /* Replacing an existing key is not refused by the count limit. */
    assert_int_equal(lt_span_set_int(s, "a", 1), 0);
    lt_span_free(s);
    lt_span_limits = saved;
}

static void test_buf_cap(void **state)
{
    struct lt_buf b;
    lt_buf_init(&b, 10);
    assert_int_equal(lt_buf_append(&b, "0123456", 7), 0);
    assert_false(b.truncated);
    assert_int_equal(lt_buf_append(&b, "789abc", 6), 0);
    assert_true(b.truncated);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    lt_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_and_replace),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_buf_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
