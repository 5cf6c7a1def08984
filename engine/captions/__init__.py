"""Captions: styles and presets, pagination of timed words, and the one renderer.

Public API::

    CaptionStyle, EFFECTS, clone_style, style_from_dict      # style.py
    Preset, builtin_presets, get_builtin                     # presets.py
    Word, Page, paginate, caption_state_at                   # pages.py
    RenderedCaption, render_caption                          # render.py
    render_preview                                           # preview.py
    BUNDLED_FONTS, font_path, split_runs                     # fonts.py
"""

from .fonts import BUNDLED_FONTS, FALLBACK_FONTS, font_path, split_runs
from .pages import Page, Word, caption_state_at, paginate
from .presets import Preset, builtin_presets, get_builtin
from .preview import render_preview
from .render import RenderedCaption, render_caption
from .style import EFFECTS, STYLE_FIELDS, CaptionStyle, clone_style, style_from_dict

__all__ = [
    "BUNDLED_FONTS",
    "EFFECTS",
    "FALLBACK_FONTS",
    "STYLE_FIELDS",
    "CaptionStyle",
    "Page",
    "Preset",
    "RenderedCaption",
    "Word",
    "builtin_presets",
    "caption_state_at",
    "clone_style",
    "font_path",
    "get_builtin",
    "paginate",
    "render_caption",
    "render_preview",
    "split_runs",
    "style_from_dict",
]
