/* queue.c — bounded exchange queue (see queue.h). */
#include "queue.h"

#include <errno.h>
#include <time.h>

void lt_cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
}

void lt_queue_init(struct lt_queue *q, size_t max_n, size_t max_bytes, size_t wake_at)
{
    pthread_mutex_init(&q->lock, NULL);
    lt_cond_init_monotonic(&q->cond);
    q->head = q->tail = NULL;
    q->n = q->bytes = 0;
    q->max_n = max_n;
    q->max_bytes = max_bytes;
    q->wake_at = wake_at ? wake_at : 1;
    q->wake_bytes =
        max_bytes && max_bytes / 2 < LT_QUEUE_WAKE_BYTES ? max_bytes / 2 : LT_QUEUE_WAKE_BYTES;
    if (!q->wake_bytes)
        q->wake_bytes = 1;
    q->dropped = 0;
    q->closing = false;
}

bool lt_queue_due_locked(const struct lt_queue *q)
{
    return q->closing || q->n >= q->wake_at || q->bytes >= q->wake_bytes;
}

static size_t weight(const struct lt_exchange *x)
{
    return sizeof(*x) + x->req_body.cap + x->resp_body.cap;
}

int lt_queue_push(struct lt_queue *q, struct lt_exchange *x)
{
    size_t w = weight(x);
    pthread_mutex_lock(&q->lock);
    if (q->n >= q->max_n || (q->max_bytes && q->bytes + w > q->max_bytes)) {
        q->dropped++;
        pthread_mutex_unlock(&q->lock);
        lt_exchange_free(x);
        return -ENOSPC;
    }
    x->next = NULL;
    if (q->tail)
        q->tail->next = x;
    else
        q->head = x;
    q->tail = x;
    q->n++;
    q->bytes += w;
    /* Signal on the crossing only: the consumer takes the whole list when it runs. */
    if (q->n == q->wake_at || (q->bytes >= q->wake_bytes && q->bytes - w < q->wake_bytes))
        pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

struct lt_exchange *lt_queue_take_locked(struct lt_queue *q)
{
    struct lt_exchange *h = q->head;
    q->head = q->tail = NULL;
    q->n = q->bytes = 0;
    return h;
}

void lt_queue_discard(struct lt_queue *q)
{
    struct lt_exchange *x = q->head;
    while (x) {
        struct lt_exchange *next = x->next;
        lt_exchange_free(x);
        x = next;
    }
    q->head = q->tail = NULL;
    q->n = q->bytes = 0;
}
