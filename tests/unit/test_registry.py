"""The registry file format v2 and its loader: one-line errors, retirement, aliases, dated prices, the wheel.

What the bundled files hold is tested in ``test_registry_data.py``.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
import pytest

from llmring import schemas
from llmring.errors import RegistryError
from llmring.registry import (
    alias_index,
    bundled_index,
    bundled_models,
    bundled_root,
    find_bundled,
    load_file,
    load_registry,
    read_file,
)
from llmring.schemas import PROVIDERS, LLMModel

REPO_ROOT = Path(__file__).resolve().parents[2]
REGISTRY_DIR = REPO_ROOT / "registry_json"


def freeze(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """Stop the clock that retirement and price periods are judged by."""
    monkeypatch.setattr(schemas, "utc_now", lambda: when)


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


def _file(provider: str, *entries: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"provider": provider, "version": 3, "updated": "2026-12-04", "models": list(entries), **changes}


def _write(directory: Path, file_stem: str, body: Any) -> Path:
    path = directory / f"{file_stem}.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


def _load_error(tmp_path: Path, body: Any, stem: str = "anthropic") -> tuple[str, Path]:
    path = _write(tmp_path, stem, body)
    with pytest.raises(RegistryError) as caught:
        load_registry(tmp_path)
    assert caught.value.file == str(path)
    message = str(caught.value)
    assert "\n" not in message
    return message, path


# -- prices ---------------------------------------------------------------------------------------


def test_null_price_loads_as_none_and_zero_as_zero(tmp_path: Path) -> None:
    entries = [
        _entry("unknown", dollars_per_million_tokens_input=None, dollars_per_million_tokens_output=None),
        _entry("free", dollars_per_million_tokens_input=0, dollars_per_million_tokens_output=0.0),
    ]
    _write(tmp_path, "openai", _file("openai", *entries))
    unknown, free = load_registry(tmp_path)["openai"]
    assert unknown.dollars_per_million_tokens_input is None
    assert unknown.dollars_per_million_tokens_output is None
    assert free.dollars_per_million_tokens_input == Decimal(0)
    assert free.dollars_per_million_tokens_output == Decimal(0)


def test_new_price_dimensions_load_as_exact_decimals(tmp_path: Path) -> None:
    fields = {
        "dollars_per_million_tokens_cache_write": 5,
        "dollars_per_million_tokens_cache_write_12h": 10,
        "dollars_per_million_tokens_input_audio": 0.7,
        "dollars_per_million_tokens_cached_input_audio": 0.175,
    }
    _write(tmp_path, "openai", _file("openai", _entry("m", **fields)))
    (model,) = load_registry(tmp_path)["openai"]
    assert {k: getattr(model, k) for k in fields} == {k: Decimal(str(v)) for k, v in fields.items()}


# -- retirement -----------------------------------------------------------------------------------


def _lifecycle_dir(tmp_path: Path) -> Path:
    entries = [
        _entry("old", inactive_from="2026-01-15", successor="new"),
        _entry("soon", inactive_from="2026-12-11", successor="new"),
        _entry("new", aliases=["new-2026-01-01"]),
    ]
    _write(tmp_path, "openai", _file("openai", *entries))
    return tmp_path


def test_retired_entries_are_left_out_unless_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, datetime(2026, 12, 4, 12, tzinfo=UTC))
    directory = _lifecycle_dir(tmp_path)
    assert [m.model_name for m in load_registry(directory)["openai"]] == ["soon", "new"]
    everything = load_registry(directory, include_retired=True)["openai"]
    assert [(m.model_name, m.is_active) for m in everything] == [("old", False), ("soon", True), ("new", True)]
    old = everything[0]
    assert old.inactive_from == datetime(2026, 1, 15, tzinfo=UTC) and old.successor == "new"


def test_a_model_is_active_until_00_00_utc_of_its_retirement_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _lifecycle_dir(tmp_path)
    retired_at = datetime(2026, 12, 11, tzinfo=UTC)
    freeze(monkeypatch, retired_at - timedelta(microseconds=1))
    soon = next(m for m in load_registry(directory)["openai"] if m.model_name == "soon")
    assert soon.is_active
    freeze(monkeypatch, retired_at)
    assert not soon.is_active
    assert "soon" not in [m.model_name for m in load_registry(directory)["openai"]]


def test_a_naive_retirement_time_from_a_store_reads_as_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, datetime(2026, 12, 4, tzinfo=UTC))
    assert LLMModel(provider="openai", model_name="a", inactive_from=datetime(2026, 12, 5)).is_active
    assert not LLMModel(provider="openai", model_name="a", inactive_from=datetime(2026, 12, 3)).is_active


def test_a_store_row_without_the_v2_fields_still_loads() -> None:
    model = LLMModel(provider="openai", model_name="gpt-x", dollars_per_million_tokens_input=Decimal(1))
    assert model.aliases == [] and model.reasoning_levels == [] and model.price_periods == []
    assert model.reasoning_control is None and not model.supports_structured_output and not model.responses_only
    assert model.is_active and model.priced_at(datetime.now(UTC)) is model


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (_entry("bad-model", dollars_per_million_tokens_input="abc"), "dollars_per_million_tokens_input"),
        (_entry("bad-model", dollars_per_million_tokens_output=True), "dollars_per_million_tokens_output"),
        (_entry("bad-model", dollars_per_million_tokens_cached_input=-1), "dollars_per_million_tokens_cached_input"),
        (_entry("bad-model", dollars_per_million_tokens_cache_write_12h=-2),
         "dollars_per_million_tokens_cache_write_12h"),
        (_entry("bad-model", max_context="128k"), "max_context"),
        ({k: v for k, v in _entry("bad-model").items() if k != "source"}, "source"),
        (_entry("bad-model", colour="red"), "colour"),
        (_entry("bad-model", active=False), "active"),
        (_entry("bad-model", as_of="yesterday"), "as_of"),
        (_entry("bad-model", inactive_from="2026-13-01"), "inactive_from"),
        (_entry("bad-model", aliases="bad-model-2"), "aliases"),
        (_entry("bad-model", reasoning_control="magic"), "reasoning_control"),
        (_entry("bad-model", reasoning_control="effort", reasoning_levels=["ultra"]), "reasoning_levels"),
        (_entry("bad-model", price_periods=[{"from": "2027-1-1", "dollars_per_million_tokens_input": 2}]),
         "price_periods[0].from"),
        (_entry("bad-model", price_periods=[{"from": "2027-01-01", "max_context": 5}]), "price_periods[0].max_context"),
        (_entry("bad-model", price_periods=[{"from": "2027-01-01", "dollars_per_million_tokens_output": -3}]),
         "price_periods[0].dollars_per_million_tokens_output"),
    ],
    ids=[
        "string-price", "bool-price", "negative-price", "negative-new-price", "string-int", "missing-source",
        "unknown-field", "v1-active-flag", "bad-as-of", "bad-inactive-from", "aliases-not-a-list", "unknown-control",
        "unknown-level", "bad-period-date", "period-non-price", "negative-period-price",
    ],
)  # fmt: skip
def test_a_bad_entry_names_file_model_and_field(tmp_path: Path, bad: dict[str, Any], field: str) -> None:
    # The bad entry is second, so naming it proves the error points at the right model.
    message, path = _load_error(tmp_path, _file("anthropic", _entry("good-model"), bad))
    assert message.startswith(f"{path}: model bad-model, field {field}: "), message  # no pydantic union tag


@pytest.mark.parametrize(
    ("entries", "model", "field", "says"),
    [
        ([_entry("a", aliases=["a"])], "a", "aliases", "'a' is the model's own name"),
        ([_entry("a", aliases=["a-1", "a-1"])], "a", "aliases", "an alias is listed twice"),
        ([_entry("a"), _entry("b", aliases=["a"])], "b", "aliases", "'a' is already the name of model a"),
        ([_entry("a", aliases=["x"]), _entry("b", aliases=["x"])], "b", "aliases",
         "'x' is already an alias of model a"),
        ([_entry("a", inactive_from="2026-01-01", successor="zz")], "a", "successor", "no model 'zz' in this file"),
        ([_entry("a", successor="a")], "a", "successor", "cannot succeed itself"),
        ([_entry("a", reasoning_control="effort", reasoning_levels=["high", "low"])], "a", "reasoning_levels",
         "in the order none, minimal, low, medium, high, xhigh, max"),
        ([_entry("a", reasoning_levels=["low"])], "a", "reasoning_levels", "levels need a reasoning_control"),
        ([_entry("a", reasoning_control="effort", reasoning_budget_min=1, reasoning_budget_max=9)], "a",
         "reasoning_budget_min", "need reasoning_control 'budget' or 'adaptive'"),
        ([_entry("a", reasoning_control="budget")], "a", "reasoning_budget_min", "needs reasoning_budget_min"),
        ([_entry("a", reasoning_control="budget", reasoning_budget_min=10, reasoning_budget_max=5)], "a",
         "reasoning_budget_min", "reasoning_budget_min <= reasoning_budget_max"),
        ([_entry("a", reasoning_control="budget", reasoning_budget_min=10)], "a", "reasoning_budget_max",
         "together"),
        ([_entry("a", price_periods=[
            {"from": "2027-02-01", "dollars_per_million_tokens_input": 2},
            {"from": "2027-01-01", "dollars_per_million_tokens_input": 3},
        ])], "a", "price_periods", "ascending order"),
        ([_entry("a", price_periods=[{"from": "2027-02-01", "note": "nothing"}])], "a", "price_periods",
         "at least one price"),
    ],
    ids=[
        "alias-is-own-name", "alias-twice", "alias-is-another-name", "alias-is-another-alias", "unknown-successor",
        "self-successor", "levels-out-of-order", "levels-without-control", "budget-without-budget-control",
        "budget-model-without-budget", "budget-min-above-max", "half-a-budget", "periods-out-of-order",
        "period-without-prices",
    ],
)  # fmt: skip
def test_rules_between_fields_and_entries_name_file_model_and_field(
    tmp_path: Path, entries: list[dict[str, Any]], model: str, field: str, says: str
) -> None:
    message, path = _load_error(tmp_path, _file("anthropic", *entries))
    assert message.startswith(f"{path}: model {model}, field {field}: "), message
    assert says in message


def test_a_model_listed_twice_is_rejected(tmp_path: Path) -> None:
    message, path = _load_error(tmp_path, _file("openai", _entry("twin"), _entry("twin")), "openai")
    assert message == f"{path}: model twin: listed twice"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"version": 0}, "version: version must be 1 or more"),
        ({"version": "2"}, "version: Input should be a valid integer"),
        ({"updated": "04/12/2026"}, "updated: expected a date as YYYY-MM-DD"),
    ],
)
def test_bad_file_level_fields_name_the_file(tmp_path: Path, changes: dict[str, Any], says: str) -> None:
    message, path = _load_error(tmp_path, _file("google", _entry("g"), **changes), "google")
    assert message == f"{path}: {says}" or message.startswith(f"{path}: {says}"), message


def test_a_file_older_than_v2_loads_as_version_0(tmp_path: Path) -> None:
    path = _write(tmp_path, "ollama", {"provider": "ollama", "models": [_entry("llama")]})
    parsed = read_file(path)
    assert (parsed.version, parsed.updated) == (0, None)
    assert [m.model_name for m in load_file(path)] == ["llama"]


def test_a_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    message, path = _load_error(tmp_path, '{"provider": "google", "models": [', "google")
    assert message.startswith(f"{path}: not valid JSON")


def test_a_provider_that_disagrees_with_the_file_name_is_rejected(tmp_path: Path) -> None:
    message, _ = _load_error(tmp_path, _file("openai", _entry("llama3")), "ollama")
    assert "field provider" in message and "'openai'" in message and "'ollama'" in message


# -- dated prices ---------------------------------------------------------------------------------

_PERIODS = [
    {"from": "2027-01-01", "dollars_per_million_tokens_input": 1.5, "dollars_per_million_tokens_output": 7.5},
    {"from": "2027-03-01", "dollars_per_million_tokens_cached_input": None, "note": "caching withdrawn"},
]


def _periodic(tmp_path: Path, **load: Any) -> LLMModel:
    entry = _entry(
        "flash",
        dollars_per_million_tokens_input=0.75,
        dollars_per_million_tokens_output=3.75,
        dollars_per_million_tokens_cached_input=0.075,
        price_periods=_PERIODS,
    )
    _write(tmp_path, "google", _file("google", entry))
    (model,) = load_registry(tmp_path, **load)["google"]
    return model


@pytest.mark.parametrize(
    ("when", "label", "prices"),
    [
        (datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "base", ("0.75", "3.75", "0.075")),
        (datetime(2027, 1, 1, tzinfo=UTC), "2027-01-01", ("1.5", "7.5", "0.075")),  # cached carries over
        (datetime(2027, 2, 14, 9, tzinfo=UTC), "2027-01-01", ("1.5", "7.5", "0.075")),
        (datetime(2027, 3, 1), "2027-03-01", ("1.5", "7.5", None)),  # naive means UTC
    ],
)
def test_priced_at_takes_the_period_in_force(
    tmp_path: Path, when: datetime, label: str, prices: tuple[str | None, ...]
) -> None:
    model = _periodic(tmp_path, price_history=True)
    priced = model.priced_at(when)
    got = (
        priced.dollars_per_million_tokens_input,
        priced.dollars_per_million_tokens_output,
        priced.dollars_per_million_tokens_cached_input,
    )
    assert got == tuple(None if p is None else Decimal(p) for p in prices)
    assert priced.price_period == label and priced.price_periods == []
    assert priced.priced_at(datetime(2020, 1, 1, tzinfo=UTC)) is priced  # a priced model has no periods left
    assert model.priced_at(when) is priced  # built once per period


def test_a_timezone_other_than_utc_is_converted_first(tmp_path: Path) -> None:
    model = _periodic(tmp_path, price_history=True)
    # 00:30 on 1 January in UTC+1 is still 31 December in UTC.
    assert model.priced_at(datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))).price_period == "base"
    assert model.priced_at(datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-1)))).price_period == (
        "2027-01-01"
    )


def test_the_default_load_is_priced_as_of_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, datetime(2026, 12, 31, 12, tzinfo=UTC))
    before = _periodic(tmp_path)
    assert (before.dollars_per_million_tokens_input, before.price_period) == (Decimal("0.75"), "base")
    freeze(monkeypatch, datetime(2027, 1, 2, tzinfo=UTC))
    after = _periodic(tmp_path)
    assert (after.dollars_per_million_tokens_input, after.price_period) == (Decimal("1.5"), "2027-01-01")
    history = _periodic(tmp_path, price_history=True)
    assert history.dollars_per_million_tokens_input == Decimal("0.75") and len(history.price_periods) == 2
    assert history.price_periods[0] == {
        "from": "2027-01-01",
        "dollars_per_million_tokens_input": Decimal("1.5"),
        "dollars_per_million_tokens_output": Decimal("7.5"),
    }


def test_price_periods_from_a_store_are_checked() -> None:
    with pytest.raises(pydantic.ValidationError, match="ascending order"):
        LLMModel(provider="google", model_name="x", price_periods=[{"from": "2027-13-01"}])
    with pytest.raises(pydantic.ValidationError, match="not a price field"):
        LLMModel(provider="google", model_name="x", price_periods=[{"from": "2027-01-01", "max_context": 1}])
    model = LLMModel(
        provider="google",
        model_name="x",
        price_periods=[{"from": "2027-01-01", "dollars_per_million_tokens_input": 0.1}],
    )
    assert model.price_periods[0]["dollars_per_million_tokens_input"] == Decimal("0.1")


# -- names ----------------------------------------------------------------------------------------


def test_alias_index_resolves_names_and_aliases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, datetime(2026, 12, 4, tzinfo=UTC))
    models = load_registry(_lifecycle_dir(tmp_path), include_retired=True)["openai"]
    index = alias_index(models)
    assert index[("openai", "new-2026-01-01")].model_name == "new"
    assert index[("openai", "old")].model_name == "old"
    assert ("google", "new") not in index


def test_alias_index_prefers_a_name_to_an_alias_and_active_to_retired(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, datetime(2026, 12, 4, tzinfo=UTC))
    retired = LLMModel(provider="openai", model_name="m", inactive_from=datetime(2026, 1, 1, tzinfo=UTC))
    active = LLMModel(provider="openai", model_name="m")
    custom = LLMModel(provider="openai", model_name="m-latest")
    aliased = LLMModel(provider="openai", model_name="other", aliases=["m-latest"])
    index = alias_index([retired, active, aliased, custom])
    assert index[("openai", "m")] is active
    assert index[("openai", "m-latest")] is custom


def test_bundled_accessors_agree() -> None:
    assert bundled_models() is bundled_models()  # cached
    everything = bundled_models(include_retired=True)
    assert len(everything) > len(bundled_models())
    model = bundled_models()[0]
    assert find_bundled(model.provider, model.model_name) is model
    assert find_bundled(model.provider, "no-such-model") is None
    index = bundled_index()
    assert all(index[(m.provider, m.model_name)].model_name == m.model_name for m in everything)


def test_the_bundled_registry_loads_through_importlib_resources() -> None:
    root = bundled_root()
    assert {p: len(ms) for p, ms in load_registry(root).items()} == {
        p: len(load_file(REGISTRY_DIR / f"{p}.json")) for p in PROVIDERS
    }


# -- packaging ------------------------------------------------------------------------------------

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
    "counts": {p: len(ms) for p, ms in load_registry(include_retired=True).items()},
    "repo_on_path": any(p in ("", ".", repo) for p in sys.path),
    "modules": [m.__file__ for m in (registry_json, sys.modules["llmring.registry"])],
    "wheel_files": zipfile.ZipFile(wheel).namelist(),
}))
"""


def test_the_registry_ships_inside_the_wheel_and_the_tools_do_not(tmp_path: Path) -> None:
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
    assert "llmring/price_maps/litellm.py" in seen["wheel_files"]
    assert not [name for name in seen["wheel_files"] if name.startswith("tools/") or "registry_sync" in name]
    assert seen["counts"] == {p: len(load_file(REGISTRY_DIR / f"{p}.json", include_retired=True)) for p in PROVIDERS}
