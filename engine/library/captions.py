"""Custom caption presets and imported fonts: the records (the rules are ``engine.captions.custom``'s).

A custom preset is stored as the JSON of every ``CaptionStyle`` field, the ref it was cloned from
and, when its font is an imported one, that font's id (a font cannot be deleted while a preset
uses it). An imported font's file lives in the library's ``fonts/`` folder under the name
``<font_id>.<format>``; the name it had when imported is kept for display only.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Conflict, InvalidRequest, NotFound
from .database import Database, iso

FONTS_DIR = "fonts"
MAX_PRESET_NAME = 100
FONT_FORMATS = ("ttf", "otf")


def new_preset_id() -> str:
    return f"cap_preset_{secrets.token_hex(6)}"


def new_font_id() -> str:
    return f"font_{secrets.token_hex(8)}"


def check_preset_name(name) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_PRESET_NAME:
        raise InvalidRequest(f"a preset name must be 1 to {MAX_PRESET_NAME} characters", field="name")
    return name.strip()


@dataclass(frozen=True, slots=True)
class CaptionFont:
    """One imported font."""

    font_id: str
    family: str
    subfamily: str
    full_name: str
    format: str  # ttf | otf
    path: str  # in the library's fonts folder
    filename: str  # what the file was called when imported (display only)
    file_size: int
    sha256: str
    glyph_count: int
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "font_id": self.font_id, "family": self.family, "subfamily": self.subfamily,
            "full_name": self.full_name, "format": self.format, "filename": self.filename,
            "file_size": self.file_size, "glyph_count": self.glyph_count, "path": self.path,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class CaptionPresetRecord:
    """One custom preset as stored: ``style`` holds every CaptionStyle field."""

    preset_id: str
    name: str
    cloned_from: str
    style: dict[str, Any]
    font_id: str | None
    created_at: str
    updated_at: str

    @property
    def preset_ref(self) -> str:
        return f"preset:{self.preset_id}"

    @classmethod
    def from_row(cls, r: dict) -> CaptionPresetRecord:
        return cls(r["preset_id"], r["name"], r["cloned_from"], json.loads(r["style"]), r["font_id"],
                   r["created_at"], r["updated_at"])


class CaptionRecords:
    """The custom-preset and imported-font methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable
    path: Path

    @property
    def fonts_dir(self) -> Path:
        """Where imported fonts are kept (created on first use)."""
        folder = self.path.parent / FONTS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # -- fonts ----------------------------------------------------------------------------

    def add_caption_font(self, *, font_id: str, family: str, subfamily: str, full_name: str, format: str,
                         filename: str, file_size: int, sha256: str, glyph_count: int) -> CaptionFont:
        """Record a font whose file is already in the fonts folder as ``<font_id>.<format>``."""
        if format not in FONT_FORMATS:
            raise InvalidRequest(f"a font's format must be ttf or otf, not {format!r}", field="format")
        stored = f"{font_id}.{format}"
        if not (self.fonts_dir / stored).is_file():
            raise NotFound(f"the font file {stored} is not in {self.fonts_dir}", field="font_id")
        try:
            with self._db.write() as conn:
                conn.execute(
                    "INSERT INTO caption_fonts (font_id, family, subfamily, full_name, format, stored_name, "
                    "filename, file_size, sha256, glyph_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (font_id, family, subfamily, full_name, format, stored, filename, int(file_size), sha256,
                     int(glyph_count), iso(self._now())))
        except sqlite3.IntegrityError:
            raise Conflict(f"this font is already in the library ({family})", field="file") from None
        return self.get_caption_font(font_id)

    def get_caption_font(self, font_id: str) -> CaptionFont:
        row = self._db.row("SELECT * FROM caption_fonts WHERE font_id = ?", (font_id,))
        if row is None:
            raise NotFound(f"no imported font {font_id}", field="font_id")
        return self._font(row)

    def find_caption_font(self, sha256: str) -> CaptionFont | None:
        """The imported font with this content, if any."""
        row = self._db.row("SELECT * FROM caption_fonts WHERE sha256 = ?", (sha256,))
        return None if row is None else self._font(row)

    def list_caption_fonts(self) -> list[CaptionFont]:
        """Every imported font, oldest first."""
        return [self._font(r) for r in self._db.rows("SELECT * FROM caption_fonts ORDER BY created_at, rowid")]

    def delete_caption_font(self, font_id: str) -> CaptionFont:
        """Forget an imported font and delete its file; refused while a custom preset uses it."""
        with self._db.write() as conn:
            font = self.get_caption_font(font_id)
            users = [r[0] for r in conn.execute(
                "SELECT preset_id FROM caption_presets WHERE font_id = ? ORDER BY created_at", (font_id,))]
            if users:
                raise Conflict(f"the font {font.family} ({font_id}) is used by "
                               f"{', '.join('preset:' + u for u in users)}; change or delete those presets first",
                               field="font_id")
            conn.execute("DELETE FROM caption_fonts WHERE font_id = ?", (font_id,))
        with contextlib.suppress(OSError):
            Path(font.path).unlink()
        return font

    def _font(self, r: dict) -> CaptionFont:
        return CaptionFont(r["font_id"], r["family"], r["subfamily"], r["full_name"], r["format"],
                           str(self.fonts_dir / r["stored_name"]), r["filename"], r["file_size"], r["sha256"],
                           r["glyph_count"], r["created_at"])

    # -- presets --------------------------------------------------------------------------

    def add_caption_preset(self, *, name: str, cloned_from: str, style: dict[str, Any],
                           font_id: str | None = None) -> CaptionPresetRecord:
        """Store a custom preset (``style`` already validated: every CaptionStyle field)."""
        name = check_preset_name(name)
        preset_id = new_preset_id()
        now = iso(self._now())
        with self._db.write() as conn:
            if font_id is not None:
                self.get_caption_font(font_id)
            conn.execute(
                "INSERT INTO caption_presets (preset_id, name, cloned_from, style, font_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (preset_id, name, cloned_from, json.dumps(style), font_id, now, now))
        return self.get_caption_preset(preset_id)

    def get_caption_preset(self, preset_id: str) -> CaptionPresetRecord:
        row = self._db.row("SELECT * FROM caption_presets WHERE preset_id = ?", (preset_id,))
        if row is None:
            raise NotFound(f"no custom caption preset preset:{preset_id}", field="preset_ref")
        return CaptionPresetRecord.from_row(row)

    def list_caption_presets(self) -> list[CaptionPresetRecord]:
        """Every custom preset, oldest first."""
        rows = self._db.rows("SELECT * FROM caption_presets ORDER BY created_at, rowid")
        return [CaptionPresetRecord.from_row(r) for r in rows]

    def update_caption_preset(self, preset_id: str, *, name: str | None = None, style: dict[str, Any] | None = None,
                              font_id: str | None = None) -> CaptionPresetRecord:
        """Change a custom preset's name and/or style; ``font_id`` is stored along with ``style``."""
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = check_preset_name(name)
        if style is not None:
            changes["style"] = json.dumps(style)
            changes["font_id"] = font_id
        with self._db.write() as conn:
            self.get_caption_preset(preset_id)
            if font_id is not None:
                self.get_caption_font(font_id)
            if changes:
                changes["updated_at"] = iso(self._now())
                cols = ", ".join(f"{k} = ?" for k in changes)
                conn.execute(f"UPDATE caption_presets SET {cols} WHERE preset_id = ?", (*changes.values(), preset_id))
        return self.get_caption_preset(preset_id)

    def delete_caption_preset(self, preset_id: str) -> CaptionPresetRecord:
        with self._db.write() as conn:
            record = self.get_caption_preset(preset_id)
            conn.execute("DELETE FROM caption_presets WHERE preset_id = ?", (preset_id,))
        return record


__all__ = ["FONTS_DIR", "CaptionFont", "CaptionPresetRecord", "CaptionRecords", "new_font_id", "new_preset_id"]
