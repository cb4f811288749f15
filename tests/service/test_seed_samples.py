"""The seed API reference's samples, run as a user would write them, against the local OpenAI fake."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

from llmring import LLMModel, LLMResponse, LLMRing, Message, UsageStats
from llmring.file_utils import analyze_file, analyze_image
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import API_KEY, OpenAIFake

SCRIPT = """
import asyncio
from llmring import LLMRing, LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from llmring.db_sqlite import SQLiteDatabase


async def main():
    service = LLMRingSQLite(
        db_path="llmring.db",  # SQLite database file
        origin="llmring",       # App identifier for tracking
    )
    # Enable caching for a request
    request = LLMRequest(
        messages=[Message(role="user", content="Hello")],
        model="gpt-4o-mini",
        temperature=0,  # Must be <= 0.1 for caching
        cache={"enabled": True, "ttl_seconds": 300}  # Cache for 5 minutes
    )
    first = await service.chat(request)
    second = await service.chat(request)
    print(first.content, first.model, first.usage["total_tokens"], first.finish_reason)
    print("cached", second.cached)
    stats = await service.get_usage_stats()
    print("calls", stats.total_calls, "hits", stats.cache_hits)
    await service.close()

    db = SQLiteDatabase(db_path="llmring.db")
    await db.initialize()  # Creates tables automatically
    print("recent", len(await db.get_recent_calls("llmring", None, 100)))
    print("stats", (await db.get_usage_stats("llmring", "default", 30)).total_calls)
    await db.close()

    ring = LLMRing(
        db_connection_string=None,
        db_manager=None,
        origin="llmring",
        enable_db_logging=True,
    )
    response = await ring.chat(LLMRequest(messages=[Message(role="user", content="Hi")], model="gpt-4o-mini"))
    print("default-store", response.content, response.usage["cost"] > 0)
    await ring.close()

asyncio.run(main())
"""


def test_seed_samples_run_as_written(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    env = {**os.environ, "OPENAI_BASE_URL": f"{openai_fake.base_url}/v1", "OPENAI_API_KEY": API_KEY}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Echo: Hello gpt-4o-mini ") and lines[0].endswith(" stop")
    assert lines[1:5] == ["cached True", "calls 2 hits 1", "recent 2", "stats 2"]
    assert lines[5] == "default-store Echo: Hi True"
    assert (tmp_path / "llmring.db").exists()
    default_db = Path(os.environ["XDG_DATA_HOME"]) / "llmring" / "llmring.db"
    assert default_db.exists()  # LLMRing() with no connection: the embedded SQLite default


def test_seed_types_construct_as_documented() -> None:
    model = LLMModel(
        provider="openai",
        model_name="gpt-4o-mini",
        display_name="GPT-4o mini",
        max_context=128000,
        max_output_tokens=16384,
        supports_vision=True,
        supports_function_calling=True,
        supports_json_mode=True,
        supports_parallel_tool_calls=True,
        dollars_per_million_tokens_input=Decimal("0.15"),
        dollars_per_million_tokens_output=Decimal("0.60"),
    )
    stats = UsageStats(
        total_calls=1,
        total_tokens=10,
        total_cost=Decimal("0.1"),
        avg_cost_per_call=Decimal("0.1"),
        success_rate=Decimal("1"),
    )
    response = LLMResponse(content="x", model="m", usage={"total_tokens": 3}, finish_reason="stop", tool_calls=None)
    assert model.is_active and stats.total_calls == 1 and response.total_tokens == 3


def test_seed_file_utils_keywords(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    content = analyze_image(file_path=str(image), prompt="What is this?")
    assert content[0]["text"] == "What is this?"
    content = analyze_file(file_path=str(pdf), prompt="Summarise")
    assert content[1]["type"] == "document"
    assert Message(role="user", content=content).content == content


async def test_construction_touches_nothing(tmp_path: Path) -> None:
    path = tmp_path / "never.db"
    ring = LLMRingSQLite(db_path=str(path), origin="x")
    other = LLMRing()
    assert not path.exists()
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "llmring").exists()
    await ring.close()
    await other.close()
