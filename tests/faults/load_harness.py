"""Many concurrent calls through one ``LLMRingSQLite`` against the faulty fakes, and the reckoning.

Shared by ``tests/faults/test_load.py`` (1,000 calls, asserted) and ``bench/load.py`` (bigger,
printed). ``run_load`` plays a plan (``tests.faults.faulty_fakes``) with N worker tasks, each taking
the next call when its last one ended; ``check`` then compares what the callers got, what the
fakes saw and what the SQLite file holds, and returns every discrepancy as a line of text.
An empty list means: every call ended with a response or a typed error, one row per attempt,
one final row per call, costs that add up to the picodollar, and no row left behind.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx

from llmring.errors import LLMRingError
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import BaseProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes import anthropic_fake, google_fake, openai_fake
from tests.faults.faulty_fakes import (
    CALL_TIMEOUT,
    FAULT_KINDS,
    HINTED_WAIT,
    LONGEST_TIMEOUT,
    MAX_RETRIES,
    PROVIDERS,
    TIMEOUT_MARGIN,
    FakesSaw,
    PlannedCall,
)

SLEEP_SCALE = 0.02  # retry waits are recorded at full length but slept at 2%
SHORTEST_BACKOFF = 0.375  # 0.5 s less the 25% jitter


@dataclass
class RecordingSleep:
    """A provider's ``_sleep``: records each wait it is asked for and sleeps a fraction of it."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds * SLEEP_SCALE)


def client_for(concurrency: int) -> httpx.AsyncClient:
    """A keep-alive client with a connection for every concurrent call.

    Each provider gets its own: httpcore's pool scans all its connections on every request and
    response, so one pool of 100+ connections costs the client more CPU than the calls do.
    """
    limits = httpx.Limits(max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10)
    return httpx.AsyncClient(timeout=30.0, limits=limits)


def make_providers(
    urls: dict[str, str], clients: dict[str, httpx.AsyncClient], sleep: RecordingSleep
) -> dict[str, BaseProvider]:
    """The four providers pointed at the fakes, each with its own client, all with ``sleep``."""
    providers: dict[str, BaseProvider] = {
        "openai": OpenAIProvider(openai_fake.API_KEY, f"{urls['openai']}/v1", client=clients["openai"]),
        "anthropic": AnthropicProvider(anthropic_fake.API_KEY, urls["anthropic"], client=clients["anthropic"]),
        "google": GoogleProvider(google_fake.API_KEY, f"{urls['google']}/v1beta", client=clients["google"]),
        "ollama": OllamaProvider(None, urls["ollama"], client=clients["ollama"]),
    }
    for provider in providers.values():
        provider.max_retries = MAX_RETRIES
        provider._sleep = sleep
    return providers


@dataclass
class Outcome:
    """What one caller got: the cost of a response (or final chunk), or an exception."""

    number: int
    cost: Decimal | None = None
    error: Exception | None = None


@dataclass
class Progress:
    """How slow calls are in this run so far, for the timeout of the calls planned to time out:
    with 100 calls at a time a call mostly queues, for as long as the machine's load makes it."""

    slowest: float = 0.0  # seconds, the slowest call without faults that has finished

    def saw(self, seconds: float) -> None:
        self.slowest = max(self.slowest, seconds)

    def timeout(self) -> float:
        """A timeout the call's attempts that are answered keep well inside."""
        return min(max(CALL_TIMEOUT, TIMEOUT_MARGIN * self.slowest), LONGEST_TIMEOUT)


async def _one(ring: LLMRingSQLite, call: PlannedCall, progress: Progress) -> Outcome:
    request = call.request(progress.timeout())
    started = time.monotonic()
    try:
        if not call.stream:
            response = await ring.chat(request)
            return Outcome(call.number, cost=response.usage["cost"])
        usage = None
        async for chunk in ring.chat_stream(request):
            usage = chunk.usage or usage
        if usage is None:
            return Outcome(call.number, error=AssertionError("the stream ended without a final chunk"))
        return Outcome(call.number, cost=usage["cost"])
    except Exception as exc:
        return Outcome(call.number, error=exc)
    finally:
        if not call.faults:
            progress.saw(time.monotonic() - started)


