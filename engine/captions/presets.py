"""The built-in caption presets: read-only data in ``resources/caption_presets.json``.

Each entry has ``preset_ref`` (``builtin:<slug>``), ``slug``, ``name``, ``scope``
``"built_in"``, ``editable`` false and every :class:`CaptionStyle` field. Custom
presets start as a clone of one of these (``clone_from_preset_ref``) with fields
overridden through :func:`~engine.captions.style.clone_style`; their storage is
the library's.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest, NotFound
from .style import STYLE_FIELDS, CaptionStyle, style_from_dict

PRESETS_FILE = Path(__file__).resolve().parents[2] / "resources" / "caption_presets.json"
_META = ("preset_ref", "slug", "name", "scope", "editable")


@dataclass(frozen=True, slots=True)
class Preset:
    preset_ref: str
    slug: str
    name: str
    scope: str
    editable: bool
    style: CaptionStyle

    def to_dict(self) -> dict[str, Any]:
        """The preset as the API lists it: its identity and every style field."""
        return {**{k: getattr(self, k) for k in _META}, **self.style.to_dict()}


def _parse(entry: dict[str, Any]) -> Preset:
    missing = [k for k in (*_META, *STYLE_FIELDS) if k not in entry]
    if missing:
        raise InvalidRequest(f"built-in preset {entry.get('slug')!r} lacks {', '.join(missing)}", field=missing[0])
    if entry["preset_ref"] != f"builtin:{entry['slug']}" or entry["scope"] != "built_in" or entry["editable"]:
        raise InvalidRequest(f"built-in preset {entry['slug']!r} has a wrong identity", field="preset_ref")
    style = style_from_dict({k: v for k, v in entry.items() if k not in _META})
    return Preset(entry["preset_ref"], entry["slug"], entry["name"], "built_in", False, style)


@functools.lru_cache(maxsize=1)
def builtin_presets() -> tuple[Preset, ...]:
    """The 16 built-in presets, in catalogue order."""
    with open(PRESETS_FILE, encoding="utf-8") as f:
        data = json.load(f)
    return tuple(_parse(entry) for entry in data["presets"])


def get_builtin(preset_ref: str) -> Preset:
    """The built-in preset ``builtin:<slug>`` (a bare slug is accepted too)."""
    slug = preset_ref.removeprefix("builtin:")
    for preset in builtin_presets():
        if preset.slug == slug:
            return preset
    raise NotFound(f"no built-in caption preset {preset_ref!r}", field="preset_ref")
