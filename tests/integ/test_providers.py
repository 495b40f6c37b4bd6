"""Every provider/API of issue 3 through a real client against the replay mock: curl reaching
the provider's own host name (--resolve to 127.0.0.1, so host-based detection runs), and
Python clients on localhost with LLMTAP_PROVIDERS. The whole span is asserted (SPEC.md
"Inference span"), with response/usage values read from the fixture that was served."""

import pytest

import replay_server as R
from integ_util import one_exchange, run_both
from replay_fixtures import assert_span, curl_cmd, py_cmd

MSGS = [{"role": "user", "content": "Say hello."}]
AUTH = {"Authorization": "Bearer sk-test-SECRET-replay-1"}
BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1%3A0"
BEDROCK_HOST = "bedrock-runtime.us-east-1.amazonaws.com"
GEMINI_HOST = "generativelanguage.googleapis.com"
VERTEX_HOST = "us-central1-aiplatform.googleapis.com"
VERTEX_PATH = ("/v1/projects/llmtap-test/locations/us-central1/publishers/google/models/"
               "gemini-2.5-flash")
BEDROCK_HDRS = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20241121/us-east-1/"
                "bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd",
                "X-Amz-Date": "20241121T000000Z"}
GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "Say hello."}]}],
               "generationConfig": {"temperature": 0.5, "maxOutputTokens": 256}}
GEMINI_REQ = {"gen_ai.request.temperature": 0.5, "gen_ai.request.max_tokens": 256}
CHAT_REQ = {"gen_ai.request.temperature": 0.5, "gen_ai.request.max_tokens": 64}


def chat_body(model, stream=False):
    b = {"model": model, "messages": MSGS, "temperature": 0.5, "max_tokens": 64}
    if stream:
        b.update({"stream": True, "stream_options": {"include_usage": True}})
    return b


