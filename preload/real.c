/* real.c — resolution of the real functions behind our hooks (see real.h). */
#include "real.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "log.h"

struct lt_real_libc lt_real;

static const char *const ssl_names[LT_SSL_NSYMS] = {
    [LT_SSL_READ] = "SSL_read",           [LT_SSL_WRITE] = "SSL_write",
    [LT_SSL_READ_EX] = "SSL_read_ex",     [LT_SSL_WRITE_EX] = "SSL_write_ex",
    [LT_SSL_FREE] = "SSL_free",           [LT_SSL_GET_SERVERNAME] = "SSL_get_servername",
    [LT_SSL_GET_FD] = "SSL_get_fd",       [LT_SSL_IS_SERVER] = "SSL_is_server",
    [LT_SSL_GET_ERROR] = "SSL_get_error",
};

static const char *const gnutls_names[LT_GNUTLS_NSYMS] = {
    [LT_GNUTLS_RECORD_SEND] = "gnutls_record_send",
    [LT_GNUTLS_RECORD_RECV] = "gnutls_record_recv",
    [LT_GNUTLS_DEINIT] = "gnutls_deinit",
    [LT_GNUTLS_ERROR_IS_FATAL] = "gnutls_error_is_fatal",
    [LT_GNUTLS_SERVER_NAME_GET] = "gnutls_server_name_get",
    [LT_GNUTLS_TRANSPORT_GET_INT] = "gnutls_transport_get_int",
};

/* Resolved addresses; NULL = not yet resolved. Written once per slot (racing resolvers
 * store the same value). */
void *lt_real_ssl_table[LT_SSL_NSYMS];
void *lt_real_gnutls_table[LT_GNUTLS_NSYMS];

/* Our own file, found once by lt_real_init_libc() (in the constructor, before any hook can
 * run on another thread), so resolvers on several threads only read it. */
static Dl_info self;
static int have_self;

/* Our own definitions, to detect dlsym returning the hook itself. */
static void *self_addr(const char *name)
{
    if (!have_self)
        return NULL;
    void *h = dlopen(self.dli_fname, RTLD_NOLOAD | RTLD_LAZY);
    if (!h)
        return NULL;
    void *p = dlsym(h, name);
    dlclose(h);
    return p;
}

static void *next_sym(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p)
        dlerror(); /* clear the error state dlsym left */
    return p;
}

void lt_real_init_libc(void)
{
    have_self = dladdr((void *)&lt_real_init_libc, &self) != 0;
    lt_real.connect = (lt_connect_fn)next_sym("connect");
    lt_real.close = (lt_close_fn)next_sym("close");
    /* Function-pointer casts from dlsym's void * (POSIX guarantees they round-trip). */
    *(void **)&lt_real.send = next_sym("send");
    *(void **)&lt_real.sendto = next_sym("sendto");
    *(void **)&lt_real.sendmsg = next_sym("sendmsg");
    *(void **)&lt_real.write = next_sym("write");
    *(void **)&lt_real.writev = next_sym("writev");
    *(void **)&lt_real.recv = next_sym("recv");
    *(void **)&lt_real.recvfrom = next_sym("recvfrom");
    *(void **)&lt_real.recvmsg = next_sym("recvmsg");
    *(void **)&lt_real.read = next_sym("read");
    *(void **)&lt_real.readv = next_sym("readv");
    *(void **)&lt_real.read_chk = next_sym("__read_chk");
    *(void **)&lt_real.recv_chk = next_sym("__recv_chk");
    *(void **)&lt_real.recvfrom_chk = next_sym("__recvfrom_chk");
    *(void **)&lt_real.exit_ = next_sym("_exit");
}

/* dl_iterate_phdr search: the first loaded object whose file name starts with `prefix`. */
struct lib_search {
    const char *prefix;
    const char *path;
};

static int find_lib(struct dl_phdr_info *info, size_t size, void *data)
{
    struct lib_search *s = data;
    const char *path = info->dlpi_name;
    if (!path || !*path)
        return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, s->prefix, strlen(s->prefix)) != 0)
        return 0;
    s->path = path;
    return 1;
}

/* Keep the library that defines `p` loaded for good. The tables cache real addresses, and
 * a host may dlclose its TLS library and dlopen it again (plugins, Python's ctypes): an
 * unloaded copy would leave us calling into unmapped memory, and the reloaded one may sit
 * elsewhere. Pinning (RTLD_NODELETE on a NOLOAD handle: no new load, the flag stays after
 * our dlclose) is chosen over re-resolving because noticing an unload needs a check on every
 * call (dl_iterate_phdr's adds/subs counters, under the loader's lock) on the hot path, and
 * a thread already inside the old copy would still crash; OpenSSL pins libcrypto and
 * Debian's libssl.so.3 the same way (DF_1_NODELETE), libgnutls is not pinned. The cost: the
 * library's pages stay mapped after the host's last dlclose. */
static void pin(void *p)
{
    Dl_info info;
    if (!dladdr(p, &info) || !info.dli_fname)
        return;
    void *h = dlopen(info.dli_fname, RTLD_NOLOAD | RTLD_NODELETE | RTLD_LAZY);
    if (h)
        dlclose(h); /* drops our reference only: RTLD_NODELETE keeps the object */
    else
        dlerror();
}

static void *resolve(const char *name, const char *lib_prefix)
{
    void *p = next_sym(name);
    if (!p) {
        struct lib_search ls = {lib_prefix, NULL};
        dl_iterate_phdr(find_lib, &ls);
        const char *path = ls.path;
        if (path) {
            void *h = dlopen(path, RTLD_NOLOAD | RTLD_LAZY);
            if (h) {
                p = dlsym(h, name);
                if (!p)
                    dlerror();
                dlclose(h); /* NOLOAD handle: only drops the reference we just took */
            }
        }
    }
    if (p && p == self_addr(name)) {
        static int warned;
        lt_log_once(warned, LT_LOG_WARN, "real %s resolves to llmtap itself; tracing off", name);
        p = NULL;
    }
    if (p)
        pin(p);
    return p;
}

void *lt_real_ssl(enum lt_ssl_sym sym)
{
    void *p = __atomic_load_n(&lt_real_ssl_table[sym], __ATOMIC_ACQUIRE);
    if (__builtin_expect(p != NULL, 1))
        return p;
    p = resolve(ssl_names[sym], "libssl.so");
    if (p)
        __atomic_store_n(&lt_real_ssl_table[sym], p, __ATOMIC_RELEASE);
    return p;
}

void *lt_real_gnutls(enum lt_gnutls_sym sym)
{
    void *p = __atomic_load_n(&lt_real_gnutls_table[sym], __ATOMIC_ACQUIRE);
    if (__builtin_expect(p != NULL, 1))
        return p;
    p = resolve(gnutls_names[sym], "libgnutls.so");
    if (p)
        __atomic_store_n(&lt_real_gnutls_table[sym], p, __ATOMIC_RELEASE);
    return p;
}
