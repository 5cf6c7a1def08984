"""Custom caption presets and imported fonts, on top of the library.

A custom preset (``preset:<preset_id>``) is made by cloning a preset (``clone_from_preset_ref``,
built-in or custom) and overriding style fields; it is saved in the library, can be changed and
deleted. Built-in presets (``builtin:<slug>``) are read-only. Every field is checked by
:class:`CaptionStyle`, so an unknown field, a colour that is not ``#rrggbb`` or a size out of
range is an ``InvalidRequest`` naming the field.

A style's ``font_name`` is a bundled font, or an imported font named by its ``font_id``, family
or full name (a body may also give ``font_source: "upload"`` with ``font_id``, as the API does).
A preset that uses an imported font keeps its ``font_id``; :func:`resolve_preset` gives the
burn-in and the previews the style and that font's file.

Fonts are imported by :func:`import_font`: a TTF or OTF of at most 10 MB, checked in a worker
process (``font_check``), copied into the library's ``fonts/`` folder as ``<font_id>.<format>``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import atomic_output, remove_stale_temps
from ..errors import Conflict, Gone, InvalidRequest, NotFound, ProcessingFailed
from ..library import Library
from ..library.captions import new_font_id
from .font_check import MAX_FONT_BYTES, check_font_file, font_format
from .fonts import BUNDLED_FONTS
from .presets import Preset, builtin_presets, get_builtin
from .style import STYLE_FIELDS, CaptionStyle, style_from_dict

SCOPES = ("all", "built_in", "custom")
FONT_SOURCES = ("bundled", "upload")
_PRESET_KEYS = ("name", "clone_from_preset_ref", "font_source", "font_id")
_READ_ONLY = ("preset_ref", "preset_id", "scope", "slug", "editable", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class CustomPreset:
    """A saved custom preset: the same shape as a built-in :class:`Preset`, plus where it came from."""

    preset_ref: str
    preset_id: str
    name: str
    clone_from_preset_ref: str
    style: CaptionStyle
    font_id: str | None
    created_at: str
    updated_at: str
    scope: str = "custom"
    editable: bool = True
    slug: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset_ref": self.preset_ref, "scope": "custom", "slug": None, "name": self.name, "editable": True,
            "preset_id": self.preset_id, "clone_from_preset_ref": self.clone_from_preset_ref,
            "font_source": "upload" if self.font_id else "bundled", "font_id": self.font_id,
            "created_at": self.created_at, "updated_at": self.updated_at, **self.style.to_dict(),
        }


AnyPreset = Preset | CustomPreset


# ------------------------------------------------------------------------------------------ presets


def _custom_id(ref) -> str | None:
    """The preset_id of a custom ref (``preset:<id>`` or a bare ``cap_preset_…``), else None."""
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidRequest("a preset ref must look like builtin:<slug> or preset:<id>", field="preset_ref")
    ref = ref.strip()
    if ref.startswith("preset:"):
        return ref.removeprefix("preset:")
    return ref if ref.startswith("cap_preset_") else None


def _custom(record) -> CustomPreset:
    values = {k: v for k, v in record.style.items() if k in STYLE_FIELDS}
    return CustomPreset(record.preset_ref, record.preset_id, record.name, record.cloned_from, CaptionStyle(**values),
                        record.font_id, record.created_at, record.updated_at)


def get_preset(ref: str, library=None) -> AnyPreset:
    """The preset ``ref`` names: ``builtin:<slug>`` (or a bare slug) or ``preset:<id>``."""
    preset_id = _custom_id(ref)
    if preset_id is None:
        return get_builtin(ref.strip())
    with _opened(library) as lib:
        return _custom(lib.get_caption_preset(preset_id))


def list_presets(library=None, scope: str = "all") -> list[AnyPreset]:
    """Built-ins in catalogue order, then custom presets oldest first; ``scope`` picks one kind."""
    if scope not in SCOPES:
        raise InvalidRequest(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}", field="scope")
    found: list[AnyPreset] = list(builtin_presets()) if scope in ("all", "built_in") else []
    if scope in ("all", "custom"):
        with _opened(library) as lib:
            found += [_custom(r) for r in lib.list_caption_presets()]
    return found


def create_preset(library, body: Mapping[str, Any]) -> CustomPreset:
    """Save a custom preset from the API's body: ``name``, ``clone_from_preset_ref`` and any style
    fields to override (and optionally ``font_source``/``font_id``)."""
    body = _check_body(body)
    for key in ("name", "clone_from_preset_ref"):
        if key not in body:
            raise InvalidRequest(f"{key} is required to create a custom preset", field=key)
    source = body["clone_from_preset_ref"]
    try:
        base = get_preset(source, library)
    except NotFound as e:
        raise NotFound(e.message, field="clone_from_preset_ref") from None
    except InvalidRequest as e:
        raise InvalidRequest(e.message, field="clone_from_preset_ref") from None
    style, font_id = _styled(library, base.style, getattr(base, "font_id", None), body)
    record = library.add_caption_preset(name=body["name"], cloned_from=base.preset_ref, style=style.to_dict(),
                                        font_id=font_id)
    return _custom(record)


def update_preset(library, ref: str, body: Mapping[str, Any]) -> CustomPreset:
    """Change a custom preset's ``name`` and/or style fields; built-ins are read-only (``Conflict``)."""
    body = _check_body(body)
    if "clone_from_preset_ref" in body:
        raise InvalidRequest("clone_from_preset_ref is fixed when a preset is created", field="clone_from_preset_ref")
    current = _editable(library, ref)
    style_keys = [k for k in body if k != "name"]
    if not style_keys and "name" not in body:
        raise InvalidRequest("nothing to change: give a name or style fields", field="preset_ref")
    style = font_id = None
    if style_keys:
        new_style, font_id = _styled(library, current.style, current.font_id, body)
        style = new_style.to_dict()
    record = library.update_caption_preset(current.preset_id, name=body.get("name"), style=style, font_id=font_id)
    return _custom(record)


