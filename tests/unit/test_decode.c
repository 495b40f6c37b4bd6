/* test_decode.c — unit tests for the Content-Encoding decoders (preload/http/decode.c).
 * Compressed inputs are made here with zlib, libbrotlienc and libzstd from known text, then
 * decoded whole, split at every byte into two guarded pieces, and byte by byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include "guard.h"
#include "http/decode.h"

/* ---- inputs --------------------------------------------------------------------------- */

/* About 40 KiB of varied JSON-ish text: more than one 16 KiB output chunk, and not so
 * repetitive that it compresses to nothing. */
static char *make_text(size_t *len)
{
    size_t cap = 48 * 1024, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    unsigned x = 12345;
    while (n + 200 < 40 * 1024) {
        x = x * 1103515245u + 12345u;
        n += (size_t)snprintf(t + n, cap - n,
                              "data: {\"id\":\"chatcmpl-%u\",\"choices\":[{\"index\":%u,"
                              "\"delta\":{\"content\":\"tok%u \xC3\xA9\"}}]}\n\n",
                              x % 100000u, (x >> 8) % 4u, (x >> 12) % 9973u);
    }
    *len = n;
    return t;
}

/* Compress with deflateInit2 using `wbits` (15 zlib, -15 raw, 31 gzip). */
static unsigned char *zcompress(const void *in, size_t n, int wbits, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* Brotli-compress (quality 5, 4 MiB window). */
static unsigned char *brcompress(const void *in, size_t n, size_t *out_len)
{
    size_t cap = BrotliEncoderMaxCompressedSize(n);
    if (cap == 0)
        cap = n + 1024;
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    *out_len = cap;
    assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, n, in, out_len, out));
    return out;
}

/* One zstd frame at `level`; with `checksum` the frame carries its XXH64 content checksum. */
static unsigned char *zstdcompress(const void *in, size_t n, int level, bool checksum,
                                   size_t *out_len)
{
    size_t cap = ZSTD_compressBound(n);
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    assert_non_null(cc);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level)));
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, checksum)));
    *out_len = ZSTD_compress2(cc, out, cap, in, n);
    assert_false(ZSTD_isError(*out_len));
    ZSTD_freeCCtx(cc);
    return out;
}

/* ---- harness -------------------------------------------------------------------------- */

struct sink {
    char *buf;
    size_t len, cap;
    size_t calls;
    size_t max_call; /* largest single callback */
    size_t stop_at;  /* return 9 once len >= stop_at (0 = never) */
};

static int sink_cb(void *ud, const char *p, size_t n)
{
    struct sink *s = ud;
    assert_true(n > 0);
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->buf = realloc(s->buf, s->cap);
        assert_non_null(s->buf);
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->calls++;
    if (n > s->max_call)
        s->max_call = n;
    if (s->stop_at && s->len >= s->stop_at)
        return 9;
    return 0;
}

static int feed_guarded(struct lt_decoder *d, const unsigned char *p, size_t n, struct sink *s)
{
    struct guarded g = guard_copy(p, n);
    int rc = lt_decoder_feed(d, g.p, n, sink_cb, s);
    guard_free(&g);
    return rc;
}

/* Decode `in` fed in pieces: at == SIZE_MAX means byte by byte, else two pieces split at
 * `at`. Checks the output equals `want` and the decoder reached its end. */
static void decode_pieces(enum lt_encoding enc, const unsigned char *in, size_t n, size_t at,
                          const char *want, size_t want_len)
{
    struct lt_decoder *d = lt_decoder_new(enc, 0);
    assert_non_null(d);
    struct sink s = {0};
    if (at == SIZE_MAX) {
        for (size_t i = 0; i < n; i++)
            assert_int_equal(feed_guarded(d, in + i, 1, &s), 0);
    } else {
        assert_int_equal(feed_guarded(d, in, at, &s), 0);
        assert_int_equal(feed_guarded(d, in + at, n - at, &s), 0);
    }
    if (s.len != want_len || (want_len && memcmp(s.buf, want, want_len) != 0))
        fail_msg("enc %d split %zu: got %zu bytes, want %zu", (int)enc, at, s.len, want_len);
    assert_true(s.max_call <= 16384);
    assert_true(lt_decoder_done(d));
    lt_decoder_free(d);
    free(s.buf);
}

