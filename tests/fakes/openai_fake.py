"""A local OpenAI: ``/v1/chat/completions`` and ``/v1/responses`` exactly as wire_formats.md section 1 shows.

The answer is decided from the request: a wrong bearer key gets the 401 envelope, an unknown model
the ``model_not_found`` 404, tools get tool calls (one per tool, so two tools make parallel calls),
``response_format`` gets JSON, a tool result gets an answer that quotes it, and otherwise the last
user text is echoed with a count of the images and files that came with it. Streams are SSE with the
usage-only final chunk (``choices: []``) and tool-call arguments cut inside JSON strings.

``POST /v1/responses/input_tokens`` answers ``{"object": "response.input_tokens", "input_tokens": N}``.
Like the real tokenizer, the fake counts a conversation's content, not its envelope
(``input_tokens``), so a count equals the prompt tokens of the same conversation sent to either
endpoint.

Every request is checked against the OpenAI spec and SDK types (``contract_problems``), and every
body or stream event the fake produces (or a test enqueues) is checked too, so it cannot drift.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from tests.contracts import openai_contract as contract
from tests.fakes.openai_replies import (
    bad_request_reply,
    content_policy_reply,
    context_length_reply,
    error_body,
    forbidden_reply,
    quota_reply,
    rate_limit_reply,
    server_error_reply,
)
from tests.fakes.samples import fragments, rough_tokens, sample_for_schema, words
from tests.fakes.server import FakeProvider, RecordedRequest, Reply, sse

# The scripted error replies live in openai_replies; they are importable from here too.
__all__ = [
    "API_KEY",
    "MODELS",
    "OpenAIFake",
    "bad_request_reply",
    "content_policy_reply",
    "context_length_reply",
    "error_body",
    "forbidden_reply",
    "quota_reply",
    "rate_limit_reply",
    "server_error_reply",
]

API_KEY = "sk-test-fake-0123456789abcdef"
# Requested name -> the dated snapshot the API reports back.
MODELS = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-5-mini": "gpt-5-mini-2025-08-07",
    "o3-mini": "o3-mini-2025-01-31",
    "o1": "o1-2024-12-17",
    "o1-mini": "o1-mini-2024-09-12",
    "o1-preview": "o1-preview-2024-09-12",
    "o1-pro": "o1-pro-2025-03-19",
    "o4-mini": "o4-mini-2025-04-16",
    "gpt-5": "gpt-5-2025-08-07",
    "gpt-5.1": "gpt-5.1-2025-11-13",
    "gpt-5-pro": "gpt-5-pro-2025-10-06",
    "gpt-5.5-pro": "gpt-5.5-pro",  # Responses-only, not retiring (tests/cli/test_ask_initialised.py)
    "gpt-5.6-sol": "gpt-5.6-sol-2026-09-15",
}
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
REASONING_TOKENS = 64
TOOL_TOKENS = 7  # each tool definition
COUNT_PATH = "/v1/responses/input_tokens"
# Either endpoint's name for a part -> what the count sees (the same for both).
_PART_MARKS = {"image_url": "[image]", "input_image": "[image]", "file": "[file]", "input_file": "[file]"}
_PART_MARKS["input_audio"] = "[audio]"
FINGERPRINT = "fp_fake0001"


class OpenAIFake(FakeProvider):
    """OpenAI's Chat Completions and Responses endpoints under ``/v1``, deciding answers from requests."""

    def __init__(self) -> None:
        super().__init__()
        self.api_key = API_KEY
        self.violations: list[str] = []
        self._ids = itertools.count(1)
        # One-shot knobs for the next streamed answer.
        self.delay_next = 0.0  # seconds to wait before the next answer (timeouts)
        self.drop_stream_after: int | None = None
        self.stream_error_after: int | None = None

    # -- test API -----------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self.violations.clear()
        self.delay_next = 0.0
        self.drop_stream_after = None
        self.stream_error_after = None

    def enqueue(self, *replies: Reply) -> None:
        """Queue scripted replies, after checking them against the contract like the fake's own."""
        for reply in replies:
            self.violations += [f"enqueued: {p}" for p in self.check_reply(reply)]
        super().enqueue(*replies)

    def contract_problems(self) -> list[str]:
        """Every recorded request checked against the spec and SDK, plus the fake's own reply problems."""
        problems = list(self.violations)
        for req in self.requests:
            body = _json_or_none(req.raw_body)
            found = contract.check_request(req.method, req.path, body)
            if isinstance(body, dict) and "max_tokens" in body:
                found.append("llmring sent the deprecated max_tokens")
            problems += [f"{req.method} {req.path}: {p}" for p in found]
        return problems

    @staticmethod
    def check_reply(reply: Reply) -> list[str]:
        """Contract problems in a reply: bodies by kind, streams event by event."""
        if reply.chunks is not None:
            problems = []
            for name, data in _sse_payloads(b"".join(reply.chunks)):
                if data == "[DONE]":
                    continue
                event = json.loads(data)
                if "error" in event and name is None:
                    problems += contract.check_error_body(event)
                elif name is not None or "sequence_number" in event:
                    problems += contract.check_response_event(event)
                    if name != event.get("type"):
                        problems.append(f"event name {name!r} != type {event.get('type')!r}")
                else:
                    problems += contract.check_chat_chunk(event)
            return problems
        if not isinstance(reply.body, dict):
            return []
        if reply.status >= 400:
            return contract.check_error_body(reply.body)
        if reply.body.get("object") == "response":
            return contract.check_response(reply.body)
        if reply.body.get("object") == "response.input_tokens":
            return contract.check_count_response(reply.body)
        return contract.check_chat_completion(reply.body)

    # -- answers ------------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        reply = self._answer(request)
        if self.delay_next:
            reply.delay, self.delay_next = self.delay_next, 0.0
        reply.headers.setdefault("x-request-id", f"req_{next(self._ids):012d}")
        reply.headers.setdefault("openai-version", "2020-10-01")
        reply.headers.setdefault("openai-processing-ms", "42")
        try:
            self.violations += self.check_reply(reply)
        except Exception as exc:  # a broken fake must fail the test, not hang the client
            self.violations.append(f"fake reply check crashed: {exc!r}")
        return reply

    def _answer(self, request: RecordedRequest) -> Reply:
        key = request.headers.get("authorization", "")
        if key != f"Bearer {self.api_key}":
            given = key.removeprefix("Bearer ").strip()
            masked = f"{given[:6]}***{given[-3:]}" if len(given) > 9 else "***"
            message = (
                f"Incorrect API key provided: {masked}. You can find your API key at "
                "https://platform.openai.com/account/api-keys."
            )
            return Reply(401, error_body(message, "invalid_request_error", "invalid_api_key"))
        if request.method != "POST" or request.path not in ("/v1/chat/completions", "/v1/responses", COUNT_PATH):
            return Reply(404, error_body(f"Invalid URL ({request.method} {request.path})", "invalid_request_error"))
        body = _json_or_none(request.raw_body)
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return Reply(400, error_body("We could not parse the JSON body of your request.", "invalid_request_error"))
        model = body["model"]
        if model not in MODELS:
            message = f"The model `{model}` does not exist or you do not have access to it."
            return Reply(404, error_body(message, "invalid_request_error", "model_not_found"))
        refused = _refused_parameter(body)
        if refused is not None:
            return Reply(400, refused)
        if request.path == COUNT_PATH:
            return Reply(
                body={"object": "response.input_tokens", "input_tokens": input_tokens(body.get("input"), body)}
            )
        if request.path == "/v1/responses":
            return self._responses(body)
        return self._chat(body)

    # -- chat completions ---------------------------------------------------------------------
    def _chat(self, body: dict[str, Any]) -> Reply:
        model = body["model"]
        messages = body.get("messages") or []
        content, tool_calls = _decide(body)
        finish = "tool_calls" if tool_calls else "stop"
        limit = body.get("max_completion_tokens")
        if content is not None and limit is not None and len(words(content)) > limit:
            content, finish = "".join(words(content)[:limit]), "length"
        prompt_tokens = input_tokens(messages, body)
        reasoning = REASONING_TOKENS if model.startswith(REASONING_PREFIXES) else 0
        if body.get("reasoning_effort") == "none":
            reasoning = 0
        completion_tokens = rough_tokens(content or json.dumps(tool_calls)) + reasoning
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 1024 if prompt_tokens >= 1024 else 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        head = {"id": f"chatcmpl-fake{next(self._ids):08d}", "created": int(time.time()), "model": MODELS[model]}
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return self._chat_stream(head, content, tool_calls, finish, usage if include_usage else None)
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
        if tool_calls:
            message["tool_calls"] = tool_calls
        return Reply(
            200,
            {
                **head,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": FINGERPRINT,
            },
        )

    def _chat_stream(
        self,
        head: dict[str, Any],
        content: str | None,
        tool_calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, Any] | None,
    ) -> Reply:
        def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return {
                **head,
                "object": "chat.completion.chunk",
                "system_fingerprint": FINGERPRINT,
                "choices": [choice],
                "usage": None,
                **extra,
            }

        events: list[dict[str, Any] | str] = []
        if tool_calls:
            for index, call in enumerate(tool_calls):
                first = {
                    "index": index,
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["function"]["name"], "arguments": ""},
                }
                delta: dict[str, Any] = {"tool_calls": [first]}
                if index == 0:
                    delta = {"role": "assistant", "content": None, **delta}
                events.append(chunk(delta))
                for piece in fragments(call["function"]["arguments"]):
                    events.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
        else:
            events.append(chunk({"role": "assistant", "content": "", "refusal": None}, obfuscation="q3Xk"))
            for piece in words(content or ""):
                events.append(chunk({"content": piece}, obfuscation="7y"))
        events.append(chunk({}, finish))
        if usage is not None:
            events.append(
                {
                    **head,
                    "object": "chat.completion.chunk",
                    "system_fingerprint": FINGERPRINT,
                    "choices": [],
                    "usage": usage,
                }
            )
        events.append("[DONE]")
        return self._stream_reply([(None, e) for e in events])

    def _stream_reply(self, events: list[tuple[str | None, Any]]) -> Reply:
        drop, error_at = self.drop_stream_after, self.stream_error_after
        self.drop_stream_after = self.stream_error_after = None
        if error_at is not None:
            failure = error_body(
                "The server had an error while processing your request. Sorry about that!", "server_error"
            )
            events = [*events[:error_at], (None, failure)]
        return Reply(200, chunks=sse(events), drop_after=drop, content_type="text/event-stream")

    # -- responses API ------------------------------------------------------------------------
    def _responses(self, body: dict[str, Any]) -> Reply:
        model = body["model"]
        text = _echo(_responses_texts(body.get("input")))
        fmt = (body.get("text") or {}).get("format") or {}
        if fmt.get("type") == "json_schema":
            text = json.dumps(sample_for_schema(fmt.get("schema") or {}))
        elif fmt.get("type") == "json_object":
            text = json.dumps({"answer": text})
        calls = _responses_calls(body, next(self._ids))
        limit = body.get("max_output_tokens")
        status, incomplete = "completed", None
        if limit is not None and REASONING_TOKENS + len(words(text)) > limit:
            text = "".join(words(text)[: max(limit - REASONING_TOKENS, 0)])
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
        rid, n = f"resp_fake{next(self._ids):08d}", next(self._ids)
        message = {
            "type": "message",
            "id": f"msg_fake{n:08d}",
            "status": "completed" if status == "completed" else "incomplete",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }
        prompt_tokens = input_tokens(body.get("input"), body)
        output_tokens = rough_tokens(json.dumps(calls) if calls else text) + REASONING_TOKENS
        response = {
            "id": rid,
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": body.get("instructions"),
            "max_output_tokens": limit,
            "model": MODELS[model],
            "output": [{"type": "reasoning", "id": f"rs_fake{n:08d}", "summary": []}, *(calls or [message])],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": "medium", "summary": None},
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "top_p": body.get("top_p", 1.0),
            "text": {"format": fmt or {"type": "text"}},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "truncation": "disabled",
            "metadata": {},
            "usage": {
                "input_tokens": prompt_tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": REASONING_TOKENS},
                "total_tokens": prompt_tokens + output_tokens,
            },
        }
        if not body.get("stream"):
            return Reply(200, response)
        return self._responses_stream(response, message, text, calls)

    def _responses_stream(
        self, response: dict[str, Any], message: dict[str, Any], text: str, calls: list[dict[str, Any]]
    ) -> Reply:
        seq = itertools.count()
        events: list[tuple[str | None, Any]] = []

        def emit(kind: str, **fields: Any) -> None:
            events.append((kind, {"type": kind, "sequence_number": next(seq), **fields}))

        # The live API sends "usage": null here; the spec types usage as an object, so leave it out.
        pending = {k: v for k, v in response.items() if k != "usage"}
        pending.update(status="in_progress", output=[], incomplete_details=None)
        emit("response.created", response=pending)
        emit("response.in_progress", response=pending)
        if calls:
            for index, call in enumerate(calls, start=1):
                emit(
                    "response.output_item.added",
                    output_index=index,
                    item={**call, "arguments": "", "status": "in_progress"},
                )
                for piece in fragments(call["arguments"]):
                    emit("response.function_call_arguments.delta", item_id=call["id"], output_index=index, delta=piece)
                emit(
                    "response.function_call_arguments.done",
                    item_id=call["id"],
                    output_index=index,
                    name=call["name"],
                    arguments=call["arguments"],
                )
                emit("response.output_item.done", output_index=index, item=call)
            emit("response.completed", response=response)
            return self._stream_reply(events)
        open_item = {**message, "status": "in_progress", "content": []}
        emit("response.output_item.added", output_index=1, item=open_item)
        empty_part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        emit("response.content_part.added", item_id=message["id"], output_index=1, content_index=0, part=empty_part)
        for piece in words(text):
            emit(
                "response.output_text.delta",
                item_id=message["id"],
                output_index=1,
                content_index=0,
                delta=piece,
                logprobs=[],
            )
        emit(
            "response.output_text.done", item_id=message["id"], output_index=1, content_index=0, text=text, logprobs=[]
        )
        emit(
            "response.content_part.done",
            item_id=message["id"],
            output_index=1,
            content_index=0,
            part=message["content"][0],
        )
        emit("response.output_item.done", output_index=1, item=message)
        terminal = "response.completed" if response["status"] == "completed" else "response.incomplete"
        emit(terminal, response=response)
        return self._stream_reply(events)


