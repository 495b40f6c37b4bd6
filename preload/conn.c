/* conn.c — the connection table and the entry points of conn.h: finds or creates the
 * record of a connection, picks its protocol from the first written bytes, and hands the
 * bytes to the HTTP/1.1 (conn_h1.c) or HTTP/2 (conn_h2.c) half. Also the peer-address table.
 * Lock order: bucket lock, then (after dropping it) the connection's own lock. A bucket lock
 * is held only for a list walk; a connection lock only while one buffer is parsed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../export/export.h"
#include "config.h"
#include "conn_int.h"
#include "genai/genai.h"
#include "http/h2.h"
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
/* GnuTLS (gnutls.h): GNUTLS_NAME_DNS. */
#define GNUTLS_NAME_DNS 1

/* The connection table: buckets of chained connections, each bucket with its own lock. */
#define NBUCKETS 512
static struct bucket {
    pthread_mutex_t lock;
    struct lt_conn *head;
} table[NBUCKETS];

/* Peer addresses by fd, filled by the connect hook. Mapped on first connect (mmap, not
 * malloc: connect is async-signal-safe and a host's signal handler may call it while the
 * interrupted code holds the allocator's lock); pages are only touched for fds in use.
 * A torn entry (see peer_slot) only mislabels a peer address attribute. */
#define MAX_FD 65536
struct peer {
    uint16_t port;
    uint8_t family; /* 0 = unknown */
    uint8_t addr[16];
};
/* A table entry: a peer as three words, each stored and loaded atomically (relaxed), so
 * that hooks on several threads (or a signal handler) reusing an fd number never race in the
 * C11 sense; an entry read while it is rewritten may still mix two peers. */
struct peer_slot {
    uint64_t w[3]; /* family | port << 8; then the 16 address bytes */
};
static struct peer_slot *peers;

static void slot_store(struct peer_slot *s, const struct peer *p)
{
    uint64_t w[3];
    w[0] = (uint64_t)p->family | (uint64_t)p->port << 8;
    memcpy(&w[1], p->addr, 16);
    for (int i = 0; i < 3; i++)
        __atomic_store_n(&s->w[i], w[i], __ATOMIC_RELAXED);
}

static struct peer slot_load(struct peer_slot *s)
{
    uint64_t w[3];
    for (int i = 0; i < 3; i++)
        w[i] = __atomic_load_n(&s->w[i], __ATOMIC_RELAXED);
    struct peer p = {.family = (uint8_t)w[0], .port = (uint16_t)(w[0] >> 8)};
    memcpy(p.addr, &w[1], 16);
    return p;
}

uint64_t lt_conn_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void lt_conn_finish(struct lt_exchange *x, enum lt_exchange_end end)
{
    x->end = end;
    if (!x->t_end_ns)
        x->t_end_ns = lt_conn_now_ns();
    lt_export_submit(x);
}

/* ---- the index (conn.h) ------------------------------------------------------------- */

uint64_t lt_conn_index[LT_CONN_INDEX_SIZE];
unsigned lt_conn_unindexed;
/* Serialises inserts and deletes (taken inside a bucket lock, never the other way). */
static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;

#define SLOT_EMPTY 0u
#define SLOT_DELETED 1u
#define SLOT_LIVE 0x80u
#define INDEX_MASK (LT_CONN_INDEX_SIZE - 1)

static inline uint64_t slot_get(uint32_t i)
{
    return __atomic_load_n(&lt_conn_index[i], __ATOMIC_ACQUIRE);
}

static inline void slot_put(uint32_t i, uint64_t w)
{
    __atomic_store_n(&lt_conn_index[i], w, __ATOMIC_RELEASE);
}

/* Can `key` be indexed (non-NULL, fits in 56 bits)? */
static inline bool indexable(const void *key)
{
    uintptr_t k = (uintptr_t)key;
    return k && k < ((uintptr_t)1 << 56);
}

