"""A throwaway PostgreSQL server for the tests and the benchmarks (Debian's binaries, a temp dir).

``pg_dsn`` is a session fixture: the server starts the first time a test asks for it, listens on
a free 127.0.0.1 port with password (SCRAM) auth for the ``postgres`` superuser, and stops when
the session ends. The postmaster runs in the foreground as our child with ``PR_SET_PDEATHSIG``,
so a test run killed with SIGKILL takes the server down with it instead of leaving an orphan.
``TEST_DATABASE_URL`` points the suite at an existing server instead.

``PostgresServer`` is the same server as an object that can be stopped and started again on its
data dir and port, for tests of what a database outage does to a running service.

As root, initdb and postgres refuse to run, so the server runs as the ``postgres`` user that
Debian's postgresql-common package creates.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_PR_SET_PDEATHSIG = 1
# TCP logins need this password (SCRAM), so tests can check what a wrong one does. The server
# listens on 127.0.0.1 only and lives in a temp dir for one test session.
PASSWORD = "llmring-test-secret"


def pg_bindir() -> str | None:
    """The newest Debian/Ubuntu PostgreSQL bin dir, else wherever ``pg_ctl`` is on PATH."""
    hits = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    if hits:
        return os.path.dirname(max(hits, key=lambda p: int(p.split("/")[4])))
    exe = shutil.which("pg_ctl")
    return os.path.dirname(os.path.realpath(exe)) if exe else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _child_setup(uid: int | None, gid: int | None) -> Callable[[], None]:
    """Drop to ``uid``/``gid`` and then ask for SIGQUIT when our parent dies.

    The order matters: the kernel clears the parent-death signal when credentials change,
    so prctl must come after setuid.
    """

    def setup() -> None:
        if uid is not None and gid is not None:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)

    return setup


def _wait_ready(data: str, proc: subprocess.Popen[bytes], log: str, timeout: float = 30.0) -> None:
    """Wait until line 8 of postmaster.pid says ``ready`` (what ``pg_ctl -w`` does)."""
    pidfile = os.path.join(data, "postmaster.pid")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log, errors="replace") as fh:
                raise RuntimeError(f"postgres exited with {proc.returncode}:\n{fh.read()[-2000:]}")
        with contextlib.suppress(OSError):
            with open(pidfile) as fh:
                lines = fh.read().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
        time.sleep(0.02)
    raise RuntimeError(f"postgres did not become ready within {timeout:.0f} s (log: {log})")


class PostgresServer:
    """A throwaway server that can be stopped and started again on the same data dir and port.

    ``start()`` runs initdb the first time; ``stop()`` shuts the postmaster down ("fast": open
    sessions are cut off) and keeps the files, so a later ``start()`` brings the same databases
    back on the same port; ``remove()`` stops it and deletes everything. Raises
    ``FileNotFoundError`` when no PostgreSQL binaries are installed. Call ``start()`` from a
    thread that outlives the server: the parent-death signal fires when that thread ends.
    """

    def __init__(self, *, max_connections: int = 200, extra: tuple[str, ...] = ()) -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL binaries not found (apt-get install -y postgresql)")
        self.bindir = bindir
        self.max_connections = max_connections
        self.extra = extra
        self.base = tempfile.mkdtemp(prefix="pgtest-")  # short: the unix socket path must stay < 107 bytes
        self.data, self.log = os.path.join(self.base, "data"), os.path.join(self.base, "log")
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._uid: int | None = None
        self._gid: int | None = None
        self._kw: dict[str, Any] = {}
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            self._uid, self._gid = pw.pw_uid, pw.pw_gid
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
            self._kw = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}

    @property
    def dsn(self) -> str:
        """The superuser's URL (TCP, password auth); fixed once the server first started."""
        assert self.port is not None, "start() the server first"
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/postgres"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _initdb(self) -> None:
        pwfile = os.path.join(self.base, "pw")
        with open(pwfile, "w") as fh:
            fh.write(PASSWORD)
        if self._uid is not None and self._gid is not None:
            os.chown(pwfile, self._uid, self._gid)  # initdb runs as postgres
        initdb = [os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres", "--pwfile", pwfile]
        initdb += ["--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"]
        subprocess.run(initdb, check=True, capture_output=True, **self._kw)

    def _spawn(self, port: int) -> None:
        args = [os.path.join(self.bindir, "postgres"), "-D", self.data, "-h", "127.0.0.1", "-p", str(port)]
        args += ["-k", self.base, "-F", "-c", f"max_connections={self.max_connections}", *self.extra]
        with open(self.log, "ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_child_setup(self._uid, self._gid)
            )
        try:
            _wait_ready(self.data, proc, self.log)
        except RuntimeError:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            raise
        self._proc = proc

    def start(self) -> str:
        """Start (the first time: create) the server and return its DSN once it accepts logins."""
        if self.running:
            return self.dsn
        if self.port is not None:
            self._spawn(self.port)  # a restart: same data, same port
            return self.dsn
        self._initdb()
        for attempt in range(3):  # the free port is found by bind-then-release: retry a lost race
            port = _free_port()
            try:
                self._spawn(port)
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            self.port = port
            break
        return self.dsn

    def stop(self) -> None:
        """Shut the server down ("fast": open sessions are terminated); its files stay."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def remove(self) -> None:
        """Stop the server and delete its data dir, socket and log."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def running_server(*, max_connections: int = 200, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Start a fresh server and yield its DSN; stop it and remove its files afterwards.

    Raises ``FileNotFoundError`` when no PostgreSQL binaries are installed.
    """
    server = PostgresServer(max_connections=max_connections, extra=extra)
    try:
        yield server.start()
    finally:
        server.remove()


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A DSN to a superuser on a PostgreSQL server started for this session (lazily)."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    try:
        server = running_server()
        dsn = server.__enter__()
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        yield dsn
    finally:
        server.__exit__(None, None, None)
