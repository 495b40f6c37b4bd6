/* test_price.c — unit tests for the price table (preload/genai/price.c): parsing and its
 * bounds, lookup with dated suffixes and provider paths, cost against hand-computed values
 * for OpenAI (cached + reasoning), Anthropic (cache read + write) and Gemini usage as llmtap's
 * adapters emit it, defaults for missing fields, llmtap.cost.usd on a span, the shipped
 * share/llmtap/prices.json, and the process table from a configured file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genai/price.h"
#include "guard.h"

#define EPS 1e-12

static const char TABLE[] =
    "{\"date\":\"2025-01-01\",\"currency\":\"USD\",\"unit\":\"per 1M tokens\","
    "\"sources\":{\"openai\":\"https://example.invalid\"},\"models\":{"
    "\"gpt-4o\":{\"provider\":\"openai\",\"input\":2.5,\"cached_input\":1.25,\"output\":10},"
    "\"gpt-4o-mini\":{\"provider\":\"openai\",\"input\":0.15,\"cached_input\":0.075,"
    "\"output\":0.6},"
    "\"o3\":{\"provider\":\"openai\",\"input\":2,\"cached_input\":0.5,\"output\":8,"
    "\"reasoning\":9},"
    "\"claude-3-5-sonnet\":{\"provider\":\"anthropic\",\"input\":3,\"cache_write\":3.75,"
    "\"cached_input\":0.3,\"output\":15},"
    "\"claude-opus-4\":{\"provider\":\"anthropic\",\"input\":15,\"output\":75},"
    "\"claude-opus-4-1\":{\"provider\":\"anthropic\",\"input\":20,\"output\":80},"
    "\"gemini-2.5-flash\":{\"provider\":\"gemini\",\"input\":0.3,\"cached_input\":0.075,"
    "\"output\":2.5},"
    "\"mistral-large\":{\"provider\":\"mistral\",\"input\":2,\"output\":6},"
    "\"defaults\":{\"input\":1,\"output\":4}}}";

static struct lt_price_table *table(void)
{
    struct lt_price_table *t = NULL;
    assert_int_equal(lt_price_table_parse(TABLE, sizeof(TABLE) - 1, &t), 0);
    assert_non_null(t);
    return t;
}

static void test_parse_and_defaults(void **state)
{
    (void)state;
    struct lt_price_table *t = table();
    assert_int_equal(lt_price_table_count(t), 9);
    const struct lt_price *p = lt_price_lookup(t, "defaults");
    assert_non_null(p);
    assert_float_equal(p->input, 1, EPS);
    assert_float_equal(p->cached_input, 1, EPS); /* defaults to input */
    assert_float_equal(p->cache_write, 1, EPS);  /* defaults to input */
    assert_float_equal(p->output, 4, EPS);
    assert_float_equal(p->reasoning, 4, EPS); /* defaults to output */
    p = lt_price_lookup(t, "o3");
    assert_float_equal(p->reasoning, 9, EPS);
    assert_float_equal(p->cached_input, 0.5, EPS);
    assert_float_equal(p->cache_write, 2, EPS);
    lt_price_table_free(t);
}

static void expect_model(const struct lt_price_table *t, const char *model, const char *want)
{
    const struct lt_price *p = lt_price_lookup(t, model);
    const struct lt_price *w = want ? lt_price_lookup(t, want) : NULL;
    if (want)
        assert_non_null(w);
    if (p != w)
        fail_msg("lookup(%s) gave the wrong entry (want %s)", model, want ? want : "none");
}

