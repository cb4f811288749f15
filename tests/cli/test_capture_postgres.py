"""Capture on PostgreSQL end to end through the CLI (issue 17): off writes no prompt byte to any
table; on, a conversation goes on with ``ask -c`` (the fake records the earlier turns), search finds
its words, no API key is stored, and ``calls rm`` / ``prune-content`` forget the content but keep
the cost rows and what other calls share."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.db.pg_schemas import fresh_database
from tests.fakes.openai_fake import API_KEY, OpenAIFake

pytestmark = pytest.mark.postgres
MARKER = "zebraquartzlantern"


@pytest.fixture
def pg_url(pg_dsn: str) -> Iterator[str]:
    with fresh_database(pg_dsn) as url:
        yield url


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--database-url", url, *args])


def query(url: str, sql: str) -> list[Any]:
    async def fetch() -> list[Any]:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()

    return asyncio.run(fetch())


def tables_holding(url: str, needle: str) -> list[str]:
    """The tables of the database with a row whose text (every column) contains ``needle``."""
    names = [
        r["table_name"]
        for r in query(
            url,
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'llmring' AND table_type = 'BASE TABLE'",
        )
    ]
    return sorted(
        name
        for name in names
        if query(url, f"SELECT 1 FROM llmring.\"{name}\" AS t WHERE position('{needle}' in t::text) > 0 LIMIT 1")
    )


def calls_rows(url: str) -> list[Any]:
    return query(url, "SELECT id, conversation_id, estimated_cost FROM llmring.llm_api_calls ORDER BY called_at")


def test_off_stores_no_prompt_byte(openai_fake: OpenAIFake, pg_url: str) -> None:
    r = run(pg_url, "ask", "-m", "gpt-4o-mini", "--no-log-content", f"tell me about {MARKER}")
    assert r.exit_code == 0, r.output
    assert len(calls_rows(pg_url)) == 1
    assert (
        query(
            pg_url,
            "SELECT (SELECT COUNT(*) FROM llmring.llm_content) + (SELECT COUNT(*) FROM llmring.llm_call_content)",
        )[0][0]
        == 0
    )
    assert tables_holding(pg_url, MARKER) == []


def test_conversation_search_and_forgetting(openai_fake: OpenAIFake, pg_url: str) -> None:
    r = run(pg_url, "ask", "-m", "gpt-4o-mini", "-s", "Shared rules", f"first {MARKER} key {API_KEY}")
    assert r.exit_code == 0, r.output
    assert tables_holding(pg_url, MARKER) == ["llm_content"]  # the scan finds what is there
    assert tables_holding(pg_url, API_KEY) == []
    r = run(pg_url, "ask", "-c", "second question")
    assert r.exit_code == 0, r.output
    sent = [m["content"] for m in openai_fake.requests[-1].json["messages"]]
    assert sent[0] == "Shared rules" and MARKER in sent[1] and sent[3] == "second question"
    first, second = calls_rows(pg_url)
    assert first["conversation_id"] == second["conversation_id"]
    found = run(pg_url, "calls", "--search", MARKER, "--json")
    assert found.exit_code == 0, found.output
    assert [c["id"] for c in json.loads(found.stdout)] == [second["id"], first["id"]]

    r = run(pg_url, "calls", "rm", first["id"])
    assert r.exit_code == 0, r.output
    assert "Shared rules" in run(pg_url, "calls", "show", second["id"]).stdout  # shared: still there
    r = run(pg_url, "calls", "prune-content", "--older-than", "2999-01-01")
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith("Removed the captured content of 1 call older than ")
    assert (
        query(
            pg_url,
            "SELECT (SELECT COUNT(*) FROM llmring.llm_content) + (SELECT COUNT(*) FROM llmring.llm_call_content)",
        )[0][0]
        == 0
    )
    assert [row["estimated_cost"] for row in calls_rows(pg_url)] == [first["estimated_cost"], second["estimated_cost"]]
