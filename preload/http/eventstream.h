/* eventstream.h — incremental decoder of the AWS event stream encoding
 * (application/vnd.amazon.eventstream; Bedrock ConverseStream and
 * InvokeModelWithResponseStream): prelude (total length, headers length, prelude CRC32),
 * typed headers, payload, message CRC32. Both CRCs are checked; memory is bounded by one
 * message (`max_message`). */
#ifndef LT_EVENTSTREAM_H
#define LT_EVENTSTREAM_H

#include <stddef.h>

#include "../buf.h"

/** One decoded message. The string views point at the message's own bytes (valid during the
 *  callback only, not NUL-terminated); an absent header, or one whose value is not of the
 *  string type (7), has a NULL view and length 0. */
struct lt_es_message {
    const char *message_type; /* ":message-type": "event", "exception" or "error" */
    size_t message_type_len;
    const char *event_type; /* ":event-type", e.g. "contentBlockDelta", "chunk" */
    size_t event_type_len;
    const char *exception_type; /* ":exception-type", or ":error-code" for errors */
    size_t exception_type_len;
    const char *error_message; /* ":error-message" (message-type "error" only) */
    size_t error_message_len;
    const char *content_type; /* ":content-type" */
    size_t content_type_len;
    const char *payload; /* the payload bytes (JSON for Bedrock); length 0 when empty */
    size_t payload_len;
};

/** Decoder state; embed it, lt_es_init(), feed, lt_es_cleanup(). */
struct lt_es_parser {
    struct lt_buf cur;  /* bytes of a message split across feeds, capped at max_message */
    size_t max_message; /* cap on one message's total length in bytes */
    size_t need;        /* total length of the message in `cur` once its prelude is in */
    size_t messages;    /* messages delivered so far */
    int failed;         /* 0, or the sticky error (-EINVAL, -ENOMEM) that stopped the decoder */
};

/** Called per message whose CRCs check out. Return 0 to go on, non-zero to stop: the feed
 *  returns that value at once and the rest of its input is not looked at. */
typedef int (*lt_es_cb)(void *ud, const struct lt_es_message *m);

/** Initialise `p`; a message longer than `max_message` bytes (0 = 16 MiB, the service
 *  limit) is a framing error. */
void lt_es_init(struct lt_es_parser *p, size_t max_message);

/** Feed `n` bytes (split anywhere), calling `cb` for every message they complete.
 *  Returns 0; -EINVAL on a bad prelude (total length < 16 or > max_message, headers longer
 *  than the message, prelude CRC mismatch), a message CRC mismatch or malformed headers
 *  (a length running past the headers, an unknown value type); -ENOMEM; or the callback's
 *  non-zero value. After -EINVAL or -ENOMEM the decoder ignores further input and every
 *  later feed returns the same code. A message still incomplete when input ends is simply
 *  never delivered. */
int lt_es_feed(struct lt_es_parser *p, const char *d, size_t n, lt_es_cb cb, void *ud);

/** Free what `p` owns; `p` may be initialised again. */
void lt_es_cleanup(struct lt_es_parser *p);

#endif
