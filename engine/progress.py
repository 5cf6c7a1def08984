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
