"""The README's request-controls example runs as written (against the local Anthropic fake)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import anthropic_fake

README = Path(__file__).resolve().parents[2] / "README.md"


def controls_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    [block] = [b for b in blocks if "response_model=" in b]
    return block


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[anthropic_fake.AnthropicFake]:
    fake = anthropic_fake.AnthropicFake().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_fake.API_KEY)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def test_the_request_controls_example_runs(
    claude: anthropic_fake.AnthropicFake, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(controls_example(), "README.md", "exec"), {"__name__": "readme"})
    [sent] = [r.json for r in claude.requests]
    assert sent["thinking"] == {"type": "adaptive"}
    assert sent["output_config"]["effort"] == "low" and sent["output_config"]["format"]["type"] == "json_schema"
    assert sent["system"][-1]["cache_control"] == {"type": "ephemeral"}  # 5 minutes is the default TTL
    assert sent["metadata"] == {"user_id": "user-42"}
    printed = capsys.readouterr().out
    parsed, cost = printed.rsplit(" ", 2)[0], printed.split()[-1]
    assert parsed == "city='Paris' temperature_c=21.5" and float(cost) > 0
