"""Load with faults: 1,000 calls, 100 at a time, 10% of them failing; nothing lost, nothing leaked.

The calls go through one ``LLMRingSQLite`` to the four provider fakes, which inject a seeded plan
of faults per call (see ``tests/faults/faulty_fakes.py``): 429s with a Retry-After of 0-5 ms,
500s, Anthropic 529s, answers later than the call's timeout, connections cut mid-body. Every
call must end with a response or a typed ``LLMRingError``, the log must hold one row per attempt
the fakes saw and one final row per call, and the costs in the file must add up, to the
picodollar, to what the callers were told. Then two OS processes log into one SQLite file at once.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmring.providers.anthropic import AnthropicProvider
from llmring.schemas import LLMRequest, Message
from tests.fakes import anthropic_fake, google_fake, openai_fake
from tests.faults.faulty_fakes import FAULT_KINDS, MODELS, InjectedFaults, make_plan, what_fakes_saw
from tests.faults.load_harness import LoadReport, check, logged_rows, run_load
from tests.migration_names import migration_names

ROOT = Path(__file__).resolve().parents[2]
LOCKED = "database is locked"


async def test_a_thousand_calls_with_faults_lose_nothing(
    faulty_fakes: dict[str, InjectedFaults], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plan = make_plan(1000, failure_rate=0.1, seed=8)
    for fake in faulty_fakes.values():
        fake.install(plan)
    urls = {name: fake.base_url for name, fake in faulty_fakes.items()}
    db_path = tmp_path / "load.db"

    with caplog.at_level(logging.WARNING):
        client = await run_load(db_path, urls, plan, concurrency=100)
    report = LoadReport(plan, client, logged_rows(db_path), what_fakes_saw(faulty_fakes))

    problems = check(report)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40] + report.figures())
    # The plan is the one the figures below describe: every kind of fault, recovered and not.
    faulty = [call for call in plan if call.faults]
    assert 70 <= len(faulty) <= 130
    assert all(report.fakes.injected[kind] >= 8 for kind in FAULT_KINDS), report.fakes.injected
    assert {call.expected()[1] for call in faulty} == {
        None,
        "RateLimitError",
        "ProviderUnavailableError",
        "ProviderTimeoutError",
        "ProviderConnectionError",
    }
    assert Counter(call.stream for call in plan)[True] > 400 and Counter(call.stream for call in plan)[False] > 400
    assert len(report.rows) > len(plan) + 100  # retried attempts have rows of their own
    assert [r.getMessage() for r in caplog.records if r.name.startswith("llmring")] == []
    assert not any(LOCKED in f"{o.error}" for o in client.outcomes)
    assert not any(LOCKED in (r.error_message or "") for r in report.rows)


async def test_anthropic_stream_hands_its_connection_back_to_the_pool(
    faulty_fakes: dict[str, InjectedFaults], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading on after ``message_stop`` (as the SDK does): without it, every streamed call
    closed its connection mid-body and the next call paid for a new one (a TLS handshake)."""
    fake = faulty_fakes["anthropic"]
    fake.install([])
    connections = _count_connections(fake, monkeypatch)
    request = LLMRequest(model="claude-sonnet-4-5-20250929", messages=[Message(role="user", content="Hi")])
    async with httpx.AsyncClient() as client:
        provider = AnthropicProvider(anthropic_fake.API_KEY, fake.base_url, client=client)
        for _ in range(3):
            chunks = [chunk async for chunk in provider.stream(request)]
            assert chunks[-1].usage is not None
        await provider.chat(request)
    assert len(fake.requests) == 4
    assert connections == [1]


def _count_connections(fake: InjectedFaults, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A one-item list counting the TCP connections the fake accepts from now on."""
    assert fake._server is not None
    count = [0]
    lock = threading.Lock()
    serve: Callable[..., Any] = fake._server.finish_request

    def counting(*args: Any) -> None:
        with lock:
            count[0] += 1
        serve(*args)

    monkeypatch.setattr(fake._server, "finish_request", counting)
    return count


def test_two_processes_log_into_one_file_without_losing_rows(
    faulty_fakes: dict[str, InjectedFaults], tmp_path: Path
) -> None:
    _race(faulty_fakes, tmp_path / "shared.db", calls=200, rounds=1)


def test_two_processes_40_calls_at_once_wait_for_each_other_over_many_rounds(
    faulty_fakes: dict[str, InjectedFaults], tmp_path: Path
) -> None:
    """Issue 19: about 1 run in 6 printed "could not write 23 call-log row(s) ... database is
    locked": a batch gave up on the lock instead of waiting its turn. A cold file, then 6 rounds
    of both processes opening a new ring and making 40 calls at once (the deterministic form of
    this race is in test_cancellation.py: a lock held past the busy timeout)."""
    _race(faulty_fakes, tmp_path / "race.db", calls=40, rounds=6)


def _race(faulty_fakes: dict[str, InjectedFaults], db_path: Path, *, calls: int, rounds: int) -> None:
    """Two processes each make ``calls`` logged calls ``rounds`` times into ``db_path``."""
    for fake in faulty_fakes.values():
        fake.install([])
    env = {
        **os.environ,  # HOME and XDG already point at a temp dir
        "OPENAI_BASE_URL": f"{faulty_fakes['openai'].base_url}/v1",
        "OPENAI_API_KEY": openai_fake.API_KEY,
        "ANTHROPIC_BASE_URL": faulty_fakes["anthropic"].base_url,
        "ANTHROPIC_API_KEY": anthropic_fake.API_KEY,
        "GOOGLE_GEMINI_BASE_URL": f"{faulty_fakes['google'].base_url}/v1beta",
        "GEMINI_API_KEY": google_fake.API_KEY,
        "OLLAMA_HOST": faulty_fakes["ollama"].base_url,
        "LLMRING_TEST_ROUNDS": str(rounds),
    }
    command = [sys.executable, "-m", "tests.faults.log_from_process", str(db_path)]
    procs = [
        subprocess.Popen(
            [*command, f"p{i}", str(i * calls * rounds), str(calls), *MODELS.values()],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        outputs = [proc.communicate("go\n", timeout=90) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert LOCKED not in err
        assert "could not write" not in err
        summary = json.loads(out)
        assert summary == {"errors": [], "unwritten": 0, "write_failures": 0, "last_error": None}, err

    conn = sqlite3.connect(db_path)
    try:
        by_origin = dict(
            conn.execute("SELECT origin, COUNT(*) FROM llm_api_calls WHERE final GROUP BY origin").fetchall()
        )
        attempts = conn.execute("SELECT COUNT(*) FROM llm_api_calls").fetchone()[0]
        migrations = conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
    finally:
        conn.close()
    assert by_origin == {"p0": calls * rounds, "p1": calls * rounds}
    # An attempt the loaded machine made too slow is retried: it has a row of its own.
    assert attempts >= sum(len(fake.requests) for fake in faulty_fakes.values()) >= 2 * calls * rounds
    assert migrations == len(migration_names())
