"""The price-map converters on small hand-written fixtures in each map's real shape.

LiteLLM: a JSON object of key -> spec, prices per token. genai-prices: its public ``data.json``
(a list of providers with match clauses and prices per million tokens, possibly dated), and the
``data.py`` its wheel ships.
"""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmring.errors import RegistryError
from llmring.price_maps import (
    MapModel,
    convert_genai_prices,
    convert_litellm,
    json_number,
    matches,
    prices_at,
    read_genai_prices,
    read_litellm,
)
from llmring.price_maps.files import data_module_to_json
from llmring.price_maps.merge import entry_json, updated_entry
from llmring.registry import RegistryEntry

D = Decimal

LITELLM: dict[str, Any] = {
    "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of ...", "mode": "one of ..."},
    "gpt-x": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 4e-06,
        "output_cost_per_token": 2e-05,
        "cache_read_input_token_cost": 4e-07,
        "cache_creation_input_token_cost": 5e-06,
        "cache_creation_input_token_cost_above_12hr": 1e-05,
        "input_cost_per_token_above_272k_tokens": 8e-06,
        "output_cost_per_token_above_272k_tokens": 3e-05,
        "cache_read_input_token_cost_above_272k_tokens": 8e-07,
        "input_cost_per_token_batches": 2e-06,
        "input_cost_per_token_priority": 8e-06,
        "max_input_tokens": 922000,
        "max_output_tokens": 128000,
        "supports_reasoning": True,
        "supports_none_reasoning_effort": True,
        "supports_minimal_reasoning_effort": False,
        "supports_xhigh_reasoning_effort": True,
        "supports_native_structured_output": True,
        "supports_vision": True,
        "supported_endpoints": ["/v1/chat/completions", "/v1/responses"],
        "deprecation_date": "2027-01-14",
        "successor_model": "gpt-y",
        "source": "https://developers.openai.com/api/docs/pricing",
        "some_field_from_the_future": {"nested": [1, 2]},
    },
    "gpt-x-2026-01-01": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 4e-06,
        "output_cost_per_token": 2e-05,
        "cache_read_input_token_cost": 4e-07,
        "cache_creation_input_token_cost": 5e-06,
        "cache_creation_input_token_cost_above_12hr": 1e-05,
        "input_cost_per_token_above_272k_tokens": 8e-06,
        "output_cost_per_token_above_272k_tokens": 3e-05,
        "max_input_tokens": 922000,
        "max_output_tokens": 128000,
        "supports_reasoning": True,
        "supports_vision": False,
        "deprecation_date": "2027-01-14",
        "successor_model": "gpt-y",
    },
    "gpt-x-2025-05-13": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 5e-06,
        "output_cost_per_token": 1.5e-05,
    },
    "gpt-x-pro": {
        "litellm_provider": "openai",
        "mode": "responses",
        "input_cost_per_token": 3e-05,
        "output_cost_per_token": 0.00018,
        "supports_reasoning": True,
        "reasoning_effort_levels": ["high", "medium"],
    },
    "gpt-broken": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": "cheap",
        "output_cost_per_token": -1,
        "cache_read_input_token_cost": True,
        "max_input_tokens": 12.5,
        "deprecation_date": "soon",
    },
    "text-embedding-x": {"litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 1e-08},
    "gpt-x-audio-preview": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06},
    "ft:gpt-x": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06},
    "not-a-dict": [1, 2, 3],
    "claude-z": {
        "litellm_provider": "anthropic",
        "mode": "chat",
        "input_cost_per_token": 5e-06,
        "output_cost_per_token": 2.5e-05,
        "cache_read_input_token_cost": 5e-07,
        "cache_creation_input_token_cost": 6.25e-06,
        "cache_creation_input_token_cost_above_1hr": 1e-05,
        "max_input_tokens": 1000000,
        "max_output_tokens": 128000,
        "supports_reasoning": True,
        "supports_adaptive_thinking": True,
        "supports_legacy_thinking": True,
        "supports_max_reasoning_effort": True,
        "supports_native_structured_output": True,
        "supports_sampling_params": False,
        "prompt_cache_min_tokens": 4096.0,
    },
    "claude-old": {
        "litellm_provider": "anthropic",
        "mode": "chat",
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
        "max_output_tokens": 64000,
        "supports_reasoning": True,
        "thinking_always_on": True,
    },
    "gemini/gemini-9-flash": {
        "litellm_provider": "gemini",
        "mode": "chat",
        "input_cost_per_token": 3e-07,
        "output_cost_per_token": 2.5e-06,
        "output_cost_per_reasoning_token": 2.5e-06,
        "input_cost_per_audio_token": 1e-06,
        "cache_read_input_audio_token_cost": 1e-07,
        "max_input_tokens": 1048576,
        "supports_response_schema": True,
        "successor_model": "gemini/gemini-10-flash",
    },
    "gemini/gemini-omni": {
        "litellm_provider": "gemini",
        "mode": "chat",
        "input_cost_per_token": 1e-06,
        "supported_endpoints": ["/v1beta/interactions"],
    },
    "vertex_ai/gemini-9-flash": {"litellm_provider": "vertex_ai-language-models", "mode": "chat"},
    "ollama/llama9": {"litellm_provider": "ollama", "mode": "chat", "input_cost_per_token": 0.0},
}


