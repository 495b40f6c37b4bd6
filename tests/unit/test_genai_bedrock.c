/* test_genai_bedrock.c — AWS Bedrock spans from fixture exchanges: Converse (request
 * parameters, usage with prompt-cache counts, tools, reasoning, opt-in content),
 * ConverseStream (text, reasoning, tool input fragments, metadata usage, exceptions),
 * InvokeModel per model family (Anthropic through the Anthropic adapter, Nova, Titan, Llama,
 * Mistral, Cohere, unknown), InvokeModelWithResponseStream (base64 chunks, invocation
 * metrics), model ids from the path, base64, splits. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai_testutil.h"

#include "genai/base64.h"
#include "genai/bedrock.h"

#define HOST "bedrock-runtime.us-east-1.amazonaws.com"
#define ES "application/vnd.amazon.eventstream"
#define SONNET "anthropic.claude-3-5-sonnet-20240620-v1:0"

static const struct xspec CONVERSE = {
    .api = LT_API_BEDROCK_CONVERSE,
    .provider = "aws.bedrock",
    .host = HOST,
    .port = 443,
    .req_file = "bedrock/converse_request.json",
    .resp_file = "bedrock/converse_response.json",
    .status = 200,
    .content_type = "application/json",
    .target = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
};

static const struct xspec CONVERSE_STREAM = {
    .api = LT_API_BEDROCK_CONVERSE,
    .provider = "aws.bedrock",
    .host = HOST,
    .port = 443,
    .req_file = "bedrock/converse_request.json",
    .resp_file = "bedrock/converse_stream.bin",
    .status = 200,
    .content_type = ES,
    .target = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
};

static const struct xspec INVOKE = {
    .api = LT_API_BEDROCK_INVOKE,
    .provider = "aws.bedrock",
    .host = HOST,
    .port = 443,
    .req_file = "bedrock/invoke_anthropic_request.json",
    .resp_file = "bedrock/invoke_anthropic_response.json",
    .status = 200,
    .content_type = "application/json",
    .target = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke",
};

static const struct xspec INVOKE_STREAM = {
    .api = LT_API_BEDROCK_INVOKE,
    .provider = "aws.bedrock",
    .host = HOST,
    .port = 443,
    .req_file = "bedrock/invoke_anthropic_stream_request.json",
    .resp_file = "bedrock/invoke_stream.bin",
    .status = 200,
    .content_type = ES,
    .target = "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke-with-response-stream",
};

static struct xspec invoke_spec(const char *model_path, const char *req, const char *resp,
                                bool stream)
{
    static char target[256];
    struct xspec xs = stream ? INVOKE_STREAM : INVOKE;
    snprintf(target, sizeof(target), "/model/%s/%s", model_path,
             stream ? "invoke-with-response-stream" : "invoke");
    xs.target = target;
    xs.req_file = req;
    xs.resp_file = resp;
    return xs;
}

/* ---- Converse ---- */

static void test_converse_attributes(void **state)
{
    struct lt_span *s = build_spec(&CONVERSE, false);
    assert_string_equal(s->name, "chat " SONNET);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "chat");
    assert_str_attr(s, "gen_ai.provider.name", "aws.bedrock");
    assert_str_attr(s, "server.address", HOST);
    assert_int_attr(s, "server.port", 443);
    assert_str_attr(s, "gen_ai.request.model", SONNET);
    assert_int_attr(s, "gen_ai.request.max_tokens", 512);
    assert_double_attr(s, "gen_ai.request.temperature", 0.5);
    assert_double_attr(s, "gen_ai.request.top_p", 0.9);
    assert_double_attr(s, "gen_ai.request.top_k", 250.0);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"\n\nHuman:", NULL});
    assert_int_attr(s, "http.response.status_code", 200);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"end_turn", NULL});
    /* 24 uncached + 2048 read from the cache + 152 written to it */
    assert_int_attr(s, "gen_ai.usage.input_tokens", 2224);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 31);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 2048);
    assert_int_attr(s, "gen_ai.usage.cache_creation.input_tokens", 152);
    assert_int_attr(s, "gen_ai.usage.cache_write.input_tokens", 152);
    /* No id or model in a Converse body. */
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.response.model");
    assert_absent(s, "gen_ai.request.stream");
    assert_n_attrs(s, 17);
    lt_span_free(s);
}

