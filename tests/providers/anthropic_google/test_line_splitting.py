"""``BaseProvider._iter_lines`` splits only at CR, LF and CRLF, whatever the chunk boundaries.

httpx's ``aiter_lines`` also splits at U+2028/U+2029/U+0085 (``str.splitlines``), which Gemini
sends unescaped inside JSON strings (wire_formats.md 3.4); that used to break such events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from llmring.providers.google import GoogleProvider


async def lines_of(*chunks: bytes) -> list[str]:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    response = httpx.Response(200, content=body(), headers={"content-type": "text/event-stream; charset=utf-8"})
    provider = GoogleProvider(api_key="AIza-test-key-000")
    return [line async for line in provider._iter_lines(response)]


@pytest.mark.parametrize(
    "chunks",
    [
        (b"a\r\nb\r\n\r\nc",),
        (b"a\r", b"\nb\r\n", b"\r", b"\nc"),  # CRLF cut between chunks is still one break
        (b"a\nb", b"\n", b"\nc"),
        (b"a\rb\r\rc",),
    ],
)
async def test_line_breaks_are_cr_lf_or_crlf_only(chunks: tuple[bytes, ...]) -> None:
    assert await lines_of(*chunks) == ["a", "b", "", "c"]


async def test_unicode_separators_stay_inside_the_line() -> None:
    line = 'data: {"text": "one\u2028two\u2029three\x85four\x0bfive\x0csix"}'
    assert await lines_of(line.encode() + b"\n\n") == [line, ""]


async def test_multibyte_characters_split_across_chunks() -> None:
    raw = "caf\u00e9 \u2028 \U0001f600\n".encode()
    chunks = [raw[i : i + 1] for i in range(len(raw))]
    assert await lines_of(*chunks) == ["caf\u00e9 \u2028 \U0001f600"]


async def test_trailing_cr_at_end_of_body() -> None:
    assert await lines_of(b"last\r") == ["last"]
