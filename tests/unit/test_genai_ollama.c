/* test_genai_ollama.c — Ollama native /api/chat and /api/generate spans from fixture
 * exchanges (docs/api.md shapes): request options, format, the default stream, one-object
 * and NDJSON responses (thinking, text, tool calls), done_reason, usage from the final chunk,
 * in-stream and HTTP errors, opt-in content, splits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai_testutil.h"

static const struct xspec CHAT = {
    .api = LT_API_OLLAMA_CHAT,
    .provider = "ollama",
    .host = "localhost",
    .port = 11434,
    .req_file = "ollama/chat_request.json",
    .resp_file = "ollama/chat_response.json",
    .status = 200,
    .content_type = "application/json; charset=utf-8",
};

static const struct xspec STREAM = {
    .api = LT_API_OLLAMA_CHAT,
    .provider = "ollama",
    .host = "localhost",
    .port = 11434,
    .req_file = "ollama/chat_stream_request.json",
    .resp_file = "ollama/chat_stream.ndjson",
    .status = 200,
    .content_type = "application/x-ndjson",
};

static const struct xspec GENERATE = {
    .api = LT_API_OLLAMA_GENERATE,
    .provider = "ollama",
    .host = "ollama.com",
    .port = 443,
    .req_file = "ollama/generate_request.json",
    .resp_file = "ollama/generate_stream.ndjson",
    .status = 200,
    .content_type = "application/x-ndjson",
};

static const struct xspec TOOLS = {
    .api = LT_API_OLLAMA_CHAT,
    .provider = "ollama",
    .host = "localhost",
    .port = 11434,
    .req_file = "ollama/tools_request.json",
    .resp_file = "ollama/tools_response.json",
    .status = 200,
    .content_type = "application/json; charset=utf-8",
};

static const char WEATHER_PARAMS[] =
    "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\",\"description\":"
    "\"The location to get the weather for, e.g. San Francisco, CA\"},\"format\":{\"type\":"
    "\"string\",\"description\":\"The format to return the weather in, e.g. 'celsius' or "
    "'fahrenheit'\",\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"location\","
    "\"format\"]}";

static void test_chat_attributes(void **state)
{
    struct lt_span *s = build_spec(&CHAT, false);
    assert_string_equal(s->name, "chat llama3.2");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "chat");
    assert_str_attr(s, "gen_ai.provider.name", "ollama");
    assert_str_attr(s, "server.address", "localhost");
    assert_int_attr(s, "server.port", 11434);
    assert_str_attr(s, "gen_ai.request.model", "llama3.2");
    assert_double_attr(s, "gen_ai.request.temperature", 0.8);
    assert_double_attr(s, "gen_ai.request.top_p", 0.9);
    assert_double_attr(s, "gen_ai.request.top_k", 20.0);
    assert_double_attr(s, "gen_ai.request.frequency_penalty", 1.0);
    assert_double_attr(s, "gen_ai.request.presence_penalty", 1.5);
    assert_int_attr(s, "gen_ai.request.max_tokens", 100);
    assert_int_attr(s, "gen_ai.request.seed", 42);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"\n", "user:", NULL});
    assert_str_attr(s, "gen_ai.output.type", "json"); /* format: a JSON schema */
    assert_int_attr(s, "http.response.status_code", 200);
    assert_str_attr(s, "gen_ai.response.model", "llama3.2");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 34);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 12);
    assert_absent(s, "gen_ai.request.stream"); /* "stream": false */
    assert_absent(s, "gen_ai.response.id");    /* Ollama sends none */
    assert_absent(s, "gen_ai.response.time_to_first_chunk");
    assert_n_attrs(s, 19);
    lt_span_free(s);
}

static void test_chat_content(void **state)
{
    struct lt_span *s = build_spec(&CHAT, true);
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"You are a concise assistant.\"}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"why is the sky blue?\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"due to rayleigh scattering.\"}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"what is in this image?\"},"
        "{\"type\":\"blob\",\"modality\":\"image\",\"content\":"
        "\"iVBORw0KGgoAAAANSUhEUgAAAG0AAABmCAYAAADBPx+VAAAACXBIWXMAAAsTAAALEwEAmpwYAAAAAXNSR0IArs4"
        "c6QAAAARnQU1BAACxjwv8YQUAAA3VSURBVHgB7Z27r0zdG8fX743i1bi1ikMoFMQloXRpKFFIqI7LH4BEQ+NWIkjQu"
        "SWCRIEoULk0gsK1kCBI0IhrQVT7tz\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"{\\\"answer\\\": \\\"A cute little pig with an angry facial "
                     "expression.\\\"}\"}],\"finish_reason\":\"stop\"}]");
    assert_absent(s, "gen_ai.system_instructions"); /* chat keeps system turns in history */
    assert_absent(s, "gen_ai.tool.definitions");
    assert_n_attrs(s, 21);
    lt_span_free(s);
}

