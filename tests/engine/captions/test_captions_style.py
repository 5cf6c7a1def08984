"""Caption styles, the 16 built-in presets and the bundled fonts.

Validation: every field refuses a wrong type or an out-of-range value with an
InvalidRequest naming that field; colours must be #rrggbb; unknown fields are
refused; highlight_mode clamps words_per_caption to 2-4 as the API does.
"""

from __future__ import annotations

import json
import re

import pytest
from fontTools.ttLib import TTFont

from engine.captions import (
    BUNDLED_FONTS,
    EFFECTS,
    STYLE_FIELDS,
    CaptionStyle,
    builtin_presets,
    clone_style,
    font_path,
    get_builtin,
    style_from_dict,
)
from engine.captions.fonts import FALLBACK_FONTS, FONTS_DIR
from engine.captions.presets import PRESETS_FILE
from engine.errors import InvalidRequest, NotFound

KARAOKE = get_builtin("builtin:short-form-karaoke").style

# field -> values that must be refused
BAD_VALUES = {
    "font_name": ["", "   ", 7, None, "x" * 101],
    "font_size": [11, 301, 0, -5, 77.5, "77", True, None],
    "words_per_caption": [0, 13, 2.5, "3", False],
    "text_color": ["#fff", "white", "ffffff", "#gggggg", "#ffffff00", 0xFFFFFF, None],
    "stroke_enabled": [1, "true", None],
    "stroke_width": [-1, 31, "4", float("nan"), True],
    "stroke_color": ["#12345", "black", "rgb(0,0,0)"],
    "highlight_mode": [0, "yes"],
    "highlight_color": ["#fcea2", "#FCEA2AZ", "yellow"],
    "position_x": [-0.01, 1.01, "0.5", None, float("inf")],
    "position_y": [-1, 2, "0.92"],
    "effect": ["sparkle", "", None, "Karaoke"],
    "uppercase": [1, "no"],
    "max_lines": [0, 3, 1.5],
    "max_width": [0.2, 0.95, "0.9"],
    "background_enabled": [1],
    "background_color": ["#00000"],
    "background_opacity": [-0.1, 1.1],
    "background_padding": [-1, 101],
    "background_radius": [-1, 101],
    "shadow_enabled": ["true"],
    "shadow_color": ["black"],
    "shadow_opacity": [1.5, -0.5],
    "shadow_offset_x": [-51, 51],
    "shadow_offset_y": [-51, 51],
    "shadow_blur": [-1, 51],
}


def test_every_field_has_bad_values_checked():
    assert set(BAD_VALUES) == set(STYLE_FIELDS)


@pytest.mark.parametrize(
    "field,value", [(f, v) for f, values in BAD_VALUES.items() for v in values], ids=lambda x: repr(x)[:20]
)
def test_bad_value_is_refused_naming_the_field(field, value):
    with pytest.raises(InvalidRequest) as err:
        clone_style(KARAOKE, {field: value})
    assert err.value.field == field
    assert err.value.code == "invalid_request"


@pytest.mark.parametrize("field", STYLE_FIELDS)
def test_constructor_validates_too(field):
    with pytest.raises(InvalidRequest) as err:
        CaptionStyle(**{field: BAD_VALUES[field][0]})
    assert err.value.field == field


def test_unknown_field_is_refused_naming_it():
    with pytest.raises(InvalidRequest) as err:
        clone_style(KARAOKE, {"font_colour": "#ffffff"})
    assert err.value.field == "font_colour"
    with pytest.raises(InvalidRequest) as err:
        style_from_dict({"preset_ref": "builtin:x"})
    assert err.value.field == "preset_ref"


def test_unknown_font_is_refused_unless_the_library_knows_it():
    with pytest.raises(InvalidRequest) as err:
        clone_style(KARAOKE, {"font_name": "Comic Sans MS"})
    assert err.value.field == "font_name"
    mine = clone_style(KARAOKE, {"font_name": "My Font"}, fonts={*BUNDLED_FONTS, "My Font"})
    assert mine.font_name == "My Font"


def test_good_values_at_the_edges_are_accepted_and_normalised():
    style = clone_style(
        KARAOKE,
        {
            "font_size": 12,
            "text_color": "#ABCDEF",
            "stroke_width": 0,
            "position_x": 0,
            "position_y": 1,
            "max_lines": 2,
            "max_width": 0.3,
            "shadow_offset_x": -50,
            "background_opacity": 1,
            "words_per_caption": 4.0,
        },
    )
    assert style.text_color == "#abcdef"
    assert style.words_per_caption == 4 and isinstance(style.words_per_caption, int)
    assert (style.position_x, style.position_y, style.font_size) == (0, 1, 12)


@pytest.mark.parametrize("asked,got", [(1, 2), (2, 2), (3, 3), (4, 4), (5, 4), (12, 4)])
def test_highlight_mode_clamps_words_per_caption_to_2_to_4(asked, got):
    assert clone_style(KARAOKE, {"highlight_mode": True, "words_per_caption": asked}).words_per_caption == got


