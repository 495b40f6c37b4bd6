/* conn_h2.c — HTTP/2 exchanges on one connection (conn_int.h): one frame reader per
 * direction (http/h2.c, each with its own HPACK inflater) and a table of the streams that
 * carry LLM exchanges; one exchange per stream (RFC 9113 §8.1), `:authority` as the logical
 * host. Streams that are not LLM calls are never tracked. Called with the connection's lock
 * held. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"
#include "http/h2.h"

#define MAX_STREAMS 128 /* LLM streams tracked at once on one connection */
#define H2_REFUSED_STREAM 0x7u

struct h2_stream {
    uint32_t id; /* 0 = free slot */
    struct lt_exchange *x;
};

struct lt_conn_h2 {
    struct lt_h2_reader *cli; /* client → server */
    struct lt_h2_reader *srv; /* server → client */
    size_t n_open;            /* slots in use */
    struct h2_stream s[MAX_STREAMS];
};

struct lt_conn_h2 *lt_conn_h2_new(void)
{
    struct lt_conn_h2 *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->cli = lt_h2_new(LT_H2_CLIENT);
    h->srv = lt_h2_new(LT_H2_SERVER);
    if (!h->cli || !h->srv) {
        lt_conn_h2_free(h);
        return NULL;
    }
    return h;
}

void lt_conn_h2_free(struct lt_conn_h2 *h)
{
    if (!h)
        return;
    lt_h2_free(h->cli);
    lt_h2_free(h->srv);
    for (size_t i = 0; i < MAX_STREAMS; i++)
        lt_exchange_free(h->s[i].x);
    free(h);
}

static struct h2_stream *find(struct lt_conn_h2 *h, uint32_t id)
{
    if (!h->n_open)
        return NULL;
    for (size_t i = 0; i < MAX_STREAMS; i++)
        if (h->s[i].id == id)
            return &h->s[i];
    return NULL;
}

/* End stream `s` as `end` and free its slot. */
static void close_stream(struct lt_conn_h2 *h, struct h2_stream *s, enum lt_exchange_end end,
                         uint32_t code)
{
    struct lt_exchange *x = s->x;
    s->id = 0;
    s->x = NULL;
    h->n_open--;
    if (x) {
        x->h2_error = code;
        lt_conn_finish(x, end);
    }
}

static const struct lt_h2_header *hget(const struct lt_h2_header *hd, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (hd[i].name_len == len && memcmp(hd[i].name, name, len) == 0)
            return &hd[i];
    return NULL;
}

/* ---- client → server ------------------------------------------------------------------ */

static void cli_headers(void *ud, uint32_t id, const struct lt_h2_header *hd, size_t n,
                        bool truncated, bool end_stream)
{
    (void)truncated;
    (void)end_stream;
    struct lt_conn *c = ud;
    struct lt_conn_h2 *h = c->h2;
    if (find(h, id) || h->n_open == MAX_STREAMS)
        return; /* trailers of a tracked request, or too many streams at once */
    const struct lt_h2_header *method = hget(hd, n, ":method");
    const struct lt_h2_header *path = hget(hd, n, ":path");
    if (!method || !path)
        return;
    const struct lt_h2_header *auth = hget(hd, n, ":authority");
    if (!auth)
        auth = hget(hd, n, "host");
    const struct lt_h2_header *ce = hget(hd, n, "content-encoding");
    struct lt_exchange *x =
        lt_conn_new_exchange(c, method->value, method->value_len, path->value, path->value_len,
                             auth ? auth->value : NULL, auth ? auth->value_len : 0,
                             ce ? ce->value : NULL, ce ? ce->value_len : 0);
    if (!x)
        return;
    for (size_t i = 0; i < MAX_STREAMS; i++) {
        if (!h->s[i].id) {
            h->s[i].id = id;
            h->s[i].x = x;
            h->n_open++;
            return;
        }
    }
    lt_exchange_free(x); /* unreachable: n_open < MAX_STREAMS */
}

static void cli_data(void *ud, uint32_t id, const char *p, size_t n, bool end_stream)
{
    (void)end_stream;
    struct lt_conn *c = ud;
    struct h2_stream *s = find(c->h2, id);
    if (s && n)
        lt_buf_append(&s->x->req_body, p, n);
}

static void on_rst(void *ud, uint32_t id, uint32_t code)
{
    struct lt_conn *c = ud;
    struct h2_stream *s = find(c->h2, id);
    if (s)
        close_stream(c->h2, s, LT_END_RESET, code);
}

