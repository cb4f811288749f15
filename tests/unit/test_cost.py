"""Golden vectors for ``llmring.cost``, each worked out by hand from the provider's price page.

Prices are dollars per million tokens, so each component is ``tokens * rate / 1,000,000``.
The test models are built here, not read from registry_json, so a data edit cannot move them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from llmring.cost import compute_cost
from llmring.schemas import LLMModel, Usage

D = Decimal


def model(provider: str, name: str, **prices: str | int | None) -> LLMModel:
    fields = {
        k if k == "long_context_threshold_tokens" else f"dollars_per_million_tokens_{k}": v for k, v in prices.items()
    }
    return LLMModel(provider=provider, model_name=name, **fields)  # type: ignore[arg-type]


# openai.com/api/pricing: gpt-4o-mini $0.15 in / $0.60 out.
GPT_4O_MINI = model("openai", "gpt-4o-mini", input="0.15", output="0.60")
# gpt-4o $2.50 in / $1.25 cached in / $10.00 out.
GPT_4O = model("openai", "gpt-4o", input="2.50", cached_input="1.25", output="10.00")
# anthropic.com/pricing: Sonnet 4 $3 in, $15 out, 5m write $3.75, 1h write $6, cache hit $0.30;
# above 200k prompt tokens (1M context beta) the whole request is $6 in / $22.50 out.
SONNET_4 = model(
    "anthropic",
    "claude-sonnet-4-20250514",
    input="3",
    output="15",
    cached_input="0.30",
    cache_write_5m="3.75",
    cache_write_1h="6",
    long_context_threshold_tokens=200_000,
    input_long_context="6",
    output_long_context="22.50",
)
# ai.google.dev/pricing: Gemini 2.5 Pro $1.25 in / $10 out up to 200k prompt tokens,
# $2.50 in / $15 out above; context caching $0.125 (<= 200k) / $0.25 (> 200k).
GEMINI_25_PRO = model(
    "google",
    "gemini-2.5-pro",
    input="1.25",
    output="10",
    cached_input="0.125",
    long_context_threshold_tokens=200_000,
    input_long_context="2.50",
    output_long_context="15",
)
# o3-mini $1.10 in / $4.40 out; reasoning tokens are billed as output (no separate rate).
O3_MINI = model("openai", "o3-mini", input="1.10", output="4.40")
# gemini-2.5-flash-preview-04-17: $0.15 in, $0.60 output, $3.50 "thinking" output.
FLASH_THINKING = model("google", "gemini-2.5-flash-preview-04-17", input="0.15", output="0.60", reasoning="3.50")


def test_plain_input_output_gpt_4o_mini() -> None:
    # 1,000 * 0.15 / 1e6 = 0.00015 ; 500 * 0.60 / 1e6 = 0.0003 ; total 0.00045
    result = compute_cost(GPT_4O_MINI, Usage(prompt_tokens=1000, completion_tokens=500))
    assert result.total == D("0.00045")
    assert result.breakdown == {"input": "0.00015", "output": "0.0003"}
    assert result.rate_snapshot["input"] == "0.15"
    assert not result.unpriced


def test_openai_cached_input_gpt_4o() -> None:
    # prompt 10,000 of which 8,000 cached: 2,000 * 2.50 = 5,000 -> 0.005
    # 8,000 * 1.25 = 10,000 -> 0.01 ; 200 * 10 = 2,000 -> 0.002 ; total 0.017
    result = compute_cost(GPT_4O, Usage(prompt_tokens=10_000, cached_tokens=8_000, completion_tokens=200))
    assert result.total == D("0.017")
    assert result.breakdown == {"input": "0.005", "cached_input": "0.01", "output": "0.002"}


def test_anthropic_cache_read_and_both_writes() -> None:
    # prompt 27,000 = 1,000 uncached + 20,000 read + 4,000 5m write + 2,000 1h write; 500 out
    # 1,000 * 3 = 3,000 -> 0.003 ; 20,000 * 0.30 = 6,000 -> 0.006
    # 4,000 * 3.75 = 15,000 -> 0.015 ; 2,000 * 6 = 12,000 -> 0.012 ; 500 * 15 = 7,500 -> 0.0075
    # total 0.003 + 0.006 + 0.015 + 0.012 + 0.0075 = 0.0435
    usage = Usage(
        prompt_tokens=27_000,
        cached_tokens=20_000,
        cache_write_5m_tokens=4_000,
        cache_write_1h_tokens=2_000,
        completion_tokens=500,
    )
    result = compute_cost(SONNET_4, usage)
    assert result.total == D("0.0435")
    assert result.breakdown["cache_write_5m"] == "0.015"
    assert result.breakdown["cache_write_1h"] == "0.012"


def test_anthropic_missing_write_rates_use_published_multipliers() -> None:
    # No write rates in the registry: 5m = 1.25 * $3 = $3.75, 1h = 2 * $3 = $6 (same as above).
    bare = model("anthropic", "claude-x", input="3", output="15", cached_input="0.30")
    usage = Usage(prompt_tokens=6_000, cache_write_5m_tokens=4_000, cache_write_1h_tokens=2_000)
    result = compute_cost(bare, usage)
    assert result.rate_snapshot["cache_write_5m"] == "3.75"
    assert result.rate_snapshot["cache_write_1h"] == "6"
    assert result.total == D("0.027")  # 0.015 + 0.012


def test_anthropic_long_context_bills_the_whole_request() -> None:
    # prompt 300,000 (> 200k) = 100,000 uncached + 150,000 read + 50,000 5m write; 2,000 out
    # long rates: in $6, out $22.50; cache rates double with the input rate: read $0.60, 5m write $7.50
    # 100,000 * 6 -> 0.6 ; 150,000 * 0.60 -> 0.09 ; 50,000 * 7.50 -> 0.375 ; 2,000 * 22.50 -> 0.045
    # total 1.11
    usage = Usage(prompt_tokens=300_000, cached_tokens=150_000, cache_write_5m_tokens=50_000, completion_tokens=2_000)
    result = compute_cost(SONNET_4, usage)
    assert result.total == D("1.11")
    assert result.rate_snapshot["tier"] == "long_context"


def test_gemini_25_pro_long_context_above_200k() -> None:
    # 250,000 prompt > 200k: 250,000 * 2.50 -> 0.625 ; 1,000 * 15 -> 0.015 ; total 0.64
    result = compute_cost(GEMINI_25_PRO, Usage(prompt_tokens=250_000, completion_tokens=1_000))
    assert result.total == D("0.64")
    assert result.rate_snapshot["input"] == "2.50"


def test_gemini_25_pro_exactly_at_threshold_is_standard() -> None:
    # 200,000 is not above 200k: 200,000 * 1.25 -> 0.25 ; 1,000 * 10 -> 0.01 ; total 0.26
    result = compute_cost(GEMINI_25_PRO, Usage(prompt_tokens=200_000, completion_tokens=1_000))
    assert result.total == D("0.26")
    assert result.rate_snapshot["tier"] == "standard"


def test_gemini_long_context_cached_rate_doubles() -> None:
    # 250,000 prompt, 100,000 cached: 150,000 * 2.50 -> 0.375 ; 100,000 * 0.25 -> 0.025
    # 1,000 * 15 -> 0.015 ; total 0.415
    usage = Usage(prompt_tokens=250_000, cached_tokens=100_000, completion_tokens=1_000)
    assert compute_cost(GEMINI_25_PRO, usage).total == D("0.415")


def test_reasoning_tokens_without_a_rate_are_output() -> None:
    # o3-mini: 1,000 * 1.10 -> 0.0011 ; 3,000 completion (2,500 of them reasoning) * 4.40 -> 0.0132
    # total 0.0143
    usage = Usage(prompt_tokens=1_000, completion_tokens=3_000, reasoning_tokens=2_500)
    result = compute_cost(O3_MINI, usage)
    assert result.total == D("0.0143")
    assert "reasoning" not in result.breakdown


def test_reasoning_tokens_with_their_own_rate() -> None:
    # 1,000 * 0.15 -> 0.00015 ; 1,000 reasoning * 3.50 -> 0.0035 ; 500 output * 0.60 -> 0.0003
    # total 0.00395
    usage = Usage(prompt_tokens=1_000, completion_tokens=1_500, reasoning_tokens=1_000)
    result = compute_cost(FLASH_THINKING, usage)
    assert result.total == D("0.00395")
    assert result.breakdown["reasoning"] == "0.0035"


def test_cached_tokens_without_a_cached_rate_bill_at_input() -> None:
    # 1,000 prompt (400 cached, no cached rate) all at 0.15 -> 0.00015
    result = compute_cost(GPT_4O_MINI, Usage(prompt_tokens=1_000, cached_tokens=400))
    assert result.total == D("0.00015")


@pytest.mark.parametrize(
    "priced",
    [
        model("openai", "gpt-new"),  # no prices at all
        model("openai", "gpt-half", input="1"),  # output rate unknown, output tokens present
        model("google", "g", input="1", output="2", long_context_threshold_tokens=10),  # no long rate
    ],
)
def test_unknown_price_is_none_never_zero(priced: LLMModel) -> None:
    result = compute_cost(priced, Usage(prompt_tokens=100, completion_tokens=10))
    assert result.total is None
    assert result.unpriced


def test_unknown_model_is_unpriced() -> None:
    assert compute_cost(None, Usage(prompt_tokens=1), provider="openai").total is None


def test_ollama_is_free_known_or_not() -> None:
    llama = model("ollama", "llama3.2", input="0", output="0")
    assert compute_cost(llama, Usage(prompt_tokens=5_000, completion_tokens=5_000)).total == D(0)
    assert compute_cost(None, Usage(prompt_tokens=5), provider="ollama").total == D(0)


def test_zero_price_is_free_not_unpriced() -> None:
    free = model("google", "free-tier", input="0", output="0")
    assert compute_cost(free, Usage(prompt_tokens=10, completion_tokens=10)).total == D(0)
