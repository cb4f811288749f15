"""Request pieces every provider reads the same way: tools, content parts, JSON intent.

Tools are accepted in the OpenAI shape ``{"type": "function", "function": {...}}`` or flat
``{"name", "description", "parameters" | "input_schema"}`` and normalised to one
``ToolSpec``. Content parts are the canonical shapes built by ``file_utils``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from llmring.errors import BadRequestError, ResponseFormatError, UnsupportedFeatureError


@dataclass(frozen=True)
class ToolSpec:
    """A function tool, provider-neutral."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


def normalize_tools(tools: list[dict[str, Any]] | None, provider: str) -> list[ToolSpec]:
    """Read tools in either accepted shape; a tool without a name is a ``BadRequestError``."""
    specs: list[ToolSpec] = []
    for raw in tools or []:
        if not isinstance(raw, dict):
            raise BadRequestError("each tool must be an object", provider=provider)
        fn = raw.get("function") if raw.get("type") == "function" or "function" in raw else raw
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise BadRequestError("each tool needs a 'name'", provider=provider)
        params = fn.get("parameters") or fn.get("input_schema") or {"type": "object", "properties": {}}
        if not isinstance(params, dict):
            raise BadRequestError(f"tool {fn['name']!r}: parameters must be a JSON schema object", provider=provider)
        specs.append(
            ToolSpec(
                name=fn["name"],
                description=fn.get("description") or "",
                parameters=params,
                strict=fn.get("strict"),
            )
        )
    return specs


def tool_names(tools: list[dict[str, Any]] | None) -> list[str]:
    """Names of the tools in a request, for logging (never raises)."""
    names = []
    for raw in tools or []:
        if isinstance(raw, dict):
            fn = raw.get("function", raw)
            if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                names.append(fn["name"])
    return names


def wants_json(request_format: dict[str, Any] | None, json_response: bool | None) -> tuple[bool, dict[str, Any] | None]:
    """(JSON wanted?, JSON schema if one was given) from ``response_format`` / ``json_response``.

    ``{"type": "json_object"}`` or ``{"type": "json"}`` or ``json_response=True`` ask for JSON;
    ``{"type": "json_schema", "json_schema": {"schema": ...}}`` asks for JSON matching a schema.
    """
    if request_format:
        kind = request_format.get("type")
        if kind == "json_schema":
            spec = request_format.get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec, dict) else None
            return True, schema if isinstance(schema, dict) else None
        if kind in ("json_object", "json"):
            return True, None
    return bool(json_response), None


def parse_data_url(url: str, provider: str) -> tuple[str, str]:
    """``data:<mime>;base64,<data>`` -> (mime type, base64 data); other URLs are a ``BadRequestError``."""
    if not url.startswith("data:") or ";base64," not in url:
        raise BadRequestError("only base64 data: URLs are supported for images here", provider=provider)
    header, data = url[5:].split(";base64,", 1)
    return header or "application/octet-stream", data


def decode_base64(data: str, provider: str) -> bytes:
    """Decode base64 attachment data, or a ``BadRequestError``."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequestError("attachment is not valid base64", provider=provider) from exc


def text_of(content: str | list[dict[str, Any]] | None) -> str:
    """The text of a message's content (text parts joined; attachments skipped)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")


def arguments_json(arguments: Any) -> str:
    """Tool-call arguments as the JSON string the OpenAI shape uses."""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments if arguments is not None else {}, separators=(",", ":"))


def arguments_object(arguments: Any, provider: str) -> dict[str, Any]:
    """Tool-call arguments (JSON string or dict) as a dict, for providers that want objects."""
    if isinstance(arguments, dict):
        return arguments
    if arguments in (None, ""):
        return {}
    try:
        value = json.loads(arguments)
    except (TypeError, ValueError) as exc:
        raise BadRequestError("tool call arguments are not valid JSON", provider=provider) from exc
    if not isinstance(value, dict):
        raise BadRequestError("tool call arguments must be a JSON object", provider=provider)
    return value


