/* context.h — W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/ §3.2)
 * parsing and formatting, for TRACEPARENT/TRACESTATE in the environment
 * (OTel spec context/env-carriers.md). */
#ifndef LT_CONTEXT_H
#define LT_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

/** A span context: what a child span needs from its parent. */
struct lt_span_context {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags; /* W3C trace-flags; 0x01 = sampled */
};

/** Length of a formatted version-00 traceparent, without the NUL. */
#define LT_TRACEPARENT_LEN 55

/** Parse a traceparent header value. Rules (§3.2.2): version 2 lowercase hex, "ff" invalid;
 *  version 00 is exactly 55 chars; a higher version may be longer if char 55 is '-';
 *  trace-id 32 and parent-id 16 lowercase hex, not all zero; flags 2 hex.
 *  Returns 0 and fills `out`, or -EINVAL (out untouched). */
int lt_traceparent_parse(const char *s, struct lt_span_context *out);

/** Format a version-00 traceparent into `out` (at least LT_TRACEPARENT_LEN + 1 bytes). */
void lt_traceparent_format(const struct lt_span_context *c, char *out);

/** Lowercase hex of `n` bytes into `out` (2n + 1 bytes). */
void lt_hex(const uint8_t *b, int n, char *out);

#endif
