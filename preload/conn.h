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

/** OpenSSL: `n` bytes were read successfully on `ssl`. */
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