static void test_lookup(void **state)
{
    (void)state;
    struct lt_price_table *t = table();
    /* Exact ids, case-insensitive. */
    expect_model(t, "gpt-4o", "gpt-4o");
    expect_model(t, "GPT-4o-Mini", "gpt-4o-mini");
    /* Dated and versioned suffixes. */
    expect_model(t, "gpt-4o-mini-2024-07-18", "gpt-4o-mini");
    expect_model(t, "gpt-4o-2024-08-06", "gpt-4o");
    expect_model(t, "o3-2025-04-16", "o3");
    expect_model(t, "claude-3-5-sonnet-20241022", "claude-3-5-sonnet");
    expect_model(t, "claude-3-5-sonnet-latest", "claude-3-5-sonnet");
    expect_model(t, "gemini-2.5-flash-001", "gemini-2.5-flash");
    expect_model(t, "mistral-large-2411", "mistral-large");
    expect_model(t, "mistral-large-latest", "mistral-large");
    /* The longest prefix wins: claude-opus-4-1-… is Opus 4.1, claude-opus-4-… is Opus 4. */
    expect_model(t, "claude-opus-4-1-20250805", "claude-opus-4-1");
    expect_model(t, "claude-opus-4-20250514", "claude-opus-4");
    /* Provider paths. */
    expect_model(t, "models/gemini-2.5-flash", "gemini-2.5-flash");
    expect_model(t, "publishers/google/models/gemini-2.5-flash-001", "gemini-2.5-flash");
    expect_model(t, "projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash",
                 "gemini-2.5-flash");
    /* Other models are not priced as their neighbours. */
    assert_ptr_not_equal(lt_price_lookup(t, "gpt-4o"), lt_price_lookup(t, "gpt-4o-mini"));
    expect_model(t, "gpt-4o-mini-search-preview", NULL);
    expect_model(t, "gpt-4o-audio-preview", NULL);
    expect_model(t, "gpt-4o-realtime", NULL);
    expect_model(t, "gpt-4", NULL);
    expect_model(t, "gpt-4o-", NULL);
    expect_model(t, "gpt-4o-2024-8-6", NULL);
    expect_model(t, "gpt-4o-12", NULL);
    expect_model(t, "gpt-4o-123456", NULL);
    expect_model(t, "gpt-4o-2024-08-06-extra", NULL);
    expect_model(t, "o3-mini", NULL);
    expect_model(t, "o3-mini-2025-01-31", NULL);
    expect_model(t, "claude-opus-4-2", NULL); /* "2" is not a version suffix */
    expect_model(t, "gemini-2.5-flash-lite", NULL);
    expect_model(t, "gemini-2.5-flash-preview-05-20", NULL);
    expect_model(t, "xgpt-4o", NULL);
    expect_model(t, "openai/gpt-4o", NULL);
    expect_model(t, "", NULL);
    expect_model(t, "models/", NULL);
    assert_null(lt_price_lookup(t, NULL));
    assert_null(lt_price_lookup(NULL, "gpt-4o"));
    lt_price_table_free(t);
}

static void test_cost(void **state)
{
    (void)state;
    struct lt_price_table *t = table();
    /* OpenAI o3: prompt_tokens 1000 of which cached_tokens 400; completion_tokens 500 of
     * which reasoning_tokens 300 (the adapter emits them as is).
     * 600×2 + 400×0.5 + 200×8 + 300×9 = 1200 + 200 + 1600 + 2700 = 5700 → $0.0057 */
    struct lt_price_usage u = {.input = 1000, .cache_read = 400, .output = 500, .reasoning = 300};
    assert_float_equal(lt_price_cost(lt_price_lookup(t, "o3-2025-04-16"), &u), 0.0057, EPS);
    /* Anthropic: input_tokens 100, cache_read_input_tokens 2000, cache_creation 500, output
     * 300; the adapter emits input = 100 + 2000 + 500 = 2600.
     * 100×3 + 2000×0.3 + 500×3.75 + 300×15 = 300 + 600 + 1875 + 4500 = 7275 → $0.007275 */
    u = (struct lt_price_usage){
        .input = 2600, .cache_read = 2000, .cache_write = 500, .output = 300};
    assert_float_equal(lt_price_cost(lt_price_lookup(t, "claude-3-5-sonnet-20241022"), &u),
                       0.007275, EPS);
    /* Gemini: promptTokenCount 1200 (cachedContentTokenCount 1000 included), candidates 100,
     * thoughts 400; the adapter emits output = 500, reasoning 400.
     * 200×0.3 + 1000×0.075 + 100×2.5 + 400×2.5 = 60 + 75 + 250 + 1000 = 1385 → $0.001385 */
    u = (struct lt_price_usage){.input = 1200, .cache_read = 1000, .output = 500, .reasoning = 400};
    assert_float_equal(lt_price_cost(lt_price_lookup(t, "models/gemini-2.5-flash"), &u), 0.001385,
                       EPS);
    /* Defaults: every input kind at 1, output and reasoning at 4.
     * 850×1 + 100×1 + 50×1 + 5×4 + 5×4 = 1040 → $0.00104 */
    u = (struct lt_price_usage){
        .input = 1000, .cache_read = 100, .cache_write = 50, .output = 10, .reasoning = 5};
    assert_float_equal(lt_price_cost(lt_price_lookup(t, "defaults"), &u), 0.00104, EPS);
    /* Inconsistent counts never go negative nor count twice: cache > input, reasoning >
     * output, negative values. 0×2.5 + 10×1.25 + 0×10 = 12.5 → cache only; reasoning at 10. */
    u = (struct lt_price_usage){.input = 5, .cache_read = 10, .output = 3, .reasoning = 7};
    assert_float_equal(lt_price_cost(lt_price_lookup(t, "gpt-4o"), &u),
                       (10 * 1.25 + 7 * 10.0) / 1e6, EPS);
    u = (struct lt_price_usage){.input = -5, .cache_read = -1, .output = -3};
    assert_float_equal(lt_price_cost(lt_price_lookup(t, "gpt-4o"), &u), 0, EPS);
    lt_price_table_free(t);
}

