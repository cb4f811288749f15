"""Where the provider OpenAPI specs live, and the one normalisation the OpenAI spec needs.

The specs are not on any package registry and are never copied into the project: they are read
from ``../shared/specs`` next to the checkout (or ``$LLMRING_SPECS_DIR``), once per session.

On a fresh clone they are absent: the tests that need them skip with a reason that says how to
provide them (``needs_spec``), and the fakes check requests against the SDK types only. Under
``CI=1`` (``.ci/run``, which guarantees them) a missing spec is an error instead (``spec_path``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO_ROOT = Path(__file__).resolve().parents[2]


def specs_dir() -> Path:
    """``$LLMRING_SPECS_DIR``, else ``<checkout>/../shared/specs``."""
    override = os.environ.get("LLMRING_SPECS_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "specs"


def missing_reason(name: str) -> str:
    """Why a test that needs spec ``name`` cannot run here, and how to make it run."""
    return (
        f"needs the provider spec {specs_dir() / name}, which is not in the repository: put the OpenAPI"
        " specs (openai-openapi.json, ollama-openapi.yaml) in ../shared/specs beside the checkout,"
        " or set LLMRING_SPECS_DIR to the directory that holds them"
    )


class MissingSpec(RuntimeError):
    """A spec file is missing where CI guarantees it (``CI=1``)."""


def spec_path(name: str) -> Path | None:
    """Spec ``name``'s path; None when it is absent, except under ``CI=1``, where that is an error."""
    path = specs_dir() / name
    if path.exists():
        return path
    if os.environ.get("CI") == "1":
        raise MissingSpec(f"CI=1 but {missing_reason(name)}")
    return None


def needs_spec(name: str) -> pytest.MarkDecorator:
    """Skip a test when spec ``name`` is absent (with ``missing_reason``); under CI=1 it runs and fails."""
    return pytest.mark.skipif(spec_path(name) is None, reason=missing_reason(name))


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