static void test_converse_content(void **state)
{
    struct lt_span *s = build_spec(&CONVERSE, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"You are a poet.\"}]");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Write a haiku about the sea.\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Waves fold into foam,\\nsalt wind carries gull voices,\\nthe tide keeps "
                     "its time.\"}],\"finish_reason\":\"end_turn\"}]");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_n_attrs(s, 20);
    lt_span_free(s);
}

static void test_converse_tools(void **state)
{
    struct xspec xs = CONVERSE;
    xs.req_file = "bedrock/converse_tools_request.json";
    xs.resp_file = "bedrock/converse_tools_response.json";
    struct lt_span *s = build_spec(&xs, true);
    assert_int_attr(s, "gen_ai.request.max_tokens", 1024);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"tool_use", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 612);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 74);
    assert_absent(s, "gen_ai.usage.cache_read.input_tokens");
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"You are a weather assistant.\"}]");
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"user\",\"parts\":["
        "{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\","
        "\"content\":\"iVBORw0KGgo=\"},"
        "{\"type\":\"text\",\"content\":\"What is the weather where this photo was taken?\"}]},"
        "{\"role\":\"assistant\",\"parts\":["
        "{\"type\":\"reasoning\",\"content\":\"The photo shows the Eiffel Tower.\"},"
        "{\"type\":\"tool_call\",\"id\":\"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q\",\"name\":"
        "\"get_weather\",\"arguments\":{\"location\":\"Paris, France\"}}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":"
        "\"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q\",\"response\":{\"temperature_c\":18,"
        "\"sky\":\"clear\"}}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"It is 18°C and clear in Paris. Let me check Lyon as well.\"},"
                     "{\"type\":\"tool_call\",\"id\":\"tooluse_Qm3xR2bTS8ycvJ1oWw9fNA\","
                     "\"name\":\"get_weather\",\"arguments\":{\"location\":\"Lyon, France\"}}],"
                     "\"finish_reason\":\"tool_use\"}]");
    /* The cachePoint entry is not a tool. */
    assert_json_attr(s, "gen_ai.tool.definitions",
                     "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
                     "\"Get the current weather for a location\",\"parameters\":"
                     "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}},"
                     "\"required\":[\"location\"]}}]");
    lt_span_free(s);
}

static void test_converse_tool_result_text(void **state)
{
    struct xspec xs = CONVERSE;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"t1\","
        "\"content\":[{\"text\":\"18\"},{\"text\":\"°C\"}]}},{\"toolResult\":{\"toolUseId\":"
        "\"t2\",\"content\":[{\"text\":\"a\"},{\"json\":[1]}]}},{\"video\":{\"format\":\"mp4\","
        "\"source\":{\"s3Location\":{\"uri\":\"s3://b/v.mp4\"}}}},{\"document\":{}},7]}]}";
    lt_buf_append(&x->req_body, req, strlen(req));
    struct lt_span *s = build(x, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":["
                     "{\"type\":\"tool_call_response\",\"id\":\"t1\",\"response\":\"18°C\"},"
                     "{\"type\":\"tool_call_response\",\"id\":\"t2\",\"response\":"
                     "[{\"text\":\"a\"},{\"json\":[1]}]},"
                     "{\"type\":\"uri\",\"modality\":\"video\",\"uri\":\"s3://b/v.mp4\"}]}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_converse_http_error(void **state)
{
    struct xspec xs = CONVERSE;
    xs.resp_file = "bedrock/error_throttling.json";
    xs.status = 429;
    struct lt_span *s = build_spec(&xs, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "429");
    assert_string_equal(s->status_message, "Too many requests, please wait before trying again.");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_string_equal(s->name, "chat " SONNET);
    lt_span_free(s);
}

/* ---- ConverseStream ---- */

static void test_converse_stream(void **state)
{
    struct lt_span *s = build_spec(&CONVERSE_STREAM, false);
    assert_string_equal(s->name, "chat " SONNET);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_str_attr(s, "gen_ai.request.model", SONNET);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"end_turn", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 12);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 9);
    assert_absent(s, "gen_ai.usage.cache_read.input_tokens");
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    assert_absent(s, "gen_ai.response.id");
    /* op, provider, address, port, model, stream, 5 request params, status, finish,
     * 2 usage, ttfc */
    assert_n_attrs(s, 16);
    lt_span_free(s);

    s = build_spec(&CONVERSE_STREAM, true);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Hello! How can I help you today?\"}],\"finish_reason\":\"end_turn\"}]");
    lt_span_free(s);
}

