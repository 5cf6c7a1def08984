"""An editor's work on one source, kept as it changes: the segments marked on its timeline, the
in/out marks, the cut mode, the export panel's choices, the playhead and the zoom.

One row per import in ``edit_states`` (the state as JSON), removed with the import. A state is
checked in the transaction that writes it, against the import's duration when it is known: a
rejected change raises InvalidRequest naming the field (``segments[2].end``) and leaves the
saved state as it was. The clip rules (0.5 s to 10 min a segment, at most 50 of them) are not
applied here: marks are a plan, and the clip request made from them is checked when exported.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import numbers
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import InvalidRequest, NotFound
from .database import Database, iso

MAX_MARKED_SEGMENTS = 1000
MAX_LABEL = 200
MAX_EXPORT_JSON = 64 * 1024  # bytes of the export panel's choices, as JSON
EDIT_MODES = ("precise", "keyframe")
# Float seconds from a player may overshoot the duration by a rounding error: kept, at the end.
END_SLACK = 0.001


@dataclass(frozen=True, slots=True)
class MarkedSegment:
    """A span marked on a source's timeline, in seconds, with an optional label."""

    start: float
    end: float
    label: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label}

    @classmethod
    def from_value(cls, value, field: str = "segment") -> MarkedSegment:
        """A MarkedSegment from itself, a ``(start, end[, label])`` sequence or a ``{start, end[, label]}``
        mapping (the values are checked when saved)."""
        if isinstance(value, MarkedSegment):
            return value
        if isinstance(value, Mapping):
            return cls(value.get("start"), value.get("end"), value.get("label") or "")
        if isinstance(value, (tuple, list)) and len(value) in (2, 3):
            return cls(value[0], value[1], (value[2] if len(value) == 3 else "") or "")
        raise InvalidRequest(f"{field} must be (start, end[, label]) or {{start, end, label}}, not {value!r}",
                             field=field)


@dataclass(frozen=True, slots=True)
class EditState:
    """What the editor shows for one source. ``export`` is the export panel's choices (format,
    quality, captions, join, folder, ...), kept as given; ``view`` is the timeline's visible span."""

    segments: tuple[MarkedSegment, ...] = ()
    in_point: float | None = None
    out_point: float | None = None
    mode: str | None = None
    export: dict = field(default_factory=dict, hash=False)
    playhead: float = 0.0
    view: tuple[float, float] | None = None
    updated_at: str | None = None  # when it was saved; None for a state never saved

    def to_dict(self) -> dict:
        """The state as JSON: ``segments`` [{start, end, label}], ``in``, ``out``, ``mode``, ``export``,
        ``playhead``, ``view`` ([start, end] or null) and ``updated_at``."""
        return {"segments": [s.to_dict() for s in self.segments], "in": self.in_point, "out": self.out_point,
                "mode": self.mode, "export": copy.deepcopy(self.export), "playhead": self.playhead,
                "view": None if self.view is None else list(self.view), "updated_at": self.updated_at}

    @classmethod
    def from_dict(cls, d: Mapping) -> EditState:
        """The state ``to_dict`` gave (missing keys take their defaults; unknown keys are ignored).
        Only the shape is checked here; the values are checked when the state is saved."""
        if not isinstance(d, Mapping):
            raise InvalidRequest("an edit state must be a JSON object", field="state")
        segments = d.get("segments") or ()
        if isinstance(segments, (str, bytes, Mapping)) or not isinstance(segments, Iterable):
            raise InvalidRequest("segments must be a list", field="segments")
        view = d.get("view")
        return cls(
            segments=tuple(MarkedSegment.from_value(s, f"segments[{i}]") for i, s in enumerate(segments)),
            in_point=d.get("in"), out_point=d.get("out"), mode=d.get("mode"),
            export={} if d.get("export") is None else d["export"],
            playhead=0.0 if d.get("playhead") is None else d["playhead"],
            view=tuple(view) if isinstance(view, (list, tuple)) else view,
            updated_at=d.get("updated_at"))


