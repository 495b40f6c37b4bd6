/* conn.c — per-connection HTTP/1.1 reconstruction on the host's threads (see conn.h).
 * Lock order: bucket lock, then (after dropping it) the connection's own lock. A bucket
 * lock is held only for a list walk; a connection lock only while one buffer is parsed. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../export/export.h"
#include "config.h"
#include "exchange.h"
#include "genai/genai.h"
#include "http/h1.h"
#include "real.h"

/* OpenSSL constants used here (stable ABI since 1.0): TLSEXT_NAMETYPE_host_name, and the
 * SSL_get_error codes (ssl.h). */
#define TLSEXT_NAMETYPE_HOST 0
#define SSL_ERROR_WANT_READ 2
#define SSL_ERROR_WANT_WRITE 3
#define SSL_ERROR_WANT_X509_LOOKUP 4
#define SSL_ERROR_WANT_CONNECT 7
#define SSL_ERROR_WANT_ACCEPT 8
#define SSL_ERROR_WANT_ASYNC 9
#define SSL_ERROR_WANT_ASYNC_JOB 10
#define SSL_ERROR_WANT_CLIENT_HELLO_CB 11

#define MAX_PENDING 32 /* requests awaiting a response on one connection (pipelining) */

/* A request written on the connection whose response has not been read to its end. */
struct pending {
    struct lt_exchange *x; /* NULL for a non-LLM request queued behind an LLM one */
    bool head;             /* the request was HEAD: its response has no body */
};

struct lt_conn {
    struct ssl_st *ssl; /* key */
    struct lt_conn *hnext;
    int refs; /* atomic: the table's reference + one per thread using it */
    pthread_mutex_t lock;
    bool ignored; /* server side, or bytes that are not HTTP/1.x: pass through for good */
    char sni[256];
    char peer[64];
    int peer_port;
    struct lt_h1_parser req;
    struct lt_h1_parser resp;
    struct lt_exchange *cur_req; /* LLM request whose body is being written, or NULL */
    struct pending q[MAX_PENDING];
    size_t q_head, q_len;
};

/* The connection table: buckets of chained connections, each bucket with its own lock. */
#define NBUCKETS 512
static struct bucket {
    pthread_mutex_t lock;
    struct lt_conn *head;
} table[NBUCKETS];

/* Peer addresses by fd, filled by the connect hook. Calloc'ed on first connect: pages are
 * only touched for fds in use. Entries may tear under races; a torn entry only mislabels
 * a peer address attribute. */
#define MAX_FD 65536
struct peer {
    uint16_t port;
    uint8_t family; /* 0 = unknown */
    uint8_t addr[16];
};
static struct peer *peers;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct bucket *bucket_of(const struct ssl_st *ssl)
{
    uintptr_t h = (uintptr_t)ssl;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return &table[(h >> 40) % NBUCKETS];
}

/* Find `ssl` and take a reference; NULL when unknown. */
static struct lt_conn *conn_get(struct ssl_st *ssl)
{
    struct bucket *b = bucket_of(ssl);
    pthread_mutex_lock(&b->lock);
    struct lt_conn *c = b->head;
    while (c && c->ssl != ssl)
        c = c->hnext;
    if (c)
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&b->lock);
    return c;
}

static void conn_destroy(struct lt_conn *c)
{
    lt_h1_cleanup(&c->req);
    lt_h1_cleanup(&c->resp);
    for (size_t i = 0; i < c->q_len; i++)
        lt_exchange_free(c->q[(c->q_head + i) % MAX_PENDING].x);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void conn_put(struct lt_conn *c)
{
    if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
        conn_destroy(c);
}

static void fill_peer(struct lt_conn *c, int fd)
{
    if (fd < 0)
        return;
    struct peer p = {0};
    if (peers && fd < MAX_FD)
        p = peers[fd];
    if (!p.family) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
            return;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            p.family = AF_INET;
            p.port = ntohs(in->sin_port);
            memcpy(p.addr, &in->sin_addr, 4);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            p.family = AF_INET6;
            p.port = ntohs(in6->sin6_port);
            memcpy(p.addr, &in6->sin6_addr, 16);
        } else {
            return;
        }
    }
    inet_ntop(p.family, p.addr, c->peer, sizeof(c->peer));
    c->peer_port = p.port;
}

/* Create the state for a connection seen for the first time on a write. */
static struct lt_conn *conn_create(struct ssl_st *ssl)
{
    struct lt_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ssl = ssl;
    c->refs = 2; /* the table's and the caller's */
    pthread_mutex_init(&c->lock, NULL);
    lt_h1_init(&c->req, LT_H1_REQUEST);
    lt_h1_init(&c->resp, LT_H1_RESPONSE);

