"""Issue 12's golden vectors: the bundled registry's prices, routed by name and priced at a time.

Each total is worked out by hand from the provider's published prices (dollars per million
tokens, so each component is ``tokens * rate / 1,000,000``). The registry entries are the ones
shipped in ``registry_json/``, reached through ``routing.resolve`` as a call reaches them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from llmring.cost import compute_cost
from llmring.providers.anthropic import anthropic_usage
from llmring.providers.google import google_usage
from llmring.providers.openai import chat_usage
from llmring.providers.openai_responses import response_usage
from llmring.registry import bundled_models
from llmring.routing import resolve
from llmring.schemas import LLMModel, Usage

D = Decimal
DAY = datetime(2026, 12, 4, 12, tzinfo=UTC)


def entry(name: str) -> LLMModel:
    """The registry entry ``name`` routes to (retired models and price periods included)."""
    model = resolve(name, bundled_models(include_retired=True, price_history=True)).model
    assert model is not None, name
    return model


def test_sonnet_4_5_fresh_cache_read_and_output() -> None:
    # $3 in, $0.30 cache read, $15 out: 1,500 * 3 = 4,500 -> 0.0045; 8,000 * 0.30 = 2,400 -> 0.0024;
    # 150 * 15 = 2,250 -> 0.00225; total 0.00915.
    usage = anthropic_usage({"input_tokens": 1_500, "cache_read_input_tokens": 8_000, "output_tokens": 150})
    result = compute_cost(entry("claude-sonnet-4-5"), usage, called_at=DAY)
    assert result.total == D("0.00915")
    assert result.breakdown == {"input": "0.0045", "cached_input": "0.0024", "output": "0.00225"}
    assert result.priced_as == "anthropic:claude-sonnet-4-5-20250929"


def test_gpt_5_6_sol_cache_writes_at_1_25x_input() -> None:
    # Since 2026-08-21: $4 in, $5 cache write (1.25x), $20 out. 2,000 * 4 = 8,000 -> 0.008;
    # 8,000 * 5 = 40,000 -> 0.04; 500 * 20 = 10,000 -> 0.01; total 0.058.
    raw = {
        "prompt_tokens": 10_000,
        "completion_tokens": 500,
        "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 8_000},
    }
    usage = chat_usage(raw)
    assert usage is not None
    result = compute_cost(entry("gpt-5.6-sol"), usage, called_at=DAY)
    assert result.total == D("0.058")
    assert result.breakdown == {"input": "0.008", "cache_write": "0.04", "output": "0.01"}
    assert result.rate_snapshot["cache_write"] == "5" and result.rate_snapshot["period"] == "2026-08-21"


def test_gpt_5_6_sol_12_hour_writes_at_2_5x_input() -> None:
    # The Responses API's usage: 8,000 writes of which 3,000 for 12 hours ($10): 5,000 * 5 = 0.025;
    # 3,000 * 10 = 0.03; 2,000 * 4 = 0.008; 500 * 20 = 0.01; total 0.073.
    usage = response_usage(
        {
            "input_tokens": 10_000,
            "output_tokens": 500,
            "input_tokens_details": {
                "cache_write_tokens": 8_000,
                "cache_write_tokens_details": {"ttl_12h_tokens": 3_000},
            },
        }
    )
    result = compute_cost(entry("openai:gpt-5.6"), usage, called_at=DAY)  # gpt-5.6 is an alias of -sol
    assert result.total == D("0.073")
    assert result.breakdown["cache_write_12h"] == "0.03" and result.breakdown["cache_write"] == "0.025"


def test_gemini_3_6_flash_priced_at_the_period_of_its_day() -> None:
    # 1,000,000 in + 100,000 out. Until 2026-12-31: $0.75 / $3.75 -> 0.75 + 0.375 = 1.125.
    # From 2027-01-01: $1.50 / $7.50 -> 1.5 + 0.75 = 2.25.
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=100_000)
    flash = entry("gemini-3.6-flash")
    last = compute_cost(flash, usage, called_at=datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    first = compute_cost(flash, usage, called_at=datetime(2027, 1, 1, 0, 0, tzinfo=UTC))
    assert (last.total, first.total) == (D("1.125"), D("2.25"))
    assert (last.rate_snapshot["period"], first.rate_snapshot["period"]) == ("base", "2027-01-01")


def test_gemini_2_5_flash_audio_prompt_tokens_at_the_audio_rate() -> None:
    # 12,000 prompt tokens of which 10,000 audio: text 2,000 * $0.30 = 0.0006; audio 10,000 * $1.00
    # = 0.01; 1,000 out * $2.50 = 0.0025; total 0.0131 (all-text would have been 0.0061).
    usage = google_usage(
        {
            "promptTokenCount": 12_000,
            "candidatesTokenCount": 1_000,
            "promptTokensDetails": [
                {"modality": "TEXT", "tokenCount": 2_000},
                {"modality": "AUDIO", "tokenCount": 10_000},
            ],
        }
    )
    assert usage.audio_tokens == 10_000
    result = compute_cost(entry("gemini-2.5-flash"), usage, called_at=DAY)
    assert result.total == D("0.0131")
    assert result.breakdown == {"input": "0.0006", "input_audio": "0.01", "output": "0.0025"}


def test_gemini_cached_audio_at_the_cached_audio_rate() -> None:
    # 10,000 audio of which 4,000 cached ($0.10), 3,000 cached text ($0.03): audio 6,000 * 1 = 0.006;
    # cached audio 4,000 * 0.1 = 0.0004; cached text 3,000 * 0.03 = 0.00009; text 1,000 * 0.3 = 0.0003.
    usage = google_usage(
        {
            "promptTokenCount": 14_000,
            "cachedContentTokenCount": 7_000,
            "promptTokensDetails": [
                {"modality": "AUDIO", "tokenCount": 10_000},
                {"modality": "TEXT", "tokenCount": 4_000},
            ],
            "cacheTokensDetails": [
                {"modality": "AUDIO", "tokenCount": 4_000},
                {"modality": "TEXT", "tokenCount": 3_000},
            ],
        }
    )
    result = compute_cost(entry("gemini-2.5-flash"), usage, called_at=DAY)
    assert result.breakdown == {
        "input": "0.0003",
        "input_audio": "0.006",
        "cached_input": "0.00009",
        "cached_input_audio": "0.0004",
    }
    assert result.total == D("0.00679")


def test_anthropic_empty_cache_creation_split_bills_5_minute_writes() -> None:
    # Sonnet 4.5, 1,000 fresh + 4,000 written with an empty split + 100 out: the writes are 5-minute
    # writes at $3.75: 0.003 + 0.015 + 0.0015 = 0.0195 (at the plain input rate it would be 0.0165).
    usage = anthropic_usage(
        {"input_tokens": 1_000, "cache_creation_input_tokens": 4_000, "cache_creation": {}, "output_tokens": 100}
    )
    assert (usage.cache_write_5m_tokens, usage.cache_write_1h_tokens) == (4_000, 0)
    result = compute_cost(entry("claude-sonnet-4-5"), usage, called_at=DAY)
    assert result.total == D("0.0195")


def test_anthropic_partial_split_bills_the_rest_at_the_5_minute_rate() -> None:
    usage = anthropic_usage(
        {
            "input_tokens": 0,
            "cache_creation_input_tokens": 5_000,
            "cache_creation": {"ephemeral_1h_input_tokens": 2_000},
        }
    )
    assert (usage.cache_write_5m_tokens, usage.cache_write_1h_tokens, usage.prompt_tokens) == (3_000, 2_000, 5_000)


def test_openai_audio_without_an_audio_rate_is_unpriced_not_text() -> None:
    usage = chat_usage(
        {"prompt_tokens": 1_000, "completion_tokens": 10, "prompt_tokens_details": {"audio_tokens": 400}}
    )
    assert usage is not None
    result = compute_cost(entry("gpt-4o-mini"), usage, called_at=DAY)
    assert result.total is None and result.unpriced
    assert result.rate_snapshot["unpriced"] == "input_audio"


def test_12_hour_writes_without_a_rate_are_unpriced() -> None:
    bare = LLMModel(
        provider="openai",
        model_name="x",
        dollars_per_million_tokens_input=D(1),
        dollars_per_million_tokens_output=D(2),
        dollars_per_million_tokens_cache_write=D("1.25"),
    )
    usage = Usage(prompt_tokens=100, cache_write_tokens=50, cache_write_12h_tokens=20)
    assert compute_cost(bare, usage).total is None


def test_writes_of_a_model_without_a_write_rate_bill_at_input_and_the_row_says_so() -> None:
    # Before gpt-5.6 OpenAI charged no write premium: 1,000 writes at gpt-4o-mini's $0.15.
    usage = Usage(prompt_tokens=1_000, cache_write_tokens=1_000)
    result = compute_cost(entry("gpt-4o-mini"), usage, called_at=DAY)
    assert result.total == D("0.00015") and result.rate_snapshot["cache_write"] == "0.15"
    plain = compute_cost(entry("gpt-4o-mini"), Usage(prompt_tokens=1_000), called_at=DAY)
    assert "cache_write" not in plain.rate_snapshot  # rows of calls without writes stay as they were


@pytest.mark.parametrize(
    ("sent", "priced_as"),
    [
        ("gpt-4o-2024-08-06", "openai:gpt-4o"),
        ("gpt-5-2025-08-07", "openai:gpt-5"),
        ("claude-haiku-4-5", "anthropic:claude-haiku-4-5-20251001"),
        ("gemini-flash-latest", "google:gemini-3.8-flash"),
        ("ollama:llama3.2:latest", "ollama:llama3.2"),
    ],
)
def test_aliases_route_under_the_sent_name_and_price_as_their_entry(sent: str, priced_as: str) -> None:
    route = resolve(sent, bundled_models(include_retired=True, price_history=True))
    assert route.model_name == sent.removeprefix("ollama:")
    result = compute_cost(route.model, Usage(prompt_tokens=10, completion_tokens=10), called_at=DAY)
    assert result.priced_as == priced_as
    assert result.total is not None


def test_every_name_and_alias_in_the_registry_prices() -> None:
    models = bundled_models(include_retired=True, price_history=True)
    for model in models:
        for name in (model.model_name, *model.aliases):
            route = resolve(f"{model.provider}:{name}", models)
            assert route.model is model, name
            result = compute_cost(route.model, Usage(prompt_tokens=100, completion_tokens=100), called_at=DAY)
            assert result.total is not None and result.priced_as == model.key, name
