/* test_redact.c — LLMTAP_REDACT (preload/genai/redact.c): matches replaced with [REDACTED]
 * in strings and in every string leaf of a JSON tree, anchors, empty matches, UTF-8, no
 * match, an invalid expression failing closed; and the span builder redacting captured
 * content (gen_ai.input.messages, output messages, tool call arguments/results). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Shared helpers; this file uses only some of them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "genai_testutil.h"
#pragma GCC diagnostic pop
#include "genai/redact.h"
#include "guard.h"

/* Redact `in` with `pattern`; the result must equal `want` (NULL: nothing matched). The
 * input ends flush against a no-access page (with its NUL), so an over-read faults. */
static void check(const char *pattern, const char *in, const char *want)
{
    char err[128] = "";
    struct lt_redact *r = lt_redact_new(pattern, err, sizeof(err));
    assert_non_null(r);
    if (lt_redact_failed(r))
        fail_msg("pattern '%s' did not compile: %s", pattern, err);
    struct guarded g = guard_copy(in, strlen(in) + 1);
    char *out = (char *)1;
    assert_int_equal(lt_redact_str(r, g.p, &out), 0);
    if (!want) {
        if (out)
            fail_msg("'%s' on '%s' gave '%s', want no match", pattern, in, out);
    } else {
        if (!out)
            fail_msg("'%s' on '%s' matched nothing, want '%s'", pattern, in, want);
        if (strcmp(out, want) != 0)
            fail_msg("'%s' on '%s' gave '%s', want '%s'", pattern, in, out, want);
    }
    free(out);
    guard_free(&g);
    lt_redact_free(r);
}

static void test_match(void **state)
{
    check("sk-[A-Za-z0-9]+", "my key is sk-abc123, keep it", "my key is [REDACTED], keep it");
    check("sk-[A-Za-z0-9]+", "sk-abc123", "[REDACTED]");
    /* Case-sensitive, as regcomp without REG_ICASE. */
    check("secret", "SECRET Secret", NULL);
    /* Alternation: several expressions combined with |. */
    check("[0-9]{3}-[0-9]{2}-[0-9]{4}|[a-z]+@example\\.com", "ssn 078-05-1120 mail bob@example.com",
          "ssn [REDACTED] mail [REDACTED]");
}

static void test_several_matches(void **state)
{
    check("sk-[0-9]+", "a sk-1 b sk-22 c sk-333", "a [REDACTED] b [REDACTED] c [REDACTED]");
    /* Adjacent matches are each replaced. */
    check("[0-9]{3}", "123456x789", "[REDACTED][REDACTED]x[REDACTED]");
    /* Leftmost-longest: one match, not two. */
    check("a+", "baaab", "b[REDACTED]b");
    /* A string longer than the output buffer's first allocation, every byte a match: the
     * output is exactly ten times the input. */
    char in[301], want[3001];
    memset(in, 'z', 300);
    in[300] = '\0';
    want[0] = '\0';
    for (int i = 0; i < 300; i++)
        strcat(want, "[REDACTED]");
    check("z", in, want);
}

static void test_anchors(void **state)
{
    check("^secret", "secret secret", "[REDACTED] secret");
    check("secret$", "secret secret", "secret [REDACTED]");
    check("^secret$", "secret", "[REDACTED]");
    check("^secret$", "secret ", NULL);
    /* After the first match the search goes on mid-string: `^` must not match there. */
    check("^a", "aaa", "[REDACTED]aa");
    /* Anchors are the string's ends, not lines (no REG_NEWLINE); `.` matches a newline. */
    check("^b", "a\nb", NULL);
    check("a.b", "a\nb", "[REDACTED]");
    /* The character before the search position is context: GNU \b sees it. */
    check("\\bkey\\b", "key monkey key", "[REDACTED] monkey [REDACTED]");
}

static void test_empty_matches(void **state)
{
    /* Patterns that match the empty string everywhere: nothing is replaced, no loop. */
    check("x*", "abc", NULL);
    check("x*", "", NULL);
    check("^", "abc", NULL);
    check("$", "abc", NULL);
    check("^$", "", NULL);
    check("(a|)", "bcd", NULL);
    /* ...and their non-empty matches still are. */
    check("x*", "axxbx", "a[REDACTED]b[REDACTED]");
    check("[0-9]*", "id 42 and 7", "id [REDACTED] and [REDACTED]");
    /* Empty matches next to multi-byte characters step whole characters. */
    check("x*", "\xc3\xa9x\xe6\x97\xa5", "\xc3\xa9[REDACTED]\xe6\x97\xa5");
}