@pytest.fixture(scope="module")
def litellm() -> dict[str, MapModel]:
    converted = convert_litellm(LITELLM)
    return {f"{m.provider}:{m.model_name}": m for m in converted.models}


def test_litellm_keeps_chat_models_of_the_four_providers(litellm: dict[str, MapModel]) -> None:
    assert sorted(litellm) == [
        "anthropic:claude-old",
        "anthropic:claude-z",
        "google:gemini-9-flash",
        "ollama:llama9",
        "openai:gpt-broken",
        "openai:gpt-x",
        "openai:gpt-x-2025-05-13",  # a dated key priced differently stays its own model
        "openai:gpt-x-pro",
    ]


def test_litellm_prices_per_million_as_exact_decimals(litellm: dict[str, MapModel]) -> None:
    fields = litellm["openai:gpt-x"].fields
    assert {k: v for k, v in fields.items() if k.startswith("dollars_")} == {
        "dollars_per_million_tokens_input": D(4),
        "dollars_per_million_tokens_output": D(20),
        "dollars_per_million_tokens_cached_input": D("0.4"),
        "dollars_per_million_tokens_cache_write": D(5),
        "dollars_per_million_tokens_cache_write_12h": D(10),
        "dollars_per_million_tokens_input_long_context": D(8),
        "dollars_per_million_tokens_output_long_context": D(30),
    }
    assert fields["long_context_threshold_tokens"] == 272_000
    assert str(fields["dollars_per_million_tokens_cached_input"]) == "0.4"  # not 0.39999999999999997


def test_litellm_capabilities_and_lifecycle(litellm: dict[str, MapModel]) -> None:
    gpt = litellm["openai:gpt-x"]
    assert gpt.fields["reasoning_control"] == "effort"
    assert gpt.fields["reasoning_levels"] == ["none", "low", "medium", "high", "xhigh"]
    assert (gpt.fields["supports_temperature"], gpt.fields["responses_only"]) == (False, False)
    assert gpt.fields["supports_structured_output"] is True
    assert (gpt.fields["max_context"], gpt.fields["max_output_tokens"]) == (922_000, 128_000)
    assert (gpt.fields["inactive_from"], gpt.fields["successor"]) == ("2027-01-14", "gpt-y")
    assert gpt.fields["source"] == "https://developers.openai.com/api/docs/pricing"
    pro = litellm["openai:gpt-x-pro"].fields
    assert pro["responses_only"] is True and pro["reasoning_levels"] == ["medium", "high"]
    claude = litellm["anthropic:claude-z"].fields
    assert claude["dollars_per_million_tokens_cache_write_5m"] == D("6.25")
    assert claude["dollars_per_million_tokens_cache_write_1h"] == D(10)
    assert (claude["reasoning_control"], claude["reasoning_levels"]) == (
        "adaptive",
        ["none", "low", "medium", "high", "max"],
    )
    assert (claude["reasoning_budget_min"], claude["reasoning_budget_max"]) == (1024, 127999)
    assert (claude["prompt_cache_min_tokens"], claude["supports_temperature"], claude["supports_json_mode"]) == (
        4096, False, True,
    )  # fmt: skip
    old = litellm["anthropic:claude-old"].fields
    assert (old["reasoning_control"], old["reasoning_levels"]) == ("budget", ["none", "low", "medium", "high"])
    gemini = litellm["google:gemini-9-flash"].fields
    assert "dollars_per_million_tokens_reasoning" not in gemini  # the same as output: nothing to bill apart
    assert gemini["dollars_per_million_tokens_input_audio"] == D(1)
    assert gemini["dollars_per_million_tokens_cached_input_audio"] == D("0.1")
    assert gemini["successor"] == "gemini-10-flash" and gemini["supports_structured_output"] is True


