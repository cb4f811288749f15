"""Check Anthropic Messages API payloads against the official ``anthropic`` SDK types.

Anthropic publishes no OpenAPI file, so the SDK is the best machine-readable contract
(wire_formats.md 5.1). Both directions are checked:

* requests (what llmring sends): ``MessageCreateParams`` validated through a long-lived pydantic
  ``TypeAdapter``, then *materialised* because pydantic checks ``Iterable[...]`` lazily
  (wire_formats.md 5.2), plus a key allowlist because TypedDicts ignore unknown keys, plus the
  rules the types cannot express (headers, tool_result placement, tool ids, empty text, breakpoints);
* token counts (``POST /v1/messages/count_tokens``): ``MessageCountTokensParams`` with its own key
  allowlist (no ``max_tokens``, no sampling, no ``stream``), answered by ``MessageTokensCount``;
* responses (what the fake sends): ``Message``, every SSE event as ``RawMessageStreamEvent`` (``ping``
  and ``error`` events as their own shapes) and every error body as ``ErrorResponse``.

The installed SDK (2.x) describes API version ``2026-10-21``. llmring sends ``2023-06-01`` by
default, whose only differences that matter here are the sampling parameters (accepted there,
removed in 2.x types) and the 2.x-only additions (a top-level ``cache_control`` and a ``system``
message role). ``request_violations`` applies the rules of the version named in the request header.

Every function returns a list of violations (empty means valid) so a fake can collect them.
"""

from __future__ import annotations

import collections.abc
import json
import re
import typing
from typing import Any

from anthropic.types import (
    Message,
    MessageCountTokensParams,
    MessageCreateParams,
    MessageTokensCount,
    RawMessageStreamEvent,
)
from anthropic.types.shared import ErrorResponse
from pydantic import TypeAdapter, ValidationError

VERSION_2023 = "2023-06-01"
VERSION_2026 = "2026-10-21"
VERSIONS = (VERSION_2023, VERSION_2026)

# Keep the adapters alive for the session (a temporary one made pydantic-core panic, 5.2).
_REQUEST = TypeAdapter(MessageCreateParams)
_EVENT = TypeAdapter(RawMessageStreamEvent)
_COUNT_REQUEST = TypeAdapter(MessageCountTokensParams)

SDK_KEYS = frozenset(set().union(*(typing.get_type_hints(t) for t in typing.get_args(MessageCreateParams))))
SAMPLING_KEYS = frozenset({"temperature", "top_p", "top_k"})
ALLOWED_KEYS = {
    VERSION_2023: (SDK_KEYS - {"cache_control"}) | SAMPLING_KEYS,
    VERSION_2026: SDK_KEYS,
}
COUNT_KEYS = frozenset(typing.get_type_hints(MessageCountTokensParams))
COUNT_ALLOWED_KEYS = {VERSION_2023: COUNT_KEYS - {"cache_control"}, VERSION_2026: COUNT_KEYS}
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_TOOL_ID = re.compile(r"^[a-zA-Z0-9_-]+$")


def _materialize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, (str, bytes)) or not isinstance(value, collections.abc.Iterable):
        return value
    return [_materialize(v) for v in value]


def _errors(exc: ValidationError, limit: int = 3) -> str:
    """The errors worth reading: union branches whose ``type``/``role`` literal did not match are noise."""
    errors = exc.errors()
    wrong_branch = [e["loc"][:-1] for e in errors if e["type"] == "literal_error" and e["loc"][-1] in ("type", "role")]
    kept = [e for e in errors if not any(e["loc"][: len(b)] == b for b in wrong_branch)] or errors
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in kept[:limit])


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def header_violations(headers: dict[str, str]) -> list[str]:
    """Auth, version and content type (header names lower-cased)."""
    problems = []
    if not headers.get("x-api-key") and not headers.get("authorization", "").startswith("Bearer "):
        problems.append("[headers] no x-api-key")
    if headers.get("anthropic-version") not in VERSIONS:
        problems.append(f"[headers] anthropic-version {headers.get('anthropic-version')!r} not in {VERSIONS}")
    if not headers.get("content-type", "").startswith("application/json"):
        problems.append("[headers] content-type is not application/json")
    return problems


