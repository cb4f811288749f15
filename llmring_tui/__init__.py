"""llmring's Textual dashboard (``llmring tui``): models, calls and usage stats over one store.

``LLMRingApp`` is imported lazily so that importing this package does not pull in Textual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmring_tui.app import LLMRingApp

__all__ = ["LLMRingApp"]


def __getattr__(name: str) -> Any:
    if name == "LLMRingApp":
        from llmring_tui.app import LLMRingApp

        return LLMRingApp
    raise AttributeError(f"module 'llmring_tui' has no attribute {name!r}")
