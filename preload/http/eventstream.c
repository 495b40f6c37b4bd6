/* eventstream.c — STUB (see eventstream.h). */
#include "eventstream.h"

#include <string.h>

void lt_es_init(struct lt_es_parser *p, size_t max_message)
{
    memset(p, 0, sizeof(*p));
    p->max_message = max_message;
}

int lt_es_feed(struct lt_es_parser *p, const char *d, size_t n, lt_es_cb cb, void *ud)
{
    (void)p, (void)d, (void)n, (void)cb, (void)ud;
    return 0;
}

void lt_es_cleanup(struct lt_es_parser *p)
{
    lt_buf_cleanup(&p->cur);
}
