/* h1.c — incremental HTTP/1.1 message parser (see h1.h; RFC 9112). Owns head buffering,
 * start-line and field parsing, message framing (Content-Length, chunked, close-delimited,
 * no-body responses) and keep-alive sequencing. The body path never copies or allocates:
 * body bytes go to on_body straight from the caller's buffer, located with memchr. */
#include "http/h1.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* First head buffer allocation; doubled up to LT_H1_MAX_HEAD. Most API response heads fit. */
#define HEAD_INIT_CAP 2048

/* tchar (RFC 9110 §5.6.2): "!#$%&'*+-.^_`|~", DIGIT, ALPHA. */
static const unsigned char TCHAR[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,  ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,  ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,  ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,  ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,  ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* What the field section says about framing, beyond what lands in struct lt_h1_head. */
struct framing {
    struct lt_h1_head *h; /* the head being filled */
    bool te;              /* a Transfer-Encoding field was present */
    bool cl;              /* a Content-Length value was seen */
    uint64_t cl_val;      /* its value (all instances agree) */
    size_t cl_elems;      /* Content-Length list elements in the current field */
    bool keep_alive;      /* Connection: keep-alive (matters for HTTP/1.0) */
};

void lt_h1_init(struct lt_h1_parser *p, enum lt_h1_kind kind)
{
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->state = LT_H1_S_HEAD;
    p->parsed.content_length = -1;
}

void lt_h1_cleanup(struct lt_h1_parser *p)
{
    free(p->head);
    p->head = NULL;
    p->head_len = p->head_cap = 0;
}

void lt_h1_expect_head(struct lt_h1_parser *p, bool head_request)
{
    p->expect_no_body = head_request;
}

const struct lt_h1_str *lt_h1_header_get(const struct lt_h1_head *h, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < h->n_headers; i++) {
        const struct lt_h1_str *k = &h->headers[i].name;
        if (k->n == n && strncasecmp(k->p, name, n) == 0)
            return &h->headers[i].value;
    }
    return NULL;
}

static bool str_ieq(const char *p, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n == m && strncasecmp(p, lit, m) == 0;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim OWS on both sides of [*pp, *pp + *pn). */
static void trim(const char **pp, size_t *pn)
{
    const char *s = *pp;
    size_t n = *pn;
    while (n && is_ows(*s)) {
        s++;
        n--;
    }
    while (n && is_ows(s[n - 1]))
        n--;
    *pp = s;
    *pn = n;
}

/* Call fn on each trimmed, non-empty element of a comma-separated list (RFC 9110 §5.6.1).
 * fn returns 0 to go on or a negative code to stop. */
static int each_elem(const char *v, size_t n, int (*fn)(void *, const char *, size_t), void *arg)
{
    size_t i = 0;
    while (i <= n) {
        const char *c = memchr(v + i, ',', n - i);
        size_t end = c ? (size_t)(c - v) : n;
        const char *e = v + i;
        size_t en = end - i;
        trim(&e, &en);
        if (en) {
            int r = fn(arg, e, en);
            if (r < 0)
                return r;
        }
        i = end + 1;
    }
    return 0;
}

/* Content-Length: 1*DIGIT, or a list of identical values (RFC 9110 §8.6). */
static int cl_elem(void *arg, const char *e, size_t n)
{
    struct framing *f = arg;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)e[i] - '0';
        if (d > 9 || v > ((uint64_t)INT64_MAX - d) / 10)
            return LT_H1_E_INVALID;
        v = v * 10 + d;
    }
    if (f->cl && f->cl_val != v)
        return LT_H1_E_INVALID;
    f->cl_elems++;
    f->cl = true;
    f->cl_val = v;
    return 0;
}

/* Transfer-Encoding: remember whether the last coding so far is chunked (RFC 9112 §6.1).
 * A coding may carry parameters (";q=..."); only its name matters here. */
static int te_elem(void *arg, const char *e, size_t n)
{
    struct framing *f = arg;
    const char *semi = memchr(e, ';', n);
    if (semi) {
        n = (size_t)(semi - e);
        trim(&e, &n);
    }
    f->h->chunked = str_ieq(e, n, "chunked");
    return 0;
}

static int conn_elem(void *arg, const char *e, size_t n)
{
    struct framing *f = arg;
    if (str_ieq(e, n, "close"))
        f->h->conn_close = true;
    else if (str_ieq(e, n, "keep-alive"))
        f->keep_alive = true;
    return 0;
}