static void decode_all_ways(enum lt_encoding enc, const unsigned char *in, size_t n,
                            const char *want, size_t want_len)
{
    for (size_t at = 0; at <= n; at++)
        decode_pieces(enc, in, n, at, want, want_len);
    decode_pieces(enc, in, n, SIZE_MAX, want, want_len);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_gzip(void **state)
{
    size_t tl, zl;
    char *text = make_text(&tl);
    unsigned char *z = zcompress(text, tl, 16 + MAX_WBITS, &zl);
    assert_true(z[0] == 0x1f && z[1] == 0x8b);
    decode_all_ways(LT_ENC_GZIP, z, zl, text, tl);
    free(z);
    free(text);
}

static void test_deflate_zlib(void **state)
{
    size_t tl;
    char *text = make_text(&tl);
    /* compress2() is the classic zlib-wrapped (RFC 1950) producer. */
    uLongf zl = compressBound((uLong)tl);
    unsigned char *z = malloc(zl);
    assert_non_null(z);
    assert_int_equal(compress2(z, &zl, (const Bytef *)text, (uLong)tl, 9), Z_OK);
    decode_all_ways(LT_ENC_DEFLATE, z, zl, text, tl);
    free(z);
    free(text);
}

static void test_deflate_raw(void **state)
{
    size_t tl, zl;
    char *text = make_text(&tl);
    unsigned char *z = zcompress(text, tl, -MAX_WBITS, &zl);
    decode_all_ways(LT_ENC_DEFLATE, z, zl, text, tl);
    free(z);
    /* A short raw stream too (a first block whose header bytes mean nothing to zlib). */
    static const char small[] = "{\"model\":\"gpt-4o\"}";
    z = zcompress(small, sizeof(small) - 1, -MAX_WBITS, &zl);
    decode_all_ways(LT_ENC_DEFLATE, z, zl, small, sizeof(small) - 1);
    free(z);
    free(text);
}

static void test_identity(void **state)
{
    static const char body[] = "{\"id\":\"msg_01\",\"type\":\"message\"}";
    decode_all_ways(LT_ENC_IDENTITY, (const unsigned char *)body, sizeof(body) - 1, body,
                    sizeof(body) - 1);
}

static void test_empty_body(void **state)
{
    static const unsigned char e[1] = {0};
    decode_all_ways(LT_ENC_IDENTITY, e, 0, "", 0);
    size_t zl;
    unsigned char *z = zcompress("", 0, 16 + MAX_WBITS, &zl);
    decode_all_ways(LT_ENC_GZIP, z, zl, "", 0);
    free(z);
}

static void test_gzip_members(void **state)
{
    static const char a[] = "first member, ";
    static const char b[] = "second member.";
    size_t la, lb;
    unsigned char *za = zcompress(a, sizeof(a) - 1, 16 + MAX_WBITS, &la);
    unsigned char *zb = zcompress(b, sizeof(b) - 1, 16 + MAX_WBITS, &lb);
    unsigned char *cat = malloc(la + lb);
    assert_non_null(cat);
    memcpy(cat, za, la);
    memcpy(cat + la, zb, lb);
    decode_all_ways(LT_ENC_GZIP, cat, la + lb, "first member, second member.",
                    sizeof(a) - 1 + sizeof(b) - 1);

    /* Trailing zero padding after the last member is ignored. */
    unsigned char *pad = calloc(1, la + 8);
    assert_non_null(pad);
    memcpy(pad, za, la);
    decode_all_ways(LT_ENC_GZIP, pad, la + 8, a, sizeof(a) - 1);
    free(pad);
    free(cat);
    free(za);
    free(zb);
}

static void test_brotli(void **state)
{
    size_t tl, bl;
    char *text = make_text(&tl);
    unsigned char *b = brcompress(text, tl, &bl);
    assert_true(bl < tl / 2);
    decode_all_ways(LT_ENC_BR, b, bl, text, tl);
    free(b);
    /* A short one, and the empty stream. */
    static const char small[] = "{\"model\":\"claude-sonnet-4-5\"}";
    b = brcompress(small, sizeof(small) - 1, &bl);
    decode_all_ways(LT_ENC_BR, b, bl, small, sizeof(small) - 1);
    free(b);
    b = brcompress("", 0, &bl);
    decode_all_ways(LT_ENC_BR, b, bl, "", 0);
    free(b);
    free(text);
}

/* Bytes after the end of a brotli stream are ignored. */
static void test_brotli_trailing(void **state)
{
    static const char msg[] = "{\"id\":\"msg_01\"}";
    size_t bl;
    unsigned char *b = brcompress(msg, sizeof(msg) - 1, &bl);
    unsigned char *x = malloc(bl + 5);
    assert_non_null(x);
    memcpy(x, b, bl);
    memcpy(x + bl, "junk!", 5);
    decode_all_ways(LT_ENC_BR, x, bl + 5, msg, sizeof(msg) - 1);
    free(x);
    free(b);
}

static void test_zstd(void **state)
{
    size_t tl, zl;
    char *text = make_text(&tl);
    unsigned char *z = zstdcompress(text, tl, 3, false, &zl);
    assert_true(zl < tl / 2);
    decode_all_ways(LT_ENC_ZSTD, z, zl, text, tl);
    free(z);
    z = zstdcompress(text, tl, 19, true, &zl);
    decode_all_ways(LT_ENC_ZSTD, z, zl, text, tl);
    free(z);
    z = zstdcompress("", 0, 3, true, &zl);
    decode_all_ways(LT_ENC_ZSTD, z, zl, "", 0);
    free(z);
    free(text);
}

/* Several frames, with a skippable frame (RFC 8878 §3.1.2) between them, decode as one. */
static void test_zstd_frames(void **state)
{
    static const char a[] = "first frame, ";
    static const char b[] = "second frame.";
    static const unsigned char skip[] = {0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'};
    size_t la, lb;
    unsigned char *za = zstdcompress(a, sizeof(a) - 1, 3, true, &la);
    unsigned char *zb = zstdcompress(b, sizeof(b) - 1, 3, false, &lb);
    size_t n = la + sizeof(skip) + lb;
    unsigned char *cat = malloc(n);
    assert_non_null(cat);
    memcpy(cat, za, la);
    memcpy(cat + la, skip, sizeof(skip));
    memcpy(cat + la + sizeof(skip), zb, lb);
    decode_all_ways(LT_ENC_ZSTD, cat, n, "first frame, second frame.",
                    sizeof(a) - 1 + sizeof(b) - 1);

    /* done() follows the frames: true after the first, false inside the second. */
    struct lt_decoder *d = lt_decoder_new(LT_ENC_ZSTD, 0);
    struct sink s = {0};
    assert_int_equal(feed_guarded(d, cat, la, &s), 0);
    assert_true(lt_decoder_done(d));
    assert_int_equal(feed_guarded(d, cat + la, sizeof(skip) + lb / 2, &s), 0);
    assert_false(lt_decoder_done(d));
    assert_int_equal(feed_guarded(d, cat + la + sizeof(skip) + lb / 2, lb - lb / 2, &s), 0);
    assert_true(lt_decoder_done(d));
    assert_int_equal(s.len, sizeof(a) - 1 + sizeof(b) - 1);
    lt_decoder_free(d);
    free(s.buf);
    free(cat);
    free(za);
    free(zb);
}

/* RFC 9659: a frame that asks for a window over 8 MiB is refused, not allocated. */
static void test_zstd_window_limit(void **state)
{
    size_t tl;
    char *text = make_text(&tl);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    assert_non_null(cc);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 24)));
    size_t cap = ZSTD_compressBound(tl) + 64;
    unsigned char *z = malloc(cap);
    assert_non_null(z);
    /* Streaming with the size unknown up front (input first, end later): the header then
     * declares the whole 16 MiB window. */
    ZSTD_inBuffer in = {text, tl, 0};
    ZSTD_outBuffer out = {z, cap, 0};
    assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &out, &in, ZSTD_e_continue)));
    assert_int_equal(in.pos, tl);
    ZSTD_inBuffer none = {NULL, 0, 0};
    assert_int_equal(ZSTD_compressStream2(cc, &out, &none, ZSTD_e_end), 0);
    ZSTD_freeCCtx(cc);
    /* RFC 8878 §3.1.1.1: no Single_Segment flag, so a Window_Descriptor follows the frame
     * header descriptor; its exponent gives windowLog = 10 + exponent. */
    assert_int_equal(z[4] & 0x20, 0);
    assert_true(10 + (z[5] >> 3) > 23);

    char *o;
    size_t ol;
    bool trunc;
    assert_int_equal(lt_decode_all(LT_ENC_ZSTD, z, out.pos, 0, &o, &ol, &trunc), -EINVAL);
    assert_int_equal(ol, 0);
    free(o);
    free(z);
    free(text);
}

