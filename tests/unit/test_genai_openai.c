/* test_genai_openai.c — OpenAI Chat Completions spans from fixture exchanges: request and
 * response attributes, streams (text, tool-call deltas, include_usage), usage details,
 * errors (HTTP, in-stream, cut-off), opt-in content, gzip bodies, truncation, split bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai/adapter.h"
#include "genai_testutil.h"

static const struct xspec CHAT = {
    .api = LT_API_OPENAI_CHAT,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/chat_request.json",
    .resp_file = "openai/chat_response.json",
    .status = 200,
    .content_type = "application/json",
};

static const struct xspec STREAM = {
    .api = LT_API_OPENAI_CHAT,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/stream_request.json",
    .resp_file = "openai/stream.sse",
    .status = 200,
    .content_type = "text/event-stream; charset=utf-8",
};

static const struct xspec TOOLS = {
    .api = LT_API_OPENAI_CHAT,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/tools_request.json",
    .resp_file = "openai/tools_stream.sse",
    .status = 200,
    .content_type = "text/event-stream",
};

static void test_chat_attributes(void **state)
{
    struct lt_span *s = build_spec(&CHAT, false);
    assert_string_equal(s->name, "chat gpt-4o-mini");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_null(s->status_message);
    assert_str_attr(s, "gen_ai.operation.name", "chat");
    assert_str_attr(s, "gen_ai.provider.name", "openai");
    assert_str_attr(s, "server.address", "api.openai.com");
    assert_int_attr(s, "server.port", 443);
    assert_str_attr(s, "openai.api.type", "chat_completions");
    assert_str_attr(s, "gen_ai.request.model", "gpt-4o-mini");
    assert_double_attr(s, "gen_ai.request.temperature", 0.2);
    assert_double_attr(s, "gen_ai.request.top_p", 0.9);
    assert_double_attr(s, "gen_ai.request.frequency_penalty", 0.5);
    assert_double_attr(s, "gen_ai.request.presence_penalty", -0.5);
    assert_int_attr(s, "gen_ai.request.max_tokens", 64);
    assert_int_attr(s, "gen_ai.request.seed", 42);
    assert_int_attr(s, "gen_ai.request.choice.count", 2);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"\n\n", "END", NULL});
    assert_str_attr(s, "gen_ai.output.type", "json");
    assert_str_attr(s, "openai.request.service_tier", "flex");
    assert_int_attr(s, "http.response.status_code", 200);
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    assert_str_attr(s, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    assert_str_attr(s, "openai.response.system_fingerprint", "fp_06737a9306");
    assert_str_attr(s, "openai.response.service_tier", "flex");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", "length", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 24);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 16);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 0);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 0);
    assert_absent(s, "gen_ai.request.stream");
    assert_absent(s, "gen_ai.response.time_to_first_chunk");
    assert_absent(s, "llmtap.truncated");
    assert_absent(s, "error.type");
    assert_n_attrs(s, 26);
    lt_span_free(s);
}

static void test_chat_content(void **state)
{
    struct lt_span *s = build_spec(&CHAT, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"You are a terse assistant. Reply in JSON.\"}]},"
                     "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Say hello in French.\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"{\\\"greeting\\\": \\\"Bonjour\\\"}\"}],\"finish_reason\":\"stop\"},"
                     "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"{\\\"greeting\\\": \\\"Salut\"}],\"finish_reason\":\"length\"}]");
    /* OpenAI system messages stay in the chat history. */
    assert_absent(s, "gen_ai.system_instructions");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_n_attrs(s, 28);
    lt_span_free(s);
}

