/* stream_host.c — host-thread cost of streamed OpenAI exchanges (issue 5, item 3b).
 *
 * One thread runs an OpenSSL client and server joined by a memory BIO pair (no network, no
 * other process). On one HTTP/1.1 keep-alive connection the client sends EXCHANGES requests
 * POST /v1/chat/completions (Host api.openai.com, "stream":true); each is answered by a
 * chunked text/event-stream of EVENTS OpenAI chat.completion.chunk events (the last two are
 * the usage chunk and "data: [DONE]"), one TLS record and one HTTP chunk per event, as a
 * provider flushes them. The client reads the stream with SSL_read(READ) calls until the
 * terminating chunk.
 *
 * The server's reads and writes go through libssl's own SSL_read/SSL_write, looked up with dlsym in
 * libssl's handle, so an LD_PRELOADed agent sees (and charges to this thread) only the client's
 * calls: what an instrumented application pays. The figure printed is the CPU time of this
 * thread (CLOCK_THREAD_CPUTIME_ID) over the exchange loop, handshake excluded; an agent's
 * exporter thread is not counted. The loop is the function exchange_loop (never inlined), so
 * callgrind can count exactly its instructions: `valgrind --tool=callgrind
 * --separate-threads=yes --toggle-collect=exchange_loop` (tests/bench/stream.py runs it with
 * and without the agent and divides the difference by the number of events).
 *
 *   usage: stream_host EXCHANGES [EVENTS [READ]]   (defaults 300, 200, 4096)
 *
 * stdout: one line "thread_ns=N exchanges=E events=V bytes=B" (B: response bytes read).
 * Exit status 0, 1 on any TLS or protocol failure (message on stderr), 2 on bad usage.
 * Plain C11 + OpenSSL; no llmtap headers; the in-memory TLS set-up is
 * tests/drivers/tls_mem.h's. */
#include "../drivers/tls_mem.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOST "api.openai.com"
#define MAX_EVENTS 100000

static const char REQ_BODY[] =
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse."
    "\"},{\"role\":\"user\",\"content\":\"Tell me a long story.\"}],\"stream\":true,"
    "\"stream_options\":{\"include_usage\":true},\"temperature\":0.2,\"max_tokens\":1024}";

/* The common prefix of every chunk, as OpenAI sends it (field order of the API reference). */
#define CHUNK_HEAD                                                                                 \
    "{\"id\":\"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012\",\"object\":\"chat.completion.chunk\","     \
    "\"created\":1732147200,\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\","    \
    "\"system_fingerprint\":\"fp_0ba0d124f1\","

static const char *const WORDS[] = {" the",  " quick", " brown", " fox", " jumps",
                                    " over", " a",     " lazy",  " dog", " again"};

/* One pre-built HTTP chunk per event ("%x\r\n" data "\r\n"), then "0\r\n\r\n". */
static char **chunk;
static int *chunk_len, n_chunks;
static char head[512], request[2048];
static int head_len, request_len;
static SSL_CTX *client_ctx, *server_ctx;
static int (*real_ssl_write)(SSL *, const void *, int);
static int (*real_ssl_read)(SSL *, void *, int);

