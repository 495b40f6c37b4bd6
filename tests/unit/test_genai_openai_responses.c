/* test_genai_openai_responses.c — OpenAI Responses API spans from fixture exchanges: request
 * parameters, the response object, raw finish reasons (status / incomplete_details.reason),
 * usage, conversation id, opt-in content (instructions, input items, tools, output items),
 * streams (text, function-call arguments, response.failed, error event, cut off before the
 * terminal event), HTTP errors, wrong shapes, split bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai/adapter.h"
#include "genai_testutil.h"

static const struct xspec RESP = {
    .api = LT_API_OPENAI_RESPONSES,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/responses_request.json",
    .resp_file = "openai/responses_response.json",
    .status = 200,
    .content_type = "application/json",
};

static const struct xspec STREAM = {
    .api = LT_API_OPENAI_RESPONSES,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/responses_stream_request.json",
    .resp_file = "openai/responses_stream.sse",
    .status = 200,
    .content_type = "text/event-stream; charset=utf-8",
};

static const struct xspec TOOLS = {
    .api = LT_API_OPENAI_RESPONSES,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/responses_tools_request.json",
    .resp_file = "openai/responses_tools_stream.sse",
    .status = 200,
    .content_type = "text/event-stream",
};

static void test_response_attributes(void **state)
{
    struct lt_span *s = build_spec(&RESP, false);
    assert_string_equal(s->name, "chat gpt-4.1");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "chat");
    assert_str_attr(s, "gen_ai.provider.name", "openai");
    assert_str_attr(s, "openai.api.type", "responses");
    assert_str_attr(s, "gen_ai.request.model", "gpt-4.1");
    assert_double_attr(s, "gen_ai.request.temperature", 0.3);
    assert_double_attr(s, "gen_ai.request.top_p", 0.8);
    assert_int_attr(s, "gen_ai.request.max_tokens", 256);
    assert_str_attr(s, "gen_ai.output.type", "json");
    assert_str_attr(s, "openai.request.service_tier", "flex");
    assert_str_attr(s, "gen_ai.conversation.id",
                    "conv_689667905b048191b4740501625afd940c7533ace33a2dab");
    assert_str_attr(s, "gen_ai.response.id",
                    "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41");
    assert_str_attr(s, "gen_ai.response.model", "gpt-4.1-2025-04-14");
    assert_str_attr(s, "openai.response.service_tier", "flex");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"completed", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1128);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 57);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 1024);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 40);
    assert_absent(s, "gen_ai.request.stream");
    assert_absent(s, "gen_ai.response.time_to_first_chunk");
    /* op, provider, address, port, api.type, model, temperature, top_p, max_tokens, output
     * type, request tier, conversation, status code, id, response model, response tier,
     * finish reasons, 4 usage */
    assert_n_attrs(s, 21);
    lt_span_free(s);
}

static void test_response_content(void **state)
{
    struct lt_span *s = build_spec(&RESP, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"You are a concise travel assistant.\"}]");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"What is in this picture?\"},{\"type\":\"uri\",\"modality\":\"image\","
                     "\"uri\":\"https://example.com/louvre.jpg\"}]}]");
    /* Hosted tools (web_search_preview) have no definition to report. */
    assert_json_attr(s, "gen_ai.tool.definitions",
                     "[{\"type\":\"function\",\"name\":\"get_opening_hours\",\"description\":"
                     "\"Opening hours of a museum.\",\"parameters\":{\"type\":\"object\","
                     "\"properties\":{\"museum\":{\"type\":\"string\"}},\"required\":"
                     "[\"museum\"]}}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"The glass pyramid identifies the Louvre.\"},{\"type\":\"text\","
                     "\"content\":\"{\\\"place\\\":\\\"Louvre Museum, Paris\\\"}\"}],"
                     "\"finish_reason\":\"completed\"}]");
    assert_n_attrs(s, 25);
    lt_span_free(s);
}

