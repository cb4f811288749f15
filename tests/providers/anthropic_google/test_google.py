"""GoogleProvider against the local Gemini fake (every exchange checked against google-genai types)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmring.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
    MissingAPIKeyError,
    PermissionDeniedError,
    ProviderConnectionError,
    ProviderError,
    ProviderModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from llmring.providers import create_provider
from llmring.providers.errors import parse_duration
from llmring.providers.google import GoogleProvider, finish_reason, google_usage
from llmring.schemas import LLMRequest, Message, StreamChunk
from tests.fakes import google_fake as fake_mod
from tests.fakes.fixtures_anthropic_google import Recorder
from tests.fakes.google_fake import GoogleFake
from tests.fakes.server import Reply

MODEL = "gemini-2.5-flash"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BAAwAB/aurQQAAAABJRU5ErkJggg=="
PDF = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city", "parameters": SCHEMA},
}
TIME = {"name": "get_time", "description": "Local time", "parameters": {"type": "object", "properties": {}}}


def ask(text: str = "Hi there", **kwargs: Any) -> LLMRequest:
    return LLMRequest(model=kwargs.pop("model", MODEL), messages=[Message(role="user", content=text)], **kwargs)


async def collect(provider: GoogleProvider, request: LLMRequest) -> list[StreamChunk]:
    return [chunk async for chunk in provider.stream(request)]


# -- plain chat ---------------------------------------------------------------------------------
async def test_text_chat(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    response = await google_provider.chat(ask("Hi there"))

    assert response.content == "Hello! You said: Hi there"
    assert response.finish_reason == "stop"
    assert response.provider == "google"
    assert response.model == MODEL
    assert response.request_id is not None and response.request_id.startswith("resp-fake-")
    usage = response.usage
    assert usage["reasoning_tokens"] == fake_mod.THOUGHTS  # 2.5 models think
    assert usage["completion_tokens"] > usage["reasoning_tokens"]
    sent = google_fake_server.requests[-1]
    assert sent.path == f"/v1beta/models/{MODEL}:generateContent"
    assert sent.query == {}
    assert sent.headers["x-goog-api-key"] == fake_mod.API_KEY
    assert sent.json == {"contents": [{"role": "user", "parts": [{"text": "Hi there"}]}]}


async def test_system_instruction_and_roles(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    request = LLMRequest(
        model=MODEL,
        messages=[
            Message(role="system", content="Be terse."),
            Message(role="user", content="Hello"),
            Message(role="assistant", content="Hi."),
            Message(role="user", content="Again"),
        ],
    )
    await google_provider.chat(request)

    body = google_fake_server.last_body
    assert body["systemInstruction"] == {"parts": [{"text": "Be terse."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]


async def test_generation_config_only_when_set(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    await google_provider.chat(ask(temperature=0, top_p=0.9, max_tokens=256, stop=["END"], seed=7))
    config = google_fake_server.last_body["generationConfig"]
    assert config == {"temperature": 0, "topP": 0.9, "maxOutputTokens": 256, "stopSequences": ["END"], "seed": 7}

    await google_provider.chat(ask())
    assert "generationConfig" not in google_fake_server.last_body


@pytest.mark.parametrize("model", ["gemini-2.5-pro", "gemini-2.0-flash", "gemini-3-pro-preview"])
async def test_model_name_is_never_remapped(
    google_provider: GoogleProvider, google_fake_server: GoogleFake, model: str
) -> None:
    response = await google_provider.chat(ask(model=model))
    assert google_fake_server.requests[-1].path == f"/v1beta/models/{model}:generateContent"
    assert response.model == model


async def test_models_prefix_is_not_doubled(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    await google_provider.chat(ask(model="models/gemini-2.5-flash"))
    assert google_fake_server.requests[-1].path == "/v1beta/models/gemini-2.5-flash:generateContent"


async def test_max_output_tokens_gives_length(google_provider: GoogleProvider) -> None:
    response = await google_provider.chat(ask("one two three four five", max_tokens=2))
    assert response.finish_reason == "length"
    assert response.content == "Hello! You"


@pytest.mark.parametrize(
    ("reason", "calls", "expected"),
    [
        ("STOP", False, "stop"),
        ("STOP", True, "tool_calls"),
        ("MAX_TOKENS", False, "length"),
        ("SAFETY", False, "content_filter"),
        ("RECITATION", False, "content_filter"),
        ("BLOCKLIST", False, "content_filter"),
        ("PROHIBITED_CONTENT", False, "content_filter"),
        ("SPII", False, "content_filter"),
        ("MALFORMED_FUNCTION_CALL", False, "error"),
        ("OTHER", False, "other"),
        (None, False, None),
    ],
)
def test_finish_reason_mapping(reason: str | None, calls: bool, expected: str | None) -> None:
    assert finish_reason(reason, tool_calls=calls) == expected


async def test_safety_finish_is_content_filter(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    body = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": "I can"}]},
                "finishReason": "SAFETY",
                "index": 0,
                "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}],
            }
        ],
        "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 2, "totalTokenCount": 11},
        "modelVersion": MODEL,
        "responseId": "r-safety",
    }
    google_fake_server.enqueue(Reply(200, body))
    response = await google_provider.chat(ask())
    assert response.finish_reason == "content_filter"
    assert response.content == "I can"


async def test_blocked_prompt_raises_content_filtered(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    google_fake_server.enqueue(Reply(200, fake_mod.blocked_body()))
    with pytest.raises(ContentFilteredError) as info:
        await google_provider.chat(ask())
    assert info.value.error_code == "SAFETY"

    google_fake_server.enqueue(
        Reply(
            200,
            chunks=[f"data: {json.dumps(fake_mod.blocked_body())}\r\n\r\n".encode()],
            content_type="text/event-stream",
        )
    )
    with pytest.raises(ContentFilteredError):
        await collect(google_provider, ask())


# -- tools --------------------------------------------------------------------------------------
async def test_function_call_and_response_round_trip(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    question = Message(role="user", content="Weather in Paris?")
    first = await google_provider.chat(LLMRequest(model=MODEL, messages=[question], tools=[WEATHER]))

    assert first.finish_reason == "tool_calls"
    assert first.tool_calls is not None and len(first.tool_calls) == 1
    call = first.tool_calls[0]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert call["id"].startswith("llmring-")  # 2.5 gives no id: synthesised
    signature = call["extra_content"]["google"]["thought_signature"]
    declaration = google_fake_server.last_body["tools"][0]["functionDeclarations"][0]
    assert declaration["parametersJsonSchema"] == {k: v for k, v in SCHEMA.items() if k != "$schema"}
    assert declaration["description"] == "Weather for a city"

    follow_up = [
        question,
        Message(role="assistant", content=None, tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=call["id"], content='{"temp_c": 21}'),
    ]
    second = await google_provider.chat(LLMRequest(model=MODEL, messages=follow_up, tools=[WEATHER]))

    assert second.content == 'Tool results: {"temp_c": 21}'
    contents = google_fake_server.last_body["contents"]
    assert contents[1] == {
        "role": "model",
        "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": signature}],
    }
    assert contents[2] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}}],
    }


async def test_gemini_3_ids_and_thought_signatures_round_trip(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    model = "gemini-3-pro-preview"
    question = Message(role="user", content="Use get_weather and get_time")
    first = await google_provider.chat(LLMRequest(model=model, messages=[question], tools=[WEATHER, TIME]))
    assert first.tool_calls is not None
    assert [c["function"]["name"] for c in first.tool_calls] == ["get_weather", "get_time"]
    assert all(c["id"].startswith("fc-") for c in first.tool_calls)  # Gemini's own ids

    follow_up = [
        question,
        Message(role="assistant", tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=first.tool_calls[0]["id"], content="sunny"),
        Message(role="tool", tool_call_id=first.tool_calls[1]["id"], content="[14, 5]"),
    ]
    second = await google_provider.chat(LLMRequest(model=model, messages=follow_up, tools=[WEATHER, TIME]))

    contents = google_fake_server.last_body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"][0]["functionCall"]["id"] == first.tool_calls[0]["id"]
    assert "thoughtSignature" in contents[1]["parts"][0]
    responses = [p["functionResponse"] for p in contents[2]["parts"]]
    assert responses == [
        {"name": "get_weather", "response": {"output": "sunny"}, "id": first.tool_calls[0]["id"]},
        {"name": "get_time", "response": {"output": [14, 5]}, "id": first.tool_calls[1]["id"]},
    ]
    assert second.content.startswith("Tool results:")


async def test_missing_thought_signature_is_rejected_by_gemini_3(google_provider: GoogleProvider) -> None:
    call = {"id": "fc-1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
    messages = [
        Message(role="user", content="Weather?"),
        Message(role="assistant", tool_calls=[call]),
        Message(role="tool", tool_call_id="fc-1", content="sunny"),
    ]
    with pytest.raises(BadRequestError, match="thought_signature"):
        await google_provider.chat(LLMRequest(model="gemini-3-pro-preview", messages=messages, tools=[WEATHER]))


async def test_tool_result_without_matching_call_is_refused(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    messages = [Message(role="user", content="hi"), Message(role="tool", tool_call_id="nope", content="x")]
    with pytest.raises(BadRequestError, match="nope"):
        await google_provider.chat(LLMRequest(model=MODEL, messages=messages))
    assert google_fake_server.requests == []


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ({"type": "function", "function": {"name": "get_time"}}, {"mode": "ANY", "allowedFunctionNames": ["get_time"]}),
    ],
)
async def test_tool_choice_becomes_tool_config(
    google_provider: GoogleProvider, google_fake_server: GoogleFake, choice: Any, config: dict[str, Any]
) -> None:
    response = await google_provider.chat(ask("Paris", tools=[WEATHER, TIME], tool_choice=choice))

    assert google_fake_server.last_body["toolConfig"] == {"functionCallingConfig": config}
    if config["mode"] == "NONE":
        assert response.tool_calls is None
    if "allowedFunctionNames" in config:
        assert response.tool_calls is not None
        assert [c["function"]["name"] for c in response.tool_calls] == ["get_time"]


# -- JSON mode ----------------------------------------------------------------------------------
async def test_json_mode(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    response = await google_provider.chat(ask("As JSON", json_response=True))
    assert google_fake_server.last_body["generationConfig"] == {"responseMimeType": "application/json"}
    assert json.loads(response.content) == {"answer": "As JSON"}


async def test_json_schema(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "temp_c": {"type": "integer"}},
        "required": ["city", "temp_c"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "w", "schema": schema}}
    response = await google_provider.chat(ask("Weather", response_format=fmt, temperature=0))

    config = google_fake_server.last_body["generationConfig"]
    assert config == {"temperature": 0, "responseMimeType": "application/json", "responseJsonSchema": schema}
    assert json.loads(response.content) == {"city": "Paris", "temp_c": 21}


# -- attachments --------------------------------------------------------------------------------
async def test_image_and_pdf_become_inline_data(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    parts = [
        {"type": "text", "text": "Describe both"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}},
    ]
    response = await google_provider.chat(LLMRequest(model=MODEL, messages=[Message(role="user", content=parts)]))

    assert "1 image(s) and 1 document(s)" in response.content
    assert google_fake_server.last_body["contents"][0]["parts"][1:] == [
        {"inlineData": {"mimeType": "image/png", "data": PNG}},
        {"inlineData": {"mimeType": "application/pdf", "data": PDF}},
    ]


async def test_remote_image_url_is_refused_before_sending(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    parts = [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]
    with pytest.raises(BadRequestError):
        await google_provider.chat(LLMRequest(model=MODEL, messages=[Message(role="user", content=parts)]))
    assert google_fake_server.requests == []


# -- usage --------------------------------------------------------------------------------------
async def test_implicit_cache_usage_is_normalised(google_provider: GoogleProvider) -> None:
    history = [Message(role="user", content="Long shared context. " * 200), Message(role="assistant", content="Ok.")]
    first = await google_provider.chat(LLMRequest(model=MODEL, messages=[*history, Message(role="user", content="Q1")]))
    second = await google_provider.chat(
        LLMRequest(model=MODEL, messages=[*history, Message(role="user", content="Q2")])
    )
    assert first.usage["cached_tokens"] == 0
    assert 0 < second.usage["cached_tokens"] < second.usage["prompt_tokens"]  # prompt includes the cached part


def test_usage_normalisation_from_the_wire_example() -> None:
    usage = google_usage(
        {
            "promptTokenCount": 1290,
            "candidatesTokenCount": 12,
            "totalTokenCount": 1343,
            "cachedContentTokenCount": 1024,
            "thoughtsTokenCount": 41,
        }
    )
    assert (usage.prompt_tokens, usage.completion_tokens) == (1290, 53)
    assert (usage.cached_tokens, usage.reasoning_tokens) == (1024, 41)
    assert usage.total_tokens == 1343
    assert google_usage({"promptTokenCount": 8, "totalTokenCount": 8}).completion_tokens == 0


@pytest.mark.parametrize(("value", "seconds"), [("46s", 46.0), ("1.5s", 1.5), ("0.000500s", 0.0005), ("46", None)])
def test_retry_delay_parsing(value: str, seconds: float | None) -> None:
    assert parse_duration(value) == seconds


# -- streaming ----------------------------------------------------------------------------------
async def test_streaming_text_with_final_usage(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    chunks = await collect(google_provider, ask("please stream a few words back to me"))

    sent = google_fake_server.requests[-1]
    assert sent.path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert sent.query == {"alt": ["sse"]}
    assert "".join(c.delta for c in chunks) == "Hello! You said: please stream a few words back to me"
    assert len([c for c in chunks if c.delta]) > 2
    final = chunks[-1]
    assert final.finish_reason == "stop"
    assert final.usage is not None
    assert final.usage["completion_tokens"] > fake_mod.THOUGHTS and final.usage["reasoning_tokens"] == fake_mod.THOUGHTS
    assert final.request_id is not None and final.request_id.startswith("resp-fake-")


async def test_stream_keeps_unicode_line_separators_inside_text(google_provider: GoogleProvider) -> None:
    text = "first\u2028second\u2029third\x85end"
    chunks = await collect(google_provider, ask(text))
    assert "".join(c.delta for c in chunks) == f"Hello! You said: {text}"


async def test_streamed_function_calls(google_provider: GoogleProvider) -> None:
    chunks = await collect(google_provider, ask("Use get_weather and get_time", tools=[WEATHER, TIME]))

    deltas = [d for c in chunks for d in c.tool_calls or []]
    assert [(d["index"], d["function"]["name"]) for d in deltas] == [(0, "get_weather"), (1, "get_time")]
    assert json.loads(deltas[0]["function"]["arguments"]) == {"city": "Paris"}
    assert json.loads(deltas[1]["function"]["arguments"]) == {}
    assert chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None and chunks[-1].usage["prompt_tokens"] > 0


async def test_stream_dropped_mid_body_is_a_connection_error(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    google_fake_server.drop_stream_after = 2
    with pytest.raises(ProviderConnectionError):
        await collect(google_provider, ask("a b c d e f g h i j k l"))


async def test_stream_error_mid_body_raises_the_typed_error(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    google_fake_server.stream_error_after = 2
    received: list[StreamChunk] = []
    with pytest.raises(ProviderUnavailableError) as info:
        async for chunk in google_provider.stream(ask("a b c d e f g h i j k l")):
            received.append(chunk)
    assert info.value.error_code == "UNAVAILABLE"
    assert len(received) == 2


async def test_stream_without_finish_reason_is_a_connection_error(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}, "index": 0}], "responseId": "x"}
    google_fake_server.enqueue(
        Reply(200, chunks=[f"data: {json.dumps(chunk)}\r\n\r\n".encode()], content_type="text/event-stream")
    )
    with pytest.raises(ProviderConnectionError, match="finish reason"):
        await collect(google_provider, ask())


# -- errors -------------------------------------------------------------------------------------
ERROR_CASES = [
    (fake_mod.error_reply(400, "INVALID_ARGUMENT", "Invalid value at 'contents'"), BadRequestError, "INVALID_ARGUMENT"),
    (fake_mod.permission_reply(), PermissionDeniedError, "PERMISSION_DENIED"),
    (fake_mod.error_reply(404, "NOT_FOUND", "models/x is not found"), ProviderModelNotFoundError, "NOT_FOUND"),
    (fake_mod.rate_limit_reply("46s"), RateLimitError, "RESOURCE_EXHAUSTED"),
    (fake_mod.internal_reply(), ProviderUnavailableError, "INTERNAL"),
    (fake_mod.unavailable_reply("1.5s"), ProviderUnavailableError, "UNAVAILABLE"),
    (fake_mod.deadline_reply(), ProviderTimeoutError, "DEADLINE_EXCEEDED"),
]


@pytest.mark.parametrize(("reply", "error", "code"), ERROR_CASES, ids=lambda v: getattr(v, "__name__", None))
async def test_error_statuses_map_to_typed_errors(
    google_fake_server: GoogleFake, reply: Reply, error: type[ProviderError], code: str
) -> None:
    provider = GoogleProvider(api_key=fake_mod.API_KEY, base_url=f"{google_fake_server.base_url}/v1beta", max_retries=0)
    google_fake_server.enqueue(reply)
    with pytest.raises(error) as info:
        await provider.chat(ask())
    await provider.aclose()
    assert type(info.value) is error
    assert (info.value.status_code, info.value.error_code, info.value.provider) == (reply.status, code, "google")
    if reply.status == 429:
        assert info.value.retry_after == 46.0  # type: ignore[attr-defined]
    if reply.status == 503:
        assert info.value.retry_after == 1.5  # type: ignore[attr-defined]


async def test_invalid_key_is_an_authentication_error_by_reason(google_fake_server: GoogleFake) -> None:
    provider = GoogleProvider(api_key="AIzaWrongWrongWrong0000", base_url=f"{google_fake_server.base_url}/v1beta")
    with pytest.raises(AuthenticationError) as info:
        await provider.chat(ask())
    await provider.aclose()
    assert (info.value.status_code, info.value.error_code) == (400, "API_KEY_INVALID")
    assert len(google_fake_server.requests) == 1  # not retried


async def test_unknown_model_is_a_404_not_retried(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    with pytest.raises(ProviderModelNotFoundError, match="models/gemini-9 is not found"):
        await google_provider.chat(ask(model="gemini-9"))
    assert len(google_fake_server.requests) == 1
    assert google_fake_server.requests[0].path == "/v1beta/models/gemini-9:generateContent"


async def test_429_then_200_waits_for_retry_delay(
    google_provider: GoogleProvider, google_fake_server: GoogleFake, recorder: Recorder
) -> None:
    google_fake_server.enqueue(fake_mod.rate_limit_reply("46s"))
    response = await google_provider.chat(ask(), on_retry=recorder.on_retry)

    assert response.content == "Hello! You said: Hi there"
    assert recorder.sleeps == [46.0]
    assert len(recorder.retries) == 1 and recorder.retries[0].delay == 46.0
    assert isinstance(recorder.retries[0].error, RateLimitError)


async def test_503_is_retried_honouring_retry_delay(
    google_provider: GoogleProvider, google_fake_server: GoogleFake, recorder: Recorder
) -> None:
    google_fake_server.enqueue(fake_mod.unavailable_reply("1.5s"), fake_mod.unavailable_reply())
    chunks = await collect(google_provider, ask())  # streams are retried before the first byte too

    assert chunks[-1].finish_reason == "stop"
    assert recorder.sleeps[0] == 1.5 and len(recorder.sleeps) == 2
    assert 0 < recorder.sleeps[1] <= 1.0  # no hint: exponential backoff


@pytest.mark.parametrize(
    "reply",
    [
        fake_mod.error_reply(400, "INVALID_ARGUMENT", "bad"),
        fake_mod.error_reply(404, "NOT_FOUND", "models/x is not found"),
        fake_mod.permission_reply(),
    ],
    ids=["400", "404", "403"],
)
async def test_errors_that_are_not_retried(
    google_provider: GoogleProvider, google_fake_server: GoogleFake, recorder: Recorder, reply: Reply
) -> None:
    google_fake_server.enqueue(reply)
    with pytest.raises(ProviderError):
        await google_provider.chat(ask(), on_retry=recorder.on_retry)
    assert len(google_fake_server.requests) == 1 and recorder.sleeps == []


async def test_timeout_is_a_provider_timeout_error(google_fake_server: GoogleFake) -> None:
    provider = GoogleProvider(api_key=fake_mod.API_KEY, base_url=f"{google_fake_server.base_url}/v1beta", max_retries=0)
    google_fake_server.enqueue(Reply(200, fake_mod.blocked_body(), delay=1.0))
    with pytest.raises(ProviderTimeoutError):
        await provider.chat(ask(timeout=0.2))
    await provider.aclose()


# -- configuration ------------------------------------------------------------------------------
async def test_missing_key_names_both_env_vars(google_fake_server: GoogleFake) -> None:
    provider = GoogleProvider(base_url=f"{google_fake_server.base_url}/v1beta")
    with pytest.raises(MissingAPIKeyError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        await provider.chat(ask())
    with pytest.raises(MissingAPIKeyError):
        await collect(provider, ask())
    assert google_fake_server.requests == []


@pytest.mark.parametrize("key_var", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
async def test_key_and_base_url_from_env(
    google_fake_server: GoogleFake, monkeypatch: pytest.MonkeyPatch, key_var: str
) -> None:
    monkeypatch.setenv(key_var, fake_mod.API_KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"{google_fake_server.base_url}/v1beta/")
    provider = create_provider("google")
    assert isinstance(provider, GoogleProvider)
    response = await provider.chat(ask())
    await provider.aclose()
    assert response.content.startswith("Hello!")
    assert google_fake_server.requests[-1].path == f"/v1beta/models/{MODEL}:generateContent"
