/* ssl.c — interposed OpenSSL entry points (OpenSSL 1.1 and 3 ABI). Each forwards to the
 * real function first and returns its result and errno untouched; only then, and only when
 * llmtap is active and not already on this thread's stack, the bytes that really moved are
 * given to the connection tracker.
 * The guard is taken before the real read/write call, not after: while the thread is
 * inside libssl (which allocates, and may hold the allocator's lock), a host signal handler
 * that calls connect/write/SSL_* on this thread passes straight through every hook instead
 * of doing llmtap work that is not async-signal-safe; and the socket I/O libssl itself does
 * skips the plain-socket hooks. A siglongjmp out of a handler past the real call leaves
 * the thread's guard set: that thread is then no longer traced (never a crash). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "guard.h"
#include "init.h"
#include "log.h"
#include "real.h"

#define LT_EXPORT __attribute__((visibility("default")))

typedef struct ssl_st SSL;
typedef int (*rw_fn)(SSL *, void *, int);
typedef int (*rw_ex_fn)(SSL *, void *, size_t, size_t *);
typedef void (*free_fn)(SSL *);

/* A libssl function we cannot find: the caller gets an OpenSSL-style failure. Only
 * possible when libssl vanished under us (dlclose); logged once. */
static int missing(const char *name)
{
    static int warned;
    lt_log_once(warned, LT_LOG_WARN, "cannot find the real %s", name);
    errno = ENOSYS;
    return -1;
}

/* The hooks' fast path, for a connection that needs nothing (not an LLM API, or a read
 * while no LLM response is awaited): the real function pointer is one load, the guard one
 * initial-exec TLS access, the connection index (conn.h) one lock-free load; errno is
 * neither read nor written. The rest is out of line (cold), so the fast path keeps a small
 * frame. */

/* A successful write of `n` bytes on a connection that wants writes. */
__attribute__((noinline, cold)) static void wrote(SSL *ssl, const void *buf, size_t n)
{
    int saved = errno;
    lt_conn_on_write(ssl, buf, n);
    errno = saved;
}

/* A read (`ok`: `n` bytes arrived; else `ret` is the failure) on a connection that wants
 * reads. */
__attribute__((noinline, cold)) static void was_read(SSL *ssl, const void *buf, bool ok, size_t n,
                                                     int ret)
{
    int saved = errno;
    if (ok)
        lt_conn_on_read(ssl, buf, n);
    else
        lt_conn_on_read_fail(ssl, ret);
    errno = saved;
}

LT_EXPORT int SSL_write(SSL *ssl, const void *buf, int num)
{
    rw_fn real = (rw_fn)lt_real_ssl_fast(LT_SSL_WRITE);
    if (__builtin_expect(!real, 0))
        return missing("SSL_write");
    if (__builtin_expect(!lt_active || lt_guard, 0))
        return real(ssl, (void *)buf, num);
    lt_guard = 1;
    int ret = real(ssl, (void *)buf, num);
    if (ret > 0 && __builtin_expect(lt_conn_interest(ssl) & LT_CONN_WRITES, 0))
        wrote(ssl, buf, (size_t)ret);
    lt_guard = 0;
    return ret;
}

LT_EXPORT int SSL_write_ex(SSL *ssl, const void *buf, size_t num, size_t *written)
{
    rw_ex_fn real = (rw_ex_fn)lt_real_ssl_fast(LT_SSL_WRITE_EX);
    if (__builtin_expect(!real, 0))
        return missing("SSL_write_ex") + 1; /* 0 = failure for the _ex family */
    if (__builtin_expect(!lt_active || lt_guard, 0))
        return real(ssl, (void *)buf, num, written);
    lt_guard = 1;
    int ret = real(ssl, (void *)buf, num, written);
    if (ret == 1 && written && *written &&
        __builtin_expect(lt_conn_interest(ssl) & LT_CONN_WRITES, 0))
        wrote(ssl, buf, *written);
    lt_guard = 0;
    return ret;
}

LT_EXPORT int SSL_read(SSL *ssl, void *buf, int num)
{
    rw_fn real = (rw_fn)lt_real_ssl_fast(LT_SSL_READ);
    if (__builtin_expect(!real, 0))
        return missing("SSL_read");
    if (__builtin_expect(!lt_active || lt_guard, 0))
        return real(ssl, buf, num);
    lt_guard = 1;
    int ret = real(ssl, buf, num);
    if (__builtin_expect(lt_conn_interest(ssl) & LT_CONN_READS, 0))
        was_read(ssl, buf, ret > 0, ret > 0 ? (size_t)ret : 0, ret);
    lt_guard = 0;
    return ret;
}

LT_EXPORT int SSL_read_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes)
{
    rw_ex_fn real = (rw_ex_fn)lt_real_ssl_fast(LT_SSL_READ_EX);
    if (__builtin_expect(!real, 0))
        return missing("SSL_read_ex") + 1;
    if (__builtin_expect(!lt_active || lt_guard, 0))
        return real(ssl, buf, num, readbytes);
    lt_guard = 1;
    int ret = real(ssl, buf, num, readbytes);
    /* ret == 1 with nothing read (num == 0) is neither data nor an end. */
    if (__builtin_expect(lt_conn_interest(ssl) & LT_CONN_READS, 0) &&
        (ret != 1 || (readbytes && *readbytes)))
        was_read(ssl, buf, ret == 1, ret == 1 ? *readbytes : 0, ret);
    lt_guard = 0;
    return ret;
}

LT_EXPORT void SSL_free(SSL *ssl)
{
    if (ssl && lt_active && (lt_conn_interest(ssl) & LT_CONN_KNOWN) && lt_guard_enter()) {
        int saved = errno;
        lt_conn_on_free(ssl);
        errno = saved;
        lt_guard_leave();
    }
    free_fn real = (free_fn)lt_real_ssl_fast(LT_SSL_FREE);
    if (real)
        real(ssl);
    else
        missing("SSL_free");
}
