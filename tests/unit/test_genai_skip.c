/* test_genai_skip.c — the event_needed fast path (adapter.h): with content capture off, a
 * span built while skipping unneeded stream events must equal, attribute for attribute, the
 * span built with every event parsed (lt_genai_skip_disabled). Differential over every
 * fixture file and every stream embedded in the other genai tests, each run through every
 * adapter and framing; plus hand-written adversarial events, and direct checks that typical
 * delta events really are skipped (so the fast path is not silently dead). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>

#include "genai/adapter.h"
/* Only some of the shared helpers are used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "genai_testutil.h"

static const enum lt_api APIS[] = {
    LT_API_NONE,
    LT_API_OPENAI_CHAT,
    LT_API_ANTHROPIC_MESSAGES,
    LT_API_OPENAI_RESPONSES,
    LT_API_OPENAI_EMBEDDINGS,
    LT_API_OPENAI_COMPLETIONS,
    LT_API_GEMINI,
    LT_API_BEDROCK_CONVERSE,
    LT_API_BEDROCK_INVOKE,
    LT_API_COHERE_CHAT,
    LT_API_OLLAMA_CHAT,
    LT_API_OLLAMA_GENERATE,
};
#define N_APIS (sizeof(APIS) / sizeof(APIS[0]))

static const char *const CTYPES[] = {
    "text/event-stream", "application/x-ndjson", "application/vnd.amazon.eventstream",
    "application/json", /* framing by shape, with a stream request */
};
#define N_CTYPES (sizeof(CTYPES) / sizeof(CTYPES[0]))

/* Builds compared so far, to show the sweep ran. */
static size_t n_compared;

/* Build exchange `x` (freed here) three times, capture off: skip on; skip on without the
 * shape cache of shape.h; every fast path off. The spans must be identical. */
static void compare_builds(struct lt_exchange *x)
{
    lt_genai_skip_disabled = false;
    struct lt_span *fast = build(x, false);
    lt_genai_shape_disabled = true; /* every event through event_needed */
    struct lt_span *scanned = build(x, false);
    lt_genai_shape_disabled = false;
    lt_genai_skip_disabled = true;
    struct lt_span *full = build(x, false);
    lt_genai_skip_disabled = false;
    assert_spans_equal(full, scanned);
    lt_span_free(scanned);
    if (fast->n_attrs != full->n_attrs) {
        for (size_t i = 0; i < full->n_attrs; i++)
            print_message("  full: %s\n", full->attrs[i].key);
        for (size_t i = 0; i < fast->n_attrs; i++)
            print_message("  fast: %s\n", fast->attrs[i].key);
    }
    assert_spans_equal(full, fast);
    n_compared++;
    lt_span_free(fast);
    lt_span_free(full);
    lt_exchange_free(x);
}

/* compare_builds() with `body` as the response of `api`. */
static void check_same(enum lt_api api, const char *ctype, const char *req_file, const char *body,
                       size_t n)
{
    struct xspec xs = {
        .api = api,
        .provider = "openai",
        .host = "api.example.com",
        .port = 443,
        .req_file = req_file,
        .status = 200,
        .content_type = ctype,
        .end = LT_END_COMPLETE,
    };
    struct lt_exchange *x = mk_exchange(&xs);
    lt_buf_append(&x->resp_body, body, n);
    compare_builds(x);
}

/* Every adapter, framing and request (none, or one asking for a stream). */
static void check_everywhere(const char *body, size_t n)
{
    for (size_t a = 0; a < N_APIS; a++)
        for (size_t t = 0; t < N_CTYPES; t++) {
            check_same(APIS[a], CTYPES[t], "openai/stream_request.json", body, n);
            if (t == 0)
                check_same(APIS[a], CTYPES[t], NULL, body, n);
        }
}

/* ---- every fixture file ---- */

static void walk(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), FIXTURES "%s", rel);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[512], full[1024];
        snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof(full), FIXTURES "%s", sub);
        struct stat st;
        assert_int_equal(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            walk(sub);
            continue;
        }
        size_t n;
        char *body = fixture(sub, &n);
        check_everywhere(body, n);
        free(body);
    }
    closedir(d);
}

static void test_fixture_files(void **state)
{
    (void)state;
    n_compared = 0;
    walk("");
    assert_true(n_compared > 100 * N_APIS);
}

/* ---- streams embedded in the other genai tests ---- */

