/* test_detect.c — LLM API detection from method, host, port and request-target, and the
 * LLMTAP_PROVIDERS map (genai.h, lt_genai_detect rules 1-3): tables of (host, port, method,
 * target) → (api, provider) with negatives (methods, paths, query strings, lookalike hosts). */
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

/* One detection case: (host, port, method, target) → (api, provider). */
struct dcase {
    const char *host;
    int port;
    const char *method;
    const char *target;
    enum lt_api api;
    const char *provider; /* "" when api is LT_API_NONE */
};

#define NONE LT_API_NONE, ""
#define CHAT LT_API_OPENAI_CHAT
#define RESP LT_API_OPENAI_RESPONSES
#define EMB LT_API_OPENAI_EMBEDDINGS
#define COMPL LT_API_OPENAI_COMPLETIONS
#define ANTH LT_API_ANTHROPIC_MESSAGES
#define GEM LT_API_GEMINI
#define CONV LT_API_BEDROCK_CONVERSE
#define INV LT_API_BEDROCK_INVOKE
#define COH LT_API_COHERE_CHAT
#define OLC LT_API_OLLAMA_CHAT
#define OLG LT_API_OLLAMA_GENERATE

/* Rule 2, the providers' own hosts, with the paths each serves and some it does not. */
static const struct dcase KNOWN[] = {
    /* OpenAI */
    {"api.openai.com", 443, "POST", "/v1/chat/completions", CHAT, "openai"},
    {"API.OpenAI.COM", 443, "POST", "/v1/chat/completions?x=1", CHAT, "openai"},
    {"api.openai.com.", 443, "POST", "/v1/chat/completions", CHAT, "openai"},
    {"api.openai.com", 443, "POST", "https://api.openai.com/v1/chat/completions", CHAT, "openai"},
    {"api.openai.com", 443, "POST", "http://api.openai.com/v1/responses?stream=true", RESP,
     "openai"},
    {"api.openai.com", 443, "POST", "/v1/responses", RESP, "openai"},
    {"api.openai.com", 443, "POST", "/v1/embeddings", EMB, "openai"},
    {"api.openai.com", 443, "POST", "/v1/completions", COMPL, "openai"},
    {"api.openai.com", 443, "POST", "/v1/responses/resp_1/cancel", NONE},
    {"api.openai.com", 443, "POST", "/v1/responses/input_tokens", NONE},
    {"api.openai.com", 443, "POST", "/v1/messages", NONE}, /* the host decides: no fallback */
    {"api.openai.com", 443, "POST", "/v1/files", NONE},
    {"api.openai.com", 443, "POST", "/v2/embeddings", NONE},
    {"api.openai.com", 443, "GET", "/v1/models", NONE},
    {"api.openai.com", 443, "GET", "/v1/chat/completions", NONE},
    {"api.openai.com", 443, "post", "/v1/chat/completions", NONE},
    {"api.openai.com", 443, "PUT", "/v1/responses", NONE},
    {"api.openai.com", 443, "POST", "/v1/chat/completions/abc", NONE},
    /* Anthropic */
    {"api.anthropic.com", 443, "POST", "/v1/messages", ANTH, "anthropic"},
    {"api.anthropic.com", 443, "POST", "/v1/messages?beta=true", ANTH, "anthropic"},
    {"api.anthropic.com", 443, "POST", "/v1/chat/completions", CHAT, "anthropic"},
    {"api.anthropic.com", 443, "POST", "/v1/messages/count_tokens", NONE},
    {"api.anthropic.com", 443, "POST", "/v1/messages/batches", NONE},
    {"api.anthropic.com", 443, "POST", "/v1/messagesX", NONE},
    {"api.anthropic.com", 443, "POST", "/x/v1/messages", NONE},
    {"api.anthropic.com", 443, "POST", "/v1/complete", NONE},
    {"api.anthropic.com", 443, "GET", "/v1/messages", NONE},
    /* Azure OpenAI */
    {"myres.openai.azure.com", 443, "POST",
     "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", CHAT, "azure.ai.openai"},
    {"MyRes.OpenAI.Azure.com", 443, "POST",
     "/openai/deployments/gpt-35-instruct/completions?api-version=2024-02-01", COMPL,
     "azure.ai.openai"},
    {"myres.openai.azure.com", 443, "POST",
     "/openai/deployments/text-embedding-3-small/embeddings?api-version=2023-05-15", EMB,
     "azure.ai.openai"},
    {"myres.openai.azure.com", 443, "POST", "/openai/responses?api-version=2025-04-01-preview",
     RESP, "azure.ai.openai"},
    {"myres.openai.azure.com", 443, "POST", "/openai/v1/responses", RESP, "azure.ai.openai"},
    {"myres.openai.azure.com", 443, "POST", "/openai/v1/chat/completions", CHAT, "azure.ai.openai"},
    {"myres.openai.azure.com", 443, "POST", "/openai/v1/embeddings", EMB, "azure.ai.openai"},
    {"eastus.api.cognitiveservices.azure.com", 443, "POST",
     "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-01-01-preview", CHAT,
     "azure.ai.openai"},
    {"myres.cognitiveservices.azure.com", 443, "POST", "/openai/v1/responses", RESP,
     "azure.ai.openai"},
    {"myres.openai.azure.com", 443, "POST", "/openai/deployments//chat/completions", NONE},
    {"myres.openai.azure.com", 443, "POST", "/openai/deployments/gpt-4o", NONE},
    {"myres.openai.azure.com", 443, "POST", "/openai/deployments/a/b/chat/completions", NONE},
    {"myres.openai.azure.com", 443, "POST", "/openai/deployments/gpt-4o/images/generations", NONE},
    {"myres.openai.azure.com", 443, "POST", "/v1/messages", NONE},
    {"openai.azure.com", 443, "POST", "/openai/deployments/gpt-4o/embeddings", NONE},
    /* Azure AI Inference */
    {"myproj.services.ai.azure.com", 443, "POST",
     "/models/chat/completions?api-version=2024-05-01-preview", CHAT, "azure.ai.inference"},
    {"phi-3-xyz.eastus2.inference.ai.azure.com", 443, "POST", "/v1/chat/completions", CHAT,
     "azure.ai.inference"},
    {"myproj.services.ai.azure.com", 443, "POST", "/models/embeddings", NONE},
    /* Gemini API */
    {"generativelanguage.googleapis.com", 443, "POST",
     "/v1beta/models/gemini-2.0-flash:generateContent", GEM, "gcp.gemini"},
    {"generativelanguage.googleapis.com", 443, "POST",
     "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", GEM, "gcp.gemini"},
    {"generativelanguage.googleapis.com", 443, "POST", "/v1/models/gemini-pro:generateContent", GEM,
     "gcp.gemini"},
    {"generativelanguage.googleapis.com", 443, "POST", "/v1beta/openai/chat/completions", CHAT,
     "gcp.gemini"},
    {"generativelanguage.googleapis.com", 443, "POST",
     "/v1beta/models/gemini-2.0-flash:countTokens", NONE},
    {"generativelanguage.googleapis.com", 443, "POST",
     "/v1beta/models/text-embedding-004:embedContent", NONE},
    {"generativelanguage.googleapis.com", 443, "POST", "/v1beta/models/:generateContent", NONE},
    {"generativelanguage.googleapis.com", 443, "POST", "/v1beta/gemini:generateContent", NONE},
    {"generativelanguage.googleapis.com", 443, "POST",
     "/v1beta/models/gemini-2.0-flash:generateContentX", NONE},
    {"generativelanguage.googleapis.com", 443, "GET",
     "/v1beta/models/gemini-2.0-flash:generateContent", NONE},
    /* Vertex AI */
    {"us-central1-aiplatform.googleapis.com", 443, "POST",
     "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:"
     "generateContent",
     GEM, "gcp.vertex_ai"},
    {"aiplatform.googleapis.com", 443, "POST",
     "/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro:"
     "streamGenerateContent?alt=sse",
     GEM, "gcp.vertex_ai"},
    {"europe-west1-aiplatform.googleapis.com", 443, "POST",
     "/v1/projects/p/locations/europe-west1/publishers/anthropic/models/"
     "claude-3-5-sonnet-v2@20241022:rawPredict",
     ANTH, "gcp.vertex_ai"},
    {"us-east5-aiplatform.googleapis.com", 443, "POST",
     "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:"
     "streamRawPredict",
     ANTH, "gcp.vertex_ai"},
    {"us-central1-aiplatform.googleapis.com", 443, "POST",
     "/v1beta1/projects/p/locations/us-central1/endpoints/openapi/chat/completions", CHAT,
     "gcp.vertex_ai"},
    {"us-central1-aiplatform.googleapis.com", 443, "POST",
     "/v1/projects/p/locations/us-central1/publishers/meta/models/llama:generateContent", NONE},
    {"us-central1-aiplatform.googleapis.com", 443, "POST",
     "/v1/projects/p/locations/us-central1/publishers/anthropic/models/claude:generateContent",
     NONE},
    {"us-central1-aiplatform.googleapis.com", 443, "POST", "/v1/messages", NONE},
    {"a.b-aiplatform.googleapis.com", 443, "POST", "/v1/chat/completions", CHAT, "openai"},
    {"-aiplatform.googleapis.com", 443, "POST", "/v1/chat/completions", CHAT, "openai"},
    /* Bedrock */
    {"bedrock-runtime.us-east-1.amazonaws.com", 443, "POST",
     "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", CONV, "aws.bedrock"},
    {"bedrock-runtime.eu-west-3.amazonaws.com", 443, "POST",
     "/model/amazon.nova-lite-v1%3A0/converse-stream", CONV, "aws.bedrock"},
    {"Bedrock-Runtime.us-west-2.amazonaws.com", 443, "POST",
     "/model/meta.llama3-8b-instruct-v1%3A0/invoke", INV, "aws.bedrock"},
    {"bedrock-runtime-fips.us-east-1.amazonaws.com", 443, "POST",
     "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream", INV,
     "aws.bedrock"},
    {"bedrock-runtime.us-east-1.amazonaws.com", 443, "POST",
     "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x/converse", CONV,
     "aws.bedrock"},
    {"bedrock-runtime.us-east-1.amazonaws.com", 443, "POST", "/model//converse", NONE},
    {"bedrock-runtime.us-east-1.amazonaws.com", 443, "POST", "/x/model/m/converse", NONE},
    {"bedrock-runtime.us-east-1.amazonaws.com", 443, "POST", "/guardrail/g/version/1/apply", NONE},
    {"bedrock-runtime.us-east-1.amazonaws.com", 443, "POST", "/model/m/count-tokens", NONE},
    {"bedrock-runtime.amazonaws.com", 443, "POST", "/v1/chat/completions", CHAT, "openai"},
    /* Cohere */
    {"api.cohere.com", 443, "POST", "/v2/chat", COH, "cohere"},
    {"API.COHERE.AI", 443, "POST", "/v2/chat", COH, "cohere"},
    {"api.cohere.com", 443, "POST", "/compatibility/v1/chat/completions", CHAT, "cohere"},
    {"api.cohere.com", 443, "POST", "/compatibility/v1/embeddings", EMB, "cohere"},
    {"api.cohere.com", 443, "POST", "/v1/chat", NONE},
    {"api.cohere.com", 443, "POST", "/v2/embed", NONE},
    {"api.cohere.com", 443, "POST", "/v2/rerank", NONE},
    {"api.cohere.com", 443, "POST", "/x/v2/chat", NONE},
    /* Ollama */
    {"localhost", 11434, "POST", "/api/chat", OLC, "ollama"},
    {"127.0.0.1", 11434, "POST", "/api/generate", OLG, "ollama"},
    {"[::1]", 11434, "POST", "/api/chat?x", OLC, "ollama"},
    {"ollama.com", 443, "POST", "/api/chat", OLC, "ollama"},
    {"Ollama.com", 443, "POST", "/api/generate", OLG, "ollama"},
    {"localhost", 11434, "POST", "/v1/chat/completions", CHAT, "ollama"},
    {"localhost", 11434, "POST", "/v1/completions", COMPL, "ollama"},
    {"localhost", 11434, "POST", "/v1/embeddings", EMB, "ollama"},
    {"localhost", 11434, "POST", "/v1/responses", RESP, "ollama"},
    {"localhost", 11434, "POST", "/api/embed", NONE},
    {"localhost", 11434, "POST", "/api/pull", NONE},
    {"localhost", 11434, "POST", "/v1/messages", NONE},
    {"localhost", 11434, "GET", "/api/chat", NONE},
    {"localhost", 11434, "POST", "/x/api/chat", NONE},
    /* OpenAI-compatible hosts */
    {"api.groq.com", 443, "POST", "/openai/v1/chat/completions", CHAT, "groq"},
    {"API.GROQ.COM", 443, "POST", "/openai/v1/chat/completions", CHAT, "groq"},
    {"api.groq.com", 443, "POST", "/openai/v1/responses", RESP, "groq"},
    {"api.groq.com", 443, "POST", "/openai/v1/embeddings", NONE},
    {"api.mistral.ai", 443, "POST", "/v1/chat/completions", CHAT, "mistral_ai"},
    {"api.mistral.ai", 443, "POST", "/v1/embeddings", EMB, "mistral_ai"},
    {"api.mistral.ai", 443, "POST", "/v1/fim/completions", NONE},
    {"api.deepseek.com", 443, "POST", "/chat/completions", CHAT, "deepseek"},
    {"api.deepseek.com", 443, "POST", "/beta/completions", COMPL, "deepseek"},
    {"api.x.ai", 443, "POST", "/v1/chat/completions", CHAT, "x_ai"},
    {"api.x.ai", 443, "POST", "/v1/responses", RESP, "x_ai"},
    {"api.perplexity.ai", 443, "POST", "/chat/completions", CHAT, "perplexity"},
    {"api.perplexity.ai", 443, "POST", "/v1/embeddings", NONE},
    {"openrouter.ai", 443, "POST", "/api/v1/chat/completions", CHAT, "openrouter"},
    {"openrouter.ai", 443, "POST", "/api/v1/completions", COMPL, "openrouter"},
    {"openrouter.ai", 443, "POST", "/api/v1/responses", RESP, "openrouter"},
    {"api.together.xyz", 443, "POST", "/v1/chat/completions", CHAT, "together"},
    {"api.together.xyz", 443, "POST", "/v1/embeddings", EMB, "together"},
    {"api.together.xyz", 443, "POST", "/v1/responses", NONE},
    {"api.fireworks.ai", 443, "POST", "/inference/v1/chat/completions", CHAT, "fireworks"},
    {"api.fireworks.ai", 443, "POST", "/inference/v1/completions", COMPL, "fireworks"},
    {"api.fireworks.ai", 443, "POST", "/inference/v1/embeddings", EMB, "fireworks"},
    {"api.groq.com", 443, "GET", "/openai/v1/chat/completions", NONE},
};

