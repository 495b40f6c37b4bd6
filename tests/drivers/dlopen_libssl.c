/* dlopen_libssl.c — a host that does not link its TLS library: it dlopens libssl.so.3 (or
 * libgnutls.so.30) after start, does TLS exchanges with the mock, dlcloses it, and does it
 * all again, ROUNDS times.
 *
 *   dlopen_libssl PORT CA ssl|gnutls PLAN [--local]
 *
 * PLAN lists the exchanges of each round, rounds separated by '/': e.g. "get/chat/chat,get"
 * (get = non-LLM download, chat = chat completion). The interposed functions are looked up
 * with dlsym(RTLD_DEFAULT), as a symbol reference from a dlopen'ed plugin binds (the
 * preloaded agent first); the rest with dlsym(handle). --local dlopens with RTLD_LOCAL (the
 * interposed functions then come from the handle when nothing else defines them).
 *
 * Between rounds, if the library really was unloaded, its old address range is reserved
 * (PROT_NONE) so the next dlopen maps it elsewhere: a pointer kept from the first round then
 * faults at once instead of working by luck. Bodies go to stdout. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <link.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static int port;
static const char *ca;
static int local;

static int tcp(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        return -1;
    return fd;
}

static size_t request(char *buf, size_t cap, int chat)
{
    static const char body[] = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                               "\"content\":\"Say hello to the mock.\"}]}";
    if (!chat)
        return (size_t)snprintf(buf, cap,
                                "GET /download?bytes=2000 HTTP/1.1\r\nHost: localhost:%d\r\n"
                                "Connection: close\r\n\r\n",
                                port);
    return (size_t)snprintf(buf, cap,
                            "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost:%d\r\n"
                            "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                            "Connection: close\r\n\r\n%s",
                            port, sizeof(body) - 1, body);
}

/* Print the body of the response in `buf`. */
static int emit(const char *buf, size_t n)
{
    const char *end = memmem(buf, n, "\r\n\r\n", 4);
    if (!end || n < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) {
        fprintf(stderr, "bad response (%zu bytes)\n", n);
        return -1;
    }
    fwrite(end + 4, 1, n - (size_t)(end + 4 - buf), stdout);
    fputc('\n', stdout);
    return 0;
}

static void *sym(void *h, const char *name, int interposed)
{
    void *p = interposed ? dlsym(RTLD_DEFAULT, name) : NULL;
    if (!p)
        p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "no %s\n", name);
        exit(2);
    }
    return p;
}

#define BUF (1 << 20)

