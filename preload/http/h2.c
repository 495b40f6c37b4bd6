/* h2.c — incremental HTTP/2 frame reader for one direction (see h2.h; RFC 9113 §4–§6).
 * A byte-driven state machine: preface → frame header → payload phases (PRE: pad length /
 * priority / promised id, BODY, PAD). DATA bodies go straight to the callback; header block
 * fragments go straight into nghttp2's HPACK inflater; decoded fields are copied into a
 * bounded arena until the block ends. Nothing else is buffered beyond 9 bytes. */
#include "http/h2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

static const char PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define PREFACE_LEN 24
#define FRAME_HDR_LEN 9

/* Frame types and flags (RFC 9113 §6). */
enum {
    T_DATA = 0x0,
    T_HEADERS = 0x1,
    T_PRIORITY = 0x2,
    T_RST_STREAM = 0x3,
    T_SETTINGS = 0x4,
    T_PUSH_PROMISE = 0x5,
    T_PING = 0x6,
    T_GOAWAY = 0x7,
    T_WINDOW_UPDATE = 0x8,
    T_CONTINUATION = 0x9,
};
#define F_END_STREAM 0x01  /* DATA, HEADERS */
#define F_ACK 0x01         /* SETTINGS, PING */
#define F_END_HEADERS 0x04 /* HEADERS, PUSH_PROMISE, CONTINUATION */
#define F_PADDED 0x08      /* DATA, HEADERS, PUSH_PROMISE */
#define F_PRIORITY 0x20    /* HEADERS */
#define SETTINGS_HEADER_TABLE_SIZE 0x1

enum phase {
    PH_PREFACE, /* client only: matching the 24-byte preface */
    PH_HEAD,    /* collecting a 9-byte frame header */
    PH_PRE,     /* collecting pad length / priority / promised stream id (≤ 6 bytes) */
    PH_BODY,    /* the frame's content proper */
    PH_PAD,     /* skipping padding */
};

/* One kept field: offsets into the arena (it may move when it grows). */
struct field_ref {
    uint32_t name_off, name_len, value_off, value_len;
};

struct lt_h2_reader {
    int err;          /* sticky: 0, -EINVAL or -ENOMEM */
    enum phase phase; /* where the next byte goes */
    size_t got;       /* bytes collected in the current phase (PREFACE, HEAD, PRE) */
    bool seen_frame;  /* a first frame (must be SETTINGS) was seen */
    uint8_t hdr[FRAME_HDR_LEN];
    /* the current frame */
    uint32_t len, stream;
    uint8_t type, flags;
    uint32_t pre_len;   /* bytes in PH_PRE */
    uint32_t body_left; /* content bytes still to come */
    uint32_t pad_left;  /* padding bytes still to come */
    uint32_t body_got;  /* content bytes seen (SETTINGS, RST_STREAM, GOAWAY) */
    uint8_t fix[8];     /* small fixed fields: PRE bytes, a setting, RST/GOAWAY codes */
    bool data_end_sent; /* on_data already carried end_stream for this frame */
    /* the header block being decoded */
    bool in_block;     /* between HEADERS/PUSH_PROMISE and END_HEADERS */
    bool block_report; /* HEADERS (reported), not PUSH_PROMISE */
    bool block_end_stream;
    bool truncated;
    uint32_t block_stream;
    nghttp2_hd_inflater *inf;
    uint32_t table_limit;   /* what the inflater currently accepts */
    uint32_t table_pending; /* wanted limit, applied between blocks */
    char *arena;            /* names + values of the current block, ≤ LT_H2_MAX_ARENA */
    size_t arena_len, arena_cap;
    size_t n_fields;
    struct field_ref refs[LT_H2_MAX_FIELDS];
    struct lt_h2_header out[LT_H2_MAX_FIELDS]; /* views built for on_headers */
};

int lt_h2_preface_match(const void *p, size_t n)
{
    size_t k = n < PREFACE_LEN ? n : PREFACE_LEN;
    if (k && memcmp(p, PREFACE, k) != 0)
        return -1;
    return n >= PREFACE_LEN ? 1 : 0;
}

static void apply_table_limit(struct lt_h2_reader *r)
{
    if (r->in_block || r->table_pending <= r->table_limit)
        return;
    /* Raising the limit never evicts and never makes the inflater expect an update: the
     * table in use stays what the encoder last announced (4096 until it says otherwise). */
    if (nghttp2_hd_inflate_change_table_size(r->inf, r->table_pending) == 0)
        r->table_limit = r->table_pending;
}

