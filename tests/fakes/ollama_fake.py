"""A local Ollama: ``POST /api/chat`` (JSON or NDJSON stream) and ``GET /api/tags`` (wire_formats.md section 4).

The answer is decided from the request: an unknown model gets ``404 {"error": "model 'x' not found"}``,
tools get whole tool calls with object arguments and no ids (``tool_call_ids = True`` adds them, as
newer servers do), ``format`` gets JSON (matching the schema when one is given), ``num_predict``
truncates with ``done_reason: "length"``, and otherwise the last user text is echoed with a count
of the images. Every request and every line the fake writes is checked against the Ollama spec and
the ``ollama`` SDK types.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.contracts import ollama_contract as contract
from tests.fakes.samples import rough_tokens, sample_for_schema, words
from tests.fakes.server import FakeProvider, RecordedRequest, Reply, ndjson

MODELS = ("llama3.2", "llama3.2:latest", "qwen3:8b", "llava:7b")
MODEL_FAILED = "an error was encountered while running the model"


def error_reply(status: int, message: str, **headers: str) -> Reply:
    """Ollama's only error shape, ``{"error": "<text>"}``."""
    return Reply(status, {"error": message}, headers=headers)


def unauthorized_reply() -> Reply:
    """401 from a server behind a key (ollama.com)."""
    return error_reply(401, "unauthorized")


def _now() -> str:
    stamp = datetime.now(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}123Z"  # RFC 3339, ns precision


class OllamaFake(FakeProvider):
    """Ollama's native API, deciding answers from requests."""

    def __init__(self) -> None:
        super().__init__()
        self.violations: list[str] = []
        self.tool_call_ids = False
        self.delay_next = 0.0  # seconds to wait before the next answer (timeouts)
        self.drop_stream_after: int | None = None
        self.stream_error_after: int | None = None

    # -- test API -----------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self.violations.clear()
        self.tool_call_ids = False
        self.delay_next = 0.0
        self.drop_stream_after = None
        self.stream_error_after = None

    def enqueue(self, *replies: Reply) -> None:
        """Queue scripted replies, after checking them against the contract."""
        for reply in replies:
            self.violations += [f"enqueued: {p}" for p in self.check_reply(reply)]
        super().enqueue(*replies)

    def contract_problems(self) -> list[str]:
        """Every recorded request checked against the spec and SDK, plus the fake's own reply problems."""
        problems = list(self.violations)
        for req in self.requests:
            try:
                body = json.loads(req.raw_body) if req.raw_body else None
            except ValueError:
                body = None
            problems += [f"{req.method} {req.path}: {p}" for p in contract.check_request(req.method, req.path, body)]
        return problems

    @staticmethod
    def check_reply(reply: Reply) -> list[str]:
        """Contract problems in a reply: bodies by status, streams line by line."""
        if reply.chunks is not None:
            problems = []
            for line in b"".join(reply.chunks).decode().splitlines():
                if line.strip():
                    problems += contract.check_chunk(json.loads(line))
            return problems
        if not isinstance(reply.body, dict) or "models" in reply.body:
            return []
        if reply.status >= 400:
            return contract.check_error_body(reply.body)
        return contract.check_response(reply.body)

    # -- answers ------------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        reply = self._answer(request)
        if self.delay_next:
            reply.delay, self.delay_next = self.delay_next, 0.0
        try:
            self.violations += self.check_reply(reply)
        except Exception as exc:  # a broken fake must fail the test, not hang the client
            self.violations.append(f"fake reply check crashed: {exc!r}")
        return reply

    def _answer(self, request: RecordedRequest) -> Reply:
        if request.method == "GET" and request.path == "/api/tags":
            return Reply(200, {"models": [_tag(name) for name in MODELS if ":" in name]})
        if request.method != "POST" or request.path != "/api/chat":
            return Reply(404, "404 page not found", content_type="text/plain")
        try:
            body = json.loads(request.raw_body)
        except ValueError:
            return error_reply(400, "invalid character looking for beginning of value")
        if not isinstance(body, dict) or not body.get("model"):
            return error_reply(400, "model is required")
        if body["model"] not in MODELS:
            return error_reply(404, f"model '{body['model']}' not found")
        return self._chat(body)

    def _chat(self, body: dict[str, Any]) -> Reply:
        model = body["model"]
        messages = body.get("messages") or []
        content, calls = self._decide(body)
        done_reason = "stop"
        limit = (body.get("options") or {}).get("num_predict")
        if limit is not None and limit >= 0 and len(words(content)) > limit:
            content, done_reason = "".join(words(content)[:limit]), "length"
        counters = {
            "total_duration": 182242375,
            "load_duration": 41295167,
            "prompt_eval_count": rough_tokens(json.dumps(messages)),
            "prompt_eval_duration": 24573166,
            "eval_count": rough_tokens(content or json.dumps(calls)),
            "eval_duration": 115959084,
        }
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if calls:
            message["tool_calls"] = calls
        if body.get("stream", True) is False:
            return Reply(
                200,
                {
                    "model": model,
                    "created_at": _now(),
                    "message": message,
                    "done": True,
                    "done_reason": done_reason,
                    **counters,
                },
            )
        lines: list[dict[str, Any]] = []
        if calls:
            lines.append(
                {
                    "model": model,
                    "created_at": _now(),
                    "message": {"role": "assistant", "content": "", "tool_calls": calls},
                    "done": False,
                }
            )
        for piece in words(content):
            lines.append(
                {
                    "model": model,
                    "created_at": _now(),
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
            )
        lines.append(
            {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": done_reason,
                **counters,
            }
        )
        drop, error_at = self.drop_stream_after, self.stream_error_after
        self.drop_stream_after = self.stream_error_after = None
        if error_at is not None:
            lines = [*lines[:error_at], {"error": MODEL_FAILED}]
        return Reply(200, chunks=ndjson(lines), drop_after=drop, content_type="application/x-ndjson")

    def _decide(self, body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        messages = body.get("messages") or []
        last = messages[-1] if messages else {}
        tools = body.get("tools") or []
        if tools and last.get("role") != "tool":
            calls = []
            for index, tool in enumerate(tools):
                fn = tool["function"]
                args = sample_for_schema(fn.get("parameters") or {"type": "object", "properties": {}})
                call: dict[str, Any] = {"function": {"index": index, "name": fn["name"], "arguments": args}}
                if self.tool_call_ids:
                    call = {"id": f"call_ollama{index}", **call}
                calls.append(call)
            return "", calls
        fmt = body.get("format")
        if isinstance(fmt, dict):
            return json.dumps(sample_for_schema(fmt)), []
        text, images = "", 0
        for msg in messages:
            if msg.get("role") == "user":
                text = msg.get("content", "")
                images += len(msg.get("images") or [])
        if fmt == "json":
            return json.dumps({"answer": text}), []
        if last.get("role") == "tool":
            return f"The tool {last.get('tool_name', '?')} returned {last.get('content', '')}.", []
        return f"Echo: {text}" + (f" [images={images}]" if images else ""), []


def _tag(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": "2025-05-04T17:37:44.706015396-07:00",
        "size": 2019393189,
        "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "3.2B",
            "quantization_level": "Q4_K_M",
        },
    }
