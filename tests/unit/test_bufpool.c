/* test_bufpool.c — preload/bufpool.c: exchange body storage in llmtap's own mappings, kept for
 * reuse. Best fit on alloc, growth with the contents kept, the bounds on release (slots,
 * bytes, size; a larger mapping replaces the smallest), and a pooled lt_buf (exchange bodies)
 * taking and returning its storage. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bufpool.h"
#include "exchange.h"

static int setup(void **state)
{
    (void)state;
    lt_bufpool_drain();
    return 0;
}

/* A fresh mapping: at least the bytes asked for, plus the NUL, all writable. */
static void test_alloc_new(void **state)
{
    (void)state;
    size_t cap = 0;
    char *d = lt_bufpool_alloc(100, &cap);
    assert_non_null(d);
    assert_true(cap >= 100);
    memset(d, 'x', cap + 1);
    lt_bufpool_release(d, cap);
    assert_int_equal(lt_bufpool_drain(), 1);
}

/* The smallest pooled mapping that holds the bytes asked for; the largest (grown) when none
 * does. */
static void test_best_fit(void **state)
{
    (void)state;
    size_t ca, cb, cc;
    char *a = lt_bufpool_alloc(1000, &ca), *b = lt_bufpool_alloc(65536, &cb),
         *c = lt_bufpool_alloc(8000, &cc);
    assert_true(ca >= 1000 && cb >= 65536 && cc >= 8000);
    assert_true(ca < cc && cc < cb);
    lt_bufpool_release(a, ca);
    lt_bufpool_release(b, cb);
    lt_bufpool_release(c, cc);
    size_t cap;
    assert_ptr_equal(lt_bufpool_alloc(5000, &cap), c);
    assert_int_equal(cap, cc);
    size_t big_cap;
    char *big = lt_bufpool_alloc(200000, &big_cap); /* none holds it: the largest, grown */
    assert_non_null(big);
    assert_true(big_cap >= 200000);
    assert_ptr_equal(lt_bufpool_alloc(0, &cap), a); /* the only one left */
    assert_int_equal(cap, ca);
    lt_bufpool_release(a, ca);
    lt_bufpool_release(c, cc);
    lt_bufpool_release(big, big_cap);
    assert_int_equal(lt_bufpool_drain(), 3);
}

/* Growth keeps the contents and the NUL. */
static void test_grow(void **state)
{
    (void)state;
    size_t cap;
    char *d = lt_bufpool_alloc(10, &cap);
    assert_non_null(d);
    memcpy(d, "0123456789", 11);
    size_t was = cap;
    assert_ptr_equal(lt_bufpool_grow(d, &cap, cap), d); /* no growth needed */
    assert_int_equal(cap, was);
    d = lt_bufpool_grow(d, &cap, 300000);
    assert_non_null(d);
    assert_true(cap >= 300000);
    assert_string_equal(d, "0123456789");
    memset(d + 11, 'y', cap - 11);
    lt_bufpool_release(d, cap);
    lt_bufpool_drain();
}

/* A mapping over LT_BUFPOOL_MAX_BUF is unmapped, not kept. */
static void test_too_large(void **state)
{
    (void)state;
    size_t cap;
    char *d = lt_bufpool_alloc(LT_BUFPOOL_MAX_BUF, &cap);
    assert_non_null(d);
    lt_bufpool_release(d, cap);
    lt_bufpool_release(NULL, 10);
    assert_int_equal(lt_bufpool_drain(), 0);
}

/* Full slots: a mapping no larger than the smallest pooled one is unmapped; a larger one
 * replaces the smallest. */
static void test_slots(void **state)
{
    (void)state;
    enum { N = LT_BUFPOOL_SLOTS + 2 };
    char *d[N];
    size_t cap[N];
    for (int i = 0; i < N; i++)
        assert_non_null(d[i] = lt_bufpool_alloc(100, &cap[i]));
    for (int i = 0; i < N - 1; i++) /* the last one past the slots is unmapped */
        lt_bufpool_release(d[i], cap[i]);
    char *big = lt_bufpool_grow(d[N - 1], &cap[N - 1], 20000);
    assert_non_null(big);
    lt_bufpool_release(big, cap[N - 1]); /* replaces a small one */
    size_t got;
    char *fit = lt_bufpool_alloc(10000, &got);
    assert_ptr_equal(fit, big);
    assert_int_equal(got, cap[N - 1]);
    lt_bufpool_release(fit, got);
    assert_int_equal(lt_bufpool_drain(), LT_BUFPOOL_SLOTS);
}