def openai_tool_call(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    """A tool call in the one shape llmring returns."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments_json(arguments)}}


def token_count(value: Any) -> int:
    """A token counter from the wire as a non-negative int (0 for anything that is not a number)."""
    if type(value) is int:  # the usual case first (bool is a subclass, so not this branch)
        return value if value > 0 else 0
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return max(int(value), 0)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return 0


def as_object(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (for optional nested wire fields)."""
    return value if isinstance(value, dict) else {}


def require_dict(value: Any, what: str, provider: str) -> dict[str, Any]:
    """``value`` if it is a dict, else a ``ResponseFormatError`` naming ``what``."""
    if not isinstance(value, dict):
        raise ResponseFormatError(f"unexpected response shape: {what}", provider=provider)
    return value


def tool_choice_mode(choice: str | dict[str, Any] | None, provider: str) -> tuple[str | None, str | None]:
    """Read ``tool_choice`` into (mode, forced tool name); mode is auto, none or required.

    Accepts "auto" / "none" / "required" (also "any"), the OpenAI dict
    ``{"type": "function", "function": {"name": ...}}``, Anthropic's ``{"type": "auto"|"any"|"none"}``
    and ``{"type": "tool", "name": ...}``, and the upstream shorthand ``{"function": "name"}``.
    """
    if choice is None:
        return None, None
    if isinstance(choice, str):
        mode = {"auto": "auto", "none": "none", "required": "required", "any": "required"}.get(choice)
        if mode is None:
            raise BadRequestError(f"unknown tool_choice {choice!r}", provider=provider)
        return mode, None
    fn = choice.get("function")
    name = fn.get("name") if isinstance(fn, dict) else fn
    if name is None and choice.get("type") in ("tool", None):
        name = choice.get("name")
    if isinstance(name, str) and name:
        return "required", name
    kind = choice.get("type")
    if isinstance(kind, str) and kind in ("auto", "none", "required", "any"):
        return tool_choice_mode(kind, provider)
    raise BadRequestError(f"unknown tool_choice {choice!r}", provider=provider)


def apply_provider_options(body: dict[str, Any], request: Any, provider: str) -> dict[str, Any]:
    """Merge ``request.provider_options[provider]`` into ``body``, last (other providers' entries
    are ignored). Objects merge key by key (``{"generationConfig": {"topK": 40}}`` joins the
    config llmring built); a field llmring already set is an ``UnsupportedFeatureError`` naming
    it, never silently overridden."""
    options = request.provider_options
    extra = options.get(provider) if options else None
    if extra:
        _merge(body, extra, provider, f"provider_options.{provider}")
    return body


def _merge(target: dict[str, Any], extra: dict[str, Any], provider: str, where: str) -> None:
    for key, value in extra.items():
        here = f"{where}.{key}"
        if key not in target:
            target[key] = copy.deepcopy(value)  # the caller's dict is not shared with later bodies
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value, provider, here)
        else:
            raise UnsupportedFeatureError(
                f"{here} clashes with a field llmring sets from the request: set it through LLMRequest"
                " (or drop it from provider_options)",
                provider=provider,
            )


def prompt_details(details: dict[str, Any]) -> dict[str, int]:
    """The issue-12 counts of OpenAI's ``prompt_tokens_details`` / ``input_tokens_details``:
    cache writes (gpt-5.6 and later; ``cache_write_tokens_details.ttl_12h_tokens`` is the 12-hour
    part) and audio prompt tokens. OpenAI does not say how many cached tokens were audio."""
    writes = as_object(details.get("cache_write_tokens_details"))
    return {
        "cache_write_tokens": token_count(details.get("cache_write_tokens")),
        "cache_write_12h_tokens": token_count(writes.get("ttl_12h_tokens")),
        "audio_tokens": token_count(details.get("audio_tokens")),
    }


def prompt_cache_fields(body: dict[str, Any], request: Any, provider: str) -> None:
    """``LLMRequest.prompt_cache`` on an OpenAI body (Chat Completions or Responses).

    OpenAI caches prompt prefixes by itself; ``prompt_cache_key`` routes requests that share a
    prefix to the same cache, so llmring sends a hash of the system prompt and the tools (a key
    given in ``provider_options`` wins). Models that bill cache writes (gpt-5.6 and later: a
    ``cache_write`` price in the registry) also get ``prompt_cache_options.ttl`` "30m", the one
    lifetime they take; on the others OpenAI keeps prefixes for minutes in memory, or as its
    (deprecated) ``prompt_cache_retention`` says, which ``provider_options`` can set.
    """
    if request.prompt_cache is None:
        return
    from llmring.controls import plan_for

    own = (request.provider_options or {}).get(provider) or {}
    if "prompt_cache_key" not in own:
        digest = hashlib.sha256()
        for message in request.messages:
            if message.role == "system":
                text = message.content if isinstance(message.content, str) else json.dumps(message.content)
                digest.update(text.encode("utf-8", "surrogatepass"))
                digest.update(b"\0")
        if request.tools:
            digest.update(json.dumps(request.tools, sort_keys=True, default=str).encode())
        body["prompt_cache_key"] = "llmring-" + digest.hexdigest()[:32]
    if plan_for(request, provider).cache_write_billed and "prompt_cache_options" not in own:
        body["prompt_cache_options"] = {"ttl": "30m"}
