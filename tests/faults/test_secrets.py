"""Secrets: no fake key reaches a repr, a log record, an exception, a database file or a TUI screen.

The session-wide part is ``test_no_secret_leaked_anywhere_in_the_session``: marked
``secrets_scan``, it runs after every other test (tests/conftest.py reorders it) and checks what
the ``SecretWatch`` installed at session start saw, every file under pytest's basetemp (all temp
SQLite databases with their WAL/journal files, every isolated HOME and XDG dir) and the committed
TUI snapshots. The other tests here are negative controls: they prove each scanner would have
found a key, so an empty result means something.

Not covered, and why: the PostgreSQL server's files live in its own temp dir, owned by another
user, outside basetemp (its rows are checked by the db tests themselves); stdout/stderr of
``CliRunner`` runs are in-memory results the CLI tests assert on.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from pathlib import Path

import pytest

from llmring.errors import LLMRingError, ProviderError
from llmring.providers import PROVIDER_CLASSES, create_provider
from llmring.service import LLMRing
from llmring.service_sqlite import LLMRingSQLite
from llmring.settings import DatabaseTarget, resolve_database
from tests.fakes import anthropic_fake, google_fake, openai_fake
from tests.secret_watch import SECRET_WATCH, SecretWatch, fake_secrets, scan_files, secrets_in

KEYS = {
    "openai": openai_fake.API_KEY,
    "anthropic": anthropic_fake.API_KEY,
    "google": google_fake.API_KEY,
    "ollama": "ollama-cloud-key",
}
DSN = "postgresql://app:s3cret-pw@db.example:5432/appdb"
SNAPSHOTS = Path(__file__).parents[1] / "tui" / "__snapshots__"
CANARY = "canary-value-7f3a9c"  # not a watched secret: only the controls' own watches look for it


def _texts(obj: object) -> list[str]:
    return [repr(obj), str(obj), f"{obj!r:}", format(obj)]


# -- repr() and str() mask keys -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROVIDER_CLASSES))
def test_provider_repr_masks_the_key(name: str) -> None:
    provider = create_provider(name, api_key=KEYS[name], base_url="http://127.0.0.1:9")
    if hasattr(provider, "auth_headers"):
        provider.auth_headers()  # a cached header dict must not show up either
    for text in _texts(provider):
        assert KEYS[name] not in text
    assert "api_key=set" in repr(provider)


@pytest.mark.parametrize("name", ["openai", "anthropic", "google"])
def test_provider_from_env_masks_the_key(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "google": "GEMINI_API_KEY"}[name]
    monkeypatch.setenv(env, KEYS[name])
    provider = create_provider(name)
    assert all(KEYS[name] not in text for text in _texts(provider))


def test_settings_repr_masks_the_database_password() -> None:
    for target in (DatabaseTarget(database_url=DSN), resolve_database(database_url=DSN)):
        for text in [*_texts(target), target.describe()]:
            assert "s3cret-pw" not in text
        assert "db.example" in repr(target)


def test_cli_settings_repr_masks_the_database_password() -> None:
    from llmring.cli.context import CLISettings

    settings = CLISettings(database_url=DSN)
    settings.target()
    assert all("s3cret-pw" not in text for text in _texts(settings))


async def test_service_repr_masks_keys_and_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["openai"])
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEYS["anthropic"])
    rings = [
        LLMRingSQLite(db_path=tmp_path / "ring.db"),
        LLMRing(db_connection_string=DSN),
        LLMRing(enable_db_logging=False),
    ]
    try:
        for ring in rings:
            ring.get_provider("openai")
            ring.register_provider("google", api_key=KEYS["google"])
            ring.register_provider("ollama", api_key=KEYS["ollama"], base_url="http://127.0.0.1:9")
            for text in _texts(ring):
                assert not secrets_in(text, [*KEYS.values(), "s3cret-pw"]), text
    finally:
        for ring in rings:
            await ring.close()


def test_errors_redact_keys_in_use() -> None:
    create_provider("ollama", api_key=KEYS["ollama"], base_url="http://127.0.0.1:9")  # registers it
    error = ProviderError(f"rejected key {KEYS['ollama']} and {KEYS['openai']}", provider="ollama")
    for text in _texts(error):
        assert not secrets_in(text, KEYS.values()), text


# -- negative controls: each scanner finds a key that is there -------------------------------------


def test_secret_list_holds_the_fakes_keys_and_test_literals() -> None:
    secrets = fake_secrets()
    assert set(KEYS.values()) <= set(secrets)
    assert "sk-should-not-be-stored" in secrets  # a literal from tests/service, found by pattern
    assert CANARY not in secrets


def test_file_scan_finds_a_key_in_a_sqlite_wal_file() -> None:
    # Outside basetemp on purpose: the session scan must not trip over this control's own file.
    with tempfile.TemporaryDirectory(prefix="secret-control-") as tmp:
        db = sqlite3.connect(Path(tmp) / "calls.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE calls (metadata TEXT)")
        db.execute("INSERT INTO calls VALUES (?)", (f'{{"note": "{openai_fake.API_KEY}"}}',))
        db.commit()
        hits = scan_files([Path(tmp)])
        db.close()
    assert openai_fake.API_KEY in {secret for _, secret in hits}, hits
    assert not scan_files([SNAPSHOTS], [CANARY])


def test_log_and_error_watch_find_a_secret() -> None:
    control = SecretWatch((CANARY,))
    control.install()
    try:
        logger = logging.getLogger("llmring.secret_control")
        logger.debug("request headers: %s", {"x-api-key": CANARY})
        try:
            raise LLMRingError(f"upstream said: {CANARY}")
        except LLMRingError:
            pass
    finally:
        control.uninstall()
    assert [leak[1] for leak in control.leaked_logs] == [[CANARY]]
    assert [leak[1] for leak in control.leaked_errors] == [[CANARY]]


# -- the session-wide check (runs last) ---------------------------------------------------------


@pytest.mark.secrets_scan
def test_no_secret_leaked_anywhere_in_the_session(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert request.session.items[-1] is request.node, "the secrets scan must run after every other test"
    watch = request.config.stash[SECRET_WATCH]
    assert watch.leaked_logs == [], watch.leaked_logs
    assert watch.leaked_errors == [], watch.leaked_errors
    basetemp = tmp_path_factory.getbasetemp()
    assert scan_files([basetemp]) == []
    assert SNAPSHOTS.is_dir() and any(SNAPSHOTS.rglob("*.svg"))
    assert scan_files([SNAPSHOTS]) == []
    print(
        f"secrets scan: {len(watch.secrets)} secrets, {watch.seen_records} log records, "
        f"{watch.seen_errors} llmring errors, {sum(1 for p in basetemp.rglob('*') if p.is_file())} files"
    )
