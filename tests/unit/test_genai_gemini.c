/* test_genai_gemini.c — Gemini API and Vertex AI generateContent spans from fixture
 * exchanges: the model from the URL, generationConfig, candidates (several; thoughts; function
 * calls), usage with thoughts and cached tokens, both stream framings (alt=sse and the
 * streamed JSON array) giving the same span, mid-stream errors, blocked prompts, HTTP errors,
 * opt-in content, splits at every byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "genai_testutil.h"

#define SSE_TARGET                                                                                 \
    "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=AIzaSyD3FaKeKeY0123456789"
#define ARRAY_TARGET "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
#define VERTEX_TARGET                                                                              \
    "/v1/projects/my-proj-123/locations/us-central1/publishers/google/models/"                     \
    "gemini-2.5-flash:streamGenerateContent"

static const struct xspec GEN = {
    .api = LT_API_GEMINI,
    .provider = "gcp.gemini",
    .host = "generativelanguage.googleapis.com",
    .port = 443,
    .req_file = "gemini/generate_request.json",
    .resp_file = "gemini/generate_response.json",
    .status = 200,
    .content_type = "application/json; charset=UTF-8",
    .target = "/v1beta/models/gemini-2.0-flash:generateContent",
};

static const struct xspec SSE = {
    .api = LT_API_GEMINI,
    .provider = "gcp.gemini",
    .host = "generativelanguage.googleapis.com",
    .port = 443,
    .req_file = "gemini/stream_request.json",
    .resp_file = "gemini/stream_sse.sse",
    .status = 200,
    .content_type = "text/event-stream",
    .target = SSE_TARGET,
};

static const struct xspec ARRAY = {
    .api = LT_API_GEMINI,
    .provider = "gcp.gemini",
    .host = "generativelanguage.googleapis.com",
    .port = 443,
    .req_file = "gemini/stream_request.json",
    .resp_file = "gemini/stream_array.json",
    .status = 200,
    .content_type = "application/json; charset=UTF-8",
    .target = ARRAY_TARGET,
};

static const struct xspec TOOLS = {
    .api = LT_API_GEMINI,
    .provider = "gcp.gemini",
    .host = "generativelanguage.googleapis.com",
    .port = 443,
    .req_file = "gemini/tools_request.json",
    .resp_file = "gemini/tools_response.json",
    .status = 200,
    .content_type = "application/json; charset=UTF-8",
    .target = "/v1beta/models/gemini-2.5-flash:generateContent",
};

static const struct xspec THINK = {
    .api = LT_API_GEMINI,
    .provider = "gcp.gemini",
    .host = "generativelanguage.googleapis.com",
    .port = 443,
    .req_file = "gemini/thinking_request.json",
    .resp_file = "gemini/thinking_response.json",
    .status = 200,
    .content_type = "application/json; charset=UTF-8",
    .target = "/v1beta/models/gemini-2.5-pro:generateContent",
};

static const struct xspec VERTEX = {
    .api = LT_API_GEMINI,
    .provider = "gcp.vertex_ai",
    .host = "us-central1-aiplatform.googleapis.com",
    .port = 443,
    .req_file = "gemini/vertex_request.json",
    .resp_file = "gemini/vertex_stream.json",
    .status = 200,
    .content_type = "application/json; charset=UTF-8",
    .target = VERTEX_TARGET,
};

/* The API key travels in the query string; nothing of the URL but the model may leak. */
static void assert_no_key(const struct lt_span *s)
{
    for (size_t i = 0; i < s->n_attrs; i++)
        if (s->attrs[i].type == LT_ATTR_STRING &&
            (strstr(s->attrs[i].u.s, "AIza") || strstr(s->attrs[i].u.s, "alt=sse")))
            fail_msg("URL query in %s", s->attrs[i].key);
}

