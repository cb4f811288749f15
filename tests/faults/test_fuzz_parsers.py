"""Parsers fuzzed: whatever bytes or JSON a provider sends, llmring raises only its typed errors.

Three layers, each fed by hypothesis (derandomized, so CI sees the same examples every run):

* **Framing.** ``BaseProvider._iter_lines`` + ``sse_events`` / ``ndjson_objects``: a valid stream cut
  at arbitrary points gives exactly the events of the uncut stream, and arbitrary bytes give events
  or a ``ResponseFormatError``, never a ``UnicodeDecodeError`` or ``json.JSONDecodeError``.
* **Normalisers.** Every usage normaliser, finish-reason mapping, tool-call normaliser and error
  classifier, called directly with arbitrary JSON values.
* **Whole responses.** Each provider's real ``chat`` and ``stream`` behind ``httpx.MockTransport``,
  fed arbitrary JSON bodies, mutated valid bodies and mutated valid event streams.

"Only typed errors" means: anything escaping is an ``LLMRingError``; anything else fails the test
with hypothesis's smallest example.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmring.cache import StreamAssembler
from llmring.errors import LLMRingError, ProviderError
from llmring.providers import anthropic, errors, google, google_contents, ollama, openai, openai_responses
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import BaseProvider
from llmring.providers.common import arguments_json, arguments_object, as_object, normalize_tools, tool_choice_mode
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.providers.streams import SSEEvent, ndjson_objects, sse_events
from llmring.schemas import LLMRequest, LLMResponse, Message, StreamChunk

# Derandomized (the same examples on every run, no example database) and sized so the whole file
# runs in well under 30 s: generating nested JSON costs more than the parsing it feeds.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ_SLOW = settings(FUZZ, max_examples=100)  # one in-memory HTTP exchange and event loop per example

# Keys and values the parsers look for: random JSON built from these reaches the deep branches.
_WIRE_KEYS = (
    "choices message delta content text tool_calls function name arguments id index type usage "
    "prompt_tokens completion_tokens prompt_tokens_details completion_tokens_details cached_tokens "
    "reasoning_tokens finish_reason refusal error code status output input_tokens output_tokens "
    "input_tokens_details output_tokens_details incomplete_details reason response call_id "
    "cache_read_input_tokens cache_creation_input_tokens cache_creation ephemeral_5m_input_tokens "
    "ephemeral_1h_input_tokens output_tokens_details thinking_tokens stop_reason content_block "
    "partial_json input model candidates parts functionCall args thoughtSignature thought "
    "finishReason usageMetadata promptTokenCount candidatesTokenCount thoughtsTokenCount "
    "toolUsePromptTokenCount cachedContentTokenCount promptFeedback blockReason modelVersion "
    "responseId details @type retryDelay done done_reason prompt_eval_count eval_count "
    "parameters input_schema description strict"
)
WIRE_KEYS = sorted(set(_WIRE_KEYS.split()))
_WIRE_STRINGS = (
    "function text tool_use message_start content_block_start content_block_delta content_block_stop "
    "message_delta message_stop ping error text_delta input_json_delta response.output_text.delta "
    "response.refusal.delta response.completed response.incomplete response.failed message "
    "function_call output_text refusal incomplete failed stop length tool_calls end_turn max_tokens "
    "STOP MAX_TOKENS SAFETY json_response type.googleapis.com/google.rpc.RetryInfo "
    "type.googleapis.com/google.rpc.ErrorInfo 1.5s [DONE]"
)
WIRE_STRINGS = sorted(set(_WIRE_STRINGS.split()))

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(WIRE_STRINGS)
)
json_keys = st.sampled_from(WIRE_KEYS) | st.text(max_size=6)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(json_keys, children, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(json_keys, json_values, max_size=5)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterable[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    out = copy.deepcopy(value)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return out


@st.composite
def mutated(draw: st.DrawFn, sample: Any) -> Any:
    """``sample`` with one value somewhere inside it (or the whole of it) swapped for arbitrary JSON."""
    path = draw(st.sampled_from(list(_paths(sample))))
    return _replace(sample, path, draw(json_values))


# -- framing --------------------------------------------------------------------------------------


async def _aiter(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


class _Framer(OpenAIProvider):
    """Any concrete provider will do: only ``_iter_lines`` (shared in ``BaseProvider``) is used."""


def _framer() -> BaseProvider:
    return _Framer(api_key="sk-fuzz-framing-000000", base_url="http://fuzz.invalid")


async def _lines_of(chunks: list[bytes]) -> list[str]:
    response = httpx.Response(200, content=_aiter(chunks), headers={"content-type": "text/event-stream"})
    return [line async for line in _framer()._iter_lines(response)]


async def _sse_of(chunks: list[bytes]) -> list[SSEEvent]:
    response = httpx.Response(200, content=_aiter(chunks), headers={"content-type": "text/event-stream"})
    return [event async for event in sse_events(_framer()._iter_lines(response))]


async def _ndjson_of(chunks: list[bytes]) -> list[dict[str, Any]]:
    response = httpx.Response(200, content=_aiter(chunks), headers={"content-type": "application/x-ndjson"})
    return [obj async for obj in ndjson_objects(_framer()._iter_lines(response), "ollama")]


@st.composite
def split(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut at arbitrary byte offsets (inside UTF-8 sequences and CRLF pairs too)."""
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=max(len(data) - 1, 1)), max_size=12)))
    bounds = [0, *[c for c in cuts if c < len(data)], len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a] or [b""]