def test_litellm_folds_an_identical_dated_key_into_an_alias_and_reports_flag_drift() -> None:
    converted = convert_litellm(LITELLM)
    gpt = next(m for m in converted.models if m.model_name == "gpt-x")
    assert gpt.aliases == ["gpt-x-2026-01-01"]
    assert any("gpt-x-2026-01-01: supports_vision is False but 'gpt-x' says True" in p for p in converted.problems)


def test_litellm_bad_values_are_reported_one_line_each_and_skipped() -> None:
    converted = convert_litellm(LITELLM)
    broken = next(m for m in converted.models if m.model_name == "gpt-broken")
    assert not any(k.startswith("dollars_") for k in broken.fields)
    assert "max_context" not in broken.fields and "inactive_from" not in broken.fields
    lines = [p for p in converted.problems if p.startswith("litellm gpt-broken: ")]
    assert len(lines) == 5 and all("\n" not in line for line in lines)
    assert any("input_cost_per_token: not a number ('cheap')" in line for line in lines)
    assert any("output_cost_per_token: not a price (-1)" in line for line in lines)
    assert any("not a whole number of tokens (12.5)" in line for line in lines)


@pytest.mark.parametrize("data", [[], "text", None, {"gpt": "not a spec"}, {"gpt": {"mode": "chat"}}])
def test_litellm_never_crashes_on_a_strange_file(data: Any) -> None:
    converted = convert_litellm(data)
    assert converted.models == []


GENAI: list[Any] = [
    {
        "id": "google",
        "name": "Google",
        "api_pattern": "https://generativelanguage\\.googleapis\\.com",
        "models": [
            {
                "id": "gemini-9-flash",
                "name": "Gemini 9 Flash",
                "description": "A fast model.",
                "match": {"or": [{"starts_with": "gemini-9-flash"}, {"equals": "gemini-flash-latest"}]},
                "context_window": 1000000,
                "price_comments": "Introductory rates apply through 2026-12-31.",
                "prices": [
                    {"prices": {"input_mtok": 0.75, "cache_read_mtok": 0.075, "output_mtok": 3.75,
                                "web_searches_kcount": 14}},
                    {"constraint": {"start_date": "2027-01-01"},
                     "prices": {"input_mtok": 1.5, "cache_read_mtok": 0.15, "output_mtok": 7.5}},
                ],
                "price_variants": [{"when": {"processing": "batch"}, "prices": {"input_mtok": 0.375}}],
            },
            {
                "id": "gemini-9-pro",
                "match": {"and": [{"starts_with": "gemini-9-pro"}, {"regex": "^(?!.*-tts)"}]},
                "prices": {
                    "input_mtok": {"base": 2, "tiers": [{"start": 200000, "price": 4}]},
                    "output_mtok": {"base": 12, "tiers": [{"start": 200000, "price": 18}]},
                    "cache_read_mtok": {"base": 0.2, "tiers": [{"start": 200000, "price": 0.4}]},
                    "input_audio_mtok": 3,
                    "cache_audio_read_mtok": 0.3,
                },
                "deprecated": True,
            },
            {"id": "claude-on-vertex", "match": {"contains": "claude"}, "prices": {"input_mtok": 3}},
            {"id": "gemini-night", "match": {"equals": "gemini-night"}, "prices": [
                {"prices": {"input_mtok": 1}},
                {"constraint": {"start_time": "20:00:00", "end_time": "06:00:00"}, "prices": {"input_mtok": 0.5}},
            ]},
            {"id": "bad-regex", "match": {"regex": "(unclosed"}, "prices": {"input_mtok": 1}},
            {"id": "bad-price", "match": {"equals": "bad-price"}, "prices": {"input_mtok": "free", "output_mtok": -2}},
            {"id": "bad-tiers", "match": {"equals": "bad-tiers"}, "prices": {
                "input_mtok": {"base": 1, "tiers": [{"start": 1000, "price": 2}, {"start": 5000, "price": 3}]},
                "cache_read_mtok": {"base": 0.1, "tiers": [{"start": 1000, "price": 0.5}]},
            }},
            "not-a-model",
            {"match": {"equals": "no-id"}},
        ],
    },
    {
        "id": "anthropic",
        "name": "Anthropic",
        "models": [
            {
                "id": "claude-z",
                "match": {"or": [
                    {"equals": "claude-z"}, {"regex": "^claude-z-\\d{8}$"}, {"equals": "claude-z-latest"},
                ]},
                "prices": {"input_mtok": 5, "cache_write_mtok": 6.25, "cache_write_1h_mtok": 10, "output_mtok": 25},
            }
        ],
    },
    {"id": "openai", "models": [{"id": "gpt-x", "match": {"equals": "gpt-x"}, "prices": {"cache_write_mtok": 5}}]},
    {"id": "groq", "models": [{"id": "llama", "match": {"equals": "llama"}, "prices": {"input_mtok": 0.1}}]},
    "not-a-provider",
]  # fmt: skip


