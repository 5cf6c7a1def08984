"""The library panel: a real Library in FASTCLIP_HOME, real files, driven through the widget.

Each test fills a fresh library directly through ``engine.library.Library``: three imports (two
probed videos, one failed) and four clips — three in the library's clips folder (one pinned) and
one exported to a folder of the user's — then checks what the tree shows and what the library
holds after the user acts.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox

from engine.errors import NotFound
from engine.library import Clip, Library
from engine.media.probe import probe
from fastclip_desktop.library_panel import (
    NO_SOURCE,
    LibraryModel,
    duration_text,
    expiry_text,
)
from fastclip_desktop.library_panel.panel import LibraryPanel
from fastclip_desktop.library_panel.tree import DETAILS, DURATION, ICON_SIZE, KEPT, NAME, SUBLINE_ROLE
from fastclip_desktop.worker_adapter import WorkerAdapter
from tests.conftest import sha256


class Clock:
    """The library's clock: real time, moved on by hand."""

    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **delta) -> None:
        self.t += timedelta(**delta)


@dataclass
class Filled:
    lib: Library
    clock: Clock
    video: str  # file_ids
    short: str
    failed: str
    intro: Clip  # library clip of `video`, 4 s
    best: Clip  # library clip of `video`, 1 s, pinned
    mine: Clip  # the user's export of `video`, 4 s
    teaser: Clip  # library clip of `short`, 1 s
    sources: dict  # file_id -> path


def _import(lib: Library, path: Path) -> str:
    media = lib.add_media(path)
    return lib.mark_media_ready(media.file_id, probe(path)).file_id


def _clip(lib: Library, src: Path, dest: Path, source_file_id: str, title: str, quality: str, **kw) -> Clip:
    shutil.copyfile(src, dest)
    return lib.add_clip(path=dest, format="mp4", duration=float(probe(dest).duration),
                        source_file_id=source_file_id, quality=quality, title=title, **kw)


@pytest.fixture
def filled(source, tmp_path) -> Filled:
    # ten minutes ago, a minute apart: a library clip made now is kept 23 h 5x min more
    clock = Clock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10))
    lib = Library(now=clock)
    h264, p720, mp3 = source("h264"), source("720p"), source("audio_mp3")
    video = _import(lib, h264)
    clock.advance(minutes=1)
    short = _import(lib, p720)
    clock.advance(minutes=1)
    failed = lib.mark_media_failed(lib.add_media(mp3).file_id, "the decoder crashed on this file").file_id
    clock.advance(minutes=1)
    intro = _clip(lib, h264, lib.clips_dir / "intro.mp4", video, "Intro", "240p")
    clock.advance(minutes=1)
    best = _clip(lib, p720, lib.clips_dir / "best.mp4", video, "Best moment", "720p", pinned=True)
    clock.advance(minutes=1)
    (tmp_path / "mine").mkdir()
    mine = _clip(lib, h264, tmp_path / "mine" / "my export.mp4", video, "My export", "240p")
    clock.advance(minutes=1)
    teaser = _clip(lib, p720, lib.clips_dir / "teaser.mp4", short, "Teaser", "720p")
    clock.advance(minutes=1)
    yield Filled(lib, clock, video, short, failed, intro, best, mine, teaser,
                 {video: str(h264.resolve()), short: str(p720.resolve())})
    lib.close()


@pytest.fixture
def adapter(qtbot):
    a = WorkerAdapter(max_threads=2)
    yield a
    assert a.shutdown(10_000)


@pytest.fixture
def make_panel(qtbot, adapter):
    panels = []

    def make(lib: Library, **kw) -> LibraryPanel:
        panel = LibraryPanel(lib, adapter, **kw)
        qtbot.addWidget(panel)
        panel.resize(760, 520)
        panel.show()
        qtbot.waitExposed(panel)
        panels.append(panel)
        return panel

    yield make
    for p in panels:
        p.stop()


