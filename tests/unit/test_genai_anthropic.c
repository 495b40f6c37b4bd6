/* test_genai_anthropic.c — Anthropic Messages spans from fixture exchanges: request and
 * response attributes, usage with cache counts, the event stream (thinking, text, tool_use
 * input_json_delta, message_delta usage), error events and bodies, opt-in content, splits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai_testutil.h"

static const struct xspec MSG = {
    .api = LT_API_ANTHROPIC_MESSAGES,
    .provider = "anthropic",
    .host = "api.anthropic.com",
    .port = 443,
    .req_file = "anthropic/messages_request.json",
    .resp_file = "anthropic/messages_response.json",
    .status = 200,
    .content_type = "application/json",
};

static const struct xspec STREAM = {
    .api = LT_API_ANTHROPIC_MESSAGES,
    .provider = "anthropic",
    .host = "api.anthropic.com",
    .port = 443,
    .req_file = "anthropic/stream_request.json",
    .resp_file = "anthropic/stream.sse",
    .status = 200,
    .content_type = "text/event-stream; charset=utf-8",
};

static const char TOOL_SCHEMA[] =
    "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\",\"description\":"
    "\"City and country\"}},\"required\":[\"location\"]}";

static void test_message_attributes(void **state)
{
    struct lt_span *s = build_spec(&MSG, false);
    assert_string_equal(s->name, "chat claude-sonnet-4-5");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "chat");
    assert_str_attr(s, "gen_ai.provider.name", "anthropic");
    assert_str_attr(s, "server.address", "api.anthropic.com");
    assert_int_attr(s, "server.port", 443);
    assert_str_attr(s, "gen_ai.request.model", "claude-sonnet-4-5");
    assert_int_attr(s, "gen_ai.request.max_tokens", 1024);
    assert_double_attr(s, "gen_ai.request.temperature", 0.7);
    assert_double_attr(s, "gen_ai.request.top_p", 0.95);
    assert_double_attr(s, "gen_ai.request.top_k", 40.0);
    assert_strs_attr(s, "gen_ai.request.stop_sequences",
                     (const char *[]){"\n\nHuman:", "STOP", NULL});
    assert_int_attr(s, "http.response.status_code", 200);
    assert_str_attr(s, "gen_ai.response.id", "msg_01Aq9w938a90dw8qXrLkP3mN");
    assert_str_attr(s, "gen_ai.response.model", "claude-sonnet-4-5-20250929");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"tool_use", NULL});
    /* 472 uncached + 1200 read from cache + 0 written */
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1672);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 89);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 1200);
    assert_int_attr(s, "gen_ai.usage.cache_creation.input_tokens", 0);
    assert_int_attr(s, "gen_ai.usage.cache_write.input_tokens", 0);
    assert_absent(s, "openai.api.type");
    assert_absent(s, "gen_ai.request.stream");
    assert_absent(s, "gen_ai.response.time_to_first_chunk");
    assert_n_attrs(s, 19);
    lt_span_free(s);
}

static void test_message_content(void **state)
{
    struct lt_span *s = build_spec(&MSG, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"You are a weather assistant.\"}]");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"What is the weather in Paris?\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"I'll check the weather in Paris.\"},{\"type\":\"tool_call\",\"id\":"
                     "\"toolu_01A09q90qw90lq917835lq9\",\"name\":\"get_weather\",\"arguments\":"
                     "{\"location\":\"Paris, France\"}}],\"finish_reason\":\"tool_use\"}]");
    char defs[512];
    snprintf(defs, sizeof(defs),
             "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
             "\"Get the current weather in a given location\",\"parameters\":%s}]",
             TOOL_SCHEMA);
    assert_json_attr(s, "gen_ai.tool.definitions", defs);
    assert_n_attrs(s, 23);
    lt_span_free(s);
}

