/* conn_int.h — what conn.c (the connection table and entry points) shares with the protocol
 * halves conn_h1.c (HTTP/1.1 exchanges) and conn_h2.c (HTTP/2 streams). Internal to preload/. */
#ifndef LT_CONN_INT_H
#define LT_CONN_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "exchange.h"

/** The application protocol a connection speaks, decided on its first written bytes. */
enum lt_conn_proto {
    LT_PROTO_UNKNOWN = 0, /* nothing written yet, or a partial HTTP/2 preface */
    LT_PROTO_H1,
    LT_PROTO_H2,
    LT_PROTO_IGNORED, /* server side, or bytes that are neither: pass through for good */
};

struct lt_conn_h1;
struct lt_conn_h2;

/** One tracked connection (TLS session or plain TCP socket). Fields below `lock` are
 *  guarded by it. */
struct lt_conn {
    const void *key; /* SSL*, gnutls_session_t, or lt_conn_fd_key(fd) */
    enum lt_conn_kind kind;
    struct lt_conn *hnext;
    int refs;  /* atomic: the table's reference + one per thread using it or caching it */
    bool gone; /* atomic: unlinked from the table (a thread's cached pointer is stale) */
    pthread_mutex_t lock;
    enum lt_conn_proto proto;
    char sni[256];
    char peer[64];
    int peer_port;
    int default_port;      /* server.port when the request names none: 443, or the peer's */
    unsigned char pre[24]; /* first bytes while the protocol is undecided */
    size_t pre_n;
    struct lt_conn_h1 *h1; /* when proto == LT_PROTO_H1 */
    struct lt_conn_h2 *h2; /* when proto == LT_PROTO_H2 */
};

/** CLOCK_REALTIME in ns since the Unix epoch. */
uint64_t lt_conn_now_ns(void);

/** Hand `x` (owned) to the exporter, ended as `end`; stamps t_end_ns if unset. */
void lt_conn_finish(struct lt_exchange *x, enum lt_exchange_end end);

/** Run detection on a request head and, when it is an LLM call, return a new exchange (owned
 *  by the caller) with api, provider, server, peer, method, target, request encoding and
 *  t_start_ns set. `authority` is the Host header or :authority (may be empty: then the SNI
 *  is used). NULL when not an LLM call or on ENOMEM. */
struct lt_exchange *lt_conn_new_exchange(const struct lt_conn *c, const char *method,
                                         size_t method_len, const char *target, size_t target_len,
                                         const char *authority, size_t authority_len,
                                         const char *content_encoding, size_t ce_len);

/* ---- HTTP/1.1 half (conn_h1.c) ---- */

/** New HTTP/1.1 state, or NULL on ENOMEM. */
struct lt_conn_h1 *lt_conn_h1_new(void);
/** Client bytes. Returns 0, or -1 when they are not HTTP/1.x (open exchanges then ended as
 *  protocol errors; the caller ignores the connection from now on). */
int lt_conn_h1_write(struct lt_conn *c, const void *buf, size_t n);
/** Server bytes. */
void lt_conn_h1_read(struct lt_conn *c, const void *buf, size_t n);
/** True while an exchange waits for its response (reads matter). */
bool lt_conn_h1_busy(const struct lt_conn *c);
/** The connection ended: complete a close-delimited response, cut off the rest. */
void lt_conn_h1_ended(struct lt_conn *c);
/** End every open exchange as `end`. */
void lt_conn_h1_finish_all(struct lt_conn *c, enum lt_exchange_end end);
/** Free the state and any exchange still in it (not submitted). NULL is allowed. */
void lt_conn_h1_free(struct lt_conn_h1 *h);

/* ---- HTTP/2 half (conn_h2.c) ---- */

/** New HTTP/2 state (both HPACK readers), or NULL on ENOMEM. */
struct lt_conn_h2 *lt_conn_h2_new(void);
/** Client bytes (starting with the connection preface). Returns 0, or -1 when they stop
 *  being HTTP/2 (open exchanges ended as protocol errors). */
int lt_conn_h2_write(struct lt_conn *c, const void *buf, size_t n);
/** Server bytes. */
void lt_conn_h2_read(struct lt_conn *c, const void *buf, size_t n);
/** True while an LLM stream is open (reads matter). */
bool lt_conn_h2_busy(const struct lt_conn *c);
/** The connection ended: open streams are cut off. */
void lt_conn_h2_ended(struct lt_conn *c, enum lt_exchange_end end);
/** Free the state and any exchange still in it (not submitted). NULL is allowed. */
void lt_conn_h2_free(struct lt_conn_h2 *h);

#endif
