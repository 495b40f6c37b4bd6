/* io.c — interposed socket and fd I/O (send/recv/write/read and their vector, msg and
 * _FORTIFY_SOURCE variants) for plain-text HTTP to local model servers (plain.h). Each
 * forwards first and returns its result and errno untouched; an fd that is neither a
 * plain-HTTP candidate nor tracked costs one byte load and goes straight to libc (a tail
 * call: no frame of ours on the stack during the real call). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guard.h"
#include "init.h"
#include "plain.h"
#include "real.h"

#define LT_EXPORT __attribute__((visibility("default")))

/* Resolve the libc table on the spot: a call before our constructor ran (another library's
 * constructor). errno is kept. */
static void resolve_libc(void)
{
    int saved = errno;
    lt_real_init_libc();
    errno = saved;
}

/* The real `f`, resolved when needed; the hook fails with ENOSYS when there is none. */
#define REAL(f) (__builtin_expect(lt_real.f != NULL, 1) ? lt_real.f : (resolve_libc(), lt_real.f))
#define NEED(f)                                                                                    \
    do {                                                                                           \
        if (!REAL(f)) {                                                                            \
            errno = ENOSYS;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

/* Is `fd` followed by the I/O hooks (a plain-HTTP candidate or a tracked LLM socket)? One
 * load (two before the first TCP connect). Checked BEFORE the real call, so that every other
 * fd is a tail call into libc: an fd that is neither when the call starts cannot become
 * tracked during it (that takes a connect() and a first write on it; the one case left out
 * is a read already blocked on a socket whose connect() is still in flight on another
 * thread), and a read that started on an fd which another thread then closed and whose
 * number was reused for a new connection is not taken for that connection's bytes. */
static inline bool followed(int fd)
{
    enum lt_plain_fd st = lt_plain_state(fd);
    return st == LT_FD_CANDIDATE || st == LT_FD_TRACKED;
}

/* After a write-side call moved `ret` bytes from `iov`. */
static inline void after_write(int fd, const struct iovec *iov, int iovcnt, ssize_t ret)
{
    enum lt_plain_fd st = lt_plain_state(fd);
    if ((st != LT_FD_CANDIDATE && st != LT_FD_TRACKED) || ret <= 0)
        return;
    if (!lt_active || !lt_guard_enter())
        return;
    int saved = errno;
    lt_plain_write(fd, iov, iovcnt, (size_t)ret);
    errno = saved;
    lt_guard_leave();
}

/* After a read-side call returned `ret` into `iov` (of `want` bytes in all). */
static inline void after_read(int fd, const struct iovec *iov, int iovcnt, ssize_t ret, size_t want)
{
    if (lt_plain_state(fd) != LT_FD_TRACKED)
        return;
    int saved = errno;
    if (ret < 0 && (saved == EAGAIN || saved == EWOULDBLOCK || saved == EINTR))
        return;
    if (ret == 0 && want == 0)
        return;
    if (!lt_active || !lt_guard_enter())
        return;
    if (ret > 0)
        lt_plain_read(fd, iov, iovcnt, (size_t)ret);
    else
        lt_plain_read_end(fd);
    errno = saved;
    lt_guard_leave();
}

/* Each hook: the fast path (real function resolved, fd not followed) is a tail call; the
 * rest is a cold function `<name>_slow`. */
#define COLD __attribute__((noinline, cold))
#define FAST(f, fd) (__builtin_expect(lt_real.f != NULL, 1) && __builtin_expect(!followed(fd), 1))

COLD static ssize_t send_slow(int fd, const void *buf, size_t n, int flags)
{
    NEED(send);
    ssize_t ret = lt_real.send(fd, buf, n, flags);
    struct iovec v = {(void *)buf, n};
    after_write(fd, &v, 1, ret);
    return ret;
}

LT_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    if (FAST(send, fd))
        return lt_real.send(fd, buf, n, flags);
    return send_slow(fd, buf, n, flags);
}

COLD static ssize_t sendto_slow(int fd, const void *buf, size_t n, int flags,
                                const struct sockaddr *addr, socklen_t alen)
{
    NEED(sendto);
    ssize_t ret = lt_real.sendto(fd, buf, n, flags, addr, alen);
    struct iovec v = {(void *)buf, n};
    after_write(fd, &v, 1, ret);
    return ret;
}

LT_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
                         socklen_t alen)
{
    if (FAST(sendto, fd))
        return lt_real.sendto(fd, buf, n, flags, addr, alen);
    return sendto_slow(fd, buf, n, flags, addr, alen);
}

COLD static ssize_t sendmsg_slow(int fd, const struct msghdr *msg, int flags)
{
    NEED(sendmsg);
    ssize_t ret = lt_real.sendmsg(fd, msg, flags);
    if (msg)
        after_write(fd, msg->msg_iov, (int)msg->msg_iovlen, ret);
    return ret;
}

LT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (FAST(sendmsg, fd))
        return lt_real.sendmsg(fd, msg, flags);
    return sendmsg_slow(fd, msg, flags);
}

COLD static ssize_t write_slow(int fd, const void *buf, size_t n)
{
    NEED(write);
    ssize_t ret = lt_real.write(fd, buf, n);
    struct iovec v = {(void *)buf, n};
    after_write(fd, &v, 1, ret);
    return ret;
}

