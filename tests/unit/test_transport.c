/* test_transport.c — export/transport.c against a scripted HTTP/1.1 server running on a thread
 * of this test (127.0.0.1, ephemeral port): headers, gzip, keep-alive, the retry policy
 * (429/503/Retry-After/4xx), and the deadline bound for unreachable or silent receivers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "export/transport.h"

#define MS 1000000ULL
#define SLACK_NS (400 * MS) /* scheduling slack on a shared 2-core machine */
#define MAX_REQ 64
#define MAX_CONN 64

enum action {
    RESPOND, /* send `status` (+ extra headers, body) and keep the connection */
    CLOSE,   /* close the connection without answering */
    HANG,    /* never answer; wait for the client to give up */
    SLOW,    /* answer `status` after SLOW_MS */
};
#define SLOW_MS 600

struct step {
    enum action act;
    int status;
    const char *extra; /* extra response header lines, each ending in \r\n, or NULL */
    const char *body;  /* response body or NULL */
};

struct request {
    char *head; /* request line + headers, NUL-terminated */
    unsigned char *body;
    size_t body_len;
    uint64_t at_ns; /* CLOCK_MONOTONIC when the request was complete */
    int conn;       /* connection number (0-based) */
};

struct server {
    int lfd;
    int port;
    pthread_t thr;
    volatile int stop;
    const struct step *script; /* request i gets script[min(i, n_steps - 1)] */
    size_t n_steps;
    pthread_mutex_t mu;
    size_t n_req;
    int n_conn;
    pthread_t conn_thr[MAX_CONN]; /* one thread per connection, joined by server_stop() */
    struct request req[MAX_REQ];
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Wait until fd is readable or the server is stopping; returns 1 readable, 0 stopping. */
static int wait_readable(struct server *s, int fd)
{
    while (!s->stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) > 0)
            return 1;
    }
    return 0;
}

static const char *find_header(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
            return p + 2 + n + 1 + strspn(p + 2 + n + 1, " \t");
    return NULL;
}

/* Copy of header `name`'s value (up to CRLF) into out; false when absent. */
static bool header_value(const char *head, const char *name, char *out, size_t cap)
{
    const char *v = find_header(head, name);
    if (!v)
        return false;
    size_t n = strcspn(v, "\r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

static void serve_conn(struct server *s, int fd, int conn)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        char *end;
        while (!(buf && (end = memmem(buf, len, "\r\n\r\n", 4)))) {
            if (!wait_readable(s, fd))
                goto out;
            if (len + 4096 > cap) {
                cap = (cap ? cap * 2 : 8192) + 4096;
                buf = realloc(buf, cap);
            }
            ssize_t r = read(fd, buf + len, cap - len);
            if (r <= 0)
                goto out;
            len += (size_t)r;
        }
        size_t head_len = (size_t)(end - buf) + 4;
        char *head = strndup(buf, head_len);
        const char *cl = find_header(head, "Content-Length");
        size_t body_len = cl ? strtoul(cl, NULL, 10) : 0;
        while (len < head_len + body_len) {
            if (!wait_readable(s, fd)) {
                free(head);
                goto out;
            }
            if (head_len + body_len > cap) {
                cap = head_len + body_len;
                buf = realloc(buf, cap);
            }
            ssize_t r = read(fd, buf + len, cap - len);
            if (r <= 0) {
                free(head);
                goto out;
            }
            len += (size_t)r;
        }
        pthread_mutex_lock(&s->mu);
        size_t i = s->n_req;
        if (i < MAX_REQ) {
            s->req[i].head = head;
            s->req[i].body = malloc(body_len + 1);
            memcpy(s->req[i].body, buf + head_len, body_len);
            s->req[i].body_len = body_len;
            s->req[i].at_ns = now_ns();
            s->req[i].conn = conn;
            s->n_req++;
        } else {
            free(head);
        }
        pthread_mutex_unlock(&s->mu);
        memmove(buf, buf + head_len + body_len, len - head_len - body_len);
        len -= head_len + body_len;

        const struct step *st = &s->script[i < s->n_steps ? i : s->n_steps - 1];
        if (st->act == CLOSE)
            goto out;
        if (st->act == HANG) {
            char sink[4096];
            while (wait_readable(s, fd) && read(fd, sink, sizeof(sink)) > 0)
                ;
            goto out;
        }
        if (st->act == SLOW)
            usleep(SLOW_MS * 1000);
        const char *body = st->body ? st->body : "";
        char resp[1024];
        int n = snprintf(resp, sizeof(resp),
                         "HTTP/1.1 %d Scripted\r\nContent-Type: application/x-protobuf\r\n"
                         "Content-Length: %zu\r\n%s\r\n%s",
                         st->status, strlen(body), st->extra ? st->extra : "", body);
        if (write(fd, resp, (size_t)n) != n)
            goto out;
    }
out:
    free(buf);
}