static void test_generate_attributes(void **state)
{
    struct lt_span *s = build_spec(&GEN, false);
    assert_string_equal(s->name, "generate_content gemini-2.0-flash");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.operation.name", "generate_content");
    assert_str_attr(s, "gen_ai.provider.name", "gcp.gemini");
    assert_str_attr(s, "server.address", "generativelanguage.googleapis.com");
    assert_int_attr(s, "server.port", 443);
    assert_str_attr(s, "gen_ai.request.model", "gemini-2.0-flash");
    assert_double_attr(s, "gen_ai.request.temperature", 0.4);
    assert_double_attr(s, "gen_ai.request.top_p", 0.95);
    assert_double_attr(s, "gen_ai.request.top_k", 40.0);
    assert_int_attr(s, "gen_ai.request.max_tokens", 512);
    assert_int_attr(s, "gen_ai.request.choice.count", 2);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"END", NULL});
    assert_double_attr(s, "gen_ai.request.presence_penalty", 0.5);
    assert_double_attr(s, "gen_ai.request.frequency_penalty", 0.25);
    assert_int_attr(s, "gen_ai.request.seed", 42);
    assert_str_attr(s, "gen_ai.output.type", "json");
    assert_int_attr(s, "http.response.status_code", 200);
    assert_str_attr(s, "gen_ai.response.id", "mUwHaPGxKMbaz7IPl4WnmAo");
    assert_str_attr(s, "gen_ai.response.model", "gemini-2.0-flash");
    assert_strs_attr(s, "gen_ai.response.finish_reasons",
                     (const char *[]){"STOP", "MAX_TOKENS", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1872);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 41);
    assert_absent(s, "gen_ai.usage.reasoning.output_tokens");
    assert_absent(s, "gen_ai.usage.cache_read.input_tokens");
    assert_absent(s, "gen_ai.request.stream");
    assert_absent(s, "gen_ai.response.time_to_first_chunk");
    assert_n_attrs(s, 21);
    lt_span_free(s);
}

static void test_generate_content(void **state)
{
    struct lt_span *s = build_spec(&GEN, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":"
                     "\"You are a concise travel assistant. Answer in JSON.\"}]");
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi!\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"Hello! Where are you travelling?\"}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"Which landmark is this, and what does the brochure say about it?\"},"
        "{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/jpeg\","
        "\"content\":\"/9j/4AAQSkZJRgABAQ==\"},"
        "{\"type\":\"uri\",\"modality\":\"document\",\"mime_type\":\"application/pdf\","
        "\"uri\":\"https://generativelanguage.googleapis.com/v1beta/files/brochure7k2p\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"{\\\"landmark\\\": \\\"Eiffel Tower\\\", \\\"city\\\": \\\"Paris\\\", "
                     "\\\"height_m\\\": 330}\"}],\"finish_reason\":\"STOP\"},"
                     "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"{\\\"landmark\\\": \\\"Eiffel Tower\\\", \\\"city\\\": \\\"Paris\\\", "
                     "\\\"summary\\\": \\\"Wrought-iron\"}],\"finish_reason\":\"MAX_TOKENS\"}]");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_n_attrs(s, 24);
    lt_span_free(s);
}

static void test_stream_sse(void **state)
{
    struct lt_span *s = build_spec(&SSE, false);
    assert_string_equal(s->name, "generate_content gemini-2.0-flash");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.request.model", "gemini-2.0-flash");
    assert_bool_attr(s, "gen_ai.request.stream", true);
    assert_double_attr(s, "gen_ai.request.temperature", 1.0);
    assert_int_attr(s, "gen_ai.request.max_tokens", 256);
    assert_str_attr(s, "gen_ai.response.id", "Qk8HaNuPLOuB7dcP5Y6zuAM");
    assert_str_attr(s, "gen_ai.response.model", "gemini-2.0-flash");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"STOP", NULL});
    /* The last chunk's usage: 19 output tokens, not the earlier chunks' none. */
    assert_int_attr(s, "gen_ai.usage.input_tokens", 9);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 19);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    assert_no_key(s);
    /* op, provider, address, port, model, stream, temperature, max_tokens, status, id,
     * response model, finish, 2 usage, ttfc */
    assert_n_attrs(s, 15);
    lt_span_free(s);

    s = build_spec(&SSE, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Write a haiku about the sky.\"}]}]");
    char want[512];
    snprintf(want, sizeof(want),
             "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"%s\"}],"
             "\"finish_reason\":\"STOP\"}]",
             "Blue canvas stretches,\\nClouds drift like thoughts at 20°C,\\nEndless, calm, "
             "and free.");
    assert_json_attr(s, "gen_ai.output.messages", want);
    assert_n_attrs(s, 17);
    assert_no_key(s);
    lt_span_free(s);
}

