/* test_context.c — W3C traceparent parsing/formatting (trace-context §3.2) and ids. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "trace/context.h"
#include "trace/ids.h"

static void test_valid(void **state)
{
    struct lt_span_context c;
    const char *tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    assert_int_equal(lt_traceparent_parse(tp, &c), 0);
    assert_int_equal(c.trace_id[0], 0x0a);
    assert_int_equal(c.trace_id[15], 0x9c);
    assert_int_equal(c.span_id[7], 0x31);
    assert_int_equal(c.flags, 1);
    char out[LT_TRACEPARENT_LEN + 1];
    lt_traceparent_format(&c, out);
    assert_string_equal(out, tp);
}

static void test_invalid(void **state)
{
    struct lt_span_context c;
    const char *bad[] = {
        NULL,
        "",
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",   /* uppercase */
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",   /* zero trace id */
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",   /* zero parent id */
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   /* version ff */
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x", /* v00 too long */
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",      /* short */
        "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   /* separator */
        "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",   /* non-hex */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(lt_traceparent_parse(bad[i], &c), -EINVAL);
}

static void test_future_version(void **state)
{
    struct lt_span_context c;
    /* A higher version may carry more fields after a '-'. */
    assert_int_equal(
        lt_traceparent_parse("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what", &c),
        0);
    assert_int_equal(
        lt_traceparent_parse("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x", &c),
        -EINVAL);
}

static void test_ids_nonzero_distinct(void **state)
{
    uint8_t a[16], b[16], s[8];
    lt_ids_trace(a);
    lt_ids_trace(b);
    lt_ids_span(s);
    assert_memory_not_equal(a, b, 16);
    static const uint8_t zero[16];
    assert_memory_not_equal(a, zero, 16);
    assert_memory_not_equal(s, zero, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_future_version),
        cmocka_unit_test(test_ids_nonzero_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