struct conn_arg {
    struct server *s;
    int fd;
    int conn;
};

static void *conn_main(void *arg)
{
    struct conn_arg *a = arg;
    serve_conn(a->s, a->fd, a->conn);
    close(a->fd);
    free(a);
    return NULL;
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    while (wait_readable(s, s->lfd)) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        int conn = s->n_conn < MAX_CONN ? s->n_conn++ : -1;
        pthread_mutex_unlock(&s->mu);
        struct conn_arg *a = malloc(sizeof(*a));
        if (conn < 0 || !a) {
            free(a);
            close(fd);
            continue;
        }
        *a = (struct conn_arg){s, fd, conn};
        if (pthread_create(&s->conn_thr[conn], NULL, conn_main, a) != 0)
            abort();
    }
    return NULL;
}

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        abort();
    *port = ntohs(a.sin_port);
    return fd;
}

static struct server *server_start(const struct step *script, size_t n_steps)
{
    struct server *s = calloc(1, sizeof(*s));
    s->script = script;
    s->n_steps = n_steps;
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = listen_any(&s->port);
    assert_int_equal(listen(s->lfd, 8), 0);
    assert_int_equal(pthread_create(&s->thr, NULL, server_main, s), 0);
    return s;
}

static void server_stop(struct server *s)
{
    s->stop = 1;
    pthread_join(s->thr, NULL);
    for (int i = 0; i < s->n_conn; i++)
        pthread_join(s->conn_thr[i], NULL);
    close(s->lfd);
    for (size_t i = 0; i < s->n_req; i++) {
        free(s->req[i].head);
        free(s->req[i].body);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static size_t server_requests(struct server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_req;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Config pointing at `port`; the URL lives in a static buffer (one transport per test). */
static struct lt_transport_config config_for(int port)
{
    static char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/traces", port);
    struct lt_transport_config c = {.url = url, .timeout_ms = 2000, .user_agent = "llmtap/test"};
    return c;
}

static struct lt_transport *new_or_skip(const struct lt_transport_config *c)
{
    struct lt_transport *t = lt_transport_new(c);
    if (!t) {
        print_message("libcurl.so.4 not loadable: skipping\n");
        skip();
    }
    return t;
}

static const char BODY[] = "\x0a\x05hello-otlp-body";

/* ---- tests -------------------------------------------------------------------------------- */

/* The CURLOPT numbers transport.c declares, checked against the installed libcurl's own option
 * table (curl_easy_option_by_name, libcurl >= 7.73): a wrong number is silent breakage. */
static void test_curlopt_numbers_match_libcurl(void **state)
{
    struct easyoption {
        const char *name;
        int id;
        int type;
        unsigned flags;
    };
    typedef const struct easyoption *(*by_name_fn)(const char *name);
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        skip();
    by_name_fn by_name = (by_name_fn)dlsym(lib, "curl_easy_option_by_name");
    if (!by_name)
        skip();
    static const struct {
        const char *name;
        int id;
    } want[] = {
        {"WRITEDATA", 10001},     {"URL", 10002},
        {"WRITEFUNCTION", 20011}, {"POSTFIELDS", 10015},
        {"HTTPHEADER", 10023},    {"SSLCERT", 10025},
        {"HEADERDATA", 10029},    {"POST", 47},
        {"CAINFO", 10065},        {"HEADERFUNCTION", 20079},
        {"SSLKEY", 10087},        {"NOSIGNAL", 99},
        {"TIMEOUT_MS", 155},      {"CONNECTTIMEOUT_MS", 156},
        {"PROTOCOLS_STR", 10318}, {"POSTFIELDSIZE_LARGE", 30120},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct easyoption *o = by_name(want[i].name);
        assert_non_null(o);
        assert_int_equal(o->id, want[i].id);
    }
}

static void test_200_accepted(void **state)
{
    static const struct step script[] = {{RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    int status = -1;
    int rc = lt_transport_send(t, BODY, sizeof(BODY) - 1, "application/x-protobuf",
                               now_ns() + 3000 * MS, &status);
    assert_int_equal(rc, 0);
    assert_int_equal(status, 200);
    assert_int_equal(server_requests(s), 1);
    assert_int_equal(s->req[0].body_len, sizeof(BODY) - 1);
    assert_memory_equal(s->req[0].body, BODY, sizeof(BODY) - 1);
    assert_true(strncmp(s->req[0].head, "POST /v1/traces HTTP/1.1\r\n", 26) == 0);
    char v[256];
    assert_true(header_value(s->req[0].head, "Content-Type", v, sizeof(v)));
    assert_string_equal(v, "application/x-protobuf");
    assert_true(header_value(s->req[0].head, "User-Agent", v, sizeof(v)));
    assert_string_equal(v, "llmtap/test");
    assert_false(header_value(s->req[0].head, "Content-Encoding", v, sizeof(v)));
    assert_false(header_value(s->req[0].head, "Expect", v, sizeof(v)));
    lt_transport_free(t);
    server_stop(s);
}

/* A 200 carrying partial_success is still success: no retry (OTLP "Partial Success"). */
static void test_200_partial_success_not_retried(void **state)
{
    static const struct step script[] = {{RESPOND, 200, NULL,
                                          "\x0a\x0b\x08\x02\x12\x07"
                                          "dropped"}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    assert_int_equal(lt_transport_send(t, "{}", 2, "application/json", now_ns() + 3000 * MS, NULL),
                     0);
    assert_int_equal(server_requests(s), 1);
    char v[64];
    assert_true(header_value(s->req[0].head, "Content-Type", v, sizeof(v)));
    assert_string_equal(v, "application/json");
    lt_transport_free(t);
    server_stop(s);
}

static void test_user_headers_and_gzip(void **state)
{
    static const struct step script[] = {{RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    c.gzip = 1;
    c.headers = " api-key = secret ,x-tenant=a%20b%2Cc%3D,novalue,=v,bad key=x,"
                "x-inject=a%0D%0AEvil:%201,x-badpct=%zz,x-short=%4,content-type=text/plain,"
                "x-empty=,,x-last=Z%c3%a9";
    struct lt_transport *t = new_or_skip(&c);
    static char big[64 * 1024];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)("llmtap span "[i % 12] ^ (i % 7 == 0));
    int status = 0;
    assert_int_equal(lt_transport_send(t, big, sizeof(big), "application/x-protobuf",
                                       now_ns() + 3000 * MS, &status),
                     0);
    assert_int_equal(server_requests(s), 1);
    const char *head = s->req[0].head;
    char v[256];
    assert_true(header_value(head, "Content-Encoding", v, sizeof(v)));
    assert_string_equal(v, "gzip");
    assert_true(header_value(head, "Content-Type", v, sizeof(v)));
    assert_string_equal(v, "application/x-protobuf");
    assert_true(header_value(head, "api-key", v, sizeof(v)));
    assert_string_equal(v, "secret");
    assert_true(header_value(head, "x-tenant", v, sizeof(v)));
    assert_string_equal(v, "a b,c=");
    assert_true(header_value(head, "x-last", v, sizeof(v)));
    assert_string_equal(v, "Z\xc3\xa9");
    assert_false(header_value(head, "novalue", v, sizeof(v)));
    assert_false(header_value(head, "x-inject", v, sizeof(v)));
    assert_false(header_value(head, "Evil", v, sizeof(v)));
    assert_false(header_value(head, "x-badpct", v, sizeof(v)));
    assert_false(header_value(head, "x-short", v, sizeof(v)));
    assert_false(header_value(head, "x-empty", v, sizeof(v)));
    assert_null(strstr(head, "text/plain"));
    assert_null(strstr(head, "bad key"));

    /* The body gunzips to what we sent. */
    unsigned char *out = malloc(sizeof(big) + 1);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
    zs.next_in = s->req[0].body;
    zs.avail_in = (uInt)s->req[0].body_len;
    zs.next_out = out;
    zs.avail_out = sizeof(big) + 1;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, sizeof(big));
    assert_memory_equal(out, big, sizeof(big));
    assert_true(s->req[0].body_len < sizeof(big));
    inflateEnd(&zs);
    free(out);
    lt_transport_free(t);
    server_stop(s);
}

/* A user-supplied User-Agent replaces ours instead of being sent twice. */
static void test_user_agent_override(void **state)
{
    static const struct step script[] = {{RESPOND, 204, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    c.headers = "User-Agent=custom%2F1";
    struct lt_transport *t = new_or_skip(&c);
    assert_int_equal(
        lt_transport_send(t, BODY, 3, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    char v[64];
    assert_true(header_value(s->req[0].head, "User-Agent", v, sizeof(v)));
    assert_string_equal(v, "custom/1");
    assert_null(strstr(s->req[0].head, "llmtap/test"));
    lt_transport_free(t);
    server_stop(s);
}

static void test_503_twice_then_200(void **state)
{
    static const struct step script[] = {
        {RESPOND, 503, NULL, NULL}, {RESPOND, 503, NULL, NULL}, {RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 3);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns();
    int status = 0;
    assert_int_equal(lt_transport_send(t, BODY, sizeof(BODY) - 1, "application/x-protobuf",
                                       t0 + 5000 * MS, &status),
                     0);
    uint64_t took = now_ns() - t0;
    assert_int_equal(status, 200);
    assert_int_equal(server_requests(s), 3);
    /* Full jitter: the two waits are at most 100 ms and 200 ms. */
    assert_true(took < 300 * MS + SLACK_NS);
    for (int i = 0; i < 3; i++)
        assert_memory_equal(s->req[i].body, BODY, sizeof(BODY) - 1);
    lt_transport_free(t);
    server_stop(s);
}

static void test_429_retry_after_seconds(void **state)
{
    static const struct step script[] = {{RESPOND, 429, "Retry-After: 1\r\n", NULL},
                                         {RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 2);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns();
    assert_int_equal(lt_transport_send(t, BODY, sizeof(BODY) - 1, "application/x-protobuf",
                                       t0 + 5000 * MS, NULL),
                     0);
    uint64_t took = now_ns() - t0;
    assert_int_equal(server_requests(s), 2);
    uint64_t gap = s->req[1].at_ns - s->req[0].at_ns;
    assert_true(gap >= 950 * MS);
    assert_true(took < 1000 * MS + SLACK_NS);
    lt_transport_free(t);
    server_stop(s);
}

/* Retry-After as an IMF-fixdate two seconds ahead: the wait is at least one second (the date
 * has one-second resolution), far beyond the 100 ms first backoff. */
static void test_503_retry_after_http_date(void **state)
{
    static char extra[128];
    time_t when = time(NULL) + 2;
    struct tm tm;
    gmtime_r(&when, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(extra, sizeof(extra), "retry-after:  %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
             days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    const struct step script[] = {{RESPOND, 503, extra, NULL}, {RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 2);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 6000 * MS, NULL), 0);
    assert_int_equal(server_requests(s), 2);
    uint64_t gap = s->req[1].at_ns - s->req[0].at_ns;
    assert_true(gap >= 900 * MS);
    assert_true(gap < 3000 * MS);
    lt_transport_free(t);
    server_stop(s);
}

/* A Retry-After past the deadline: give up at once rather than sleep into the deadline. */
static void test_retry_after_beyond_deadline(void **state)
{
    static const struct step script[] = {{RESPOND, 429, "Retry-After: 30\r\n", NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns();
    int status = 0;
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", t0 + 2000 * MS, &status), -EAGAIN);
    assert_int_equal(status, 429);
    assert_int_equal(server_requests(s), 1);
    assert_true(now_ns() - t0 < 1000 * MS);
    lt_transport_free(t);
    server_stop(s);
}

/* partial_success in a protobuf ExportTraceServiceResponse: accepted, not retried, and the
 * rejected count and message are reported. */
static void test_partial_success_protobuf_read(void **state)
{
    /* partial_success (1) { rejected_spans (1) = 2, error_message (2) = "dropped" } */
    static const struct step script[] = {{RESPOND, 200, NULL,
                                          "\x0a\x0b\x08\x02\x12\x07"
                                          "dropped"},
                                         {RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 2);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    const char *msg = NULL;
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    assert_int_equal(server_requests(s), 1);
    assert_int_equal(lt_transport_rejected(t, &msg), 2);
    assert_non_null(msg);
    assert_string_equal(msg, "dropped");
    /* The next accepted send without partial_success reports nothing rejected. */
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    assert_int_equal(lt_transport_rejected(t, &msg), 0);
    assert_null(msg);
    lt_transport_free(t);
    server_stop(s);
}

/* OTLP/JSON partial success: rejectedSpans as a decimal string (the JSON mapping of int64) or
 * as a number; an empty partialSuccess or an unreadable body rejects nothing. */
static void test_partial_success_json_read(void **state)
{
    static const struct step script[] = {
        {RESPOND, 200, NULL,
         "{\"partialSuccess\":{\"rejectedSpans\":\"3\",\"errorMessage\":\"over quota\"}}"},
        {RESPOND, 200, NULL, "{\"partialSuccess\":{\"rejectedSpans\":4}}"},
        {RESPOND, 200, NULL, "{\"partialSuccess\":{}}"},
        {RESPOND, 200, NULL, "{\"partialSuccess\":{\"rejectedSpans\":\"-5\"}}"},
        {RESPOND, 200, NULL, "not json {"},
    };
    static const int64_t want[] = {3, 4, 0, 0, 0};
    struct server *s = server_start(script, 5);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    for (size_t i = 0; i < 5; i++) {
        const char *msg = (const char *)1;
        assert_int_equal(
            lt_transport_send(t, "{}", 2, "application/json", now_ns() + 3000 * MS, NULL), 0);
        assert_int_equal(lt_transport_rejected(t, &msg), want[i]);
        if (i == 0)
            assert_string_equal(msg, "over quota");
        else
            assert_null(msg);
    }
    assert_int_equal(server_requests(s), 5); /* none of them retried */
    lt_transport_free(t);
    server_stop(s);
}

/* A garbage protobuf body is not a partial success. */
static void test_partial_success_garbage_protobuf(void **state)
{
    static const struct step script[] = {{RESPOND, 200, NULL, "\x0a\x7f\x08"}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    assert_int_equal(lt_transport_rejected(t, NULL), 0);
    assert_int_equal(server_requests(s), 1);
    lt_transport_free(t);
    server_stop(s);
}

/* Retry-After outlives the send that got it: the next send waits for it, or, when its
 * deadline comes first, gives up at once without a request. */
static void test_retry_after_holds_next_send(void **state)
{
    static const struct step script[] = {{RESPOND, 429, "Retry-After: 1\r\n", NULL},
                                         {RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 2);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns();
    int status = 0;
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", t0 + 300 * MS, &status), -EAGAIN);
    assert_int_equal(status, 429);
    assert_int_equal(server_requests(s), 1);
    uint64_t t1 = now_ns();
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", t1 + 300 * MS, &status), -EAGAIN);
    assert_int_equal(status, 0);
    assert_true(now_ns() - t1 < 100 * MS);
    assert_int_equal(server_requests(s), 1);
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, &status), 0);
    assert_int_equal(status, 200);
    assert_int_equal(server_requests(s), 2);
    assert_true(s->req[1].at_ns - s->req[0].at_ns >= 950 * MS);
    lt_transport_free(t);
    server_stop(s);
}

struct lower_arg {
    uint64_t *cap;
    uint64_t after_ns;
};

static void *lower_cap_later(void *arg)
{
    struct lower_arg *a = arg;
    struct timespec ts = {0, (long)a->after_ns};
    nanosleep(&ts, NULL);
    __atomic_store_n(a->cap, now_ns(), __ATOMIC_RELEASE);
    return NULL;
}

/* The deadline cap, lowered by another thread, ends a Retry-After wait at once. */
static void test_deadline_cap_cuts_wait(void **state)
{
    static const struct step script[] = {{RESPOND, 503, "Retry-After: 5\r\n", NULL}};
    struct server *s = server_start(script, 1);
    uint64_t cap = UINT64_MAX;
    struct lt_transport_config c = config_for(s->port);
    c.deadline_cap_ns = &cap;
    struct lt_transport *t = new_or_skip(&c);
    struct lower_arg a = {&cap, 300 * MS};
    pthread_t thr;
    assert_int_equal(pthread_create(&thr, NULL, lower_cap_later, &a), 0);
    uint64_t t0 = now_ns();
    assert_int_equal(lt_transport_send(t, BODY, 4, "application/x-protobuf", t0 + 10000 * MS, NULL),
                     -EAGAIN);
    uint64_t took = now_ns() - t0;
    pthread_join(thr, NULL);
    assert_true(took >= 250 * MS);
    assert_true(took < 300 * MS + SLACK_NS);
    assert_int_equal(server_requests(s), 1);
    lt_transport_free(t);
    server_stop(s);
}

/* A cap already set bounds each attempt's timeout like the deadline does. */
static void test_deadline_cap_bounds_attempt(void **state)
{
    static const struct step script[] = {{HANG, 0, NULL, NULL}};
    struct server *s = server_start(script, 1);
    uint64_t t0 = now_ns(), cap = t0 + 400 * MS;
    struct lt_transport_config c = config_for(s->port);
    c.timeout_ms = 10000;
    c.deadline_cap_ns = &cap;
    struct lt_transport *t = new_or_skip(&c);
    assert_int_equal(lt_transport_send(t, BODY, 4, "application/x-protobuf", t0 + 10000 * MS, NULL),
                     -ETIMEDOUT);
    assert_true(now_ns() < cap + SLACK_NS);
    lt_transport_free(t);
    server_stop(s);
}

static void test_400_not_retried(void **state)
{
    static const struct step script[] = {{RESPOND, 400, NULL, "bad request"}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    int status = 0;
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, &status),
        -EPROTO);
    assert_int_equal(status, 400);
    assert_int_equal(server_requests(s), 1);
    lt_transport_free(t);
    server_stop(s);
}

static void test_500_not_retried(void **state)
{
    static const struct step script[] = {{RESPOND, 500, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    int status = 0;
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, &status),
        -EPROTO);
    assert_int_equal(status, 500);
    assert_int_equal(server_requests(s), 1);
    lt_transport_free(t);
    server_stop(s);
}

/* 503 forever: retries stop at the deadline with -EAGAIN and the last status. */
static void test_503_until_deadline(void **state)
{
    static const struct step script[] = {{RESPOND, 503, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns(), deadline = t0 + 800 * MS;
    int status = 0;
    assert_int_equal(lt_transport_send(t, BODY, 4, "application/x-protobuf", deadline, &status),
                     -EAGAIN);
    assert_true(now_ns() < deadline + SLACK_NS);
    assert_int_equal(status, 503);
    assert_true(server_requests(s) >= 2);
    lt_transport_free(t);
    server_stop(s);
}

/* The receiver drops the connection without answering once: retried (GOT_NOTHING). */
static void test_dropped_connection_retried(void **state)
{
    static const struct step script[] = {{CLOSE, 0, NULL, NULL}, {RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 2);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    assert_int_equal(server_requests(s), 2);
    assert_int_equal(s->req[1].conn, 1);
    lt_transport_free(t);
    server_stop(s);
}

static void test_connection_refused_bounded(void **state)
{
    int port;
    int fd = listen_any(&port); /* bound, never listening: connects are refused */
    struct lt_transport_config c = config_for(port);
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns(), deadline = t0 + 700 * MS;
    int status = -1;
    assert_int_equal(lt_transport_send(t, BODY, 4, "application/x-protobuf", deadline, &status),
                     -ECONNREFUSED);
    uint64_t end = now_ns();
    assert_int_equal(status, 0);
    assert_true(end < deadline + SLACK_NS);
    /* It did retry: at least the 100 ms + 200 ms backoff windows were available. */
    assert_true(end - t0 >= 1 * MS);
    lt_transport_free(t);
    close(fd);
}

static void test_silent_server_bounded(void **state)
{
    static const struct step script[] = {{HANG, 0, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    c.timeout_ms = 250;
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns(), deadline = t0 + 900 * MS;
    int status = -1;
    assert_int_equal(lt_transport_send(t, BODY, 4, "application/x-protobuf", deadline, &status),
                     -ETIMEDOUT);
    uint64_t end = now_ns();
    assert_int_equal(status, 0);
    assert_true(end < deadline + SLACK_NS);
    assert_true(end - t0 >= 240 * MS); /* the first attempt ran its full per-attempt timeout */
    assert_true(server_requests(s) >= 2);
    lt_transport_free(t);
    server_stop(s);
}

/* A receiver that was reached but answers after reach_by keeps the whole deadline: one
 * request, accepted, never sent twice (the exit flush's probe must not duplicate spans). */
static void test_reach_slow_receiver_keeps_deadline(void **state)
{
    static const struct step script[] = {{SLOW, 200, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns();
    int status = 0;
    assert_int_equal(lt_transport_send_reach(t, BODY, 4, "application/x-protobuf", t0 + 150 * MS,
                                             t0 + 3000 * MS, &status),
                     0);
    assert_int_equal(status, 200);
    assert_true(now_ns() - t0 >= SLOW_MS * MS);
    assert_int_equal(server_requests(s), 1);
    lt_transport_free(t);
    server_stop(s);
}

/* Nobody listening: the send ends at reach_by, not at the deadline. */
static void test_reach_refused_ends_early(void **state)
{
    int port;
    int fd = listen_any(&port); /* bound, never listening: connects are refused */
    struct lt_transport_config c = config_for(port);
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns(), reach_by = t0 + 150 * MS;
    assert_int_equal(lt_transport_send_reach(t, BODY, 4, "application/x-protobuf", reach_by,
                                             t0 + 5000 * MS, NULL),
                     -ECONNREFUSED);
    assert_true(now_ns() < reach_by + SLACK_NS);
    lt_transport_free(t);
    close(fd);
}

/* A receiver that never answers was still reached: the send runs to its deadline (per-attempt
 * timeouts and retries), not to reach_by. */
static void test_reach_silent_receiver_runs_to_deadline(void **state)
{
    static const struct step script[] = {{HANG, 0, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    c.timeout_ms = 300;
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns(), deadline = t0 + 900 * MS;
    assert_int_equal(lt_transport_send_reach(t, BODY, 4, "application/x-protobuf", t0 + 100 * MS,
                                             deadline, NULL),
                     -ETIMEDOUT);
    uint64_t end = now_ns();
    assert_true(end - t0 >= 290 * MS); /* the first attempt was not cut at reach_by */
    assert_true(end < deadline + SLACK_NS);
    lt_transport_free(t);
    server_stop(s);
}

/* A per-attempt timeout longer than the deadline is cut to the deadline. */
static void test_silent_server_deadline_cuts_timeout(void **state)
{
    static const struct step script[] = {{HANG, 0, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    c.timeout_ms = 10000;
    struct lt_transport *t = new_or_skip(&c);
    uint64_t t0 = now_ns(), deadline = t0 + 500 * MS;
    assert_int_equal(lt_transport_send(t, BODY, 4, "application/x-protobuf", deadline, NULL),
                     -ETIMEDOUT);
    assert_true(now_ns() < deadline + SLACK_NS);
    lt_transport_free(t);
    server_stop(s);
}

static void test_deadline_already_passed(void **state)
{
    static const struct step script[] = {{RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    int status = -1;
    assert_int_equal(lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() - 1, &status),
                     -ETIMEDOUT);
    assert_int_equal(status, 0);
    assert_int_equal(server_requests(s), 0);
    lt_transport_free(t);
    server_stop(s);
}

/* One easy handle per transport: two sends share one keep-alive connection; after
 * lt_transport_forget() (fork child) a fresh handle opens a new one. */
static void test_keepalive_and_forget(void **state)
{
    static const struct step script[] = {{RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 1);
    /* The config's strings die right after lt_transport_new(): the transport keeps copies
     * (the handle is re-created from them after forget). */
    char url[64], ua[32];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/traces", s->port);
    snprintf(ua, sizeof(ua), "llmtap/forget");
    struct lt_transport_config c = {.url = url, .timeout_ms = 2000, .user_agent = ua};
    struct lt_transport *t = new_or_skip(&c);
    memset(url, 'x', sizeof(url) - 1);
    memset(ua, 'y', sizeof(ua) - 1);
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    assert_int_equal(server_requests(s), 2);
    assert_int_equal(s->req[0].conn, 0);
    assert_int_equal(s->req[1].conn, 0);
    lt_transport_forget(t); /* leaks the old handle by design */
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    assert_int_equal(server_requests(s), 3);
    assert_int_equal(s->req[2].conn, 1);
    char v[64];
    assert_true(header_value(s->req[2].head, "User-Agent", v, sizeof(v)));
    assert_string_equal(v, "llmtap/forget");
    lt_transport_free(t);
    server_stop(s);
}

/* A fork child forgets the parent's handle and sends on its own connection; the parent's
 * keep-alive connection is untouched and still carries the parent's next request. */
static void test_fork_child_forgets(void **state)
{
    static const struct step script[] = {{RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    struct lt_transport *t = new_or_skip(&c);
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        lt_transport_forget(t);
        int rc =
            lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL);
        _exit(rc == 0 ? 0 : 1);
    }
    int wst = 0;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    assert_int_equal(
        lt_transport_send(t, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    assert_int_equal(server_requests(s), 3);
    assert_int_equal(s->req[0].conn, 0);
    assert_int_equal(s->req[1].conn, 1); /* the child's own connection */
    assert_int_equal(s->req[2].conn, 0); /* the parent reused its connection */
    lt_transport_free(t);
    server_stop(s);
}

static void test_empty_body_and_bad_args(void **state)
{
    static const struct step script[] = {{RESPOND, 200, NULL, NULL}};
    struct server *s = server_start(script, 1);
    struct lt_transport_config c = config_for(s->port);
    c.gzip = 1;
    struct lt_transport *t = new_or_skip(&c);
    assert_int_equal(
        lt_transport_send(t, NULL, 0, "application/x-protobuf", now_ns() + 3000 * MS, NULL), 0);
    assert_int_equal(server_requests(s), 1);
    assert_true(s->req[0].body_len > 0); /* an empty gzip member */
    assert_int_equal(
        lt_transport_send(t, NULL, 5, "application/x-protobuf", now_ns() + 3000 * MS, NULL),
        -EINVAL);
    assert_int_equal(
        lt_transport_send(NULL, BODY, 4, "application/x-protobuf", now_ns() + 3000 * MS, NULL),
        -EINVAL);
    lt_transport_free(t);
    lt_transport_free(NULL);
    lt_transport_forget(NULL);
    server_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curlopt_numbers_match_libcurl),
        cmocka_unit_test(test_200_accepted),
        cmocka_unit_test(test_200_partial_success_not_retried),
        cmocka_unit_test(test_user_headers_and_gzip),
        cmocka_unit_test(test_user_agent_override),
        cmocka_unit_test(test_503_twice_then_200),
        cmocka_unit_test(test_429_retry_after_seconds),
        cmocka_unit_test(test_503_retry_after_http_date),
        cmocka_unit_test(test_retry_after_beyond_deadline),
        cmocka_unit_test(test_partial_success_protobuf_read),
        cmocka_unit_test(test_partial_success_json_read),
        cmocka_unit_test(test_partial_success_garbage_protobuf),
        cmocka_unit_test(test_retry_after_holds_next_send),
        cmocka_unit_test(test_deadline_cap_cuts_wait),
        cmocka_unit_test(test_deadline_cap_bounds_attempt),
        cmocka_unit_test(test_400_not_retried),
        cmocka_unit_test(test_500_not_retried),
        cmocka_unit_test(test_503_until_deadline),
        cmocka_unit_test(test_dropped_connection_retried),
        cmocka_unit_test(test_connection_refused_bounded),
        cmocka_unit_test(test_silent_server_bounded),
        cmocka_unit_test(test_silent_server_deadline_cuts_timeout),
        cmocka_unit_test(test_reach_slow_receiver_keeps_deadline),
        cmocka_unit_test(test_reach_refused_ends_early),
        cmocka_unit_test(test_reach_silent_receiver_runs_to_deadline),
        cmocka_unit_test(test_deadline_already_passed),
        cmocka_unit_test(test_keepalive_and_forget),
        cmocka_unit_test(test_fork_child_forgets),
        cmocka_unit_test(test_empty_body_and_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
