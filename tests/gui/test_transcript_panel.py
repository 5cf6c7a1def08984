"""The transcript panel: its Qt-free model, and the widget over real transcription of espeak-ng speech.

One short speech file (espeak-ng, as in tests/engine/transcript/test_transcript.py) is transcribed for real
once per module, by a panel, as a transcript job of a real job queue (the runner's worker process),
into a module cache folder; every later panel given that folder gets the transcript back at once
from the cache. Mouse
clicks and drags are real QTest events on the word rectangles the view paints. The seek test plays
the file in a real mpv (vo=null, ao=null).
"""

from __future__ import annotations

import json
import os
import re
from fractions import Fraction

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pysubs2
import pytest
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest

from engine.library import Library
from engine.progress import Progress
from engine.transcript import (
    Segment,
    Transcript,
    Word,
    from_dict,
    overall_fraction,
    progress_message,
)
from fastclip_desktop.job_queue import JobQueue
from fastclip_desktop.transcript_panel import TranscriptModel, clock
from fastclip_desktop.transcript_panel.panel import BAR_STEPS, TranscriptPanel
from fastclip_desktop.worker_adapter import WorkerAdapter
from tests.fixtures import speech

SAID = speech.FIRST  # "The weather today is sunny and warm. We will meet at the library after lunch."


def words(*spec, start=0.0) -> tuple[Word, ...]:
    """Words from ("text", start, end) triples, with Whisper's leading spaces."""
    return tuple(Word(f" {t}", Fraction(str(a)), Fraction(str(b)), 0.9) for t, a, b in spec)


def segment(*spec) -> Segment:
    ws = words(*spec)
    return Segment(ws[0].start, ws[-1].end, "".join(w.word for w in ws).strip(), ws)


TWO_LINES = Transcript(
    (
        segment(("Hello", 0.5, 0.9), ("there,", 1.0, 1.4), ("world.", 1.5, 2.0)),
        segment(("The", 65.0, 65.2), ("weather", 65.3, 65.8), ("is", 66.0, 66.1), ("fine.", 66.2, 66.6)),
    ),
    Fraction(70),
)


# ------------------------------------------------------------------------------------------ the model


def test_the_model_lays_words_out_as_lines_led_by_their_start_time():
    m = TranscriptModel(TWO_LINES)
    assert m.text == "0:01\tHello there, world.\n1:05\tThe weather is fine."  # 0.5 s: the nearest second
    assert m.plain_words == ["Hello", "there,", "world.", "The", "weather", "is", "fine."]
    for w in m.words:
        assert m.text[w.first:w.last] == w.text
    assert (m.words[4].start, m.words[4].end) == (65.3, 65.8)
    assert [m.text[ln.first:ln.stamp_end] for ln in m.lines] == [ln.stamp for ln in m.lines] == ["0:01", "1:05"]


def test_the_word_spoken_is_found_by_time():
    m = TranscriptModel(TWO_LINES)
    changes = []
    m.subscribe(changes.append)
    assert m.word_at_time(0.0) is None  # before the first word
    assert m.word_at_time(0.5) == 0 and m.word_at_time(0.89) == 0
    assert m.word_at_time(0.95) is None  # between words
    assert m.word_at_time(65.5) == 4 and m.word_at_time(99) is None
    assert m.set_position(1.2) and m.current == 1 and changes == [{"current"}]
    assert not m.set_position(1.3)  # the same word: nothing to repaint
    assert m.set_position(30) and m.current is None


def test_a_character_maps_to_its_word_and_a_stamp_to_its_line_s_first_word():
    m = TranscriptModel(TWO_LINES)
    hello, there = m.words[0], m.words[1]
    assert m.word_at_char(hello.first) == 0 and m.word_at_char(hello.last) == 0
    assert m.word_at_char(there.first + 2) == 1
    assert m.word_at_char(m.lines[1].first + 1) == 3  # in "1:05": "The"
    assert m.word_at_char(m.lines[0].last) == 2  # the end of the first line: "world."


def test_search_is_case_insensitive_skips_stamps_and_steps_around():
    m = TranscriptModel(TWO_LINES)
    assert m.search("THE") == 3  # "there", "The", "weather"
    assert [m.text[a:b] for a, b in m.matches] == ["the", "The", "the"]
    assert m.match_count_text() == "1 of 3" and m.match_word() == 1
    m.step_match(1)
    assert m.match_word() == 3
    m.step_match(-1)
    m.step_match(-1)  # wraps
    assert m.match_count_text() == "3 of 3" and m.match_word() == 4
    assert m.search("1:05") == 0 and m.match_count_text() == "No matches"
    assert m.search("is fine") == 1  # across words
    m.set_position(65.35)
    assert m.search("the") == 3 and m.match_count_text() == "3 of 3"  # starts from the spoken word
    assert m.search("") == 0 and m.match_count_text() == ""


