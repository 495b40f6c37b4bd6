/* sse.h — incremental parser for Server-Sent Events (WHATWG HTML "Server-sent events",
 * §9.2.6 "Interpreting an event stream"). Feeds arbitrary splits; lines end in CRLF, LF or
 * CR; events are dispatched on a blank line. Memory per event is bounded. */
#ifndef LT_SSE_H
#define LT_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One dispatched event. `type` is "message" when the stream named none. Views are valid
 *  only during the callback; `data` has its trailing LF removed as the spec says and is not
 *  NUL-terminated (it may be a view into the fed bytes). */
struct lt_sse_event {
    const char *type;
    size_t type_len;
    const char *data;
    size_t data_len;
    const char *id;
    size_t id_len;
};

/** Called once per event. Return 0 to go on, non-zero to stop (lt_sse_feed returns it). */
typedef int (*lt_sse_event_cb)(void *ud, const struct lt_sse_event *ev);

/** Optional (lt_sse_set_skip): asked, at the start of a "data:" line while no event is
 *  being built, whether the consumer would ignore an event whose data is the value that
 *  starts at `data` (`avail` bytes of the feed from there on, not yet framed) and whose type
 *  is `type`. Returns the length in bytes of the value it would ignore, which must hold no
 *  CR or LF, or SIZE_MAX. When a line end and then a blank line follow exactly that many
 *  bytes, the event is counted as dispatched and skipped without being framed or handed to
 *  the event callback; otherwise the line is parsed as usual. Same `ud` as the event
 *  callback. */
typedef size_t (*lt_sse_skip_fn)(void *ud, const char *type, size_t type_len, const char *data,
                                 size_t avail);

/** Parser state; embed and lt_sse_init(). Owns heap buffers freed by lt_sse_cleanup(). */
struct lt_sse_parser {
    size_t max_event; /* cap in bytes on one event's data+line buffers */
    char *line;       /* current, incomplete line */
    size_t line_len, line_cap;
    char *data; /* data buffer of the event being built */
    size_t data_len, data_cap;
    char type[64]; /* event type ("event:" field, truncated to 63 bytes) */
    size_t type_len;
    char id[128]; /* last event id, truncated to 127 bytes */
    size_t id_len;
    bool have_data;   /* a data field was seen in this event */
    bool skip_lf;     /* previous chunk ended in CR: a leading LF is part of it */
    bool bom_checked; /* the optional leading U+FEFF was handled */
    bool overflow;    /* current event exceeded max_event: it is dropped */
    size_t events;    /* events dispatched so far */
    size_t dropped;   /* events dropped for size */
    size_t skipped;   /* of `events`, those lt_sse_skip_fn skipped unframed */
    lt_sse_skip_fn skip;
};

/** Initialise; `max_event` bytes cap one event (0 = 1 MiB). */
void lt_sse_init(struct lt_sse_parser *p, size_t max_event);

/** Install (or, with NULL, remove) the skip hook; see lt_sse_skip_fn. */
void lt_sse_set_skip(struct lt_sse_parser *p, lt_sse_skip_fn skip);
/** Feed bytes; calls `cb` for every complete event. Returns 0, the callback's non-zero
 *  value if it stopped, or -ENOMEM. An event over the cap is dropped (counted). */
int lt_sse_feed(struct lt_sse_parser *p, const char *buf, size_t n, lt_sse_event_cb cb, void *ud);

/** End of stream: the spec discards an unterminated final event; llmtap dispatches it when
 *  it has data (servers that close without the blank line), returning like lt_sse_feed. */
int lt_sse_finish(struct lt_sse_parser *p, lt_sse_event_cb cb, void *ud);

/** Free the parser's buffers. */
void lt_sse_cleanup(struct lt_sse_parser *p);

#endif