# id: (api, host, path, body, headers, provider, expected request attrs)
CASES = {
    "openai-chat": ("openai_chat", "api.openai.com", "/v1/chat/completions",
                    chat_body("gpt-4o-mini"), AUTH, "openai", CHAT_REQ),
    "openai-chat-stream": ("openai_chat", "api.openai.com", "/v1/chat/completions",
                           chat_body("gpt-4o-mini", True), AUTH, "openai", CHAT_REQ),
    "responses": ("openai_responses", "api.openai.com", "/v1/responses",
                  {"model": "gpt-4.1-mini", "input": "Say hello.", "temperature": 0.7,
                   "max_output_tokens": 256}, AUTH, "openai",
                  {"gen_ai.request.temperature": 0.7, "gen_ai.request.max_tokens": 256,
                   "openai.api.type": "responses"}),
    "responses-stream-tools": (
        "openai_responses", "api.openai.com", "/v1/responses",
        {"model": "gpt-4.1-mini", "input": "Weather in Paris?", "stream": True,
         "tools": [{"type": "function", "name": "get_weather",
                    "parameters": {"type": "object",
                                   "properties": {"location": {"type": "string"}}}}]},
        AUTH, "openai", {"openai.api.type": "responses"}),
    "embeddings": ("openai_embeddings", "api.openai.com", "/v1/embeddings",
                   {"model": "text-embedding-3-small", "input": "The food was delicious",
                    "encoding_format": "float", "dimensions": 8}, AUTH, "openai",
                   {"gen_ai.request.encoding_formats": ["float"]}),
    "completions": ("openai_completions", "api.openai.com", "/v1/completions",
                    {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test",
                     "max_tokens": 7, "temperature": 0.5}, AUTH, "openai",
                    {"gen_ai.request.temperature": 0.5, "gen_ai.request.max_tokens": 7}),
    "completions-stream": ("openai_completions", "api.openai.com", "/v1/completions",
                           {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test",
                            "max_tokens": 7, "temperature": 0.5, "stream": True,
                            "stream_options": {"include_usage": True}}, AUTH, "openai",
                           {"gen_ai.request.max_tokens": 7}),
    "azure": ("azure_chat", "llmtap-test.openai.azure.com",
              "/openai/deployments/gpt-4o-deploy/chat/completions?api-version=2024-10-21",
              {"messages": MSGS, "temperature": 0.5, "max_tokens": 64},
              {"api-key": "azure-SECRET-key-0001"}, "azure.ai.openai", CHAT_REQ),
    "azure-stream": ("azure_chat", "llmtap-test.openai.azure.com",
                     "/openai/deployments/gpt-4o-deploy/chat/completions?api-version=2024-10-21",
                     {"messages": MSGS, "stream": True, "stream_options": {"include_usage": True}},
                     {"api-key": "azure-SECRET-key-0001"}, "azure.ai.openai", {}),
    "gemini": ("gemini", GEMINI_HOST, "/v1beta/models/gemini-2.0-flash:generateContent",
               GEMINI_BODY, {"x-goog-api-key": "AIza-SECRET-gemini"}, "gcp.gemini", GEMINI_REQ),
    "gemini-sse": ("gemini", GEMINI_HOST,
                   "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
                   GEMINI_BODY, {"x-goog-api-key": "AIza-SECRET-gemini"}, "gcp.gemini",
                   GEMINI_REQ),
    "gemini-array": ("gemini", GEMINI_HOST,
                     "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
                     GEMINI_BODY, {"x-goog-api-key": "AIza-SECRET-gemini"}, "gcp.gemini",
                     GEMINI_REQ),
    "vertex": ("vertex", VERTEX_HOST, VERTEX_PATH + ":generateContent", GEMINI_BODY,
               {"Authorization": "Bearer ya29.SECRET-vertex"}, "gcp.vertex_ai", GEMINI_REQ),
    "vertex-stream": ("vertex", VERTEX_HOST, VERTEX_PATH + ":streamGenerateContent",
                      GEMINI_BODY, {"Authorization": "Bearer ya29.SECRET-vertex"},
                      "gcp.vertex_ai", GEMINI_REQ),
    "bedrock-converse": ("bedrock_converse", BEDROCK_HOST,
                         "/model/%s/converse" % BEDROCK_MODEL,
                         {"messages": [{"role": "user", "content": [{"text": "Say hello."}]}],
                          "inferenceConfig": {"maxTokens": 512, "temperature": 0.5}},
                         BEDROCK_HDRS, "aws.bedrock",
                         {"gen_ai.request.temperature": 0.5, "gen_ai.request.max_tokens": 512}),
    "bedrock-converse-stream": (
        "bedrock_converse_stream", BEDROCK_HOST, "/model/%s/converse-stream" % BEDROCK_MODEL,
        {"messages": [{"role": "user", "content": [{"text": "Say hello."}]}],
         "inferenceConfig": {"maxTokens": 512, "temperature": 0.5}},
        BEDROCK_HDRS, "aws.bedrock",
        {"gen_ai.request.temperature": 0.5, "gen_ai.request.max_tokens": 512}),
    "bedrock-invoke": ("bedrock_invoke", BEDROCK_HOST, "/model/%s/invoke" % BEDROCK_MODEL,
                       {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512,
                        "messages": MSGS}, BEDROCK_HDRS, "aws.bedrock",
                       {"gen_ai.request.max_tokens": 512}),
    "bedrock-invoke-stream": ("bedrock_invoke_stream", BEDROCK_HOST,
                              "/model/%s/invoke-with-response-stream" % BEDROCK_MODEL,
                              {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512,
                               "messages": MSGS}, BEDROCK_HDRS, "aws.bedrock",
                              {"gen_ai.request.max_tokens": 512}),
    "cohere": ("cohere_chat", "api.cohere.com", "/v2/chat",
               {"model": "command-r-plus-08-2024", "messages": MSGS, "temperature": 0.5,
                "max_tokens": 64}, AUTH, "cohere", CHAT_REQ),
    "cohere-stream": ("cohere_chat", "api.cohere.com", "/v2/chat",
                      {"model": "command-r-plus-08-2024", "messages": MSGS, "stream": True,
                       "temperature": 0.5, "max_tokens": 64}, AUTH, "cohere", CHAT_REQ),
    "mistral": ("openai_chat", "api.mistral.ai", "/v1/chat/completions",
                chat_body("mistral-small-latest"), AUTH, "mistral_ai", CHAT_REQ),
    "groq-stream": ("openai_chat", "api.groq.com", "/openai/v1/chat/completions",
                    chat_body("llama-3.3-70b-versatile", True), AUTH, "groq", CHAT_REQ),
    "deepseek": ("openai_chat", "api.deepseek.com", "/chat/completions",
                 chat_body("deepseek-chat"), AUTH, "deepseek", CHAT_REQ),
    "xai": ("openai_chat", "api.x.ai", "/v1/chat/completions", chat_body("grok-3-mini"), AUTH,
            "x_ai", CHAT_REQ),
    "openrouter": ("openai_chat", "openrouter.ai", "/api/v1/chat/completions",
                   chat_body("openai/gpt-4o-mini"), AUTH, "openrouter", CHAT_REQ),
}

