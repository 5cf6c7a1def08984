"""A moment: a span of a source worth a clip, as POST /v1/clip/analyze returns its segments."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Moment:
    """``start``/``end`` are exact seconds on the source's timeline (the millisecond grid);
    ``confidence`` is 0-1, calibrated (a span matching nothing scores low); ``reasons`` say in words
    why it was chosen ("matches the query", "a question and its answer", ...)."""

    start: Fraction
    end: Fraction
    excerpt: str
    confidence: float
    reasons: tuple[str, ...] = ()

    @property
    def duration(self) -> Fraction:
        return self.end - self.start

    def to_dict(self) -> dict:
        """The API's segment (``start``, ``end``, ``excerpt``, ``confidence``), with ``reasons`` beside."""
        return {"start": round(float(self.start), 3), "end": round(float(self.end), 3), "excerpt": self.excerpt,
                "confidence": round(float(self.confidence), 3), "reasons": list(self.reasons)}

    @classmethod
    def from_dict(cls, d: dict) -> Moment:
        return cls(_ms(d["start"]), _ms(d["end"]), str(d.get("excerpt") or ""), float(d.get("confidence") or 0.0),
                   tuple(d.get("reasons") or ()))


def _ms(seconds) -> Fraction:
    return Fraction(round(Fraction(str(seconds)) * 1000), 1000)
