"""Text from the ledger or a provider is inert on the operator's terminal (issue 19, item 4).

A model name, user id, origin or error message holding OSC 0 (window title), OSC 52 (clipboard),
CSI cursor movement or a C1 control must not reach the terminal as a control sequence from
``llmring calls``, ``stats``, ``models`` or the dashboard; a reply printed by ``llmring ask``
keeps its newlines and tabs and nothing else. Checked on the bytes written to a pty, where the
output is a real terminal's; the only escape sequences allowed there are SGR colours (``ESC[...m``).
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmring.cli.main import app
from llmring.db_sqlite import SQLiteDatabase
from llmring.formatting import inert
from llmring.schemas import CallRecord, LLMModel, LLMRequest, Message
from tests.cli.pty_run import run_on_pty
from tests.fakes.openai_fake import OpenAIFake

TITLE = "\x1b]0;PWNED-TITLE\x07"
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"
CURSOR = "\x1b[2A\x1b[10C\x1b[2K"
C1_CSI = "\x9b31m"
HOSTILE_MODEL = f"gpt{TITLE}-4o"
HOSTILE_USER = f"u{CLIPBOARD}ser"
HOSTILE_ORIGIN = f"app{CURSOR}fake row{C1_CSI}"
HOSTILE_ERROR = f"upstream said no{TITLE}\r\n$0.00 fake line{CURSOR}"

# Anything but SGR (ESC [ params m), plus the raw introducers and BEL in any form.
FORBIDDEN = re.compile(rb"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b\]|\x1b[PX^_]|\x07|\xc2[\x80-\x9f]")


def control_sequences(output: bytes) -> list[bytes]:
    """Every forbidden control sequence in ``output``."""
    return FORBIDDEN.findall(output)


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.db"
    calls = [
        CallRecord(
            provider="openai",
            model_name=HOSTILE_MODEL,
            origin=HOSTILE_ORIGIN,
            id_at_origin=HOSTILE_USER,
            status="error",
            error_type=f"Boom{C1_CSI}Error",
            error_message=HOSTILE_ERROR,
            response_time_ms=12,
        ),
        CallRecord(provider="openai", model_name="gpt-4o-mini", origin="plain", prompt_tokens=3, completion_tokens=4),
    ]
    model = LLMModel(provider="openai", model_name=HOSTILE_MODEL, display_name=f"Evil{CLIPBOARD}", max_context=9)

    async def fill() -> None:
        async with SQLiteDatabase(path) as store:
            await store.sync_models([model], [])
            await store.record_api_calls(calls)

    asyncio.run(fill())
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["calls"],
        ["calls", "--format", "plain"],
        ["calls", "--format", "tsv"],
        ["calls", "--json"],
        ["calls", "--search", "PWNED"],  # found through the hostile text
        ["stats", "--by", "model"],
        ["stats", "--by", "origin"],
        ["models", "list", "--provider", "openai"],
        ["models", "info", "openai:gpt"],  # unknown: the error line names close matches
    ],
    ids=lambda c: " ".join(c),
)
def test_ledger_fields_are_inert_on_a_terminal(hostile_db: Path, command: list[str]) -> None:
    _, output = run_on_pty(["--sqlite", str(hostile_db), *command], columns=200)
    assert not control_sequences(output), (command, control_sequences(output), output[:2000])
    assert b"PWNED" in output or b"pwned" in output or command[0] == "models" or b"\\u001b" in output
    assert b"Traceback" not in output


def test_calls_shows_the_escapes_as_visible_characters(hostile_db: Path) -> None:
    code, output = run_on_pty(["--sqlite", str(hostile_db), "calls", "--format", "plain"], columns=250)
    assert code == 0
    text = output.decode()
    assert inert(HOSTILE_MODEL) in text  # gpt␛]0;PWNED-TITLE␇-4o
    assert inert(f"{HOSTILE_ORIGIN}/{HOSTILE_USER}") in text


def test_models_info_of_a_hostile_model_is_inert(hostile_db: Path) -> None:
    code, output = run_on_pty(["--sqlite", str(hostile_db), "models", "info", f"openai:{HOSTILE_MODEL}"], columns=120)
    assert code == 0, output
    assert not control_sequences(output)
    assert inert(f"Evil{CLIPBOARD}").encode() in output


def test_ask_reply_streamed_to_a_terminal_keeps_only_newlines_and_tabs(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    # The fake echoes the prompt, so the reply carries whatever the prompt did.
    prompt = f"line one\n\tindented {TITLE}{CLIPBOARD}{CURSOR}{C1_CSI}end\rover"
    db = tmp_path / "ask.db"
    # Without the spinner (a slow start on a loaded machine would draw it: its cursor moves are ours).
    env = {**os.environ, "LLMRING_SPINNER": "off"}
    for extra in ([], ["--no-stream"]):
        code, output = run_on_pty(["--sqlite", str(db), "ask", "-m", "gpt-4o-mini", *extra, prompt], env=env)
        assert code == 0, output
        assert not control_sequences(output), (extra, control_sequences(output))
        text = output.decode().replace("\r\n", "\n")  # the pty turns \n into \r\n
        assert "Echo: line one\n\tindented ␛]0;PWNED-TITLE␇" in text
        assert "end␍over" in text  # a carriage return could overwrite the line: shown, not obeyed


def test_ask_reply_piped_is_byte_for_byte(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["--sqlite", str(tmp_path / "p.db"), "ask", "-m", "gpt-4o-mini", f"x{TITLE}"])
    assert r.exit_code == 0 and r.stdout == f"Echo: x{TITLE}\n"  # a file gets what the model said


def test_provider_error_messages_are_inert(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app, ["--sqlite", str(tmp_path / "e.db"), "ask", "-m", f"openai:gpt-x{TITLE}", "--no-log", "hi"]
    )
    assert r.exit_code != 0
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert r.stderr.startswith("Error: ") and len(r.stderr.splitlines()) == 1


async def test_dashboard_shows_hostile_fields_inert(hostile_db: Path) -> None:
    from tests.tui.conftest import make_app, press, screen_text, settle

    store = SQLiteDatabase(hostile_db)
    for mode in ("calls", "models", "stats"):
        app = make_app(store, mode=mode)
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(pilot)
            screens = [screen_text(app)]
            if mode == "calls":
                await press(pilot, "down", "enter")  # the details of the hostile call (the older one)
                screens.append(screen_text(app))
            if mode == "stats":
                await press(pilot, "a", "b")  # all time, by model
                screens = [screen_text(app)]
            for text in screens:
                assert not any(ch in text for ch in "\x1b\x07\x9b\r"), mode
                assert "␛" in text, mode
    await store.close()


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string, control characters as \\u escapes."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text) + '"'


@pytest.fixture
def hostile_project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A project directory whose name and llmring.toml carry escapes (an unpacked archive can)."""
    project = tmp_path / f"proj{TITLE}{CURSOR}"
    project.mkdir()
    (project / "llmring.toml").write_text(
        f"default_model = {_toml_string('openai:gpt-4o' + CLIPBOARD)}\norigin = {_toml_string('o' + C1_CSI)}\n"
        f"[aliases]\nfast = [{_toml_string('openai:gpt' + TITLE)}]\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LLMRING_")},
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    return project, env