static const char *const EMBEDDED[] = {
    /* test_genai_anthropic.c */
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\""
    "m\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\ndata: {\"type\""
    ":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"inp"
    "ut_tokens\":12,\"cache_read_input_tokens\":3,\"output_tokens\":50,\"cache_cr"
    "eation_input_tokens\":null}}\n\ndata: {\"type\":\"message_stop\"}\n\n",
    /* test_genai_anthropic.c */
    "event: content_block_delta\ndata: {\"index\":-1,\"delta\":{}}\n\nevent: cont"
    "ent_block_start\ndata: {\"type\":\"content_block_start\",\"index\":999999999"
    "99,\"content_block\":{\"type\":\"text\"}}\n\nevent: message_delta\ndata: [1,"
    "2]\n\nevent: error\ndata: not json\n\n",
    /* test_genai_cohere.c */
    "event: message-start\ndata: {\"id\":\"e1\",\"type\":\"message-start\"}\n\nev"
    "ent: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":"
    "{\"message\":{\"content\":{\"text\":\"Hel\"}}}}\n\nevent: message-end\ndata:"
    " {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\",\"error\":"
    "\"internal server error, please retry\"}}\n\n",
    /* test_genai_cohere.c */
    "{\"model\":\"c\",\"p\":\"x\",\"k\":null,\"stop_sequences\":\"END\",\"respons"
    "e_format\":[],\"messages\":[1,{\"role\":\"user\",\"content\":7},{\"role\":\""
    "assistant\",\"tool_calls\":[1,{\"function\":3}],\"content\":[{\"type\":\"ima"
    "ge_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}},{\""
    "type\":\"document\"},2]}],\"tools\":[{\"type\":\"function\"}]}",
    /* test_genai_cohere.c */
    "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":-1,\"delta"
    "\":{\"message\":{\"content\":{\"text\":\"a\"}}}}\n\nevent: tool-call-delta\n"
    "data: {\"type\":\"tool-call-delta\",\"index\":99999999999,\"delta\":{\"messa"
    "ge\":{\"tool_calls\":{}}}}\n\nevent: tool-call-start\ndata: {\"type\":\"tool"
    "-call-start\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":[{\"id\":\""
    "t1\",\"function\":{\"name\":\"f\"}}]}}}\n\nevent: message-end\ndata: [1]\n\n"
    "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":7}\n\ndata: no"
    "t json\n\n",
    /* test_genai_compat.c */
    "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"call_a\",\"functio"
    "n\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\"\"}}]}}]}\n\ndata: {\"choices\""
    ":[{\"delta\":{\"tool_calls\":[{\"id\":\"call_b\",\"function\":{\"name\":\"g\""
    ",\"arguments\":\"{\\\"y\\\":\"}}]}}]}\n\ndata: {\"choices\":[{\"delta\":{\"t"
    "ool_calls\":[{\"id\":\"call_a\",\"function\":{\"arguments\":\":1}\"}}]}}]}\n"
    "\ndata: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments"
    "\":\"2}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n",
    /* test_genai_gemini.c */
    "data: {\"usageMetadata\":{\"promptTokenCount\":100,\"candidatesTokenCount\":"
    "3,\"cachedContentTokenCount\":40}}\r\n\r\ndata: {\"candidates\":[{\"finishRe"
    "ason\":\"MAX_TOKENS\"}],\"usageMetadata\":{\"promptTokenCount\":120,\"toolUs"
    "ePromptTokenCount\":30,\"thoughtsTokenCount\":500}}\r\n\r\n",
    /* test_genai_gemini.c */
    "data: {\"candidates\":[{\"index\":1,\"content\":{\"parts\":[{\"text\":\"B1\""
    "}]}},{\"index\":0,\"content\":{\"parts\":[{\"text\":\"t\",\"thought\":true}]"
    "}}]}\r\n\r\ndata: {\"candidates\":[{\"index\":0,\"content\":{\"parts\":[{\"t"
    "ext\":\"u\",\"thought\":true},{\"text\":\"A1\"},{\"text\":\"A2\"},{\"text\":"
    "\"\",\"thoughtSignature\":\"c2ln\"}]}},{\"index\":1,\"content\":{\"parts\":["
    "{\"text\":\"B2\"},{\"functionCall\":{\"id\":\"fc1\",\"name\":\"f\",\"args\":"
    "{}}},{\"text\":\"B3\"}]}}]}\r\n\r\ndata: {\"candidates\":[{\"index\":0,\"con"
    "tent\":{\"parts\":[{\"text\":\"A3\"},{\"executableCode\":{\"language\":\"PYT"
    "HON\",\"code\":\"print(1)\"}},{\"codeExecutionResult\":{\"outcome\":\"OUTCOM"
    "E_OK\",\"output\":\"1\\n\"}},{\"inlineData\":{\"mimeType\":\"image/png\",\"d"
    "ata\":\"iVBORw0KGgo=\"}}]},\"finishReason\":\"STOP\"},{\"index\":1,\"finishR"
    "eason\":\"SAFETY\"}]}\r\n\r\n",
    /* test_genai_gemini.c */
    "data: [1,2]\r\n\r\ndata: not json\r\n\r\ndata: {\"error\":7}\r\n\r\ndata: {\""
    "error\":{\"code\":503}}\r\n\r\n",
    /* test_genai_ollama.c */
    "[1,2]\nnot json\n\"s\"\n{\"done\":true,\"done_reason\":\"length\"}\n",
    /* test_genai_openai.c */
    "data: {\"error\":{\"message\":\"quota\",\"code\":429}}\n\n",
    /* test_genai_openai.c */
    "data: {\"error\":{\"message\":\"odd\"}}\n\n",
    /* test_genai_openai_completions.c */
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text"
    "\":\"x\",\"index\":0}]}\n\ndata: {\"error\":{\"message\":\"quota\",\"code\":"
    "429}}\n\n",
    /* test_genai_openai_completions.c */
    "data: {\"choices\":[{\"index\":-1,\"text\":\"a\"},{\"index\":1e10},7,{\"inde"
    "x\":2,\"text\":\"z\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
    /* test_genai_openai_responses.c */
    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_reques"
    "t_error\",\"message\":\"bad\"}}\n\n",
    /* test_genai_openai_responses.c */
    "event: error\ndata: {\"message\":\"odd\"}\n\n",
    /* test_genai_openai_responses.c */
    "{\"model\":\"gpt-4o\",\"conversation\":{\"id\":\"conv_obj1\"},\"text\":{\"fo"
    "rmat\":{\"type\":\"json_object\"}},\"input\":[{\"type\":\"reasoning\",\"id\""
    ":\"rs_1\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"think\"}]},{\"t"
    "ype\":\"function_call\",\"call_id\":\"c1\",\"name\":\"f\",\"arguments\":\"no"
    "t json\"},{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":["
    "{\"type\":\"input_text\",\"text\":\"r\"}]},{\"type\":\"item_reference\",\"id"
    "\":\"msg_9\"},{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"fi"
    "le_id\":\"file-1\"},{\"type\":\"input_image\",\"image_url\":\"data:image/png"
    ";base64,iVBO\"},{\"type\":\"input_file\",\"file_id\":\"file-2\"},{\"type\":\""
    "input_file\",\"file_url\":\"https://example.com/a.pdf\"}]}]}",
    /* test_genai_openai_responses.c */
    "data: {\"type\":\"response.output_item.added\",\"output_index\":-1,\"item\":"
    "{}}\n\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":3,\"d"
    "elta\":7}\n\ndata: {\"type\":\"response.output_item.done\",\"output_index\":"
    "2,\"item\":[]}\n\ndata: {\"type\":\"response.completed\",\"response\":7}\n\n"
    "data: {\"type\":5}\n\ndata: [DONE]\n\n",
};

static void test_embedded_streams(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(EMBEDDED) / sizeof(EMBEDDED[0]); i++)
        check_everywhere(EMBEDDED[i], strlen(EMBEDDED[i]));
}

/* ---- adversarial events ---- */

#define OA_FIRST                                                                                   \
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"   \
    "\"gpt-4o-mini\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_a\",\"choices\":"    \
    "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"         \
    "\"finish_reason\":null}]}\n\n"
#define OA_DELTA                                                                                   \
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"   \
    "\"gpt-4o-mini\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_a\",\"choices\":"    \
    "[{\"index\":0,\"delta\":{\"content\":\" fox\"},\"logprobs\":null,\"finish_reason\":null}],"   \
    "\"usage\":null,\"obfuscation\":\"xyz\"}\n\n"
#define OA_DONE "data: [DONE]\n\n"

/* OpenAI chat chunks after a normal first chunk and a delta. */
static const char *const OPENAI_ADV[] = {
    /* finish reason in an otherwise delta-looking chunk, with whitespace variants */
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},"
    "\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\" : \"length\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\"\n:\t\"length\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\r\n\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\": null}]}\n\n",
    /* escaped key names decode to finish_reason / usage */
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish\\u005freason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[],\"\\u0075sage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n",
    /* usage on the last chunk with no choices; x_groq usage; null usage */
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
    "\"completion_tokens\":7,\"total_tokens\":12}}\n\n",
    "data: {\"choices\":[],\"usage\" :\n{\"prompt_tokens\":6}}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{}}],\"x_groq\":{\"usage\":{\"prompt_tokens\":9,"
    "\"completion_tokens\":2}}}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{}}],\"x_groq\":{\"id\":\"req_1\"}}\n\n",
    /* a second choice, then its finish reason; index spelled oddly */
    "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"y\"},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n",
    "data: {\"choices\":[{\"index\":2.0,\"delta\":{\"content\":\"y\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":1e0,\"delta\":{\"content\":\"y\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0003,\"delta\":{\"content\":\"y\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":12345678901,\"delta\":{\"content\":\"y\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":-1,\"delta\":{\"content\":\"y\"}}]}\n\n",
    /* tool call deltas, finishing with tool_calls */
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
    "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},"
    "\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":"
    "{\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"function_call\":{\"name\":\"f\"}},"
    "\"finish_reason\":\"function_call\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"no\"},\"finish_reason\":null}]}\n\n",
    /* fingerprint and service tier changing, then changing back */
    "data: {\"system_fingerprint\":\"fp_b\",\"choices\":[]}\n\n"
    "data: {\"system_fingerprint\":\"fp_a\",\"service_tier\":\"scale\",\"choices\":[]}\n\n",
    "data: {\"system_fingerprint\":\"fp_\\u0061\",\"choices\":[]}\n\n",
    "data: {\"system_fingerprint\":null,\"service_tier\":7,\"choices\":[]}\n\n",
    /* errors */
    "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n",
    "data: {\"error\" : {\"message\":\"boom\",\"code\":500}}\n\n",
    "data: {\"error\":null,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"z\"}}]}\n\n",
    /* keys inside content strings, and backslash runs before quotes */
    "data: "
    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\\"finish_reason\\\":\\\"stop\\\"\"}"
    "}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\\\\\\\\\"},\"finish_reason\":"
    "\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\\\\\\\"\"},\"finish_reason\":"
    "\"stop\"}]}\n\n",
    /* a choice without an index (choice 0), a top-level array, a non-object, broken JSON */
    "data: {\"choices\":[{\"finish_reason\":\"stop\"}]}\n\n",
    "data: [{\"error\":{\"message\":\"in array\"}}]\n\n",
    "data: \"finish_reason\"\n\n",
    "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"\n\n",
    "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}]} {\"error\":{\"message\":\"x\"}}"
    "\n\n",
    /* a different id and model later (the first ones stay) */
    "data: {\"id\":\"chatcmpl-2\",\"model\":\"other\",\"choices\":[]}\n\n",
    /* the text path (stream_text): duplicate keys (the first counts) */
    "data: {\"id\":\"a\",\"id\":\"b\",\"model\":\"m1\",\"model\":\"m2\",\"choices\":[{\"index\":0,"
    "\"index\":1,\"finish_reason\":\"stop\",\"finish_reason\":\"length\"}],\"choices\":7}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"prompt_tokens\":2,"
    "\"prompt_tokens_details\":{\"cached_tokens\":5,\"cached_tokens\":6},\"usage\":3},"
    "\"usage\":{\"prompt_tokens\":9}}\n\n",
    /* duplicate containers: only the first is read, even where the second has more */
    "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}],\"choices\":[{\"index\":1,"
    "\"finish_reason\":\"length\"}]}\n\n",
    "data: {\"choices\":null,\"choices\":[{\"index\":1,\"finish_reason\":\"length\"}]}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1},\"usage\":{\"completion_tokens\":2,"
    "\"prompt_tokens_details\":{\"cached_tokens\":3}}}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens_details\":{\"audio_tokens\":1},"
    "\"prompt_tokens_details\":{\"cached_tokens\":4}}}\n\n",
    "data: {\"choices\":[],\"usage\":null,\"usage\":{\"prompt_tokens\":5}}\n\n",
    /* escapes where the text path reads: it refuses, stream_event reads them */
    "data: {\"id\":\"c\\u0031\",\"model\":\"m\\/1\",\"choices\":[]}\n\n",
    "data: {\"i\\u0064\":\"x\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"st\\u006fp\"}]}\n\n",
    "data: {\"system_fingerprint\":\"fp\\n\",\"choices\":[]}\n\n",
    /* usage numbers the text path is unsure of, and fallbacks between usage fields */
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3.0,\"completion_tokens\":-1,"
    "\"total_tokens\":1e2}}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12345678901234567,"
    "\"completion_tokens\":\"4\"}}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":null},"
    "\"prompt_cache_hit_tokens\":7,\"completion_tokens_details\":null,\"reasoning_tokens\":9}}"
    "\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens_details\":[],\"prompt_cache_hit_tokens\":7,"
    "\"completion_tokens_details\":{\"reasoning_tokens\":2},\"reasoning_tokens\":9}}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":1.5},"
    "\"prompt_cache_hit_tokens\":7}}\n\n",
    "data: {\"choices\":[],\"usage\":[1],\"x_groq\":{\"usage\":{\"prompt_tokens\":2}}}\n\n",
    "data: {\"usage\":null,\"x_groq\":{\"id\":\"x\"}}\n\n",
    "data: {\"usage\":{\"prompt_tokens\":1},\"x_groq\":{\"usage\":{\"prompt_tokens\":2}}}\n\n",
    /* choices: more than the text path takes, non-objects, odd indexes, odd finish reasons */
    "data: {\"choices\":[{\"index\":0},{\"index\":1},{\"index\":2},{\"index\":3},{\"index\":4},"
    "{\"index\":5},{\"index\":6},{\"index\":7},{\"index\":8,\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[1,\"x\",null,[],{\"index\":2,\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":-1,\"finish_reason\":\"stop\"},{\"index\":4294967296,"
    "\"finish_reason\":\"length\"}]}\n\n",
    "data: {\"choices\":[{\"index\":1.0,\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":\"1\",\"finish_reason\":\"\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"finish_reason\":5},{\"index\":0,\"finish_reason\":\"b\"}]}"
    "\n\n",
    "data: {\"choices\":{\"index\":0,\"finish_reason\":\"stop\"}}\n\n",
    /* fingerprint and tier: changed, null, not strings, empty id and model */
    "data: {\"id\":\"\",\"model\":\"\",\"system_fingerprint\":\"fp_new\",\"service_tier\":null,"
    "\"choices\":[]}\n\n",
    "data: {\"system_fingerprint\":1,\"service_tier\":[\"x\"],\"choices\":[]}\n\n",
    /* text the walker refuses although cJSON may take it, and text both refuse */
    "data: {\"choices\":\f[{\"index\":0,\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{\"content\":"
    "\"\\udc00\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{\"content\":"
    "\"\\ud83d\\ude00\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":01,\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",}]}\n\n",
    "data: {\"error\":\"x\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"error\":{},\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}]}\n\n",
};