AZ = "/openai/deployments/%s/%s?api-version=2024-10-21"
AZ_KEY = {"api-key": "azure-SECRET-key-0001"}
CASES.update({
    "azure-embeddings": ("azure_embeddings", "llmtap-test.openai.azure.com",
                         AZ % ("text-embedding-3-small", "embeddings"),
                         {"input": "The food was delicious"}, AZ_KEY, "azure.ai.openai", {}),
    "azure-completions": ("azure_completions", "llmtap-test.openai.azure.com",
                          AZ % ("gpt-35-turbo-instruct", "completions"),
                          {"prompt": "Say this is a test", "max_tokens": 16}, AZ_KEY,
                          "azure.ai.openai", {"gen_ai.request.max_tokens": 16}),
    "responses-incomplete": ("openai_responses", "api.openai.com", "/v1/responses",
                             {"model": "o4-mini", "input": "Explain.", "max_output_tokens": 16},
                             AUTH, "openai", {"gen_ai.request.max_tokens": 16,
                                              "openai.api.type": "responses"}),
    "embeddings-base64": ("openai_embeddings", "api.openai.com", "/v1/embeddings",
                          {"model": "text-embedding-3-large", "input": "hi",
                           "encoding_format": "base64"}, AUTH, "openai",
                          {"gen_ai.request.encoding_formats": ["base64"]}),
    "gemini-thinking": ("gemini", GEMINI_HOST,
                        "/v1beta/models/gemini-2.5-flash:generateContent", GEMINI_BODY,
                        {"x-goog-api-key": "AIza-SECRET-gemini"}, "gcp.gemini", GEMINI_REQ),
    "gemini-tools": ("gemini", GEMINI_HOST, "/v1beta/models/gemini-2.5-flash:generateContent",
                     GEMINI_BODY, {"x-goog-api-key": "AIza-SECRET-gemini"}, "gcp.gemini",
                     GEMINI_REQ),
    "bedrock-converse-tools-stream": (
        "bedrock_converse_stream", BEDROCK_HOST, "/model/%s/converse-stream" % BEDROCK_MODEL,
        {"messages": [{"role": "user", "content": [{"text": "Weather in Paris?"}]}],
         "inferenceConfig": {"maxTokens": 512}}, BEDROCK_HDRS, "aws.bedrock",
        {"gen_ai.request.max_tokens": 512}),
    "cohere-tools-stream": ("cohere_chat", "api.cohere.com", "/v2/chat",
                            {"model": "command-a-03-2025", "messages": MSGS, "stream": True},
                            AUTH, "cohere", {}),
    "mistral-stream-tools": ("openai_chat", "api.mistral.ai", "/v1/chat/completions",
                             chat_body("mistral-large-latest", True), AUTH, "mistral_ai",
                             CHAT_REQ),
    "deepseek-stream-cache": ("openai_chat", "api.deepseek.com", "/chat/completions",
                              chat_body("deepseek-reasoner", True), AUTH, "deepseek", CHAT_REQ),
    "openrouter-stream": ("openai_chat", "openrouter.ai", "/api/v1/chat/completions",
                          chat_body("anthropic/claude-sonnet-4", True), AUTH, "openrouter",
                          CHAT_REQ),
})
del CASES["openrouter"]

# Cases served from a named fixture (x-mock-fixture) rather than the route table's default.
FORCED = {
    "mistral": "compat/mistral_response.json",
    "mistral-stream-tools": "compat/mistral_stream.sse",
    "groq-stream": "compat/groq_stream.sse",
    "deepseek": "compat/deepseek_response.json",
    "deepseek-stream-cache": "compat/deepseek_stream_cache.sse",
    "xai": "compat/xai_response.json",
    "openrouter-stream": "compat/openrouter_stream.sse",
    "responses-stream-tools": "openai/responses_tools_stream.sse",
    "responses-incomplete": "openai/responses_incomplete.json",
    "embeddings-base64": "openai/embeddings_base64_response.json",
    "gemini-thinking": "gemini/thinking_response.json",
    "gemini-tools": "gemini/tools_response.json",
    "bedrock-converse-tools-stream": "bedrock/converse_tools_stream.bin",
    "cohere-tools-stream": "cohere/tools_stream.sse",
}


def _fixture_json(rel):
    import json
    return json.loads(R.load_fixture(rel))


