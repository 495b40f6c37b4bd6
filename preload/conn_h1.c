/* conn_h1.c — HTTP/1.1 exchanges on one connection (conn_int.h): a request and a response
 * parser (http/h1.c) and the FIFO of requests awaiting their responses (pipelining). Only
 * LLM requests get an exchange; responses are not parsed at all while no LLM exchange waits
 * for one. Called with the connection's lock held. */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"
#include "http/h1.h"

#define MAX_PENDING 32 /* requests awaiting a response on one connection (pipelining) */
/* Largest response body size remembered as the next response's first allocation. */
#define MAX_RESP_HINT ((size_t)1 << 20)

/* A request written on the connection whose response has not been read to its end. */
struct pending {
    struct lt_exchange *x; /* NULL for a non-LLM request queued behind an LLM one */
    bool head;             /* the request was HEAD: its response has no body */
};

struct lt_conn_h1 {
    struct lt_h1_parser req;
    struct lt_h1_parser resp;
    struct lt_exchange *cur_req; /* LLM request whose body is being written, or NULL */
    struct pending q[MAX_PENDING];
    size_t q_head, q_len;
    size_t resp_hint; /* body length of the last LLM response here (capped): a stream's
                         buffer is allocated once at that size instead of grown by copying */
};

struct lt_conn_h1 *lt_conn_h1_new(void)
{
    struct lt_conn_h1 *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    lt_h1_init(&h->req, LT_H1_REQUEST);
    lt_h1_init(&h->resp, LT_H1_RESPONSE);
    return h;
}

void lt_conn_h1_free(struct lt_conn_h1 *h)
{
    if (!h)
        return;
    lt_h1_cleanup(&h->req);
    lt_h1_cleanup(&h->resp);
    for (size_t i = 0; i < h->q_len; i++)
        lt_exchange_free(h->q[(h->q_head + i) % MAX_PENDING].x);
    free(h);
}

/* ---- pending FIFO -------------------------------------------------------------------- */

static struct pending *q_front(struct lt_conn_h1 *h)
{
    return h->q_len ? &h->q[h->q_head] : NULL;
}

static bool q_has_llm(const struct lt_conn_h1 *h)
{
    for (size_t i = 0; i < h->q_len; i++)
        if (h->q[(h->q_head + i) % MAX_PENDING].x)
            return true;
    return false;
}

static bool q_push(struct lt_conn_h1 *h, struct lt_exchange *x, bool head)
{
    if (h->q_len == MAX_PENDING)
        return false;
    struct pending *p = &h->q[(h->q_head + h->q_len) % MAX_PENDING];
    p->x = x;
    p->head = head;
    h->q_len++;
    return true;
}

static void q_pop(struct lt_conn_h1 *h)
{
    h->q[h->q_head].x = NULL;
    h->q_head = (h->q_head + 1) % MAX_PENDING;
    h->q_len--;
}

void lt_conn_h1_finish_all(struct lt_conn *c, enum lt_exchange_end end)
{
    struct lt_conn_h1 *h = c->h1;
    while (h->q_len) {
        struct lt_exchange *x = q_front(h)->x;
        q_pop(h);
        if (x)
            lt_conn_finish(x, end);
    }
    h->cur_req = NULL;
}

bool lt_conn_h1_busy(const struct lt_conn *c)
{
    return c->h1 && c->h1->q_len;
}

/* ---- request side --------------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const struct lt_h1_str *s)
{
    size_t n = s->n < cap - 1 ? s->n : cap - 1;
    memcpy(dst, s->p, n);
    dst[n] = '\0';
}

static int on_req_head(void *ud, const struct lt_h1_head *hd)
{
    struct lt_conn *c = ud;
    struct lt_conn_h1 *h = c->h1;
    bool is_head = hd->method.n == 4 && memcmp(hd->method.p, "HEAD", 4) == 0;
    h->cur_req = NULL;

    const struct lt_h1_str *host = lt_h1_header_get(hd, "host");
    const struct lt_h1_str *ce = lt_h1_header_get(hd, "content-encoding");
    struct lt_exchange *x = lt_conn_new_exchange(
        c, hd->method.p, hd->method.n, hd->target.p, hd->target.n, host ? host->p : NULL,
        host ? host->n : 0, ce ? ce->p : NULL, ce ? ce->n : 0);
    if (!x) {
        /* Not an LLM call: only keep it in line when an LLM response is still expected. */
        if (h->q_len)
            q_push(h, NULL, is_head);
        return 1;
    }
    if (!q_push(h, x, is_head)) {
        lt_exchange_free(x);
        return 1;
    }
    h->cur_req = x;
    return 0;
}

