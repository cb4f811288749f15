"""``llmring registry status`` / ``registry update`` (issue 12), with updates served by a local
HTTP server (never the network): llmring's own files, a public map's format, and downloads that
fail (truncated, malformed, missing) and change nothing, byte for byte."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from llmring import schemas
from llmring.registry import bundled_dir
from tests.cli.conftest import Invoke


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: Server = self.server  # type: ignore[assignment]
        server.hits.append(self.path)
        found = server.routes.get(self.path)
        if found is None:
            self.send_error(404)
            return
        status, body, declared = found
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(declared if declared is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True  # a declared length longer than the body: cut short

    def log_message(self, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    routes: dict[str, tuple[int, bytes, int | None]]
    hits: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def serve(self, path: str, body: Any, *, status: int = 200, declared: int | None = None) -> str:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[path] = (status, raw, declared)
        return self.url + path


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = Server(("127.0.0.1", 0), _Files)
    httpd.routes, httpd.hits = {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def ready_db(invoke: Invoke, db: Path) -> Path:
    r = invoke("--sqlite", str(db), "init-db")
    assert r.exit_code == 0, r.output
    return db


def bundled_file(provider: str) -> dict[str, Any]:
    return json.loads((bundled_dir() / f"{provider}.json").read_text())


def newer_openai() -> tuple[dict[str, Any], str]:
    """The bundled OpenAI file as a newer release: version 99, gpt-4o-mini dearer, one model
    added and one (that no other entry names as successor) gone. Returns it and the gone name."""
    data = bundled_file("openai")
    successors = {m.get("successor") for m in data["models"]}
    gone = next(
        m["model_name"]
        for m in data["models"]
        if m["model_name"] not in successors and not m.get("inactive_from") and m["model_name"] != "gpt-4o-mini"
    )
    data["models"] = [m for m in data["models"] if m["model_name"] != gone]
    for m in data["models"]:
        if m["model_name"] == "gpt-4o-mini":
            m["dollars_per_million_tokens_input"] = 0.2
    new = {**data["models"][0], "model_name": "gpt-test-new", "display_name": "GPT Test", "aliases": []}
    new.pop("successor", None)
    new.pop("inactive_from", None)
    data["models"].append(new)
    data["version"], data["updated"] = 99, "2026-12-01"
    return data, gone


def model_row(db: Path, name: str) -> dict[str, Any] | None:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM llm_models WHERE provider = 'openai' AND model_name = ?", (name,)).fetchone()
        return dict(row) if row else None
    finally:
        conn.close()


def test_status_of_a_fresh_database(invoke: Invoke, ready_db: Path) -> None:
    r = invoke("--sqlite", str(ready_db), "registry", "status", env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Provider", "Database", "Source", "Package", "Age"]
    shipped = bundled_file("openai")
    assert [line.split()[:4] for line in lines[1:]] == [
        [p, f"v{shipped['version']}", shipped["updated"], "bundled"]
        for p in ("anthropic", "google", "ollama", "openai")
    ]
    assert all(len(line) <= 80 for line in lines) and r.stderr == ""
    data = json.loads(invoke("--sqlite", str(ready_db), "registry", "status", "--json").stdout)
    assert data["stale_after_days"] == 60
    [openai] = [p for p in data["providers"] if p["provider"] == "openai"]
    assert openai["database"]["version"] == openai["package"]["version"] == shipped["version"]
    assert openai["database"]["source"] == "bundled" and openai["stale"] is False


def test_update_from_a_url_dry_run_changes_nothing_then_applies(invoke: Invoke, ready_db: Path, server: Server) -> None:
    data, gone = newer_openai()
    url = server.serve("/registry/openai.json", data)
    before = ready_db.read_bytes()
    dry = invoke("--sqlite", str(ready_db), "registry", "update", "--from", url, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert ready_db.read_bytes() == before  # byte for byte
    lines = dry.stdout.splitlines()
    assert lines[0] == f"Registry update from {url} (dry run: nothing was changed)"
    assert lines[1] == "openai: +1 ~1 -1"
    assert "  + openai:gpt-test-new" in lines
    assert "  ~ openai:gpt-4o-mini: dollars_per_million_tokens_input 0.15 -> 0.2" in lines
    assert f"  - openai:{gone}" in lines

    applied = invoke("--sqlite", str(ready_db), "registry", "update", "--from", url, "--json")
    assert applied.exit_code == 0, applied.output
    report = json.loads(applied.stdout)
    assert report["dry_run"] is False and report["source"] == url
    assert report["providers"]["openai"]["changed"] == {
        "openai:gpt-4o-mini": {"dollars_per_million_tokens_input": ["0.15", "0.2"]}
    }
    assert model_row(ready_db, "gpt-test-new") is not None
    assert model_row(ready_db, gone)["inactive_from"] is not None  # type: ignore[index]
    status = json.loads(invoke("--sqlite", str(ready_db), "registry", "status", "--json").stdout)
    [openai] = [p for p in status["providers"] if p["provider"] == "openai"]
    assert openai["database"]["version"] == 99 and openai["database"]["source"] == url
    # The next open does not undo it: the database is newer than the package.
    again = invoke("--sqlite", str(ready_db), "registry", "update", "--from", url, "--dry-run")
    assert again.stdout.splitlines()[1] == "No changes: the database already has these models and prices."


def test_update_from_a_directory_url_fetches_each_provider(invoke: Invoke, ready_db: Path, server: Server) -> None:
    data, _ = newer_openai()
    server.serve("/r/openai.json", data)
    r = invoke("--sqlite", str(ready_db), "registry", "update", "--from", server.url + "/r/", "--dry-run")
    assert r.exit_code == 0, r.output
    assert sorted(server.hits) == sorted(f"/r/{p}.json" for p in ("openai", "anthropic", "google", "ollama"))
    assert r.stdout.splitlines()[1] == "openai: +1 ~1 -1"


@pytest.mark.parametrize(
    ("body", "declared", "status", "says"),
    [
        (b'{"provider": "openai", "version": 99, "models": [{"model_na', 4096, 200, "download failed"),
        (b"{not json", None, 200, "not valid JSON"),
        (b"gone", None, 500, "download failed: HTTP 500"),
        (json.dumps({"provider": "openai", "version": 2, "models": [{"model_name": "x"}]}).encode(), None, 200,
         "model x, field display_name"),
    ],
    ids=["truncated", "malformed", "server-error", "invalid-entry"],
)  # fmt: skip
def test_a_failed_or_bad_download_changes_nothing(
    invoke: Invoke, ready_db: Path, server: Server, body: bytes, declared: int | None, status: int, says: str
) -> None:
    url = server.serve("/openai.json", body, status=status, declared=declared)
    before = ready_db.read_bytes()
    r = invoke("--sqlite", str(ready_db), "registry", "update", "--from", url)
    assert r.exit_code == 1, r.output
    assert r.stdout == "" and len(r.stderr.splitlines()) == 1 and says in r.stderr, r.stderr
    assert ready_db.read_bytes() == before


LITELLM_FIXTURE = {
    "sample_spec": {"mode": "chat"},
    "gpt-4o-mini": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 2e-07,
        "output_cost_per_token": 6e-07,
        "supports_vision": False,  # a capability flag: curation keeps its own
    },
    "gpt-brand-new": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 1e-06,
        "output_cost_per_token": 4e-06,
        "max_input_tokens": 100000,
    },
    "ollama/llama3.2": {"litellm_provider": "ollama", "mode": "chat", "input_cost_per_token": 1e-06},
}


def test_update_from_the_litellm_map_served_locally(
    invoke: Invoke, ready_db: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.serve("/litellm.json", LITELLM_FIXTURE)
    monkeypatch.setenv("LLMRING_LITELLM_URL", url)  # what --from litellm downloads
    r = invoke("--sqlite", str(ready_db), "registry", "update", "--from", "litellm")
    assert r.exit_code == 0, r.output
    assert server.hits == ["/litellm.json"]
    lines = r.stdout.splitlines()
    assert lines[0] == "Registry update from litellm"
    assert lines[1:] == [
        "openai: +1 ~1 -0",
        "  + openai:gpt-brand-new",
        "  ~ openai:gpt-4o-mini: dollars_per_million_tokens_input 0.15 -> 0.2; as_of 2026-12-04 -> "
        + lines[3].rsplit(" ", 1)[-1],
    ]
    mini = model_row(ready_db, "gpt-4o-mini")
    assert mini is not None and mini["supports_vision"] == 1 and mini["dollars_per_million_tokens_input"] == "0.2"
    assert model_row(ready_db, "gpt-brand-new") is not None
    # A map keeps each provider's version: a newer package still brings the bundled models up.
    status = json.loads(invoke("--sqlite", str(ready_db), "registry", "status", "--json").stdout)
    [openai] = [p for p in status["providers"] if p["provider"] == "openai"]
    assert openai["database"]["version"] == bundled_file("openai")["version"]


def test_a_map_from_a_given_location(invoke: Invoke, ready_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps(LITELLM_FIXTURE))
    r = invoke("--sqlite", str(ready_db), "registry", "update", "--from", f"litellm={path}", "--dry-run")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1] == "openai: +1 ~1 -0"


def test_status_warns_when_the_prices_are_old(
    invoke: Invoke, ready_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = newer_openai()
    data["updated"] = "2026-01-02"
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "openai.json").write_text(json.dumps(data))
    assert invoke("--sqlite", str(ready_db), "registry", "update", "--from", str(tmp_path / "r")).exit_code == 0
    monkeypatch.setattr(schemas, "utc_now", lambda: datetime(2026, 3, 5, 12, tzinfo=UTC))
    r = invoke("--sqlite", str(ready_db), "registry", "status")
    assert r.exit_code == 0, r.output
    assert r.stderr == (
        "Warning: openai prices in the database are 62 days old; `llmring registry update` brings them up to date\n"
    )
    assert "62 d" in r.stdout
