"""Check Gemini ``generateContent`` payloads against the official ``google-genai`` SDK types.

google-genai has no wire-level request model, so each top-level request key is validated as the
SDK type for it (wire_formats.md 5.2): the models accept camelCase aliases and have
``extra='forbid'``, so misspelt or invented fields fail. JSON mode (``validate_json``) is used
because it decodes base64 ``bytes`` the way the API does. The SDK accepts any string as a role
and warns (rather than fails) on an unknown enum value, so those rules are checked here too, with
the proto's ``oneof`` rule for parts and the pairing rules for schemas.

Responses (what the fake sends) are validated with ``GenerateContentResponse.model_validate_json``,
each SSE ``data:`` payload likewise, and error bodies against the ``google.rpc.Status`` shape.

Every function returns a list of violations (empty means valid) so a fake can collect them.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from google.genai import types as gt
from pydantic import TypeAdapter, ValidationError

REQUEST_TYPES: dict[str, Any] = {
    "contents": list[gt.Content],
    "systemInstruction": gt.Content,
    "generationConfig": gt.GenerationConfig,
    "tools": list[gt.Tool],
    "toolConfig": gt.ToolConfig,
    "safetySettings": list[gt.SafetySetting],
    "cachedContent": str,
}
_ADAPTERS = {key: TypeAdapter(kind) for key, kind in REQUEST_TYPES.items()}
_RESPONSE = TypeAdapter(gt.GenerateContentResponse)
_COUNT_RESPONSE = TypeAdapter(gt.CountTokensResponse)
_PART_DATA = ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode")
_PART_DATA += ("codeExecutionResult",)
RPC_STATUSES = {
    400: ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE"),
    401: ("UNAUTHENTICATED",),
    403: ("PERMISSION_DENIED",),
    404: ("NOT_FOUND",),
    429: ("RESOURCE_EXHAUSTED",),
    499: ("CANCELLED",),
    500: ("INTERNAL", "UNKNOWN"),
    503: ("UNAVAILABLE",),
    504: ("DEADLINE_EXCEEDED",),
}


def _errors(exc: ValidationError, limit: int = 3) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:limit])


def _validate_json(adapter: TypeAdapter[Any], raw: str, where: str) -> list[str]:
    """Validate, turning the SDK's "not a valid <Enum>" warnings into violations."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            adapter.validate_json(raw)
        except ValidationError as exc:
            return [f"[sdk {where}] {_errors(exc)}"]
    return [f"[sdk {where}] {w.message}" for w in caught if "is not a valid" in str(w.message)]


def _content_violations(content: dict[str, Any], where: str, roles: tuple[str | None, ...]) -> list[str]:
    problems = []
    if content.get("role") not in roles:
        problems.append(f"[rules] {where}.role {content.get('role')!r} not in {roles}")
    parts = content.get("parts") or []
    if not parts:
        problems.append(f"[rules] {where} has no parts")
    for j, part in enumerate(parts):
        data = [k for k in _PART_DATA if k in part]
        if len(data) != 1:
            problems.append(f"[rules] {where}.parts[{j}] must hold exactly one of the data fields, has {data}")
        if "text" in part and not part["text"]:
            problems.append(f"[rules] {where}.parts[{j}] has an empty text")
    return problems


def request_violations(body: Any) -> list[str]:
    """Violations of a ``generateContent`` / ``streamGenerateContent`` body."""
    if not isinstance(body, dict):
        return ["[request] body is not an object"]
    problems = []
    unknown = set(body) - set(REQUEST_TYPES)
    if unknown:
        problems.append(f"[request] unknown top-level fields {sorted(unknown)}")
    if not body.get("contents"):
        problems.append("[request] contents is required and non-empty")
    for key, adapter in _ADAPTERS.items():
        if key in body:
            problems += _validate_json(adapter, json.dumps(body[key]), key)
    if problems:
        return problems
    for i, content in enumerate(body["contents"]):
        problems += _content_violations(content, f"contents[{i}]", ("user", "model"))
    if "systemInstruction" in body:
        problems += _content_violations(body["systemInstruction"], "systemInstruction", (None, "user"))
    config = body.get("generationConfig") or {}
    if "responseSchema" in config and "responseJsonSchema" in config:
        problems.append("[rules] responseSchema and responseJsonSchema are mutually exclusive")
    if ("responseSchema" in config or "responseJsonSchema" in config) and config.get(
        "responseMimeType"
    ) != "application/json":
        problems.append("[rules] a response schema needs responseMimeType application/json")
    for tool in body.get("tools") or []:
        for decl in tool.get("functionDeclarations") or []:
            if "parameters" in decl and "parametersJsonSchema" in decl:
                problems.append(f"[rules] {decl.get('name')}: parameters and parametersJsonSchema both set")
    names = {d.get("name") for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []}
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    for name in calling.get("allowedFunctionNames") or []:
        if name not in names:
            problems.append(f"[rules] allowedFunctionNames names unknown function {name!r}")
    if calling.get("allowedFunctionNames") and calling.get("mode") != "ANY":
        problems.append("[rules] allowedFunctionNames needs mode ANY")
    return problems


