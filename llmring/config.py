"""``llmring.toml``: the config file, its schema, and the merged settings with where each came from.

Where the file is found (the first that applies):

1. ``--config PATH`` on the command line, or ``LLMRING_CONFIG``: that file only (it must exist);
2. otherwise both of these, the project file winning key by key (and alias by alias):
   - the user file, ``llmring.toml`` in the platformdirs user config dir
     (``~/.config/llmring/llmring.toml`` on Linux, honouring ``XDG_CONFIG_HOME``);
   - the project file, the first ``llmring.toml`` in the current directory or its parents.

A value's precedence: command-line flag > environment variable > project file > user file >
built-in default. The schema (``SCHEMA``) lists every key; adding a key is one line there. An
unknown key or a bad value is a ``ConfigurationError`` of one line naming the file, the key and
what is expected, raised before anything is sent::

    default_model = "fast"
    database = "~/llm/calls.db"          # or postgresql://... or sqlite:///path
    origin = "my-app"
    timeout = 30                         # seconds per provider attempt
    retries = 2                          # retries after a retryable failure
    retention = "90d"                    # init-db / `calls prune` delete older rows, keep totals

    [aliases]
    fast = ["openai:gpt-5.4-mini", "google:gemini-3.1-flash-lite", "anthropic:claude-haiku-4-5"]
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmring.errors import ConfigurationError

if TYPE_CHECKING:
    from llmring.settings import DatabaseTarget

CONFIG_NAME = "llmring.toml"
CONFIG_ENV = "LLMRING_CONFIG"
DEFAULT = "default"
_ALIAS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _seconds(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"expected a number of seconds > 0, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 86400:
        raise ValueError(f"expected a number of seconds > 0 (at most 86400), got {value!r}")
    return float(value)


def _database(value: Any) -> str:
    text = _text(value)
    if "://" in text and not text.startswith(("postgresql://", "postgres://", "sqlite:///")):
        raise ValueError("expected a postgresql://... URL, sqlite:///path or a SQLite file path")
    if text == "sqlite:///":
        raise ValueError("expected a file path after sqlite:///")
    return text


def _on_off(value: Any) -> bool:
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        return value.strip().lower() in ("true", "1", "yes", "on")
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 20:
        raise ValueError(f"expected a whole number from 0 to 20, got {value!r}")
    return value


def _age(value: Any) -> str:
    from llmring.retention import parse_age

    try:
        parse_age(value)
    except ConfigurationError as exc:
        raise ValueError(str(exc).removeprefix("age ")) from None
    return str(value).strip().lower()


def alias_models(name: str, value: Any) -> tuple[str, ...]:
    """An alias's chain checked: a name such as ``fast`` and one or more model strings."""
    from llmring.schemas import PROVIDERS

    if not _ALIAS_NAME.match(name) or name in PROVIDERS:
        raise ValueError("expected an alias name of letters, digits, '_', '.', '-' (not a provider name)")
    models = [value] if isinstance(value, str) else value
    if not isinstance(models, list | tuple) or not models:
        raise ValueError('expected a model or a list of models, e.g. ["openai:gpt-5.4-mini", "anthropic:claude-..."]')
    if not all(isinstance(m, str) and m.strip() for m in models):
        raise ValueError("expected each model to be a non-empty string such as 'openai:gpt-5.4-mini'")
    return tuple(m.strip() for m in models)


@dataclass(frozen=True)
class Key:
    """One config key: how its value is checked, its default, its env vars and its documentation."""

    name: str
    check: Callable[[Any], Any]
    help: str
    default: Any = None
    env: tuple[str, ...] = ()


# Every key the file may hold. Adding a setting is one line here.
SCHEMA: dict[str, Key] = {
    key.name: key
    for key in (
        Key("default_model", _text, "model used when none is given (a model or an alias)", env=("LLMRING_MODEL",)),
        # Its variables (LLMRING_SQLITE_DB, DATABASE_URL) are read by settings.resolve_database.
        Key("database", _database, "postgresql://... URL, sqlite:///path or a SQLite file path"),
        Key("origin", _text, "the origin recorded on every logged call (default: llmring; llmring-cli in the CLI)"),
        Key("timeout", _seconds, "seconds to wait for one provider attempt", default=60.0, env=("LLMRING_TIMEOUT",)),
        Key("retries", _count, "retries after a retryable failure", default=2, env=("LLMRING_RETRIES",)),
        Key("log_content", _on_off, "log prompts and answers of CLI calls", default=True, env=("LLMRING_LOG_CONTENT",)),
        Key("spinner", _on_off, "show what ask waits for on a terminal", default=True, env=("LLMRING_SPINNER",)),
        Key("retention", _age, "prune calls older than this (90d, 12w) on init-db and `llmring calls prune`"),
    )
}
ALIASES = "aliases"  # the [aliases] table: name = model or [models...]


def register_key(key: Key) -> None:
    """Add a setting to the schema (for a feature's own key, e.g. content capture); names are unique."""
    if key.name in SCHEMA or key.name == ALIASES:
        raise ValueError(f"config key {key.name!r} is already defined")
    SCHEMA[key.name] = key


def user_config_file() -> Path:
    """``llmring.toml`` in the platformdirs user config dir (honours ``XDG_CONFIG_HOME``)."""
    from platformdirs import user_config_path

    return user_config_path("llmring", appauthor=False) / CONFIG_NAME