@pytest.fixture(scope="module")
def genai() -> dict[str, MapModel]:
    return {m.model_name: m for m in convert_genai_prices(GENAI).models}


def test_genai_prices_converts_its_three_providers(genai: dict[str, MapModel]) -> None:
    assert sorted(genai) == [
        "bad-price",
        "bad-tiers",
        "claude-z",
        "gemini-9-flash",
        "gemini-9-pro",
        "gemini-night",
        "gpt-x",
    ]
    assert genai["claude-z"].provider == "anthropic" and genai["gpt-x"].provider == "openai"


def test_genai_prices_dated_prices_become_periods(genai: dict[str, MapModel]) -> None:
    flash = genai["gemini-9-flash"]
    assert flash.fields["dollars_per_million_tokens_input"] == D("0.75")
    assert flash.fields["price_periods"] == [
        {
            "from": "2027-01-01",
            "dollars_per_million_tokens_input": D("1.5"),
            "dollars_per_million_tokens_output": D("7.5"),
            "dollars_per_million_tokens_cached_input": D("0.15"),
        }
    ]
    assert prices_at(flash.fields, "2026-12-31")["dollars_per_million_tokens_output"] == D("3.75")
    assert prices_at(flash.fields, "2027-01-01")["dollars_per_million_tokens_output"] == D("7.5")
    assert (flash.fields["display_name"], flash.fields["description"], flash.fields["max_context"]) == (
        "Gemini 9 Flash", "A fast model.", 1_000_000,
    )  # fmt: skip
    assert flash.aliases == ["gemini-flash-latest"] and "2026-12-31" in (flash.comments or "")


def test_genai_prices_tiers_become_the_long_context_fields(genai: dict[str, MapModel]) -> None:
    pro = genai["gemini-9-pro"].fields
    assert pro["long_context_threshold_tokens"] == 200_000
    assert pro["dollars_per_million_tokens_input_long_context"] == D(4)
    assert pro["dollars_per_million_tokens_output_long_context"] == D(18)
    assert pro["dollars_per_million_tokens_cached_input"] == D("0.2")  # its tier is the input factor: implied
    assert (pro["dollars_per_million_tokens_input_audio"], pro["dollars_per_million_tokens_cached_input_audio"]) == (
        D(3),
        D("0.3"),
    )
    assert genai["gemini-9-pro"].deprecated is True


def test_genai_prices_cache_writes_per_provider(genai: dict[str, MapModel]) -> None:
    claude = genai["claude-z"]
    assert claude.fields["dollars_per_million_tokens_cache_write_5m"] == D("6.25")  # Anthropic's default TTL
    assert claude.fields["dollars_per_million_tokens_cache_write_1h"] == D(10)
    assert genai["gpt-x"].fields["dollars_per_million_tokens_cache_write"] == D(5)  # OpenAI's
    assert claude.aliases == ["claude-z-latest"]


def test_genai_prices_problems_are_one_line_each() -> None:
    problems = convert_genai_prices(GENAI).problems
    expected = [
        "genai-prices google/gemini-night: prices[1]: a time-of-day price is not an llmring dimension; ignored",
        "genai-prices google/bad-regex: match: bad regex '(unclosed'",
        "genai-prices google/bad-price: input_mtok: not a number ('free'); ignored",
        "genai-prices google/bad-price: output_mtok: not a price (-2); ignored",
        "genai-prices google/bad-tiers: input_mtok: 2 tiers; only the first is kept",
        "genai-prices google/bad-tiers: dollars_per_million_tokens_cached_input above 1000 is 0.5",
        "genai-prices google/?: a model without an id; skipped",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in problems), line
    assert all("\n" not in p for p in problems)