static void test_reasoning_usage(void **state)
{
    struct xspec xs = CHAT;
    xs.req_file = "openai/reasoning_request.json";
    xs.resp_file = "openai/reasoning_response.json";
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat o3-mini");
    assert_int_attr(s, "gen_ai.request.max_tokens", 4000);
    assert_str_attr(s, "gen_ai.output.type", "text");
    assert_absent(s, "openai.request.service_tier"); /* "auto" is not reported */
    assert_absent(s, "gen_ai.request.choice.count");
    assert_absent(s, "gen_ai.request.temperature");
    assert_absent(s, "gen_ai.request.seed");
    assert_str_attr(s, "openai.response.service_tier", "default");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1340);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 712);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 1152);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 704);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"developer\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Answer with a single number.\"}]},{\"role\":\"user\",\"parts\":[{\"type\":"
                     "\"text\",\"content\":\"How many primes are below 100?\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"25\"}],"
                     "\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_stream(void **state)
{
    struct lt_span *s = build_spec(&STREAM, false);
    assert_string_equal(s->name, "chat gpt-4o-mini");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_int_attr(s, "gen_ai.request.max_tokens", 32);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"four", NULL});
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-C1aBcDeFgHiJkLmNoPqRsTuVwXyZ");
    assert_str_attr(s, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    assert_str_attr(s, "openai.response.system_fingerprint", "fp_06737a9306");
    assert_str_attr(s, "openai.response.service_tier", "default");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 12);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 6);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    /* op, provider, address, port, api.type, model, max_tokens, stop, stream, status, id,
     * response model, fingerprint, tier, finish, 4 usage, ttfc */
    assert_n_attrs(s, 20);
    lt_span_free(s);

    s = build_spec(&STREAM, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Count to three.\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"One, two, three.\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_stream_tool_calls(void **state)
{
    struct lt_span *s = build_spec(&TOOLS, false);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"tool_calls", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1324);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 48);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 1152);
    assert_str_attr(s, "gen_ai.response.model", "gpt-4.1-2025-04-14");
    lt_span_free(s);

    s = build_spec(&TOOLS, true);
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"developer\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"Use the tools when asked about weather.\"}]},"
        "{\"role\":\"user\",\"parts\":["
        "{\"type\":\"text\",\"content\":\"Which city is this? Then compare its weather with "
        "Tokyo.\"},"
        "{\"type\":\"uri\",\"modality\":\"image\",\"uri\":\"https://example.com/paris.jpg\"},"
        "{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\","
        "\"content\":\"iVBORw0KGgo=\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"call_prev1\","
        "\"name\":\"lookup_landmark\",\"arguments\":{\"image\":1}}]},"
        "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\"call_prev1\","
        "\"response\":\"Eiffel Tower, Paris\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"That is Paris. Checking the weather now.\"}]}]");
    assert_json_attr(
        s, "gen_ai.tool.definitions",
        "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
        "\"Get the current weather for a city.\",\"parameters\":{\"type\":\"object\","
        "\"properties\":{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"],"
        "\"additionalProperties\":false}},"
        "{\"type\":\"function\",\"name\":\"lookup_landmark\",\"parameters\":{\"type\":\"object\","
        "\"properties\":{\"image\":{\"type\":\"integer\"}}}}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"tool_call\",\"id\":\"call_paris\",\"name\":\"get_weather\","
                     "\"arguments\":{\"location\":\"Paris\"}},"
                     "{\"type\":\"tool_call\",\"id\":\"call_tokyo\",\"name\":\"get_weather\","
                     "\"arguments\":{\"location\":\"Tokyo\"}}],\"finish_reason\":\"tool_calls\"}]");
    assert_absent(s, "gen_ai.system_instructions");
    lt_span_free(s);
}

static void test_http_429(void **state)
{
    struct xspec xs = CHAT;
    xs.resp_file = "openai/error_429.json";
    xs.status = 429;
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "429");
    assert_string_equal(s->status_message,
                        "Rate limit reached for gpt-4o-mini in organization org-Zq8pXk3Lm2 on "
                        "tokens per min (TPM): Limit 200000, Used 199950, Requested 120. Please "
                        "try again in 21ms. Visit https://platform.openai.com/account/rate-limits "
                        "to learn more.");
    assert_int_attr(s, "http.response.status_code", 429);
    assert_str_attr(s, "gen_ai.request.model", "gpt-4o-mini");
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.output.messages");
    assert_absent(s, "gen_ai.usage.input_tokens");
    lt_span_free(s);
}