@pytest.fixture
def panel(filled, make_panel) -> LibraryPanel:
    return make_panel(filled.lib)


# ------------------------------------------------------------------------------------------- helpers


def tops(panel) -> list[str]:
    return [panel.tree.topLevelItem(i).text(NAME) for i in range(panel.tree.topLevelItemCount())]


def children(panel, file_id: str, column: int = NAME) -> list[str]:
    item = panel.tree.source_item(file_id)
    return [item.child(i).text(column) for i in range(item.childCount())]


def select(panel, *clip_ids: str) -> None:
    panel.tree.clearSelection()
    items = [panel.tree.clip_item(c) for c in clip_ids]
    panel.tree.setCurrentItem(items[0])
    for item in items:
        item.setSelected(True)
    panel.tree.setFocus()


def confirm(qtbot, panel, verb: str) -> None:
    qtbot.waitUntil(lambda: isinstance(panel.dialog, QMessageBox) and panel.dialog.isVisible())
    box = panel.dialog
    [button] = [b for b in box.buttons() if b.text() == verb]
    button.click()


def fresh(clip_id: str) -> Clip:
    """The clip as a new Library (another reader of the same file) sees it."""
    with Library() as lib:
        return lib.get_clip(clip_id)


def has_picture(item) -> bool:
    """The row's icon is a real frame: the placeholder is one flat colour."""
    image = item.icon(NAME).pixmap(ICON_SIZE).toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    return len(colours) > 4


# -------------------------------------------------------------------------------------------- model


def test_texts_a_person_reads(filled):
    now = filled.clock()
    assert expiry_text(filled.intro, now) == "expires in 23 h"
    assert expiry_text(filled.best, now) == "pinned"
    assert expiry_text(filled.mine, now) == "yours (never expires)"
    assert expiry_text(filled.intro, now + timedelta(hours=23, minutes=40)) == "expires in 16 min"
    assert expiry_text(filled.intro, now + timedelta(hours=25)) == "expired"
    assert expiry_text(replace(filled.intro, pinned=True, expires_at=None), now) == "pinned"
    assert [duration_text(s) for s in (None, 4.0, 59.9, 62.4, 3723)] == ["—", "4.0 s", "59.9 s", "1:02", "1:02:03"]
    m = LibraryModel(max_clips=3)  # capped: the newest three clips are read
    m.reload(filled.lib)
    assert [c.title for c in m.clips] == ["Teaser", "My export", "Best moment"]
    assert m.summary() == "3 sources · 4 clips (showing the newest 3 sources and 3 clips)"
    assert "file is yours and is kept" in m.delete_clips_text([filled.mine.clip_id])
    assert m.delete_clips_text([filled.teaser.clip_id, filled.mine.clip_id]) == (
        "Delete 2 clips? Their files in the library are deleted. 1 of them is a file you exported, "
        "which the app keeps.")


# ---------------------------------------------------------------------------------------- the tree


def test_sources_show_with_their_clips_grouped_beneath(panel, filled):
    tree = panel.tree
    assert tops(panel) == ["audio.mp3", "720p.mp4", "h264.mp4"]  # newest first
    video, short, failed = (tree.source_item(i) for i in (filled.video, filled.short, filled.failed))
    assert (video.text(DETAILS), video.text(DURATION)) == ("ready · video", "4.0 s")
    assert short.text(DURATION) == "1.0 s"
    assert failed.text(DETAILS) == "failed" and failed.toolTip(DETAILS) == "the decoder crashed on this file"
    assert failed.childCount() == 0
    assert children(panel, filled.video) == ["My export", "Best moment", "Intro"]
    assert children(panel, filled.video, DETAILS) == ["MP4 · 240p", "MP4 · 720p", "MP4 · 240p"]
    assert children(panel, filled.video, DURATION) == ["4.0 s", "1.0 s", "4.0 s"]
    assert children(panel, filled.video, KEPT) == ["yours (never expires)", "pinned", "expires in 23 h"]
    assert [video.child(i).checkState(KEPT) for i in range(3)] == [
        Qt.CheckState.Unchecked, Qt.CheckState.Checked, Qt.CheckState.Unchecked]
    assert children(panel, filled.short) == ["Teaser"]
    assert panel.summary.text() == "3 sources · 4 clips"


