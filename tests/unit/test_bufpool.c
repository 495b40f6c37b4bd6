/* test_bufpool.c — preload/bufpool.c: body buffers kept for reuse. Best fit on take, the
 * bounds on give (slots, bytes, buffer size; a larger buffer evicts the smallest), and a
 * pooled lt_buf (exchange bodies) taking and returning its storage. */
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

/* Free every pooled buffer; returns how many there were. */
static int drain(void)
{
    int n = 0;
    size_t cap;
    char *d;
    while ((d = lt_bufpool_take(0, &cap))) {
        free(d);
        n++;
    }
    return n;
}

static char *block(size_t cap)
{
    char *d = malloc(cap + 1);
    assert_non_null(d);
    return d;
}

static int setup(void **state)
{
    (void)state;
    drain();
    return 0;
}

static void test_empty(void **state)
{
    (void)state;
    size_t cap = 7;
    assert_null(lt_bufpool_take(100, &cap));
    assert_int_equal(cap, 7);
}

/* The smallest buffer that holds `want`; the largest when none does. */
static void test_best_fit(void **state)
{
    (void)state;
    char *a = block(1024), *b = block(65536), *c = block(8192);
    assert_true(lt_bufpool_give(a, 1024));
    assert_true(lt_bufpool_give(b, 65536));
    assert_true(lt_bufpool_give(c, 8192));
    size_t cap;
    assert_ptr_equal(lt_bufpool_take(5000, &cap), c);
    assert_int_equal(cap, 8192);
    assert_ptr_equal(lt_bufpool_take(100000, &cap), b);
    assert_int_equal(cap, 65536);
    assert_ptr_equal(lt_bufpool_take(0, &cap), a);
    assert_int_equal(cap, 1024);
    assert_null(lt_bufpool_take(0, &cap));
    free(a);
    free(b);
    free(c);
}

/* A buffer over LT_BUFPOOL_MAX_BUF stays the caller's. */
static void test_too_large(void **state)
{
    (void)state;
    char *d = block(LT_BUFPOOL_MAX_BUF + 1);
    assert_false(lt_bufpool_give(d, LT_BUFPOOL_MAX_BUF + 1));
    free(d);
    assert_false(lt_bufpool_give(NULL, 10));
    assert_int_equal(drain(), 0);
}

/* Full slots: a smaller buffer is refused, a larger one replaces the smallest. */
static void test_slots(void **state)
{
    (void)state;
    for (int i = 0; i < LT_BUFPOOL_SLOTS; i++)
        assert_true(lt_bufpool_give(block(1000 + (size_t)i), 1000 + (size_t)i));
    char *small = block(10);
    assert_false(lt_bufpool_give(small, 10));
    free(small);
    char *big = block(5000);
    assert_true(lt_bufpool_give(big, 5000));
    size_t cap;
    char *d = lt_bufpool_take(0, &cap);
    free(d);
    assert_int_not_equal(cap, 1000); /* the smallest was evicted (freed by the pool) */
    int n = drain();
    assert_int_equal(n, LT_BUFPOOL_SLOTS - 1);
}

/* The pool never holds more than LT_BUFPOOL_MAX_BYTES. */
static void test_bytes(void **state)
{
    (void)state;
    size_t each = LT_BUFPOOL_MAX_BUF;
    int fit = (int)(LT_BUFPOOL_MAX_BYTES / each);
    for (int i = 0; i < fit; i++)
        assert_true(lt_bufpool_give(block(each), each));
    char *more = block(each);
    assert_false(lt_bufpool_give(more, each));
    free(more);
    assert_int_equal(drain(), fit);
}

/* An exchange body takes pooled storage on its first append and gives it back when freed;
 * the bytes are the new body's, NUL-terminated. */
static void test_exchange_body(void **state)
{
    (void)state;
    char *d = block(4096);
    memset(d, 'x', 4097);
    assert_true(lt_bufpool_give(d, 4096));
    struct lt_exchange *x = lt_exchange_new(0);
    assert_non_null(x);
    assert_int_equal(lt_buf_append(&x->resp_body, "data: {}\n\n", 10), 0);
    assert_ptr_equal(x->resp_body.data, d);
    assert_int_equal(x->resp_body.cap, 4096);
    assert_int_equal(x->resp_body.len, 10);
    assert_string_equal(x->resp_body.data, "data: {}\n\n");
    lt_exchange_free(x);
    size_t cap;
    assert_ptr_equal(lt_bufpool_take(0, &cap), d);
    assert_int_equal(cap, 4096);
    free(d);

    /* A reserve larger than the pooled buffer grows it (realloc), contents kept. */
    d = block(16);
    assert_true(lt_bufpool_give(d, 16));
    x = lt_exchange_new(0);
    assert_int_equal(lt_buf_reserve(&x->resp_body, 100000), 0);
    assert_true(x->resp_body.cap >= 100000);
    assert_int_equal(x->resp_body.len, 0);
    assert_string_equal(x->resp_body.data, "");
    lt_exchange_free(x);
    assert_int_equal(drain(), 1);

    /* A body over the cap still respects it. */
    assert_true(lt_bufpool_give(block(1024), 1024));
    x = lt_exchange_new(8);
    assert_int_equal(lt_buf_append(&x->resp_body, "0123456789", 10), 0);
    assert_int_equal(x->resp_body.len, 8);
    assert_true(x->resp_body.truncated);
    lt_exchange_free(x);
    assert_int_equal(drain(), 1);
}

/* Buffers that are not exchange bodies never use the pool. */
static void test_plain_buf(void **state)
{
    (void)state;
    char *d = block(4096);
    assert_true(lt_bufpool_give(d, 4096));
    struct lt_buf b;
    lt_buf_init(&b, 0);
    assert_int_equal(lt_buf_append(&b, "abc", 3), 0);
    assert_ptr_not_equal(b.data, d);
    lt_buf_cleanup(&b);
    assert_int_equal(drain(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_empty, setup),
        cmocka_unit_test_setup(test_best_fit, setup),
        cmocka_unit_test_setup(test_too_large, setup),
        cmocka_unit_test_setup(test_slots, setup),
        cmocka_unit_test_setup(test_bytes, setup),
        cmocka_unit_test_setup(test_exchange_body, setup),
        cmocka_unit_test_setup(test_plain_buf, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