static void on_req_body(void *ud, const char *p, size_t n)
{
    struct lt_conn *c = ud;
    if (c->h1->cur_req)
        lt_buf_append(&c->h1->cur_req->req_body, p, n);
}

static void on_req_complete(void *ud)
{
    struct lt_conn *c = ud;
    c->h1->cur_req = NULL;
}

static const struct lt_h1_callbacks req_cb = {on_req_head, on_req_body, on_req_complete};

/* ---- response side -------------------------------------------------------------------- */

static int on_resp_head(void *ud, const struct lt_h1_head *hd)
{
    struct lt_conn *c = ud;
    struct pending *p = q_front(c->h1);
    if (!p || !p->x)
        return 1;
    struct lt_exchange *x = p->x;
    x->status = hd->status;
    const struct lt_h1_str *v = lt_h1_header_get(hd, "content-encoding");
    x->resp_encoding = v ? lt_encoding_parse(v->p, v->n) : LT_ENC_IDENTITY;
    if ((v = lt_h1_header_get(hd, "content-type")))
        copy_str(x->resp_content_type, sizeof(x->resp_content_type), v);
    size_t want = hd->content_length > 0 ? (size_t)hd->content_length : c->h1->resp_hint;
    if (want)
        lt_buf_reserve(&x->resp_body, want < MAX_RESP_HINT ? want : MAX_RESP_HINT);
    return 0;
}

static void on_resp_body(void *ud, const char *p, size_t n)
{
    struct lt_conn *c = ud;
    struct pending *f = q_front(c->h1);
    if (!f || !f->x)
        return;
    if (!f->x->t_first_body_ns)
        f->x->t_first_body_ns = lt_conn_now_ns();
    lt_buf_append(&f->x->resp_body, p, n);
}

static void on_resp_complete(void *ud)
{
    struct lt_conn *c = ud;
    struct lt_conn_h1 *h = c->h1;
    struct pending *f = q_front(h);
    if (!f)
        return;
    struct lt_exchange *x = f->x;
    q_pop(h);
    if (x == h->cur_req) /* response finished before the request body (early error) */
        h->cur_req = NULL;
    if (x) {
        h->resp_hint = x->resp_body.len < MAX_RESP_HINT ? x->resp_body.len : MAX_RESP_HINT;
        lt_conn_finish(x, LT_END_COMPLETE);
    }
    if ((f = q_front(h)))
        lt_h1_expect_head(&h->resp, f->head);
}

static const struct lt_h1_callbacks resp_cb = {on_resp_head, on_resp_body, on_resp_complete};

/* ---- entry points --------------------------------------------------------------------- */

int lt_conn_h1_write(struct lt_conn *c, const void *buf, size_t n)
{
    struct lt_conn_h1 *h = c->h1;
    bool idle = h->q_len == 0;
    if (lt_h1_feed(&h->req, buf, n, &req_cb, c) < 0) {
        lt_conn_h1_finish_all(c, LT_END_PROTOCOL);
        return -1;
    }
    if (idle && h->q_len) {
        /* First request awaiting an answer: start the response side fresh. */
        lt_h1_cleanup(&h->resp);
        lt_h1_init(&h->resp, LT_H1_RESPONSE);
        lt_h1_expect_head(&h->resp, q_front(h)->head);
    }
    return 0;
}

void lt_conn_h1_read(struct lt_conn *c, const void *buf, size_t n)
{
    struct lt_conn_h1 *h = c->h1;
    if (h->q_len && q_has_llm(h)) {
        if (lt_h1_feed(&h->resp, buf, n, &resp_cb, c) < 0)
            lt_conn_h1_finish_all(c, LT_END_PROTOCOL);
    } else if (h->q_len) {
        h->q_len = 0; /* only non-LLM requests left: stop following responses */
    }
}

void lt_conn_h1_ended(struct lt_conn *c)
{
    struct lt_conn_h1 *h = c->h1;
    if (!h->q_len)
        return;
    if (q_has_llm(h))
        lt_h1_eof(&h->resp, &resp_cb, c);
    lt_conn_h1_finish_all(c, LT_END_CUT_OFF);
}
