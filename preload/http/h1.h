/* h1.h — incremental HTTP/1.1 message parser, one instance per direction of a connection
 * (RFC 9112). Bytes may arrive split anywhere; the parser buffers only the message head
 * (bounded), and hands body bytes to the caller with transfer coding removed. */
#ifndef LT_H1_H
#define LT_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** Largest message head (start line + header fields) the parser buffers, in bytes. */
#define LT_H1_MAX_HEAD 65536
/** Most header fields kept in a parsed head; further fields are ignored (still framed). */
#define LT_H1_MAX_HEADERS 100

/** Which side of the exchange the parser reads. */
enum lt_h1_kind {
    LT_H1_REQUEST,  /* client → server bytes */
    LT_H1_RESPONSE, /* server → client bytes */
};

/** A view of bytes inside the parser's head buffer; valid only during on_head. */
struct lt_h1_str {
    const char *p;
    size_t n;
};

/** One header field, name and value with surrounding whitespace removed. */
struct lt_h1_header {
    struct lt_h1_str name;
    struct lt_h1_str value;
};

/** A parsed message head, passed to on_head. All views point into the parser. */
struct lt_h1_head {
    struct lt_h1_str method; /* requests: "POST" */
    struct lt_h1_str target; /* requests: "/v1/chat/completions?x=1" */
    int status;              /* responses: 200; 0 for requests */
    int version_minor;       /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
    struct lt_h1_header headers[LT_H1_MAX_HEADERS];
    size_t n_headers;
    int64_t content_length; /* -1 when absent */
    bool chunked;           /* Transfer-Encoding ends in chunked */
    bool conn_close;        /* Connection: close, or HTTP/1.0 without keep-alive */
};

/** Callbacks; any may be NULL. `ud` is the caller's pointer.
 *  on_head returns 0 to receive the body, 1 to have the body framed but not delivered
 *  (cheap skip), or a negative value to stop (lt_h1_feed then returns LT_H1_E_CALLBACK).
 *  Interim 1xx responses (e.g. 100 Continue) are consumed without calling on_head, except
 *  101 Switching Protocols, which is reported and then ends parsing (LT_H1_S_UPGRADED). */
struct lt_h1_callbacks {
    int (*on_head)(void *ud, const struct lt_h1_head *head);
    void (*on_body)(void *ud, const char *p, size_t n);
    void (*on_complete)(void *ud);
};

/** Parser states (exposed for tests and for callers deciding what a close means). */
enum lt_h1_state {
    LT_H1_S_HEAD = 0,   /* waiting for / reading a message head */
    LT_H1_S_BODY_LEN,   /* Content-Length body */
    LT_H1_S_CHUNK_SIZE, /* chunk-size line (incl. extensions) */
    LT_H1_S_CHUNK_DATA,
    LT_H1_S_CHUNK_DATA_END, /* CRLF after chunk data */
    LT_H1_S_TRAILERS,       /* trailer section after the last chunk */
    LT_H1_S_BODY_EOF,       /* body delimited by connection close (responses) */
    LT_H1_S_UPGRADED,       /* 101 seen: bytes are no longer HTTP/1.x */
    LT_H1_S_ERROR,          /* malformed input: parser refuses further bytes */
};

/** Error codes returned by lt_h1_feed(). */
#define LT_H1_E_INVALID (-1)  /* malformed start line, header, or chunk framing */
#define LT_H1_E_TOOBIG (-2)   /* head longer than LT_H1_MAX_HEAD */
#define LT_H1_E_CALLBACK (-3) /* on_head asked to stop */
#define LT_H1_E_STATE (-4)    /* fed after an error or upgrade */

/** Parser state; embed it and call lt_h1_init(). No heap allocation except the head buffer
 *  (grown up to LT_H1_MAX_HEAD, freed by lt_h1_cleanup()). */
struct lt_h1_parser {
    enum lt_h1_kind kind;
    enum lt_h1_state state;
    bool expect_no_body; /* responses: the request was HEAD (set by lt_h1_expect_head) */
    bool deliver;        /* body bytes go to on_body */
    uint64_t remaining;  /* bytes left in the Content-Length body or current chunk */
    char *head;          /* head bytes collected so far (heap) */
    size_t head_len;
    size_t head_cap;
    size_t line_len; /* bytes of the current chunk-size / trailer line */
    char line[128];  /* chunk-size line buffer (extensions beyond are skipped) */
    struct lt_h1_head parsed;
};

/** Initialise `p` for the given direction. */
void lt_h1_init(struct lt_h1_parser *p, enum lt_h1_kind kind);

/** Release the head buffer. `p` may be re-initialised afterwards. */
void lt_h1_cleanup(struct lt_h1_parser *p);

/** Responses only: the next response answers a HEAD request (no body, whatever its headers).
 *  Call before the response's first byte is fed. */
void lt_h1_expect_head(struct lt_h1_parser *p, bool head_request);

/** Feed `n` bytes. Parses as many messages as the bytes hold (keep-alive), calling the
 *  callbacks in order. Returns the number of bytes consumed (== n unless upgraded, where it
 *  is the offset just after the 101 head), or a negative LT_H1_E_* code; after an error the
 *  parser stays in LT_H1_S_ERROR. Responses with status 1xx/204/304 or to HEAD have no
 *  body; a response without length or chunking is read until lt_h1_eof(). A request without
 *  Content-Length or chunked has no body. */
ssize_t lt_h1_feed(struct lt_h1_parser *p, const char *buf, size_t n,
                   const struct lt_h1_callbacks *cb, void *ud);

/** The connection closed. Completes a close-delimited response body (calls on_complete and
 *  returns 0). Returns 1 when no message was in progress, or -1 when a message was cut off
 *  (head or body incomplete). */
int lt_h1_eof(struct lt_h1_parser *p, const struct lt_h1_callbacks *cb, void *ud);

/** Case-insensitive header lookup in a parsed head; returns the first match or NULL. */
const struct lt_h1_str *lt_h1_header_get(const struct lt_h1_head *h, const char *name);

#endif
