"""``init-db`` and ``json-refresh`` against temp databases and temp registry directories."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import SAMPLE, Invoke, entry, write_registry
from tests.migration_names import applied_line

SAMPLE_COUNT = sum(len(v) for v in SAMPLE.values())


def model_rows(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT provider, model_name, dollars_per_million_tokens_input, inactive_from, updated_at"
            " FROM llm_models ORDER BY provider, model_name"
        ).fetchall()


def snapshot(db: Path) -> dict[str, bytes]:
    """Every file of the database (main file plus any WAL/SHM), byte for byte."""
    return {p.name: p.read_bytes() for p in sorted(db.parent.iterdir()) if p.name.startswith(db.name)}


def test_init_db_on_a_fresh_file(invoke: Invoke, bundled: Path, db: Path) -> None:
    r = invoke("--sqlite", str(db), "init-db")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [
        f"Database: {db} (sqlite)",
        applied_line("sqlite"),
        f"Models: added {SAMPLE_COUNT} from the bundled registry",
        "        anthropic 2, ollama 2, openai 4",
    ]
    assert len(model_rows(db)) == SAMPLE_COUNT


def test_init_db_twice_is_idempotent(invoke: Invoke, bundled: Path, db: Path) -> None:
    assert invoke("--sqlite", str(db), "init-db").exit_code == 0
    before = model_rows(db)
    r = invoke("--sqlite", str(db), "init-db")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1:] == [
        "Schema: up to date",
        f"Models: {SAMPLE_COUNT} already present (`llmring json-refresh` updates them from the registry)",
    ]
    assert model_rows(db) == before


def refresh(invoke: Invoke, db: Path, models_dir: Path, *extra: str) -> dict[str, Any]:
    r = invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(models_dir), "--json", *extra)
    assert r.exit_code == 0, r.output
    report: dict[str, Any] = json.loads(r.stdout)
    return report


def test_json_refresh_inserts_updates_retires_and_reactivates(invoke: Invoke, db: Path, tmp_path: Path) -> None:
    models = tmp_path / "reg"
    write_registry(models, "openai", [entry("a"), entry("b"), entry("c")])
    write_registry(models, "anthropic", [entry("x")])

    first = refresh(invoke, db, models)
    assert first["counts"] == {"inserted": 4, "updated": 0, "retired": 0, "unchanged": 0}
    assert first["inserted"] == ["anthropic:x", "openai:a", "openai:b", "openai:c"]
    assert first["providers"] == ["openai", "anthropic"] and first["dry_run"] is False

    # b gets cheaper, c disappears, d is new; c is retired in the file (inactive_from passed): retired too.
    write_registry(
        models,
        "openai",
        [
            entry("a"),
            entry("b", dollars_per_million_tokens_input=0.5),
            entry("c", inactive_from="2020-01-01"),
            entry("d"),
        ],
    )
    second = refresh(invoke, db, models)
    assert (second["inserted"], second["updated"], second["retired"]) == (["openai:d"], ["openai:b"], ["openai:c"])
    assert second["counts"]["unchanged"] == 2
    rows = {(p, m): (price, inactive) for p, m, price, inactive, _ in model_rows(db)}
    assert rows[("openai", "b")][0] == "0.5"
    assert rows[("openai", "c")][1] is not None
    assert rows[("openai", "a")][1] is None

    write_registry(models, "openai", [entry("a"), entry("b", dollars_per_million_tokens_input=0.5), entry("c")])
    third = refresh(invoke, db, models)
    assert (third["inserted"], third["updated"], third["retired"]) == ([], ["openai:c"], ["openai:d"])


def test_json_refresh_provider_limits_what_is_touched(invoke: Invoke, db: Path, tmp_path: Path) -> None:
    models = tmp_path / "reg"
    write_registry(models, "openai", [entry("a")])
    write_registry(models, "anthropic", [entry("x"), entry("y")])
    refresh(invoke, db, models)
    write_registry(models, "openai", [])
    write_registry(models, "anthropic", [entry("x")])
    report = refresh(invoke, db, models, "--provider", "anthropic")
    assert report["providers"] == ["anthropic"]
    assert report["retired"] == ["anthropic:y"]
    assert [row[1] for row in model_rows(db) if row[3] is None] == ["x", "a"]


def test_json_refresh_dry_run_changes_nothing(invoke: Invoke, db: Path, tmp_path: Path) -> None:
    models = tmp_path / "reg"
    write_registry(models, "openai", [entry("a"), entry("b")])
    refresh(invoke, db, models)
    before = snapshot(db)
    write_registry(models, "openai", [entry("a", max_context=9), entry("new")])
    report = refresh(invoke, db, models, "--dry-run")
    assert report["dry_run"] is True
    assert (report["inserted"], report["updated"], report["retired"]) == (["openai:new"], ["openai:a"], ["openai:b"])
    assert snapshot(db) == before


def test_json_refresh_table_output(invoke: Invoke, db: Path, models_dir: Path) -> None:
    r = invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(models_dir))
    assert r.exit_code == 0, r.output
    assert f"Registry files: {models_dir}" in r.stdout
    assert "inserted" in r.stdout and str(SAMPLE_COUNT) in r.stdout
    assert "+ ollama:llama3:8b" in r.stdout
    r = invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(models_dir), "--dry-run")
    assert "dry run: nothing was changed" in r.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"provider": "openai", "models": [entry("a", dollars_per_million_tokens_input="cheap")]},
            "model a, field dollars_per_million_tokens_input",
        ),
        (
            {"provider": "openai", "models": [{k: v for k, v in entry("a").items() if k != "display_name"}]},
            "model a, field display_name",
        ),
        ("this is { not json", "not valid JSON"),
        ({"provider": "anthropic", "models": []}, "field provider"),
    ],
    ids=["bad-type", "missing-field", "not-json", "wrong-provider"],
)
def test_malformed_registry_file_changes_nothing(
    invoke: Invoke, db: Path, tmp_path: Path, content: Any, expected: str
) -> None:
    models = tmp_path / "reg"
    write_registry(models, "anthropic", [entry("x")])
    write_registry(models, "openai", [entry("a")])
    refresh(invoke, db, models)
    # A good file changed too: nothing at all may be applied while another file is bad.
    write_registry(models, "anthropic", [entry("x"), entry("y")])
    bad = models / "openai.json"
    bad.write_text(content if isinstance(content, str) else json.dumps(content))
    before = snapshot(db)
    for extra in ([], ["--dry-run"], ["--json"]):
        r = invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(models), *extra)
        assert r.exit_code == 1, r.output
        assert r.stdout == ""
        [line] = r.stderr.splitlines()
        assert line.startswith(f"Error: {bad}: ") and expected in line, line
        assert snapshot(db) == before


def test_json_refresh_usage_errors(invoke: Invoke, db: Path, tmp_path: Path, models_dir: Path) -> None:
    r = invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(models_dir), "--provider", "acme")
    assert r.exit_code == 2 and "unknown provider 'acme'" in r.stderr
    r = invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(tmp_path / "missing"))
    assert r.exit_code == 1 and "not a directory" in r.stderr
    only_openai = tmp_path / "only"
    write_registry(only_openai, "openai", [entry("a")])
    r = invoke("--sqlite", str(db), "json-refresh", "--models-dir", str(only_openai), "--provider", "google")
    assert r.exit_code == 1 and "google.json" in r.stderr
    assert not db.exists()


def test_init_db_and_refresh_with_the_real_bundled_registry(invoke: Invoke, db: Path) -> None:
    from llmring.registry import load_registry

    registry = load_registry()
    expected = sorted(m.key for models in registry.values() for m in models)
    everything = load_registry(include_retired=True)  # retired entries are kept, to price old calls
    stored = sorted(m.key for models in everything.values() for m in models)
    r = invoke("--sqlite", str(db), "init-db")
    assert r.exit_code == 0, r.output
    assert f"Models: added {len(stored)} from the bundled registry" in r.stdout
    r = invoke("--sqlite", str(db), "json-refresh", "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["counts"] == {"inserted": 0, "updated": 0, "retired": 0, "unchanged": len(stored)}
    r = invoke("--sqlite", str(db), "models", "list", "--json")
    assert r.exit_code == 0, r.output
    assert sorted(m["key"] for m in json.loads(r.stdout)) == expected


def test_the_schema_line_names_the_range_of_migrations_it_applied() -> None:
    from llmring.cli.db_commands import applied_text

    assert applied_text(["008_call_id_index"]) == "applied 1 migration, 008_call_id_index"
    assert applied_text(["007_a", "008_b"]) == "applied 2 migrations, 007_a and 008_b"
    assert applied_text([f"00{i}_m" for i in range(1, 9)]) == "applied 8 migrations, 001_m to 008_m"
