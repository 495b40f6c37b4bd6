/* io.c — interposed socket and fd I/O (send/recv/write/read and their vector, msg and
 * _FORTIFY_SOURCE variants) for plain-text HTTP to local model servers (plain.h). Each
 * forwards first and returns its result and errno untouched; an fd that is neither a
 * plain-HTTP candidate nor followed costs one byte load after the real call. */
#include <errno.h>
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

/* After a write-side call moved `ret` bytes from `iov`. */
static inline void after_write(int fd, const struct iovec *iov, int iovcnt, ssize_t ret)
{
    enum lt_plain_fd st = lt_plain_state(fd);
    if (__builtin_expect(st != LT_FD_CANDIDATE && st != LT_FD_TRACKED, 1) || ret <= 0)
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
    if (__builtin_expect(lt_plain_state(fd) != LT_FD_TRACKED, 1))
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

LT_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    NEED(send);
    ssize_t ret = lt_real.send(fd, buf, n, flags);
    struct iovec v = {(void *)buf, n};
    after_write(fd, &v, 1, ret);
    return ret;
}

LT_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
                         socklen_t alen)
{
    NEED(sendto);
    ssize_t ret = lt_real.sendto(fd, buf, n, flags, addr, alen);
    struct iovec v = {(void *)buf, n};
    after_write(fd, &v, 1, ret);
    return ret;
}

LT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    NEED(sendmsg);
    ssize_t ret = lt_real.sendmsg(fd, msg, flags);
    if (msg)
        after_write(fd, msg->msg_iov, (int)msg->msg_iovlen, ret);
    return ret;
}

LT_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    NEED(write);
    ssize_t ret = lt_real.write(fd, buf, n);
    struct iovec v = {(void *)buf, n};
    after_write(fd, &v, 1, ret);
    return ret;
}

LT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    NEED(writev);
    ssize_t ret = lt_real.writev(fd, iov, iovcnt);
    after_write(fd, iov, iovcnt, ret);
    return ret;
}

LT_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
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

LT_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
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

LT_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
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

LT_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    NEED(read);
    ssize_t ret = lt_real.read(fd, buf, n);
    struct iovec v = {buf, n};
    after_read(fd, &v, 1, ret, n);
    return ret;
}

LT_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    NEED(readv);
    ssize_t ret = lt_real.readv(fd, iov, iovcnt);
    size_t want = 0;
    for (int i = 0; i < iovcnt; i++)
        want += iov[i].iov_len;
    after_read(fd, iov, iovcnt, ret, want);
    return ret;
}

LT_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    NEED(read_chk);
    ssize_t ret = lt_real.read_chk(fd, buf, n, buflen);
    struct iovec v = {buf, n};
    after_read(fd, &v, 1, ret, n);
    return ret;
}

LT_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    NEED(recv_chk);
    ssize_t ret = lt_real.recv_chk(fd, buf, n, buflen, flags);
    if (!(flags & MSG_PEEK)) {
        struct iovec v = {buf, n};
        after_read(fd, &v, 1, ret, n);
    }
    return ret;
}

LT_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
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
