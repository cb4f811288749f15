"""Check OpenAI payloads against the official OpenAPI spec and the official ``openai`` SDK types.

Requests (what llmring sends) and responses (what the fake sends back) are checked in both
directions, as wire_formats.md 5.2 prescribes:

* the spec components after ``normalize_openapi`` (``CreateChatCompletionRequest``,
  ``CreateResponse``, ``CreateChatCompletionResponse``, ``CreateChatCompletionStreamResponse``,
  ``Response``, ``ResponseStreamEvent``, ``ErrorResponse``);
* the SDK: request TypedDicts validated from JSON in strict mode and then *materialised* (pydantic
  checks ``Iterable[...]`` lazily) plus a key allowlist (TypedDicts ignore unknown keys); response
  pydantic models (``ChatCompletion``, ``ChatCompletionChunk``, ``Response``, ``ResponseStreamEvent``).

Every function returns a list of violations (empty means valid) so a fake can collect them.
"""

from __future__ import annotations

import collections.abc
import functools
import json
import typing
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.completion_create_params import CompletionCreateParams
from openai.types.responses import Response, ResponseStreamEvent
from openai.types.responses.input_token_count_params import InputTokenCountParams
from openai.types.responses.input_token_count_response import InputTokenCountResponse
from openai.types.responses.response_create_params import ResponseCreateParams
from openai.types.shared import ErrorObject
from pydantic import TypeAdapter, ValidationError

from tests.contracts.spec_files import SpecValidators, normalize_openapi, spec_path

SPEC_FILE = "openai-openapi.json"

# Keep the adapters alive for the session: a temporary TypeAdapter over these TypedDicts made
# pydantic-core panic (wire_formats.md 5.2).
_CHAT_REQUEST = TypeAdapter(CompletionCreateParams)
_RESPONSES_REQUEST = TypeAdapter(ResponseCreateParams)
_STREAM_EVENT = TypeAdapter(ResponseStreamEvent)
_COUNT_REQUEST = TypeAdapter(InputTokenCountParams)


def _allowed_keys(params: Any) -> frozenset[str]:
    return frozenset(set().union(*(typing.get_type_hints(t) for t in typing.get_args(params))))


CHAT_REQUEST_KEYS = _allowed_keys(CompletionCreateParams)
RESPONSES_REQUEST_KEYS = _allowed_keys(ResponseCreateParams)
COUNT_REQUEST_KEYS = frozenset(typing.get_type_hints(InputTokenCountParams))


@functools.cache
def spec() -> SpecValidators | None:
    """The normalised OpenAI spec (3.4 MB, loaded once), or None if it is not on this machine."""
    path = spec_path(SPEC_FILE)
    if path is None:
        return None
    with path.open(encoding="utf-8") as fh:
        return SpecValidators("urn:openai", normalize_openapi(json.load(fh)))


def spec_violations(component: str, instance: Any) -> list[str]:
    """Violations of ``instance`` against a spec component (none when the spec is absent)."""
    validators = spec()
    return validators.errors(component, instance) if validators is not None else []


def _materialize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, (str, bytes)) or not isinstance(value, collections.abc.Iterable):
        return value
    return [_materialize(v) for v in value]


def _sdk_request(adapter: TypeAdapter[Any], allowed: frozenset[str], name: str, body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [f"[sdk {name}] body is not an object"]
    problems = []
    unknown = set(body) - allowed
    if unknown:
        problems.append(f"[sdk {name}] unknown keys {sorted(unknown)}")
    try:
        # Python mode: in JSON mode pydantic matches a string content against Iterable[part].
        _materialize(adapter.validate_python(body, strict=True))
    except ValidationError as exc:
        problems.append(f"[sdk {name}] {_first_lines(exc)}")
    return problems


def _model(model: Any, name: str, data: Any) -> list[str]:
    try:
        model.model_validate(data) if hasattr(model, "model_validate") else model.validate_python(data)
    except ValidationError as exc:
        return [f"[sdk {name}] {_first_lines(exc)}"]
    return []


def _first_lines(exc: ValidationError) -> str:
    return "; ".join(f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


# -- requests --------------------------------------------------------------------------------------
def sdk_chat_request_violations(body: Any) -> list[str]:
    """``CompletionCreateParams`` (strict, materialised) plus its key allowlist."""
    return _sdk_request(_CHAT_REQUEST, CHAT_REQUEST_KEYS, "CompletionCreateParams", body)


def sdk_responses_request_violations(body: Any) -> list[str]:
    """``ResponseCreateParams`` (strict, materialised) plus its key allowlist."""
    return _sdk_request(_RESPONSES_REQUEST, RESPONSES_REQUEST_KEYS, "ResponseCreateParams", body)


def check_chat_request(body: Any) -> list[str]:
    """A Chat Completions request body against the spec and the SDK."""
    return spec_violations("CreateChatCompletionRequest", body) + sdk_chat_request_violations(body)


def check_responses_request(body: Any) -> list[str]:
    """A Responses API request body against the spec and the SDK."""
    return spec_violations("CreateResponse", body) + sdk_responses_request_violations(body)


def check_count_request(body: Any) -> list[str]:
    """A ``POST /responses/input_tokens`` body against the spec and the SDK."""
    sdk = _sdk_request(_COUNT_REQUEST, COUNT_REQUEST_KEYS, "InputTokenCountParams", body)
    return spec_violations("TokenCountsBody", body) + sdk


def check_count_response(body: Any) -> list[str]:
    """The answer of ``POST /responses/input_tokens``."""
    return spec_violations("TokenCountsResource", body) + _model(
        InputTokenCountResponse, "InputTokenCountResponse", body
    )


def check_request(method: str, path: str, body: Any) -> list[str]:
    """Dispatch a recorded request to the right checks by endpoint."""
    if method != "POST":
        return [f"unexpected {method} {path}"]
    if path.endswith("/responses/input_tokens"):
        return check_count_request(body)
    if path.endswith("/chat/completions"):
        return check_chat_request(body)
    if path.endswith("/responses"):
        return check_responses_request(body)
    return [f"unexpected endpoint {path}"]


# -- responses -------------------------------------------------------------------------------------
def check_chat_completion(body: Any) -> list[str]:
    """A non-streamed Chat Completions body."""
    return spec_violations("CreateChatCompletionResponse", body) + _model(ChatCompletion, "ChatCompletion", body)


def check_chat_chunk(chunk: Any) -> list[str]:
    """One ``data:`` object of a Chat Completions stream."""
    return spec_violations("CreateChatCompletionStreamResponse", chunk) + _model(
        ChatCompletionChunk, "ChatCompletionChunk", chunk
    )


def check_response(body: Any) -> list[str]:
    """A Responses API ``Response`` object."""
    return spec_violations("Response", body) + _model(Response, "Response", body)


def check_response_event(event: Any) -> list[str]:
    """One Responses API stream event."""
    return spec_violations("ResponseStreamEvent", event) + _model(_STREAM_EVENT, "ResponseStreamEvent", event)


def check_error_body(body: Any) -> list[str]:
    """An error envelope ``{"error": {message, type, param, code}}`` (HTTP or mid-stream)."""
    problems = spec_violations("ErrorResponse", body)
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return [*problems, "[sdk ErrorObject] no error object"]
    return problems + _model(ErrorObject, "ErrorObject", body["error"])
