/* adapter.h — the internal interface between genai.c (body decoding, JSON parsing, SSE
 * framing, common attributes, status) and the per-API adapters (openai.c, anthropic.c; later
 * Responses, Gemini, Bedrock). An adapter sees parsed JSON only and sets gen_ai.* attributes
 * through the helpers below; it never touches bytes, encodings or HTTP. */
#ifndef LT_GENAI_ADAPTER_H
#define LT_GENAI_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../buf.h"
#include "genai.h"
#include "json_walk.h"

/** Everything one span build shares between genai.c and the adapter. Lives on the stack of
 *  lt_genai_build_span(); adapters read it and set `req_stream`. */
struct lt_genai_ctx {
    struct lt_span *span;
    const struct lt_exchange *x;
    bool capture;    /* capture content (gen_ai.input.messages etc., SPEC.md "Content") */
    bool stream;     /* the response is being read as an SSE stream */
    bool req_stream; /* set by the adapter: the request asked for a stream */
    bool error;      /* status ERROR already set (by a stream error event or an error body) */
    bool truncated;  /* some content was cut by a cap: llmtap.truncated */
    size_t max_text; /* cap in bytes on text an adapter accumulates from a stream */
    const char *op;  /* gen_ai.operation.name: starts as the adapter's `operation`; an adapter
                        may point it at another static string in begin/request */
    int rc;          /* first -ENOMEM seen; returned by lt_genai_build_span() */
    /* LLMTAP_REDACT applied to content by lt_genai_json_attr, or NULL (redact.h) */
    const struct lt_redact *redact;
};

/** One API adapter: a vtable plus the size of its per-exchange state. genai.c allocates
 *  `state_size` zeroed bytes, calls begin, request (when the request body parsed as JSON),
 *  then either response (non-stream body that parsed as JSON, HTTP status < 400) or
 *  stream_event per SSE event, then finish, then cleanup. Every callback is optional. */
struct lt_genai_adapter {
    enum lt_api api;
    const char *operation; /* gen_ai.operation.name, e.g. "chat" */
    size_t state_size;
    /* Always called first: attributes that do not depend on the bodies. */
    void (*begin)(void *st, struct lt_genai_ctx *c);
    /* The request body as JSON (borrowed; valid during the call). */
    void (*request)(void *st, struct lt_genai_ctx *c, const cJSON *req);
    /* Optional fast path for request, called only when content capture is off, with the
     * decoded request body before any JSON parse: read it straight from its text
     * (json_walk.h), set exactly what request would set and return true; or return false
     * having changed nothing, and genai.c parses the body and calls request. */
    bool (*request_text)(void *st, struct lt_genai_ctx *c, const char *body, size_t len);
    /* A complete non-stream response body as JSON (borrowed). */
    void (*response)(void *st, struct lt_genai_ctx *c, const cJSON *resp);
    /* One stream event. Framings (chosen by genai.c from Content-Type and the body):
     *  - SSE (text/event-stream): `type` is the event name ("message" when unnamed), `data`
     *    its data;
     *  - JSON sequence (application/x-ndjson, or a streamed JSON array such as Gemini's
     *    streamGenerateContent without alt=sse): `type` is "json", `data` one JSON value;
     *  - AWS event stream (application/vnd.amazon.eventstream): `type` is the message's
     *    `:event-type`, or for `:message-type` exception/error its `:exception-type` /
     *    `:error-code`; `data` the payload.
     * `json` is `data` parsed as JSON, or NULL when it is not JSON (e.g. "[DONE]"). Views and
     * `json` are valid during the call only. */
    void (*stream_event)(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *json);
    /* Optional fast path for streams, called only when content capture is off (c->capture
     * false), before an event's data is parsed as JSON: return false when stream_event, given
     * this event, would change neither a span attribute nor the adapter's state in a way that
     * matters later (finish, later events); genai.c then skips both the JSON parse and the
     * stream_event call. Same views and framings as stream_event. Must be conservative: when
     * unsure, return true. Typically built on lt_json_scan_keys(). */
    bool (*event_needed)(void *st, const struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len);
    /* Optional, with event_needed: a NULL-terminated list of JSON key names (any depth) whose
     * values event_needed never reads — its answer is the same whatever string or number
     * they hold. An event that equals the last one judged not needed except inside these
     * values is then skipped without calling event_needed (shape.h): list the keys that
     * change from one event of a stream to the next (deltas, sequence numbers). */
    const char *const *free_keys;
    /* Optional fast path, with event_needed: called only when content capture is off, for an
     * event event_needed asked for, before any JSON parse. Read the event straight from its
     * text (json_walk.h) and leave exactly the state and span attributes stream_event would
     * leave, then return true; or return false having changed nothing (text the walker
     * refuses, a case the fast path does not cover) and genai.c parses the event and calls
     * stream_event. Same views and framings as stream_event. */
    bool (*stream_text)(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                        const char *data, size_t data_len);
    /* Always called after the bodies: emit what was accumulated (stream results, usage). */
    void (*finish)(void *st, struct lt_genai_ctx *c);
    /* Free what the state owns (not the state itself). Always called. */
    void (*cleanup)(void *st);
};