static void test_stream(void **state)
{
    struct lt_span *s = build_spec(&STREAM, false);
    assert_string_equal(s->name, "chat qwen3:8b");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.request.model", "qwen3:8b");
    assert_double_attr(s, "gen_ai.request.temperature", 0.6);
    assert_absent(s, "gen_ai.request.max_tokens");      /* num_predict -1: no limit */
    assert_bool_attr(s, "gen_ai.request.stream", true); /* the default */
    assert_str_attr(s, "gen_ai.response.model", "qwen3:8b");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 26);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 282);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    /* op, provider, address, port, model, temperature, stream, status, response model,
     * finish, 2 usage, ttfc */
    assert_n_attrs(s, 13);
    lt_span_free(s);

    s = build_spec(&STREAM, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Describe a rabbit in 3 words\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"reasoning\",\"content\":\"The user wants three words.\"},"
                     "{\"type\":\"text\",\"content\":\"Fluffy, quick, curious.\"}],"
                     "\"finish_reason\":\"stop\"}]");
    assert_n_attrs(s, 15);
    lt_span_free(s);
}

static void test_generate(void **state)
{
    struct lt_span *s = build_spec(&GENERATE, false);
    assert_string_equal(s->name, "text_completion llama3.2");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "text_completion");
    assert_str_attr(s, "gen_ai.provider.name", "ollama");
    assert_str_attr(s, "server.address", "ollama.com");
    assert_int_attr(s, "server.port", 443);
    assert_str_attr(s, "gen_ai.request.model", "llama3.2");
    assert_double_attr(s, "gen_ai.request.temperature", 0.0);
    assert_int_attr(s, "gen_ai.request.max_tokens", 128);
    assert_int_attr(s, "gen_ai.request.seed", 123);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"\n\n", NULL});
    assert_str_attr(s, "gen_ai.output.type", "json");
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_int_attr(s, "http.response.status_code", 200);
    assert_str_attr(s, "gen_ai.response.model", "llama3.2");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"length", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 26);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 128);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    assert_n_attrs(s, 17);
    lt_span_free(s);

    s = build_spec(&GENERATE, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"Answer like a physicist.\"}]");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Why is the sky blue?\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"The sky is blue because of Rayleigh scattering.\"}],"
                     "\"finish_reason\":\"length\"}]");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_n_attrs(s, 20);
    lt_span_free(s);
}

