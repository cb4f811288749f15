"""The bundled model registry: what it holds, exact Decimal prices, loader errors, and the wheel."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
import pytest

from llmring.errors import RegistryError
from llmring.registry import _PRICE_FIELDS, bundled_root, load_file, load_registry
from llmring.schemas import PROVIDERS, LLMModel

REPO_ROOT = Path(__file__).resolve().parents[2]
REGISTRY_DIR = REPO_ROOT / "registry_json"

REQUIRED = {
    "openai": """gpt-4o gpt-4o-mini gpt-4.1 gpt-4.1-mini gpt-4.1-nano o1 o1-mini o3 o3-mini o4-mini
                 gpt-5 gpt-5-mini gpt-5-nano""",
    "anthropic": """claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-7-sonnet-20250219
                    claude-sonnet-4-20250514 claude-sonnet-4-5-20250929 claude-opus-4-20250514
                    claude-opus-4-1-20250805 claude-haiku-4-5-20251001""",
    "google": """gemini-1.5-flash gemini-1.5-pro gemini-2.0-flash gemini-2.0-flash-lite gemini-2.5-flash
                 gemini-2.5-flash-lite gemini-2.5-pro""",
    "ollama": "llama3.2 llama3.1 llama3.3 qwen2.5 mistral gemma3 phi4 deepseek-r1 llava",
}
# Exactly the models whose provider charges more above a prompt-size threshold.
LONG_CONTEXT = {
    "anthropic:claude-sonnet-4-20250514": (200_000, "6", "22.5"),
    "anthropic:claude-sonnet-4-5-20250929": (200_000, "6", "22.5"),
    "google:gemini-1.5-flash": (128_000, "0.15", "0.6"),
    "google:gemini-1.5-pro": (128_000, "2.5", "10"),
    "google:gemini-2.5-pro": (200_000, "2.5", "15"),
    "google:gemini-3-pro-preview": (200_000, "4", "18"),
}


@pytest.fixture(scope="module")
def models() -> dict[str, LLMModel]:
    """Every bundled model, keyed ``provider:model_name``."""
    return {m.key: m for ms in load_registry().values() for m in ms}


# -- contents -------------------------------------------------------------------------------


def test_bundled_dir_holds_one_file_per_provider() -> None:
    assert sorted(p.name for p in REGISTRY_DIR.glob("*.json")) == sorted(f"{p}.json" for p in PROVIDERS)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_bundled_file_loads(provider: str) -> None:
    loaded = load_file(REGISTRY_DIR / f"{provider}.json")
    assert len(loaded) >= 5
    assert {m.provider for m in loaded} == {provider}


def test_registry_has_every_provider_and_at_least_30_models(models: dict[str, LLMModel]) -> None:
    assert {m.provider for m in models.values()} == set(PROVIDERS)
    assert len(models) >= 30


@pytest.mark.parametrize("provider", PROVIDERS)
def test_required_models_are_present(provider: str, models: dict[str, LLMModel]) -> None:
    missing = [n for n in REQUIRED[provider].split() if f"{provider}:{n}" not in models]
    assert missing == []


def test_no_duplicate_model_names_within_or_across_files() -> None:
    # Across files too: a bare model name must route to exactly one provider.
    names = [m["model_name"] for p in PROVIDERS for m in json.loads((REGISTRY_DIR / f"{p}.json").read_text())["models"]]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_files_are_tidy_two_space_json(provider: str) -> None:
    text = (REGISTRY_DIR / f"{provider}.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_every_model_has_a_source_url_and_an_iso_date(models: dict[str, LLMModel]) -> None:
    for model in models.values():
        assert model.source and model.source.startswith("https://"), model.key
        assert model.as_of and date.fromisoformat(model.as_of) <= date.today(), model.key
        assert model.display_name and model.description and model.max_context, model.key


# -- prices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "field", "expected"),
    [
        ("openai:gpt-4o-mini", "input", "0.15"),
        ("openai:gpt-4o-mini", "output", "0.6"),
        ("openai:gpt-4o-mini", "cached_input", "0.075"),
        ("openai:gpt-4o", "cached_input", "1.25"),
        ("openai:gpt-4.1-nano", "cached_input", "0.025"),
        ("openai:o3", "input", "2"),
        ("openai:gpt-5", "output", "10"),
        ("openai:gpt-5-nano", "cached_input", "0.005"),
        ("anthropic:claude-3-5-haiku-20241022", "input", "0.8"),
        ("anthropic:claude-3-5-haiku-latest", "output", "4"),
        ("anthropic:claude-sonnet-4-20250514", "cached_input", "0.3"),
        ("anthropic:claude-sonnet-4-20250514", "cache_write_5m", "3.75"),
        ("anthropic:claude-sonnet-4-20250514", "cache_write_1h", "6"),
        ("anthropic:claude-opus-4-1-20250805", "cache_write_5m", "18.75"),
        ("anthropic:claude-haiku-4-5-20251001", "cached_input", "0.1"),
        ("google:gemini-1.5-flash", "cached_input", "0.01875"),
        ("google:gemini-2.0-flash", "input", "0.1"),
        ("google:gemini-2.5-flash", "output", "2.5"),
        ("google:gemini-2.5-pro", "cached_input", "0.125"),
    ],
)
def test_prices_are_exact_decimals(models: dict[str, LLMModel], key: str, field: str, expected: str) -> None:
    value = getattr(models[key], f"dollars_per_million_tokens_{field}")
    assert isinstance(value, Decimal)
    # Decimal(0.15) (from the float) is not Decimal("0.15"): this catches float leaking through.
    assert value == Decimal(expected)


def test_every_price_is_a_decimal_or_none(models: dict[str, LLMModel]) -> None:
    for model in models.values():
        assert isinstance(model.dollars_per_million_tokens_input, Decimal), model.key
        assert isinstance(model.dollars_per_million_tokens_output, Decimal), model.key
        for name in _PRICE_FIELDS:
            value = getattr(model, name)
            assert value is None or (isinstance(value, Decimal) and value >= 0), (model.key, name)


def test_ollama_is_free_zero_not_unknown(models: dict[str, LLMModel]) -> None:
    ollama = [m for m in models.values() if m.provider == "ollama"]
    assert ollama
    for model in ollama:
        assert model.dollars_per_million_tokens_input is not None
        assert model.dollars_per_million_tokens_input == Decimal(0), model.key
        assert model.dollars_per_million_tokens_output == Decimal(0), model.key


def test_anthropic_cache_prices_follow_the_published_multipliers(models: dict[str, LLMModel]) -> None:
    for model in (m for m in models.values() if m.provider == "anthropic"):
        base = model.dollars_per_million_tokens_input
        assert base is not None
        assert model.dollars_per_million_tokens_cached_input == base * Decimal("0.1"), model.key
        assert model.dollars_per_million_tokens_cache_write_5m == base * Decimal("1.25"), model.key
        assert model.dollars_per_million_tokens_cache_write_1h == base * 2, model.key


def test_cached_input_prices_where_the_provider_has_them(models: dict[str, LLMModel]) -> None:
    for model in models.values():
        cached = model.dollars_per_million_tokens_cached_input
        if model.provider == "ollama" or model.key == "google:gemini-2.0-flash-lite":
            assert cached is None, model.key
        else:
            assert cached is not None and cached < model.dollars_per_million_tokens_input, model.key
        if model.provider != "anthropic":
            # Only Anthropic bills cache writes.
            assert model.dollars_per_million_tokens_cache_write_5m is None, model.key
            assert model.dollars_per_million_tokens_cache_write_1h is None, model.key


def test_long_context_prices_exactly_where_charged(models: dict[str, LLMModel]) -> None:
    with_tier = {m.key for m in models.values() if m.long_context_threshold_tokens is not None}
    assert with_tier == set(LONG_CONTEXT)
    for key, (threshold, long_in, long_out) in LONG_CONTEXT.items():
        model = models[key]
        assert model.long_context_threshold_tokens == threshold
        assert model.dollars_per_million_tokens_input_long_context == Decimal(long_in)
        assert model.dollars_per_million_tokens_output_long_context == Decimal(long_out)
    for model in models.values():
        if model.key not in LONG_CONTEXT:
            assert model.dollars_per_million_tokens_input_long_context is None, model.key
            assert model.dollars_per_million_tokens_output_long_context is None, model.key


# -- capabilities ---------------------------------------------------------------------------


def test_openai_reasoning_models_take_no_temperature(models: dict[str, LLMModel]) -> None:
    for model in (m for m in models.values() if m.provider == "openai"):
        reasoning = model.model_name.startswith(("o1", "o3", "o4", "gpt-5"))
        assert model.is_reasoning is reasoning, model.key
        assert model.supports_temperature is not reasoning, model.key


@pytest.mark.parametrize(
    ("key", "flag", "expected"),
    [
        ("ollama:llava", "supports_vision", True),
        ("ollama:deepseek-r1", "is_reasoning", True),
        ("openai:o1-mini", "supports_function_calling", False),
        ("openai:o1-mini", "supports_vision", False),
        ("openai:o3-mini", "supports_vision", False),
        ("openai:gpt-4o", "supports_parallel_tool_calls", True),
        ("openai:o3", "supports_parallel_tool_calls", False),
        ("anthropic:claude-sonnet-4-5-20250929", "supports_pdf", True),
        ("anthropic:claude-3-5-haiku-20241022", "supports_temperature", True),
        ("google:gemini-2.5-pro", "is_reasoning", True),
        ("google:gemini-2.0-flash", "is_reasoning", False),
    ],
)
def test_capability_spot_checks(models: dict[str, LLMModel], key: str, flag: str, expected: bool) -> None:
    assert getattr(models[key], flag) is expected


# -- loader errors --------------------------------------------------------------------------


def _entry(name: str, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "model_name": name,
        "display_name": name.upper(),
        "dollars_per_million_tokens_input": 1.5,
        "dollars_per_million_tokens_output": 6,
        "source": "https://example.com/pricing",
        "as_of": "2026-01-01",
    }
    entry.update(changes)
    return entry


def _write(directory: Path, file_stem: str, body: Any) -> Path:
    path = directory / f"{file_stem}.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


def test_null_price_loads_as_none_and_zero_as_zero(tmp_path: Path) -> None:
    entries = [
        _entry("unknown", dollars_per_million_tokens_input=None, dollars_per_million_tokens_output=None),
        _entry("free", dollars_per_million_tokens_input=0, dollars_per_million_tokens_output=0.0),
    ]
    _write(tmp_path, "openai", {"provider": "openai", "models": entries})
    unknown, free = load_registry(tmp_path)["openai"]
    assert unknown.dollars_per_million_tokens_input is None
    assert unknown.dollars_per_million_tokens_output is None
    assert free.dollars_per_million_tokens_input == Decimal(0)
    assert free.dollars_per_million_tokens_output == Decimal(0)


def test_inactive_entries_are_skipped(tmp_path: Path) -> None:
    _write(tmp_path, "openai", {"provider": "openai", "models": [_entry("old", active=False), _entry("new")]})
    assert [m.model_name for m in load_registry(tmp_path)["openai"]] == ["new"]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (_entry("bad-model", dollars_per_million_tokens_input="abc"), "dollars_per_million_tokens_input"),
        (_entry("bad-model", dollars_per_million_tokens_output=True), "dollars_per_million_tokens_output"),
        (_entry("bad-model", dollars_per_million_tokens_cached_input=-1), "dollars_per_million_tokens_cached_input"),
        (_entry("bad-model", max_context="128k"), "max_context"),
        ({k: v for k, v in _entry("bad-model").items() if k != "source"}, "source"),
        (_entry("bad-model", colour="red"), "colour"),
    ],
    ids=["string-price", "bool-price", "negative-price", "string-int", "missing-source", "unknown-field"],
)
def test_a_bad_entry_names_file_model_and_field(tmp_path: Path, bad: dict[str, Any], field: str) -> None:
    # The bad entry is second, so naming it proves the error points at the right model.
    path = _write(tmp_path, "anthropic", {"provider": "anthropic", "models": [_entry("good-model"), bad]})
    with pytest.raises(RegistryError) as caught:
        load_registry(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "model bad-model," in message
    assert f"field {field}:" in message  # exactly the field, no pydantic union tag after it
    assert caught.value.file == str(path)


def test_a_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "google", '{"provider": "google", "models": [')
    with pytest.raises(RegistryError, match="not valid JSON") as caught:
        load_registry(tmp_path)
    assert str(path) in str(caught.value)
    assert caught.value.file == str(path)


def test_a_provider_that_disagrees_with_the_file_name_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "ollama", {"provider": "openai", "models": [_entry("llama3")]})
    with pytest.raises(RegistryError) as caught:
        load_registry(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "field provider" in message and "'openai'" in message and "'ollama'" in message


def test_a_model_listed_twice_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "openai", {"provider": "openai", "models": [_entry("twin"), _entry("twin")]})
    with pytest.raises(RegistryError, match="model twin: listed twice") as caught:
        load_registry(tmp_path)
    assert str(path) in str(caught.value)


def test_the_bundled_registry_loads_through_importlib_resources() -> None:
    root = bundled_root()
    assert {p: len(ms) for p, ms in load_registry(root).items()} == {
        p: len(load_file(REGISTRY_DIR / f"{p}.json")) for p in PROVIDERS
    }


# -- packaging ------------------------------------------------------------------------------

_FROM_WHEEL = r"""
import importlib.resources, json, sys, zipfile
wheel, site_packages, repo = sys.argv[1:4]
sys.path.insert(0, wheel)
sys.path.append(site_packages)  # for pydantic; appended without its .pth files, so no editable repo
import registry_json
from llmring.registry import load_registry
text = importlib.resources.files("registry_json").joinpath("openai.json").read_text(encoding="utf-8")
print(json.dumps({
    "openai": json.loads(text),
    "counts": {p: len(ms) for p, ms in load_registry().items()},
    "repo_on_path": any(p in ("", ".", repo) for p in sys.path),
    "modules": [m.__file__ for m in (registry_json, sys.modules["llmring.registry"])],
    "wheel_files": zipfile.ZipFile(wheel).namelist(),
}))
"""


def test_the_registry_ships_inside_the_wheel(tmp_path: Path) -> None:
    """Build the wheel, then read the registry from the zipped wheel in a fresh, isolated interpreter."""
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path)]
    if importlib.util.find_spec("hatchling") is not None:
        build.append("--no-build-isolation")  # offline and faster; otherwise pip fetches hatchling
    built = subprocess.run([*build, str(REPO_ROOT)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("llmring-*.whl")

    site_packages = Path(pydantic.__file__).parents[1]
    # -I -S: no cwd, no PYTHON* env, no site-packages (whose .pth would put the repo on sys.path).
    command = [sys.executable, "-I", "-S", "-c", _FROM_WHEEL, str(wheel), str(site_packages), str(REPO_ROOT)]
    ran = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)
    assert all(path.startswith(f"{wheel}/") for path in seen["modules"])
    assert not seen["repo_on_path"]
    assert seen["openai"]["provider"] == "openai"
    assert seen["openai"] == json.loads((REGISTRY_DIR / "openai.json").read_text(encoding="utf-8"))
    assert {f"registry_json/{p}.json" for p in PROVIDERS} <= set(seen["wheel_files"])
    assert seen["counts"] == {p: len(load_file(REGISTRY_DIR / f"{p}.json")) for p in PROVIDERS}
