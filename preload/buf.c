/* buf.c — bounded growable byte buffer (see buf.h). */
#include "buf.h"

#include "bufpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void lt_buf_init(struct lt_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

/* Make the storage hold at least `want` bytes and the NUL, contents kept: from bufpool.h for
 * a `pooled` buffer (its cap may come out larger: whole pages), else from the heap. Returns
 * false (buffer unchanged) when no memory could be had. */
static bool resize(struct lt_buf *b, size_t want)
{
    size_t cap = b->cap;
    char *nd;
    if (b->pooled) {
        nd = b->data ? lt_bufpool_grow(b->data, &cap, want) : lt_bufpool_alloc(want, &cap);
    } else {
        nd = realloc(b->data, want + 1);
        cap = want;
    }
    if (!nd)
        return false;
    if (!b->data)
        nd[0] = '\0';
    b->data = nd;
    b->cap = cap;
    return true;
}

int lt_buf_append(struct lt_buf *b, const void *p, size_t n)
{
    if (b->max && b->len + n > b->max) {
        n = b->max > b->len ? b->max - b->len : 0;
        b->truncated = true;
    }
    if (n == 0)
        return 0;
    if (b->len + n > b->cap || !b->data) {
        size_t want = b->cap ? b->cap : 256;
        while (want < b->len + n)
            want *= 2;
        if (b->max && want > b->max)
            want = b->max;
        if (!resize(b, want)) {
            b->truncated = true;
            return -ENOMEM;
        }
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int lt_buf_reserve(struct lt_buf *b, size_t n)
{
    if (b->max && n > b->max)
        n = b->max;
    if (n <= b->cap && b->data)
        return 0;
    return resize(b, n) ? 0 : -ENOMEM;
}

void lt_buf_reset(struct lt_buf *b)
{
    b->len = 0;
    b->truncated = false;
    if (b->data)
        b->data[0] = '\0';
}

void lt_buf_cleanup(struct lt_buf *b)
{
    if (b->pooled)
        lt_bufpool_release(b->data, b->cap);
    else
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->truncated = false;
}
