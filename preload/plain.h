/* plain.h — plain-text HTTP to local model servers (Ollama, vLLM, llama.cpp, LM Studio) over
 * TCP sockets: which fds are followed. A socket becomes a candidate when this process
 * connects it to an IPv4/IPv6 address; its first written bytes are examined once, and it is
 * followed (as an LT_CONN_PLAIN connection of conn.h) only when they are an HTTP/1.x request
 * to a known LLM path; otherwise it is ignored for good. Every other fd costs the hooks one
 * byte load (lt_plain_state). */
#ifndef LT_PLAIN_H
#define LT_PLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#define LT_PLAIN_MAX_FD 65536

/** Per-fd states. */
enum lt_plain_fd {
    LT_FD_NONE = 0,      /* not a socket this process connected, or closed */
    LT_FD_CANDIDATE = 1, /* connected TCP socket, first bytes not seen yet */
    LT_FD_TRACKED = 2,   /* HTTP to an LLM API: bytes go to conn.c */
    LT_FD_IGNORED = 3,   /* examined, not an LLM call (TLS, other protocols, other paths) */
};

/** The state table, mapped on the first TCP connect; NULL before. */
extern unsigned char *lt_plain_fds;

/** The state of `fd`: one load, no lock. */
static inline enum lt_plain_fd lt_plain_state(int fd)
{
    unsigned char *t = __atomic_load_n(&lt_plain_fds, __ATOMIC_RELAXED);
    if (__builtin_expect(!t, 1) || (unsigned)fd >= LT_PLAIN_MAX_FD)
        return LT_FD_NONE;
    return (enum lt_plain_fd)__atomic_load_n(&t[fd], __ATOMIC_RELAXED); /* still one mov */
}

/** `fd` was connected (or is connecting) to an address of `family` (AF_INET/AF_INET6 make
 *  it a candidate). */
void lt_plain_connected(int fd, int family);

/** `n` bytes were written on candidate or tracked `fd`, gathered from `iov` (`iovcnt`
 *  entries; a single buffer is one iovec). */
void lt_plain_write(int fd, const struct iovec *iov, int iovcnt, size_t n);

/** `n` bytes were read on tracked `fd` into `iov`. */
void lt_plain_read(int fd, const struct iovec *iov, int iovcnt, size_t n);

/** A read on tracked `fd` returned end of file or a fatal error. */
void lt_plain_read_end(int fd);

/** `fd` is being closed. */
void lt_plain_closed(int fd);

#endif
