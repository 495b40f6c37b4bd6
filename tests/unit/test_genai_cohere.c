/* test_genai_cohere.c — Cohere v2 chat spans from fixture exchanges (docs.cohere.com chat and
 * chat-stream shapes): request parameters (p, k), the response, the SSE event stream (text,
 * tool plan, tool-call fragments, message-end usage), raw finish reasons, usage.tokens vs
 * billed_units, errors, opt-in content, splits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai_testutil.h"

static const struct xspec CHAT = {
    .api = LT_API_COHERE_CHAT,
    .provider = "cohere",
    .host = "api.cohere.com",
    .port = 443,
    .req_file = "cohere/chat_request.json",
    .resp_file = "cohere/chat_response.json",
    .status = 200,
    .content_type = "application/json",
};

static const struct xspec STREAM = {
    .api = LT_API_COHERE_CHAT,
    .provider = "cohere",
    .host = "api.cohere.com",
    .port = 443,
    .req_file = "cohere/stream_request.json",
    .resp_file = "cohere/chat_stream.sse",
    .status = 200,
    .content_type = "text/event-stream",
};

static const struct xspec TOOLS = {
    .api = LT_API_COHERE_CHAT,
    .provider = "cohere",
    .host = "api.cohere.com",
    .port = 443,
    .req_file = "cohere/tools_request.json",
    .resp_file = "cohere/tools_stream.sse",
    .status = 200,
    .content_type = "text/event-stream",
};

static const char TOOLS_OUT[] =
    "[{\"role\":\"assistant\",\"parts\":["
    "{\"type\":\"reasoning\",\"content\":\"I will search for the weather in Madrid and Paris.\"},"
    "{\"type\":\"tool_call\",\"id\":\"get_weather_nsz5zm3w56q3\",\"name\":\"get_weather\","
    "\"arguments\":{\"location\":\"Madrid\"}},"
    "{\"type\":\"tool_call\",\"id\":\"get_weather_qbk9d2zp0m1a\",\"name\":\"get_weather\","
    "\"arguments\":{\"location\":\"Paris\"}}],\"finish_reason\":\"TOOL_CALL\"}]";

static void test_chat_attributes(void **state)
{
    struct lt_span *s = build_spec(&CHAT, false);
    assert_string_equal(s->name, "chat command-a-03-2025");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "chat");
    assert_str_attr(s, "gen_ai.provider.name", "cohere");
    assert_str_attr(s, "server.address", "api.cohere.com");
    assert_int_attr(s, "server.port", 443);
    assert_str_attr(s, "gen_ai.request.model", "command-a-03-2025");
    assert_double_attr(s, "gen_ai.request.temperature", 0.3);
    assert_double_attr(s, "gen_ai.request.top_p", 0.75);
    assert_double_attr(s, "gen_ai.request.top_k", 50.0);
    assert_double_attr(s, "gen_ai.request.frequency_penalty", 0.1);
    assert_double_attr(s, "gen_ai.request.presence_penalty", 0.2);
    assert_int_attr(s, "gen_ai.request.max_tokens", 500);
    assert_int_attr(s, "gen_ai.request.seed", 7);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"--", "END", NULL});
    assert_str_attr(s, "gen_ai.output.type", "json");
    assert_int_attr(s, "http.response.status_code", 200);
    assert_str_attr(s, "gen_ai.response.id", "c14c80c3-18eb-4519-9460-6c92edd8cfb4");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"COMPLETE", NULL});
    /* usage.tokens, not billed_units (5 input billed) */
    assert_int_attr(s, "gen_ai.usage.input_tokens", 71);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 418);
    assert_absent(s, "gen_ai.response.model"); /* Cohere names none */
    assert_absent(s, "gen_ai.request.stream");
    assert_absent(s, "gen_ai.usage.cache_read.input_tokens");
    assert_n_attrs(s, 19);
    lt_span_free(s);
}

static void test_chat_content(void **state)
{
    struct lt_span *s = build_spec(&CHAT, true);
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"You are an assistant for the company Coca Cola.\"}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hello\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"how can I help you?\"}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Tell me about LLMs\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"{\\\"topic\\\": \\\"LLMs\\\", \\\"summary\\\": \\\"Large Language Models "
                     "are neural networks trained on text.\\\"}\"}],"
                     "\"finish_reason\":\"COMPLETE\"}]");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_n_attrs(s, 21);
    lt_span_free(s);
}

