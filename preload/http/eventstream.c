/* eventstream.c — AWS event stream decoder (see eventstream.h; format: AWS "Event stream
 * encoding", as in the Transcribe/Lex developer guides). A message that lies whole inside
 * one feed is decoded in place; only a message split across feeds is copied into `cur`,
 * after its prelude (CRC-checked first, so a corrupt length never drives an allocation)
 * proved it fits the cap. CRCs are zlib's crc32() (CRC-32/IEEE, as gzip). */
#include "http/eventstream.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#define ES_PRELUDE 12 /* total length, headers length, prelude CRC */
#define ES_MIN 16     /* prelude and message CRC: a message with no headers and no payload */
#define ES_DEFAULT_MAX ((size_t)16 << 20)

/* Header value types. */
enum {
    ES_TRUE = 0,
    ES_FALSE = 1,
    ES_BYTE = 2,
    ES_SHORT = 3,
    ES_INT = 4,
    ES_LONG = 5,
    ES_BYTES = 6,     /* u16 length, then the bytes */
    ES_STRING = 7,    /* u16 length, then UTF-8 */
    ES_TIMESTAMP = 8, /* i64 ms since the epoch */
    ES_UUID = 9,
};

void lt_es_init(struct lt_es_parser *p, size_t max_message)
{
    memset(p, 0, sizeof(*p));
    p->max_message = max_message ? max_message : ES_DEFAULT_MAX;
    if (p->max_message < ES_MIN)
        p->max_message = ES_MIN;
    lt_buf_init(&p->cur, p->max_message);
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t crc(const unsigned char *b, size_t n)
{
    /* crc32() takes a uInt length; messages are capped far below 4 GiB but be exact. */
    uLong c = crc32(0L, Z_NULL, 0);
    while (n) {
        uInt k = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, b, k);
        b += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* Check a prelude; returns the message's total length, or 0 when it is invalid. */
static size_t prelude(const struct lt_es_parser *p, const unsigned char *b)
{
    uint32_t total = be32(b), hlen = be32(b + 4);
    if (crc(b, 8) != be32(b + 8))
        return 0;
    if (total < ES_MIN || total > p->max_message || hlen > total - ES_MIN)
        return 0;
    return total;
}

static void name_is(const char *name, size_t nl, const char *want, const char *v, size_t vl,
                    const char **out, size_t *out_len)
{
    if (nl == strlen(want) && memcmp(name, want, nl) == 0) {
        *out = v;
        *out_len = vl;
    }
}

/* Walk the headers [h, h + n); returns 0 or -EINVAL. String headers llmtap uses go to `m`. */
static int headers(const unsigned char *h, size_t n, struct lt_es_message *m)
{
    const char *error_code = NULL;
    size_t error_code_len = 0;
    size_t off = 0;
    while (off < n) {
        size_t nl = h[off++];
        if (n - off < nl + 1) /* the name and the value type */
            return -EINVAL;
        const char *name = (const char *)h + off;
        off += nl;
        unsigned type = h[off++];
        size_t vl;
        switch (type) {
        case ES_TRUE:
        case ES_FALSE:
            vl = 0;
            break;
        case ES_BYTE:
            vl = 1;
            break;
        case ES_SHORT:
            vl = 2;
            break;
        case ES_INT:
            vl = 4;
            break;
        case ES_LONG:
        case ES_TIMESTAMP:
            vl = 8;
            break;
        case ES_UUID:
            vl = 16;
            break;
        case ES_BYTES:
        case ES_STRING:
            if (n - off < 2)
                return -EINVAL;
            vl = (size_t)h[off] << 8 | h[off + 1];
            off += 2;
            break;
        default:
            return -EINVAL;
        }
        if (n - off < vl)
            return -EINVAL;
        if (type == ES_STRING) {
            const char *v = (const char *)h + off;
            name_is(name, nl, ":message-type", v, vl, &m->message_type, &m->message_type_len);
            name_is(name, nl, ":event-type", v, vl, &m->event_type, &m->event_type_len);
            name_is(name, nl, ":exception-type", v, vl, &m->exception_type, &m->exception_type_len);
            name_is(name, nl, ":error-code", v, vl, &error_code, &error_code_len);
            name_is(name, nl, ":error-message", v, vl, &m->error_message, &m->error_message_len);
            name_is(name, nl, ":content-type", v, vl, &m->content_type, &m->content_type_len);
        }
        off += vl;
    }
    /* An "error" message names its error in :error-code (no :exception-type). */
    if (m->message_type_len == 5 && memcmp(m->message_type, "error", 5) == 0) {
        m->exception_type = error_code;
        m->exception_type_len = error_code_len;
    } else {
        m->error_message = NULL;
        m->error_message_len = 0;
    }
    return 0;
}

/* Check and hand out one whole message of `total` bytes whose prelude was checked. */
static int deliver(struct lt_es_parser *p, const unsigned char *b, size_t total, lt_es_cb cb,
                   void *ud)
{
    if (crc(b, total - 4) != be32(b + total - 4))
        return p->failed = -EINVAL;
    size_t hlen = be32(b + 4);
    struct lt_es_message m;
    memset(&m, 0, sizeof(m));
    if (headers(b + ES_PRELUDE, hlen, &m) != 0)
        return p->failed = -EINVAL;
    m.payload_len = total - ES_MIN - hlen;
    m.payload = m.payload_len ? (const char *)b + ES_PRELUDE + hlen : NULL;
    p->messages++;
    return cb(ud, &m);
}

int lt_es_feed(struct lt_es_parser *p, const char *d, size_t n, lt_es_cb cb, void *ud)
{
    if (p->failed)
        return p->failed;
    const unsigned char *b = (const unsigned char *)d;
    while (n) {
        if (p->cur.len == 0 && n >= ES_PRELUDE) {
            /* Fast path: decode straight from the input when the message is all there. */
            size_t total = prelude(p, b);
            if (!total)
                return p->failed = -EINVAL;
            if (n >= total) {
                int rc = deliver(p, b, total, cb, ud);
                if (rc)
                    return rc;
                b += total;
                n -= total;
                continue;
            }
        }
        size_t want = p->need ? p->need : ES_PRELUDE;
        size_t k = want - p->cur.len < n ? want - p->cur.len : n;
        if (lt_buf_append(&p->cur, b, k) != 0 || p->cur.truncated)
            return p->failed = -ENOMEM;
        b += k;
        n -= k;
        if (p->cur.len < want)
            break;
        if (!p->need) {
            p->need = prelude(p, (const unsigned char *)p->cur.data);
            if (!p->need)
                return p->failed = -EINVAL;
            continue;
        }
        int rc = deliver(p, (const unsigned char *)p->cur.data, p->need, cb, ud);
        lt_buf_reset(&p->cur);
        p->need = 0;
        if (rc)
            return rc;
    }
    return 0;
}

void lt_es_cleanup(struct lt_es_parser *p)
{
    lt_buf_cleanup(&p->cur);
}
