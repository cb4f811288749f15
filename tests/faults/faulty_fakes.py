"""A seeded plan of faults, and the four provider fakes that serve it, request by request.

``make_plan`` decides, for every call of a load run, its provider, whether it streams and which
fault (if any) each of its attempts meets: a 429 with a tiny Retry-After, a 500, Anthropic's 529,
an answer slower than the call's timeout, or a connection cut mid-body. Concurrent calls reach a
fake in no fixed order, so scripted replies (``enqueue``) cannot aim at one call: each prompt
carries its call number (``[call 17]``) and the fake looks the attempt up in the plan instead.
The same seed gives the same faults on every run.

The fakes' contract checks (every request and reply against the spec and SDK types) cost about
ten times what serving does, so only calls that meet a fault and every tenth call are checked.
"""

from __future__ import annotations

import json
import random
import re
import select
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from llmring.schemas import LLMRequest, Message
from tests.fakes import anthropic_fake, google_fake, ollama_fake, openai_replies
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.google_fake import GoogleFake
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import FakeProvider, RecordedRequest, Reply

MODELS = {
    "openai": "openai:gpt-4o-mini",
    "anthropic": "anthropic:claude-sonnet-4-5-20250929",
    "google": "google:gemini-2.5-flash",
    "ollama": "ollama:llama3.2",
}
PROVIDERS = tuple(MODELS)
FAULT_KINDS = ("429", "500", "529", "timeout", "drop")
# The typed error a call ends with when its last attempt met this fault.
ERROR_FOR = {
    "429": "RateLimitError",
    "500": "ProviderUnavailableError",
    "529": "ProviderUnavailableError",
    "timeout": "ProviderTimeoutError",
    "drop": "ProviderConnectionError",
}
MAX_RETRIES = 2
# The timeout of a call planned to time out: at least CALL_TIMEOUT seconds, and TIMEOUT_MARGIN
# times the slowest call the run has finished so far (``load_harness.Progress``). Its other
# attempts queue like every call (100 at a time on a loaded 2-core machine: seconds), so the bound
# follows what the machine shows, not a guess; the late answers never come (``HELD``).
CALL_TIMEOUT = 8.0
TIMEOUT_MARGIN = 2.0
LONGEST_TIMEOUT = 60.0
HELD = float("inf")  # a reply's ``delay`` meaning: never answer, hold until the client hangs up
HOLD_AT_MOST = 2 * LONGEST_TIMEOUT  # (then give up on the client: it has long timed out)
CONTRACT_EVERY = 10
_TAG = re.compile(rb"\[call (\d+)\]")


@dataclass(frozen=True)
class PlannedCall:
    """One call: where it goes, whether it streams, and the fault each attempt meets (then success)."""

    number: int
    provider: str
    stream: bool
    faults: tuple[str, ...] = ()

    def expected(self) -> tuple[int, str | None]:
        """(attempts the provider makes, the error type the caller gets or None for success)."""
        for index, fault in enumerate(self.faults):
            attempts = index + 1
            if fault == "drop" and self.stream:
                return attempts, ERROR_FOR[fault]  # bytes already reached the caller: never retried
            if attempts > MAX_RETRIES:
                return attempts, ERROR_FOR[fault]
        return len(self.faults) + 1, None

    def retried_faults(self) -> list[str]:
        """The faults that were followed by another attempt (each earns one retry wait)."""
        attempts, error = self.expected()
        return list(self.faults[: attempts if error is None else attempts - 1])

    def request(self, timeout: float = CALL_TIMEOUT) -> LLMRequest:
        """The request; only a call planned to time out gets ``timeout`` (the others: the default)."""
        return LLMRequest(
            model=MODELS[self.provider],
            messages=[Message(role="user", content=f"Say [call {self.number}]")],
            metadata={"load_call": self.number},
            timeout=timeout if "timeout" in self.faults else None,
        )


def make_plan(calls: int, failure_rate: float = 0.1, seed: int = 8, calm_start: int = 200) -> list[PlannedCall]:
    """``calls`` calls over the four providers, about ``failure_rate`` of them meeting faults.

    A faulty call fails 1 to ``MAX_RETRIES + 1`` attempts, so some recover and some exhaust
    their retries; 529 is Anthropic's own status and goes to Anthropic calls only. The first
    ``calm_start`` calls plan no timeouts: they start all at once (every connection and every
    fake thread is new), when an answer can take longer than a timeout short enough for a test.
    """
    rng = random.Random(seed)
    plan = []
    for number in range(calls):
        provider = PROVIDERS[number % len(PROVIDERS)]
        stream = rng.random() < 0.5
        faults: tuple[str, ...] = ()
        if rng.random() < failure_rate:
            kinds = [k for k in FAULT_KINDS if k != "529" or provider == "anthropic"]
            if number < calm_start:
                kinds.remove("timeout")
            faults = tuple(rng.choice(kinds) for _ in range(rng.randint(1, MAX_RETRIES + 1)))
        plan.append(PlannedCall(number, provider, stream, faults))
    return plan