static void test_converse_tools_stream(void **state)
{
    struct xspec xs = CONVERSE_STREAM;
    xs.req_file = "bedrock/converse_tools_request.json";
    xs.resp_file = "bedrock/converse_tools_stream.bin";
    struct lt_span *s = build_spec(&xs, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"tool_use", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1240);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 57);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 1200);
    assert_int_attr(s, "gen_ai.usage.cache_creation.input_tokens", 0);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"reasoning\",\"content\":\"The user wants Lyon's weather.\"},"
                     "{\"type\":\"text\",\"content\":\"Checking Lyon.\"},"
                     "{\"type\":\"tool_call\",\"id\":\"tooluse_Qm3xR2bTS8ycvJ1oWw9fNA\","
                     "\"name\":\"get_weather\",\"arguments\":{\"location\":\"Lyon, France\"}}],"
                     "\"finish_reason\":\"tool_use\"}]");
    lt_span_free(s);
}

static void test_converse_stream_exception(void **state)
{
    struct xspec xs = CONVERSE_STREAM;
    xs.resp_file = "bedrock/converse_throttled.bin";
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "throttlingException");
    assert_string_equal(s->status_message, "Too many tokens, please wait before trying again.");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Once\"}]}]");
    lt_span_free(s);

    /* The connection then cut: the exception still explains the failure. */
    xs.end = LT_END_CUT_OFF;
    s = build_spec(&xs, false);
    assert_str_attr(s, "error.type", "throttlingException");
    lt_span_free(s);
}

/* ---- model ids from the path ---- */

static void check_target(const char *target, const char *want_model, bool want_stream)
{
    char *model = NULL;
    bool stream = true;
    int rc = lt_bedrock_parse_target(target, &model, &stream);
    if (!want_model) {
        assert_int_equal(rc, -EINVAL);
        assert_null(model);
        assert_false(stream);
        return;
    }
    assert_int_equal(rc, 0);
    assert_non_null(model);
    if (strcmp(model, want_model) != 0)
        fail_msg("%s → '%s', want '%s'", target, model, want_model);
    assert_int_equal(stream, want_stream);
    free(model);
}

static void test_model_ids(void **state)
{
    check_target("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", SONNET, false);
    check_target("/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3a0/converse-stream",
                 "us." SONNET, true);
    check_target("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
                 "eu.meta.llama3-2-1b-instruct-v1%3A0/invoke?x=1",
                 "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
                 "eu.meta.llama3-2-1b-instruct-v1:0",
                 false);
    /* An unencoded ARN keeps its '/'; the action is the last segment. */
    check_target("/model/arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-lite-v1/"
                 "invoke-with-response-stream",
                 "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-lite-v1", true);
    check_target("/gw/model/m%2/invoke", "m%2", false); /* malformed escape kept */
    check_target("/model/a%00b/invoke", "a", false);    /* decoding stops at NUL */
    check_target("/model/%00/invoke", NULL, false);
    check_target("/model//converse", NULL, false);
    check_target("/model/abc", NULL, false);
    check_target("/v1/messages", NULL, false);
    check_target(NULL, NULL, false);

    /* No model in the path: the span is named after the operation only. */
    struct xspec xs = CONVERSE;
    xs.target = "/converse";
    struct lt_span *s = build_spec(&xs, false);
    assert_string_equal(s->name, "chat");
    assert_absent(s, "gen_ai.request.model");
    lt_span_free(s);
}

/* ---- InvokeModel ---- */

static bool is_genai(const char *key)
{
    return strncmp(key, "gen_ai.", 7) == 0 && strcmp(key, "gen_ai.request.model") != 0 &&
           strcmp(key, "gen_ai.provider.name") != 0;
}

/* The Bedrock span and the Anthropic adapter's span for the same bodies carry the same
 * gen_ai.* attributes (request model and provider aside). */
