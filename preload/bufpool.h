/* bufpool.h — storage of exchange bodies: llmtap's own anonymous mappings, kept for reuse.
 *
 * Why not malloc: the exporter thread frees a body once its span is built. Given back to
 * glibc, a 64 KiB body was merged into the heap top and trimmed (brk), so the next exchange's
 * body faulted every page in again: 12 page faults per 62 KiB streamed exchange, about 40 %
 * of llmtap's host-thread CPU on a VM where a fault is expensive (issue 5, item 3). Kept in a
 * pool but allocated with malloc, the bodies fragmented the host's heap instead (Python's
 * own mallocs then searched the bins: +87 instructions per SSE event). So a body lives in a
 * mapping of its own, outside the host's heap; it grows with mremap (no copy), and when
 * freed goes to a small bounded pool, where the next body on any thread takes it: its pages
 * stay mapped.
 *
 * Bounded: the pool keeps at most LT_BUFPOOL_SLOTS mappings and LT_BUFPOOL_MAX_BYTES bytes in
 * all, each at most LT_BUFPOOL_MAX_BUF; any other is unmapped. Never waits: the pool's lock
 * is only ever tried; a busy pool means "map a new one" (alloc) or "unmap it" (release).
 * Any thread. Under AddressSanitizer the storage is malloc'd instead, so that the sanitizer
 * still checks every access to a body. */
#ifndef LT_BUFPOOL_H
#define LT_BUFPOOL_H

#include <stddef.h>

/** Mappings the pool keeps at most. */
#define LT_BUFPOOL_SLOTS 64
/** Bytes (mapping sizes) the pool keeps at most in all. */
#define LT_BUFPOOL_MAX_BYTES ((size_t)4 << 20)
/** The largest mapping (bytes) the pool keeps. */
#define LT_BUFPOOL_MAX_BUF ((size_t)1 << 20)

/** Storage for at least `want` bytes plus a NUL: the pooled mapping that fits best (the
 *  smallest of at least `want` + 1 bytes, else the largest, grown), else a new one. `*cap`
 *  gets the usable bytes (the mapping's size - 1: the last byte is for the NUL). Returns
 *  NULL when no memory could be mapped. Release with lt_bufpool_release(). */
char *lt_bufpool_alloc(size_t want, size_t *cap);

/** Grow storage `data` (`cap` usable bytes, from lt_bufpool_alloc) to at least `want`
 *  usable bytes, contents kept (mremap: the pages move, the bytes are not copied). Returns
 *  the new address (`*cap` updated), or NULL with `data` unchanged and still owned. */
char *lt_bufpool_grow(char *data, size_t *cap, size_t want);

/** Release storage `data` (`cap` usable bytes, from lt_bufpool_alloc/grow): kept in the pool
 *  when it fits there (possibly unmapping a smaller pooled one to make room), else unmapped.
 *  NULL is allowed. */
void lt_bufpool_release(char *data, size_t cap);

/** Unmap every pooled mapping; returns how many there were. For tests. */
int lt_bufpool_drain(void);

/** In a fork child: a fresh lock (the parent's may have been held by a thread the child
 *  does not have). The pooled mappings are the child's copies and stay usable. Only from a
 *  pthread_atfork child handler. */
void lt_bufpool_after_fork(void);

#endif
