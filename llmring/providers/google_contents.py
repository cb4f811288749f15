"""Turning llmring messages, tools and options into a Gemini ``generateContent`` body.

System messages become ``systemInstruction``; assistant turns are ``model`` turns whose tool calls
become ``functionCall`` parts; ``tool`` messages become ``functionResponse`` parts in a user turn
(the function name is found from the matching tool call's id); images and PDFs become
``inlineData`` parts. Tool and response schemas are sent as real JSON Schema
(``parametersJsonSchema`` / ``responseJsonSchema``, wire_formats.md 3.2), so nothing is stripped
except ``$schema``. ``cache_control`` markers are Anthropic-only and are dropped here (Gemini
caches implicitly).

Gemini gives function calls an ``id`` only on some models. When it does not, llmring synthesises
one with the ``SYNTHETIC_ID_PREFIX`` and never sends such an id back. A call's
``thoughtSignature`` travels in the tool call as ``extra_content.google.thought_signature`` (the
field Google's own OpenAI-compatible endpoint uses) and is echoed back unchanged, as Gemini 3
requires.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from llmring.controls import plan_for
from llmring.errors import BadRequestError, ResponseFormatError
from llmring.providers.common import (
    apply_provider_options,
    arguments_json,
    arguments_object,
    as_object,
    normalize_tools,
    parse_data_url,
    text_of,
    tool_choice_mode,
    wants_json,
)

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest, Message

SYNTHETIC_ID_PREFIX = "llmring-"


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "$schema"}


def _parts(content: str | list[dict[str, Any]] | None, provider: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            if part.get("text"):
                parts.append({"text": part["text"]})
        elif kind == "image_url":
            ref = part.get("image_url")
            url = ref.get("url") if isinstance(ref, dict) else ref
            mime, data = parse_data_url(str(url or ""), provider)
            parts.append({"inlineData": {"mimeType": mime, "data": data}})
        elif kind == "document":
            source = part.get("source") or {}
            if source.get("type") != "base64" or not source.get("data"):
                raise BadRequestError("google needs documents as base64 data", provider=provider)
            mime = source.get("media_type") or "application/pdf"
            parts.append({"inlineData": {"mimeType": mime, "data": source["data"]}})
        else:
            raise BadRequestError(f"unsupported content part type {kind!r}", provider=provider)
    return parts


def _function_call_part(call: dict[str, Any], provider: str) -> dict[str, Any]:
    fn = as_object(call.get("function"))
    if not fn.get("name"):
        raise BadRequestError("an assistant tool call needs a function name", provider=provider)
    function_call: dict[str, Any] = {"name": fn["name"], "args": arguments_object(fn.get("arguments"), provider)}
    call_id = call.get("id")
    if isinstance(call_id, str) and call_id and not call_id.startswith(SYNTHETIC_ID_PREFIX):
        function_call["id"] = call_id
    part: dict[str, Any] = {"functionCall": function_call}
    signature = as_object(as_object(call.get("extra_content")).get("google")).get("thought_signature")
    if signature:
        part["thoughtSignature"] = signature
    return part


def _function_response_part(message: Message, names: dict[str, str], provider: str) -> dict[str, Any]:
    call_id = message.tool_call_id or ""
    name = message.name or names.get(call_id)
    if not name:
        raise BadRequestError(
            f"tool result {call_id!r} does not match any earlier tool call (set Message.name)", provider=provider
        )
    text = text_of(message.content)
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    # ``response`` must be an object; Gemini's docs name ``output`` (and ``error``) as the keys.
    response = value if isinstance(value, dict) else {"output": value}
    if (message.metadata or {}).get("is_error") and not isinstance(value, dict):
        response = {"error": value}
    function_response: dict[str, Any] = {"name": name, "response": response}
    if call_id and not call_id.startswith(SYNTHETIC_ID_PREFIX):
        function_response["id"] = call_id
    return {"functionResponse": function_response}


def build_contents(messages: list[Message], provider: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(systemInstruction, contents); neighbouring turns of one role are merged."""
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for message in messages:
        if message.role == "system":
            text = text_of(message.content)
            if text:
                system.append({"text": text})
            continue
        if message.role == "tool":
            role, parts = "user", [_function_response_part(message, names, provider)]
        elif message.role == "assistant":
            role, parts = "model", _parts(message.content, provider)
            for call in message.tool_calls or []:
                parts.append(_function_call_part(call, provider))
                if call.get("id"):
                    names[str(call["id"])] = str(as_object(call.get("function")).get("name"))
        else:
            role, parts = "user", _parts(message.content, provider)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return ({"parts": system} if system else None), contents


def build_body(request: LLMRequest, provider: str) -> dict[str, Any]:
    """The ``generateContent`` body; options are sent only when set (0 stays 0)."""
    system, contents = build_contents(request.messages, provider)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = system
    config: dict[str, Any] = {}
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.max_tokens is not None:
        config["maxOutputTokens"] = request.max_tokens
    if request.stop:
        config["stopSequences"] = list(request.stop)
    if request.seed is not None:
        config["seed"] = request.seed
    json_wanted, schema = wants_json(request.response_format, request.json_response)
    if json_wanted:
        config["responseMimeType"] = "application/json"
        if schema is not None:
            config["responseJsonSchema"] = _schema(schema)
    planned = plan_for(request, provider)
    if planned.control == "level" and planned.effort is not None:
        config["thinkingConfig"] = {"thinkingLevel": planned.effort}
    elif planned.budget is not None:
        config["thinkingConfig"] = {"thinkingBudget": planned.budget}  # 0 for level none
    if config:
        body["generationConfig"] = config
    specs = normalize_tools(request.tools, provider)
    if specs:
        declarations = []
        for spec in specs:
            declaration: dict[str, Any] = {"name": spec.name, "parametersJsonSchema": _schema(spec.parameters)}
            if spec.description:
                declaration["description"] = spec.description
            declarations.append(declaration)
        body["tools"] = [{"functionDeclarations": declarations}]
        mode, forced = tool_choice_mode(request.tool_choice, provider)
        if mode is not None:
            calling: dict[str, Any] = {"mode": {"auto": "AUTO", "none": "NONE", "required": "ANY"}[mode]}
            if forced:
                calling["allowedFunctionNames"] = [forced]
            body["toolConfig"] = {"functionCallingConfig": calling}
    return apply_provider_options(body, request, provider)


def tool_call_from_part(part: dict[str, Any]) -> dict[str, Any]:
    """A ``functionCall`` part as an OpenAI-shape tool call (id synthesised when Gemini has none)."""
    fn = as_object(part.get("functionCall")) if isinstance(part, dict) else {}
    name, call_id = fn.get("name"), fn.get("id")
    if not isinstance(name, str) or not isinstance(call_id, str | None):
        raise ResponseFormatError("functionCall part needs a string name", provider="google")
    call: dict[str, Any] = {
        "id": call_id or f"{SYNTHETIC_ID_PREFIX}{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": name, "arguments": arguments_json(fn.get("args") or {})},
    }
    if part.get("thoughtSignature"):
        call["extra_content"] = {"google": {"thought_signature": part["thoughtSignature"]}}
    return call