LT_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    if (FAST(write, fd))
        return lt_real.write(fd, buf, n);
    return write_slow(fd, buf, n);
}

COLD static ssize_t writev_slow(int fd, const struct iovec *iov, int iovcnt)
{
    NEED(writev);
    ssize_t ret = lt_real.writev(fd, iov, iovcnt);
    after_write(fd, iov, iovcnt, ret);
    return ret;
}

LT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    if (FAST(writev, fd))
        return lt_real.writev(fd, iov, iovcnt);
    return writev_slow(fd, iov, iovcnt);
}

COLD static ssize_t recv_slow(int fd, void *buf, size_t n, int flags)
{
    NEED(recv);
    ssize_t ret = lt_real.recv(fd, buf, n, flags);
    /* MSG_PEEK bytes will be read again: only the real read counts. */
    if (!(flags & MSG_PEEK)) {
        struct iovec v = {buf, n};
        after_read(fd, &v, 1, ret, n);
    }
    return ret;
}

LT_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    if (FAST(recv, fd))
        return lt_real.recv(fd, buf, n, flags);
    return recv_slow(fd, buf, n, flags);
}

COLD static ssize_t recvfrom_slow(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                                  socklen_t *alen)
{
    NEED(recvfrom);
    ssize_t ret = lt_real.recvfrom(fd, buf, n, flags, addr, alen);
    if (!(flags & MSG_PEEK)) {
        struct iovec v = {buf, n};
        after_read(fd, &v, 1, ret, n);
    }
    return ret;
}

LT_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                           socklen_t *alen)
{
    if (FAST(recvfrom, fd))
        return lt_real.recvfrom(fd, buf, n, flags, addr, alen);
    return recvfrom_slow(fd, buf, n, flags, addr, alen);
}

COLD static ssize_t recvmsg_slow(int fd, struct msghdr *msg, int flags)
{
    NEED(recvmsg);
    ssize_t ret = lt_real.recvmsg(fd, msg, flags);
    if (msg && !(flags & MSG_PEEK)) {
        size_t want = 0;
        for (size_t i = 0; i < msg->msg_iovlen; i++)
            want += msg->msg_iov[i].iov_len;
        after_read(fd, msg->msg_iov, (int)msg->msg_iovlen, ret, want);
    }
    return ret;
}

LT_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (FAST(recvmsg, fd))
        return lt_real.recvmsg(fd, msg, flags);
    return recvmsg_slow(fd, msg, flags);
}

COLD static ssize_t read_slow(int fd, void *buf, size_t n)
{
    NEED(read);
    ssize_t ret = lt_real.read(fd, buf, n);
    struct iovec v = {buf, n};
    after_read(fd, &v, 1, ret, n);
    return ret;
}

LT_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    if (FAST(read, fd))
        return lt_real.read(fd, buf, n);
    return read_slow(fd, buf, n);
}

COLD static ssize_t readv_slow(int fd, const struct iovec *iov, int iovcnt)
{
    NEED(readv);
    ssize_t ret = lt_real.readv(fd, iov, iovcnt);
    size_t want = 0;
    for (int i = 0; i < iovcnt; i++)
        want += iov[i].iov_len;
    after_read(fd, iov, iovcnt, ret, want);
    return ret;
}

LT_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    if (FAST(readv, fd))
        return lt_real.readv(fd, iov, iovcnt);
    return readv_slow(fd, iov, iovcnt);
}

COLD static ssize_t read_chk_slow(int fd, void *buf, size_t n, size_t buflen)
{
    NEED(read_chk);
    ssize_t ret = lt_real.read_chk(fd, buf, n, buflen);
    struct iovec v = {buf, n};
    after_read(fd, &v, 1, ret, n);
    return ret;
}

LT_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    if (FAST(read_chk, fd))
        return lt_real.read_chk(fd, buf, n, buflen);
    return read_chk_slow(fd, buf, n, buflen);
}

COLD static ssize_t recv_chk_slow(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    NEED(recv_chk);
    ssize_t ret = lt_real.recv_chk(fd, buf, n, buflen, flags);
    if (!(flags & MSG_PEEK)) {
        struct iovec v = {buf, n};
        after_read(fd, &v, 1, ret, n);
    }
    return ret;
}

LT_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    if (FAST(recv_chk, fd))
        return lt_real.recv_chk(fd, buf, n, buflen, flags);
    return recv_chk_slow(fd, buf, n, buflen, flags);
}

COLD static ssize_t recvfrom_chk_slow(int fd, void *buf, size_t n, size_t buflen, int flags,
                                      struct sockaddr *addr, socklen_t *alen)
{
    NEED(recvfrom_chk);
    ssize_t ret = lt_real.recvfrom_chk(fd, buf, n, buflen, flags, addr, alen);
    if (!(flags & MSG_PEEK)) {
        struct iovec v = {buf, n};
        after_read(fd, &v, 1, ret, n);
    }
    return ret;
}

LT_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                                 struct sockaddr *addr, socklen_t *alen)
{
    if (FAST(recvfrom_chk, fd))
        return lt_real.recvfrom_chk(fd, buf, n, buflen, flags, addr, alen);
    return recvfrom_chk_slow(fd, buf, n, buflen, flags, addr, alen);
}
