/* test_genai_openai_embeddings.c — OpenAI Embeddings spans from fixture exchanges: request
 * model, encoding formats and dimensions, vector size (float arrays and base64), input-token
 * usage, opt-in input texts, errors, wrong shapes, split bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai/adapter.h"
#include "genai_testutil.h"

static const struct xspec EMB = {
    .api = LT_API_OPENAI_EMBEDDINGS,
    .provider = "openai",
    .host = "api.openai.com",
    .port = 443,
    .req_file = "openai/embeddings_request.json",
    .resp_file = "openai/embeddings_response.json",
    .status = 200,
    .content_type = "application/json",
};

static void test_attributes(void **state)
{
    struct lt_span *s = build_spec(&EMB, false);
    assert_string_equal(s->name, "embeddings text-embedding-3-small");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "embeddings");
    assert_str_attr(s, "gen_ai.provider.name", "openai");
    assert_str_attr(s, "gen_ai.request.model", "text-embedding-3-small");
    assert_strs_attr(s, "gen_ai.request.encoding_formats", (const char *[]){"float", NULL});
    assert_int_attr(s, "gen_ai.embeddings.dimension.count", 8);
    assert_str_attr(s, "gen_ai.response.model", "text-embedding-3-small");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 15);
    assert_absent(s, "gen_ai.usage.output_tokens");
    assert_absent(s, "openai.api.type");
    assert_absent(s, "gen_ai.response.finish_reasons");
    /* op, provider, address, port, model, formats, dimensions, status, response model,
     * input tokens */
    assert_n_attrs(s, 10);
    lt_span_free(s);

    s = build_spec(&EMB, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"The food was delicious and the waiter was friendly.\"},{\"type\":"
                     "\"text\",\"content\":\"The service was slow.\"}]}]");
    assert_absent(s, "gen_ai.output.messages");
    assert_n_attrs(s, 11);
    lt_span_free(s);
}

static void test_base64(void **state)
{
    struct xspec xs = EMB;
    xs.req_file = "openai/embeddings_base64_request.json";
    xs.resp_file = "openai/embeddings_base64_response.json";
    struct lt_span *s = build_spec(&xs, true);
    assert_string_equal(s->name, "embeddings text-embedding-3-large");
    assert_strs_attr(s, "gen_ai.request.encoding_formats", (const char *[]){"base64", NULL});
    /* 24 decoded bytes = 6 float32 */
    assert_int_attr(s, "gen_ai.embeddings.dimension.count", 6);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 2);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"hello world\"}]}]");
    lt_span_free(s);

    /* Padding, and strings that are not base64 or not whole float32s. */
    static const struct {
        const char *emb;
        int64_t dims; /* -1: absent */
    } cases[] = {
        {"AAAAAA==", 1},         /* 4 bytes */
        {"AAAAAAAAAAA=", 2},     /* 8 bytes */
        {"AAAAAAAAAAAAAAAA", 3}, /* 12 bytes */
        {"AAAAAAAAAA==", -1},    /* 7 bytes */
        {"AAAAAAAAAAAA", -1},    /* 9 bytes */
        {"AA=A", -1},            /* padding in the middle */
        {"AA$A", -1},            /* not base64 */
        {"AAA", -1},             /* not a multiple of 4 */
        {"", -1},
    };
    xs.req_file = NULL;
    xs.resp_file = NULL;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lt_exchange *x = mk_exchange(&xs);
        char b[256];
        snprintf(b, sizeof(b), "{\"data\":[{\"embedding\":\"%s\"}]}", cases[i].emb);
        lt_buf_append(&x->resp_body, b, strlen(b));
        s = build(x, false);
        if (cases[i].dims < 0)
            assert_absent(s, "gen_ai.embeddings.dimension.count");
        else
            assert_int_attr(s, "gen_ai.embeddings.dimension.count", cases[i].dims);
        lt_span_free(s);
        lt_exchange_free(x);
    }
}

static void test_many_inputs_capped(void **state)
{
    struct xspec xs = EMB;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    char req[2048] = "{\"model\":\"m\",\"input\":[";
    for (int i = 0; i < 70; i++)
        strcat(req, i ? ",\"t\"" : "\"t\"");
    strcat(req, "]}");
    lt_buf_append(&x->req_body, req, strlen(req));
    struct lt_span *s = build(x, true);
    const struct lt_attr *a = lt_span_get(s, "gen_ai.input.messages");
    assert_non_null(a);
    cJSON *j = cJSON_Parse(a->u.s);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "parts")),
                     64);
    cJSON_Delete(j);
    assert_bool_attr(s, "llmtap.truncated", true);
    lt_span_free(s);

    /* Token arrays are not text: no content. */
    lt_buf_reset(&x->req_body);
    const char *r = "{\"model\":\"m\",\"input\":[[1,2,3],[4]]}";
    lt_buf_append(&x->req_body, r, strlen(r));
    s = build(x, true);
    assert_absent(s, "gen_ai.input.messages");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_errors(void **state)
{
    struct xspec xs = EMB;
    xs.resp_file = "openai/error_429.json";
    xs.status = 429;
    struct lt_span *s = build_spec(&xs, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "429");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_int_attr(s, "gen_ai.embeddings.dimension.count", 8); /* requested */
    lt_span_free(s);

    /* An error object in a 200 body. */
    xs = EMB;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *b = "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}";
    lt_buf_append(&x->resp_body, b, strlen(b));
    s = build(x, false);
    assert_str_attr(s, "error.type", "server_error");
    assert_string_equal(s->status_message, "boom");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_wrong_shapes(void **state)
{
    struct xspec xs = EMB;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req = "{\"model\":1,\"encoding_format\":[],\"dimensions\":\"8\",\"input\":7}";
    const char *resp = "{\"model\":[],\"data\":[{\"embedding\":{}}],\"usage\":[]}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, true);
    assert_string_equal(s->name, "embeddings");
    /* op, provider, address, port, status code */
    assert_n_attrs(s, 5);
    lt_span_free(s);
    lt_buf_reset(&x->resp_body);
    resp = "{\"data\":[{\"embedding\":[]}, 7]}";
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    s = build(x, true);
    assert_absent(s, "gen_ai.embeddings.dimension.count");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_gzip(void **state)
{
    struct lt_span *plain = build_spec(&EMB, true);
    struct xspec xs = EMB;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("openai/embeddings_response.json", &n), *z;
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
    assert_split_invariant(&EMB, true);
    struct xspec xs = EMB;
    xs.req_file = "openai/embeddings_base64_request.json";
    xs.resp_file = "openai/embeddings_base64_response.json";
    assert_split_invariant(&xs, false);
}

int main(void)
{
    (void)assert_double_attr; /* shared helper (genai_testutil.h) with no use here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attributes),         cmocka_unit_test(test_base64),
        cmocka_unit_test(test_many_inputs_capped), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_wrong_shapes),       cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_split_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
