"""CaptionStyle: how a caption looks, with every rule its fields must keep.

Lengths (``font_size``, ``stroke_width``, paddings, radii, shadow offsets and
blur) are pixels on a 1080p frame and scale with the output (its short side,
which is the height of a landscape frame), so a style looks the same at 720p and
at 4K. ``position_x``/``position_y`` place the centre of the caption block as a
fraction of the frame.

A style is always valid: the dataclass checks and normalises its fields when it
is built (colours to lower case, ``words_per_caption`` clamped to 2-4 when
``highlight_mode`` is on, as the API does). Bad input raises
:class:`~engine.errors.InvalidRequest` naming the field.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidRequest
from .fonts import BUNDLED_FONTS

EFFECTS = ("none", "karaoke", "highlight_box", "news_ticker", "glow")
"""How the caption is decorated and how the active (spoken) word stands out:

- ``none``: plain text; the active word is not marked.
- ``karaoke``: the active word is drawn in ``highlight_color``.
- ``highlight_box``: a rounded box in ``highlight_color`` behind the active word.
- ``news_ticker``: a full-width bar in ``highlight_color`` behind the caption; the
  words after the active one are dimmed.
- ``glow``: the text glows in ``highlight_color``; the active word glows brighter.
"""

HIGHLIGHT_WORDS = (2, 4)  # words_per_caption when highlight_mode is on, as the API clamps it
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

# name -> (kind, low, high) for numbers; kind "color", "bool", "str" or "effect" otherwise.
_RULES: dict[str, tuple] = {
    "font_name": ("str",),
    "font_size": ("int", 12, 300),
    "words_per_caption": ("int", 1, 12),
    "text_color": ("color",),
    "stroke_enabled": ("bool",),
    "stroke_width": ("num", 0, 30),
    "stroke_color": ("color",),
    "highlight_mode": ("bool",),
    "highlight_color": ("color",),
    "position_x": ("num", 0, 1),
    "position_y": ("num", 0, 1),
    "effect": ("effect",),
    "uppercase": ("bool",),
    "max_lines": ("int", 1, 2),
    "max_width": ("num", 0.3, 0.9),
    "background_enabled": ("bool",),
    "background_color": ("color",),
    "background_opacity": ("num", 0, 1),
    "background_padding": ("num", 0, 100),
    "background_radius": ("num", 0, 100),
    "shadow_enabled": ("bool",),
    "shadow_color": ("color",),
    "shadow_opacity": ("num", 0, 1),
    "shadow_offset_x": ("num", -50, 50),
    "shadow_offset_y": ("num", -50, 50),
    "shadow_blur": ("num", 0, 50),
}


@dataclass(frozen=True, slots=True)
class CaptionStyle:
    """One caption look. Defaults are those of ``builtin:short-form-karaoke``."""

    font_name: str = "Bangers"
    font_size: int = 77
    words_per_caption: int = 3
    text_color: str = "#ffffff"
    stroke_enabled: bool = True
    stroke_width: float = 4
    stroke_color: str = "#000000"
    highlight_mode: bool = True
    highlight_color: str = "#fcea2a"
    position_x: float = 0.5
    position_y: float = 0.92
    effect: str = "karaoke"
    uppercase: bool = False
    max_lines: int = 1
    max_width: float = 0.9  # of the frame's width: lines wrap (or shrink) to fit it
    background_enabled: bool = False
    background_color: str = "#000000"
    background_opacity: float = 0.6
    background_padding: float = 16
    background_radius: float = 12
    shadow_enabled: bool = True
    shadow_color: str = "#000000"
    shadow_opacity: float = 0.6
    shadow_offset_x: float = 0
    shadow_offset_y: float = 4
    shadow_blur: float = 6

    def __post_init__(self) -> None:
        for name, rule in _RULES.items():
            value = _check(name, rule, getattr(self, name))
            object.__setattr__(self, name, value)
        if self.highlight_mode:
            low, high = HIGHLIGHT_WORDS
            object.__setattr__(self, "words_per_caption", min(max(self.words_per_caption, low), high))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


STYLE_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(CaptionStyle))


def _check(name: str, rule: tuple, value: Any) -> Any:
    kind = rule[0]
    if kind == "str":
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise InvalidRequest(f"{name} must be a non-empty name of at most 100 characters", field=name)
        return value.strip()
    if kind == "bool":
        if not isinstance(value, bool):
            raise InvalidRequest(f"{name} must be true or false, not {value!r}", field=name)
        return value
    if kind == "color":
        if not isinstance(value, str) or not _COLOR.match(value):
            raise InvalidRequest(f"{name} must be a colour like #ff00aa, not {value!r}", field=name)
        return value.lower()
    if kind == "effect":
        if value not in EFFECTS:
            raise InvalidRequest(f"effect must be one of {', '.join(EFFECTS)}, not {value!r}", field=name)
        return value
    low, high = rule[1], rule[2]
    if kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequest(f"{name} must be a whole number, not {value!r}", field=name)
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidRequest(f"{name} must be a number, not {value!r}", field=name)
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high}, not {value}", field=name)
    return value


def _unknown(keys) -> None:
    for key in keys:
        if key not in STYLE_FIELDS:
            raise InvalidRequest(f"unknown caption style field {key!r}", field=str(key))


def style_from_dict(
    data: Mapping[str, Any],
    *,
    base: CaptionStyle | None = None,
    fonts: Collection[str] | None = None,
) -> CaptionStyle:
    """A style from a mapping of style fields; fields it leaves out come from ``base``
    (or the defaults). Unknown fields are refused, and so is a ``font_name`` that is
    not in ``fonts`` (by default the bundled fonts; the library adds imported ones)."""
    if not isinstance(data, Mapping):
        raise InvalidRequest("a caption style must be an object of style fields", field="style")
    _unknown(data)
    style = dataclasses.replace(base or CaptionStyle(), **data)
    known = BUNDLED_FONTS if fonts is None else fonts
    if "font_name" in data and style.font_name not in known:
        raise InvalidRequest(f"unknown font {style.font_name!r}", field="font_name")
    return style


def clone_style(
    base: CaptionStyle,
    overrides: Mapping[str, Any],
    *,
    fonts: Collection[str] | None = None,
) -> CaptionStyle:
    """A custom style: ``base`` (the preset named by ``clone_from_preset_ref``) with
    ``overrides`` applied, every field validated (see :func:`style_from_dict`)."""
    return style_from_dict(overrides, base=base, fonts=fonts)
