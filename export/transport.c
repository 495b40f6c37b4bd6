/* transport.c — OTLP/HTTP delivery (see transport.h): one libcurl easy handle per transport,
 * libcurl loaded with dlopen on first use (never linked into the host process), optional gzip,
 * header list from OTEL_EXPORTER_OTLP_HEADERS, and the OTLP retry policy (spec
 * "otlp.md#otlphttp-response", "Retryable Response Codes") bounded by a monotonic deadline. */
#include "export/transport.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

/* libcurl's public ABI, declared here because the dev headers are not installed. Option ids
 * are CURLOPTTYPE_* + number (LONG 0, OBJECTPOINT/STRINGPOINT/SLISTPOINT/CBPOINT 10000,
 * FUNCTIONPOINT 20000, OFF_T 30000), frozen by curl's include/curl/curl.h; info ids are
 * CURLINFO_LONG (0x200000) + number; CURLcode values never change. */
#define CURLOPT_WRITEDATA 10001           /* CBPOINT 1 */
#define CURLOPT_URL 10002                 /* STRINGPOINT 2 */
#define CURLOPT_WRITEFUNCTION 20011       /* FUNCTIONPOINT 11 */
#define CURLOPT_POSTFIELDS 10015          /* OBJECTPOINT 15 */
#define CURLOPT_HTTPHEADER 10023          /* SLISTPOINT 23 */
#define CURLOPT_SSLCERT 10025             /* STRINGPOINT 25 */
#define CURLOPT_HEADERDATA 10029          /* CBPOINT 29 */
#define CURLOPT_POST 47                   /* LONG 47 */
#define CURLOPT_CAINFO 10065              /* STRINGPOINT 65 */
#define CURLOPT_HEADERFUNCTION 20079      /* FUNCTIONPOINT 79 */
#define CURLOPT_SSLKEY 10087              /* STRINGPOINT 87 */
#define CURLOPT_NOSIGNAL 99               /* LONG 99 */
#define CURLOPT_POSTFIELDSIZE_LARGE 30120 /* OFF_T 120 */
#define CURLOPT_TIMEOUT_MS 155            /* LONG 155 */
#define CURLOPT_CONNECTTIMEOUT_MS 156     /* LONG 156 */
#define CURLOPT_PROTOCOLS_STR 10318       /* STRINGPOINT 318, libcurl >= 7.85 */
#define CURLINFO_RESPONSE_CODE 0x200002   /* CURLINFO_LONG + 2 */
#define CURLINFO_REQUEST_SIZE 0x20000c    /* CURLINFO_LONG + 12 */
#define CURL_GLOBAL_DEFAULT 3L            /* CURL_GLOBAL_SSL | CURL_GLOBAL_WIN32 */
#define CURLE_OK 0
#define CURLE_COULDNT_RESOLVE_HOST 6
#define CURLE_COULDNT_CONNECT 7
#define CURLE_OUT_OF_MEMORY 27
#define CURLE_OPERATION_TIMEDOUT 28
#define CURLE_GOT_NOTHING 52
#define CURLE_SEND_ERROR 55
#define CURLE_RECV_ERROR 56

struct curl_slist; /* opaque here: we only pass pointers around */

typedef int (*curl_global_init_fn)(long flags);
typedef void *(*curl_easy_init_fn)(void);
typedef int (*curl_easy_setopt_fn)(void *h, int opt, ...);
typedef int (*curl_easy_perform_fn)(void *h);
typedef int (*curl_easy_getinfo_fn)(void *h, int info, ...);
typedef void (*curl_easy_cleanup_fn)(void *h);
typedef struct curl_slist *(*curl_slist_append_fn)(struct curl_slist *l, const char *s);
typedef void (*curl_slist_free_all_fn)(struct curl_slist *l);

/* The libcurl functions we use, resolved once (pthread_once); `ok` is set only when all were
 * found and curl_global_init succeeded. The library is never dlclosed. */
