/* net.c — interposed socket calls: connect records the peer address of an fd (for spans'
 * peer attributes) and makes a TCP socket a plain-HTTP candidate (plain.h); close forgets
 * both. Arguments, result and errno pass through untouched. */
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>

#include "conn.h"
#include "guard.h"
#include "init.h"
#include "plain.h"
#include "real.h"

#define LT_EXPORT __attribute__((visibility("default")))

/* Called before our constructor (another library's constructor): resolve on the spot. */
static void ensure_libc(void)
{
    if (!lt_real.connect || !lt_real.close)
        lt_real_init_libc();
}

LT_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (__builtin_expect(!lt_real.connect, 0))
        ensure_libc();
    if (!lt_real.connect) {
        errno = ENOSYS;
        return -1;
    }
    int ret = lt_real.connect(fd, addr, len);
    int saved = errno;
    if ((ret == 0 || saved == EINPROGRESS) && lt_active && lt_guard_enter()) {
        lt_conn_fd_connected(fd, addr, len);
        if (addr)
            lt_plain_connected(fd, addr->sa_family);
        lt_guard_leave();
    }
    errno = saved;
    return ret;
}

LT_EXPORT int close(int fd)
{
    if (__builtin_expect(!lt_real.close, 0))
        ensure_libc();
    if (lt_active && lt_guard_enter()) {
        int saved = errno;
        lt_plain_closed(fd);
        lt_conn_fd_closed(fd);
        errno = saved;
        lt_guard_leave();
    }
    if (!lt_real.close) {
        errno = ENOSYS;
        return -1;
    }
    return lt_real.close(fd);
}
