"""A one-line progress bar for a terminal (nothing when stderr is not one)."""

from __future__ import annotations

import shutil


class ProgressBar:
    def __init__(self, stream):
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._shown = False

    def show(self, ev) -> None:
        if not self.enabled:
            return
        width = max(10, min(40, shutil.get_terminal_size((80, 20)).columns - 50))
        filled = int(width * ev.progress / 100)
        job = f"clip {ev.index + 1}/{ev.count} " if ev.count > 1 else ""
        line = f"\r{job}[{'#' * filled}{'.' * (width - filled)}] {ev.progress:3d}% {ev.status_message[:30]}"
        self.stream.write(line.ljust(width + 50))
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * (shutil.get_terminal_size((80, 20)).columns - 1) + "\r")
            self.stream.flush()
            self._shown = False
