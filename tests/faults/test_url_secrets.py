"""Secrets in a base URL (``https://user:pw@host``, ``?sig=...``) and in a provider's error body.

The request still carries them (a gateway needs them); no text llmring writes does: errors, their
``body``, ``repr``, attempt rows, the CLI's error line and httpx's INFO log line.
"""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmring.cli.main import app
from llmring.errors import AuthenticationError, ProviderConnectionError, ProviderUnavailableError
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import BaseProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.providers.urls import BaseURL, safe_url
from llmring.service import LLMRing
from tests.faults.hostile_server import HostileServer, RawRequest, whole
from tests.faults.test_hostile_replies import ask, hostile, make_provider, serve  # noqa: F401
from tests.service.conftest import rows

PASSWORD = "urlpw-5e7c1a"  # both are in tests/secret_watch.py NAMED_SECRETS: the session scan looks too
SIGNATURE = "sigvalue-8b2d4f"
SECRETS = (PASSWORD, SIGNATURE)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_secrets(base_url: str, kind: str = "openai") -> str:
    """``base_url`` (plus the provider's API version path) with a password and a signed query."""
    path = {"openai": "/v1", "google": "/v1beta"}.get(kind, "")
    return base_url.replace("http://", f"http://gateway:{PASSWORD}@", 1) + f"{path}?sig={SIGNATURE}&region=eu"


def secret_provider(kind: str, base_url: str, **kwargs: Any) -> BaseProvider:
    kwargs.setdefault("max_retries", 0)
    url = with_secrets(base_url, kind)
    if kind == "openai":
        return OpenAIProvider(api_key="sk-test-hostile-0000", base_url=url, **kwargs)
    if kind == "anthropic":
        return AnthropicProvider(api_key="sk-ant-hostile-0000", base_url=url, **kwargs)
    if kind == "google":
        return GoogleProvider(api_key="AIzaHostileHostile00", base_url=url, **kwargs)
    return OllamaProvider(base_url=url, **kwargs)


def clean(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


def test_display_masks_password_and_query_values() -> None:
    base = BaseURL.parse(f"https://gw:{PASSWORD}@example.test/v1/?sig={SIGNATURE}&region=eu")
    assert base.display == "https://gw:***@example.test/v1?sig=***&region=***"
    assert base.url == f"https://gw:{PASSWORD}@example.test/v1"
    assert base.params == (("sig", SIGNATURE), ("region", "eu"))
    assert safe_url(f"https://{SIGNATURE}@example.test/v1") == "https://***@example.test/v1"
    assert BaseURL.parse("https://api.openai.com/v1/") == BaseURL(
        "https://api.openai.com/v1", (), "https://api.openai.com/v1"
    )


@pytest.mark.parametrize("kind", ["openai", "anthropic", "google", "ollama"])
async def test_unreachable_base_url_error_shows_no_credentials(kind: str) -> None:
    provider = secret_provider(kind, f"http://127.0.0.1:{closed_port()}")
    try:
        with pytest.raises(ProviderConnectionError) as info:
            await provider.chat(ask(kind))
    finally:
        await provider.aclose()
    assert "gateway:***@127.0.0.1" in str(info.value), str(info.value)
    assert clean(str(info.value)) and clean(repr(provider))


@pytest.mark.parametrize("kind", ["openai", "anthropic", "google", "ollama"])
async def test_credentials_reach_the_gateway_but_no_row_log_or_error(
    hostile: list[HostileServer],  # noqa: F811
    tmp_path: Path,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def echoing_gateway(request: RawRequest, conn: socket.socket) -> None:
        # A gateway that quotes the URL it was asked for in its error, as many do.
        body = {"error": {"message": f"upstream down for {request.path}", "code": 503}}
        whole(503, json.dumps(body).encode())(request, conn)

    server = serve(hostile, echoing_gateway)
    provider = secret_provider(kind, server.base_url, max_retries=1)
    provider._sleep = lambda _: _no_wait()
    db_path = tmp_path / "calls.db"
    caplog.set_level(logging.INFO)
    request = ask(kind)
    request.model = f"{kind}:{request.model}"
    async with LLMRing(db_connection_string=f"sqlite:///{db_path}", providers={kind: provider}) as ring:
        with pytest.raises(ProviderUnavailableError) as info:
            await ring.chat(request)
    # The request carried them: the query on the endpoint's path, not inside the base URL's query.
    assert len(server.requests) == 2
    path, _, query = server.requests[0].path.partition("?")
    assert path.endswith(("/chat/completions", "/messages", ":generateContent", "/api/chat")), path
    assert f"sig={SIGNATURE}" in query and "region=eu" in query
    assert "authorization" in server.requests[0].headers or "x-api-key" in server.requests[0].headers
    # Nothing written shows them.
    error = info.value
    assert clean(str(error)) and clean(json.dumps(error.body)), (str(error), error.body)
    assert "upstream down for" in json.dumps(error.body)
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(httpx_lines) == 2 and all("sig=***" in line for line in httpx_lines), httpx_lines
    assert all(clean(r.getMessage()) for r in caplog.records)
    logged = rows(db_path)
    assert len(logged) == 2  # the retried attempt and the call
    assert clean(json.dumps(logged, default=str))
    for suffix in ("", "-wal", "-journal"):
        file = Path(f"{db_path}{suffix}")
        assert not file.exists() or all(s.encode() not in file.read_bytes() for s in SECRETS)


async def _no_wait() -> None:
    return None


async def test_error_body_is_redacted_like_the_message(hostile: list[HostileServer]) -> None:  # noqa: F811
    key = "sk-test-hostile-0000"  # make_provider's key, which OpenAI quotes back in a 401
    body = {"error": {"message": f"Incorrect API key provided: {key}.", "type": "invalid_request_error"}}
    server = serve(hostile, whole(401, json.dumps(body).encode()))
    provider = make_provider("openai", server.base_url)
    try:
        with pytest.raises(AuthenticationError) as info:
            await provider.chat(ask("openai"))
    finally:
        await provider.aclose()
    assert key not in str(info.value)
    assert info.value.body["error"]["message"] == "Incorrect API key provided: ***."
    assert info.value.body["error"]["type"] == "invalid_request_error"


def test_cli_error_line_shows_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-url-secrets-cli")
    monkeypatch.setenv("OPENAI_BASE_URL", with_secrets(f"http://127.0.0.1:{closed_port()}"))
    result = CliRunner().invoke(app, ["ask", "-m", "openai:gpt-4o-mini", "--no-log", "--timeout", "5", "hi"])
    assert result.exit_code == 1, result.output
    assert "could not reach http://gateway:***@127.0.0.1" in result.output, result.output
    assert clean(result.output)