static void cli_table_size(void *ud, uint32_t size)
{
    struct lt_conn *c = ud; /* the client's decoder limit bounds the server's encoder */
    lt_h2_set_header_table_size(c->h2->srv, size);
}

static const struct lt_h2_callbacks cli_cb = {
    .on_headers = cli_headers,
    .on_data = cli_data,
    .on_rst_stream = on_rst,
    .on_header_table_size = cli_table_size,
};

/* ---- server → client ------------------------------------------------------------------ */

static void copy_value(char *dst, size_t cap, const struct lt_h2_header *v)
{
    size_t n = v->value_len < cap - 1 ? v->value_len : cap - 1;
    memcpy(dst, v->value, n);
    dst[n] = '\0';
}

static void srv_headers(void *ud, uint32_t id, const struct lt_h2_header *hd, size_t n,
                        bool truncated, bool end_stream)
{
    (void)truncated;
    struct lt_conn *c = ud;
    struct h2_stream *s = find(c->h2, id);
    if (!s)
        return;
    struct lt_exchange *x = s->x;
    const struct lt_h2_header *st = hget(hd, n, ":status");
    if (st && !x->status) {
        int code = 0;
        for (size_t i = 0; i < st->value_len && i < 3; i++)
            code =
                code * 10 + (st->value[i] >= '0' && st->value[i] <= '9' ? st->value[i] - '0' : 0);
        if (code >= 100 && code < 200 && !end_stream)
            return; /* informational (RFC 9113 §8.1): the final head follows */
        x->status = code;
        const struct lt_h2_header *v = hget(hd, n, "content-encoding");
        x->resp_encoding = v ? lt_encoding_parse(v->value, v->value_len) : LT_ENC_IDENTITY;
        if ((v = hget(hd, n, "content-type")))
            copy_value(x->resp_content_type, sizeof(x->resp_content_type), v);
    }
    if (end_stream) /* a head without body, or trailers */
        close_stream(c->h2, s, LT_END_COMPLETE, 0);
}

static void srv_data(void *ud, uint32_t id, const char *p, size_t n, bool end_stream)
{
    struct lt_conn *c = ud;
    struct h2_stream *s = find(c->h2, id);
    if (!s)
        return;
    if (n) {
        if (!s->x->t_first_body_ns)
            s->x->t_first_body_ns = lt_conn_now_ns();
        lt_buf_append(&s->x->resp_body, p, n);
    }
    if (end_stream)
        close_stream(c->h2, s, LT_END_COMPLETE, 0);
}

static void srv_goaway(void *ud, uint32_t last_id, uint32_t code)
{
    (void)code;
    struct lt_conn *c = ud;
    struct lt_conn_h2 *h = c->h2;
    /* Streams above last_id were never processed (RFC 9113 §6.8): refused. */
    for (size_t i = 0; i < MAX_STREAMS && h->n_open; i++)
        if (h->s[i].id > last_id)
            close_stream(h, &h->s[i], LT_END_RESET, H2_REFUSED_STREAM);
}

static void srv_table_size(void *ud, uint32_t size)
{
    struct lt_conn *c = ud;
    lt_h2_set_header_table_size(c->h2->cli, size);
}

static const struct lt_h2_callbacks srv_cb = {
    .on_headers = srv_headers,
    .on_data = srv_data,
    .on_rst_stream = on_rst,
    .on_goaway = srv_goaway,
    .on_header_table_size = srv_table_size,
};

/* ---- entry points --------------------------------------------------------------------- */

int lt_conn_h2_write(struct lt_conn *c, const void *buf, size_t n)
{
    if (lt_h2_feed(c->h2->cli, buf, n, &cli_cb, c) == -EINVAL) {
        lt_conn_h2_ended(c, LT_END_PROTOCOL);
        return -1;
    }
    return 0;
}

void lt_conn_h2_read(struct lt_conn *c, const void *buf, size_t n)
{
    /* The server side is always read: its HPACK state must see every header block, even of
     * streams we do not follow. */
    if (lt_h2_feed(c->h2->srv, buf, n, &srv_cb, c) == -EINVAL)
        lt_conn_h2_ended(c, LT_END_PROTOCOL);
}

bool lt_conn_h2_busy(const struct lt_conn *c)
{
    return c->h2 && c->h2->n_open;
}

void lt_conn_h2_ended(struct lt_conn *c, enum lt_exchange_end end)
{
    struct lt_conn_h2 *h = c->h2;
    for (size_t i = 0; i < MAX_STREAMS && h->n_open; i++)
        if (h->s[i].id)
            close_stream(h, &h->s[i], end, 0);
}
