"""Issue 19: SIGTERM or Ctrl-C to ``llmring ask`` still writes the row of the call it was waiting for."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.openai_fake import API_KEY, OpenAIFake
from tests.fakes.server import RecordedRequest, Reply

ROOT = Path(__file__).resolve().parents[2]


class SlowOpenAI(OpenAIFake):
    """The OpenAI fake answering after 5 s (the test stops the client long before)."""

    def handle(self, request: RecordedRequest) -> Reply:
        return dataclasses.replace(super().handle(request), delay=5.0)


@pytest.fixture
def slow_fake() -> Iterator[SlowOpenAI]:
    fake = SlowOpenAI().start()
    yield fake
    fake.stop()


@pytest.mark.parametrize(
    ("sent", "code", "said"),
    [
        (signal.SIGTERM, 143, ["Error: terminated (SIGTERM); the call was logged as cancelled"]),
        (signal.SIGINT, 130, []),  # Ctrl-C
    ],
    ids=["sigterm", "ctrl-c"],
)
def test_a_signal_during_ask_still_logs_the_cancelled_call(
    slow_fake: SlowOpenAI, tmp_path: Path, sent: signal.Signals, code: int, said: list[str]
) -> None:
    db = tmp_path / "calls.db"
    env = {**os.environ, "OPENAI_BASE_URL": f"{slow_fake.base_url}/v1", "OPENAI_API_KEY": API_KEY}
    command = [sys.executable, "-c", "from llmring.cli.main import run; run()"]
    args = ["--sqlite", str(db), "ask", "-m", "openai:gpt-4o-mini", "--no-stream", "Say hello"]
    proc = subprocess.Popen([*command, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not slow_fake.requests and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert slow_fake.requests, proc.communicate()
    proc.send_signal(sent)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert err.decode().splitlines() == said
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT status, error_type, model_name FROM llm_api_calls WHERE final").fetchall()
    finally:
        conn.close()
    assert rows == [("error", "CancelledError", "gpt-4o-mini")]