static void assert_same_as_anthropic(const struct xspec *bedrock, const char *resp_file,
                                     const char *ct, bool capture)
{
    struct xspec a = {
        .api = LT_API_ANTHROPIC_MESSAGES,
        .provider = "anthropic",
        .host = "api.anthropic.com",
        .port = 443,
        .req_file = bedrock->req_file,
        .resp_file = resp_file,
        .status = 200,
        .content_type = ct,
    };
    struct lt_span *sb = build_spec(bedrock, capture);
    struct lt_span *sa = build_spec(&a, capture);
    size_t nb = 0, na = 0;
    for (size_t i = 0; i < sb->n_attrs; i++) {
        const struct lt_attr *x = &sb->attrs[i];
        if (!is_genai(x->key) || strcmp(x->key, "gen_ai.request.stream") == 0)
            continue;
        nb++;
        const struct lt_attr *y = lt_span_get(sa, x->key);
        if (!y || !span_attr_equal(x, y))
            fail_msg("%s differs from the Anthropic adapter's", x->key);
    }
    for (size_t i = 0; i < sa->n_attrs; i++)
        if (is_genai(sa->attrs[i].key) && strcmp(sa->attrs[i].key, "gen_ai.request.stream"))
            na++;
    assert_int_equal(na, nb);
    lt_span_free(sa);
    lt_span_free(sb);
}

static void test_invoke_anthropic(void **state)
{
    struct lt_span *s = build_spec(&INVOKE, false);
    assert_string_equal(s->name, "chat " SONNET);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "chat");
    assert_str_attr(s, "gen_ai.request.model", SONNET);
    assert_int_attr(s, "gen_ai.request.max_tokens", 1024);
    assert_double_attr(s, "gen_ai.request.temperature", 0.2);
    assert_double_attr(s, "gen_ai.request.top_p", 0.95);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"END", NULL});
    assert_str_attr(s, "gen_ai.response.id", "msg_bdrk_01PyQvY6h2tR8mXz3KJ9aB4c");
    assert_str_attr(s, "gen_ai.response.model", "claude-3-5-sonnet-20240620");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"end_turn", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 21);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 9);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 0);
    assert_n_attrs(s, 18);
    lt_span_free(s);

    s = build_spec(&INVOKE, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"You are a concise assistant.\"}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Red, blue and yellow.\"}],\"finish_reason\":\"end_turn\"}]");
    lt_span_free(s);

    assert_same_as_anthropic(&INVOKE, INVOKE.resp_file, "application/json", false);
    assert_same_as_anthropic(&INVOKE, INVOKE.resp_file, "application/json", true);
}

static void test_invoke_anthropic_stream(void **state)
{
    struct lt_span *s = build_spec(&INVOKE_STREAM, false);
    /* The model as addressed: the inference profile id. */
    assert_string_equal(s->name, "chat us." SONNET);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_int_attr(s, "gen_ai.request.max_tokens", 256);
    assert_str_attr(s, "gen_ai.response.id", "msg_bdrk_01Jx5S8cQhFZ1KTXMv3pWq2a");
    assert_str_attr(s, "gen_ai.response.model", "claude-3-5-sonnet-20240620");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"end_turn", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 14);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 11);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    /* op, provider, address, port, model, stream, max_tokens, status, id, response model,
     * finish, 2 usage, ttfc */
    assert_n_attrs(s, 14);
    lt_span_free(s);

    s = build_spec(&INVOKE_STREAM, true);
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hello!\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Hello! How can I help you today?\"}],\"finish_reason\":\"end_turn\"}]");
    lt_span_free(s);
}

static void test_invoke_titan(void **state)
{
    struct xspec xs =
        invoke_spec("amazon.titan-text-express-v1", "bedrock/invoke_titan_request.json",
                    "bedrock/invoke_titan_response.json", false);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "text_completion amazon.titan-text-express-v1");
    assert_str_attr(s, "gen_ai.operation.name", "text_completion");
    assert_int_attr(s, "gen_ai.request.max_tokens", 200);
    assert_double_attr(s, "gen_ai.request.temperature", 0.7);
    assert_double_attr(s, "gen_ai.request.top_p", 0.9);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"User:", NULL});
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"FINISH", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 13);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 27);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Summarize the benefits of Amazon Bedrock in one sentence.\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"\\nAmazon Bedrock offers managed access to foundation models through a "
                     "single API.\"}],\"finish_reason\":\"FINISH\"}]");
    assert_absent(s, "gen_ai.response.id");
    assert_n_attrs(s, 15);
    lt_span_free(s);

    xs = invoke_spec("amazon.titan-text-express-v1", "bedrock/invoke_titan_request.json",
                     "bedrock/invoke_titan_stream.bin", true);
    s = build_spec(&xs, true);
    assert_str_attr(s, "gen_ai.operation.name", "text_completion");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"FINISH", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 13);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 8);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"\\nAmazon Bedrock offers managed models.\"}],\"finish_reason\":"
                     "\"FINISH\"}]");
    lt_span_free(s);
}

