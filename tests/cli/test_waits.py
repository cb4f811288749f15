"""Visible, bounded waits (issue 15): a spinner on a terminal's stderr saying what ``ask`` waits for,
nothing extra when piped or with ``--json``, and the whole wait in a failed call's error line."""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path

from typer.testing import CliRunner

from llmring.cli.main import app
from llmring.cli.waits import GRACE, CallWaits
from llmring.errors import RateLimitError
from llmring.progress import Progress
from tests.cli.pty_run import run_on_pty
from tests.fakes.openai_fake import OpenAIFake, rate_limit_reply, server_error_reply

# What moves the cursor or erases: only a spinner (or a hostile reply) would send it.
CURSOR_CONTROL = re.compile(rb"\x1b\[[0-9;?]*[A-HJKSTfhl]")


def alias_config(tmp_path: Path) -> Path:
    config = tmp_path / "c.toml"
    config.write_text(f'database = "{tmp_path / "x.db"}"\n[aliases]\nfast = ["gpt-4o-mini", "gpt-4o"]\n')
    return config


def test_a_terminal_sees_the_wait_retry_and_fallback_then_only_the_answer(
    tmp_path: Path, openai_fake: OpenAIFake
) -> None:
    slow_limit = rate_limit_reply(retry_after="120")  # longer than any retry: the alias falls back
    slow_limit.delay = 0.9
    overloaded = server_error_reply(503, **{"retry-after": "1"})
    overloaded.delay = 0.9
    openai_fake.enqueue(slow_limit, overloaded)
    code, output = run_on_pty(["--config", str(alias_config(tmp_path)), "ask", "-m", "fast", "hi"], columns=200)
    text = output.decode()
    assert code == 0, text
    assert "waiting for openai:gpt-4o-mini..." in text
    assert "falling back to openai:gpt-4o (openai:gpt-4o-mini rate limited (429, retry after 120 s))" in text
    assert "openai:gpt-4o unavailable (503), retrying in 1 s (1/2)" in text
    # The spinner is erased before the answer: the answer is the last thing on the screen.
    assert text.rstrip().endswith("Echo: hi"), text[-300:]
    assert len(openai_fake.requests) == 3


async def test_a_call_answered_within_the_grace_period_never_draws() -> None:
    waits = CallWaits(show=True)
    waits(Progress("waiting", "openai:gpt-4o-mini"))
    waits.stop()  # the answer came at once
    await asyncio.sleep(GRACE + 0.1)
    assert waits._live is None and waits.attempts == 1


def test_the_spinner_setting_turns_it_off(tmp_path: Path, openai_fake: OpenAIFake) -> None:
    openai_fake.delay_next = 0.6
    env = {**os.environ, "LLMRING_SPINNER": "off"}
    code, output = run_on_pty(["--sqlite", str(tmp_path / "q.db"), "ask", "-m", "gpt-4o-mini", "hi"], env=env)
    assert code == 0, output
    assert b"waiting" not in output and not CURSOR_CONTROL.search(output), output
    assert output.replace(b"\r\n", b"\n") == b"Echo: hi\n"


def test_json_on_a_terminal_is_only_the_json(tmp_path: Path, openai_fake: OpenAIFake) -> None:
    openai_fake.delay_next = 0.6
    code, output = run_on_pty(["--sqlite", str(tmp_path / "j.db"), "ask", "--json", "-m", "gpt-4o-mini", "hi"])
    assert code == 0, output
    assert b"waiting" not in output and not CURSOR_CONTROL.search(output), output
    assert output.lstrip().startswith(b"{")


def test_piped_output_is_the_answer_and_a_failure_one_line_with_the_whole_wait(
    tmp_path: Path, openai_fake: OpenAIFake
) -> None:
    openai_fake.delay_next = 0.4
    openai_fake.enqueue(rate_limit_reply(retry_after="0.2"))
    ok = CliRunner().invoke(app, ["--sqlite", str(tmp_path / "p.db"), "ask", "-m", "gpt-4o-mini", "hi"])
    assert ok.exit_code == 0, ok.output
    assert (ok.stdout, ok.stderr) == ("Echo: hi\n", "")

    openai_fake.enqueue(*(rate_limit_reply(retry_after="0.2") for _ in range(3)))
    failed = CliRunner().invoke(app, ["--sqlite", str(tmp_path / "p.db"), "ask", "-m", "gpt-4o-mini", "hi"])
    assert failed.exit_code == 1 and failed.stdout == ""
    line = failed.stderr
    assert line.count("\n") == 1 and line.startswith("Error: "), line
    waited = re.search(r"\(gave up after (\d+\.\d) s, 3 attempts\)$", line.strip())
    assert waited is not None, line
    assert float(waited.group(1)) >= 0.4  # two retries, 0.2 s apart: the real wait, not one attempt's


async def test_the_wait_is_counted_from_the_first_request_not_the_setup() -> None:
    waits = CallWaits(show=False)
    await asyncio.sleep(0.3)  # opening the log and the registry: no model is waited for yet
    assert waits.waited() == 0.0
    first_request = time.monotonic()
    waits(Progress("waiting", "openai:gpt-4o-mini"))
    line = waits.gave_up(RateLimitError("rate limited", provider="openai"))
    since = time.monotonic() - first_request
    waited = re.fullmatch(r"openai: rate limited \(gave up after (\d+\.\d) s\)", line)
    assert waited is not None, line
    assert float(waited.group(1)) <= since + 0.05  # the 0.3 s before it is not counted


def test_a_reached_timeout_says_its_whole_wait_once(tmp_path: Path, openai_fake: OpenAIFake) -> None:
    openai_fake.delay_next = 3
    args = ["--sqlite", str(tmp_path / "t.db"), "ask", "--timeout", "1", "-m", "gpt-4o-mini", "hi"]
    failed = CliRunner().invoke(app, args)
    assert failed.exit_code == 1 and failed.stdout == ""
    line = failed.stderr.strip()
    assert re.fullmatch(r"Error: openai: call deadline of 1s reached after 1\.\ds \(1 attempt\)", line), line
