"""Segments out of and into plain files from the app: CSV and YouTube chapters, through the segment
list's Import/Export menu (the engine's formats), each import one undo step."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402

from fastclip_desktop.editor.editor_view import EditorView  # noqa: E402
from fastclip_desktop.worker_adapter import WorkerAdapter  # noqa: E402

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def editor(qtbot, source):
    adapter = WorkerAdapter()
    view = EditorView(adapter, player_options={"vo": "null", "ao": "null"})
    qtbot.addWidget(view)
    view.show()
    assert view.open(str(source("h264")))  # 4 s
    qtbot.waitUntil(lambda: view.model.duration > 0, timeout=20000)
    yield view
    view.close_player()
    adapter.shutdown()


def spans(editor):
    return [(round(s.start, 3), round(s.end, 3), s.label) for s in editor.model.ordered()]


def test_segments_go_out_as_csv_and_come_back_as_one_undo_step(editor, tmp_path):
    editor.timeline.add_segments([(0.5, 1.25, "Cold open"), (2.0, 3.5, "Hook, then payoff")])
    files = editor.segment_list.files
    target = tmp_path / "marks.csv"
    assert files.export_csv(target)
    assert target.read_text().splitlines() == ["start,end,label", "0.5,1.25,Cold open", '2,3.5,"Hook, then payoff"']
    editor.undo_stack.undo()
    assert spans(editor) == []
    assert files.import_csv(target) == 2
    assert spans(editor) == [(0.5, 1.25, "Cold open"), (2.0, 3.5, "Hook, then payoff")]
    editor.undo_stack.undo()  # the whole import, at once
    assert spans(editor) == []


def test_youtube_chapters_are_copied_and_imported(qtbot, editor, tmp_path):
    editor.timeline.add_segments([(0.0, 1.0, "Intro"), (2.0, 3.0, "")])
    text = editor.segment_list.files.copy_chapters()
    assert text.splitlines() == ["0:00 Intro", "0:02 Segment 2"]
    assert QGuiApplication.clipboard().text() == text
    editor.undo_stack.undo()
    chapters = tmp_path / "chapters.txt"
    chapters.write_text("Chapters:\n0:00 Welcome\n0:01 The demo\n0:03 Questions\n")
    assert editor.segment_list.files.import_chapters(chapters) == 3
    assert [(s, e, label) for s, e, label in spans(editor)] == [
        (0.0, 1.0, "Welcome"), (1.0, 3.0, "The demo"), (3.0, round(editor.model.duration, 3), "Questions")]


def test_a_file_that_cannot_be_used_adds_nothing_and_says_why(qtbot, editor, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("start,end,label\n3,1,backwards\n")
    said = []
    editor.timeline.message.connect(said.append)
    assert editor.segment_list.files.import_csv(bad) == 0
    assert spans(editor) == [] and said and "line 2" in said[0] and "bad.csv" in said[0]
    assert editor.messages.isVisible() and editor.messages.text == said[0]
    empty = tmp_path / "none.txt"
    empty.write_text("no chapters here\n")
    assert editor.segment_list.files.import_chapters(empty) == 0
    assert spans(editor) == [] and "none.txt" in editor.messages.text
