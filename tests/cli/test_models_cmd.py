"""``models list`` and ``models info`` over the SAMPLE registry (the stand-in bundled one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import SAMPLE, Invoke, entry, write_registry


def listed(invoke: Invoke, db: Path, *args: str) -> list[dict[str, Any]]:
    r = invoke("--sqlite", str(db), "models", "list", "--json", *args)
    assert r.exit_code == 0, r.output
    data: list[dict[str, Any]] = json.loads(r.stdout)
    return data


def keys(invoke: Invoke, db: Path, *args: str) -> list[str]:
    return [m["key"] for m in listed(invoke, db, *args)]


def test_first_use_initialises_the_database(invoke: Invoke, bundled: Path, db: Path) -> None:
    assert not db.exists()
    r = invoke("--sqlite", str(db), "models", "list", "--json")
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith(f"Initialised {db} with 8 models from the bundled registry")
    assert len(json.loads(r.stdout)) == 8
    r = invoke("--sqlite", str(db), "models", "list", "--json")
    assert r.stderr == ""


def test_list_json_fields_and_exact_prices(invoke: Invoke, bundled: Path, db: Path) -> None:
    models = {m["key"]: m for m in listed(invoke, db)}
    mini = models["openai:gpt-4o-mini"]
    assert mini["dollars_per_million_tokens_input"] == "0.15"
    assert mini["dollars_per_million_tokens_output"] == "0.6"
    assert mini["active"] is True and mini["provider"] == "openai" and mini["model_name"] == "gpt-4o-mini"
    assert models["ollama:llama3:8b"]["dollars_per_million_tokens_input"] == "0"
    assert models["anthropic:mystery"]["dollars_per_million_tokens_input"] is None


def test_list_filters(invoke: Invoke, bundled: Path, db: Path) -> None:
    assert keys(invoke, db, "--provider", "ollama") == ["ollama:llama3:8b", "ollama:shared-name"]
    assert keys(invoke, db, "-p", "anthropic", "--vision") == ["anthropic:claude-sonnet"]
    assert keys(invoke, db, "--vision") == ["anthropic:claude-sonnet", "openai:gpt-4o", "openai:gpt-4o-mini"]
    assert keys(invoke, db, "--functions", "--max-cost", "2.5") == ["openai:gpt-4o", "openai:gpt-4o-mini"]
    # Free models pass any price limit; models with an unknown price never do.
    assert keys(invoke, db, "--max-cost", "0") == ["ollama:llama3:8b", "ollama:shared-name"]
    assert keys(invoke, db, "--max-cost", "0.15") == ["ollama:llama3:8b", "ollama:shared-name", "openai:gpt-4o-mini"]
    assert keys(invoke, db, "--min-context", "200000") == ["anthropic:claude-sonnet", "openai:o1"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("provider", ["anthropic:claude-sonnet", "anthropic:mystery", "ollama:llama3:8b"]),
        ("name", ["anthropic:claude-sonnet", "openai:gpt-4o", "openai:gpt-4o-mini"]),
        ("input-cost", ["ollama:llama3:8b", "ollama:shared-name", "openai:gpt-4o-mini"]),
        ("output-cost", ["ollama:llama3:8b", "openai:gpt-4o-mini", "ollama:shared-name"]),
        ("context", ["anthropic:claude-sonnet", "openai:o1", "openai:gpt-4o"]),
    ],
)
def test_list_sort(invoke: Invoke, bundled: Path, db: Path, sort: str, expected: list[str]) -> None:
    got = keys(invoke, db, "--sort", sort)
    assert got[:3] == expected
    assert len(got) == 8
    if sort in ("input-cost", "output-cost", "context"):
        assert got[-1] == "anthropic:mystery"  # unknown price or context sorts last


def test_inactive_models_only_on_request(invoke: Invoke, db: Path, tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    write_registry(reg, "openai", [entry("old"), entry("new")])
    assert invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(reg)).exit_code == 0
    write_registry(reg, "openai", [entry("new")])
    assert invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(reg)).exit_code == 0
    assert keys(invoke, db) == ["openai:new"]
    everything = {m["key"]: m["active"] for m in listed(invoke, db, "--inactive")}
    assert everything == {"openai:new": True, "openai:old": False}
    r = invoke("--sqlite", str(db), "models", "list", "--inactive")
    assert r.exit_code == 0, r.output
    assert "retired" in r.stdout


def test_list_table(invoke: Invoke, bundled: Path, db: Path) -> None:
    r = invoke("--sqlite", str(db), "models", "list")
    assert r.exit_code == 0, r.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in r.stdout.splitlines() if "│" in line]
    table = {(row[0], row[1]): row[2:] for row in rows}
    assert table["openai", "gpt-4o-mini"] == ["Gpt-4O-Mini", "$0.15", "$0.60", "128,000", "vision, tools"]
    assert table["ollama", "llama3:8b"][1:4] == ["free", "free", "8,192"]
    assert table["anthropic", "mystery"][1:4] == ["-", "-", "-"]
    assert table["openai", "o1"][1:] == ["$15.00", "$2.00", "200,000", "reasoning"]
    assert "8 model(s)" in r.stdout


def test_list_unknown_provider_is_a_usage_error(invoke: Invoke, bundled: Path, db: Path) -> None:
    r = invoke("--sqlite", str(db), "models", "list", "--provider", "acme")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == ["Error: unknown provider 'acme': use one of openai, anthropic, google, ollama"]


@pytest.mark.parametrize("name", ["gpt-4o-mini", "openai:gpt-4o-mini"])
def test_info_by_bare_name_or_provider_model(invoke: Invoke, bundled: Path, db: Path, name: str) -> None:
    r = invoke("--sqlite", str(db), "models", "info", name, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["key"] == "openai:gpt-4o-mini"
    assert data["dollars_per_million_tokens_input"] == "0.15"
    r = invoke("--sqlite", str(db), "models", "info", name)
    assert r.exit_code == 0, r.output
    assert "openai:gpt-4o-mini" in r.stdout
    assert "$0.15" in r.stdout and "$0.60" in r.stdout and "128,000 tokens" in r.stdout


def test_info_ollama_name_with_a_colon(invoke: Invoke, bundled: Path, db: Path) -> None:
    for name in ("llama3:8b", "ollama:llama3:8b"):
        r = invoke("--sqlite", str(db), "models", "info", name, "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["key"] == "ollama:llama3:8b"
    r = invoke("--sqlite", str(db), "models", "info", "ollama:llama3:8b")
    assert "free" in r.stdout


def test_info_unknown_model_exits_1_with_suggestions(invoke: Invoke, bundled: Path, db: Path) -> None:
    assert invoke("--sqlite", str(db), "init-db").exit_code == 0
    r = invoke("--sqlite", str(db), "models", "info", "gpt-4o-mni")
    assert r.exit_code == 1
    [line] = r.stderr.splitlines()
    assert line.startswith("Error: unknown model 'gpt-4o-mni'") and "openai:gpt-4o-mini" in line
    r = invoke("--sqlite", str(db), "models", "info", "zzzzzz")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == ["Error: unknown model 'zzzzzz': `llmring models list` shows them all"]
    r = invoke("--sqlite", str(db), "models", "info", "anthropic:gpt-4o")
    assert r.exit_code == 1 and "openai:gpt-4o" in r.stderr


def test_info_ambiguous_bare_name_is_a_usage_error(invoke: Invoke, bundled: Path, db: Path) -> None:
    assert invoke("--sqlite", str(db), "init-db").exit_code == 0
    r = invoke("--sqlite", str(db), "models", "info", "shared-name")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "Error: 'shared-name' is offered by several providers: use one of ollama:shared-name, openai:shared-name"
    ]


def test_sample_registry_is_what_the_tests_assume() -> None:
    assert sum(len(v) for v in SAMPLE.values()) == 8