static void test_output_cap(void **state)
{
    size_t tl, zl;
    char *text = make_text(&tl);
    unsigned char *z = zcompress(text, tl, 16 + MAX_WBITS, &zl);

    struct lt_decoder *d = lt_decoder_new(LT_ENC_GZIP, 1000);
    struct sink s = {0};
    assert_int_equal(feed_guarded(d, z, zl, &s), 1);
    assert_int_equal(s.len, 1000);
    assert_memory_equal(s.buf, text, 1000);
    /* Further input is ignored. */
    assert_int_equal(feed_guarded(d, z, zl, &s), 1);
    assert_int_equal(s.len, 1000);
    lt_decoder_free(d);
    free(s.buf);

    /* Cap reached part-way through a byte-by-byte feed. */
    d = lt_decoder_new(LT_ENC_DEFLATE, 20000);
    memset(&s, 0, sizeof(s));
    int rc = 0;
    size_t i;
    size_t rl;
    unsigned char *raw = zcompress(text, tl, -MAX_WBITS, &rl);
    for (i = 0; i < rl && rc == 0; i++)
        rc = feed_guarded(d, raw + i, 1, &s);
    assert_int_equal(rc, 1);
    assert_true(i < rl);
    assert_int_equal(s.len, 20000);
    assert_memory_equal(s.buf, text, 20000);
    lt_decoder_free(d);
    free(s.buf);
    free(raw);

    /* Identity is capped too. */
    d = lt_decoder_new(LT_ENC_IDENTITY, 10);
    memset(&s, 0, sizeof(s));
    assert_int_equal(lt_decoder_feed(d, "0123456", 7, sink_cb, &s), 0);
    assert_int_equal(lt_decoder_feed(d, "789abc", 6, sink_cb, &s), 1);
    assert_int_equal(lt_decoder_feed(d, "x", 1, sink_cb, &s), 1);
    assert_int_equal(s.len, 10);
    assert_memory_equal(s.buf, "0123456789", 10);
    lt_decoder_free(d);
    free(s.buf);

    /* lt_decode_all: truncated only when the cap actually cut something. */
    char *out;
    size_t ol;
    bool trunc;
    assert_int_equal(lt_decode_all(LT_ENC_GZIP, z, zl, 5000, &out, &ol, &trunc), 0);
    assert_true(trunc);
    assert_int_equal(ol, 5000);
    assert_int_equal(out[5000], '\0');
    assert_memory_equal(out, text, 5000);
    free(out);
    assert_int_equal(lt_decode_all(LT_ENC_GZIP, z, zl, tl, &out, &ol, &trunc), 0);
    assert_false(trunc);
    assert_int_equal(ol, tl);
    free(out);
    assert_int_equal(lt_decode_all(LT_ENC_GZIP, z, zl, 0, &out, &ol, &trunc), 0);
    assert_false(trunc);
    assert_int_equal(ol, tl);
    assert_memory_equal(out, text, tl);
    assert_int_equal(out[tl], '\0');
    free(out);
    free(z);
    free(text);
}

