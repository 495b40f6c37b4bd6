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

/* First storage of a `pooled` buffer: a pooled body buffer, preferably of `want` bytes. */
static void adopt(struct lt_buf *b, size_t want)
{
    size_t cap;
    char *d = lt_bufpool_take(want, &cap);
    if (d) {
        b->data = d;
        b->cap = cap;
        d[0] = '\0';
    }
}

int lt_buf_append(struct lt_buf *b, const void *p, size_t n)
{
    if (b->max && b->len + n > b->max) {
        n = b->max > b->len ? b->max - b->len : 0;
        b->truncated = true;
    }
    if (n == 0)
        return 0;
    if (!b->data && b->pooled)
        adopt(b, b->len + n);
    if (b->len + n > b->cap || !b->data) {
        size_t want = b->cap ? b->cap : 256;
        while (want < b->len + n)
            want *= 2;
        if (b->max && want > b->max)
            want = b->max;
        char *nd = realloc(b->data, want + 1);
        if (!nd) {
            b->truncated = true;
            return -ENOMEM;
        }
        b->data = nd;
        b->cap = want;
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
    if (!b->data && b->pooled)
        adopt(b, n);
    if (n <= b->cap && b->data)
        return 0;
    char *nd = realloc(b->data, n + 1);
    if (!nd)
        return -ENOMEM;
    if (!b->data)
        nd[0] = '\0';
    b->data = nd;
    b->cap = n;
    return 0;
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
    if (!b->pooled || !lt_bufpool_give(b->data, b->cap))
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->truncated = false;
}