static struct {
    pthread_once_t once;
    bool ok;
    curl_global_init_fn global_init;
    curl_easy_init_fn easy_init;
    curl_easy_setopt_fn easy_setopt;
    curl_easy_perform_fn easy_perform;
    curl_easy_getinfo_fn easy_getinfo;
    curl_easy_cleanup_fn easy_cleanup;
    curl_slist_append_fn slist_append;
    curl_slist_free_all_fn slist_free_all;
    void (*thread_stop)(void); /* OPENSSL_thread_stop of libcurl's libcrypto, or NULL */
} curl = {.once = PTHREAD_ONCE_INIT};

/* Retry schedule: exponential backoff with full jitter (delay = random in [0, min(cap,
 * base * 2^n)]); Retry-After (seconds or IMF-fixdate) replaces it for 429 and 503. */
#define BACKOFF_BASE_NS 100000000ULL /* 100 ms */
#define BACKOFF_MAX_NS 5000000000ULL /* 5 s */
#define RETRY_AFTER_MAX_S 86400      /* clamp absurd Retry-After values (1 day) */
#define MIN_ATTEMPT_NS 1000000ULL    /* an attempt needs at least 1 ms before the deadline */
#define SLEEP_SLICE_NS 20000000ULL   /* backoff sleeps re-read the deadline cap this often */
#define RESP_MAX 16384               /* response body bytes kept for partial_success */
#define REJECT_MSG_MAX 200           /* bytes of partial_success.error_message kept */

struct lt_transport {
    struct lt_transport_config cfg; /* strings are our own copies (owned[]); headers NULL */
    char *owned[5]; /* heap copies: url, ca_file, client_cert, client_key, user_agent */
    void *easy;     /* CURL *, NULL until created (again, after a fork) */
    char **headers; /* user headers as "Name: value", heap */
    size_t n_headers;
    bool user_agent_overridden; /* the user headers carry their own User-Agent */
    uint64_t rng;               /* xorshift64* state for the jitter */
    int64_t retry_after_ns;     /* from the last response, -1 when absent */
    uint64_t not_before_ns;     /* CLOCK_MONOTONIC: Retry-After forbids attempts before this,
                                   across sends (a new batch honours it too) */
    size_t resp_len;            /* response body bytes in resp[] */
    bool resp_over;             /* the body was longer than RESP_MAX: not parsed */
    int64_t rejected;           /* partial_success.rejected_spans of the last accepted send */
    char reject_msg[REJECT_MSG_MAX + 1]; /* its error_message, cut, NUL-terminated */
    unsigned char resp[RESP_MAX];
};