# -- helpers ----------------------------------------------------------------------------------------
def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _sse_payloads(raw: bytes) -> list[tuple[str | None, str]]:
    out = []
    for block in raw.decode().split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            out.append((name, "\n".join(data)))
    return out


def _decide(body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """(content, tool calls) for a chat request, from what it asks for."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    tools = body.get("tools") or []
    choice = body.get("tool_choice", "auto")
    if tools and choice != "none" and last.get("role") != "tool":
        if isinstance(choice, dict) and choice.get("type") == "function":
            tools = [t for t in tools if t["function"]["name"] == choice["function"]["name"]]
        if body.get("parallel_tool_calls") is False:
            tools = tools[:1]
        calls = []
        for index, tool in enumerate(tools):
            fn = tool["function"]
            args = sample_for_schema(fn.get("parameters") or {"type": "object", "properties": {}})
            calls.append(
                {
                    "id": f"call_fake{index}{fn['name'][:8]}",
                    "type": "function",
                    "function": {"name": fn["name"], "arguments": json.dumps(args)},
                }
            )
        return None, calls
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return json.dumps(sample_for_schema(fmt["json_schema"].get("schema") or {})), []
    if fmt.get("type") == "json_object":
        return json.dumps({"answer": _echo(_chat_texts(messages))}), []
    if last.get("role") == "tool":
        return f"The tool returned {_text(last.get('content'))}.", []
    return _echo(_chat_texts(messages)), []


def input_tokens(conversation: Any, body: dict[str, Any]) -> int:
    """Prompt tokens of a conversation given as Chat Completions messages or Responses input items:
    its text (message content, tool calls, tool results) and its tools, whatever the envelope."""
    pieces: list[str] = []
    for item in [conversation] if isinstance(conversation, str) else conversation or []:
        if isinstance(item, str):
            pieces.append(item)
            continue
        content = item.get("content", item.get("output"))
        if isinstance(content, str):
            pieces.append(content)
        for part in content if isinstance(content, list) else []:
            kind = part.get("type")
            pieces.append(
                part.get("text", "")
                if kind in ("text", "input_text", "output_text")
                else _PART_MARKS.get(kind, f"[{kind}]")
            )
        calls = [call["function"] for call in item.get("tool_calls") or []]
        calls += [item] if item.get("type") == "function_call" else []
        pieces += [f"{call['name']}({call['arguments']})" for call in calls]
    if body.get("instructions"):
        pieces.append(body["instructions"])
    return rough_tokens(" ".join(pieces)) + TOOL_TOKENS * len(body.get("tools") or [])


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _chat_texts(messages: list[dict[str, Any]]) -> tuple[str, int, int]:
    """(last user text, images, files) over the user turns."""
    text, images, files = "", 0, 0
    for msg in messages:
        if msg.get("role") != "user":
            continue
        content = msg.get("content")
        text = _text(content)
        if isinstance(content, list):
            images += sum(1 for p in content if p.get("type") == "image_url")
            files += sum(1 for p in content if p.get("type") == "file")
    return text, images, files


def _responses_calls(body: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Function calls for a Responses request with tools (one per tool, or the forced one)."""
    tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
    choice = body.get("tool_choice", "auto")
    items = body.get("input")
    last = items[-1] if isinstance(items, list) and items else {}
    if not tools or choice == "none" or last.get("type") == "function_call_output":
        return []
    if isinstance(choice, dict) and choice.get("type") == "function":
        tools = [t for t in tools if t["name"] == choice["name"]]
    return [
        {
            "type": "function_call",
            "id": f"fc_fake{n:06d}{index}",
            "call_id": f"call_fake{index}{tool['name'][:8]}",
            "name": tool["name"],
            "arguments": json.dumps(sample_for_schema(tool.get("parameters") or {"type": "object"})),
            "status": "completed",
        }
        for index, tool in enumerate(tools)
    ]


def _responses_texts(items: Any) -> tuple[str, int, int]:
    if isinstance(items, str):
        return items, 0, 0
    text, images, files = "", 0, 0
    for item in items or []:
        if item.get("role") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            text = content
            continue
        text = "".join(p.get("text", "") for p in content if p.get("type") == "input_text")
        images += sum(1 for p in content if p.get("type") == "input_image")
        files += sum(1 for p in content if p.get("type") == "input_file")
    return text, images, files


def _echo(found: tuple[str, int, int]) -> str:
    text, images, files = found
    extras = "".join(f" [{label}={n}]" for label, n in (("images", images), ("files", files)) if n)
    return f"Echo: {text}{extras}"


def _refused_parameter(body: dict[str, Any]) -> dict[str, Any] | None:
    """The 400 OpenAI gives reasoning models for sampling parameters, and other models for a
    reasoning effort (the messages and codes as the API sends them)."""
    model = body["model"]
    reasoning = model.startswith(REASONING_PREFIXES)
    if reasoning:
        for name in ("temperature", "top_p"):
            if name in body and body[name] != 1:
                message = (
                    f"Unsupported value: '{name}' does not support {float(body[name])} with this model."
                    " Only the default (1) value is supported."
                )
                return error_body(message, "invalid_request_error", "unsupported_value", param=name)
    elif "reasoning_effort" in body or "reasoning" in body:
        name = "reasoning_effort" if "reasoning_effort" in body else "reasoning.effort"
        message = f"Unsupported parameter: '{name}' is not supported with this model."
        return error_body(message, "invalid_request_error", "unsupported_parameter", param=name)
    return None