line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=20)
newline = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def sse_streams(draw: st.DrawFn) -> tuple[str, list[SSEEvent]]:
    """A well-formed SSE stream with comments, named events, multi-line data, and what it means."""
    out: list[str] = []
    events: list[SSEEvent] = []
    nl = draw(newline)  # one style per stream: a CR then an LF would be one CRLF line break
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        if draw(st.booleans()):
            out.append(":" + draw(line_text) + nl)
        name = draw(st.none() | st.sampled_from(["message_start", "ping", "delta", "x"]))
        if name:
            out.append(f"event: {name}{nl}")
        data = draw(st.lists(line_text, min_size=1, max_size=3))
        out.extend(f"data: {d}{nl}" for d in data)
        out.append(nl)
        events.append(SSEEvent(name or "message", "\n".join(data)))
    return "".join(out), events


@given(st.data())
@FUZZ
def test_sse_split_anywhere_gives_the_same_events(data: st.DataObject) -> None:
    text, expected = data.draw(sse_streams())
    raw = text.encode()
    chunks = data.draw(split(raw))
    assert _run(_sse_of([raw])) == expected
    assert _run(_sse_of(chunks)) == expected


async def _fast_sse_of(chunks: list[bytes]) -> list[SSEEvent]:
    response = httpx.Response(200, content=_aiter(chunks), headers={"content-type": "text/event-stream"})
    return [event async for batch in _framer()._sse_batches(response) for event in batch]


SSE_PIECES = st.sampled_from(["data: ", "data:", "event: x", ": c", "\n", "\n\n", "\r", "{}", "é"])


@st.composite
def data_only_streams(draw: st.DrawFn) -> str:
    """OpenAI's shape (one ``data: `` line per event), sometimes with one of SSE's pieces slipped in.

    This is the shape the decoder reads without a step per event; the pieces probe the check that
    decides when it may.
    """
    blocks = [f"data: {d}\n\n" for d in draw(st.lists(line_text, max_size=6))]
    where = draw(st.sampled_from(["nowhere", "block start", "anywhere"]))
    if where == "block start":  # a block that is not "data: ..." among ones that are
        at = draw(st.integers(min_value=0, max_value=len(blocks)))
        blocks.insert(at, draw(SSE_PIECES))
    text = "".join(blocks)
    if where == "anywhere":
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(SSE_PIECES) + text[at:]
    return text


