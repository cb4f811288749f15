"""A provider's base URL, with the credentials it may carry kept out of every text llmring writes.

A base URL can hold secrets: ``https://user:password@proxy/v1`` (basic auth to a gateway) or
``https://gw/v1?sig=...`` (a signed gateway URL). The request still needs them, so ``BaseURL``
keeps the URL for requests (without its query, which is sent as ``params`` on every request, so
``/chat/completions`` lands on the path and not inside the query) and ``display``, the same URL
with the password and every query value replaced by ``***``, for errors, rows and ``repr``. The
password and query values are also registered with ``llmring.errors.redact``, so they are removed
from any text that reaches a message anyway (an httpx error that quotes the URL), and a filter on
the ``httpx`` logger rewrites the URL in its one INFO line per request.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import httpx

from llmring.errors import redact, register_secret

MASK = "***"


@dataclass(frozen=True, slots=True)
class BaseURL:
    """``url`` for requests (userinfo kept, no query), ``params`` its query, ``display`` safe to show."""

    url: str
    params: tuple[tuple[str, str], ...]
    display: str

    @property
    def identity(self) -> str:
        """A digest of the whole URL, credentials included (one gateway user is not another)."""
        whole = self.url + "?" + "&".join(f"{name}={value}" for name, value in self.params)
        return hashlib.sha256(whole.encode()).hexdigest()[:32]

    @classmethod
    def parse(cls, raw: str) -> BaseURL:
        """Split ``raw`` (trailing ``/`` dropped) and register the secrets it carries."""
        raw = raw.rstrip("/")
        if "@" not in raw and "?" not in raw:
            return cls(raw, (), raw)  # the usual case: nothing to hide, nothing to parse
        try:
            parsed = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError, ValueError):
            return cls(raw, (), redact(raw) or "")
        params = tuple(parsed.params.multi_items())
        for _, value in params:
            register_secret(value)
        register_secret(parsed.password or parsed.username)  # a lone username is a token
        url = str(parsed.copy_with(query=None, fragment=None)).rstrip("/")
        return cls(url, params, safe_url(httpx.URL(url, params=params)))


def safe_url(url: httpx.URL | str) -> str:
    """``url`` with its password and query values masked (``https://user:***@host/v1?sig=***``)."""
    if isinstance(url, str):
        try:
            return safe_url(httpx.URL(url))
        except (httpx.InvalidURL, TypeError, ValueError):
            return redact(url) or ""
    text = str(url.copy_with(query=None, fragment=None))
    userinfo = url.userinfo.decode("ascii", "replace")
    if userinfo:
        masked = f"{userinfo.partition(':')[0]}:{MASK}" if url.password else MASK
        text = text.replace(f"{userinfo}@", f"{masked}@", 1)
    if url.query:
        text += "?" + "&".join(f"{name}={MASK}" for name in dict(url.params.multi_items()))
    return text


class _RedactURLs(logging.Filter):
    """Masks the URL in httpx's ``HTTP Request: POST <url> "HTTP/1.1 200 OK"`` line."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(arg, httpx.URL) for arg in args):
            record.args = tuple(safe_url(arg) if isinstance(arg, httpx.URL) else arg for arg in args)
        return True


_FILTER = _RedactURLs()


def mask_httpx_log() -> None:
    """Install the filter on the ``httpx`` logger (once; it costs nothing while INFO is off)."""
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