/* Rule 3, any other host: distinctive paths only, fallback providers; lookalike hosts. */
static const struct dcase OTHER[] = {
    {"example.com", 8080, "POST", "/v1/chat/completions", CHAT, "openai"},
    {"vllm.internal", 8000, "POST", "/v1/chat/completions?x=/v1/messages", CHAT, "openai"},
    {"example.com", 443, "POST", "/proxy/openai/chat/completions", CHAT, "openai"},
    {"example.com", 443, "POST", "/v1/responses", RESP, "openai"},
    {"example.com", 443, "POST", "/v1/embeddings", EMB, "openai"},
    {"example.com", 443, "POST", "/v1/completions", COMPL, "openai"},
    {"example.com", 443, "POST", "/v1/messages", ANTH, "anthropic"},
    {"example.com", 443, "POST", "/v1beta/models/gemini-2.0-flash:generateContent", GEM,
     "gcp.gemini"},
    {"example.com", 443, "POST", "/gw/v1beta/models/g:streamGenerateContent?alt=sse", GEM,
     "gcp.gemini"},
    {"example.com", 443, "POST", "/model/anthropic.claude-v2/converse", CONV, "aws.bedrock"},
    {"example.com", 443, "POST", "/model/m/converse-stream", CONV, "aws.bedrock"},
    {"example.com", 443, "POST", "/model/m/invoke", INV, "aws.bedrock"},
    {"example.com", 443, "POST", "/model/m/invoke-with-response-stream", INV, "aws.bedrock"},
    {"example.com", 443, "POST", "http://example.com/v1/messages", ANTH, "anthropic"},
    {"localhost", 8080, "POST", "/v1/chat/completions", CHAT, "openai"},
    /* Not distinctive enough, or not LLM calls. */
    {"example.com", 443, "POST", "/api/chat", NONE},
    {"example.com", 443, "POST", "/api/generate", NONE},
    {"example.com", 443, "POST", "/v2/chat", NONE},
    {"localhost", 11435, "POST", "/api/chat", NONE},
    {"example.com", 443, "POST", "/responses", NONE},
    {"example.com", 443, "POST", "/x/v1/responses", NONE},
    {"example.com", 443, "POST", "/x/v1/embeddings", NONE},
    {"example.com", 443, "POST", "/v1/completions/x", NONE},
    {"example.com", 443, "POST", "/anthropic/v1/messages", NONE},
    {"example.com", 443, "POST", "/x/model/m/converse", NONE},
    {"example.com", 443, "POST", "/model/m/converse/x", NONE},
    {"example.com", 443, "POST", "/models/m:rawPredict", NONE},
    {"example.com", 443, "POST", "/", NONE},
    {"example.com", 443, "POST", "", NONE},
    {"", 443, "POST", "/v1/chat/completionsx", NONE},
    {"example.com", 443, "POST", "/search?q=/chat/completions", NONE},
    {"example.com", 443, "POST", "/search#/v1/messages", NONE},
    {"example.com", 443, "GET", "/v1/messages", NONE},
    {"example.com", 443, "OPTIONS", "/v1/chat/completions", NONE},
    {"example.com", 443, "POSTX", "/v1/chat/completions", NONE},
    /* Lookalikes get no known host's provider: only rule 3's fallbacks. */
    {"api.openai.com.evil.com", 443, "POST", "/v1/chat/completions", CHAT, "openai"},
    {"api.openai.com.evil.com", 443, "POST", "/openai/v1/chat/completions", CHAT, "openai"},
    {"api.anthropic.com.evil.com", 443, "POST", "/v1/chat/completions", CHAT, "openai"},
    {"evilapi.openai.com", 443, "POST", "/v1/messages", ANTH, "anthropic"},
    {"evilopenai.azure.com", 443, "POST", "/openai/deployments/gpt-4o/chat/completions", CHAT,
     "openai"},
    {"evilopenai.azure.com", 443, "POST", "/openai/deployments/gpt-4o/embeddings", NONE},
    {"evilopenai.azure.com", 443, "POST", "/openai/v1/responses", NONE},
    {"x.openai.azure.com.evil.com", 443, "POST", "/openai/v1/responses", NONE},
    {"evilservices.ai.azure.com", 443, "POST", "/models/chat/completions", CHAT, "openai"},
    {"api.groq.com.evil.com", 443, "POST", "/openai/v1/chat/completions", CHAT, "openai"},
    {"fakeollama.com", 443, "POST", "/api/chat", NONE},
    {"api.cohere.com.evil.com", 443, "POST", "/v2/chat", NONE},
    {"bedrock-runtime.us-east-1.amazonaws.com.evil.com", 443, "POST", "/model/m/converse", CONV,
     "aws.bedrock"},
    {"xbedrock-runtime.us-east-1.amazonaws.com", 443, "POST", "/x/model/m/converse", NONE},
    {"evil-generativelanguage.googleapis.com", 443, "POST", "/v1beta/openai/chat/completions", CHAT,
     "openai"},
    {"evil.com", 443, "POST", "/v1/projects/p/publishers/anthropic/models/c:rawPredict", NONE},
    {"eviloaiplatform.googleapis.com", 443, "POST",
     "/v1/projects/p/publishers/anthropic/models/c:rawPredict", NONE},
};

