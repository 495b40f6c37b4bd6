/* bufpool.h — exchange body storage kept for reuse. The exporter thread frees an exchange's
 * body buffers once its span is built; given back to glibc, a 64 KiB body is merged into the
 * heap top and trimmed (brk), so the next exchange's body faults every page in again — 12
 * page faults per 62 KiB streamed exchange, about 40 % of llmtap's host-thread CPU on a VM
 * where a fault is expensive (issue 5, item 3). A body buffer freed here goes to a small
 * bounded pool instead, and the next body on any thread takes it: its pages stay mapped.
 *
 * Bounded: at most LT_BUFPOOL_SLOTS buffers and LT_BUFPOOL_MAX_BYTES bytes in all, each at
 * most LT_BUFPOOL_MAX_BUF bytes; a larger buffer, or one that does not fit, goes back to the
 * allocator as before. Never waits: the pool's lock is only ever tried; a busy pool means
 * "allocate" (take) or "free" (give), exactly what happened without the pool. Any thread. */
#ifndef LT_BUFPOOL_H
#define LT_BUFPOOL_H

#include <stdbool.h>
#include <stddef.h>

/** Buffers the pool keeps at most. */
#define LT_BUFPOOL_SLOTS 64
/** Bytes (capacities) the pool keeps at most in all. */
#define LT_BUFPOOL_MAX_BYTES ((size_t)4 << 20)
/** The largest buffer (capacity, bytes) the pool keeps. */
#define LT_BUFPOOL_MAX_BUF ((size_t)1 << 20)

/** Take a pooled buffer for a body that wants `want` bytes: the smallest one of at least
 *  `want` bytes, else the largest one. Returns its storage (malloc'd, `*cap` + 1 bytes, the
 *  caller's to realloc or free, or to give back), or NULL when the pool is empty or busy. */
char *lt_bufpool_take(size_t want, size_t *cap);

/** Give `data` (malloc'd storage of `cap` + 1 bytes) to the pool. Returns true when the pool
 *  kept it (possibly freeing a smaller pooled buffer to make room), false when the caller
 *  still owns it and must free it (too large, pool busy). */
bool lt_bufpool_give(char *data, size_t cap);

/** In a fork child: a fresh lock (the parent's may have been held by a thread the child
 *  does not have). The pooled buffers are the child's copies and stay usable. Only from a
 *  pthread_atfork child handler. */
void lt_bufpool_after_fork(void);

#endif
