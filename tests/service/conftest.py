"""Fixtures for service tests: a local OpenAI fake wired in through env, and a SQLite-backed ring."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import API_KEY, OpenAIFake


def _whole_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="session")
def _openai_server() -> Iterator[OpenAIFake]:
    fake = OpenAIFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def openai_fake(_openai_server: OpenAIFake, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIFake]:
    """The OpenAI fake, reset for this test; OPENAI_BASE_URL and OPENAI_API_KEY point at it. At
    teardown every request llmring sent (and every reply the fake made up) must satisfy the
    contract (spec + SDK types), as in the provider tests; replies a test scripts with
    ``enqueue`` may be broken on purpose."""
    fake = _openai_server
    fake.reset()
    fake.api_key = API_KEY
    monkeypatch.setenv("OPENAI_BASE_URL", f"{fake.base_url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    yield fake
    # A request whose body never arrived whole was cut off by a cancelled or timed-out client.
    fake.requests[:] = [r for r in fake.requests if _whole_json(r.raw_body)]
    problems = [p for p in fake.contract_problems() if not p.startswith("enqueued: ")]
    fake.reset()
    assert not problems, "OpenAI contract violations:\n" + "\n".join(problems)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "calls.db"


@pytest.fixture
async def ring(openai_fake: OpenAIFake, db_path: Path) -> AsyncIterator[LLMRingSQLite]:
    service = LLMRingSQLite(db_path, origin="tests")
    yield service
    await service.close()


def request(text: str = "Hello", model: str = "gpt-4o-mini", **kw: Any) -> LLMRequest:
    return LLMRequest(model=model, messages=[Message(role="user", content=text)], **kw)


def rows(db_path: Path) -> list[dict[str, Any]]:
    """Every call-log row, oldest first, as plain dicts (read with the stdlib, not the store)."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM llm_api_calls ORDER BY rowid")]
    finally:
        conn.close()