def delete_preset(library, ref: str) -> CustomPreset:
    """Delete a custom preset; built-ins are read-only (``Conflict``)."""
    current = _editable(library, ref)
    library.delete_caption_preset(current.preset_id)
    return current


def resolve_preset(ref: str, library=None) -> tuple[CaptionStyle, Path | None]:
    """What the burn-in and the previews draw with: the preset's style, and the file of its font
    when that is an imported one (``None``: the renderer finds the bundled font by name)."""
    preset = get_preset(ref, library)
    font_id = getattr(preset, "font_id", None)
    if font_id is None:
        return preset.style, None
    with _opened(library) as lib:
        try:
            font = lib.get_caption_font(font_id)
        except NotFound:
            raise Gone(f"the font of {preset.preset_ref} ({font_id}) is no longer in the library",
                       field="font_id") from None
    path = Path(font.path)
    if not path.is_file():
        raise Gone(f"the font file of {font.family} ({font_id}) is missing from {path.parent}", field="font_id")
    return preset.style, path


def _editable(library, ref: str) -> CustomPreset:
    preset = get_preset(ref, library)
    if isinstance(preset, Preset):
        raise Conflict(f"{preset.preset_ref} is a built-in preset and read-only; clone it into a custom "
                       f"preset to change it", field="preset_ref")
    return preset


def _check_body(body) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise InvalidRequest("a preset must be given as an object of fields", field="body")
    for key in body:
        if key in _READ_ONLY:
            raise InvalidRequest(f"{key} is set by the library and cannot be given", field=str(key))
        if key not in _PRESET_KEYS and key not in STYLE_FIELDS:
            raise InvalidRequest(f"unknown caption preset field {key!r}", field=str(key))
    return dict(body)


def _styled(library, base: CaptionStyle, base_font_id: str | None,
            body: Mapping[str, Any]) -> tuple[CaptionStyle, str | None]:
    """``base`` with the body's style fields applied, and the font id the result uses."""
    overrides = {k: v for k, v in body.items() if k in STYLE_FIELDS}
    font_id = base_font_id
    source = body.get("font_source")
    if source is not None and source not in FONT_SOURCES:
        raise InvalidRequest(f"font_source must be bundled or upload, not {source!r}", field="font_source")
    if source == "upload" and "font_id" not in body:
        raise InvalidRequest("font_source upload needs the font_id of an imported font", field="font_id")
    if "font_id" in body and body["font_id"] is not None:
        if source == "bundled":
            raise InvalidRequest("font_id names an imported font; font_source bundled cannot use it", field="font_id")
        font = _imported_by_id(library, body["font_id"])
        if "font_name" in overrides and overrides["font_name"] not in (font.font_id, font.family, font.full_name):
            raise InvalidRequest(f"font_name {overrides['font_name']!r} is not the font {font.font_id} "
                                 f"({font.family})", field="font_name")
        overrides["font_name"], font_id = font.family, font.font_id
    elif "font_name" in overrides:
        overrides["font_name"], font_id = _font_by_name(library, overrides["font_name"], source)
    elif source == "bundled" and font_id is not None:
        raise InvalidRequest("font_source bundled needs a font_name of a bundled font", field="font_name")
    names = set(BUNDLED_FONTS) | {overrides.get("font_name", base.font_name)}
    return style_from_dict(overrides, base=base, fonts=names), font_id


def _imported_by_id(library, font_id):
    if not isinstance(font_id, str):
        raise InvalidRequest(f"font_id must be the id of an imported font, not {font_id!r}", field="font_id")
    try:
        return library.get_caption_font(font_id.strip())
    except NotFound:
        raise InvalidRequest(f"no imported font {font_id!r} (see fastclip fonts list)", field="font_id") from None


