"""A local Anthropic: ``POST /v1/messages`` exactly as wire_formats.md section 2 shows.

``POST /v1/messages/count_tokens`` answers ``{"input_tokens": N}`` with N the input tokens the
same body would be billed on ``/v1/messages`` (fresh, cache-read and cache-written together),
checked against ``MessageCountTokensParams``; like the real endpoint it caches nothing.

The answer is decided from the request: a missing ``anthropic-version`` gets the 400 the API sends,
a wrong key the 401 envelope, an unknown model the ``not_found_error`` 404, sampling parameters
under version 2026-10-21 a 400. Tools get ``tool_use`` blocks (one per tool named in the last user
text, or one per tool when none is named, so two tools make parallel calls); a forced tool
(``tool_choice: {"type": "tool"}``, which is how llmring asks for JSON) gets input matching its
schema; a tool result gets an answer quoting it; otherwise the last user text is echoed with a
count of the images and documents that came with it. ``max_tokens`` and ``stop_sequences`` cut
the answer. Prompt caching is simulated: the first request with a ``cache_control`` breakpoint
writes the prefix (5m or 1h, by the breakpoint's ttl), a later identical prefix reads it.

Streams are SSE with ``ping`` events and ``input_json_delta`` fragments cut inside JSON strings;
``drop_stream_after`` and ``stream_error_after`` make the next stream break. Every request is
checked against the SDK contract and so is every reply (the fake's own or enqueued) in
``inspect``: problems land in ``violations``, which the test fixtures require to be empty.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.contracts import anthropic_contract as contract
from tests.fakes.samples import fragments, rough_tokens, sample_for_schema, words
from tests.fakes.server import FakeProvider, RecordedRequest, Reply, sse

API_KEY = "sk-ant-api03-fake-0123456789abcdef"
COUNT_PATH = "/v1/messages/count_tokens"
# Requested name -> the snapshot the API reports back.
MODELS = {
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-5-20250929": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-haiku-4-5-20251001": "claude-haiku-4-5-20251001",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
    "claude-3-7-sonnet-20250219": "claude-3-7-sonnet-20250219",
    "claude-sonnet-4-6": "claude-sonnet-4-6",
    "claude-opus-4-7": "claude-opus-4-7",
}


def error_body(etype: str, message: str, request_id: str = "req_011CFakeError", **details: str) -> dict[str, Any]:
    """Anthropic's error envelope (``details`` becomes ``error.details``)."""
    error: dict[str, Any] = {"type": etype, "message": message}
    if details:
        error["details"] = details
    return {"type": "error", "error": error, "request_id": request_id}


def error_reply(status: int, etype: str, message: str, headers: dict[str, str] | None = None, **details: str) -> Reply:
    """An error reply with the ``request-id`` header the API always sets."""
    body = error_body(etype, message, f"req_011CFake{status}", **details)
    return Reply(status, body, headers={"request-id": f"req_011CFake{status}", **(headers or {})})


def rate_limit_reply(retry_after: str = "3") -> Reply:
    """429 ``rate_limit_error`` with ``retry-after`` and the ``anthropic-ratelimit-*`` headers."""
    message = (
        "This request would exceed the rate limit for your organization of 20,000 input tokens per minute. "
        "For details, refer to: https://docs.anthropic.com/en/api/rate-limits."
    )
    headers = {
        "retry-after": retry_after,
        "anthropic-ratelimit-input-tokens-limit": "20000",
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": "2026-11-25T12:00:03Z",
    }
    return error_reply(429, "rate_limit_error", message, headers)


def spend_limit_reply() -> Reply:
    """429 over the organisation's spend limit: no retry-after, retrying cannot help."""
    message = "You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC."
    return error_reply(429, "rate_limit_error", message, error_code="enforced_spend_limit_reached")


def overloaded_reply() -> Reply:
    """529 ``overloaded_error`` with ``x-should-retry: true``."""
    return error_reply(529, "overloaded_error", "Overloaded", {"x-should-retry": "true"})


def context_length_reply() -> Reply:
    """400 for an over-long prompt: Anthropic says so only in the message."""
    return error_reply(400, "invalid_request_error", "prompt is too long: 212345 tokens > 200000 maximum")


def too_large_reply() -> Reply:
    """413 from the edge: an HTML page, not the JSON envelope."""
    html = "<html><head><title>413 Request Entity Too Large</title></head><body>request_too_large</body></html>"
    return Reply(413, html, content_type="text/html")


def error_event(etype: str = "overloaded_error", message: str = "Overloaded") -> tuple[str, dict[str, Any]]:
    """A mid-stream ``error`` event."""
    return "error", error_body(etype, message)


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _text(content: Any) -> str:
    return " ".join(b.get("text", "") for b in _blocks(content) if b.get("type") == "text")