@pytest.mark.parametrize("data", [{}, "text", None, [{"id": "google", "models": "nope"}], [{"id": "google"}]])
def test_genai_prices_never_crashes_on_a_strange_file(data: Any) -> None:
    assert convert_genai_prices(data).models == []


@pytest.mark.parametrize(
    ("clause", "name", "expected"),
    [
        ({"equals": "GPT-4o"}, "gpt-4o", True),
        ({"starts_with": "claude-opus-4-6"}, "Claude-Opus-4-6-20260205", True),
        ({"ends_with": "-flash"}, "gemini-3.6-flash", True),
        ({"contains": "haiku"}, "claude-3-5-haiku-latest", True),
        ({"regex": "^o[134]"}, "o3-mini", True),
        ({"or": [{"equals": "a"}, {"equals": "b"}]}, "b", True),
        ({"and": [{"starts_with": "gemini-2.5-pro"}, {"regex": "^(?!.*-tts)"}]}, "gemini-2.5-pro-preview-tts", False),
        ({"and": [{"starts_with": "gemini-2.5-pro"}, {"regex": "^(?!.*-tts)"}]}, "gemini-2.5-pro", True),
    ],
)
def test_match_clauses(clause: dict[str, Any], name: str, expected: bool) -> None:
    assert matches(clause, name) is expected


@pytest.mark.parametrize("clause", [{"frobnicate": "x"}, {"or": []}, {"equals": 3}, "gpt", {"a": 1, "b": 2}])
def test_unreadable_match_clauses_raise_a_value_error(clause: Any) -> None:
    with pytest.raises(ValueError):
        matches(clause, "gpt-4o")


# -- reading the maps from disk -------------------------------------------------------------------

DATA_PY = '''
"""DO NOT EDIT"""
import datetime
from decimal import Decimal
from .types import *

providers: list[Provider] = [
    Provider(
        id='google',
        name='Google',
        api_pattern='x',
        models=[
            ModelInfo(
                id='gemini-9-flash',
                match=ClauseOr(or_=[ClauseStartsWith(starts_with='gemini-9-flash'), ClauseEquals(equals='g9')]),
                prices=[
                    ConditionalPrice(prices=ModelPrice(input_mtok=Decimal('0.75'), output_mtok=Decimal('3.75'))),
                    ConditionalPrice(
                        constraint=StartDateConstraint(start_date=datetime.date(2027, 1, 1)),
                        prices=ModelPrice(input_mtok=Decimal('1.5'), output_mtok=Decimal('7.5')),
                    ),
                ],
            ),
        ],
    ),
]
'''


def test_genai_prices_data_py_reads_as_its_json_without_running_it() -> None:
    data = data_module_to_json(DATA_PY)
    model = data[0]["models"][0]
    assert model["match"] == {"or": [{"starts_with": "gemini-9-flash"}, {"equals": "g9"}]}
    assert model["prices"][1] == {
        "constraint": {"start_date": "2027-01-01"},
        "prices": {"input_mtok": D("1.5"), "output_mtok": D("7.5")},
    }
    (converted,) = convert_genai_prices(data).models
    assert converted.fields["price_periods"][0]["from"] == "2027-01-01"