def _semantic_violations(body: dict[str, Any], version: str) -> list[str]:
    problems: list[str] = []
    seen_tool_ids: set[str] = set()
    breakpoints = 0
    system = body.get("system")
    for block in system if isinstance(system, list) else []:
        breakpoints += "cache_control" in block
    for tool in body.get("tools") or []:
        breakpoints += "cache_control" in tool
        if not _TOOL_NAME.match(str(tool.get("name", ""))):
            problems.append(f"[rules] tool name {tool.get('name')!r} does not match {_TOOL_NAME.pattern}")
    for i, message in enumerate(body.get("messages") or []):
        role = message.get("role")
        if version == VERSION_2023 and role not in ("user", "assistant"):
            problems.append(f"[rules] messages[{i}].role {role!r}: 2023-06-01 has only user and assistant")
        if message.get("content") in ("", []):
            problems.append(f"[rules] messages[{i}] has empty content")
        blocks = _blocks(message)
        kinds = [b.get("type") for b in blocks]
        if "tool_result" in kinds and kinds.index("tool_result") != 0:
            problems.append(f"[rules] messages[{i}]: tool_result blocks must come first")
        if "tool_result" in kinds and any(k != "tool_result" for k in kinds[: kinds.count("tool_result")]):
            problems.append(f"[rules] messages[{i}]: tool_result blocks must be contiguous at the start")
        for j, block in enumerate(blocks):
            where = f"messages[{i}].content[{j}]"
            breakpoints += "cache_control" in block
            if block.get("type") == "text" and not block.get("text"):
                problems.append(f"[rules] {where}: text blocks must be non-empty")
            if block.get("type") == "tool_use":
                if role != "assistant":
                    problems.append(f"[rules] {where}: tool_use only in assistant turns")
                if not _TOOL_ID.match(str(block.get("id", ""))):
                    problems.append(f"[rules] {where}: tool_use id {block.get('id')!r} is not [a-zA-Z0-9_-]+")
                seen_tool_ids.add(str(block.get("id")))
            if block.get("type") == "tool_result":
                if role != "user":
                    problems.append(f"[rules] {where}: tool_result only in user turns")
                if block.get("tool_use_id") not in seen_tool_ids:
                    problems.append(f"[rules] {where}: tool_use_id {block.get('tool_use_id')!r} has no tool_use")
            if version == VERSION_2026 and role == "assistant" and block.get("type") == "document":
                problems.append(f"[rules] {where}: 2026-10-21 rejects documents in assistant turns")
            if version == VERSION_2026 and role == "user" and block.get("type") == "text" and block.get("citations"):
                problems.append(f"[rules] {where}: 2026-10-21 rejects citations on user text")
    if breakpoints > 4:
        problems.append(f"[rules] {breakpoints} cache_control breakpoints (at most 4)")
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if key in body and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1):
            problems.append(f"[rules] {key} must be a number in [0, 1], got {value!r}")
    return problems + _thinking_violations(body)


def _thinking_violations(body: dict[str, Any]) -> list[str]:
    """Extended thinking's rules (docs: "Building with extended thinking", "Adaptive thinking")."""
    thinking = body.get("thinking") or {}
    if thinking.get("type") not in ("enabled", "adaptive"):
        return []
    problems = []
    if thinking["type"] == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            problems.append(f"[rules] thinking.budget_tokens must be >= 1024, got {budget!r}")
        elif budget >= body.get("max_tokens", 0):
            problems.append("[rules] max_tokens must be greater than thinking.budget_tokens")
    if body.get("temperature", 1) != 1 or "top_k" in body:
        problems.append("[rules] temperature may only be set to 1 and top_k not at all when thinking is enabled")
    if "top_p" in body and body["top_p"] < 0.95:
        problems.append("[rules] top_p must be between 0.95 and 1 when thinking is enabled")
    if (body.get("tool_choice") or {}).get("type") in ("any", "tool"):
        problems.append("[rules] thinking may not be enabled when tool_choice forces tool use")
    return problems


