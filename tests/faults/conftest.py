"""Fixtures for the load tests: the four provider fakes, able to inject a plan's faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.faulty_fakes import InjectedFaults, start_fakes, stop_fakes


@pytest.fixture(scope="module")
def faulty_fakes() -> Iterator[dict[str, InjectedFaults]]:
    """OpenAI, Anthropic, Gemini and Ollama fakes on 127.0.0.1, by provider name.

    They inject nothing until a test gives them a plan (``fake.install(plan)``, which also
    forgets earlier requests).
    """
    fakes = start_fakes()
    yield fakes
    stop_fakes(fakes)
