"""The export panel's state, free of Qt: the form, what the engine allows, and the ClipRequest it makes.

The form holds the open media (its file_id and MediaInfo), the segments to export (float seconds, as
the timeline gives them) and the user's choices: format, quality ("source" is no quality), cut mode,
captions preset, join, and destination (the library, or a folder). No rule is written here: every
question goes to ``engine.cut.request.validate``.

- **Which options are offered.** For each candidate option of a field, the current form with that
  option is validated. The option is refused when the engine refuses it *for that field*
  (``error.field``); its message is the option's tooltip. When the engine stops at another field
  first (say the captions, while checking a quality), that other field is set to its neutral value
  (no quality, no captions, not joined, or a one-second probe range for the segments) and the
  question is asked again, so each option is judged by its own rule.
- **What the form means.** A field with one allowed option left takes it (an audio format takes no
  quality, so quality shows "source" and its combo is disabled); the user's own choice is kept and
  comes back when it is allowed again. A format the open source refuses falls back to the engine's
  ``default_format``. Any other refused choice stays, and the engine's message is shown next to the
  field it names, with Export disabled.
- **The request** has ``source`` = the media's file_id (what the job queue's ``submit`` plans; the
  validation reads only the MediaInfo): one segment is a ``start``/``end`` range, several are
  ``segments`` with ``join``. ``out()`` is None for the library, or the folder with a trailing
  separator (``engine.cut.outputs`` then names one file per output inside it).

Listeners get the set of things that changed: "media", "segments", "choices", "presets", "errors".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from engine import (
    FORMATS,
    MODES,
    QUALITY_HEIGHTS,
    ClipRequest,
    FastClipError,
    MediaInfo,
    Segment,
    ValidClip,
    clock_text,
    default_format,
    picture_size,
    validate,
)

from ..observable import Observable

PRECISE, KEYFRAME = "precise", "keyframe"
SOURCE_QUALITY = "source"  # the form's name for "no quality": the source's size
CHOICES = ("format", "quality", "mode", "captions", "join")
FIELDS = (*CHOICES, "segments", "destination")  # where a message can be shown
GENERAL = "general"  # a message for no field in particular
NEUTRAL = {"quality": None, "captions": None, "join": False}  # values that ask nothing of the engine
PROBE_SPAN = 1.0  # seconds: the range options are judged on when the segments themselves are refused

FORMAT_LABELS = {"mp4": "MP4 video", "mp3": "MP3 audio", "wav": "WAV audio", "m4a": "M4A audio (AAC)",
                 "flac": "FLAC audio", "gif": "GIF animation"}
MODE_LABELS = {PRECISE: "Precise (frame-accurate)", KEYFRAME: "Keyframe (fast, no re-encode)"}
NO_MEDIA_HINT = "Open a file to export clips from it."
NO_SEGMENT_HINT = "No segment marked: set in and out (I, O) or add a segment (Enter) on the timeline."
JOIN_NEEDS_SEGMENTS = "Joining needs two or more segments."



@dataclass(frozen=True, slots=True)
class Option:
    """One entry of a field: its value (None for "source" quality and "no captions"), its label, and
    the engine's message when it refuses it (None when allowed)."""

    value: object
    label: str
    refusal: str | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def form_field(engine_field: str | None) -> str:
    """The form field next to which an error naming ``engine_field`` is shown."""
    if engine_field in ("format", "quality", "mode", "captions", "join"):
        return engine_field
    if engine_field in ("segments", "start", "end") or (engine_field or "").startswith("segments["):
        return "segments"
    if engine_field == "out":
        return "destination"
    return GENERAL


def duration_text(seconds: float) -> str:
    """m:ss (h:mm:ss past an hour), with tenths when there are any: "0:42", "1:02:03", "0:01.5"."""
    text = clock_text(seconds, 1)
    return text[:-2] if text.endswith(".0") else text