static void test_tools(void **state)
{
    struct lt_span *s = build_spec(&TOOLS, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 122);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 33);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"What is the weather today in Paris?\"}]},"
                     "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"name\":"
                     "\"get_current_weather\",\"arguments\":{\"format\":\"celsius\",\"location\":"
                     "\"Paris, FR\"}}]},"
                     "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"response\":"
                     "\"22 degrees celsius, sunny\"}]},"
                     "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"And in Lyon "
                     "and Nice?\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"tool_call\",\"name\":\"get_current_weather\",\"arguments\":"
                     "{\"format\":\"celsius\",\"location\":\"Lyon, FR\"}},"
                     "{\"type\":\"tool_call\",\"id\":\"call_nice01\",\"name\":"
                     "\"get_current_weather\",\"arguments\":{\"format\":\"celsius\","
                     "\"location\":\"Nice, FR\"}}],\"finish_reason\":\"stop\"}]");
    char defs[1024];
    snprintf(defs, sizeof(defs),
             "[{\"type\":\"function\",\"name\":\"get_current_weather\",\"description\":"
             "\"Get the current weather for a location\",\"parameters\":%s}]",
             WEATHER_PARAMS);
    assert_json_attr(s, "gen_ai.tool.definitions", defs);
    lt_span_free(s);

    /* Streamed: thinking, then a whole tool call in one chunk. */
    struct xspec xs = STREAM;
    xs.resp_file = "ollama/tools_stream.ndjson";
    s = build_spec(&xs, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 140);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 41);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"reasoning\",\"content\":\"Need the weather tool.\"},"
                     "{\"type\":\"tool_call\",\"id\":\"call_lyon01\",\"name\":"
                     "\"get_current_weather\",\"arguments\":{\"format\":\"celsius\","
                     "\"location\":\"Lyon, FR\"}}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_stream_error(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = "ollama/stream_error.ndjson";
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "_OTHER");
    assert_string_equal(s->status_message,
                        "an error was encountered while running the model: unexpected EOF");
    assert_str_attr(s, "gen_ai.response.model", "llama3.2");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.output_tokens");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Hel\"}]}]");
    lt_span_free(s);

    /* Cut off before the final chunk: no finish reason, no usage, the cut is the error. */
    xs = STREAM;
    xs.resp_file = NULL;
    xs.end = LT_END_CUT_OFF;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("ollama/chat_stream.ndjson", &n);
    const char *last =
        strstr(body, "{\"model\":\"qwen3:8b\",\"created_at\":\"2025-08-15T22:55:08.531");
    assert_non_null(last);
    lt_buf_append(&x->resp_body, body, (size_t)(last - body) + 40);
    free(body);
    s = build(x, false);
    assert_str_attr(s, "error.type", "response_cut_off");
    assert_str_attr(s, "gen_ai.response.model", "qwen3:8b");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_http_error(void **state)
{
    struct xspec xs = CHAT;
    xs.resp_file = NULL;
    xs.status = 404;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *err = "{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}";
    lt_buf_append(&x->resp_body, err, strlen(err));
    struct lt_span *s = build(x, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "404");
    assert_string_equal(s->status_message, "model \"llama9\" not found, try pulling it first");
    assert_absent(s, "gen_ai.response.model");
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_unparseable(void **state)
{
    struct xspec xs = CHAT;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req = "{\"model\":\"m\",\"options\":[1],\"format\":\"yaml\",\"stream\":0,"
                      "\"messages\":[7,{\"role\":\"user\",\"content\":5,\"images\":[1,null],"
                      "\"tool_calls\":[3,{\"function\":[]}]},{\"role\":\"tool\"}],"
                      "\"tools\":[{\"type\":\"retrieval\"},{\"function\":1}]}";
    const char *resp = "{\"model\":7,\"message\":[],\"done\":\"yes\",\"done_reason\":\"stop\","
                       "\"prompt_eval_count\":1.5,\"eval_count\":\"9\"}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, true);
    assert_string_equal(s->name, "chat m");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.output.type");
    assert_absent(s, "gen_ai.request.temperature");
    assert_bool_attr(s, "gen_ai.request.stream", true); /* only false turns it off */
    assert_absent(s, "gen_ai.response.model");
    assert_absent(s, "gen_ai.response.finish_reasons"); /* done is not true */
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_absent(s, "gen_ai.usage.output_tokens");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"tool_call\"}]},"
                     "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"\"}]}]");
    lt_span_free(s);
    lt_exchange_free(x);

    /* NDJSON lines that are not objects, or not JSON. */
    xs = STREAM;
    xs.resp_file = NULL;
    x = mk_exchange(&xs);
    const char *lines = "[1,2]\nnot json\n\"s\"\n{\"done\":true,\"done_reason\":\"length\"}\n";
    lt_buf_append(&x->resp_body, lines, strlen(lines));
    s = build(x, false);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"length", NULL});
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_gzip_stream(void **state)
{
    struct lt_span *plain = build_spec(&STREAM, true);
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("ollama/chat_stream.ndjson", &n), *z;
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

static void test_split_halves(void **state)
{
    assert_split_invariant(&CHAT, true);
    assert_split_invariant(&STREAM, true);
    assert_split_invariant(&STREAM, false);
    assert_split_invariant(&GENERATE, true);
    assert_split_invariant(&TOOLS, true);
    struct xspec xs = STREAM;
    xs.resp_file = "ollama/tools_stream.ndjson";
    assert_split_invariant(&xs, true);
    xs.resp_file = "ollama/stream_error.ndjson";
    assert_split_invariant(&xs, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_attributes), cmocka_unit_test(test_chat_content),
        cmocka_unit_test(test_stream),          cmocka_unit_test(test_generate),
        cmocka_unit_test(test_tools),           cmocka_unit_test(test_stream_error),
        cmocka_unit_test(test_http_error),      cmocka_unit_test(test_unparseable),
        cmocka_unit_test(test_gzip_stream),     cmocka_unit_test(test_split_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
