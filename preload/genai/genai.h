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

/** Decide whether a request is an LLM API call and which provider/API it speaks. `host` is
 *  the logical host without port (case-insensitive; IPv6 brackets and a trailing root dot
 *  are ignored), `port` the logical port, `target` the request-target (origin-form, or
 *  absolute-form whose scheme and authority are skipped). Only POST qualifies; the query
 *  string and fragment are ignored; "…/x" means any prefix before "/x". First match wins:
 *  1. LLMTAP_PROVIDERS entry for host:port, else for host → that provider; the API from the
 *     path, suffixes allowed behind a gateway prefix: …/chat/completions → OpenAI chat,
 *     …/completions → OpenAI completions, …/embeddings → embeddings, …/responses →
 *     Responses, …/v1/messages and …/publishers/anthropic/models/{m}:rawPredict |
 *     :streamRawPredict → Anthropic messages, …/models/{m}:generateContent |
 *     :streamGenerateContent → Gemini, …/model/{id}/converse | converse-stream → Bedrock
 *     Converse, …/model/{id}/invoke | invoke-with-response-stream → Bedrock InvokeModel,
 *     …/v2/chat → Cohere chat, …/api/chat → Ollama chat, …/api/generate → Ollama generate.
 *  2. Known hosts (the host decides the provider; a path not listed gives no match):
 *     - api.openai.com → "openai": …/chat/completions, /v1/responses, /v1/embeddings,
 *       /v1/completions.
 *     - api.anthropic.com → "anthropic": /v1/messages; …/chat/completions (its
 *       OpenAI-compatible endpoint) → OpenAI chat.
 *     - *.openai.azure.com, *.cognitiveservices.azure.com → "azure.ai.openai":
 *       /openai/deployments/{d}/chat/completions | completions | embeddings,
 *       /openai/responses, /openai/v1/responses, /openai/v1/chat/completions,
 *       /openai/v1/embeddings, /openai/v1/completions.
 *     - *.services.ai.azure.com, *.inference.ai.azure.com → "azure.ai.inference":
 *       …/chat/completions → OpenAI chat.
 *     - generativelanguage.googleapis.com → "gcp.gemini": …/models/{m}:generateContent |
 *       :streamGenerateContent → Gemini; /v1beta/openai/chat/completions → OpenAI chat.
 *     - aiplatform.googleapis.com, {region}-aiplatform.googleapis.com → "gcp.vertex_ai":
 *       …/publishers/google/models/{m}:generateContent | :streamGenerateContent → Gemini;
 *       …/publishers/anthropic/models/{m}:rawPredict | :streamRawPredict → Anthropic
 *       messages; …/endpoints/openapi/chat/completions → OpenAI chat.
 *     - bedrock-runtime[-fips].{region}.amazonaws.com → "aws.bedrock":
 *       /model/{id}/converse | converse-stream → Converse, /model/{id}/invoke |
 *       invoke-with-response-stream → InvokeModel.
 *     - api.cohere.com, api.cohere.ai → "cohere": /v2/chat → Cohere chat;
 *       /compatibility/v1/chat/completions → OpenAI chat, /compatibility/v1/embeddings →
 *       embeddings.
 *     - ollama.com, and any host on port 11434 (Ollama's default) → "ollama": /api/chat,
 *       /api/generate → Ollama native; …/chat/completions, /v1/responses, /v1/embeddings,
 *       /v1/completions → the OpenAI APIs.
 *     - OpenAI-compatible hosts, OpenAI paths by suffix where the host serves them:
 *       api.groq.com "groq" (chat, responses), api.mistral.ai "mistral_ai" (chat,
 *       embeddings), api.deepseek.com "deepseek" (chat, completions), api.x.ai "x_ai" (all
 *       four), api.perplexity.ai "perplexity" (chat), openrouter.ai "openrouter" (all four),
 *       api.together.xyz "together" (chat, completions, embeddings), api.fireworks.ai
 *       "fireworks" (all four).
 *     "*.d" means a strict subdomain: the label boundary is checked ("evilopenai.azure.com"
 *     is not under openai.azure.com, "api.openai.com.evil.com" is not api.openai.com).
 *  3. Any other host, distinctive paths only: …/chat/completions → OpenAI chat "openai";
 *     exactly /v1/responses, /v1/embeddings, /v1/completions → that OpenAI API "openai";
 *     exactly /v1/messages → Anthropic messages "anthropic"; …/models/{m}:generateContent |
 *     :streamGenerateContent → Gemini "gcp.gemini"; /model/{id}/converse | converse-stream
 *     | invoke | invoke-with-response-stream → Bedrock "aws.bedrock". Ambiguous paths
 *     (/api/chat, /api/generate, /v2/chat) match only through rules 1 and 2.
 *  Returns true when `out->api` is not LT_API_NONE (out->provider is then set, else "").
 *  Reads only the given lengths; never allocates or locks; safe on the host thread. */
bool lt_genai_detect(const char *host, size_t host_len, int port, const char *method,
                     size_t method_len, const char *target, size_t target_len,
                     struct lt_detect *out);

struct lt_redact;

/** Options for span building. */
struct lt_genai_options {
    bool capture_content; /* emit gen_ai.input.messages / output.messages / system_instructions
                             / tool.definitions (opt-in, SPEC.md "Content") */
    size_t max_decoded;   /* cap on a decoded body in bytes (0 = 64 MiB) */
    const struct lt_redact *redact; /* LLMTAP_REDACT applied to captured content (redact.h);
                                       NULL = the process's, lt_redact_process(). An
                                       expression in the failed state drops all content. */
};

/** Fill `span` from a finished exchange: name "{operation} {request model}", kind CLIENT,
 *  server.address/port, http.response.status_code, every gen_ai.* request/response/usage
 *  attribute the traffic carries, status ERROR + error.type + description on HTTP ≥ 400,
 *  an error event in a stream, or a cut-off; llmtap.truncated=true when a body hit its cap.
 *  Does not touch ids or times. Never fails hard: unparseable bodies give a span with what
 *  is known. Returns 0, or -ENOMEM. Runs on the exporter thread. */
int lt_genai_build_span(struct lt_span *span, const struct lt_exchange *x,
                        const struct lt_genai_options *opt);

/** Test-only switch (tests/unit/test_genai_skip.c): when true, lt_genai_build_span() never
 *  consults an adapter's content-off fast paths (event_needed, stream_text, request_text in
 *  adapter.h): every stream event and the request body are parsed with cJSON.
 *  False by default; not for production use (read without synchronisation). */
extern bool lt_genai_skip_disabled;
/** Test switch: when true, the event_needed fast path runs without the shape cache of
 *  shape.h (every event goes through event_needed). Default false. */
extern bool lt_genai_shape_disabled;

#endif