static void load_curl(void)
{
    /* Lazy binding: of libcurl's and its dependencies' (krb5, ldap, ssh2, ...) undefined
     * functions only those an export calls are ever resolved, on the exporter thread; a
     * quarter of the load's cost (2.7 M of 10.7 M instructions per process) is not spent.
     * Dependencies linked with BIND_NOW are resolved at once whatever we ask. */
    void *lib = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
    if (!lib)
        return;
    curl.global_init = (curl_global_init_fn)dlsym(lib, "curl_global_init");
    curl.easy_init = (curl_easy_init_fn)dlsym(lib, "curl_easy_init");
    curl.easy_setopt = (curl_easy_setopt_fn)dlsym(lib, "curl_easy_setopt");
    curl.easy_perform = (curl_easy_perform_fn)dlsym(lib, "curl_easy_perform");
    curl.easy_getinfo = (curl_easy_getinfo_fn)dlsym(lib, "curl_easy_getinfo");
    curl.easy_cleanup = (curl_easy_cleanup_fn)dlsym(lib, "curl_easy_cleanup");
    curl.slist_append = (curl_slist_append_fn)dlsym(lib, "curl_slist_append");
    curl.slist_free_all = (curl_slist_free_all_fn)dlsym(lib, "curl_slist_free_all");
    /* A handle's lookup also searches its dependencies: libcurl's TLS library. */
    *(void **)&curl.thread_stop = dlsym(lib, "OPENSSL_thread_stop");
    if (!curl.thread_stop)
        dlerror();
    if (!curl.global_init || !curl.easy_init || !curl.easy_setopt || !curl.easy_perform ||
        !curl.easy_getinfo || !curl.easy_cleanup || !curl.slist_append || !curl.slist_free_all)
        return;
    /* Thread-safe since libcurl 7.84 (Debian 12 ships 7.88); reference-counted, so a host
     * that uses libcurl itself is unaffected. */
    curl.ok = curl.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void lt_transport_thread_stop(void)
{
    if (curl.ok && curl.thread_stop)
        curl.thread_stop();
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
                          .tv_nsec = (long)(ns % 1000000000ULL)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void seed_rng(struct lt_transport *t)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
        seed = now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)t;
    t->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static uint64_t next_rand(struct lt_transport *t)
{
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    return t->rng * 0x2545f4914f6cdd1dULL;
}

/* ---- OTEL_EXPORTER_OTLP_HEADERS ---------------------------------------------------------- */

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 9110 token characters, the only ones allowed in a header name. */
static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void trim(const char **p, const char **end)
{
    while (*p < *end && (**p == ' ' || **p == '\t'))
        (*p)++;
    while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
        (*end)--;
}

/* Headers we set ourselves (framing and content description): a user copy would conflict. */
static bool reserved_name(const char *k, size_t n)
{
    static const char *const names[] = {"content-type", "content-length", "content-encoding",
                                        "transfer-encoding", "expect"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && strncasecmp(k, names[i], n) == 0)
            return true;
    return false;
}

/* Build "Name: value" from one "k=v" entry, percent-decoding the value. Returns NULL for a
 * malformed entry (no '=', empty or non-token name, bad %XX, empty value, or a decoded
 * control character that could split the header) and sets *oom on allocation failure. */
static char *header_line(const char *p, const char *end, bool *oom)
{
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (!eq)
        return NULL;
    const char *k = p, *kend = eq, *v = eq + 1, *vend = end;
    trim(&k, &kend);
    trim(&v, &vend);
    if (k == kend || v == vend || reserved_name(k, (size_t)(kend - k)))
        return NULL;
    for (const char *c = k; c < kend; c++)
        if (!is_tchar((unsigned char)*c))
            return NULL;
    size_t klen = (size_t)(kend - k);
    char *line = malloc(klen + 2 + (size_t)(vend - v) + 1);
    if (!line) {
        *oom = true;
        return NULL;
    }
    memcpy(line, k, klen);
    char *o = line + klen;
    *o++ = ':';
    *o++ = ' ';
    for (const char *c = v; c < vend; c++) {
        unsigned char b = (unsigned char)*c;
        if (b == '%') {
            int hi = c + 2 < vend ? hex_val(c[1]) : -1;
            int lo = hi >= 0 ? hex_val(c[2]) : -1;
            if (lo < 0)
                goto bad;
            b = (unsigned char)(hi << 4 | lo);
            c += 2;
        }
        if ((b < 0x20 && b != '\t') || b == 0x7f)
            goto bad;
        *o++ = (char)b;
    }
    *o = '\0';
    return line;
bad:
    free(line);
    return NULL;
}

/* Parse the comma-separated list once; malformed entries are skipped. Returns 0 or -ENOMEM. */
static int parse_headers(struct lt_transport *t, const char *s)
{
    if (!s || !*s)
        return 0;
    size_t max = 1;
    for (const char *c = s; *c; c++)
        max += *c == ',';
    t->headers = calloc(max, sizeof(*t->headers));
    if (!t->headers)
        return -ENOMEM;
    for (const char *p = s;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        bool oom = false;
        char *line = header_line(p, end, &oom);
        if (oom)
            return -ENOMEM;
        if (line) {
            t->headers[t->n_headers++] = line;
            if (strncasecmp(line, "user-agent:", 11) == 0)
                t->user_agent_overridden = true;
        }
        if (!*end)
            break;
        p = end + 1;
    }
    return 0;
}

/* ---- libcurl callbacks ------------------------------------------------------------------- */

/* Keep the first RESP_MAX bytes of the response body (an ExportTraceServiceResponse, read
 * for its partial_success); a longer body is consumed and marked over. */
static size_t keep_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct lt_transport *t = ud;
    size_t n = size * nmemb;
    if (t->resp_over || n > RESP_MAX - t->resp_len) {
        t->resp_over = true;
        return n;
    }
    memcpy(t->resp + t->resp_len, ptr, n);
    t->resp_len += n;
    return n;
}