unsigned lt_conn_interest_probe(const void *key)
{
    uintptr_t k = (uintptr_t)key;
    if (!indexable(key)) /* NULL (nothing to do for it) or a key wider than 56 bits */
        return k ? LT_CONN_READS | LT_CONN_WRITES | LT_CONN_KNOWN : 0;
    uint32_t i = lt_conn_index_home(k);
    for (int p = 0; p < LT_CONN_INDEX_PROBES; p++, i = (i + 1) & INDEX_MASK) {
        uint64_t w = slot_get(i);
        if ((w >> 8) == k)
            return (unsigned)(w & 7);
        if (w == SLOT_EMPTY)
            break;
    }
    if (__atomic_load_n(&lt_conn_unindexed, __ATOMIC_RELAXED) != 0)
        return LT_CONN_READS | LT_CONN_WRITES | LT_CONN_KNOWN;
    return LT_CONN_WRITES;
}

/* The interest bits of `c` (its lock held, or not yet shared). */
static inline unsigned interest_of(const struct lt_conn *c)
{
    switch (c->proto) {
    case LT_PROTO_UNKNOWN:
        return LT_CONN_KNOWN | LT_CONN_WRITES;
    case LT_PROTO_H1:
        return LT_CONN_KNOWN | LT_CONN_WRITES | (lt_conn_h1_busy(c) ? LT_CONN_READS : 0);
    case LT_PROTO_H2:
        return LT_CONN_KNOWN | LT_CONN_WRITES | LT_CONN_READS;
    case LT_PROTO_IGNORED:
        break;
    }
    return LT_CONN_KNOWN;
}

/* Add `key` with `bits`; false when it finds no slot (the caller counts it unindexed).
 * Under the bucket lock of `key`. */
static bool index_insert(const void *key, unsigned bits)
{
    if (!indexable(key))
        return false;
    uint64_t want = (uint64_t)(uintptr_t)key << 8;
    uint64_t w = want | SLOT_LIVE | bits;
    uint32_t i = lt_conn_index_home((uintptr_t)key);
    bool done = false;
    pthread_mutex_lock(&index_lock);
    int64_t free_slot = -1;
    for (int p = 0; p < LT_CONN_INDEX_PROBES; p++, i = (i + 1) & INDEX_MASK) {
        uint64_t cur = slot_get(i);
        if ((cur & ~(uint64_t)0xff) == want) { /* a stale entry: cannot happen, but be exact */
            slot_put(i, w);
            done = true;
            break;
        }
        if (cur == SLOT_DELETED && free_slot < 0)
            free_slot = i;
        if (cur == SLOT_EMPTY) {
            if (free_slot < 0)
                free_slot = i;
            break;
        }
    }
    if (!done && free_slot >= 0) {
        slot_put((uint32_t)free_slot, w);
        done = true;
    }
    pthread_mutex_unlock(&index_lock);
    return done;
}

/* Remove `key`; false when it was not indexed. Under the bucket lock of `key`. A deleted
 * slot followed by an empty one is on no probe path: it (and deleted ones before it) become
 * empty again, so probes stay short however many connections come and go. */
static bool index_delete(const void *key)
{
    if (!indexable(key))
        return false;
    uint64_t want = (uint64_t)(uintptr_t)key << 8;
    uint32_t i = lt_conn_index_home((uintptr_t)key);
    bool found = false;
    pthread_mutex_lock(&index_lock);
    for (int p = 0; p < LT_CONN_INDEX_PROBES; p++, i = (i + 1) & INDEX_MASK) {
        uint64_t cur = slot_get(i);
        if ((cur & ~(uint64_t)0xff) == want) {
            found = true;
            break;
        }
        if (cur == SLOT_EMPTY)
            break;
    }
    if (found) {
        slot_put(i, SLOT_DELETED);
        for (uint32_t k = 0; k < LT_CONN_INDEX_SIZE && slot_get(i) == SLOT_DELETED &&
                             slot_get((i + 1) & INDEX_MASK) == SLOT_EMPTY;
             k++, i = (i - 1) & INDEX_MASK)
            slot_put(i, SLOT_EMPTY);
    }
    pthread_mutex_unlock(&index_lock);
    return found;
}

/* index_publish() past the home slot. */
static void index_publish_probe(const void *key, uint64_t w)
{
    if (!indexable(key))
        return;
    uint64_t want = (uint64_t)(uintptr_t)key << 8;
    uint32_t i = lt_conn_index_home((uintptr_t)key);
    for (int p = 0; p < LT_CONN_INDEX_PROBES; p++, i = (i + 1) & INDEX_MASK) {
        uint64_t cur = slot_get(i);
        if ((cur & ~(uint64_t)0xff) == want) {
            if (cur != w)
                __atomic_compare_exchange_n(&lt_conn_index[i], &cur, w, false, __ATOMIC_RELEASE,
                                            __ATOMIC_RELAXED);
            return;
        }
        if (cur == SLOT_EMPTY)
            return;
    }
}

