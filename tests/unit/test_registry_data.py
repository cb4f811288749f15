"""What the bundled registry holds: its invariants, the audit's verdicts, names, dated prices.

The clock is frozen at 2026-12-04 (the day the registry was checked) wherever "active" matters,
so these tests do not change their minds as models retire.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from llmring import schemas
from llmring.registry import PRICE_FIELDS, REASONING_LEVELS, alias_index, load_registry, read_file
from llmring.schemas import PROVIDERS, LLMModel

REGISTRY_DIR = Path(__file__).resolve().parents[2] / "registry_json"
CHECKED_ON = datetime(2026, 12, 4, 12, tzinfo=UTC)

# Every entry of the registry before the rebuild: each still names a model (as an entry or alias).
BEFORE_REBUILD = {
    "openai": """gpt-4o gpt-4o-mini gpt-4.1 gpt-4.1-mini gpt-4.1-nano o1 o1-mini o3 o3-mini o4-mini gpt-5
                 gpt-5-mini gpt-5-nano gpt-5.1""",
    "anthropic": """claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-7-sonnet-20250219
                    claude-sonnet-4-20250514 claude-sonnet-4-5-20250929 claude-opus-4-20250514
                    claude-opus-4-1-20250805 claude-haiku-4-5-20251001 claude-opus-4-5-20251101""",
    "google": """gemini-1.5-flash gemini-1.5-pro gemini-2.0-flash gemini-2.0-flash-lite gemini-2.5-flash
                 gemini-2.5-flash-lite gemini-2.5-pro gemini-3-pro-preview""",
    "ollama": "llama3.1 llama3.2 llama3.2-vision llama3.3 qwen2.5 qwen3 mistral gemma3 phi4 deepseek-r1 gpt-oss llava",
}
# The entries that had retired upstream by 2026-12-04 (audit §2a).
RETIRED_BY_THE_AUDIT = {
    "openai": "gpt-4.1-nano o1 o1-mini o3-mini o4-mini",
    "anthropic": """claude-3-5-haiku-20241022 claude-3-7-sonnet-20250219 claude-sonnet-4-20250514
                    claude-opus-4-20250514 claude-opus-4-1-20250805 claude-sonnet-4-5-20250929""",
    "google": """gemini-1.5-flash gemini-1.5-pro gemini-2.0-flash gemini-2.0-flash-lite gemini-3-pro-preview
                 gemini-2.5-flash gemini-2.5-pro""",
}


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemas, "utc_now", lambda: CHECKED_ON)


@pytest.fixture(scope="module")
def everything() -> dict[str, LLMModel]:
    """Every bundled entry, retired ones too, with base prices and price periods."""
    registry = load_registry(REGISTRY_DIR, include_retired=True, price_history=True)
    return {m.key: m for ms in registry.values() for m in ms}


@pytest.fixture(scope="module")
def index(everything: dict[str, LLMModel]) -> dict[tuple[str, str], LLMModel]:
    return alias_index(everything.values())


def today(model: LLMModel) -> LLMModel:
    return model.priced_at(CHECKED_ON)


def rate(model: LLMModel, field: str, when: datetime = CHECKED_ON) -> Decimal | None:
    value = getattr(model.priced_at(when), f"dollars_per_million_tokens_{field}")
    assert value is None or isinstance(value, Decimal)
    return value


# -- files ----------------------------------------------------------------------------------------


def test_one_file_per_provider_each_versioned_and_dated() -> None:
    assert sorted(p.name for p in REGISTRY_DIR.glob("*.json")) == sorted(f"{p}.json" for p in PROVIDERS)
    for provider in PROVIDERS:
        parsed = read_file(REGISTRY_DIR / f"{provider}.json")
        assert parsed.version >= 1 and parsed.updated is not None
        assert date.fromisoformat(parsed.updated) <= date.today()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_files_are_tidy_two_space_json(provider: str) -> None:
    text = (REGISTRY_DIR / f"{provider}.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


# -- invariants -----------------------------------------------------------------------------------


def test_every_entry_has_a_source_a_checked_date_and_texts(everything: dict[str, LLMModel]) -> None:
    for model in everything.values():
        assert model.source and model.source.startswith("https://"), model.key
        assert model.as_of and date.fromisoformat(model.as_of) <= date.today(), model.key
        assert model.display_name and model.description, model.key
        # A context window is known, or the entry says why not.
        assert model.max_context or "context window" in (model.note or ""), model.key


def test_every_active_model_is_priced_and_ollama_cloud_is_not_assumed_free(
    frozen: None, everything: dict[str, LLMModel]
) -> None:
    active = [today(m) for m in everything.values() if m.is_active]
    assert len(active) >= 80
    for model in active:
        priced = (model.dollars_per_million_tokens_input, model.dollars_per_million_tokens_output)
        if model.provider == "ollama" and model.model_name.endswith("-cloud"):
            assert priced == (None, None), model.key  # billed by subscription: unpriced, never free
        elif model.provider == "ollama":
            assert priced == (Decimal(0), Decimal(0)), model.key
        else:
            assert None not in priced and min(priced) > 0, model.key  # type: ignore[type-var]


def test_every_price_is_an_exact_non_negative_decimal(everything: dict[str, LLMModel]) -> None:
    for model in everything.values():
        for priced in (model, *(model.priced_at(datetime.fromisoformat(p["from"])) for p in model.price_periods)):
            for name in PRICE_FIELDS:
                value = getattr(priced, name)
                assert value is None or (isinstance(value, Decimal) and value >= 0), (model.key, name)


def test_every_retired_model_has_a_successor_that_leads_to_an_active_one(
    frozen: None, everything: dict[str, LLMModel]
) -> None:
    retired = {m.key for m in everything.values() if not m.is_active}
    audited = {f"{p}:{n}" for p, names in RETIRED_BY_THE_AUDIT.items() for n in names.split()}
    assert len(audited) == 18 and audited <= retired  # 19 with claude-3-5-haiku-latest, now an alias
    for key in retired:
        model, hops = everything[key], 0
        while not model.is_active:
            assert model.successor is not None, model.key
            model, hops = everything[f"{model.provider}:{model.successor}"], hops + 1
            assert hops < 5, key


def test_names_and_aliases_are_unique_across_every_provider(everything: dict[str, LLMModel]) -> None:
    # A bare name must route to exactly one model.
    names = [name for m in everything.values() for name in (m.model_name, *m.aliases)]
    assert len(names) == len(set(names))
    assert sum(len(m.aliases) for m in everything.values()) >= 40


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_name_the_registry_had_still_resolves(provider: str, index: dict[tuple[str, str], LLMModel]) -> None:
    missing = [n for n in BEFORE_REBUILD[provider].split() if (provider, n) not in index]
    assert missing == []


@pytest.mark.parametrize(
    ("provider", "name", "entry"),
    [
        ("openai", "gpt-4o-2024-08-06", "gpt-4o"),
        ("openai", "gpt-4o-2024-11-20", "gpt-4o"),
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai", "gpt-4.1-2025-04-14", "gpt-4.1"),
        ("openai", "o3-2025-04-16", "o3"),
        ("openai", "gpt-5-2025-08-07", "gpt-5"),
        ("openai", "gpt-5.1-2025-11-13", "gpt-5.1"),
        ("openai", "gpt-5.6", "gpt-5.6-sol"),
        ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001"),
        ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
        ("anthropic", "claude-opus-4-5", "claude-opus-4-5-20251101"),
        ("anthropic", "claude-opus-4-6-20260205", "claude-opus-4-6"),
        ("anthropic", "claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"),
        ("google", "gemini-flash-latest", "gemini-3.8-flash"),
        ("google", "gemini-flash-lite-latest", "gemini-3.5-flash-lite"),
        ("google", "gemini-pro-latest", "gemini-3.1-pro-preview"),
        ("google", "gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"),
    ],
)
def test_dated_snapshots_and_aliases_resolve_and_price(
    provider: str, name: str, entry: str, index: dict[tuple[str, str], LLMModel]
) -> None:
    model = index[(provider, name)]
    assert model.model_name == entry
    assert rate(model, "input") is not None and rate(model, "output") is not None


# -- prices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "field", "expected"),
    [
        ("openai:gpt-4o-mini", "input", "0.15"),
        ("openai:gpt-4o-mini", "cached_input", "0.075"),
        ("openai:gpt-4o", "cached_input", "1.25"),
        ("openai:gpt-4.1-nano", "cached_input", "0.025"),
        ("openai:o3", "input", "2"),
        ("openai:gpt-5", "output", "10"),
        ("openai:gpt-5-nano", "cached_input", "0.005"),
        ("openai:gpt-5.2", "input", "1.75"),
        ("openai:gpt-5.4", "input_long_context", "5"),
        ("openai:gpt-6-luna", "output", "0.5"),
        ("anthropic:claude-3-5-haiku-20241022", "input", "0.8"),
        ("anthropic:claude-3-5-haiku-20241022", "cache_write_1h", "1.6"),
        ("anthropic:claude-sonnet-4-20250514", "cache_write_5m", "3.75"),
        ("anthropic:claude-opus-4-1-20250805", "cache_write_5m", "18.75"),
        ("anthropic:claude-haiku-4-5-20251001", "cached_input", "0.1"),
        ("anthropic:claude-opus-5-5", "cached_input", "0.2"),
        ("anthropic:claude-sonnet-5-5", "output", "10"),
        ("anthropic:claude-haiku-5-5", "output_long_context", "2.5"),
        ("google:gemini-1.5-flash", "cached_input", "0.01875"),
        ("google:gemini-1.5-pro", "input", "1.25"),
        ("google:gemini-2.0-flash", "input", "0.1"),
        ("google:gemini-2.5-flash", "output", "2.5"),
        ("google:gemini-2.5-flash", "input_audio", "1"),
        ("google:gemini-2.5-pro", "cached_input", "0.125"),
        ("google:gemini-3.1-pro-preview", "output_long_context", "18"),
    ],
)
def test_prices_on_the_checked_day(everything: dict[str, LLMModel], key: str, field: str, expected: str) -> None:
    assert rate(everything[key], field) == Decimal(expected)


@pytest.mark.parametrize("flash", ["gemini-3.6-flash", "gemini-3.7-flash", "gemini-3.8-flash"])
def test_gemini_flash_introductory_prices_end_on_new_years_day(everything: dict[str, LLMModel], flash: str) -> None:
    model = everything[f"google:{flash}"]
    last_intro = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    first_new = datetime(2027, 1, 1, tzinfo=UTC)
    assert (rate(model, "input", last_intro), rate(model, "output", last_intro)) == (Decimal("0.75"), Decimal("3.75"))
    assert (rate(model, "input", first_new), rate(model, "output", first_new)) == (Decimal("1.5"), Decimal("7.5"))
    assert rate(model, "cached_input", first_new) == Decimal("0.15")
    assert model.priced_at(first_new).price_period == "2027-01-01"


def test_gemini_4_argon_is_priced_after_its_introductory_offer(everything: dict[str, LLMModel]) -> None:
    # LiteLLM still lists the introductory price; genai-prices dates its end (the entry says so).
    model = everything["google:gemini-4-argon"]
    assert rate(model, "input", datetime(2026, 11, 30, tzinfo=UTC)) == Decimal(2)
    assert (rate(model, "input"), rate(model, "output")) == (Decimal(4), Decimal(20))
    assert model.note and "genai-prices" in model.note and "introductory" in model.note


def test_anthropic_cache_writes_follow_the_published_multipliers(everything: dict[str, LLMModel]) -> None:
    cheap_reads = {"claude-opus-5-5": "0.05", "claude-sonnet-5-5": "0.05", "claude-fable-5-1": "0.025"}
    for model in (today(m) for m in everything.values() if m.provider == "anthropic"):
        base = model.dollars_per_million_tokens_input
        assert base is not None
        assert model.dollars_per_million_tokens_cache_write_5m == base * Decimal("1.25"), model.key
        assert model.dollars_per_million_tokens_cache_write_1h == base * 2, model.key
        read = Decimal(cheap_reads.get(model.model_name, "0.1"))
        assert model.dollars_per_million_tokens_cached_input == base * read, model.key


def test_openai_cache_writes_on_gpt_5_6_and_gpt_6(everything: dict[str, LLMModel]) -> None:
    writers = {m.key for m in everything.values() if m.dollars_per_million_tokens_cache_write is not None}
    assert writers and all(k.startswith(("openai:gpt-5.6", "openai:gpt-6")) for k in writers)
    for key in writers:
        model = today(everything[key])
        base = model.dollars_per_million_tokens_input
        assert base is not None
        assert model.dollars_per_million_tokens_cache_write == base * Decimal("1.25"), key
        twelve_hours = model.dollars_per_million_tokens_cache_write_12h
        assert twelve_hours is None or twelve_hours == base * Decimal("2.5"), key
    sol = everything["openai:gpt-5.6-sol"]
    assert (rate(sol, "cache_write"), rate(sol, "cache_write_12h")) == (Decimal(5), Decimal(10))
    # Before its 2026-08-21 price cut, at the same multiples of the old $5 input price.
    before_cut = datetime(2026, 8, 20, tzinfo=UTC)
    assert (rate(sol, "input", before_cut), rate(sol, "cache_write_12h", before_cut)) == (Decimal(5), Decimal("12.5"))


def test_sonnet_4_and_4_5_use_200k_windows_but_keep_long_context_prices(everything: dict[str, LLMModel]) -> None:
    for key in ("anthropic:claude-sonnet-4-20250514", "anthropic:claude-sonnet-4-5-20250929"):
        model = everything[key]
        assert model.max_context == 200_000, key
        assert model.long_context_threshold_tokens == 200_000, key
        assert (rate(model, "input_long_context"), rate(model, "output_long_context")) == (Decimal(6), Decimal("22.5"))


def test_long_context_tiers_are_consistent(everything: dict[str, LLMModel]) -> None:
    for model in everything.values():
        for priced in (model, *(model.priced_at(datetime.fromisoformat(p["from"])) for p in model.price_periods)):
            has_rates = priced.dollars_per_million_tokens_input_long_context is not None
            assert (priced.long_context_threshold_tokens is not None) == has_rates, model.key
            if has_rates:
                assert priced.dollars_per_million_tokens_input_long_context > priced.dollars_per_million_tokens_input  # type: ignore[operator]


# -- the audit's verdicts (shared/research/registry_audit_2026-12.md §1a) --------------------------


def test_the_audits_mismatch_verdicts_hold(everything: dict[str, LLMModel]) -> None:
    haiku = everything["anthropic:claude-3-5-haiku-20241022"]
    assert [rate(haiku, f) for f in ("input", "output", "cached_input", "cache_write_5m", "cache_write_1h")] == [
        Decimal(x) for x in ("0.8", "4", "0.08", "1", "1.6")
    ]
    pro = everything["google:gemini-1.5-pro"]
    assert (rate(pro, "input"), rate(pro, "output"), rate(pro, "input_long_context")) == (
        Decimal("1.25"), Decimal(5), Decimal("2.5"),
    )  # fmt: skip
    assert rate(pro, "cached_input") == Decimal("0.3125") and pro.max_context == 2_097_152
    assert rate(everything["google:gemini-1.5-flash"], "output") == Decimal("0.3")
    assert rate(everything["google:gemini-2.0-flash-lite"], "cached_input") is None
    assert rate(everything["openai:o3"], "input") == Decimal(2)
    assert everything["google:gemini-3-pro-preview"].max_output_tokens == 65_536
    assert everything["anthropic:claude-3-7-sonnet-20250219"].max_output_tokens == 64_000
    assert (everything["ollama:llama3.1"].max_context, everything["ollama:mistral"].max_context) == (131_072, 32_768)
    assert everything["openai:o1-mini"].supports_vision is False
    assert everything["openai:gpt-5"].max_context == 400_000  # the window counts the 128k output
    assert everything["openai:gpt-4.1"].max_context == 1_047_576  # genai-prices rounds to 1M


def test_every_claude_model_returns_json(everything: dict[str, LLMModel]) -> None:
    # llmring forces a tool for JSON on every Claude model, natively structured or not.
    claude = [m for m in everything.values() if m.provider == "anthropic"]
    assert claude and all(m.supports_json_mode for m in claude)


# -- capabilities for request controls (issue 14) -------------------------------------------------


def test_reasoning_fields_are_consistent(everything: dict[str, LLMModel]) -> None:
    for model in everything.values():
        if model.reasoning_control is not None:
            assert model.is_reasoning, model.key
        assert model.reasoning_levels == sorted(model.reasoning_levels, key=REASONING_LEVELS.index), model.key
        if model.reasoning_control == "budget":
            assert model.reasoning_budget_min and model.reasoning_budget_max, model.key
        if model.provider == "anthropic" and model.reasoning_budget_max is not None:
            assert model.max_output_tokens is not None
            assert model.reasoning_budget_max == model.max_output_tokens - 1, model.key
        if model.provider == "openai":
            assert model.supports_temperature is not model.is_reasoning, model.key


@pytest.mark.parametrize(
    ("key", "control", "levels"),
    [
        ("openai:gpt-5", "effort", ["minimal", "low", "medium", "high"]),
        ("openai:gpt-5.1", "effort", ["none", "low", "medium", "high"]),
        ("openai:gpt-5-pro", "effort", ["high"]),
        ("openai:gpt-4o", None, []),
        ("anthropic:claude-sonnet-4-5-20250929", "budget", ["none", "low", "medium", "high"]),
        ("anthropic:claude-opus-4-6", "adaptive", ["none", "low", "medium", "high", "max"]),
        ("anthropic:claude-opus-4-7", "adaptive", ["none", "low", "medium", "high", "xhigh", "max"]),
        ("anthropic:claude-sonnet-5-5", "adaptive", ["low", "medium", "high", "xhigh", "max"]),
        ("anthropic:claude-3-5-haiku-20241022", None, []),
        ("google:gemini-2.5-pro", "budget", ["low", "medium", "high"]),
        ("google:gemini-2.5-flash", "budget", ["none", "low", "medium", "high"]),
        ("google:gemini-3-pro-preview", "level", ["low", "high"]),
        ("google:gemini-3.8-flash", "level", ["low", "medium", "high"]),
        ("ollama:deepseek-r1", "think", ["none", "high"]),
        ("ollama:gpt-oss", "think", ["low", "medium", "high"]),
        ("ollama:llama3.2", None, []),
    ],
)
def test_reasoning_controls(everything: dict[str, LLMModel], key: str, control: str | None, levels: list[str]) -> None:
    model = everything[key]
    assert (model.reasoning_control, model.reasoning_levels) == (control, levels)


def test_budgets_and_cache_minimums(everything: dict[str, LLMModel]) -> None:
    flash = everything["google:gemini-2.5-flash"]
    assert (flash.reasoning_budget_min, flash.reasoning_budget_max) == (1, 24576)
    pro = everything["google:gemini-2.5-pro"]
    assert (pro.reasoning_budget_min, pro.reasoning_budget_max) == (128, 32768)
    sonnet = everything["anthropic:claude-sonnet-4-5-20250929"]
    assert (sonnet.reasoning_budget_min, sonnet.reasoning_budget_max) == (1024, 63999)
    assert everything["anthropic:claude-haiku-4-5-20251001"].prompt_cache_min_tokens == 4096
    assert everything["anthropic:claude-3-5-haiku-20241022"].prompt_cache_min_tokens == 2048
    assert everything["anthropic:claude-opus-4-7"].prompt_cache_min_tokens == 2048


def test_responses_only_and_structured_output(everything: dict[str, LLMModel]) -> None:
    only = {m.model_name for m in everything.values() if m.responses_only}
    assert {"o1", "o1-mini", "o1-pro", "o3-pro", "gpt-5-pro", "gpt-5.2-pro", "gpt-5.4-pro", "gpt-5.3-codex"} <= only
    assert all(m.provider == "openai" for m in everything.values() if m.responses_only)
    assert not {"gpt-4o", "gpt-5", "gpt-5.6-sol", "o3"} & only
    structured = {m.key for m in everything.values() if m.supports_structured_output}
    assert {"openai:gpt-4o", "anthropic:claude-sonnet-4-5-20250929", "google:gemini-2.5-flash", "ollama:llama3.2"} <= (
        structured
    )
    assert not {"openai:o1-mini", "anthropic:claude-3-5-haiku-20241022"} & structured


@pytest.mark.parametrize(
    ("name", "vision"),
    [
        ("llava", True), ("llama3.2-vision", True), ("gemma3", True), ("qwen2.5vl", True), ("llama4", True),
        ("mistral-small3.2", True), ("llama3.2", False), ("qwen3", False), ("deepseek-r1", False),
        ("gpt-oss", False), ("phi4", False),
    ],
)  # fmt: skip
def test_ollama_vision_flags(everything: dict[str, LLMModel], name: str, vision: bool) -> None:
    assert everything[f"ollama:{name}"].supports_vision is vision
