/* test_genai_compat.c — OpenAI-compatible providers and Azure OpenAI through the OpenAI-family
 * adapters: DeepSeek cache usage and reasoning_content, Groq's x_groq.usage and `reasoning`,
 * Mistral random_seed, thinking chunks and one-chunk tool calls, tool-call deltas without
 * `index` (matched by id, else the last call), xAI usage details, OpenRouter comments,
 * `reasoning` deltas and mid-stream errors, Perplexity usage; Azure deployment names as the
 * request model (chat, embeddings, completions), content-filter results left alone, Azure's
 * empty-id stream chunks, split bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai/adapter.h"
#include "genai_testutil.h"

#define CT_JSON "application/json"
#define CT_SSE "text/event-stream"

static struct xspec chat(const char *provider, const char *host, const char *req, const char *resp,
                         bool stream)
{
    struct xspec xs = {
        .api = LT_API_OPENAI_CHAT,
        .provider = provider,
        .host = host,
        .port = 443,
        .req_file = req,
        .resp_file = resp,
        .status = 200,
        .content_type = stream ? CT_SSE : CT_JSON,
    };
    return xs;
}

static void test_deepseek(void **state)
{
    struct xspec xs = chat("deepseek", "api.deepseek.com", "compat/deepseek_request.json",
                           "compat/deepseek_response.json", false);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat deepseek-reasoner");
    assert_str_attr(s, "gen_ai.provider.name", "deepseek");
    assert_int_attr(s, "gen_ai.request.max_tokens", 2048);
    assert_str_attr(s, "gen_ai.response.id", "930c60df-bf64-41c9-a88e-3ec75f81e00e");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 18);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 190);
    /* No prompt_tokens_details: DeepSeek's own prompt_cache_hit_tokens. */
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 0);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 172);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"Compare 9.80 with 9.11: 80 > 11, so 9.8 is larger.\"},{\"type\":\"text\","
                     "\"content\":\"9.8 is greater than 9.11.\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);

    xs = chat("deepseek", "api.deepseek.com", "compat/deepseek_stream_request.json",
              "compat/deepseek_stream.sse", true);
    s = build_spec(&xs, true);
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_str_attr(s, "gen_ai.response.id", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    assert_str_attr(s, "openai.response.system_fingerprint", "fp_7e73fd9a08_prod0225");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 14);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 20);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 0);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 12);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Be brief.\"}]},{\"role\":\"user\",\"parts\":[{\"type\":\"text\","
                     "\"content\":\"Is 7 prime?\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"7 has no divisors but 1 and 7.\"},{\"type\":\"text\",\"content\":"
                     "\"Yes, 7 is prime.\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);

    /* Only DeepSeek's fields: the hit count is the cache read; prompt_tokens includes it. */
    xs.resp_file = "compat/deepseek_stream_cache.sse";
    s = build_spec(&xs, false);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 78);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 64);
    lt_span_free(s);
}

