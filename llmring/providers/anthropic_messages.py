"""Turning llmring messages, tools and JSON intent into Anthropic Messages API pieces.

Kept apart from the HTTP client in ``anthropic.py`` so the conversion rules are easy to read:
system messages become the top-level ``system``; assistant tool calls become ``tool_use`` blocks
with an object ``input``; ``tool`` messages become user ``tool_result`` blocks, with consecutive
results merged into one user turn (tool results first, as the API requires); images become base64
(or URL) ``image`` blocks and PDFs ``document`` blocks; ``cache_control`` is carried onto blocks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmring.errors import BadRequestError, ResponseFormatError
from llmring.providers.common import (
    arguments_object,
    as_object,
    normalize_tools,
    parse_data_url,
    tool_choice_mode,
    wants_json,
)

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest, Message

JSON_TOOL = "json_response"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class JsonPlan:
    """JSON mode through a forced tool; ``wrapped`` when the schema was put under ``value``."""

    wrapped: bool = False

    def answer(self, tool_input: Any) -> str:
        """The JSON text the caller gets from the tool's input."""
        value = tool_input.get("value") if self.wrapped and isinstance(tool_input, dict) else tool_input
        return json.dumps(value if value is not None else {}, ensure_ascii=False)

    def answer_from_text(self, text: str, provider: str) -> str:
        """Like ``answer`` for streamed tool input that arrived as JSON text."""
        try:
            return self.answer(json.loads(text or "{}"))
        except ValueError as exc:
            raise ResponseFormatError("streamed JSON answer is not valid JSON", provider=provider) from exc


def _with_cache(block: dict[str, Any], cache_control: Any) -> dict[str, Any]:
    if cache_control:
        block["cache_control"] = cache_control
    return block


def _image_block(part: dict[str, Any], provider: str) -> dict[str, Any]:
    ref = part.get("image_url")
    url = ref.get("url") if isinstance(ref, dict) else ref
    if not isinstance(url, str) or not url:
        raise BadRequestError("image_url part needs a url", provider=provider)
    if url.startswith(("http://", "https://")):
        source: dict[str, Any] = {"type": "url", "url": url}
    else:
        media_type, data = parse_data_url(url, provider)
        if media_type not in IMAGE_TYPES:
            raise BadRequestError(
                f"anthropic accepts image/jpeg, image/png, image/gif or image/webp, not {media_type}",
                provider=provider,
            )
        source = {"type": "base64", "media_type": media_type, "data": data}
    return {"type": "image", "source": source}