/* The JSON-array framing (no alt=sse) gives exactly the span the SSE framing gives. */
static void test_stream_array(void **state)
{
    for (int capture = 0; capture < 2; capture++) {
        struct lt_span *a = build_spec(&SSE, capture);
        struct lt_span *b = build_spec(&ARRAY, capture);
        assert_spans_equal(a, b);
        lt_span_free(a);
        lt_span_free(b);
    }
    /* Some servers label the array with no charset, or stream it unlabelled. */
    struct xspec xs = ARRAY;
    xs.content_type = "";
    struct lt_span *s = build_spec(&xs, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"STOP", NULL});
    assert_int_attr(s, "gen_ai.usage.output_tokens", 19);
    lt_span_free(s);
}

static void test_tools(void **state)
{
    struct lt_span *s = build_spec(&TOOLS, false);
    assert_string_equal(s->name, "generate_content gemini-2.5-flash");
    assert_double_attr(s, "gen_ai.request.temperature", 0.0);
    assert_str_attr(s, "gen_ai.response.id", "7lEHaIvWA5fRz7IP8_OJ6Qc");
    assert_str_attr(s, "gen_ai.response.model", "gemini-2.5-flash");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"STOP", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 142);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 88); /* 31 candidates + 57 thoughts */
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 57);
    /* op, provider, address, port, model, temperature, status, id, response model, finish,
     * 3 usage */
    assert_n_attrs(s, 13);
    lt_span_free(s);

    s = build_spec(&TOOLS, true);
    assert_json_attr(
        s, "gen_ai.tool.definitions",
        "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
        "\"Get the current weather in a given location\",\"parameters\":{\"type\":\"OBJECT\","
        "\"properties\":{\"location\":{\"type\":\"STRING\",\"description\":\"City and country\"}},"
        "\"required\":[\"location\"]}},"
        "{\"type\":\"function\",\"name\":\"get_time\",\"description\":"
        "\"Current local time in an IANA time zone\",\"parameters\":{\"type\":\"object\","
        "\"properties\":{\"timezone\":{\"type\":\"string\"}},\"required\":[\"timezone\"]}}]");
    assert_json_attr(
        s, "gen_ai.input.messages",
        "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"What's the weather in Paris, and what time is it there?\"}]},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"name\":\"get_weather\","
        "\"arguments\":{\"location\":\"Paris, France\"}}]},"
        "{\"role\":\"user\",\"parts\":[{\"type\":\"tool_call_response\",\"name\":\"get_weather\","
        "\"response\":{\"temperature_c\":18,\"conditions\":\"clear\"}}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"The weather in Paris is clear at 18°C. Let me check the time.\"},"
                     "{\"type\":\"tool_call\",\"name\":\"get_time\",\"arguments\":"
                     "{\"timezone\":\"Europe/Paris\"}}],\"finish_reason\":\"STOP\"}]");
    assert_absent(s, "gen_ai.system_instructions");
    assert_n_attrs(s, 16);
    lt_span_free(s);
}

static void test_thinking(void **state)
{
    struct lt_span *s = build_spec(&THINK, true);
    assert_string_equal(s->name, "generate_content gemini-2.5-pro");
    assert_str_attr(s, "gen_ai.output.type", "text");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 13);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 393);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 379);
    /* A content without a role is the user's. */
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"What is the smallest prime greater than 90?\"}]}]");
    assert_json_attr(
        s, "gen_ai.output.messages",
        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
        "\"**Checking candidates**\\n\\n91 = 7 × 13, so it is not prime. 92 is even. 97 has no "
        "divisor up to 9.\"},{\"type\":\"text\",\"content\":"
        "\"The smallest prime greater than 90 is **97**.\"}],\"finish_reason\":\"STOP\"}]");
    /* op, provider, address, port, model, output type, status, id, response model, finish,
     * 3 usage, 2 content */
    assert_n_attrs(s, 15);
    lt_span_free(s);
}