def _font_by_name(library, name, source: str | None) -> tuple[Any, str | None]:
    """(font_name, font_id) for a font named by the user: bundled first, then imported fonts by
    id, family or full name."""
    if not isinstance(name, str) or not name.strip():
        return name, None  # CaptionStyle says what is wrong with it
    name = name.strip()
    if name in BUNDLED_FONTS and source != "upload":
        return name, None
    if source != "bundled":
        fonts = library.list_caption_fonts()
        by_id = [f for f in fonts if f.font_id == name]
        matches = by_id or [f for f in fonts if name.casefold() in (f.family.casefold(), f.full_name.casefold())]
        if len(matches) == 1:
            return matches[0].family, matches[0].font_id
        if len(matches) > 1:
            exact = [f for f in matches if f.full_name.casefold() == name.casefold()]
            if len(exact) == 1:
                return exact[0].family, exact[0].font_id
            ids = ", ".join(f"{f.font_id} ({f.full_name})" for f in matches)
            raise InvalidRequest(f"several imported fonts are called {name!r}: {ids}; give its font_id",
                                 field="font_name")
    known = ", ".join(BUNDLED_FONTS)
    raise InvalidRequest(f"unknown font {name!r}: give a bundled font ({known}) or an imported font's "
                         f"font_id or family name", field="font_name")


def font_names(library=None) -> set[str]:
    """Every name a style's ``font_name`` may give: bundled fonts, imported fonts' ids and names."""
    with _opened(library) as lib:
        fonts = lib.list_caption_fonts()
    return set(BUNDLED_FONTS) | {n for f in fonts for n in (f.font_id, f.family, f.full_name) if n}


# -------------------------------------------------------------------------------------------- fonts


def import_font(library, path: str | os.PathLike):
    """Import the TTF/OTF at ``path`` (at most 10 MB, checked in a worker) into the library's fonts
    folder under a generated name; return its ``CaptionFont``. The same file again returns the
    font already imported. A damaged or disguised file is an ``UnsupportedMedia`` saying why."""
    src = Path(path).expanduser()
    if not src.is_file():
        raise NotFound(f"no font file {src}", field="file")
    size = src.stat().st_size
    if size > MAX_FONT_BYTES:
        raise InvalidRequest(f"{src.name} is {size / (1024 * 1024):.1f} MB; a caption font may be at most "
                             f"{MAX_FONT_BYTES // (1024 * 1024)} MB", field="file")
    try:
        with open(src, "rb") as f:
            data = f.read(MAX_FONT_BYTES + 1)
    except OSError as e:
        raise InvalidRequest(f"cannot read {src.name}: {e.strerror or e}", field="file") from None
    if len(data) > MAX_FONT_BYTES:  # it grew since we looked
        raise InvalidRequest(f"a caption font may be at most {MAX_FONT_BYTES // (1024 * 1024)} MB", field="file")
    fmt = font_format(data[:12])
    digest = hashlib.sha256(data).hexdigest()
    existing = library.find_caption_font(digest)
    if existing is not None and Path(existing.path).is_file():
        return existing
    if existing is not None:  # its file was lost: forget it, import again
        library.delete_caption_font(existing.font_id)

    folder = library.fonts_dir
    remove_stale_temps(folder)
    font_id = new_font_id()
    dest = folder / f"{font_id}.{fmt}"
    try:
        with atomic_output(dest) as tmp:  # the checked bytes are the stored bytes
            Path(tmp).write_bytes(data)
            facts = check_font_file(tmp)
    except OSError as e:  # disk full, read-only library folder
        raise ProcessingFailed(f"cannot store the font in {folder}: {e.strerror or e}") from None
    try:
        return library.add_caption_font(
            font_id=font_id, family=facts.family, subfamily=facts.subfamily, full_name=facts.full_name,
            format=facts.format, filename=src.name[:255], file_size=len(data), sha256=digest,
            glyph_count=facts.glyph_count)
    except BaseException:
        dest.unlink(missing_ok=True)
        again = library.find_caption_font(digest)  # imported meanwhile by another process
        if again is not None:
            return again
        raise


def list_fonts(library=None) -> list:
    with _opened(library) as lib:
        return lib.list_caption_fonts()


def delete_font(library, font_id: str):
    """Delete an imported font and its file; refused (``Conflict``) while a custom preset uses it."""
    return library.delete_caption_font(font_id)


# ------------------------------------------------------------------------------------------ helpers


class _opened:
    """``with _opened(library) as lib``: the given library, or the default one opened for the block."""

    def __init__(self, library):
        self.given, self.lib = library, library

    def __enter__(self):
        if self.lib is None:
            self.lib = Library()
        return self.lib

    def __exit__(self, *exc):
        if self.given is None and self.lib is not None:
            self.lib.close()