static void test_openai_adversarial(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(OPENAI_ADV) / sizeof(OPENAI_ADV[0]); i++) {
        char body[4096];
        /* after the first chunk and a delta; as the first chunk; between deltas */
        int n = snprintf(body, sizeof(body), "%s%s%s%s%s", OA_FIRST, OA_DELTA, OPENAI_ADV[i],
                         OA_DELTA, OA_DONE);
        assert_true(n > 0 && (size_t)n < sizeof(body));
        check_everywhere(body, (size_t)n);
        n = snprintf(body, sizeof(body), "%s%s%s", OPENAI_ADV[i], OA_DELTA, OA_DONE);
        check_everywhere(body, (size_t)n);
        /* without a first chunk carrying id and model */
        n = snprintf(body, sizeof(body), "%s%s%s", OA_DELTA, OPENAI_ADV[i], OA_DONE);
        check_everywhere(body, (size_t)n);
    }
}

/* Keys with raw control bytes (NUL included): cJSON's C string keys end at a NUL. */
static void test_control_bytes(void **state)
{
    (void)state;
    static const char nul_key[] = OA_FIRST "data: {\"choices\":[],\"usage\0x\":{\"prompt_tokens\""
                                           ":4}}\n\n" OA_DONE;
    check_everywhere(nul_key, sizeof(nul_key) - 1);
    static const char nul_val[] =
        OA_FIRST "data: {\"choices\":[],\"system_fingerprint\":\"fp_a\0z\"}\n\n" OA_DONE;
    check_everywhere(nul_val, sizeof(nul_val) - 1);
    static const char ctl_ws[] = OA_FIRST "data: {\"choices\":[{\"index\":0,\"finish_reason\"\x01"
                                          ":\x02\"stop\"}]}\n\n" OA_DONE;
    check_everywhere(ctl_ws, sizeof(ctl_ws) - 1);
    static const char an_nul[] =
        "event: message_start\ndata: {\"type\":\"message_start\","
        "\"message\":{\"id\":\"m\"}}\n\nevent: x\ndata: "
        "{\"type\":\"message_delta\0\",\"usage\":{\"output_tokens\":3}}\n\n";
    check_everywhere(an_nul, sizeof(an_nul) - 1);
}

