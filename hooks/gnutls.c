/* gnutls.c — interposed GnuTLS record I/O (gnutls_record_send/recv, gnutls_deinit: Debian's
 * wget, libcurl3-gnutls, …), fed into the same reconstruction as OpenSSL (conn.h). Each
 * forwards first and returns its result and errno untouched. As in ssl.c, the guard is held
 * across the real record call, so a signal handler running on this thread meanwhile passes
 * through every hook. */
#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

#include "conn.h"
#include "guard.h"
#include "init.h"
#include "log.h"
#include "real.h"

#define LT_EXPORT __attribute__((visibility("default")))

/* gnutls.h error codes that only ask the caller to retry. */
#define GNUTLS_E_AGAIN (-28)
#define GNUTLS_E_INTERRUPTED (-52)

typedef struct gnutls_session_int *gnutls_session_t;
typedef ssize_t (*send_fn)(gnutls_session_t, const void *, size_t);
typedef ssize_t (*recv_fn)(gnutls_session_t, void *, size_t);
typedef void (*deinit_fn)(gnutls_session_t);
typedef int (*fatal_fn)(int);

/* A GnuTLS function we cannot find (libgnutls vanished under us): logged once. */
static ssize_t missing(const char *name)
{
    static int warned;
    lt_log_once(warned, LT_LOG_WARN, "cannot find the real %s", name);
    errno = ENOSYS;
    return -1;
}

/* As in ssl.c: the fast path (a session that needs nothing) is one load for the real
 * function, the guard and one lock-free index load (conn.h); the rest is out of line. */

/* `n` bytes were sent on a session that wants writes. */
__attribute__((noinline, cold)) static void sent(gnutls_session_t session, const void *data,
                                                 size_t n)
{
    int saved = errno;
    lt_conn_write(LT_CONN_GNUTLS, session, data, n);
    errno = saved;
}

/* A receive returned `ret` on a session that wants reads. */
__attribute__((noinline, cold)) static void received(gnutls_session_t session, const void *data,
                                                     ssize_t ret)
{
    if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
        return;
    int saved = errno;
    if (ret > 0) {
        lt_conn_read(LT_CONN_GNUTLS, session, data, (size_t)ret);
    } else {
        /* 0 is the peer's close_notify; a negative code ends the connection only when
         * GnuTLS calls it fatal (warning alerts, rehandshake requests are not). */
        fatal_fn fatal = (fatal_fn)lt_real_gnutls_fast(LT_GNUTLS_ERROR_IS_FATAL);
        if (ret == 0 || (fatal && fatal((int)ret)))
            lt_conn_eof(LT_CONN_GNUTLS, session);
    }
    errno = saved;
}

LT_EXPORT ssize_t gnutls_record_send(gnutls_session_t session, const void *data, size_t size)
{
    send_fn real = (send_fn)lt_real_gnutls_fast(LT_GNUTLS_RECORD_SEND);
    if (__builtin_expect(!real, 0))
        return missing("gnutls_record_send");
    if (__builtin_expect(!lt_active || lt_guard, 0))
        return real(session, data, size);
    lt_guard = 1;
    ssize_t ret = real(session, data, size);
    if (ret > 0 && __builtin_expect(lt_conn_interest(session) & LT_CONN_WRITES, 0))
        sent(session, data, (size_t)ret);
    lt_guard = 0;
    return ret;
}

LT_EXPORT ssize_t gnutls_record_recv(gnutls_session_t session, void *data, size_t size)
{
    recv_fn real = (recv_fn)lt_real_gnutls_fast(LT_GNUTLS_RECORD_RECV);
    if (__builtin_expect(!real, 0))
        return missing("gnutls_record_recv");
    if (__builtin_expect(!lt_active || lt_guard, 0))
        return real(session, data, size);
    lt_guard = 1;
    ssize_t ret = real(session, data, size);
    if (__builtin_expect(lt_conn_interest(session) & LT_CONN_READS, 0))
        received(session, data, ret);
    lt_guard = 0;
    return ret;
}

LT_EXPORT void gnutls_deinit(gnutls_session_t session)
{
    if (session && lt_active && (lt_conn_interest(session) & LT_CONN_KNOWN) && lt_guard_enter()) {
        int saved = errno;
        lt_conn_release(LT_CONN_GNUTLS, session);
        errno = saved;
        lt_guard_leave();
    }
    deinit_fn real = (deinit_fn)lt_real_gnutls_fast(LT_GNUTLS_DEINIT);
    if (real)
        real(session);
    else
        missing("gnutls_deinit");
}