def request_violations(body: Any, version: str = VERSION_2023) -> list[str]:
    """Violations of a ``POST /v1/messages`` body under API ``version``."""
    if not isinstance(body, dict):
        return ["[sdk MessageCreateParams] body is not an object"]
    if version not in VERSIONS:
        return [f"[version] unknown anthropic-version {version!r}"]
    problems = []
    unknown = set(body) - ALLOWED_KEYS[version]
    if unknown:
        problems.append(f"[sdk MessageCreateParams] unknown keys for {version}: {sorted(unknown)}")
    sdk_body = {k: v for k, v in body.items() if k not in SAMPLING_KEYS}
    try:
        _materialize(_REQUEST.validate_python(sdk_body))
    except ValidationError as exc:
        problems.append(f"[sdk MessageCreateParams] {_errors(exc)}")
        return problems
    return problems + _semantic_violations(body, version)


def count_request_violations(body: Any, version: str = VERSION_2023) -> list[str]:
    """Violations of a ``POST /v1/messages/count_tokens`` body under API ``version``."""
    if not isinstance(body, dict):
        return ["[sdk MessageCountTokensParams] body is not an object"]
    if version not in VERSIONS:
        return [f"[version] unknown anthropic-version {version!r}"]
    problems = []
    unknown = set(body) - COUNT_ALLOWED_KEYS[version]
    if unknown:
        problems.append(f"[sdk MessageCountTokensParams] unknown keys for {version}: {sorted(unknown)}")
    try:
        _materialize(_COUNT_REQUEST.validate_python(body))
    except ValidationError as exc:
        problems.append(f"[sdk MessageCountTokensParams] {_errors(exc)}")
        return problems
    return problems + _semantic_violations(body, version)


def count_response_violations(body: Any) -> list[str]:
    """Violations of a token count answer (``anthropic.types.MessageTokensCount``)."""
    try:
        MessageTokensCount.model_validate(body)
    except ValidationError as exc:
        return [f"[sdk MessageTokensCount] {_errors(exc)}"]
    if set(body) != {"input_tokens"}:
        return [f"[sdk MessageTokensCount] unexpected keys {sorted(set(body) - {'input_tokens'})}"]
    return []


def response_violations(body: Any) -> list[str]:
    """Violations of a non-streamed success body (``anthropic.types.Message``)."""
    try:
        message = Message.model_validate(body)
    except ValidationError as exc:
        return [f"[sdk Message] {_errors(exc)}"]
    if message.usage.cache_creation_input_tokens is None or message.usage.cache_read_input_tokens is None:
        return ["[sdk Message] usage lacks the cache counts the API always sends"]
    return []


def error_violations(body: Any, status: int | None = None) -> list[str]:
    """Violations of an error envelope (``anthropic.types.shared.ErrorResponse``)."""
    try:
        ErrorResponse.model_validate(body)
    except ValidationError as exc:
        return [f"[sdk ErrorResponse] {_errors(exc)}"]
    return []


def event_violations(name: str, data: Any) -> list[str]:
    """Violations of one SSE event (``event:`` name must equal ``data.type``)."""
    if not isinstance(data, dict) or data.get("type") != name:
        return [f"[sse] event {name!r} carries type {getattr(data, 'get', lambda _: None)('type')!r}"]
    if name == "ping":
        return [] if data == {"type": "ping"} else [f"[sse] odd ping {data!r}"]
    if name == "error":
        return error_violations(data)
    try:
        _EVENT.validate_python(data)
    except ValidationError as exc:
        return [f"[sdk RawMessageStreamEvent] {name}: {_errors(exc)}"]
    return []


def stream_violations(raw: bytes, *, complete: bool = True) -> list[str]:
    """Violations of a whole SSE body: each event, and the order (``complete`` = ends normally)."""
    problems: list[str] = []
    names: list[str] = []
    for frame in raw.decode().replace("\r\n", "\n").split("\n\n"):
        if not frame.strip():
            continue
        fields = dict(line.split(": ", 1) for line in frame.split("\n") if ": " in line)
        if "event" not in fields or "data" not in fields:
            problems.append(f"[sse] frame without event/data: {frame[:60]!r}")
            continue
        names.append(fields["event"])
        problems += event_violations(fields["event"], json.loads(fields["data"]))
    flow = [n for n in names if n != "ping"]
    if flow and flow[0] != "message_start" and flow != ["error"]:
        problems.append(f"[sse] stream starts with {flow[0]!r}, not message_start")
    if complete and flow and flow[-1] not in ("message_stop", "error"):
        problems.append(f"[sse] stream ends with {flow[-1]!r}")
    return problems
