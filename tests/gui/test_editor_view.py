"""The editor: a real mpv (vo=null) plays a generated file; keys mark and add segments; the list,
the undo stack and the keyframe analysis from the engine's worker processes all show."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from fastclip_desktop.editor.editor_view import EditorView  # noqa: E402
from fastclip_desktop.timeline import KEYFRAME  # noqa: E402
from fastclip_desktop.worker_adapter import WorkerAdapter  # noqa: E402


@pytest.fixture
def editor(qtbot):
    adapter = WorkerAdapter(max_threads=2)
    view = EditorView(adapter, player_options={"vo": "null", "ao": "null"})
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    yield view
    view.close_player()
    adapter.shutdown()


def open_and_analyse(qtbot, editor, path) -> None:
    arrived = set()
    editor.analysed.connect(arrived.add)
    with qtbot.waitSignal(editor.opened, timeout=10000):
        editor.open(str(path))
    qtbot.waitUntil(lambda: arrived >= {"keyframes", "pictures", "sound"}, timeout=30000)


def seek(qtbot, editor, t: float) -> None:
    editor.controller.seek(t, exact=True)
    qtbot.waitUntil(lambda: not editor.controller.seeking and abs(editor.controller.position - t) < 0.02,
                    timeout=5000)


def test_keys_mark_and_add_segments_that_the_list_shows_and_undo_removes(qtbot, editor, source):
    open_and_analyse(qtbot, editor, source("h264"))
    assert editor.model.duration == pytest.approx(4.0, abs=0.05)
    assert editor.timeline.strip is not None and editor.timeline.waveform is not None
    emitted = []
    editor.segments_changed.connect(emitted.append)

    editor.timeline.setFocus()
    seek(qtbot, editor, 0.5)
    QTest.keyClick(editor.timeline, Qt.Key.Key_I)
    seek(qtbot, editor, 1.5)
    QTest.keyClick(editor.timeline, Qt.Key.Key_O)
    QTest.keyClick(editor.timeline, Qt.Key.Key_Return)
    assert editor.segments() == [pytest.approx((0.5, 1.5), abs=0.02)]
    assert editor.segment_list.rows()[0][1:5] == ("", "0:00.500", "0:01.500", "1.00 s")  # no label yet
    assert emitted[-1] == editor.segments()

    seek(qtbot, editor, 2.2)
    QTest.keyClick(editor.timeline, Qt.Key.Key_I)
    seek(qtbot, editor, 3.0)
    QTest.keyClick(editor.timeline, Qt.Key.Key_Return)  # in to the playhead
    assert len(editor.segment_list.rows()) == 2
    assert editor.segment_list.total.text().startswith("2 segments")

    editor.undo_stack.undo()
    assert editor.segments() == [pytest.approx((0.5, 1.5), abs=0.02)]
    editor.undo_stack.redo()
    assert len(editor.segments()) == 2


def test_in_keyframe_mode_the_list_shows_where_the_cut_really_lands(qtbot, editor, source):
    open_and_analyse(qtbot, editor, source("h264"))  # a keyframe at every whole second
    editor.add_segment(1.5, 2.5)
    editor.set_mode(KEYFRAME)
    assert editor.mode_box.currentData() == KEYFRAME
    [row] = editor.segment_list.rows()
    assert row[5] == "0:01.000 (0.50 s earlier)"


def test_the_remove_button_removes_the_selected_segment_undoably(qtbot, editor, source):
    open_and_analyse(qtbot, editor, source("h264"))
    editor.add_segment(0.5, 1.0)
    editor.add_segment(2.0, 3.0)
    editor.segment_list.table.selectRow(0)
    assert editor.model.selected == editor.model.ordered()[0].id
    qtbot.mouseClick(editor.segment_list.remove_button, Qt.MouseButton.LeftButton)
    assert editor.segments() == [(2.0, 3.0)]
    editor.undo_stack.undo()
    assert editor.segments() == [(0.5, 1.0), (2.0, 3.0)]
