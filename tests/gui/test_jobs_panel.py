"""The jobs panel: its Qt-free model (rows, texts, allowed actions, elapsed time), and the widget
following real jobs of a real job queue — progress bars, messages, elapsed time, and the buttons."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from engine.cut.request import ClipRequest
from engine.jobs.recorder import JobUpdate
from engine.library import Library
from engine.library.jobs import RUNNING  # noqa: E402
from fastclip_desktop.job_queue import JobQueue
from fastclip_desktop.jobs_panel import CANCEL, OPEN, RETRY, SHOW, JobRow, JobsModel
from fastclip_desktop.jobs_panel.panel import (
    ELAPSED,
    KIND,
    MESSAGE,
    OUTPUT,
    SOURCE,
    STATUS,
    JobsPanel,
)

T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def talk(source) -> Path:
    return source("h264")  # 4 s, a keyframe every second


@pytest.fixture
def big(source) -> Path:
    return source("one_long_gop")


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def update(job_id="job_a", status="pending", progress=0, message="queued", kind="clip", **kw) -> JobUpdate:
    return JobUpdate(job_id, kind, status, progress, message, kw.pop("file_id", None), **kw)


# ------------------------------------------------------------------------------------------ the model


@pytest.mark.parametrize(("status", "error", "allowed"), [
    ("pending", None, {CANCEL}),
    ("downloading", None, {CANCEL}),
    ("processing", None, {CANCEL}),
    ("uploading", None, {CANCEL}),
    ("failed", {"code": "cancelled", "message": "cancelled", "field": None}, {RETRY}),
    ("failed", {"code": "gone", "message": "talk.mp4 was moved", "field": "file_id"}, {RETRY}),
    ("complete", None, {OPEN, SHOW}),
])
def test_each_status_allows_its_actions(status, error, allowed):
    result = {"path": "/clips/cut.mp4"} if status == "complete" else None
    row = JobRow("job_a", "clip", status, 40, "processing", "talk.mp4", error=error, result=result)
    assert {a for a in (CANCEL, RETRY, OPEN, SHOW) if row.allows(a)} == allowed


def test_a_complete_import_has_no_output_to_open_and_a_failed_job_shows_its_error():
    done = JobRow("job_i", "import", "complete", 100, "Done!", "talk.mp4", result={"path": "/media/talk.mp4"})
    assert not done.allows(OPEN) and not done.allows(SHOW) and done.kind_text == "Import"
    failed = JobRow("job_b", "clip", "failed", 30, "processing", "talk.mp4",
                    error={"code": "gone", "message": "talk.mp4 was moved or deleted", "field": "file_id"})
    assert failed.message_text == "talk.mp4 was moved or deleted" and not failed.cancelled


def test_elapsed_time_runs_while_a_job_runs_and_stops_when_it_ends():
    clock = Clock()
    model = JobsModel(now=clock)
    told = []
    model.subscribe(lambda what, ids: told.append((what, ids)))
    model.apply(update())
    assert told[-1] == ("inserted", ("job_a",)) and model.elapsed_text("job_a") == ""
    assert model.tick() == ()  # nothing runs: nothing to tell
    clock.advance(3)  # waiting in the queue does not count
    model.apply(update(status="downloading", message="starting"))
    clock.advance(65)
    row = model.apply(update(status="processing", progress=40, message="processing segment 2/3"))
    assert row.message_text == "processing segment 2/3" and row.progress == 40
    assert model.elapsed_text("job_a") == "1:05"
    assert model.tick() == ("job_a",) and told[-1] == ("tick", ("job_a",))
    clock.advance(3600)
    assert model.elapsed_text("job_a") == "1:01:05"
    model.apply(update(status="complete", progress=100, message="Done!", result={"path": "/c/cut.mp4"}))
    clock.advance(30)
    assert model.elapsed_text("job_a") == "1:01:05" and model.tick() == ()
    assert model.row("job_a").allows(OPEN) and model.row("job_a").output_name == "cut.mp4"


def test_a_retried_job_is_queued_again_with_its_error_and_times_cleared():
    clock = Clock()
    model = JobsModel(now=clock)
    model.apply(update(status="processing", progress=50, message="processing"))
    clock.advance(5)
    error = {"code": "cancelled", "message": "cancelled", "field": None}
    failed = model.apply(update(status="failed", progress=50, message="cancelled", error=error))
    assert failed.cancelled and failed.allows(RETRY) and not failed.allows(CANCEL)
    assert model.elapsed_text("job_a") == "0:05"
    again = model.apply(update(status="pending", progress=0, message="queued"))
    assert again.error is None and again.elapsed(clock()) is None and again.allows(CANCEL)
    assert len(model.rows) == 1


def test_new_jobs_go_on_top_and_the_oldest_ended_ones_make_room():
    model = JobsModel(max_rows=2)
    told = []
    model.subscribe(lambda what, ids: told.append((what, ids)))
    model.apply(update("job_1", status="processing"))  # running: never dropped
    model.apply(update("job_2", status="complete", progress=100))
    model.apply(update("job_3"))
    assert [r.job_id for r in model.rows] == ["job_3", "job_1"]
    assert ("removed", ("job_2",)) in told


def test_load_reads_the_recent_jobs_newest_first_with_their_source_names(talk):
    with Library() as lib:
        m = lib.add_media(talk)
        first = lib.create_job("clip", {"file_id": m.file_id, "start": 0, "end": 1, "out": "/tmp/a.mp4"})
        second = lib.create_job("clip", {"file_id": m.file_id, "start": 1, "end": 2, "out": "/tmp/b.mp4"})
        lib.claim_next_job()  # the first one runs (as a CLI process would)
        lib.cancel_job(second.job_id)
        model = JobsModel()
        model.load(lib)
    assert [r.job_id for r in model.rows] == [second.job_id, first.job_id]
    assert [r.source_name for r in model.rows] == [talk.name, talk.name]
    assert [r.output_name for r in model.rows] == ["b.mp4", "a.mp4"]  # where they will write
    newest, running = model.rows
    assert newest.status == "failed" and newest.message_text == "cancelled" and newest.allows(RETRY)
    assert running.status == "downloading" and running.started_at is not None and running.allows(CANCEL)


# ------------------------------------------------------------------------------------------ the panel


class Opened(QObject):
    """Where QDesktopServices sends "file" URLs while a test runs (instead of a desktop app)."""

    def __init__(self):
        super().__init__()
        self.paths: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.paths.append(url.toLocalFile())


@pytest.fixture
def opened(qapp):
    handler = Opened()
    QDesktopServices.setUrlHandler("file", handler, "open")
    yield handler
    QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def lib():
    with Library() as library:
        yield library


@pytest.fixture
def panel(qtbot, queue, lib):
    p = JobsPanel(queue, lib)
    qtbot.addWidget(p)
    p.resize(1000, 300)
    p.show()
    return p


def click(qtbot, panel: JobsPanel, job_id: str, action: str) -> None:
    button = panel.button(job_id, action)
    assert button is not None and button.isEnabled(), f"{action} is not enabled for {job_id}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def imported(qtbot, queue: JobQueue, path: Path):
    with qtbot.waitSignal(queue.imported, timeout=10000) as got:
        queue.import_paths([path])
    [row] = got.args[0]
    return row


def test_rows_follow_an_import_and_a_clip_to_complete(qtbot, queue, panel, talk, tmp_path, opened):
    shown = []  # what the row showed at each update (the panel is told first: it connected first)

    def look(u) -> None:
        bar = panel.progress_bar(u.job_id)
        shown.append((u.job_id, u.status, u.status_message, panel.text(u.job_id, STATUS),
                      panel.text(u.job_id, MESSAGE), bar.value() if bar is not None else None))

    queue.job_updated.connect(look)
    m = imported(qtbot, queue, talk)
    import_id = lambda: next((j for j in panel.job_ids() if panel.text(j, KIND) == "Import"), None)
    qtbot.waitUntil(lambda: import_id() is not None and panel.text(import_id(), STATUS) == "complete")
    assert panel.text(import_id(), SOURCE) == talk.name

    out = tmp_path / "cut.mp4"
    with qtbot.waitSignal(queue.submitted, timeout=30000) as got:
        queue.submit(ClipRequest(m.file_id, start=1, end=3, mode="keyframe"), str(out))
    [job] = got.args[0]
    with qtbot.waitSignal(panel.job_completed, timeout=30000,
                          check_params_cb=lambda u: u.job_id == job.job_id) as done:
        pass
    assert done.args[0].result["path"] == str(out)
    assert panel.job_ids() == [job.job_id, import_id()]  # newest first
    assert panel.text(job.job_id, STATUS) == "complete" and panel.progress_bar(job.job_id).value() == 100
    assert [panel.text(job.job_id, c) for c in (KIND, SOURCE, OUTPUT)] == ["Clip", talk.name, "cut.mp4"]
    assert panel.text(job.job_id, ELAPSED).startswith("0:0")

    mine = [s for s in shown if s[0] == job.job_id]
    assert mine[0][1] == "pending" and mine[0][3] == "pending"
    for _, status, message, status_text, message_text, value in mine:
        assert (status_text, message_text) == (status, message)  # each message was on screen
    assert "processing" in {s[1] for s in mine} and {s[2] for s in mine} - {"queued", "Done!", ""}
    values = [s[5] for s in mine]
    assert values == sorted(values) and values[-1] == 100

    buttons = {a: panel.button(job.job_id, a).isEnabled() for a in (CANCEL, RETRY, OPEN, SHOW)}
    assert buttons == {CANCEL: False, RETRY: False, OPEN: True, SHOW: True}
    click(qtbot, panel, job.job_id, OPEN)
    click(qtbot, panel, job.job_id, SHOW)
    assert opened.paths == [str(out), str(tmp_path)]

    out.unlink()  # the user deleted it: said so, not opened
    click(qtbot, panel, job.job_id, OPEN)
    assert opened.paths == [str(out), str(tmp_path)]
    assert panel.messages.isVisible() and "moved or deleted" in panel.messages.text


def test_cancel_in_the_panel_stops_a_running_job_and_retry_queues_it_again(qtbot, queue, panel, big, tmp_path):
    m = imported(qtbot, queue, big)
    qtbot.waitUntil(lambda: bool(panel.job_ids()) and panel.text(panel.job_ids()[0], STATUS) == "complete")
    folder = tmp_path / "out"
    folder.mkdir()
    with qtbot.waitSignal(queue.submitted, timeout=30000) as got:
        queue.submit(ClipRequest(m.file_id, start=0.5, end=8, mode="precise"), str(folder / "long.mp4"))
    [job] = got.args[0]
    qtbot.waitUntil(lambda: panel.text(job.job_id, STATUS) in RUNNING, timeout=30000)
    assert not panel.button(job.job_id, RETRY).isEnabled()
    click(qtbot, panel, job.job_id, CANCEL)

    qtbot.waitUntil(lambda: panel.text(job.job_id, STATUS) == "failed", timeout=30000)
    assert panel.text(job.job_id, MESSAGE) == "cancelled"
    assert not panel.button(job.job_id, CANCEL).isEnabled() and panel.button(job.job_id, RETRY).isEnabled()
    with Library() as fresh:
        ended = fresh.get_job(job.job_id)
    assert ended.status == "failed" and ended.error["code"] == "cancelled"
    assert os.listdir(folder) == []

    click(qtbot, panel, job.job_id, RETRY)  # at once: the cancelled attempt may still be winding down
    qtbot.waitUntil(lambda: panel.text(job.job_id, STATUS) != "failed", timeout=10000)
    assert panel.button(job.job_id, CANCEL).isEnabled() and not panel.button(job.job_id, RETRY).isEnabled()
    qtbot.waitUntil(lambda: panel.text(job.job_id, STATUS) in ("complete", "failed"), timeout=30000)
    assert (panel.text(job.job_id, STATUS), panel.progress_bar(job.job_id).value()) == ("complete", 100)
    assert panel.text(job.job_id, MESSAGE) == "Done!" and panel.button(job.job_id, OPEN).isEnabled()
    with Library() as fresh:
        assert fresh.get_job(job.job_id).status == "complete"
    assert os.listdir(folder) == ["long.mp4"]


def test_a_job_running_elsewhere_shows_its_elapsed_time_ticking(qtbot, queue, lib, talk):
    m = lib.add_media(talk)
    job = lib.create_job("transcript", {"file_id": m.file_id})  # a kind this runner does not run
    lib.claim_next_job(kinds=("transcript",))  # running in "another" process, as a CLI run would be
    panel = JobsPanel(queue, lib)
    qtbot.addWidget(panel)
    assert panel.job_ids() == [job.job_id]
    assert panel.text(job.job_id, STATUS) == "downloading" and panel.text(job.job_id, KIND) == "Transcript"
    first = panel.text(job.job_id, ELAPSED)
    assert first.startswith("0:0")
    qtbot.waitUntil(lambda: panel.text(job.job_id, ELAPSED) != first, timeout=3000)
    assert panel.text(job.job_id, ELAPSED) > first
    assert panel.button(job.job_id, CANCEL).isEnabled()
    with qtbot.waitSignal(queue.job_updated, timeout=10000):
        click(qtbot, panel, job.job_id, CANCEL)
    qtbot.waitUntil(lambda: panel.text(job.job_id, STATUS) == "failed")
    with Library() as fresh:
        assert fresh.get_job(job.job_id).error["code"] == "cancelled"


def test_a_refused_action_is_said_in_the_panel(qtbot, queue, panel, lib, talk):
    m = lib.add_media(talk)
    job = lib.create_job("transcript", {"file_id": m.file_id})
    panel.reload()
    assert panel.button(job.job_id, CANCEL).isEnabled()
    lib.cancel_job(job.job_id)  # ended meanwhile, elsewhere: the panel has not heard yet
    click(qtbot, panel, job.job_id, CANCEL)
    qtbot.waitUntil(panel.messages.isVisible, timeout=10000)
    assert panel.messages.text.startswith("Could not cancel the job:") and "already ended" in panel.messages.text
