/* test_decode.c — unit tests for the Content-Encoding decoders (preload/http/decode.c).
 * Compressed inputs are made here with zlib from known text, then decoded whole, split at
 * every byte into two guarded pieces, and byte by byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
        {"br", LT_ENC_UNKNOWN},
        {"zstd", LT_ENC_UNKNOWN},
        {"compress", LT_ENC_UNKNOWN},
        {"gzipx", LT_ENC_UNKNOWN},
        {"gzip, identity", LT_ENC_GZIP},
        {"identity, deflate", LT_ENC_DEFLATE},
        {"deflate, gzip", LT_ENC_GZIP},
        {"gzip,br", LT_ENC_UNKNOWN},
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
        cmocka_unit_test(test_gzip),           cmocka_unit_test(test_deflate_zlib),
        cmocka_unit_test(test_deflate_raw),    cmocka_unit_test(test_identity),
        cmocka_unit_test(test_empty_body),     cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_output_cap),     cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_corrupt),        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_callback_stop),  cmocka_unit_test(test_new_unknown),
        cmocka_unit_test(test_encoding_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
