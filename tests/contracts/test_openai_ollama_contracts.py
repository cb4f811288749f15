"""The OpenAI and Ollama validators accept the documented payloads and reject malformed ones.

Negative controls matter here: a validator that accepts everything would make every
contract check in the provider tests pass vacuously.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.contracts import ollama_contract, openai_contract
from tests.contracts.spec_files import needs_spec

needs_openai_spec = needs_spec(openai_contract.SPEC_FILE)
needs_ollama_spec = needs_spec(ollama_contract.SPEC_FILE)

# wire_formats.md 1.2 and 1.5 (both checked there against the spec and the SDK).
CHAT_REQUEST: dict[str, Any] = {
    "model": "gpt-5-mini",
    "reasoning_effort": "low",
    "max_completion_tokens": 2048,
    "messages": [
        {"role": "developer", "content": "Answer as JSON."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in the image and the PDF?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "auto"}},
                {
                    "type": "file",
                    "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQ="},
                },
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": '{"temp_c":21}'},
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
    "tool_choice": "auto",
    "temperature": 0,
    "stream": True,
    "stream_options": {"include_usage": True},
}
RESPONSES_REQUEST: dict[str, Any] = {
    "model": "o1",
    "input": [
        {"role": "developer", "content": "You are terse."},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Summarise the PDF and the image."},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "auto"},
                {"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQ="},
            ],
        },
    ],
    "max_output_tokens": 2048,
    "store": False,
    "stream": False,
}
OLLAMA_REQUEST: dict[str, Any] = {
    "model": "llama3.2",
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "What is in this picture?", "images": ["iVBORw0KGgo="]},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
        {"role": "tool", "content": "42", "tool_name": "f"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}},
        }
    ],
    "format": {"type": "object", "properties": {"answer": {"type": "string"}}},
    "options": {"temperature": 0, "num_predict": 256},
    "stream": False,
}


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _bad_role(body: dict[str, Any], key: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    out[key][0]["role"] = "bot"
    return out


def _string_temperature(body: dict[str, Any], options: bool = False) -> dict[str, Any]:
    out = copy.deepcopy(body)
    if options:
        out["options"]["temperature"] = "0.2"
    else:
        out["temperature"] = "0.2"
    return out


MALFORMED_CHAT = {
    "messages missing": _without(CHAT_REQUEST, "messages"),
    "bad role": _bad_role(CHAT_REQUEST, "messages"),
    "temperature as string": _string_temperature(CHAT_REQUEST),
    "image part in the wrong shape": {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": [{"type": "image", "url": "data:image/png;base64,AA=="}]}],
    },
}
MALFORMED_RESPONSES = {
    "bad role": _bad_role(RESPONSES_REQUEST, "input"),
    "temperature as string": _string_temperature(RESPONSES_REQUEST),
    "chat part in a responses input": {"model": "o1", "input": [{"role": "user", "content": [{"type": "text"}]}]},
}
MALFORMED_OLLAMA = {
    "messages missing": _without(OLLAMA_REQUEST, "messages"),
    "bad role": _bad_role(OLLAMA_REQUEST, "messages"),
    "temperature as string": _string_temperature(OLLAMA_REQUEST, options=True),
}

Check = Callable[[Any], list[str]]
CHAT_VALIDATORS: dict[str, Check] = {
    "spec": lambda b: openai_contract.spec_violations("CreateChatCompletionRequest", b),
    "sdk": openai_contract.sdk_chat_request_violations,
}
RESPONSES_VALIDATORS: dict[str, Check] = {
    "spec": lambda b: openai_contract.spec_violations("CreateResponse", b),
    "sdk": openai_contract.sdk_responses_request_violations,
}
OLLAMA_VALIDATORS: dict[str, Check] = {
    "spec": lambda b: ollama_contract.spec_violations("ChatRequest", b),
    "sdk": ollama_contract.sdk_request_violations,
}


# -- requests ---------------------------------------------------------------------------------------
@needs_openai_spec
@needs_ollama_spec
@pytest.mark.parametrize(
    ("validators", "body"),
    [(CHAT_VALIDATORS, CHAT_REQUEST), (RESPONSES_VALIDATORS, RESPONSES_REQUEST), (OLLAMA_VALIDATORS, OLLAMA_REQUEST)],
    ids=["chat", "responses", "ollama"],
)
def test_documented_requests_pass_every_validator(validators: dict[str, Check], body: dict[str, Any]) -> None:
    for name, check in validators.items():
        assert check(body) == [], name


@needs_openai_spec
@pytest.mark.parametrize("validator", sorted(CHAT_VALIDATORS))
@pytest.mark.parametrize("case", sorted(MALFORMED_CHAT))
def test_malformed_chat_requests_are_rejected(validator: str, case: str) -> None:
    assert CHAT_VALIDATORS[validator](MALFORMED_CHAT[case])


@needs_openai_spec
@pytest.mark.parametrize("validator", sorted(RESPONSES_VALIDATORS))
@pytest.mark.parametrize("case", sorted(MALFORMED_RESPONSES))
def test_malformed_responses_requests_are_rejected(validator: str, case: str) -> None:
    assert RESPONSES_VALIDATORS[validator](MALFORMED_RESPONSES[case])


@needs_ollama_spec
@pytest.mark.parametrize("validator", sorted(OLLAMA_VALIDATORS))
@pytest.mark.parametrize("case", sorted(MALFORMED_OLLAMA))
def test_malformed_ollama_requests_are_rejected(validator: str, case: str) -> None:
    assert OLLAMA_VALIDATORS[validator](MALFORMED_OLLAMA[case])


def test_sdk_allowlists_catch_unknown_keys() -> None:
    assert openai_contract.sdk_chat_request_violations({**CHAT_REQUEST, "max_tokenz": 5})
    assert openai_contract.sdk_responses_request_violations({**RESPONSES_REQUEST, "messages": []})
    assert ollama_contract.sdk_request_violations({**OLLAMA_REQUEST, "temperature": 0.2})


def test_ollama_sdk_check_rejects_a_non_base64_image() -> None:
    body = copy.deepcopy(OLLAMA_REQUEST)
    body["messages"][1]["images"] = ["not base64 at all!"]
    assert ollama_contract.sdk_request_violations(body)


# -- responses (what the fakes send) ----------------------------------------------------------------
COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1741569952,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi", "refusal": None, "annotations": []},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    "system_fingerprint": "fp_1",
}
CHUNK: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "gpt-4o",
    "choices": [{"index": 0, "delta": {"content": "Hi"}, "logprobs": None, "finish_reason": None}],
    "usage": None,
}
OLLAMA_RESPONSE: dict[str, Any] = {
    "model": "llama3.2",
    "created_at": "2025-07-07T20:22:19.19314Z",
    "message": {"role": "assistant", "content": "Hi"},
    "done": True,
    "done_reason": "stop",
    "prompt_eval_count": 5,
    "eval_count": 1,
}


@needs_openai_spec
def test_openai_response_checks_accept_good_and_reject_drift() -> None:
    assert openai_contract.check_chat_completion(COMPLETION) == []
    assert openai_contract.check_chat_chunk(CHUNK) == []
    assert openai_contract.check_chat_chunk({**CHUNK, "choices": [], "usage": COMPLETION["usage"]}) == []
    drifted = copy.deepcopy(COMPLETION)
    drifted["choices"][0]["finish_reason"] = "end_turn"
    problems = openai_contract.check_chat_completion(drifted)
    assert any(p.startswith("[spec") for p in problems) and any(p.startswith("[sdk") for p in problems)
    assert openai_contract.check_chat_chunk(_without(CHUNK, "created"))
    assert openai_contract.check_response_event({"type": "response.output_text.delta", "delta": 3})
    assert openai_contract.check_error_body({"error": {"type": "server_error"}})
    assert openai_contract.check_error_body({"error": "text"})


@needs_ollama_spec
def test_ollama_response_checks_accept_good_and_reject_drift() -> None:
    assert ollama_contract.check_response(OLLAMA_RESPONSE) == []
    assert ollama_contract.check_chunk({"error": "boom"}) == []
    assert ollama_contract.check_response(_without(OLLAMA_RESPONSE, "message"))
    assert ollama_contract.check_response({**OLLAMA_RESPONSE, "eval_count": "1"})
    assert ollama_contract.check_error_body({"error": {"message": "boom"}})
