/* h2.h — incremental HTTP/2 frame reader for one direction of a connection (RFC 9113),
 * header blocks decoded with nghttp2's HPACK inflater (RFC 7541; one stateful inflater per
 * direction, fed every header block in order so its dynamic table never desyncs). It only
 * observes: it never answers frames, and flow control is not enforced. STUB: interface
 * only, to be implemented. */
#ifndef LT_H2_H
#define LT_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Which side wrote the bytes this reader sees. */
enum lt_h2_dir {
    LT_H2_CLIENT, /* client → server: starts with the connection preface */
    LT_H2_SERVER, /* server → client: starts with a SETTINGS frame */
};

/** One decoded header field; views valid during the callback only. */
struct lt_h2_header {
    const char *name; /* lower-case, pseudo-headers included (":path", ":status", …) */
    size_t name_len;
    const char *value;
    size_t value_len;
};

/** Frame events. Every member is optional (NULL = not interested). */
struct lt_h2_callbacks {
    /* A complete header block (HEADERS + CONTINUATION…, or a PUSH_PROMISE's block, which is
     * decoded to keep HPACK state but not reported) for `stream_id`. `n` fields (capped;
     * `truncated` when some were left out); `end_stream` when the HEADERS frame had
     * END_STREAM. Trailers arrive as a second block on the same stream. */
    void (*on_headers)(void *ud, uint32_t stream_id, const struct lt_h2_header *h, size_t n,
                       bool truncated, bool end_stream);
    /* DATA payload (padding removed) for `stream_id`; may be called with n == 0 when a
     * DATA frame carries only END_STREAM. */
    void (*on_data)(void *ud, uint32_t stream_id, const char *p, size_t n, bool end_stream);
    /* RST_STREAM for `stream_id` with its error code (RFC 9113 §7). */
    void (*on_rst_stream)(void *ud, uint32_t stream_id, uint32_t error_code);
    /* GOAWAY: streams above `last_stream_id` will not be processed. */
    void (*on_goaway)(void *ud, uint32_t last_stream_id, uint32_t error_code);
    /* A SETTINGS frame (not an ACK) set SETTINGS_HEADER_TABLE_SIZE to `size`: the other
     * direction's reader must allow that much (lt_h2_set_header_table_size). */
    void (*on_header_table_size)(void *ud, uint32_t size);
};

/** Reader state for one direction; opaque members, allocate with lt_h2_new(). */
struct lt_h2_reader;

/** A new reader for direction `dir`, or NULL on ENOMEM. */
struct lt_h2_reader *lt_h2_new(enum lt_h2_dir dir);

/** Feed `n` bytes in order. Returns 0; -EINVAL when the bytes are not (or stop being) valid
 *  HTTP/2 (bad preface, frame too large, HPACK error): the reader then ignores further
 *  input; -ENOMEM. Callbacks run synchronously. */
int lt_h2_feed(struct lt_h2_reader *r, const void *p, size_t n, const struct lt_h2_callbacks *cb,
               void *ud);

/** The peer acknowledged (or will) a header table size of `size` bytes for the encoder
 *  whose blocks this reader decodes. */
void lt_h2_set_header_table_size(struct lt_h2_reader *r, uint32_t size);

/** Free the reader. NULL is allowed. */
void lt_h2_free(struct lt_h2_reader *r);

/** How `p` (the first `n` bytes a client wrote) compares with the client connection preface
 *  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": 1 = it is the whole preface (n ≥ 24), 0 = a proper
 *  prefix so far (need more bytes), -1 = not HTTP/2. */
int lt_h2_preface_match(const void *p, size_t n);

#endif
