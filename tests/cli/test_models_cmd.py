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


@pytest.fixture
def db(tmp_path: Path, bundled: Path, invoke: Invoke) -> Path:
    """A database set up with ``init-db`` (read-only commands never create one)."""
    path = tmp_path / "data" / "llmring.db"
    assert invoke("--sqlite", str(path), "init-db").exit_code == 0
    return path


def test_a_database_that_is_not_there_is_not_created(invoke: Invoke, bundled: Path, tmp_path: Path) -> None:
    typo = tmp_path / "nonexistent" / "dir" / "x.db"
    for args in (["models", "list"], ["models", "info", "gpt-4o"]):
        r = invoke("--sqlite", str(typo), *args)
        assert r.exit_code == 1, r.output
        assert r.stderr.splitlines() == [
            f"Error: no database at {typo}: check --sqlite / LLMRING_SQLITE_DB, or run `llmring init-db` to create it"
        ]
    assert not typo.parent.parent.exists()


def test_fresh_machine_shows_the_bundled_registry(invoke: Invoke, bundled: Path) -> None:
    import os

    default = Path(os.environ["XDG_DATA_HOME"]) / "llmring" / "llmring.db"
    r = invoke("models", "list", "--json")
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)) == 8
    assert r.stderr.startswith(f"No database yet at {default} (`llmring init-db` creates it)")
    assert not default.exists()
    assert invoke("models", "info", "gpt-4o", "--json").exit_code == 0


def test_an_empty_database_is_seeded_on_first_use(invoke: Invoke, bundled: Path, tmp_path: Path) -> None:
    import asyncio

    from llmring.db_sqlite import SQLiteDatabase

    path = tmp_path / "empty.db"

    async def create() -> None:
        async with SQLiteDatabase(path):
            pass

    asyncio.run(create())
    r = invoke("--sqlite", str(path), "models", "list", "--json")
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith(f"Initialised {path} with 8 models from the bundled registry")
    assert len(json.loads(r.stdout)) == 8
    r = invoke("--sqlite", str(path), "models", "list", "--json")
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


def test_inactive_models_only_on_request(invoke: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "inactive.db"
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
    r = invoke("--sqlite", str(db), "models", "list", "--format", "tsv")
    assert r.exit_code == 0, r.output
    header, *rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert header == ["Provider", "Model", "Name", "Input $/M", "Output $/M", "Context", "Features"]
    table = {(row[0], row[1]): row[2:] for row in rows}
    assert table["openai", "gpt-4o-mini"] == ["Gpt-4O-Mini", "$0.15", "$0.60", "128,000", "vision, tools"]
    assert table["ollama", "llama3:8b"][1:4] == ["free", "free", "8,192"]
    assert table["anthropic", "mystery"][1:4] == ["—", "—", "—"]
    assert table["openai", "o1"][1:] == ["$15.00", "$2.00", "200,000", "reasoning"]
    assert len(rows) == 8


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
    assert r.stderr.splitlines() == [
        "Error: unknown model 'zzzzzz': use provider:model (providers: openai, anthropic, google, ollama)"
    ]
    r = invoke("--sqlite", str(db), "models", "info", "anthropic:gpt-4o")
    assert r.exit_code == 1 and "openai:gpt-4o" in r.stderr


def test_info_ambiguous_bare_name_names_the_choices(invoke: Invoke, bundled: Path, db: Path) -> None:
    r = invoke("--sqlite", str(db), "models", "info", "shared-name")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "Error: model 'shared-name' is offered by several providers: name one"
        " (did you mean: ollama:shared-name, openai:shared-name?)"
    ]


def test_sample_registry_is_what_the_tests_assume() -> None:
    assert sum(len(v) for v in SAMPLE.values()) == 8


def test_info_resolves_names_as_the_library_does(invoke: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "ollama.db"
    # `llmring models info` and `LLMRing.get_model_info` share routing.resolve: a bare Ollama tag
    # such as llama3.2:latest is the registry's llama3.2.
    reg = tmp_path / "reg"
    write_registry(reg, "ollama", [entry("llama3.2", dollars_per_million_tokens_input=0)])
    assert invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(reg)).exit_code == 0
    for name in ("llama3.2:latest", "ollama:llama3.2:latest", "llama3.2"):
        r = invoke("--sqlite", str(db), "models", "info", name, "--json")
        assert r.exit_code == 0, (name, r.output)
        assert json.loads(r.stdout)["key"] == "ollama:llama3.2"
