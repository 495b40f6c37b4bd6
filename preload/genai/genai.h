/* genai.h — recognising LLM APIs and turning a finished exchange into GenAI span attributes
 * (OpenTelemetry semantic conventions, docs/gen-ai/gen-ai-spans.md and
 * gen-ai-events/attributes; names exactly as ../shared/SPEC.md lists them). */
#ifndef LT_GENAI_H
#define LT_GENAI_H

#include <stdbool.h>
#include <stddef.h>

#include "../exchange.h"
#include "../trace/span.h"

/** What detection decided for one request head. */
struct lt_detect {
    enum lt_api api;
    char provider[48]; /* gen_ai.provider.name; "" when api is LT_API_NONE */
};

/** Set the user's provider overrides from LLMTAP_PROVIDERS: "host[:port]=provider,…".
 *  Copies what it needs; replaces any previous map. Returns 0, -EINVAL on a malformed entry
 *  (the well-formed entries are still kept), -ENOMEM. NULL or "" clears the map. */
int lt_genai_set_providers(const char *spec);

/** Decide whether a request is an LLM API call. `host` is the logical host without port,
 *  `port` the logical port. Rules, first match wins:
 *  1. LLMTAP_PROVIDERS entry for host:port, then for host → that provider; the API from the
 *     path (…/chat/completions → OpenAI chat, …/v1/messages → Anthropic messages).
 *  2. api.openai.com → openai, api.anthropic.com → anthropic (API from the path).
 *  3. any host, path ending in /v1/chat/completions or /chat/completions → OpenAI chat,
 *     provider from a small table of known OpenAI-compatible hosts, else "openai".
 *  Only POST requests qualify. Query strings are ignored. Returns true when `out->api` is
 *  not LT_API_NONE. Never allocates; safe on the host thread. */
bool lt_genai_detect(const char *host, size_t host_len, int port, const char *method,
                     size_t method_len, const char *target, size_t target_len,
                     struct lt_detect *out);

/** Options for span building. */
struct lt_genai_options {
    bool capture_content; /* emit gen_ai.input.messages / output.messages / system_instructions
                             / tool.definitions (opt-in, SPEC.md "Content") */
    size_t max_decoded;   /* cap on a decoded body in bytes (0 = 64 MiB) */
};

/** Fill `span` from a finished exchange: name "{operation} {request model}", kind CLIENT,
 *  server.address/port, http.response.status_code, every gen_ai.* request/response/usage
 *  attribute the traffic carries, status ERROR + error.type + description on HTTP ≥ 400,
 *  an error event in a stream, or a cut-off; llmtap.truncated=true when a body hit its cap.
 *  Does not touch ids or times. Never fails hard: unparseable bodies give a span with what
 *  is known. Returns 0, or -ENOMEM. Runs on the exporter thread. */
int lt_genai_build_span(struct lt_span *span, const struct lt_exchange *x,
                        const struct lt_genai_options *opt);

#endif
