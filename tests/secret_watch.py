"""Watching a whole test session for leaked secrets (issue 8, part 5).

``tests/conftest.py`` installs one ``SecretWatch`` when the session starts: a handler on the root
logger that keeps every record whose text holds a known fake secret, and a hook on
``LLMRingError`` that keeps every llmring exception message that does. ``tests/faults/test_secrets.py``
runs last (marker ``secrets_scan``) and asserts that both stayed empty and that no file under
pytest's basetemp (every temp database, WAL and journal, every isolated HOME) contains a secret.

The secrets are the fake providers' ``API_KEY`` constants plus every key-looking literal in the
test sources (``sk-...``, ``AIza...``) and a few named passwords, so a new test that invents a key
is watched without anyone remembering to add it here.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).parent
# Literals in the test sources that look like provider keys.
_KEY_LITERAL = re.compile(r"sk-[A-Za-z0-9_\-]{6,}|AIza[0-9A-Za-z_\-]{10,}")
# Secrets a test passes on purpose that the patterns above do not catch.
NAMED_SECRETS = ("ollama-cloud-key", "s3cret-pw", "not-the-password-42", "urlpw-5e7c1a", "sigvalue-8b2d4f")


@functools.cache
def fake_secrets() -> tuple[str, ...]:
    """Every fake secret the tests use, longest first (so a report names the most specific one)."""
    from tests.fakes import anthropic_fake, google_fake, openai_fake

    found = {openai_fake.API_KEY, anthropic_fake.API_KEY, google_fake.API_KEY, *NAMED_SECRETS}
    for path in TESTS_DIR.rglob("*.py"):
        found.update(_KEY_LITERAL.findall(path.read_text(encoding="utf-8", errors="replace")))
    return tuple(sorted(found, key=lambda s: (-len(s), s)))


def secrets_in(text: str, secrets: Iterable[str] | None = None) -> list[str]:
    """The secrets that occur in ``text``."""
    return [s for s in (fake_secrets() if secrets is None else secrets) if s in text]


def scan_files(roots: Iterable[Path], secrets: Iterable[str] | None = None) -> list[tuple[Path, str]]:
    """(file, secret) for every file under ``roots`` whose bytes contain a secret (UTF-8 or UTF-16)."""
    wanted = list(fake_secrets() if secrets is None else secrets)
    needles = [(s, form) for s in wanted for form in (s.encode(), s.encode("utf-16-le"))]
    hits: list[tuple[Path, str]] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue  # a socket or a file another process holds: nothing we wrote
            hits.extend((path, s) for s, form in needles if form in data)
    return sorted(set(hits))


class _LeakHandler(logging.Handler):
    """Keeps the records whose formatted text (message, exception, stack) contains a secret."""

    def __init__(self, watch: SecretWatch) -> None:
        super().__init__(level=logging.NOTSET)
        self.watch = watch
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted is not our business here
            return
        self.watch.seen_records += 1
        leaked = secrets_in(text, self.watch.secrets)
        if leaked:
            self.watch.leaked_logs.append((record.name, leaked, text[:300]))


@dataclass
class SecretWatch:
    """What the session saw: leaking log records and exception messages, and how many were checked."""

    secrets: tuple[str, ...]
    leaked_logs: list[tuple[str, list[str], str]] = field(default_factory=list)
    leaked_errors: list[tuple[str, list[str], str]] = field(default_factory=list)
    seen_records: int = 0
    seen_errors: int = 0
    _undo: list[Any] = field(default_factory=list)

    def install(self) -> None:
        """Start watching: a root-logger handler, llmring loggers at DEBUG, and the error hook."""
        from llmring import errors

        handler = _LeakHandler(self)
        root = logging.getLogger()
        root.addHandler(handler)
        self._undo.append(lambda: root.removeHandler(handler))
        # llmring's own debug records are part of its log output, so they are produced and checked
        # too; other libraries stay at their configured levels (aiosqlite at DEBUG would log every
        # statement and slow the suite without telling us anything about llmring).
        for name in ("llmring", "llmring_tui"):
            logger = logging.getLogger(name)
            level = logger.level
            logger.setLevel(logging.DEBUG)
            self._undo.append(lambda logger=logger, level=level: logger.setLevel(level))

        original = errors.LLMRingError.__init__
        watch = self

        def watched_init(self: errors.LLMRingError, message: str, *args: Any, **kwargs: Any) -> None:
            original(self, message, *args, **kwargs)
            watch.seen_errors += 1
            text = str(self)
            leaked = secrets_in(text, watch.secrets)
            if leaked:
                watch.leaked_errors.append((type(self).__name__, leaked, text[:300]))

        errors.LLMRingError.__init__ = watched_init  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(errors.LLMRingError, "__init__", original))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()


# Where tests/conftest.py keeps the session's watch (``request.config.stash[SECRET_WATCH]``).
SECRET_WATCH = pytest.StashKey[SecretWatch]()
