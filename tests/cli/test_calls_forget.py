"""``llmring calls rm ID`` and ``calls prune-content --older-than AGE`` (issue 17): the captured
prompt and answer go (from the SQLite file's bytes too), the cost row stays, and content that other
calls share survives."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import rows

MARKER = "zebraquartzlantern"  # one word (one full-text term) no other row, table or index holds


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def files_holding(folder: Path, needle: str) -> list[str]:
    """The database files (main, WAL, SHM) whose bytes contain ``needle``, in any case."""
    found = []
    for path in folder.iterdir():
        data = path.read_bytes().lower() if path.is_file() else b""
        if needle.lower().encode() in data:
            found.append(path.name)
    return sorted(found)


def test_rm_forgets_the_content_keeps_the_row_and_the_shared_system_prompt(
    openai_fake: OpenAIFake, db: Path, tmp_path: Path
) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "-s", "Shared rules", f"first {MARKER}").exit_code == 0
    assert run(db, "ask", "-m", "gpt-4o-mini", "-s", "Shared rules", "second question").exit_code == 0
    first, second = rows(db)
    assert files_holding(tmp_path, MARKER)  # the scan finds it while it is there
    r = run(db, "calls", "rm", first["id"][:8])
    assert r.exit_code == 0, r.output
    assert r.stderr == "Removed the captured content of 1 call; the cost rows stay.\n"
    assert files_holding(tmp_path, MARKER) == []
    costs = [row["estimated_cost_pico"] for row in rows(db)]
    assert costs == [first["estimated_cost_pico"], second["estimated_cost_pico"]] and all(costs)
    shown = run(db, "calls", "show", first["id"])
    assert "were removed (llmring calls rm" in shown.stdout
    shown = run(db, "calls", "show", second["id"])
    assert "Shared rules" in shown.stdout and "second question" in shown.stdout
    assert MARKER not in run(db, "calls", "--search", MARKER).stdout
    r = run(db, "calls", "rm", first["id"])
    assert r.exit_code == 0 and r.stderr == "Nothing to remove: 1 call had no captured content.\n"


def test_rm_checks_every_id_before_changing_anything(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "keep me").exit_code == 0
    [row] = rows(db)
    r = run(db, "calls", "rm", row["id"], "zzzzzzzz")
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        "Error: no call with an id starting 'zzzzzzzz': see the ID column of `llmring calls --content`"
    ]
    assert "keep me" in run(db, "calls", "show", row["id"]).stdout


def test_prune_content_forgets_older_calls_only(openai_fake: OpenAIFake, db: Path, tmp_path: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", f"old {MARKER}").exit_code == 0
    assert run(db, "ask", "-m", "gpt-4o-mini", "recent question").exit_code == 0
    old = rows(db)[0]["id"]
    long_ago = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT called_at FROM llm_api_calls WHERE id = ?", (old,)).fetchone()[0]
        assert len(stored) == len(long_ago)  # the stored time format
        conn.execute("UPDATE llm_api_calls SET called_at = ? WHERE id = ?", (long_ago, old))
    r = run(db, "calls", "prune-content", "--older-than", "30d")
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith("Removed the captured content of 1 call older than ")
    assert files_holding(tmp_path, MARKER) == []
    assert len(rows(db)) == 2
    assert "recent question" in run(db, "calls", "--content").stdout
    r = run(db, "calls", "prune-content", "--older-than", "30d")
    assert r.exit_code == 0 and r.stderr.startswith("No captured content older than ")


def test_prune_content_needs_a_valid_age(db: Path) -> None:
    r = run(db, "calls", "prune-content", "--older-than", "soon")
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "use a date (2026-11-01)" in r.stderr
    r = run(db, "calls", "prune-content")
    assert r.exit_code == 2 and "--older-than" in r.stderr