# InvokeModel for the other model families: request bodies are the fixtures' own.
FAMILIES = {
    "llama": "meta.llama3-8b-instruct-v1%3A0",
    "titan": "amazon.titan-text-express-v1",
    "mistral": "mistral.mistral-7b-instruct-v0%3A2",
    "nova": "amazon.nova-lite-v1%3A0",
    "cohere": "cohere.command-r-v1%3A0",
}
for _fam, _mid in FAMILIES.items():
    _body = _fixture_json("bedrock/invoke_%s_request.json" % _fam)
    CASES["bedrock-invoke-" + _fam] = ("bedrock_invoke", BEDROCK_HOST, "/model/%s/invoke" % _mid,
                                       _body, BEDROCK_HDRS, "aws.bedrock", {})
    FORCED["bedrock-invoke-" + _fam] = "bedrock/invoke_%s_response.json" % _fam
    if _fam != "cohere":
        CASES["bedrock-invoke-stream-" + _fam] = (
            "bedrock_invoke_stream", BEDROCK_HOST,
            "/model/%s/invoke-with-response-stream" % _mid, _body, BEDROCK_HDRS, "aws.bedrock",
            {})
        FORCED["bedrock-invoke-stream-" + _fam] = "bedrock/invoke_%s_stream.bin" % _fam


def served(case_id, api, path, body, headers):
    """(fixture, streamed, headers to send) for a case: the route table's choice, or the
    fixture FORCED names (sent as x-mock-fixture)."""
    import os
    r = R.route("POST", path, body)
    assert r and r[0] == api, (path, r)
    c = FORCED.get(case_id)
    if c:
        assert os.path.isfile(R.fixture_path(c)), c
        h = dict(headers)
        h["x-mock-fixture"] = c
        streamed = not c.endswith(".json") or c.endswith(("_array.json", ".events.json"))
        assert streamed == r[2], "request body and fixture disagree on streaming"
        return c, streamed, h
    return r[1], r[2], headers


@pytest.mark.parametrize("http", ["--http1.1", "--http2"], ids=["h1", "h2"])
@pytest.mark.parametrize("case_id", list(CASES))
def test_provider_curl(run, replay, rcv, case_id, http):
    """curl over HTTP/1.1 and HTTP/2 to the provider's own host name: host-based detection,
    the same span either way."""
    api, host, path, body, headers, provider, req = CASES[case_id]
    rel, streamed, headers = served(case_id, api, path, body, headers)
    r = run_both(run, curl_cmd(replay, host, path, body, headers, http=http, stream=streamed))
    assert r.rc == 0, r.err
    assert r.out == R.body_of(rel, streamed), "curl got another body than the fixture"
    assert [q["target"] for q in replay.requests][-1] == path
    span = one_exchange(rcv)
    assert_span(span, api, path, body, rel, streamed, provider, host, replay.port, req)


PY_CASES = [
    ("requests", "gemini-sse"), ("http.client", "bedrock-converse-stream"),
    ("requests", "responses-stream-tools"), ("http.client", "cohere"),
    ("requests", "azure-stream"), ("http.client", "embeddings"),
    ("requests", "vertex-stream"), ("http.client", "bedrock-invoke"),
]


@pytest.mark.parametrize("lib,case_id", PY_CASES)
def test_provider_python_mapped(run, replay, rcv, lib, case_id):
    """Python clients cannot --resolve: localhost mapped with LLMTAP_PROVIDERS; the API is
    still taken from the path. server.address is the host the client asked for."""
    api, host, path, body, headers, provider, req = CASES[case_id]
    rel, streamed, headers = served(case_id, api, path, body, headers)
    env = {"LLMTAP_PROVIDERS": "localhost:%d=%s" % (replay.port, provider)}
    r = run_both(run, py_cmd(lib, replay, path, body, headers), env=env)
    assert r.rc == 0, r.err
    span = one_exchange(rcv)
    assert_span(span, api, path, body, rel, streamed, provider, "localhost", replay.port, req)


def test_azure_body_model_wins(run, replay, rcv):
    """A body that names a model keeps it as the request model (deployment otherwise)."""
    api, host, path, body, headers, provider, req = CASES["azure"]
    body = dict(body, model="gpt-4o")
    rel, streamed, headers = served("azure", api, path, body, headers)
    run_both(run, curl_cmd(replay, host, path, body, headers))
    span = one_exchange(rcv)
    assert_span(span, api, path, body, rel, streamed, provider, host, replay.port, req)