static void test_utf8(void **state)
{
    /* A literal UTF-8 word matches itself. */
    check("日本", "今日本当", "今[REDACTED]当");
    check("Müller", "Herr Müller sagt", "Herr [REDACTED] sagt");
    /* `.` is one byte: "caf." matches "caf" plus the first byte of "é"; the match is widened
     * to the whole character, so no half character is left behind. */
    check("caf.", "un café noir", "un [REDACTED] noir");
    /* A match starting inside a character: widened backwards ("\xa9" is é's second byte). */
    check("\xa9 n", "café noir", "caf[REDACTED]oir");
    /* Multi-byte characters repeated as a group. */
    check("(é)+", "ééé!", "[REDACTED]!");
    /* Emoji (4 bytes) inside a match and next to one. */
    check("tok-[^ ]+", "\xf0\x9f\x94\x91 tok-\xf0\x9f\x94\x91x end",
          "\xf0\x9f\x94\x91 [REDACTED] end");
}

static void test_no_match(void **state)
{
    check("sk-[0-9]+", "nothing to see here", NULL);
    check("sk-[0-9]+", "", NULL);
    /* No expression: nothing happens. */
    char *out = (char *)1;
    assert_int_equal(lt_redact_str(NULL, "sk-1", &out), 0);
    assert_null(out);
    cJSON *j = cJSON_Parse("[\"sk-1\"]");
    assert_int_equal(lt_redact_json(NULL, j), 0);
    assert_string_equal(cJSON_GetArrayItem(j, 0)->valuestring, "sk-1");
    cJSON_Delete(j);
}

static void test_invalid(void **state)
{
    char err[128] = "";
    struct lt_redact *r = lt_redact_new("(unclosed", err, sizeof(err));
    assert_non_null(r);
    assert_true(lt_redact_failed(r));
    assert_true(err[0] != '\0');
    char *out = (char *)1;
    assert_int_equal(lt_redact_str(r, "anything", &out), -EPERM);
    assert_null(out);
    cJSON *j = cJSON_Parse("{\"a\":\"b\"}");
    assert_int_equal(lt_redact_json(r, j), -EPERM);
    cJSON_Delete(j);
    lt_redact_free(r);

    r = lt_redact_new("a{2,1}", NULL, 0);
    assert_non_null(r);
    assert_true(lt_redact_failed(r));
    lt_redact_free(r);
    assert_null(lt_redact_new(NULL, NULL, 0));
    lt_redact_free(NULL);
}

static void test_json_leaves(void **state)
{
    struct lt_redact *r = lt_redact_new("secret[0-9]*", NULL, 0);
    cJSON *j = cJSON_Parse("{\"secret1\":\"x secret1 y\",\"n\":12,\"b\":true,\"z\":null,"
                           "\"a\":[\"secret\",[\"deep secret22\"],{\"k\":\"secret3\"}],"
                           "\"keep\":\"plain\"}");
    assert_non_null(j);
    assert_int_equal(lt_redact_json(r, j), 0);
    char *s = cJSON_PrintUnformatted(j);
    /* Keys, numbers, booleans and null are left alone. */
    assert_string_equal(s, "{\"secret1\":\"x [REDACTED] y\",\"n\":12,\"b\":true,\"z\":null,"
                           "\"a\":[\"[REDACTED]\",[\"deep [REDACTED]\"],{\"k\":\"[REDACTED]\"}],"
                           "\"keep\":\"plain\"}");
    free(s);
    cJSON_Delete(j);

    /* A bare string as the root; a string reference (not owned by the tree). */
    j = cJSON_CreateString("secret9");
    assert_int_equal(lt_redact_json(r, j), 0);
    assert_string_equal(j->valuestring, "[REDACTED]");
    cJSON_Delete(j);
    static const char ref_text[] = "a secret here";
    j = cJSON_CreateArray();
    cJSON_AddItemToArray(j, cJSON_CreateStringReference(ref_text));
    assert_int_equal(lt_redact_json(r, j), 0);
    assert_string_equal(cJSON_GetArrayItem(j, 0)->valuestring, "a [REDACTED] here");
    assert_string_equal(ref_text, "a secret here");
    cJSON_Delete(j); /* frees the redacted copy, not ref_text (ASan checks) */

    /* Nesting deeper than the walk allows fails closed. */
    cJSON *root = cJSON_CreateArray(), *cur = root;
    for (int i = 0; i < 5000; i++) {
        cJSON *next = cJSON_CreateArray();
        cJSON_AddItemToArray(cur, next);
        cur = next;
    }
    cJSON_AddItemToArray(cur, cJSON_CreateString("secret"));
    assert_int_equal(lt_redact_json(r, root), -E2BIG);
    cJSON_Delete(root);
    lt_redact_free(r);
}

