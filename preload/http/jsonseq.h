/* jsonseq.h — incremental splitter of a stream of JSON values: NDJSON / JSON Lines
 * (application/x-ndjson, Ollama), RFC 7464 json-seq, and a streamed top-level JSON array
 * ("[v1,v2,…]", Gemini streamGenerateContent without alt=sse). Emits the bytes of each
 * complete top-level value; it does not parse them. STUB: interface only, to be implemented. */
#ifndef LT_JSONSEQ_H
#define LT_JSONSEQ_H

#include <stddef.h>

#include "../buf.h"

/** Splitter state; embed it and use the functions below. */
struct lt_jsonseq_parser {
    struct lt_buf cur; /* bytes of the value being assembled */
    size_t max_value;  /* cap on one value in bytes; larger values are skipped */
    size_t dropped;    /* values skipped because they exceeded max_value */
    int state;
};

/** Called with one complete top-level JSON value (`n` bytes, not NUL-terminated, valid during
 *  the call only). Return 0 to go on, non-zero to stop. */
typedef int (*lt_jsonseq_cb)(void *ud, const char *p, size_t n);

/** Initialise `p`; values over `max_value` bytes are dropped and counted. */
void lt_jsonseq_init(struct lt_jsonseq_parser *p, size_t max_value);

/** Feed `n` bytes. Returns 0, -ENOMEM, or the callback's non-zero value. */
int lt_jsonseq_feed(struct lt_jsonseq_parser *p, const char *d, size_t n, lt_jsonseq_cb cb,
                    void *ud);

/** End of input: emit a last value that is complete but unterminated. Same returns. */
int lt_jsonseq_finish(struct lt_jsonseq_parser *p, lt_jsonseq_cb cb, void *ud);

/** Free what `p` owns. */
void lt_jsonseq_cleanup(struct lt_jsonseq_parser *p);

#endif