static void test_vertex_stream(void **state)
{
    struct lt_span *s = build_spec(&VERTEX, false);
    assert_string_equal(s->name, "generate_content gemini-2.5-flash");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_str_attr(s, "gen_ai.provider.name", "gcp.vertex_ai");
    assert_str_attr(s, "server.address", "us-central1-aiplatform.googleapis.com");
    assert_bool_attr(s, "gen_ai.request.stream", true);
    /* snake_case generation_config; candidate_count 1 is not reported. */
    assert_double_attr(s, "gen_ai.request.temperature", 0.2);
    assert_double_attr(s, "gen_ai.request.top_p", 0.8);
    assert_int_attr(s, "gen_ai.request.max_tokens", 2048);
    assert_strs_attr(s, "gen_ai.request.stop_sequences", (const char *[]){"###", NULL});
    assert_absent(s, "gen_ai.request.choice.count");
    assert_str_attr(s, "gen_ai.response.id", "sNchaMGNMrKt2PgPuNmx6Ac");
    assert_str_attr(s, "gen_ai.response.model", "gemini-2.5-flash");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"STOP", NULL});
    assert_int_attr(s, "gen_ai.usage.input_tokens", 2081);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 220);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 2048);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 205);
    assert_double_attr(s, "gen_ai.response.time_to_first_chunk", 0.25);
    /* op, provider, address, port, model, stream, temperature, top_p, max_tokens, stop,
     * status, id, response model, finish, 4 usage, ttfc */
    assert_n_attrs(s, 19);
    lt_span_free(s);

    s = build_spec(&VERTEX, true);
    assert_json_attr(s, "gen_ai.system_instructions",
                     "[{\"type\":\"text\",\"content\":\"You are a careful math tutor.\"}]");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Is 221 prime?\"}]}]");
    /* Thoughts and text each continue across chunks. */
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"reasoning\",\"content\":"
                     "\"**Testing divisibility**\\n\\n221 is odd; try 13: 13 × 17 = 221.\"},"
                     "{\"type\":\"text\",\"content\":\"No. 221 = 13 × 17, so it is composite.\"}],"
                     "\"finish_reason\":\"STOP\"}]");
    assert_n_attrs(s, 22);
    lt_span_free(s);
}

static void test_stream_error(void **state)
{
    struct xspec xs = ARRAY;
    xs.resp_file = "gemini/stream_error.json";
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "INTERNAL");
    assert_string_equal(s->status_message,
                        "An internal error has occurred. Please retry or report in "
                        "https://developers.generativeai.google/guide/troubleshooting");
    assert_int_attr(s, "http.response.status_code", 200);
    assert_str_attr(s, "gen_ai.response.id", "Qk8HaNuPLOuB7dcP5Y6zuAM");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 9);
    assert_absent(s, "gen_ai.usage.output_tokens");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Blue canvas stretches,\"}]}]");
    lt_span_free(s);

    /* The same stream, then cut: the error still explains the failure. */
    xs.end = LT_END_CUT_OFF;
    s = build_spec(&xs, false);
    assert_str_attr(s, "error.type", "INTERNAL");
    lt_span_free(s);
}

static void test_http_429(void **state)
{
    struct xspec xs = GEN;
    xs.resp_file = "gemini/error_429.json";
    xs.status = 429;
    struct lt_span *s = build_spec(&xs, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "429");
    assert_string_equal(s->status_message,
                        "You exceeded your current quota, please check your plan and billing "
                        "details. For more information on this error, head to: "
                        "https://ai.google.dev/gemini-api/docs/rate-limits.");
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.usage.input_tokens");
    assert_absent(s, "gen_ai.response.finish_reasons");
    lt_span_free(s);

    /* An error body with a 200 status (a relay): the status name is the error type. */
    xs.status = 200;
    s = build_spec(&xs, false);
    assert_str_attr(s, "error.type", "RESOURCE_EXHAUSTED");
    lt_span_free(s);

    /* A streamed request's error body (alt=sse answers errors in plain JSON). */
    xs = SSE;
    xs.resp_file = "gemini/error_429.json";
    xs.content_type = "application/json; charset=UTF-8";
    xs.status = 429;
    s = build_spec(&xs, true);
    assert_str_attr(s, "error.type", "429");
    assert_true(strncmp(s->status_message, "You exceeded your current quota", 31) == 0);
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);
}