/* A compression bomb costs at most the cap, and output comes in bounded chunks. */
static void test_bomb(void **state)
{
    size_t big = 32u * 1024 * 1024, zl;
    char *zeros = calloc(1, big);
    assert_non_null(zeros);
    unsigned char *z = zcompress(zeros, big, 16 + MAX_WBITS, &zl);
    free(zeros);
    assert_true(zl < 100 * 1024);
    struct lt_decoder *d = lt_decoder_new(LT_ENC_GZIP, 1024 * 1024);
    struct sink s = {0};
    assert_int_equal(lt_decoder_feed(d, z, zl, sink_cb, &s), 1);
    assert_int_equal(s.len, 1024 * 1024);
    assert_true(s.max_call <= 16384);
    lt_decoder_free(d);
    free(s.buf);
    free(z);
}

/* br and zstd bombs stop at the cap too. */
static void test_bomb_br_zstd(void **state)
{
    size_t big = 32u * 1024 * 1024, bl, zl;
    char *zeros = calloc(1, big);
    assert_non_null(zeros);
    unsigned char *b = brcompress(zeros, big, &bl);
    unsigned char *z = zstdcompress(zeros, big, 3, false, &zl);
    free(zeros);
    assert_true(bl < 100 * 1024 && zl < 100 * 1024);
    static const enum lt_encoding encs[] = {LT_ENC_BR, LT_ENC_ZSTD};
    for (size_t i = 0; i < 2; i++) {
        struct lt_decoder *d = lt_decoder_new(encs[i], 1024 * 1024);
        struct sink s = {0};
        assert_int_equal(lt_decoder_feed(d, i ? z : b, i ? zl : bl, sink_cb, &s), 1);
        assert_int_equal(s.len, 1024 * 1024);
        assert_true(s.max_call <= 16384);
        /* Further input is ignored. */
        assert_int_equal(lt_decoder_feed(d, i ? z : b, i ? zl : bl, sink_cb, &s), 1);
        assert_int_equal(s.len, 1024 * 1024);
        lt_decoder_free(d);
        free(s.buf);
    }
    free(b);
    free(z);
}

