"""A real HTTP server on 127.0.0.1 for provider fakes.

Each provider fake subclasses ``FakeProvider`` and turns a ``RecordedRequest`` into a ``Reply``.
Tests can queue scripted replies (``fake.enqueue(...)``) that are served before the fake's own
logic, e.g. a 429 with Retry-After followed by the normal answer. Every request is recorded.

The server runs in a background thread (``ThreadingHTTPServer``), so the async client under test
talks to it over real sockets exactly as it would talk to a provider.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    """What the client sent: method, path, query, headers (lower-cased names) and JSON body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw_body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw_body) if self.raw_body else None


@dataclass
class Reply:
    """What the fake answers.

    ``body`` is JSON-encoded unless it is bytes/str. ``chunks`` makes a streamed reply: each
    chunk is written and flushed in turn (``chunk_delay`` apart); with ``drop_after`` set, the
    connection is cut after that many chunks without finishing the body. ``delay`` sleeps
    before answering (for timeouts).
    """

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None
    chunk_delay: float = 0.0
    drop_after: int | None = None
    delay: float = 0.0
    content_type: str = "application/json"
    stall_after: int | None = None
    stall_seconds: float = 0.0


@dataclass(frozen=True)
class StreamFault:
    """A fault for the next streamed reply, whatever the provider: after ``after`` good chunks
    the body either stalls (nothing more for ``seconds``) or turns to bytes that do not gunzip.
    """

    kind: str  # "stall" or "corrupt"
    after: int
    seconds: float = 5.0

    def apply(self, reply: Reply) -> Reply:
        assert reply.chunks is not None
        if self.kind == "stall":
            return dataclasses.replace(reply, stall_after=self.after, stall_seconds=self.seconds)
        assert self.kind == "corrupt", self.kind
        gzip = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
        good = [gzip.compress(chunk) + gzip.flush(zlib.Z_SYNC_FLUSH) for chunk in reply.chunks[: self.after]]
        headers = {**reply.headers, "content-encoding": "gzip"}
        return dataclasses.replace(reply, chunks=[*good, b"\xffnot deflate at all\x00" * 4], headers=headers)


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-exchange (timeouts, cut streams) are expected, not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeProvider:
    """Base for provider fakes: override ``handle``."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stream_fault: StreamFault | None = None  # one-shot, for the next streamed reply

    # -- test API -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "fake not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def enqueue(self, *replies: Reply) -> None:
        """Serve these replies (in order) before falling back to ``handle``."""
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self.stream_fault = None

    def handle(self, request: RecordedRequest) -> Reply:  # pragma: no cover - overridden
        raise NotImplementedError

    def inspect(self, request: RecordedRequest, reply: Reply) -> None:
        """Called for every exchange (scripted or not) before the reply is written.

        Fakes override this to check requests and replies against the provider's contract.
        """

    # -- server plumbing ----------------------------------------------------------------------
    def start(self) -> FakeProvider:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                if len(raw) < length:  # the client hung up mid-body (a cancelled call): nothing to answer
                    self.close_connection = True
                    return
                parts = urlsplit(self.path)
                recorded = RecordedRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw_body=raw,
                )
                with fake._lock:
                    fake.requests.append(recorded)
                    scripted = fake._script.popleft() if fake._script else None
                reply = scripted or fake.handle(recorded)
                fake.inspect(recorded, reply)  # the contract is checked on the reply before any fault
                with fake._lock:
                    fault, fake.stream_fault = (fake.stream_fault, None) if reply.chunks else (None, fake.stream_fault)
                fake._write(self, fault.apply(reply) if fault else reply)

            do_POST = _serve
            do_GET = _serve

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        try:
            if reply.chunks is None:
                body = reply.body
                if isinstance(body, str):
                    data = body.encode()
                elif isinstance(body, bytes):
                    data = body
                else:
                    data = json.dumps(body).encode()
                handler.send_response(reply.status)
                handler.send_header("content-type", reply.content_type)
                handler.send_header("content-length", str(len(data)))
                for name, value in reply.headers.items():
                    handler.send_header(name, value)
                handler.end_headers()
                handler.wfile.write(data)
                handler.wfile.flush()
                return
            handler.send_response(reply.status)
            handler.send_header("content-type", reply.content_type)
            handler.send_header("transfer-encoding", "chunked")
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            for index, chunk in enumerate(reply.chunks):
                if reply.drop_after is not None and index >= reply.drop_after:
                    handler.close_connection = True
                    handler.connection.shutdown(2)  # cut mid-body: no terminating chunk
                    return
                if index == reply.stall_after:
                    time.sleep(reply.stall_seconds)
                handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                handler.wfile.flush()
                if reply.chunk_delay:
                    time.sleep(reply.chunk_delay)
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeouts): nothing to do


def sse(events: Iterable[tuple[str | None, Any]]) -> list[bytes]:
    """Encode ``(event name or None, data)`` pairs as SSE frames (data JSON-encoded unless str)."""
    frames = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        prefix = f"event: {name}\n" if name else ""
        frames.append(f"{prefix}data: {text}\n\n".encode())
    return frames


def ndjson(objects: Iterable[Any]) -> list[bytes]:
    """Encode objects as NDJSON lines, one chunk each."""
    return [(json.dumps(obj) + "\n").encode() for obj in objects]