/* Vertex answers an error to a streamed request as a one-element array. */
static void test_vertex_error_array(void **state)
{
    struct xspec xs = VERTEX;
    xs.resp_file = "gemini/vertex_error_429.json";
    xs.status = 429;
    struct lt_span *s = build_spec(&xs, false);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "429"); /* the HTTP status wins (genai.c) */
    /* genai.c looks into the one-element array for the provider's message. */
    assert_string_equal(s->status_message,
                        "Resource exhausted. Please try again later. Please refer to "
                        "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 "
                        "for more details.");
    assert_absent(s, "gen_ai.response.finish_reasons");
    lt_span_free(s);
}

static void test_blocked_prompt(void **state)
{
    struct xspec xs = GEN;
    xs.resp_file = "gemini/blocked_response.json";
    struct lt_span *s = build_spec(&xs, true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "SAFETY");
    assert_string_equal(s->status_message, "prompt blocked: SAFETY");
    assert_str_attr(s, "gen_ai.response.id", "c1QHaNmZGcSZz7IPr9jJoQ4");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 11);
    assert_absent(s, "gen_ai.usage.output_tokens");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);

    /* Vertex adds a message; it goes into the description. */
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *body = "{\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\","
                       "\"blockReasonMessage\":\"The prompt is blocked.\"}}";
    lt_buf_append(&x->resp_body, body, strlen(body));
    s = build(x, false);
    assert_str_attr(s, "error.type", "PROHIBITED_CONTENT");
    assert_string_equal(s->status_message, "prompt blocked: PROHIBITED_CONTENT: The prompt is "
                                           "blocked.");
    lt_span_free(s);
    lt_exchange_free(x);
}

/* Build a span with `target` and empty bodies; return gen_ai.request.model or NULL. */
static void check_target(const char *target, const char *want_model, bool want_stream)
{
    struct xspec xs = GEN;
    xs.req_file = xs.resp_file = NULL;
    xs.target = target;
    struct lt_span *s = build_spec(&xs, false);
    if (want_model) {
        assert_str_attr(s, "gen_ai.request.model", want_model);
        char name[128];
        snprintf(name, sizeof(name), "generate_content %s", want_model);
        assert_string_equal(s->name, name);
    } else {
        assert_absent(s, "gen_ai.request.model");
        assert_string_equal(s->name, "generate_content");
    }
    if (want_stream)
        assert_bool_attr(s, "gen_ai.request.stream", true);
    else
        assert_absent(s, "gen_ai.request.stream");
    assert_no_key(s);
    lt_span_free(s);
}

static void test_model_from_url(void **state)
{
    check_target("/v1beta/models/gemini-1.5-pro-002:generateContent?key=AIzaSyXXXX",
                 "gemini-1.5-pro-002", false);
    check_target("/v1/models/gemini-2.0-flash:streamGenerateContent", "gemini-2.0-flash", true);
    check_target("/v1/projects/p/locations/global/publishers/google/models/"
                 "gemini-2.0-flash-001:streamGenerateContent?alt=sse",
                 "gemini-2.0-flash-001", true);
    check_target("/v1beta/models%2Fgemini-2.0-flash:generateContent", "gemini-2.0-flash", false);
    check_target("/v1beta/models/gemini%2D2.0-flash:generateContent", "gemini-2.0-flash", false);
    check_target("/v1beta/tunedModels/my-tuned-abc:generateContent", "my-tuned-abc", false);
    check_target("/v1/projects/p/locations/l/endpoints/1234567:generateContent", "1234567", false);
    check_target("/v1beta/models/x%zz%4:generateContent", "x%zz%4", false);
    check_target("/v1beta/models/a%00b:generateContent", "a", false);
    check_target("/v1beta/models/:generateContent", NULL, false);
    check_target("/v1beta/models%2F:generateContent", NULL, false); /* only the prefix */
    check_target("/v1beta/models%2F%00x:generateContent", NULL, false);
    check_target("/v1beta/models/m:streamGenerateContentX", "m", false);
    check_target("/v1beta/models/m:streamGenerate", "m", false);
    check_target("/v1beta/models/gemini-pro", "gemini-pro", false);
    check_target("/", NULL, false);
    check_target("", NULL, false);
    /* A long name is cut, not overflowed. */
    char t[1024] = "/v1beta/models/";
    memset(t + strlen(t), 'm', 600);
    strcat(t, ":generateContent");
    struct xspec xs = GEN;
    xs.req_file = xs.resp_file = NULL;
    xs.target = t;
    struct lt_span *s = build_spec(&xs, false);
    const struct lt_attr *a = lt_span_get(s, "gen_ai.request.model");
    assert_non_null(a);
    assert_int_equal(strlen(a->u.s), 255);
    lt_span_free(s);
}

