"""What `fastclip batch` shows while it runs: a bar per running job and one for the whole batch
on a terminal; one line per job as it ends otherwise."""

from __future__ import annotations

import os
import time

from .batch_summary import short
from .progress_bar import bar, times_text


class BatchProgress:
    """On a terminal: a bar per running job and one for the whole batch (done, failed, running,
    the time left), redrawn in place. Otherwise: one plain line per job as it ends.
    ``where(job_id)``: the cluster worker running a job, or None (a local batch: no ``where``)."""

    def __init__(self, stream, total: int, where=None):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.total = total
        self.where = where
        self.running: dict[str, tuple[int, str]] = {}
        self.ended: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.entry_of: dict[str, int] = {}
        self.jobs_total = 0
        self.drawn = 0
        self.last = 0.0
        self.began = None  # when the jobs started running

    def note(self, text: str) -> None:
        """A line on a terminal only (what is being done)."""
        if self.tty:
            self.say(text)

    def say(self, text: str) -> None:
        """A line, terminal or not (something to know: a worker refused or lost)."""
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()
        if self.tty and self.began is not None:
            self._draw()

    def start(self, entries) -> None:
        for e in entries:
            for j in e.jobs:
                self.entry_of[j.job_id] = e.i
                name = os.path.basename(j.request.get("out") or "")
                if j.kind == "transcript":
                    name = f"{os.path.basename(e.spec['source'])} (transcript)"
                self.names[j.job_id] = name or j.job_id
                if j.job_id in e.skipped:
                    self.ended[j.job_id] = "skipped"
        self.jobs_total = len(self.entry_of)
        self.began = time.monotonic()

    def job(self, u) -> None:
        if u.kind == "import":
            if u.ended and not self.tty:
                why = f": {u.error['message']}" if u.error else ""
                print(f"import {u.job_id} {u.status}{why}", file=self.stream, flush=True)
            return
        if u.ended:
            self.running.pop(u.job_id, None)
            self.ended[u.job_id] = u.status
            if not self.tty:
                name = self.names.get(u.job_id, u.job_id)
                why = f": {u.error['message']}" if u.error else ""
                print(f"[{len(self.ended)}/{self.jobs_total}] {u.job_id} {u.status}  {name}{self._on(u.job_id)}{why}",
                      file=self.stream, flush=True)
        elif u.status == "pending":  # queued again
            self.running.pop(u.job_id, None)
        else:
            self.running[u.job_id] = (u.progress, u.status_message)
        if self.tty and (u.ended or time.monotonic() - self.last >= 0.1):
            self._draw()

    def _on(self, job_id: str) -> str:
        address = self.where(job_id) if self.where is not None else None
        return f" on {address.split('://', 1)[-1]}" if address else ""

    def _draw(self) -> None:
        import shutil

        self.last = time.monotonic()
        width = max(40, shutil.get_terminal_size((100, 20)).columns - 1)
        lines = []
        for job_id, (pct, msg) in list(self.running.items())[:8]:
            name = short(self.names.get(job_id, job_id), 30)
            lines.append(f"  {name:<30} {bar(pct, 20)} {pct:3d}% {msg}{self._on(job_id)}"[:width])
        done = sum(1 for s in self.ended.values() if s in ("complete", "skipped"))
        failed = sum(1 for s in self.ended.values() if s == "failed")
        total = self.jobs_total or len(self.ended) + len(self.running)
        frac = 100 * (done + failed + sum(p for p, _ in self.running.values()) / 100) / max(1, total)
        times = times_text(time.monotonic() - (self.began or self.last), frac / 100)
        if self.where is None:
            running = f"{len(self.running)} running"
        else:  # sent to the cluster, and started on a worker or still waiting for one
            started = sum(1 for j in self.running if self.where(j))
            waiting = len(self.running) - started
            running = f"{started} running" + (f", {waiting} queued" if waiting else "")
        lines.append(f"batch {bar(int(frac), 30)} {done}/{total} done" + (f", {failed} failed" if failed else "")
                     + f", {running}  {times}")
        self._erase()
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        self.drawn = len(lines)

    def _erase(self) -> None:
        if self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def clear(self) -> None:
        if self.tty:
            self._erase()
            self.stream.flush()
