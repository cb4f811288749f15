"""Structured output: ``ring.chat(request, response_model=...)`` sends a schema, returns an object.

Issue 14. ``output_schema(target)`` turns a pydantic model class or a JSON schema dict into an
``OutputSchema``: the name and schema to send, and how to validate the answer. The service puts
it on the request as ``response_format={"type": "json_schema", "json_schema": {...}}``, which
each provider already maps to its native form (OpenAI ``json_schema``, strict when the schema
allows it; Anthropic ``output_config.format`` on models the registry marks
``supports_structured_output``, else a forced tool; Gemini ``responseJsonSchema``; Ollama
``format``), and validates the answer into ``response.parsed``.

A pydantic model's schema is made *strict* the way OpenAI's strict mode and Anthropic's native
JSON output require (``strict_schema``): every object closed (``additionalProperties: false``)
with every property required, ``None`` defaults dropped and ``$ref`` with sibling keys inlined.
The model still validates the answer, so a field with a default simply always comes back. A
schema dict is sent as given, flagged strict only when it already is (``is_strict``), and the
answer is checked with ``jsonschema`` when that package is installed (else only decoded).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from llmring.errors import ConfigurationError, StructuredOutputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from llmring.schemas import LLMRequest, LLMResponse

_NAME = re.compile(r"[^a-zA-Z0-9_-]")


@dataclass(frozen=True, slots=True)
class OutputSchema:
    """What to send for a structured answer and how to read it back."""

    name: str
    schema: dict[str, Any]
    strict: bool
    validate: Callable[[str], Any]

    def response_format(self) -> dict[str, Any]:
        """The request's ``response_format`` asking for this schema."""
        spec = {"name": self.name, "schema": self.schema, "strict": self.strict}
        return {"type": "json_schema", "json_schema": spec}

    def parse(self, response: LLMResponse) -> Any:
        """The validated answer of ``response`` (also set on ``response.parsed``).

        Raises ``StructuredOutputError`` carrying the raw text and the response when it does not
        validate; the call has been logged and priced by then.
        """
        try:
            response.parsed = self.validate(response.content)
        except (ValueError, ValidationError) as exc:
            problem = _one_line(exc)
            raise StructuredOutputError(
                f"the answer does not match {self.name}: {problem}",
                raw_text=response.content,
                response=response,
                provider=response.provider,
                request_id=response.request_id,
            ) from exc
        return response.parsed


# A model class's OutputSchema, built once: pydantic's model_json_schema costs about 1.4 ms.
_BY_MODEL: dict[type[BaseModel], OutputSchema] = {}


def output_schema(target: Any) -> OutputSchema:
    """The ``OutputSchema`` for a pydantic model class or a JSON schema dict."""
    if isinstance(target, type) and issubclass(target, BaseModel):
        known = _BY_MODEL.get(target)
        if known is not None:
            return known
        if len(_BY_MODEL) >= 1024:  # classes made on the fly must not grow this without bound
            _BY_MODEL.clear()
        model = target
        schema = strict_schema(model.model_json_schema())
        made = _BY_MODEL[model] = OutputSchema(
            name=_name(model.__name__),
            schema=schema,
            strict=is_strict(schema),  # False for a root model that is not an object
            validate=model.model_validate_json,
        )
        return made
    if isinstance(target, dict):
        schema = dict(target)
        return OutputSchema(
            name=_name(str(schema.get("title") or "response")),
            schema=schema,
            strict=is_strict(schema),
            validate=lambda text: _validate_json(text, schema),
        )
    raise ConfigurationError(
        f"response_model must be a pydantic model class or a JSON schema dict, not {type(target).__name__}"
    )


def with_schema(request: LLMRequest, schema: OutputSchema) -> LLMRequest:
    """A copy of ``request`` asking for ``schema`` (a request that already sets a format is refused)."""
    if request.response_format is not None or request.json_response:
        raise ConfigurationError("give response_model or response_format/json_response, not both")
    return request.model_copy(update={"response_format": schema.response_format()})


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` made strict (see the module docstring); the argument is not changed."""
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    return _strict(schema, defs)


def _strict(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strict(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1 and ref.startswith(("#/$defs/", "#/definitions/")):
        # A $ref with siblings (a description on a nested model's field) is inlined.
        target = defs.get(ref.rpartition("/")[2], {})
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    if "default" in node and node["default"] is None:
        del node["default"]
    for key in ("$defs", "definitions", "properties"):
        if isinstance(node.get(key), dict):
            node[key] = {name: _strict(sub, defs) for name, sub in node[key].items()}
    for key in ("items", "anyOf", "allOf", "oneOf", "prefixItems", "additionalProperties"):
        if key in node:
            node[key] = _strict(node[key], defs)
    if node.get("type") == "object" or "properties" in node:
        node["additionalProperties"] = False
        node["required"] = list(node.get("properties", {}))
    return node


def is_strict(schema: dict[str, Any]) -> bool:
    """True when ``schema`` is an object whose every object is closed and requires all its
    properties (what OpenAI's strict mode and Anthropic's native JSON output take)."""
    return schema.get("type") == "object" and _closed(schema)


def _closed(schema: Any) -> bool:
    if isinstance(schema, list):
        return all(_closed(item) for item in schema)
    if not isinstance(schema, dict):
        return True
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False or set(schema.get("required", ())) != set(properties):
            return False
    return all(_closed(value) for key, value in schema.items() if isinstance(value, dict | list) and key != "enum")


def _validate_json(text: str, schema: dict[str, Any]) -> Any:
    value = json.loads(text)
    try:
        import jsonschema
    except ImportError:  # optional: without it a schema dict's answer is only decoded
        return value
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ValueError(f"{where}: {exc.message}") from None
    return value


def _name(text: str) -> str:
    return _NAME.sub("_", text)[:64] or "response"


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
