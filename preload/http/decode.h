/* decode.h — incremental Content-Encoding decoders (RFC 9110 §8.4.1): gzip and deflate via
 * zlib, br (RFC 7932) via libbrotlidec, zstd (RFC 8878, RFC 9659) via libzstd. Used on a
 * copy of body bytes for parsing only; output is capped so a compression bomb costs at most
 * the cap. */
#ifndef LT_DECODE_H
#define LT_DECODE_H

#include <stdbool.h>
#include <stddef.h>

/** Content codings llmtap can decode. */
enum lt_encoding {
    LT_ENC_IDENTITY = 0,
    LT_ENC_GZIP,    /* "gzip", "x-gzip" */
    LT_ENC_DEFLATE, /* "deflate": zlib-wrapped, or raw deflate as some servers send */
    LT_ENC_UNKNOWN, /* anything else (compress, …): body not decodable here */
    LT_ENC_BR,      /* "br": Brotli (RFC 7932) */
    LT_ENC_ZSTD,    /* "zstd": Zstandard frames (RFC 8878), window at most 8 MiB (RFC 9659) */
};

/** Map a Content-Encoding header value (case-insensitive, whitespace trimmed; a list such as
 *  "gzip, identity" uses its last non-identity coding) to an lt_encoding. */
enum lt_encoding lt_encoding_parse(const char *v, size_t n);

/** Called with decoded bytes. Return 0 to go on, non-zero to stop. */
typedef int (*lt_decode_cb)(void *ud, const char *p, size_t n);

/** Decoder state; opaque, heap-allocated by lt_decoder_new(). */
struct lt_decoder;

/** Create a decoder for `enc` whose total output is capped at `max_out` bytes (0 = 64 MiB).
 *  Returns NULL for LT_ENC_UNKNOWN or on ENOMEM. LT_ENC_IDENTITY passes bytes through. */
struct lt_decoder *lt_decoder_new(enum lt_encoding enc, size_t max_out);

/** Decode `n` input bytes, calling `cb` with output as it is produced (at most 16 KiB per
 *  call). Returns 0; 1 when the output cap was reached (further input is ignored); -EINVAL
 *  on corrupt data (sticky), including a zstd frame whose window exceeds 8 MiB; -ENOMEM;
 *  the callback's non-zero value if it stopped. Output the library produced before an
 *  error was handed out; for br and zstd how much that is can depend on how the input was
 *  split (their windows are flushed when input runs dry). Every byte decodable from the
 *  input so far is handed out by the time a feed returns 0. Bytes after the end of a
 *  gzip/deflate/br stream are ignored; zstd and gzip take further frames/members. */
int lt_decoder_feed(struct lt_decoder *d, const void *in, size_t n, lt_decode_cb cb, void *ud);

/** True once the compressed stream reached its end marker (zstd: the last frame fed so far
 *  is complete) and no error followed. */
bool lt_decoder_done(const struct lt_decoder *d);

/** Free the decoder. NULL is allowed. */
void lt_decoder_free(struct lt_decoder *d);

/** One-shot helper: decode all of `in` into a new NUL-terminated heap buffer (*out, caller
 *  frees, *out_len bytes excluding the NUL), capped at `max_out`. *truncated is set when the
 *  cap cut the output. Returns 0 or -EINVAL/-ENOMEM (on -EINVAL *out holds what decoded). */
int lt_decode_all(enum lt_encoding enc, const void *in, size_t n, size_t max_out, char **out,
                  size_t *out_len, bool *truncated);

#endif
