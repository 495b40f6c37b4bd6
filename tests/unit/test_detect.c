/* test_detect.c — LLM API detection from method, host, port and request-target, and the
 * LLMTAP_PROVIDERS map (genai.h rules 1-3). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "genai/genai.h"
#include "guard.h"

/* Detect with NUL-terminated strings; returns the API and copies the provider. */
static enum lt_api det(const char *host, int port, const char *method, const char *target,
                       char provider[48])
{
    struct lt_detect d;
    memset(&d, 0x5a, sizeof(d));
    bool yes = lt_genai_detect(host, strlen(host), port, method, strlen(method), target,
                               strlen(target), &d);
    assert_int_equal(yes, d.api != LT_API_NONE);
    if (d.api == LT_API_NONE)
        assert_string_equal(d.provider, "");
    if (provider)
        strcpy(provider, d.provider);
    return d.api;
}

static void expect(const char *host, int port, const char *method, const char *target,
                   enum lt_api api, const char *provider)
{
    char p[48];
    enum lt_api got = det(host, port, method, target, p);
    if (got != api)
        fail_msg("%s %s:%d%s: api %d, want %d", method, host, port, target, got, api);
    if (provider && strcmp(p, provider) != 0)
        fail_msg("%s:%d%s: provider '%s', want '%s'", host, port, target, p, provider);
}

static int reset(void **state)
{
    lt_genai_set_providers(NULL);
    return 0;
}

static void test_builtin_hosts(void **state)
{
    expect("api.openai.com", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "openai");
    expect("API.OpenAI.COM", 443, "POST", "/v1/chat/completions?x=1", LT_API_OPENAI_CHAT, "openai");
    expect("api.openai.com.", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "openai");
    expect("api.anthropic.com", 443, "POST", "/v1/messages", LT_API_ANTHROPIC_MESSAGES,
           "anthropic");
    expect("api.anthropic.com", 443, "POST", "/v1/messages?beta=true", LT_API_ANTHROPIC_MESSAGES,
           "anthropic");
    /* Anthropic's OpenAI-compatible endpoint: the provider is still Anthropic. */
    expect("api.anthropic.com", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT,
           "anthropic");
    /* absolute-form target (through a proxy) */
    expect("api.openai.com", 443, "POST", "https://api.openai.com/v1/chat/completions",
           LT_API_OPENAI_CHAT, "openai");
}

static void test_not_llm(void **state)
{
    expect("api.openai.com", 443, "GET", "/v1/models", LT_API_NONE, "");
    expect("api.openai.com", 443, "POST", "/v1/embeddings", LT_API_NONE, "");
    expect("api.openai.com", 443, "POST", "/v1/responses", LT_API_NONE, "");
    expect("api.openai.com", 443, "GET", "/v1/chat/completions", LT_API_NONE, "");
    expect("api.openai.com", 443, "post", "/v1/chat/completions", LT_API_NONE, "");
    expect("api.openai.com", 443, "POST", "/v1/chat/completions/abc", LT_API_NONE, "");
    expect("api.anthropic.com", 443, "POST", "/v1/messages/count_tokens", LT_API_NONE, "");
    expect("api.anthropic.com", 443, "POST", "/v1/messages/batches", LT_API_NONE, "");
    expect("api.anthropic.com", 443, "POST", "/v1/messagesX", LT_API_NONE, "");
    expect("api.anthropic.com", 443, "POST", "/x/v1/messages", LT_API_NONE, "");
    expect("api.anthropic.com", 443, "GET", "/v1/messages", LT_API_NONE, "");
    /* Unknown hosts qualify only through the OpenAI chat path. */
    expect("example.com", 443, "POST", "/v1/messages", LT_API_NONE, "");
    expect("example.com", 443, "POST", "/", LT_API_NONE, "");
    expect("example.com", 443, "POST", "", LT_API_NONE, "");
    expect("", 443, "POST", "/v1/chat/completionsx", LT_API_NONE, "");
    /* The query string is not the path. */
    expect("example.com", 443, "POST", "/search?q=/chat/completions", LT_API_NONE, "");
}

static void test_compatible_hosts(void **state)
{
    expect("example.com", 8080, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "openai");
    expect("localhost", 11434, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "openai");
    expect("api.groq.com", 443, "POST", "/openai/v1/chat/completions", LT_API_OPENAI_CHAT, "groq");
    expect("api.mistral.ai", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "mistral_ai");
    expect("api.deepseek.com", 443, "POST", "/chat/completions", LT_API_OPENAI_CHAT, "deepseek");
    expect("api.x.ai", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "x_ai");
    expect("api.perplexity.ai", 443, "POST", "/chat/completions", LT_API_OPENAI_CHAT, "perplexity");
    expect("openrouter.ai", 443, "POST", "/api/v1/chat/completions", LT_API_OPENAI_CHAT,
           "openrouter");
    expect("api.together.xyz", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "together");
    expect("api.fireworks.ai", 443, "POST", "/inference/v1/chat/completions", LT_API_OPENAI_CHAT,
           "fireworks");
    expect("myres.openai.azure.com", 443, "POST",
           "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", LT_API_OPENAI_CHAT,
           "azure.ai.openai");
    expect("API.GROQ.COM", 443, "POST", "/openai/v1/chat/completions", LT_API_OPENAI_CHAT, "groq");
}

