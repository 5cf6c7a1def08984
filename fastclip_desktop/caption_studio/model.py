"""Caption Studio's state, free of Qt: the presets, the one being looked at, its edited style.

The model lists the built-in presets and the library's custom ones, holds the preset selected and
the style being edited, and speaks to the engine for every rule: a field's value is checked by
``engine.captions.style.style_from_dict`` (its ``InvalidRequest`` message is kept per field in
``errors`` and the style keeps its last valid value), and presets are created, saved and deleted
through ``engine.captions.custom``. Built-ins are read-only (``editable`` is False); editing one
means duplicating it first.

Edits change ``style`` at once and mark the model ``dirty``; ``save()`` writes the whole style to the
custom preset (the panel calls it after a pause in the typing). Library calls are SQLite on the
caller's thread and take well under a millisecond.

``errors`` maps a style field (or "name" for a rename, "duplicate" for a refused copy,
"preset_ref" for the preset itself) to the engine's sentence.

Listeners get the set of what changed: "presets", "fonts", "selection", "style", "name", "errors",
"saved".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import (
    BUNDLED_FONTS,
    CaptionStyle,
    FastClipError,
    NotFound,
    create_preset,
    delete_preset,
    get_preset,
    list_fonts,
    list_presets,
    style_from_dict,
    update_preset,
)

from ..observable import Observable

BUNDLED, UPLOAD = "bundled", "upload"


@dataclass(frozen=True, slots=True)
class PresetEntry:
    """One line of the preset list."""

    ref: str
    name: str
    editable: bool


@dataclass(frozen=True, slots=True)
class FontChoice:
    """One font the picker offers: a bundled font by name, or an imported one by its id."""

    source: str  # BUNDLED | UPLOAD
    font_name: str  # what the style's font_name becomes
    font_id: str | None = None
    label: str = ""
    path: str | None = None  # the imported font's file

    @property
    def key(self) -> str:
        return self.font_id or self.font_name


def error_text(error: BaseException) -> str:
    """What the user reads for an error: the engine's sentence (never a traceback)."""
    if isinstance(error, FastClipError):
        return str(error)
    return f"unexpected error: {type(error).__name__}: {error}"