/* Corrupt br and zstd: -EINVAL at every split; the error is sticky. With `prefix`, the output
 * before it is a prefix of the text (zstd has no check on the data before its closing
 * checksum, so damaged literals decode to other bytes first). How much came out before the
 * error may depend on the split for br (its ring buffer is pushed out when input runs dry). */
static void corrupt_splits(enum lt_encoding enc, const unsigned char *z, size_t zl,
                           const char *text, size_t tl, bool prefix)
{
    for (size_t at = 0; at <= zl; at += 5) {
        struct lt_decoder *d = lt_decoder_new(enc, 0);
        struct sink s = {0};
        int rc = feed_guarded(d, z, at, &s);
        if (rc == 0)
            rc = feed_guarded(d, z + at, zl - at, &s);
        if (rc != -EINVAL)
            fail_msg("enc %d split %zu: rc %d", (int)enc, at, rc);
        assert_true(s.len <= tl);
        if (prefix && s.len)
            assert_memory_equal(s.buf, text, s.len);
        assert_int_equal(feed_guarded(d, z, zl, &s), -EINVAL);
        assert_false(lt_decoder_done(d));
        lt_decoder_free(d);
        free(s.buf);
    }
}

static void test_corrupt_br_zstd(void **state)
{
    size_t tl, bl, zl;
    char *text = make_text(&tl);
    char *out;
    size_t ol;
    bool trunc;

    /* Not compressed at all. */
    static const char plain[] = "{\"error\":{\"message\":\"not compressed\"}}";
    assert_int_equal(lt_decode_all(LT_ENC_BR, plain, sizeof(plain) - 1, 0, &out, &ol, &trunc),
                     -EINVAL);
    free(out);
    assert_int_equal(lt_decode_all(LT_ENC_ZSTD, plain, sizeof(plain) - 1, 0, &out, &ol, &trunc),
                     -EINVAL);
    free(out);

    /* Brotli has no checksum: damage may just decode to other bytes. Take the first damage
     * past the middle that the format check catches, whatever the encoder's version. */
    unsigned char *b = brcompress(text, tl, &bl);
    size_t pos;
    for (pos = bl / 2; pos < bl; pos++) {
        b[pos] ^= 0xa5;
        int rc = lt_decode_all(LT_ENC_BR, b, bl, 0, &out, &ol, &trunc);
        free(out);
        if (rc == -EINVAL)
            break;
        b[pos] ^= 0xa5;
    }
    assert_true(pos < bl);
    corrupt_splits(LT_ENC_BR, b, bl, text, tl, false);
    free(b);
    /* Padding bits after the last (empty) meta-block must be zero (RFC 7932 §9.2). */
    static const unsigned char pad[] = {0x86};
    assert_int_equal(lt_decode_all(LT_ENC_BR, pad, 1, 0, &out, &ol, &trunc), -EINVAL);
    free(out);
    assert_int_equal(lt_decode_all(LT_ENC_BR, "\x06", 1, 0, &out, &ol, &trunc), 0);
    free(out);

    unsigned char *z = zstdcompress(text, tl, 3, true, &zl);
    for (size_t i = zl / 2; i < zl / 2 + 8; i++)
        z[i] ^= 0x5a;
    corrupt_splits(LT_ENC_ZSTD, z, zl, text, tl, false);
    free(z);
    /* The first block header given the reserved Block_Type 3 (RFC 8878 §3.1.1.2.2): found
     * before any output. The frame header's size follows from its descriptor (§3.1.1.1). */
    z = zstdcompress(text, tl, 3, false, &zl);
    unsigned fhd = z[4];
    static const size_t fcs[4] = {0, 2, 4, 8}, did[4] = {0, 1, 2, 4};
    size_t fh = 5 + !(fhd & 0x20) + did[fhd & 3] + ((fhd >> 6) ? fcs[fhd >> 6] : !!(fhd & 0x20));
    z[fh] |= 0x06;
    corrupt_splits(LT_ENC_ZSTD, z, zl, text, tl, true);
    free(z);

    /* A damaged content checksum: the data decodes, then the check fails; what libzstd had
     * flushed by then is kept (it may hold back the end of the last block). */
    z = zstdcompress(text, tl, 3, true, &zl);
    z[zl - 1] ^= 0xff;
    assert_int_equal(lt_decode_all(LT_ENC_ZSTD, z, zl, 0, &out, &ol, &trunc), -EINVAL);
    assert_true(ol >= 16384 && ol <= tl);
    assert_memory_equal(out, text, ol);
    free(out);
    free(z);

    /* Garbage after a zstd frame is not a frame. */
    static const char msg[] = "hello";
    z = zstdcompress(msg, 5, 3, false, &zl);
    unsigned char *x = malloc(zl + 8);
    assert_non_null(x);
    memcpy(x, z, zl);
    memcpy(x + zl, "garbage!", 8);
    assert_int_equal(lt_decode_all(LT_ENC_ZSTD, x, zl + 8, 0, &out, &ol, &trunc), -EINVAL);
    assert_string_equal(out, msg);
    free(out);
    struct lt_decoder *d = lt_decoder_new(LT_ENC_ZSTD, 0);
    struct sink s = {0};
    assert_int_equal(feed_guarded(d, x, zl, &s), 0);
    assert_true(lt_decoder_done(d));
    assert_int_equal(feed_guarded(d, x + zl, 8, &s), -EINVAL);
    assert_false(lt_decoder_done(d)); /* the frame ended, but the stream is corrupt */
    assert_int_equal(s.len, 5);
    lt_decoder_free(d);
    free(s.buf);
    free(x);
    free(z);
    free(text);
}

