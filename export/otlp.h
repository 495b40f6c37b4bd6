/* otlp.h — encoders from llmtap spans to OTLP trace payloads (opentelemetry-proto
 * collector/trace/v1 `ExportTraceServiceRequest`, which is wire-identical to trace/v1
 * `TracesData`), and the human-readable console form. Pure functions, no I/O except
 * lt_console_write(). */
#ifndef LT_OTLP_H
#define LT_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "../preload/trace/span.h"

/** The resource and instrumentation scope every exported span belongs to. Owns its attrs
 *  (built by resource.c; the attribute type is the span's). */
struct lt_resource {
    struct lt_attr *attrs;
    size_t n_attrs;
    const char *scope_name;    /* instrumentation scope name, "llmtap" */
    const char *scope_version; /* instrumentation scope version */
};

/** Encode the `next`-linked `spans` as one binary protobuf ExportTraceServiceRequest with a
 *  single ResourceSpans/ScopeSpans. *out is heap (caller frees), *len its size in bytes.
 *  Returns 0 or -ENOMEM. */
int lt_otlp_pb_encode(const struct lt_resource *res, const struct lt_span *spans, uint8_t **out,
                      size_t *len);

/** Buffers an encoder keeps from one batch to the next (the exporter thread's), so a steady
 *  flow of batches allocates nothing: the protobuf-c message tree's arena and the output.
 *  Zero-initialise; one per thread (no locking); release with lt_otlp_scratch_free().
 *  Memory: about the largest recent batch's encoded size twice over; a buffer past 4 MiB
 *  is given back when a later batch needs less than a quarter of it. */
struct lt_otlp_scratch {
    void *arena;
    size_t arena_cap; /* bytes */
    uint8_t *out;
    size_t out_cap; /* bytes */
};

/** As lt_otlp_pb_encode(), into `sc`'s buffers: *out points into sc (valid until the next
 *  call with sc or lt_otlp_scratch_free), *len its size in bytes. The wire bytes are the
 *  same. Returns 0 or -ENOMEM (sc stays usable). */
int lt_otlp_pb_encode_scratch(struct lt_otlp_scratch *sc, const struct lt_resource *res,
                              const struct lt_span *spans, const uint8_t **out, size_t *len);

/** Free `sc`'s buffers and zero it. NULL is allowed. */
void lt_otlp_scratch_free(struct lt_otlp_scratch *sc);

/** Encode as OTLP/JSON (protobuf JSON mapping with OTLP's rules: lowerCamelCase keys, ids as
 *  lowercase hex, enums as integers, 64-bit integers as decimal strings) on one line, no
 *  trailing newline: {"resourceSpans":[…]}. *out is a heap NUL-terminated string (caller
 *  frees), *len its length. Returns 0 or -ENOMEM. */
int lt_otlp_json_encode(const struct lt_resource *res, const struct lt_span *spans, char **out,
                        size_t *len);

/** Write a readable span tree of `spans` (children indented under parents, durations in ms,
 *  the key gen_ai.* attributes, status) to file descriptor `fd` with write(2). Returns 0 or
 *  a negative errno. */
int lt_console_write(int fd, const struct lt_resource *res, const struct lt_span *spans);

#endif