/* The pool never holds more than LT_BUFPOOL_MAX_BYTES. */
static void test_bytes(void **state)
{
    (void)state;
    enum { N = 10 };
    size_t each = LT_BUFPOOL_MAX_BUF / 2;
    char *d[N];
    size_t cap[N];
    for (int i = 0; i < N; i++)
        assert_non_null(d[i] = lt_bufpool_alloc(each, &cap[i]));
    size_t size = cap[0] + 1; /* every one the same: whole pages */
    for (int i = 0; i < N; i++)
        lt_bufpool_release(d[i], cap[i]);
    assert_int_equal(lt_bufpool_drain(), (int)(LT_BUFPOOL_MAX_BYTES / size));
}

/* An exchange body takes pooled storage on its first append and gives it back when freed;
 * the bytes are the new body's, NUL-terminated. */
static void test_exchange_body(void **state)
{
    (void)state;
    size_t cap;
    char *d = lt_bufpool_alloc(4000, &cap);
    memset(d, 'x', cap + 1);
    lt_bufpool_release(d, cap);
    struct lt_exchange *x = lt_exchange_new(0);
    assert_non_null(x);
    assert_int_equal(lt_buf_append(&x->resp_body, "data: {}\n\n", 10), 0);
    assert_ptr_equal(x->resp_body.data, d);
    assert_int_equal(x->resp_body.cap, cap);
    assert_int_equal(x->resp_body.len, 10);
    assert_string_equal(x->resp_body.data, "data: {}\n\n");
    /* Growth past the mapping keeps the bytes. */
    char more[10000];
    memset(more, 'm', sizeof(more));
    assert_int_equal(lt_buf_append(&x->resp_body, more, sizeof(more)), 0);
    assert_int_equal(x->resp_body.len, 10 + sizeof(more));
    assert_memory_equal(x->resp_body.data, "data: {}\n\n", 10);
    assert_int_equal(x->resp_body.data[x->resp_body.len], '\0');
    size_t grown = x->resp_body.cap;
    char *gd = x->resp_body.data;
    lt_exchange_free(x);
    assert_ptr_equal(lt_bufpool_alloc(0, &cap), gd);
    assert_int_equal(cap, grown);
    lt_bufpool_release(gd, cap);

    /* A reserve takes pooled storage too, empty and NUL-terminated. */
    x = lt_exchange_new(0);
    assert_int_equal(lt_buf_reserve(&x->resp_body, 100000), 0);
    assert_true(x->resp_body.cap >= 100000);
    assert_int_equal(x->resp_body.len, 0);
    assert_string_equal(x->resp_body.data, "");
    lt_exchange_free(x);
    assert_int_equal(lt_bufpool_drain(), 1);

    /* A body over its cap still respects it. */
    x = lt_exchange_new(8);
    assert_int_equal(lt_buf_append(&x->resp_body, "0123456789", 10), 0);
    assert_int_equal(x->resp_body.len, 8);
    assert_true(x->resp_body.truncated);
    assert_string_equal(x->resp_body.data, "01234567");
    lt_exchange_free(x);
    assert_int_equal(lt_bufpool_drain(), 1);
}

/* Buffers that are not exchange bodies never use the pool. */
static void test_plain_buf(void **state)
{
    (void)state;
    struct lt_buf b;
    lt_buf_init(&b, 0);
    assert_int_equal(lt_buf_append(&b, "abc", 3), 0);
    lt_buf_cleanup(&b);
    assert_int_equal(lt_bufpool_drain(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_alloc_new, setup),
        cmocka_unit_test_setup(test_best_fit, setup),
        cmocka_unit_test_setup(test_grow, setup),
        cmocka_unit_test_setup(test_too_large, setup),
        cmocka_unit_test_setup(test_slots, setup),
        cmocka_unit_test_setup(test_bytes, setup),
        cmocka_unit_test_setup(test_exchange_body, setup),
        cmocka_unit_test_setup(test_plain_buf, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