static const char *const MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* IMF-fixdate (RFC 9110 5.6.7), "Sun, 06 Nov 1994 08:49:37 GMT", parsed by hand because
 * strptime's month names follow the host process's locale. Returns seconds since the epoch,
 * or -1. */
static int64_t parse_http_date(const char *p, size_t n)
{
    if (n != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' || p[16] != ' ' ||
        p[19] != ':' || p[22] != ':' || p[25] != ' ' || memcmp(p + 26, "GMT", 3) != 0)
        return -1;
    struct tm tm = {0};
    int mon = -1;
    for (int i = 0; i < 12; i++)
        if (memcmp(p + 8, MONTHS[i], 3) == 0)
            mon = i;
    if (mon < 0 || !digits(p + 5, 2, &tm.tm_mday) || !digits(p + 12, 4, &tm.tm_year) ||
        !digits(p + 17, 2, &tm.tm_hour) || !digits(p + 20, 2, &tm.tm_min) ||
        !digits(p + 23, 2, &tm.tm_sec))
        return -1;
    tm.tm_mon = mon;
    tm.tm_year -= 1900;
    time_t when = timegm(&tm);
    return when == (time_t)-1 ? -1 : (int64_t)when;
}

/* Header lines arrive one per call, status lines included; a status line starts a new
 * response (a 100 Continue precedes the final one), so it resets what we captured. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct lt_transport *t = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        t->retry_after_ns = -1;
        t->resp_len = 0;
        t->resp_over = false;
        return n;
    }
    static const char name[] = "retry-after:";
    if (n < sizeof(name) - 1 || strncasecmp(ptr, name, sizeof(name) - 1) != 0)
        return n;
    const char *v = ptr + sizeof(name) - 1, *end = ptr + n;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n'))
        end--;
    trim(&v, &end);
    if (v == end)
        return n;
    int64_t secs = 0;
    const char *c = v;
    for (; c < end && *c >= '0' && *c <= '9'; c++)
        if (secs <= RETRY_AFTER_MAX_S)
            secs = secs * 10 + (*c - '0');
    if (c != end) { /* not delay-seconds: try the HTTP-date form */
        int64_t when = parse_http_date(v, (size_t)(end - v));
        if (when < 0)
            return n;
        secs = when - (int64_t)time(NULL);
    }
    secs = secs < 0 ? 0 : secs > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : secs;
    t->retry_after_ns = secs * 1000000000LL;
    return n;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

/* Create the easy handle with the options that never change; returns 0 or -ENOMEM. */
static int make_easy(struct lt_transport *t)
{
    void *h = curl.easy_init();
    if (!h)
        return -ENOMEM;
    const struct lt_transport_config *c = &t->cfg;
    int rc = curl.easy_setopt(h, CURLOPT_URL, c->url);
    /* Mandatory inside someone else's process: no SIGALRM for resolver timeouts and no
     * process-wide SIGPIPE disposition changes. */
    rc |= curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    rc |= curl.easy_setopt(h, CURLOPT_POST, 1L);
    rc |= curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
    rc |= curl.easy_setopt(h, CURLOPT_WRITEDATA, (void *)t);
    rc |= curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl.easy_setopt(h, CURLOPT_HEADERDATA, (void *)t);
    if (c->ca_file && *c->ca_file)
        rc |= curl.easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (c->client_cert && *c->client_cert)
        rc |= curl.easy_setopt(h, CURLOPT_SSLCERT, c->client_cert);
    if (c->client_key && *c->client_key)
        rc |= curl.easy_setopt(h, CURLOPT_SSLKEY, c->client_key);
    /* Only http(s), whatever the URL says; older libcurl lacks the option: not fatal. */
    (void)curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (rc != CURLE_OK) {
        curl.easy_cleanup(h);
        return -ENOMEM;
    }
    t->easy = h;
    return 0;
}