    int (*is_server)(const struct ssl_st *) = lt_real_ssl(LT_SSL_IS_SERVER);
    if (is_server && is_server(ssl))
        c->ignored = true;
    const char *(*servername)(const struct ssl_st *, int) = lt_real_ssl(LT_SSL_GET_SERVERNAME);
    const char *sni = servername ? servername(ssl, TLSEXT_NAMETYPE_HOST) : NULL;
    if (sni) {
        strncpy(c->sni, sni, sizeof(c->sni) - 1);
    }
    int (*get_fd)(const struct ssl_st *) = lt_real_ssl(LT_SSL_GET_FD);
    if (!c->ignored && get_fd)
        fill_peer(c, get_fd(ssl));

    struct bucket *b = bucket_of(ssl);
    pthread_mutex_lock(&b->lock);
    struct lt_conn *other = b->head;
    while (other && other->ssl != ssl)
        other = other->hnext;
    if (other) { /* another thread created it first */
        __atomic_add_fetch(&other->refs, 1, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&b->lock);
        c->refs = 0;
        conn_destroy(c);
        return other;
    }
    c->hnext = b->head;
    b->head = c;
    pthread_mutex_unlock(&b->lock);
    if (!c->ignored)
        lt_export_arm_exit();
    return c;
}

/* Remove `ssl` from the table; returns the connection with the table's reference, or NULL. */
static struct lt_conn *conn_unlink(struct ssl_st *ssl)
{
    struct bucket *b = bucket_of(ssl);
    pthread_mutex_lock(&b->lock);
    struct lt_conn **pp = &b->head;
    while (*pp && (*pp)->ssl != ssl)
        pp = &(*pp)->hnext;
    struct lt_conn *c = *pp;
    if (c)
        *pp = c->hnext;
    pthread_mutex_unlock(&b->lock);
    return c;
}

/* ---- pending FIFO -------------------------------------------------------------------- */

static struct pending *q_front(struct lt_conn *c)
{
    return c->q_len ? &c->q[c->q_head] : NULL;
}

static bool q_has_llm(const struct lt_conn *c)
{
    for (size_t i = 0; i < c->q_len; i++)
        if (c->q[(c->q_head + i) % MAX_PENDING].x)
            return true;
    return false;
}

static bool q_push(struct lt_conn *c, struct lt_exchange *x, bool head)
{
    if (c->q_len == MAX_PENDING)
        return false;
    struct pending *p = &c->q[(c->q_head + c->q_len) % MAX_PENDING];
    p->x = x;
    p->head = head;
    c->q_len++;
    return true;
}

static void q_pop(struct lt_conn *c)
{
    c->q[c->q_head].x = NULL;
    c->q_head = (c->q_head + 1) % MAX_PENDING;
    c->q_len--;
}

/* Hand `x` to the exporter, ended as `end`. */
static void finish(struct lt_exchange *x, enum lt_exchange_end end)
{
    x->end = end;
    if (!x->t_end_ns)
        x->t_end_ns = now_ns();
    lt_export_submit(x);
}

/* End every open exchange of `c` as `end` and forget the requests. */
static void finish_pending(struct lt_conn *c, enum lt_exchange_end end)
{
    while (c->q_len) {
        struct lt_exchange *x = q_front(c)->x;
        q_pop(c);
        if (x)
            finish(x, end);
    }
    c->cur_req = NULL;
}

/* ---- request side --------------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const struct lt_h1_str *s)
{
    size_t n = s->n < cap - 1 ? s->n : cap - 1;
    memcpy(dst, s->p, n);
    dst[n] = '\0';
}

/* Split a Host value ("h", "h:p", "[v6]:p") into host view and port (0 when absent). */
static void split_host(const char *p, size_t n, const char **host, size_t *host_len, int *port)
{
    *port = 0;
    *host = p;
    *host_len = n;
    const char *colon = NULL;
    if (n && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (close) {
            *host = p + 1;
            *host_len = (size_t)(close - p - 1);
            if ((size_t)(close - p) + 1 < n && close[1] == ':')
                colon = close + 1;
        }
    } else {
        colon = memchr(p, ':', n);
        if (colon)
            *host_len = (size_t)(colon - p);
    }
    if (colon) {
        int v = 0;
        for (const char *q = colon + 1; q < p + n && *q >= '0' && *q <= '9'; q++)
            v = v * 10 + (*q - '0');
        *port = v > 0 && v < 65536 ? v : 0;
    }
}