def test_a_narrow_library_gives_a_clips_name_the_row_and_its_times_show(qtbot, panel, filled):
    # 250 px: the library's width on a 1280x720 screen. A clip's name ends with the times that tell
    # clips apart: it shows whole, with its duration, details and expiry on a line beneath it
    clip = _clip(filled.lib, Path(filled.sources[filled.video]), filled.lib.clips_dir / "h.mp4", filled.video,
                 "h264_0-1.5-0-9.6", "240p")
    panel.refresh()
    panel.resize(250, 520)
    qtbot.waitUntil(lambda: panel.tree.compact)
    tree = panel.tree
    assert [tree.isColumnHidden(c) for c in (NAME, DETAILS, DURATION, KEPT)] == [False, True, True, True]
    item = tree.clip_item(clip.clip_id)
    room = tree.visualItemRect(item).width() - ICON_SIZE.width() - 16  # the picture and the margins
    assert tree.fontMetrics().horizontalAdvance("h264_0-1.5-0-9.6") <= room
    assert item.data(NAME, SUBLINE_ROLE) == "4.0 s · MP4 · 240p · expires in 23 h"
    assert tree.source_item(filled.video).data(NAME, SUBLINE_ROLE) == "4.0 s · ready · video"
    panel.resize(760, 520)  # wide again: the columns come back
    qtbot.waitUntil(lambda: not panel.tree.compact)
    assert not any(tree.isColumnHidden(c) for c in (DETAILS, DURATION, KEPT))


def test_pictures_of_clips_and_sources_fill_in(qtbot, panel, filled):
    tree = panel.tree
    rows = [tree.clip_item(c.clip_id) for c in (filled.intro, filled.best, filled.mine)]
    rows.append(tree.source_item(filled.video))
    qtbot.waitUntil(lambda: all(has_picture(r) for r in rows), timeout=20_000)
    assert not has_picture(tree.source_item(filled.failed))  # no picture for a failed import
    assert list((Path(os.environ["FASTCLIP_HOME"]) / "cache" / "thumbnails").glob("*.thumbs"))
    panel.refresh()  # pictures stay across a refresh
    assert has_picture(tree.clip_item(filled.intro.clip_id))


# ---------------------------------------------------------------------------------------- pin, rename


def test_pin_and_unpin_from_the_button_and_the_checkbox(qtbot, panel, filled):
    select(panel, filled.intro.clip_id)
    assert panel.pin_action.text() == "Pin"
    panel.pin_action.trigger()
    assert fresh(filled.intro.clip_id).pinned and fresh(filled.intro.clip_id).expires_at is None
    qtbot.waitUntil(lambda: panel.tree.clip_item(filled.intro.clip_id).text(KEPT) == "pinned")
    assert panel.pin_action.text() == "Unpin"  # the selection survived the refresh

    panel.tree.clip_item(filled.best.clip_id).setCheckState(KEPT, Qt.CheckState.Unchecked)  # the user's click
    assert not fresh(filled.best.clip_id).pinned
    qtbot.waitUntil(lambda: panel.tree.clip_item(filled.best.clip_id).text(KEPT) == "expires in 23 h")


def _edit(qtbot, panel, clip_id: str) -> QLineEdit:
    select(panel, clip_id)
    qtbot.keyClick(panel.tree, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit)
                    and QApplication.focusWidget() is not panel.search)
    return QApplication.focusWidget()