#define RS_CREATED                                                                                 \
    "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"         \
    "\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"in_progress\","          \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"output\":[],\"usage\":null}}\n\n"
#define RS_DELTA                                                                                   \
    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","           \
    "\"sequence_number\":4,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"          \
    "\"delta\":\" fox\",\"logprobs\":[],\"obfuscation\":\"ab\"}\n\n"

static const char *const RESPONSES_ADV[] = {
    /* the JSON type decides, not the SSE name */
    "event: response.output_text.delta\ndata: {\"type\":\"response.completed\",\"response\":"
    "{\"id\":\"resp_1\",\"model\":\"m2\",\"status\":\"completed\",\"output\":[],\"usage\":"
    "{\"input_tokens\":3,\"output_tokens\":4,\"total_tokens\":7}}}\n\n",
    "event: response.output_text.delta\ndata: {\"type\" : \"response.incomplete\",\"response\":"
    "{\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"}}}\n\n",
    "event: response.output_text.delta\ndata: {\"type\":\"response.failed\",\"response\":"
    "{\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"m\"}}}\n\n",
    "event: x\ndata: {\"type\":\"response.in_progress\",\"response\":{\"id\":\"resp_2\"}}\n\n",
    "event: x\ndata: {\"type\":\"response.queued\",\"response\":{\"model\":\"q\"}}\n\n",
    "event: x\ndata: {\"type\":\"response.cancelled\",\"response\":{\"status\":\"cancelled\"}}\n\n",
    "event: x\ndata: {\"type\":\"response.complete\\u0064\",\"response\":{\"usage\":"
    "{\"input_tokens\":1}}}\n\n",
    "event: x\ndata: {\"type\":\"error\",\"code\":\"rate_limit\",\"message\":\"slow\"}\n\n",
    "event: error\ndata: {\"message\":\"no type\"}\n\n",
    "event: error\ndata: {\"item\":{\"type\":\"message\"},\"message\":\"nested type\"}\n\n",
    "data: {\"type\":7,\"message\":\"typeless\"}\n\n",
    "event: response.function_call_arguments.delta\ndata: {\"type\":"
    "\"response.function_call_arguments.delta\",\"output_index\":1,\"delta\":\"{}\"}\n\n",
    "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\","
    "\"output_index\":1,\"item\":{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\"}}"
    "\n\n",
};

