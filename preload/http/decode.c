/* decode.c — Content-Encoding decoders (see decode.h; RFC 9110 §8.4.1) on top of zlib,
 * libbrotlidec and libzstd. Input is decoded into a bounded stack buffer and handed out
 * chunk by chunk, so memory stays flat whatever the compression ratio (the libraries' own
 * windows aside: at most 16 MiB for br, 8 MiB for zstd); total output stops at the cap. */
#include "http/decode.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define ZLIB_CONST
#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define DECODE_DEFAULT_MAX ((size_t)64 * 1024 * 1024)
#define DECODE_CHUNK 16384
/* RFC 9659 §3: zstd content coding uses windows of at most 8 MiB; refuse larger ones rather
 * than let a peer make us allocate up to the library's default 128 MiB. */
#define ZSTD_WINDOW_LOG_MAX 23

/** Decoder state (opaque in decode.h). */
struct lt_decoder {
    enum lt_encoding enc;
    z_stream zs;
    bool z_ready;           /* inflateInit2 succeeded: inflateEnd on free */
    BrotliDecoderState *br; /* LT_ENC_BR */
    ZSTD_DCtx *zd;          /* LT_ENC_ZSTD */
    unsigned char head[2];  /* deflate: first bytes kept until the wrapper is known */
    size_t head_len;
    size_t max_out; /* cap on total output in bytes */
    size_t out;     /* bytes handed out so far */
    bool capped;    /* the cap was reached: input is ignored */
    bool done;      /* end marker seen (gzip: of the last member so far) */
    bool trailer;   /* gzip: bytes after a member that do not start a new one: ignored */
    int error;      /* sticky negative errno once the data proved corrupt */
};

/* Trim ASCII whitespace from both ends of [*v, *v + *n). */
static void trim(const char **v, size_t *n)
{
    while (*n && ((*v)[0] == ' ' || (*v)[0] == '\t' || (*v)[0] == '\r' || (*v)[0] == '\n')) {
        (*v)++;
        (*n)--;
    }
    while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t' || (*v)[*n - 1] == '\r' ||
                  (*v)[*n - 1] == '\n'))
        (*n)--;
}

static bool token_is(const char *v, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(v, name, n) == 0;
}

enum lt_encoding lt_encoding_parse(const char *v, size_t n)
{
    /* Codings are listed in the order they were applied; the last one must be undone
     * first, and it is the only one a single decoder can take off. */
    enum lt_encoding last = LT_ENC_IDENTITY;
    while (v && n) {
        const char *comma = memchr(v, ',', n);
        size_t tl = comma ? (size_t)(comma - v) : n;
        const char *t = v;
        trim(&t, &tl);
        if (tl && !token_is(t, tl, "identity")) {
            if (token_is(t, tl, "gzip") || token_is(t, tl, "x-gzip"))
                last = LT_ENC_GZIP;
            else if (token_is(t, tl, "deflate"))
                last = LT_ENC_DEFLATE;
            else if (token_is(t, tl, "br"))
                last = LT_ENC_BR;
            else if (token_is(t, tl, "zstd"))
                last = LT_ENC_ZSTD;
            else
                last = LT_ENC_UNKNOWN;
        }
        if (!comma)
            break;
        n -= (size_t)(comma - v) + 1;
        v = comma + 1;
    }
    return last;
}

struct lt_decoder *lt_decoder_new(enum lt_encoding enc, size_t max_out)
{
    if (enc != LT_ENC_IDENTITY && enc != LT_ENC_GZIP && enc != LT_ENC_DEFLATE && enc != LT_ENC_BR &&
        enc != LT_ENC_ZSTD)
        return NULL;
    struct lt_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->enc = enc;
    d->max_out = max_out ? max_out : DECODE_DEFAULT_MAX;
    if (enc == LT_ENC_GZIP) {
        /* 16 + MAX_WBITS: gzip wrapper only (RFC 1952). */
        if (inflateInit2(&d->zs, 16 + MAX_WBITS) != Z_OK) {
            free(d);
            return NULL;
        }
        d->z_ready = true;
    } else if (enc == LT_ENC_BR) {
        d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
        if (!d->br) {
            free(d);
            return NULL;
        }
    } else if (enc == LT_ENC_ZSTD) {
        d->zd = ZSTD_createDCtx();
        if (!d->zd ||
            ZSTD_isError(ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX))) {
            ZSTD_freeDCtx(d->zd);
            free(d);
            return NULL;
        }
    }
    /* deflate: inflateInit2 waits for the first two bytes (zlib wrapper or raw). */
    return d;
}

void lt_decoder_free(struct lt_decoder *d)
{
    if (!d)
        return;
    if (d->z_ready)
        inflateEnd(&d->zs);
    if (d->br)
        BrotliDecoderDestroyInstance(d->br);
    ZSTD_freeDCtx(d->zd); /* NULL is fine */
    free(d);
}