struct lt_transport *lt_transport_new(const struct lt_transport_config *cfg)
{
    if (!cfg || !cfg->url)
        return NULL;
    pthread_once(&curl.once, load_curl);
    if (!curl.ok)
        return NULL;
    struct lt_transport *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cfg = *cfg;
    t->cfg.headers = NULL;
    /* Copy the strings: the handle is re-created after a fork, long after the caller's
     * buffers may be gone. */
    const char **fields[] = {&t->cfg.url, &t->cfg.ca_file, &t->cfg.client_cert, &t->cfg.client_key,
                             &t->cfg.user_agent};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!*fields[i])
            continue;
        if (!(t->owned[i] = strdup(*fields[i]))) {
            lt_transport_free(t);
            return NULL;
        }
        *fields[i] = t->owned[i];
    }
    t->retry_after_ns = -1;
    seed_rng(t);
    if (parse_headers(t, cfg->headers) != 0 || make_easy(t) != 0) {
        lt_transport_free(t);
        return NULL;
    }
    return t;
}

void lt_transport_free(struct lt_transport *t)
{
    if (!t)
        return;
    if (t->easy)
        curl.easy_cleanup(t->easy);
    for (size_t i = 0; i < t->n_headers; i++)
        free(t->headers[i]);
    free(t->headers);
    for (size_t i = 0; i < sizeof(t->owned) / sizeof(t->owned[0]); i++)
        free(t->owned[i]);
    free(t);
}

void lt_transport_forget(struct lt_transport *t)
{
    if (!t)
        return;
    /* The handle's connection cache holds sockets (and TLS state) shared with the parent;
     * cleaning it up would send close_notify on the parent's connection. Leak it instead. */
    t->easy = NULL;
    seed_rng(t);
}

/* ---- send -------------------------------------------------------------------------------- */

/* One-shot gzip (RFC 1952 wrapper: windowBits 16 + MAX_WBITS). Returns 0 or -ENOMEM. */
static int gzip_body(const void *in, size_t len, unsigned char **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    size_t cap = (size_t)deflateBound(&zs, (uLong)len);
    unsigned char *buf = malloc(cap ? cap : 1);
    if (!buf) {
        deflateEnd(&zs);
        return -ENOMEM;
    }
    const unsigned char *src = in;
    size_t in_left = len;
    zs.next_out = buf;
    int zrc;
    do {
        /* avail_in/avail_out are 32-bit: feed huge bodies in pieces. */
        if (zs.avail_in == 0 && in_left) {
            zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            zs.next_in = (Bytef *)src;
            src += zs.avail_in;
            in_left -= zs.avail_in;
        }
        size_t out_left = cap - (size_t)(zs.next_out - buf);
        zs.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
        zrc = deflate(&zs, in_left || zs.avail_in ? Z_NO_FLUSH : Z_FINISH);
    } while (zrc == Z_OK);
    size_t produced = (size_t)(zs.next_out - buf);
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        free(buf);
        return -ENOMEM;
    }
    *out = buf;
    *out_len = produced;
    return 0;
}

static struct curl_slist *add_header(struct curl_slist *l, const char *s, bool *oom)
{
    if (*oom)
        return l;
    struct curl_slist *n = curl.slist_append(l, s);
    if (!n)
        *oom = true; /* curl leaves `l` intact on failure */
    return n ? n : l;
}