static void test_invoke_llama(void **state)
{
    struct xspec xs =
        invoke_spec("meta.llama3-8b-instruct-v1%3A0", "bedrock/invoke_llama_request.json",
                    "bedrock/invoke_llama_response.json", false);
    struct lt_span *s = build_spec(&xs, false);
    assert_string_equal(s->name, "text_completion meta.llama3-8b-instruct-v1:0");
    assert_int_attr(s, "gen_ai.request.max_tokens", 128);
    assert_double_attr(s, "gen_ai.request.temperature", 0.5);
    assert_double_attr(s, "gen_ai.request.top_p", 0.9);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 26);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 8);
    assert_n_attrs(s, 12);
    lt_span_free(s);

    /* Through a cross-region inference profile ARN; stream with running token counts. */
    xs = invoke_spec("arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus."
                     "meta.llama3-2-1b-instruct-v1%3A0",
                     "bedrock/invoke_llama_request.json", "bedrock/invoke_llama_stream.bin", true);
    s = build_spec(&xs, true);
    assert_str_attr(s, "gen_ai.operation.name", "text_completion");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 26);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 8);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"The capital of France is Paris.\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_invoke_nova(void **state)
{
    struct xspec xs = invoke_spec("us.amazon.nova-lite-v1%3A0", "bedrock/invoke_nova_request.json",
                                  "bedrock/invoke_nova_response.json", false);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat us.amazon.nova-lite-v1:0");
    assert_int_attr(s, "gen_ai.request.max_tokens", 300);
    assert_double_attr(s, "gen_ai.request.temperature", 0.3);
    assert_double_attr(s, "gen_ai.request.top_p", 0.9);
    assert_double_attr(s, "gen_ai.request.top_k", 20.0);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"end_turn", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 11);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 17);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 0);
    assert_int_attr(s, "gen_ai.usage.cache_write.input_tokens", 0);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"Answer briefly.\"}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Rayleigh scattering: air molecules scatter short blue wavelengths more "
                     "than red ones.\"}],\"finish_reason\":\"end_turn\"}]");
    lt_span_free(s);

    xs = invoke_spec("amazon.nova-lite-v1%3A0", "bedrock/invoke_nova_request.json",
                     "bedrock/invoke_nova_stream.bin", true);
    s = build_spec(&xs, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"end_turn", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 11);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 4);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Rayleigh scattering.\"}],\"finish_reason\":\"end_turn\"}]");
    lt_span_free(s);
}

static void test_invoke_mistral_cohere(void **state)
{
    struct xspec xs =
        invoke_spec("mistral.mistral-7b-instruct-v0%3A2", "bedrock/invoke_mistral_request.json",
                    "bedrock/invoke_mistral_response.json", false);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "text_completion mistral.mistral-7b-instruct-v0:2");
    assert_int_attr(s, "gen_ai.request.max_tokens", 100);
    assert_double_attr(s, "gen_ai.request.top_k", 50.0);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"</s>", NULL});
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_absent(s, "gen_ai.usage.input_tokens"); /* Mistral bodies carry none */
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\" Octopuses have three hearts.\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);

    /* Stream: usage from amazon-bedrock-invocationMetrics. */
    xs = invoke_spec("mistral.mistral-7b-instruct-v0%3A2", "bedrock/invoke_mistral_request.json",
                     "bedrock/invoke_mistral_stream.bin", true);
    s = build_spec(&xs, true);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 19);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 7);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\" Octopuses have three hearts.\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);

    xs = invoke_spec("cohere.command-r-v1%3A0", "bedrock/invoke_cohere_request.json",
                     "bedrock/invoke_cohere_response.json", false);
    s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat cohere.command-r-v1:0");
    assert_int_attr(s, "gen_ai.request.max_tokens", 50);
    assert_double_attr(s, "gen_ai.request.top_p", 0.75);
    assert_double_attr(s, "gen_ai.request.top_k", 0.0);
    assert_int_attr(s, "gen_ai.request.seed", 7);
    assert_str_attr(s, "gen_ai.response.id", "f1b5c9e2-7d8a-4c3b-9e41-2a6d0c8b7f15");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"COMPLETE", NULL});
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"You are a translator.\"}]");
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Say hello.\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Hello!\"}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"And in Spanish?\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"¡Hola!\"}],\"finish_reason\":\"COMPLETE\"}]");
    lt_span_free(s);
}