def test_rename_inline_and_the_engine_refuses_a_title_too_long(qtbot, panel, filled):
    editor = _edit(qtbot, panel, filled.intro.clip_id)
    editor.selectAll()
    qtbot.keyClicks(editor, "Opening scene")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the view commits the edit on its next turn
    qtbot.waitUntil(lambda: fresh(filled.intro.clip_id).title == "Opening scene")
    qtbot.waitUntil(lambda: "Opening scene" in children(panel, filled.video))

    editor = _edit(qtbot, panel, filled.intro.clip_id)
    editor.setText("x" * 201)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.message.text() == "a clip title can be at most 200 characters (this one has 201)")
    assert fresh(filled.intro.clip_id).title == "Opening scene"
    assert panel.tree.clip_item(filled.intro.clip_id).text(NAME) == "Opening scene"


# -------------------------------------------------------------------------------------------- delete


def test_delete_a_library_clip_deletes_its_file_but_a_users_clip_keeps_its_own(qtbot, panel, filled):
    select(panel, filled.intro.clip_id)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    confirm(qtbot, panel, "Cancel")  # changed their mind: nothing happens
    assert fresh(filled.intro.clip_id) and Path(filled.intro.path).exists()

    select(panel, filled.intro.clip_id)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    confirm(qtbot, panel, "Delete")
    with pytest.raises(NotFound):
        fresh(filled.intro.clip_id)
    assert not Path(filled.intro.path).exists()
    assert children(panel, filled.video) == ["My export", "Best moment"]

    select(panel, filled.mine.clip_id)
    panel.delete_action.trigger()
    assert "is yours and is kept" in panel.dialog.text()
    confirm(qtbot, panel, "Delete")
    with pytest.raises(NotFound):
        fresh(filled.mine.clip_id)
    assert Path(filled.mine.path).exists()  # the user's file is never deleted
    assert children(panel, filled.video) == ["Best moment"]


def test_bulk_delete_of_selected_clips_and_the_engines_limit(qtbot, panel, filled, source):
    select(panel, filled.best.clip_id, filled.teaser.clip_id)
    assert panel.delete_action.isEnabled() and panel.rename_action.isEnabled() is False
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    confirm(qtbot, panel, "Delete")
    for clip in (filled.best, filled.teaser):
        with pytest.raises(NotFound):
            fresh(clip.clip_id)
        assert not Path(clip.path).exists()
    assert children(panel, filled.video) == ["My export", "Intro"] and children(panel, filled.short) == []
    assert panel.message.text() == "Deleted 2 clips."

    many = [filled.lib.add_clip(path=shutil.copyfile(source("720p"), filled.lib.clips_dir / f"c{i}.mp4"),
                                format="mp4", duration=1.0, source_file_id=filled.short).clip_id
            for i in range(51)]
    panel.refresh()
    select(panel, *many)
    panel.delete_action.trigger()
    confirm(qtbot, panel, "Delete")
    assert panel.message.text() == "at most 50 clips can be deleted at once (51 given)"
    assert Library().count_clips(filled.short) == 51


# -------------------------------------------------------------------------------------- export, open


def test_export_a_copy_writes_a_byte_identical_file(qtbot, panel, filled, tmp_path):
    dest = tmp_path / "out" / "copy of intro.mp4"
    dest.parent.mkdir()
    select(panel, filled.intro.clip_id)
    qtbot.keyClick(panel.tree, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(panel.dialog, QFileDialog) and panel.dialog.isVisible())
    panel.dialog.selectFile(str(dest))
    panel.dialog.accept()
    qtbot.waitUntil(lambda: panel.message.text().startswith("Exported a copy to"), timeout=10_000)
    assert sha256(dest) == sha256(filled.intro.path)
    assert Library().clip_for_path(dest) is None  # a copy of the user's, not a new library clip


