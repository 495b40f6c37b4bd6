/* openai_embeddings.c — the OpenAI Embeddings adapter (POST …/embeddings, also Azure OpenAI
 * and compatible servers; adapter.h): operation "embeddings", request model, encoding format
 * and dimensions, the response's model, vector size and input-token usage, and opt-in input
 * texts (SPEC.md "Inference span", "Embeddings"; semconv gen-ai-spans.md "Embeddings"). */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "openai_common.h"

#define MAX_INPUTS 64 /* input texts captured as content; more are left out (truncated) */

static void begin(void *st, struct lt_genai_ctx *c)
{
    lt_openai_azure_model(c);
}

/* `input`: a string or an array of strings (one text part each); token arrays are not text
 * and are skipped. */
static void input_messages(struct lt_genai_ctx *c, const cJSON *input)
{
    cJSON *out = lt_genai_array(c);
    cJSON *parts = lt_genai_message(c, out, "user", NULL);
    if (cJSON_IsString(input)) {
        lt_genai_part_text(c, parts, "text", input->valuestring, strlen(input->valuestring));
    } else {
        size_t n = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, input)
        {
            if (!cJSON_IsString(s))
                continue;
            if (n++ == MAX_INPUTS) {
                c->truncated = true;
                break;
            }
            lt_genai_part_text(c, parts, "text", s->valuestring, strlen(s->valuestring));
        }
    }
    if (cJSON_GetArraySize(parts) == 0) {
        cJSON_Delete(out);
        return;
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    lt_genai_str(c, "gen_ai.request.model", lt_json_str(req, "model"));
    const char *fmt = lt_json_str(req, "encoding_format");
    if (fmt)
        lt_genai_str_array(c, "gen_ai.request.encoding_formats", &fmt, 1);
    /* `dimensions` asks for the vector size; the response's vectors confirm it. */
    int64_t v;
    if (lt_json_int(req, "dimensions", &v))
        lt_genai_int(c, "gen_ai.embeddings.dimension.count", v);
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(req, "input");
    if (c->capture && (cJSON_IsString(input) || cJSON_IsArray(input)))
        input_messages(c, input);
}

/* Bytes a standard base64 string decodes to, or -1 when it is not base64 (RFC 4648 §4). */
static long long base64_len(const char *s)
{
    size_t n = strlen(s), pad = 0;
    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
        if (ch == '=' && i >= n - 2) {
            pad++;
            continue;
        }
        if (!ok || pad) /* padding only at the very end */
            return -1;
    }
    return (long long)(n / 4 * 3 - pad);
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    if (lt_openai_body_error(c, resp))
        return;
    lt_genai_str(c, "gen_ai.response.model", lt_json_str(resp, "model"));
    /* The size of the first vector: a float array, or with encoding_format "base64" the
     * little-endian float32 bytes in base64 (4 bytes per dimension). */
    const cJSON *first = cJSON_GetArrayItem(lt_json_arr(resp, "data"), 0);
    const cJSON *emb =
        cJSON_IsObject(first) ? cJSON_GetObjectItemCaseSensitive(first, "embedding") : NULL;
    const char *b64 = lt_json_as_str(emb);
    if (cJSON_IsArray(emb) && cJSON_GetArraySize(emb) > 0) {
        lt_genai_int(c, "gen_ai.embeddings.dimension.count", cJSON_GetArraySize(emb));
    } else if (b64) {
        long long n = base64_len(b64);
        if (n > 0 && n % 4 == 0)
            lt_genai_int(c, "gen_ai.embeddings.dimension.count", n / 4);
    }
    int64_t v;
    if (lt_json_int(lt_json_obj(resp, "usage"), "prompt_tokens", &v))
        lt_genai_int(c, "gen_ai.usage.input_tokens", v);
}

const struct lt_genai_adapter lt_genai_openai_embeddings = {
    .api = LT_API_OPENAI_EMBEDDINGS,
    .operation = "embeddings",
    .begin = begin,
    .request = request,
    .response = response,
};
