"""Fixtures for the provider tests: local servers that speak each provider's wire format.

Each group of providers keeps its fixtures in its own module under ``tests/fakes`` and they are
imported here, so helpers working on different providers never edit the same lines.
"""

from __future__ import annotations

from tests.fakes.fixtures_anthropic_google import *  # noqa: F403
from tests.fakes.fixtures_openai_ollama import *  # noqa: F403
