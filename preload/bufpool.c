/* bufpool.c — exchange body storage kept for reuse (see bufpool.h). A fixed array of
 * slots under one mutex that is only ever tried, never waited for. */
#include "bufpool.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot {
    char *data; /* NULL: free slot */
    size_t cap;
} slots[LT_BUFPOOL_SLOTS];
static size_t pooled_bytes; /* sum of the caps held (lock) */

char *lt_bufpool_take(size_t want, size_t *cap)
{
    if (pthread_mutex_trylock(&lock) != 0)
        return NULL;
    int fit = -1, largest = -1;
    for (int i = 0; i < LT_BUFPOOL_SLOTS; i++) {
        if (!slots[i].data)
            continue;
        size_t c = slots[i].cap;
        if (c >= want && (fit < 0 || c < slots[fit].cap))
            fit = i;
        if (largest < 0 || c > slots[largest].cap)
            largest = i;
    }
    int i = fit >= 0 ? fit : largest;
    char *data = NULL;
    if (i >= 0) {
        data = slots[i].data;
        *cap = slots[i].cap;
        pooled_bytes -= slots[i].cap;
        slots[i].data = NULL;
        slots[i].cap = 0;
    }
    pthread_mutex_unlock(&lock);
    return data;
}

bool lt_bufpool_give(char *data, size_t cap)
{
    if (!data || cap > LT_BUFPOOL_MAX_BUF || pthread_mutex_trylock(&lock) != 0)
        return false;
    /* A free slot, else the smallest pooled buffer if it is smaller than this one. */
    int free_slot = -1, smallest = -1;
    for (int i = 0; i < LT_BUFPOOL_SLOTS; i++) {
        if (!slots[i].data) {
            if (free_slot < 0)
                free_slot = i;
        } else if (smallest < 0 || slots[i].cap < slots[smallest].cap) {
            smallest = i;
        }
    }
    char *evict = NULL;
    int i = free_slot;
    if (i < 0 && smallest >= 0 && slots[smallest].cap < cap) {
        i = smallest;
        evict = slots[i].data;
        pooled_bytes -= slots[i].cap;
        slots[i].data = NULL;
    }
    bool kept = i >= 0 && pooled_bytes + cap <= LT_BUFPOOL_MAX_BYTES;
    if (kept) {
        slots[i].data = data;
        slots[i].cap = cap;
        pooled_bytes += cap;
    } else if (evict) { /* it still does not fit: put the evicted one back */
        slots[i].data = evict;
        pooled_bytes += slots[i].cap;
        evict = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(evict);
    return kept;
}

void lt_bufpool_after_fork(void)
{
    pthread_mutex_init(&lock, NULL);
}