static int on_req_head(void *ud, const struct lt_h1_head *h)
{
    struct lt_conn *c = ud;
    bool is_head = h->method.n == 4 && memcmp(h->method.p, "HEAD", 4) == 0;
    c->cur_req = NULL;

    const struct lt_h1_str *host_hdr = lt_h1_header_get(h, "host");
    const char *host;
    size_t host_len;
    int port = 0;
    if (host_hdr && host_hdr->n) {
        split_host(host_hdr->p, host_hdr->n, &host, &host_len, &port);
    } else {
        host = c->sni;
        host_len = strlen(c->sni);
    }
    if (!port)
        port = 443;

    struct lt_detect d;
    if (!lt_genai_detect(host, host_len, port, h->method.p, h->method.n, h->target.p, h->target.n,
                         &d)) {
        /* Not an LLM call: only keep it in line when an LLM response is still expected. */
        if (c->q_len)
            q_push(c, NULL, is_head);
        return 1;
    }
    struct lt_exchange *x = lt_exchange_new(lt_cfg.max_body);
    if (!x)
        return 1;
    x->t_start_ns = now_ns();
    x->api = d.api;
    memcpy(x->provider, d.provider, sizeof(x->provider));
    size_t hl = host_len < sizeof(x->server_address) - 1 ? host_len : sizeof(x->server_address) - 1;
    memcpy(x->server_address, host, hl);
    x->server_address[hl] = '\0';
    x->server_port = port;
    memcpy(x->peer_address, c->peer, sizeof(x->peer_address));
    x->peer_port = c->peer_port;
    copy_str(x->method, sizeof(x->method), &h->method);
    x->target = strndup(h->target.p, h->target.n);
    const struct lt_h1_str *ce = lt_h1_header_get(h, "content-encoding");
    x->req_encoding = ce ? lt_encoding_parse(ce->p, ce->n) : LT_ENC_IDENTITY;
    if (!q_push(c, x, is_head)) {
        lt_exchange_free(x);
        return 1;
    }
    c->cur_req = x;
    return 0;
}

static void on_req_body(void *ud, const char *p, size_t n)
{
    struct lt_conn *c = ud;
    if (c->cur_req)
        lt_buf_append(&c->cur_req->req_body, p, n);
}

static void on_req_complete(void *ud)
{
    struct lt_conn *c = ud;
    c->cur_req = NULL;
}

static const struct lt_h1_callbacks req_cb = {on_req_head, on_req_body, on_req_complete};

/* ---- response side -------------------------------------------------------------------- */

static int on_resp_head(void *ud, const struct lt_h1_head *h)
{
    struct lt_conn *c = ud;
    struct pending *p = q_front(c);
    if (!p || !p->x)
        return 1;
    struct lt_exchange *x = p->x;
    x->status = h->status;
    const struct lt_h1_str *v = lt_h1_header_get(h, "content-encoding");
    x->resp_encoding = v ? lt_encoding_parse(v->p, v->n) : LT_ENC_IDENTITY;
    if ((v = lt_h1_header_get(h, "content-type")))
        copy_str(x->resp_content_type, sizeof(x->resp_content_type), v);
    return 0;
}

static void on_resp_body(void *ud, const char *p, size_t n)
{
    struct lt_conn *c = ud;
    struct pending *f = q_front(c);
    if (!f || !f->x)
        return;
    if (!f->x->t_first_body_ns)
        f->x->t_first_body_ns = now_ns();
    lt_buf_append(&f->x->resp_body, p, n);
}

static void on_resp_complete(void *ud)
{
    struct lt_conn *c = ud;
    struct pending *f = q_front(c);
    if (!f)
        return;
    struct lt_exchange *x = f->x;
    q_pop(c);
    if (x == c->cur_req) /* response finished before the request body (early error) */
        c->cur_req = NULL;
    if (x)
        finish(x, LT_END_COMPLETE);
    if ((f = q_front(c)))
        lt_h1_expect_head(&c->resp, f->head);
}

static const struct lt_h1_callbacks resp_cb = {on_resp_head, on_resp_body, on_resp_complete};

/* ---- entry points --------------------------------------------------------------------- */

void lt_conn_on_write(struct ssl_st *ssl, const void *buf, size_t n)
{
    struct lt_conn *c = conn_get(ssl);
    if (!c) {
        c = conn_create(ssl);
        if (!c)
            return;
    }
    if (!c->ignored) {
        pthread_mutex_lock(&c->lock);
        bool idle = c->q_len == 0;
        if (lt_h1_feed(&c->req, buf, n, &req_cb, c) < 0) {
            c->ignored = true; /* not HTTP/1.x (e.g. HTTP/2): leave it alone for good */
            finish_pending(c, LT_END_PROTOCOL);
        } else if (idle && c->q_len) {
            /* First request awaiting an answer: start the response side fresh. */
            lt_h1_cleanup(&c->resp);
            lt_h1_init(&c->resp, LT_H1_RESPONSE);
            lt_h1_expect_head(&c->resp, q_front(c)->head);
        }
        pthread_mutex_unlock(&c->lock);
    }
    conn_put(c);
}