static void test_responses_adversarial(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(RESPONSES_ADV) / sizeof(RESPONSES_ADV[0]); i++) {
        char body[4096];
        int n = snprintf(body, sizeof(body), "%s%s%s%s", RS_CREATED, RS_DELTA, RESPONSES_ADV[i],
                         RS_DELTA);
        assert_true(n > 0 && (size_t)n < sizeof(body));
        check_everywhere(body, (size_t)n);
        n = snprintf(body, sizeof(body), "%s%s", RESPONSES_ADV[i], RS_DELTA);
        check_everywhere(body, (size_t)n);
    }
}

#define AN_START                                                                                   \
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","       \
    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku\",\"content\":[],"   \
    "\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
#define AN_DELTA                                                                                   \
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"             \
    "\"delta\":{\"type\":\"text_delta\",\"text\":\" fox\"}}\n\n"

static const char *const ANTHROPIC_ADV[] = {
    "event: content_block_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
    "\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\n",
    "event: message_delta\ndata: {\"delta\":{\"type\":\"x\",\"stop_reason\":\"max_tokens\"},"
    "\"usage\":{\"output_tokens\":8}}\n\n",
    "event: message_delta\ndata: {\"delta\":{\"stop_reason\":\"max_tokens\"}}\n\n",
    "event: ping\ndata: {\"type\":\"message_\\u0064elta\",\"usage\":{\"output_tokens\":7}}\n\n",
    "event: ping\ndata: {\"type\" :\n\"error\",\"error\":{\"type\":\"overloaded_error\","
    "\"message\":\"Overloaded\"}}\n\n",
    "event: error\ndata: {\"error\":{\"type\":\"api_error\",\"message\":\"x\"}}\n\n",
    "event: message_start\ndata: "
    "{\"message\":{\"id\":\"msg_2\",\"usage\":{\"input_tokens\":1}}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
    "{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,"
    "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}}}\n\n",
    "event: ping\ndata: {\"type\": \"ping\"}\n\n",
};

