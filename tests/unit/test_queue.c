/* test_queue.c — export/queue.c: the bounds (count and bytes; a full queue drops and counts)
 * and when the consumer is due (a batch's worth of exchanges, or wake_bytes of bodies). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "export/queue.h"

/* An exchange whose response body holds `body` bytes. */
static struct lt_exchange *exchange_with(size_t body)
{
    struct lt_exchange *x = lt_exchange_new(0);
    assert_non_null(x);
    if (body)
        assert_int_equal(lt_buf_reserve(&x->resp_body, body), 0);
    return x;
}

static void drain(struct lt_queue *q)
{
    struct lt_exchange *x = lt_queue_take_locked(q);
    while (x) {
        struct lt_exchange *next = x->next;
        lt_exchange_free(x);
        x = next;
    }
}

/* Small exchanges: due at the batch size, not before. */
static void test_due_at_batch(void **state)
{
    (void)state;
    struct lt_queue q;
    lt_queue_init(&q, 100, 0, 4);
    assert_int_equal(q.wake_bytes, LT_QUEUE_WAKE_BYTES);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lt_queue_push(&q, exchange_with(0)), 0);
        assert_false(lt_queue_due_locked(&q));
    }
    assert_int_equal(lt_queue_push(&q, exchange_with(0)), 0);
    assert_true(lt_queue_due_locked(&q));
    drain(&q);
    assert_false(lt_queue_due_locked(&q));
    assert_int_equal(q.n, 0);
    assert_int_equal(q.bytes, 0);
}

/* Large bodies make the consumer due long before the batch is full. */
static void test_due_at_bytes(void **state)
{
    (void)state;
    struct lt_queue q;
    lt_queue_init(&q, 1000, 0, 512);
    size_t body = 64 * 1024, n = 0;
    while (!lt_queue_due_locked(&q)) {
        assert_int_equal(lt_queue_push(&q, exchange_with(body)), 0);
        n++;
        assert_true(n <= LT_QUEUE_WAKE_BYTES / body);
    }
    assert_true(q.bytes >= LT_QUEUE_WAKE_BYTES);
    assert_true(n < 512);
    drain(&q);
    assert_false(lt_queue_due_locked(&q));
}

/* A small LLMTAP_MAX_QUEUE_BYTES wakes at half of it; 1 byte still means "not empty". */
static void test_small_byte_bound(void **state)
{
    (void)state;
    struct lt_queue q;
    lt_queue_init(&q, 100, 4096, 50);
    assert_int_equal(q.wake_bytes, 2048);
    lt_queue_init(&q, 100, 1, 50);
    assert_int_equal(q.wake_bytes, 1);
    assert_false(lt_queue_due_locked(&q));
}

/* Full in count or in bytes: refused, freed and counted; the queue is unchanged. */
static void test_full_drops_and_counts(void **state)
{
    (void)state;
    struct lt_queue q;
    lt_queue_init(&q, 2, 0, 10);
    assert_int_equal(lt_queue_push(&q, exchange_with(0)), 0);
    assert_int_equal(lt_queue_push(&q, exchange_with(0)), 0);
    assert_int_equal(lt_queue_push(&q, exchange_with(0)), -ENOSPC);
    assert_int_equal(q.n, 2);
    assert_int_equal(q.dropped, 1);
    drain(&q);

    lt_queue_init(&q, 100, 100 * 1024, 10);
    assert_int_equal(lt_queue_push(&q, exchange_with(60 * 1024)), 0);
    size_t bytes = q.bytes;
    assert_int_equal(lt_queue_push(&q, exchange_with(60 * 1024)), -ENOSPC);
    assert_int_equal(q.bytes, bytes);
    assert_int_equal(q.n, 1);
    assert_int_equal(q.dropped, 1);
    drain(&q);
}

/* Closing makes the consumer due with nothing queued. */
static void test_closing_is_due(void **state)
{
    (void)state;
    struct lt_queue q;
    lt_queue_init(&q, 10, 0, 10);
    assert_false(lt_queue_due_locked(&q));
    q.closing = true;
    assert_true(lt_queue_due_locked(&q));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_at_batch),     cmocka_unit_test(test_due_at_bytes),
        cmocka_unit_test(test_small_byte_bound), cmocka_unit_test(test_full_drops_and_counts),
        cmocka_unit_test(test_closing_is_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