/* Build an exchange of `xs` with inline response `body`. */
static struct lt_span *build_body(const struct xspec *xs, const char *body, bool capture)
{
    struct xspec x2 = *xs;
    x2.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&x2);
    lt_buf_append(&x->resp_body, body, strlen(body));
    struct lt_span *s = build(x, capture);
    lt_exchange_free(x);
    return s;
}

static void test_usage(void **state)
{
    /* Tool-use prompt tokens are input; thoughts alone are output (no candidates count when
     * the budget ran out while thinking); per-field later values win. */
    const char *body =
        "data: {\"usageMetadata\":{\"promptTokenCount\":100,\"candidatesTokenCount\":3,"
        "\"cachedContentTokenCount\":40}}\r\n\r\n"
        "data: {\"candidates\":[{\"finishReason\":\"MAX_TOKENS\"}],\"usageMetadata\":"
        "{\"promptTokenCount\":120,\"toolUsePromptTokenCount\":30,\"thoughtsTokenCount\":500}}"
        "\r\n\r\n";
    struct lt_span *s = build_body(&SSE, body, false);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 150);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 503);
    assert_int_attr(s, "gen_ai.usage.reasoning.output_tokens", 500);
    assert_int_attr(s, "gen_ai.usage.cache_read.input_tokens", 40);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"MAX_TOKENS", NULL});
    lt_span_free(s);

    body = "{\"candidates\":[{\"finishReason\":\"MAX_TOKENS\",\"content\":{\"role\":\"model\"}}],"
           "\"usageMetadata\":{\"promptTokenCount\":7,\"thoughtsTokenCount\":64,"
           "\"totalTokenCount\":71}}";
    s = build_body(&GEN, body, true);
    assert_int_attr(s, "gen_ai.usage.input_tokens", 7);
    assert_int_attr(s, "gen_ai.usage.output_tokens", 64);
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[],\"finish_reason\":\"MAX_TOKENS\"}]");
    lt_span_free(s);
}

/* Several candidates interleaved in one stream, parts of several kinds in one chunk. */
static void test_stream_candidates(void **state)
{
    const char *body =
        "data: {\"candidates\":[{\"index\":1,\"content\":{\"parts\":[{\"text\":\"B1\"}]}},"
        "{\"index\":0,\"content\":{\"parts\":[{\"text\":\"t\",\"thought\":true}]}}]}\r\n\r\n"
        "data: {\"candidates\":[{\"index\":0,\"content\":{\"parts\":[{\"text\":\"u\","
        "\"thought\":true},{\"text\":\"A1\"},{\"text\":\"A2\"},{\"text\":\"\","
        "\"thoughtSignature\":\"c2ln\"}]}},"
        "{\"index\":1,\"content\":{\"parts\":[{\"text\":\"B2\"},{\"functionCall\":{\"id\":\"fc1\","
        "\"name\":\"f\",\"args\":{}}},{\"text\":\"B3\"}]}}]}\r\n\r\n"
        "data: {\"candidates\":[{\"index\":0,\"content\":{\"parts\":[{\"text\":\"A3\"},"
        "{\"executableCode\":{\"language\":\"PYTHON\",\"code\":\"print(1)\"}},"
        "{\"codeExecutionResult\":{\"outcome\":\"OUTCOME_OK\",\"output\":\"1\\n\"}},"
        "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}}]},"
        "\"finishReason\":\"STOP\"},{\"index\":1,\"finishReason\":\"SAFETY\"}]}\r\n\r\n";
    struct lt_span *s = build_body(&SSE, body, true);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"STOP", "SAFETY", NULL});
    assert_json_attr(
        s, "gen_ai.output.messages",
        "[{\"role\":\"assistant\",\"parts\":["
        "{\"type\":\"reasoning\",\"content\":\"tu\"},{\"type\":\"text\",\"content\":\"A1\"},"
        "{\"type\":\"text\",\"content\":\"A2A3\"},"
        "{\"type\":\"server_tool_call\",\"name\":\"code_execution\",\"server_tool_call\":"
        "{\"language\":\"PYTHON\",\"code\":\"print(1)\",\"type\":\"code_execution\"}},"
        "{\"type\":\"server_tool_call_response\",\"server_tool_call_response\":"
        "{\"outcome\":\"OUTCOME_OK\",\"output\":\"1\\n\",\"type\":\"code_execution\"}},"
        "{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\","
        "\"content\":\"iVBORw0KGgo=\"}],\"finish_reason\":\"STOP\"},"
        "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"B1B2\"},"
        "{\"type\":\"tool_call\",\"id\":\"fc1\",\"name\":\"f\",\"arguments\":{}},"
        "{\"type\":\"text\",\"content\":\"B3\"}],\"finish_reason\":\"SAFETY\"}]");
    lt_span_free(s);

    /* Content off: finish reasons still come per candidate, in index order. */
    s = build_body(&SSE, body, false);
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"STOP", "SAFETY", NULL});
    lt_span_free(s);
}

