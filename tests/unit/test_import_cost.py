"""``import llmring`` stays light: no dashboard, no PostgreSQL driver, no rich, no vendor SDK."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("textual", "asyncpg", "pgdbm", "rich", "openai", "anthropic", "google.genai", "ollama")


def test_import_llmring_pulls_in_no_heavy_module() -> None:
    code = f"import sys, llmring; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_seed_names_resolve_lazily() -> None:
    import llmring
    from llmring.schemas import LLMRequest, Message

    assert llmring.Message is Message
    assert llmring.LLMRequest is LLMRequest
