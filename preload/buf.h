/* buf.h — a growable byte buffer that carries its own cap (curl's dynbuf idea).
 * Used for exchange bodies and encoder output. Growth is geometric up to `max`;
 * bytes past the cap are dropped and `truncated` is set, never an error for the caller. */
#ifndef LT_BUF_H
#define LT_BUF_H

#include <stdbool.h>
#include <stddef.h>

/** A byte buffer bounded by `max` bytes. Zero-initialise, then set `max` (0 = unbounded).
 *  Owns `data` (heap); release with lt_buf_cleanup(). `data` is always NUL-terminated when
 *  non-NULL (the NUL is not counted in `len`), so JSON parsers can read it as a string. */
struct lt_buf {
    char *data;     /* heap bytes, NULL until the first append */
    size_t len;     /* bytes held */
    size_t cap;     /* bytes allocated (excluding the NUL) */
    size_t max;     /* cap on len in bytes; 0 means no cap */
    bool truncated; /* set once bytes were dropped because of `max` */
    bool pooled;    /* storage from bufpool.h (exchange bodies): llmtap's own mappings, kept
                       for reuse; set before the first append, never changed after */
};

/** Initialise an empty buffer whose length may not exceed `max` bytes (0 = no cap). */
void lt_buf_init(struct lt_buf *b, size_t max);

/** Append `n` bytes. Bytes beyond the cap are dropped and `truncated` is set.
 *  Returns 0, or -ENOMEM when growing failed (buffer unchanged, `truncated` set). */
int lt_buf_append(struct lt_buf *b, const void *p, size_t n);

/** Make room for `n` bytes in total (capped at `max`) in one allocation, so that appends up
 *  to that size never reallocate (and copy). A hint only: returns 0, or -ENOMEM with the
 *  buffer unchanged. */
int lt_buf_reserve(struct lt_buf *b, size_t n);

/** Drop the contents but keep the allocation (and the cap); clears `truncated`. */
void lt_buf_reset(struct lt_buf *b);

/** Free the storage (a `pooled` buffer's goes back to bufpool.h's pool when it fits there);
 *  the buffer is empty (and may be reused) afterwards. */
void lt_buf_cleanup(struct lt_buf *b);

#endif
