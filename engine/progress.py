"""Progress events yielded by every long engine operation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Progress:
    """One step of a long operation: ``done`` out of ``total`` in ``stage``."""

    stage: str
    done: float
    total: float
    message: str = ""

    @property
    def fraction(self) -> float:
        if self.total <= 0:
            return 0.0
        return min(1.0, max(0.0, self.done / self.total))


def job_status(p: Progress) -> tuple[str, int]:
    """A long operation's step as a job's (status, progress 0-99), the API's status model."""
    return ("uploading" if p.stage == "uploading" else "processing", min(99, int(p.fraction * 100)))


def relay(gen, event):
    """Drive the Progress generator ``gen``; yield ``event(status, progress, message)`` per step.

    Returns ``gen``'s return value, so a caller writes ``result = yield from relay(gen, ...)``.
    """
    while True:
        try:
            p = next(gen)
        except StopIteration as done:
            return done.value
        yield event(*job_status(p), p.message)


def drain(gen):
    """Run a generator to its end (for a caller that reports through callbacks); return its value."""
    while True:
        try:
            next(gen)
        except StopIteration as done:
            return done.value
