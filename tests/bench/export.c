/* export.c — exporter throughput and the host-thread cost of ending a span (issue 5, item 5).
 *
 * Links llmtap's core archive and drives the real exporter: N finished OpenAI Chat
 * Completions exchanges (request and response bodies of the API reference's shape, status
 * 200, as preload/conn_h1.c would hand them over) are ended with lt_conn_finish(), the call
 * a host thread makes when a response completes (stamp, then the bounded queue hand-off of
 * export/queue.c). The exporter thread turns them into spans (genai/), encodes them (OTLP
 * protobuf or JSON, gzip or not, from the usual OTEL_EXPORTER_OTLP_* variables) and ships
 * them over libcurl to a discard receiver inside this program: a thread that reads each
 * request's body and answers 200 with an empty body, so the receiver is never the bottleneck.
 *
 *   usage: export N [ship]
 *
 * Two measurements (issue 5's target, >= 100 000 spans/s protobuf, applies at least to the
 * second, which is what "the exporter encodes and ships" means most narrowly):
 *  (a) end to end (no second argument): described above and below; span building (genai/,
 *      which parses the JSON bodies) is part of it.
 *  (b) `ship`: encode and ship only. The N spans are built first (as the exporter thread
 *      does: lt_span_new + lt_genai_build_span + lt_process_assign), outside the clock; then
 *      the clock runs while they go, in batches of OTEL_BSP_MAX_EXPORT_BATCH_SIZE, through
 *      the encoder (lt_otlp_pb_encode_scratch, buffers kept between batches as the exporter
 *      thread keeps them, or lt_otlp_json_encode) and the transport
 *      (lt_transport_send: gzip when configured, libcurl, the receiver's answer) on this
 *      thread, each batch answered before the next. Freeing the spans is timed apart.
 *
 * First one exchange is exported and the receiver waits for it (libcurl is loaded, the
 * connection is up); then the clock starts, N exchanges are ended back to back, and the
 * clock stops when lt_export_shutdown() has drained the queue (every span encoded, sent and
 * answered). Each lt_conn_finish() call is timed on its own (CLOCK_MONOTONIC).
 *
 * stdout, one line: "spans=N seconds=S spans_per_s=R requests=Q body_bytes=B
 *                    end_ns_median=M end_ns_p99=P"
 * (requests and body bytes as the receiver counted them, warm-up excluded); with `ship`:
 * "spans=N seconds=S spans_per_s=R requests=Q body_bytes=B encode_seconds=E free_seconds=F"
 * (E: the part of S spent in the encoder; F: freeing the spans afterwards, not in S).
 * Exit status 0; 1 when the receiver did not get every batch, 2 on bad usage. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../export/export.h"
#include "../../preload/config.h"
#include "../../preload/conn_int.h"
#include "../../preload/exchange.h"
#include "../../export/otlp.h"
#include "../../export/resource.h"
#include "../../export/transport.h"
#include "../../preload/genai/genai.h"
#include "../../preload/trace/process.h"

static const char REQ_BODY[] =
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a "
    "helpful assistant.\"},{\"role\":\"user\",\"content\":\"What is the capital of France?\"}],"
    "\"temperature\":0.7,\"top_p\":1,\"max_tokens\":256,\"seed\":42,\"frequency_penalty\":0,"
    "\"presence_penalty\":0,\"stop\":[\"\\n\\n\"]}";

static const char RESP_BODY[] =
    "{\"id\":\"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012\",\"object\":\"chat.completion\","
    "\"created\":1732147200,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"The capital of France is Paris.\","
    "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
    "\"prompt_tokens\":27,\"completion_tokens\":8,\"total_tokens\":35,\"prompt_tokens_details\":"
    "{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{"
    "\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
    "\"rejected_prediction_tokens\":0}},\"service_tier\":\"default\",\"system_fingerprint\":"
    "\"fp_0ba0d124f1\"}";

/* ---- the discard receiver ---------------------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long requests;
    long long bytes;
} R = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

/* One receiver connection: read heads, skip Content-Length bytes of body, answer 200. */
static void *serve(void *arg)
{
    int fd = (int)(long)arg;
    size_t cap = 1 << 18;
    char *buf = malloc(cap);
    size_t have = 0;
    while (buf) {
        char *end = NULL;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            if (have == cap)
                goto out;
            ssize_t n = recv(fd, buf + have, cap - have, 0);
            if (n <= 0)
                goto out;
            have += (size_t)n;
        }
        size_t hlen = (size_t)(end - buf) + 4;
        long long clen = 0;
        int json = 0;
        for (char *l = buf; l < buf + hlen;) {
            char *nl = memchr(l, '\n', (size_t)(buf + hlen - l));
            if (!nl)
                break;
            if (strncasecmp(l, "content-length:", 15) == 0)
                clen = atoll(l + 15);
            else if (strncasecmp(l, "content-type:", 13) == 0)
                json = memmem(l, (size_t)(nl - l), "json", 4) != NULL;
            l = nl + 1;
        }
        size_t in_buf = have - hlen;
        long long left = clen - (long long)in_buf;
        if (left <= 0) { /* the body (and maybe the next request) is buffered */
            size_t used = hlen + (size_t)clen;
            memmove(buf, buf + used, have - used);
            have -= used;
        } else {
            have = 0;
            while (left > 0) {
                ssize_t n = recv(fd, buf, left < (long long)cap ? (size_t)left : cap, 0);
                if (n <= 0)
                    goto out;
                left -= n;
            }
        }
        char resp[160];
        int rn = snprintf(resp, sizeof(resp),
                          "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
                          json ? "application/json" : "application/x-protobuf", json ? 2 : 0,
                          json ? "{}" : "");
        if (send(fd, resp, (size_t)rn, MSG_NOSIGNAL) != rn)
            goto out;
        pthread_mutex_lock(&R.lock);
        R.requests++;
        R.bytes += clen;
        pthread_cond_broadcast(&R.cond);
        pthread_mutex_unlock(&R.lock);
    }