/* Publish the interest bits of `c` (its lock held) when they changed. A slot that no longer
 * holds this key (released meanwhile) is left alone. */
static inline void index_publish(const struct lt_conn *c)
{
    uintptr_t k = (uintptr_t)c->key;
    uint64_t w = (uint64_t)k << 8 | SLOT_LIVE | interest_of(c);
    if (__builtin_expect(slot_get(lt_conn_index_home(k)) == w, 1))
        return; /* unchanged, in its home slot */
    index_publish_probe(c->key, w);
}

static struct bucket *bucket_of(const void *key)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return &table[(h >> 40) % NBUCKETS];
}

/* Find `key` and take a reference; NULL when unknown. */
static struct lt_conn *conn_get(const void *key)
{
    struct bucket *b = bucket_of(key);
    pthread_mutex_lock(&b->lock);
    struct lt_conn *c = b->head;
    while (c && c->key != key)
        c = c->hnext;
    if (c)
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&b->lock);
    return c;
}

/* ---- the thread's last record ----
 * A thread reads and writes one connection many times in a row (a stream: one SSL_read per
 * event). It keeps a reference to the record it used last, so the next call on the same key
 * finds it with one TLS load and one flag load: no bucket lock, no reference-count atomics.
 * The reference is dropped when the thread moves to another key, and at thread exit (a
 * pthread key destructor). A record unlinked meanwhile (released) is marked `gone` and not
 * used again; it lives until the thread lets go of it. */
static __thread struct lt_conn *tl_last __attribute__((tls_model("initial-exec")));
static __thread bool tl_armed __attribute__((tls_model("initial-exec")));
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static bool tl_key_ok;

static void conn_put(struct lt_conn *c);

static void tl_drop(void *unused)
{
    (void)unused;
    struct lt_conn *c = tl_last;
    tl_last = NULL;
    tl_armed = false;
    if (c)
        conn_put(c);
}

static void tl_key_init(void)
{
    tl_key_ok = pthread_key_create(&tl_key, tl_drop) == 0;
}

/* Make the caller's reference to `c` the thread's cached one (dropping the previous); false
 * (the caller keeps its reference) when the thread-exit destructor cannot be set up. */
static bool tl_adopt(struct lt_conn *c)
{
    if (!tl_armed) {
        pthread_once(&tl_once, tl_key_init);
        if (!tl_key_ok || pthread_setspecific(tl_key, (void *)1) != 0)
            return false;
        tl_armed = true;
    }
    struct lt_conn *old = tl_last;
    tl_last = c;
    if (old)
        conn_put(old);
    return true;
}

/* conn_use() when the thread's last record is not `key`'s: the table's (then cached). */
static __attribute__((noinline)) struct lt_conn *conn_use_slow(const void *key, bool *own)
{
    struct lt_conn *c = conn_get(key);
    if (c && !tl_adopt(c))
        *own = true;
    return c;
}

/* Find `key` for one call: the thread's last record when it is that key's and still in the
 * table, else the table's (then cached). NULL when unknown. The pointer is valid until this
 * thread's next conn_use; `*own` says the caller holds a reference of its own to conn_put
 * (only when it could not be cached). Inline: every traced read and write starts here. */
static inline struct lt_conn *conn_use(const void *key, bool *own)
{
    struct lt_conn *c = tl_last;
    *own = false;
    if (__builtin_expect(c && c->key == key && !__atomic_load_n(&c->gone, __ATOMIC_ACQUIRE), 1))
        return c;
    return conn_use_slow(key, own);
}

static void conn_destroy(struct lt_conn *c)
{
    lt_conn_h1_free(c->h1);
    lt_conn_h2_free(c->h2);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void conn_put(struct lt_conn *c)
{
    if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
        conn_destroy(c);
}

int lt_conn_fd_peer(int fd, char *addr, size_t cap, int *port)
{
    if (fd < 0)
        return -1;
    struct peer p = {0};
    struct peer_slot *t = __atomic_load_n(&peers, __ATOMIC_ACQUIRE);
    if (t && fd < MAX_FD)
        p = slot_load(&t[fd]);
    if (!p.family) {
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof(ss);
        if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
            return -1;
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
            return -1;
        }
    }
    if (!inet_ntop(p.family, p.addr, addr, (socklen_t)cap))
        return -1;
    *port = p.port;
    return 0;
}