def test_a_selection_spans_its_first_word_s_start_to_its_last_word_s_end():
    m = TranscriptModel(TWO_LINES)
    m.select(4)
    m.extend(1)  # Shift+click before the anchor
    assert m.selection == (1, 4) and m.selection_span == (1.0, 65.8)
    assert m.selected_text() == "there, world.\nThe weather"
    assert [m.text[a:b] for a, b in m.selection_ranges()] == ["there, world.", "The weather"]
    assert m.selection_text() == "4 words · 0:01.00 – 1:05.80 (64.80 s)"
    m.clear_selection()
    assert m.selection is None and m.selection_span is None
    with pytest.raises(IndexError):
        m.select(7)


def test_offsets_count_utf16_units_as_qt_does():
    t = Transcript((segment(("I", 0, 0.2), ("\N{GRINNING FACE}ok", 0.3, 0.6), ("fine", 0.7, 1.0)),), Fraction(2))
    m = TranscriptModel(t)
    fine = m.words[2]
    assert m.text.encode("utf-16-le")[fine.first * 2:fine.last * 2].decode("utf-16-le") == "fine"
    assert m.search("fine") == 1 and m.matches[0] == (fine.first, fine.last)
    assert m.word_at_char(fine.first) == 2


def test_the_progress_of_every_stage_fills_one_bar():
    assert overall_fraction(Progress("cached", 1, 1)) == 1.0
    assert overall_fraction(Progress("decoding", 5, 10)) == pytest.approx(0.075)
    assert overall_fraction(Progress("transcribing", 10, 10)) == 1.0
    assert progress_message(Progress("transcribing", 62, 125)) == "Transcribing… 1:02 of 2:05"
    assert clock(3725.5) == "1:02:06" and clock(3.456, 2) == "0:03.46"


# ------------------------------------------------------------------------------ the panel, real work


@pytest.fixture(scope="module")
def speech_file(tmp_path_factory):
    """About five seconds of espeak-ng speech in an .mp4 with a small picture (mpv can play it)."""
    assert speech.espeak_available(), "these tests need espeak-ng (scripts/setup_system.sh installs it)"
    said, rate = speech.say(SAID)
    samples = np.concatenate([speech.silence(0.4, rate), said, speech.silence(0.4, rate)])
    return speech.write_audio(tmp_path_factory.mktemp("speech") / "spoken words.mp4", samples, rate)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("transcript-cache")