bool lt_decoder_done(const struct lt_decoder *d)
{
    /* Identity has no end marker: every byte is already the whole of what arrived. A zstd
     * frame may have ended before bytes that proved corrupt: not done then. */
    return d && !d->error && (d->enc == LT_ENC_IDENTITY || d->done);
}

/* Hand out bytes up to the cap. Returns 0, 1 once output went past the cap (an output of
 * exactly the cap is not cut), or cb's value. */
static int emit(struct lt_decoder *d, const char *p, size_t n, lt_decode_cb cb, void *ud)
{
    int cap_hit = 0;
    if (n > d->max_out - d->out) {
        n = d->max_out - d->out;
        d->capped = true;
        cap_hit = 1;
    }
    d->out += n;
    if (n && cb) {
        int rc = cb(ud, p, n);
        if (rc)
            return rc;
    }
    return cap_hit;
}

/* RFC 1950 §2.2: CM = 8, CINFO <= 7, and CMF*256 + FLG a multiple of 31. */
static bool zlib_header(const unsigned char h[2])
{
    return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && ((unsigned)h[0] * 256u + h[1]) % 31 == 0;
}

static int inflate_some(struct lt_decoder *d, const unsigned char *in, size_t n, lt_decode_cb cb,
                        void *ud)
{
    unsigned char out[DECODE_CHUNK];
    while (n) {
        if (d->done) {
            /* gzip members may be concatenated (RFC 1952 §2.2); anything else after the
             * end marker is trailing garbage, ignored as gzip(1) does. */
            if (d->enc != LT_ENC_GZIP || d->trailer || in[0] != 0x1f) {
                d->trailer = true;
                return 0;
            }
            if (inflateReset(&d->zs) != Z_OK)
                return d->error = -EINVAL;
            d->done = false;
        }
        /* avail_in is a uInt: feed very large inputs in slices. */
        uInt slice = n > (size_t)UINT_MAX / 2 ? UINT_MAX / 2 : (uInt)n;
        d->zs.next_in = in;
        d->zs.avail_in = slice;
        for (;;) {
            d->zs.next_out = out;
            d->zs.avail_out = sizeof(out);
            int zr = inflate(&d->zs, Z_NO_FLUSH);
            size_t got = sizeof(out) - d->zs.avail_out;
            /* Output made before an error (a bad gzip CRC comes after all the data) is
             * handed out first: the caller may still use it. */
            if (got) {
                int rc = emit(d, (const char *)out, got, cb, ud);
                if (rc)
                    return rc;
            }
            if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR || zr == Z_STREAM_ERROR)
                return d->error = -EINVAL;
            if (zr == Z_MEM_ERROR)
                return d->error = -ENOMEM;
            if (zr == Z_STREAM_END) {
                d->done = true;
                break;
            }
            /* Z_OK or Z_BUF_ERROR: go on while output filled up (more may be pending) or
             * input is left; Z_BUF_ERROR with nothing produced means no progress. */
            if (zr == Z_BUF_ERROR && got == 0)
                break;
            if (d->zs.avail_in == 0 && d->zs.avail_out != 0)
                break;
        }
        size_t used = slice - d->zs.avail_in;
        in += used;
        n -= used;
        if (!d->done && used < slice)
            break; /* zlib took nothing more: cannot happen, but never spin */
    }
    return 0;
}

/* br (RFC 7932): one stream; bytes after its last meta-block are ignored. */
static int brotli_some(struct lt_decoder *d, const unsigned char *in, size_t n, lt_decode_cb cb,
                       void *ud)
{
    unsigned char out[DECODE_CHUNK];
    size_t avail_in = n;
    const uint8_t *next_in = in;
    while (!d->done) {
        size_t avail_out = sizeof(out);
        uint8_t *next_out = out;
        BrotliDecoderResult r =
            BrotliDecoderDecompressStream(d->br, &avail_in, &next_in, &avail_out, &next_out, NULL);
        size_t got = sizeof(out) - avail_out;
        if (got) {
            int rc = emit(d, (const char *)out, got, cb, ud);
            if (rc)
                return rc;
        }
        if (r == BROTLI_DECODER_RESULT_ERROR) {
            /* Codes -21 … -30 are allocation failures (brotli/decode.h), the rest bad data. */
            int e = (int)BrotliDecoderGetErrorCode(d->br);
            return d->error = e <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES &&
                                      e >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES
                                  ? -ENOMEM
                                  : -EINVAL;
        }
        if (r == BROTLI_DECODER_RESULT_SUCCESS)
            d->done = true;
        else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT && got < sizeof(out))
            break; /* all input taken and all output pushed */
        /* NEEDS_MORE_OUTPUT, or NEEDS_MORE_INPUT with the buffer full: the decoder pushes
         * what its ring buffer holds only as far as the buffer goes, so go round again. */
    }
    return 0;
}