def content_blocks(content: str | list[dict[str, Any]] | None, provider: str) -> list[dict[str, Any]]:
    """Canonical content (a string or parts) as Anthropic blocks; empty text is dropped."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            if part.get("text"):
                blocks.append(_with_cache({"type": "text", "text": part["text"]}, part.get("cache_control")))
        elif kind == "image_url":
            blocks.append(_with_cache(_image_block(part, provider), part.get("cache_control")))
        elif kind == "document":
            source = part.get("source")
            if not isinstance(source, dict):
                raise BadRequestError("document part needs a source", provider=provider)
            block: dict[str, Any] = {"type": "document", "source": dict(source)}
            for key in ("title", "context", "citations"):
                if part.get(key) is not None:
                    block[key] = part[key]
            blocks.append(_with_cache(block, part.get("cache_control")))
        elif kind == "image":  # already in Anthropic's shape
            blocks.append(dict(part))
        else:
            raise BadRequestError(f"unsupported content part type {kind!r}", provider=provider)
    return blocks


def _tool_result(message: Message, provider: str) -> dict[str, Any]:
    if not message.tool_call_id:
        raise BadRequestError("a tool message needs tool_call_id", provider=provider)
    content: Any = message.content if isinstance(message.content, str) else content_blocks(message.content, provider)
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": content or ""}
    if (message.metadata or {}).get("is_error"):
        block["is_error"] = True
    return block


def _tool_use(call: dict[str, Any], provider: str) -> dict[str, Any]:
    fn = as_object(call.get("function"))
    if not call.get("id") or not fn.get("name"):
        raise BadRequestError("an assistant tool call needs an id and a function name", provider=provider)
    # The input is an object, never the JSON string (an upstream bug sent the string).
    arguments = arguments_object(fn.get("arguments"), provider)
    return {"type": "tool_use", "id": call["id"], "name": fn["name"], "input": arguments}


def build_messages(messages: list[Message], provider: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, turns): system lifted out; same-role neighbours merged into one turn."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        cache_control = (message.metadata or {}).get("cache_control")
        if message.role == "system":
            blocks = [b for b in content_blocks(message.content, provider) if b["type"] == "text"]
            if blocks and cache_control:
                _with_cache(blocks[-1], cache_control)
            system.extend(blocks)
            continue
        if message.role == "tool":
            role, blocks = "user", [_tool_result(message, provider)]
        elif message.role == "assistant":
            role = "assistant"
            blocks = content_blocks(message.content, provider)
            blocks += [_tool_use(call, provider) for call in message.tool_calls or []]
        else:
            role, blocks = "user", content_blocks(message.content, provider)
        if not blocks:
            continue
        if cache_control:
            _with_cache(blocks[-1], cache_control)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        # tool_result blocks must open their user turn (stable sort keeps everything else in order)
        turn["content"].sort(key=lambda b: b.get("type") != "tool_result")
        only = turn["content"][0] if len(turn["content"]) == 1 else None
        if only is not None and only["type"] == "text" and "cache_control" not in only:
            turn["content"] = only["text"]
    return system, turns


def _json_schema_tool(schema: dict[str, Any] | None) -> tuple[dict[str, Any], JsonPlan]:
    if schema is None:
        return {"type": "object"}, JsonPlan()
    if schema.get("type") == "object" or ("type" not in schema and "properties" in schema):
        return {"type": "object", **schema}, JsonPlan()
    inner = {k: v for k, v in schema.items() if k not in ("$defs", "definitions")}
    wrapper: dict[str, Any] = {"type": "object", "properties": {"value": inner}, "required": ["value"]}
    for key in ("$defs", "definitions"):
        if key in schema:
            wrapper[key] = schema[key]  # keep "#/$defs/..." references resolvable
    return wrapper, JsonPlan(wrapped=True)


def tools_and_choice(
    request: LLMRequest, provider: str, *, native_json: bool = False
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, JsonPlan | None]:
    """(tools, tool_choice, JSON plan) for ``request``; JSON mode adds and forces ``json_response``
    unless the schema goes natively (``native_json``: ``output_config.format``)."""
    tools: list[dict[str, Any]] = []
    for raw, spec in zip(request.tools or [], normalize_tools(request.tools, provider), strict=True):
        schema = spec.parameters if spec.parameters.get("type") else {"type": "object", **spec.parameters}
        tool: dict[str, Any] = {"name": spec.name, "input_schema": schema}
        if spec.description:
            tool["description"] = spec.description
        nested = raw.get("function")
        fn: dict[str, Any] = nested if isinstance(nested, dict) else raw
        _with_cache(tool, raw.get("cache_control") or fn.get("cache_control"))
        tools.append(tool)
    mode, forced = tool_choice_mode(request.tool_choice, provider)
    json_wanted, json_schema = wants_json(request.response_format, request.json_response)
    plan: JsonPlan | None = None
    if json_wanted and not native_json:
        if any(t["name"] == JSON_TOOL for t in tools):
            raise BadRequestError(f"the tool name {JSON_TOOL!r} is reserved for JSON mode", provider=provider)
        input_schema, plan = _json_schema_tool(json_schema)
        description = "Give your final answer by calling this tool; its input is the answer, as JSON."
        user_tools = bool(tools)
        tools.append({"name": JSON_TOOL, "description": description, "input_schema": input_schema})
        if not user_tools or mode == "none":
            return tools, {"type": "tool", "name": JSON_TOOL}, plan
        if mode in (None, "auto"):
            mode = "required"  # answer through a tool: one of the user's, or the JSON one
    if not tools or mode is None:
        return tools, None, plan
    if forced:
        return tools, {"type": "tool", "name": forced}, plan
    return tools, {"type": {"auto": "auto", "none": "none", "required": "any"}[mode]}, plan


MAX_BREAKPOINTS = 4
CHARS_PER_TOKEN = 4  # a prefix's length is estimated, not counted: a breakpoint below the
# minimum is only wasted (Anthropic silently does not cache it), never an error


def _chars(block: dict[str, Any]) -> int:
    """About how many characters ``block`` adds to the prompt (its text; else its JSON)."""
    text = block.get("text")
    return len(text) if isinstance(text, str) else len(json.dumps(block, default=str))


def place_cache_breakpoints(body: dict[str, Any], ttl: str, min_tokens: int | None) -> None:
    """``LLMRequest.prompt_cache`` on an Anthropic body: ``cache_control`` on the system prompt, the
    last tool and the last user turn (cached prefixes run tools, system, messages), most stable
    first while the 4-breakpoint cap (explicit ones included) allows, and only where the prefix
    up to the block is at least the model's ``prompt_cache_min_tokens`` (estimated)."""
    control: dict[str, Any] = {"type": "ephemeral"} if ttl == "5m" else {"type": "ephemeral", "ttl": ttl}
    tools: list[dict[str, Any]] = body.get("tools") or []
    system = body.get("system")
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    turns: list[dict[str, Any]] = body["messages"]
    for turn in turns:
        if isinstance(turn["content"], str):
            turn["content"] = [{"type": "text", "text": turn["content"]}]
    ordered = [*tools, *(system or ()), *(b for t in turns for b in t["content"])]  # the prefix's order
    used = sum("cache_control" in b for b in ordered)
    # Anthropic takes 1-hour breakpoints only before any 5-minute one: after the first explicit
    # 5-minute breakpoint a 1-hour one would be a 400, so none is placed there.
    last_allowed = len(ordered)
    if ttl == "1h":
        short = [i for i, b in enumerate(ordered) if "cache_control" in b and b["cache_control"].get("ttl") != "1h"]
        last_allowed = short[0] if short else last_allowed
    position = {id(b): i for i, b in enumerate(ordered)}
    # (block, its prefix in characters) for each candidate, in order of preference.
    tool_chars = sum(map(_chars, tools))
    system_chars = tool_chars + sum(map(_chars, system or ()))
    candidates: list[tuple[dict[str, Any], int]] = []
    if system:
        candidates.append((system[-1], system_chars))
    last_user = next((t for t in reversed(turns) if t["role"] == "user"), None)
    if last_user is not None:
        end = turns.index(last_user) + 1
        chars = system_chars + sum(_chars(b) for t in turns[:end] for b in t["content"])
        candidates.append((last_user["content"][-1], chars))
    if tools:
        candidates.append((tools[-1], tool_chars))
    floor = (min_tokens or 0) * CHARS_PER_TOKEN
    for block, chars in candidates:
        if used >= MAX_BREAKPOINTS:
            break
        if (
            "cache_control" in block
            or chars < floor
            or position[id(block)] > last_allowed
            or block.get("type") in ("thinking", "redacted_thinking")
        ):
            continue
        block["cache_control"] = dict(control)
        used += 1
    if system is not None and "cache_control" in system[-1]:
        body["system"] = system
    for turn in turns:  # a lone plain text block goes back to the short form
        only = turn["content"][0] if len(turn["content"]) == 1 else None
        if only is not None and only["type"] == "text" and set(only) == {"type", "text"}:
            turn["content"] = only["text"]
