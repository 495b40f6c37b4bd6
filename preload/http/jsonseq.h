/* jsonseq.h — incremental splitter of a stream of JSON values: NDJSON / JSON Lines
 * (application/x-ndjson, Ollama), RFC 7464 json-seq (application/json-seq), and a streamed
 * top-level JSON array ("[v1,v2,…]", Gemini streamGenerateContent without alt=sse). Emits
 * the bytes of each complete top-level value; it does not parse them. Memory is bounded by
 * one value (`max_value`); larger values are skipped without being buffered. */
#ifndef LT_JSONSEQ_H
#define LT_JSONSEQ_H

#include <stdbool.h>
#include <stddef.h>

#include "../buf.h"

/** Splitter state; embed it, lt_jsonseq_init(), feed, finish, lt_jsonseq_cleanup().
 *  Framing rules:
 *  - Objects, arrays and strings end at their closing byte (depth counting that skips
 *    brackets inside strings and escaped quotes); other scalars (numbers, true/false/null)
 *    end at whitespace, ',', RS (0x1E) or a bracket, which is not part of the value.
 *  - Between values, whitespace, ',', RS, stray '}'/']' and bytes that cannot start a JSON
 *    value (a UTF-8 BOM, control bytes) are skipped.
 *  - When the first value-starting byte of the stream is '[', that array is taken as the
 *    enclosing array of a streamed response: its elements are the values emitted and its
 *    brackets are skipped. (NDJSON streams of LLM APIs carry objects, never arrays.)
 *  - RFC 7464 §2.1: an RS inside a value means the value was cut short; it is dropped.
 *  The JSON inside a value is not validated: a consumer's JSON parser does that. */
struct lt_jsonseq_parser {
    struct lt_buf cur; /* bytes of a value that began in an earlier feed, capped at max_value */
    size_t max_value;  /* cap on one value in bytes; larger values are skipped */
    size_t values;     /* values emitted so far */
    size_t dropped;    /* values skipped: over max_value, cut by an RS, or unfinished at EOF */
    size_t vlen;       /* bytes of the current value seen so far */
    size_t depth;      /* open '{' / '[' of the current value */
    int state;         /* JSEQ_* in jsonseq.c: between values, container, string, scalar */
    bool in_str;       /* inside a string of the current value */
    bool esc;          /* the previous byte was a backslash inside a string */
    bool overflow;     /* the current value went over max_value: it is being skipped */
    bool started;      /* a value-starting byte was seen (decides the enclosing array) */
};

/** Called with one complete top-level JSON value (`n` bytes, not NUL-terminated, valid during
 *  the call only). Return 0 to go on, non-zero to stop: the feed returns that value at once
 *  and the rest of its input is not looked at. */
typedef int (*lt_jsonseq_cb)(void *ud, const char *p, size_t n);

/** Initialise `p`; values over `max_value` bytes (0 = 1 MiB) are dropped and counted. */
void lt_jsonseq_init(struct lt_jsonseq_parser *p, size_t max_value);

/** Feed `n` bytes (split anywhere), calling `cb` for each value completed by them.
 *  Returns 0, -ENOMEM (the value being assembled is dropped and counted), or the callback's
 *  non-zero value. */
int lt_jsonseq_feed(struct lt_jsonseq_parser *p, const char *d, size_t n, lt_jsonseq_cb cb,
                    void *ud);

/** End of input: emit a last value that is complete but unterminated (a scalar with no
 *  trailing newline); an unfinished object, array or string is dropped and counted. The
 *  parser is then ready for a new stream. Same returns as lt_jsonseq_feed(). */
int lt_jsonseq_finish(struct lt_jsonseq_parser *p, lt_jsonseq_cb cb, void *ud);

/** Free what `p` owns; `p` may be initialised again. */
void lt_jsonseq_cleanup(struct lt_jsonseq_parser *p);

#endif