static void test_cut_off(void **state)
{
    struct xspec xs = VERTEX;
    xs.resp_file = NULL;
    xs.end = LT_END_EXIT;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n;
    char *body = fixture("gemini/vertex_stream.json", &n);
    lt_buf_append(&x->resp_body, body, n / 2);
    free(body);
    struct lt_span *s = build(x, true);
    assert_str_attr(s, "error.type", "response_cut_off");
    assert_str_attr(s, "gen_ai.response.id", "sNchaMGNMrKt2PgPuNmx6Ac");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_absent(s, "gen_ai.usage.output_tokens");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":"
                     "\"**Testing divisibility**\\n\\n221 is odd; try 13: 13 × 17 = 221.\"}]}]");
    lt_span_free(s);
    lt_exchange_free(x);
}

static void test_unparseable(void **state)
{
    struct xspec xs = GEN;
    xs.req_file = xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    const char *req =
        "{\"systemInstruction\":\"be brief\",\"contents\":[7,{\"role\":5,\"parts\":[1,"
        "{\"inlineData\":[]},{\"fileData\":{}},{\"functionCall\":{\"args\":3}},"
        "{\"functionResponse\":{}},{\"text\":5},{}]},{\"parts\":{}}],"
        "\"tools\":[{\"functionDeclarations\":[1,{}]},{\"functionDeclarations\":{}},3],"
        "\"generationConfig\":{\"temperature\":\"hot\",\"maxOutputTokens\":1.5,"
        "\"candidateCount\":1,\"stopSequences\":\"x\",\"seed\":null,"
        "\"responseMimeType\":\"text/x.enum\"}}";
    const char *resp = "{\"candidates\":[3,{\"index\":-1},{\"index\":1e300},"
                       "{\"content\":{\"parts\":\"x\"},\"finishReason\":7}],"
                       "\"usageMetadata\":[],\"modelVersion\":5,\"responseId\":\"\","
                       "\"promptFeedback\":{\"blockReason\":\"BLOCK_REASON_UNSPECIFIED\"}}";
    lt_buf_append(&x->req_body, req, strlen(req));
    lt_buf_append(&x->resp_body, resp, strlen(resp));
    struct lt_span *s = build(x, true);
    assert_string_equal(s->name, "generate_content gemini-2.0-flash");
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.request.temperature");
    assert_absent(s, "gen_ai.request.max_tokens");
    assert_absent(s, "gen_ai.request.choice.count");
    assert_absent(s, "gen_ai.request.stop_sequences");
    assert_absent(s, "gen_ai.output.type");
    assert_absent(s, "gen_ai.system_instructions");
    assert_absent(s, "gen_ai.tool.definitions");
    assert_absent(s, "gen_ai.response.id");
    assert_absent(s, "gen_ai.response.model");
    assert_absent(s, "gen_ai.response.finish_reasons");
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"user\",\"parts\":[{\"type\":\"uri\"},{\"type\":\"tool_call\","
                     "\"arguments\":3},{\"type\":\"tool_call_response\"}]},"
                     "{\"role\":\"user\",\"parts\":[]}]");
    /* Only the last candidate counts: no index, so its position (3). */
    assert_json_attr(s, "gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[]}]");
    lt_span_free(s);
    lt_exchange_free(x);

    /* Stream values of the wrong shapes. */
    s = build_body(&SSE,
                   "data: [1,2]\r\n\r\ndata: not json\r\n\r\ndata: {\"error\":7}\r\n\r\n"
                   "data: {\"error\":{\"code\":503}}\r\n\r\n",
                   true);
    assert_int_equal(s->status, LT_STATUS_ERROR);
    assert_str_attr(s, "error.type", "503");
    lt_span_free(s);
    s = build_body(&ARRAY, "[1,\"x\",null,{}]", true);
    assert_int_equal(s->status, LT_STATUS_UNSET);
    assert_absent(s, "gen_ai.output.messages");
    lt_span_free(s);
}

