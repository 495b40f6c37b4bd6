/* plain.c — which plain TCP sockets carry LLM HTTP (see plain.h). */
#include "plain.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "conn.h"
#include "genai/genai.h"

#define PEEK_MAX 4096 /* bytes of the first write examined for the request head */

unsigned char *lt_plain_fds;

static void set_state(int fd, enum lt_plain_fd st)
{
    unsigned char *t = __atomic_load_n(&lt_plain_fds, __ATOMIC_RELAXED);
    if (t && (unsigned)fd < LT_PLAIN_MAX_FD)
        __atomic_store_n(&t[fd], (unsigned char)st, __ATOMIC_RELAXED);
}

void lt_plain_connected(int fd, int family)
{
    if ((unsigned)fd >= LT_PLAIN_MAX_FD)
        return;
    if (family != AF_INET && family != AF_INET6) {
        set_state(fd, LT_FD_NONE);
        return;
    }
    if (!__atomic_load_n(&lt_plain_fds, __ATOMIC_ACQUIRE)) {
        /* mmap, not malloc: connect is async-signal-safe, and a host's signal handler may
         * call it while the code it interrupted holds the allocator's lock. */
        void *m =
            mmap(NULL, LT_PLAIN_MAX_FD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        unsigned char *expected = NULL;
        if (m == MAP_FAILED)
            return;
        if (!__atomic_compare_exchange_n(&lt_plain_fds, &expected, (unsigned char *)m, false,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            munmap(m, LT_PLAIN_MAX_FD);
    }
    set_state(fd, LT_FD_CANDIDATE);
}

/* Copy up to `cap` of the first `n` gathered bytes into `out`; returns the count. */
static size_t gather(const struct iovec *iov, int iovcnt, size_t n, char *out, size_t cap)
{
    size_t got = 0;
    for (int i = 0; i < iovcnt && got < n && got < cap; i++) {
        size_t k = iov[i].iov_len;
        if (k > n - got)
            k = n - got;
        if (k > cap - got)
            k = cap - got;
        memcpy(out + got, iov[i].iov_base, k);
        got += k;
    }
    return got;
}

/* The value of header `name` (lower-case, with ':') in the head `p`/`n`, or NULL. */
static const char *find_header(const char *p, size_t n, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + 2 + nl <= n; i++) {
        if (p[i] != '\n')
            continue;
        if (p[i + 1] == '\r' || p[i + 1] == '\n')
            return NULL; /* end of the head */
        if (strncasecmp(p + i + 1, name, nl) != 0)
            continue;
        size_t v = i + 1 + nl;
        while (v < n && (p[v] == ' ' || p[v] == '\t'))
            v++;
        size_t e = v;
        while (e < n && p[e] != '\r' && p[e] != '\n')
            e++;
        while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
            e--;
        *len = e - v;
        return p + v;
    }
    return NULL;
}

/* Is the head in `p` an HTTP/1.x request to an LLM API? Only the request line and the
 * Host header are read (RFC 9112 §3). */
static bool is_llm_request(int fd, const char *p, size_t n)
{
    const char *sp1 = memchr(p, ' ', n < 16 ? n : 16);
    if (!sp1)
        return false;
    size_t mlen = (size_t)(sp1 - p);
    const char *t = sp1 + 1;
    const char *eol = memchr(t, '\n', n - (size_t)(t - p));
    if (!eol)
        return false;
    const char *sp2 = memchr(t, ' ', (size_t)(eol - t));
    if (!sp2 || (size_t)(eol - sp2) < 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return false;
    size_t tlen = (size_t)(sp2 - t);

    char peer[64];
    int peer_port = 0;
    if (lt_conn_fd_peer(fd, peer, sizeof(peer), &peer_port) != 0) {
        peer[0] = '\0';
        peer_port = 80;
    }
    size_t hlen = 0;
    const char *host = find_header(p, n, "host:", &hlen);
    int port = 0;
    if (host) {
        lt_conn_split_host(host, hlen, &host, &hlen, &port);
    } else {
        host = peer;
        hlen = strlen(peer);
    }
    if (!port)
        port = peer_port;
    struct lt_detect d;
    return lt_genai_detect(host, hlen, port, p, mlen, t, tlen, &d);
}

void lt_plain_write(int fd, const struct iovec *iov, int iovcnt, size_t n)
{
    enum lt_plain_fd st = lt_plain_state(fd);
    if (st == LT_FD_CANDIDATE) {
        char head[PEEK_MAX];
        size_t k = gather(iov, iovcnt, n, head, sizeof(head));
        if (!is_llm_request(fd, head, k)) {
            set_state(fd, LT_FD_IGNORED);
            return;
        }
        set_state(fd, LT_FD_TRACKED);
        st = LT_FD_TRACKED;
    }
    if (st != LT_FD_TRACKED)
        return;
    const void *key = lt_conn_fd_key(fd);
    size_t left = n;
    for (int i = 0; i < iovcnt && left; i++) {
        size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
        if (k)
            lt_conn_write(LT_CONN_PLAIN, key, iov[i].iov_base, k);
        left -= k;
    }
}

void lt_plain_read(int fd, const struct iovec *iov, int iovcnt, size_t n)
{
    const void *key = lt_conn_fd_key(fd);
    size_t left = n;
    for (int i = 0; i < iovcnt && left; i++) {
        size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
        if (k)
            lt_conn_read(LT_CONN_PLAIN, key, iov[i].iov_base, k);
        left -= k;
    }
}

void lt_plain_read_end(int fd)
{
    lt_conn_eof(LT_CONN_PLAIN, lt_conn_fd_key(fd));
}

void lt_plain_closed(int fd)
{
    enum lt_plain_fd st = lt_plain_state(fd);
    if (st == LT_FD_NONE)
        return;
    set_state(fd, LT_FD_NONE);
    if (st == LT_FD_TRACKED)
        lt_conn_release(LT_CONN_PLAIN, lt_conn_fd_key(fd));
}