static void test_stream(void **state)
{
    struct lt_span *s = build_spec(&STREAM, false);
    assert_string_equal(s->name, "chat command-r-plus-08-2024");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_double_attr(s, "gen_ai.request.temperature", 0.7);
    assert_double_attr(s, "gen_ai.request.top_p", 0.0);
    assert_absent(s, "gen_ai.request.frequency_penalty"); /* null */
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_str_attr(s, "gen_ai.response.id", "a8fc192e-4bb8-4e15-ae1f-a174e8b02ae8");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"COMPLETE", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 186);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 105);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    /* op, provider, address, port, model, temperature, top_p, stream, status, id, finish,
     * 2 usage, ttfc */
    assert_n_attrs(s, 14);
    lt_span_free(s);

    s = build_spec(&STREAM, true);
    assert_json_attr(
        s, "gen_ai.output.messages",
        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"Coca-Cola is a carbonated soft drink.\"}],\"finish_reason\":\"COMPLETE\"}]");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"what is Coca Cola?\"}]}]");
    assert_n_attrs(s, 16);
    lt_span_free(s);
}

static void test_stream_as_json_lines(void **state)
{
    /* The same events without SSE framing (JSON lines): the JSON "type" names each. */
    struct lt_span *sse = build_spec(&STREAM, true);
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    xs.content_type = "application/x-ndjson";
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("cohere/chat_stream.sse", &n);
    for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "data: ", 6) == 0) {
            lt_buf_append(&x->resp_body, line + 6, strlen(line + 6));
            lt_buf_append(&x->resp_body, "\n", 1);
        }
    }
    free(body);
    struct lt_span *s = build(x, true);
    assert_spans_equal(sse, s);
    lt_span_free(s);
    lt_span_free(sse);
    lt_exchange_free(x);
}

static void test_tools_stream(void **state)
{
    struct lt_span *s = build_spec(&TOOLS, true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.response.id", "fba98ad3-e5a1-413c-a8de-84fbf9baabf7");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"TOOL_CALL", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1487);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 79);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 1024);
    assert_json_attr(s, "gen_ai.output.messages", TOOLS_OUT);
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"What's the weather in Toronto?\"}]},"
        "{\"role\":\"assistant\",\"parts\":["
        "{\"type\":\"reasoning\",\"content\":\"I will look up the weather in Toronto.\"},"
        "{\"type\":\"tool_call\",\"id\":\"get_weather_1byjy32y4hvq\",\"name\":\"get_weather\","
        "\"arguments\":{\"location\":\"Toronto\"}}]},"
        "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":"
        "\"get_weather_1byjy32y4hvq\",\"response\":[{\"type\":\"document\",\"document\":"
        "{\"data\":\"{\\\"temperature\\\": \\\"20C\\\"}\"}}]}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"And in Madrid and Paris?\"}]}]");
    assert_json_attr(s, "gen_ai.tool.definitions",
                     "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
                     "\"gets the weather of a given location\",\"parameters\":{\"type\":"
                     "\"object\",\"properties\":{\"location\":{\"type\":\"string\","
                     "\"description\":\"the location to get weather, example: San Francisco, "
                     "CA\"}},\"required\":[\"location\"]}}]");
    lt_span_free(s);

    /* Not streamed: the same calls in one body; only billed_units were sent. */
    struct xspec xs = TOOLS;
    xs.resp_file = "cohere/tools_response.json";
    xs.content_type = "application/json";
    s = build_spec(&xs, true);
    assert_str_attr(s, "gen_ai.response.id", "2c7b4b9a-44a4-4a0f-8a5b-2f9e6f0e1a11");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"TOOL_CALL", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 37);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 28);
    assert_absent(s, "gen_ai.usage.cache_read.input_tokens");
    assert_json_attr(s, "gen_ai.output.messages", TOOLS_OUT);
    lt_span_free(s);
}

