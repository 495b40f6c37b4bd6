/* shape.h — the shape of the last skipped stream event (content capture off).
 *
 * A provider's stream repeats one event shape: OpenAI's 200 chat.completion.chunk events of a
 * reply differ only in the delta's "content" string, Anthropic's content_block_delta events
 * in "text", Responses' output_text.delta events in "delta", "sequence_number" and
 * "obfuscation". When an adapter's event_needed (adapter.h) has judged one such event not
 * needed, the next one that equals it byte for byte except inside the string or number
 * values of the adapter's `free_keys` — keys whose values event_needed never reads — is not
 * needed either, and needs no key scan: comparing it with the recorded event is a few
 * memcmp calls. The recording is forgotten as soon as an event is needed, since
 * event_needed's answer depends on the state that event changes.
 *
 * Why equal shape implies the same answer: with every byte outside the free values equal,
 * the raw key scan (lt_json_scan_keys) finds the same keys at the same places; the free
 * values stay what they were (a string, ending at its first unescaped quote; a number) and
 * event_needed's callbacks read only their own key's value. Exporter thread only. */
#ifndef LT_GENAI_SHAPE_H
#define LT_GENAI_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Free values recorded per event at most; an event with more is not recorded. */
#define LT_SHAPE_MAX_VALUES 4
/** Events longer than this (type + data, bytes) are not recorded. */
#define LT_SHAPE_MAX_BYTES 4096
/** Recordings that matched no later event before the shape cache gives up for the stream
 *  (a stream whose events never repeat pays one extra key scan per event until then). */
#define LT_SHAPE_MAX_FRUITLESS 8

/** One free value of the recorded event: `len` bytes at `off` in its data (a string's
 *  content between its quotes, or a number's text). */
struct lt_shape_value {
    size_t off, len;
    bool string;
};

/** The last skipped event of one stream. Zero it with lt_shape_init(); owns `buf` (heap,
 *  at most LT_SHAPE_MAX_BYTES); release with lt_shape_cleanup(). */
struct lt_event_shape {
    char *buf; /* the event's type bytes, then its data bytes */
    size_t type_len, data_len;
    struct lt_shape_value vals[LT_SHAPE_MAX_VALUES];
    size_t n_vals;
    bool valid;         /* a recording is held */
    bool one_line;      /* the recorded data holds no CR or LF (lt_shape_match_prefix) */
    bool off;           /* gave up for this stream (LT_SHAPE_MAX_FRUITLESS) */
    unsigned hits;      /* events matched since the recording */
    unsigned fruitless; /* recordings replaced without a single match */
};

/** Start empty. */
void lt_shape_init(struct lt_event_shape *s);
/** Free the recording. */
void lt_shape_cleanup(struct lt_event_shape *s);

/** True when the event (`type`, `type_len` bytes; `data`, `n` bytes) has the recorded
 *  event's shape: the same type, and the same data except inside the free values, each
 *  still a string (no unescaped quote inside) or a number (a non-empty run of
 *  `0-9 + - . e E`). False when nothing is recorded. Counts the match. */
bool lt_shape_match(struct lt_event_shape *s, const char *type, size_t type_len, const char *data,
                    size_t n);

/** lt_shape_match() for an event whose end is not known yet: the event is the first bytes
 *  of `data` (`avail` bytes), as in a stream not yet framed. Matches only when the recorded
 *  data is one line and the matched bytes hold no CR or LF, so a line-based framing (SSE)
 *  that finds a line end right after them frames exactly this event. Returns the matched
 *  event's length in bytes (counted as a match), or SIZE_MAX when it does not match. */
size_t lt_shape_match_prefix(struct lt_event_shape *s, const char *type, size_t type_len,
                             const char *data, size_t avail);

/** Record an event event_needed judged not needed, with the values of `free_keys` (a
 *  NULL-terminated list of key names, at any depth) that are strings or numbers as its free
 *  values. Keeps the earlier recording (still true: no event was needed since) when this
 *  one cannot be made: the event is too long, has no or too many free values or a key the
 *  raw scan cannot read, or memory is short. */
void lt_shape_record(struct lt_event_shape *s, const char *const *free_keys, const char *type,
                     size_t type_len, const char *data, size_t n);

/** Drop the recording: an event was needed, so event_needed's state may have changed. */
void lt_shape_forget(struct lt_event_shape *s);

#endif