/** OpenAI Chat Completions (openai.c). */
extern const struct lt_genai_adapter lt_genai_openai_chat;
/** Anthropic Messages (anthropic.c). */
extern const struct lt_genai_adapter lt_genai_anthropic_messages;
/** OpenAI Responses API (openai_responses.c). */
extern const struct lt_genai_adapter lt_genai_openai_responses;
/** OpenAI Embeddings (openai_embeddings.c). */
extern const struct lt_genai_adapter lt_genai_openai_embeddings;
/** OpenAI legacy Completions (openai_completions.c). */
extern const struct lt_genai_adapter lt_genai_openai_completions;
/** Google Gemini / Vertex AI generateContent (gemini.c). */
extern const struct lt_genai_adapter lt_genai_gemini;
/** AWS Bedrock Converse / ConverseStream (bedrock_converse.c). */
extern const struct lt_genai_adapter lt_genai_bedrock_converse;
/** AWS Bedrock InvokeModel / InvokeModelWithResponseStream (bedrock_invoke.c). */
extern const struct lt_genai_adapter lt_genai_bedrock_invoke;
/** Cohere v2 chat (cohere.c). */
extern const struct lt_genai_adapter lt_genai_cohere_chat;
/** Ollama native /api/chat (ollama.c). */
extern const struct lt_genai_adapter lt_genai_ollama_chat;
/** Ollama native /api/generate (ollama.c). */
extern const struct lt_genai_adapter lt_genai_ollama_generate;

/* ---- attribute helpers (genai.c): record -ENOMEM in c->rc, ignore the count limit ---- */

/** Set a string attribute (copied). NULL `v` sets nothing. */
void lt_genai_str(struct lt_genai_ctx *c, const char *key, const char *v);
/** As lt_genai_str() with a length: `v` (`n` bytes) need not be NUL-terminated. */
void lt_genai_strn(struct lt_genai_ctx *c, const char *key, const char *v, size_t n);
/** Set an int attribute. */
void lt_genai_int(struct lt_genai_ctx *c, const char *key, int64_t v);
/** Set a double attribute. */
void lt_genai_double(struct lt_genai_ctx *c, const char *key, double v);
/** Set a bool attribute. */
void lt_genai_bool(struct lt_genai_ctx *c, const char *key, bool v);
/** Set a string-array attribute from `n` strings (copied). */
void lt_genai_str_array(struct lt_genai_ctx *c, const char *key, const char *const *v, size_t n);
/** Serialise `tree` (compact JSON) into string attribute `key`, then delete `tree` (owned).
 *  NULL `tree` is a no-op. Every string leaf is first redacted with c->redact (redact.h);
 *  when that fails (invalid expression, ENOMEM) the attribute is left out. */
void lt_genai_json_attr(struct lt_genai_ctx *c, const char *key, cJSON *tree);
/** Mark the span failed: status ERROR with description `msg` (credentials scrubbed, see
 *  lt_genai_scrub) and error.type `type` ("_OTHER" when NULL/empty). Sets c->error. */
