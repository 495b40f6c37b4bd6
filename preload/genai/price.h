/* price.h — what an LLM call cost: a price table read from JSON (share/llmtap/prices.json,
 * or the file LLMTAP_PRICES names), model ids looked up with their dated suffixes, and the
 * span attribute `llmtap.cost.usd` computed from the span's GenAI usage attributes
 * (../shared/SPEC.md "Inference span", "Usage"). Pure apart from lt_price_process(), which
 * reads the process's table once, on the exporter thread. Never references lt_cfg: the path
 * is handed in by lt_price_configure(). */
#ifndef LT_PRICE_H
#define LT_PRICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../trace/span.h"

/** The span attribute this module sets (double, USD). */
#define LT_PRICE_ATTR "llmtap.cost.usd"

/** Bounds on a table: bigger files, more models or longer ids make it invalid. */
#define LT_PRICE_MAX_FILE ((size_t)1 << 20) /* bytes */
#define LT_PRICE_MAX_MODELS 4096
#define LT_PRICE_MAX_ID 128 /* bytes of a model id */

/** One model's prices, USD per 1 000 000 tokens, all finite and >= 0. Absent fields of the
 *  file are filled in: cached_input and cache_write default to input, reasoning to output. */
struct lt_price {
    double input;        /* uncached input tokens */
    double cached_input; /* input tokens read from a prompt cache */
    double cache_write;  /* input tokens written to a prompt cache (Anthropic: 5-minute TTL) */
    double output;       /* output tokens that are not reasoning */
    double reasoning;    /* reasoning ("thinking") output tokens */
};

/** Token counts of one call, as llmtap's span attributes define them (SPEC.md "Usage"):
 *  `input` includes the cache reads and writes, `output` includes the reasoning tokens. */
struct lt_price_usage {
    int64_t input;       /* gen_ai.usage.input_tokens */
    int64_t cache_read;  /* gen_ai.usage.cache_read.input_tokens */
    int64_t cache_write; /* gen_ai.usage.cache_creation.input_tokens (= cache_write.input_tokens) */
    int64_t output;      /* gen_ai.usage.output_tokens */
    int64_t reasoning;   /* gen_ai.usage.reasoning.output_tokens */
};

/** A parsed price table. Opaque; lt_price_table_free() releases it. */
struct lt_price_table;

/** Parse a table from `len` bytes of JSON (need not be NUL-terminated). Schema:
 *    {"date": "YYYY-MM-DD", "currency": "USD", "unit": "per 1M tokens", "sources": {...},
 *     "models": {"<id>": {"provider": "openai", "input": 0.15, "cached_input": 0.075,
 *                         "cache_write": …, "output": 0.6, "reasoning": …}, …}}
 *  Only "models" is read (and "currency", which must be "USD" when present). Each model needs
 *  numeric `input` and `output`; every price must be a finite number in [0, 1e6). Returns 0
 *  with *out set (free it), -EINVAL for anything else the schema does not allow (not JSON,
 *  no models object, a malformed entry, an id that is empty or longer than LT_PRICE_MAX_ID,
 *  more than LT_PRICE_MAX_MODELS models), -EFBIG when len > LT_PRICE_MAX_FILE, -ENOMEM. */
int lt_price_table_parse(const char *json, size_t len, struct lt_price_table **out);

/** Read and parse the file at `path`; with `nofollow`, a symbolic link as the last path
 *  component is refused (-ELOOP), as for every path the user names in an LLMTAP_* variable.
 *  Returns as lt_price_table_parse(), or -errno when the file cannot be opened or read
 *  (-ENOENT, -EACCES, -EISDIR, -ELOOP, …). */
int lt_price_table_load(const char *path, bool nofollow, struct lt_price_table **out);

/** Free a table (NULL is a no-op). */
void lt_price_table_free(struct lt_price_table *t);

/** Number of models in `t` (0 for NULL). */
size_t lt_price_table_count(const struct lt_price_table *t);

/** Prices of `model`, or NULL (t or model NULL, or not priced). Lookup, case-insensitive:
 *  1. a provider path prefix is dropped: everything up to the last "/models/" (Vertex
 *     "projects/…/publishers/google/models/gemini-2.0-flash"), or a leading "models/"
 *     (Gemini "models/gemini-2.0-flash");
 *  2. the exact id;
 *  3. else the longest table id T with model = T "-" version, where version is exactly one of
 *     YYYY-MM-DD, YYYYMMDD, YYMM (4 digits), NNN (3 digits) or "latest":
 *     gpt-4o-mini-2024-07-18 → gpt-4o-mini, claude-3-5-sonnet-20241022 → claude-3-5-sonnet,
 *     gemini-1.5-flash-002 → gemini-1.5-flash, mistral-large-2411 → mistral-large. Anything
 *     else is another model: gpt-4o-mini is not gpt-4o, gpt-4o is not gpt-4o-mini.
 *  The pointer lives as long as the table. */
const struct lt_price *lt_price_lookup(const struct lt_price_table *t, const char *model);

/** Cost in USD of `u` at prices `p`; never counts a token twice:
 *    uncached  = max(0, input − cache_read − cache_write)
 *    plain_out = max(0, output − reasoning)
 *    cost = (uncached × input + cache_read × cached_input + cache_write × cache_write
 *            + plain_out × output + reasoning × reasoning) / 1e6
 *  Negative counts count as 0. */
double lt_price_cost(const struct lt_price *p, const struct lt_price_usage *u);

/** Set LT_PRICE_ATTR on `span` from its own attributes: the model is
 *  gen_ai.response.model, else gen_ai.request.model; the usage the gen_ai.usage.* integers
 *  above (cache writes from cache_creation.input_tokens, else cache_write.input_tokens;
 *  absent ones are 0). Nothing is set when `t` is NULL, the model is not priced, or neither
 *  input_tokens nor output_tokens is present. Returns 0, or -ENOMEM from the setter
 *  (-ENOSPC from the attribute count limit is the span's business and returns 0). */
int lt_price_apply(const struct lt_price_table *t, struct lt_span *span);

/** Choose the process's table, before any thread of ours exists (config.c, from
 *  LLMTAP_PRICES): `path` is copied; NULL or "" = the default file next to the library,
 *  "none" = no cost at all. Reading is deferred to lt_price_process(). */
void lt_price_configure(const char *path);

/** The process's table, loaded on the first call (exporter thread only: file I/O):
 *  LLMTAP_PRICES when configured — unreadable or invalid → one warning and NULL for the
 *  rest of the process — else the default, found from the library's own file name
 *  (dladdr): <dir of libllmtap*.so>/../share/llmtap/prices.json, then <dir>/../../share/…
 *  (the sanitizer build trees build/asan, build/tsan). A default that is missing or invalid
 *  gives NULL (logged at info). Programs that are not libllmtap (unit tests, fuzz targets)
 *  have no default table. NULL means no cost attribute. */
const struct lt_price_table *lt_price_process(void);

#endif
