/* drv_tls.h — the TLS client the process/signal/thread drivers share: one OpenAI-shaped
 * Chat Completions exchange (or a non-LLM GET) with the integration suite's TLS mock on
 * 127.0.0.1:<port>, over a fresh connection with `Connection: close`. Plain C11 + OpenSSL,
 * no llmtap headers; header-only so each driver stays one file for the Makefile rule. */
#ifndef DRV_TLS_H
#define DRV_TLS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The request body the tests expect spans for (integ_util.expected_span(minimal=True)). */
#define DRV_MODEL "gpt-4o-mini"
#define DRV_BODY                                                                                   \
    "{\"model\":\"" DRV_MODEL "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello "       \
    "to the mock.\"}]%s}"
#define DRV_STREAM_OPTS ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"
#define DRV_MAX_RESPONSE (1u << 20) /* bytes of one response kept */

/** What a driver exchange does. */
enum drv_kind {
    DRV_CHAT = 0,   /* POST /v1/chat/completions */
    DRV_STREAM = 1, /* the same, streamed */
    DRV_GET = 2,    /* GET /download?bytes=3000: not an LLM call */
};

/** One response: `data` (malloc'ed, owned by the caller) holds everything read; `body`
 *  points into it past the head. `status` is the HTTP status, 0 when none was read. */
struct drv_resp {
    char *data;
    size_t len;
    const char *body;
    size_t body_len;
    int status;
};

/** A blocking TCP connection to 127.0.0.1:`port`; -1 on failure (errno set). */
static inline int drv_tcp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/** A client context that trusts only `ca` (PEM file); exits on failure. */
static inline SSL_CTX *drv_ctx(const char *ca)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        fprintf(stderr, "drv: cannot load CA %s\n", ca);
        exit(2);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* The mock closes without close_notify after `Connection: close`. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    return ctx;
}

/** Connect and handshake (SNI and verified name "localhost"); NULL on failure, *fd_out the
 *  socket (the caller closes it after SSL_free). */
static inline SSL *drv_open(SSL_CTX *ctx, int port, int *fd_out)
{
    int fd = drv_tcp(port);
    if (fd < 0)
        return NULL;
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    if (SSL_connect(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    *fd_out = fd;
    return ssl;
}

/** Format the request of `kind` for the mock on `port` into `buf`; returns its length. */
static inline size_t drv_request(char *buf, size_t cap, enum drv_kind kind, int port)
{
    if (kind == DRV_GET)
        return (size_t)snprintf(buf, cap,
                                "GET /download?bytes=3000 HTTP/1.1\r\nHost: localhost:%d\r\n"
                                "Connection: close\r\n\r\n",
                                port);
    char body[512];
    int bl = snprintf(body, sizeof(body), DRV_BODY, kind == DRV_STREAM ? DRV_STREAM_OPTS : "");
    return (size_t)snprintf(buf, cap,
                            "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost:%d\r\n"
                            "Authorization: Bearer sk-test-SECRET-openai-123\r\n"
                            "Content-Type: application/json\r\nContent-Length: %d\r\n"
                            "Connection: close\r\n\r\n%s",
                            port, bl, body);
}

/** Find the head's end and the status code of the response in `r`. */
static inline void drv_parse(struct drv_resp *r)
{
    r->body = NULL;
    r->body_len = 0;
    r->status = 0;
    if (r->len > 12 && memcmp(r->data, "HTTP/1.", 7) == 0)
        r->status = atoi(r->data + 9);
    char *end = r->data ? memmem(r->data, r->len, "\r\n\r\n", 4) : NULL;
    if (end) {
        r->body = end + 4;
        r->body_len = r->len - (size_t)(r->body - r->data);
    }
}

/** Send the request of `kind` on `ssl` and read the response until the server closes;
 *  `after_first` (may be NULL) runs once after the first bytes of the response arrived.
 *  Returns 0, or -1 when the exchange failed. */
static inline int drv_talk(SSL *ssl, enum drv_kind kind, int port, struct drv_resp *r,
                           void (*after_first)(void *), void *arg)
{
    char req[1024];
    size_t n = drv_request(req, sizeof(req), kind, port);
    memset(r, 0, sizeof(*r));
    if (SSL_write(ssl, req, (int)n) != (int)n)
        return -1;
    r->data = malloc(DRV_MAX_RESPONSE);
    if (!r->data)
        return -1;
    for (;;) {
        if (r->len == DRV_MAX_RESPONSE)
            break;
        int k = SSL_read(ssl, r->data + r->len, (int)(DRV_MAX_RESPONSE - r->len));
        if (k <= 0)
            break;
        if (!r->len && after_first)
            after_first(arg);
        r->len += (size_t)k;
    }
    drv_parse(r);
    return r->status ? 0 : -1;
}

/** One whole exchange on a fresh connection; the HTTP status, or -1. The response is
 *  appended to `out` (its body only) when `out` is not NULL. */
static inline int drv_exchange(SSL_CTX *ctx, int port, enum drv_kind kind, FILE *out)
{
    int fd;
    SSL *ssl = drv_open(ctx, port, &fd);
    if (!ssl)
        return -1;
    struct drv_resp r;
    int rc = drv_talk(ssl, kind, port, &r, NULL, NULL);
    SSL_free(ssl);
    close(fd);
    if (rc == 0 && out && r.body) {
        fwrite(r.body, 1, r.body_len, out);
        fputc('\n', out);
    }
    free(r.data);
    return rc == 0 ? r.status : -1;
}

#endif