@dataclass
class ClientSide:
    """What the client side of a run saw."""

    outcomes: list[Outcome]
    waits: list[float]  # retry waits the providers asked for
    wall: float  # seconds, from the first call to the last row written
    unwritten: int
    write_failures: int
    slowest: float = 0.0  # seconds, the slowest call without faults (``Progress``)


async def run_load(db_path: Path, urls: dict[str, str], plan: list[PlannedCall], concurrency: int) -> ClientSide:
    """Play ``plan`` with ``concurrency`` tasks through a fresh ring logging to ``db_path``, then close it."""
    sleep = RecordingSleep()
    clients = {name: client_for(concurrency) for name in PROVIDERS}
    ring = LLMRingSQLite(db_path, origin="load", providers=make_providers(urls, clients, sleep))
    outcomes: list[Outcome] = []
    pending: Iterator[PlannedCall] = iter(plan)
    progress = Progress()

    async def worker() -> None:
        for call in pending:
            outcomes.append(await _one(ring, call, progress))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await ring.close(timeout=60)
        for client in clients.values():
            await client.aclose()
    wall = time.perf_counter() - started
    assert ring.writer is not None
    return ClientSide(outcomes, sleep.waits, wall, ring.writer.unwritten, ring.writer.write_failures, progress.slowest)


# -- what the log holds, and the reckoning ----------------------------------------------------------
@dataclass
class LoggedRow:
    number: int
    call_id: str
    attempt: int
    final: bool
    status: str
    error_type: str | None
    error_message: str | None
    cost: Decimal | None


