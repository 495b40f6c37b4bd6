/* fuzz_decode.c — libFuzzer target for the Content-Encoding decoders (preload/http/decode.c).
 * The first byte selects the encoding (identity, gzip, deflate, br, zstd: byte % 5) and the
 * split point; the rest is fed in two pieces and must decode exactly like a one-piece feed.
 * Except on corrupt br/zstd data: how much came out before the error depends on the split
 * (their windows are flushed when input runs dry), so one run may reach the cap first while
 * the other hits the error; both must still fail or stop, never succeed. The bytes are also
 * parsed as a header value. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/decode.h"

#define FUZZ_CAP (256u * 1024u)

struct digest {
    uint64_t h;
    size_t n;
};

static int on_out(void *ud, const char *p, size_t len)
{
    struct digest *d = ud;
    if (len == 0)
        abort();
    for (size_t i = 0; i < len; i++)
        d->h = (d->h ^ (unsigned char)p[i]) * 1099511628211ull;
    d->n += len;
    return 0;
}

static int run(enum lt_encoding enc, const uint8_t *in, size_t n, size_t at, struct digest *d,
               bool *done)
{
    struct lt_decoder *dec = lt_decoder_new(enc, FUZZ_CAP);
    if (!dec)
        abort();
    uint8_t *a = malloc(at ? at : 1), *b = malloc(n - at ? n - at : 1);
    if (!a || !b)
        abort();
    memcpy(a, in, at);
    memcpy(b, in + at, n - at);
    int rc = lt_decoder_feed(dec, a, at, on_out, d);
    int rc2 = lt_decoder_feed(dec, b, n - at, on_out, d);
    /* Errors and the cap are sticky. */
    if ((rc < 0 && rc2 != rc) || (rc == 1 && rc2 != 1))
        abort();
    if (d->n > FUZZ_CAP)
        abort();
    *done = lt_decoder_done(dec);
    lt_decoder_free(dec);
    free(a);
    free(b);
    return rc2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const enum lt_encoding encs[] = {LT_ENC_IDENTITY, LT_ENC_GZIP, LT_ENC_DEFLATE, LT_ENC_BR,
                                            LT_ENC_ZSTD};
    enum lt_encoding enc = encs[data[0] % 5];
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    size_t at = n * (data[0] / 5u) / 51u;
    if (at > n)
        at = n;

    struct digest whole = {14695981039346656037ull, 0}, split = whole;
    bool dw, ds;
    int rw = run(enc, in, n, n, &whole, &dw);
    int rs = run(enc, in, n, at, &split, &ds);
    if ((enc == LT_ENC_BR || enc == LT_ENC_ZSTD) && (rw < 0 || rs < 0)) {
        if (rw == 0 || rs == 0 || (rw < 0 && rs < 0 && rw != rs))
            abort();
    } else if (rw != rs || dw != ds || whole.h != split.h || whole.n != split.n) {
        abort();
    }

    char *out;
    size_t ol;
    bool trunc;
    int r = lt_decode_all(enc, in, n, FUZZ_CAP, &out, &ol, &trunc);
    if (r == 0 || r == -EINVAL) {
        if (!out || out[ol] != '\0' || ol != whole.n)
            abort();
        free(out);
    }

    (void)lt_encoding_parse((const char *)in, n);
    return 0;
}
