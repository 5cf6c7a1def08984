"""The job queue: the GUI's face of the engine's job thread. Imports, clip requests, cancel and retry
go to real worker processes through a real library; every answer comes back as a signal on the GUI
thread, which keeps running while the jobs do."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import itertools

import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication

from engine.cut.request import ClipRequest
from engine.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    ProcessingFailed,
    UnsupportedMedia,
)
from engine.library import Library, Media
from engine.library.jobs import RUNNING  # noqa: E402
from fastclip_desktop.job_queue import JobQueue
from tests import media


@pytest.fixture
def talk(source) -> Path:
    return source("h264")  # 4 s, a keyframe every second


@pytest.fixture
def big(source) -> Path:
    return source("one_long_gop")


class Updates:
    """Every JobUpdate the queue delivered, and on which thread it arrived."""

    def __init__(self, queue: JobQueue):
        self.seen = []
        self.off_gui_thread = 0
        queue.job_updated.connect(self._on)

    def _on(self, update) -> None:
        if QThread.currentThread() is not QApplication.instance().thread():
            self.off_gui_thread += 1
        self.seen.append(update)

    def of(self, job_id: str) -> list:
        return [u for u in self.seen if u.job_id == job_id]

    def wait_ended(self, qtbot, job_id: str, after: int = 0, timeout: int = 30000):
        """The first update at or past index ``after`` that ends ``job_id``."""
        def ended():
            return next((u for u in self.seen[after:] if u.job_id == job_id and u.ended), None)

        qtbot.waitUntil(lambda: ended() is not None, timeout=timeout)
        return ended()


def import_ready(qtbot, queue: JobQueue, updates: Updates, path: Path) -> tuple[Media, str]:
    """Import ``path`` through the queue and wait for its import job: (the Media row, the job id)."""
    with qtbot.waitSignal(queue.imported, timeout=10000) as got:
        queue.import_paths([path])
    [row] = got.args[0]
    assert isinstance(row, Media), row
    qtbot.waitUntil(lambda: any(u.kind == "import" and u.file_id == row.file_id for u in updates.seen))
    job_id = next(u.job_id for u in updates.seen if u.kind == "import" and u.file_id == row.file_id)
    assert updates.wait_ended(qtbot, job_id).status == "complete"
    return row, job_id


def test_a_dropped_folder_is_imported_as_the_media_files_inside_it(qtbot, queue, talk, tmp_path):
    folder = tmp_path / "drop"
    (folder / "day one").mkdir(parents=True)
    video = Path(shutil.copy(talk, folder / "day one" / "Talk.MP4"))
    (folder / "notes.txt").write_text("not a video")
    (folder / ".hidden").mkdir()
    shutil.copy(talk, folder / ".hidden" / "secret.mp4")
    fake = tmp_path / "fake.mp4"
    fake.write_text("This is not a media file.\n" * 20)
    empty = tmp_path / "empty"
    empty.mkdir()
    updates = Updates(queue)

    with qtbot.waitSignal(queue.imported, timeout=10000) as got:
        token = queue.import_paths([folder, fake, empty])
    results, answered = got.args
    assert answered == token
    row, refused, nothing = results
    assert isinstance(row, Media) and Path(row.path) == video.resolve() and row.status == "pending"
    assert isinstance(refused, Media) and refused.status == "failed" and "text file" in refused.error  # a failed upload
    assert isinstance(nothing, UnsupportedMedia) and "no media files" in str(nothing)

    [job_id] = {u.job_id for u in updates.seen if u.kind == "import"} or [None]
    assert updates.of(job_id)[0].status == "pending"  # shown as queued before a worker takes it
    ended = updates.wait_ended(qtbot, job_id)
    assert ended.status == "complete" and ended.file_id == row.file_id
    assert updates.off_gui_thread == 0
    with Library() as lib:
        assert lib.get_media(row.file_id).status == "ready"
        # the video and the refused fake.mp4 (a failed upload); neither the hidden copy nor notes.txt
        assert {(Path(m.path).name, m.status) for m in lib.list_media()} == {("Talk.MP4", "ready"),
                                                                            ("fake.mp4", "failed")}


def test_a_keyframe_clip_is_submitted_and_exported(qtbot, queue, talk, tmp_path):
    updates = Updates(queue)
    row, _ = import_ready(qtbot, queue, updates, talk)
    out = tmp_path / "cut.mp4"
    with qtbot.waitSignal(queue.submitted, timeout=30000) as got:
        token = queue.submit(ClipRequest(row.file_id, start=1, end=3, mode="keyframe"), str(out))
    [job], answered = got.args
    assert answered == token and job.status == "pending" and job.kind == "clip"

    ended = updates.wait_ended(qtbot, job.job_id)
    assert ended.status == "complete", ended.error
    assert ended.result["path"] == str(out)
    statuses = [u.status for u in updates.of(job.job_id)]
    assert statuses[0] == "pending" and statuses[-1] == "complete"
    assert [u.progress for u in updates.of(job.job_id)] == sorted(u.progress for u in updates.of(job.job_id))
    assert media.probe(out)["duration"] == pytest.approx(2.0, abs=0.05)
    assert media.frame_numbers(out)[0][1] == 30  # starts on the keyframe at 1 s


def test_a_broken_rule_comes_back_as_submit_failed_with_its_field(qtbot, queue, talk):
    updates = Updates(queue)
    row, _ = import_ready(qtbot, queue, updates, talk)
    with qtbot.waitSignal(queue.submit_failed, timeout=30000) as got:
        token = queue.submit(ClipRequest(row.file_id, start=3, end=2))
    error, answered = got.args
    assert answered == token
    assert isinstance(error, InvalidRequest) and error.field == "end" and str(error)
    with qtbot.waitSignal(queue.submit_failed, timeout=30000) as got:
        queue.submit(ClipRequest("upl_000000000000", start=0, end=1))
    assert isinstance(got.args[0], NotFound)
    with Library() as lib:
        assert lib.list_jobs(kind="clip") == []


def test_a_running_precise_cut_is_cancelled_and_a_retry_runs_it_again_while_the_gui_runs(
        qtbot, queue, big, tmp_path):
    updates = Updates(queue)
    row, _ = import_ready(qtbot, queue, updates, big)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "long.mp4"
    asked = []

    def cancel_once_running(u) -> None:
        if u.kind == "clip" and u.status in RUNNING and not asked:
            asked.append(u.job_id)
            queue.cancel(u.job_id)

    queue.job_updated.connect(cancel_once_running)
    with qtbot.waitSignal(queue.submitted, timeout=30000) as got:
        queue.submit(ClipRequest(row.file_id, start=0.5, end=8, mode="precise"), str(out))
    [job] = got.args[0]
    ended = updates.wait_ended(qtbot, job.job_id)
    queue.job_updated.disconnect(cancel_once_running)
    assert asked == [job.job_id]
    assert ended.status == "failed" and ended.error["code"] == "cancelled"
    assert os.listdir(folder) == []  # no output, no temp file
    with Library() as lib:
        assert lib.get_job(job.job_id).status == "failed" and lib.count_clips() == 0

    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    seen_before = len(updates.seen)
    queue.retry(job.job_id)
    again = updates.wait_ended(qtbot, job.job_id, after=seen_before)
    timer.stop()
    assert again.status == "complete", again.error
    retried = [u for u in updates.seen[seen_before:] if u.job_id == job.job_id]
    assert retried[0].status == "pending" and any(u.status == "processing" for u in retried)
    assert media.probe(out)["duration"] == pytest.approx(7.5, abs=0.05)
    with Library() as lib:
        assert lib.get_job(job.job_id).status == "complete" and lib.count_clips() == 1

    # the GUI thread went on with its events all through the export: a 10 ms timer kept ticking
    assert len(ticks) >= 20, f"only {len(ticks)} timer ticks during the export"
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) < 0.5, f"the GUI thread stalled for {max(gaps):.2f} s"


def test_cancel_and_retry_that_the_job_does_not_allow_report_action_failed(qtbot, queue, talk):
    updates = Updates(queue)
    _, import_job = import_ready(qtbot, queue, updates, talk)
    with qtbot.waitSignal(queue.action_failed, timeout=10000) as got:
        queue.retry(import_job)  # complete: only a failed job can be retried
    assert got.args[0] == import_job and isinstance(got.args[1], Conflict) and "failed" in str(got.args[1])
    with qtbot.waitSignal(queue.action_failed, timeout=10000) as got:
        queue.cancel(import_job)  # it has ended already
    assert got.args[0] == import_job and isinstance(got.args[1], Conflict)
    with qtbot.waitSignal(queue.action_failed, timeout=10000) as got:
        queue.cancel("job_000000000000")
    assert isinstance(got.args[1], NotFound)


def test_close_stops_the_workers_and_later_requests_fail_readably(qtbot, talk):
    before = {p.pid for p in multiprocessing.active_children()}
    queue = JobQueue(workers=1)
    updates = Updates(queue)
    row, _ = import_ready(qtbot, queue, updates, talk)
    workers = [p for p in multiprocessing.active_children() if p.pid not in before]
    assert workers, "the import ran in a worker process"
    queue.close()
    assert queue.closed
    assert not any(p.is_alive() for p in workers)
    with qtbot.waitSignal(queue.submit_failed, timeout=5000) as got:
        queue.submit(ClipRequest(row.file_id, start=0, end=1))
    assert isinstance(got.args[0], ProcessingFailed) and "stopped" in str(got.args[0])
    queue.close()  # twice is harmless
