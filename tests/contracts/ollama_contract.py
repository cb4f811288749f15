"""Check Ollama ``/api/chat`` payloads against ``ollama-openapi.yaml`` and the ``ollama`` SDK types.

The SDK's ``ChatRequest`` takes messages and options as plain mappings and never looks inside,
so the SDK side here validates each message as ``ollama._types.Message``, ``options`` as
``Options`` (strict) and each tool as ``Tool``, with key allowlists. Two rules the SDK types are
too loose to carry come from the API docs (``docs/api.md``): ``messages`` is required and a role
is one of system/user/assistant/tool. The spec side lacks ``tool_name`` and tool-call ids
(wire_formats.md 5.3) but allows extra keys, so it still checks what it knows.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import yaml
from ollama._types import ChatRequest, ChatResponse, Message, Options, Tool
from pydantic import ValidationError

from tests.contracts.spec_files import SpecValidators, normalize_openapi, spec_path

SPEC_FILE = "ollama-openapi.yaml"
ROLES = frozenset({"system", "user", "assistant", "tool"})
REQUEST_KEYS = frozenset(ChatRequest.model_fields)
MESSAGE_KEYS = frozenset(Message.model_fields)


@functools.cache
def spec() -> SpecValidators | None:
    """The Ollama spec (loaded once), or None if it is not on this machine."""
    path = spec_path(SPEC_FILE)
    if path is None:
        return None
    with path.open(encoding="utf-8") as fh:
        return SpecValidators("urn:ollama", normalize_openapi(yaml.safe_load(fh)))


def spec_violations(component: str, instance: Any) -> list[str]:
    """Violations of ``instance`` against a spec component (none when the spec is absent)."""
    validators = spec()
    return validators.errors(component, instance) if validators is not None else []


def _errors(name: str, exc: ValidationError) -> str:
    return f"[sdk {name}] " + "; ".join(f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


def sdk_request_violations(body: Any) -> list[str]:
    """The SDK types for a chat request, looked at all the way down."""
    if not isinstance(body, dict):
        return ["[sdk ChatRequest] body is not an object"]
    problems = []
    if set(body) - REQUEST_KEYS:
        problems.append(f"[sdk ChatRequest] unknown keys {sorted(set(body) - REQUEST_KEYS)}")
    try:
        ChatRequest.model_validate_json(json.dumps(body), strict=True)
    except ValidationError as exc:
        problems.append(_errors("ChatRequest", exc))
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append("[docs] messages is required and must be a non-empty list")
        messages = []
    for index, msg in enumerate(messages):
        problems += [f"messages/{index}: {p}" for p in _message_violations(msg)]
    options = body.get("options")
    if options is not None:
        try:
            Options.model_validate_json(json.dumps(options), strict=True)
        except ValidationError as exc:
            problems.append(_errors("Options", exc))
        if isinstance(options, dict) and set(options) - set(Options.model_fields):
            problems.append(f"[sdk Options] unknown keys {sorted(set(options) - set(Options.model_fields))}")
    for index, tool in enumerate(body.get("tools") or ()):
        try:
            Tool.model_validate_json(json.dumps(tool), strict=True)
        except ValidationError as exc:
            problems.append(f"tools/{index}: {_errors('Tool', exc)}")
    return problems


def _message_violations(msg: Any) -> list[str]:
    if not isinstance(msg, dict):
        return ["[sdk Message] not an object"]
    problems = []
    if msg.get("role") not in ROLES:
        problems.append(f"[docs] role {msg.get('role')!r} is not one of {sorted(ROLES)}")
    if set(msg) - MESSAGE_KEYS:
        problems.append(f"[sdk Message] unknown keys {sorted(set(msg) - MESSAGE_KEYS)}")
    # The SDK wraps each image in Image(value=...) and its serializer checks it is base64.
    shaped = dict(msg)
    if isinstance(msg.get("images"), list):
        shaped["images"] = [{"value": image} for image in msg["images"]]
    try:
        Message.model_validate(shaped, strict=True).model_dump()
    except (ValidationError, ValueError) as exc:
        problems.append(_errors("Message", exc) if isinstance(exc, ValidationError) else f"[sdk Message] {exc}")
    return problems


def check_request(method: str, path: str, body: Any) -> list[str]:
    """A recorded request: only ``POST /api/chat`` (and ``GET /api/tags``) are expected."""
    if method == "GET" and path == "/api/tags":
        return []
    if method != "POST" or path != "/api/chat":
        return [f"unexpected {method} {path}"]
    return spec_violations("ChatRequest", body) + sdk_request_violations(body)


def check_response(body: Any) -> list[str]:
    """A non-streamed chat response, or the final ``done: true`` line of a stream."""
    return spec_violations("ChatResponse", body) + _model(body)


def check_chunk(chunk: Any) -> list[str]:
    """One NDJSON line of a chat stream (the SDK parses each as ``ChatResponse``)."""
    if isinstance(chunk, dict) and "error" in chunk:
        return check_error_body(chunk)
    component = "ChatResponse" if isinstance(chunk, dict) and chunk.get("done") else "ChatStreamEvent"
    return spec_violations(component, chunk) + _model(chunk)


def check_error_body(body: Any) -> list[str]:
    """``{"error": "<text>"}``."""
    problems = spec_violations("ErrorResponse", body)
    if not isinstance(body, dict) or not isinstance(body.get("error"), str) or set(body) != {"error"}:
        problems.append('[docs] an error body is exactly {"error": "<text>"}')
    return problems


def _model(body: Any) -> list[str]:
    try:
        ChatResponse.model_validate(body)
    except ValidationError as exc:
        return [_errors("ChatResponse", exc)]
    return []