def project_config_file(cwd: Path | None = None) -> Path | None:
    """The first ``llmring.toml`` in ``cwd`` (default: the current directory) or its parents."""
    here = (cwd or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


@dataclass
class Config:
    """The merged settings: ``values`` by key, ``aliases`` by name, and where each came from."""

    values: dict[str, Any] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # "timeout" / "aliases.fast" -> where
    files: list[Path] = field(default_factory=list)  # the files read, lowest precedence first
    explicit: Path | None = None  # --config / LLMRING_CONFIG, when given

    def get(self, key: str) -> Any:
        """The value of ``key``: the merged one, else the schema's default."""
        return self.values.get(key, SCHEMA[key].default)

    def source(self, key: str) -> str:
        """Where ``key`` (or ``aliases.NAME``) came from: a file, ``env VAR``, a flag or ``default``."""
        return self.sources.get(key, DEFAULT)

    @property
    def default_model(self) -> str | None:
        """The configured default model (a model or an alias), or None."""
        return self.get("default_model")

    def override(self, key: str, value: Any, source: str) -> None:
        """Set ``key`` from a command-line flag (checked like a file value); None leaves it alone."""
        if value is None:
            return
        try:
            self.values[key] = SCHEMA[key].check(value)
        except ValueError as exc:
            raise ConfigurationError(f"{source}: {exc}") from None
        self.sources[key] = source


def read_file(path: Path) -> dict[str, Any]:
    """One config file parsed and checked: ``{key: value, "aliases": {name: models}}``."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: no such config file: check --config / {CONFIG_ENV}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read the config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from None
    return check_document(data, path)


def check_document(data: Mapping[str, Any], path: Path | str) -> dict[str, Any]:
    """``data`` checked against ``SCHEMA``: one line naming the file, the key and what is expected."""
    checked: dict[str, Any] = {}
    for name, value in data.items():
        if name == ALIASES:
            if not isinstance(value, Mapping):
                raise ConfigurationError(f"{path}: aliases: expected a table, e.g. [aliases] fast = [...]")
            aliases: dict[str, tuple[str, ...]] = {}
            for alias, models in value.items():
                try:
                    aliases[alias] = alias_models(alias, models)
                except ValueError as exc:
                    raise ConfigurationError(f"{path}: aliases.{alias}: {exc}") from None
            checked[ALIASES] = aliases
            continue
        key = SCHEMA.get(name)
        if key is None:
            import difflib

            close = difflib.get_close_matches(name, [*SCHEMA, ALIASES], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            expected = ", ".join([*SCHEMA, ALIASES])
            raise ConfigurationError(f"{path}: unknown key {name!r}{hint}: expected one of {expected}")
        try:
            checked[name] = key.check(value)
        except ValueError as exc:
            raise ConfigurationError(f"{path}: {name}: {exc}") from None
    return checked


def explicit_config_file(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """The one file named by ``--config`` (``explicit``) or ``LLMRING_CONFIG``, if any."""
    chosen = explicit or (os.environ if environ is None else environ).get(CONFIG_ENV) or None
    return Path(chosen).expanduser() if chosen else None


def editable_config_file(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The file ``aliases set/rm`` and ``models default`` edit: the explicit one, else the user file."""
    return explicit_config_file(explicit) or user_config_file()


def load_config(
    explicit: str | os.PathLike[str] | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The config from the files and the environment (flags are applied by ``Config.override``)."""
    env = os.environ if environ is None else environ
    settings = Config()
    chosen = explicit_config_file(explicit, env)
    if chosen:
        settings.explicit = chosen
        settings.files = [settings.explicit]
    else:
        user, project = user_config_file(), project_config_file(cwd)
        settings.files = [p for p in (user,) if p.is_file()]
        if project is not None and project not in settings.files:
            settings.files.append(project)
    for path in settings.files:
        where = "--config" if chosen and explicit else (CONFIG_ENV if chosen else "")
        label = f"{path} ({where})" if where else str(path)
        for name, value in read_file(path).items():
            if name == ALIASES:
                for alias, models in value.items():
                    settings.aliases[alias] = models
                    settings.sources[f"{ALIASES}.{alias}"] = label
            else:
                if name == "database" and "://" not in value and not Path(value).expanduser().is_absolute():
                    value = str(path.parent / value)  # a relative SQLite path is relative to its file
                settings.values[name] = value
                settings.sources[name] = label
    for key in SCHEMA.values():
        for var in key.env:
            raw = env.get(var, "").strip()
            if raw:
                settings.override(key.name, raw, f"env {var}")
                break
    return settings


def store_target(
    config: Config, sqlite: str | os.PathLike[str] | None = None, database_url: str | None = None
) -> tuple[DatabaseTarget, str]:
    """The store to use and where that came from.

    ``--sqlite`` / ``--database-url`` > ``LLMRING_SQLITE_DB`` > ``DATABASE_URL`` > the config's
    ``database`` > the SQLite file in the user data dir.
    """
    from llmring.settings import DATABASE_URL_ENV, SQLITE_ENV, resolve_database

    if sqlite is not None or database_url:
        return resolve_database(sqlite, database_url), "--sqlite" if sqlite is not None else "--database-url"
    for var in (SQLITE_ENV, DATABASE_URL_ENV):
        if os.environ.get(var):
            return resolve_database(), f"env {var}"
    configured = config.get("database")
    if configured:
        return _database_target(configured), config.source("database")
    return resolve_database(), DEFAULT


def _database_target(value: str) -> DatabaseTarget:
    from llmring.settings import DatabaseTarget, resolve_database

    if "://" in value:
        return resolve_database(database_url=value)
    return DatabaseTarget(sqlite_path=Path(value).expanduser())
