/* spans.h — the spans of an OTLP JSON lines file (the library's LLMTAP_FILE exporter: one
 * TracesData object per line, SPEC.md "OTLP/HTTP"), loaded into a flat list for the summary,
 * the tree view and the HTML report. */
#ifndef CLI_SPANS_H
#define CLI_SPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/** OTLP Status.code for an error (trace.proto STATUS_CODE_ERROR). */
#define CLI_STATUS_ERROR 2

/** One span. Strings point into the owning cli_spans' documents (valid until
 *  cli_spans_free); absent or malformed ids (not 32 / 16 hex digits) are empty strings. */
struct cli_span {
    const char *trace_id;   /* 32 hex digits, or "" */
    const char *span_id;    /* 16 hex digits, or "" */
    const char *parent_id;  /* 16 hex digits, or "" for a root */
    const char *name;       /* "" when absent */
    int kind;               /* OTLP SpanKind, 0 unspecified */
    uint64_t start_ns;      /* ns since the epoch, 0 when absent */
    uint64_t end_ns;        /* ns since the epoch, 0 when absent */
    int status;             /* OTLP Status.code: 0 unset, 1 ok, 2 error */
    const char *status_msg; /* "" when absent */
    const cJSON *attrs;     /* the span's "attributes" array, or NULL */
    const cJSON *resource;  /* the resource's "attributes" array, or NULL */
};

/** Everything loaded from one file: the parsed lines (each a TracesData object, in file
 *  order) and the spans found in them, in file order. */
struct cli_spans {
    cJSON **docs;
    size_t n_docs;
    struct cli_span *spans;
    size_t n_spans;
    size_t bad_lines; /* lines that were not a JSON object (skipped) */
};

/** Load `path`, starting at byte `offset` (0: the whole file; an offset past the end reads
 *  nothing; a partial first line is skipped as malformed). Returns 0, or -errno when the file
 * cannot be read (-ENOMEM on allocation failure); lines that do not parse are skipped and counted.
 * The result is freed with cli_spans_free, also after an error. */
int cli_spans_load(const char *path, long offset, struct cli_spans *out);

/** Free what cli_spans_load allocated and zero *s. */
void cli_spans_free(struct cli_spans *s);

/** The attribute `key` of `attrs` (an OTLP KeyValue array) as a string, or NULL when it is
 *  absent or not a stringValue. */
const char *cli_attr_str(const cJSON *attrs, const char *key);

/** The attribute `key` as an integer (intValue, written as a decimal string in OTLP JSON, or
 *  a number) into *v. Returns false when absent or not an integer. */
bool cli_attr_int(const cJSON *attrs, const char *key, int64_t *v);

/** The attribute `key` as a double (doubleValue, or intValue converted) into *v. Returns
 *  false when absent, not numeric or not finite. */
bool cli_attr_double(const cJSON *attrs, const char *key, double *v);

/** Number the traces of `s` in order of first appearance: ord[i] (n_spans entries, caller
 *  allocated) receives the ordinal of span i's trace id. Returns the number of distinct
 *  trace ids, or -ENOMEM. O(n log n). */
long cli_spans_trace_ordinals(const struct cli_spans *s, size_t *ord);

/** The span's duration in ns (0 when either end is missing or end < start). */
uint64_t cli_span_duration(const struct cli_span *s);

/** True for an inference span: one that carries gen_ai.provider.name. */
bool cli_span_is_call(const struct cli_span *s);

/** True when the span failed: status ERROR or an error.type attribute. */
bool cli_span_is_error(const struct cli_span *s);

#endif