static struct curl_slist *build_headers(const struct lt_transport *t, const char *content_type)
{
    bool oom = false;
    struct curl_slist *l = NULL;
    size_t n = strlen("Content-Type: ") + strlen(content_type) + 1;
    char *ct = malloc(n);
    if (!ct)
        return NULL;
    snprintf(ct, n, "Content-Type: %s", content_type);
    l = add_header(l, ct, &oom);
    free(ct);
    if (t->cfg.gzip)
        l = add_header(l, "Content-Encoding: gzip", &oom);
    if (!t->user_agent_overridden && t->cfg.user_agent && *t->cfg.user_agent) {
        n = strlen("User-Agent: ") + strlen(t->cfg.user_agent) + 1;
        char *ua = malloc(n);
        if (!ua) {
            oom = true;
        } else {
            snprintf(ua, n, "User-Agent: %s", t->cfg.user_agent);
            l = add_header(l, ua, &oom);
            free(ua);
        }
    }
    /* An empty "Expect:" stops libcurl from waiting for 100-continue on large bodies. */
    l = add_header(l, "Expect:", &oom);
    for (size_t i = 0; i < t->n_headers; i++)
        l = add_header(l, t->headers[i], &oom);
    if (oom) {
        curl.slist_free_all(l);
        return NULL;
    }
    return l;
}

/* Run one perform with SIGPIPE blocked on this thread: a TLS write to a peer that closed
 * must not kill the host. A SIGPIPE raised meanwhile is consumed before unblocking, unless
 * one was already pending for the host. */
static int perform(void *h)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigemptyset(&pending);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    int rc = curl.easy_perform(h);
    if (!was_pending) {
        sigemptyset(&pending);
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE)) {
            struct timespec zero = {0, 0};
            while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
                ;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* What a failed attempt means for the caller if it turns out to be the last one. */
enum outcome {
    OUT_OK,      /* 2xx */
    OUT_FATAL,   /* non-retryable: already mapped to an error code */
    OUT_HTTP,    /* retryable status (429/502/503/504) → -EAGAIN */
    OUT_REFUSED, /* could not connect / resolve → -ECONNREFUSED */
    OUT_TIMEOUT, /* attempt timed out → -ETIMEDOUT */
    OUT_DROPPED, /* connection dropped mid-exchange → -EAGAIN */
};

static enum outcome classify(int curl_rc, long status)
{
    if (curl_rc == CURLE_OK) {
        if (status >= 200 && status < 300)
            return OUT_OK;
        if (status == 429 || status == 502 || status == 503 || status == 504)
            return OUT_HTTP;
        return OUT_FATAL;
    }
    switch (curl_rc) {
    case CURLE_COULDNT_RESOLVE_HOST: /* DNS may come up after us (containers) */
    case CURLE_COULDNT_CONNECT:
        return OUT_REFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return OUT_TIMEOUT;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return OUT_DROPPED;
    default:
        return OUT_FATAL;
    }
}

static int give_up(enum outcome o)
{
    switch (o) {
    case OUT_REFUSED:
        return -ECONNREFUSED;
    case OUT_TIMEOUT:
        return -ETIMEDOUT;
    default:
        return -EAGAIN;
    }
}

/* The deadline in force now: the caller's, lowered by the shared cap when one is set (another
 * thread may lower the cap at any time: the exit flush cuts an export in progress short). */
static uint64_t effective_deadline(const struct lt_transport *t, uint64_t deadline_ns)
{
    if (t->cfg.deadline_cap_ns) {
        uint64_t cap = __atomic_load_n(t->cfg.deadline_cap_ns, __ATOMIC_ACQUIRE);
        if (cap < deadline_ns)
            return cap;
    }
    return deadline_ns;
}

/* Sleep until `until` (CLOCK_MONOTONIC ns) in slices, re-reading the deadline; returns false
 * (early) when the next attempt could no longer start in time. */
static bool sleep_until(const struct lt_transport *t, uint64_t until, uint64_t deadline_ns)
{
    for (;;) {
        uint64_t now = now_ns(), dl = effective_deadline(t, deadline_ns);
        if (now >= dl || until + MIN_ATTEMPT_NS > dl)
            return false;
        if (now >= until)
            return true;
        uint64_t d = until - now;
        sleep_ns(d < SLEEP_SLICE_NS ? d : SLEEP_SLICE_NS);
    }
}

/* int64 from a JSON number or a decimal string (OTLP/JSON writes 64-bit ints as strings). */
static int64_t json_int(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return v->valuedouble > 0 && v->valuedouble < 9.2e18 ? (int64_t)v->valuedouble : 0;
    if (cJSON_IsString(v) && v->valuestring) {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(v->valuestring, &end, 10);
        if (errno == 0 && end != v->valuestring && *end == '\0' && n > 0)
            return (int64_t)n;
    }
    return 0;
}

static void keep_message(struct lt_transport *t, const char *m)
{
    if (!m)
        return;
    size_t n = strnlen(m, REJECT_MSG_MAX);
    memcpy(t->reject_msg, m, n);
    t->reject_msg[n] = '\0';
}

/* Read ExportTraceServiceResponse.partial_success from the kept body (OTLP spec "Partial
 * Success"): the receiver accepted the request but rejected `rejected_spans` of its spans.
 * The body's encoding is the request's (the server answers in the Content-Type it got). An
 * unreadable or absent body means nothing was rejected. */
static void read_partial_success(struct lt_transport *t, bool json)
{
    t->rejected = 0;
    t->reject_msg[0] = '\0';
    if (t->resp_over || t->resp_len == 0)
        return;
    if (json) {
        cJSON *root = cJSON_ParseWithLength((const char *)t->resp, t->resp_len);
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(root, "partialSuccess");
        if (cJSON_IsObject(ps)) {
            t->rejected = json_int(cJSON_GetObjectItemCaseSensitive(ps, "rejectedSpans"));
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(ps, "errorMessage");
            if (cJSON_IsString(m))
                keep_message(t, m->valuestring);
        }
        cJSON_Delete(root);
        return;
    }
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse *r =
        opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
            NULL, t->resp_len, t->resp);
    if (!r)
        return;
    if (r->partial_success) {
        int64_t n = r->partial_success->rejected_spans;
        t->rejected = n > 0 ? n : 0;
        keep_message(t, r->partial_success->error_message);
    }
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(r,
                                                                                             NULL);
}

