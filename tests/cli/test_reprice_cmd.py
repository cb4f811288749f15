"""``llmring reprice`` (issue 12): a call logged unpriced is priced once the registry knows its
model; the command says how many calls and how much cost it added."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CallRecord
from tests.cli.conftest import Invoke, write_registry
from tests.cli.conftest import entry as registry_entry


def record(db: Path, *rows: CallRecord) -> None:
    async def main() -> None:
        async with SQLiteDatabase(db) as store:
            await store.record_api_calls(list(rows))

    asyncio.run(main())


def row(db: Path, record_id: str) -> dict[str, object]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM llm_api_calls WHERE id = ?", (record_id,)).fetchone())
    finally:
        conn.close()


def rollup_cost(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT SUM(cost_pico), SUM(unpriced) FROM llm_usage_daily").fetchone()
    finally:
        conn.close()


def test_reprice_after_the_registry_learns_the_model(invoke: Invoke, db: Path, tmp_path: Path) -> None:
    assert invoke("--sqlite", str(db), "init-db").exit_code == 0
    unknown = CallRecord(id="c1", provider="openai", model_name="gpt-9-turbo", prompt_tokens=2_000,
                         completion_tokens=500, estimated_cost=None)  # fmt: skip
    priced = CallRecord(id="c2", provider="openai", model_name="gpt-4o-mini", prompt_tokens=1_000,
                        completion_tokens=100, estimated_cost=Decimal("0.00021"))  # fmt: skip
    record(db, unknown, priced)
    assert rollup_cost(db) == (210_000_000, 1)

    nothing = invoke("--sqlite", str(db), "reprice")
    assert nothing.exit_code == 0, nothing.output
    assert nothing.stdout.splitlines() == [
        "Repriced: priced 0 of 1 call(s), adding $0",
        "Still unpriced: 1 call(s) whose model or a token dimension has no price",
    ]

    write_registry(tmp_path / "r", "openai", [registry_entry("gpt-9-turbo", dollars_per_million_tokens_input=2.0,
                                                             dollars_per_million_tokens_output=8.0)])  # fmt: skip
    # Added beside the bundled models (a directory's provider file lists only gpt-9-turbo: the
    # others would be retired, which does not stop them pricing old calls).
    assert invoke("--sqlite", str(db), "registry", "update", "--from", str(tmp_path / "r")).exit_code == 0
    before = db.read_bytes()
    dry = invoke("--sqlite", str(db), "reprice", "--dry-run")
    assert dry.exit_code == 0, dry.output
    # 2,000 * 2 + 500 * 8 = 8,000 per million
    assert dry.stdout == "Repriced: would price 1 of 1 call(s), adding $0.008 (dry run: nothing was changed)\n"
    assert db.read_bytes() == before

    done = invoke("--sqlite", str(db), "reprice", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert (data["priced"], data["looked_at"], data["cost_added"], data["left_unpriced"]) == (1, 1, "0.008", 0)
    assert data["calls"] == [
        {
            "id": "c1",
            "model": "openai:gpt-9-turbo",
            "old_cost": None,
            "new_cost": "0.008",
            "priced_as": "openai:gpt-9-turbo",
        }
    ]
    stored = row(db, "c1")
    assert stored["estimated_cost_pico"] == 8_000_000_000 and stored["priced_as"] == "openai:gpt-9-turbo"
    assert rollup_cost(db) == (8_210_000_000, 0)  # the rollup moved with the row
    assert row(db, "c2")["estimated_cost_pico"] == 210_000_000  # a priced row is left alone


def test_reprice_since_must_be_a_date_or_an_age(invoke: Invoke, db: Path) -> None:
    assert invoke("--sqlite", str(db), "init-db").exit_code == 0
    r = invoke("--sqlite", str(db), "reprice", "--since", "last tuesday")
    assert r.exit_code == 2 and "--since 'last tuesday'" in r.stderr