/* zstd (RFC 8878): frames follow one another; skippable frames are skipped by the library. */
static int zstd_some(struct lt_decoder *d, const unsigned char *in, size_t n, lt_decode_cb cb,
                     void *ud)
{
    unsigned char out[DECODE_CHUNK];
    ZSTD_inBuffer ib = {in, n, 0};
    for (;;) {
        ZSTD_outBuffer ob = {out, sizeof(out), 0};
        size_t before = ib.pos;
        size_t r = ZSTD_decompressStream(d->zd, &ob, &ib);
        if (ob.pos) {
            int rc = emit(d, (const char *)out, ob.pos, cb, ud);
            if (rc)
                return rc;
        }
        if (ZSTD_isError(r))
            return d->error =
                       ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? -ENOMEM : -EINVAL;
        /* 0: a frame is complete and flushed; input taken after that starts another. */
        if (r == 0)
            d->done = true;
        else if (ib.pos > before || ob.pos)
            d->done = false;
        if (ib.pos == ib.size && ob.pos < ob.size)
            break;
    }
    return 0;
}

/* deflate: decide between the zlib wrapper (RFC 1950) and raw deflate (RFC 1951) from the
 * first two bytes, which may arrive in separate feeds. */
static int deflate_start(struct lt_decoder *d, const unsigned char **in, size_t *n, lt_decode_cb cb,
                         void *ud)
{
    while (d->head_len < 2 && *n) {
        d->head[d->head_len++] = **in;
        (*in)++;
        (*n)--;
    }
    if (d->head_len < 2)
        return 0;
    int wbits = zlib_header(d->head) ? MAX_WBITS : -MAX_WBITS;
    if (inflateInit2(&d->zs, wbits) != Z_OK)
        return d->error = -ENOMEM;
    d->z_ready = true;
    return inflate_some(d, d->head, 2, cb, ud);
}

int lt_decoder_feed(struct lt_decoder *d, const void *in, size_t n, lt_decode_cb cb, void *ud)
{
    if (d->error)
        return d->error;
    if (d->capped)
        return 1;
    const unsigned char *p = in;
    if (d->enc == LT_ENC_IDENTITY)
        return n ? emit(d, (const char *)p, n, cb, ud) : 0;
    if (d->enc == LT_ENC_BR)
        return n ? brotli_some(d, p, n, cb, ud) : 0;
    if (d->enc == LT_ENC_ZSTD)
        return n ? zstd_some(d, p, n, cb, ud) : 0;
    if (!d->z_ready) {
        int rc = deflate_start(d, &p, &n, cb, ud);
        if (rc)
            return rc;
    }
    if (!n || !d->z_ready)
        return 0;
    return inflate_some(d, p, n, cb, ud);
}

struct collect {
    char *buf;
    size_t len, cap;
    bool oom;
};

static int collect_cb(void *ud, const char *p, size_t n)
{
    struct collect *c = ud;
    /* Room for n more bytes and the NUL lt_decode_all() adds (len <= cap; no wrap-around). */
    if (n >= c->cap - c->len) {
        if (n > SIZE_MAX / 2 - c->len) { /* so neither `need` nor `want` can wrap */
            c->oom = true;
            return -ENOMEM;
        }
        size_t need = c->len + n + 1;
        size_t want = c->cap ? c->cap : 4096;
        while (want < need)
            want *= 2;
        char *nb = realloc(c->buf, want);
        if (!nb) {
            c->oom = true;
            return -ENOMEM;
        }
        c->buf = nb;
        c->cap = want;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
    return 0;
}

int lt_decode_all(enum lt_encoding enc, const void *in, size_t n, size_t max_out, char **out,
                  size_t *out_len, bool *truncated)
{
    *out = NULL;
    *out_len = 0;
    if (truncated)
        *truncated = false;
    struct lt_decoder *d = lt_decoder_new(enc, max_out);
    if (!d)
        return enc == LT_ENC_UNKNOWN ? -EINVAL : -ENOMEM;
    struct collect c = {0};
    int rc = lt_decoder_feed(d, in, n, collect_cb, &c);
    lt_decoder_free(d);
    if (c.oom || rc == -ENOMEM) {
        free(c.buf);
        return -ENOMEM;
    }
    if (!c.buf) {
        c.buf = malloc(1);
        if (!c.buf)
            return -ENOMEM;
    }
    c.buf[c.len] = '\0';
    *out = c.buf;
    *out_len = c.len;
    if (rc == 1 && truncated)
        *truncated = true;
    /* A stream cut short (a capped capture) is not an error: what decoded is returned. */
    return rc < 0 ? rc : 0;
}