def call_number(request: RecordedRequest) -> int | None:
    """The call number a request's prompt carries, if any."""
    found = _TAG.search(request.raw_body)
    return int(found[1]) if found else None


# -- fakes that serve the plan ----------------------------------------------------------------------
ERROR_REPLIES: dict[str, dict[str, Callable[[], Reply]]] = {
    "openai": {
        "429": lambda: openai_replies.rate_limit_reply(retry_after="0", **{"retry-after-ms": "5"}),
        "500": lambda: openai_replies.server_error_reply(500),
    },
    "anthropic": {
        "429": lambda: anthropic_fake.rate_limit_reply(retry_after="0"),
        "500": lambda: anthropic_fake.error_reply(500, "api_error", "Internal server error"),
        "529": anthropic_fake.overloaded_reply,
    },
    "google": {
        "429": lambda: google_fake.rate_limit_reply(retry_delay="0.005s"),
        "500": google_fake.internal_reply,
    },
    "ollama": {
        "429": lambda: ollama_fake.error_reply(429, "too many requests", **{"retry-after": "0"}),
        "500": lambda: ollama_fake.error_reply(500, ollama_fake.MODEL_FAILED),
    },
}
HINTED_WAIT = 0.005  # the longest Retry-After any of those 429s asks for


class CutReply(Reply):
    """A non-streamed answer cut mid-body; ``original`` is the whole one (for contract checks)."""

    original: Reply


