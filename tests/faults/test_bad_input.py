"""Bad input, each with a clear error and nothing written (issue 8, part 3).

Every CLI case runs against a copy of an initialised SQLite file, from a scratch working directory,
and must end with: the expected exit code (2 for bad usage or configuration, 1 for an operation that
failed, such as an unknown model, a file that cannot be used or a broken registry file), exactly one
``Error:`` line on stderr naming the problem and what to do, nothing on stdout, no traceback, no
request to the provider, no call row, and every file in the test's directory (the database, the
registry files, the input files) byte-for-byte as it was.

The library cases check the same at the API: ``LLMRequest`` refuses bad fields with
``InvalidRequestError`` (an llmring ``ConfigurationError`` and a ``ValueError``), and
``LLMRing.chat`` refuses bad models and missing keys with typed errors before anything is logged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from llmring.cli.main import app
from llmring.errors import (
    ConfigurationError,
    InvalidRequestError,
    LLMRingError,
    MissingAPIKeyError,
    ModelNotFoundError,
)
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake

# The loopback OpenAI fake (OPENAI_BASE_URL / OPENAI_API_KEY point at it).
from tests.service.conftest import _openai_server, openai_fake  # noqa: F401

FIFTY_MB = 50 * 1024 * 1024

# -- helpers -------------------------------------------------------------------------------------


def call_rows(db: Path) -> int:
    """Logged call rows (0 when the file or the table does not exist), read with the stdlib."""
    if not db.is_file():
        return 0
    conn = sqlite3.connect(db)
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='llm_api_calls'").fetchone()
        return conn.execute("SELECT COUNT(*) FROM llm_api_calls").fetchone()[0] if found else 0
    finally:
        conn.close()


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under ``root``: regular files by content hash (large ones by size and mtime),
    anything else (FIFOs, symlinks, directories) by type, so nothing is ever opened that could block."""
    found: dict[str, tuple[Any, ...]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        key = str(path.relative_to(root))
        if stat.S_ISREG(info.st_mode) and info.st_size <= 1024 * 1024:
            found[key] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
        elif stat.S_ISREG(info.st_mode):
            found[key] = ("file", info.st_size, info.st_mtime_ns)
        else:
            found[key] = (stat.S_IFMT(info.st_mode),)
    return found


@pytest.fixture(scope="module")
def initialised_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file after ``llmring init-db`` (schema and bundled models, no call rows)."""
    path = tmp_path_factory.mktemp("template") / "llmring.db"
    r = CliRunner().invoke(app, ["--sqlite", str(path), "init-db"])
    assert r.exit_code == 0, r.output
    assert call_rows(path) == 0
    return path


# -- input files the cases use (made in the scratch dir; "{dir}" in an argument is that dir) -----

Setup = Callable[[Path], None]


def mk(name: str, data: bytes | str) -> Setup:
    """A file ``name`` holding ``data``."""

    def make(scratch: Path) -> None:
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)

    return make


def sparse(name: str, size: int = FIFTY_MB) -> Setup:
    """A ``size``-byte file that is one hole: no blocks on disk, instant to make."""

    def make(scratch: Path) -> None:
        with open(scratch / name, "wb") as fh:
            fh.truncate(size)

    return make


def fifo(name: str) -> Setup:
    """A named pipe: a reader would block on it forever, so only a check that never opens it answers."""
    return lambda scratch: os.mkfifo(scratch / name)


def broken_link(name: str) -> Setup:
    return lambda scratch: (scratch / name).symlink_to(scratch / "gone.png")


def reg(data: Any) -> Setup:
    """``models/openai.json`` holding ``data`` (JSON-encoded unless it is already text)."""
    return mk("models/openai.json", data if isinstance(data, str) else json.dumps(data))


def entry(**fields: Any) -> Setup:
    """``models/openai.json`` with one entry, model ``gpt-x``, with ``fields`` changed."""
    model = {
        "model_name": "gpt-x",
        "display_name": "GPT X",
        "dollars_per_million_tokens_input": 1,
        "dollars_per_million_tokens_output": 2,
        "source": "https://example.com",
        "as_of": "2026-03-01",
        **fields,
    }
    return reg({"provider": "openai", "models": [model]})


@dataclass(frozen=True)
class Case:
    """One bad input: the command line, the exit code and what the one error line must say."""

    args: tuple[str, ...]
    code: int
    says: tuple[str, ...]
    setup: Setup | None = None
    no_key: bool = False  # unset OPENAI_API_KEY
    must_not_read: str | None = None  # a scratch file the command may stat but must never open


def case(id: str, code: int, says: str | tuple[str, ...], *args: str, **extra: Any) -> Any:
    return pytest.param(Case(args, code, (says,) if isinstance(says, str) else says, **extra), id=id)


def bad_file(id: str, command: tuple[str, ...], name: str, data: bytes | str, says: str) -> Any:
    """``command`` on a scratch file ``name`` holding ``data``: exit 1, the line names the file."""
    return case(id, 1, f"{name}: {says}", *command, f"{{dir}}/{name}", setup=mk(name, data))


def bad_field(id: str, field: str, value: Any, says: str) -> Any:
    """``json-refresh`` of a registry whose one model has ``field`` set to ``value``: exit 1, the
    line names the file, the model and the field."""
    return case(id, 1, f"openai.json: model gpt-x, field {field}: {says}", *REFRESH, setup=entry(**{field: value}))


ASK = ("ask", "-m", "gpt-4o-mini")
IMAGE = ("analyze-image", "-m", "gpt-4o-mini")
FILE = ("analyze-file", "-m", "gpt-4o-mini")
REFRESH = ("json-refresh", "--models-dir", "{dir}/models")
NO_DB = ("--database-url",)  # these cases name their own database: no --sqlite is added
HELP = "(see 'llmring"
LIMIT = "52,428,800 bytes is over the 20,971,520-byte limit"
NOT_IMAGE = "bytes are not a PNG/JPEG/GIF/WebP image"

# fmt: off
CLI_CASES = [
    # models
    case("typo-model", 1, ("unknown model 'gpt4o-mini'", "did you mean"), "ask", "-m", "gpt4o-mini", "hi"),
    case("unknown-model", 1, ("unknown model 'zzzz'", "use provider:model"), "ask", "-m", "zzzz", "hi"),
    case("no-provider", 2, ("nothing before ':'", "e.g. openai:gpt-4o"), "ask", "-m", ":gpt-4o", "hi"),
    case("no-name", 2, ("no model name after 'openai:'", "write openai:MODEL"), "ask", "-m", "openai:", "hi"),
    case("bad-provider", 1, ("unknown provider 'nope'", "one of openai, anthropic"), "ask", "-m", "nope:gpt", "hi"),
    case("no-model", 2, ("no model", "pass -m MODEL", "LLMRING_MODEL"), "ask", "hi"),
    # keys and prompts
    case("missing-key", 2, "openai: no API key: set OPENAI_API_KEY", *ASK, "hi", no_key=True),
    case("empty-prompt", 2, ("empty prompt", "as an argument", "on stdin"), *ASK, ""),
    case("blank-prompt", 2, "empty prompt", *ASK, "  \n "),
    # request options
    case("temp-high", 2, ("'--temperature'", "less than or equal to 2", HELP), *ASK, "-t", "5", "hi"),
    case("temp-negative", 2, ("'--temperature'", "greater than or equal to 0"), *ASK, "-t", "-0.5", "hi"),
    case("temp-text", 2, ("'--temperature'", "valid number"), *ASK, "-t", "warm", "hi"),
    case("max-tokens-0", 2, ("'--max-tokens'", "greater than or equal to 1"), *ASK, "--max-tokens", "0", "hi"),
    case("cache-with-temp", 2, ("--cache needs", "use -t 0"), *ASK, "--cache", "-t", "0.7", "hi"),
    case("cache-ttl-0", 2, ("'--ttl'", "greater than or equal to 1"), *ASK, "--cache", "--ttl", "0", "hi"),
    # images and files
    bad_file("text-as-png", IMAGE, "c.png", "not an image", f"named like image/png but its {NOT_IMAGE}"),
    bad_file("empty-jpg", IMAGE, "e.jpg", b"", f"named like image/jpeg but its {NOT_IMAGE}"),
    bad_file("text-as-image", IMAGE, "a.txt", "hi", "unsupported image type (use PNG, JPEG, GIF or WebP)"),
    bad_file("fake-gif-file", FILE, "f.gif", "GIF? no", f"named like image/gif but its {NOT_IMAGE}"),
    bad_file("fake-pdf", FILE, "d.pdf", "hello", "named like a PDF but does not start with %PDF-"),
    bad_file("binary", FILE, "b.bin", b"\0\1", "unsupported file type 'application/octet-stream' (use an image"),
    bad_file("not-utf8", FILE, "l.txt", b"caf\xe9", "looks like text but is not valid UTF-8"),
    case("missing-file", 1, "nope.pdf: file not found", *FILE, "{dir}/nope.pdf"),
    case("broken-symlink", 1, "l.png: file not found", *IMAGE, "{dir}/l.png", setup=broken_link("l.png")),
    case("directory", 1, "scratch: not a regular file", *FILE, "{dir}"),
    case("fifo", 1, "pipe.txt: not a regular file", *FILE, "{dir}/pipe.txt", setup=fifo("pipe.txt")),
    case("device", 1, "/dev/null: not a regular file", *FILE, "/dev/null"),
    case("name-too-long", 1, "cannot read the file (File name too long)", *FILE, "{dir}/" + "n" * 300),
    case("50MB-file", 1, "b.txt: " + LIMIT, *FILE, "{dir}/b.txt", setup=sparse("b.txt"), must_not_read="b.txt"),
    case("50MB-image", 1, "b.png: " + LIMIT, *IMAGE, "{dir}/b.png", setup=sparse("b.png"), must_not_read="b.png"),
    case("url", 1, "https://example.com/a.png: only local files are supported", *FILE, "https://example.com/a.png"),
    # registry files (json-refresh validates every file before it opens the database)
    case("reg-not-json", 1, ("openai.json: not valid JSON", "line 1 column 2"), *REFRESH, setup=reg("{not json")),
    case("reg-empty-file", 1, "openai.json: not valid JSON", *REFRESH, setup=reg("")),
    case("reg-not-utf8", 1, "openai.json: not valid JSON", *REFRESH, setup=mk("models/openai.json", b"\xff\xfe{}")),
    case("reg-top-level-list", 1, 'openai.json: not a registry file: expected {"provider"', *REFRESH, setup=reg([])),
    case("reg-no-models", 1, "openai.json: models: Field required", *REFRESH, setup=reg({"provider": "openai"})),
    case("reg-wrong-provider", 1, "provider: says 'anthropic' but the file is for 'openai'", *REFRESH,
         setup=reg({"provider": "anthropic", "models": []})),
    bad_field("reg-string-price", "dollars_per_million_tokens_input", "1.5", "Input should be a valid number"),
    bad_field("reg-string-int", "max_context", "lots", "Input should be a valid integer"),
    bad_field("reg-string-bool", "supports_vision", "yes", "Input should be a valid boolean"),
    bad_field("reg-extra-field", "colour", "red", "Extra inputs are not permitted"),
    bad_field("reg-negative-price", "dollars_per_million_tokens_output", -1, "price must not be negative"),
    case("reg-no-dir", 1, "absent: not a directory of registry files", "json-refresh", "--models-dir", "{dir}/absent"),
    case("reg-empty-dir", 1, "models: no <provider>.json files found", *REFRESH, setup=mk("models/README", "x")),
    case("reg-bad-provider", 2, "unknown provider 'acme'", *REFRESH, "-p", "acme", setup=entry()),
    # queries
    case("negative-days", 2, ("--days must be 0 (all time) or more", "not -1"), "stats", "--days", "-1"),
    case("days-text", 2, ("'--days'", "valid integer"), "stats", "--days", "week"),
    case("stats-by", 2, ("'--by'", "'colour' is not one of"), "stats", "--by", "colour"),
    case("calls-limit-0", 2, ("'--limit'", "greater than or equal to 1"), "calls", "-n", "0"),
    case("calls-status", 2, ("unknown status 'bogus'", "use one of success, error"), "calls", "--status", "bogus"),
    case("calls-since", 2, ("--since 'yesterday'", "an age (30m, 12h, 7d, 2w)"), "calls", "--since", "yesterday"),
    # databases
    case("dburl-bogus", 2, ("postgresql:// or sqlite:///", "--database-url / DATABASE_URL"), *NO_DB, "bogus", "stats"),
    case("dburl-mysql-ask", 2, "postgresql:// or sqlite:///", *NO_DB, "mysql://h/db", *ASK, "hi"),
    case("dburl-sqlite-empty", 2, ("URL has no file path", "use sqlite:///path"), *NO_DB, "sqlite:///", "calls"),
    case("dburl-and-sqlite", 2, "either --sqlite or --database-url, not both", *NO_DB, "sqlite:///{dir}/b.db",
         "--sqlite", "{dir}/a.db", "calls"),
    # usage
    case("unknown-command", 2, ("No such command 'frobnicate'", HELP), "frobnicate"),
    case("unknown-option", 2, ("No such option: --bogus", "(see 'llmring ask -h')"), *ASK, "--bogus", "hi"),
]
# fmt: on


@pytest.fixture
def forbid_open(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """``forbid(path)``: opening ``path`` through pathlib fails the test (``read_bytes`` opens it)."""
    forbidden: set[Path] = set()
    real_open = Path.open

    def guarded(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.resolve() in forbidden:
            raise AssertionError(f"{self} was opened: the size check must come before reading")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)
    yield lambda path: forbidden.add(path.resolve())


@pytest.mark.parametrize("bad", CLI_CASES)
def test_cli_bad_input_is_one_line_and_writes_nothing(
    bad: Case,
    openai_fake: OpenAIFake,  # noqa: F811
    initialised_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forbid_open: Callable[[Path], None],
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    db = tmp_path / "llmring.db"
    shutil.copyfile(initialised_db, db)
    if bad.setup is not None:
        bad.setup(scratch)
    if bad.must_not_read is not None:
        forbid_open(scratch / bad.must_not_read)
    if bad.no_key:
        monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.chdir(scratch)  # a relative path written by mistake lands where the snapshot sees it
    before = snapshot(tmp_path)
    args = [a.replace("{dir}", str(scratch)) for a in bad.args]

    own_db = args[:1] == ["--database-url"]  # those cases name their own database
    r = CliRunner().invoke(app, ([] if own_db else ["--sqlite", str(db)]) + args)

    assert r.exit_code == bad.code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    assert r.stdout == ""
    [line] = r.stderr.splitlines()  # exactly one line
    assert line.startswith("Error: ")
    for fragment in bad.says:
        assert fragment in line
    assert openai_fake.requests == []
    assert snapshot(tmp_path) == before  # the database, registry and input files: byte for byte
    assert call_rows(db) == 0  # (after the snapshot: a reader may leave -wal/-shm files behind)


def test_bad_input_on_a_fresh_path_creates_no_database(openai_fake: OpenAIFake, tmp_path: Path) -> None:  # noqa: F811
    """Input refused before any call leaves no database behind where there was none."""
    db = tmp_path / "new.db"
    for args in (["ask", "-m", "gpt-4o-mini", ""], ["ask", "-m", "gpt-4o-mini", "-t", "9", "hi"]):
        r = CliRunner().invoke(app, ["--sqlite", str(db), *args])
        assert r.exit_code == 2, r.output
        assert not db.exists()


def test_missing_key_on_a_fresh_path_logs_no_call(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the fix the refused call was logged as a MissingAPIKeyError row."""
    monkeypatch.delenv("OPENAI_API_KEY")
    db = tmp_path / "new.db"
    r = CliRunner().invoke(app, ["--sqlite", str(db), "ask", "-m", "gpt-4o-mini", "hi"])
    assert r.exit_code == 2 and r.stderr == "Error: openai: no API key: set OPENAI_API_KEY\n"
    assert call_rows(db) == 0 and openai_fake.requests == []


# -- the library ---------------------------------------------------------------------------------


def _request(**fields: Any) -> LLMRequest:
    data: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [Message(role="user", content="hi")], **fields}
    return LLMRequest(**data)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        pytest.param({"temperature": 5}, "invalid LLMRequest: temperature must be between 0 and 2 (got 5)", id="t5"),
        pytest.param({"temperature": -0.1}, "temperature must be between 0 and 2 (got -0.1)", id="temp-negative"),
        pytest.param({"temperature": "hot"}, "temperature: Input should be a valid number", id="temp-text"),
        pytest.param({"max_tokens": 0}, "max_tokens must be a positive integer (got 0)", id="max-tokens-0"),
        pytest.param({"top_p": 1.5}, "top_p must be between 0 and 1 (got 1.5)", id="top-p"),
        pytest.param({"cache": {"enabled": "yes"}}, "cache['enabled'] must be true or false", id="cache-enabled-str"),
        pytest.param({"cache": {"ttl_seconds": -1}}, "cache['ttl_seconds'] must be a positive integer", id="ttl-neg"),
        pytest.param({"cache": {"ttl_seconds": 1.5}}, "cache['ttl_seconds'] must be a positive", id="ttl-float"),
        pytest.param({"cache": {"ttl_seconds": True}}, "cache['ttl_seconds'] must be a positive", id="ttl-bool"),
        pytest.param({"cache": {"ttl": 60}}, "unknown option(s) ttl: use enabled, ttl_seconds", id="cache-key"),
        pytest.param({"cache": "yes"}, "cache: Input should be a valid dictionary", id="cache-not-dict"),
        pytest.param({"messages": []}, "messages must contain at least one message", id="no-messages"),
        pytest.param({"messages": [Message(role="user")]}, "messages are all empty: give the prompt text", id="empty"),
        pytest.param({"messages": [{"role": "user", "content": " \n"}]}, "messages are all empty", id="blank"),
        pytest.param({"messages": [{"role": "robot"}]}, "messages.0.role: Input should be 'system'", id="bad-role"),
        pytest.param({"model": None}, "model: Input should be a valid string", id="model-none"),
        pytest.param({"temprature": 0.5}, "temprature: Extra inputs are not permitted", id="misspelt-field"),
    ],
)
def test_request_refuses_bad_fields_with_a_typed_error(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        _request(**fields)
    error = info.value
    assert isinstance(error, ConfigurationError) and isinstance(error, ValueError)
    assert says in error.message and "\n" not in error.message
    assert error.errors  # pydantic's details stay available


def test_message_refuses_bad_fields_with_a_typed_error() -> None:
    with pytest.raises(InvalidRequestError, match="invalid Message: role: Input should be"):
        Message(role="robot", content="hi")  # type: ignore[arg-type]


def test_validation_by_frameworks_keeps_pydantics_error() -> None:
    """``model_validate`` and nesting in another model raise ``ValidationError`` (FastAPI expects it)."""

    class Body(BaseModel):
        request: LLMRequest

    with pytest.raises(ValidationError):
        LLMRequest.model_validate({"model": "x", "messages": [{"role": "user", "content": "hi"}], "temperature": 5})
    with pytest.raises(ValidationError) as info:
        Body.model_validate({"request": {"model": "x", "messages": [{"role": "user", "content": "hi"}], "top_p": 3}})
    assert info.value.errors()[0]["loc"] == ("request", "top_p")


def test_conversations_with_tool_calls_and_parts_are_not_empty() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    LLMRequest(model="x", messages=[Message(role="assistant", content=None, tool_calls=[call])])
    LLMRequest(model="x", messages=[Message(role="user", content=[{"type": "text", "text": "hi"}])])
    LLMRequest(model="x", messages=[Message(role="system", content="Be brief"), Message(role="user", content="")])


@pytest.fixture
async def ring(openai_fake: OpenAIFake, tmp_path: Path) -> AsyncIterator[LLMRingSQLite]:  # noqa: F811
    service = LLMRingSQLite(tmp_path / "calls.db", origin="faults")
    yield service
    await service.close()


async def _refused(ring: LLMRingSQLite, request: LLMRequest, stream: bool) -> LLMRingError:
    with pytest.raises(LLMRingError) as info:
        if stream:
            async for _ in ring.chat_stream(request):
                pass
        else:
            await ring.chat(request)
    await ring.flush()
    return info.value


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize(
    ("model", "error", "says"),
    [
        (":gpt-4o", ConfigurationError, "nothing before ':': write provider:model, e.g. openai:gpt-4o"),
        ("openai:", ConfigurationError, "no model name after 'openai:': write openai:MODEL"),
        ("  ", ConfigurationError, "no model given: pass a model such as 'gpt-4o-mini'"),
        ("nope:gpt", ModelNotFoundError, "unknown provider 'nope' in 'nope:gpt': expected one of openai"),
        ("gpt4o-mini", ModelNotFoundError, "did you mean: openai:gpt-4o-mini"),
        ("zzzz", ModelNotFoundError, "unknown model 'zzzz': use provider:model"),
    ],
)
async def test_chat_refuses_bad_models_before_logging(
    ring: LLMRingSQLite,
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    model: str,
    error: type[LLMRingError],
    says: str,
    stream: bool,
) -> None:
    refused = await _refused(ring, _request(model=model), stream)
    assert type(refused) is error and says in refused.message
    assert openai_fake.requests == [] and call_rows(tmp_path / "calls.db") == 0


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize(
    ("model", "env_var"),
    [
        ("gpt-4o-mini", "OPENAI_API_KEY"),
        ("claude-sonnet-4-5", "ANTHROPIC_API_KEY"),
        ("gemini-2.5-flash", "GEMINI_API_KEY or GOOGLE_API_KEY"),
    ],
)
async def test_chat_with_a_missing_key_sends_and_logs_nothing(
    ring: LLMRingSQLite,
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    env_var: str,
    stream: bool,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    refused = await _refused(ring, _request(model=model), stream)
    assert isinstance(refused, MissingAPIKeyError) and isinstance(refused, ConfigurationError)
    assert refused.message.endswith(f"no API key: set {env_var}")
    assert openai_fake.requests == [] and call_rows(tmp_path / "calls.db") == 0