int64_t lt_transport_rejected(const struct lt_transport *t, const char **message)
{
    if (message)
        *message = t && t->reject_msg[0] ? t->reject_msg : NULL;
    return t ? t->rejected : 0;
}

/* An attempt's libcurl timeout in ms (at least 1) from `now` to `dl` (CLOCK_MONOTONIC ns),
 * or OTEL_EXPORTER_OTLP_TIMEOUT when that is shorter. */
static long attempt_ms(const struct lt_transport *t, uint64_t now, uint64_t dl)
{
    uint64_t ms = (dl - now) / 1000000ULL;
    if (t->cfg.timeout_ms && t->cfg.timeout_ms < ms)
        ms = t->cfg.timeout_ms;
    if (ms > INT_MAX) /* no per-attempt limit and no real deadline: ~24 days */
        ms = INT_MAX;
    return ms ? (long)ms : 1;
}

/* Returns 0 (2xx), -EPROTO (non-retryable status), -EAGAIN (retryable failures until the
 * deadline: last one a 429/502/503/504 or a dropped connection, or a Retry-After from an
 * earlier send that ends after the deadline), -ECONNREFUSED (last attempt could not connect
 * or resolve; also non-retryable transport failures such as TLS verification or a malformed
 * URL, which no retry can fix), -ETIMEDOUT (last attempt timed out, or the deadline had
 * passed before the first one), -ENOMEM, -EINVAL (bad arguments). */
int lt_transport_send(struct lt_transport *t, const void *body, size_t len,
                      const char *content_type, uint64_t deadline_ns, int *http_status)
{
    return lt_transport_send_reach(t, body, len, content_type, UINT64_MAX, deadline_ns,
                                   http_status);
}

