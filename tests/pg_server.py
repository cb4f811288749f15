"""A throwaway PostgreSQL server for the tests and the benchmarks (Debian's binaries, a temp dir).

``pg_dsn`` is a session fixture: the server starts the first time a test asks for it, listens on
a free 127.0.0.1 port with password (SCRAM) auth for the ``postgres`` superuser, and stops when
the session ends. The postmaster runs in the foreground as our child with ``PR_SET_PDEATHSIG``,
so a test run killed with SIGKILL takes the server down with it instead of leaving an orphan.
``TEST_DATABASE_URL`` points the suite at an existing server instead.

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


@contextlib.contextmanager
def running_server(*, max_connections: int = 200, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Start a fresh server and yield its DSN; stop it and remove its files afterwards.

    Raises ``FileNotFoundError`` when no PostgreSQL binaries are installed.
    """
    bindir = pg_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL binaries not found (apt-get install -y postgresql)")
    base = tempfile.mkdtemp(prefix="pgtest-")  # short: the unix socket path must stay < 107 bytes
    data, log = os.path.join(base, "data"), os.path.join(base, "log")
    uid = gid = None
    kw: dict[str, Any] = {}
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        uid, gid = pw.pw_uid, pw.pw_gid
        os.chown(base, uid, gid)
        kw = {"user": uid, "group": gid, "extra_groups": []}
    proc: subprocess.Popen[bytes] | None = None
    try:
        pwfile = os.path.join(base, "pw")
        with open(pwfile, "w") as fh:
            fh.write(PASSWORD)
        if uid is not None:
            os.chown(pwfile, uid, pw.pw_gid)  # initdb runs as postgres
        initdb = [os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres", "--pwfile", pwfile]
        initdb += ["--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"]
        subprocess.run(initdb, check=True, capture_output=True, **kw)
        for attempt in range(3):  # the free port is found by bind-then-release: retry a lost race
            port = _free_port()
            args = [os.path.join(bindir, "postgres"), "-D", data, "-h", "127.0.0.1", "-p", str(port), "-k", base]
            args += ["-F", "-c", f"max_connections={max_connections}", *extra]
            with open(log, "ab") as out:
                proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_child_setup(uid, gid))
            try:
                _wait_ready(data, proc, log)
                break
            except RuntimeError:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                if attempt == 2:
                    raise
                proc = None
        yield f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # "fast" shutdown
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(base, ignore_errors=True)


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