@given(st.data())
@FUZZ
def test_fast_sse_decoder_agrees_with_the_line_parser(data: st.DataObject) -> None:
    # Well-formed streams (LF, CRLF and CR), OpenAI-shaped ones, and garbage made of SSE's own
    # pieces, cut anywhere.
    text, _ = data.draw(sse_streams())
    garbage = st.lists(SSE_PIECES, max_size=30).map("".join)
    raw = data.draw(st.just(text) | data_only_streams() | garbage).encode()
    chunks = data.draw(split(raw))
    assert _run(_fast_sse_of(chunks)) == _run(_sse_of([raw]))


@st.composite
def ndjson_streams(draw: st.DrawFn) -> tuple[bytes, list[dict[str, Any]]]:
    # Framing does not care how deep the objects are; flat ones keep generation cheap.
    objects = draw(st.lists(st.dictionaries(json_keys, json_scalars, max_size=4), max_size=4))
    text = ""
    for obj in objects:
        text += draw(st.sampled_from(["", "\n", "  \n"])) + json.dumps(obj, ensure_ascii=draw(st.booleans()))
        text += draw(st.sampled_from(["\n", "\r\n"]))
    return text.encode(), objects


@given(st.data())
@FUZZ
def test_ndjson_split_anywhere_gives_the_same_objects(data: st.DataObject) -> None:
    raw, expected = data.draw(ndjson_streams())
    chunks = data.draw(split(raw))
    assert _run(_ndjson_of([raw])) == expected
    assert _run(_ndjson_of(chunks)) == expected


@given(st.binary(max_size=300), st.data())
@FUZZ
def test_line_splitting_does_not_depend_on_chunking(raw: bytes, data: st.DataObject) -> None:
    chunks = data.draw(split(raw))
    assert _run(_lines_of(chunks)) == _run(_lines_of([raw]))


garbage = st.binary(max_size=300) | st.lists(st.sampled_from([b"data: ", b"{", b"}", b"\r", b"\n", b"\xff", b":"])).map(
    b"".join
)


@given(garbage, st.data())
@FUZZ
def test_garbage_bytes_give_events_or_typed_errors(raw: bytes, data: st.DataObject) -> None:
    chunks = data.draw(split(raw))
    for parse in (_sse_of, _ndjson_of):
        with contextlib.suppress(LLMRingError):
            _run(parse(chunks))
    try:
        for event in _run(_sse_of(chunks)):
            event.json("openai")
    except LLMRingError:
        pass


@given(st.lists(st.text(max_size=30), max_size=10))
@FUZZ
def test_sse_events_accepts_any_lines(lines: list[str]) -> None:
    events = _run(_collect(sse_events(_aiter(lines))))
    assert all(isinstance(e, SSEEvent) for e in events)


async def _collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


# -- normalisers, called directly -----------------------------------------------------------------


def _typed_only(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except LLMRingError:
        return None


USAGE_NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "openai.chat_usage": openai.chat_usage,
    "openai_responses.response_usage": openai_responses.response_usage,
    "anthropic.anthropic_usage": lambda raw: anthropic.anthropic_usage(raw).as_dict(),
    "google.google_usage": lambda raw: google.google_usage(raw).as_dict(),
    "ollama.ollama_usage": ollama.ollama_usage,
}


FINISH_MAPPINGS: dict[str, Callable[[Any, bool], Any]] = {
    "openai.normalize_finish_reason": lambda r, _t: openai.normalize_finish_reason(r),
    "openai_responses._finish_reason": lambda r, t: openai_responses._finish_reason(as_object(r), t),
    "anthropic.finish_reason": lambda r, t: anthropic.finish_reason(r, tool_calls=t),
    "google.finish_reason": lambda r, t: google.finish_reason(r, tool_calls=t),
    "ollama._finish_reason": ollama._finish_reason,
}
VOCABULARY = {"stop", "length", "tool_calls", "content_filter", "error", "other"}


def _check_tool_call(call: Any) -> None:
    assert isinstance(call, dict)
    assert isinstance(call["function"]["arguments"], str)