static void test_incomplete(void **state)
{
    struct xspec xs = RESP;
    xs.req_file = "openai/responses_incomplete_request.json";
    xs.resp_file = "openai/responses_incomplete.json";
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat o4-mini");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_strs_attr(s, "gen_ai.response.finish_reasons",
                     (const char *[]){"max_output_tokens", NULL});
    assert_str_attr(s, "gen_ai.output.type", "text");
    assert_absent(s, "openai.request.service_tier"); /* "auto" */
    assert_absent(s, "gen_ai.conversation.id");      /* previous_response_id is not one */
    assert_str_attr(s, "openai.response.service_tier", "default");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 21);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 16);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 16);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Prove that there are infinitely many primes.\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[],\"finish_reason\":"
                     "\"max_output_tokens\"}]");
    assert_absent(s, "gen_ai.system_instructions");
    lt_span_free(s);

    /* No reason given: the status itself. Queued (background mode): no finish reason. */
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *b = "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"incomplete\","
                    "\"incomplete_details\":null}";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, false);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"incomplete", NULL});
    lt_span_free(s);
    lt_buf_reset(&x->resp_body);
    b = "{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"queued\",\"output\":[]}";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, true);
    assert_str_attr(s, "gen_ai.response.id", "resp_2");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_stream(void **state)
{
    struct lt_span *s = build_spec(&STREAM, false);
    assert_string_equal(s->name, "chat gpt-4o-mini");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_int_attr(s, "gen_ai.request.max_tokens", 32);
    assert_str_attr(s, "gen_ai.response.id",
                    "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654");
    assert_str_attr(s, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    assert_str_attr(s, "openai.response.service_tier", "default");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"completed", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 11);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 7);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 0);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 0);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    /* op, provider, address, port, api.type, model, max_tokens, stream, status code, id,
     * response model, tier, finish, 4 usage, ttfc */
    assert_n_attrs(s, 18);
    lt_span_free(s);

    s = build_spec(&STREAM, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Count to three.\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"One, two, three.\"}],\"finish_reason\":\"completed\"}]");
    lt_span_free(s);
}

/* Cut the stream fixture just before `marker`; the span is built from what came before. */
static struct lt_span *cut_before(const char *marker, bool capture)
{
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    xs.end = LT_END_CUT_OFF;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("openai/responses_stream.sse", &n);
    const char *m = strstr(body, marker);
    assert_non_null(m);
    lt_buf_append(&x->resp_body, body, (size_t)(m - body));
    free(body);
    struct lt_span *s = build(x, capture);
    lt_exchange_free(x);
    return s;
}

static void test_stream_cut_off(void **state)
{
    /* Deltas only: the text they carried. */
    struct lt_span *s = cut_before("event: response.output_text.done", true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "response_cut_off");
    assert_str_attr(s, "gen_ai.response.id",
                    "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654");
    assert_str_attr(s, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"One, two, three.\"}]}]");
    lt_span_free(s);

    /* The finished item stands in for its deltas. */
    s = cut_before("event: response.completed", true);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"One, two, three.\"}]}]");
    lt_span_free(s);

    /* Before any item: no output at all. */
    s = cut_before("event: response.output_item.added", true);
    assert_absent(s, "gen_ai.output.messages");
    assert_str_attr(s, "gen_ai.response.id",
                    "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654");
    lt_span_free(s);
}