def logged_rows(db_path: Path) -> list[LoggedRow]:
    """Every call-log row in the file, read with the stdlib (costs are integer picodollars)."""
    conn = sqlite3.connect(db_path)
    try:
        found = conn.execute(
            "SELECT request_metadata, call_id, attempt, final, status, error_type, error_message,"
            " estimated_cost_pico FROM llm_api_calls ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()
    rows = []
    for metadata, call_id, attempt, final, status, error_type, message, pico in found:
        number = json.loads(metadata)["load_call"] if metadata else -1
        cost = None if pico is None else Decimal(pico).scaleb(-12)
        rows.append(LoggedRow(number, call_id, attempt, bool(final), status, error_type, message, cost))
    return rows


@dataclass
class LoadReport:
    """Everything one run produced: the plan, the callers' outcomes, the log and the fakes' view."""

    plan: list[PlannedCall]
    client: ClientSide
    rows: list[LoggedRow]
    fakes: FakesSaw

    def outcome_counts(self) -> Counter[str]:
        return Counter("ok" if o.error is None else type(o.error).__name__ for o in self.client.outcomes)

    def figures(self) -> list[str]:
        """The figures ``bench/load.py`` prints."""
        outcomes = ", ".join(f"{name} {n:,}" for name, n in sorted(self.outcome_counts().items()))
        injected = self.fakes.injected
        faults = ", ".join(f"{kind} {injected[kind]:,}" for kind in FAULT_KINDS)
        wall = self.client.wall
        return [
            f"calls made       {len(self.client.outcomes):,}",
            f"rows logged      {len(self.rows):,}",
            f"attempts seen    {self.fakes.attempts.total():,} (by the fakes)",
            f"faults injected  {injected.total():,}: {faults}",
            f"outcomes         {outcomes}",
            f"wall time        {wall:.2f} s (to the last row written)",
            f"slowest call     {self.client.slowest:.2f} s (without faults; timeouts set from it)",
            f"calls/s          {len(self.client.outcomes) / wall:,.0f}",
            f"rows unwritten   {self.client.unwritten}, failed store writes {self.client.write_failures}",
        ]


def check(report: LoadReport) -> list[str]:
    """Every way the run broke "nothing lost, nothing leaked"; empty when it kept it."""
    problems: list[str] = []
    planned = {call.number: call for call in report.plan}
    if sorted(o.number for o in report.client.outcomes) != sorted(planned):
        problems.append("not every planned call ended exactly once")
    if len(report.rows) != report.fakes.attempts.total():
        problems.append(f"{len(report.rows)} rows logged, but the fakes saw {report.fakes.attempts.total()} attempts")
    by_call: dict[int, list[LoggedRow]] = {}
    for row in report.rows:
        by_call.setdefault(row.number, []).append(row)
    told = Decimal(0)
    for outcome in report.client.outcomes:
        call = planned[outcome.number]
        problems += _call_problems(call, outcome, by_call.get(call.number, []), report.fakes.attempts[call.number])
        told += outcome.cost or 0
    logged = sum((r.cost for r in report.rows if r.cost is not None), Decimal(0))
    if logged != told:
        problems.append(f"the log says the calls cost ${logged}, the callers were told ${told}")
    problems += _wait_problems(report)
    if report.client.unwritten or report.client.write_failures:
        problems.append(f"{report.client.unwritten} rows unwritten, {report.client.write_failures} failed store writes")
    return problems + report.fakes.contract


def _call_problems(call: PlannedCall, outcome: Outcome, rows: list[LoggedRow], seen: int) -> list[str]:
    where = f"call {call.number} ({call.provider}, stream={call.stream}, faults={call.faults})"
    attempts, error = call.expected()
    got = None if outcome.error is None else type(outcome.error).__name__
    problems = []
    if outcome.error is not None and not isinstance(outcome.error, LLMRingError):
        problems.append(f"{where}: untyped {outcome.error!r}")
    elif got != error:
        problems.append(f"{where}: expected {error or 'a response'}, got {got or 'a response'}: {outcome.error}")
    if seen != attempts:
        problems.append(f"{where}: the fakes saw {seen} attempts, not {attempts}")
    if len(rows) != attempts:
        errors = [f"{r.error_type}: {r.error_message}" for r in rows if r.error_type]
        return [*problems, f"{where}: {len(rows)} rows for {attempts} attempts; logged errors {errors}"]
    if len({r.call_id for r in rows}) != 1:
        problems.append(f"{where}: its rows do not share one call_id")
    if [r.attempt for r in rows] != list(range(1, attempts + 1)):
        problems.append(f"{where}: attempts numbered {[r.attempt for r in rows]}")
    if [r.final for r in rows] != [False] * (attempts - 1) + [True]:
        problems.append(f"{where}: final flags {[r.final for r in rows]}")
    last = rows[-1]
    if (last.status == "success") != (got is None) or (got is not None and last.error_type != got):
        problems.append(f"{where}: outcome row {last.status}/{last.error_type}, the caller got {got}")
    if last.cost != outcome.cost:
        problems.append(f"{where}: logged cost {last.cost}, the caller was told {outcome.cost}")
    return problems


def _wait_problems(report: LoadReport) -> list[str]:
    """Retries after a 429 wait what its Retry-After said; the others back off (0.5 s, 1 s, ...)."""
    retried = Counter(fault for call in report.plan for fault in call.retried_faults())
    waits = report.client.waits
    hinted = [w for w in waits if w <= HINTED_WAIT]
    problems = []
    if len(hinted) != retried["429"] or len(waits) != retried.total():
        problems.append(f"{len(hinted)} hinted retry waits of {len(waits)}; expected {dict(retried)}")
    if any(HINTED_WAIT < w < SHORTEST_BACKOFF for w in waits):
        problems.append("a retry waited neither the Retry-After hint nor the backoff")
    return problems