static void test_groq(void **state)
{
    struct xspec xs = chat("groq", "api.groq.com", "compat/groq_stream_request.json",
                           "compat/groq_stream.sse", true);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat llama-3.3-70b-versatile");
    assert_double_attr(s, "gen_ai.request.temperature", 0.5);
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-e7f8e220-656c-4455-a132-dacfc1370798");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    /* Usage only in x_groq.usage on the last chunk. */
    assert_int_attr(s, "gen_ai.usage.input_tokens", 40);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 3);
    assert_absent(s, "gen_ai.usage.cache_read.input_tokens");
    assert_absent(s, "gen_ai.usage.reasoning.output_tokens");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Blue.\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);

    xs = chat("groq", "api.groq.com", "compat/groq_request.json", "compat/groq_response.json",
              false);
    s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat openai/gpt-oss-20b");
    assert_int_attr(s, "gen_ai.request.max_tokens", 64);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 18);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 5);
    assert_str_attr(s, "openai.response.service_tier", "on_demand");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"The user wants the word ok.\"},{\"type\":\"text\",\"content\":\"ok\"}],"
                     "\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_mistral(void **state)
{
    struct xspec xs = chat("mistral_ai", "api.mistral.ai", "compat/mistral_request.json",
                           "compat/mistral_response.json", false);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat magistral-medium-latest");
    assert_int_attr(s, "gen_ai.request.seed", 1234); /* random_seed */
    assert_int_attr(s, "gen_ai.request.max_tokens", 512);
    assert_str_attr(s, "gen_ai.output.type", "json");
    assert_absent(s, "gen_ai.request.stream"); /* "stream": false */
    assert_int_attr(s, "gen_ai.usage.input_tokens", 20);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 60);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"Two plus two is four.\"},{\"type\":\"text\",\"content\":"
                     "\"{\\\"answer\\\": 4}\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);

    xs = chat("mistral_ai", "api.mistral.ai", "compat/mistral_stream_request.json",
              "compat/mistral_stream.sse", true);
    s = build_spec(&xs, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"tool_calls", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 92);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 18);
    assert_json_attr(s, "gen_ai.tool.definitions",
                     "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
                     "\"Weather for a city.\",\"parameters\":{\"type\":\"object\",\"properties\":"
                     "{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":"
                     "\"D681PevKs\",\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}],"
                     "\"finish_reason\":\"tool_calls\"}]");
    lt_span_free(s);

    xs.resp_file = "compat/mistral_thinking_stream.sse";
    s = build_spec(&xs, true);
    assert_str_attr(s, "gen_ai.response.model", "magistral-small-latest");
    assert_int_attr(s, "gen_ai.usage.output_tokens", 15);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"Small sum.\"},{\"type\":\"text\",\"content\":\"4\"}],"
                     "\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_xai(void **state)
{
    struct xspec xs =
        chat("x_ai", "api.x.ai", "compat/xai_request.json", "compat/xai_response.json", false);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat grok-3-mini");
    assert_str_attr(s, "gen_ai.provider.name", "x_ai");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 32);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 1);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 6);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 210);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"101 times 3 is 303.\"},{\"type\":\"text\",\"content\":\"303\"}],"
                     "\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_openrouter(void **state)
{
    struct xspec xs = chat("openai", "openrouter.ai", "compat/openrouter_stream_request.json",
                           "compat/openrouter_stream.sse", true);
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_string_equal(s->name, "chat anthropic/claude-sonnet-4");
    assert_str_attr(s, "gen_ai.response.id", "gen-1750000000-AbCdEfGhIjKlMnOpQrSt");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 38);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 21);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 0);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 12);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"A greeting; reply warmly.\"},{\"type\":\"text\",\"content\":"
                     "\"Hello!\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);

    xs.resp_file = "compat/openrouter_error.sse";
    s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "server_error");
    assert_string_equal(s->status_message, "Provider disconnected");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Partial\"}]}]");
    lt_span_free(s);
}

static void test_perplexity_usage(void **state)
{
    struct xspec xs = chat("perplexity", "api.perplexity.ai", NULL, NULL, false);
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req = "{\"model\":\"sonar-reasoning-pro\",\"messages\":[]}";
    const char *resp = "{\"id\":\"p1\",\"model\":\"sonar-reasoning-pro\",\"citations\":[\"https://"
                       "a.example\"],\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
                       "\"message\":{\"role\":\"assistant\",\"content\":\"x\"}}],\"usage\":{"
                       "\"prompt_tokens\":9,\"completion_tokens\":30,\"total_tokens\":39,"
                       "\"search_context_size\":\"low\",\"citation_tokens\":120,"
                       "\"num_search_queries\":1,\"reasoning_tokens\":22}}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, false);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 9);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 30);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 22);
    assert_absent(s, "gen_ai.usage.cache_read.input_tokens");
    lt_span_free(s);
    lt_exchange_free(x);
}

/* ---- Azure OpenAI ---- */

#define AZ_HOST "myres.openai.azure.com"

static struct xspec azure(enum lt_api api, const char *target, const char *req, const char *resp,
                          bool stream)
{
    struct xspec xs = {
        .api = api,
        .provider = "azure.ai.openai",
        .host = AZ_HOST,
        .port = 443,
        .req_file = req,
        .resp_file = resp,
        .status = 200,
        .content_type = stream ? CT_SSE : CT_JSON,
        .target = target,
    };
    return xs;
}

