/* real.h — the one table of real (next-in-line) functions the hooks forward to. libc
 * symbols are resolved in the constructor; libssl symbols lazily on first use, because
 * libssl is often dlopen'ed after start (Python's _ssl), sometimes into a local scope that
 * RTLD_NEXT cannot see. */
#ifndef LT_REAL_H
#define LT_REAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct ssl_st; /* OpenSSL's SSL, opaque to us */

#include <sys/types.h>
#include <sys/uio.h>

typedef int (*lt_connect_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*lt_close_fn)(int);

/** libc functions, resolved by lt_real_init_libc() (the socket I/O hooks of hooks/io.c
 *  included; `__*_chk` are glibc's _FORTIFY_SOURCE variants). */
struct lt_real_libc {
    lt_connect_fn connect;
    lt_close_fn close;
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*writev)(int, const struct iovec *, int);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*readv)(int, const struct iovec *, int);
    ssize_t (*read_chk)(int, void *, size_t, size_t);
    ssize_t (*recv_chk)(int, void *, size_t, size_t, int);
    ssize_t (*recvfrom_chk)(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
    void (*exit_)(int); /* _exit (also behind the _Exit hook: glibc's _Exit is an alias) */
};
extern struct lt_real_libc lt_real;

/** Resolve the libc table with dlsym(RTLD_NEXT). Called once from the constructor. */
void lt_real_init_libc(void);

/** The libssl functions llmtap uses, by index into the lazily resolved table. */
enum lt_ssl_sym {
    LT_SSL_READ,
    LT_SSL_WRITE,
    LT_SSL_READ_EX,
    LT_SSL_WRITE_EX,
    LT_SSL_FREE,
    LT_SSL_GET_SERVERNAME,
    LT_SSL_GET_FD,
    LT_SSL_IS_SERVER,
    LT_SSL_GET_ERROR,
    LT_SSL_NSYMS
};

/** The GnuTLS functions llmtap uses, by index into the lazily resolved table. */
enum lt_gnutls_sym {
    LT_GNUTLS_RECORD_SEND,
    LT_GNUTLS_RECORD_RECV,
    LT_GNUTLS_DEINIT,
    LT_GNUTLS_ERROR_IS_FATAL,
    LT_GNUTLS_SERVER_NAME_GET,
    LT_GNUTLS_TRANSPORT_GET_INT,
    LT_GNUTLS_NSYMS
};

/** As lt_real_ssl(), for libgnutls (loaded libgnutls.so* found the same way). */
void *lt_real_gnutls(enum lt_gnutls_sym sym);

/** The real address of libssl function `sym`, resolving it on first use (RTLD_NEXT, then the
 *  loaded libssl found with dl_iterate_phdr and RTLD_NOLOAD). NULL when not found, or when
 *  the only definition found is our own hook (logged once). Lock-free after the first call. */
void *lt_real_ssl(enum lt_ssl_sym sym);

/** The resolved libssl / GnuTLS addresses (NULL = not yet resolved), owned by real.c; read
 *  through lt_real_ssl_fast() / lt_real_gnutls_fast() only. */
extern void *lt_real_ssl_table[LT_SSL_NSYMS];
extern void *lt_real_gnutls_table[LT_GNUTLS_NSYMS];

/** lt_real_ssl() for the hooks' hot path: one load once resolved (inlined). */
static inline void *lt_real_ssl_fast(enum lt_ssl_sym sym)
{
    void *p = __atomic_load_n(&lt_real_ssl_table[sym], __ATOMIC_ACQUIRE);
    return __builtin_expect(p != NULL, 1) ? p : lt_real_ssl(sym);
}

/** lt_real_gnutls() for the hooks' hot path: one load once resolved (inlined). */
static inline void *lt_real_gnutls_fast(enum lt_gnutls_sym sym)
{
    void *p = __atomic_load_n(&lt_real_gnutls_table[sym], __ATOMIC_ACQUIRE);
    return __builtin_expect(p != NULL, 1) ? p : lt_real_gnutls(sym);
}

#endif
