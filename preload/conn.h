/* conn.h — connection tracking and exchange reconstruction on the host's threads. One
 * lt_conn per connection: an OpenSSL SSL*, a GnuTLS session, or a plain TCP socket that
 * plain.c found speaking HTTP to an LLM API. The first written bytes choose HTTP/1.1
 * (conn_h1.c) or HTTP/2 (conn_h2.c, by the client preface). LLM exchanges are buffered
 * (bounded) and handed, finished, to the export queue; non-LLM exchanges are framed but
 * never buffered. Peer addresses come from the connect/close hooks. */
#ifndef LT_CONN_H
#define LT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ssl_st;

/** What a connection key is. */
enum lt_conn_kind {
    LT_CONN_OPENSSL, /* key: SSL* */
    LT_CONN_GNUTLS,  /* key: gnutls_session_t */
    LT_CONN_PLAIN,   /* key: lt_conn_fd_key(fd) */
};

/** The key of plain socket `fd`: odd, so it never equals a (aligned) session pointer. */
static inline const void *lt_conn_fd_key(int fd)
{
    return (const void *)(((uintptr_t)(unsigned)fd << 1) | 1u);
}

/* ---- the connection index: the hooks' lock-free "does this call need llmtap?" --------
 * Every connection record (conn.c's locked table) is also in this open-addressing table of
 * one word per slot: key << 8 | 0x80 | interest bits (0 = empty, 1 = deleted). Readers probe
 * it with acquire loads, no lock; writers (insert at creation, delete at release) are
 * serialised by a mutex in conn.c, and the interest bits of a live slot are changed by CAS
 * under the connection's own lock. Slots never move, and a deleted slot becomes empty again
 * once nothing after it needs it, so probes stay short. A record that finds no slot within
 * LT_CONN_INDEX_PROBES (or whose key does not fit in 56 bits) is counted in
 * lt_conn_unindexed, and while that count is non-zero a miss means "ask the locked table". */
#define LT_CONN_INDEX_BITS 14
#define LT_CONN_INDEX_SIZE (1u << LT_CONN_INDEX_BITS)
#define LT_CONN_INDEX_PROBES 16

/** Interest bits of lt_conn_interest(). */
enum {
    LT_CONN_READS = 1,  /* successful reads, failed reads and EOF must go to lt_conn_read/eof */
    LT_CONN_WRITES = 2, /* successful writes must go to lt_conn_write */
    LT_CONN_KNOWN = 4,  /* there may be a record (release must go to lt_conn_release) */
};

/** The index (conn.c): owned by conn.c, read by lt_conn_interest only. */
extern uint64_t lt_conn_index[LT_CONN_INDEX_SIZE];
/** Live records not in the index (atomic). */
extern unsigned lt_conn_unindexed;

/** The first slot `key` probes. */
static inline uint32_t lt_conn_index_home(uintptr_t key)
{
    return (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> (64 - LT_CONN_INDEX_BITS));
}

/** lt_conn_interest() past the first probe (conn.c). */
unsigned lt_conn_interest_probe(const void *key);

/** What the hooks must do for a call on connection `key`: LT_CONN_* bits. Lock-free, no
 *  errno change; a connection in its home slot costs one load. An unknown key yields
 *  LT_CONN_WRITES only (its first write creates the record); a key the index cannot answer
 *  for yields every bit (the caller takes the slow path, which is always correct). Exact for
 *  a call that the connection's previous calls happen-before (the host's own ordering of its
 *  calls on one connection). */
static inline unsigned lt_conn_interest(const void *key)
{
    uintptr_t k = (uintptr_t)key;
    uint64_t w = __atomic_load_n(&lt_conn_index[lt_conn_index_home(k)], __ATOMIC_ACQUIRE);
    if (__builtin_expect((w >> 8) == k, 1)) /* never true for a key wider than 56 bits */
        return (unsigned)(w & 7);
    return lt_conn_interest_probe(key);
}

/** Split a Host / :authority value ("h", "h:p", "[v6]:p") into a view of the host (without
 *  brackets) and the port (0 when absent or out of range). Never allocates. */
void lt_conn_split_host(const char *p, size_t n, const char **host, size_t *host_len, int *port);

/** `n` application bytes were written (client → server) on connection `key`; the first
 *  call creates the connection record. */
void lt_conn_write(enum lt_conn_kind kind, const void *key, const void *buf, size_t n);

/** `n` application bytes were read (server → client) on `key`. Unknown keys are ignored. */
void lt_conn_read(enum lt_conn_kind kind, const void *key, const void *buf, size_t n);

/** The connection reached its end (orderly close or fatal error): a close-delimited
 *  response completes, other open exchanges are cut off. */
void lt_conn_eof(enum lt_conn_kind kind, const void *key);

/** The connection is being freed/closed: finish its exchanges and forget it. */
void lt_conn_release(enum lt_conn_kind kind, const void *key);

/** OpenSSL: `n` bytes were written successfully on `ssl`. */
void lt_conn_on_write(struct ssl_st *ssl, const void *buf, size_t n);

/** OpenSSL: `n` bytes were read successfully on `ssl`. The SSL hooks call it only when
 *  lt_conn_interest(ssl) has LT_CONN_READS, so it does not look again (a read on a
 *  connection that no longer needs them is ignored, as it would be anyway). */
void lt_conn_on_read(struct ssl_st *ssl, const void *buf, size_t n);

/** OpenSSL: a read on `ssl` returned `ret` <= 0: if it is the end of the connection (not a
 *  WANT_READ/WANT_WRITE retry), open exchanges are completed or marked cut off. */
void lt_conn_on_read_fail(struct ssl_st *ssl, int ret);

/** OpenSSL: `ssl` is being freed. */
void lt_conn_on_free(struct ssl_st *ssl);

/** A TCP connect on `fd` to `sa` (recorded as the peer address of later traffic on `fd`). */
void lt_conn_fd_connected(int fd, const struct sockaddr *sa, socklen_t len);

/** `fd` is closed: forget its peer address. */
void lt_conn_fd_closed(int fd);

/** The recorded peer of `fd` as a numeric address string (`addr`, `cap` bytes) and port;
 *  falls back to getpeername(). Returns 0, or -1 when unknown. */
int lt_conn_fd_peer(int fd, char *addr, size_t cap, int *port);

/** Process exit: every open LLM exchange is handed to the queue as ended by exit. */
void lt_conn_finish_all(void);

/** In a fork child: re-create the table's locks (the parent's may have been held) and start
 *  with an empty table; the parent's connections and their open exchanges stay the parent's
 *  (not exported again by the child). Only from a pthread_atfork child handler. */
void lt_conn_after_fork(void);

#endif
