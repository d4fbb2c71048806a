"""A throwaway Redis server on loopback for the Celery tests, installed when missing.

:func:`redis_server_binary` finds ``redis-server`` on PATH; when it is not there and
the tests run as root on a Debian-like machine (as CI does, on a fresh machine), it
installs the distribution's ``redis-server`` package with ``apt-get``. Anything else is
a :class:`RedisUnavailable` with the reason and the fix, never a silent skip.
:class:`RedisServer` runs one on a free 127.0.0.1 port with persistence off.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["RedisServer", "RedisUnavailable", "redis_server_binary"]

APT_TIMEOUT = 240.0  # seconds for one apt-get run; within the tests' own timeouts
START_TIMEOUT = 15.0


class RedisUnavailable(RuntimeError):
    """``redis-server`` is not installed and could not be installed here."""


def redis_server_binary() -> str:
    """Return the path of ``redis-server``, installing the Debian package if need be."""
    found = shutil.which("redis-server")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise RedisUnavailable(
            "redis-server is not on PATH and cannot be installed automatically "
            f"(apt-get {'found' if apt else 'missing'}, running as uid {os.geteuid()}); "
            "install it with your package manager, e.g. `apt-get install -y redis-server`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", "--no-install-recommends", "redis-server"]
    log: list[str] = []
    # A fresh machine may have no package lists yet: install, else update and install.
    for command in (install, [apt, "update", "-q"], install):
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT, check=False
        )
        log.append(f"$ {' '.join(command)} -> {done.returncode}\n{done.stderr[-2000:]}")
        found = shutil.which("redis-server") or _sbin("redis-server")
        if command is install and done.returncode == 0 and found:
            return found
    raise RedisUnavailable("installing redis-server with apt-get failed:\n" + "\n".join(log))


def _sbin(name: str) -> str | None:
    for folder in ("/usr/bin", "/usr/sbin", "/usr/local/bin"):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``redis-server`` on a free loopback port, no persistence; a context manager.

    ``url(db)`` is the ``redis://127.0.0.1:PORT/DB`` address to give Celery.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log = workdir / "redis.log"

    def start(self) -> Self:
        """Start the server and return once it answers PING."""
        binary = redis_server_binary()
        # Another process may take the port between probing and binding: try a few.
        for _ in range(3):
            self.port = free_port()
            command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--dir", str(self.workdir)]  # fmt: skip
            with self._log.open("ab") as log:
                self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self._process.poll() is None:
                if _ping(self.port):
                    return self
                time.sleep(0.05)
            self.stop()
        raise RedisUnavailable(f"redis-server did not start; its log:\n{self.log_tail()}")

    def url(self, db: int = 0) -> str:
        """The address of database ``db`` on this server."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def log_tail(self, size: int = 3000) -> str:
        """The end of the server's log, for failure messages."""
        with contextlib.suppress(OSError):
            return self._log.read_text(errors="replace")[-size:]
        return ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); safe to call twice."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