/* Reference: all the output the library can give for `in` with unlimited room. */
static size_t br_reference(const unsigned char *in, size_t n)
{
    BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    size_t cap = 1u << 20, avail_out = cap;
    uint8_t *out = malloc(cap), *next_out = out;
    assert_non_null(out);
    BrotliDecoderDecompressStream(st, &n, &in, &avail_out, &next_out, NULL);
    BrotliDecoderDestroyInstance(st);
    free(out);
    return cap - avail_out;
}

static size_t zstd_reference(const unsigned char *in, size_t n)
{
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    size_t cap = 1u << 20;
    void *out = malloc(cap);
    assert_non_null(out);
    ZSTD_inBuffer ib = {in, n, 0};
    ZSTD_outBuffer ob = {out, cap, 0};
    ZSTD_decompressStream(dc, &ob, &ib);
    ZSTD_freeDCtx(dc);
    free(out);
    return ob.pos;
}

/* Cut-short br and zstd streams: no error, a prefix of the text, not done; and every byte
 * the library can decode from the piece is handed out (none left in its window). */
static void test_truncated_br_zstd(void **state)
{
    size_t tl, bl, zl;
    char *text = make_text(&tl);
    unsigned char *b = brcompress(text, tl, &bl);
    unsigned char *z = zstdcompress(text, tl, 3, true, &zl);
    for (int i = 0; i < 2; i++) {
        struct lt_decoder *d = lt_decoder_new(i ? LT_ENC_ZSTD : LT_ENC_BR, 0);
        struct sink s = {0};
        size_t half = (i ? zl : bl) / 2;
        assert_int_equal(feed_guarded(d, i ? z : b, half, &s), 0);
        assert_false(lt_decoder_done(d));
        assert_true(s.len < tl);
        if (s.len)
            assert_memory_equal(s.buf, text, s.len);
        size_t ref = i ? zstd_reference(z, half) : br_reference(b, half);
        if (i == 0) /* zstd: 40 KiB is one block, all or nothing */
            assert_true(ref > 16384);
        assert_int_equal(s.len, ref);
        lt_decoder_free(d);
        free(s.buf);
    }
    free(b);
    free(z);
    free(text);
}

