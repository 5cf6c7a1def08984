"""The local API run by the app (Settings → Local API): ``fastclip serve`` on a thread of the app,
sharing the app's job runner, so jobs a script queues show in the Jobs panel as they run.

:class:`LocalApi` starts and stops the server off the GUI thread (starting waits until it answers;
stopping lets requests in flight finish) and says what it is doing with ``changed(state, text)``:
``"off"``, ``"starting"``, ``"on"`` (text: the URL) or ``"failed"`` (text: why, e.g. the port is
taken). The server's code (Starlette, uvicorn) is imported only when it is first switched on.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal

from .app_settings import AppSettings
from .job_queue import JobQueue

HOST = "127.0.0.1"  # the app serves on loopback only; `fastclip serve --host` is there for the rest


class LocalApi(QObject):
    changed = Signal(str, str)  # state, text (see the module doc)

    def __init__(self, settings: AppSettings, jobs: JobQueue, parent: QObject | None = None):
        super().__init__(parent)
        self.settings, self.jobs = settings, jobs
        self.state, self.text = "off", ""
        self._server = None
        self._lock = threading.Lock()  # one start or stop at a time
        self._posted.connect(self._set, Qt.ConnectionType.QueuedConnection)

    _posted = Signal(str, str)

    @property
    def url(self) -> str:
        return self.text if self.state == "on" else ""

    def apply(self) -> None:
        """Serve or not, on the port the settings say (a changed port restarts it)."""
        enabled = self.settings.get("api_enabled") == "1"
        port = int(self.settings.get("api_port") or 8484)
        running_port = self._server.port if self._server is not None else None
        if enabled and (self.state not in ("on", "starting") or running_port != port):
            self._start(port)
        elif not enabled and self._server is not None:
            self._stop()

    def stop(self, wait: bool = True) -> None:
        """At the app's exit: stop serving (requests in flight are answered; the app's runner,
        which the server shares, is the app's to stop)."""
        def run() -> None:
            with self._lock:  # after a start in progress, so its server is stopped too
                server, self._server = self._server, None
                if server is not None:
                    server.stop()

        if wait:
            run()
        else:
            threading.Thread(target=run, name="local-api-stop", daemon=True).start()
        self._set("off", "")

    def _start(self, port: int) -> None:
        old, self._server = self._server, None
        self._set("starting", f"http://{HOST}:{port}")

        def run() -> None:
            with self._lock:
                if old is not None:
                    old.stop()
                try:
                    from .api import (
                        ApiServer,  # Starlette and uvicorn, the first time it is switched on
                    )

                    server = ApiServer(host=HOST, port=port, jobs=self.jobs.job_thread)
                    url = server.start()
                except OSError as e:
                    self._posted.emit("failed", f"port {port} is not free ({e.strerror or e})")
                    return
                except Exception as e:  # noqa: BLE001 (what the user reads: the server's own reason)
                    self._posted.emit("failed", str(e) or type(e).__name__)
                    return
                self._server = server
                self._posted.emit("on", url)

        threading.Thread(target=run, name="local-api-start", daemon=True).start()

    def _stop(self) -> None:
        def run() -> None:
            with self._lock:
                server, self._server = self._server, None
                if server is not None:
                    server.stop()
            self._posted.emit("off", "")

        threading.Thread(target=run, name="local-api-stop", daemon=True).start()

    def _set(self, state: str, text: str) -> None:
        if (state, text) != (self.state, self.text):
            self.state, self.text = state, text
            self.changed.emit(state, text)