/* "HTTP/1.x" → minor version, or -1. */
static int parse_version(const char *s, size_t n)
{
    if (n != 8 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9')
        return -1;
    return s[7] - '0';
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3). */
static int parse_request_line(struct lt_h1_head *h, const char *s, size_t n)
{
    const char *sp1 = memchr(s, ' ', n);
    if (!sp1 || sp1 == s)
        return LT_H1_E_INVALID;
    size_t mlen = (size_t)(sp1 - s);
    for (size_t i = 0; i < mlen; i++)
        if (!TCHAR[(unsigned char)s[i]])
            return LT_H1_E_INVALID;
    const char *t = sp1 + 1;
    const char *end = s + n;
    const char *sp2 = memchr(t, ' ', (size_t)(end - t));
    if (!sp2 || sp2 == t)
        return LT_H1_E_INVALID;
    for (const char *c = t; c < sp2; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return LT_H1_E_INVALID;
    int minor = parse_version(sp2 + 1, (size_t)(end - sp2 - 1));
    if (minor < 0)
        return LT_H1_E_INVALID;
    h->method = (struct lt_h1_str){s, mlen};
    h->target = (struct lt_h1_str){t, (size_t)(sp2 - t)};
    h->version_minor = minor;
    return 0;
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4); a missing
 * SP after the code is tolerated, as many servers omit an empty reason entirely. */
static int parse_status_line(struct lt_h1_head *h, const char *s, size_t n)
{
    if (n < 12 || s[8] != ' ')
        return LT_H1_E_INVALID;
    int minor = parse_version(s, 8);
    if (minor < 0)
        return LT_H1_E_INVALID;
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (s[i] < '0' || s[i] > '9')
            return LT_H1_E_INVALID;
        status = status * 10 + (s[i] - '0');
    }
    if (status < 100 || (n > 12 && s[12] != ' '))
        return LT_H1_E_INVALID;
    h->status = status;
    h->version_minor = minor;
    return 0;
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). Whitespace before the
 * colon and obs-fold are rejected (§5.1, §5.2). */
static int parse_field(struct framing *f, const char *s, size_t n)
{
    struct lt_h1_head *h = f->h;
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        return LT_H1_E_INVALID;
    size_t nlen = (size_t)(colon - s);
    for (size_t i = 0; i < nlen; i++)
        if (!TCHAR[(unsigned char)s[i]])
            return LT_H1_E_INVALID;
    const char *v = colon + 1;
    size_t vn = n - nlen - 1;
    trim(&v, &vn);
    if (h->n_headers < LT_H1_MAX_HEADERS) {
        h->headers[h->n_headers].name = (struct lt_h1_str){s, nlen};
        h->headers[h->n_headers].value = (struct lt_h1_str){v, vn};
        h->n_headers++;
    }
    switch (nlen) {
    case 10:
        if (str_ieq(s, nlen, "connection"))
            return each_elem(v, vn, conn_elem, f);
        break;
    case 14:
        if (str_ieq(s, nlen, "content-length")) {
            /* An empty value or list (",") carries no length: invalid. */
            f->cl_elems = 0;
            int r = each_elem(v, vn, cl_elem, f);
            return r < 0 ? r : f->cl_elems ? 0 : LT_H1_E_INVALID;
        }
        break;
    case 17:
        if (str_ieq(s, nlen, "transfer-encoding")) {
            f->te = true;
            h->chunked = false;
            return each_elem(v, vn, te_elem, f);
        }
        break;
    }
    return 0;
}

/* Parse p->head[0..head_len), which ends with the empty line. Lines end in LF, optionally
 * preceded by CR; a CR or NUL anywhere else is invalid (RFC 9112 §2.2). */
static int parse_head(struct lt_h1_parser *p, struct framing *f)
{
    struct lt_h1_head *h = &p->parsed;
    h->method = h->target = (struct lt_h1_str){NULL, 0};
    h->status = 0;
    h->version_minor = 1;
    h->n_headers = 0;
    h->content_length = -1;
    h->chunked = false;
    h->conn_close = false;
    memset(f, 0, sizeof(*f));
    f->h = h;

    const char *s = p->head;
    const char *end = s + p->head_len;
    bool first = true;
    while (s < end) {
        const char *lf = memchr(s, '\n', (size_t)(end - s));
        if (!lf)
            return LT_H1_E_INVALID; /* cannot happen: the head ends in LF */
        size_t n = (size_t)(lf - s);
        if (n && s[n - 1] == '\r')
            n--;
        if (memchr(s, '\r', n) || memchr(s, '\0', n))
            return LT_H1_E_INVALID;
        int r;
        if (first) {
            r = p->kind == LT_H1_REQUEST ? parse_request_line(h, s, n) : parse_status_line(h, s, n);
            first = false;
        } else if (n == 0) {
            break; /* the empty line ending the head */
        } else if (is_ows(s[0])) {
            r = LT_H1_E_INVALID; /* obs-fold */
        } else {
            r = parse_field(f, s, n);
        }
        if (r < 0)
            return r;
        s = lf + 1;
    }
    if (h->version_minor == 0 && !f->keep_alive)
        h->conn_close = true;
    /* With Transfer-Encoding present, Content-Length is ignored (RFC 9112 §6.3 rule 3). */
    if (f->cl && !f->te)
        h->content_length = (int64_t)f->cl_val;
    return 0;
}

/* The message ended: report it and get ready for the next one on the connection. */
static void complete(struct lt_h1_parser *p, const struct lt_h1_callbacks *cb, void *ud)
{
    p->state = LT_H1_S_HEAD;
    p->deliver = false;
    p->remaining = 0;
    p->line_len = 0;
    p->head_len = 0;
    if (cb && cb->on_complete)
        cb->on_complete(ud);
}

/* A full head sits in p->head: parse it, pick the body framing (RFC 9112 §6.3), report. */
static int head_done(struct lt_h1_parser *p, const struct lt_h1_callbacks *cb, void *ud)
{
    struct framing f;
    struct lt_h1_head *h = &p->parsed;
    int r = parse_head(p, &f);
    if (r < 0)
        return r;

    enum lt_h1_state next;
    bool response = p->kind == LT_H1_RESPONSE;
    if (response && h->status < 200) {
        if (h->status != 101) {
            p->head_len = 0; /* interim response: consumed silently */
            return 0;
        }
        next = LT_H1_S_UPGRADED;
    } else if (response && (h->status == 204 || h->status == 304 || p->expect_no_body)) {
        next = LT_H1_S_HEAD;
    } else if (f.te) {
        /* A request whose last coding is not chunked cannot be framed (§6.3 rule 4). */
        if (!h->chunked && !response)
            return LT_H1_E_INVALID;
        next = h->chunked ? LT_H1_S_CHUNK_SIZE : LT_H1_S_BODY_EOF;
    } else if (f.cl) {
        next = f.cl_val ? LT_H1_S_BODY_LEN : LT_H1_S_HEAD;
    } else {
        next = response ? LT_H1_S_BODY_EOF : LT_H1_S_HEAD;
    }
    if (response)
        p->expect_no_body = false; /* it applied to this final response only */

    int cr = cb && cb->on_head ? cb->on_head(ud, h) : 0;
    p->head_len = 0; /* views handed to on_head are dead from here on */
    if (cr < 0)
        return LT_H1_E_CALLBACK;
    p->deliver = cr == 0;
    p->line_len = 0;
    if (next == LT_H1_S_HEAD || next == LT_H1_S_UPGRADED) {
        complete(p, cb, ud);
        p->state = next;
        return 0;
    }
    p->state = next;
    p->remaining = next == LT_H1_S_BODY_LEN ? f.cl_val : 0;
    return 0;
}

/* Append to the head buffer, growing it geometrically up to LT_H1_MAX_HEAD. */
static int head_append(struct lt_h1_parser *p, const char *b, size_t n)
{
    if (p->head_len + n > LT_H1_MAX_HEAD)
        return LT_H1_E_TOOBIG;
    if (p->head_len + n > p->head_cap) {
        size_t cap = p->head_cap ? p->head_cap : HEAD_INIT_CAP;
        while (cap < p->head_len + n)
            cap *= 2;
        if (cap > LT_H1_MAX_HEAD)
            cap = LT_H1_MAX_HEAD;
        char *nh = realloc(p->head, cap);
        if (!nh)
            return LT_H1_E_TOOBIG; /* cannot buffer the head: same outcome as too big */
        p->head = nh;
        p->head_cap = cap;
    }
    memcpy(p->head + p->head_len, b, n);
    p->head_len += n;
    return 0;
}

/* Byte `q` of the head so far followed by b[0..]. */
static char head_byte(const struct lt_h1_parser *p, const char *b, size_t q)
{
    return q < p->head_len ? p->head[q] : b[q - p->head_len];
}

/* HEAD state: buffer bytes until the empty line. Leading empty lines are skipped
 * (RFC 9112 §2.2), so the head never starts with CR or LF. Returns bytes consumed. */
static ssize_t feed_head(struct lt_h1_parser *p, const char *b, size_t n,
                         const struct lt_h1_callbacks *cb, void *ud)
{
    size_t i = 0;
    if (p->head_len == 0) {
        while (i < n && (b[i] == '\r' || b[i] == '\n'))
            i++;
        if (i == n)
            return (ssize_t)n;
    }
    const char *s = b + i;
    size_t sn = n - i, scan = 0, take = sn;
    bool found = false;
    while (scan < sn) {
        const char *lf = memchr(s + scan, '\n', sn - scan);
        if (!lf)
            break;
        /* q: offset of this LF in the whole head; q >= 1 as the head never starts with LF */
        size_t q = p->head_len + (size_t)(lf - s);
        char c1 = head_byte(p, s, q - 1);
        if (c1 == '\n' || (c1 == '\r' && q >= 2 && head_byte(p, s, q - 2) == '\n')) {
            take = (size_t)(lf - s) + 1;
            found = true;
            break;
        }
        scan = (size_t)(lf - s) + 1;
    }
    int r = head_append(p, s, take);
    if (r < 0)
        return r;
    if (found && (r = head_done(p, cb, ud)) < 0)
        return r;
    return (ssize_t)(i + take);
}

/* Content-Length body or chunk data: hand over up to `remaining` bytes, zero-copy. */
static size_t feed_data(struct lt_h1_parser *p, const char *b, size_t n,
                        const struct lt_h1_callbacks *cb, void *ud)
{
    size_t take = n < p->remaining ? n : (size_t)p->remaining;
    if (p->deliver && cb && cb->on_body)
        cb->on_body(ud, b, take);
    p->remaining -= take;
    return take;
}

/* The hex digits at the start of `s` (`len` bytes) as *size; returns how many there are.
 * *overflow is set when the value does not fit 64 bits. */
static size_t hex_size(const char *s, size_t len, uint64_t *size, bool *overflow)
{
    uint64_t v = 0;
    size_t i = 0;
    *overflow = false;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            break;
        if (v > (UINT64_MAX >> 4)) {
            *overflow = true;
            break;
        }
        v = v << 4 | d;
    }
    *size = v;
    return i;
}

/* chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1). The line is kept in p->line up
 * to its size; extensions past that are skipped unread. */
static ssize_t feed_chunk_size(struct lt_h1_parser *p, const char *b, size_t n)
{
    const char *lf = memchr(b, '\n', n);
    size_t seg = lf ? (size_t)(lf - b) : n;
    if (p->line_len < sizeof(p->line)) {
        size_t room = sizeof(p->line) - p->line_len;
        memcpy(p->line + p->line_len, b, seg < room ? seg : room);
    }
    p->line_len += seg;
    if (p->line_len > LT_H1_MAX_HEAD)
        return LT_H1_E_INVALID; /* an endless extension: not HTTP we can follow */
    if (!lf)
        return (ssize_t)n;

    size_t len = p->line_len < sizeof(p->line) ? p->line_len : sizeof(p->line);
    if (len == p->line_len && len && p->line[len - 1] == '\r')
        len--;
    uint64_t size;
    bool overflow;
    size_t i = hex_size(p->line, len, &size, &overflow);
    if (overflow)
        return LT_H1_E_INVALID;
    if (i == 0 || i == sizeof(p->line))
        return LT_H1_E_INVALID;
    while (i < len && is_ows(p->line[i]))
        i++;
    if (i < len && p->line[i] != ';')
        return LT_H1_E_INVALID;
    p->line_len = 0;
    if (size == 0) {
        p->state = LT_H1_S_TRAILERS;
    } else {
        p->state = LT_H1_S_CHUNK_DATA;
        p->remaining = size;
    }
    return (ssize_t)seg + 1;
}

