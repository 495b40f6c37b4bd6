/* span.h — the span record llmtap builds and exports (OTel trace data model,
 * opentelemetry-proto trace/v1/trace.proto `Span`). Built on the exporter thread from a
 * finished exchange, or for the process root span; encoded by export/otlp_*.c. */
#ifndef LT_SPAN_H
#define LT_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Attribute value types (common/v1/common.proto `AnyValue`, the subset llmtap emits).
 *  One byte (packed), so struct lt_attr stays 32 bytes and a span's attribute array of 32
 *  fits one small allocation. */
enum __attribute__((packed)) lt_attr_type {
    LT_ATTR_STRING,
    LT_ATTR_BOOL,
    LT_ATTR_INT,
    LT_ATTR_DOUBLE,
    LT_ATTR_STRING_ARRAY,
};

/** One key/value attribute. Owns every string it holds, and `key` unless `key_shared`.
 *  `key_hash` is set by the span setters (lt_span_key_hash of `key`) to make lookups cheap;
 *  0 means "not computed" (attributes built by hand), and such entries are compared by
 *  string. `key_shared`: `key` points into the process-wide key table of span.c (set by the
 *  setters for the first keys seen, never freed, never to be freed by anyone); false (the
 *  zero value) for an attribute built by hand with a heap key. */
struct lt_attr {
    char *key;
    uint32_t key_hash;
    enum lt_attr_type type;
    bool key_shared;
    union {
        char *s;
        bool b;
        int64_t i;
        double d;
        struct {
            char **v;
            size_t n;
        } arr;
    } u;
};

/** Span kinds, numbered as OTLP `Span.SpanKind`. */
enum lt_span_kind {
    LT_SPAN_KIND_UNSPECIFIED = 0,
    LT_SPAN_KIND_INTERNAL = 1,
    LT_SPAN_KIND_SERVER = 2,
    LT_SPAN_KIND_CLIENT = 3,
};

/** Status codes, numbered as OTLP `Status.StatusCode`. */
enum lt_status_code {
    LT_STATUS_UNSET = 0,
    LT_STATUS_OK = 1,
    LT_STATUS_ERROR = 2,
};

/** A finished (or in-progress) span. Heap object: lt_span_new()/lt_span_free().
 *  Times are nanoseconds since the Unix epoch. `next` links spans into a batch. */
struct lt_span {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_span_id[8];
    bool has_parent;       /* parent_span_id is meaningful */
    bool parent_is_remote; /* parent came from TRACEPARENT (OTLP Span.flags bit 0x200) */
    uint8_t trace_flags;   /* W3C trace-flags (0x01 sampled) */
    char *trace_state;     /* W3C tracestate or NULL; owned */
    char *name;            /* owned */
    enum lt_span_kind kind;
    uint64_t start_ns;
    uint64_t end_ns;
    enum lt_status_code status;
    char *status_message; /* owned, NULL when none */
    struct lt_attr *attrs;
    size_t n_attrs;
    size_t cap_attrs;
    uint32_t dropped_attrs; /* attributes refused by the count limit */
    struct lt_span *next;
};

/** Limits applied by the setters (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT,
 *  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT). 0 = no limit. Set once at start-up. */
struct lt_span_limits {
    size_t attr_count;   /* max attributes per span (spec default 128) */
    size_t value_length; /* max bytes per string value, 0 = unlimited */
};
extern struct lt_span_limits lt_span_limits;

/** Hash of an attribute key as stored in lt_attr.key_hash (never 0; equal keys, equal
 *  hashes; unequal keys may share one). */
uint32_t lt_span_key_hash(const char *key);

/** Allocate a span named `name` (copied) of `kind`; all else zero. NULL on ENOMEM. */
struct lt_span *lt_span_new(const char *name, enum lt_span_kind kind);

/** Free a span and everything it owns. NULL is allowed. Does not follow `next`. */
void lt_span_free(struct lt_span *s);

/** Free a whole `next`-linked list of spans. */
void lt_span_free_list(struct lt_span *s);

/** Replace the span's name (copied). Returns 0 or -ENOMEM. */
int lt_span_set_name(struct lt_span *s, const char *name);

/** Set string attribute `key` to `val` (both copied; `val` cut to the value-length limit on a
 *  UTF-8 boundary). An existing attribute with the same key is replaced. Returns 0, -ENOMEM,
 *  or -ENOSPC when the count limit refused it (counted in dropped_attrs). */
int lt_span_set_str(struct lt_span *s, const char *key, const char *val);
/** As lt_span_set_str() with an explicit length; `val` need not be NUL-terminated. */
int lt_span_set_strn(struct lt_span *s, const char *key, const char *val, size_t len);
/** Set an integer attribute. Same returns as lt_span_set_str(). */
int lt_span_set_int(struct lt_span *s, const char *key, int64_t v);
/** Set a double attribute. Same returns as lt_span_set_str(). */
int lt_span_set_double(struct lt_span *s, const char *key, double v);
/** Set a boolean attribute. Same returns as lt_span_set_str(). */
int lt_span_set_bool(struct lt_span *s, const char *key, bool v);
/** Set a string-array attribute from `n` strings (copied). Same returns as lt_span_set_str(). */
int lt_span_set_str_array(struct lt_span *s, const char *key, const char *const *v, size_t n);

/** Look up an attribute by key; NULL when absent. The pointer lives as long as the span. */
const struct lt_attr *lt_span_get(const struct lt_span *s, const char *key);

/** Set the status; `msg` (copied, may be NULL) is kept only for LT_STATUS_ERROR. */
void lt_span_set_status(struct lt_span *s, enum lt_status_code code, const char *msg);

#endif