static void test_stream_function_call(void **state)
{
    struct lt_span *s = build_spec(&TOOLS, false);
    assert_string_equal(s->name, "chat gpt-4.1");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"completed", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 291);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 17);
    assert_str_attr(s, "gen_ai.response.model", "gpt-4.1-2025-04-14");
    lt_span_free(s);

    s = build_spec(&TOOLS, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"Use the tools for weather questions.\"}]");
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"developer\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"Answer in metric units.\"}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"Weather in Paris, then Tokyo?\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"call_prev_paris\","
        "\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}]},"
        "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":"
        "\"call_prev_paris\",\"response\":\"18C, cloudy\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"Paris: 18C and cloudy.\"}]}]");
    assert_json_attr(s, "gen_ai.tool.definitions",
                     "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
                     "\"Current weather for a city.\",\"parameters\":{\"type\":\"object\","
                     "\"properties\":{\"location\":{\"type\":\"string\"}},\"required\":"
                     "[\"location\"],\"additionalProperties\":false}}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":"
                     "\"call_tokyo_9xY\",\"name\":\"get_weather\",\"arguments\":"
                     "{\"location\":\"Tokyo\"}}],\"finish_reason\":\"completed\"}]");
    lt_span_free(s);

    /* Cut before the item finished: the arguments the deltas carried. */
    struct xspec xs = TOOLS;
    xs.resp_file = NULL;
    xs.end = LT_END_CUT_OFF;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("openai/responses_tools_stream.sse", &n);
    const char *m = strstr(body, "event: response.function_call_arguments.done");
    assert_non_null(m);
    lt_buf_append(&x->resp_body, body, (size_t)(m - body));
    free(body);
    s = build(x, true);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":"
                     "\"call_tokyo_9xY\",\"name\":\"get_weather\",\"arguments\":"
                     "{\"location\":\"Tokyo\"}}]}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_stream_failed(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = "openai/responses_failed.sse";
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "server_error");
    assert_string_equal(s->status_message,
                        "The server had an error while processing your request. Sorry about "
                        "that!");
    assert_str_attr(s, "gen_ai.response.id",
                    "resp_68c1d2e3f4a58196c7d8e9f0a1b2c3d40e1f2a3b4c5d6e7f");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"failed", NULL});
    assert_int_attr(s, "http.response.status_code", 200);
    /* The failed response lists no output; the streamed text is what there is. */
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Once upon\"}],\"finish_reason\":\"failed\"}]");
    lt_span_free(s);
}