/* The span builder: every content attribute redacted, nothing else touched. */
static void test_span_content(void **state)
{
    static const struct xspec tools = {
        .api = LT_API_OPENAI_CHAT,
        .provider = "openai",
        .host = "api.openai.com",
        .port = 443,
        .req_file = "openai/tools_request.json",
        .resp_file = "openai/tools_stream.sse",
        .status = 200,
        .content_type = "text/event-stream",
    };
    struct lt_redact *r = lt_redact_new("Paris|Tokyo|iVBOR[A-Za-z0-9+/=]*", NULL, 0);
    struct lt_exchange *x = mk_exchange(&tools);
    struct lt_span *s = lt_span_new("", LT_SPAN_KIND_INTERNAL);
    struct lt_genai_options opt = {.capture_content = true, .redact = r};
    assert_int_equal(lt_genai_build_span(s, x, &opt), 0);
    /* Tool call arguments (a parsed object) and a tool result (a string). */
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":["
                     "{\"type\":\"tool_call\",\"id\":\"call_paris\",\"name\":\"get_weather\","
                     "\"arguments\":{\"location\":\"[REDACTED]\"}},"
                     "{\"type\":\"tool_call\",\"id\":\"call_tokyo\",\"name\":\"get_weather\","
                     "\"arguments\":{\"location\":\"[REDACTED]\"}}],"
                     "\"finish_reason\":\"tool_calls\"}]");
    const struct lt_attr *in = lt_span_get(s, "gen_ai.input.messages");
    assert_non_null(in);
    assert_non_null(strstr(in->u.s, "\"response\":\"Eiffel Tower, [REDACTED]\""));
    assert_non_null(strstr(in->u.s, "\"content\":\"That is [REDACTED]. Checking the weather"));
    assert_non_null(strstr(in->u.s, "\"content\":\"[REDACTED]\"}"));
    assert_null(strstr(in->u.s, "Paris"));
    assert_null(strstr(in->u.s, "iVBOR"));
    /* Not content: untouched. */
    assert_str_attr(s, "gen_ai.response.model", "gpt-4.1-2025-04-14");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1324);
    lt_span_free(s);

    /* An expression in the failed state: no content attribute at all, the rest as usual. */
    struct lt_redact *bad = lt_redact_new("[unclosed", NULL, 0);
    s = lt_span_new("", LT_SPAN_KIND_INTERNAL);
    opt.redact = bad;
    assert_int_equal(lt_genai_build_span(s, x, &opt), 0);
    for (size_t i = 0; i < 4; i++)
        assert_absent(s, CONTENT_ATTRS[i]);
    assert_str_attr(s, "gen_ai.response.model", "gpt-4.1-2025-04-14");
    assert_int_attr(s, "gen_ai.usage.input_tokens", 1324);
    lt_span_free(s);

    lt_exchange_free(x);
    lt_redact_free(bad);
    lt_redact_free(r);
}

/* The process's expression (LLMTAP_REDACT): used when the options name none. */
static void test_process_expression(void **state)
{
    static const struct xspec chat = {
        .api = LT_API_OPENAI_CHAT,
        .provider = "openai",
        .host = "api.openai.com",
        .port = 443,
        .req_file = "openai/chat_request.json",
        .resp_file = "openai/chat_response.json",
        .status = 200,
        .content_type = "application/json",
    };
    assert_int_equal(lt_redact_init(NULL), 0);
    assert_null(lt_redact_process());
    assert_int_equal(lt_redact_init(""), 0);
    assert_null(lt_redact_process());

    assert_int_equal(lt_redact_init("French|Bonjour"), 0);
    assert_non_null(lt_redact_process());
    assert_false(lt_redact_failed(lt_redact_process()));
    struct lt_span *s = build_spec(&chat, true);
    assert_json_attr(s, "gen_ai.input.messages",
                     "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"You are a terse assistant. Reply in JSON.\"}]},"
                     "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"Say hello in [REDACTED].\"}]}]");
    assert_json_attr(s, "gen_ai.output.messages",
                     "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"{\\\"greeting\\\": \\\"[REDACTED]\\\"}\"}],\"finish_reason\":\"stop\"},"
                     "{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                     "\"{\\\"greeting\\\": \\\"Salut\"}],\"finish_reason\":\"length\"}]");
    lt_span_free(s);

    /* Invalid: warned, failed state, content dropped (fail closed). */
    assert_int_equal(lt_redact_init("(a"), -EINVAL);
    assert_non_null(lt_redact_process());
    assert_true(lt_redact_failed(lt_redact_process()));
    s = build_spec(&chat, true);
    assert_absent(s, "gen_ai.input.messages");
    assert_absent(s, "gen_ai.output.messages");
    assert_str_attr(s, "gen_ai.response.id", "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    lt_span_free(s);

    assert_int_equal(lt_redact_init(NULL), 0);
    s = build_spec(&chat, true);
    assert_non_null(lt_span_get(s, "gen_ai.input.messages"));
    lt_span_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),        cmocka_unit_test(test_several_matches),
        cmocka_unit_test(test_anchors),      cmocka_unit_test(test_empty_matches),
        cmocka_unit_test(test_utf8),         cmocka_unit_test(test_no_match),
        cmocka_unit_test(test_invalid),      cmocka_unit_test(test_json_leaves),
        cmocka_unit_test(test_span_content), cmocka_unit_test(test_process_expression),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