/* Fill SNI, side and peer of a new connection from its TLS library or socket. */
static void conn_identify(struct lt_conn *c)
{
    int fd = -1;
    c->default_port = 443;
    if (c->kind == LT_CONN_OPENSSL) {
        struct ssl_st *ssl = (struct ssl_st *)c->key;
        int (*is_server)(const struct ssl_st *) = lt_real_ssl(LT_SSL_IS_SERVER);
        if (is_server && is_server(ssl)) {
            c->proto = LT_PROTO_IGNORED;
            return;
        }
        const char *(*servername)(const struct ssl_st *, int) = lt_real_ssl(LT_SSL_GET_SERVERNAME);
        const char *sni = servername ? servername(ssl, TLSEXT_NAMETYPE_HOST) : NULL;
        if (sni)
            strncpy(c->sni, sni, sizeof(c->sni) - 1);
        int (*get_fd)(const struct ssl_st *) = lt_real_ssl(LT_SSL_GET_FD);
        fd = get_fd ? get_fd(ssl) : -1;
    } else if (c->kind == LT_CONN_GNUTLS) {
        int (*name_get)(const void *, void *, size_t *, unsigned *, unsigned) =
            lt_real_gnutls(LT_GNUTLS_SERVER_NAME_GET);
        int (*get_int)(const void *) = lt_real_gnutls(LT_GNUTLS_TRANSPORT_GET_INT);
        size_t n = sizeof(c->sni) - 1;
        unsigned type = 0;
        if (name_get && name_get(c->key, c->sni, &n, &type, 0) != 0)
            c->sni[0] = '\0';
        c->sni[sizeof(c->sni) - 1] = '\0';
        if (type != GNUTLS_NAME_DNS)
            c->sni[0] = '\0';
        fd = get_int ? get_int(c->key) : -1;
    } else {
        fd = (int)((uintptr_t)c->key >> 1);
    }
    if (lt_conn_fd_peer(fd, c->peer, sizeof(c->peer), &c->peer_port) != 0) {
        c->peer[0] = '\0';
        c->peer_port = 0;
    }
    if (c->kind == LT_CONN_PLAIN)
        c->default_port = c->peer_port > 0 ? c->peer_port : 80;
}

/* Create the record of a connection seen for the first time on a write. */
static struct lt_conn *conn_create(enum lt_conn_kind kind, const void *key)
{
    struct lt_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->key = key;
    c->kind = kind;
    c->refs = 2; /* the table's and the caller's */
    pthread_mutex_init(&c->lock, NULL);
    conn_identify(c);

    struct bucket *b = bucket_of(key);
    pthread_mutex_lock(&b->lock);
    struct lt_conn *other = b->head;
    while (other && other->key != key)
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
    if (!index_insert(key, interest_of(c)))
        __atomic_add_fetch(&lt_conn_unindexed, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&b->lock);
    if (c->proto != LT_PROTO_IGNORED)
        lt_export_arm_exit();
    return c;
}

/* Remove `key` from the table; returns the connection with the table's reference, or NULL. */
static struct lt_conn *conn_unlink(const void *key)
{
    struct bucket *b = bucket_of(key);
    pthread_mutex_lock(&b->lock);
    struct lt_conn **pp = &b->head;
    while (*pp && (*pp)->key != key)
        pp = &(*pp)->hnext;
    struct lt_conn *c = *pp;
    if (c) {
        *pp = c->hnext;
        __atomic_store_n(&c->gone, true, __ATOMIC_RELEASE);
        if (!index_delete(key))
            __atomic_sub_fetch(&lt_conn_unindexed, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&b->lock);
    return c;
}

/* ---- exchanges ------------------------------------------------------------------------ */

void lt_conn_split_host(const char *p, size_t n, const char **host, size_t *host_len, int *port)
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
        for (const char *q = colon + 1; q < p + n && *q >= '0' && *q <= '9' && v < 65536; q++)
            v = v * 10 + (*q - '0');
        *port = v > 0 && v < 65536 ? v : 0;
    }
}