static void run_cases(const struct dcase *cs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect(cs[i].host, cs[i].port, cs[i].method, cs[i].target, cs[i].api, cs[i].provider);
}

static void test_known_hosts(void **state)
{
    run_cases(KNOWN, sizeof(KNOWN) / sizeof(KNOWN[0]));
}

static void test_other_hosts(void **state)
{
    run_cases(OTHER, sizeof(OTHER) / sizeof(OTHER[0]));
}

/* Rule 1: a mapped host takes every shape, suffixes behind a gateway prefix included. */
static void test_user_map_shapes(void **state)
{
    assert_int_equal(lt_genai_set_providers("gw.corp=gateway,localhost:8080=ollama"), 0);
    static const struct dcase cs[] = {
        {"gw.corp", 443, "POST", "/openai/v1/chat/completions", CHAT, "gateway"},
        {"gw.corp", 443, "POST", "/openai/v1/responses", RESP, "gateway"},
        {"gw.corp", 443, "POST", "/openai/v1/embeddings", EMB, "gateway"},
        {"gw.corp", 443, "POST", "/openai/v1/completions", COMPL, "gateway"},
        {"gw.corp", 443, "POST", "/anthropic/v1/messages", ANTH, "gateway"},
        {"gw.corp", 443, "POST",
         "/vertex/v1/projects/p/locations/l/publishers/anthropic/models/c:streamRawPredict", ANTH,
         "gateway"},
        {"gw.corp", 443, "POST", "/google/v1beta/models/g:streamGenerateContent?alt=sse", GEM,
         "gateway"},
        {"gw.corp", 443, "POST",
         "/vertex/v1/projects/p/locations/l/publishers/google/models/g:generateContent", GEM,
         "gateway"},
        {"gw.corp", 443, "POST", "/bedrock/model/m/converse-stream", CONV, "gateway"},
        {"gw.corp", 443, "POST", "/bedrock/model/m/invoke", INV, "gateway"},
        {"gw.corp", 443, "POST", "/cohere/v2/chat", COH, "gateway"},
        {"gw.corp", 443, "POST", "/ollama/api/chat", OLC, "gateway"},
        {"gw.corp", 443, "POST", "/ollama/api/generate", OLG, "gateway"},
        {"localhost", 8080, "POST", "/api/chat", OLC, "ollama"},
        {"gw.corp", 443, "POST", "/model//converse", NONE},
        {"gw.corp", 443, "POST", "/v1/models", NONE},
        {"gw.corp", 443, "POST", "/api/pull", NONE},
        {"gw.corp", 443, "GET", "/v2/chat", NONE},
        /* An entry for another port does not apply: rule 2 (port 11434) does. */
        {"localhost", 11434, "POST", "/api/chat", OLC, "ollama"},
        {"localhost", 9999, "POST", "/api/chat", NONE},
    };
    run_cases(cs, sizeof(cs) / sizeof(cs[0]));
}