def test_open_a_clip_or_a_source_and_selecting_a_source(qtbot, panel, filled):
    tree = panel.tree
    with qtbot.waitSignal(panel.source_selected) as selected:
        tree.setCurrentItem(tree.source_item(filled.short))
    assert selected.args == [filled.short]
    with qtbot.assertNotEmitted(panel.source_selected):
        panel.refresh()  # the same row stays current: nothing new was selected
    assert tree.currentItem() is tree.source_item(filled.short)
    tree.setFocus()
    with qtbot.waitSignal(panel.open_requested) as opened:
        qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert opened.args == [filled.sources[filled.short]]
    at = tree.visualItemRect(tree.clip_item(filled.mine.clip_id)).topLeft() + QPoint(90, 10)  # on its title
    with qtbot.waitSignal(panel.open_requested) as opened:
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=at)
        qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert opened.args == [filled.mine.path]

    tree.setCurrentItem(tree.source_item(filled.failed))
    with qtbot.assertNotEmitted(panel.open_requested):
        panel.open_action.trigger()
    assert "is not ready (status failed: the decoder crashed on this file)" in panel.message.text()


def test_remove_an_import_keeps_its_file_and_its_clips(qtbot, panel, filled):
    panel.tree.clearSelection()
    panel.tree.setCurrentItem(panel.tree.source_item(filled.short))
    assert panel.delete_action.text() == "Remove import"
    panel.delete_action.trigger()
    confirm(qtbot, panel, "Remove")
    assert [m.file_id for m in Library().list_media()] == [filled.failed, filled.video]
    assert Path(filled.sources[filled.short]).exists()
    assert tops(panel) == ["audio.mp3", "h264.mp4", NO_SOURCE]
    orphans = panel.tree.topLevelItem(2)
    assert [orphans.child(i).text(NAME) for i in range(orphans.childCount())] == ["Teaser"]


# -------------------------------------------------------------------------------------- search, sort


def test_search_filters_by_source_name_and_clip_title(qtbot, panel, filled):
    qtbot.keyClicks(panel.search, "best")
    assert tops(panel) == ["h264.mp4"] and children(panel, filled.video) == ["Best moment"]
    panel.search.setText("720P")  # a source's name shows all its clips
    assert tops(panel) == ["720p.mp4"] and children(panel, filled.short) == ["Teaser"]
    panel.search.setText("nothing like this")
    assert tops(panel) == []
    panel.search.clear()
    assert len(tops(panel)) == 3


def test_sort_orders_sources_and_clips(panel, filled):
    def sort_by(label):
        panel.sort.setCurrentIndex(panel.sort.findText(label))

    sort_by("Name")
    assert tops(panel) == ["720p.mp4", "audio.mp3", "h264.mp4"]
    assert children(panel, filled.video) == ["Best moment", "Intro", "My export"]
    sort_by("Longest first")
    assert tops(panel) == ["h264.mp4", "720p.mp4", "audio.mp3"]
    assert children(panel, filled.video) == ["My export", "Intro", "Best moment"]  # a tie keeps newest first
    sort_by("Oldest first")
    assert tops(panel) == ["h264.mp4", "720p.mp4", "audio.mp3"]
    assert children(panel, filled.video) == ["Intro", "Best moment", "My export"]
    sort_by("Newest first")
    assert children(panel, filled.video) == ["My export", "Best moment", "Intro"]


# -------------------------------------------------------------------------------------------- expiry


def test_expired_clips_disappear_when_the_sweep_runs(qtbot, filled, make_panel):
    panel = make_panel(filled.lib, sweep_interval_ms=100)
    assert children(panel, filled.video) == ["My export", "Best moment", "Intro"]
    filled.clock.advance(hours=25)  # past every unpinned library clip's time
    qtbot.waitUntil(lambda: children(panel, filled.video) == ["My export", "Best moment"], timeout=5000)
    assert children(panel, filled.short) == []
    assert not Path(filled.intro.path).exists() and not Path(filled.teaser.path).exists()
    assert Path(filled.best.path).exists() and Path(filled.mine.path).exists()
    with Library() as lib:
        assert {c.clip_id: c.status for c in lib.list_clips(include_expired=True)} == {
            filled.intro.clip_id: "expired", filled.teaser.clip_id: "expired",
            filled.best.clip_id: "available", filled.mine.clip_id: "available"}
