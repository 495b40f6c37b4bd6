/* signal_connect.c — signal handlers that call connect(2) and write(2) on a socket while the
 * interrupted thread is inside a hooked call (SSL_read of a stream, SSL_write, connect).
 *
 *   signal_connect PORT CA N [THREADS]
 *
 * A SIGALRM timer fires every 300 us; its handler (async-signal-safe calls only) opens a TCP
 * socket, connects it to a listener of this process, writes a short non-HTTP line (and a
 * non-LLM HTTP request head on a second one), and closes both. (A handler that writes an
 * HTTP request to an LLM path on a plain socket while the code it interrupted, outside any
 * hook, holds the allocator's lock is not covered: following that socket allocates.) Meanwhile
 * THREADS threads (default 1: the main thread) each do N streamed chat exchanges with the mock.
 * Bodies go to stdout in thread order; exit 0 when every exchange answered 200. */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include "drv_tls.h"

static int port;
static struct sockaddr_in listen_addr;
static volatile sig_atomic_t fired;

static void on_alarm(int sig)
{
    int saved = errno;
    static const char line[] = "PING\r\n";
    static const char head[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for (int i = 0; i < 2; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            break;
        if (connect(fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) == 0) {
            ssize_t w = i ? write(fd, head, sizeof(head) - 1) : write(fd, line, sizeof(line) - 1);
            (void)w;
        }
        close(fd);
    }
    fired++;
    errno = saved;
}

/* Accepts and drops the handler's connections so the backlog never fills. */
static void *acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

struct work {
    SSL_CTX *ctx;
    int n;
    FILE *out;
    int bad;
};

static void *worker(void *arg)
{
    struct work *w = arg;
    for (int i = 0; i < w->n; i++)
        w->bad |= drv_exchange(w->ctx, port, DRV_STREAM, w->out) != 200;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: signal_connect PORT CA N [THREADS]\n");
        return 2;
    }
    port = atoi(argv[1]);
    int n = atoi(argv[3]);
    int nthreads = argc > 4 ? atoi(argv[4]) : 1;
    if (nthreads < 1 || nthreads > 16)
        return 2;
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    listen_addr.sin_family = AF_INET;
    listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(listen_addr);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) != 0 ||
        listen(lfd, 512) != 0 || getsockname(lfd, (struct sockaddr *)&listen_addr, &al) != 0)
        return 2;
    /* The helper threads never take the signal: it lands on the exchanging threads. */
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, &old);
    pthread_t at;
    pthread_create(&at, NULL, acceptor, (void *)(intptr_t)lfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 300}, {0, 300}};
    setitimer(ITIMER_REAL, &it, NULL);

    SSL_CTX *ctx = drv_ctx(argv[2]);
    struct work w[16];
    char *bufs[16];
    size_t lens[16];
    pthread_t t[16];
    for (int i = 0; i < nthreads; i++) {
        w[i] = (struct work){ctx, n, open_memstream(&bufs[i], &lens[i]), 0};
        if (i)
            pthread_create(&t[i], NULL, worker, &w[i]);
    }
    worker(&w[0]);
    int bad = w[0].bad;
    for (int i = 1; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        bad |= w[i].bad;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    for (int i = 0; i < nthreads; i++) {
        fclose(w[i].out);
        fwrite(bufs[i], 1, lens[i], stdout);
        free(bufs[i]);
    }
    fprintf(stderr, "signal_connect: %d handler runs\n", (int)fired);
    SSL_CTX_free(ctx);
    return bad || fired == 0;
}