class ExportModel(Observable):
    def __init__(self, *, default_mode: str = PRECISE, default_folder: str | None = None):
        Observable.__init__(self)
        self.file_id: str | None = None
        self.info: MediaInfo | None = None
        self.segments: list[tuple[float, float]] = []
        self.pending: tuple[float, float] | None = None  # in and out set on the timeline, not added
        self.presets: list[tuple[str, str]] = []  # (preset_ref, label)
        self._choice: dict[str, object] = {"format": "mp4", "quality": None, "mode": default_mode,
                                           "captions": None, "join": False}
        self.default_folder = default_folder or None
        self.folder: str | None = self.default_folder  # None: the library
        self._submit_error: FastClipError | None = None
        self._evaluate()

    # -- observing ----------------------------------------------------------------------------------

    def _changed(self, *what: str) -> None:
        self._evaluate()
        super()._changed(*what)

    # -- what the main window and the user change ---------------------------------------------------

    def set_media(self, file_id: str | None, info: MediaInfo | None) -> None:
        self.file_id, self.info = (file_id, info) if file_id is not None and info is not None else (None, None)
        self._submit_error = None
        self._changed("media", "choices", "errors")

    def set_segments(self, segments: Sequence[tuple[float, float]]) -> None:
        self.segments = [(float(s), float(e)) for s, e in segments]
        self._submit_error = None
        self._changed("segments", "choices", "errors")

    def set_pending(self, span: tuple[float, float] | None) -> None:
        """In and out marked but not added: with no segment added, they are what Export makes."""
        span = None if span is None else (float(span[0]), float(span[1]))
        if span != self.pending:
            self.pending = span
            self._submit_error = None
            self._changed("segments", "choices", "errors")

    @property
    def spans(self) -> list[tuple[float, float]]:
        """What Export makes: the segments, or the in/out span when none was added."""
        if self.segments:
            return list(self.segments)
        return [self.pending] if self.pending is not None else []

    def choices(self) -> dict:
        """The user's choices as plain data (kept with the source's edit state); the cut mode is the
        editor's, kept apart."""
        return {"format": self._choice["format"], "quality": self._choice["quality"],
                "captions": self._choice["captions"], "join": bool(self._choice["join"]), "folder": self.folder}

    def restore_choices(self, choices: dict) -> None:
        """Put back what ``choices`` returned (for a source opened again); unknown keys are ignored,
        and a choice the engine refuses now shows its reason as any other would."""
        for field in ("format", "quality", "captions", "join"):
            if field in choices:
                value = choices[field]
                self._choice[field] = bool(value) if field == "join" else value
        if "folder" in choices:
            self.folder = choices["folder"] or None
        self._submit_error = None
        self._changed("choices", "errors")

    def set_presets(self, presets: Sequence[tuple[str, str]]) -> None:
        """The caption presets to offer: (preset_ref, label), built-ins then custom ones."""
        self.presets = [(str(ref), str(label)) for ref, label in presets]
        self._changed("presets", "choices", "errors")

    def load_presets(self, library=None) -> None:
        """Read the built-in and custom presets (``engine.captions.custom.list_presets``)."""
        from engine import list_presets

        self.set_presets([(p.preset_ref, p.name if p.scope == "built_in" else f"{p.name} (custom)")
                          for p in list_presets(library)])

    def choose(self, field: str, value) -> None:
        """The user picked ``value`` for one of CHOICES (None: source quality / no captions)."""
        if field not in CHOICES:
            raise KeyError(field)
        if field == "quality" and value == SOURCE_QUALITY:
            value = None
        self._choice[field] = bool(value) if field == "join" else value
        self._submit_error = None
        self._changed("choices", "errors")

    def set_destination(self, folder: str | os.PathLike | None) -> None:
        """None: the library; else a folder."""
        self.folder = os.fspath(folder) if folder else None
        self._submit_error = None
        self._changed("choices", "errors")

    def set_defaults(self, cut_mode: str | None = None, export_folder: str | None = None) -> None:
        """The library's settings ``default_cut_mode`` and ``default_export_folder`` ("" = the library)."""
        if cut_mode is not None:
            self._choice["mode"] = cut_mode
        if export_folder is not None:
            self.default_folder = export_folder or None
            self.folder = self.default_folder
        self._changed("choices", "errors")

    def set_submit_error(self, error: FastClipError | None) -> None:
        """An error the job queue raised on submit; shown until the form changes."""
        self._submit_error = error
        self._changed("errors")

    # -- what the view shows ------------------------------------------------------------------------

    def value(self, field: str):
        """The value a field shows (a locked field shows the one option the engine allows)."""
        return self._state[field]

    def choice(self, field: str):
        """What the user chose for a field (kept while the field is locked to something else)."""
        return self._choice[field]

    def options(self, field: str) -> list[Option]:
        return self._options[field]

    def field_enabled(self, field: str) -> bool:
        """Whether the user has a choice to make there: media is open and 2+ options are allowed."""
        if self.info is None:
            return False
        if field == "join":
            return self._options["join"][1].allowed
        return sum(o.allowed for o in self._options[field]) > 1

    @property
    def messages(self) -> dict[str, str]:
        """Field (one of FIELDS, or GENERAL) -> the engine's message to show next to it."""
        return dict(self._messages)

    @property
    def valid(self) -> ValidClip | None:
        return self._valid

    @property
    def can_export(self) -> bool:
        return self._valid is not None

    @property
    def hint(self) -> str:
        if self.info is None:
            return NO_MEDIA_HINT
        if not self.spans:
            return NO_SEGMENT_HINT
        return ""

    def request(self) -> ClipRequest | None:
        """The request to submit (source = file_id), or None when there is nothing valid to export."""
        return self._request if self._valid is not None else None

    def out(self) -> str | None:
        """The ``out`` of the job queue's submit: None for the library, else the folder + separator."""
        if self.folder is None:
            return None
        return self.folder if self.folder.endswith(("/", os.sep)) else self.folder + os.sep

    @property
    def summary(self) -> str:
        """"3 clips, 0:42 total, mp4 1920×1080"; "" when invalid. The cut mode is the combo's to show,
        and what the cut does (where a keyframe cut starts, what is re-encoded) the cut preview's,
        beneath: it knows the keyframes."""
        clip, info = self._valid, self.info
        if clip is None or info is None:
            return ""
        total = duration_text(float(sum(e - s for s, e in clip.segments)))
        if clip.join:
            clips = f"1 clip joined from {len(clip.segments)} segments, {total}"
        elif len(clip.outputs) == 1:
            clips = f"1 clip, {total}"
        else:
            clips = f"{len(clip.outputs)} clips, {total} total"
        what = clip.format
        size = picture_size(info, clip)
        if size is not None:
            what += f" {size[0]}×{size[1]}"
            if clip.quality and clip.height is None:
                what += f" (the source's size: {clip.quality} is larger, and nothing is upscaled)"
        captions = ""
        if clip.captions:
            captions = ", captions " + next((label for ref, label in self.presets if ref == clip.captions),
                                            clip.captions)
        return f"{clips}, {what}{captions}"

    @property
    def export_text(self) -> str:
        """The Export button's words: what pressing it makes."""
        clip = self._valid
        if clip is None:
            return "Export"
        if len(clip.outputs) == 1 and len(clip.segments) == 1:
            (start, end), = clip.segments
            return f"Export {clock_text(float(start))} → {clock_text(float(end))}"
        if clip.join:
            return f"Export 1 clip ({len(clip.segments)} joined)"
        return f"Export {len(clip.outputs)} clips"

    @property
    def captions_note(self) -> str:
        """Why no caption preset can be chosen for this export (an audio format, a GIF, an audio
        source), in the engine's words; "" when presets can be chosen."""
        presets = [o for o in self._options.get("captions", ()) if o.value is not None]
        if self.info is None or not presets or any(o.allowed for o in presets):
            return ""
        return presets[0].refusal or ""

    # -- asking the engine --------------------------------------------------------------------------

    def _candidates(self, field: str) -> list[tuple[object, str]]:
        if field == "format":
            return [(f, FORMAT_LABELS.get(f, f)) for f in FORMATS]
        if field == "quality":
            return [(None, "Source"), *((q, q) for q in QUALITY_HEIGHTS)]
        if field == "mode":
            return [(m, MODE_LABELS.get(m, m)) for m in MODES]
        if field == "captions":
            return [(None, "None"), *self.presets]
        return [(False, "Separate clips"), (True, "Join into one clip")]

    def _sized(self, option: Option, state: dict) -> Option:
        """A quality option labelled with the picture size it will really give."""
        if not option.allowed:
            return option
        try:
            clip = validate(self._build({**state, "quality": option.value}, self.spans or self._probe_segments()),
                            self.info)
        except FastClipError:
            return option
        size = picture_size(self.info, clip)
        return option if size is None else Option(option.value, f"{option.label} · {size[0]}×{size[1]}")

    def _build(self, state: dict, segments: list[tuple[float, float]]) -> ClipRequest:
        common = {"source": self.file_id or "", "format": state["format"], "quality": state["quality"],
                  "mode": state["mode"], "captions": state["captions"]}
        if len(segments) == 1:
            (start, end), = segments
            return ClipRequest(start=start, end=end, **common)
        return ClipRequest(segments=tuple(Segment(s, e) for s, e in segments), join=bool(state["join"]),
                           **common)

    def _probe_segments(self) -> list[tuple[float, float]]:
        return [(0.0, min(PROBE_SPAN, float(self.info.duration)))]

    def _refusal(self, state: dict, field: str, value) -> str | None:
        """The engine's message when it refuses ``value`` for ``field`` in the form ``state``."""
        state = {**state, field: value}
        segments = self.spans or self._probe_segments()
        for _ in range(len(NEUTRAL) + 2):
            try:
                clip = validate(self._build(state, segments), self.info)
            except FastClipError as e:
                where = form_field(e.field)
                if where == field:
                    return str(e)
                if where in NEUTRAL and state[where] != NEUTRAL[where]:
                    state[where] = NEUTRAL[where]  # stopped at another choice: judge this one alone
                    continue
                if where == "segments" and segments != self._probe_segments():
                    segments = self._probe_segments()
                    continue
                return None  # refused for something this option does not decide
            if field == "join" and value and not clip.join:
                return JOIN_NEEDS_SEGMENTS
            return None
        return None

    def _evaluate(self) -> None:
        state = dict(self._choice)
        self._options: dict[str, list[Option]] = {}
        if self.info is None:
            self._options = {f: [Option(v, label) for v, label in self._candidates(f)] for f in CHOICES}
            self._state, self._messages, self._valid, self._request = state, {}, None, None
            return
        for field in CHOICES:  # in the engine's order: format first, as the others depend on it
            options = [Option(v, label, self._refusal(state, field, v)) for v, label in self._candidates(field)]
            allowed = [o for o in options if o.allowed]
            current = next((o for o in options if o.value == state[field]), None)
            if current is None or not current.allowed:
                if field == "format" and any(o.value == default_format(self.info) for o in allowed):
                    state[field] = default_format(self.info)
                elif len(allowed) == 1 or (current is None and allowed):
                    state[field] = allowed[0].value
            if field == "quality":
                options = [self._sized(o, state) for o in options]
            self._options[field] = options
        self._state = state
        self._messages, self._valid, self._request = {}, None, None
        if self.spans:
            self._request = self._build(state, self.spans)
            try:
                self._valid = validate(self._request, self.info)
            except FastClipError as e:
                self._messages[form_field(e.field)] = str(e)
        if self._submit_error is not None:
            self._messages[form_field(self._submit_error.field)] = str(self._submit_error)
