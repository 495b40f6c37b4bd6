/* secure_dlopen.c — proves that a setuid/setgid process (AT_SECURE) is left untraced.
 *
 * usage: secure_dlopen LIB CERT KEY
 *
 * dlopen()s LIB (llmtap, by absolute path: the loader ignores LD_PRELOAD in a secure
 * process, but dlopen still works), then makes one OpenAI-shaped Chat Completions exchange
 * over an in-memory TLS pair (SNI api.openai.com): the client side writes and reads through
 * LIB's SSL_write/SSL_read (dlsym on the handle), the server side (certificate CERT, key
 * KEY) through libssl directly. Prints "secure=<AT_SECURE> ruid=<r> euid=<e>
 * threads=<threads of this process after the exchange>" and then the response body.
 * Exit 0 when the exchange completed, 2 on a setup error. The integration test runs it
 * once plainly (traced: a span, a file, an exporter thread) and once setuid (nothing). */
#include <dirent.h>
#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

typedef int (*rw_fn)(SSL *, void *, int);

#define REQ_BODY                                                                                   \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to "      \
    "the mock.\"}]}"
#define RESP_BODY                                                                                  \
    "{\"id\":\"chatcmpl-setuid1\",\"object\":\"chat.completion\",\"created\":1741569952,"          \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":"        \
    "\"assistant\",\"content\":\"Hello!\"},\"finish_reason\":\"stop\"}],\"usage\":{"               \
    "\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}"

static int die(const char *what)
{
    fprintf(stderr, "secure_dlopen: %s\n", what);
    ERR_print_errors_fp(stderr);
    return 2;
}

/* Threads of this process: entries of /proc/self/task. */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Drive both handshakes over the BIO pair until both are done (bounded). */
static int handshake(SSL *c, SSL *s)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 100 && !(cdone && sdone); i++) {
        if (!cdone) {
            int r = SSL_do_handshake(c);
            if (r == 1)
                cdone = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
                return -1;
        }
        if (!sdone) {
            int r = SSL_do_handshake(s);
            if (r == 1)
                sdone = 1;
            else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
                return -1;
        }
    }
    return cdone && sdone ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s LIB CERT KEY\n", argv[0]);
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "secure_dlopen: dlopen: %s\n", dlerror());
        return 2;
    }
    rw_fn lt_write = (rw_fn)dlsym(h, "SSL_write");
    rw_fn lt_read = (rw_fn)dlsym(h, "SSL_read");
    if (!lt_write || !lt_read)
        return die("the library has no SSL_write/SSL_read");

    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    if (!sctx || !cctx)
        return die("SSL_CTX_new");
    if (SSL_CTX_use_certificate_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(sctx, argv[3], SSL_FILETYPE_PEM) != 1)
        return die("server certificate");
    SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *cb = NULL, *sb = NULL;
    if (!c || !s || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1)
        return die("SSL_new / BIO pair");
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set_tlsext_host_name(c, "api.openai.com");
    if (handshake(c, s) != 0)
        return die("handshake");

    /* Client → server, through the library's SSL_write. */
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
                     "Authorization: Bearer sk-test-SECRET-setuid-789\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(REQ_BODY), REQ_BODY);
    if (lt_write(c, req, n) != n)
        return die("client SSL_write");
    char buf[4096];
    int got = 0;
    while (got < n) {
        int r = SSL_read(s, buf + got, (int)sizeof(buf) - got);
        if (r <= 0)
            return die("server SSL_read");
        got += r;
    }

    /* Server → client; the client reads through the library's SSL_read. */
    char resp[2048];
    int m = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     strlen(RESP_BODY), RESP_BODY);
    if (SSL_write(s, resp, m) != m)
        return die("server SSL_write");
    got = 0;
    while (got < m) {
        int r = lt_read(c, buf + got, (int)sizeof(buf) - 1 - got);
        if (r <= 0)
            return die("client SSL_read");
        got += r;
    }
    buf[got] = '\0';
    const char *body = strstr(buf, "\r\n\r\n");

    /* A finished exchange starts the exporter thread of a traced process; give it a moment
     * so that its absence means something. */
    usleep(100 * 1000);
    printf("secure=%lu ruid=%d euid=%d threads=%d\n%s\n", getauxval(AT_SECURE), (int)getuid(),
           (int)geteuid(), thread_count(), body ? body + 4 : "");
    fflush(stdout);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return 0;
}