/* The usual chunk-size line, "HEX CRLF" with no extension, whole in `b` and nothing of it
 * seen before: parsed in place (feed_chunk_size's outcome, without copying the line).
 * Returns the bytes taken, or -1 for anything else (feed_chunk_size decides). */
static ssize_t chunk_size_fast(struct lt_h1_parser *p, const char *b, size_t n)
{
    uint64_t size;
    bool overflow;
    size_t i = hex_size(b, n, &size, &overflow);
    if (overflow || i == 0 || size == 0 || i + 2 > n || b[i] != '\r' || b[i + 1] != '\n')
        return -1;
    p->state = LT_H1_S_CHUNK_DATA;
    p->remaining = size;
    return (ssize_t)(i + 2);
}

/* After a chunk-size line of `hl` bytes taken by chunk_size_fast: when the chunk's data and
 * the CRLF after it are whole in `b` (`n` bytes) too, the data is delivered and all of it
 * taken in this one step, as the CHUNK_DATA and CHUNK_DATA_END states would have; else only
 * the line is taken. Returns the bytes taken. */
static size_t whole_chunk(struct lt_h1_parser *p, const char *b, size_t n, size_t hl,
                          const struct lt_h1_callbacks *cb, void *ud)
{
    uint64_t size = p->remaining;
    if (n - hl < 2 || size > n - hl - 2)
        return hl;
    const char *d = b + hl;
    if (d[size] != '\r' || d[size + 1] != '\n')
        return hl;
    if (p->deliver && cb && cb->on_body)
        cb->on_body(ud, d, (size_t)size);
    p->remaining = 0;
    p->state = LT_H1_S_CHUNK_SIZE;
    p->line_len = 0;
    return hl + (size_t)size + 2;
}

