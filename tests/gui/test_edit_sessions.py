"""An editor's work is never lost: each file's marks come back after a switch and after a restart, a
file that cannot be opened changes nothing, and the command line sees what the app saved.

Real Qt (offscreen), real mpv (vo=null, ao=null), real job runner and library, generated media.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import av  # noqa: E402
import pytest  # noqa: E402

from engine.library import Library  # noqa: E402
from fastclip_desktop.app_settings import AppSettings  # noqa: E402
from fastclip_desktop.editor.segment_list import LABEL  # noqa: E402
from fastclip_desktop.main_window import MainWindow  # noqa: E402
from tests import media  # noqa: E402

pytestmark = pytest.mark.timeout(180)
CLI = [sys.executable, "-m", "fastclip_desktop.cli"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sessions")
    return {
        "a": media.make_video(folder / "interview.mp4", duration=6.0),
        "b": media.make_video(folder / "b-roll.mp4", duration=4.0),
        "text": media.text_file(folder / "notes.mp4"),
        "damaged": media.graft_header(media.make_video(folder / "donor.mp4", duration=2.0),
                                      media.text_file(folder / "body.txt", "garbage " * 4000),
                                      folder / "damaged.mp4", head_bytes=64),
    }


@pytest.fixture
def settings(tmp_path):
    return AppSettings(tmp_path / "desktop.ini")


def new_window(qtbot, settings) -> MainWindow:
    w = MainWindow(app_settings=settings, player_options={"vo": "null", "ao": "null"}, workers=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def window(qtbot, settings):
    w = new_window(qtbot, settings)
    yield w
    if w.isVisible():
        w.close()


def open_file(qtbot, w: MainWindow, path) -> None:
    path = str(Path(path).resolve())
    assert w.open_path(path)
    qtbot.waitUntil(lambda: w.editor.shown == path and w.session is not None and w.session.path == path
                    and w.editor.model.duration > 0, timeout=30000)
    qtbot.waitUntil(lambda: w.session.file_id is not None, timeout=30000)


def spans(w: MainWindow) -> list[tuple[float, float, str]]:
    return [(round(s.start, 3), round(s.end, 3), s.label) for s in w.editor.model.ordered()]


def mark(w: MainWindow, start: float, end: float, label: str = "") -> None:
    """Add a segment as Enter does, and type its label into its row's Label cell."""
    w.editor.add_segment(start, end)
    if label:
        row = [s.id for s in w.editor.model.ordered()].index(w.editor.model.selected)
        w.editor.segment_list.table.item(row, LABEL).setText(label)


def test_each_file_keeps_its_segments_marks_and_undo_across_a_switch(qtbot, window, files):
    w = window
    open_file(qtbot, w, files["a"])
    mark(w, 1.0, 2.0, "Intro")
    mark(w, 3.0, 4.5)
    w.editor.model.set_in(5.0)
    w.editor.model.zoom(2.0, 2.0)
    view = (w.editor.model.view_start, w.editor.model.view_end)
    open_file(qtbot, w, files["b"])
    assert spans(w) == [] and w.editor.model.in_point is None  # b has none of a's work
    mark(w, 0.5, 1.5)
    open_file(qtbot, w, files["a"])
    assert spans(w) == [(1.0, 2.0, "Intro"), (3.0, 4.5, "")]
    assert w.editor.model.in_point == pytest.approx(5.0)
    assert (w.editor.model.view_start, w.editor.model.view_end) == pytest.approx(view)
    assert w.windowTitle().startswith("interview.mp4")
    w.editor.undo_stack.undo()  # a's history: the last thing done to a (the second segment) goes
    assert spans(w) == [(1.0, 2.0, "Intro")]
    open_file(qtbot, w, files["b"])
    assert spans(w) == [(0.5, 1.5, "")]
    w.editor.undo_stack.undo()
    assert spans(w) == []