static void test_http_401_scrubbed(void **state)
{
    struct xspec xs = CHAT;
    xs.resp_file = "openai/error_401.json";
    xs.status = 401;
    struct lt_span *s = build_spec(&xs, false); /* build() asserts no credential leaks */
    assert_str_attr(s, "error.type", "401");
    assert_string_equal(s->status_message,
                        "Incorrect API key provided: ***. You can find your API key at "
                        "https://platform.openai.com/account/api-keys.");
    lt_span_free(s);
}

static void test_http_500_not_json(void **state)
{
    struct xspec xs = CHAT;
    xs.resp_file = NULL;
    xs.status = 502;
    xs.content_type = "text/html";
    struct lt_exchange *x = mk_exchange(&xs);
    const char *html = "<html><body>Bad gateway</body></html>";
    lt_buf_append(&x->resp_body, html, strlen(html));
    struct lt_span *s = build(x, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "502");
    assert_string_equal(s->status_message, "HTTP 502");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_stream_error(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = "openai/stream_error.sse";
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "server_error");
    assert_string_equal(s->status_message,
                        "The server had an error while processing your request. Sorry about "
                        "that!");
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-E1rr0r");
    assert_int_attr(s, "http.response.status_code", 200);
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Once upon\"}]}]");
    lt_span_free(s);
}

