"""Deterministic stand-ins for model output, shared by the provider fakes.

A fake decides its answer from the request: a JSON schema gets an object that matches it, a tool
gets arguments that match its parameters, and plain text gets an echo that names what arrived.
"""

from __future__ import annotations

from typing import Any

STRING_SAMPLES = {"city": "Paris", "location": "Paris", "unit": "celsius", "name": "Ada"}


def sample_for_schema(schema: Any, key: str = "", root: Any = None) -> Any:
    """A small value that satisfies ``schema`` (objects fill every property; local ``$ref``s, as
    pydantic writes nested models, are followed from ``root``, the whole schema)."""
    if not isinstance(schema, dict):
        return "x"
    root = schema if root is None else root
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for step in ref[2:].split("/"):
            target = target.get(step, {}) if isinstance(target, dict) else {}
        return sample_for_schema(target, key, root)
    if schema.get("enum"):
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for combo in ("anyOf", "oneOf", "allOf"):
        if schema.get(combo):
            return sample_for_schema(schema[combo][0], key, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties") or {}
        return {name: sample_for_schema(sub, name, root) for name, sub in props.items()}
    if kind == "array":
        return [sample_for_schema(schema.get("items") or {}, key, root)]
    if kind == "integer":
        return 21
    if kind == "number":
        return 21.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return STRING_SAMPLES.get(key, "sample")


def words(text: str) -> list[str]:
    """``text`` as whitespace-kept pieces (``"a b"`` -> ``["a", " b"]``), for streaming deltas."""
    pieces: list[str] = []
    for index, word in enumerate(text.split(" ")):
        pieces.append(word if index == 0 else " " + word)
    return [p for p in pieces if p]


def fragments(text: str, size: int = 4) -> list[str]:
    """``text`` cut every ``size`` characters: tool-call arguments split inside JSON strings."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def rough_tokens(text: str) -> int:
    """A deterministic token estimate (about four characters a token)."""
    return max(1, len(text) // 4)
