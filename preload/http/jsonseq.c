/* jsonseq.c — STUB (see jsonseq.h). */
#include "jsonseq.h"

#include <string.h>

void lt_jsonseq_init(struct lt_jsonseq_parser *p, size_t max_value)
{
    memset(p, 0, sizeof(*p));
    p->max_value = max_value;
}

int lt_jsonseq_feed(struct lt_jsonseq_parser *p, const char *d, size_t n, lt_jsonseq_cb cb,
                    void *ud)
{
    (void)p, (void)d, (void)n, (void)cb, (void)ud;
    return 0;
}

int lt_jsonseq_finish(struct lt_jsonseq_parser *p, lt_jsonseq_cb cb, void *ud)
{
    (void)p, (void)cb, (void)ud;
    return 0;
}

void lt_jsonseq_cleanup(struct lt_jsonseq_parser *p)
{
    lt_buf_cleanup(&p->cur);
}
