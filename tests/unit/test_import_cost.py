"""Imports stay light: the dashboard, the database drivers, rich and the vendor SDKs load only when
something uses them. Each check runs in a fresh interpreter and looks at ``sys.modules``."""

from __future__ import annotations

import subprocess
import sys

import pytest

VENDOR_SDKS = ("openai", "anthropic", "google.genai", "ollama")
DRIVERS = ("asyncpg", "pgdbm", "aiosqlite")

# module -> what importing it must not load.
NEVER_LOADED: dict[str, tuple[str, ...]] = {
    "llmring": ("textual", "rich", "httpx", "pydantic", *DRIVERS, *VENDOR_SDKS),
    "llmring.service": ("textual", "rich", "httpx", *DRIVERS, *VENDOR_SDKS),
    "llmring.db": ("textual", "rich", "httpx", *DRIVERS, *VENDOR_SDKS),
    "llmring.db_sqlite": ("textual", "rich", "httpx", *DRIVERS, *VENDOR_SDKS),
    # `llmring --help` imports this: no dashboard, driver, SDK, HTTP client or pydantic model.
    "llmring.cli.main": ("textual", "httpx", "pydantic", *DRIVERS, *VENDOR_SDKS),
}


@pytest.mark.parametrize("module", sorted(NEVER_LOADED))
def test_import_pulls_in_no_heavy_module(module: str) -> None:
    heavy = NEVER_LOADED[module]
    code = f"import sys, {module}; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import {module} loaded: {out.stdout.strip()}"


def test_seed_names_resolve_lazily() -> None:
    import llmring
    from llmring.schemas import LLMRequest, Message

    assert llmring.Message is Message
    assert llmring.LLMRequest is LLMRequest


def test_public_api_is_complete_and_guarded() -> None:
    import llmring
    from llmring import errors

    assert llmring.__all__ == sorted([*llmring._EXPORTS, "__version__"])
    assert dir(llmring) == llmring.__all__
    for name in llmring.__all__:
        assert getattr(llmring, name) is not None
    # Every error class a caller may catch is importable from the package root.
    raised = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.LLMRingError)
    }
    assert raised <= set(llmring.__all__), sorted(raised - set(llmring.__all__))
