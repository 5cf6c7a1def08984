"""The export panel: real media probed by the engine, a real Library, the widget driven as a user would.

Every message the tests expect is the engine's own: each is read from ``engine.cut.request.validate``
on the same request, so the panel is checked to show what the engine says, where it says it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QComboBox  # noqa: E402

from engine.captions.custom import create_preset  # noqa: E402
from engine.cut.request import ClipRequest, Segment, validate  # noqa: E402
from engine.errors import FastClipError, Gone, InvalidRequest  # noqa: E402
from engine.jobs.runner import Runner  # noqa: E402
from engine.library import Library  # noqa: E402
from engine.media.probe import probe  # noqa: E402
from fastclip_desktop.export_panel import (  # noqa: E402
    GENERAL,
    ExportModel,
    duration_text,
    form_field,
)
from fastclip_desktop.export_panel.panel import ExportPanel  # noqa: E402
from tests import media  # noqa: E402

FILE_ID = "upl_0123456789ab"  # what the main window passes: the open import's file_id
PRESET = "builtin:bold-pop"


def refusal(info, **fields) -> str:
    """The engine's message for a request it refuses."""
    with pytest.raises(InvalidRequest) as e:
        validate(ClipRequest(info.path, **fields), info)
    return str(e.value)


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    """A 35 s source (tiny and at 10 fps, so it is cheap), long enough to break the GIF limit."""
    path = media.make_video(tmp_path_factory.mktemp("long") / "long.mp4", duration=35, width=160,
                            height=120, fps=10, gop=10)
    return probe(path)


@pytest.fixture
def panel(qtbot):
    p = ExportPanel()
    qtbot.addWidget(p)
    p.show()
    qtbot.waitExposed(p)
    return p