def _wheel(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in members.items():
            wheel.writestr(name, text)
    return path


def test_maps_read_from_json_files_and_wheels(tmp_path: Path) -> None:
    litellm_json = tmp_path / "prices.json"
    litellm_json.write_text(json.dumps(LITELLM))
    assert convert_litellm(read_litellm(litellm_json)).models
    member = "litellm/model_prices_and_context_window_backup.json"
    wheel = _wheel(tmp_path / "litellm-9.9.9-py3-none-any.whl", {member: json.dumps(LITELLM)})
    from_wheel = convert_litellm(read_litellm(wheel))
    assert [m.model_name for m in from_wheel.models] == [m.model_name for m in convert_litellm(LITELLM).models]
    genai_json = tmp_path / "data.json"
    genai_json.write_text(json.dumps(GENAI))
    assert convert_genai_prices(read_genai_prices(genai_json)).models
    genai_wheel = _wheel(tmp_path / "genai_prices-9.9.9-py3-none-any.whl", {"genai_prices/data.py": DATA_PY})
    assert [m.model_name for m in convert_genai_prices(read_genai_prices(genai_wheel)).models] == ["gemini-9-flash"]
    data_py = tmp_path / "data.py"
    data_py.write_text(DATA_PY)
    assert read_genai_prices(data_py) == read_genai_prices(genai_wheel)


@pytest.mark.parametrize(
    ("name", "content", "reader", "says"),
    [
        ("prices.json", "{not json", read_litellm, "the price map is not valid JSON"),
        ("litellm-1.0-py3-none-any.whl", None, read_litellm, "no price map inside this wheel"),
        ("broken-1.0-py3-none-any.whl", "not a zip", read_litellm, "cannot read the wheel"),
        ("absent.json", "", read_genai_prices, "cannot read the price map"),
        ("data.py", "providers = [", read_genai_prices, "not Python"),
        ("data.py", "other = []", read_genai_prices, "no 'providers = [...]' list found"),
        ("data.py", "providers: list = [Decimal('1', 2)]", read_genai_prices, "unexpected positional arguments"),
        ("data.py", "providers: list = [f(x=lambda: 1)]", read_genai_prices, "cannot read Lambda"),
    ],
)
def test_an_unreadable_map_is_one_clear_error(
    tmp_path: Path, name: str, content: str | None, reader: Any, says: str
) -> None:
    path = tmp_path / name
    if name.endswith(".whl") and content is None:
        _wheel(path, {"other.txt": "x"})
    elif content is not None and name != "absent.json":
        path.write_text(content)
    with pytest.raises(RegistryError) as caught:
        reader(path)
    assert says in str(caught.value) and str(path) in str(caught.value) and "\n" not in str(caught.value)


# -- entries --------------------------------------------------------------------------------------


def test_updated_entry_lays_map_facts_over_a_curated_entry(litellm: dict[str, MapModel]) -> None:
    existing = {
        "model_name": "gpt-x",
        "display_name": "GPT-X",
        "description": "Curated words.",
        "aliases": ["gpt-x-latest"],
        "max_context": 1_050_000,  # the window; LiteLLM states only the 922k input share
        "dollars_per_million_tokens_input": 5,
        "dollars_per_million_tokens_output": 30,
        "price_periods": [{"from": "2026-08-21", "dollars_per_million_tokens_input": 4.5}],
        "source": "https://example.com",
        "as_of": "2026-01-01",
    }
    entry = updated_entry(existing, litellm["openai:gpt-x"], as_of="2026-12-04", source="https://fallback")
    RegistryEntry.model_validate(entry)
    assert (entry["display_name"], entry["description"], entry["max_context"]) == ("GPT-X", "Curated words.", 1_050_000)
    assert entry["aliases"] == ["gpt-x-2026-01-01", "gpt-x-latest"]
    # Today's input price lands in the period in force today; the history before it stays.
    assert entry["dollars_per_million_tokens_input"] == 5
    assert entry["price_periods"] == [{"from": "2026-08-21", "dollars_per_million_tokens_input": 4}]
    assert entry["dollars_per_million_tokens_output"] == 20  # no period sets it: the top level
    assert (entry["as_of"], entry["inactive_from"]) == ("2026-12-04", "2027-01-14")
    assert entry["source"] == "https://developers.openai.com/api/docs/pricing"  # the page the map cites


def test_updated_entry_builds_a_new_entry_from_a_map_alone(genai: dict[str, MapModel]) -> None:
    entry = updated_entry(None, genai["gemini-9-flash"], as_of="2026-12-04", source="https://ai.google.dev/pricing")
    parsed = RegistryEntry.model_validate(entry)
    assert parsed.display_name == "Gemini 9 Flash" and parsed.aliases == ["gemini-flash-latest"]
    assert parsed.price_periods[0].start == "2027-01-01" and parsed.source == "https://ai.google.dev/pricing"


def test_entry_json_writes_numbers_and_every_flag_in_file_order() -> None:
    entry = entry_json({"as_of": "2026-12-04", "model_name": "m", "dollars_per_million_tokens_input": D("0.0750"),
                        "display_name": "M", "dollars_per_million_tokens_output": D(4), "source": "https://x",
                        "aliases": [], "note": None})  # fmt: skip
    assert list(entry)[:3] == ["model_name", "display_name", "supports_vision"]
    assert entry["dollars_per_million_tokens_input"] == 0.075 and isinstance(
        entry["dollars_per_million_tokens_output"], int
    )
    assert "aliases" not in entry and "note" not in entry and entry["supports_streaming"] is True
    assert json_number(D("1E+1")) == 10 and json_number(D("0.125")) == 0.125