def _openai_delta(raw: Any) -> None:
    _check_tool_call(openai._tool_call_delta(raw))


def _google_part(raw: Any) -> None:
    _check_tool_call(google_contents.tool_call_from_part(raw))


def _ollama_calls(raw: Any) -> None:
    provider = OllamaProvider(base_url="http://fuzz.invalid")
    for call in provider._tool_calls(raw, 0):
        _check_tool_call(call)


TOOL_CALL_NORMALISERS: dict[str, Callable[[Any], None]] = {
    "openai._tool_call_delta": _openai_delta,
    "google_contents.tool_call_from_part": _google_part,
    "ollama._tool_calls": _ollama_calls,
    "common.arguments_json": lambda raw: isinstance(raw, str) or json.loads(arguments_json(raw)),
    "common.arguments_object": lambda raw: arguments_object(raw, "fuzz"),
    "common.normalize_tools": lambda raw: normalize_tools(raw, "fuzz"),
    "common.tool_choice_mode": lambda raw: tool_choice_mode(raw, "fuzz"),
}


@given(raw=json_values | json_objects | st.lists(json_objects, max_size=3), tool_calls=st.booleans())
@FUZZ
def test_normalisers_take_any_json(raw: Any, tool_calls: bool) -> None:
    """Every usage normaliser, finish-reason mapping and tool-call normaliser, on the same value."""
    for usage_of in USAGE_NORMALISERS.values():
        usage = _typed_only(lambda: usage_of(raw))  # noqa: B023
        assert usage is None or all(type(v) is int and v >= 0 for v in usage.values()), usage
    for finish_of in FINISH_MAPPINGS.values():
        mapped = _typed_only(lambda: finish_of(raw, tool_calls))  # noqa: B023
        assert mapped is None or mapped in VOCABULARY, mapped
    for name, normalise in TOOL_CALL_NORMALISERS.items():
        value = raw
        if name == "common.normalize_tools" and not isinstance(raw, list):
            value = [raw]  # LLMRequest guarantees a list; what is inside is the caller's
        if name == "common.tool_choice_mode" and not isinstance(raw, str | dict | None):
            value = str(raw)  # LLMRequest guarantees str | dict | None
        _typed_only(lambda: normalise(value))  # noqa: B023


ERROR_CLASSIFIERS: dict[str, Callable[[int, Any], Any]] = {
    reader.__name__: lambda s, b, read=reader: errors.provider_error("x", s, read(b, {}, s), body=b)  # type: ignore[misc]
    for reader in (errors.read_openai, errors.read_anthropic, errors.read_google, errors.read_ollama)
}


@given(status=st.integers(min_value=100, max_value=599), body=json_values | json_objects)
@FUZZ
def test_error_classifiers_always_return_a_provider_error(status: int, body: Any) -> None:
    for classify in ERROR_CLASSIFIERS.values():
        error = classify(status, body)
        assert isinstance(error, ProviderError)
        assert isinstance(str(error), str) and isinstance(repr(error), str)


@given(json_values)
@FUZZ
def test_parse_duration_takes_any_json(raw: Any) -> None:
    value = errors.parse_duration(raw)
    assert value is None or value >= 0


# -- whole responses through each provider's real code --------------------------------------------


def _provider(kind: str, handler: Callable[[httpx.Request], httpx.Response]) -> BaseProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    kwargs: dict[str, Any] = {"client": client, "max_retries": 0}
    if kind == "openai" or kind == "openai-responses":
        return OpenAIProvider(api_key="sk-fuzz-openai-0000000", base_url="http://fuzz.invalid/v1", **kwargs)
    if kind.startswith("anthropic"):
        return AnthropicProvider(api_key="sk-ant-fuzz-0000000", base_url="http://fuzz.invalid", **kwargs)
    if kind == "google":
        return GoogleProvider(api_key="AIzaFuzzFuzzFuzz0000", base_url="http://fuzz.invalid/v1beta", **kwargs)
    return OllamaProvider(base_url="http://fuzz.invalid", **kwargs)