void lt_conn_on_read(struct ssl_st *ssl, const void *buf, size_t n)
{
    struct lt_conn *c = conn_get(ssl);
    if (!c)
        return;
    if (!c->ignored) {
        pthread_mutex_lock(&c->lock);
        if (c->q_len && q_has_llm(c)) {
            if (lt_h1_feed(&c->resp, buf, n, &resp_cb, c) < 0)
                finish_pending(c, LT_END_PROTOCOL);
        } else if (c->q_len) {
            c->q_len = 0; /* only non-LLM requests left: stop following responses */
        }
        pthread_mutex_unlock(&c->lock);
    }
    conn_put(c);
}

/* The connection ended: complete a close-delimited response, cut off the rest. */
static void conn_ended(struct lt_conn *c)
{
    if (!c->q_len)
        return;
    if (q_has_llm(c))
        lt_h1_eof(&c->resp, &resp_cb, c);
    finish_pending(c, LT_END_CUT_OFF);
}

void lt_conn_on_read_fail(struct ssl_st *ssl, int ret)
{
    struct lt_conn *c = conn_get(ssl);
    if (!c)
        return;
    if (!c->ignored) {
        pthread_mutex_lock(&c->lock);
        if (c->q_len) {
            int (*get_error)(const struct ssl_st *, int) = lt_real_ssl(LT_SSL_GET_ERROR);
            int e = get_error ? get_error(ssl, ret) : 0;
            bool retry = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ||
                         e == SSL_ERROR_WANT_X509_LOOKUP || e == SSL_ERROR_WANT_CONNECT ||
                         e == SSL_ERROR_WANT_ACCEPT || e == SSL_ERROR_WANT_ASYNC ||
                         e == SSL_ERROR_WANT_ASYNC_JOB || e == SSL_ERROR_WANT_CLIENT_HELLO_CB;
            if (!retry && get_error)
                conn_ended(c);
        }
        pthread_mutex_unlock(&c->lock);
    }
    conn_put(c);
}

void lt_conn_on_free(struct ssl_st *ssl)
{
    struct lt_conn *c = conn_unlink(ssl);
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    if (!c->ignored)
        conn_ended(c);
    pthread_mutex_unlock(&c->lock);
    conn_put(c);
}

void lt_conn_fd_connected(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (fd < 0 || fd >= MAX_FD || !sa)
        return;
    if (!peers) {
        struct peer *p = calloc(MAX_FD, sizeof(*p));
        struct peer *expected = NULL;
        if (!p)
            return;
        if (!__atomic_compare_exchange_n(&peers, &expected, p, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            free(p);
    }
    struct peer e = {0};
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        e.family = AF_INET;
        e.port = ntohs(in->sin_port);
        memcpy(e.addr, &in->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        e.family = AF_INET6;
        e.port = ntohs(in6->sin6_port);
        memcpy(e.addr, &in6->sin6_addr, 16);
    }
    peers[fd] = e;
}

void lt_conn_fd_closed(int fd)
{
    if (peers && fd >= 0 && fd < MAX_FD)
        peers[fd].family = 0;
}

void lt_conn_finish_all(void)
{
    for (size_t i = 0; i < NBUCKETS; i++) {
        struct bucket *b = &table[i];
        /* trylock: at exit another thread may be stuck holding it; never wait on it. */
        if (pthread_mutex_trylock(&b->lock) != 0)
            continue;
        for (struct lt_conn *c = b->head; c; c = c->hnext) {
            if (pthread_mutex_trylock(&c->lock) != 0)
                continue;
            if (!c->ignored && c->q_len) {
                /* A close-delimited body in progress is complete as far as we know. */
                finish_pending(c, LT_END_EXIT);
            }
            pthread_mutex_unlock(&c->lock);
        }
        pthread_mutex_unlock(&b->lock);
    }
}

void lt_conn_after_fork(void)
{
    for (size_t i = 0; i < NBUCKETS; i++) {
        pthread_mutex_init(&table[i].lock, NULL);
        for (struct lt_conn *c = table[i].head; c; c = c->hnext)
            pthread_mutex_init(&c->lock, NULL);
    }
}

/* Static initialisation of the bucket locks (PTHREAD_MUTEX_INITIALIZER for each). */
__attribute__((constructor(101))) static void table_init(void)
{
    for (size_t i = 0; i < NBUCKETS; i++)
        pthread_mutex_init(&table[i].lock, NULL);
}