static void test_stream_error_event(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = "openai/responses_error_event.sse";
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "rate_limit_exceeded");
    assert_string_equal(s->status_message,
                        "Rate limit reached for gpt-4o-mini. Please try again in 2s.");
    assert_str_attr(s, "gen_ai.response.id", "resp_err1");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Hel\"}]}]");
    lt_span_free(s);

    /* An error event with a nested object and no code; an unnamed one without a type. */
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *b = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                    "\"invalid_request_error\",\"message\":\"bad\"}}\n\n";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, false);
    assert_str_attr(s, "error.type", "invalid_request_error");
    assert_string_equal(s->status_message, "bad");
    lt_span_free(s);
    lt_buf_reset(&x->resp_body);
    b = "event: error\ndata: {\"message\":\"odd\"}\n\n";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, false);
    assert_str_attr(s, "error.type", "_OTHER");
    assert_string_equal(s->status_message, "odd");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_http_error(void **state)
{
    struct xspec xs = RESP;
    xs.resp_file = "openai/responses_error_400.json";
    xs.status = 400;
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "400");
    assert_string_equal(s->status_message, "Invalid type for 'input[0].content[1].image_url': "
                                           "expected a string, but got an object instead.");
    assert_str_attr(s, "gen_ai.request.model", "gpt-4.1");
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);

    /* A failed response object in a 200 body. */
    xs = RESP;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *b = "{\"id\":\"resp_f\",\"object\":\"response\",\"status\":\"failed\","
                    "\"error\":{\"code\":\"invalid_prompt\",\"message\":\"Prompt rejected\"},"
                    "\"output\":[]}";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, false);
    assert_str_attr(s, "error.type", "invalid_prompt");
    assert_string_equal(s->status_message, "Prompt rejected");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"failed", NULL});
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_input_shapes(void **state)
{
    struct xspec xs = RESP;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req =
        "{\"model\":\"gpt-4o\",\"conversation\":{\"id\":\"conv_obj1\"},\"text\":{\"format\":"
        "{\"type\":\"json_object\"}},\"input\":[{\"type\":\"reasoning\",\"id\":\"rs_1\","
        "\"summary\":[{\"type\":\"summary_text\",\"text\":\"think\"}]},{\"type\":"
        "\"function_call\",\"call_id\":\"c1\",\"name\":\"f\",\"arguments\":\"not json\"},"
        "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":[{\"type\":"
        "\"input_text\",\"text\":\"r\"}]},{\"type\":\"item_reference\",\"id\":\"msg_9\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"file_id\":\"file-1\"},"
        "{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,iVBO\"},"
        "{\"type\":\"input_file\",\"file_id\":\"file-2\"},{\"type\":\"input_file\","
        "\"file_url\":\"https://example.com/a.pdf\"}]}]}";
    lt_buf_append(&x->req_body, req, strlen(req));
    struct lt_span *s = build(x, true);
    assert_str_attr(s, "gen_ai.conversation.id", "conv_obj1");
    assert_str_attr(s, "gen_ai.output.type", "json");
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":\"think\"},"
        "{\"type\":\"tool_call\",\"id\":\"c1\",\"name\":\"f\",\"arguments\":\"not json\"}]},"
        "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\"c1\","
        "\"response\":[{\"type\":\"input_text\",\"text\":\"r\"}]}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"file\",\"modality\":\"image\",\"file_id\":"
        "\"file-1\"},{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\","
        "\"content\":\"iVBO\"},{\"type\":\"file\",\"file_id\":\"file-2\"},{\"type\":\"uri\","
        "\"uri\":\"https://example.com/a.pdf\"}]}]");
    assert_absent(s, "gen_ai.system_instructions");
    assert_absent(s, "gen_ai.tool.definitions");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_wrong_shapes(void **state)
{
    struct xspec xs = RESP;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req = "{\"model\":[],\"input\":{\"a\":1},\"instructions\":7,\"tools\":[1,"
                      "{\"type\":\"function\"}],\"text\":{\"format\":3},\"conversation\":5,"
                      "\"max_output_tokens\":1.5}";
    const char *resp = "{\"id\":7,\"object\":\"response\",\"status\":[],\"output\":[null,1,"
                       "{\"type\":\"message\",\"content\":7},{\"type\":\"function_call\"}],"
                       "\"usage\":{\"input_tokens\":\"3\"},\"error\":\"x\"}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, true);
    assert_string_equal(s->name, "chat");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.request.max_tokens");
    assert_absent(s, "gen_ai.conversation.id");
    assert_json_attr(s, "gen_ai.tool.definitions", "[{\"type\":\"function\"}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\"}]}]");
    lt_span_free(s);
    lt_exchange_free(x);

    /* Stream events of the wrong shapes. */
    xs = STREAM;
    xs.resp_file = NULL;
    x = mk_exchange(&xs);
    const char *b = "data: {\"type\":\"response.output_item.added\",\"output_index\":-1,"
                    "\"item\":{}}\n\ndata: {\"type\":\"response.output_text.delta\","
                    "\"output_index\":3,\"delta\":7}\n\ndata: {\"type\":"
                    "\"response.output_item.done\",\"output_index\":2,\"item\":[]}\n\n"
                    "data: {\"type\":\"response.completed\",\"response\":7}\n\n"
                    "data: {\"type\":5}\n\ndata: [DONE]\n\n";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_azure_deployment(void **state)
{
    /* Azure's preview Responses route names no deployment in the path; the body's model
     * stands. A deployment path supplies the model when the body has none. */
    struct xspec xs = STREAM;
    xs.provider = "azure.ai.openai";
    xs.host = "myres.openai.azure.com";
    xs.target = "/openai/responses?api-version=2025-04-01-preview";
    struct lt_span *s = build_spec(&xs, false);
    assert_str_attr(s, "gen_ai.request.model", "gpt-4o-mini");
    assert_str_attr(s, "gen_ai.provider.name", "azure.ai.openai");
    lt_span_free(s);
}

static void test_gzip_stream(void **state)
{
    struct lt_span *plain = build_spec(&STREAM, true);
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("openai/responses_stream.sse", &n), *z;
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
    assert_split_invariant(&RESP, true);
    assert_split_invariant(&STREAM, true);
    assert_split_invariant(&STREAM, false);
    assert_split_invariant(&TOOLS, true);
    struct xspec xs = STREAM;
    xs.resp_file = "openai/responses_failed.sse";
    assert_split_invariant(&xs, true);
    xs.resp_file = "openai/responses_error_event.sse";
    assert_split_invariant(&xs, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response_attributes), cmocka_unit_test(test_response_content),
        cmocka_unit_test(test_incomplete),          cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_cut_off),      cmocka_unit_test(test_stream_function_call),
        cmocka_unit_test(test_stream_failed),       cmocka_unit_test(test_stream_error_event),
        cmocka_unit_test(test_http_error),          cmocka_unit_test(test_input_shapes),
        cmocka_unit_test(test_wrong_shapes),        cmocka_unit_test(test_azure_deployment),
        cmocka_unit_test(test_gzip_stream),         cmocka_unit_test(test_split_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
