"""Jobs: the status model, ending exactly once, claims that never collide, recovery after a crash."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import pytest

from engine.cut.request import ClipRequest
from engine.errors import Conflict, InvalidRequest, NotFound, ProcessingFailed
from engine.library import APP_STOPPED, Library, request_fingerprint
from tests.engine.library import test_library as base

clock, home, lib = base.clock, base.home, base.lib  # the shared fixtures

ROOT = Path(__file__).resolve().parents[3]
REQUEST = {"file_id": "upl_a1b2c3d4e5f6", "start": 15, "end": 55, "format": "mp4", "quality": "1080p"}


def test_create_job_queues_it(lib):
    job = lib.create_job("clip", REQUEST)
    assert job.job_id.startswith("job_") and len(job.job_id) == 16
    assert (job.kind, job.status, job.progress, job.attempts) == ("clip", "pending", 0, 0)
    assert job.request == REQUEST and job.file_id == "upl_a1b2c3d4e5f6"
    assert job.created_at == "2026-04-19T10:00:00Z" and job.started_at is None and job.finished_at is None
    assert job.error is None and job.result is None
    assert lib.get_job(job.job_id) == job
    assert lib.create_job("import", {"file_id": "upl_x"}, job_id="job_0123456789ab").job_id == "job_0123456789ab"
    with pytest.raises(Conflict):
        lib.create_job("import", {"file_id": "upl_x"}, job_id="job_0123456789ab")


def test_create_job_validates(lib):
    with pytest.raises(InvalidRequest) as e:
        lib.create_job("render", REQUEST)
    assert e.value.field == "kind"
    for bad in ([1, 2], {"x": object()}, "text"):
        with pytest.raises(InvalidRequest) as e:
            lib.create_job("clip", bad)
        assert e.value.field == "request"
    with pytest.raises(NotFound):
        lib.get_job("job_000000000000")


def test_a_job_runs_through_the_api_statuses(lib, clock):
    job = lib.create_job("clip", REQUEST)
    clock.advance(seconds=5)
    claimed = lib.claim_next_job(worker_pid=4242)
    assert claimed.job_id == job.job_id
    assert (claimed.status, claimed.attempts, claimed.worker_pid, claimed.started_at) == \
        ("downloading", 1, 4242, "2026-04-19T10:00:05Z")
    assert lib.update_job(job.job_id, "processing", 10, "analyzing").status == "processing"
    p = lib.update_job(job.job_id, progress=55, message="processing segment 2/3")
    assert (p.status, p.progress, p.status_message) == ("processing", 55, "processing segment 2/3")
    assert lib.update_job(job.job_id, "uploading", 99).status == "uploading"
    clock.advance(seconds=10)
    done = lib.complete_job(job.job_id, {"clip_id": "c1", "duration": Fraction(40)})
    assert (done.status, done.progress, done.status_message) == ("complete", 100, "Done!")
    assert done.result == {"clip_id": "c1", "duration": 40} and done.finished_at == "2026-04-19T10:00:15Z"
    assert lib.claim_next_job() is None


def test_update_job_rules(lib):
    job = lib.create_job("clip", REQUEST)
    with pytest.raises(Conflict, match="claim"):
        lib.update_job(job.job_id, progress=5)
    lib.claim_next_job()
    lib.update_job(job.job_id, "processing")
    with pytest.raises(Conflict, match="cannot go back"):
        lib.update_job(job.job_id, "downloading")
    for status in ("complete", "failed", "pending", "done"):
        with pytest.raises(InvalidRequest) as e:
            lib.update_job(job.job_id, status)
        assert e.value.field == "status"
    for progress in (-1, 101, 50.5, True):
        with pytest.raises(InvalidRequest) as e:
            lib.update_job(job.job_id, progress=progress)
        assert e.value.field == "progress"


def test_a_job_ends_exactly_once(lib):
    job = lib.create_job("clip", REQUEST)
    with pytest.raises(Conflict, match="claim"):
        lib.complete_job(job.job_id, {})
    lib.claim_next_job()
    lib.complete_job(job.job_id, {"clip_id": "c1"})
    for end in (lambda: lib.complete_job(job.job_id, {"clip_id": "c2"}),
                lambda: lib.fail_job(job.job_id, "late"),
                lambda: lib.cancel_job(job.job_id),
                lambda: lib.update_job(job.job_id, progress=3)):
        with pytest.raises(Conflict, match="already ended") as e:
            end()
        assert e.value.code == "conflict"
    assert lib.get_job(job.job_id).result == {"clip_id": "c1"}


def test_a_cancelled_attempt_cannot_end_the_retried_one(lib, clock):
    """Cancel a running job, retry it, and let a worker claim it again: the old attempt's end
    (its worker was still stopping) is a Conflict, and the new attempt runs on."""
    lib.create_job("clip", REQUEST)
    first = lib.claim_next_job(worker_pid=111)
    lib.cancel_job(first.job_id)
    lib.retry_job(first.job_id)
    second = lib.claim_next_job(worker_pid=111)  # the same worker, the same second
    for stale in (lambda: lib.fail_job(first.job_id, "cancelled", claimed=first),
                  lambda: lib.complete_job(first.job_id, {"clip_id": "old"}, claimed=first)):
        with pytest.raises(Conflict):
            stale()
    assert lib.get_job(first.job_id).status == "downloading"
    assert lib.complete_job(second.job_id, {"clip_id": "new"}, claimed=second).result == {"clip_id": "new"}


def test_fail_job_keeps_code_message_and_field(lib):
    a = lib.create_job("clip", REQUEST)
    lib.claim_next_job()
    failed = lib.fail_job(a.job_id, ProcessingFailed("the disk is full"))
    assert failed.status == "failed" and failed.finished_at is not None
    assert failed.error == {"code": "processing_failed", "message": "the disk is full", "field": None}
    assert failed.status_message == "the disk is full"
    b = lib.create_job("clip", REQUEST)  # a pending job can fail (rejected before it started)
    assert lib.fail_job(b.job_id, {"code": "invalid_request", "message": "end before start",
                                   "field": "end"}).error["field"] == "end"
    with pytest.raises(Conflict):
        lib.fail_job(b.job_id, "twice")
    c = lib.create_job("clip", REQUEST)
    with pytest.raises(InvalidRequest):
        lib.fail_job(c.job_id, 42)
    assert lib.get_job(c.job_id).status == "pending"


def test_cancel_pending_and_running_jobs(lib):
    a, b = lib.create_job("clip", REQUEST), lib.create_job("clip", REQUEST)
    cancelled = lib.cancel_job(a.job_id)
    assert cancelled.status == "failed" and cancelled.error["code"] == "cancelled"
    assert cancelled.error["message"] == "cancelled"
    assert lib.claim_next_job().job_id == b.job_id  # a cancelled job is never claimed
    lib.cancel_job(b.job_id)
    with pytest.raises(Conflict):  # the worker learns of it at its next report
        lib.update_job(b.job_id, "processing", 40)


def test_retry_queues_a_failed_job_again(lib):
    job = lib.create_job("clip", REQUEST)
    lib.claim_next_job()
    lib.fail_job(job.job_id, "decoder crashed")
    again = lib.retry_job(job.job_id)
    assert (again.status, again.error, again.attempts, again.progress, again.started_at) == \
        ("pending", None, 0, 0, None)
    with pytest.raises(Conflict, match="only a failed job"):
        lib.retry_job(job.job_id)
    lib.claim_next_job()
    lib.complete_job(job.job_id)
    with pytest.raises(Conflict):
        lib.retry_job(job.job_id)


def test_claims_take_the_oldest_first_and_can_pick_kinds(lib, clock):
    ids = []
    for kind in ("clip", "transcript", "clip", "import"):
        ids.append(lib.create_job(kind, {"n": len(ids)}).job_id)  # several in the same second
    clock.advance(seconds=1)
    assert lib.claim_next_job(kinds=("import",)).job_id == ids[3]
    assert [lib.claim_next_job().job_id for _ in range(3)] == ids[:3]


def test_list_jobs(lib, clock):
    ids = []
    for i in range(6):
        ids.append(lib.create_job("clip" if i % 2 else "transcript", {"n": i}).job_id)
        clock.advance(seconds=1)
    lib.claim_next_job()
    assert [j.job_id for j in lib.list_jobs()] == ids[::-1]
    assert [j.job_id for j in lib.list_jobs(offset=2, limit=2)] == ids[::-1][2:4]
    assert [j.job_id for j in lib.list_jobs("downloading")] == ids[:1]
    assert [j.job_id for j in lib.list_jobs("pending", kind="clip")] == [ids[5], ids[3], ids[1]]
    with pytest.raises(InvalidRequest) as e:
        lib.list_jobs("running")
    assert e.value.field == "status"
    with pytest.raises(InvalidRequest):
        lib.list_jobs(limit=1000)


def test_find_completed_job_for_a_batch_rerun(lib, clock):
    req = ClipRequest("upl_a1b2c3d4e5f6", start=Fraction(31, 2), end=20, format="mp3")
    assert request_fingerprint(req) == request_fingerprint(
        {"join": False, "mode": "precise", "segments": None, "captions": None, "quality": None,
         "format": "mp3", "end": 20, "start": 15.5, "source": "upl_a1b2c3d4e5f6"})
    fp = request_fingerprint(req)
    assert lib.find_completed_job(fp) is None
    first = lib.create_job("clip", req)
    assert first.request_fingerprint == fp and first.request["start"] == 15.5
    lib.claim_next_job()
    assert lib.find_completed_job(fp) is None  # only complete jobs count
    lib.complete_job(first.job_id, {"clip_id": "c1"})
    assert lib.find_completed_job(fp).job_id == first.job_id
    assert lib.find_completed_job(request_fingerprint({**REQUEST, "end": 56})) is None
    clock.advance(minutes=1)
    second = lib.create_job("clip", req)
    lib.claim_next_job()
    lib.complete_job(second.job_id, {"clip_id": "c2"})
    assert lib.find_completed_job(fp).job_id == second.job_id  # the latest


def test_complete_clip_job_is_one_transaction(lib, tmp_path):
    from tests.engine.library.test_library import make_file

    m = lib.add_media(make_file(tmp_path, "src.mp4"))
    job = lib.create_job("clip", {"file_id": m.file_id})
    lib.claim_next_job()
    out = make_file(lib.clips_dir, "out.mp4")
    done, clip = lib.complete_clip_job(job.job_id, source_file_id=m.file_id, path=out, format="mp4", duration=2)
    assert clip.job_id == job.job_id and done.result["clip_id"] == clip.clip_id
    out2 = make_file(lib.clips_dir, "out2.mp4")
    with pytest.raises(Conflict):  # the job already ended: no second clip is recorded
        lib.complete_clip_job(job.job_id, source_file_id=m.file_id, path=out2, format="mp4", duration=2)
    assert lib.count_clips() == 1


# -- crash recovery ---------------------------------------------------------------------------------


def test_a_job_left_running_is_requeued_once_then_failed(lib):
    job = lib.create_job("clip", REQUEST)
    lib.claim_next_job(worker_pid=999_999)
    lib.update_job(job.job_id, "processing", 40)
    dead = lambda row: False
    [requeued] = lib.recover_after_crash(is_running=dead)
    assert (requeued.job_id, requeued.status, requeued.progress, requeued.attempts) == (job.job_id, "pending", 0, 1)
    assert APP_STOPPED in requeued.status_message and requeued.worker_pid is None
    lib.claim_next_job(worker_pid=999_999)
    lib.update_job(job.job_id, "uploading", 90)
    [failed] = lib.recover_after_crash(is_running=dead)
    assert failed.status == "failed" and failed.attempts == 2
    assert failed.error == {"code": "processing_failed", "message": APP_STOPPED, "field": None}
    assert lib.recover_after_crash(is_running=dead) == []
    with pytest.raises(Conflict):
        lib.complete_job(job.job_id)


def test_recovery_leaves_jobs_of_live_processes_alone(lib):
    mine = lib.create_job("clip", REQUEST)
    lib.claim_next_job()  # claimed by this process, which is running it
    other = lib.create_job("clip", REQUEST)
    lib.claim_next_job(worker_pid=os.getppid())  # a live process: another window, a CLI run
    pending = lib.create_job("clip", REQUEST)
    assert lib.recover_after_crash() == []
    assert {lib.get_job(j.job_id).status for j in (mine, other)} == {"downloading"}
    assert lib.get_job(pending.job_id).status == "pending"
    assert lib.recover_after_crash(max_attempts=1, is_running=lambda row: False)[0].status == "failed"


_CRASHING_WORKER = """
import os, sys
sys.path.insert(0, {root!r})
from engine.library import Library
lib = Library()
job = lib.claim_next_job()
lib.update_job(job.job_id, "processing", 37, "processing segment 1/2")
os._exit(1)  # the app stops: no cleanup, no end of the job
"""


def _crash_a_worker(home: Path) -> None:
    env = {**os.environ, "FASTCLIP_HOME": str(home)}
    subprocess.run([sys.executable, "-c", _CRASHING_WORKER.format(root=str(ROOT))], env=env, timeout=60, check=False)


def test_a_real_crash_is_recovered_at_the_next_start(lib, home):
    job = lib.create_job("clip", REQUEST)
    _crash_a_worker(home)
    left = lib.get_job(job.job_id)
    assert (left.status, left.progress) == ("processing", 37)
    assert lib.recover_after_crash()[0].status == "pending"  # its pid is dead, its token not ours
    _crash_a_worker(home)
    [failed] = lib.recover_after_crash()
    assert failed.status == "failed" and failed.error["message"] == APP_STOPPED
    assert lib.check_integrity() == []


# -- two processes on one file ---------------------------------------------------------------------


def _claim_all(home: str, out, start) -> None:
    os.environ["FASTCLIP_HOME"] = home
    with Library() as library:
        start.wait()
        got = []
        while (job := library.claim_next_job()) is not None:
            got.append(job.job_id)
            library.complete_job(job.job_id, {"by": os.getpid()})
    out.put(got)


def test_two_processes_never_claim_the_same_job(lib, home):
    ids = {lib.create_job("clip", {"n": i}).job_id for i in range(60)}
    ctx = multiprocessing.get_context("spawn")
    out, start = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_claim_all, args=(str(home), out, start)) for _ in range(2)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0, "a worker failed (a job claimed twice fails to complete twice)"
    claimed = [out.get(timeout=5) for _ in procs]
    together = claimed[0] + claimed[1]
    assert len(together) == len(set(together)) == 60 and set(together) == ids
    assert all(j.status == "complete" and j.attempts == 1 for j in lib.list_jobs(limit=100))
    assert lib.check_integrity() == []


def test_two_library_objects_in_threads_never_claim_the_same_job(lib, clock):
    ids = {lib.create_job("clip", {"n": i}).job_id for i in range(200)}
    claimed: list[list[str]] = [[], [], []]
    barrier = threading.Barrier(3)

    def worker(n):
        with Library(now=clock) as own:
            barrier.wait()
            claimed[n].append(own.claim_next_job().job_id)
            barrier.wait()  # each has one: from here on all three race for every claim
            while (job := own.claim_next_job()) is not None:
                claimed[n].append(job.job_id)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    together = [j for c in claimed for j in c]
    assert len(together) == len(set(together)) == 200 and set(together) == ids
    assert lib.check_integrity() == []


def test_a_cluster_worker_address_is_kept_per_attempt(lib):
    job = lib.create_job("clip", REQUEST)
    claimed = lib.claim_next_job()
    assert claimed.worker_address is None
    assert lib.set_job_worker(job.job_id, "tcp://10.0.0.5:40123", claimed=claimed).worker_address == \
        "tcp://10.0.0.5:40123"
    assert lib.get_job(job.job_id).to_dict()["worker_address"] == "tcp://10.0.0.5:40123"
    ended = lib.fail_job(job.job_id, "the worker died", claimed=claimed)
    assert ended.worker_address == "tcp://10.0.0.5:40123"  # where its last attempt ran
    with pytest.raises(Conflict):
        lib.set_job_worker(job.job_id, "tcp://10.0.0.6:1")
    lib.retry_job(job.job_id)
    assert lib.claim_next_job().worker_address is None  # a new attempt, not on a cluster (yet)


def test_a_running_job_can_be_queued_again_when_its_scheduler_goes_away(lib):
    job = lib.create_job("clip", REQUEST)
    claimed = lib.claim_next_job()
    lib.update_job(job.job_id, "processing", 40)
    again = lib.requeue_job(job.job_id, "queued again: the cluster's scheduler went away", claimed=claimed)
    assert (again.status, again.progress, again.status_message, again.attempts, again.worker_pid) == \
        ("pending", 0, "queued again: the cluster's scheduler went away", 1, None)
    assert lib.claim_next_job().attempts == 2
    with pytest.raises(Conflict):  # that claim is over
        lib.requeue_job(job.job_id, "again", claimed=claimed)
    lib.cancel_job(job.job_id)
    with pytest.raises(Conflict):  # an ended job stays ended
        lib.requeue_job(job.job_id, "again")


def test_migration_6_keeps_every_job_and_adds_the_analyze_and_auto_kinds(tmp_path, clock, monkeypatch):
    from engine.library import schema

    path = tmp_path / "lib.db"
    monkeypatch.setattr(schema.migrate, "__defaults__", (schema.MIGRATIONS[:5],))  # a library from before
    with Library(path, now=clock) as old:
        assert old.schema_version == 5
        columns_before = [tuple(r) for r in old.db.execute("PRAGMA table_info(jobs)").fetchall()]
        # rows as a version-5 library holds them (written in SQL: today's Job reads today's columns)
        rows = [(f"job_old{i}", kind, "downloading" if i == 0 else "pending", f"2026-01-01T00:00:0{i}Z")
                for i, kind in enumerate(("clip", "import", "transcript"))]
        insert = ("INSERT INTO jobs (job_id, kind, request, request_fingerprint, status, created_at) "
                  "VALUES (?, ?, '{}', ?, ?, ?)")
        with old._db.write() as conn:
            for job_id, kind, status, created in rows:
                conn.execute(insert, (job_id, kind, job_id, status, created))
            with pytest.raises(sqlite3.IntegrityError):  # the old CHECK refuses the new kinds
                conn.execute(insert, ("job_new", "analyze", "x", "pending", "2026-01-01T00:00:09Z"))
        kept = [r[0] for r in rows]
    monkeypatch.undo()
    with Library(path, now=clock) as new:
        assert new.schema_version == 7
        columns_after = [tuple(r) for r in new.db.execute("PRAGMA table_info(jobs)").fetchall()]
        assert columns_after[:-1] == columns_before and columns_after[-1][1] == "worker_address"  # _007's
        assert [new.get_job(j).status for j in kept] == ["downloading", "pending", "pending"]
        assert [j.job_id for j in new.list_jobs(limit=10)] == list(reversed(kept))
        assert new.create_job("analyze", REQUEST).kind == "analyze" and new.create_job("auto", REQUEST).kind == "auto"
        indexes = {r["name"] for r in new.db.query("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                   "AND tbl_name = 'jobs'")}
        assert {"jobs_queue", "jobs_created", "jobs_fingerprint", "jobs_file"} <= indexes
        assert new.check_integrity() == []
