/* h2.h — incremental HTTP/2 frame reader for one direction of a connection (RFC 9113),
 * header blocks decoded with nghttp2's HPACK inflater (RFC 7541; one stateful inflater per
 * direction, fed every header block in order so its dynamic table never desyncs). It only
 * observes: it never answers frames, and flow control is not enforced. DATA payload is
 * streamed out as it arrives (never buffered); header blocks are inflated as their bytes
 * arrive, so memory stays bounded whatever the frame or block sizes. */
#ifndef LT_H2_H
#define LT_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Most header fields reported for one header block; further fields are left out (still
 *  decoded, so the HPACK state stays in sync) and the block is marked `truncated`. */
#define LT_H2_MAX_FIELDS 128
/** Most bytes of names + values kept for one header block (same overflow rule). */
#define LT_H2_MAX_ARENA (32u * 1024u)
/** HPACK dynamic table size (bytes) a new reader accepts from the encoder. Generous on
 *  purpose: browsers advertise 65536, and the SETTINGS that allows it travels in the OTHER
 *  direction, which the caller may see late. A larger limit than the encoder's never
 *  changes what a block decodes to (RFC 7541 §4: the limit only caps; the encoder signals
 *  the size it really uses with a table size update). */
#define LT_H2_DEFAULT_TABLE_SIZE 65536u
/** Largest table size lt_h2_set_header_table_size() will allow (memory bound per reader). */
#define LT_H2_MAX_TABLE_SIZE (1024u * 1024u)

/** Which side wrote the bytes this reader sees. */
enum lt_h2_dir {
    LT_H2_CLIENT, /* client → server: the 24-byte connection preface, then frames */
    LT_H2_SERVER, /* server → client: frames from the first byte (a SETTINGS frame) */
};

/** One decoded header field; views valid during the callback only. */
struct lt_h2_header {
    const char *name; /* as sent (lower-case in valid HTTP/2), pseudo-headers included */
    size_t name_len;
    const char *value;
    size_t value_len;
};

/** Frame events. Every member is optional (NULL = not interested). Callbacks must not
 *  feed or free the reader that calls them; lt_h2_set_header_table_size() is allowed. */
struct lt_h2_callbacks {
    /* A complete HEADERS block (HEADERS + CONTINUATION…) for `stream_id`, in wire order.
     * `n` ≤ LT_H2_MAX_FIELDS fields; `truncated` when some did not fit (LT_H2_MAX_FIELDS /
     * LT_H2_MAX_ARENA, or memory ran out) and were left out; `end_stream` when the HEADERS
     * frame had END_STREAM. Trailers arrive as a second block on the same stream.
     * PUSH_PROMISE blocks are decoded (HPACK state) but not reported. */
    void (*on_headers)(void *ud, uint32_t stream_id, const struct lt_h2_header *h, size_t n,
                       bool truncated, bool end_stream);
    /* DATA payload (padding removed) for `stream_id`, in pieces as the bytes arrive: one
     * frame may give several calls. `end_stream` is true on the last call for a frame with
     * END_STREAM only; that call may have n == 0 (empty or padded frame). No call for an
     * empty DATA frame without END_STREAM. */
    void (*on_data)(void *ud, uint32_t stream_id, const char *p, size_t n, bool end_stream);
    /* RST_STREAM for `stream_id` with its error code (RFC 9113 §6.4, codes §7). */
    void (*on_rst_stream)(void *ud, uint32_t stream_id, uint32_t error_code);
    /* GOAWAY: streams above `last_stream_id` will not be processed (RFC 9113 §6.8). Called
     * once the first 8 payload bytes are in; debug data is skipped. */
    void (*on_goaway)(void *ud, uint32_t last_stream_id, uint32_t error_code);
    /* A SETTINGS frame (not an ACK) set SETTINGS_HEADER_TABLE_SIZE to `size` (one call per
     * occurrence): the OTHER direction's reader must allow that much
     * (lt_h2_set_header_table_size on it). */
    void (*on_header_table_size)(void *ud, uint32_t size);
};

/** Reader state for one direction; opaque, allocate with lt_h2_new(). */
struct lt_h2_reader;

/** A new reader for direction `dir` (HPACK table limit LT_H2_DEFAULT_TABLE_SIZE), or NULL on
 *  ENOMEM. Free with lt_h2_free(). */
struct lt_h2_reader *lt_h2_new(enum lt_h2_dir dir);

/** Feed `n` bytes in order; they may be split anywhere. Returns 0, or:
 *  -EINVAL when the bytes are not (or stop being) valid HTTP/2: bad client preface, first
 *  frame not SETTINGS (RFC 9113 §3.4), HPACK error, CONTINUATION misuse (§6.10), bad
 *  padding, a frame of the wrong size or on the wrong stream for its type (DATA/HEADERS on
 *  stream 0, RST_STREAM ≠ 4 bytes, GOAWAY < 8 bytes, SETTINGS not a multiple of 6), or an
 *  encoder table size above the limit; -ENOMEM when the HPACK inflater ran out of memory.
 *  Both are sticky: the reader ignores all further input and returns the same code.
 *  Frames of any size up to 2^24-1 bytes are accepted (SETTINGS_MAX_FRAME_SIZE is not
 *  enforced); header names/values above 64 KiB fail in nghttp2 (-EINVAL). Callbacks run
 *  synchronously, `cb` may be NULL. */
int lt_h2_feed(struct lt_h2_reader *r, const void *p, size_t n, const struct lt_h2_callbacks *cb,
               void *ud);

/** The peer (the other direction) advertised SETTINGS_HEADER_TABLE_SIZE = `size` bytes for
 *  the encoder whose blocks this reader decodes: allow the encoder a table that large
 *  (capped at LT_H2_MAX_TABLE_SIZE). Only ever raises the limit — a smaller value is
 *  ignored, because the encoder must announce a reduction in-band (RFC 7541 §4.2, §6.3)
 *  and a decoder limit above the encoder's is harmless. Applied at once, or before the next
 *  header block when one is being decoded. */
void lt_h2_set_header_table_size(struct lt_h2_reader *r, uint32_t size);

/** Free the reader. NULL is allowed. */
void lt_h2_free(struct lt_h2_reader *r);

/** How `p` (the first `n` bytes a client wrote) compares with the client connection preface
 *  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113 §3.4): 1 = it starts with the whole preface
 *  (n ≥ 24), 0 = a proper prefix so far (need more bytes; also n == 0), -1 = not HTTP/2. */
int lt_h2_preface_match(const void *p, size_t n);

#endif
