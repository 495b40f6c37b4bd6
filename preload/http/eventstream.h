/* eventstream.h — incremental decoder of the AWS event stream encoding
 * (application/vnd.amazon.eventstream; Bedrock ConverseStream and
 * InvokeModelWithResponseStream): prelude (total length, headers length, prelude CRC32),
 * typed headers, payload, message CRC32. STUB: interface only, to be implemented. */
#ifndef LT_EVENTSTREAM_H
#define LT_EVENTSTREAM_H

#include <stddef.h>

#include "../buf.h"

/** One decoded message. The string views point at the message's own bytes (valid during the
 *  callback only); an absent header has a NULL view and length 0. */
struct lt_es_message {
    const char *message_type; /* ":message-type": "event", "exception" or "error" */
    size_t message_type_len;
    const char *event_type; /* ":event-type", e.g. "contentBlockDelta", "chunk" */
    size_t event_type_len;
    const char *exception_type; /* ":exception-type", or ":error-code" for errors */
    size_t exception_type_len;
    const char *content_type; /* ":content-type" */
    size_t content_type_len;
    const char *payload;
    size_t payload_len;
};

/** Decoder state; embed it and use the functions below. */
struct lt_es_parser {
    struct lt_buf cur;  /* bytes of the message being assembled */
    size_t max_message; /* cap on one message's total length in bytes */
    int failed;         /* a framing or CRC error stopped the decoder for good */
};

/** Called per message whose CRCs check out. Return 0 to go on, non-zero to stop. */
typedef int (*lt_es_cb)(void *ud, const struct lt_es_message *m);

/** Initialise `p`; a message longer than `max_message` bytes is a framing error. */
void lt_es_init(struct lt_es_parser *p, size_t max_message);

/** Feed `n` bytes. Returns 0; -EINVAL on a bad prelude, CRC mismatch, malformed headers or an
 *  oversized message (the decoder then ignores further input); -ENOMEM; or the callback's
 *  non-zero value. */
int lt_es_feed(struct lt_es_parser *p, const char *d, size_t n, lt_es_cb cb, void *ud);

/** Free what `p` owns. */
void lt_es_cleanup(struct lt_es_parser *p);

#endif
