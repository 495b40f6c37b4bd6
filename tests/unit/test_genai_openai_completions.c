/* test_genai_openai_completions.c — OpenAI legacy Completions spans from fixture exchanges:
 * request parameters, choices' finish reasons and texts, usage, streamed "text_completion"
 * chunks with [DONE] and include_usage, errors, wrong shapes, split bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai/adapter.h"
#include "genai_testutil.h"

static const struct xspec CMPL = {
    .api = LT_API_OPENAI_COMPLETIONS,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/completions_request.json",
    .resp_file = "openai/completions_response.json",
    .status = 200,
    .content_type = "application/json",
};

static const struct xspec STREAM = {
    .api = LT_API_OPENAI_COMPLETIONS,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/completions_stream_request.json",
    .resp_file = "openai/completions_stream.sse",
    .status = 200,
    .content_type = "text/event-stream",
};

static void test_attributes(void **state)
{
    struct lt_span *s = build_spec(&CMPL, false);
    assert_string_equal(s->name, "text_completion gpt-3.5-turbo-instruct");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "text_completion");
    assert_str_attr(s, "gen_ai.request.model", "gpt-3.5-turbo-instruct");
    assert_int_attr(s, "gen_ai.request.max_tokens", 7);
    assert_double_attr(s, "gen_ai.request.temperature", 0.0);
    assert_double_attr(s, "gen_ai.request.top_p", 1.0);
    assert_int_attr(s, "gen_ai.request.choice.count", 2);
    assert_int_attr(s, "gen_ai.request.seed", 7);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"\n", NULL});
    assert_str_attr(s, "gen_ai.response.id", "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7");
    assert_str_attr(s, "gen_ai.response.model", "gpt-3.5-turbo-instruct");
    assert_str_attr(s, "openai.response.system_fingerprint", "fp_44709d6fcb");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"length", "stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 5);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 12);
    assert_absent(s, "gen_ai.usage.cache_read.input_tokens");
    assert_absent(s, "openai.api.type");
    /* op, provider, address, port, model, temperature, top_p, max_tokens, seed, n, stop,
     * status, id, response model, fingerprint, finish, 2 usage */
    assert_n_attrs(s, 18);
    lt_span_free(s);

    s = build_spec(&CMPL, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Say this is a test\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"\\n\\nThis is indeed a test\"}],\"finish_reason\":\"length\"},"
                     "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\" This is a test.\"}],\"finish_reason\":\"stop\"}]");
    assert_n_attrs(s, 20);
    lt_span_free(s);
}

static void test_stream(void **state)
{
    struct lt_span *s = build_spec(&STREAM, false);
    assert_string_equal(s->name, "text_completion gpt-3.5-turbo-instruct");
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_int_attr(s, "gen_ai.request.max_tokens", 16);
    assert_str_attr(s, "gen_ai.response.id", "cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 4);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 5);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    assert_absent(s, "openai.response.system_fingerprint"); /* null in every chunk */
    /* op, provider, address, port, model, max_tokens, stream, status, id, response model,
     * finish, 2 usage, ttfc */
    assert_n_attrs(s, 14);
    lt_span_free(s);

    s = build_spec(&STREAM, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Count to three:\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\" One, two, three\"}],\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
}

static void test_stream_cut_off(void **state)
{
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    xs.end = LT_END_CUT_OFF;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("openai/completions_stream.sse", &n);
    const char *m = strstr(body, "\"finish_reason\":\"stop\"");
    assert_non_null(m);
    while (m > body && m[-1] != '\n') /* back to the start of that event */
        m--;
    lt_buf_append(&x->resp_body, body, (size_t)(m - body));
    free(body);
    struct lt_span *s = build(x, true);
    assert_str_attr(s, "error.type", "response_cut_off");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\" One, two, three\"}]}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_prompts_and_errors(void **state)
{
    struct xspec xs = CMPL;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req = "{\"model\":\"davinci-002\",\"prompt\":[\"a\",[1,2],\"b\"],\"n\":1}";
    lt_buf_append(&x->req_body, req, strlen(req));
    const char *resp = "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}";
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"a\"}]},"
                     "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"b\"}]}]");
    assert_absent(s, "gen_ai.request.choice.count");
    assert_str_attr(s, "error.type", "server_error");
    assert_string_equal(s->status_message, "overloaded");
    lt_span_free(s);
    lt_exchange_free(x);

    xs = STREAM;
    xs.resp_file = NULL;
    x = mk_exchange(&xs);
    const char *b =
        "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text\":"
        "\"x\",\"index\":0}]}\n\ndata: {\"error\":{\"message\":\"quota\",\"code\":"
        "429}}\n\n";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, false);
    assert_str_attr(s, "error.type", "429");
    assert_str_attr(s, "gen_ai.response.id", "cmpl-1");
    lt_span_free(s);
    lt_buf_reset(&x->resp_body);
    x->status = 429;
    size_t n;
    char *e = fixture("openai/error_429.json", &n);
    lt_buf_append(&x->resp_body, e, n);
    free(e);
    snprintf(x->resp_content_type, sizeof(x->resp_content_type), "application/json");
    s = build(x, false);
    assert_str_attr(s, "error.type", "429");
    assert_absent(s, "gen_ai.response.id");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_wrong_shapes(void **state)
{
    struct xspec xs = CMPL;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req = "{\"model\":{},\"prompt\":5,\"stop\":[1],\"max_tokens\":-1e300}";
    const char *resp = "{\"id\":1,\"choices\":[null,{\"text\":3,\"finish_reason\":[]},"
                       "{\"index\":-4}],\"usage\":7}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, true);
    assert_string_equal(s->name, "text_completion");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.input.messages");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[]},{\"role\":\"assistant\","
                     "\"parts\":[]}]");
    lt_span_free(s);
    lt_exchange_free(x);

    xs = STREAM;
    xs.req_file = xs.resp_file = NULL;
    x = mk_exchange(&xs);
    lt_buf_append(&x->req_body, "{\"stream\":true}", 15);
    const char *b = "data: {\"choices\":[{\"index\":-1,\"text\":\"a\"},{\"index\":1e10},7,"
                    "{\"index\":2,\"text\":\"z\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"stop", NULL});
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"z\"}],"
                     "\"finish_reason\":\"stop\"}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_gzip(void **state)
{
    struct lt_span *plain = build_spec(&STREAM, true);
    struct xspec xs = STREAM;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("openai/completions_stream.sse", &n), *z;
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
    assert_split_invariant(&CMPL, true);
    assert_split_invariant(&STREAM, true);
    assert_split_invariant(&STREAM, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attributes),     cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_cut_off), cmocka_unit_test(test_prompts_and_errors),
        cmocka_unit_test(test_wrong_shapes),   cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_split_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