/* ---- OpenSSL (declared here: the driver has no libssl at link time) ---- */
static int ssl_exchange(void *h, int chat)
{
    void *(*method)(void) = sym(h, "TLS_client_method", 0);
    void *(*ctx_new)(void *) = sym(h, "SSL_CTX_new", 0);
    int (*load)(void *, const char *, const char *) = sym(h, "SSL_CTX_load_verify_locations", 0);
    void (*set_verify)(void *, int, void *) = sym(h, "SSL_CTX_set_verify", 0);
    long (*ctx_ctrl)(void *, int, long, void *) = sym(h, "SSL_CTX_ctrl", 0);
    void (*ctx_free)(void *) = sym(h, "SSL_CTX_free", 0);
    void *(*ssl_new)(void *) = sym(h, "SSL_new", 0);
    int (*set_fd)(void *, int) = sym(h, "SSL_set_fd", 0);
    long (*ssl_ctrl)(void *, int, long, void *) = sym(h, "SSL_ctrl", 0);
    int (*ssl_connect)(void *) = sym(h, "SSL_connect", 0);
    int (*ssl_write)(void *, const void *, int) = sym(h, "SSL_write", 1);
    int (*ssl_read)(void *, void *, int) = sym(h, "SSL_read", 1);
    void (*ssl_free)(void *) = sym(h, "SSL_free", 1);
    uint64_t (*set_options)(void *, uint64_t) = sym(h, "SSL_CTX_set_options", 0);

    void *ctx = ctx_new(method());
    if (!ctx || load(ctx, ca, NULL) != 1)
        return -1;
    set_verify(ctx, 1 /* SSL_VERIFY_PEER */, NULL);
    set_options(ctx, (uint64_t)1 << 7 /* SSL_OP_IGNORE_UNEXPECTED_EOF */);
    (void)ctx_ctrl;
    int fd = tcp();
    void *ssl = ssl_new(ctx);
    set_fd(ssl, fd);
    ssl_ctrl(ssl, 55 /* SSL_CTRL_SET_TLSEXT_HOSTNAME */, 0 /* host_name */, (void *)"localhost");
    int rc = -1;
    if (fd >= 0 && ssl_connect(ssl) == 1) {
        char req[512];
        size_t n = request(req, sizeof(req), chat);
        char *buf = malloc(BUF);
        size_t got = 0;
        if (buf && ssl_write(ssl, req, (int)n) == (int)n) {
            int k;
            while (got < BUF && (k = ssl_read(ssl, buf + got, (int)(BUF - got))) > 0)
                got += (size_t)k;
            rc = emit(buf, got);
        }
        free(buf);
    }
    ssl_free(ssl);
    ctx_free(ctx);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ---- GnuTLS ---- */
static int gnutls_exchange(void *h, int chat)
{
    int (*alloc_cred)(void **) = sym(h, "gnutls_certificate_allocate_credentials", 0);
    int (*trust)(void *, const char *, int) = sym(h, "gnutls_certificate_set_x509_trust_file", 0);
    void (*free_cred)(void *) = sym(h, "gnutls_certificate_free_credentials", 0);
    int (*init)(void **, unsigned) = sym(h, "gnutls_init", 0);
    int (*prio)(void *) = sym(h, "gnutls_set_default_priority", 0);
    int (*cred_set)(void *, int, void *) = sym(h, "gnutls_credentials_set", 0);
    int (*sni)(void *, int, const void *, size_t) = sym(h, "gnutls_server_name_set", 0);
    void (*verify)(void *, const char *, unsigned) = sym(h, "gnutls_session_set_verify_cert", 0);
    void (*set_int2)(void *, int, int) = sym(h, "gnutls_transport_set_int2", 0);
    int (*handshake)(void *) = sym(h, "gnutls_handshake", 0);
    int (*fatal)(int) = sym(h, "gnutls_error_is_fatal", 0);
    ssize_t (*send)(void *, const void *, size_t) = sym(h, "gnutls_record_send", 1);
    ssize_t (*recv)(void *, void *, size_t) = sym(h, "gnutls_record_recv", 1);
    void (*deinit)(void *) = sym(h, "gnutls_deinit", 1);

    void *cred = NULL, *s = NULL;
    int tr = alloc_cred(&cred) < 0 ? -1 : trust(cred, ca, 1 /* GNUTLS_X509_FMT_PEM */);
    if (tr < 0) {
        fprintf(stderr, "gnutls credentials: %d\n", tr);
        return -1;
    }
    init(&s, 2 /* GNUTLS_CLIENT */);
    prio(s);
    cred_set(s, 1 /* GNUTLS_CRD_CERTIFICATE */, cred);
    sni(s, 1 /* GNUTLS_NAME_DNS */, "localhost", 9);
    verify(s, "localhost", 0);
    int fd = tcp();
    set_int2(s, fd, fd);
    int ret;
    do
        ret = handshake(s);
    while (ret < 0 && !fatal(ret));
    int rc = -1;
    if (ret < 0)
        fprintf(stderr, "gnutls handshake: %d\n", ret);
    if (ret >= 0) {
        char req[512];
        size_t n = request(req, sizeof(req), chat);
        char *buf = malloc(BUF);
        size_t got = 0;
        if (buf && send(s, req, n) == (ssize_t)n) {
            ssize_t k;
            while (got < BUF && (k = recv(s, buf + got, BUF - got)) != 0) {
                if (k < 0) {
                    if (fatal((int)k))
                        break;
                    continue;
                }
                got += (size_t)k;
            }
            rc = emit(buf, got);
        }
        free(buf);
    }
    deinit(s);
    free_cred(cred);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The address range `h` occupies, from its program headers. */
struct range {
    const char *name;
    uintptr_t lo, hi;
};
static int find_range(struct dl_phdr_info *info, size_t size, void *data)
{
    struct range *r = data;
    if (!info->dlpi_name || !strstr(info->dlpi_name, r->name))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (!r->lo || lo < r->lo)
            r->lo = lo;
        if (hi > r->hi)
            r->hi = hi;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: dlopen_libssl PORT CA ssl|gnutls PLAN [--local]\n");
        return 2;
    }
    port = atoi(argv[1]);
    ca = argv[2];
    int gnutls = strcmp(argv[3], "gnutls") == 0;
    local = argc > 5 && strcmp(argv[5], "--local") == 0;
    const char *lib = gnutls ? "libgnutls.so.30" : "libssl.so.3";
    char *plan = strdup(argv[4]);
    int bad = 0, round = 0;
    for (char *save = NULL, *r = strtok_r(plan, "/", &save); r; r = strtok_r(NULL, "/", &save)) {
        void *h = dlopen(lib, RTLD_NOW | (local ? RTLD_LOCAL : RTLD_GLOBAL));
        if (!h) {
            fprintf(stderr, "dlopen %s: %s\n", lib, dlerror());
            return 2;
        }
        char *copy = strdup(r);
        for (char *s2 = NULL, *x = strtok_r(copy, ",", &s2); x; x = strtok_r(NULL, ",", &s2)) {
            int chat = strcmp(x, "chat") == 0;
            int rc = gnutls ? gnutls_exchange(h, chat) : ssl_exchange(h, chat);
            bad |= rc != 0;
        }
        free(copy);
        fflush(stdout);
        struct range rg = {lib, 0, 0};
        dl_iterate_phdr(find_range, &rg);
        dlclose(h);
        void *still = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
        if (still) {
            dlclose(still);
        } else if (rg.lo) {
            /* Unloaded: keep its old place taken (never unmapped; a few pages of address
             * space). */
            uintptr_t lo = rg.lo & ~(uintptr_t)4095;
            mmap((void *)lo, rg.hi - lo, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        }
        round++;
    }
    printf("rounds %d\n", round);
    free(plan);
    return bad;
}