static void test_anthropic_adversarial(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ANTHROPIC_ADV) / sizeof(ANTHROPIC_ADV[0]); i++) {
        char body[4096];
        int n = snprintf(body, sizeof(body), "%s%s%s%s", AN_START, AN_DELTA, ANTHROPIC_ADV[i],
                         AN_DELTA);
        assert_true(n > 0 && (size_t)n < sizeof(body));
        check_everywhere(body, (size_t)n);
        n = snprintf(body, sizeof(body), "%s%s", ANTHROPIC_ADV[i], AN_DELTA);
        check_everywhere(body, (size_t)n);
        n = snprintf(body, sizeof(body), "%s%s", AN_DELTA, ANTHROPIC_ADV[i]);
        check_everywhere(body, (size_t)n);
    }
}

/* ---- the fast path really skips ---- */

/* An adapter's state for one exchange, outside genai.c: the span, exchange and context
 * the callbacks see. */
struct run {
    const struct lt_genai_adapter *a;
    struct lt_span *span;
    struct lt_exchange *x;
    struct lt_genai_ctx c;
    void *st;
};

/* Set up `r` for `a` and feed `first` (parsed; may be NULL) to its stream_event. */
static void run_begin(struct run *r, const struct lt_genai_adapter *a, const char *first_type,
                      const char *first)
{
    r->a = a;
    r->span = lt_span_new("", LT_SPAN_KIND_INTERNAL);
    assert_non_null(r->span);
    r->x = lt_exchange_new(0);
    assert_non_null(r->x);
    r->c = (struct lt_genai_ctx){.span = r->span, .x = r->x, .max_text = 1 << 20, .op = "chat"};
    r->st = calloc(1, a->state_size);
    assert_non_null(r->st);
    if (first) {
        cJSON *j = cJSON_Parse(first);
        assert_non_null(j);
        a->stream_event(r->st, &r->c, first_type, strlen(first_type), first, strlen(first), j);
        cJSON_Delete(j);
    }
}

static void run_end(struct run *r)
{
    if (r->a->cleanup)
        r->a->cleanup(r->st);
    free(r->st);
    lt_exchange_free(r->x);
    lt_span_free(r->span);
}

/* Feed `first` (parsed) to `a`'s stream_event, then ask event_needed about `next`. */
static bool needed_after(const struct lt_genai_adapter *a, const char *first_type,
                         const char *first, const char *type, const char *next)
{
    assert_non_null(a->event_needed);
    struct run r;
    run_begin(&r, a, first_type, first);
    bool ok = a->event_needed(r.st, &r.c, type, strlen(type), next, strlen(next));
    run_end(&r);
    return ok;
}

