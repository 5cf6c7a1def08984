"""The caption renderer, judged on its pixels.

Sizes scale with the frame (a preset at 2160p is three times its 720p self), the
caption block is centred on the style's position and kept in the safe area, the
karaoke word is the only one in the highlight colour, strokes are the stroke
colour, characters the font lacks come from the fallback fonts (no .notdef boxes),
and the same inputs always give the same pixels.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from engine.captions import (
    builtin_presets,
    clone_style,
    font_path,
    get_builtin,
    render_caption,
    render_preview,
    split_runs,
)
from engine.captions.fonts import load_font
from engine.captions.layout import SAFE_X, SAFE_Y, layout_caption
from engine.captions.preview import backdrop
from engine.errors import InvalidRequest

HD = (1920, 1080)
PRESETS = builtin_presets()
KARAOKE = get_builtin("short-form-karaoke").style
WORDS = ["Make", "every", "clip", "count", "today", "friends", "okay"]


def _words(style, words=WORDS):
    return words[: style.words_per_caption]


def _active(style):
    return 0 if style.highlight_mode else None


def _rgba(rc):
    return np.asarray(rc.image, dtype=np.int16)


def _crop(rc, box):
    """The rendered pixels inside ``box`` (frame coordinates)."""
    x0, y0, x1, y1 = box
    return _rgba(rc)[y0 - rc.y : y1 - rc.y, x0 - rc.x : x1 - rc.x]


def _near(pixels, color, tol=40):
    rgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)])
    close = np.abs(pixels[..., :3] - rgb).max(axis=-1) <= tol
    return int((close & (pixels[..., 3] == 255)).sum())


def _ink_bbox(rc, threshold=128):
    alpha = _rgba(rc)[..., 3]
    ys, xs = np.nonzero(alpha >= threshold)
    return rc.x + xs.min(), rc.y + ys.min(), rc.x + xs.max() + 1, rc.y + ys.max() + 1


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.slug)
def test_preset_renders_proportionally_at_720p_and_2160p(preset):
    style, words = preset.style, _words(preset.style)
    small = render_caption(style, words, _active(style), (1280, 720))
    big = render_caption(style, words, _active(style), (3840, 2160))
    assert small.image.mode == big.image.mode == "RGBA"
    (sx0, sy0, sx1, sy1), (bx0, by0, bx1, by1) = small.block, big.block
    assert (by1 - by0) / (sy1 - sy0) == pytest.approx(3, rel=0.05)
    assert (bx1 - bx0) / (sx1 - sx0) == pytest.approx(3, rel=0.05)
    assert big.image.height / small.image.height == pytest.approx(3, rel=0.06)
    assert big.image.width / small.image.width == pytest.approx(3, rel=0.06)
    # same place on the frame, in relative terms
    assert (big.x / 3840, big.y / 2160) == pytest.approx((small.x / 1280, small.y / 720), abs=0.004)


def _safe(w, h):
    return SAFE_X * w, SAFE_Y * h, (1 - SAFE_X) * w, (1 - SAFE_Y) * h


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.slug)
def test_caption_block_is_centred_on_the_position(preset):
    style = clone_style(preset.style, {"shadow_enabled": False})
    rc = render_caption(style, _words(style), _active(style), HD)
    x0, y0, x1, y1 = rc.block
    cx, cy = style.position_x * HD[0], style.position_y * HD[1]
    assert (x0 + x1) / 2 == pytest.approx(cx, abs=2)
    assert (y0 + y1) / 2 == pytest.approx(cy, abs=2)
    sx0, sy0, sx1, sy1 = _safe(*HD)
    assert sx0 <= x0 and x1 <= sx1 and sy0 <= y0 and y1 <= sy1
    if style.effect != "news_ticker" and not style.background_enabled:
        plain = render_caption(style, _words(style), None, HD)
        ix0, iy0, ix1, iy1 = _ink_bbox(plain)  # what the viewer sees is centred too
        assert (ix0 + ix1) / 2 == pytest.approx(cx, abs=3 + 0.03 * style.font_size)
        assert (iy0 + iy1) / 2 == pytest.approx(cy, abs=3 + 0.1 * style.font_size)


@pytest.mark.parametrize("x,y", [(0, 0), (1, 1), (0, 1), (1, 0), (0.5, 0.99), (0.01, 0.5)])
def test_a_position_near_the_edge_is_clamped_into_the_safe_area(x, y):
    style = clone_style(KARAOKE, {"position_x": x, "position_y": y, "shadow_enabled": False})
    rc = render_caption(style, ["Hello", "there", "friend"], 0, HD)
    stroke = style.stroke_width
    x0, y0, x1, y1 = rc.block[0] - stroke, rc.block[1] - stroke, rc.block[2] + stroke, rc.block[3] + stroke
    sx0, sy0, sx1, sy1 = _safe(*HD)
    assert x0 >= sx0 - 1 and x1 <= sx1 + 1 and y0 >= sy0 - 1 and y1 <= sy1 + 1
    # pushed just inside the edge it was asked beyond, and left alone on the other axis
    if x in (0, 0.01, 1):
        assert min(abs(x0 - sx0), abs(x1 - sx1)) <= 1
    else:
        assert (x0 + x1) / 2 == pytest.approx(x * HD[0], abs=1)
    if y in (0, 0.99, 1):
        assert min(abs(y0 - sy0), abs(y1 - sy1)) <= 1
    else:
        assert (y0 + y1) / 2 == pytest.approx(y * HD[1], abs=1)
    assert 0 <= rc.x and rc.x + rc.image.width <= HD[0] and 0 <= rc.y and rc.y + rc.image.height <= HD[1]


def test_karaoke_colours_only_the_active_word():
    words = ["Make", "every", "clip"]
    for active in range(3):
        rc = render_caption(KARAOKE, words, active, HD)
        for i, box in enumerate(rc.word_boxes):
            pixels = _crop(rc, box)
            yellow, white = _near(pixels, "#fcea2a"), _near(pixels, "#ffffff", tol=10)
            if i == active:
                assert yellow > 300 and white == 0, (active, i)
            else:
                assert yellow == 0 and white > 300, (active, i)


def test_karaoke_progress_sweeps_the_colour_across_the_word():
    rc = render_caption(KARAOKE, ["Make", "everything", "count"], 1, HD, progress=0.5)
    x0, y0, x1, y1 = rc.word_boxes[1]
    mid = (x0 + x1) // 2
    left, right = _crop(rc, (x0, y0, mid - 4, y1)), _crop(rc, (mid + 4, y0, x1, y1))
    assert _near(left, "#fcea2a") > 200 and _near(left, "#ffffff", tol=10) == 0
    assert _near(right, "#fcea2a") == 0 and _near(right, "#ffffff", tol=10) > 200


def test_without_highlight_mode_no_word_is_marked():
    style = clone_style(KARAOKE, {"highlight_mode": False})
    rc = render_caption(style, ["Make", "every", "clip"], 1, HD)
    assert _near(_rgba(rc), "#fcea2a") == 0


def test_stroke_pixels_are_the_stroke_colour():
    red = clone_style(KARAOKE, {"stroke_color": "#ff0000", "shadow_enabled": False, "stroke_width": 6})
    rc = render_caption(red, ["Make", "every", "clip"], None, HD)
    pixels = _rgba(rc)
    assert _near(pixels, "#ff0000", tol=2) > 2000
    assert _near(pixels, "#ffffff", tol=2) > 2000
    # the stroke rings the text: the outermost opaque pixel of each row is stroke, not fill
    alpha = pixels[..., 3]
    for row in range(0, alpha.shape[0], 5):
        xs = np.nonzero(alpha[row] == 255)[0]
        if len(xs):
            assert tuple(pixels[row, xs[0], :3]) == (255, 0, 0)
    none = render_caption(clone_style(red, {"stroke_enabled": False}), ["Make", "every", "clip"], None, HD)
    assert _near(_rgba(none), "#ff0000", tol=60) == 0


@pytest.mark.parametrize("effect", ["karaoke", "highlight_box", "news_ticker", "glow"])
def test_each_effect_shows_which_word_is_active(effect):
    style = clone_style(KARAOKE, {"effect": effect, "highlight_color": "#00c8ff"})
    first = render_caption(style, ["Make", "every", "clip"], 0, HD)
    last = render_caption(style, ["Make", "every", "clip"], 2, HD)
    # the first word loses its mark and the last gains it; on a ticker the last is no longer dimmed
    for i in (2,) if effect == "news_ticker" else (0, 2):
        a, b = _crop(first, first.word_boxes[i]), _crop(last, last.word_boxes[i])
        assert np.abs(a - b).sum() > 10_000, i
    none = clone_style(style, {"effect": "none"})
    assert (
        render_caption(none, ["Make", "every", "clip"], 0, HD).image.tobytes()
        == render_caption(none, ["Make", "every", "clip"], 2, HD).image.tobytes()
    )


def test_highlight_box_sits_behind_the_active_word_only():
    style = get_builtin("word-box").style
    rc = render_caption(style, ["Make", "every", "clip"], 1, HD)
    counts = [_near(_crop(rc, b), style.highlight_color, tol=8) for b in rc.word_boxes]
    assert counts[1] > 1000 and counts[0] == counts[2] == 0


def test_news_ticker_bar_spans_the_frame_width():
    style = get_builtin("breaking-news").style
    rc = render_caption(style, ["Markets", "rally", "today"], None, HD)
    assert rc.x == 0 and rc.image.width == HD[0]
    cy = (rc.block[1] + rc.block[3]) // 2 - rc.y
    row = _rgba(rc)[cy]
    assert tuple(row[2, :3]) == tuple(row[-3, :3]) == (0xD6, 0x28, 0x28)


def test_background_box_is_behind_the_text():
    style = get_builtin("clean-subtitle").style
    rc = render_caption(style, ["Make", "every", "clip"], None, HD)
    x0, y0, x1, y1 = rc.block
    corner = _crop(rc, (x0 - 4, y0, x0 - 2, y0 + 2))  # left of the text, inside the padding
    assert (corner[..., 3] == round(255 * style.background_opacity)).all()


def test_uppercase_draws_capitals():
    upper = clone_style(get_builtin("word-box").style, {"uppercase": True})
    lay = layout_caption(upper, ("hello", "wörld"), HD)
    assert [w.text for w in lay.words] == ["HELLO", "WÖRLD"]


def test_long_text_wraps_to_max_lines_inside_the_safe_area():
    text = "this caption is much too long for one line on any reasonable screen".split()
    for max_lines in (1, 2):
        style = clone_style(
            KARAOKE, {"highlight_mode": False, "words_per_caption": 12, "max_lines": max_lines, "font_size": 120}
        )
        rc = render_caption(style, text[:12], None, HD)
        tops = {b[1] for b in rc.word_boxes}
        assert len(tops) == max_lines
        assert min(b[0] for b in rc.word_boxes) >= SAFE_X * HD[0]
        assert max(b[2] for b in rc.word_boxes) <= (1 - SAFE_X) * HD[0]
    one_line = layout_caption(clone_style(style, {"max_lines": 1}), tuple(text[:12]), HD)
    assert one_line.size < 120  # shrunk to fit rather than overflowing


def test_two_lines_are_balanced():
    style = clone_style(KARAOKE, {"highlight_mode": False, "words_per_caption": 6, "max_lines": 2, "max_width": 0.3})
    lay = layout_caption(style, ("one", "two", "three", "four", "five", "six"), HD)
    widths = [right - left for left, right, _ in lay.lines]
    assert len(widths) == 2 and max(widths) / min(widths) < 1.5


# --- fallback fonts ------------------------------------------------------------------------------


def test_characters_the_font_lacks_come_from_the_fallback_fonts():
    bangers = font_path("Bangers")
    assert split_runs("Hello", bangers) == ((bangers, "Hello"),)
    assert split_runs("日本", bangers) == ((font_path("Droid Sans Fallback"), "日本"),)
    assert split_runs("Ωmega", bangers) == ((font_path("DejaVu Sans Bold"), "Ω"), (bangers, "mega"))
    assert [p for p, _ in split_runs("café 日本!", bangers)] == [bangers, font_path("Droid Sans Fallback"), bangers]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 127, b > 127
    return (a & b).sum() / max(1, (a | b).sum())


def test_fallback_glyphs_are_drawn_not_notdef_boxes():
    style = clone_style(KARAOKE, {"shadow_enabled": False, "stroke_enabled": False, "highlight_mode": False})
    rc = render_caption(style, ["日本"], None, HD)
    lay = layout_caption(style, ("日本",), HD)
    word, run = lay.words[0], lay.words[0].runs[0]
    assert run.path == font_path("Droid Sans Fallback")

    def drawn_with(path, bold):
        mask = Image.new("L", HD, 0)
        ImageDraw.Draw(mask).text(
            (word.x + run.dx, word.baseline),
            "日本",
            font=load_font(path, lay.size),
            fill=255,
            anchor="ls",
            stroke_width=bold,
        )
        return np.asarray(mask)[rc.y : rc.y + rc.image.height, rc.x : rc.x + rc.image.width]

    ours = _rgba(rc)[..., 3]
    tofu = drawn_with(font_path("Bangers"), 0)  # what the main font alone would draw: .notdef boxes
    assert tofu.sum() > 0
    assert _iou(ours, tofu) < 0.3
    assert _iou(ours, drawn_with(run.path, run.bold)) > 0.95


# --- purity, inputs, speed -----------------------------------------------------------------------


def test_same_inputs_same_pixels():
    from engine.captions import render as render_module

    first = render_caption(get_builtin("neon-night").style, ["Same", "pixels"], 1, HD)
    layout_caption.cache_clear()
    render_module._base.cache_clear()
    again = render_caption(get_builtin("neon-night").style, ["Same", "pixels"], 1, HD)
    assert (first.x, first.y, first.image.size) == (again.x, again.y, again.image.size)
    assert first.image.tobytes() == again.image.tobytes()


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"active": 3}, "active"),
        ({"active": -1}, "active"),
        ({"frame_size": (0, 1080)}, "frame_size"),
        ({"frame_size": "1080p"}, "frame_size"),
        ({"words": ["ok", "  "]}, "words"),
    ],
)
def test_bad_render_input_is_refused(kwargs, field):
    args = {"style": KARAOKE, "words": ["a", "b", "c"], "active": 0, "frame_size": HD, **kwargs}
    with pytest.raises(InvalidRequest) as err:
        render_caption(**args)
    assert err.value.field == field


def test_no_words_draws_nothing():
    rc = render_caption(KARAOKE, [], None, HD)
    assert rc.image.getchannel("A").getbbox() is None


# --- preview ------------------------------------------------------------------------------------


def test_previews_of_every_preset(tmp_path):
    size = (960, 540)
    plain = np.asarray(backdrop(size), dtype=np.int16)
    for preset in PRESETS:
        im = render_preview(preset.style, None, "Make every clip count today", size)
        assert im.mode == "RGB" and im.size == size
        changed = np.abs(np.asarray(im, dtype=np.int16) - plain).max(axis=-1) > 30
        assert changed.sum() > 2000, preset.slug
        ys = np.nonzero(changed.any(axis=1))[0]
        assert abs((ys.min() + ys.max()) / 2 - preset.style.position_y * size[1]) < 0.12 * size[1], preset.slug
        im.save(tmp_path / f"{preset.slug}.png")


def test_preview_over_a_frame_and_bad_text():
    frame = Image.new("RGB", (640, 360), (200, 30, 30))
    im = render_preview(KARAOKE, frame, "Over a frame", (1280, 720))
    assert im.size == (1280, 720) and im.getpixel((5, 5)) == (200, 30, 30)
    with pytest.raises(InvalidRequest) as err:
        render_preview(KARAOKE, None, "   ")
    assert err.value.field == "text"