static void copy_view(char *dst, size_t cap, const char *p, size_t n)
{
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

struct lt_exchange *lt_conn_new_exchange(const struct lt_conn *c, const char *method,
                                         size_t method_len, const char *target, size_t target_len,
                                         const char *authority, size_t authority_len,
                                         const char *content_encoding, size_t ce_len)
{
    const char *host;
    size_t host_len;
    int port = 0;
    if (authority && authority_len) {
        lt_conn_split_host(authority, authority_len, &host, &host_len, &port);
    } else if (c->sni[0]) {
        host = c->sni;
        host_len = strlen(c->sni);
    } else {
        host = c->peer;
        host_len = strlen(c->peer);
    }
    if (!port)
        port = c->default_port;

    struct lt_detect d;
    if (!lt_genai_detect(host, host_len, port, method, method_len, target, target_len, &d))
        return NULL;
    struct lt_exchange *x = lt_exchange_new(lt_cfg.max_body);
    if (!x)
        return NULL;
    x->t_start_ns = lt_conn_now_ns();
    x->api = d.api;
    memcpy(x->provider, d.provider, sizeof(x->provider));
    copy_view(x->server_address, sizeof(x->server_address), host, host_len);
    x->server_port = port;
    memcpy(x->peer_address, c->peer, sizeof(x->peer_address));
    x->peer_port = c->peer_port;
    copy_view(x->method, sizeof(x->method), method, method_len);
    x->target = strndup(target, target_len);
    x->req_encoding = ce_len ? lt_encoding_parse(content_encoding, ce_len) : LT_ENC_IDENTITY;
    return x;
}

/* ---- protocol choice ------------------------------------------------------------------ */

/* Start protocol `proto` and feed it `n` bytes. Returns false when the connection is to be
 * ignored from now on. */
static bool start_proto(struct lt_conn *c, enum lt_conn_proto proto, const void *buf, size_t n)
{
    if (proto == LT_PROTO_H2) {
        c->h2 = lt_conn_h2_new();
        if (!c->h2)
            return false;
        c->proto = LT_PROTO_H2;
        return lt_conn_h2_write(c, buf, n) == 0;
    }
    c->h1 = lt_conn_h1_new();
    if (!c->h1)
        return false;
    c->proto = LT_PROTO_H1;
    return lt_conn_h1_write(c, buf, n) == 0;
}

/* tchar (RFC 9110 §5.6.2): "!#$%&'*+-.^_`|~", DIGIT, ALPHA. */
static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Can the first bytes a client wrote begin an HTTP/1.x request line or the HTTP/2 preface
 * (empty lines, then a method token of at most 32 characters and a space; RFC 9112 §2.2,
 * §3)? False for other protocols, which are then left alone at once instead of being
 * buffered as a would-be request head. */
static bool may_be_http(const void *buf, size_t n)
{
    const unsigned char *p = buf;
    size_t i = 0;
    while (i < n && (p[i] == '\r' || p[i] == '\n') && i < 8)
        i++;
    size_t start = i;
    for (; i < n && i - start <= 32; i++) {
        if (p[i] == ' ')
            return i > start;
        if (!is_tchar(p[i]))
            return false;
    }
    return i - start <= 32; /* all token so far: undecided */
}

/* Client bytes on a connection whose protocol is not decided: compare them with the HTTP/2
 * preface (buffering at most its 24 bytes across writes) and start one protocol. */
static void choose_proto(struct lt_conn *c, const void *buf, size_t n)
{
    if (!c->pre_n && !may_be_http(buf, n)) {
        c->proto = LT_PROTO_IGNORED;
        return;
    }
    size_t take = n < sizeof(c->pre) - c->pre_n ? n : sizeof(c->pre) - c->pre_n;
    memcpy(c->pre + c->pre_n, buf, take);
    size_t have = c->pre_n + take;
    int m = lt_h2_preface_match(c->pre, have);
    if (m == 0) { /* a proper prefix of the preface so far */
        c->pre_n = have;
        return;
    }
    enum lt_conn_proto proto = m == 1 ? LT_PROTO_H2 : LT_PROTO_H1;
    bool ok = true;
    if (c->pre_n) { /* earlier buffered bytes first, then all of this write */
        ok = start_proto(c, proto, c->pre, c->pre_n);
        if (ok)
            ok = proto == LT_PROTO_H2 ? lt_conn_h2_write(c, buf, n) == 0
                                      : lt_conn_h1_write(c, buf, n) == 0;
    } else {
        ok = start_proto(c, proto, buf, n);
    }
    c->pre_n = 0;
    if (!ok)
        c->proto = LT_PROTO_IGNORED;
}

/* ---- entry points --------------------------------------------------------------------- */

void lt_conn_write(enum lt_conn_kind kind, const void *key, const void *buf, size_t n)
{
    bool own;
    struct lt_conn *c = conn_use(key, &own);
    if (!c) {
        c = conn_create(kind, key);
        if (!c)
            return;
        own = !tl_adopt(c);
    }
    if (c->proto != LT_PROTO_IGNORED) {
        pthread_mutex_lock(&c->lock);
        switch (c->proto) {
        case LT_PROTO_UNKNOWN:
            choose_proto(c, buf, n);
            break;
        case LT_PROTO_H1:
            if (lt_conn_h1_write(c, buf, n) < 0)
                c->proto = LT_PROTO_IGNORED; /* not HTTP/1.x: leave it alone for good */
            break;
        case LT_PROTO_H2:
            if (lt_conn_h2_write(c, buf, n) < 0)
                c->proto = LT_PROTO_IGNORED;
            break;
        case LT_PROTO_IGNORED:
            break;
        }
        index_publish(c);
        pthread_mutex_unlock(&c->lock);
    }
    if (own)
        conn_put(c);
}

/* lt_conn_read past its interest check. */
static void conn_read(const void *key, const void *buf, size_t n)
{
    bool own;
    struct lt_conn *c = conn_use(key, &own);
    if (!c)
        return;
    if (c->proto == LT_PROTO_H1 || c->proto == LT_PROTO_H2) {
        pthread_mutex_lock(&c->lock);
        if (c->proto == LT_PROTO_H1)
            lt_conn_h1_read(c, buf, n);
        else if (c->proto == LT_PROTO_H2)
            lt_conn_h2_read(c, buf, n);
        index_publish(c);
        pthread_mutex_unlock(&c->lock);
    }
    if (own)
        conn_put(c);
}

void lt_conn_read(enum lt_conn_kind kind, const void *key, const void *buf, size_t n)
{
    (void)kind;
    if (lt_conn_interest(key) & LT_CONN_READS)
        conn_read(key, buf, n);
}

/* The connection ended (lock held). */
static void conn_ended(struct lt_conn *c)
{
    if (c->proto == LT_PROTO_H1)
        lt_conn_h1_ended(c);
    else if (c->proto == LT_PROTO_H2)
        lt_conn_h2_ended(c, LT_END_CUT_OFF);
}

void lt_conn_eof(enum lt_conn_kind kind, const void *key)
{
    (void)kind;
    if (!(lt_conn_interest(key) & LT_CONN_READS))
        return;
    struct lt_conn *c = conn_get(key);
    if (!c)
        return;
    if (c->proto == LT_PROTO_H1 || c->proto == LT_PROTO_H2) {
        pthread_mutex_lock(&c->lock);
        conn_ended(c);
        index_publish(c);
        pthread_mutex_unlock(&c->lock);
    }
    conn_put(c);
}

void lt_conn_release(enum lt_conn_kind kind, const void *key)
{
    (void)kind;
    if (!(lt_conn_interest(key) & LT_CONN_KNOWN))
        return;
    struct lt_conn *c = conn_unlink(key);
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    conn_ended(c);
    pthread_mutex_unlock(&c->lock);
    conn_put(c);
}

void lt_conn_on_write(struct ssl_st *ssl, const void *buf, size_t n)
{
    lt_conn_write(LT_CONN_OPENSSL, ssl, buf, n);
}

void lt_conn_on_read(struct ssl_st *ssl, const void *buf, size_t n)
{
    conn_read(ssl, buf, n); /* the hooks call it only when the index wants reads */
}

void lt_conn_on_read_fail(struct ssl_st *ssl, int ret)
{
    if (!(lt_conn_interest(ssl) & LT_CONN_READS))
        return;
    struct lt_conn *c = conn_get(ssl);
    if (!c)
        return;
    bool busy = false;
    if (c->proto == LT_PROTO_H1 || c->proto == LT_PROTO_H2) {
        pthread_mutex_lock(&c->lock);
        busy = c->proto == LT_PROTO_H2 ? lt_conn_h2_busy(c) : lt_conn_h1_busy(c);
        pthread_mutex_unlock(&c->lock);
    }
    if (busy) {
        int (*get_error)(const struct ssl_st *, int) = lt_real_ssl(LT_SSL_GET_ERROR);
        int e = get_error ? get_error(ssl, ret) : 0;
        bool retry = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ||
                     e == SSL_ERROR_WANT_X509_LOOKUP || e == SSL_ERROR_WANT_CONNECT ||
                     e == SSL_ERROR_WANT_ACCEPT || e == SSL_ERROR_WANT_ASYNC ||
                     e == SSL_ERROR_WANT_ASYNC_JOB || e == SSL_ERROR_WANT_CLIENT_HELLO_CB;
        if (!retry && get_error) {
            pthread_mutex_lock(&c->lock);
            conn_ended(c);
            index_publish(c);
            pthread_mutex_unlock(&c->lock);
        }
    }
    conn_put(c);
}

void lt_conn_on_free(struct ssl_st *ssl)
{
    lt_conn_release(LT_CONN_OPENSSL, ssl);
}

void lt_conn_fd_connected(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (fd < 0 || fd >= MAX_FD || !sa)
        return;
    if (!__atomic_load_n(&peers, __ATOMIC_ACQUIRE)) {
        size_t size = MAX_FD * sizeof(struct peer_slot);
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        struct peer_slot *expected = NULL;
        if (m == MAP_FAILED)
            return;
        if (!__atomic_compare_exchange_n(&peers, &expected, (struct peer_slot *)m, false,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            munmap(m, size);
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
    slot_store(&__atomic_load_n(&peers, __ATOMIC_ACQUIRE)[fd], &e);
}

void lt_conn_fd_closed(int fd)
{
    struct peer_slot *t = __atomic_load_n(&peers, __ATOMIC_ACQUIRE);
    if (t && fd >= 0 && fd < MAX_FD)
        __atomic_store_n(&t[fd].w[0], 0, __ATOMIC_RELAXED);
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
            /* A close-delimited body in progress is complete as far as we know. */
            if (c->proto == LT_PROTO_H1)
                lt_conn_h1_finish_all(c, LT_END_EXIT);
            else if (c->proto == LT_PROTO_H2)
                lt_conn_h2_ended(c, LT_END_EXIT);
            pthread_mutex_unlock(&c->lock);
        }
        pthread_mutex_unlock(&b->lock);
    }
}

/* The parent's connection records as a fork child found them: kept reachable (a leak
 * checker must not blame the host) but never used again. One generation is kept; older ones
 * belong to processes further up. */
static struct lt_conn *inherited[NBUCKETS];

void lt_conn_after_fork(void)
{
    /* The records are the parent's: their exchanges are the parent's to finish and export
     * (at the child's exit they would come out a second time, cut off), and another thread of
     * the parent may have been half-way through parsing into one when it forked. The child
     * starts with an empty table; a connection it goes on using (an inherited keep-alive
     * socket) gets a fresh record on its next write. The records are not freed: that would
     * copy heap pages the child never otherwise touches, and their locks may be held. */
    for (size_t i = 0; i < NBUCKETS; i++) {
        pthread_mutex_init(&table[i].lock, NULL);
        inherited[i] = table[i].head;
        table[i].head = NULL;
    }
    /* The index goes with the table; only used slots are written (no page copied for
     * nothing). */
    pthread_mutex_init(&index_lock, NULL);
    tl_last = NULL; /* the forking thread's cached record is one of them */
    for (size_t i = 0; i < LT_CONN_INDEX_SIZE; i++)
        if (__atomic_load_n(&lt_conn_index[i], __ATOMIC_RELAXED))
            __atomic_store_n(&lt_conn_index[i], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&lt_conn_unindexed, 0, __ATOMIC_RELAXED);
}

/* Static initialisation of the bucket locks (PTHREAD_MUTEX_INITIALIZER for each). */
__attribute__((constructor(101))) static void table_init(void)
{
    for (size_t i = 0; i < NBUCKETS; i++)
        pthread_mutex_init(&table[i].lock, NULL);
}