static void test_stream_error_code_only(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *body = "data: {\"error\":{\"message\":\"quota\",\"code\":429}}\n\n";
    lt_buf_append(&x->resp_body, body, strlen(body));
    struct lt_span *s = build(x, false);
    assert_str_attr(s, "error.type", "429");
    assert_string_equal(s->status_message, "quota");
    lt_span_free(s);
    lt_exchange_free(x);

    x = mk_exchange(&xs);
    body = "data: {\"error\":{\"message\":\"odd\"}}\n\n";
    lt_buf_append(&x->resp_body, body, strlen(body));
    s = build(x, false);
    assert_str_attr(s, "error.type", "_OTHER");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_cut_off(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    xs.end = LT_END_CUT_OFF;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("openai/stream.sse", &n);
    lt_buf_append(&x->resp_body, body, n / 2);
    free(body);
    struct lt_span *s = build(x, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "response_cut_off");
    assert_string_equal(s->status_message, "response ended before it was complete");
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-C1aBcDeFgHiJkLmNoPqRsTuVwXyZ");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_absent(s, "llmtap.truncated");
    lt_span_free(s);
    lt_exchange_free(x);

    /* No response at all: status 0, nothing but the request. */
    xs.resp_file = NULL;
    xs.status = 0;
    xs.content_type = NULL;
    x = mk_exchange(&xs);
    s = build(x, false);
    assert_absent(s, "http.response.status_code");
    assert_str_attr(s, "error.type", "response_cut_off");
    lt_span_free(s);
    lt_exchange_free(x);
}

/* The response stopped being HTTP llmtap can frame (malformed status line or chunk size, head
 * over 64 KiB): a protocol error, not a cut-off; what the body said so far still counts. */
static void test_protocol_error(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    xs.end = LT_END_PROTOCOL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("openai/stream.sse", &n);
    lt_buf_append(&x->resp_body, body, n / 2);
    free(body);
    struct lt_span *s = build(x, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "http_protocol_error");
    assert_string_equal(s->status_message, "the HTTP exchange could not be parsed");
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-C1aBcDeFgHiJkLmNoPqRsTuVwXyZ");
    assert_absent(s, "gen_ai.usage.input_tokens");
    lt_span_free(s);
    lt_exchange_free(x);

    /* No response head could be read: no status code either. */
    xs.status = 0;
    xs.content_type = NULL;
    x = mk_exchange(&xs);
    s = build(x, false);
    assert_absent(s, "http.response.status_code");
    assert_str_attr(s, "error.type", "http_protocol_error");
    lt_span_free(s);
    lt_exchange_free(x);

    /* An HTTP error status still wins. */
    xs.status = 429;
    x = mk_exchange(&xs);
    s = build(x, false);
    assert_str_attr(s, "error.type", "429");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_gzip_response(void **state)
{
    struct lt_span *plain = build_spec(&CHAT, true);
    struct xspec xs = CHAT;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("openai/chat_response.json", &n), *z;
    gzip_bytes(body, n, &z, &zn);
    lt_buf_append(&x->resp_body, z, zn);
    x->resp_encoding = LT_ENC_GZIP;
    struct lt_span *s = build(x, true);
    assert_spans_equal(plain, s);
    lt_span_free(s);

    /* A decode cap below the body's size: marked truncated, no crash. */
    struct lt_span *capped = lt_span_new("", LT_SPAN_KIND_CLIENT);
    struct lt_genai_options opt = {.capture_content = true, .max_decoded = 100};
    assert_int_equal(lt_genai_build_span(capped, x, &opt), 0);
    assert_bool_attr(capped, "llmtap.truncated", true);
    assert_absent(capped, "gen_ai.response.id");
    lt_span_free(capped);

    /* Corrupt gzip: the response is unreadable, the span still has the request. */
    lt_buf_reset(&x->resp_body);
    lt_buf_append(&x->resp_body, z, zn / 3);
    lt_buf_append(&x->resp_body, "garbage!", 8);
    s = build(x, false);
    assert_str_attr(s, "gen_ai.request.model", "gpt-4o-mini");
    assert_absent(s, "gen_ai.response.id");
    lt_span_free(s);

    /* An encoding llmtap cannot decode (br): response ignored. */
    lt_buf_reset(&x->resp_body);
    lt_buf_append(&x->resp_body, z, zn);
    x->resp_encoding = LT_ENC_UNKNOWN;
    s = build(x, false);
    assert_absent(s, "gen_ai.response.id");
    lt_span_free(s);

    free(body);
    free(z);
    lt_exchange_free(x);
    lt_span_free(plain);
}

static void test_gzip_request(void **state)
{
    struct xspec xs = CHAT;
    xs.req_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("openai/chat_request.json", &n), *z;
    gzip_bytes(body, n, &z, &zn);
    lt_buf_append(&x->req_body, z, zn);
    x->req_encoding = LT_ENC_GZIP;
    struct lt_span *s = build(x, false);
    assert_string_equal(s->name, "chat gpt-4o-mini");
    assert_int_attr(s, "gen_ai.request.seed", 42);
    lt_span_free(s);
    free(body);
    free(z);
    lt_exchange_free(x);
}

static void test_truncated_bodies(void **state)
{
    struct xspec xs = STREAM;
    xs.max_body = 600;
    struct lt_span *s = build_spec(&xs, true);
    assert_bool_attr(s, "llmtap.truncated", true);
    /* The request (194 bytes) fits; the stream's first events still count. */
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-C1aBcDeFgHiJkLmNoPqRsTuVwXyZ");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    lt_span_free(s);

    xs = CHAT;
    xs.max_body = 100;
    s = build_spec(&xs, true);
    assert_bool_attr(s, "llmtap.truncated", true);
    assert_string_equal(s->name, "chat");
    assert_absent(s, "gen_ai.request.model");
    assert_absent(s, "gen_ai.input.messages");
    lt_span_free(s);
}

static void test_unparseable(void **state)
{
    struct xspec xs = CHAT;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    lt_buf_append(&x->req_body, "not json at all", 15);
    lt_buf_append(&x->resp_body, "{\"id\": \"x\", \"choices\": [", 24);
    struct lt_span *s = build(x, true);
    assert_string_equal(s->name, "chat");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    /* op, provider, address, port, api.type, status code */
    assert_n_attrs(s, 6);
    lt_span_free(s);
    lt_exchange_free(x);

    /* Valid JSON of the wrong shapes everywhere. */
    x = mk_exchange(&xs);
    const char *req = "{\"model\":7,\"messages\":{\"a\":1},\"stop\":[1,null],\"n\":\"2\","
                      "\"temperature\":\"hot\",\"tools\":[1,{\"function\":3}],"
                      "\"response_format\":[]}";
    const char *resp = "{\"id\":[],\"choices\":[null,1,{\"message\":7,\"finish_reason\":3}],"
                       "\"usage\":{\"prompt_tokens\":1.5,\"completion_tokens\":true}}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    s = build(x, true);
    assert_string_equal(s->name, "chat");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_absent(s, "gen_ai.usage.output_tokens");
    assert_absent(s, "gen_ai.response.finish_reasons");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_stream_without_content_type(void **state)
{
    /* A compatible server that streams without text/event-stream. */
    struct xspec xs = STREAM;
    xs.content_type = "application/octet-stream";
    struct lt_span *s = build_spec(&xs, false);
    struct lt_span *ref = build_spec(&STREAM, false);
    assert_spans_equal(ref, s);
    lt_span_free(s);
    lt_span_free(ref);

    /* A non-stream request whose response is SSE-shaped but typed JSON stays JSON. */
    xs = CHAT;
    xs.resp_file = "openai/stream.sse";
    s = build_spec(&xs, false);
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.response.time_to_first_chunk");
    lt_span_free(s);
}

static void test_compatible_provider(void **state)
{
    struct xspec xs = STREAM;
    xs.provider = "groq";
    xs.host = "api.groq.com";
    xs.port = 8443;
    struct lt_span *s = build_spec(&xs, false);
    assert_str_attr(s, "gen_ai.provider.name", "groq");
    assert_str_attr(s, "server.address", "api.groq.com");
    assert_int_attr(s, "server.port", 8443);
    lt_span_free(s);
}

static void test_split_halves(void **state)
{
    assert_split_invariant(&STREAM, true);
    assert_split_invariant(&TOOLS, true);
    assert_split_invariant(&CHAT, true);
}

static void test_scrub(void **state)
{
    char a[] = "bad key sk-abc123DEF456 and Bearer eyJhbGciOi.payload.sig end";
    lt_genai_scrub(a);
    assert_string_equal(a, "bad key sk-*** and Bearer *** end");
    char b[] = "task-force sk-a ask-me";
    lt_genai_scrub(b);
    assert_string_equal(b, "task-force sk-a ask-me");
    char c[] = "xai-0123456789.";
    lt_genai_scrub(c);
    assert_string_equal(c, "xai-***.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_attributes),
        cmocka_unit_test(test_chat_content),
        cmocka_unit_test(test_reasoning_usage),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_tool_calls),
        cmocka_unit_test(test_http_429),
        cmocka_unit_test(test_http_401_scrubbed),
        cmocka_unit_test(test_http_500_not_json),
        cmocka_unit_test(test_stream_error),
        cmocka_unit_test(test_stream_error_code_only),
        cmocka_unit_test(test_cut_off),
        cmocka_unit_test(test_gzip_response),
        cmocka_unit_test(test_gzip_request),
        cmocka_unit_test(test_truncated_bodies),
        cmocka_unit_test(test_unparseable),
        cmocka_unit_test(test_protocol_error),
        cmocka_unit_test(test_stream_without_content_type),
        cmocka_unit_test(test_compatible_provider),
        cmocka_unit_test(test_split_halves),
        cmocka_unit_test(test_scrub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
