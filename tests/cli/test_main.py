"""Global options, database selection, error lines and exit codes, and start-up cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from llmring import __version__
from tests.cli.conftest import Invoke

LLMRING = Path(sys.executable).with_name("llmring")


def test_version(invoke: Invoke) -> None:
    r = invoke("--version")
    assert r.exit_code == 0, r.output
    assert r.stdout == f"llmring {__version__}\n"


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_the_commands(invoke: Invoke, flag: str) -> None:
    r = invoke(flag)
    assert r.exit_code == 0, r.output
    for word in (
        "--sqlite",
        "--database-url",
        "LLMRING_SQLITE_DB",
        "DATABASE_URL",
        "init-db",
        "json-refresh",
        "models",
    ):
        assert word in r.stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--database-url", "mysql://x/y"], None),
        ([], {"DATABASE_URL": "nonsense"}),
        (["--sqlite", "a.db", "--database-url", "postgresql://u@h/d"], None),
    ],
)
def test_bad_database_settings_exit_2_with_one_line(
    invoke: Invoke, bundled: Path, args: list[str], env: dict[str, str] | None
) -> None:
    r = invoke(*args, "models", "list", env=env)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.stderr
    assert "Traceback" not in r.output


def _database_line(invoke: Invoke, *args: str, env: dict[str, str] | None = None) -> str:
    r = invoke(*args, "init-db", env=env)
    assert r.exit_code == 0, r.output
    return r.stdout.splitlines()[0]


def test_default_database_lives_under_xdg_data_home(invoke: Invoke, bundled: Path) -> None:
    import os

    expected = Path(os.environ["XDG_DATA_HOME"]) / "llmring" / "llmring.db"
    assert _database_line(invoke) == f"Database: {expected} (sqlite)"
    assert expected.is_file()


def test_env_and_flag_choose_the_sqlite_file(invoke: Invoke, bundled: Path, tmp_path: Path) -> None:
    env_db, flag_db, url_db = tmp_path / "env.db", tmp_path / "flag.db", tmp_path / "url.db"
    assert _database_line(invoke, env={"LLMRING_SQLITE_DB": str(env_db)}) == f"Database: {env_db} (sqlite)"
    assert _database_line(invoke, "--sqlite", str(flag_db), env={"LLMRING_SQLITE_DB": str(env_db)}) == (
        f"Database: {flag_db} (sqlite)"
    )
    assert _database_line(invoke, env={"DATABASE_URL": f"sqlite:///{url_db}"}) == f"Database: {url_db} (sqlite)"
    # The SQLite env var outranks DATABASE_URL when neither is given on the command line.
    both = {"LLMRING_SQLITE_DB": str(env_db), "DATABASE_URL": "postgresql://u:secret@nowhere/db"}
    assert _database_line(invoke, env=both) == f"Database: {env_db} (sqlite)"
    # An explicit --sqlite outranks DATABASE_URL from the environment.
    assert _database_line(invoke, "--sqlite", str(flag_db), env=both) == f"Database: {flag_db} (sqlite)"
    assert env_db.is_file() and flag_db.is_file() and url_db.is_file()


def test_database_error_exits_1_with_one_line(invoke: Invoke, bundled: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = invoke("--sqlite", str(blocker / "sub" / "x.db"), "init-db")
    assert r.exit_code == 1, r.output
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: SQLite database "), r.stderr


def test_console_script_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    r = subprocess.run(
        [str(LLMRING), "--database-url", "mysql://nope", "models", "list"], capture_output=True, text=True
    )
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        "Error: database URL must start with postgresql:// or sqlite:///: check --database-url / DATABASE_URL"
    ]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = subprocess.run([str(LLMRING), "--sqlite", str(blocker / "x.db"), "init-db"], capture_output=True, text=True)
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr


def test_usage_errors_exit_2(invoke: Invoke) -> None:
    r = invoke("models", "list", "--sort", "colour")
    assert r.exit_code == 2
    r = invoke("no-such-command")
    assert r.exit_code == 2


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['llmring', '--help']\n"
        "from llmring.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "heavy = ('rich', 'pydantic', 'aiosqlite', 'asyncpg', 'textual', 'httpx', 'asyncio', 'sqlite3')\n"
        "print(' '.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: llmring" in r.stdout
    assert r.stderr.strip() == ""