class InjectedFaults(FakeProvider):
    """Mixed in before a fake: serves each tagged request's planned fault, else the fake's answer."""

    provider: str

    def __init__(self) -> None:
        super().__init__()
        self._checking = threading.local()
        self.install([])

    def install(self, plan: list[PlannedCall]) -> None:
        """Serve ``plan`` from now on (an empty plan injects nothing); forget earlier requests."""
        self.reset()
        with self._lock:
            self.plan = {call.number: call for call in plan if call.provider == self.provider}
            self.seen: Counter[int] = Counter()
            self.injected: Counter[str] = Counter()
            self.reused: list[str] = []

    def handle(self, request: RecordedRequest) -> Reply:
        self._checking.on = self.checked(request)
        fault = self._next_fault(request)
        if fault in ERROR_REPLIES[self.provider]:
            return ERROR_REPLIES[self.provider][fault]()
        reply = super().handle(request)
        if fault == "timeout":
            reply.delay = HELD  # an answer after the deadline could still win on a busy event loop
        elif fault == "drop" and reply.chunks is not None:
            reply.drop_after = 1  # mid-stream: the first event arrives, then the connection is cut
        elif fault == "drop":
            body = reply.body if isinstance(reply.body, bytes | str) else json.dumps(reply.body)
            data = body.encode() if isinstance(body, str) else body
            cut = CutReply(200, headers=reply.headers, chunks=[data[: len(data) // 2], data[len(data) // 2 :]])
            cut.drop_after, cut.original = 1, reply
            return cut
        return reply

    def checked(self, request: RecordedRequest) -> bool:
        """Whether this request (and its reply) goes through the fake's contract checks."""
        number = call_number(request)
        if number is None:
            return True
        call = self.plan.get(number)
        return number % CONTRACT_EVERY == 0 or (call is not None and bool(call.faults))

    def inspect(self, request: RecordedRequest, reply: Reply) -> None:
        if self.checked(request):
            super().inspect(request, reply.original if isinstance(reply, CutReply) else reply)

    def _write(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:  # type: ignore[override]
        """The fake's answer, except a ``HELD`` one: nothing, until the client hangs up. A client
        that sends another request on that connection instead has reused a connection whose
        answer is still to come (it could read that answer as the new one's): a problem."""
        if reply.delay != HELD:
            FakeProvider._write(handler, reply)
            return
        handler.close_connection = True
        sent = _wait_for_hang_up(handler.connection, HOLD_AT_MOST)
        if sent:
            with self._lock:
                self.reused.append(f"a request on a connection still owed a held answer: {sent[:60]!r}")

    def check_reply(self, reply: Reply) -> list[str]:
        """OpenAI's and Ollama's reply check, run from their ``handle`` (skipped when unsampled)."""
        if not getattr(self._checking, "on", True):
            return []
        return list(super().check_reply(reply))  # type: ignore[misc]

    def contract_problems(self) -> list[str]:
        """The fake's contract problems over the checked requests only."""
        everything = self.requests
        self.requests = [r for r in everything if self.checked(r)]
        try:
            found = getattr(super(), "contract_problems", None)
            return list(found()) if found is not None else list(getattr(self, "violations", []))
        finally:
            self.requests = everything

    def _next_fault(self, request: RecordedRequest) -> str | None:
        number = call_number(request)
        with self._lock:
            call = self.plan.get(number) if number is not None else None
            if call is None:
                return None
            attempt = self.seen[call.number]
            self.seen[call.number] += 1
            fault = call.faults[attempt] if attempt < len(call.faults) else None
            if fault is not None:
                self.injected[fault] += 1
        return fault


def _wait_for_hang_up(connection: socket.socket, at_most: float) -> bytes:
    """Wait until the client closes ``connection`` (b"") or sends something (the bytes), at most
    ``at_most`` seconds (b"")."""
    deadline = time.monotonic() + at_most
    while time.monotonic() < deadline:
        readable, _, _ = select.select([connection], [], [], 1.0)
        if readable:
            try:
                return connection.recv(4096, socket.MSG_PEEK)
            except OSError:
                return b""
    return b""


class FaultyOpenAI(InjectedFaults, OpenAIFake):
    provider = "openai"


class FaultyAnthropic(InjectedFaults, AnthropicFake):
    provider = "anthropic"


class FaultyGoogle(InjectedFaults, GoogleFake):
    provider = "google"


class FaultyOllama(InjectedFaults, OllamaFake):
    provider = "ollama"


FAKES: dict[str, type[InjectedFaults]] = {
    "openai": FaultyOpenAI,
    "anthropic": FaultyAnthropic,
    "google": FaultyGoogle,
    "ollama": FaultyOllama,
}


def start_fakes() -> dict[str, InjectedFaults]:
    """The four faulty fakes, started, injecting nothing until given a plan."""
    fakes: dict[str, InjectedFaults] = {}
    for name, cls in FAKES.items():
        fake = cls().start()
        assert isinstance(fake, InjectedFaults) and fake._server is not None
        # socketserver listens with a backlog of 5: a burst of 100 connects would overflow it
        # and wait for SYN retransmits (1 s and more).
        fake._server.socket.listen(256)
        fake._server.handle_error = _quiet_about_hang_ups(fake._server.handle_error)  # type: ignore[method-assign,assignment]
        fakes[name] = fake
    return fakes


def _quiet_about_hang_ups(report: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """The server's error report, minus the clients that hung up (timeouts and cuts do, by design)."""

    def handle_error(request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            report(request, client_address)

    return handle_error


def stop_fakes(fakes: dict[str, InjectedFaults]) -> None:
    for fake in fakes.values():
        fake.stop()


@dataclass
class FakesSaw:
    """What the fakes report after a run."""

    attempts: Counter[int]  # requests per call number
    injected: Counter[str]  # faults served, by kind
    contract: list[str]  # contract problems in checked exchanges


def what_fakes_saw(fakes: dict[str, InjectedFaults]) -> FakesSaw:
    attempts: Counter[int] = Counter()
    injected: Counter[str] = Counter()
    contract: list[str] = []
    for name, fake in fakes.items():
        attempts.update(n for n in map(call_number, fake.requests) if n is not None)
        injected.update(fake.injected)
        contract += [f"{name}: {p}" for p in [*fake.contract_problems(), *fake.reused]]
    return FakesSaw(attempts, injected, contract)


def serve_plan(plan_args: tuple[int, float, int, int], ready: Any, stop: Any, results: Any) -> None:
    """Child-process entry (``bench/load.py``): serve ``make_plan(*plan_args)``, then send back
    what the fakes saw."""
    fakes = start_fakes()
    plan = make_plan(*plan_args)
    for fake in fakes.values():
        fake.install(plan)
    ready.put({name: fake.base_url for name, fake in fakes.items()})
    stop.wait()
    results.put(what_fakes_saw(fakes))
    stop_fakes(fakes)
