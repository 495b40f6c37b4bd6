/* queue.h — the bounded hand-off between host threads and the exporter thread (OTel SDK
 * spec, Batching processor: a full queue drops and counts, never blocks the producer). */
#ifndef LT_QUEUE_H
#define LT_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../preload/exchange.h"

/** A FIFO of finished exchanges bounded in count and in buffered bytes. The lock is held
 *  only for O(1) list operations. `cond` wakes the consumer when a batch's worth of
 *  exchanges is queued, or when the bodies they hold pass `wake_bytes`: the consumer then
 *  turns them into spans, which are far smaller, and the host's heap stops growing. */
struct lt_queue {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct lt_exchange *head, *tail;
    size_t n;          /* exchanges queued */
    size_t bytes;      /* bytes they hold (records and body buffers) */
    size_t max_n;      /* OTEL_BSP_MAX_QUEUE_SIZE */
    size_t max_bytes;  /* LLMTAP_MAX_QUEUE_BYTES, 0 for no bound */
    size_t wake_at;    /* signal the consumer when n reaches this (the batch size) */
    size_t wake_bytes; /* ... or when bytes reaches this */
    uint64_t dropped;  /* exchanges refused because the queue was full */
    bool closing;      /* shutdown requested: the consumer drains and stops */
};

/** Initialise a condition variable whose timed waits use CLOCK_MONOTONIC (immune to wall
 *  clock jumps). */
void lt_cond_init_monotonic(pthread_cond_t *c);

/** The queued bytes (LT_QUEUE_WAKE_BYTES, or half of a smaller `max_bytes`) that wake the
 *  consumer before a batch is full. The bodies queued before a wake are also the ones whose
 *  pages a process touches first: once freed, the pool (bufpool.h) hands the same pages to
 *  the next bodies. 256 KiB keeps that to about 4 bodies of a 62 KiB stream (about 64 page
 *  faults per process; 1 MiB made it 16 bodies and about 256) for one more exporter wake-up
 *  per 4 such exchanges. */
#define LT_QUEUE_WAKE_BYTES ((size_t)256 << 10)

/** Initialise an empty queue with its bounds; the consumer is woken at `wake_at` exchanges
 *  (at least 1) or LT_QUEUE_WAKE_BYTES bytes. */
void lt_queue_init(struct lt_queue *q, size_t max_n, size_t max_bytes, size_t wake_at);

/** True when the consumer should run now: `wake_at` exchanges or `wake_bytes` bytes are
 *  queued, or the queue is closing. Caller holds `lock`. */
bool lt_queue_due_locked(const struct lt_queue *q);

/** Append `x` (ownership passes to the queue), or drop it (freed, counted) when full.
 *  Returns 0 or -ENOSPC. */
int lt_queue_push(struct lt_queue *q, struct lt_exchange *x);

/** Take the whole list (oldest first, `next`-linked); caller owns it. Caller holds `lock`. */
struct lt_exchange *lt_queue_take_locked(struct lt_queue *q);

/** Free every queued exchange (fork child: they belong to the parent). No locking. */
void lt_queue_discard(struct lt_queue *q);

#endif
