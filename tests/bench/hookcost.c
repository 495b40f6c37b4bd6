/* hookcost.c — many small TLS reads and writes on a connection that is not an LLM API, for
 * counting (with callgrind, tests/bench/hookcost.py) the instructions an LD_PRELOADed agent
 * adds to each SSL_read/SSL_write call. Plain C11 + OpenSSL, no llmtap headers.
 *
 * An in-process OpenSSL client and server in one thread: the client sends SNI HOST
 * (www.example.org, not an LLM provider) and verifies the server's self-signed certificate
 * (EC P-256, generated in memory at start). The two ends
 * are joined by a memory BIO pair (mode `bio`) or by a TCP connection over loopback (mode
 * `fd`: connect()/accept(), SSL_set_fd; libssl then does read()/write() on the sockets, as in
 * real programs).
 *
 *   usage: hookcost MODE N [KIND] [PAYLOAD]
 *     MODE     bio | fd
 *     N        iterations of the measured loop (each moves 64 bytes one or both ways)
 *     KIND     rt (default): client SSL_write, server SSL_read, server SSL_write, client
 *                SSL_read — four calls through the PLT (hooked under an agent) per iteration
 *              rt-ex: the same with SSL_write_ex / SSL_read_ex
 *              write, write-ex: the client writes 64 bytes (hooked); the server reads them
 *                through libssl's own symbol (dlsym on libssl's handle: never hooked)
 *              read, read-ex: the server writes 64 bytes (unhooked); the client reads them
 *                (hooked)
 *     PAYLOAD  raw (default): the client's bytes are an opaque binary protocol
 *              http: before the loop the client sends one HTTP/1.1 request head to HOST
 *                (POST /upload, Content-Length covering every byte the loop writes) and the
 *                server one response head (Content-Length covering the loop's bytes): the
 *                loop then moves body bytes of a non-LLM exchange
 *
 * stdout: "calls C" — the number of calls through the PLT (hookable) the measured loop made,
 * for the per-call arithmetic. In mode `fd` the unhooked side's libssl still calls
 * read()/write() through the PLT (those libc hooks are cheap one-load checks).
 * Exit status 0, 1 on any TLS failure, 2 on bad arguments. The in-memory TLS set-up (identity,
 * contexts, ends, BIO pair, handshake) is tests/drivers/tls_mem.h's. */
#include "../drivers/tls_mem.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HOST "www.example.org"
#define CHUNK 64

typedef int (*rw_fn)(SSL *, void *, int);

/* libssl's own SSL_read / SSL_write, bypassing any interposed definition. */
static rw_fn direct_read, direct_write;
static long calls; /* calls through the PLT in the measured loop */