def test_segments_and_choices_survive_a_restart(qtbot, settings, files):
    w = new_window(qtbot, settings)
    open_file(qtbot, w, files["a"])
    qtbot.waitUntil(lambda: w.export_panel.model.file_id is not None, timeout=30000)
    mark(w, 1.0, 2.5, "Question")
    mark(w, 4.0, 5.0, "Answer")
    w.editor.set_mode("keyframe")
    w.export_panel.model.choose("format", "mp3")
    w.editor.controller.seek(3.25, exact=True)
    qtbot.waitUntil(lambda: abs(w.editor.controller.position - 3.25) < 0.05, timeout=10000)
    w.close()

    w = new_window(qtbot, settings)
    try:
        open_file(qtbot, w, files["a"])
        assert spans(w) == [(1.0, 2.5, "Question"), (4.0, 5.0, "Answer")]
        assert w.editor.model.mode == "keyframe" and w.export_panel.model.choice("mode") == "keyframe"
        assert w.export_panel.model.choice("format") == "mp3"
        qtbot.waitUntil(lambda: abs(w.editor.controller.position - 3.25) < 0.05, timeout=10000)
    finally:
        w.close()


def test_a_file_that_cannot_be_opened_changes_nothing_and_says_why(qtbot, window, files):
    w = window
    open_file(qtbot, w, files["a"])
    mark(w, 1.0, 2.0, "Keep me")
    title = w.windowTitle()
    for bad, why in ((files["text"], "looks like a text file"), (files["a"].parent / "missing.mp4", "no such file")):
        assert not w.open_path(str(bad))
        assert why in w.editor.messages.text and w.editor.messages.isVisible()
        assert w.editor.shown == str(Path(files["a"]).resolve()) and w.windowTitle() == title
        assert spans(w) == [(1.0, 2.0, "Keep me")]
    # damaged past its first bytes: the player refuses it, and the open file comes back as it was
    assert w.open_path(str(files["damaged"]))
    qtbot.waitUntil(lambda: "damaged.mp4" in w.editor.messages.text, timeout=30000)
    qtbot.waitUntil(lambda: w.editor.shown == str(Path(files["a"]).resolve()) and w.editor.model.duration > 0,
                    timeout=30000)
    assert spans(w) == [(1.0, 2.0, "Keep me")] and w.windowTitle() == title
    w.editor.undo_stack.undo()  # the history is a's, still: the naming, then the segment
    assert spans(w) == [(1.0, 2.0, "")]
    w.editor.undo_stack.undo()
    assert spans(w) == []
    w.editor.messages.dismiss()
    assert not w.editor.messages.isVisible()


def test_the_command_line_lists_and_exports_what_the_app_marked(qtbot, window, files, tmp_path):
    w = window
    open_file(qtbot, w, files["a"])
    mark(w, 1.0, 2.0, "Hook")
    mark(w, 3.0, 4.5, "Payoff")
    qtbot.waitUntil(lambda: not w.session.dirty, timeout=5000)  # saved within a moment of the edit
    listed = subprocess.run([*CLI, "segments", str(files["a"]), "--json"], capture_output=True, text=True,
                            timeout=60)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["file_id"] == w.session.file_id
    assert [(s["start"], s["end"], s["label"]) for s in data["segments"]] == [(1.0, 2.0, "Hook"), (3.0, 4.5, "Payoff")]
    out = tmp_path / "clips"
    made = subprocess.run([*CLI, "clip", str(files["a"]), "--marked", "--mode", "precise", "-o", f"{out}/"],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Hook.mp4", "Payoff.mp4"]
    for name, length in (("Hook.mp4", 1.0), ("Payoff.mp4", 1.5)):
        with av.open(str(out / name)) as c:
            assert float(c.duration / av.time_base) == pytest.approx(length, abs=0.05)
    with Library() as lib:  # the app's own library connection saw nothing change behind it
        assert [s.label for s in lib.get_edit_state(w.session.file_id).segments] == ["Hook", "Payoff"]
