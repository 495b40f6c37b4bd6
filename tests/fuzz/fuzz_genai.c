/* fuzz_genai.c — libFuzzer target for span building (genai.c + adapters): the input is split
 * into a request and a response body, then built as an exchange of every API in `apis`.
 * Byte 0 picks options; bytes 1-2 the request length (big-endian, low 15 bits) and whether
 * the request-target is the alternative one (bit 15: Azure deployment path for the OpenAI
 * APIs, the stream path for Gemini and Bedrock).
 *   byte 0: bit0 the API's stream content type (else application/json), bit1 capture
 *           content, bit2 cut off, bit3 gzip response encoding, bit4 gzip request encoding,
 *           bits5-6 status (200, 429, 500, none), bit7 small decode cap
 * With capture off, each span is built again with the fast paths off and must be equal. */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "genai/genai.h"
#include "tests/unit/span_equal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t flags = data[0];
    size_t req_len = ((size_t)(data[1] & 0x7f) << 8) | data[2];
    bool azure = data[1] & 0x80;
    data += 3;
    size -= 3;
    if (req_len > size)
        req_len = size;
    static const int statuses[] = {200, 429, 500, 0};
    /* Every API: its provider, request-target (plain, Azure deployment, and for streamed
     * APIs the stream path) and the content type its stream arrives with (bit0 of byte 0). */
    static const struct {
        enum lt_api api;
        const char *provider, *target, *azure_target, *stream_ct;
    } apis[] = {
        {LT_API_OPENAI_CHAT, "openai", "/v1/chat/completions",
         "/openai/deployments/dep%41%2/chat/completions?api-version=2024-10-21",
         "text/event-stream"},
        {LT_API_ANTHROPIC_MESSAGES, "anthropic", "/v1/messages", "/v1/messages",
         "text/event-stream"},
        {LT_API_OPENAI_RESPONSES, "openai", "/v1/responses",
         "/openai/deployments/d/responses?api-version=2025-04-01-preview", "text/event-stream"},
        {LT_API_OPENAI_EMBEDDINGS, "openai", "/v1/embeddings",
         "/openai/deployments/%e2%82%ac/embeddings", "text/event-stream"},
        {LT_API_OPENAI_COMPLETIONS, "openai", "/v1/completions", "/openai/deployments/",
         "text/event-stream"},
        {LT_API_GEMINI, "gcp.gemini", "/v1beta/models/gemini-2.0-flash:generateContent",
         "/v1beta/models/gemini-2.0-flash:streamGenerateContent", "application/json"},
        {LT_API_BEDROCK_CONVERSE, "aws.bedrock", "/model/m/converse", "/model/m/converse-stream",
         "application/vnd.amazon.eventstream"},
        {LT_API_BEDROCK_INVOKE, "aws.bedrock",
         "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
         "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream",
         "application/vnd.amazon.eventstream"},
        {LT_API_COHERE_CHAT, "cohere", "/v2/chat", "/v2/chat", "text/event-stream"},
        {LT_API_OLLAMA_CHAT, "ollama", "/api/chat", "/api/chat", "application/x-ndjson"},
        {LT_API_OLLAMA_GENERATE, "ollama", "/api/generate", "/api/generate",
         "application/x-ndjson"},
    };

    for (size_t k = 0; k < sizeof(apis) / sizeof(apis[0]); k++) {
        struct lt_exchange *x = lt_exchange_new(1 << 20);
        if (!x)
            return 0;
        x->api = apis[k].api;
        bool is_openai =
            apis[k].api == LT_API_OPENAI_CHAT || apis[k].api == LT_API_OPENAI_RESPONSES ||
            apis[k].api == LT_API_OPENAI_EMBEDDINGS || apis[k].api == LT_API_OPENAI_COMPLETIONS;
        snprintf(x->provider, sizeof(x->provider), "%s",
                 azure && is_openai ? "azure.ai.openai" : apis[k].provider);
        /* Bit 15 of the length: Azure deployment path, or the stream path of the others. */
        x->target = strdup(azure ? apis[k].azure_target : apis[k].target);
        snprintf(x->server_address, sizeof(x->server_address), "fuzz.example");
        x->server_port = 443;
        lt_buf_append(&x->req_body, data, req_len);
        lt_buf_append(&x->resp_body, data + req_len, size - req_len);
        x->status = statuses[(flags >> 5) & 3];
        snprintf(x->resp_content_type, sizeof(x->resp_content_type), "%s",
                 flags & 1 ? apis[k].stream_ct : "application/json");
        x->end = flags & 4 ? LT_END_CUT_OFF : LT_END_COMPLETE;
        x->resp_encoding = flags & 8 ? LT_ENC_GZIP : LT_ENC_IDENTITY;
        x->req_encoding = flags & 16 ? LT_ENC_GZIP : LT_ENC_IDENTITY;
        x->t_start_ns = 1000;
        x->t_first_body_ns = 2000;
        struct lt_span *s = lt_span_new("", LT_SPAN_KIND_INTERNAL);
        if (s) {
            struct lt_genai_options opt = {.capture_content = flags & 2,
                                           .max_decoded = flags & 128 ? 4096 : 0};
            lt_genai_build_span(s, x, &opt);
            /* Capture off: the fast paths (event_needed, the shape cache, stream_text) must
             * give the span every event parsed gives. */
            struct lt_span *full =
                opt.capture_content ? NULL : lt_span_new("", LT_SPAN_KIND_INTERNAL);
            if (full) {
                lt_genai_skip_disabled = true;
                int rc = lt_genai_build_span(full, x, &opt);
                lt_genai_skip_disabled = false;
                if (rc == 0 && !spans_equal(s, full))
                    abort();
                lt_span_free(full);
            }
            lt_span_free(s);
        }
        lt_exchange_free(x);
    }
    return 0;
}
