"""The cut report: how an output's video was made, in numbers a user can read.

``video`` is "copy", "smart" or "encode" ("" for an audio output); for a smart cut, the seconds
re-encoded at the head (before the first copied frame) and at the tail (after the last), the
seconds copied, and the PSNR of the re-encoded ends' boundary frames against the decoded source.
A joined output adds up its segments. ``reason`` says why the video was re-encoded whole.
The export puts one in its ClipResult; ``preview.py`` makes the same numbers without the PSNR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .plan import SegmentPlan


@dataclass(frozen=True, slots=True)
class CutReport:
    video: str
    reencode_head: Fraction = Fraction(0)  # seconds
    reencode_tail: Fraction = Fraction(0)
    copy: Fraction = Fraction(0)
    boundary_psnr: float | None = None  # the lowest, dB (None when nothing was measured)
    boundary_frames: int = 0  # how many frames were measured
    reason: str = ""

    def to_dict(self) -> dict:
        d = {"video": self.video, "reencode_head": _s(self.reencode_head), "reencode_tail": _s(self.reencode_tail),
             "copy": _s(self.copy)}
        if self.video == "smart":
            psnr = self.boundary_psnr
            d["boundary_psnr"] = None if psnr is None else ("inf" if math.isinf(psnr) else round(psnr, 2))
            d["boundary_frames"] = self.boundary_frames
        if self.reason:
            d["reason"] = self.reason
        return d


def cut_report(video: str, plans: Sequence[SegmentPlan], tb: Fraction | None, *, reason: str = "",
               psnr: Sequence[float] = ()) -> CutReport:
    """The report of an output made of ``plans`` (PTS in ``tb``) as ``video`` says."""
    if not video or tb is None:
        return CutReport(video, reason=reason)
    if video == "encode":
        total = sum((p.end - p.start for p in plans), 0)
        return CutReport(video, reencode_head=total * tb, reason=reason)
    head = sum((p.head for p in plans), 0) * tb
    tail = sum((p.tail for p in plans), 0) * tb
    copied = sum((p.copied for p in plans), 0) * tb
    return CutReport(video, head, tail, copied, min(psnr) if psnr else None, len(psnr), reason)


def _s(t: Fraction) -> float:
    return round(float(t), 6)