def pick(qtbot, combo: QComboBox, value) -> None:
    """Open the combo's list and click the entry holding ``value``, as a user does."""
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not offered"
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    rect = view.visualRect(view.model().index(index, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    if view.isVisible():  # a disabled entry takes no click: close the list as a user would
        combo.hidePopup()


def entry(combo: QComboBox, value):
    """(enabled, tooltip) of the entry holding ``value``."""
    item = combo.model().item(combo.findData(value))
    return item.isEnabled(), item.toolTip()


def export(qtbot, panel) -> tuple:
    with qtbot.waitSignal(panel.export_requested, timeout=2000) as blocker:
        qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    return tuple(blocker.args)


# ------------------------------------------------------------------------------------ the model alone


def test_errors_are_placed_by_the_field_the_engine_names_and_durations_read_as_clock_time():
    assert [form_field(f) for f in ("format", "quality", "captions", "start", "end", "segments",
                                    "segments[3].end", "out", "source", None)] == [
        "format", "quality", "captions", "segments", "segments", "segments", "segments", "destination",
        GENERAL, GENERAL]
    assert [duration_text(t) for t in (0, 4, 42, 61.5, 3723)] == ["0:00", "0:04", "0:42", "1:01.5", "1:02:03"]


def test_a_quality_the_format_cannot_take_is_set_aside_and_comes_back(source):
    m = ExportModel()
    m.set_media(FILE_ID, probe(source("1080p")))
    m.set_segments([(0, 1)])
    m.choose("quality", "720p")
    m.choose("format", "wav")
    assert m.value("quality") is None and not m.field_enabled("quality") and m.can_export
    m.choose("format", "mp4")
    assert m.value("quality") == "720p" and m.request().quality == "720p"


# ------------------------------------------------------------------------------------ what is offered


def test_an_audio_source_offers_audio_formats_only_and_no_quality_or_captions(qtbot, panel, source):
    info = probe(source("audio_mp3"))
    panel.set_media(FILE_ID, info)
    panel.set_segments([(0.5, 2.5)])
    fmt, quality, captions = (panel.combos[f] for f in ("format", "quality", "captions"))
    assert fmt.currentData() == "mp3" and fmt.isEnabled()
    assert entry(fmt, "mp4") == (False, refusal(info, format="mp4"))
    assert entry(fmt, "gif") == (False, refusal(info, format="gif"))
    assert all(entry(fmt, f)[0] for f in ("mp3", "wav", "m4a", "flac"))
    assert not quality.isEnabled() and quality.currentText() == "Source"
    assert entry(quality, "1080p") == (False, refusal(info, format="mp3", quality="1080p"))
    assert not captions.isEnabled() and captions.currentText() == "None"
    pick(qtbot, fmt, "gif")  # refused: the click does nothing
    assert fmt.currentData() == "mp3"
    pick(qtbot, fmt, "flac")
    assert fmt.currentData() == "flac" and panel.export_button.isEnabled()
    assert panel.summary_label.text() == "1 clip, 0:02, flac"


def test_captions_are_offered_for_mp4_from_a_video_only(qtbot, panel, source, tmp_path):
    info = probe(source("h264"))
    panel.set_media(FILE_ID, info)
    panel.set_segments([(0, 2)])
    captions = panel.combos["captions"]
    assert captions.isEnabled() and entry(captions, PRESET) == (True, "")
    pick(qtbot, captions, PRESET)
    pick(qtbot, panel.combos["format"], "gif")
    assert not captions.isEnabled() and captions.currentText() == "None"
    assert entry(captions, PRESET) == (False, refusal(info, format="gif", captions=PRESET))
    pick(qtbot, panel.combos["format"], "m4a")
    assert not captions.isEnabled()
    pick(qtbot, panel.combos["format"], "mp4")
    assert captions.isEnabled() and captions.currentData() == PRESET  # the user's choice is kept

    silent = probe(media.make_video(tmp_path / "silent.mp4", duration=1, width=160, height=120, audio=False))
    panel.set_media(FILE_ID, silent)
    for fmt in ("mp3", "wav", "m4a", "flac"):
        assert entry(panel.combos["format"], fmt) == (False, refusal(silent, format=fmt))


def test_a_gif_over_thirty_seconds_is_refused_next_to_the_segments(qtbot, panel, long_video):
    panel.set_media(FILE_ID, long_video)
    panel.set_segments([(0, 34)])
    pick(qtbot, panel.combos["quality"], "4k")
    assert panel.export_button.isEnabled()
    assert entry(panel.combos["format"], "gif") == (True, "")  # gif itself suits this source
    pick(qtbot, panel.combos["format"], "gif")
    # the quality is checked first: 4k is the problem the engine names
    assert panel.error_labels["quality"].text() == refusal(long_video, format="gif", quality="4k")
    assert panel.error_labels["quality"].isVisible() and not panel.export_button.isEnabled()
    assert entry(panel.combos["quality"], "4k") == (False, refusal(long_video, format="gif", quality="4k"))
    pick(qtbot, panel.combos["quality"], "720p")
    message = refusal(long_video, format="gif", start=0, end=34)
    assert panel.error_labels["segments"].text() == message and "30 s" in message
    assert not panel.error_labels["quality"].isVisible() and not panel.error_labels["format"].isVisible()
    assert not panel.export_button.isEnabled() and not panel.summary_label.isVisible()
    panel.set_segments([(0, 20)])
    assert not panel.error_labels["segments"].isVisible() and panel.export_button.isEnabled()
    assert panel.summary_label.text() == "1 clip, 0:20, gif 160×120 (the source's size: 720p is larger, " \
                                         "and nothing is upscaled)"


def test_export_needs_media_and_a_segment(qtbot, panel, source):
    assert not panel.export_button.isEnabled() and not panel.combos["format"].isEnabled()
    assert "Open a file" in panel.hint_label.text() and panel.hint_label.isVisible()
    panel.set_media(FILE_ID, probe(source("h264")))
    assert not panel.export_button.isEnabled() and panel.combos["format"].isEnabled()
    assert "No segment marked" in panel.hint_label.text()
    panel.set_segments([(1, 3)])
    assert panel.export_button.isEnabled() and not panel.hint_label.isVisible()
    panel.set_segments([])
    assert not panel.export_button.isEnabled() and "No segment marked" in panel.hint_label.text()
    panel.set_segments([(1, 3)])
    panel.set_media(None, None)
    assert not panel.export_button.isEnabled() and "Open a file" in panel.hint_label.text()


# ------------------------------------------------------------------------------------ what Export sends


def test_export_sends_exactly_the_chosen_request_for_one_segment_and_for_several(qtbot, panel, source):
    panel.set_media(FILE_ID, probe(source("1080p")))
    panel.set_segments([(0.25, 0.9)])
    assert not panel.join_box.isEnabled()
    pick(qtbot, panel.combos["quality"], "720p")
    pick(qtbot, panel.combos["mode"], "keyframe")
    pick(qtbot, panel.combos["captions"], PRESET)
    assert panel.summary_label.text() == "1 clip, 0:00.7, mp4 1280×720, captions Bold Pop"
    assert export(qtbot, panel) == (ClipRequest(FILE_ID, start=0.25, end=0.9, format="mp4", quality="720p",
                                                mode="keyframe", captions=PRESET), None)

    panel.set_segments([(0, 0.5), (0.5, 1.0)])
    assert panel.join_box.isEnabled() and not panel.join_box.isChecked()
    pick(qtbot, panel.combos["captions"], None)
    assert panel.summary_label.text() == "2 clips, 0:01 total, mp4 1280×720"
    sent, out = export(qtbot, panel)
    assert sent == ClipRequest(FILE_ID, segments=(Segment(0.0, 0.5), Segment(0.5, 1.0)), format="mp4",
                               quality="720p", mode="keyframe") and out is None
    qtbot.mouseClick(panel.join_box, Qt.MouseButton.LeftButton, pos=QPoint(8, panel.join_box.height() // 2))
    assert panel.summary_label.text().startswith("1 clip joined from 2 segments, 0:01, mp4 1280×720")
    sent, _ = export(qtbot, panel)
    assert sent.join is True and sent.segments == (Segment(0.0, 0.5), Segment(0.5, 1.0))
    panel.set_segments([(0, 0.5)])  # one segment: nothing to join
    assert not panel.join_box.isEnabled() and export(qtbot, panel)[0].join is False


def test_a_custom_preset_and_the_library_settings_are_used(qtbot, source):
    with Library() as lib:
        lib.set_setting("default_cut_mode", "keyframe")
        custom = create_preset(lib, {"name": "Mine", "clone_from_preset_ref": PRESET, "font_size": 60})
        panel = ExportPanel(lib)
        qtbot.addWidget(panel)
        panel.set_media(FILE_ID, probe(source("h264")))
        panel.set_segments([(0, 1)])
        assert panel.combos["mode"].currentData() == "keyframe"
        assert panel.combos["captions"].findText("Mine (custom)") >= 0
        later = create_preset(lib, {"name": "Later", "clone_from_preset_ref": custom.preset_ref})
        panel.set_caption_preset(later.preset_ref)  # made in the Caption Studio after the panel
        assert panel.combos["captions"].currentText() == "Later (custom)"
        assert export(qtbot, panel)[0].captions == later.preset_ref
        panel.set_defaults("precise")
        assert panel.combos["mode"].currentData() == "precise"


# ------------------------------------------------------------------------------------ destination and errors


def _import(lib: Library, path: Path) -> str:
    media_row = lib.add_media(path)
    return lib.mark_media_ready(media_row.file_id, probe(path)).file_id


def test_a_folder_destination_is_planned_by_the_job_queue_and_its_refusal_is_shown(qtbot, source, tmp_path):
    src = Path(shutil.copyfile(source("h264"), tmp_path / "talk.mp4"))
    folder = tmp_path / "exports"
    folder.mkdir()
    with Library() as lib, Runner(lib, workers=1) as runner:
        lib.set_setting("default_export_folder", str(tmp_path))
        file_id = _import(lib, src)
        panel = ExportPanel(lib)
        qtbot.addWidget(panel)
        panel.show()
        queue = JobQueue(panel, runner)
        panel.export_requested.connect(queue.submit)
        panel.set_media(file_id, probe(src))
        panel.set_segments([(0, 1), (2, 3.5)])
        assert panel.destination.currentData() == str(tmp_path)  # the default export folder

        panel.choose_folder()  # "Choose folder…": the dialog opens without blocking
        dialog = panel.folder_dialog
        qtbot.waitUntil(dialog.isVisible)
        dialog.selectFile(str(folder))
        dialog.accept()
        assert panel.destination.currentData() == str(folder)
        _, out = export(qtbot, panel)
        assert out == str(folder) + os.sep
        jobs = queue.submitted
        assert [Path(j.request["out"]).parent for j in jobs] == [folder, folder]
        assert sorted(Path(j.request["out"]).name for j in jobs) == ["talk_0-0-0-1.mp4", "talk_0-2-0-3.5.mp4"]

        pick(qtbot, panel.destination, "library")
        assert export(qtbot, panel)[1] is None
        src.write_bytes(src.read_bytes()[:-1000])  # the source changed since it was imported
        export(qtbot, panel)
        assert isinstance(queue.refused, Gone)
        assert panel.general_error.text() == str(queue.refused) and panel.general_error.isVisible()
        panel.set_segments([(0, 1)])  # any change of the form clears it
        assert not panel.general_error.isVisible()


class JobQueue:
    """What the main window does with export_requested: submit to the runner, or show the refusal."""

    def __init__(self, panel: ExportPanel, runner: Runner):
        self.panel, self.runner = panel, runner
        self.submitted: list = []
        self.refused: FastClipError | None = None

    def submit(self, request: ClipRequest, out) -> None:
        self.refused = None
        try:
            self.submitted = self.runner.submit(request, out)
        except FastClipError as e:
            self.refused = e
            self.panel.show_error(e)


def test_show_error_puts_the_message_next_to_the_field_it_names(panel, source):
    panel.set_media(FILE_ID, probe(source("h264")))
    panel.set_segments([(0, 1)])
    panel.show_error(InvalidRequest("the output would overwrite the source file", field="out"))
    assert panel.error_labels["destination"].text() == "the output would overwrite the source file"
    assert panel.error_labels["destination"].isVisible() and not panel.general_error.isVisible()
    panel.show_error(InvalidRequest("captions need the mp4 format, not gif", field="captions"))
    assert panel.error_labels["captions"].isVisible() and not panel.error_labels["destination"].isVisible()


def test_the_model_imports_no_qt():
    code = ("import sys, fastclip_desktop.export_panel.model; "
            "sys.exit(any(m.startswith('PySide6') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], check=False).returncode == 0


# ------------------------------------------------------------------------------------ a calm panel


def test_in_and_out_not_yet_added_are_what_export_makes(qtbot, panel, source):
    panel.set_media(FILE_ID, probe(source("h264")))
    assert not panel.export_button.isEnabled()
    panel.set_pending((1.0, 2.5))  # I and O pressed, Enter not yet
    assert panel.export_button.isEnabled() and panel.export_button.text() == "Export 0:01.000 → 0:02.500"
    sent, _ = export(qtbot, panel)
    assert (sent.start, sent.end, sent.segments) == (1.0, 2.5, None)
    panel.set_segments([(0.0, 0.5), (3.0, 3.5)])  # added segments are what is exported then
    assert panel.export_button.text() == "Export 2 clips"
    panel.set_segments([])
    panel.set_pending(None)
    assert not panel.export_button.isEnabled() and panel.export_button.text() == "Export"


def test_the_export_button_stays_where_it_is_whatever_the_texts_say(qtbot, panel, source):
    panel.resize(300, 600)
    panel.set_media(FILE_ID, probe(source("h264")))
    panel.set_segments([(1, 2)])
    where = panel.export_button.mapTo(panel, QPoint(0, 0))
    panel.set_segments([(s / 10, s / 10 + 0.05) for s in range(0, 30, 2)])  # a long summary, wrapped
    panel.show_error(InvalidRequest("this folder is read-only " * 8, field="destination"))
    qtbot.wait(50)
    assert panel.export_button.mapTo(panel, QPoint(0, 0)) == where


def test_why_captions_cannot_be_chosen_is_said_under_the_field(qtbot, panel, source):
    panel.set_media(FILE_ID, probe(source("h264")))
    panel.set_segments([(1, 2)])
    assert not panel.captions_note.isVisible()
    pick(qtbot, panel.combos["format"], "mp3")
    note = panel.captions_note.text()
    assert panel.captions_note.isVisible() and note == refusal(probe(source("h264")), start=1, end=2, format="mp3",
                                                                 captions=PRESET)
    assert not panel.combos["captions"].isEnabled()
    panel.set_caption_preset(PRESET)  # "Use for export" while mp3 is chosen: kept, not applied, said why
    assert panel.model.value("captions") is None and panel.model.choice("captions") == PRESET
    assert panel.captions_note.isVisible() and "captions" not in panel.model.summary
    pick(qtbot, panel.combos["format"], "gif")
    assert panel.captions_note.text() == refusal(probe(source("h264")), start=1, end=2, format="gif",
                                                 captions=PRESET)
    pick(qtbot, panel.combos["format"], "mp4")  # allowed again: the choice comes back
    assert panel.model.value("captions") == PRESET and not panel.captions_note.isVisible()
    assert panel.summary_label.text().endswith("captions Bold Pop")


def test_qualities_say_the_picture_size_they_give(qtbot, panel, source):
    info = probe(source("1080p"))
    panel.set_media(FILE_ID, info)
    panel.set_segments([(0, 0.5)])
    labels = {panel.combos["quality"].itemData(i): panel.combos["quality"].itemText(i)
              for i in range(panel.combos["quality"].count())}
    assert labels[None] == "Source · 1920×1080" and labels["720p"] == "720p · 1280×720"
    pick(qtbot, panel.combos["format"], "gif")
    labels = {panel.combos["quality"].itemData(i): panel.combos["quality"].itemText(i)
              for i in range(panel.combos["quality"].count())}
    assert labels[None] == "Source · 480×270" and labels["720p"] == "720p · 1280×720"