void lt_genai_fail(struct lt_genai_ctx *c, const char *type, const char *msg);
/** Record an allocation failure (a NULL from cJSON or malloc). */
void lt_genai_oom(struct lt_genai_ctx *c);

/* ---- JSON readers: NULL/false when the key is absent or of another type ---- */

/** The string of item `v` (NULL allowed), or NULL when `v` is NULL or not a string. Inline
 *  and with its own NULL test so the static analyzer sees that a non-NULL result means `v` is
 *  a string item (cJSON_IsString(NULL) is false, but cJSON is opaque to it). */
static inline const char *lt_json_as_str(const cJSON *v)
{
    return v && cJSON_IsString(v) ? v->valuestring : NULL;
}
/** The string value of `key` in object `o`, or NULL. */
const char *lt_json_str(const cJSON *o, const char *key);
/** The number value of `key` (not bool) into *out; false when absent or not a number. */
bool lt_json_num(const cJSON *o, const char *key, double *out);
/** An integral number value of `key` (|v| < 2^53) into *out; false otherwise. */
bool lt_json_int(const cJSON *o, const char *key, int64_t *out);
/** The object value of `key`, or NULL. */
const cJSON *lt_json_obj(const cJSON *o, const char *key);
/** The array value of `key`, or NULL. */
const cJSON *lt_json_arr(const cJSON *o, const char *key);
/** Error type from an error object: `type` if a string, else `code` (string or number, the
 *  latter printed into `buf`), else NULL. */
const char *lt_json_error_type(const cJSON *err, char *buf, size_t n);

/* ---- raw JSON key scan (event_needed fast paths): no tree, no allocation ---- */

/** Called by lt_json_scan_keys() for one object key: `key` (`key_len` bytes, escape- and
 *  control-free, not NUL-terminated) and a view of the text from its value's first byte to
 *  the end of the input (`val_len` bytes; the value's end is not delimited). Return true
 *  when this key/value cannot matter, false to stop the scan ("needed"). */
typedef bool (*lt_json_key_fn)(void *ud, const char *key, size_t key_len, const char *val,
                               size_t val_len);
/** Scan JSON text `p` (`n` bytes) for object keys at any depth, as cJSON would see them (a
 *  string followed, after bytes <= 0x20, by ':'), and call `fn` for each in order. Returns
 *  false when `fn` returned false or when a key holds a backslash or a control byte (its
 *  decoded name is unknown); true otherwise, also for text that is not valid JSON (every
 *  key-like string in it was passed to `fn`). Strings that are not keys are not reported. */
bool lt_json_scan_keys(const char *p, size_t n, lt_json_key_fn fn, void *ud);
/** The closing quote of the JSON string whose first content byte is `s`, searching up to
 *  `end`, or NULL: the first quote not escaped by an odd run of backslashes. */
const char *lt_json_string_end(const char *s, const char *end);
/** The view `v` (`n` bytes, from lt_json_scan_keys) starts with the literal null. */
bool lt_json_scan_null(const char *v, size_t n);
/** The view starts with a string free of escapes and control bytes: *s and *len get its raw
 *  (= decoded) bytes. False for anything else. */
bool lt_json_scan_plain_str(const char *v, size_t n, const char **s, size_t *len);
/** The view starts with a non-negative integer of at most 9 digits (no sign, fraction or
 *  exponent): *out gets it. False for anything else. */
bool lt_json_scan_uint(const char *v, size_t n, int *out);
/** `s` (`len` bytes) equals the NUL-terminated `lit`. Inline so that a literal's length is
 *  a compile-time constant (scan callbacks compare every key against several names). */
static inline bool lt_json_scan_eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* ---- content parts (SPEC.md "Content"); each appends to array `parts`, c->rc on ENOMEM ---- */

/** Append `{"type":type,"content":text}` (type "text" or "reasoning"); `len` bytes. */
void lt_genai_part_text(struct lt_genai_ctx *c, cJSON *parts, const char *type, const char *text,
                        size_t len);
/** Append `{"type":"tool_call","id","name","arguments"}`; `args` (len bytes) becomes a JSON
 *  object when it parses as one, else stays a string; NULL id/name/args are left out. */