static void test_corrupt(void **state)
{
    char *out;
    size_t ol;
    bool trunc;

    /* Not gzip at all. */
    static const char plain[] = "{\"error\":{\"message\":\"not compressed\"}}";
    assert_int_equal(lt_decode_all(LT_ENC_GZIP, plain, sizeof(plain) - 1, 0, &out, &ol, &trunc),
                     -EINVAL);
    assert_non_null(out);
    free(out);

    /* Raw deflate block with the reserved block type 11. */
    static const unsigned char bad_raw[] = {0x07, 0x00, 0x00, 0x00};
    assert_int_equal(lt_decode_all(LT_ENC_DEFLATE, bad_raw, sizeof(bad_raw), 0, &out, &ol, &trunc),
                     -EINVAL);
    free(out);

    /* gzip with a damaged CRC: everything decodes, then the trailer check fails. */
    static const char msg[] = "hello, trailer";
    size_t zl;
    unsigned char *z = zcompress(msg, sizeof(msg) - 1, 16 + MAX_WBITS, &zl);
    z[zl - 8] ^= 0xff;
    assert_int_equal(lt_decode_all(LT_ENC_GZIP, z, zl, 0, &out, &ol, &trunc), -EINVAL);
    assert_int_equal(ol, sizeof(msg) - 1);
    assert_string_equal(out, msg);
    free(out);

    /* zlib-wrapped with a damaged Adler-32. */
    free(z);
    z = zcompress(msg, sizeof(msg) - 1, MAX_WBITS, &zl);
    z[zl - 1] ^= 0x55;
    struct lt_decoder *d = lt_decoder_new(LT_ENC_DEFLATE, 0);
    struct sink s = {0};
    assert_int_equal(feed_guarded(d, z, zl, &s), -EINVAL);
    /* The error is sticky. */
    assert_int_equal(feed_guarded(d, z, zl, &s), -EINVAL);
    assert_false(lt_decoder_done(d));
    lt_decoder_free(d);
    free(s.buf);
    free(z);

    /* Corruption found at every split point is still found. */
    size_t tl;
    char *text = make_text(&tl);
    z = zcompress(text, tl, 16 + MAX_WBITS, &zl);
    z[zl / 2] ^= 0xa5;
    z[zl / 2 + 1] ^= 0x5a;
    for (size_t at = 0; at <= zl; at += 7) {
        d = lt_decoder_new(LT_ENC_GZIP, 0);
        memset(&s, 0, sizeof(s));
        int rc = feed_guarded(d, z, at, &s);
        if (rc == 0)
            rc = feed_guarded(d, z + at, zl - at, &s);
        assert_int_equal(rc, -EINVAL);
        lt_decoder_free(d);
        free(s.buf);
    }
    free(z);
    free(text);
}

/* A truncated stream is not an error: what decoded is returned, done() says it ended early. */
static void test_truncated(void **state)
{
    size_t tl, zl;
    char *text = make_text(&tl);
    unsigned char *z = zcompress(text, tl, 16 + MAX_WBITS, &zl);
    struct lt_decoder *d = lt_decoder_new(LT_ENC_GZIP, 0);
    struct sink s = {0};
    assert_int_equal(feed_guarded(d, z, zl / 2, &s), 0);
    assert_false(lt_decoder_done(d));
    assert_true(s.len > 0 && s.len < tl);
    assert_memory_equal(s.buf, text, s.len);
    lt_decoder_free(d);
    free(s.buf);

    char *out;
    size_t ol;
    bool trunc;
    assert_int_equal(lt_decode_all(LT_ENC_DEFLATE, z + 10, 1, 0, &out, &ol, &trunc), 0);
    assert_int_equal(ol, 0);
    assert_string_equal(out, "");
    free(out);
    free(z);
    free(text);
}

