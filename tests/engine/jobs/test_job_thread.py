"""The job runner on a thread of its own (what the GUI uses): requests from another thread are
taken at once, jobs run as they are queued, results land in the library, errors come back to
the caller, and stopping leaves no worker process behind."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.cut.request import ClipRequest
from engine.errors import InvalidRequest
from engine.jobs.thread import JobThread
from engine.library import Library
from tests import media


@pytest.fixture(scope="module")
def talk(tmp_path_factory) -> Path:
    return media.make_video(tmp_path_factory.mktemp("job-thread") / "talk.mp4", duration=4.0)


class Events:
    """The JobUpdates seen on the job thread, and a way to wait for one."""

    def __init__(self):
        self.seen = []
        self._changed = threading.Condition()

    def __call__(self, update) -> None:
        with self._changed:
            self.seen.append(update)
            self._changed.notify_all()

    def wait_for(self, job_id: str, timeout: float = 60.0):
        with self._changed:
            ok = self._changed.wait_for(
                lambda: any(u.job_id == job_id and u.ended for u in self.seen), timeout)
        assert ok, f"job {job_id} did not end; seen: {self.seen}"
        return next(u for u in self.seen if u.job_id == job_id and u.ended)


@pytest.fixture
def jobs():
    events = Events()
    thread = JobThread(events, workers=1)
    thread.started(timeout=30)
    thread.events = events
    yield thread
    thread.stop()


def test_an_import_and_a_clip_queued_from_another_thread_run_and_are_recorded(jobs, talk, tmp_path):
    [media_row], [import_job] = jobs.call(lambda r: r.queue_imports([talk])).result(10)
    assert media_row.status == "pending"
    assert jobs.events.wait_for(import_job.job_id).status == "complete"

    out = tmp_path / "cut.mp4"
    [job] = jobs.call(lambda r: r.submit(ClipRequest(media_row.file_id, start=1, end=3, mode="keyframe"),
                                         out)).result(30)
    ended = jobs.events.wait_for(job.job_id)
    assert ended.status == "complete", ended.error
    statuses = [u.status for u in jobs.events.seen if u.job_id == job.job_id]
    assert statuses[0] in ("pending", "downloading") and statuses[-1] == "complete"

    with Library() as lib:  # another connection, as the GUI thread has
        assert lib.get_media(media_row.file_id).status == "ready"
        [clip] = lib.list_clips(source=media_row.file_id)
    assert Path(clip.path) == out
    assert media.probe(out)["duration"] == pytest.approx(2.0, abs=0.05)
    assert media.frame_numbers(out)[0][1] == 30  # the keyframe at 1 s


def test_a_broken_rule_comes_back_to_the_caller_and_queues_nothing(jobs, talk):
    [media_row], [import_job] = jobs.call(lambda r: r.queue_imports([talk])).result(10)
    jobs.events.wait_for(import_job.job_id)
    future = jobs.call(lambda r: r.submit(ClipRequest(media_row.file_id, start=3, end=2)))
    with pytest.raises(InvalidRequest) as e:
        future.result(30)
    assert e.value.field == "end"
    with Library() as lib:
        assert lib.list_jobs(kind="clip") == []


def test_stop_stops_the_workers_and_refuses_later_calls(talk):
    thread = JobThread(workers=1, prestart=1)
    runner = thread.started(timeout=30)
    procs = [w.proc for w in runner.pool.workers]
    assert procs and all(p.is_alive() for p in procs)
    thread.stop()
    assert not thread.alive
    assert not any(p.is_alive() for p in procs)
    with pytest.raises(RuntimeError, match="stopped"):
        thread.call(lambda r: None).result(1)
