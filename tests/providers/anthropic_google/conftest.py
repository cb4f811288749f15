"""The Anthropic/Gemini provider fixtures (shared with any conftest that imports them)."""

from tests.fakes.fixtures_anthropic_google import *  # noqa: F403