@pytest.mark.parametrize(
    "command",
    [
        ["config", "show"],
        ["config", "show", "--format", "plain"],
        ["config", "show", "--format", "tsv"],
        ["config", "path"],
        ["aliases", "list"],
        ["aliases", "list", "--format", "plain"],
    ],
    ids=lambda c: " ".join(c),
)
def test_config_from_a_hostile_project_is_inert(
    hostile_project: tuple[Path, dict[str, str]], command: list[str]
) -> None:
    project, env = hostile_project
    code, output = run_on_pty(command, columns=200, env=env, cwd=project)
    assert code == 0, output
    assert not control_sequences(output), (command, control_sequences(output), output[:2000])
    assert b"PWNED-TITLE" in output and b"Traceback" not in output


async def test_dashboard_conversation_of_a_hostile_call_is_inert(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    from llmring.service_sqlite import LLMRingSQLite
    from tests.tui.conftest import make_app, press, screen_text, settle

    path = tmp_path / "content.db"
    ring = LLMRingSQLite(path, origin="tui", log_content=True)
    request = LLMRequest(
        model="openai:gpt-4o-mini",
        messages=[
            Message(role="system", content=f"sys{CLIPBOARD}"),
            Message(role="user", content=f"hi{TITLE}{CURSOR}"),
        ],
    )
    await ring.chat(request)
    await ring.close()
    store = SQLiteDatabase(path)
    app = make_app(store, mode="calls")
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        text = screen_text(app)
    await store.close()
    assert "Conversation" in text and "PWNED-TITLE" in text
    assert not any(ch in text for ch in "\x1b\x07\x9b\r")