void lt_genai_part_tool_call(struct lt_genai_ctx *c, cJSON *parts, const char *id, const char *name,
                             const char *args, size_t args_len);
/** As lt_genai_part_tool_call() with already-parsed arguments (duplicated; may be NULL). */
void lt_genai_part_tool_call_json(struct lt_genai_ctx *c, cJSON *parts, const char *id,
                                  const char *name, const cJSON *args);
/** Append `{"type":"tool_call_response","id","response"}`: `content` a string is used as
 *  is, an array of {type:text,text} blocks is joined, anything else duplicated. */
void lt_genai_part_tool_response(struct lt_genai_ctx *c, cJSON *parts, const char *id,
                                 const cJSON *content);
/** Append an image reference: a `data:<mime>;base64,<b64>` URL becomes
 *  `{"type":"blob","modality":"image","mime_type","content"}`, anything else
 *  `{"type":"uri","modality":"image","uri"}`. */
void lt_genai_part_image_url(struct lt_genai_ctx *c, cJSON *parts, const char *url);
/** Append `{"type":"blob","modality","mime_type","content"}` (absent members left out). */
void lt_genai_part_blob(struct lt_genai_ctx *c, cJSON *parts, const char *modality,
                        const char *mime_type, const char *content);
/** Append `{"type":"uri","modality","uri"}` (absent members left out). */
void lt_genai_part_uri(struct lt_genai_ctx *c, cJSON *parts, const char *modality, const char *uri);
/** Append `{"role":role,"parts":[]}` (plus "finish_reason" when non-NULL) to `msgs` and
 *  return its parts array, or NULL on ENOMEM. */
cJSON *lt_genai_message(struct lt_genai_ctx *c, cJSON *msgs, const char *role,
                        const char *finish_reason);
/** Append `{"type":"function","name","description","parameters"}` (absent members left out)
 *  to `defs`; `params` is duplicated. */
void lt_genai_tool_def(struct lt_genai_ctx *c, cJSON *defs, const char *name, const char *desc,
                       const cJSON *params);
/** A new empty JSON array, or NULL (c->rc set). */
cJSON *lt_genai_array(struct lt_genai_ctx *c);

/** Append `n` bytes to an accumulation buffer capped at c->max_text (c->truncated when the
 *  cap cuts it, c->rc on ENOMEM). */
void lt_genai_acc(struct lt_genai_ctx *c, struct lt_buf *b, const char *p, size_t n);

/** Most stop sequences recorded by lt_genai_stop_sequences(); later ones are dropped. */
#define LT_GENAI_MAX_STOPS 16
/** Set gen_ai.request.stop_sequences (SPEC.md "Request attributes") from `stop`: a string
 *  (one sequence), or an array whose string elements are taken in order (others skipped, at
 *  most LT_GENAI_MAX_STOPS). Nothing is set for NULL, another type or no strings. Callers
 *  that accept only an array pass lt_json_arr(…). */
void lt_genai_stop_sequences(struct lt_genai_ctx *c, const cJSON *stop);

/** The element of a dynamic array kept sorted by an `int` index member whose index is
 *  `index`; when there is none and fewer than `max` elements, a zeroed one is inserted at its
 *  place in the order (its index member set), growing the array by one with realloc.
 *  `arrp` is the address of the caller's array pointer (e.g. `&s->blocks`, a `struct x **`);
 *  `*n` its element count; `elem_size` and `index_off` the element's size and the offset of
 *  its `int` index member (sizeof / offsetof). The array stays owned by the caller (free it
 *  with free()); the result points into it and is invalidated by the next insertion.
 *  Returns NULL when `index` is outside [0, INT_MAX], when the array already holds `max`
 *  elements, or on ENOMEM (recorded in c->rc; the array is then unchanged). */
void *lt_genai_slot(struct lt_genai_ctx *c, void *arrp, size_t *n, size_t elem_size,
                    size_t index_off, int64_t index, size_t max);

/** Replace credential-looking tokens ("sk-…", "Bearer …", "x-api-key …") in `s` (in place)
 *  with "***" so provider error messages never carry a key into a span. */
void lt_genai_scrub(char *s);

#endif
