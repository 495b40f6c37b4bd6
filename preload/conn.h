/* conn.h — connection tracking and HTTP/1.1 exchange reconstruction on the host's threads.
 * One lt_conn per TLS connection (keyed by the SSL*), holding a request and a response
 * parser; LLM exchanges are buffered (bounded) and handed, finished, to the export queue.
 * Non-LLM exchanges are framed but never buffered; responses are not parsed at all while no
 * LLM exchange is waiting for one. Peer addresses come from the connect/close hooks. */
#ifndef LT_CONN_H
#define LT_CONN_H

#include <stddef.h>
#include <sys/socket.h>

struct ssl_st;

/** `n` bytes were written successfully on `ssl` (client → server). */
void lt_conn_on_write(struct ssl_st *ssl, const void *buf, size_t n);

/** `n` bytes were read successfully on `ssl` (server → client). */
void lt_conn_on_read(struct ssl_st *ssl, const void *buf, size_t n);

/** A read on `ssl` returned `ret` <= 0: if it is the end of the connection (not a
 *  WANT_READ/WANT_WRITE retry), open exchanges are completed or marked cut off. */
void lt_conn_on_read_fail(struct ssl_st *ssl, int ret);

/** `ssl` is being freed: finish its open exchanges and release its state. */
void lt_conn_on_free(struct ssl_st *ssl);

/** A TCP connect on `fd` to `sa` (recorded as the peer address of later TLS on `fd`). */
void lt_conn_fd_connected(int fd, const struct sockaddr *sa, socklen_t len);

/** `fd` is closed: forget its peer address. */
void lt_conn_fd_closed(int fd);

/** Process exit: every open LLM exchange is handed to the queue as ended by exit. */
void lt_conn_finish_all(void);

/** In a fork child: re-create the table's locks (the parent's may have been held). */
void lt_conn_after_fork(void);

#endif