class AnthropicFake(FakeProvider):
    """Anthropic's Messages endpoint, deciding answers from requests and checking every exchange."""

    def __init__(self) -> None:
        super().__init__()
        self.api_key = API_KEY
        self.violations: list[str] = []
        self._ids = itertools.count(1)
        self._cache: set[str] = set()
        # One-shot knobs for the next streamed answer.
        self.drop_stream_after: int | None = None
        self.stream_error_after: int | None = None

    # -- test API -----------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self.violations.clear()
        self._cache.clear()
        self.drop_stream_after = self.stream_error_after = None

    @property
    def last_body(self) -> dict[str, Any]:
        """The JSON body of the latest request."""
        return self.requests[-1].json

    def inspect(self, request: RecordedRequest, reply: Reply) -> None:
        """Check the request llmring sent and the reply about to go back (never raises)."""
        try:
            body = json.loads(request.raw_body) if request.raw_body else None
            version = request.headers.get("anthropic-version", contract.VERSION_2023)
            found = contract.header_violations(request.headers)
            if request.path == COUNT_PATH:
                found += contract.count_request_violations(body, version)
                if reply.status < 400:
                    self.violations += [
                        f"reply {reply.status}: {p}" for p in contract.count_response_violations(reply.body)
                    ]
                    self.violations += [f"request {request.path}: {p}" for p in found]
                    return
            else:
                found += contract.request_violations(body, version)
            self.violations += [f"request {request.path}: {p}" for p in found]
            self.violations += [f"reply {reply.status}: {p}" for p in self.reply_violations(reply)]
        except Exception as exc:  # a broken check must fail the test, not hang the client
            self.violations.append(f"contract check crashed: {exc!r}")

    @staticmethod
    def reply_violations(reply: Reply) -> list[str]:
        """Contract problems in a reply: bodies by status, streams event by event."""
        if reply.chunks is not None:
            return contract.stream_violations(b"".join(reply.chunks), complete=reply.drop_after is None)
        if not isinstance(reply.body, dict):
            return [] if reply.status >= 400 else ["success body is not JSON"]
        if reply.status >= 400:
            return contract.error_violations(reply.body, reply.status)
        return contract.response_violations(reply.body)

    # -- answers ------------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        reply = self._answer(request)
        reply.headers.setdefault("request-id", f"req_011CFake{next(self._ids):010d}")
        return reply

    def _answer(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or request.path not in ("/v1/messages", COUNT_PATH):
            return error_reply(404, "not_found_error", "Not Found")
        version = request.headers.get("anthropic-version")
        if version is None:
            return error_reply(400, "invalid_request_error", "anthropic-version: header is required")
        if version not in contract.VERSIONS:
            return error_reply(400, "invalid_request_error", f"anthropic-version: {version!r} is not a valid version")
        key = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
        if not key:
            return error_reply(401, "authentication_error", "x-api-key header is required")
        if key != self.api_key:
            return error_reply(401, "authentication_error", "invalid x-api-key")
        try:
            body = json.loads(request.raw_body)
        except ValueError:
            return error_reply(400, "invalid_request_error", "There was an issue with the JSON body of your request.")
        if version == contract.VERSION_2026:
            for name in sorted(contract.SAMPLING_KEYS & set(body)):
                return error_reply(400, "invalid_request_error", f"{name}: Extra inputs are not permitted")
        counting = request.path == COUNT_PATH
        check = contract.count_request_violations if counting else contract.request_violations
        problems = check(body, version)
        if problems:
            return error_reply(400, "invalid_request_error", problems[0])
        if body["model"] not in MODELS:
            return error_reply(404, "not_found_error", f"model: {body['model']}")
        if counting:
            return Reply(body={"input_tokens": self.input_tokens(body)})
        return self._reply(body)

    def _decide(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        messages = body["messages"]
        last = _blocks(messages[-1]["content"])
        results = [b for b in last if b.get("type") == "tool_result"]
        tools = body.get("tools") or []
        choice = body.get("tool_choice") or {"type": "auto"}
        calls: list[dict[str, Any]] = []
        if choice["type"] == "tool":
            calls = [t for t in tools if t["name"] == choice["name"]]
        elif tools and not results and choice["type"] != "none":
            said = _text(messages[-1]["content"])
            calls = [t for t in tools if t["name"] in said] or tools
        if calls:
            return [
                {
                    "type": "tool_use",
                    "id": f"toolu_01Fake{next(self._ids):012d}",
                    "name": t["name"],
                    "input": sample_for_schema(t["input_schema"]),
                }
                for t in calls
            ]
        output_format = (body.get("output_config") or {}).get("format")
        if output_format and not results:
            # Native structured output: the answer is text holding JSON that matches the schema.
            text = json.dumps(sample_for_schema(output_format["schema"]))
            return [{"type": "text", "text": text}]
        if results:
            quoted = "; ".join(
                str(r.get("content")) if isinstance(r.get("content"), str) else _text(r.get("content")) for r in results
            )
            return [{"type": "text", "text": f"Tool results: {quoted}"}]
        images = sum(b.get("type") == "image" for m in messages for b in _blocks(m["content"]))
        documents = sum(b.get("type") == "document" for m in messages for b in _blocks(m["content"]))
        text = f"Hello! You said: {_text(messages[-1]['content'])}"
        if images or documents:
            text += f" (with {images} image(s) and {documents} document(s))"
        return [{"type": "text", "text": text}]

    @staticmethod
    def _units(body: dict[str, Any]) -> list[dict[str, Any]]:
        """What input tokens are counted over, in prompt order: tools, system, message blocks."""
        units: list[dict[str, Any]] = list(body.get("tools") or [])
        system = body.get("system")
        units += system if isinstance(system, list) else [{"type": "text", "text": system or ""}]
        for message in body["messages"]:
            units += _blocks(message["content"])
        return units

    def input_tokens(self, body: dict[str, Any]) -> int:
        """All input tokens of ``body`` (what ``count_tokens`` answers and ``_usage`` splits)."""
        return rough_tokens("".join(json.dumps(unit, sort_keys=True) for unit in self._units(body)))

    def _usage(self, body: dict[str, Any]) -> dict[str, Any]:
        """Input tokens split into fresh, cache-read and cache-written (by breakpoint TTL)."""
        units = self._units(body)
        prefix, covered, read = "", 0, 0
        written = {"5m": 0, "1h": 0}
        for unit in units:
            prefix += json.dumps(unit, sort_keys=True)
            if "cache_control" not in unit:
                continue
            tokens = rough_tokens(prefix)
            if prefix in self._cache:
                read += tokens - covered
            else:
                written[unit["cache_control"].get("ttl", "5m")] += tokens - covered
                self._cache.add(prefix)
            covered = tokens
        total = max(rough_tokens(prefix), covered + 1)
        return {
            "input_tokens": total - covered,
            "cache_creation_input_tokens": written["5m"] + written["1h"],
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": written["5m"], "ephemeral_1h_input_tokens": written["1h"]},
            "service_tier": "standard",
        }

    def _reply(self, body: dict[str, Any]) -> Reply:
        content = self._decide(body)
        stop_reason, stop_sequence = ("tool_use" if content[0]["type"] == "tool_use" else "end_turn"), None
        if content[0]["type"] == "text":
            text = content[0]["text"]
            for seq in body.get("stop_sequences") or []:
                if seq in text:
                    text, stop_reason, stop_sequence = text[: text.index(seq)], "stop_sequence", seq
            pieces = words(text)
            if len(pieces) > body["max_tokens"]:
                text, stop_reason, stop_sequence = "".join(pieces[: body["max_tokens"]]), "max_tokens", None
            content = [{"type": "text", "text": text}]
        if (body.get("thinking") or {}).get("type") in ("enabled", "adaptive"):
            # The thinking block comes first and is billed as output (its summary's tokens here).
            thought = {"type": "thinking", "thinking": "Let me think. " * 8, "signature": "c2lnLWZha2U="}
            content = [thought, *content]
        usage = self._usage(body)
        usage["output_tokens"] = rough_tokens(json.dumps(content))
        message = {
            "id": f"msg_01Fake{next(self._ids):012d}",
            "type": "message",
            "role": "assistant",
            "model": MODELS[body["model"]],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": usage,
        }
        if body.get("stream"):
            return self._stream(message)
        return Reply(200, message)

    def _stream(self, message: dict[str, Any]) -> Reply:
        usage = dict(message["usage"])
        start_usage = {**usage, "output_tokens": 1}
        start = {**message, "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}
        events: list[tuple[str, Any]] = [("message_start", {"type": "message_start", "message": start})]
        events.append(("ping", {"type": "ping"}))
        for index, block in enumerate(message["content"]):
            if block["type"] == "text":
                opening: dict[str, Any] = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": w} for w in words(block["text"])]
            elif block["type"] == "thinking":
                opening = {"type": "thinking", "thinking": "", "signature": ""}
                deltas = [{"type": "thinking_delta", "thinking": w} for w in words(block["thinking"])]
                deltas.append({"type": "signature_delta", "signature": block["signature"]})
            else:
                opening = {**block, "input": {}}
                raw = json.dumps(block["input"])
                deltas = [{"type": "input_json_delta", "partial_json": p} for p in ["", *fragments(raw, 5)]]
            events.append(
                ("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening})
            )
            for n, delta in enumerate(deltas):
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
                if n == 1:
                    events.append(("ping", {"type": "ping"}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
        final_usage = {k: v for k, v in usage.items() if k not in ("cache_creation", "service_tier")}
        events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": final_usage}))
        events.append(("message_stop", {"type": "message_stop"}))
        drop, error_at = self.drop_stream_after, self.stream_error_after
        self.drop_stream_after = self.stream_error_after = None
        if error_at is not None:
            events = [*events[:error_at], error_event()]
        return Reply(200, chunks=sse(events), drop_after=drop, content_type="text/event-stream")