static void test_stream(void **state)
{
    struct lt_span *s = build_spec(&STREAM, false);
    assert_string_equal(s->name, "chat claude-sonnet-4-5");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_int_attr(s, "gen_ai.request.max_tokens", 16000);
    assert_str_attr(s, "gen_ai.response.id", "msg_01StReAm7yJ2kPqW");
    assert_str_attr(s, "gen_ai.response.model", "claude-sonnet-4-5-20250929");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"tool_use", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1525);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 187); /* message_delta's, not 1 */
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 0);
    assert_int_attr(s, "gen_ai.usage.cache_creation.input_tokens", 1500);
    assert_int_attr(s, "gen_ai.usage.cache_write.input_tokens", 1500);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    /* op, provider, address, port, model, max_tokens, stream, status, id, response model,
     * finish, 5 usage, ttfc */
    assert_n_attrs(s, 17);
    lt_span_free(s);
}

static void test_stream_content(void **state)
{
    struct lt_span *s = build_spec(&STREAM, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"You are a weather assistant.\"},"
                     "{\"type\":\"text\",\"content\":\"Answer in one sentence.\"}]");
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"user\",\"parts\":["
        "{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\","
        "\"content\":\"iVBORw0KGgo=\"},"
        "{\"type\":\"uri\",\"modality\":\"image\",\"uri\":\"https://example.com/lyon.jpg\"},"
        "{\"type\":\"text\",\"content\":\"Where is this, and what is the weather there?\"}]},"
        "{\"role\":\"assistant\",\"parts\":["
        "{\"type\":\"reasoning\",\"content\":\"The image shows the Eiffel Tower.\"},"
        "{\"type\":\"tool_call\",\"id\":\"toolu_01\",\"name\":\"get_weather\","
        "\"arguments\":{\"location\":\"Paris, France\"}}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\"toolu_01\","
        "\"response\":\"18°C, clear\"}]}]");
    assert_json_attr(
        s, "gen_ai.output.messages",
        "[{\"role\":\"assistant\",\"parts\":["
        "{\"type\":\"reasoning\",\"content\":\"Paris is clear; check Lyon too.\"},"
        "{\"type\":\"text\",\"content\":\"It is 18°C and clear in Paris. Let me check Lyon.\"},"
        "{\"type\":\"tool_call\",\"id\":\"toolu_02\",\"name\":\"get_weather\","
        "\"arguments\":{\"location\":\"Lyon, France\"}}],\"finish_reason\":\"tool_use\"}]");
    /* The server tool (web_search_20250305) is not a function definition. */
    assert_json_attr(s, "gen_ai.tool.definitions",
                     "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
                     "\"Get the current weather in a given location\",\"parameters\":"
                     "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}},"
                     "\"required\":[\"location\"]}}]");
    lt_span_free(s);
}

static void test_overloaded_event(void **state)
{
    struct xspec xs = STREAM;
    xs.req_file = "anthropic/overloaded_request.json";
    xs.resp_file = "anthropic/overloaded.sse";
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat claude-haiku-4-5");
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "overloaded_error");
    assert_string_equal(s->status_message, "Overloaded");
    assert_int_attr(s, "http.response.status_code", 200);
    assert_str_attr(s, "gen_ai.response.id", "msg_01OvErLoAd3d");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 12);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 1);
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Hel\"}]}]");
    lt_span_free(s);

    /* Same stream, connection then cut: the error event still explains the failure. */
    xs.end = LT_END_CUT_OFF;
    s = build_spec(&xs, false);
    assert_str_attr(s, "error.type", "overloaded_error");
    lt_span_free(s);
}

static void test_http_429(void **state)
{
    struct xspec xs = MSG;
    xs.resp_file = "anthropic/error_429.json";
    xs.status = 429;
    struct lt_span *s = build_spec(&xs, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "429");
    assert_string_equal(s->status_message,
                        "This request would exceed the rate limit for your organization of "
                        "50,000 input tokens per minute. For details, refer to: "
                        "https://docs.claude.com/en/api/rate-limits.");
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.usage.input_tokens");
    lt_span_free(s);

    /* An error body with a 200 status (a relay): the provider's error type. */
    xs.status = 200;
    s = build_spec(&xs, false);
    assert_str_attr(s, "error.type", "rate_limit_error");
    lt_span_free(s);
}