def test_without_highlight_mode_words_per_caption_is_kept():
    assert clone_style(KARAOKE, {"highlight_mode": False, "words_per_caption": 1}).words_per_caption == 1
    assert clone_style(KARAOKE, {"highlight_mode": False, "words_per_caption": 12}).words_per_caption == 12


def test_turning_highlight_on_clamps_the_base_words():
    static = clone_style(KARAOKE, {"highlight_mode": False, "words_per_caption": 8})
    assert clone_style(static, {"highlight_mode": True}).words_per_caption == 4


def test_clone_keeps_the_base_and_changes_only_what_it_overrides():
    mine = clone_style(KARAOKE, {"text_color": "#00ff00", "position_y": 0.5})
    assert mine.text_color == "#00ff00" and mine.position_y == 0.5
    assert {k: v for k, v in mine.to_dict().items() if k not in ("text_color", "position_y")} == {
        k: v for k, v in KARAOKE.to_dict().items() if k not in ("text_color", "position_y")
    }
    assert KARAOKE.text_color == "#ffffff"  # the base is untouched
    with pytest.raises(InvalidRequest):
        clone_style(KARAOKE, ["text_color"])  # not a mapping


# --- built-in presets ---------------------------------------------------------------------------


def test_sixteen_builtin_presets_with_the_api_shape():
    presets = builtin_presets()
    assert len(presets) == 16
    raw = json.loads(PRESETS_FILE.read_text(encoding="utf-8"))["presets"]
    for entry, preset in zip(raw, presets, strict=True):
        assert set(entry) == {"preset_ref", "slug", "name", "scope", "editable", *STYLE_FIELDS}
        assert entry["preset_ref"] == f"builtin:{entry['slug']}" == preset.preset_ref
        assert entry["scope"] == "built_in" and entry["editable"] is False
        assert re.fullmatch(r"[a-z0-9-]+", entry["slug"])
        assert preset.to_dict() == entry  # stored already normalised


def test_builtin_presets_are_distinct():
    presets = builtin_presets()
    assert len({p.slug for p in presets}) == 16
    assert len({p.name for p in presets}) == 16
    assert len({p.style for p in presets}) == 16
    # distinct in look, not just in one number: font, effect, colours or placement differ
    looks = {
        (p.style.font_name, p.style.effect, p.style.highlight_color, p.style.text_color, p.style.position_y)
        for p in presets
    }
    assert len(looks) == 16


def test_builtin_presets_cover_the_design_space():
    styles = [p.style for p in builtin_presets()]
    assert {s.effect for s in styles} == set(EFFECTS)
    assert {s.uppercase for s in styles} == {True, False}
    assert {s.max_lines for s in styles} == {1, 2}
    assert {s.highlight_mode for s in styles} == {True, False}
    assert any(s.position_y < 0.25 for s in styles)  # top
    assert any(0.4 <= s.position_y <= 0.6 for s in styles)  # centre
    assert any(s.position_y > 0.75 for s in styles)  # bottom
    assert any(s.background_enabled for s in styles) and any(not s.stroke_enabled for s in styles)
    for s in styles:
        assert s.font_name in BUNDLED_FONTS and s.font_name not in FALLBACK_FONTS


def test_short_form_karaoke_has_exactly_the_api_fields():
    preset = get_builtin("builtin:short-form-karaoke")
    assert (preset.name, preset.scope, preset.editable) == ("Short-Form Karaoke", "built_in", False)
    s = preset.style
    assert s.font_name == "Bangers" and s.font_size == 77 and s.words_per_caption == 3
    assert s.text_color == "#ffffff"
    assert s.stroke_enabled is True and s.stroke_width == 4 and s.stroke_color == "#000000"
    assert s.highlight_mode is True and s.highlight_color == "#fcea2a"
    assert (s.position_x, s.position_y) == (0.5, 0.92)
    assert s.effect == "karaoke"
    assert s == CaptionStyle()  # the defaults are this preset's


def test_lookup_by_ref_or_slug_and_unknown_ref():
    assert get_builtin("bold-pop") is get_builtin("builtin:bold-pop")
    with pytest.raises(NotFound) as err:
        get_builtin("builtin:no-such-style")
    assert err.value.field == "preset_ref"


# --- bundled fonts ------------------------------------------------------------------------------


def test_every_bundled_font_exists_with_its_licence_and_a_readme_line():
    readme = (FONTS_DIR / "README.md").read_text(encoding="utf-8")
    for name, rel in BUNDLED_FONTS.items():
        path = font_path(name)
        assert path.is_file() and path.suffix in (".ttf", ".otf")
        licences = [p for p in path.parent.iterdir() if p.suffix == ".txt"]
        assert licences and all(p.stat().st_size > 500 for p in licences), name
        assert rel in readme and name in readme
        with TTFont(path, lazy=True) as font:
            assert 0x41 in font.getBestCmap() or name == "Droid Sans Fallback"


def test_fonts_folder_stays_small():
    total = sum(p.stat().st_size for p in FONTS_DIR.rglob("*") if p.is_file())
    assert total < 15 * 1024 * 1024