static void test_errors(void **state)
{
    struct xspec xs = CHAT;
    xs.resp_file = "cohere/error_400.json";
    xs.status = 400;
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "400");
    assert_string_equal(s->status_message,
                        "invalid request: model 'command-x' not found, make sure the correct "
                        "model ID was used and that you have access to the model.");
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);

    /* A stream that ends in error: message-end carries the reason and the message. */
    xs = STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *body =
        "event: message-start\ndata: {\"id\":\"e1\",\"type\":\"message-start\"}\n\n"
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":"
        "{\"message\":{\"content\":{\"text\":\"Hel\"}}}}\n\n"
        "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":"
        "\"ERROR\",\"error\":\"internal server error, please retry\"}}\n\n";
    lt_buf_append(&x->resp_body, body, strlen(body));
    s = build(x, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "ERROR");
    assert_string_equal(s->status_message, "internal server error, please retry");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"ERROR", NULL});
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Hel\"}],\"finish_reason\":\"ERROR\"}]");
    lt_span_free(s);
    lt_exchange_free(x);

    /* Cut before message-end. */
    xs = TOOLS;
    xs.resp_file = NULL;
    xs.end = LT_END_CUT_OFF;
    x = mk_exchange(&xs);
    size_t n;
    char *all = fixture("cohere/tools_stream.sse", &n);
    char *cut = strstr(all, "event: tool-call-end");
    assert_non_null(cut);
    lt_buf_append(&x->resp_body, all, (size_t)(cut - all));
    free(all);
    s = build(x, true);
    assert_str_attr(s, "error.type", "response_cut_off");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"reasoning\",\"content\":\"I will search for the weather in "
                     "Madrid and Paris.\"},"
                     "{\"type\":\"tool_call\",\"id\":\"get_weather_nsz5zm3w56q3\",\"name\":"
                     "\"get_weather\",\"arguments\":{\"location\":\"Madrid\"}}]}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_unparseable(void **state)
{
    struct xspec xs = CHAT;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req = "{\"model\":\"c\",\"p\":\"x\",\"k\":null,\"stop_sequences\":\"END\","
                      "\"response_format\":[],\"messages\":[1,{\"role\":\"user\",\"content\":7},"
                      "{\"role\":\"assistant\",\"tool_calls\":[1,{\"function\":3}],"
                      "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
                      "\"data:image/png;base64,iVBORw0KGgo=\"}},{\"type\":\"document\"},2]}],"
                      "\"tools\":[{\"type\":\"function\"}]}";
    const char *resp = "{\"id\":5,\"finish_reason\":[],\"message\":{\"content\":\"x\","
                       "\"tool_calls\":{}},\"usage\":{\"tokens\":[],\"billed_units\":"
                       "{\"input_tokens\":-1.5}}}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, true);
    assert_string_equal(s->name, "chat c");
    assert_absent(s, "gen_ai.request.top_p");
    assert_absent(s, "gen_ai.request.top_k");
    assert_absent(s, "gen_ai.request.stop_sequences");
    assert_absent(s, "gen_ai.output.type");
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[]},{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\","
                     "\"content\":\"iVBORw0KGgo=\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"x\"}]}]");
    lt_span_free(s);
    lt_exchange_free(x);

    /* Events of the wrong shapes. */
    xs = STREAM;
    xs.resp_file = NULL;
    x = mk_exchange(&xs);
    const char *ev = "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":-1,"
                     "\"delta\":{\"message\":{\"content\":{\"text\":\"a\"}}}}\n\n"
                     "event: tool-call-delta\ndata: {\"type\":\"tool-call-delta\",\"index\":"
                     "99999999999,\"delta\":{\"message\":{\"tool_calls\":{}}}}\n\n"
                     "event: tool-call-start\ndata: {\"type\":\"tool-call-start\",\"index\":0,"
                     "\"delta\":{\"message\":{\"tool_calls\":[{\"id\":\"t1\",\"function\":"
                     "{\"name\":\"f\"}}]}}}\n\n"
                     "event: message-end\ndata: [1]\n\n"
                     "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":7}\n\n"
                     "data: not json\n\n";
    lt_buf_append(&x->resp_body, ev, strlen(ev));
    s = build(x, true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"t1\","
                     "\"name\":\"f\"}]}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_gzip_stream(void **state)
{
    struct lt_span *plain = build_spec(&TOOLS, true);
    struct xspec xs = TOOLS;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("cohere/tools_stream.sse", &n), *z;
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
    assert_split_invariant(&TOOLS, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_attributes), cmocka_unit_test(test_chat_content),
        cmocka_unit_test(test_stream),          cmocka_unit_test(test_stream_as_json_lines),
        cmocka_unit_test(test_tools_stream),    cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unparseable),     cmocka_unit_test(test_gzip_stream),
        cmocka_unit_test(test_split_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