/* trailer-section = *( field-line CRLF ) CRLF. Trailers are framed, not reported. */
static ssize_t feed_trailers(struct lt_h1_parser *p, const char *b, size_t n,
                             const struct lt_h1_callbacks *cb, void *ud)
{
    const char *lf = memchr(b, '\n', n);
    size_t seg = lf ? (size_t)(lf - b) : n;
    if (p->line_len == 0 && seg)
        p->line[0] = b[0]; /* enough to tell an empty line ("\r") from a field */
    p->line_len += seg;
    if (p->line_len > LT_H1_MAX_HEAD)
        return LT_H1_E_INVALID;
    if (!lf)
        return (ssize_t)n;
    bool empty = p->line_len == 0 || (p->line_len == 1 && p->line[0] == '\r');
    p->line_len = 0;
    if (empty)
        complete(p, cb, ud);
    return (ssize_t)seg + 1;
}

ssize_t lt_h1_feed(struct lt_h1_parser *p, const char *buf, size_t n,
                   const struct lt_h1_callbacks *cb, void *ud)
{
    if (p->state == LT_H1_S_ERROR || p->state == LT_H1_S_UPGRADED)
        return LT_H1_E_STATE;
    size_t off = 0;
    while (off < n) {
        const char *b = buf + off;
        size_t bn = n - off;
        ssize_t r;
        switch (p->state) {
        case LT_H1_S_HEAD:
            r = feed_head(p, b, bn, cb, ud);
            break;
        case LT_H1_S_BODY_LEN:
            r = (ssize_t)feed_data(p, b, bn, cb, ud);
            if (p->remaining == 0)
                complete(p, cb, ud);
            break;
        case LT_H1_S_CHUNK_SIZE:
            r = p->line_len ? -1 : chunk_size_fast(p, b, bn);
            if (r >= 0)
                r = (ssize_t)whole_chunk(p, b, bn, (size_t)r, cb, ud);
            else
                r = feed_chunk_size(p, b, bn);
            break;
        case LT_H1_S_CHUNK_DATA:
            r = (ssize_t)feed_data(p, b, bn, cb, ud);
            if (p->remaining == 0) {
                p->state = LT_H1_S_CHUNK_DATA_END;
                p->line_len = 0;
            }
            break;
        case LT_H1_S_CHUNK_DATA_END:
            /* CRLF (or bare LF) after the chunk data; line_len counts a CR seen */
            r = 1;
            if (b[0] == '\r' && p->line_len == 0 && bn >= 2 && b[1] == '\n') {
                r = 2; /* the whole CRLF at once: the usual case */
                p->state = LT_H1_S_CHUNK_SIZE;
            } else if (b[0] == '\r' && p->line_len == 0) {
                p->line_len = 1;
            } else if (b[0] == '\n') {
                p->line_len = 0;
                p->state = LT_H1_S_CHUNK_SIZE;
            } else {
                r = LT_H1_E_INVALID;
            }
            break;
        case LT_H1_S_TRAILERS:
            r = feed_trailers(p, b, bn, cb, ud);
            break;
        case LT_H1_S_BODY_EOF:
            if (p->deliver && cb && cb->on_body)
                cb->on_body(ud, b, bn);
            r = (ssize_t)bn;
            break;
        default:
            r = LT_H1_E_STATE;
            break;
        }
        if (r < 0) {
            p->state = LT_H1_S_ERROR;
            return r;
        }
        off += (size_t)r;
        if (p->state == LT_H1_S_UPGRADED)
            return (ssize_t)off;
    }
    return (ssize_t)off;
}

int lt_h1_eof(struct lt_h1_parser *p, const struct lt_h1_callbacks *cb, void *ud)
{
    switch (p->state) {
    case LT_H1_S_BODY_EOF:
        complete(p, cb, ud);
        return 0;
    case LT_H1_S_HEAD:
        return p->head_len == 0 ? 1 : -1;
    case LT_H1_S_UPGRADED:
        return 1;
    default:
        return -1;
    }
}