static void test_azure_chat(void **state)
{
    struct xspec xs =
        azure(LT_API_OPENAI_CHAT,
              "/openai/deployments/my%20gpt-4o/chat/completions?api-version=2024-10-21",
              "azure/chat_request.json", "azure/chat_response.json", false);
    struct lt_span *s = build_spec(&xs, false);
    assert_string_equal(s->name, "chat my gpt-4o");
    assert_str_attr(s, "gen_ai.provider.name", "azure.ai.openai");
    assert_str_attr(s, "gen_ai.request.model", "my gpt-4o");
    assert_str_attr(s, "gen_ai.response.model", "gpt-4o-2024-08-06");
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-A0bCdEfGhIjKlMnOpQrStUvWxYz12");
    assert_str_attr(s, "openai.response.system_fingerprint", "fp_80a1bad4c7");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 29);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 11);
    assert_double_attr(s, "gen_ai.request.temperature", 0.7);
    assert_int_attr(s, "gen_ai.request.max_tokens", 50);
    /* op, provider, address, port, api.type, model, temperature, max_tokens, status, id,
     * response model, fingerprint, finish, 4 usage */
    assert_n_attrs(s, 17);
    lt_span_free(s);

    s = build_spec(&xs, true);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Yes, Azure OpenAI supports customer managed keys.\"}],"
                     "\"finish_reason\":\"stop\"}]");
    lt_span_free(s);

    /* A model in the body wins over the deployment. */
    xs.req_file = "openai/chat_request.json";
    s = build_spec(&xs, false);
    assert_str_attr(s, "gen_ai.request.model", "gpt-4o-mini");
    lt_span_free(s);
}

static void test_azure_chat_stream(void **state)
{
    struct xspec xs =
        azure(LT_API_OPENAI_CHAT,
              "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21",
              "azure/chat_stream_request.json", "azure/chat_stream.sse", true);
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_string_equal(s->name, "chat gpt-4o-mini");
    /* The prompt-filter chunk's empty id and model are not the response's. */
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-A0bStream0001");
    assert_str_attr(s, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 10);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 3);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Hi!\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_azure_embeddings_completions(void **state)
{
    struct xspec xs =
        azure(LT_API_OPENAI_EMBEDDINGS,
              "/openai/deployments/text-embedding-3-small/embeddings"
              "?api-version=2024-10-21",
              "azure/embeddings_request.json", "azure/embeddings_response.json", false);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "embeddings text-embedding-3-small");
    assert_int_attr(s, "gen_ai.embeddings.dimension.count", 4);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 4);
    assert_absent(s, "gen_ai.request.encoding_formats");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Sample Document goes here\"}]}]");
    lt_span_free(s);

    xs = azure(LT_API_OPENAI_COMPLETIONS,
               "/openai/deployments/gpt-35-turbo-instruct/completions?api-version=2024-10-21",
               "azure/completions_request.json", "azure/completions_response.json", false);
    s = build_spec(&xs, true);
    assert_string_equal(s->name, "text_completion gpt-35-turbo-instruct");
    assert_str_attr(s, "gen_ai.response.model", "gpt-35-turbo-instruct");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 10);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 9);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"\\n\\nScoops of happiness in every cone.\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_azure_content_filter_error(void **state)
{
    struct xspec xs = azure(LT_API_OPENAI_CHAT,
                            "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
                            "azure/chat_request.json", "azure/content_filter_400.json", false);
    xs.status = 400;
    struct lt_span *s = build_spec(&xs, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "400");
    assert_string_equal(s->status_message,
                        "The response was filtered due to the prompt triggering Azure OpenAI's "
                        "content management policy. Please modify your prompt and retry.");
    assert_str_attr(s, "gen_ai.request.model", "gpt-4o");
    lt_span_free(s);
}