def _request(kind: str) -> LLMRequest:
    model = {
        "openai": "gpt-4o-mini",
        "openai-responses": "o1-mini",
        "google": "gemini-2.5-flash",
        "ollama": "llama3.2",
    }.get(kind, "claude-sonnet-4-5")
    request = LLMRequest(messages=[Message(role="user", content="hi")], model=model)
    if kind == "anthropic-json":
        request.json_response = True
    if kind == "anthropic-wrapped":
        request.response_format = {"type": "json_schema", "json_schema": {"schema": {"type": "array"}}}
    return request


KINDS = ["openai", "openai-responses", "anthropic", "anthropic-json", "anthropic-wrapped", "google", "ollama"]

VALID_BODIES: dict[str, dict[str, Any]] = {
    "openai": {
        "id": "chatcmpl-1",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "hi",
                    "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                },
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 1}},
    },
    "openai-responses": {
        "id": "resp_1",
        "status": "completed",
        "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "hi"}]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        ],
        "usage": {"input_tokens": 3, "output_tokens": 2, "output_tokens_details": {"reasoning_tokens": 1}},
    },
    "anthropic": {
        "id": "msg_1",
        "content": [
            {"type": "text", "text": "hi"},
            {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}},
            {"type": "tool_use", "id": "t2", "name": "json_response", "input": {"value": [1]}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 3, "output_tokens": 2, "cache_creation": {"ephemeral_5m_input_tokens": 1}},
    },
    "google": {
        "candidates": [
            {
                "content": {"parts": [{"text": "hi"}, {"functionCall": {"name": "f", "args": {"a": 1}}}]},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2},
        "promptFeedback": {"blockReason": "SAFETY"},
        "modelVersion": "gemini-2.5-flash",
    },
    "ollama": {
        "model": "llama3.2",
        "message": {"role": "assistant", "content": "hi", "tool_calls": [{"function": {"name": "f", "arguments": {}}}]},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 3,
        "eval_count": 2,
    },
}
for _kind in ("anthropic-json", "anthropic-wrapped"):
    VALID_BODIES[_kind] = VALID_BODIES["anthropic"]