# -- the rules -------------------------------------------------------------------------------------


def check_edit_state(state: EditState, duration: float | None) -> EditState:
    """``state`` with every value checked and normalised (float seconds, segments sorted, labels
    stripped, a copy of ``export``), or InvalidRequest naming the field. ``duration`` is the
    source's, when known: no mark may lie past it. The playhead is where a player stopped: it is
    brought within the source, never refused for being outside it. ``in`` and ``out`` are two
    independent marks (the editor may set the out before the in)."""
    if not isinstance(state, EditState):
        raise InvalidRequest("give an EditState (or its to_dict())", field="state")
    if state.mode is not None and state.mode not in EDIT_MODES:
        raise InvalidRequest(f"mode must be one of {', '.join(EDIT_MODES)} (or none), not {state.mode!r}",
                             field="mode")
    in_point = None if state.in_point is None else check_time(state.in_point, "in", duration)
    out_point = None if state.out_point is None else check_time(state.out_point, "out", duration)
    playhead = _number(state.playhead, "playhead")
    playhead = max(0.0, playhead if duration is None else min(playhead, duration))  # where a player stopped
    return EditState(check_segments(state.segments, duration), in_point, out_point, state.mode,
                     _export(state.export), playhead, _view(state.view), state.updated_at)


def check_segments(segments, duration: float | None) -> tuple[MarkedSegment, ...]:
    """Marked segments checked, sorted by (start, end); errors name ``segments[i]`` in the order given."""
    if isinstance(segments, (str, bytes, Mapping)) or not isinstance(segments, Iterable):
        raise InvalidRequest("segments must be a list", field="segments")
    segments = list(segments)
    if len(segments) > MAX_MARKED_SEGMENTS:
        raise InvalidRequest(f"at most {MAX_MARKED_SEGMENTS} segments can be marked (not {len(segments)})",
                             field="segments")
    checked = []
    for i, value in enumerate(segments):
        where = f"segments[{i}]"
        s = MarkedSegment.from_value(value, where)
        start = check_time(s.start, f"{where}.start", duration)
        end = check_time(s.end, f"{where}.end", duration)
        if end <= start:
            raise InvalidRequest(f"segment {i + 1} must end after it starts (start {_s(start)}, end {_s(end)})",
                                 field=f"{where}.end")
        checked.append(MarkedSegment(start, end, check_label(s.label, f"{where}.label")))
    return tuple(sorted(checked, key=lambda m: (m.start, m.end)))


def check_time(value, where: str, duration: float | None) -> float:
    """A time in seconds on the source: finite, not negative, not past ``duration`` (a rounding
    error past it is taken as the end)."""
    t = _number(value, where)
    if t < 0:
        raise InvalidRequest(f"{where} must not be negative (it is {_s(t)})", field=where)
    if duration is not None:
        if t > duration + END_SLACK:
            raise InvalidRequest(f"{where} ({_s(t)} s) is past the end of the source ({_s(duration)} s)",
                                 field=where)
        t = min(t, float(duration))
    return t


