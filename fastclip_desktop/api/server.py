"""The server: uvicorn running the API on a socket of ours, in the main thread (``fastclip serve``,
which stops on SIGTERM or Ctrl+C) or on a thread of its own (the app's Settings → Local API)::

    server = ApiServer(host="127.0.0.1", port=8484)   # its own job runner; or jobs=<the app's JobThread>
    url = server.start()                              # returns once it answers, e.g. http://127.0.0.1:8484
    ...
    server.stop()                                     # finishes requests, lets running jobs end (grace_s)

Stopping is clean either way: requests in flight are answered (5 s at most), running jobs get
``grace_s`` seconds to finish and are otherwise queued again by the next start's recovery (their
temp files removed), webhooks not sent stay queued.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from pathlib import Path

import uvicorn

from engine import JobThread

from .app import create_app
from .state import ApiState

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8484
REQUEST_DRAIN_S = 5


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ApiServer:
    """The local API on ``host``:``port`` (0: any free port) over the library at ``library_path``
    (default: the data dir's). ``jobs``: the app's JobThread to share; without, the server runs
    its own runner with ``workers`` workers."""

    def __init__(self, library_path: str | Path | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 *, jobs: JobThread | None = None, workers: int | None = None, grace_s: float = 10.0,
                 log_level: str = "warning", on_ready=None):
        self.host, self.port = host, port
        self.state = ApiState(library_path, jobs=jobs, workers=workers, grace_s=grace_s)
        self._ready = threading.Event()
        self._on_ready = on_ready
        config = uvicorn.Config(create_app(self.state, self._started), lifespan="on", log_level=log_level,
                                access_log=False, server_header=False, proxy_headers=False,
                                timeout_graceful_shutdown=REQUEST_DRAIN_S)
        self._server = uvicorn.Server(config)
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def bind(self) -> socket.socket:
        """Take the port now (so a busy port is an error before anything starts)."""
        if self._socket is None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            self._socket = socket.create_server((self.host.strip("[]"), self.port), family=family, backlog=512)
            # answers go out as a head and a body: without this, a kept-alive connection waits ~40 ms for
            # the client's delayed ACK before the body (Nagle); accepted sockets inherit it
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.port = self._socket.getsockname()[1]
        return self._socket

    def run(self) -> bool:
        """Serve until stopped (SIGTERM or SIGINT in the main thread, or :meth:`stop`); False when it
        could not start (the library or the runner failed: the log says why)."""
        self._server.run(sockets=[self.bind()])
        return self._server.started

    def start(self, timeout: float = 60.0) -> str:
        """Serve on a thread of its own; returns the URL once it answers (RuntimeError if it cannot)."""
        sock = self.bind()
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="fastclip-api",
                                        daemon=True)
        self._thread.start()
        while not self._ready.wait(0.05):
            if not self._thread.is_alive() or (timeout := timeout - 0.05) <= 0:
                self.stop()
                raise RuntimeError(f"the local API could not start on {self.url} (see the log)")
        return self.url

    def stop(self, timeout: float | None = None) -> None:
        """Stop serving (see the module doc); waits for the server's thread when it has one."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else REQUEST_DRAIN_S + self.state.grace_s + 15)

    def _started(self) -> None:
        self._ready.set()
        if self._on_ready is not None:
            self._on_ready()


def serve(library_path: str | Path | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          **options) -> bool:
    """Serve in this thread until SIGTERM or Ctrl+C (see :class:`ApiServer`)."""
    return ApiServer(library_path, host, port, **options).run()