out:
    free(buf);
    close(fd);
    return NULL;
}

static void *accept_loop(void *arg)
{
    int ls = (int)(long)arg;
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(long)fd) == 0)
            pthread_detach(t);
        else
            close(fd);
    }
    return NULL;
}

/* Listen on 127.0.0.1:0; returns the port. */
static int start_receiver(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 64) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &len) != 0) {
        perror("export: receiver");
        exit(1);
    }
    pthread_t t;
    pthread_create(&t, NULL, accept_loop, (void *)(long)ls);
    pthread_detach(t);
    return ntohs(a.sin_port);
}

/* ---- exchanges ----------------------------------------------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A finished exchange as conn_h1.c builds it for POST /v1/chat/completions. */
static struct lt_exchange *make_exchange(void)
{
    struct lt_exchange *x = lt_exchange_new(lt_cfg.max_body);
    if (!x)
        return NULL;
    x->api = LT_API_OPENAI_CHAT;
    strcpy(x->provider, "openai");
    strcpy(x->server_address, "api.openai.com");
    x->server_port = 443;
    strcpy(x->peer_address, "127.0.0.1");
    x->peer_port = 443;
    strcpy(x->method, "POST");
    x->target = strdup("/v1/chat/completions");
    lt_buf_append(&x->req_body, REQ_BODY, sizeof(REQ_BODY) - 1);
    x->status = 200;
    strcpy(x->resp_content_type, "application/json");
    lt_buf_append(&x->resp_body, RESP_BODY, sizeof(RESP_BODY) - 1);
    x->t_start_ns = lt_conn_now_ns() - 350000000u;
    x->t_first_body_ns = x->t_start_ns + 300000000u;
    return x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Wait until the receiver has answered `want` requests (10 s at most); returns the count. */
static long wait_requests(long want)
{
    pthread_mutex_lock(&R.lock);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    while (R.requests < want)
        if (pthread_cond_timedwait(&R.cond, &R.lock, &dl) != 0)
            break;
    long got = R.requests;
    pthread_mutex_unlock(&R.lock);
    return got;
}

/* Encode one batch the way the exporter's lt_cfg says and send it; 0 when accepted.
 * Adds the encoder's time to *enc_ns. */
static int encode_and_send(struct lt_transport *t, const struct lt_resource *res,
                           const struct lt_span *batch, uint64_t *enc_ns)
{
    static struct lt_otlp_scratch sc; /* as the exporter thread keeps it */
    char *json = NULL;
    const void *body = NULL;
    size_t len = 0;
    const char *ctype;
    uint64_t a = mono_ns();
    int rc;
    if (lt_cfg.protocol == LT_PROTO_HTTP_JSON) {
        ctype = "application/json";
        rc = lt_otlp_json_encode(res, batch, &json, &len);
        body = json;
    } else {
        const uint8_t *pb = NULL;
        ctype = "application/x-protobuf";
        rc = lt_otlp_pb_encode_scratch(&sc, res, batch, &pb, &len);
        body = pb;
    }
    *enc_ns += mono_ns() - a;
    if (rc == 0) {
        int status = 0;
        uint64_t b = mono_ns();
        rc = lt_transport_send(t, body, len, ctype, mono_ns() + 10000000000u, &status);
        if (getenv("EXPORT_BENCH_TRACE"))
            fprintf(stderr, "send %zu bytes: %.3f ms\n", len, (double)(mono_ns() - b) / 1e6);
    }
    free(json);
    return rc;
}

/* (b): encode and ship already-built spans; see the header. */
static int ship_only(long n)
{
    size_t batch = lt_cfg.bsp_max_batch ? lt_cfg.bsp_max_batch : 512;
    struct lt_span **spans = calloc((size_t)n, sizeof(*spans));
    if (!spans)
        return 1;
    struct lt_genai_options o = {.capture_content = false};
    for (long i = 0; i < n; i++) {
        struct lt_exchange *x = make_exchange();
        struct lt_span *s = lt_span_new("chat", LT_SPAN_KIND_CLIENT);
        if (!x || !s || lt_genai_build_span(s, x, &o) != 0 || lt_process_assign(s) != 0)
            return 1;
        x->t_end_ns = x->t_start_ns + 350000000u;
        s->start_ns = x->t_start_ns;
        s->end_ns = x->t_end_ns;
        lt_exchange_free(x);
        spans[i] = s;
    }
    for (long i = 0; i < n; i++) /* batches of `batch` spans, `next`-linked */
        spans[i]->next = (i + 1) % (long)batch && i + 1 < n ? spans[i + 1] : NULL;

    struct lt_resource res;
    if (lt_resource_build(&res) != 0)
        return 1;
    struct lt_transport_config tc = {.url = lt_cfg.traces_url,
                                     .headers = lt_cfg.headers,
                                     .gzip = lt_cfg.gzip,
                                     .timeout_ms = lt_cfg.timeout_ms,
                                     .user_agent = "llmtap-bench"};
    struct lt_transport *t = lt_transport_new(&tc);
    if (!t)
        return 1;
    /* Warm-up: the first span alone (libcurl's connection up, allocator warm). */
    uint64_t enc_ns = 0;
    struct lt_span *after = spans[0]->next;
    spans[0]->next = NULL;
    if (encode_and_send(t, &res, spans[0], &enc_ns) != 0 || wait_requests(1) < 1) {
        fprintf(stderr, "export: the receiver got nothing\n");
        return 1;
    }
    spans[0]->next = after;
    pthread_mutex_lock(&R.lock);
    long warm_req = R.requests;
    long long warm_bytes = R.bytes;
    pthread_mutex_unlock(&R.lock);

    enc_ns = 0;
    int failed = 0;
    uint64_t t0 = mono_ns();
    for (long i = 0; i < n; i += (long)batch)
        failed |= encode_and_send(t, &res, spans[i], &enc_ns) != 0;
    uint64_t t1 = mono_ns();
    for (long i = 0; i < n; i++)
        spans[i]->next = NULL;
    for (long i = 0; i < n; i++)
        lt_span_free(spans[i]);
    uint64_t t2 = mono_ns();

    long want = warm_req + (n + (long)batch - 1) / (long)batch;
    long got = wait_requests(want);
    pthread_mutex_lock(&R.lock);
    long long bytes = R.bytes - warm_bytes;
    pthread_mutex_unlock(&R.lock);
    double secs = (double)(t1 - t0) / 1e9;
    printf("spans=%ld seconds=%.4f spans_per_s=%.0f requests=%ld body_bytes=%lld "
           "encode_seconds=%.4f free_seconds=%.4f\n",
           n, secs, (double)n / secs, got - warm_req, bytes, (double)enc_ns / 1e9,
           (double)(t2 - t1) / 1e9);
    lt_transport_free(t);
    lt_resource_cleanup(&res);
    free(spans);
    return failed || got < want ? 1 : 0;
}

int main(int argc, char **argv)
{
    long n = argc >= 2 ? strtol(argv[1], NULL, 10) : 0;
    bool ship = argc == 3 && strcmp(argv[2], "ship") == 0;
    if (n < 1 || n > 10000000 || argc > 3 || (argc == 3 && !ship)) {
        fprintf(stderr, "usage: %s N [ship]\n", argv[0]);
        return 2;
    }
    int port = start_receiver();
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url, 1);
    /* Room for every exchange: this measures throughput, not the drop policy. */
    char qs[32];
    snprintf(qs, sizeof(qs), "%ld", n + 1);
    setenv("OTEL_BSP_MAX_QUEUE_SIZE", qs, 0);
    setenv("LLMTAP_MAX_QUEUE_BYTES", "4294967296", 0);
    setenv("OTEL_BSP_SCHEDULE_DELAY", "20", 0);
    lt_config_load();
    lt_process_init();
    if (ship)
        return ship_only(n);
    lt_export_init(NULL);

