/* tls_burst.c — N OpenAI chat exchanges over TLS as fast as possible, with no network.
 *
 * Each thread runs an in-process OpenSSL client and server joined by a memory BIO pair
 * (BIO_new_bio_pair): the client sends SNI api.openai.com and verifies the server's
 * certificate for that name, then does its share of the exchanges on one HTTP/1.1
 * keep-alive connection: POST /v1/chat/completions with an OpenAI-shaped JSON body, answered
 * by a small chat.completion JSON with usage. The key (EC P-256) and the self-signed
 * certificate are generated in memory at start, so the program needs no files.
 *
 *   usage: tls_burst EXCHANGES [THREADS]      (THREADS default 1, at most 64)
 *
 * stdout: "ok EXCHANGES" (deterministic, for with/without-llmtap comparisons);
 * stderr: "tls_burst: N exchanges, T thread(s), S s, R exchanges/s", then, as the very last
 * thing the process does (an atexit handler registered first, so it runs after every other
 * one, an LD_PRELOADed agent's exit flush included): "tls_burst: peak RSS K KiB" (VmHWM:
 * this program's own high-water mark; ru_maxrss would include the parent's RSS at fork).
 * Exit status 0, or 1 on any TLS or protocol failure (message on stderr).
 * Used by tests/integ/test_collector_faults.py (queue overflow) and as a benchmark host.
 * The in-memory TLS set-up is tests/drivers/tls_mem.h's. */
#include "tls_mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOST "api.openai.com"
#define MAX_THREADS 64

static const char REQ_BODY[] =
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse."
    "\"},{\"role\":\"user\",\"content\":\"Say hello.\"}],\"temperature\":0.2,"
    "\"max_tokens\":32}";

static const char RESP_BODY[] =
    "{\"id\":\"chatcmpl-burst0001\",\"object\":\"chat.completion\",\"created\":1732147200,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
    "\"assistant\",\"content\":\"Hello!\",\"refusal\":null},\"logprobs\":null,"
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":2,"
    "\"total_tokens\":21},\"system_fingerprint\":\"fp_burst\"}";

/* The request and response bytes, built once. */
static char request[1024], response[1024];
static int request_len, response_len;
static SSL_CTX *client_ctx, *server_ctx;

/* atexit: print VmHWM from /proc/self/status. */
static void report_peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            fprintf(stderr, "tls_burst: peak RSS %ld KiB\n", strtol(line + 6, NULL, 10));
    if (f)
        fclose(f);
}

static void die(const char *what)
{
    fprintf(stderr, "tls_burst: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void setup(void)
{
    const char *err = tls_mem_contexts(HOST, &client_ctx, &server_ctx);
    if (err)
        die(err);

    request_len = snprintf(request, sizeof(request),
                           "POST /v1/chat/completions HTTP/1.1\r\nHost: " HOST "\r\n"
                           "Authorization: Bearer sk-burst-not-a-key\r\n"
                           "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen(REQ_BODY), REQ_BODY);
    response_len = snprintf(response, sizeof(response),
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Content-Length: %zu\r\n\r\n%s",
                            strlen(RESP_BODY), RESP_BODY);
}

/* One TLS connection: both ends in this thread, joined by a BIO pair. */
struct pair {
    SSL *client, *server;
};

static void pair_open(struct pair *p)
{
    const char *err = tls_mem_connect(client_ctx, server_ctx, HOST, 0, &p->client, &p->server);
    if (err)
        die(err);
}

/* Move `len` bytes from `from` to `to` (writer, then reader; the pair buffers 17 KiB, more
 * than one message) and check they arrived intact. */
static void transfer(SSL *from, SSL *to, const char *buf, int len)
{
    if (SSL_write(from, buf, len) != len)
        die("SSL_write failed");
    char in[1024];
    int got = 0;
    while (got < len) {
        int n = SSL_read(to, in + got, len - got);
        if (n <= 0)
            die("SSL_read failed");
        got += n;
    }
    if (memcmp(in, buf, (size_t)len) != 0)
        die("bytes changed in transit");
}

static void pair_close(struct pair *p)
{
    SSL_shutdown(p->client);
    SSL_free(p->client);
    SSL_free(p->server);
}

static void *run_thread(void *arg)
{
    long n = *(long *)arg;
    struct pair p;
    pair_open(&p);
    for (long i = 0; i < n; i++) {
        transfer(p.client, p.server, request, request_len);
        transfer(p.server, p.client, response, response_len);
    }
    pair_close(&p);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s EXCHANGES [THREADS]\n", argv[0]);
        return 2;
    }
    long total = strtol(argv[1], NULL, 10);
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (total < 0 || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "tls_burst: bad arguments\n");
        return 2;
    }
    atexit(report_peak_rss);
    setup();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t tid[MAX_THREADS];
    long share[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        share[i] = total / threads + (i < total % threads ? 1 : 0);
        if (pthread_create(&tid[i], NULL, run_thread, &share[i]) != 0)
            die("pthread_create failed");
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "tls_burst: %ld exchanges, %d thread(s), %.3f s, %.0f exchanges/s\n", total,
            threads, secs, secs > 0 ? (double)total / secs : 0.0);
    printf("ok %ld\n", total);
    SSL_CTX_free(client_ctx);
    SSL_CTX_free(server_ctx);
    return 0;
}