def wait_for(signal, timeout_ms: int) -> None:
    """Run the event loop until ``signal`` fires (for module fixtures, where qtbot is not available)."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


@pytest.fixture(scope="module")
def first_run(qapp, speech_file, cache, tmp_path_factory):
    """A panel transcribes the file for real (the module's one transcription), as a job of a real
    job queue: what it showed."""
    home = os.environ.get("FASTCLIP_HOME")
    os.environ["FASTCLIP_HOME"] = str(tmp_path_factory.mktemp("first-run-home"))  # (module scope: set here)
    adapter = WorkerAdapter(max_threads=2)
    queue = JobQueue(workers=1)
    try:
        panel = TranscriptPanel(adapter, jobs=queue, cache_dir=cache)
        panel.set_source(speech_file)
        task = panel.transcribe()
        stages = []
        task.progress.connect(lambda fraction, message: stages.append(
            (message, panel.progress.value(), panel.progress.isHidden())))
        errors = []
        task.failed.connect(errors.append)
        loop = QEventLoop()
        task.finished.connect(loop.quit)
        task.failed.connect(loop.quit)
        QTimer.singleShot(90000, loop.quit)
        loop.exec()
        assert panel.transcript is not None and not errors, f"the transcription did not finish: {errors}"
        seen = {
            "transcript": panel.transcript, "stages": stages, "text": panel.view.toPlainText(),
            "bar": (panel.progress.value(), panel.progress.maximum(), panel.progress.isHidden()),
            "status": panel.status.text(),
            "buttons": (panel.transcribe_button.isEnabled(), panel.cancel_button.isHidden()),
            "indexed": [f.name for f in (cache / "moments").glob("vectors-*.npy")],
        }
        panel.deleteLater()
    finally:
        queue.close()
        assert adapter.shutdown(10000)
        if home is None:
            os.environ.pop("FASTCLIP_HOME", None)
        else:
            os.environ["FASTCLIP_HOME"] = home
    return seen


@pytest.fixture
def jobs(qtbot):
    queue = JobQueue(workers=1)
    yield queue
    queue.close()


@pytest.fixture
def adapter(qtbot):
    a = WorkerAdapter(max_threads=2)
    yield a
    assert a.shutdown(10000)


@pytest.fixture
def make_panel(qtbot, adapter, jobs):
    def make(cache_dir, library=None, size=(520, 360)) -> TranscriptPanel:
        panel = TranscriptPanel(adapter, library, jobs=jobs, cache_dir=cache_dir)
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    return make


@pytest.fixture
def panel(qtbot, make_panel, speech_file, cache, first_run):
    """A shown panel with the speech file's transcript (from the module cache: at once)."""
    p = make_panel(cache)
    p.set_source(speech_file)
    with qtbot.waitSignal(p.transcribed, timeout=10000):
        p.transcribe()
    return p


def click(view, index: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    view.show_word(index)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, view.word_rect(index).center())


def test_the_view_paints_and_hits_the_right_words_after_an_emoji(qtbot, make_panel, tmp_path):
    p = make_panel(tmp_path / "cache")
    t = Transcript((segment(("I", 0, 0.2), ("\N{GRINNING FACE}ok", 0.3, 0.6), ("fine", 0.7, 1.0)),
                    Segment(Fraction(2), Fraction(3), "no word times")), Fraction(4))
    p.set_transcript(t)
    assert p.view.toPlainText() == "0:00\tI \N{GRINNING FACE}ok fine\n0:02\tno word times"
    seeks = []
    p.seek_requested.connect(seeks.append)
    click(p.view, 2)
    assert p.view.marked("selection") == ["fine"] and seeks == [0.7]
    click(p.view, 3)  # a segment without word times is one piece
    assert p.view.marked("selection") == ["no word times"] and seeks == [0.7, 2.0]
    p.set_position(0.4)
    assert p.view.marked("current") == ["\N{GRINNING FACE}ok"]


def test_transcribing_shows_the_words_said_and_fills_the_progress_bar(first_run):
    t = first_run["transcript"]
    assert t is not None and t.words
    assert speech.wer(SAID, first_run["text"]) <= 0.15  # the panel shows what was said
    assert speech.words_of(first_run["text"].replace(":", " ")) == (
        speech.words_of(" ".join(f"{clock(float(s.start))} {s.text}".replace(":", " ") for s in t.segments)))
    said, bar, hidden = zip(*first_run["stages"], strict=True)
    assert "Loading the speech model…" in said
    heard = max(k for k, m in enumerate(said) if m.startswith("Transcrib"))
    assert said[heard + 1:] and all(m.startswith("Indexing") for m in said[heard + 1:])  # the job's last stage
    assert len(first_run["indexed"]) == 1  # the sentence vectors an analysis of this file will read
    assert list(bar) == sorted(bar) and bar[-1] >= 0.99 * BAR_STEPS and not any(hidden)  # shown, filling up
    assert first_run["bar"] == (BAR_STEPS, BAR_STEPS, True)  # filled, then put away
    assert first_run["status"] == f"{len(t.words)} words · en"
    assert first_run["buttons"] == (True, True)  # Transcribe offered again, Cancel gone


def test_a_cached_transcript_comes_back_at_once(qtbot, make_panel, speech_file, cache, first_run):
    p = make_panel(cache)
    p.set_source(speech_file)
    assert p.transcript is None and p.view.toPlainText() == ""
    said = []
    with qtbot.waitSignal(p.transcribed, timeout=20000):
        p.transcribe().progress.connect(lambda _fraction, message: said.append(message))
    assert "Found in the transcript cache" in said and p.transcript == first_run["transcript"]
    assert p.progress.value() == BAR_STEPS and p.view.toPlainText() == first_run["text"]


def test_the_spoken_word_is_highlighted_and_kept_in_view(qtbot, make_panel, speech_file, cache, first_run):
    p = make_panel(cache, size=(260, 150))
    p.view.setFixedHeight(48)  # a short view: the text scrolls
    p.set_source(speech_file)
    with qtbot.waitSignal(p.transcribed, timeout=10000):
        p.transcribe()
    view, ws = p.view, p.model.words
    assert view.verticalScrollBar().maximum() > 0
    assert not view.viewport().rect().contains(view.word_rect(len(ws) - 1))
    middle = ws[len(ws) // 2]
    p.set_position((middle.start + middle.end) / 2)
    assert view.marked("current") == [middle.text]
    p.set_position(ws[0].start - 0.01)  # before the first word: nothing is spoken
    assert view.marked("current") == []
    last = ws[-1]
    p.set_position(last.start)
    assert view.marked("current") == [last.text]
    assert view.verticalScrollBar().value() > 0 and view.viewport().rect().contains(view.word_rect(last.index))


def test_clicking_a_word_seeks_the_player_to_its_start(qtbot, panel, speech_file):
    from fastclip_desktop.player.mpv_player import MpvPlayer

    player = MpvPlayer(vo="null", ao="null")
    try:
        c = player.controller
        with qtbot.waitSignals([player.file_loaded, player.first_frame], timeout=10000):
            player.load(speech_file)
        panel.seek_requested.connect(c.seek)
        player.position_changed.connect(panel.set_position)
        ws = panel.model.words
        word = max(ws[1:], key=lambda w: w.end - w.start)  # where a landing a frame off is still inside
        assert word.start > 0.5 and word.end - word.start > 0.2
        seeks = []
        panel.seek_requested.connect(seeks.append)
        with qtbot.waitSignal(player.seek_finished, timeout=10000):
            click(panel.view, word.index)
        assert seeks == [word.start]
        assert panel.view.marked("selection") == [word.text]
        assert c.position == pytest.approx(word.start, abs=0.1)  # a 10 fps picture: within a frame
        qtbot.waitUntil(lambda: panel.view.marked("current") == [word.text], timeout=5000)  # it reads along
    finally:
        player.close()


def test_shift_click_and_drag_select_words_and_add_their_exact_span(qtbot, panel):
    view, ws = panel.view, panel.model.words
    assert not panel.add_segment_button.isEnabled()
    seeks = []
    panel.seek_requested.connect(seeks.append)
    click(view, 1)
    click(view, 4, Qt.KeyboardModifier.ShiftModifier)
    assert seeks == [ws[1].start]  # the Shift+click selects, it does not seek
    assert "\n".join(view.marked("selection")) == panel.model.selected_text()
    assert speech.words_of(panel.model.selected_text()) == speech.words_of(" ".join(w.text for w in ws[1:5]))
    assert panel.selection_label.text().startswith("4 words")
    with qtbot.waitSignal(panel.segment_requested, timeout=2000) as added:
        QTest.mouseClick(panel.add_segment_button, Qt.MouseButton.LeftButton)
    assert added.args == [ws[1].start, ws[4].end]

    # a drag from word 6 back to word 2
    a, b = view.word_rect(6).center(), view.word_rect(2).center()
    QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(view.viewport(), b)
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    assert panel.model.selection == (2, 6) and seeks == [ws[1].start]  # a drag does not seek
    with qtbot.waitSignal(panel.segment_requested, timeout=2000) as added:
        QTest.mouseClick(panel.add_segment_button, Qt.MouseButton.LeftButton)
    assert added.args == [ws[2].start, ws[6].end]


def test_search_counts_and_highlights_matches_and_enter_jumps_between_them(qtbot, panel):
    ws = panel.model.words
    with_the = [w for w in ws for _ in re.finditer("the", w.text, re.IGNORECASE)]  # "The", "weather", "the"
    assert len(with_the) >= 2
    qtbot.keyClicks(panel.search_field, "the")
    qtbot.waitUntil(lambda: panel.match_label.text() == f"1 of {len(with_the)}", timeout=2000)
    assert [m.lower() for m in panel.view.marked("match")] == ["the"] * len(with_the)
    assert len(panel.view.marked("current_match")) == 1
    seeks = []
    panel.seek_requested.connect(seeks.append)
    QTest.keyClick(panel.search_field, Qt.Key.Key_Return)
    QTest.keyClick(panel.search_field, Qt.Key.Key_Return)
    assert seeks == [with_the[0].start, with_the[1].start] and panel.match_label.text() == f"2 of {len(with_the)}"
    QTest.keyClick(panel.search_field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert seeks[-1] == with_the[0].start and panel.match_label.text() == f"1 of {len(with_the)}"
    panel.search_field.clear()
    qtbot.keyClicks(panel.search_field, "zebra")
    qtbot.waitUntil(lambda: panel.match_label.text() == "No matches", timeout=2000)
    assert panel.view.marked("match") == [] and not panel.next_button.isEnabled()


def test_every_format_is_exported_and_the_srt_reads_back(qtbot, panel, tmp_path):
    t = panel.transcript
    for fmt in ("srt", "vtt", "ass", "json", "txt"):
        path = tmp_path / f"transcript.{fmt}"
        with qtbot.waitSignal(panel.exported, timeout=5000) as done:
            panel.export(path, fmt)
        assert done.args == [str(path)] and panel.status.text() == f"Saved transcript.{fmt}"
    said = speech.words_of(t.text)
    subs = pysubs2.load(str(tmp_path / "transcript.srt"))
    assert speech.words_of(" ".join(e.plaintext for e in subs)) == said
    assert subs[0].start == round(t.segments[0].start * 1000)
    assert speech.words_of(" ".join(e.plaintext for e in pysubs2.load(str(tmp_path / "transcript.vtt")))) == said
    assert speech.words_of(" ".join(e.plaintext for e in pysubs2.load(str(tmp_path / "transcript.ass")))) == said
    back = from_dict(json.loads((tmp_path / "transcript.json").read_text()))
    assert [(w.word, w.start, w.end) for w in back.words] == [(w.word, w.start, w.end) for w in t.words]
    txt = (tmp_path / "transcript.txt").read_text()
    assert txt.startswith("[0:00:00] ") and speech.words_of(re.sub(r"\[[\d:]+\]", "", txt)) == said
    assert not [p for p in tmp_path.iterdir() if ".fastclip-part" in p.name]  # no temp file left

    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    task = panel.export(blocker / "transcript.srt", "srt")
    with qtbot.waitSignal(task.failed, timeout=5000):
        pass
    assert panel.status.text().startswith("Could not save transcript.srt: ")
    assert panel.status.property("error") is True and "Traceback" not in panel.status.text()


def test_a_file_without_audio_shows_a_readable_error(qtbot, make_panel, tmp_path):
    silent = speech.write_silent_video(tmp_path / "no audio.mp4")
    p = make_panel(tmp_path / "cache")
    p.set_source(silent)
    QTest.mouseClick(p.transcribe_button, Qt.MouseButton.LeftButton)
    assert p.running
    qtbot.waitUntil(lambda: not p.running, timeout=15000)
    assert p.status.text() == "Could not transcribe: no audio.mp4 has no audio track, so it has nothing to transcribe"
    assert p.status.property("error") is True
    assert p.transcribe_button.isEnabled() and p.cancel_button.isHidden() and p.progress.isHidden()
    assert p.transcript is None and p.view.toPlainText() == ""


def test_the_library_s_model_setting_is_used(qtbot, make_panel, speech_file, tmp_path):
    with Library() as library:
        library.set_setting("whisper_model_path", str(tmp_path / "no model here"))
        p = make_panel(tmp_path / "cache", library)
        p.set_source(speech_file)
        task = p.transcribe()
        with qtbot.waitSignal(task.failed, timeout=15000):
            pass
    assert p.status.text() == f"Could not transcribe: the speech model folder {tmp_path / 'no model here'} does not exist"


def test_cancel_stops_a_running_transcription(qtbot, make_panel, jobs, speech_file, tmp_path):
    p = make_panel(tmp_path / "empty cache")  # nothing cached: a real run starts
    p.set_source(speech_file)
    task = p.transcribe()
    with qtbot.waitSignal(task.progress, timeout=15000):
        pass
    assert p.running and not p.cancel_button.isHidden() and not p.transcribe_button.isEnabled()
    job_id = task.job_id
    with qtbot.waitSignal(jobs.job_updated, timeout=15000,
                          check_params_cb=lambda u: u.job_id == job_id and u.status == "failed") as ended:
        QTest.mouseClick(p.cancel_button, Qt.MouseButton.LeftButton)
        assert not p.running and p.status.text() == "Transcription cancelled."
        assert p.transcribe_button.isEnabled() and p.cancel_button.isHidden() and p.progress.isHidden()
    assert ended.args[0].error["code"] == "cancelled"  # the job itself, in the library
    qtbot.wait(500)
    assert p.transcript is None and p.view.toPlainText() == ""
    assert not list((tmp_path / "empty cache").rglob("*.json"))  # nothing half-done was cached


def test_a_cached_transcript_shows_as_soon_as_its_file_opens(qtbot, make_panel, speech_file, cache, first_run):
    p = make_panel(cache)
    p.set_source(speech_file)  # nothing pressed: the cache is read, the model never loads
    qtbot.waitUntil(lambda: p.transcript is not None, timeout=10000)
    assert p.transcript == first_run["transcript"] and p.view.toPlainText() == first_run["text"]
    assert p.status.text().endswith("· from the cache") and not p.running
    p.set_source(None)
    assert p.transcript is None


def test_a_file_not_in_the_cache_waits_for_transcribe(qtbot, make_panel, tmp_path, source):
    p = make_panel(tmp_path / "empty-cache")
    p.set_source(source("h264"))
    qtbot.wait(500)
    assert p.transcript is None and p.transcribe_button.isEnabled()
    assert p.status.text() == "Press Transcribe to read what is said in this file."
