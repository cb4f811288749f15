"""``llmring.toml``: where it is found, the precedence of its values, its checks and its edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring.config import (
    SCHEMA,
    Config,
    Key,
    load_config,
    project_config_file,
    register_key,
    store_target,
    user_config_file,
)
from llmring.config_edit import remove_alias, set_alias, set_key
from llmring.errors import ConfigurationError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory (no config file yet) with a nested working directory."""
    work = tmp_path / "proj" / "src" / "pkg"
    work.mkdir(parents=True)
    return work


def test_user_file_is_in_the_xdg_config_dir(tmp_path: Path) -> None:
    # conftest points XDG_CONFIG_HOME at a temp dir: the real home is never read.
    assert user_config_file().parent.name == "llmring"
    assert "/.config/" in str(user_config_file()) and str(user_config_file()).startswith(str(Path.home()))


def test_project_file_is_found_in_a_parent_directory(project: Path) -> None:
    assert project_config_file(project) is None
    found = write(project.parent.parent / "llmring.toml", "timeout = 5\n")
    assert project_config_file(project) == found
    nearer = write(project / "llmring.toml", "timeout = 6\n")
    assert project_config_file(project) == nearer


# One key at every level; each row removes the highest level left and checks who wins.
LEVELS = ["flag", "env", "project", "user"]


@pytest.mark.parametrize(
    "present", [LEVELS[i:] for i in range(len(LEVELS))] + [[]], ids=lambda p: "+".join(p) or "none"
)
def test_precedence_flag_env_project_user_default(project: Path, present: list[str]) -> None:
    values = {"flag": 1.0, "env": 2.0, "project": 3.0, "user": 4.0}
    if "user" in present:
        write(user_config_file(), "timeout = 4\n")
    if "project" in present:
        write(project.parent / "llmring.toml", "timeout = 3\n")
    env = {"LLMRING_TIMEOUT": "2"} if "env" in present else {}
    config = load_config(cwd=project, environ=env)
    if "flag" in present:
        config.override("timeout", 1.0, "--timeout")
    expected = values[present[0]] if present else SCHEMA["timeout"].default
    assert config.get("timeout") == expected
    source = config.source("timeout")
    if not present:
        assert source == "default"
    elif present[0] == "flag":
        assert source == "--timeout"
    elif present[0] == "env":
        assert source == "env LLMRING_TIMEOUT"
    else:
        assert source == str(project.parent / "llmring.toml" if present[0] == "project" else user_config_file())


def test_project_and_user_files_merge_key_by_key_and_alias_by_alias(project: Path) -> None:
    write(user_config_file(), 'retries = 5\norigin = "me"\n[aliases]\nfast = "openai:a"\nsmart = "anthropic:b"\n')
    write(project / "llmring.toml", 'origin = "proj"\n[aliases]\nfast = ["google:c", "openai:d"]\n')
    config = load_config(cwd=project, environ={})
    assert (config.get("retries"), config.get("origin")) == (5, "proj")
    assert config.aliases == {"fast": ("google:c", "openai:d"), "smart": ("anthropic:b",)}
    assert config.source("aliases.smart") == str(user_config_file())
    assert config.files == [user_config_file(), project / "llmring.toml"]


