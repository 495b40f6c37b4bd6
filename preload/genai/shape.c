/* shape.c — the shape of the last skipped stream event (see shape.h). */
#include "shape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "json_walk.h"

void lt_shape_init(struct lt_event_shape *s)
{
    memset(s, 0, sizeof(*s));
}

void lt_shape_cleanup(struct lt_event_shape *s)
{
    free(s->buf);
    memset(s, 0, sizeof(*s));
}

void lt_shape_forget(struct lt_event_shape *s)
{
    s->valid = false;
}

static bool number_byte(char ch)
{
    return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' ||
           ch == 'E';
}

/* The end (closing quote) of the JSON string content at `s`, which must hold no CR or LF
 * (raw or escaped by a backslash); NULL when there is none before `end` or a line end
 * comes first. The same quote lt_json_string_end finds: a left-to-right scan where a
 * backslash takes the next byte with it. Plain bytes are skipped a word at a time. */
static const char *string_end_one_line(const char *s, const char *end)
{
    for (const char *p = s; p < end; p++) {
        p = lt_json_skip_plain(p, end);
        if (p == end)
            break;
        char ch = *p;
        if (ch == '"')
            return p;
        if (ch == '\r' || ch == '\n')
            return NULL;
        if (ch == '\\') {
            if (++p == end || *p == '\r' || *p == '\n')
                return NULL;
        }
    }
    return NULL;
}

/* memcmp(a, b, n) == 0, without a call for the short event types (4 to 16 bytes: SSE's
 * "message", Anthropic's "content_block_delta" takes the call): two overlapping loads from
 * each end. */
static inline __attribute__((always_inline)) bool same_type(const char *a, const char *b, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8), memcpy(&a1, a + n - 8, 8);
        memcpy(&b0, b, 8), memcpy(&b1, b + n - 8, 8);
        return a0 == b0 && a1 == b1;
    }
    if (n >= 4 && n < 8) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4), memcpy(&a1, a + n - 4, 4);
        memcpy(&b0, b, 4), memcpy(&b1, b + n - 4, 4);
        return a0 == b0 && a1 == b1;
    }
    return memcmp(a, b, n) == 0;
}

/* The recorded shape against `data`: with `prefix` false `data` must be the whole event
 * (`n` bytes); with `prefix` true the event is the first bytes of `n`, and none of them may
 * be a CR or LF. Returns the event's length, or SIZE_MAX when it does not match. */
static size_t match(struct lt_event_shape *s, const char *type, size_t type_len, const char *data,
                    size_t n, bool prefix)
{
    if (!s->valid || type_len != s->type_len || !same_type(type, s->buf, type_len) ||
        (prefix && !s->one_line))
        return SIZE_MAX;
    const char *t = s->buf + s->type_len; /* the recorded data */
    size_t pt = 0, pe = 0;                /* positions in the recording and in `data` */
    for (size_t i = 0; i < s->n_vals; i++) {
        const struct lt_shape_value *v = &s->vals[i];
        size_t seg = v->off - pt; /* fixed bytes up to this value */
        if (n - pe < seg || memcmp(data + pe, t + pt, seg) != 0)
            return SIZE_MAX;
        pe += seg;
        pt = v->off + v->len;
        if (v->string) {
            const char *e = prefix ? string_end_one_line(data + pe, data + n)
                                   : lt_json_string_end(data + pe, data + n);
            if (!e)
                return SIZE_MAX;
            pe = (size_t)(e - data);
        } else {
            size_t start = pe;
            while (pe < n && number_byte(data[pe]))
                pe++;
            if (pe == start)
                return SIZE_MAX;
        }
    }
    size_t rest = s->data_len - pt;
    if ((prefix ? n - pe < rest : n - pe != rest) || memcmp(data + pe, t + pt, rest) != 0)
        return SIZE_MAX;
    s->hits++;
    return pe + rest;
}