static void test_azure_deployment_names(void **state)
{
    static const struct {
        const char *target;
        const char *model; /* NULL: absent */
    } cases[] = {
        {"/openai/deployments/a%41b/chat/completions", "aAb"},
        {"/openai/deployments/bad%2/chat/completions", "bad%2"},
        {"/openai/deployments/bad%zz/chat/completions", "bad%zz"},
        {"/openai/deployments/nul%00x/chat/completions", "nul%00x"},
        {"/openai/deployments/dep?api-version=1", "dep"},
        {"/openai/deployments/dep", "dep"},
        {"/openai/deployments//chat/completions", NULL},
        {"/openai/deployments/", NULL},
        {"/v1/chat/completions", NULL},
        {"/deployments/x/chat/completions", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xspec xs = azure(LT_API_OPENAI_CHAT, cases[i].target, NULL, NULL, false);
        struct lt_span *s = build_spec(&xs, false);
        if (cases[i].model)
            assert_str_attr(s, "gen_ai.request.model", cases[i].model);
        else
            assert_absent(s, "gen_ai.request.model");
        lt_span_free(s);
    }
}

static void test_gzip(void **state)
{
    struct xspec xs = chat("deepseek", "api.deepseek.com", "compat/deepseek_stream_request.json",
                           "compat/deepseek_stream.sse", true);
    struct lt_span *plain = build_spec(&xs, true);
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("compat/deepseek_stream.sse", &n), *z;
    gzip_bytes(body, n, &z, &zn);
    lt_buf_append(&x->resp_body, z, zn);
    x->resp_encoding = LT_ENC_GZIP;
    struct lt_span *s = build(x, true);
    assert_spans_equal(plain, s);
    lt_span_free(s);
    lt_span_free(plain);
    free(body);
    free(z);
    lt_exchange_free(x);
}

/* Some compatible servers stream tool-call deltas without `index`: a delta then continues the
 * call with its `id`, or (no id either) the last call; a new id starts a new call. */
static void test_stream_tool_calls_without_index(void **state)
{
    struct xspec xs = chat("openai", "compat.example", NULL, NULL, true);
    struct lt_exchange *x = mk_exchange(&xs);
    static const char body[] =
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"call_a\",\"function\":"
        "{\"name\":\"f\",\"arguments\":\"{\\\"x\\\"\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"call_b\",\"function\":"
        "{\"name\":\"g\",\"arguments\":\"{\\\"y\\\":\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"call_a\",\"function\":"
        "{\"arguments\":\":1}\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":"
        "\"2}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n"
        "data: [DONE]\n\n";
    lt_buf_append(&x->resp_body, body, strlen(body));
    struct lt_span *s = build(x, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"tool_calls", NULL});
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"tool_call\",\"id\":\"call_a\",\"name\":\"f\","
                     "\"arguments\":{\"x\":1}},"
                     "{\"type\":\"tool_call\",\"id\":\"call_b\",\"name\":\"g\","
                     "\"arguments\":{\"y\":2}}],\"finish_reason\":\"tool_calls\"}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_split_halves(void **state)
{
    static const char *const streams[][3] = {
        {"deepseek", "compat/deepseek_stream_request.json", "compat/deepseek_stream.sse"},
        {"groq", "compat/groq_stream_request.json", "compat/groq_stream.sse"},
        {"mistral_ai", "compat/mistral_stream_request.json", "compat/mistral_stream.sse"},
        {"mistral_ai", "compat/mistral_stream_request.json", "compat/mistral_thinking_stream.sse"},
        {"openai", "compat/openrouter_stream_request.json", "compat/openrouter_stream.sse"},
        {"openai", "compat/openrouter_stream_request.json", "compat/openrouter_error.sse"},
        {"azure.ai.openai", "azure/chat_stream_request.json", "azure/chat_stream.sse"},
    };
    for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
        struct xspec xs = chat(streams[i][0], "compat.example", streams[i][1], streams[i][2], true);
        assert_split_invariant(&xs, true);
    }
    struct xspec xs = chat("mistral_ai", "api.mistral.ai", "compat/mistral_request.json",
                           "compat/mistral_response.json", false);
    assert_split_invariant(&xs, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deepseek),
        cmocka_unit_test(test_groq),
        cmocka_unit_test(test_mistral),
        cmocka_unit_test(test_xai),
        cmocka_unit_test(test_openrouter),
        cmocka_unit_test(test_perplexity_usage),
        cmocka_unit_test(test_azure_chat),
        cmocka_unit_test(test_azure_chat_stream),
        cmocka_unit_test(test_azure_embeddings_completions),
        cmocka_unit_test(test_azure_content_filter_error),
        cmocka_unit_test(test_azure_deployment_names),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_stream_tool_calls_without_index),
        cmocka_unit_test(test_split_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
