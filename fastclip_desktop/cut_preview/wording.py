"""What a cut preview says, free of Qt: the export panel's sentence and the segment list's cell.

    Re-encodes 1.4 s at the start and 0.6 s at the end, copies 27.9 s.        (a smart cut)
    Copies all 30.0 s, nothing re-encoded.                                    (on keyframes)
    Starts 0.50 s early, on the keyframe at 0:12.000. Copies all 30.5 s, ...  (keyframe mode)
    Re-encodes all 30.0 s: scaled to 720p.                                    (and the engine's reason)

Seconds read with one decimal (two under a tenth: one frame is "0.03 s", not "0.0 s").
"""

from __future__ import annotations

from collections.abc import Sequence

from engine import CutPreview, clock_text

EARLY = 1e-6  # seconds: a start moved less than this did not move (float noise)


def seconds_text(t) -> str:
    t = float(t)
    if t <= 0:
        return "0 s"
    return f"{t:.2f} s" if t < 0.095 else f"{t:.1f} s"


def moved_by(p: CutPreview, asked_start: float, keyframe: bool = True) -> float:
    """How much earlier than asked a keyframe cut really starts (0 when it starts where asked). A
    precise cut starts on the frame shown at the time asked: that is where it was asked to start."""
    if not keyframe:
        return 0.0
    early = float(asked_start) - float(p.start)
    return early if early > EARLY else 0.0


def clip_sentence(p: CutPreview, asked_start: float, *, keyframe: bool = False, joined: bool = False) -> str:
    """What one output's cut does, in a sentence or two (``keyframe``: a keyframe-mode cut)."""
    early = moved_by(p, asked_start, keyframe)
    lead = f"Starts {early:.2f} s early, on the keyframe at {clock_text(float(p.start))}. " if early else ""
    total = p.reencode_head + p.reencode_tail + p.copy
    if p.video == "encode":
        return f"{lead}Re-encodes all {seconds_text(total)}" + (f": {p.reason}." if p.reason else ".")
    if p.video == "copy" or not (p.reencode_head or p.reencode_tail):
        return f"{lead}Copies all {seconds_text(total)}, nothing re-encoded."
    at_start = "the segments' starts" if joined else "the start"
    at_end = ("their ends" if p.reencode_head else "the segments' ends") if joined else "the end"
    ends = [f"{seconds_text(t)} at {where}" for t, where in ((p.reencode_head, at_start), (p.reencode_tail, at_end)) if t]
    return f"{lead}Re-encodes {' and '.join(ends)}, copies {seconds_text(p.copy)}."


def clips_sentence(previews: Sequence[CutPreview | str], asked_starts: Sequence[float], *,
                   keyframe: bool = False) -> str:
    """What the cuts of several separate clips do, in all (each one's detail is in the segment list)."""
    done = [(p, a) for p, a in zip(previews, asked_starts, strict=True) if not isinstance(p, str)]
    if not done:
        return next((p for p in previews if isinstance(p, str)), "")
    n = len(previews)
    reencoded = sum((p.reencode_head + p.reencode_tail for p, _ in done), 0)
    copied = sum((p.copy for p, _ in done), 0)
    if not reencoded:
        text = f"{n} clips: copies all {seconds_text(copied)}, nothing re-encoded."
    elif not copied:
        reason = next((p.reason for p, _ in done if p.reason), "")
        text = f"{n} clips: re-encodes all {seconds_text(reencoded)}" + (f": {reason}." if reason else ".")
    else:
        text = f"{n} clips: re-encodes {seconds_text(reencoded)} at the cuts, copies {seconds_text(copied)}."
    early = [moved_by(p, a, keyframe) for p, a in done if moved_by(p, a, keyframe)]
    if early:
        who = "1 starts" if len(early) == 1 else f"{len(early)} start"
        text += f" {who} up to {max(early):.2f} s early, on a keyframe."
    return text


def cell_text(p: CutPreview, asked_start: float, keyframe_mode: bool) -> str:
    """The segment list's short word on a cut, under a header that names it: in keyframe mode where
    the cut starts ("0:03.500 (0.50 s earlier)"), in precise mode what it re-encodes at the start +
    at the end ("1.4 s + 0.6 s"; "nothing", or "all" when it is re-encoded whole)."""
    if keyframe_mode:
        early = moved_by(p, asked_start, keyframe_mode)
        text = clock_text(float(p.start)) + (f" ({early:.2f} s earlier)" if early else "")
        return text + (", re-encoded" if p.video == "encode" else "")
    if p.video == "encode":
        return "all"
    if p.video == "copy" or not (p.reencode_head or p.reencode_tail):
        return "nothing"
    return f"{seconds_text(p.reencode_head)} + {seconds_text(p.reencode_tail)}"


def export_sentence(outputs, previews: Sequence[CutPreview | str | None], *, keyframe: bool = False,
                    joined: bool = False) -> str | None:
    """What the export panel says of the cuts of ``outputs`` (each a tuple of (start, end)), or None
    while a preview is not known yet."""
    if not previews or any(p is None for p in previews):
        return None
    if len(previews) == 1:
        [p] = previews
        return p if isinstance(p, str) else clip_sentence(p, outputs[0][0][0], keyframe=keyframe, joined=joined)
    return clips_sentence(previews, [out[0][0] for out in outputs], keyframe=keyframe)
