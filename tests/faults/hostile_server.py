"""A loopback HTTP/1.1 server that misbehaves on purpose: slow, endless, oversized or lying replies.

The provider fakes speak each wire format exactly; this one speaks whatever a test scripts, byte
by byte, over a real socket (so httpx's real timeouts, decoders and redirect handling run). Each
connection is served in its own thread by ``script(request, conn)``; ``stop()`` closes everything,
so a script that writes forever ends when the test does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RawRequest:
    """What the client sent: method, path, lower-cased headers and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Script = Callable[[RawRequest, socket.socket], None]


@dataclass
class HostileServer:
    """Serves ``script`` on 127.0.0.1; records every request it read."""

    script: Script
    requests: list[RawRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopped = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stopped.is_set():
                request = _read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                self.script(request, conn)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()


def _read_request(conn: socket.socket) -> RawRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return RawRequest(method, path, headers, rest[:length])


def head(status: int, headers: dict[str, str] | None = None, reason: str = "X") -> bytes:
    """A status line and headers (add ``content-length`` or ``transfer-encoding`` yourself)."""
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def whole(status: int, body: bytes, headers: dict[str, str] | None = None) -> Script:
    """A script answering every request with ``body`` at once."""

    def script(request: RawRequest, conn: socket.socket) -> None:
        hdrs = {"content-type": "application/json", "content-length": str(len(body)), **(headers or {})}
        conn.sendall(head(status, hdrs) + body)

    return script


def trickle(status: int, first: bytes, repeat: bytes, every: float, headers: dict[str, str]) -> Script:
    """Send ``first`` then ``repeat`` every ``every`` seconds until the client or the test gives up."""

    def script(request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(head(status, headers) + first)
        while True:
            time.sleep(every)
            conn.sendall(repeat)

    return script


def chunked(piece: bytes) -> bytes:
    """``piece`` as one HTTP/1.1 chunk."""
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