static double cost_attr(const struct lt_span *s)
{
    const struct lt_attr *a = lt_span_get(s, LT_PRICE_ATTR);
    assert_non_null(a);
    assert_int_equal(a->type, LT_ATTR_DOUBLE);
    return a->u.d;
}

static void test_apply(void **state)
{
    (void)state;
    struct lt_price_table *t = table();
    struct lt_span *s = lt_span_new("chat", LT_SPAN_KIND_CLIENT);
    /* Request model only, no usage: nothing. */
    lt_span_set_str(s, "gen_ai.request.model", "gpt-4o");
    assert_int_equal(lt_price_apply(t, s), 0);
    assert_null(lt_span_get(s, LT_PRICE_ATTR));
    /* Usage: priced by the request model. 100×2.5 + 10×10 = 350 → $0.00035 */
    lt_span_set_int(s, "gen_ai.usage.input_tokens", 100);
    lt_span_set_int(s, "gen_ai.usage.output_tokens", 10);
    assert_int_equal(lt_price_apply(t, s), 0);
    assert_float_equal(cost_attr(s), 0.00035, EPS);
    /* The response model wins: gpt-4o-mini-2024-07-18. 100×0.15 + 10×0.6 = 21 → $0.000021 */
    lt_span_set_str(s, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    assert_int_equal(lt_price_apply(t, s), 0);
    assert_float_equal(cost_attr(s), 0.000021, EPS);
    lt_span_free(s);

    /* Anthropic-shaped attributes, cache writes under the upstream name only. */
    s = lt_span_new("chat", LT_SPAN_KIND_CLIENT);
    lt_span_set_str(s, "gen_ai.response.model", "claude-3-5-sonnet-20241022");
    lt_span_set_int(s, "gen_ai.usage.input_tokens", 2600);
    lt_span_set_int(s, "gen_ai.usage.cache_read.input_tokens", 2000);
    lt_span_set_int(s, "gen_ai.usage.cache_write.input_tokens", 500);
    lt_span_set_int(s, "gen_ai.usage.output_tokens", 300);
    assert_int_equal(lt_price_apply(t, s), 0);
    assert_float_equal(cost_attr(s), 0.007275, EPS);
    lt_span_free(s);

    /* Unpriced model, or a model that is not a string: nothing. */
    s = lt_span_new("chat", LT_SPAN_KIND_CLIENT);
    lt_span_set_str(s, "gen_ai.response.model", "llama3");
    lt_span_set_int(s, "gen_ai.usage.input_tokens", 100);
    assert_int_equal(lt_price_apply(t, s), 0);
    assert_null(lt_span_get(s, LT_PRICE_ATTR));
    lt_span_set_int(s, "gen_ai.response.model", 4);
    assert_int_equal(lt_price_apply(t, s), 0);
    assert_null(lt_span_get(s, LT_PRICE_ATTR));
    /* No table: nothing. */
    lt_span_set_str(s, "gen_ai.response.model", "gpt-4o");
    assert_int_equal(lt_price_apply(NULL, s), 0);
    assert_null(lt_span_get(s, LT_PRICE_ATTR));
    lt_span_free(s);
    lt_price_table_free(t);
}

static void expect_invalid(const char *json, int want)
{
    struct lt_price_table *t = (struct lt_price_table *)1;
    int rc = lt_price_table_parse(json, strlen(json), &t);
    if (rc != want)
        fail_msg("parse(%s) = %d, want %d", json, rc, want);
    assert_null(t);
}

static void test_invalid(void **state)
{
    (void)state;
    expect_invalid("", -EINVAL);
    expect_invalid("not json", -EINVAL);
    expect_invalid("[]", -EINVAL);
    expect_invalid("{}", -EINVAL);
    expect_invalid("{\"models\":[]}", -EINVAL);
    expect_invalid("{\"currency\":\"EUR\",\"models\":{}}", -EINVAL);
    expect_invalid("{\"models\":{\"m\":{\"input\":1}}}", -EINVAL);                  /* no output */
    expect_invalid("{\"models\":{\"m\":{\"output\":1}}}", -EINVAL);                 /* no input */
    expect_invalid("{\"models\":{\"m\":{\"input\":\"1\",\"output\":1}}}", -EINVAL); /* string */
    expect_invalid("{\"models\":{\"m\":{\"input\":-1,\"output\":1}}}", -EINVAL);
    expect_invalid("{\"models\":{\"m\":{\"input\":1,\"output\":1e9}}}", -EINVAL);
    expect_invalid("{\"models\":{\"m\":{\"input\":1,\"output\":1,\"reasoning\":null}}}", -EINVAL);
    expect_invalid("{\"models\":{\"m\":{\"input\":1,\"output\":1,\"provider\":3}}}", -EINVAL);
    expect_invalid("{\"models\":{\"m\":7}}", -EINVAL);
    expect_invalid("{\"models\":{\"\":{\"input\":1,\"output\":1}}}", -EINVAL);
    expect_invalid("{\"models\":{\"m\":{\"input\":1,\"output\":1},"
                   "\"M\":{\"input\":2,\"output\":2}}}",
                   -EINVAL); /* duplicate id */
    /* An id over LT_PRICE_MAX_ID bytes. */
    char big[512];
    snprintf(big, sizeof(big), "{\"models\":{\"%0*d\":{\"input\":1,\"output\":1}}}",
             LT_PRICE_MAX_ID + 1, 0);
    expect_invalid(big, -EINVAL);
    /* A file over the cap is refused before parsing. */
    struct lt_price_table *t = NULL;
    assert_int_equal(lt_price_table_parse("{}", LT_PRICE_MAX_FILE + 1, &t), -EFBIG);
    /* An empty models object is a valid, empty table. */
    assert_int_equal(lt_price_table_parse("{\"models\":{}}", 13, &t), 0);
    assert_int_equal(lt_price_table_count(t), 0);
    assert_null(lt_price_lookup(t, "gpt-4o"));
    lt_price_table_free(t);
}

static void test_too_many_models(void **state)
{
    (void)state;
    size_t cap = (LT_PRICE_MAX_MODELS + 2) * 48 + 32;
    char *j = malloc(cap);
    assert_non_null(j);
    for (int n = LT_PRICE_MAX_MODELS; n <= LT_PRICE_MAX_MODELS + 1; n++) {
        size_t off = (size_t)snprintf(j, cap, "{\"models\":{");
        for (int i = 0; i < n; i++)
            off += (size_t)snprintf(j + off, cap - off, "%s\"m%d\":{\"input\":1,\"output\":2}",
                                    i ? "," : "", i);
        off += (size_t)snprintf(j + off, cap - off, "}}");
        struct lt_price_table *t = NULL;
        int rc = lt_price_table_parse(j, off, &t);
        if (n == LT_PRICE_MAX_MODELS) {
            assert_int_equal(rc, 0);
            assert_int_equal(lt_price_table_count(t), LT_PRICE_MAX_MODELS);
            assert_non_null(lt_price_lookup(t, "m4095"));
        } else {
            assert_int_equal(rc, -EINVAL);
        }
        lt_price_table_free(t);
    }
    free(j);
}

/* Every prefix of a valid table, placed against a guard page: parsing never reads past the
 * end and never yields a partial table. */
static void test_prefixes_guarded(void **state)
{
    (void)state;
    size_t n = sizeof(TABLE) - 1;
    for (size_t k = 0; k <= n; k++) {
        struct guarded g = guard_copy(TABLE, k);
        struct lt_price_table *t = NULL;
        int rc = lt_price_table_parse(g.p, k, &t);
        if (k == n) {
            assert_int_equal(rc, 0);
            assert_int_equal(lt_price_table_count(t), 9);
        } else {
            assert_int_equal(rc, -EINVAL);
            assert_null(t);
        }
        lt_price_table_free(t);
        guard_free(&g);
    }
}

static char *write_tmp(const char *content)
{
    char *path = strdup("/tmp/test_price_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
    return path;
}

static void test_load(void **state)
{
    (void)state;
    struct lt_price_table *t = NULL;
    assert_int_equal(lt_price_table_load("/nonexistent/prices.json", false, &t), -ENOENT);
    assert_null(t);
    assert_int_equal(lt_price_table_load("/tmp", false, &t), -EISDIR);
    assert_int_equal(lt_price_table_load(NULL, false, &t), -EINVAL);
    char *bad = write_tmp("{\"models\": {\"m\": {\"input\": 1}}}");
    assert_int_equal(lt_price_table_load(bad, false, &t), -EINVAL);
    unlink(bad);
    free(bad);
    char *good = write_tmp(TABLE);
    assert_int_equal(lt_price_table_load(good, true, &t), 0);
    assert_int_equal(lt_price_table_count(t), 9);
    lt_price_table_free(t);
    /* A symbolic link is read only when the caller allows it (the installed default). */
    char link[64];
    snprintf(link, sizeof(link), "%s.lnk", good);
    assert_int_equal(symlink(good, link), 0);
    assert_int_equal(lt_price_table_load(link, true, &t), -ELOOP);
    assert_null(t);
    assert_int_equal(lt_price_table_load(link, false, &t), 0);
    lt_price_table_free(t);
    unlink(link);
    unlink(good);
    free(good);
}

/* The shipped table parses, has sources and prices the models the issue names. */
static void test_shipped_table(void **state)
{
    (void)state;
    struct lt_price_table *t = NULL;
    const char *path = "share/llmtap/prices.json";
    if (access(path, R_OK) != 0)
        path = "../../share/llmtap/prices.json";
    assert_int_equal(lt_price_table_load(path, false, &t), 0);
    assert_true(lt_price_table_count(t) >= 20);
    const struct lt_price *p = lt_price_lookup(t, "gpt-4o-mini-2024-07-18");
    assert_non_null(p);
    assert_float_equal(p->input, 0.15, EPS);
    assert_float_equal(p->cached_input, 0.075, EPS);
    assert_float_equal(p->output, 0.6, EPS);
    assert_ptr_not_equal(lt_price_lookup(t, "gpt-4o"), p);
    assert_non_null(lt_price_lookup(t, "claude-sonnet-4-5-20250929"));
    assert_non_null(lt_price_lookup(t, "claude-3-5-haiku-20241022"));
    assert_non_null(lt_price_lookup(t, "models/gemini-2.5-flash"));
    lt_price_table_free(t);
}

/* lt_price_process(): the configured file, read once; later changes to it do not matter. */
static void test_process_table(void **state)
{
    (void)state;
    char *path = write_tmp(TABLE);
    lt_price_configure(path);
    const struct lt_price_table *t = lt_price_process();
    assert_non_null(t);
    assert_int_equal(lt_price_table_count(t), 9);
    unlink(path);
    assert_ptr_equal(lt_price_process(), t);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_defaults),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_cost),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_too_many_models),
        cmocka_unit_test(test_prefixes_guarded),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_shipped_table),
        cmocka_unit_test(test_process_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