struct lt_h2_reader *lt_h2_new(enum lt_h2_dir dir)
{
    struct lt_h2_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    if (nghttp2_hd_inflate_new(&r->inf) != 0) {
        free(r);
        return NULL;
    }
    r->table_limit = 4096; /* nghttp2's initial limit = the protocol default */
    r->table_pending = LT_H2_DEFAULT_TABLE_SIZE;
    apply_table_limit(r);
    r->phase = dir == LT_H2_CLIENT ? PH_PREFACE : PH_HEAD;
    return r;
}

void lt_h2_free(struct lt_h2_reader *r)
{
    if (!r)
        return;
    nghttp2_hd_inflate_del(r->inf);
    free(r->arena);
    free(r);
}

void lt_h2_set_header_table_size(struct lt_h2_reader *r, uint32_t size)
{
    if (!r)
        return;
    if (size > LT_H2_MAX_TABLE_SIZE)
        size = LT_H2_MAX_TABLE_SIZE;
    if (size > r->table_pending)
        r->table_pending = size;
    apply_table_limit(r);
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ---- header blocks ------------------------------------------------------------------- */

static void begin_block(struct lt_h2_reader *r, bool report)
{
    apply_table_limit(r); /* the last moment the inflater is between blocks */
    r->in_block = true;
    r->block_report = report;
    r->block_end_stream = r->flags & F_END_STREAM;
    r->block_stream = r->stream;
    r->truncated = false;
    r->n_fields = 0;
    r->arena_len = 0;
}

/* Copy one decoded field into the arena, or mark the block truncated. */
static void keep_field(struct lt_h2_reader *r, const nghttp2_nv *nv)
{
    size_t need = nv->namelen + nv->valuelen;
    if (r->n_fields >= LT_H2_MAX_FIELDS || need > LT_H2_MAX_ARENA - r->arena_len) {
        r->truncated = true;
        return;
    }
    if (r->arena_len + need > r->arena_cap) {
        size_t cap = r->arena_cap ? r->arena_cap : 1024;
        while (cap < r->arena_len + need)
            cap *= 2;
        if (cap > LT_H2_MAX_ARENA)
            cap = LT_H2_MAX_ARENA;
        char *a = realloc(r->arena, cap);
        if (!a) {
            r->truncated = true; /* degrade: the field is left out, decoding goes on */
            return;
        }
        r->arena = a;
        r->arena_cap = cap;
    }
    struct field_ref *f = &r->refs[r->n_fields++];
    f->name_off = (uint32_t)r->arena_len;
    f->name_len = (uint32_t)nv->namelen;
    if (nv->namelen)
        memcpy(r->arena + r->arena_len, nv->name, nv->namelen);
    r->arena_len += nv->namelen;
    f->value_off = (uint32_t)r->arena_len;
    f->value_len = (uint32_t)nv->valuelen;
    if (nv->valuelen)
        memcpy(r->arena + r->arena_len, nv->value, nv->valuelen);
    r->arena_len += nv->valuelen;
}

/* Feed block bytes to the inflater; `final` at the end of the block (after END_HEADERS). */
static int inflate(struct lt_h2_reader *r, const uint8_t *in, size_t n, bool final)
{
    static const uint8_t none;
    if (!n)
        in = &none; /* never hand nghttp2 a NULL base */
    for (;;) {
        nghttp2_nv nv;
        int fl = 0;
        ssize_t rv = nghttp2_hd_inflate_hd2(r->inf, &nv, &fl, in, n, final);
        if (rv < 0)
            return rv == NGHTTP2_ERR_NOMEM ? -ENOMEM : -EINVAL;
        if ((size_t)rv > n)
            return -EINVAL;
        in += rv;
        n -= (size_t)rv;
        if (fl & NGHTTP2_HD_INFLATE_EMIT)
            keep_field(r, &nv);
        if (fl & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(r->inf);
            return n ? -EINVAL : 0;
        }
        if (!(fl & NGHTTP2_HD_INFLATE_EMIT)) {
            if (n == 0 && !final)
                return 0;
            return -EINVAL; /* no progress, or a final call that did not finish */
        }
    }
}

static int end_block(struct lt_h2_reader *r, const struct lt_h2_callbacks *cb, void *ud)
{
    int rc = inflate(r, NULL, 0, true);
    if (rc)
        return rc;
    r->in_block = false;
    apply_table_limit(r);
    if (!r->block_report || !cb || !cb->on_headers)
        return 0;
    const char *base = r->arena ? r->arena : ""; /* no arena yet: only empty fields */
    for (size_t i = 0; i < r->n_fields; i++) {
        const struct field_ref *f = &r->refs[i];
        r->out[i].name = base + f->name_off;
        r->out[i].name_len = f->name_len;
        r->out[i].value = base + f->value_off;
        r->out[i].value_len = f->value_len;
    }
    cb->on_headers(ud, r->block_stream, r->out, r->n_fields, r->truncated, r->block_end_stream);
    return 0;
}

/* ---- frames -------------------------------------------------------------------------- */

/* A frame header is complete: check it against the type's rules and set up the phases. */
static int begin_frame(struct lt_h2_reader *r)
{
    const uint8_t *h = r->hdr;
    r->len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
    r->type = h[3];
    r->flags = h[4];
    r->stream = be32(h + 5) & 0x7fffffffu;
    r->pre_len = 0;
    r->body_got = 0;
    r->data_end_sent = false;
    if (!r->seen_frame) {
        /* §3.4: each side's preface ends with (server: is) a SETTINGS frame, not an ACK */
        if (r->type != T_SETTINGS || (r->flags & F_ACK))
            return -EINVAL;
        r->seen_frame = true;
    }
    if (r->in_block && (r->type != T_CONTINUATION || r->stream != r->block_stream))
        return -EINVAL; /* §6.10: nothing may interleave a header block */
    switch (r->type) {
    case T_DATA:
        if (r->stream == 0)
            return -EINVAL;
        r->pre_len = (r->flags & F_PADDED) ? 1 : 0;
        break;
    case T_HEADERS:
        if (r->stream == 0)
            return -EINVAL;
        r->pre_len = ((r->flags & F_PADDED) ? 1 : 0) + ((r->flags & F_PRIORITY) ? 5 : 0);
        break;
    case T_PUSH_PROMISE:
        if (r->stream == 0)
            return -EINVAL;
        r->pre_len = ((r->flags & F_PADDED) ? 1 : 0) + 4;
        break;
    case T_CONTINUATION:
        if (!r->in_block)
            return -EINVAL;
        break;
    case T_SETTINGS:
        if (r->stream != 0 || ((r->flags & F_ACK) ? r->len != 0 : r->len % 6 != 0))
            return -EINVAL;
        break;
    case T_RST_STREAM:
        if (r->stream == 0 || r->len != 4)
            return -EINVAL;
        break;
    case T_GOAWAY:
        if (r->stream != 0 || r->len < 8)
            return -EINVAL;
        break;
    default: /* PRIORITY, PING, WINDOW_UPDATE and unknown types (§5.5) are skipped */
        break;
    }
    if (r->len < r->pre_len)
        return -EINVAL;
    if (r->type == T_HEADERS)
        begin_block(r, true);
    else if (r->type == T_PUSH_PROMISE)
        begin_block(r, false);
    r->phase = PH_PRE;
    r->got = 0;
    r->body_left = r->len - r->pre_len;
    r->pad_left = 0;
    return 0;
}

/* PH_PRE complete: now the padding length is known. */
static int after_pre(struct lt_h2_reader *r)
{
    if (r->flags & F_PADDED &&
        (r->type == T_DATA || r->type == T_HEADERS || r->type == T_PUSH_PROMISE)) {
        uint32_t pad = r->fix[0];
        if (pad > r->body_left) /* §6.1: padding ≥ payload length is an error */
            return -EINVAL;
        r->body_left -= pad;
        r->pad_left = pad;
    }
    r->phase = PH_BODY;
    r->got = 0;
    return 0;
}

/* Content bytes of the current frame. */
static int body(struct lt_h2_reader *r, const uint8_t *p, size_t n,
                const struct lt_h2_callbacks *cb, void *ud)
{
    switch (r->type) {
    case T_DATA:
        if (n && cb && cb->on_data) {
            bool es = (r->flags & F_END_STREAM) && r->body_left == 0 && r->pad_left == 0;
            r->data_end_sent = es;
            cb->on_data(ud, r->stream, (const char *)p, n, es);
        }
        return 0;
    case T_HEADERS:
    case T_PUSH_PROMISE:
    case T_CONTINUATION:
        return inflate(r, p, n, false);
    case T_SETTINGS:
        for (size_t i = 0; i < n; i++) {
            r->fix[r->body_got++ % 6] = p[i];
            if (r->body_got % 6 == 0 && !(r->flags & F_ACK) &&
                (r->fix[0] << 8 | r->fix[1]) == SETTINGS_HEADER_TABLE_SIZE && cb &&
                cb->on_header_table_size)
                cb->on_header_table_size(ud, be32(r->fix + 2));
        }
        return 0;
    case T_RST_STREAM:
    case T_GOAWAY: {
        uint32_t before = r->body_got;
        for (size_t i = 0; i < n && r->body_got < 8; i++)
            r->fix[r->body_got++] = p[i];
        /* GOAWAY is reported once its fixed part is in; the debug data is only skipped */
        if (r->type == T_GOAWAY && before < 8 && r->body_got == 8 && cb && cb->on_goaway)
            cb->on_goaway(ud, be32(r->fix) & 0x7fffffffu, be32(r->fix + 4));
        return 0;
    }
    default:
        return 0;
    }
}

static int end_frame(struct lt_h2_reader *r, const struct lt_h2_callbacks *cb, void *ud)
{
    int rc = 0;
    switch (r->type) {
    case T_DATA:
        if ((r->flags & F_END_STREAM) && !r->data_end_sent && cb && cb->on_data)
            cb->on_data(ud, r->stream, "", 0, true);
        break;
    case T_HEADERS:
    case T_PUSH_PROMISE:
    case T_CONTINUATION:
        if (r->flags & F_END_HEADERS)
            rc = end_block(r, cb, ud);
        break;
    case T_RST_STREAM:
        if (cb && cb->on_rst_stream)
            cb->on_rst_stream(ud, r->stream, be32(r->fix));
        break;
    default:
        break;
    }
    r->phase = PH_HEAD;
    r->got = 0;
    return rc;
}

/* Move through phases that need no more bytes; ends the frame when all are done. */
static int settle(struct lt_h2_reader *r, const struct lt_h2_callbacks *cb, void *ud)
{
    for (;;) {
        int rc;
        switch (r->phase) {
        case PH_PRE:
            if (r->got < r->pre_len)
                return 0;
            if ((rc = after_pre(r)) != 0)
                return rc;
            break;
        case PH_BODY:
            if (r->body_left)
                return 0;
            r->phase = PH_PAD;
            break;
        case PH_PAD:
            if (r->pad_left)
                return 0;
            return end_frame(r, cb, ud);
        default:
            return 0;
        }
    }
}

int lt_h2_feed(struct lt_h2_reader *r, const void *p, size_t n, const struct lt_h2_callbacks *cb,
               void *ud)
{
    if (!r)
        return -EINVAL;
    if (r->err)
        return r->err;
    const uint8_t *b = p;
    size_t left = n;
    int rc = 0;
    while (left && rc == 0) {
        size_t m;
        switch (r->phase) {
        case PH_PREFACE:
            m = PREFACE_LEN - r->got;
            if (m > left)
                m = left;
            if (memcmp(b, PREFACE + r->got, m) != 0) {
                rc = -EINVAL;
                break;
            }
            r->got += m;
            if (r->got == PREFACE_LEN) {
                r->phase = PH_HEAD;
                r->got = 0;
            }
            break;
        case PH_HEAD:
            m = FRAME_HDR_LEN - r->got;
            if (m > left)
                m = left;
            memcpy(r->hdr + r->got, b, m);
            r->got += m;
            if (r->got == FRAME_HDR_LEN) {
                rc = begin_frame(r);
                if (rc == 0)
                    rc = settle(r, cb, ud);
            }
            break;
        case PH_PRE:
            m = r->pre_len - r->got;
            if (m > left)
                m = left;
            memcpy(r->fix + r->got, b, m);
            r->got += m;
            rc = settle(r, cb, ud);
            break;
        case PH_BODY:
            m = r->body_left < left ? r->body_left : left;
            r->body_left -= (uint32_t)m;
            rc = body(r, b, m, cb, ud);
            if (rc == 0)
                rc = settle(r, cb, ud);
            break;
        case PH_PAD:
            m = r->pad_left < left ? r->pad_left : left;
            r->pad_left -= (uint32_t)m;
            rc = settle(r, cb, ud);
            break;
        default:
            m = left;
            rc = -EINVAL;
            break;
        }
        b += m;
        left -= m;
    }
    if (rc)
        r->err = rc;
    return rc;
}