def count_request_violations(body: Any, model: str) -> list[str]:
    """Violations of a ``models/{model}:countTokens`` body: ``contents`` alone, or a whole
    ``generateContentRequest`` naming the same model as ``models/{model}`` (not both)."""
    if not isinstance(body, dict):
        return ["[request] body is not an object"]
    if set(body) == {"contents"}:
        return request_violations(body)
    if set(body) != {"generateContentRequest"}:
        return [f"[request] countTokens takes contents or generateContentRequest, got {sorted(body)}"]
    inner = body["generateContentRequest"]
    if not isinstance(inner, dict) or inner.get("model") != f"models/{model}":
        return [f"[request] generateContentRequest.model must be 'models/{model}'"]
    return request_violations({k: v for k, v in inner.items() if k != "model"})


def count_response_violations(raw: str | bytes | Any) -> list[str]:
    """Violations of a ``CountTokensResponse``."""
    text = raw.decode() if isinstance(raw, bytes) else raw if isinstance(raw, str) else json.dumps(raw)
    problems = _validate_json(_COUNT_RESPONSE, text, "CountTokensResponse")
    return problems or ([] if "totalTokens" in json.loads(text) else ["[sdk CountTokensResponse] no totalTokens"])


def response_violations(raw: str | bytes | Any) -> list[str]:
    """Violations of a ``GenerateContentResponse`` (one body, or one SSE payload)."""
    text = raw.decode() if isinstance(raw, bytes) else raw if isinstance(raw, str) else json.dumps(raw)
    return _validate_json(_RESPONSE, text, "GenerateContentResponse")


def error_violations(body: Any, status: int | None = None) -> list[str]:
    """Violations of a ``google.rpc.Status`` error body (and its agreement with the HTTP status)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or set(body) != {"error"}:
        return [f"[status] not a google.rpc.Status envelope: {str(body)[:80]}"]
    problems = []
    if not isinstance(error.get("code"), int) or not isinstance(error.get("message"), str):
        problems.append("[status] error.code (int) and error.message (str) are required")
    if status is not None and error.get("code") != status:
        problems.append(f"[status] error.code {error.get('code')} differs from HTTP {status}")
    if error.get("status") not in RPC_STATUSES.get(error.get("code"), ()):
        problems.append(f"[status] {error.get('status')!r} is not a canonical code for {error.get('code')}")
    for detail in error.get("details") or []:
        if not str(detail.get("@type", "")).startswith("type.googleapis.com/google.rpc."):
            problems.append(f"[status] detail without a google.rpc @type: {detail}")
        if str(detail.get("@type", "")).endswith("RetryInfo") and not str(detail.get("retryDelay", "")).endswith("s"):
            problems.append(f"[status] RetryInfo.retryDelay must be a Duration like '46s': {detail}")
    return problems


def stream_violations(raw: bytes) -> list[str]:
    """Violations of an ``alt=sse`` body: ``data:`` payloads, or a raw JSON error at the end."""
    problems: list[str] = []
    text = "\n" + raw.decode().replace("\r\n", "\n")
    body, _, tail = text.partition("\n{")  # a mid-stream error is raw JSON, not a data: line
    for frame in (f.strip("\n") for f in body.split("\n\n")):
        if not frame:
            continue
        if not frame.startswith("data: ") or "\n" in frame.strip():
            problems.append(f"[sse] Gemini frames are single data: lines: {frame[:60]!r}")
            continue
        problems += response_violations(frame[len("data: ") :])
    if tail:
        problems += error_violations(json.loads("{" + tail))
    return problems
