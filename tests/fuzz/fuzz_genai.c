/* fuzz_genai.c — libFuzzer target for span building (genai.c + adapters): the input is split
 * into a request and a response body, then built as both an OpenAI chat and an Anthropic
 * messages exchange. Byte 0 picks options; bytes 1-2 the request length (big-endian).
 *   byte 0: bit0 SSE content type, bit1 capture content, bit2 cut off, bit3 gzip response
 *           encoding, bit4 gzip request encoding, bits5-6 status (200, 429, 500, none),
 *           bit7 small decode cap */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "genai/genai.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t flags = data[0];
    size_t req_len = ((size_t)data[1] << 8) | data[2];
    data += 3;
    size -= 3;
    if (req_len > size)
        req_len = size;
    static const int statuses[] = {200, 429, 500, 0};

    for (int api = LT_API_OPENAI_CHAT; api <= LT_API_ANTHROPIC_MESSAGES; api++) {
        struct lt_exchange *x = lt_exchange_new(1 << 20);
        if (!x)
            return 0;
        x->api = (enum lt_api)api;
        snprintf(x->provider, sizeof(x->provider), "%s",
                 api == LT_API_OPENAI_CHAT ? "openai" : "anthropic");
        snprintf(x->server_address, sizeof(x->server_address), "fuzz.example");
        x->server_port = 443;
        lt_buf_append(&x->req_body, data, req_len);
        lt_buf_append(&x->resp_body, data + req_len, size - req_len);
        x->status = statuses[(flags >> 5) & 3];
        snprintf(x->resp_content_type, sizeof(x->resp_content_type), "%s",
                 flags & 1 ? "text/event-stream" : "application/json");
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
            lt_span_free(s);
        }
        lt_exchange_free(x);
    }
    return 0;
}