def test_explicit_file_is_the_only_one_read(project: Path, tmp_path: Path) -> None:
    write(user_config_file(), "retries = 5\n")
    write(project / "llmring.toml", "retries = 6\n")
    chosen = write(tmp_path / "elsewhere.toml", "timeout = 9\n")
    for config, label in (
        (load_config(chosen, cwd=project, environ={}), "--config"),
        (load_config(cwd=project, environ={"LLMRING_CONFIG": str(chosen)}), "LLMRING_CONFIG"),
    ):
        assert config.files == [chosen] and config.explicit == chosen
        assert (config.get("retries"), config.get("timeout")) == (SCHEMA["retries"].default, 9.0)
        assert config.source("timeout") == f"{chosen} ({label})"
    with pytest.raises(ConfigurationError, match="no such config file"):
        load_config(tmp_path / "missing.toml", environ={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timout = 3\n", "unknown key 'timout' (did you mean 'timeout'?)"),
        ("timeout = -1\n", "timeout: expected a number of seconds > 0"),
        ("timeout = true\n", "timeout: expected a number of seconds"),
        ('retries = "many"\n', "retries: expected a whole number from 0 to 20"),
        ("retries = 2.5\n", "retries: expected a whole number"),
        ('default_model = ""\n', "default_model: expected a non-empty string"),
        ('database = "mysql://x/y"\n', "database: expected a postgresql://... URL"),
        ("aliases = 3\n", "aliases: expected a table"),
        ("[aliases]\nfast = []\n", "aliases.fast: expected a model or a list of models"),
        ("[aliases]\nfast = [1]\n", "aliases.fast: expected each model to be a non-empty string"),
        ('[aliases]\nopenai = "openai:x"\n', "aliases.openai: expected an alias name"),
        ("timeout = \n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_one_line_naming_file_key_and_expectation(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "llmring.toml", text)
    with pytest.raises(ConfigurationError) as caught:
        load_config(path, environ={})
    message = caught.value.message
    assert message.startswith(f"{path}: ") and expected in message
    assert "\n" not in message


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^env LLMRING_RETRIES: expected a whole number"):
        load_config(cwd=tmp_path, environ={"LLMRING_RETRIES": "lots"})


def test_database_from_the_file_is_relative_to_the_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project.parent / "llmring.toml", 'database = "data/calls.db"\n')
    config = load_config(cwd=project, environ={})
    target, source = store_target(config)
    assert target.sqlite_path == project.parent / "data" / "calls.db"
    assert source == str(project.parent / "llmring.toml")
    # The database variables and flags outrank the file.
    monkeypatch.setenv("LLMRING_SQLITE_DB", str(project / "env.db"))
    assert store_target(config) == (store_target(config)[0], "env LLMRING_SQLITE_DB")
    assert store_target(config)[0].sqlite_path == project / "env.db"
    assert store_target(config, sqlite=project / "flag.db")[1] == "--sqlite"


def test_database_url_from_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "llmring.toml", 'database = "postgresql://u:pw@db.example/app"\n')
    target, _ = store_target(load_config(path, environ={}))
    assert target.backend == "postgres" and "pw" not in target.describe()


def test_register_key_adds_a_checked_key_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("llmring.config.SCHEMA", dict(SCHEMA))
    import llmring.config

    def on_off(value: object) -> bool:
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value

    register_key(Key("capture", on_off, "keep prompts and answers", default=False))
    assert "capture" in llmring.config.SCHEMA
    path = write(tmp_path / "llmring.toml", "capture = true\n")
    assert load_config(path, environ={}).get("capture") is True
    write(path, 'capture = "yes"\n')
    with pytest.raises(ConfigurationError, match="capture: expected true or false"):
        load_config(path, environ={})
    with pytest.raises(ValueError, match="already defined"):
        register_key(Key("timeout", on_off, "twice"))


def test_override_checks_the_flag_value() -> None:
    config = Config()
    config.override("retries", None, "--retries")  # None: the flag was not given
    assert config.source("retries") == "default"
    with pytest.raises(ConfigurationError, match=r"^--retries: expected a whole number from 0 to 20"):
        config.override("retries", 99, "--retries")


# -- edits ------------------------------------------------------------------------------------------
def test_edits_keep_comments_and_order(tmp_path: Path) -> None:
    path = write(
        tmp_path / "llmring.toml",
        '# my settings\ntimeout = 30  # seconds\n\n[aliases]\n# the cheap ones\nfast = "openai:a"\n',
    )
    set_key(path, "default_model", "fast")
    set_alias(path, "smart", ["anthropic:b", "google:c"])
    set_key(path, "timeout", 45)
    text = path.read_text()
    assert text.startswith('# my settings\ntimeout = 45  # seconds\ndefault_model = "fast"\n')
    assert '# the cheap ones\nfast = "openai:a"\n' in text
    config = load_config(path, environ={})
    assert config.default_model == "fast" and config.aliases["smart"] == ("anthropic:b", "google:c")
    assert remove_alias(path, "fast") is True
    assert remove_alias(path, "fast") is False
    assert "fast" not in load_config(path, environ={}).aliases


def test_edit_creates_the_file_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "llmring.toml"
    assert remove_alias(path, "x") is False and not path.exists()
    assert set_alias(path, "fast", ["openai:gpt-5.4-mini"]) == ("openai:gpt-5.4-mini",)
    assert load_config(path, environ={}).aliases == {"fast": ("openai:gpt-5.4-mini",)}


def test_a_failed_edit_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    original = "timeout = 30\ncolour = 1\n"  # already invalid: an edit must not half-apply
    path = write(tmp_path / "llmring.toml", original)
    with pytest.raises(ConfigurationError, match="unknown key 'colour'"):
        set_key(path, "retries", 3)
    assert path.read_text() == original
    with pytest.raises(ConfigurationError, match=r"aliases\.openai"):
        set_alias(path, "openai", ["openai:x"])
    with pytest.raises(ConfigurationError, match=r"^timeout: expected a number"):
        set_key(path, "timeout", -5)
    assert path.read_text() == original
    assert [p.name for p in tmp_path.iterdir()] == ["llmring.toml"]  # no temp file left behind
