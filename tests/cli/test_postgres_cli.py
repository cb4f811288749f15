"""Every command on PostgreSQL through ``--database-url`` / ``DATABASE_URL``, and what a wrong
password, an unreachable host or a malformed URL look like: one line on stderr, exit 1."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from llmring.db import LLMDatabase
from llmring.schemas import CallRecord
from tests.cli.conftest import SAMPLE, Invoke, write_registry
from tests.db.pg_schemas import fresh_database
from tests.migration_names import applied_line

pytestmark = pytest.mark.postgres

SAMPLE_COUNT = sum(len(v) for v in SAMPLE.values())
COMMANDS = [
    ("init-db",),
    ("json-refresh",),
    ("models", "list"),
    ("models", "info", "gpt-4o"),
    ("calls",),
    ("stats",),
]


@pytest.fixture
def pg_url(pg_dsn: str) -> Iterator[str]:
    """A fresh, empty database (dropped afterwards)."""
    with fresh_database(pg_dsn) as url:
        yield url


def masked(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{parts.hostname}:{parts.port}"))


def where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.username}@{parts.hostname}:{parts.port}{parts.path}"


def log_calls(url: str, *records: CallRecord) -> None:
    async def write() -> None:
        async with LLMDatabase(url) as db:
            await db.record_api_calls(records)

    asyncio.run(write())


def test_every_command_works_on_postgres(invoke: Invoke, bundled: Path, pg_url: str, tmp_path: Path) -> None:
    r = invoke("--database-url", pg_url, "init-db")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [
        f"Database: {masked(pg_url)} (postgres)",
        applied_line("postgres"),
        f"Models: added {SAMPLE_COUNT} from the bundled registry",
        "        anthropic 2, ollama 2, openai 4",
    ]
    assert urlsplit(pg_url).password not in r.output
    r = invoke("--database-url", pg_url, "init-db")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1:] == [
        "Schema: up to date",
        f"Models: {SAMPLE_COUNT} already present (`llmring json-refresh` updates them from the registry)",
    ]

    r = invoke("models", "list", env={"DATABASE_URL": pg_url})
    assert r.exit_code == 0, r.output
    assert "gpt-4o-mini" in r.stdout and "claude-sonnet" in r.stdout
    r = invoke("--database-url", pg_url, "models", "info", "openai:gpt-4o", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["dollars_per_million_tokens_input"] in ("2.5", 2.5)

    changed = tmp_path / "changed"
    for provider, entries in SAMPLE.items():
        write_registry(changed, provider, [e for e in entries if e["model_name"] != "o1"])
    r = invoke("--database-url", pg_url, "json-refresh", "--models-dir", str(changed), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["counts"]["retired"] == 1

    r = invoke("--database-url", pg_url, "calls")
    assert r.exit_code == 0, r.output
    assert "No calls logged yet" in r.output

    now = datetime.now(UTC)
    log_calls(
        pg_url,
        CallRecord(provider="openai", model_name="gpt-4o", origin="app", id_at_origin="alice", called_at=now,
                   prompt_tokens=1000, completion_tokens=100, estimated_cost=Decimal("0.0035")),
        CallRecord(provider="anthropic", model_name="claude-sonnet", origin="app", id_at_origin="bob", called_at=now,
                   status="error", error_type="RateLimitError", error_message="slow down"),
    )  # fmt: skip
    r = invoke("--database-url", pg_url, "calls", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(c["provider"], c["status"]) for c in rows] in (
        [("openai", "success"), ("anthropic", "error")],
        [("anthropic", "error"), ("openai", "success")],
    )
    r = invoke("--database-url", pg_url, "calls", "--status", "error", "--user", "bob")
    assert r.exit_code == 0, r.output
    assert "claude-sonnet" in r.stdout and "gpt-4o" not in r.stdout

    r = invoke("--database-url", pg_url, "stats", "--json")
    assert r.exit_code == 0, r.output
    stats: dict[str, Any] = json.loads(r.stdout)
    text = json.dumps(stats)
    assert '"total_calls": 2' in text and "0.0035" in text
    r = invoke("--database-url", pg_url, "stats", "--by", "day")
    assert r.exit_code == 0, r.output
    assert now.date().isoformat() in r.stdout


@pytest.mark.parametrize("failure", ["wrong password", "unreachable host"])
def test_connection_failures_are_one_line_and_exit_1(invoke: Invoke, pg_dsn: str, failure: str) -> None:
    parts = urlsplit(pg_dsn)
    if failure == "wrong password":
        if not parts.password:
            pytest.skip("this server does not check passwords")
        url = urlunsplit(parts._replace(netloc=f"{parts.username}:wrong-pw-123@{parts.hostname}:{parts.port}"))
        reason = "password authentication failed"
    else:
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"postgresql://app:wrong-pw-123@127.0.0.1:{port}/appdb"
        reason = "Connect call failed"
    for i, command in enumerate(COMMANDS):
        # Through the option, and once through the environment.
        args, env = (("--database-url", url), None) if i else ((), {"DATABASE_URL": url})
        r = invoke(*args, *command, env=env)
        assert r.exit_code == 1, (command, r.output)
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert len(lines) == 1, (command, r.stderr)
        assert lines[0].startswith(f"Error: cannot connect to PostgreSQL at {where(url)}"), lines[0]
        assert reason in lines[0]
        assert "wrong-pw-123" not in r.output


def test_malformed_url_is_one_line_with_the_password_masked(invoke: Invoke) -> None:
    r = invoke("--database-url", "postgresql://app:s3cret-pw@db.example:port/appdb", "models", "list")
    assert r.exit_code == 1, r.output
    assert r.stderr.splitlines() == [
        "Error: invalid PostgreSQL URL postgresql://app:***@db.example:port/appdb: the port is not a number: 'port'"
        " (check --database-url / DATABASE_URL)"
    ]


async def test_tui_reads_postgres(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from llmring.cli.main import app as cli
    from llmring_tui.app import LLMRingApp
    from tests.tui.conftest import screen_text, settle

    async with LLMDatabase(pg_url) as db:
        await db.record_api_call(provider="openai", model_name="gpt-4o", origin="tui-origin", prompt_tokens=5)
    launched: list[LLMRingApp] = []
    monkeypatch.setattr(LLMRingApp, "run", lambda self, *a, **k: launched.append(self))
    r = CliRunner().invoke(cli, ["--database-url", pg_url, "tui", "--mode", "calls"])
    assert r.exit_code == 0, r.output
    [app] = launched
    assert app.database_label == masked(pg_url)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert "tui-origin" in screen_text(app)
