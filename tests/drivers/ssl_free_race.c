/* ssl_free_race.c — threads racing SSL_free against SSL_read/SSL_write on other connections,
 * plus same-connection sequences that are legal.
 *
 *   ssl_free_race PORT CA THREADS ROUNDS
 *
 * THREADS threads start together and each does ROUNDS exchanges on fresh connections
 * (alternately plain and streamed), freeing each SSL as soon as its response is read, so
 * frees on one thread overlap reads and writes on the others and freed SSL addresses are
 * reused by new connections at once. Then, on one connection each:
 *   - a request written by one thread and its response read by another (handed over under
 *     a mutex: legal, OpenSSL only forbids concurrent use);
 *   - SSL_shutdown then SSL_free after a complete exchange;
 *   - an SSL freed after its handshake without a byte written, and SSL_free(NULL);
 *   - an SSL freed in the middle of a streamed response.
 * Bodies of complete exchanges go to stdout, in thread order. */
#include <pthread.h>
#include <signal.h>

#include "drv_tls.h"

static int port;
static SSL_CTX *ctx;
static int rounds;
static pthread_barrier_t start;

struct work {
    char *buf;
    size_t len;
    int bad;
};

static void *racer(void *arg)
{
    struct work *w = arg;
    FILE *out = open_memstream(&w->buf, &w->len);
    pthread_barrier_wait(&start);
    for (int i = 0; i < rounds; i++)
        w->bad |= drv_exchange(ctx, port, i % 2 ? DRV_STREAM : DRV_CHAT, out) != 200;
    fclose(out);
    return NULL;
}

/* The hand-over case: this thread reads the response the main thread's request asked for. */
struct handover {
    pthread_mutex_t lock;
    SSL *ssl;
    struct drv_resp r;
};

static void *reader(void *arg)
{
    struct handover *h = arg;
    pthread_mutex_lock(&h->lock);
    struct drv_resp *r = &h->r;
    r->data = malloc(DRV_MAX_RESPONSE);
    int k;
    while (r->data && r->len < DRV_MAX_RESPONSE &&
           (k = SSL_read(h->ssl, r->data + r->len, (int)(DRV_MAX_RESPONSE - r->len))) > 0)
        r->len += (size_t)k;
    drv_parse(r);
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static void print_body(const struct drv_resp *r)
{
    if (r->body) {
        fwrite(r->body, 1, r->body_len, stdout);
        fputc('\n', stdout);
    }
}

static void free_mid_stream(void *arg)
{
    SSL **ssl = arg;
    SSL_free(*ssl); /* our own read loop ends on the freed pointer's next read: skip it */
    *ssl = NULL;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: ssl_free_race PORT CA THREADS ROUNDS\n");
        return 2;
    }
    port = atoi(argv[1]);
    int nthreads = atoi(argv[3]);
    rounds = atoi(argv[4]);
    if (nthreads < 1 || nthreads > 16)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    ctx = drv_ctx(argv[2]);
    int bad = 0;

    pthread_barrier_init(&start, NULL, (unsigned)nthreads);
    pthread_t t[16];
    struct work w[16] = {{0}};
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, racer, &w[i]);
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        fwrite(w[i].buf, 1, w[i].len, stdout);
        free(w[i].buf);
        bad |= w[i].bad;
    }

    /* Written here, read on another thread. */
    struct handover h = {.lock = PTHREAD_MUTEX_INITIALIZER};
    int fd;
    h.ssl = drv_open(ctx, port, &fd);
    if (!h.ssl)
        return 2;
    pthread_mutex_lock(&h.lock);
    char req[1024];
    size_t n = drv_request(req, sizeof(req), DRV_CHAT, port);
    bad |= SSL_write(h.ssl, req, (int)n) != (int)n;
    pthread_t rt;
    pthread_create(&rt, NULL, reader, &h);
    pthread_mutex_unlock(&h.lock);
    pthread_join(rt, NULL);
    bad |= h.r.status != 200;
    print_body(&h.r);
    free(h.r.data);
    SSL_free(h.ssl);
    close(fd);

    /* SSL_shutdown, then SSL_free. */
    SSL *ssl = drv_open(ctx, port, &fd);
    struct drv_resp r;
    bad |= !ssl || drv_talk(ssl, DRV_CHAT, port, &r, NULL, NULL) != 0 || r.status != 200;
    print_body(&r);
    free(r.data);
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);

    /* Freed unused; SSL_free(NULL). */
    ssl = drv_open(ctx, port, &fd);
    SSL_free(ssl);
    close(fd);
    SSL_free(NULL);

    /* Freed mid-stream (after the first bytes): the response is abandoned. */
    ssl = drv_open(ctx, port, &fd);
    if (ssl) {
        char *buf = malloc(DRV_MAX_RESPONSE);
        n = drv_request(req, sizeof(req), DRV_STREAM, port);
        if (buf && SSL_write(ssl, req, (int)n) == (int)n && SSL_read(ssl, buf, 4096) > 0)
            free_mid_stream(&ssl);
        if (ssl)
            SSL_free(ssl);
        free(buf);
        close(fd);
    }
    printf("done\n");
    SSL_CTX_free(ctx);
    return bad;
}
