"""Caption Studio: presets listed, duplicated, edited, dragged, fonts imported, previewed over a frame.

Real Qt (offscreen), the real engine and a real library in the test's FASTCLIP_HOME; what is saved is
read back from a freshly opened Library, and what is shown is read from the pictures the panel paints.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import av  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage  # noqa: E402
from PySide6.QtWidgets import QComboBox  # noqa: E402

from engine.captions import STYLE_FIELDS, builtin_presets, custom, get_builtin  # noqa: E402
from engine.captions.fonts import FONTS_DIR  # noqa: E402
from engine.captions.preview import backdrop  # noqa: E402
from engine.library import Library  # noqa: E402
from fastclip_desktop.caption_studio import CaptionStudioModel  # noqa: E402
from fastclip_desktop.caption_studio.editor import FIELDS  # noqa: E402
from fastclip_desktop.caption_studio.frames import PREVIEW_BOX  # noqa: E402
from fastclip_desktop.caption_studio.panel import READ_ONLY_TEXT, CaptionStudio  # noqa: E402
from fastclip_desktop.worker_adapter import WorkerAdapter  # noqa: E402
from tests.media import read_barcode  # noqa: E402

FIRST = builtin_presets()[0].preset_ref  # what the studio shows first


@pytest.fixture
def library():
    lib = Library()
    yield lib
    lib.close()


@pytest.fixture
def adapter(qtbot):
    a = WorkerAdapter(max_threads=2)
    yield a
    assert a.shutdown(10000)


@pytest.fixture
def studio(qtbot, library, adapter):
    s = CaptionStudio(library, adapter)
    qtbot.addWidget(s)
    s.resize(1200, 800)
    s.show()
    settle(qtbot, s)
    yield s
    s.shutdown()


def settle(qtbot, s: CaptionStudio) -> None:
    """Wait until the newest preview asked for is the one on screen."""
    qtbot.waitUntil(lambda: s.renderer.settled and s.preview.preview is s.renderer.latest, timeout=10000)


def saved(ref: str):
    """The preset as a fresh library reads it."""
    with Library() as fresh:
        return custom.get_preset(ref, fresh)


def shown(s: CaptionStudio, index: int = 0) -> Image.Image:
    """The picture of state ``index`` the preview paints (a QImage) as a PIL image."""
    image = s.preview.preview.images[index].convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    data = bytes(image.constBits())[: image.bytesPerLine() * h]
    return Image.frombytes("RGB", (w, h), data, "raw", "RGB", image.bytesPerLine())


def click_preset(qtbot, s: CaptionStudio, ref: str) -> None:
    lst = s.presets.list
    item = s.presets.item_for(ref)
    lst.scrollToItem(item)
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=lst.visualItemRect(item).center())
    assert s.current_preset_ref == ref


def duplicate(qtbot, s: CaptionStudio, ref: str, name: str) -> str:
    click_preset(qtbot, s, ref)
    s.presets.new_name.clear()
    qtbot.keyClicks(s.presets.new_name, name)
    qtbot.mouseClick(s.presets.duplicate_button, Qt.MouseButton.LeftButton)
    settle(qtbot, s)
    return s.current_preset_ref


def type_into(qtbot, widget, text: str) -> None:
    """Select what the field holds and type ``text`` over it, as a user does, then press Enter."""
    line = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def tick(qtbot, checkbox) -> None:
    """Click a check box on its box (the widget may be wider than its box and label)."""
    qtbot.mouseClick(checkbox, Qt.MouseButton.LeftButton, pos=QPoint(8, checkbox.height() // 2))


def reddish(image: Image.Image) -> int:
    a = np.asarray(image, dtype=np.int16)
    return int(((a[..., 0] > 200) & (a[..., 1] < 60) & (a[..., 2] < 60)).sum())


# ------------------------------------------------------------------------------------------ the model


def test_the_model_lists_builtins_then_customs_and_keeps_builtins_read_only(library):
    made = custom.create_preset(library, {"name": "Mine", "clone_from_preset_ref": "builtin:word-box"})
    m = CaptionStudioModel(library)
    refs = [p.ref for p in m.presets]
    assert refs == [p.preset_ref for p in builtin_presets()] + [made.preset_ref]
    assert [p.editable for p in m.presets].count(True) == 1
    assert m.ref == FIRST and not m.editable
    assert not m.edit("font_size", 90)
    assert "read-only" in m.errors["font_size"] and m.style == get_builtin(FIRST).style and not m.dirty

    m.select(made.preset_ref)
    assert m.edit("font_size", 90) and m.dirty and m.style.font_size == 90
    assert saved(made.preset_ref).style.font_size == get_builtin("builtin:word-box").style.font_size  # not yet
    assert m.save() and not m.dirty and saved(made.preset_ref).style.font_size == 90
    assert not m.edit("stroke_width", 31)  # the engine's range, the engine's words
    assert m.errors["stroke_width"] == "stroke_width must be between 0 and 30, not 31"
    assert m.style.stroke_width == get_builtin("builtin:word-box").style.stroke_width and not m.dirty


def test_every_style_field_has_a_control():
    assert set(FIELDS) == set(STYLE_FIELDS)


# ------------------------------------------------------------------------------------------ the panel


def test_a_builtin_is_read_only_and_duplicating_it_makes_an_editable_custom_preset(qtbot, studio):
    click_preset(qtbot, studio, "builtin:neon-night")
    assert studio.notice.isVisible() and studio.notice.text() == READ_ONLY_TEXT
    assert not any(c.isEnabled() for c in studio.editor.controls.values())
    assert not studio.presets.delete_button.isEnabled() and studio.editor.import_button.isEnabled()

    ref = duplicate(qtbot, studio, "builtin:neon-night", "Neon for talks")
    preset = saved(ref)
    assert preset.name == "Neon for talks" and preset.clone_from_preset_ref == "builtin:neon-night"
    assert preset.style == get_builtin("builtin:neon-night").style
    assert studio.presets.list.currentItem().text() == "Neon for talks"
    assert studio.ref_field.text() == ref and studio.name.text() == "Neon for talks"
    assert all(c.isEnabled() for c in studio.editor.controls.values())
    assert not studio.notice.isVisible() and studio.hint.isVisible()
    assert studio.editor.controls["font_size"].value() == preset.style.font_size


def test_changing_controls_saves_the_preset_and_redraws_the_preview(qtbot, studio):
    ref = duplicate(qtbot, studio, "builtin:short-form-karaoke", "Red")
    before = shown(studio)
    assert reddish(before) == 0
    c = studio.editor.controls
    type_into(qtbot, c["font_size"], "120")
    type_into(qtbot, c["text_color"].text, "#FF0000")
    type_into(qtbot, c["words_per_caption"], "2")
    c["effect"].setCurrentIndex(c["effect"].findData("highlight_box"))
    tick(qtbot, c["uppercase"])
    tick(qtbot, c["background_enabled"])

    def stored():
        s = saved(ref).style
        return (s.font_size, s.text_color, s.words_per_caption, s.effect, s.uppercase, s.background_enabled)

    qtbot.waitUntil(lambda: stored() == (120, "#ff0000", 2, "highlight_box", True, True), timeout=5000)
    assert c["text_color"].value() == "#ff0000"  # shown as the engine normalised it once left
    settle(qtbot, studio)
    after = shown(studio)
    assert studio.preview.preview.style == saved(ref).style
    assert reddish(after) > 200  # the words are drawn in the new colour
    assert before.tobytes() != after.tobytes()
    assert [s.words for s in studio.preview.preview.states.states[:2]] == [("Captions", "that")] * 2


def test_dragging_the_caption_sets_its_position(qtbot, studio):
    ref = duplicate(qtbot, studio, "builtin:bold-pop", "Moved")
    p = studio.preview
    p.timer.stop()  # one state stays on screen while we aim at it
    x0, y0, x1, y1 = p.current_state.block
    start = p.to_widget((x0 + x1) / 2, (y0 + y1) / 2).toPoint()
    end = start - QPoint(120, 150)
    qtbot.mousePress(p, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(p, pos=start - QPoint(60, 75))
    qtbot.mouseMove(p, pos=end)
    qtbot.mouseRelease(p, Qt.MouseButton.LeftButton, pos=end)

    w, h = p.preview.states.size
    # the caption's centre moves with the mouse: from the block's centre by the drag
    dx, dy = (p.to_image(end.toPointF()) - p.to_image(start.toPointF())).toTuple()
    want_x, want_y = ((x0 + x1) / 2 + dx) / w, ((y0 + y1) / 2 + dy) / h
    qtbot.waitUntil(lambda: not studio.model.dirty, timeout=5000)
    style = saved(ref).style
    assert style.position_x == pytest.approx(want_x, abs=0.004)
    assert style.position_y == pytest.approx(want_y, abs=0.004)
    assert style.position_y < get_builtin("builtin:bold-pop").style.position_y - 0.1
    settle(qtbot, studio)
    nx0, ny0, nx1, ny1 = p.current_state.block  # redrawn where it was dropped
    assert ((nx0 + nx1) / 2 / w, (ny0 + ny1) / 2 / h) == pytest.approx((want_x, want_y), abs=0.01)
    assert studio.editor.controls["position_y"].value() == pytest.approx(style.position_y)


def test_a_builtin_cannot_be_dragged(qtbot, studio):
    p = studio.preview
    p.timer.stop()
    x0, y0, x1, y1 = p.current_state.block
    start = p.to_widget((x0 + x1) / 2, (y0 + y1) / 2).toPoint()
    qtbot.mousePress(p, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(p, pos=start - QPoint(0, 100))
    qtbot.mouseRelease(p, Qt.MouseButton.LeftButton, pos=start - QPoint(0, 100))
    assert studio.model.style == get_builtin(FIRST).style and not studio.model.dirty


def test_refused_values_show_the_engines_message_and_save_nothing(qtbot, studio):
    ref = duplicate(qtbot, studio, "builtin:word-box", "Careful")
    before = saved(ref)
    c, errors = studio.editor.controls, studio.editor.error_labels
    type_into(qtbot, c["font_size"], "500")
    assert errors["font_size"].isVisible()
    assert errors["font_size"].text() == "font_size must be between 12 and 300, not 500"
    assert c["font_size"].value() == 500  # the user's value stays, with the reason beside it
    type_into(qtbot, c["highlight_color"].text, "#12345")
    assert errors["highlight_color"].text() == "highlight_color must be a colour like #ff00aa, not '#12345'"
    assert not studio.model.dirty and not studio._save_timer.isActive()
    assert saved(ref) == before

    # a name the engine refuses, for a copy and for a rename
    studio.presets.new_name.clear()
    qtbot.mouseClick(studio.presets.duplicate_button, Qt.MouseButton.LeftButton)
    assert studio.presets.name_error.isVisible()
    assert studio.presets.name_error.text() == "a preset name must be 1 to 100 characters"
    type_into(qtbot, studio.name, "x" * 101)
    assert studio.name_error.text() == "a preset name must be 1 to 100 characters"
    with Library() as fresh:
        assert [p.preset_ref for p in custom.list_presets(fresh, "custom")] == [ref]
    assert saved(ref) == before

    type_into(qtbot, c["font_size"], "150")  # a good value clears the message and is saved
    assert not errors["font_size"].isVisible()
    qtbot.waitUntil(lambda: saved(ref).style.font_size == 150, timeout=5000)


def test_importing_a_file_that_is_not_a_font_shows_why_and_imports_nothing(qtbot, studio, tmp_path):
    fake = tmp_path / "Fancy.ttf"
    Image.new("RGB", (8, 8)).save(fake, format="PNG")
    fonts_before = studio.editor.controls["font_name"].count()
    task = studio.import_font(fake)
    assert not studio.editor.import_button.isEnabled()
    with qtbot.waitSignal(task.settled, timeout=10000):
        pass
    assert studio.status.text() == "Fancy.ttf was not imported: not a usable font: this is a PNG image, not a font"
    assert studio.editor.import_button.isEnabled()
    assert studio.editor.controls["font_name"].count() == fonts_before
    with Library() as fresh:
        assert custom.list_fonts(fresh) == []


def test_an_imported_font_joins_the_picker_and_the_preset_uses_it(qtbot, studio, tmp_path):
    ref = duplicate(qtbot, studio, "builtin:short-form-karaoke", "Inter")
    before = shown(studio)
    font = tmp_path / "MyInter.ttf"
    shutil.copy(FONTS_DIR / "inter" / "Inter-Bold.ttf", font)
    task = studio.import_font(font)
    with qtbot.waitSignal(task.finished, timeout=20000):
        pass
    with Library() as fresh:
        (imported,) = custom.list_fonts(fresh)
    picker: QComboBox = studio.editor.controls["font_name"]
    index = picker.findData(imported.font_id)
    assert index >= 0 and "(imported)" in picker.itemText(index)
    assert picker.currentIndex() == index  # the custom preset being edited uses it
    qtbot.waitUntil(lambda: saved(ref).font_id == imported.font_id, timeout=5000)
    assert saved(ref).style.font_name == imported.family
    settle(qtbot, studio)
    assert studio.preview.preview.font_file == Path(imported.path)
    assert shown(studio).tobytes() != before.tobytes()

    bangers = picker.findData("Bangers")  # back to a bundled font
    picker.setCurrentIndex(bangers)
    qtbot.waitUntil(lambda: saved(ref).font_id is None and saved(ref).style.font_name == "Bangers", timeout=5000)


def test_the_preset_ref_is_copied_and_chosen_for_export(qtbot, studio):
    ref = duplicate(qtbot, studio, "builtin:cinematic", "Film")
    assert studio.ref_field.isReadOnly() and studio.ref_field.text() == ref
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(studio.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == ref
    with qtbot.waitSignal(studio.preset_chosen, timeout=2000) as chosen:
        qtbot.mouseClick(studio.use_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [ref] and studio.current_preset_ref == ref


def test_deleting_a_custom_preset_asks_twice(qtbot, studio):
    ref = duplicate(qtbot, studio, "builtin:sticker", "Gone soon")
    button = studio.presets.delete_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.text() == "Click again to delete" and saved(ref).name == "Gone soon"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    with Library() as fresh:
        assert custom.list_presets(fresh, "custom") == []
    assert studio.presets.item_for(ref) is None
    assert studio.current_preset_ref == builtin_presets()[-1].preset_ref  # its neighbour


def test_the_preview_animates_through_the_words(qtbot, studio):
    states = studio.preview.preview.states.states
    assert [s.active for s in states[:3]] == [0, 1, 2]  # one word after the other is spoken
    assert shown(studio, 0).tobytes() != shown(studio, 1).tobytes()
    first = studio.preview.index
    qtbot.waitUntil(lambda: studio.preview.index != first, timeout=2000)


def test_the_preview_is_drawn_over_the_frame_of_the_open_video(qtbot, studio, source):
    backdrop_pixel = backdrop(PREVIEW_BOX).getpixel((20, 20))
    assert shown(studio).size == PREVIEW_BOX and shown(studio).getpixel((20, 20)) == backdrop_pixel

    studio.set_source(source("h264"), 2.0)
    qtbot.waitUntil(lambda: studio.renderer.source is not None, timeout=10000)
    settle(qtbot, studio)
    image = shown(studio)
    assert image.size == (720, 540)  # the video's 4:3, fitted to the preview
    assert read_barcode(av.VideoFrame.from_image(image)) == 60  # the frame at 2 s, under the caption
    assert studio.status.text() == ""

    studio.set_source(f"{source('h264')}.missing", 1.0)  # a file that went away: said, not raised
    qtbot.waitUntil(lambda: "No frame to preview on" in studio.status.text(), timeout=10000)
    studio.set_source(None)
    settle(qtbot, studio)
    assert shown(studio).size == PREVIEW_BOX


def test_quick_edits_render_once_with_the_newest_style(qtbot, studio):
    ref = duplicate(qtbot, studio, "builtin:podcast-block", "Quick")
    delivered = []
    studio.renderer.rendered.connect(delivered.append)
    spin = studio.editor.controls["font_size"]
    for size in range(60, 100, 4):  # ten edits faster than the debounce
        spin.setValue(size)
    settle(qtbot, studio)
    assert len(delivered) == 1 and delivered[0].style.font_size == 96
    qtbot.waitUntil(lambda: saved(ref).style.font_size == 96, timeout=5000)
