"""Where the provider OpenAPI specs live, and the one normalisation the OpenAI spec needs.

The specs are not on any package registry and are never copied into the project: they are read
from ``../shared/specs`` next to the checkout (or ``$LLMRING_SPECS_DIR``), once per session.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO_ROOT = Path(__file__).resolve().parents[2]


def specs_dir() -> Path:
    """``$LLMRING_SPECS_DIR``, else ``<checkout>/../shared/specs``."""
    override = os.environ.get("LLMRING_SPECS_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "specs"


def normalize_openapi(node: Any) -> Any:
    """Turn 3.0 leftovers into 3.1 JSON Schema in place (wire_formats.md 5.2).

    ``nullable: true`` becomes a ``null`` type (or an ``anyOf`` with null), and ``oneOf`` becomes
    ``anyOf`` because the spec's branches overlap (a valid payload often matches two).
    """
    if isinstance(node, dict):
        if node.pop("nullable", False) is True:
            kind = node.get("type")
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
            elif kind is None:
                inner = dict(node)
                node.clear()
                node["anyOf"] = [inner, {"type": "null"}]
            if "enum" in node and None not in node["enum"]:
                node["enum"].append(None)
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        for value in list(node.values()):
            normalize_openapi(value)
    elif isinstance(node, list):
        for value in node:
            normalize_openapi(value)
    return node


class SpecValidators:
    """Validators for ``components.schemas`` of one OpenAPI document, built lazily and kept."""

    def __init__(self, urn: str, spec: dict[str, Any]) -> None:
        self.urn = urn
        self.schemas = spec.get("components", {}).get("schemas", {})
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(urn, resource)
        self._validators: dict[str, Draft202012Validator] = {}

    def errors(self, component: str, instance: Any) -> list[str]:
        """Readable violations of ``instance`` against the named component (empty when valid)."""
        validator = self._validators.get(component)
        if validator is None:
            if component not in self.schemas:
                return [f"[spec] no component {component!r}"]
            validator = Draft202012Validator(
                {"$ref": f"{self.urn}#/components/schemas/{component}"}, registry=self._registry
            )
            self._validators[component] = validator
        found = []
        for error in validator.iter_errors(instance):
            error = best_match([error])  # descend into anyOf branches for a readable reason
            where = "/".join(str(p) for p in error.absolute_path) or "<root>"
            found.append(f"[spec {component}] {where}: {error.message[:300]}")
        return found
