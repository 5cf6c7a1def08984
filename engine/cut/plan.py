"""Pure cut planning: a segment's video packets + the segment + a mode -> steps.

No I/O here. ``scan.py`` reads the packets around a segment from the file (and the keyframe
index holds them for a whole file: ``preview.py`` plans from it without opening the file); this
module decides which frames are copied as they are and which re-encoded, and where the output
really starts and ends. Packets come in decode order with their flags (random-access picture,
leading picture: :mod:`engine.media.packets`).

A frame-accurate ("precise") smart cut of [S, E) is at most three steps, in output order:

* ``Encode [S, C0)``: the frames before the first random-access picture (RAP) r shown at or after
  S, INCLUDING r's leading pictures that are shown before r;
* ``Copy``: r and the packets after it in decode order, without r's leading pictures that need
  the GOP before r (RASL; RADL ones are kept when all of them are at or after S: C0 is then the
  first of them). The copy runs on past later RAPs (their leading pictures find their
  references: the GOP before them is copied too) up to the LAST decode-order position, before
  any packet shown at or after E, where the copied frames are a gap-free run [C0, X): with
  B-frames that is at most a mini-GOP before E, without (VP9, baseline H.264) E itself;
* ``Encode [X, E)``: the rest, decoding from the last RAP at or before X.

Keyframe mode copies from the RAP at or before S, without its leading pictures, the same way.
Every time is a PTS in the video stream's time base.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from ..media.packets import VideoPacket


@dataclass(frozen=True, slots=True)
class Encode:
    """Decode from the RAP shown at ``decode_from`` and re-encode the frames shown in [start, end)."""

    start: int
    end: int
    decode_from: int

    kind = "encode"


@dataclass(frozen=True, slots=True)
class Copy:
    """Copy ``packets`` (their PTS, in decode order; the first is the RAP): the frames [start, end).

    ``radl``: the RAP's decodable leading pictures are among them (shown from ``start`` on);
    ``idr``: the RAP starts a new sequence as it is (else the copy rewrites it: ``splice.py``).
    """

    start: int
    end: int
    packets: tuple[int, ...]
    radl: bool = False
    idr: bool = True

    kind = "copy"

    @property
    def rap(self) -> int:
        return self.packets[0]


Step = Encode | Copy


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    """The source span [start, end) that goes to the output, and how."""

    start: int  # first PTS shown (the output's 0 for this segment)
    end: int  # PTS at which the segment ends (exclusive)
    steps: tuple[Step, ...]

    @property
    def encoded(self) -> int:
        """PTS span re-encoded (what a cut costs)."""
        return self.head + self.tail

    @property
    def head(self) -> int:
        """PTS span re-encoded before the first copied frame (all of it when nothing is copied)."""
        n = 0
        for s in self.steps:
            if s.kind == "copy":
                break
            n += s.end - s.start
        return n

    @property
    def tail(self) -> int:
        """PTS span re-encoded after the last copied frame."""
        if not any(s.kind == "copy" for s in self.steps):
            return 0
        n = 0
        for s in reversed(self.steps):
            if s.kind == "copy":
                break
            n += s.end - s.start
        return n

    @property
    def copied(self) -> int:
        """PTS span copied."""
        return sum(s.end - s.start for s in self.steps if s.kind == "copy")


def decodable(packets: Sequence[VideoPacket]) -> list[VideoPacket]:
    """The packets a decoder that starts at the first RAP can show: from that RAP on, without its
    leading pictures that need the GOP before it (and without anything before it)."""
    first = next((i for i, p in enumerate(packets) if p.rap), None)
    if first is None:
        return []
    out = [packets[first]]
    in_first_gop = True
    for p in packets[first + 1:]:
        if p.rap:
            in_first_gop = False
        elif in_first_gop and p.leading and not p.radl:
            continue
        out.append(p)
    return out


def shown_frames(packets: Sequence[VideoPacket]) -> list[int]:
    """PTS of the frames the packets show, sorted (see :func:`decodable`)."""
    return sorted(p.pts for p in decodable(packets))


def frame_at(shown: Sequence[int], pts: int) -> int | None:
    """The frame on screen at ``pts``: the last one shown at or before it (``shown`` sorted)."""
    i = bisect.bisect_right(shown, pts)
    return shown[i - 1] if i else None


def rap_at_or_before(packets: Sequence[VideoPacket], pts: int) -> int:
    """The RAP to start decoding at for the frame shown at ``pts``: the last RAP shown at or before
    it (decoding runs on through later RAPs, so their leading pictures decode too); the first RAP
    when none is."""
    raps = [p.pts for p in packets if p.rap]
    if not raps:
        raise ValueError("no random-access picture among the packets")
    before = [r for r in raps if r <= pts]
    return max(before) if before else raps[0]


def plan_keyframe(packets: Sequence[VideoPacket], start: int, end: int, *, reencode: bool = False) -> SegmentPlan:
    """Keyframe (lossless) mode: copy from the RAP at or before ``start``, without its leading
    pictures, up to the last gap-free point before a packet shown at or after ``end``.

    With ``reencode`` (a scaled or captioned output) the same span is decoded and re-encoded.
    """
    packets = decodable(packets)
    key = rap_at_or_before(packets, start)
    if reencode:
        return SegmentPlan(key, end, (Encode(key, end, key),))
    r = next(i for i, p in enumerate(packets) if p.rap and p.pts == key)
    shown = sorted(p.pts for p in packets)
    kept, x = _gap_free_copy(packets, r, key, end, shown, dropped=_leading_of(packets, r))
    return SegmentPlan(key, end, (Copy(key, x, kept, idr=packets[r].idr),))  # (the keyframe is always kept)


def plan_precise(packets: Sequence[VideoPacket], start: int, end: int, *, smart: bool) -> SegmentPlan:
    """Frame-accurate mode: the output starts on the frame on screen at ``start`` and shows every
    frame up to ``end``. With ``smart`` only the ends are re-encoded (see the module doc);
    otherwise all of it."""
    packets = decodable(packets)
    shown = sorted(p.pts for p in packets)
    first = frame_at(shown, start)
    s = start if first is None else first
    whole = SegmentPlan(s, end, (Encode(s, end, rap_at_or_before(packets, s)),))
    if not smart:
        return whole
    r = next((i for i, p in enumerate(packets) if p.rap and s <= p.pts < end), None)
    if r is None:
        return whole
    rap = packets[r]
    lead = _leading_of(packets, r)
    keep_radl = bool(lead) and all(packets[j].radl and packets[j].pts >= s for j in lead)
    c0 = min([rap.pts] + [packets[j].pts for j in lead]) if keep_radl else rap.pts
    kept, x = _gap_free_copy(packets, r, c0, end, shown, dropped=set() if keep_radl else set(lead))
    if not kept:
        return whole
    steps: list[Step] = []
    if s < c0:
        steps.append(Encode(s, c0, rap_at_or_before(packets, s)))
    steps.append(Copy(c0, x, kept, radl=keep_radl, idr=rap.idr))
    if x < end:
        steps.append(Encode(x, end, rap_at_or_before(packets, x)))
    return SegmentPlan(s, end, tuple(steps))


def _leading_of(packets: Sequence[VideoPacket], r: int) -> set[int]:
    """Indices of the leading pictures of the RAP at index ``r`` (they follow it in decode order)."""
    out = set()
    for j in range(r + 1, len(packets)):
        if packets[j].rap:
            break
        if packets[j].leading:
            out.add(j)
    return out


def _gap_free_copy(packets, r: int, c0: int, end: int, shown: list[int], *,
                   dropped: set[int]) -> tuple[tuple[int, ...], int]:
    """The longest decode-order run of packets from index ``r`` (``dropped`` left out), before any
    packet shown at or after ``end``, whose frames are exactly those shown in [c0, top]; its PTS and
    the frame after ``top`` (at most ``end``). Empty when there is none."""
    kept: list[int] = []
    best_n, top, best_top = 0, None, None
    base = bisect.bisect_left(shown, c0)
    for j in range(r, len(packets)):
        if j in dropped:
            continue
        pts = packets[j].pts
        if pts >= end:
            break
        kept.append(pts)
        top = pts if top is None else max(top, pts)
        if len(kept) == bisect.bisect_right(shown, top) - base:
            best_n, best_top = len(kept), top
    if not best_n:
        return (), c0
    i = bisect.bisect_right(shown, best_top)
    x = min(shown[i] if i < len(shown) else end, end)
    return tuple(kept[:best_n]), x


def decode_order(plan: SegmentPlan, shown: Sequence[int]) -> list[int]:
    """PTS of the plan's output packets in decode order: a copy's packets as they are, an encode's
    frames in presentation order (the boundary encoders make no B-frames). ``shown`` is sorted."""
    out: list[int] = []
    for st in plan.steps:
        if st.kind == "encode":
            out += shown[bisect.bisect_left(shown, st.start):bisect.bisect_left(shown, st.end)]
        else:
            out += st.packets
    return out


def output_dts(pts_in_decode_order: Sequence[int]) -> list[int]:
    """DTS for output packets: their PTS sorted, delayed by the least amount that keeps DTS <= PTS.

    The track then has the source's sample durations (a clean constant-rate track from a
    constant-rate source) whatever was dropped or re-encoded, instead of DTS gaps at each join.
    """
    order = sorted(pts_in_decode_order)
    if not order:
        return []
    delay = max(o - p for o, p in zip(order, pts_in_decode_order))
    return [o - delay for o in order]