def check_label(value, where: str = "label") -> str:
    """A segment's label: text of at most 200 characters, without control characters, stripped."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{where} must be text, not {value!r}", field=where)
    label = value.strip()
    if len(label) > MAX_LABEL:
        raise InvalidRequest(f"{where} can be at most {MAX_LABEL} characters (this one has {len(label)})",
                             field=where)
    if any(unicodedata.category(c) == "Cc" for c in label):
        raise InvalidRequest(f"{where} must be one line without control characters: {label!r}", field=where)
    return label


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidRequest(f"{where} must be a number of seconds, not {value!r}", field=where)
    return float(value)


def _view(view) -> tuple[float, float] | None:
    if view is None:
        return None
    if not isinstance(view, (tuple, list)) or len(view) != 2:
        raise InvalidRequest(f"view must be [start, end] or none, not {view!r}", field="view")
    start, end = _number(view[0], "view[0]"), _number(view[1], "view[1]")
    if not start < end:
        raise InvalidRequest(f"view must start before it ends (start {_s(start)}, end {_s(end)})", field="view")
    return start, end


def _export(export) -> dict:
    if not isinstance(export, Mapping):
        raise InvalidRequest(f"export must be a JSON object of the export panel's choices, not {export!r}",
                             field="export")
    if any(not isinstance(k, str) for k in export):
        raise InvalidRequest("export's keys must be text", field="export")
    try:
        text = json.dumps(dict(export), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as e:
        raise InvalidRequest(f"export must hold JSON values only ({e})", field="export") from None
    if len(text.encode()) > MAX_EXPORT_JSON:
        raise InvalidRequest(f"export is too large ({len(text.encode())} bytes as JSON; at most "
                             f"{MAX_EXPORT_JSON})", field="export")
    return json.loads(text)


def _s(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".")


# -- the records -----------------------------------------------------------------------------------


class EditRecords:
    """The edit state methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable

    def get_edit_state(self, file_id: str) -> EditState:
        """The saved state of an import; an empty EditState when none was saved (NotFound when
        there is no such import)."""
        row = self._db.row("SELECT m.file_id, e.state, e.updated_at FROM media m "
                           "LEFT JOIN edit_states e ON e.file_id = m.file_id WHERE m.file_id = ?", (file_id,))
        if row is None:
            raise NotFound(f"no import {file_id} in the library", field="file_id")
        if row["state"] is None:
            return EditState()
        try:
            return dataclasses.replace(EditState.from_dict(json.loads(row["state"])), updated_at=row["updated_at"])
        except (ValueError, InvalidRequest):  # written by hand, or by another version: nothing usable
            return EditState(updated_at=row["updated_at"])

    def save_edit_state(self, file_id: str, state: EditState | Mapping) -> EditState:
        """Replace the saved state (an EditState or its ``to_dict()``) in one transaction; return it
        as stored, with its ``updated_at``. InvalidRequest (nothing changed) or NotFound."""
        state = state if isinstance(state, EditState) else EditState.from_dict(state)
        with self._db.write() as conn:
            valid = check_edit_state(state, self._edit_duration(file_id))
            return self._write_edit_state(conn, file_id, valid)

    def set_segments(self, file_id: str, segments) -> EditState:
        """Replace only the marked segments (MarkedSegments, or ``(start, end[, label])`` tuples);
        the rest of the saved state stays as it is."""
        with self._db.write() as conn:
            checked = check_segments(segments, self._edit_duration(file_id))
            current = self.get_edit_state(file_id)
            return self._write_edit_state(conn, file_id, dataclasses.replace(current, segments=checked))

    def clear_segments(self, file_id: str) -> EditState:
        """Remove every marked segment (the rest of the saved state stays)."""
        return self.set_segments(file_id, ())

    def _edit_duration(self, file_id: str) -> float | None:
        row = self._db.row("SELECT duration FROM media WHERE file_id = ?", (file_id,))
        if row is None:
            raise NotFound(f"no import {file_id} in the library", field="file_id")
        return row["duration"]

    def _write_edit_state(self, conn, file_id: str, state: EditState) -> EditState:
        stored = dataclasses.replace(state, updated_at=iso(self._now()))
        d = stored.to_dict()
        del d["updated_at"]
        conn.execute("INSERT INTO edit_states (file_id, state, updated_at) VALUES (?, ?, ?) "
                     "ON CONFLICT (file_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                     (file_id, json.dumps(d, ensure_ascii=False, allow_nan=False), stored.updated_at))
        return stored


__all__ = ["EDIT_MODES", "MAX_LABEL", "MAX_MARKED_SEGMENTS", "EditRecords", "EditState", "MarkedSegment",
           "check_edit_state", "check_label", "check_segments", "check_time"]