static void test_user_map(void **state)
{
    assert_int_equal(lt_genai_set_providers("localhost:11434=ollama, LLM.Internal = custom"), 0);
    expect("localhost", 11434, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "ollama");
    /* Another port: no entry applies, rule 3 gives the default. */
    expect("localhost", 8080, "POST", "/v1/chat/completions", LT_API_OPENAI_CHAT, "openai");
    expect("localhost", 8080, "POST", "/api/chat", LT_API_NONE, "");
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
    expect("h", 443, "POST", "/v2/chat", LT_API_NONE, "");
    char longp[80];
    memset(longp, 'p', sizeof(longp));
    memcpy(longp, "x=", 2);
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(lt_genai_set_providers(longp), -EINVAL);
    expect("x", 443, "POST", "/v2/chat", LT_API_NONE, "");
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
    assert_false(lt_genai_detect(buf, 17, 443, buf + 22, 4, buf + 28, 11, &d));
    /* "api.anthropic.co" is another host: rule 3's fallback, same API. */
    assert_true(lt_genai_detect(buf, 16, 443, buf + 22, 4, buf + 28, 12, &d));
    assert_string_equal(d.provider, "anthropic");
    const char *az = "a.openai.azure.comX /openai/v1/responsesX";
    assert_true(lt_genai_detect(az, 18, 443, "POST", 4, az + 20, 20, &d));
    assert_int_equal(d.api, LT_API_OPENAI_RESPONSES);
    assert_string_equal(d.provider, "azure.ai.openai");
    assert_false(lt_genai_detect(az, 17, 443, "POST", 4, az + 20, 20, &d));

    /* Each input flush against a no-access page, every prefix of each target, on hosts
     * that take each rule's path shapes (rule 1 through the map). */
    static const char *const targets[] = {"/v1/messages?x",
                                          "https://h/v1/chat/completions",
                                          "http:",
                                          "h://",
                                          "/chat/completions#f",
                                          "/openai/deployments/d/chat/completions",
                                          "/openai/v1/responses",
                                          "/v1beta/models/m:streamGenerateContent",
                                          "/p/publishers/anthropic/models/c:rawPredict",
                                          "/model/m/invoke-with-response-stream",
                                          "/x/model/m/converse",
                                          "/v1/embeddings",
                                          "/api/generate",
                                          "/v2/chat"};
    static const char *const hosts[] = {"api.anthropic.com",
                                        "api.openai.com",
                                        "a.openai.azure.com",
                                        "a.services.ai.azure.com",
                                        "generativelanguage.googleapis.com",
                                        "us-aiplatform.googleapis.com",
                                        "bedrock-runtime.r.amazonaws.com",
                                        "api.cohere.com",
                                        "ollama.com",
                                        "api.groq.com",
                                        "example.com",
                                        "gw.corp"};
    assert_int_equal(lt_genai_set_providers("gw.corp=gateway"), 0);
    struct guarded m = guard_copy("POST", 4);
    for (size_t hi = 0; hi < sizeof(hosts) / sizeof(hosts[0]); hi++) {
        size_t hn = strlen(hosts[hi]);
        struct guarded hg = guard_copy(hosts[hi], hn);
        for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
            size_t n = strlen(targets[i]);
            for (size_t k = 0; k <= n; k++) {
                struct guarded t = guard_copy(targets[i], k);
                lt_genai_detect(hg.p, hn, 443, m.p, 4, t.p, k, &d);
                lt_genai_detect(hg.p, hn, 11434, m.p, 4, t.p, k, &d);
                guard_free(&t);
            }
        }
        /* Every suffix of the host, flush against the page. */
        for (size_t k = 0; k <= hn; k++)
            lt_genai_detect(hg.p + hn - k, k, 443, m.p, 4, "/v1/messages", 12, &d);
        guard_free(&hg);
    }
    struct guarded h = guard_copy("api.anthropic.com", 17);
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
        cmocka_unit_test_setup(test_known_hosts, reset),
        cmocka_unit_test_setup(test_other_hosts, reset),
        cmocka_unit_test_setup(test_user_map_shapes, reset),
        cmocka_unit_test_setup(test_user_map, reset),
        cmocka_unit_test_setup(test_port_entry_wins, reset),
        cmocka_unit_test_setup(test_user_map_overrides_builtin, reset),
        cmocka_unit_test_setup(test_ipv6, reset),
        cmocka_unit_test_setup(test_malformed, reset),
        cmocka_unit_test_setup(test_lengths_not_nul, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
