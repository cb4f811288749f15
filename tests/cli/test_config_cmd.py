"""``llmring config show/path`` and ``--config``: the settings the CLI uses and where each came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmring.config import user_config_file
from tests.cli.conftest import Invoke
from tests.fakes.openai_fake import OpenAIFake


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory: a subdirectory of a project that has an ``llmring.toml``."""
    root = tmp_path / "proj"
    work = root / "sub"
    work.mkdir(parents=True)
    (root / "llmring.toml").write_text(
        '# project settings\ndatabase = "calls.db"\ntimeout = 30\n'
        '[aliases]\nfast = ["openai:gpt-4o-mini", "anthropic:claude-sonnet"]\n'
    )
    monkeypatch.chdir(work)
    return root


def _settings(invoke: Invoke, *args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    r = invoke(*args, "config", "show", "--json", env=env)
    assert r.exit_code == 0, r.output
    return {row["key"]: row for row in json.loads(r.stdout)["settings"]}


def test_show_lists_every_setting_with_its_source(invoke: Invoke, project: Path) -> None:
    user_config_file().parent.mkdir(parents=True)
    user_config_file().write_text('origin = "laptop"\nretries = 4\n')
    r = invoke("config", "show", env={"COLUMNS": "80", "LLMRING_RETRIES": "1"})
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == f"Config files: {user_config_file()}, {project / 'llmring.toml'}"
    rows = {line.split()[0]: line.split(None, 1)[1] for line in lines[2:]}
    assert rows["database"].split() == [str(project / "calls.db"), str(project / "llmring.toml")]
    assert rows["timeout"].split() == ["30", str(project / "llmring.toml")]
    assert rows["origin"].split() == ["laptop", str(user_config_file())]
    assert rows["retries"].split() == ["1", "env", "LLMRING_RETRIES"]
    assert rows["default_model"].split() == ["(none)", "default"]
    assert rows["aliases.fast"].startswith("openai:gpt-4o-mini, anthropic:claude-sonnet")
    table = invoke("config", "show", "-f", "table", env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    assert "aliases.fast" in table.stdout and all(len(line) <= 80 for line in table.stdout.splitlines())


def test_show_database_source_follows_flags_and_env(invoke: Invoke, project: Path, tmp_path: Path) -> None:
    assert _settings(invoke)["database"]["source"] == str(project / "llmring.toml")
    env_db = tmp_path / "env.db"
    shown = _settings(invoke, env={"LLMRING_SQLITE_DB": str(env_db)})["database"]
    assert shown == {"key": "database", "value": str(env_db), "source": "env LLMRING_SQLITE_DB"}
    assert _settings(invoke, "--sqlite", str(env_db))["database"]["source"] == "--sqlite"
    url = _settings(invoke, "--database-url", "postgresql://u:hunter22@h/db")["database"]
    assert url["source"] == "--database-url" and "hunter22" not in str(url["value"])


def test_the_configured_database_is_the_one_commands_use(
    invoke: Invoke, project: Path, bundled: Path, openai_fake: OpenAIFake
) -> None:
    r = invoke("init-db")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == f"Database: {project / 'calls.db'} (sqlite)"
    r = invoke("ask", "-m", "gpt-4o-mini", "hi")
    assert r.exit_code == 0, r.output
    from tests.service.conftest import rows

    [row] = rows(project / "calls.db")
    assert row["origin"] == "llmring-cli"


def test_origin_from_the_config_is_logged(invoke: Invoke, tmp_path: Path, openai_fake: OpenAIFake) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'origin = "nightly-job"\ndatabase = "{tmp_path / "x.db"}"\n')
    r = invoke("--config", str(config), "ask", "-m", "gpt-4o-mini", "hi")
    assert r.exit_code == 0, r.output
    from tests.service.conftest import rows

    assert [row["origin"] for row in rows(tmp_path / "x.db")] == ["nightly-job"]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_malformed_config_is_one_line_exit_2_and_nothing_sent(
    invoke: Invoke, tmp_path: Path, openai_fake: OpenAIFake, how: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("retries = -1\n")
    args, env = (["--config", str(bad)], None) if how == "flag" else ([], {"LLMRING_CONFIG": str(bad)})
    for command in (["config", "show"], ["ask", "-m", "gpt-4o-mini", "hi"], ["calls"]):
        r = invoke(*args, *command, env=env)
        assert r.exit_code == 2, r.output
        assert r.stdout == ""
        assert r.stderr.splitlines() == [f"Error: {bad}: retries: expected a whole number from 0 to 20, got -1"]
    assert openai_fake.requests == []


def test_path_lists_the_files_in_precedence_order(invoke: Invoke, project: Path, tmp_path: Path) -> None:
    r = invoke("config", "path")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [
        f"{project / 'llmring.toml'}\tfound\t(project)",
        f"{user_config_file()}\tabsent\t(user)",
    ]
    r = invoke("--config", str(tmp_path / "other.toml"), "config", "path")
    assert r.stdout == f"{tmp_path / 'other.toml'}\tabsent\t(--config / LLMRING_CONFIG)\n"


def test_default_model_and_retries_come_from_the_config(
    invoke: Invoke, tmp_path: Path, openai_fake: OpenAIFake
) -> None:
    from tests.fakes.openai_fake import server_error_reply

    config = tmp_path / "c.toml"
    config.write_text('default_model = "gpt-4o-mini"\nretries = 0\n')
    r = invoke("--config", str(config), "ask", "--no-log", "hi")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: hi\n" and openai_fake.requests[-1].json["model"] == "gpt-4o-mini"
    openai_fake.reset()
    openai_fake.enqueue(server_error_reply(), server_error_reply())
    r = invoke("--config", str(config), "ask", "--no-log", "hi")
    assert r.exit_code == 1, r.output
    assert len(openai_fake.requests) == 1  # retries = 0: one attempt, no retry
    openai_fake.reset()
    # -m beats the config's default model.
    r = invoke("--config", str(config), "ask", "--no-log", "-m", "gpt-4o", "hi")
    assert r.exit_code == 0 and openai_fake.requests[-1].json["model"] == "gpt-4o"


def test_no_model_anywhere_is_one_line(invoke: Invoke, tmp_path: Path) -> None:
    r = invoke("ask", "--no-log", "hi")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "Error: no model: pass -m MODEL (e.g. -m gpt-4o-mini), set LLMRING_MODEL or default_model in llmring.toml"
    ]