static void test_invoke_unknown_family(void **state)
{
    /* Another family: the request model only (and what HTTP says). */
    struct xspec xs =
        invoke_spec("ai21.jamba-1-5-mini-v1%3A0", "bedrock/invoke_mistral_request.json",
                    "bedrock/invoke_mistral_response.json", false);
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "chat ai21.jamba-1-5-mini-v1:0");
    /* op, provider, address, port, model, status */
    assert_n_attrs(s, 6);
    lt_span_free(s);

    /* An application inference profile hides the family: the Anthropic body tells. */
    xs = invoke_spec("arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-"
                     "profile%2Fa1b2c3d4e5f6",
                     "bedrock/invoke_anthropic_request.json",
                     "bedrock/invoke_anthropic_response.json", false);
    s = build_spec(&xs, false);
    assert_str_attr(s, "gen_ai.response.id", "msg_bdrk_01PyQvY6h2tR8mXz3KJ9aB4c");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 21);
    lt_span_free(s);

    /* Titan body behind an opaque ARN, streamed. */
    xs = invoke_spec("arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprovisioned-model%2Fxyz",
                     "bedrock/invoke_titan_request.json", "bedrock/invoke_titan_stream.bin", true);
    s = build_spec(&xs, false);
    assert_str_attr(s, "gen_ai.operation.name", "text_completion");
    assert_int_attr(s, "gen_ai.usage.output_tokens", 8);
    lt_span_free(s);
}

static void test_invoke_stream_exception(void **state)
{
    /* An exception in an invoke stream, after the chunks of a Converse stream (not chunks:
     * ignored). */
    struct xspec xs = INVOKE_STREAM;
    xs.resp_file = "bedrock/converse_throttled.bin";
    struct lt_span *s = build_spec(&xs, true);
    assert_str_attr(s, "error.type", "throttlingException");
    assert_string_equal(s->status_message, "Too many tokens, please wait before trying again.");
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);
}

/* ---- hostile shapes ---- */

/* One event-stream message (prelude, string headers, payload, CRCs) appended to `b`. */
static void es_message(struct lt_buf *b, const char *event_type, const char *msg_type,
                       const char *payload)
{
    unsigned char h[256];
    size_t hn = 0;
    const char *names[2] = {msg_type && strcmp(msg_type, "exception") == 0 ? ":exception-type"
                                                                           : ":event-type",
                            ":message-type"};
    const char *vals[2] = {event_type, msg_type ? msg_type : "event"};
    for (int i = 0; i < 2; i++) {
        size_t nl = strlen(names[i]), vl = strlen(vals[i]);
        h[hn++] = (unsigned char)nl;
        memcpy(h + hn, names[i], nl);
        hn += nl;
        h[hn++] = 7;
        h[hn++] = (unsigned char)(vl >> 8);
        h[hn++] = (unsigned char)vl;
        memcpy(h + hn, vals[i], vl);
        hn += vl;
    }
    size_t pn = strlen(payload), total = 16 + hn + pn;
    unsigned char *m = malloc(total);
    assert_non_null(m);
    uint32_t v[2] = {(uint32_t)total, (uint32_t)hn};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++)
            m[i * 4 + k] = (unsigned char)(v[i] >> (24 - 8 * k));
    uint32_t crc = (uint32_t)crc32(0, m, 8);
    for (int k = 0; k < 4; k++)
        m[8 + k] = (unsigned char)(crc >> (24 - 8 * k));
    memcpy(m + 12, h, hn);
    memcpy(m + 12 + hn, payload, pn);
    crc = (uint32_t)crc32(0, m, (uInt)(total - 4));
    for (int k = 0; k < 4; k++)
        m[total - 4 + k] = (unsigned char)(crc >> (24 - 8 * k));
    lt_buf_append(b, m, total);
    free(m);
}

/* A transport-level error message (:message-type "error", no payload) fails the span even
 * though its code does not end in "Exception" (genai.c on_es_message). */