    struct lt_exchange **xs = calloc((size_t)n, sizeof(*xs));
    uint64_t *lat = calloc((size_t)n, sizeof(*lat));
    if (!xs || !lat)
        return 1;
    for (long i = 0; i < n; i++)
        if (!(xs[i] = make_exchange()))
            return 1;

    /* Warm-up: one exchange, exported and answered. */
    struct lt_exchange *w = make_exchange();
    lt_conn_finish(w, LT_END_COMPLETE);
    pthread_mutex_lock(&R.lock);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    while (R.requests < 1)
        if (pthread_cond_timedwait(&R.cond, &R.lock, &dl) != 0)
            break;
    long warm_req = R.requests;
    long long warm_bytes = R.bytes;
    pthread_mutex_unlock(&R.lock);
    if (warm_req < 1) {
        fprintf(stderr, "export: the receiver got nothing\n");
        return 1;
    }

    uint64_t t0 = mono_ns();
    for (long i = 0; i < n; i++) {
        uint64_t a = mono_ns();
        lt_conn_finish(xs[i], LT_END_COMPLETE);
        lat[i] = mono_ns() - a;
    }
    lt_export_shutdown();
    uint64_t t1 = mono_ns();

    pthread_mutex_lock(&R.lock);
    long req = R.requests - warm_req;
    long long bytes = R.bytes - warm_bytes;
    pthread_mutex_unlock(&R.lock);
    qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
    double secs = (double)(t1 - t0) / 1e9;
    long batch = lt_cfg.bsp_max_batch ? (long)lt_cfg.bsp_max_batch : 512;
    printf("spans=%ld seconds=%.4f spans_per_s=%.0f requests=%ld body_bytes=%lld "
           "end_ns_median=%llu end_ns_p99=%llu\n",
           n, secs, (double)n / secs, req, bytes, (unsigned long long)lat[n / 2],
           (unsigned long long)lat[(size_t)((double)n * 0.99)]);
    free(xs);
    free(lat);
    /* At least one request per full batch must have arrived (nothing dropped on the way). */
    return req >= (n + batch - 1) / batch ? 0 : 1;
}
