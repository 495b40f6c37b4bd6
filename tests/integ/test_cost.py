"""llmtap.cost.usd (issue 6): with a small LLMTAP_PRICES table of round numbers, the mock's
OpenAI and Anthropic exchanges carry the hand-computed cost of the mock's usage; an unpriced
model, LLMTAP_PRICES=none or an invalid table give no attribute (and never change what the
client sees); without LLMTAP_PRICES the shipped share/llmtap/prices.json prices a dated
OpenAI model id. Formula: preload/genai/price.h, lt_price_cost."""

import json
import os

import pytest

import conftest
import mock_provider as M
from integ_util import anthropic_env, curl_cmd, one_exchange, py_cmd, run_both

COST = "llmtap.cost.usd"

# USD per 1M tokens, round numbers; gpt-4o-mini has its own reasoning price, Claude its own
# cache-write price, so each token kind is counted at its own rate exactly once.
TABLE = {
    "date": "2025-01-01", "currency": "USD", "unit": "per 1M tokens",
    "sources": {"test": "https://example.invalid/"},
    "models": {
        "gpt-4o-mini": {"provider": "openai", "input": 1, "cached_input": 0.5, "output": 2,
                        "reasoning": 4},
        "claude-sonnet-4-5": {"provider": "anthropic", "input": 3, "cached_input": 0.25,
                              "cache_write": 5, "output": 10},
    },
}

# The mock's usage (mock_provider.OPENAI_USAGE): prompt 42 of which 12 cached, completion 17
# of which 5 reasoning → 30×1 + 12×0.5 + 12×2 + 5×4 = 30 + 6 + 24 + 20 = 80 → $0.00008.
OPENAI_COST = 80e-6
# ANTHROPIC_USAGE: input 25 uncached, cache reads 100, cache writes 7, output 31
# → 25×3 + 100×0.25 + 7×5 + 31×10 = 75 + 25 + 35 + 310 = 445 → $0.000445.
ANTHROPIC_COST = 445e-6


@pytest.fixture
def prices(tmp_path):
    p = tmp_path / "prices.json"
    p.write_text(json.dumps(TABLE))
    return str(p)


def test_hand_values_match_the_mock():
    """The constants above follow from the mock's usage (guards against a silent change)."""
    u = M.OPENAI_USAGE
    cached = u["prompt_tokens_details"]["cached_tokens"]
    reasoning = u["completion_tokens_details"]["reasoning_tokens"]
    assert (u["prompt_tokens"], cached, u["completion_tokens"], reasoning) == (42, 12, 17, 5)
    a = M.ANTHROPIC_USAGE
    assert (a["input_tokens"], a["cache_read_input_tokens"], a["cache_creation_input_tokens"],
            a["output_tokens"]) == (25, 100, 7, 31)


def cost_of(span):
    v = span["attrs"].get(COST)
    assert v is None or isinstance(v, float), "%s must be a double, got %r" % (COST, v)
    return v


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_openai_cost(run, mock, rcv, prices, stream):
    run_both(run, curl_cmd(mock, provider="openai", stream=stream),
             env={"LLMTAP_PRICES": prices})
    span = one_exchange(rcv)
    assert span["attrs"]["gen_ai.response.model"] == "gpt-4o-mini"
    assert cost_of(span) == pytest.approx(OPENAI_COST, abs=1e-9)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_anthropic_cost(run, mock, rcv, prices, stream):
    env = dict(anthropic_env(mock), LLMTAP_PRICES=prices)
    run_both(run, curl_cmd(mock, provider="anthropic", stream=stream), env=env)
    span = one_exchange(rcv)
    assert span["attrs"]["gen_ai.provider.name"] == "anthropic"
    assert cost_of(span) == pytest.approx(ANTHROPIC_COST, abs=1e-9)


def test_python_client_dated_model(run, mock, rcv, prices):
    """A dated response model (gpt-4o-mini-2024-07-18) is priced as gpt-4o-mini."""
    run_both(run, py_cmd("py_requests", mock, model="gpt-4o-mini-2024-07-18"),
             env={"LLMTAP_PRICES": prices})
    span = one_exchange(rcv)
    assert span["attrs"]["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert cost_of(span) == pytest.approx(OPENAI_COST, abs=1e-9)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini-tts", "my-local-model"])
def test_unpriced_model_has_no_cost(run, mock, rcv, prices, model):
    """gpt-4o is not gpt-4o-mini, nor is any other suffix than a version."""
    run_both(run, curl_cmd(mock, provider="openai", model=model),
             env={"LLMTAP_PRICES": prices})
    span = one_exchange(rcv)
    assert span["attrs"]["gen_ai.usage.input_tokens"] == 42  # usage known, model not priced
    assert COST not in span["attrs"]


def test_prices_none_disables(run, mock, rcv):
    run_both(run, curl_cmd(mock, provider="openai"), env={"LLMTAP_PRICES": "none"})
    assert COST not in one_exchange(rcv)["attrs"]


@pytest.mark.parametrize("content", ["not json", '{"models": {"gpt-4o-mini": {"input": 1}}}',
                                     None], ids=["garbage", "missing-output", "no-file"])
def test_invalid_table_gives_no_cost(run, mock, rcv, tmp_path, content):
    p = tmp_path / "bad.json"
    if content is not None:
        p.write_text(content)
    r = run_both(run, curl_cmd(mock, provider="openai"), env={"LLMTAP_PRICES": str(p)})
    assert r.rc == 0
    span = one_exchange(rcv)
    assert span["attrs"]["gen_ai.usage.input_tokens"] == 42  # the span is otherwise whole
    assert COST not in span["attrs"]


def test_default_table(run, mock, rcv):
    """No LLMTAP_PRICES: the table next to the library (share/llmtap/prices.json) is used."""
    with open(os.path.join(conftest.REPO, "share", "llmtap", "prices.json")) as f:
        p = json.load(f)["models"]["gpt-4o-mini"]
    u = M.OPENAI_USAGE
    cached = u["prompt_tokens_details"]["cached_tokens"]
    reasoning = u["completion_tokens_details"]["reasoning_tokens"]
    want = ((u["prompt_tokens"] - cached) * p["input"]
            + cached * p.get("cached_input", p["input"])
            + (u["completion_tokens"] - reasoning) * p["output"]
            + reasoning * p.get("reasoning", p["output"])) / 1e6
    assert want > 0
    run_both(run, curl_cmd(mock, provider="openai", model="gpt-4o-mini-2024-07-18"))
    span = one_exchange(rcv)
    assert cost_of(span) == pytest.approx(want, abs=1e-9)