class CaptionStudioModel(Observable):
    def __init__(self, library):
        self.library = library
        Observable.__init__(self)
        self.presets: list[PresetEntry] = []
        self.fonts: list[FontChoice] = []
        self.ref: str | None = None
        self.name = ""
        self.editable = False
        self.style: CaptionStyle | None = None
        self.font_id: str | None = None
        self.errors: dict[str, str] = {}
        self.dirty = False
        self.reload()

    # -- observing ----------------------------------------------------------------------------------

    # -- what there is ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the presets and fonts again (after a change made elsewhere, e.g. by the CLI)."""
        self.presets = [PresetEntry(p.preset_ref, p.name, p.editable) for p in list_presets(self.library)]
        self.fonts = self._list_fonts()
        self._changed("presets", "fonts")
        if self.presets and (self.ref is None or not any(p.ref == self.ref for p in self.presets)):
            self.select(self.presets[0].ref)

    def _list_fonts(self) -> list[FontChoice]:
        choices = [FontChoice(BUNDLED, name, None, name) for name in BUNDLED_FONTS]
        for font in list_fonts(self.library):
            label = f"{font.full_name or font.family} (imported)"
            choices.append(FontChoice(UPLOAD, font.family, font.font_id, label, font.path))
        return choices

    def entry(self, ref: str) -> PresetEntry | None:
        return next((p for p in self.presets if p.ref == ref), None)

    @property
    def custom_presets(self) -> list[PresetEntry]:
        return [p for p in self.presets if p.editable]

    @property
    def font(self) -> FontChoice | None:
        """The picker's choice for the current style."""
        if self.style is None:
            return None
        if self.font_id is not None:
            return next((f for f in self.fonts if f.font_id == self.font_id), None)
        return next((f for f in self.fonts if f.source == BUNDLED and f.font_name == self.style.font_name), None)

    @property
    def font_file(self) -> Path | None:
        """The file the renderer draws with: an imported font's, or None (the renderer finds a bundled font)."""
        choice = self.font
        return Path(choice.path) if choice is not None and choice.path else None

    # -- choosing -----------------------------------------------------------------------------------

    def select(self, ref: str) -> bool:
        """Show the preset ``ref``: its name and style; pending edits of the previous one are saved first."""
        if self.dirty:
            self.save()
        try:
            preset = get_preset(ref, self.library)
        except FastClipError as e:
            self.errors = {"preset_ref": error_text(e)}
            self._changed("errors")
            return False
        self.ref, self.name, self.editable = preset.preset_ref, preset.name, preset.editable
        self.style, self.font_id = preset.style, getattr(preset, "font_id", None)
        self.errors, self.dirty = {}, False
        self._changed("selection", "style", "name", "errors")
        return True

    def duplicate(self, name: str) -> str | None:
        """A new custom preset called ``name``, a copy of the current one; the new ref, or None with
        the engine's reason in ``errors["duplicate"]``."""
        if self.ref is None:
            return None
        if self.dirty and not self.save():
            return None
        try:
            made = create_preset(self.library, {"name": name, "clone_from_preset_ref": self.ref})
        except FastClipError as e:
            self._set_error("duplicate", error_text(e))
            return None
        self.presets = [PresetEntry(p.preset_ref, p.name, p.editable) for p in list_presets(self.library)]
        self._changed("presets")
        self.select(made.preset_ref)
        return made.preset_ref

    def delete(self) -> bool:
        """Delete the current custom preset; the selection moves to its neighbour."""
        if self.ref is None or not self.editable:
            return False
        refs = [p.ref for p in self.presets]
        index = refs.index(self.ref) if self.ref in refs else 0
        try:
            delete_preset(self.library, self.ref)
        except NotFound:
            pass  # deleted elsewhere meanwhile: the same outcome
        except FastClipError as e:
            self._set_error("preset_ref", error_text(e))
            return False
        self.dirty = False
        self.presets = [PresetEntry(p.preset_ref, p.name, p.editable) for p in list_presets(self.library)]
        self._changed("presets")
        if self.presets:
            self.select(self.presets[min(index, len(self.presets) - 1)].ref)
        return True

    # -- editing ------------------------------------------------------------------------------------

    def edit(self, field: str, value) -> bool:
        """Set one style field; the engine checks it. False (and ``errors[field]``) when refused."""
        if not self._can_edit(field):
            return False
        try:
            style = style_from_dict({field: value}, base=self.style)
        except FastClipError as e:
            self._set_error(e.field or field, error_text(e))
            return False
        self._apply(style, self.font_id, field)
        return True

    def set_position(self, x: float, y: float) -> bool:
        """Where the caption's centre goes, as fractions of the frame (a drag on the preview)."""
        if not self._can_edit("position_x"):
            return False
        x, y = round(min(max(float(x), 0.0), 1.0), 3), round(min(max(float(y), 0.0), 1.0), 3)
        try:
            style = style_from_dict({"position_x": x, "position_y": y}, base=self.style)
        except FastClipError as e:
            self._set_error(e.field or "position_x", error_text(e))
            return False
        self._apply(style, self.font_id, "position_x", "position_y")
        return True

    def set_font(self, key: str) -> bool:
        """Use the font the picker offers under ``key`` (a bundled name or an imported font's id)."""
        if not self._can_edit("font_name"):
            return False
        choice = next((f for f in self.fonts if f.key == key), None)
        if choice is None:
            self._set_error("font_name", f"unknown font {key!r}")
            return False
        known = set(BUNDLED_FONTS) | {choice.font_name}
        try:
            style = style_from_dict({"font_name": choice.font_name}, base=self.style, fonts=known)
        except FastClipError as e:
            self._set_error("font_name", error_text(e))
            return False
        self._apply(style, choice.font_id, "font_name")
        return True

    def add_font(self, font) -> FontChoice | None:
        """An imported font (a ``CaptionFont``) joins the picker; the current custom preset starts using it."""
        self.fonts = self._list_fonts()
        self._changed("fonts")
        choice = next((f for f in self.fonts if f.font_id == font.font_id), None)
        if choice is not None and self.editable:
            self.set_font(choice.key)
        return choice

    def rename(self, name: str) -> bool:
        """Rename the current custom preset (saved at once; the engine checks the name)."""
        if not self._can_edit("name"):
            return False
        if self.dirty and not self.save():
            return False
        try:
            saved = update_preset(self.library, self.ref, {"name": name})
        except FastClipError as e:
            self._set_error("name", error_text(e))
            return False
        self.name = saved.name
        self.errors.pop("name", None)
        self.presets = [PresetEntry(p.ref, saved.name if p.ref == self.ref else p.name, p.editable)
                        for p in self.presets]
        self._changed("name", "presets", "errors")
        return True

    def save(self) -> bool:
        """Write the edited style to the custom preset (nothing to do when it is not dirty)."""
        if not self.dirty or self.ref is None or not self.editable:
            return True
        body = {k: v for k, v in self.style.to_dict().items() if k != "font_name"}
        if self.font_id is not None:
            body.update(font_source=UPLOAD, font_id=self.font_id)
        else:
            body["font_name"] = self.style.font_name
        try:
            saved = update_preset(self.library, self.ref, body)
        except FastClipError as e:
            self._set_error(e.field if e.field in self.style.to_dict() else "preset_ref", error_text(e))
            return False
        self.dirty = False
        self.style, self.font_id = saved.style, saved.font_id
        self._changed("saved")
        return True

    # -- inside -------------------------------------------------------------------------------------

    def _can_edit(self, field: str) -> bool:
        if self.style is None or self.ref is None:
            return False
        if not self.editable:
            self._set_error(field, f"{self.ref} is a built-in preset and read-only; duplicate it to change it")
            return False
        return True

    def _apply(self, style: CaptionStyle, font_id: str | None, *fields: str) -> None:
        cleared = [f for f in fields if f in self.errors]
        for f in cleared:
            del self.errors[f]
        changed = style != self.style or font_id != self.font_id
        self.style, self.font_id = style, font_id
        if changed:
            self.dirty = True
        self._changed(*(("style",) if changed else ()), *(("errors",) if cleared else ()))

    def _set_error(self, field: str, message: str) -> None:
        self.errors[field] = message
        self._changed("errors")