int lt_transport_send_reach(struct lt_transport *t, const void *body, size_t len,
                            const char *content_type, uint64_t reach_by_ns, uint64_t deadline_ns,
                            int *http_status)
{
    if (http_status)
        *http_status = 0;
    if (t) {
        t->rejected = 0;
        t->reject_msg[0] = '\0';
    }
    if (!t || (!body && len) || !content_type)
        return -EINVAL;
    /* A Retry-After from the previous send still holds: wait it out if the deadline allows,
     * else give up at once without knocking on a receiver that asked for quiet. */
    if (t->not_before_ns > now_ns() && !sleep_until(t, t->not_before_ns, deadline_ns))
        return now_ns() >= effective_deadline(t, deadline_ns) ? -ETIMEDOUT : -EAGAIN;
    if (!t->easy && make_easy(t) != 0)
        return -ENOMEM;

    const void *payload = body ? body : "";
    size_t payload_len = len;
    unsigned char *gz = NULL;
    if (t->cfg.gzip) {
        if (gzip_body(payload, len, &gz, &payload_len) != 0)
            return -ENOMEM;
        payload = gz;
    }
    struct curl_slist *hdrs = build_headers(t, content_type);
    if (!hdrs) {
        free(gz);
        return -ENOMEM;
    }
    void *h = t->easy;
    curl.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (int64_t)payload_len);
    curl.easy_setopt(h, CURLOPT_POSTFIELDS, payload);

    int rc = -ETIMEDOUT; /* deadline passed before the first attempt */
    /* Until a request has reached the receiver, no attempt may outlast reach_by_ns. Once
     * one has, a timeout no longer means "nobody there": the receiver may have the spans. */
    bool reached = reach_by_ns == UINT64_MAX;
    for (unsigned attempt = 0;; attempt++) {
        uint64_t now = now_ns(), full = effective_deadline(t, deadline_ns);
        uint64_t dl = reached || full < reach_by_ns ? full : reach_by_ns;
        if (now >= dl || dl - now < MIN_ATTEMPT_NS)
            break;
        /* Only the connection is bounded by reach_by_ns; a request on its way may use the
         * whole deadline. */
        curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, reached ? 0L : attempt_ms(t, now, dl));
        curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, attempt_ms(t, now, full));
        t->retry_after_ns = -1;
        t->resp_len = 0;
        t->resp_over = false;
        int crc = perform(h);
        long status = 0;
        if (crc == CURLE_OK)
            curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status && http_status)
            *http_status = (int)status;
        if (!reached) {
            long sent = 0;
            curl.easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
            reached = sent > 0 || status != 0;
        }
        enum outcome o = classify(crc, status);
        if (o == OUT_OK) {
            read_partial_success(t, strstr(content_type, "json") != NULL);
            rc = 0;
            break;
        }
        if (o == OUT_FATAL) {
            rc = crc == CURLE_OK ? -EPROTO : crc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -ECONNREFUSED;
            break;
        }
        rc = give_up(o);
        uint64_t delay;
        if ((status == 429 || status == 503) && t->retry_after_ns >= 0) {
            delay = (uint64_t)t->retry_after_ns;
            /* The receiver's wish outlives this send: the next batch waits for it too. */
            t->not_before_ns = now_ns() + delay;
        } else {
            unsigned shift = attempt < 6 ? attempt : 6; /* 100 ms << 6 > 5 s already */
            uint64_t cap = BACKOFF_BASE_NS << shift;
            if (cap > BACKOFF_MAX_NS)
                cap = BACKOFF_MAX_NS;
            delay = next_rand(t) % (cap + 1);
        }
        /* Never sleep past the deadline: when the next attempt could not start (with at least
         * MIN_ATTEMPT_NS to spare) before it, stop now with what we have. The sleep re-reads
         * the deadline cap, so a shutdown that lowers it ends the wait. */
        uint64_t sleep_dl = reached || deadline_ns < reach_by_ns ? deadline_ns : reach_by_ns;
        if (!sleep_until(t, now_ns() + delay, sleep_dl))
            break;
    }

    /* Do not leave pointers to our buffers in the handle. */
    curl.easy_setopt(h, CURLOPT_HTTPHEADER, (void *)NULL);
    curl.easy_setopt(h, CURLOPT_POSTFIELDS, (void *)NULL);
    curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (int64_t)-1);
    curl.slist_free_all(hdrs);
    free(gz);
    return rc;
}
