/* exchange.c — allocation and release of exchange records (see exchange.h). */
#include "exchange.h"

#include <stdlib.h>

struct lt_exchange *lt_exchange_new(size_t max_body)
{
    struct lt_exchange *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    lt_buf_init(&x->req_body, max_body);
    lt_buf_init(&x->resp_body, max_body);
    x->req_body.pooled = x->resp_body.pooled = true; /* their pages are reused (bufpool.h) */
    return x;
}

void lt_exchange_free(struct lt_exchange *x)
{
    if (!x)
        return;
    free(x->target);
    lt_buf_cleanup(&x->req_body);
    lt_buf_cleanup(&x->resp_body);
    free(x);
}