VALID_EVENTS: dict[str, list[Any]] = {
    "openai": [
        {"choices": [{"index": 0, "delta": {"content": "hi"}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f"}}]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}},
        "[DONE]",
    ],
    "openai-responses": [
        {"type": "response.output_text.delta", "delta": "hi"},
        {"type": "response.completed", "response": {"status": "completed", "usage": {"input_tokens": 3}}},
    ],
    "anthropic": [
        {"type": "message_start", "message": {"model": "claude", "usage": {"input_tokens": 3}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": "h"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "i"}},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t", "name": "f"}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
        {"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "name": "json_response"}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
        {"type": "content_block_stop", "index": 2},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}},
        {"type": "message_stop"},
    ],
    "google": [
        {"candidates": [{"content": {"parts": [{"text": "hi"}]}}], "responseId": "r"},
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {}}}]}}]},
        {"candidates": [{"finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 3}},
    ],
    "ollama": [
        {"message": {"content": "hi"}},
        {"message": {"tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}},
        {"message": {"content": ""}, "done": True, "done_reason": "stop", "eval_count": 2},
    ],
}
for _kind in ("anthropic-json", "anthropic-wrapped"):
    VALID_EVENTS[_kind] = VALID_EVENTS["anthropic"]


def _stream_body(kind: str, events: list[Any]) -> bytes:
    if kind == "ollama":
        return b"".join(json.dumps(e).encode() + b"\n" for e in events)
    out = []
    for event in events:
        data = event if event == "[DONE]" else json.dumps(event)
        name = event.get("type") if isinstance(event, dict) and isinstance(event.get("type"), str) else None
        out.append((f"event: {name}\n" if name else "") + f"data: {data}\n\n")
    return "".join(out).encode()


def _chat(kind: str, body: Any) -> LLMResponse | None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    async def go() -> LLMResponse | None:
        provider = _provider(kind, handler)
        try:
            return await provider.chat(_request(kind))
        except LLMRingError:
            return None

    return _run(go())


def _stream(kind: str, raw: bytes) -> list[StreamChunk] | None:
    def handler(request: httpx.Request) -> httpx.Response:
        ctype = "application/x-ndjson" if kind == "ollama" else "text/event-stream"
        return httpx.Response(200, content=raw, headers={"content-type": ctype})

    async def go() -> list[StreamChunk] | None:
        provider = _provider(kind, handler)
        try:
            chunks = [chunk async for chunk in provider.stream(_request(kind))]
        except LLMRingError:
            return None
        # What the service does with the chunks (the cache keeps the assembled response).
        assembler = StreamAssembler()
        for chunk in chunks:
            assembler.add(chunk)
        assembler.response(_request(kind).model, chunks[-1].finish_reason, chunks[-1].usage or {}, None)
        return chunks

    return _run(go())


@pytest.mark.parametrize("kind", KINDS)
def test_valid_samples_parse(kind: str) -> None:
    """The seeds the mutations start from are themselves valid (else the fuzzing proves little)."""
    if kind != "google":  # the google sample carries a promptFeedback block reason on purpose
        assert _chat(kind, VALID_BODIES[kind]) is not None
    chunks = _stream(kind, _stream_body(kind, VALID_EVENTS[kind]))
    assert chunks is not None and chunks[-1].finish_reason is not None


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
@FUZZ_SLOW
def test_chat_takes_any_json_body(kind: str, data: st.DataObject) -> None:
    body = data.draw(mutated(VALID_BODIES[kind]) | json_objects)
    _chat(kind, body)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
@FUZZ_SLOW
def test_stream_takes_any_events(kind: str, data: st.DataObject) -> None:
    events = VALID_EVENTS[kind]
    index = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
    events = [*events[:index], data.draw(mutated(events[index])), *events[index + 1 :]]
    if data.draw(st.booleans()):
        events.insert(data.draw(st.integers(0, len(events))), data.draw(json_values))
    _stream(kind, _stream_body(kind, events))


@given(raw=garbage)
@FUZZ_SLOW
def test_stream_takes_any_bytes(raw: bytes) -> None:
    for kind in ("openai", "openai-responses", "anthropic", "google", "ollama"):
        _stream(kind, raw)


# -- request side: what callers put in tools, tool_choice and assistant tool calls ----------------


@given(
    tools=st.none() | st.lists(json_objects, max_size=2),
    choice=st.none() | st.sampled_from(["auto", "none", "required", "any", "f"]) | json_objects,
    calls=st.none() | st.lists(json_objects, max_size=2),
    fmt=st.none() | json_objects,
)
@settings(FUZZ, max_examples=100)
def test_request_building_takes_any_tools(tools: Any, choice: Any, calls: Any, fmt: Any) -> None:
    messages = [Message(role="user", content="hi"), Message(role="assistant", content="", tool_calls=calls)]
    for kind in ("openai", "anthropic", "google", "ollama"):
        _build(kind, LLMRequest(messages=messages, model="m", tools=tools, tool_choice=choice, response_format=fmt))


def _build(kind: str, request: LLMRequest) -> None:
    provider = _provider(kind, lambda r: httpx.Response(500))
    build: Callable[[], Any]
    if isinstance(provider, OpenAIProvider):
        build = lambda: provider.build_chat_body(request)  # noqa: E731
    elif isinstance(provider, AnthropicProvider):
        build = lambda: provider.build_body(request)[0]  # noqa: E731
    elif isinstance(provider, GoogleProvider):
        build = lambda: google_contents.build_body(request, "google")  # noqa: E731
    else:
        assert isinstance(provider, OllamaProvider)
        build = lambda: provider.build_body(request, stream=False)  # noqa: E731
    body = _typed_only(build)
    if body is not None:
        json.dumps(body)  # whatever we would send is JSON