static void die(const char *what)
{
    fprintf(stderr, "stream_host: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* Append one event `data` to the chunk table as its own HTTP chunk. */
static void add_event(const char *data)
{
    size_t dn = strlen(data);
    char *c = malloc(dn + 32);
    if (!c)
        die("out of memory");
    int n = snprintf(c, dn + 32, "%zx\r\ndata: %s\n\n\r\n", dn + 8, data);
    chunk[n_chunks] = c;
    chunk_len[n_chunks++] = n;
}

/* EVENTS events: role, content pieces, finish_reason, usage, [DONE] (at least 3). */
static void build_stream(int events)
{
    chunk = calloc((size_t)events + 1, sizeof(*chunk));
    chunk_len = calloc((size_t)events + 1, sizeof(*chunk_len));
    if (!chunk || !chunk_len)
        die("out of memory");
    char ev[1024];
    snprintf(ev, sizeof(ev),
             CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
                        "\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],"
                        "\"usage\":null}");
    add_event(ev);
    for (int i = 0; i < events - 4; i++) {
        snprintf(ev, sizeof(ev),
                 CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},"
                            "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}",
                 WORDS[i % 10]);
        add_event(ev);
    }
    add_event(CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
                         "\"finish_reason\":\"stop\"}],\"usage\":null}");
    snprintf(ev, sizeof(ev),
             CHUNK_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":%d,"
                        "\"total_tokens\":%d,\"prompt_tokens_details\":{\"cached_tokens\":0,"
                        "\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":"
                        "0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
                        "\"rejected_prediction_tokens\":0}}}",
             events - 3, events + 21);
    add_event(ev);
    add_event("[DONE]");
    chunk[n_chunks] = strdup("0\r\n\r\n");
    chunk_len[n_chunks++] = 5;
}

/* The TLS contexts (a throwaway identity for HOST), libssl's own SSL_read/SSL_write, and
 * the request and response head bytes. */
static void setup(void)
{
    const char *err = tls_mem_contexts(HOST, &client_ctx, &server_ctx);
    if (err)
        die(err);

    /* libssl's own SSL_write, past any interposer. */
    void *h = dlopen("libssl.so.3", RTLD_NOW | RTLD_NOLOAD);
    if (!h)
        h = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
    real_ssl_write = h ? (int (*)(SSL *, const void *, int))dlsym(h, "SSL_write") : NULL;
    real_ssl_read = h ? (int (*)(SSL *, void *, int))dlsym(h, "SSL_read") : NULL;
    if (!real_ssl_write || !real_ssl_read)
        die("cannot find libssl's SSL_write/SSL_read");

    request_len = snprintf(request, sizeof(request),
                           "POST /v1/chat/completions HTTP/1.1\r\nHost: " HOST "\r\n"
                           "Authorization: Bearer sk-bench-not-a-key\r\n"
                           "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
                           "Content-Length: %zu\r\n\r\n%s",
                           strlen(REQ_BODY), REQ_BODY);
    head_len = snprintf(head, sizeof(head),
                        "HTTP/1.1 200 OK\r\nDate: Thu, 21 Nov 2024 00:00:00 GMT\r\n"
                        "Content-Type: text/event-stream; charset=utf-8\r\n"
                        "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
                        "openai-processing-ms: 120\r\nx-request-id: req_0123456789abcdef\r\n"
                        "\r\n");
}

/* Client: read until the BIO pair is empty; returns bytes read, checks the stream end. */
static size_t drain(SSL *client, char *buf, int rd, char *tail, size_t *tail_n)
{
    size_t got = 0;
    for (;;) {
        int n = SSL_read(client, buf, rd);
        if (n <= 0) {
            if (SSL_get_error(client, n) == SSL_ERROR_WANT_READ)
                return got;
            die("SSL_read failed");
        }
        got += (size_t)n;
        /* keep the last 5 bytes seen, to recognise "0\r\n\r\n" */
        for (int i = n > 5 ? n - 5 : 0; i < n; i++) {
            if (*tail_n == 5) {
                memmove(tail, tail + 1, 4);
                *tail_n = 4;
            }
            tail[(*tail_n)++] = buf[i];
        }
    }
}

size_t exchange_loop(SSL *client, SSL *server, long exchanges, char *buf, int rd);

/* The measured work: EXCHANGES request/response exchanges on the connection, the client
 * reading `rd` bytes per SSL_read into `buf`; returns the response bytes the client read.
 * External and never inlined or cloned, so its symbol is the one callgrind toggles on. */
__attribute__((noinline, noclone)) size_t exchange_loop(SSL *client, SSL *server, long exchanges,
                                                        char *buf, int rd)
{
    BIO *cb = SSL_get_rbio(client);
    size_t total = 0;
    for (long x = 0; x < exchanges; x++) {
        if (SSL_write(client, request, request_len) != request_len)
            die("client SSL_write failed");
        /* server: consume the request, through libssl's own SSL_read */
        size_t req = 0;
        char in[4096];
        while (req < (size_t)request_len) {
            int n = real_ssl_read(server, in, sizeof(in));
            if (n <= 0)
                die("server SSL_read failed");
            req += (size_t)n;
        }
        if (real_ssl_write(server, head, head_len) != head_len)
            die("server SSL_write failed");
        char tail[5];
        size_t tail_n = 0;
        for (int i = 0; i < n_chunks; i++) {
            if (real_ssl_write(server, chunk[i], chunk_len[i]) != chunk_len[i])
                die("server SSL_write failed");
            /* let the client read once the pair holds a batch (~ 40 KiB) */
            if (BIO_ctrl_pending(cb) > 40000 || i == n_chunks - 1)
                total += drain(client, buf, rd, tail, &tail_n);
        }
        if (tail_n != 5 || memcmp(tail, "0\r\n\r\n", 5) != 0)
            die("stream did not end with the last chunk");
    }
    return total;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s EXCHANGES [EVENTS [READ]]\n", argv[0]);
        return 2;
    }
    long exchanges = strtol(argv[1], NULL, 10);
    int events = argc > 2 ? atoi(argv[2]) : 200;
    int rd = argc > 3 ? atoi(argv[3]) : 4096;
    if (exchanges < 1 || events < 4 || events > MAX_EVENTS || rd < 1 || rd > (1 << 20))
        return 2;
    setup();
    build_stream(events);
    char *buf = malloc((size_t)rd);
    if (!buf)
        die("out of memory");

    SSL *client, *server;
    /* 64 KiB each way: a whole batch of events fits before the client reads. */
    const char *err = tls_mem_connect(client_ctx, server_ctx, HOST, 1 << 16, &client, &server);
    if (err)
        die(err);

    struct timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    size_t total = exchange_loop(client, server, exchanges, buf, rd);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("thread_ns=%lld exchanges=%ld events=%d bytes=%zu\n", ns, exchanges, events, total);
    SSL_shutdown(client);
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(client_ctx);
    SSL_CTX_free(server_ctx);
    for (int i = 0; i < n_chunks; i++)
        free(chunk[i]);
    free(chunk);
    free(chunk_len);
    free(buf);
    return 0;
}