/* A streamed array read as one JSON body (no stream method in the URL). */
static void test_array_as_body(void **state)
{
    struct xspec xs = ARRAY;
    xs.target = "/v1beta/models/gemini-2.0-flash:generateContent";
    struct lt_span *s = build_spec(&xs, true);
    assert_absent(s, "gen_ai.request.stream");
    assert_strs_attr(s, "gen_ai.response.finish_reasons", (const char *[]){"STOP", NULL});
    assert_int_attr(s, "gen_ai.usage.output_tokens", 19);
    char want[512];
    snprintf(want, sizeof(want),
             "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"%s\"}],"
             "\"finish_reason\":\"STOP\"}]",
             "Blue canvas stretches,\\nClouds drift like thoughts at 20°C,\\nEndless, calm, "
             "and free.");
    assert_json_attr(s, "gen_ai.output.messages", want);
    lt_span_free(s);
}

/* Google answers with Content-Encoding: gzip; the decoded stream gives the same span. */
static void test_gzip(void **state)
{
    struct lt_span *plain = build_spec(&VERTEX, true);
    struct xspec xs = VERTEX;
    xs.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&xs);
    size_t n, zn;
    char *body = fixture("gemini/vertex_stream.json", &n), *z;
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

/* Every fixture gives the same span whatever the split of its response body; the streams are
 * split at every byte. */
static void split_every_byte(const struct xspec *xs, bool capture)
{
    struct lt_span *whole = build_spec(xs, capture);
    struct xspec half = *xs;
    half.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&half);
    size_t n;
    char *body = fixture(xs->resp_file, &n);
    for (size_t cut = 1; cut < n; cut++) {
        lt_buf_reset(&x->resp_body);
        lt_buf_append(&x->resp_body, body, cut);
        lt_buf_append(&x->resp_body, body + cut, n - cut);
        struct lt_span *two = build(x, capture);
        assert_spans_equal(whole, two);
        lt_span_free(two);
    }
    free(body);
    lt_exchange_free(x);
    lt_span_free(whole);
}

static void test_splits(void **state)
{
    for (int capture = 0; capture < 2; capture++) {
        split_every_byte(&SSE, capture);
        split_every_byte(&ARRAY, capture);
        split_every_byte(&VERTEX, capture);
        assert_split_invariant(&GEN, capture);
        assert_split_invariant(&TOOLS, capture);
        assert_split_invariant(&THINK, capture);
    }
    struct xspec xs = ARRAY;
    xs.resp_file = "gemini/stream_error.json";
    split_every_byte(&xs, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_attributes),
        cmocka_unit_test(test_generate_content),
        cmocka_unit_test(test_stream_sse),
        cmocka_unit_test(test_stream_array),
        cmocka_unit_test(test_tools),
        cmocka_unit_test(test_thinking),
        cmocka_unit_test(test_vertex_stream),
        cmocka_unit_test(test_stream_error),
        cmocka_unit_test(test_http_429),
        cmocka_unit_test(test_vertex_error_array),
        cmocka_unit_test(test_blocked_prompt),
        cmocka_unit_test(test_model_from_url),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_stream_candidates),
        cmocka_unit_test(test_cut_off),
        cmocka_unit_test(test_unparseable),
        cmocka_unit_test(test_array_as_body),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