static void test_callback_stop(void **state)
{
    size_t tl, zl;
    char *text = make_text(&tl);
    unsigned char *z = zcompress(text, tl, 16 + MAX_WBITS, &zl);
    struct lt_decoder *d = lt_decoder_new(LT_ENC_GZIP, 0);
    struct sink s = {0};
    s.stop_at = 1;
    assert_int_equal(feed_guarded(d, z, zl, &s), 9);
    assert_true(s.calls == 1);
    lt_decoder_free(d);
    free(s.buf);
    free(z);
    free(text);
}

static void test_new_unknown(void **state)
{
    assert_null(lt_decoder_new(LT_ENC_UNKNOWN, 0));
    lt_decoder_free(NULL);
    char *out = (char *)1;
    size_t ol = 1;
    bool trunc = true;
    assert_int_equal(lt_decode_all(LT_ENC_UNKNOWN, "x", 1, 0, &out, &ol, &trunc), -EINVAL);
    assert_null(out);
    assert_int_equal(ol, 0);
    assert_false(trunc);
    assert_int_equal(lt_decode_all(LT_ENC_IDENTITY, "", 0, 0, &out, &ol, NULL), 0);
    assert_string_equal(out, "");
    free(out);
}

static void test_encoding_parse(void **state)
{
    static const struct {
        const char *v;
        enum lt_encoding want;
    } cases[] = {
        {"", LT_ENC_IDENTITY},
        {"   ", LT_ENC_IDENTITY},
        {"identity", LT_ENC_IDENTITY},
        {"IDENTITY", LT_ENC_IDENTITY},
        {"gzip", LT_ENC_GZIP},
        {"GZip", LT_ENC_GZIP},
        {"  gzip\t", LT_ENC_GZIP},
        {"x-gzip", LT_ENC_GZIP},
        {"X-GZIP", LT_ENC_GZIP},
        {"deflate", LT_ENC_DEFLATE},
        {"Deflate ", LT_ENC_DEFLATE},
        {"br", LT_ENC_BR},
        {"BR", LT_ENC_BR},
        {" br ", LT_ENC_BR},
        {"zstd", LT_ENC_ZSTD},
        {"ZStd", LT_ENC_ZSTD},
        {"brotli", LT_ENC_UNKNOWN},
        {"zst", LT_ENC_UNKNOWN},
        {"zstd, identity", LT_ENC_ZSTD},
        {"gzip, zstd", LT_ENC_ZSTD},
        {"compress", LT_ENC_UNKNOWN},
        {"gzipx", LT_ENC_UNKNOWN},
        {"gzip, identity", LT_ENC_GZIP},
        {"identity, deflate", LT_ENC_DEFLATE},
        {"deflate, gzip", LT_ENC_GZIP},
        {"gzip,br", LT_ENC_BR},
        {"gzip,compress", LT_ENC_UNKNOWN},
        {"br, gzip", LT_ENC_GZIP},
        {"gzip,,", LT_ENC_GZIP},
        {",", LT_ENC_IDENTITY},
        {" , identity ,", LT_ENC_IDENTITY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].v);
        struct guarded g = guard_copy(cases[i].v, n);
        enum lt_encoding got = lt_encoding_parse(g.p, n);
        guard_free(&g);
        if (got != cases[i].want)
            fail_msg("'%s': got %d want %d", cases[i].v, (int)got, (int)cases[i].want);
    }
    assert_int_equal(lt_encoding_parse(NULL, 0), LT_ENC_IDENTITY);
    /* Not NUL-terminated: only n bytes count. */
    assert_int_equal(lt_encoding_parse("gzipped", 4), LT_ENC_GZIP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_deflate_zlib),
        cmocka_unit_test(test_deflate_raw),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_new_unknown),
        cmocka_unit_test(test_encoding_parse),
        cmocka_unit_test(test_brotli),
        cmocka_unit_test(test_brotli_trailing),
        cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_zstd_frames),
        cmocka_unit_test(test_zstd_window_limit),
        cmocka_unit_test(test_bomb_br_zstd),
        cmocka_unit_test(test_corrupt_br_zstd),
        cmocka_unit_test(test_truncated_br_zstd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