bool lt_shape_match(struct lt_event_shape *s, const char *type, size_t type_len, const char *data,
                    size_t n)
{
    return match(s, type, type_len, data, n, false) != SIZE_MAX;
}

size_t lt_shape_match_prefix(struct lt_event_shape *s, const char *type, size_t type_len,
                             const char *data, size_t avail)
{
    /* The usual recording, one free string (a stream delta's text): match() unrolled. */
    if (s->n_vals == 1 && s->vals[0].string && s->valid && s->one_line && type_len == s->type_len) {
        const char *t = s->buf + type_len;
        size_t off = s->vals[0].off, after = off + s->vals[0].len, rest = s->data_len - after;
        if (!same_type(type, s->buf, type_len) || avail < off || memcmp(data, t, off) != 0)
            return SIZE_MAX;
        const char *e = string_end_one_line(data + off, data + avail);
        if (!e)
            return SIZE_MAX;
        size_t pe = (size_t)(e - data);
        if (avail - pe < rest || memcmp(data + pe, t + after, rest) != 0)
            return SIZE_MAX;
        s->hits++;
        return pe + rest;
    }
    return match(s, type, type_len, data, avail, true);
}

struct rec {
    const char *const *keys;
    const char *data;
    struct lt_shape_value vals[LT_SHAPE_MAX_VALUES];
    size_t n_vals;
    bool overflow;
};

static bool is_free(const char *const *keys, const char *k, size_t kn)
{
    for (; *keys; keys++) /* first bytes first: most keys differ there */
        if (kn && (*keys)[0] == k[0] && strlen(*keys) == kn && memcmp(*keys, k, kn) == 0)
            return true;
    return false;
}

static bool rec_key(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    struct rec *r = ud;
    if (!vn || !is_free(r->keys, k, kn))
        return true;
    struct lt_shape_value val = {0, 0, false};
    if (v[0] == '"') {
        const char *e = lt_json_string_end(v + 1, v + vn);
        if (!e)
            return true; /* unterminated: the scan ends here */
        val.off = (size_t)(v + 1 - r->data);
        val.len = (size_t)(e - (v + 1));
        val.string = true;
    } else if (number_byte(v[0])) {
        size_t len = 0;
        while (len < vn && number_byte(v[len]))
            len++;
        if (len == vn)
            return true; /* the number runs to the end: nothing fixed follows it */
        val.off = (size_t)(v - r->data);
        val.len = len;
    } else {
        return true; /* null, true, an object...: part of the fixed bytes */
    }
    if (r->n_vals == LT_SHAPE_MAX_VALUES) {
        r->overflow = true;
        return false;
    }
    r->vals[r->n_vals++] = val;
    return true;
}

void lt_shape_record(struct lt_event_shape *s, const char *const *free_keys, const char *type,
                     size_t type_len, const char *data, size_t n)
{
    /* Any recording made since the last needed event stays true; one is replaced only by a
     * recording that can be made, and one replaced without a match counts as fruitless. */
    if (s->off || type_len > LT_SHAPE_MAX_BYTES || n > LT_SHAPE_MAX_BYTES - type_len)
        return;
    struct rec r = {.keys = free_keys, .data = data};
    if (!lt_json_scan_keys(data, n, rec_key, &r) || r.overflow || r.n_vals == 0)
        return;
    if (s->valid && s->hits == 0 && ++s->fruitless >= LT_SHAPE_MAX_FRUITLESS) {
        s->off = true;
        s->valid = false;
        return;
    }
    if (!s->buf && !(s->buf = malloc(LT_SHAPE_MAX_BYTES)))
        return;
    memcpy(s->buf, type, type_len);
    memcpy(s->buf + type_len, data, n);
    memcpy(s->vals, r.vals, sizeof(r.vals));
    s->n_vals = r.n_vals;
    s->type_len = type_len;
    s->data_len = n;
    s->one_line = !memchr(data, '\n', n) && !memchr(data, '\r', n);
    s->hits = 0;
    s->valid = true;
}