static void test_skips_deltas(void **state)
{
    (void)state;
    const struct lt_genai_adapter *oa = &lt_genai_openai_chat;
    const char *first = "{\"id\":\"c1\",\"model\":\"m\",\"service_tier\":\"default\","
                        "\"system_fingerprint\":\"fp_a\",\"choices\":[{\"index\":0,\"delta\":"
                        "{\"role\":\"assistant\"},\"finish_reason\":null}]}";
    const char *delta = "{\"id\":\"c1\",\"model\":\"m\",\"service_tier\":\"default\","
                        "\"system_fingerprint\":\"fp_a\",\"choices\":[{\"index\":0,\"delta\":"
                        "{\"content\":\"x\"},\"logprobs\":null,\"finish_reason\" : null}],"
                        "\"usage\":null}";
    assert_false(needed_after(oa, "message", first, "message", delta));
    assert_false(needed_after(oa, "message", first, "message", "[DONE]"));
    assert_true(needed_after(oa, "message", NULL, "message", delta)); /* first event */
    assert_true(
        needed_after(oa, "message", first, "message",
                     "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
    assert_true(needed_after(oa, "message", first, "message",
                             "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"x\"}}]}"));
    assert_true(needed_after(oa, "message", first, "message",
                             "{\"choices\":[],\"usage\":{\"prompt_tokens\":1}}"));
    assert_true(needed_after(oa, "message", first, "message",
                             "{\"system_fingerprint\":\"fp_b\",\"choices\":[]}"));
    assert_true(needed_after(oa, "message", first, "message", "{\"error\":{\"message\":\"x\"}}"));

    const struct lt_genai_adapter *rs = &lt_genai_openai_responses;
    assert_false(needed_after(rs, "", NULL, "response.output_text.delta",
                              "{\"type\":\"response.output_text.delta\",\"output_index\":0,"
                              "\"delta\":\"x\"}"));
    assert_true(needed_after(rs, "", NULL, "response.completed",
                             "{\"type\":\"response.completed\",\"response\":{}}"));
    assert_true(needed_after(rs, "", NULL, "error", "{\"message\":\"x\"}"));

    const struct lt_genai_adapter *an = &lt_genai_anthropic_messages;
    const char *start = "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}";
    const char *adelta = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                         "\"text_delta\",\"text\":\"x\"}}";
    assert_false(needed_after(an, "message_start", start, "content_block_delta", adelta));
    assert_true(needed_after(an, "", NULL, "content_block_delta", adelta)); /* first event */
    assert_true(needed_after(an, "message_start", start, "message_delta",
                             "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":2}}"));
    assert_true(needed_after(an, "message_start", start, "message_delta", "{\"usage\":{}}"));
}

/* ---- request bodies through request_text ---- */

static const char *const REQUESTS[] = {
    "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
    "\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\","
    "\"content\":\"Tell me a story.\\n\\u00e9\"}]}",
    "{\"model\":\"gpt-4o\",\"temperature\":0.7,\"top_p\":1,\"frequency_penalty\":-0.5,"
    "\"presence_penalty\":1e-1,\"max_completion_tokens\":100,\"max_tokens\":5,\"seed\":-42,"
    "\"n\":2,\"stream\":false,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{}},"
    "\"service_tier\":\"flex\",\"messages\":[]}",
    "{\"model\":\"m\",\"max_tokens\":5,\"random_seed\":7,\"n\":1,\"stream\":true,"
    "\"response_format\":{\"type\":\"text\"},\"service_tier\":\"auto\",\"stop\":null}",
    /* what the text path refuses or is unsure of: request() reads it */
    "{\"model\":\"m\",\"stop\":[\"a\",\"b\"],\"stream\":true}",
    "{\"model\":\"m\",\"stop\":\"END\"}",
    "{\"model\":\"m\\u0031\",\"stream\":true}",
    "{\"model\":\"m\",\"max_completion_tokens\":1.0,\"max_tokens\":3}",
    "{\"model\":\"m\",\"max_completion_tokens\":\"x\",\"max_tokens\":3,\"seed\":1e3}",
    "{\"model\":\"m\",\"n\":12345678901234567,\"stream\":true}",
    "{\"model\":\"m\",\"response_format\":{\"type\":\"json_\\u006fbject\"}}",
    "{\"model\":\"m\",\"response_format\":\"json_object\",\"service_tier\":7}",
    "{\"model\":\"m\",\"temperature\":\"0.7\",\"top_p\":null,\"frequency_penalty\":1e999,"
    "\"presence_penalty\":true}",
    "{\"model\":\"m\",\"temperature\":0.1,\"temperature\":0.9,\"model\":\"n\",\"stream\":true,"
    "\"stream\":false}",
    "{\"model\":1,\"stream\":\"true\"}",
    "{\"model\":\"m\",\"messages\":[{\"content\":\"\\udc00\"}],\"stream\":true}",
    "{\"model\":\"m\",\"stream\":true,}",
    "[{\"model\":\"m\"}]",
    " {\"model\":\"m\"} trailing",
};

static void test_requests(void **state)
{
    (void)state;
    static const char *const ctypes[] = {"text/event-stream", "application/json"};
    const char *stream = OA_FIRST OA_DELTA OA_DONE;
    const char *whole = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"m\","
                        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                        "\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}";
    for (size_t i = 0; i < sizeof(REQUESTS) / sizeof(REQUESTS[0]); i++)
        for (size_t t = 0; t < 2; t++)
            for (size_t b = 0; b < 2; b++) {
                struct xspec xs = {
                    .api = LT_API_OPENAI_CHAT,
                    .provider = "openai",
                    .host = "api.example.com",
                    .port = 443,
                    .status = 200,
                    .content_type = ctypes[t],
                    .end = LT_END_COMPLETE,
                };
                struct lt_exchange *x = mk_exchange(&xs);
                lt_buf_append(&x->req_body, REQUESTS[i], strlen(REQUESTS[i]));
                const char *body = b ? whole : stream;
                lt_buf_append(&x->resp_body, body, strlen(body));
                compare_builds(x);
            }
}

/* ---- the text path (stream_text) really takes the common chunks ---- */

/* Hand `chunk` to OpenAI Chat's stream_text after `first` went through stream_event; the
 * answer, and whether the span's attribute count changed on a refusal (it must not). */
static bool text_takes(const char *first, const char *chunk)
{
    const struct lt_genai_adapter *a = &lt_genai_openai_chat;
    assert_non_null(a->stream_text);
    struct run r;
    run_begin(&r, a, "message", first);
    size_t before = r.span->n_attrs;
    bool ok = a->stream_text(r.st, &r.c, "message", 7, chunk, strlen(chunk));
    if (!ok)
        assert_int_equal(r.span->n_attrs, before);
    run_end(&r);
    return ok;
}

static void test_text_path(void **state)
{
    (void)state;
    /* the three chunks of a stream that are needed: first, finish, usage (API reference) */
    const char *first = "{\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\","
                        "\"created\":1732147200,\"model\":\"gpt-4o-mini-2024-07-18\","
                        "\"service_tier\":\"default\",\"system_fingerprint\":\"fp_0ba0d124f1\","
                        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                        "\"content\":\"\",\"refusal\":null},\"logprobs\":null,"
                        "\"finish_reason\":null}],\"usage\":null}";
    const char *fin = "{\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\","
                      "\"created\":1732147200,\"model\":\"gpt-4o-mini-2024-07-18\","
                      "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
                      "\"finish_reason\":\"stop\"}],\"usage\":null}";
    const char *usage =
        "{\"id\":\"chatcmpl-AbC\",\"choices\":[],\"usage\":{\"prompt_tokens\":24,"
        "\"completion_tokens\":197,\"total_tokens\":221,\"prompt_tokens_details\":"
        "{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":"
        "{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
        "\"rejected_prediction_tokens\":0}}}";
    assert_true(text_takes(NULL, first));
    assert_true(text_takes(first, fin));
    assert_true(text_takes(first, usage));
    /* refusals leave the span as it was */
    assert_false(text_takes(first, "{\"error\":{\"message\":\"m\"}}"));
    assert_false(text_takes(NULL, "{\"id\":\"c\\u0031\",\"choices\":[]}"));
    assert_false(
        text_takes(NULL, "{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":1.0}}"));
    assert_false(text_takes(NULL, "{\"id\":\"c1\",\"choices\":[{\"index\":0}],,}"));
    assert_false(text_takes(NULL, "[DONE]"));
}

/* The scan helpers on their own. */
static bool collect(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    (void)v, (void)vn;
    struct lt_buf *b = ud;
    lt_buf_append(b, k, kn);
    lt_buf_append(b, "|", 1);
    return true;
}

static void test_scan_helpers(void **state)
{
    (void)state;
    struct lt_buf b = {0};
    const char *j = "{\"a\":\"b\",\"c\" :[\"d\",{\"e\":\"\\\\\"}],\"f\":\"g\\\"h:\",\"i\"\n:2}";
    assert_true(lt_json_scan_keys(j, strlen(j), collect, &b));
    lt_buf_append(&b, "", 1);
    assert_string_equal(b.data, "a|c|e|f|i|");
    lt_buf_cleanup(&b);
    const char *esc = "{\"a\\u0062\":1}";
    assert_false(lt_json_scan_keys(esc, strlen(esc), collect, &b));
    lt_buf_cleanup(&b);
    const char *s;
    size_t n;
    assert_true(lt_json_scan_plain_str("\"ab\",", 5, &s, &n));
    assert_int_equal(n, 2);
    assert_false(lt_json_scan_plain_str("\"a\\nb\"", 6, &s, &n));
    assert_false(lt_json_scan_plain_str("\"ab", 3, &s, &n));
    int v;
    assert_true(lt_json_scan_uint("12}", 3, &v));
    assert_int_equal(v, 12);
    assert_false(lt_json_scan_uint("1.0", 3, &v));
    assert_false(lt_json_scan_uint("1e2", 3, &v));
    assert_false(lt_json_scan_uint("-1", 2, &v));
    assert_false(lt_json_scan_uint("1234567890", 10, &v));
    assert_true(lt_json_scan_uint("123456789", 9, &v));
    assert_int_equal(v, 123456789);
    assert_true(lt_json_scan_null("null}", 5));
    assert_false(lt_json_scan_null("nul", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_helpers),
        cmocka_unit_test(test_skips_deltas),
        cmocka_unit_test(test_text_path),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_openai_adversarial),
        cmocka_unit_test(test_control_bytes),
        cmocka_unit_test(test_responses_adversarial),
        cmocka_unit_test(test_anthropic_adversarial),
        cmocka_unit_test(test_embedded_streams),
        cmocka_unit_test(test_fixture_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