static void test_user_map(void **state)
{
    assert_int_equal(lt_genai_set_providers("localhost:11434=ollama, LLM.Internal = custom"), 0);
    expect("localhost", 11434, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "ollama");
    /* Another port: no entry applies, rule 3 gives the default. */
    expect("localhost", 8080, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "openai");
    expect("llm.internal", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "custom");
    expect("LLM.INTERNAL", 80, "POST", "/v1/messages", LT_API_ANTHROPIC_MESSAGES, "custom");
    /* A mapped gateway may put a prefix before /v1/messages. */
    expect("llm.internal", 443, "POST", "/anthropic/v1/messages", LT_API_ANTHROPIC_MESSAGES,
           "custom");
    expect("llm.internal", 443, "POST", "/v1/models", LT_API_NONE, "");
    expect("llm.internal", 443, "GET", "/v1/chat/completions", LT_API_NONE, "");
}

static void test_port_entry_wins(void **state)
{
    assert_int_equal(lt_genai_set_providers("gw.example=generic,gw.example:9000=special"), 0);
    expect("gw.example", 9000, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "special");
    expect("gw.example", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "generic");
    assert_int_equal(lt_genai_set_providers("gw.example:9000=special,gw.example=generic"), 0);
    expect("gw.example", 9000, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "special");
    expect("gw.example", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "generic");
}

static void test_user_map_overrides_builtin(void **state)
{
    assert_int_equal(lt_genai_set_providers("api.openai.com=my_openai"), 0);
    expect("api.openai.com", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "my_openai");
    assert_int_equal(lt_genai_set_providers(""), 0);
    expect("api.openai.com", 443, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "openai");
}

static void test_ipv6(void **state)
{
    assert_int_equal(lt_genai_set_providers("[::1]:8000=vllm"), 0);
    expect("[::1]", 8000, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "vllm");
    expect("::1", 8000, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "vllm");
    expect("::1", 8001, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "openai");
}

static void test_malformed(void **state)
{
    assert_int_equal(lt_genai_set_providers("novalue,good.host=ok,=x,h:abc=y,h:0=z,,a=b=c"),
                     -EINVAL);
    expect("good.host", 443, "POST", "/v1/messages", LT_API_ANTHROPIC_MESSAGES, "ok");
    expect("h", 443, "POST", "/v1/messages", LT_API_NONE, "");
    char longp[80];
    memset(longp, 'p', sizeof(longp));
    memcpy(longp, "x=", 2);
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(lt_genai_set_providers(longp), -EINVAL);
    expect("x", 443, "POST", "/v1/messages", LT_API_NONE, "");
    assert_int_equal(lt_genai_set_providers("h:70000=y"), -EINVAL);
    assert_int_equal(lt_genai_set_providers(" , ,"), 0);
}

static void test_lengths_not_nul(void **state)
{
    /* Views into a larger buffer: nothing past the given lengths may be read. */
    const char *buf = "api.anthropic.comXXXX POSTX /v1/messagesZZZ";
    struct lt_detect d;
    assert_true(lt_genai_detect(buf, 17, 443, buf + 22, 4, buf + 28, 12, &d));
    assert_int_equal(d.api, LT_API_ANTHROPIC_MESSAGES);
    assert_string_equal(d.provider, "anthropic");
    assert_false(lt_genai_detect(buf, 16, 443, buf + 22, 4, buf + 28, 12, &d));

    /* Each input flush against a no-access page, every prefix of each target. */
    static const char *const targets[] = {"/v1/messages?x", "https://h/v1/chat/completions",
                                          "http:", "h://", "/chat/completions#f"};
    struct guarded h = guard_copy("api.anthropic.com", 17);
    struct guarded m = guard_copy("POST", 4);
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        size_t n = strlen(targets[i]);
        for (size_t k = 0; k <= n; k++) {
            struct guarded t = guard_copy(targets[i], k);
            lt_genai_detect(h.p, 17, 443, m.p, 4, t.p, k, &d);
            guard_free(&t);
        }
    }
    assert_int_equal(lt_genai_set_providers("[::1]=v6,h:1=x"), 0);
    for (size_t k = 0; k <= 17; k++)
        lt_genai_detect(h.p + 17 - k, k, 1, m.p, 4, m.p, 0, &d);
    struct guarded b = guard_copy("[::1]", 5);
    for (size_t k = 0; k <= 5; k++)
        lt_genai_detect(b.p + 5 - k, k, 1, m.p, 4, m.p, 0, &d);
    guard_free(&b);
    guard_free(&h);
    guard_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_builtin_hosts, reset),
        cmocka_unit_test_setup(test_not_llm, reset),
        cmocka_unit_test_setup(test_compatible_hosts, reset),
        cmocka_unit_test_setup(test_user_map, reset),
        cmocka_unit_test_setup(test_port_entry_wins, reset),
        cmocka_unit_test_setup(test_user_map_overrides_builtin, reset),
        cmocka_unit_test_setup(test_ipv6, reset),
        cmocka_unit_test_setup(test_malformed, reset),
        cmocka_unit_test_setup(test_lengths_not_nul, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
