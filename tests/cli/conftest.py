"""CLI test helpers: a runner, registry files written to temp dirs, and a stand-in bundled registry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app

# The local OpenAI fake, shared with the service tests (``ask`` and ``analyze-*`` talk to it).
from tests.service.conftest import _openai_server, openai_fake  # noqa: F401

Invoke = Callable[..., Result]


def entry(name: str, **fields: Any) -> dict[str, Any]:
    """One registry entry with the required fields filled in."""
    data: dict[str, Any] = {
        "model_name": name,
        "display_name": name.title(),
        "dollars_per_million_tokens_input": 1.0,
        "dollars_per_million_tokens_output": 2.0,
        "source": "https://example.com/pricing",
        "as_of": "2026-03-01",
    }
    data.update(fields)
    return data


def write_registry(directory: Path, provider: str, entries: list[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{provider}.json"
    path.write_text(json.dumps({"provider": provider, "models": entries}, indent=2))
    return path


SAMPLE: dict[str, list[dict[str, Any]]] = {
    "openai": [
        entry(
            "gpt-4o",
            max_context=128_000,
            supports_vision=True,
            supports_function_calling=True,
            dollars_per_million_tokens_input=2.5,
            dollars_per_million_tokens_output=10,
            dollars_per_million_tokens_cached_input=1.25,
        ),
        entry(
            "gpt-4o-mini",
            max_context=128_000,
            supports_vision=True,
            supports_function_calling=True,
            dollars_per_million_tokens_input=0.15,
            dollars_per_million_tokens_output=0.6,
        ),
        entry("o1", max_context=200_000, is_reasoning=True, dollars_per_million_tokens_input=15),
        entry("shared-name", max_context=8_000),
    ],
    "anthropic": [
        entry(
            "claude-sonnet",
            max_context=1_000_000,
            supports_vision=True,
            supports_function_calling=True,
            dollars_per_million_tokens_input=3,
            dollars_per_million_tokens_output=15,
        ),
        entry("mystery", dollars_per_million_tokens_input=None, dollars_per_million_tokens_output=None),
    ],
    "ollama": [
        entry(
            "llama3:8b",
            max_context=8_192,
            dollars_per_million_tokens_input=0,
            dollars_per_million_tokens_output=0,
        ),
        entry("shared-name", max_context=4_096, dollars_per_million_tokens_input=0),
    ],
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner) -> Invoke:
    """``invoke("models", "list", env={...})``: runs the app in-process."""

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env)

    return run


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    """A registry directory holding ``SAMPLE``."""
    directory = tmp_path / "models"
    for provider, entries in SAMPLE.items():
        write_registry(directory, provider, entries)
    return directory


@pytest.fixture
def bundled(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make ``SAMPLE`` the bundled registry (init-db and first-use seeding read it)."""
    import llmring.registry

    monkeypatch.setattr(llmring.registry, "bundled_dir", lambda: models_dir)
    monkeypatch.setattr(llmring.registry, "bundled_root", lambda: models_dir)
    llmring.registry.bundled_versions.cache_clear()  # read once per process: forget the real files'
    yield models_dir
    llmring.registry.bundled_versions.cache_clear()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "llmring.db"