static void test_usage_later_wins(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    /* No event: lines (a relay that dropped them): the JSON type names the event. */
    const char *body =
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\","
        "\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
        "\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":3,\"output_tokens\":50,"
        "\"cache_creation_input_tokens\":null}}\n\n"
        "data: {\"type\":\"message_stop\"}\n\n";
    lt_buf_append(&x->resp_body, body, strlen(body));
    struct lt_span *s = build(x, false);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 15);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 50);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 3);
    assert_absent(s, "gen_ai.usage.cache_creation.input_tokens");
    assert_absent(s, "gen_ai.usage.cache_write.input_tokens");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"end_turn", NULL});
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_cut_off(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    xs.end = LT_END_EXIT;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("anthropic/stream.sse", &n);
    lt_buf_append(&x->resp_body, body, n / 2);
    free(body);
    struct lt_span *s = build(x, true);
    assert_str_attr(s, "error.type", "response_cut_off");
    assert_string_equal(s->status_message, "response ended before it was complete");
    assert_str_attr(s, "gen_ai.response.id", "msg_01StReAm7yJ2kPqW");
    /* message_start's usage is what was sent before the cut. */
    assert_int_attr(s, "gen_ai.usage.output_tokens", 1);
    assert_absent(s, "gen_ai.response.finish_reasons");
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
    char *body = fixture("anthropic/stream.sse", &n), *z;
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

static void test_unparseable(void **state)
{
    struct xspec xs = MSG;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req = "{\"model\":\"claude-x\",\"system\":[1,{\"type\":\"text\"}],"
                      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\"},"
                      "{\"type\":\"tool_result\"},7]}],\"tools\":[{\"type\":\"custom\"}],"
                      "\"stop_sequences\":\"x\",\"top_k\":null}";
    const char *resp = "{\"type\":\"message\",\"content\":{\"a\":1},\"usage\":[]}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, true);
    assert_string_equal(s->name, "chat claude-x");
    assert_absent(s, "gen_ai.request.stop_sequences");
    assert_absent(s, "gen_ai.request.top_k");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"tool_call_response\"}]}]");
    lt_span_free(s);
    lt_exchange_free(x);

    /* Stream events of the wrong shapes. */
    xs = STREAM;
    xs.resp_file = NULL;
    x = mk_exchange(&xs);
    const char *ev = "event: content_block_delta\ndata: {\"index\":-1,\"delta\":{}}\n\n"
                     "event: content_block_start\ndata: {\"type\":\"content_block_start\","
                     "\"index\":99999999999,\"content_block\":{\"type\":\"text\"}}\n\n"
                     "event: message_delta\ndata: [1,2]\n\n"
                     "event: error\ndata: not json\n\n";
    lt_buf_append(&x->resp_body, ev, strlen(ev));
    s = build(x, true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.response.finish_reasons");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_split_halves(void **state)
{
    assert_split_invariant(&STREAM, true);
    assert_split_invariant(&MSG, true);
    struct xspec xs = STREAM;
    xs.req_file = "anthropic/overloaded_request.json";
    xs.resp_file = "anthropic/overloaded.sse";
    assert_split_invariant(&xs, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_attributes),
        cmocka_unit_test(test_message_content),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_content),
        cmocka_unit_test(test_overloaded_event),
        cmocka_unit_test(test_http_429),
        cmocka_unit_test(test_usage_later_wins),
        cmocka_unit_test(test_cut_off),
        cmocka_unit_test(test_gzip_stream),
        cmocka_unit_test(test_unparseable),
        cmocka_unit_test(test_split_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