static void test_stream_error_message(void **state)
{
    struct xspec xs = CONVERSE_STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    es_message(&x->resp_body, "messageStart", NULL, "{\"role\":\"assistant\"}");
    es_message(&x->resp_body, "InternalFailure", "error", "");
    struct lt_span *s = build(x, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "_OTHER");
    assert_string_equal(s->status_message, "event stream error");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_hostile_streams(void **state)
{
    struct xspec xs = CONVERSE_STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    es_message(&x->resp_body, "contentBlockDelta", NULL,
               "{\"contentBlockIndex\":-1,\"delta\":{\"text\":\"x\"}}");
    es_message(&x->resp_body, "contentBlockDelta", NULL,
               "{\"contentBlockIndex\":99999999999,\"delta\":{\"text\":\"x\"}}");
    es_message(&x->resp_body, "contentBlockDelta", NULL,
               "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":7}}}");
    es_message(&x->resp_body, "contentBlockStart", NULL, "{\"contentBlockIndex\":0,\"start\":[]}");
    es_message(&x->resp_body, "metadata", NULL, "{\"usage\":{\"inputTokens\":\"12\"}}");
    es_message(&x->resp_body, "messageStop", NULL, "[1,2]");
    es_message(&x->resp_body, "someFutureEvent", NULL, "{\"message\":\"not an error\"}");
    es_message(&x->resp_body, "citation", NULL, "not json");
    struct lt_span *s = build(x, true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);
    lt_exchange_free(x);

    /* Exception without a message; an exception payload that is not JSON. */
    x = mk_exchange(&xs);
    es_message(&x->resp_body, "modelStreamErrorException", "exception", "oops");
    s = build(x, false);
    assert_str_attr(s, "error.type", "modelStreamErrorException");
    assert_null(s->status_message);
    lt_span_free(s);
    lt_exchange_free(x);

    /* Invoke chunks: bad base64, base64 of garbage, of a non-object, a missing "bytes". */
    xs = INVOKE_STREAM;
    xs.resp_file = NULL;
    x = mk_exchange(&xs);
    es_message(&x->resp_body, "chunk", NULL, "{\"bytes\":\"@@@@\"}");
    es_message(&x->resp_body, "chunk", NULL, "{\"bytes\":\"bm90IGpzb24=\"}"); /* not json */
    es_message(&x->resp_body, "chunk", NULL, "{\"bytes\":\"WzEsMl0=\"}");     /* [1,2] */
    es_message(&x->resp_body, "chunk", NULL, "{\"bytes\":\"e30\"}");          /* {} */
    es_message(&x->resp_body, "chunk", NULL, "{\"byte\":\"e30=\"}");
    es_message(&x->resp_body, "chunk", NULL, "{\"bytes\":\"A\"}");
    s = build(x, true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.input_tokens");
    lt_span_free(s);
    lt_exchange_free(x);

    /* Wrong shapes in JSON bodies. */
    xs = CONVERSE;
    xs.req_file = xs.resp_file = NULL;
    x = mk_exchange(&xs);
    const char *req = "{\"messages\":[7,{\"role\":\"user\",\"content\":{\"text\":\"x\"}}],"
                      "\"system\":[{\"cachePoint\":{}}],\"inferenceConfig\":{\"maxTokens\":1.5,"
                      "\"stopSequences\":\"x\"},\"toolConfig\":{\"tools\":[{\"cachePoint\":{}}]}}";
    const char *resp = "{\"output\":{\"message\":[]},\"stopReason\":5,\"usage\":[]}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    s = build(x, true);
    assert_absent(s, "gen_ai.request.max_tokens");
    assert_absent(s, "gen_ai.request.stop_sequences");
    assert_absent(s, "gen_ai.system_instructions");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_absent(s, "gen_ai.output.messages");
    assert_json_attr(s, "gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[]}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

/* ---- base64 ---- */

static void check_b64(const char *in, int want_rc, const char *want)
{
    unsigned char out[64];
    size_t n = 0;
    assert_true(LT_BASE64_DECODED_MAX(strlen(in)) <= sizeof(out));
    int rc = lt_base64_decode(in, strlen(in), out, &n);
    assert_int_equal(rc, want_rc);
    if (rc == 0) {
        assert_int_equal(n, strlen(want));
        assert_memory_equal(out, want, n);
    }
}

static void test_base64(void **state)
{
    check_b64("", 0, "");
    check_b64("Zg==", 0, "f");
    check_b64("Zm8=", 0, "fo");
    check_b64("Zm9v", 0, "foo");
    check_b64("Zm9vYg", 0, "foob"); /* unpadded */
    check_b64("Zm9vYmE=", 0, "fooba");
    check_b64("Zm9vYmFy", 0, "foobar");
    check_b64("+/+/", 0, "\xfb\xff\xbf");
    check_b64("Zm9vY", -EINVAL, NULL);  /* one dangling character */
    check_b64("Zg=", -EINVAL, NULL);    /* padding that does not complete a quantum */
    check_b64("Zg===", -EINVAL, NULL);  /* too much padding */
    check_b64("Z=g=", -EINVAL, NULL);   /* padding inside */
    check_b64("Zm9v\n", -EINVAL, NULL); /* whitespace */
    check_b64("Zm-_", -EINVAL, NULL);   /* URL alphabet */
}

/* A gzip-encoded event stream decodes to the same span. */
static void test_gzip_stream(void **state)
{
    struct lt_span *plain = build_spec(&CONVERSE_STREAM, true);
    struct xspec xs = CONVERSE_STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture(CONVERSE_STREAM.resp_file, &n), *z;
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

/* ---- splits ---- */

static void test_split_halves(void **state)
{
    assert_split_invariant(&CONVERSE, true);
    assert_split_invariant(&CONVERSE_STREAM, true);
    assert_split_invariant(&INVOKE, true);
    assert_split_invariant(&INVOKE_STREAM, true);
    struct xspec xs = CONVERSE_STREAM;
    xs.req_file = "bedrock/converse_tools_request.json";
    xs.resp_file = "bedrock/converse_tools_stream.bin";
    assert_split_invariant(&xs, true);
    xs.resp_file = "bedrock/converse_throttled.bin";
    assert_split_invariant(&xs, false);
    xs = invoke_spec("amazon.nova-lite-v1%3A0", "bedrock/invoke_nova_request.json",
                     "bedrock/invoke_nova_stream.bin", true);
    assert_split_invariant(&xs, true);
    xs = invoke_spec("meta.llama3-8b-instruct-v1%3A0", "bedrock/invoke_llama_request.json",
                     "bedrock/invoke_llama_stream.bin", true);
    assert_split_invariant(&xs, true);
}

/* Every byte of a stream body in its own append: the spans agree with the whole body. */
static void test_split_every_byte(void **state)
{
    const struct xspec *specs[] = {&CONVERSE_STREAM, &INVOKE_STREAM};
    for (size_t k = 0; k < 2; k++) {
        struct lt_span *whole = build_spec(specs[k], true);
        struct xspec xs = *specs[k];
        xs.resp_file = NULL;
        struct lt_exchange *x = mk_exchange(&xs);
        size_t n;
        char *body = fixture(specs[k]->resp_file, &n);
        for (size_t i = 0; i < n; i++)
            lt_buf_append(&x->resp_body, body + i, 1);
        struct lt_span *s = build(x, true);
        assert_spans_equal(whole, s);
        lt_span_free(s);
        /* Cut at every byte: never a crash, never an attribute that the whole lacks. */
        for (size_t cut = 0; cut < n; cut++) {
            lt_buf_reset(&x->resp_body);
            lt_buf_append(&x->resp_body, body, cut);
            x->end = LT_END_CUT_OFF;
            s = build(x, true);
            for (size_t i = 0; i < s->n_attrs; i++)
                if (strcmp(s->attrs[i].key, "error.type") != 0 &&
                    strcmp(s->attrs[i].key, "llmtap.truncated") != 0 &&
                    !lt_span_get(whole, s->attrs[i].key))
                    fail_msg("cut %zu: unexpected %s", cut, s->attrs[i].key);
            lt_span_free(s);
        }
        free(body);
        lt_exchange_free(x);
        lt_span_free(whole);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_converse_attributes),
        cmocka_unit_test(test_converse_content),
        cmocka_unit_test(test_converse_tools),
        cmocka_unit_test(test_converse_tool_result_text),
        cmocka_unit_test(test_converse_http_error),
        cmocka_unit_test(test_converse_stream),
        cmocka_unit_test(test_converse_tools_stream),
        cmocka_unit_test(test_converse_stream_exception),
        cmocka_unit_test(test_model_ids),
        cmocka_unit_test(test_invoke_anthropic),
        cmocka_unit_test(test_invoke_anthropic_stream),
        cmocka_unit_test(test_invoke_titan),
        cmocka_unit_test(test_invoke_llama),
        cmocka_unit_test(test_invoke_nova),
        cmocka_unit_test(test_invoke_mistral_cohere),
        cmocka_unit_test(test_invoke_unknown_family),
        cmocka_unit_test(test_invoke_stream_exception),
        cmocka_unit_test(test_stream_error_message),
        cmocka_unit_test(test_hostile_streams),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_gzip_stream),
        cmocka_unit_test(test_split_halves),
        cmocka_unit_test(test_split_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