static void die(const char *what)
{
    fprintf(stderr, "hookcost: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* Resolve libssl's definitions through libssl's own handle (dlsym on a library handle
 * searches that library first, so an LD_PRELOADed hook is not what comes back). */
static void find_direct(void)
{
    Dl_info info;
    if (!dladdr((void *)&SSL_new, &info) || !info.dli_fname)
        die("cannot find libssl");
    void *h = dlopen(info.dli_fname, RTLD_NOLOAD | RTLD_NOW);
    if (!h)
        die("cannot open libssl");
    *(void **)&direct_read = dlsym(h, "SSL_read");
    *(void **)&direct_write = dlsym(h, "SSL_write");
    if (!direct_read || !direct_write)
        die("cannot find SSL_read/SSL_write in libssl");
}

/* One connection, both ends in this thread. */
struct pair {
    SSL_CTX *cctx, *sctx;
    SSL *client, *server;
    int fds[2];
};

static void pair_open(struct pair *p, int use_fd)
{
    const char *err = tls_mem_contexts(HOST, &p->cctx, &p->sctx);
    if (err || (err = tls_mem_ends(p->cctx, p->sctx, HOST, &p->client, &p->server)))
        die(err);
    p->fds[0] = p->fds[1] = -1;
    if (use_fd) {
        /* A TCP connection over loopback, connect()ed by this process like a real client's
         * (llmtap's connect hook sees it; its libc I/O hooks then see libssl's reads and
         * writes). Non-blocking during the handshake, which steps both ends in turn;
         * blocking (and TCP_NODELAY) for the loop. */
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t alen = sizeof(a);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 1) != 0 ||
            getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
            die("cannot listen on loopback");
        p->fds[0] = socket(AF_INET, SOCK_STREAM, 0);
        if (p->fds[0] < 0 || connect(p->fds[0], (struct sockaddr *)&a, sizeof(a)) != 0 ||
            (p->fds[1] = accept(lfd, NULL, NULL)) < 0)
            die("cannot connect over loopback");
        close(lfd);
        for (int i = 0; i < 2; i++) {
            int one = 1;
            setsockopt(p->fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            fcntl(p->fds[i], F_SETFL, fcntl(p->fds[i], F_GETFL) | O_NONBLOCK);
        }
        SSL_set_fd(p->client, p->fds[0]);
        SSL_set_fd(p->server, p->fds[1]);
    } else if ((err = tls_mem_join(p->client, p->server, 0))) {
        die(err);
    }
    if ((err = tls_mem_handshake(p->client, p->server)))
        die(err);
    for (int i = 0; i < 2 && use_fd; i++)
        fcntl(p->fds[i], F_SETFL, fcntl(p->fds[i], F_GETFL) & ~O_NONBLOCK);
}

static void pair_close(struct pair *p)
{
    SSL_free(p->client);
    SSL_free(p->server);
    if (p->fds[0] >= 0) {
        close(p->fds[0]);
        close(p->fds[1]);
    }
    SSL_CTX_free(p->cctx);
    SSL_CTX_free(p->sctx);
}

/* The ways of moving bytes: through the PLT (counted, hooked under an agent), plain or _ex,
 * or straight into libssl (never hooked). */
enum how { VIA_PLT, VIA_PLT_EX, DIRECT };

static void put(SSL *ssl, const char *buf, int len, enum how how)
{
    int ok;
    if (how == DIRECT) {
        ok = direct_write(ssl, (void *)buf, len) == len;
    } else if (how == VIA_PLT_EX) {
        size_t w = 0;
        ok = SSL_write_ex(ssl, buf, (size_t)len, &w) == 1 && w == (size_t)len;
        calls++;
    } else {
        ok = SSL_write(ssl, buf, len) == len;
        calls++;
    }
    if (!ok)
        die("write failed");
}

static void get(SSL *ssl, char *buf, int len, enum how how)
{
    int got = 0;
    while (got < len) {
        int n;
        if (how == DIRECT) {
            n = direct_read(ssl, buf + got, len - got);
        } else if (how == VIA_PLT_EX) {
            size_t r = 0;
            n = SSL_read_ex(ssl, buf + got, (size_t)(len - got), &r) == 1 ? (int)r : -1;
            calls++;
        } else {
            n = SSL_read(ssl, buf + got, len - got);
            calls++;
        }
        if (n <= 0)
            die("read failed");
        got += n;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s bio|fd N [rt|rt-ex|write|write-ex|read|read-ex] [raw|http]\n",
                argv[0]);
        return 2;
    }
    int use_fd = strcmp(argv[1], "fd") == 0;
    long n = strtol(argv[2], NULL, 10);
    const char *kind = argc > 3 ? argv[3] : "rt";
    int http = argc > 4 && strcmp(argv[4], "http") == 0;
    if ((!use_fd && strcmp(argv[1], "bio") != 0) || n < 0 ||
        (argc > 4 && !http && strcmp(argv[4], "raw") != 0)) {
        fprintf(stderr, "hookcost: bad arguments\n");
        return 2;
    }
    int ex = strstr(kind, "-ex") != NULL;
    enum how plt = ex ? VIA_PLT_EX : VIA_PLT;
    enum how cw, sr, sw, cr; /* client write, server read, server write, client read */
    if (strncmp(kind, "rt", 2) == 0) {
        cw = sr = sw = cr = plt;
    } else if (strncmp(kind, "write", 5) == 0) {
        cw = plt;
        sr = DIRECT;
        sw = cr = DIRECT; /* unused */
    } else if (strncmp(kind, "read", 4) == 0) {
        sw = DIRECT;
        cr = plt;
        cw = sr = DIRECT; /* unused */
    } else {
        fprintf(stderr, "hookcost: unknown kind %s\n", kind);
        return 2;
    }
    int up = strncmp(kind, "read", 4) != 0;    /* the loop moves client → server bytes */
    int down = strncmp(kind, "write", 5) != 0; /* and server → client bytes */

    find_direct();
    struct pair p;
    pair_open(&p, use_fd);

    char out[CHUNK], in[CHUNK];
    for (int i = 0; i < CHUNK; i++) /* not HTTP: no method, control bytes */
        out[i] = (char)(0x80 + i * 7);
    /* Before the loop, one exchange the agent sees from the client end (through the PLT):
     * the first bytes decide what the connection is, its per-connection set-up happens
     * here, not in the loop. The server end goes the way the loop uses it. */
    enum how srv = strncmp(kind, "rt", 2) == 0 ? plt : DIRECT;
    char head[256], got[256];
    int len;
    if (http)
        len = snprintf(head, sizeof(head),
                       "POST /upload HTTP/1.1\r\nHost: " HOST "\r\n"
                       "Content-Type: application/octet-stream\r\nContent-Length: %ld\r\n\r\n",
                       up ? n * CHUNK : 0);
    else
        len = (int)sizeof(out), memcpy(head, out, sizeof(out));
    put(p.client, head, len, plt);
    get(p.server, got, len, srv);
    if (http)
        len = snprintf(head, sizeof(head),
                       "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                       "Content-Length: %ld\r\n\r\n",
                       down ? n * CHUNK : 0);
    put(p.server, head, len, srv);
    get(p.client, got, len, plt);
    calls = 0;

    for (long i = 0; i < n; i++) {
        if (up) {
            put(p.client, out, CHUNK, cw);
            get(p.server, in, CHUNK, sr);
        }
        if (down) {
            put(p.server, out, CHUNK, sw);
            get(p.client, in, CHUNK, cr);
        }
    }
    printf("calls %ld\n", calls);
    pair_close(&p);
    return 0;
}
