"""The job runner: real SQLite files, real spawned worker processes, real (small) media.

Imports probed in a worker, clip jobs through the API's statuses with their clip and webhook
event recorded together, a worker that dies failing exactly its one job while the runner goes
on, cancellation, start-up recovery of what a stopped app left, the expiry sweep, gone and
conflict sources, and the batch semantics of ``submit(reuse=True)``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.atomic import TEMP_MARK
from engine.cut.request import ClipRequest, Segment
from engine.errors import Conflict, Gone, InvalidRequest, NotFound, UnsupportedMedia
from engine.atomic import remove_job_temps
from engine.jobs.payloads import API_CLIP_FIELDS, job_json
from engine.jobs.planner import source_kind
from engine.jobs.runner import Runner
from engine.library import APP_STOPPED, EVENTS, Library
from tests import media


@pytest.fixture(scope="module")
def talk(tmp_path_factory) -> Path:
    return media.make_video(tmp_path_factory.mktemp("runner-src") / "talk.mp4", duration=6.0)


@pytest.fixture
def big(source) -> Path:
    return source("one_long_gop")


@pytest.fixture
def lib():
    with Library() as library:
        yield library


@pytest.fixture
def hook(lib):
    """A webhook subscribed to every event: what the runner queued shows in its deliveries."""
    return lib.add_webhook("http://127.0.0.1:9/hook", EVENTS)


def events(lib, hook) -> list[tuple[str, dict]]:
    return [(d.event, d.payload) for d in reversed(lib.list_deliveries(hook.webhook_id, limit=100))]


def copy(src: Path, dest: Path) -> Path:
    dest.write_bytes(src.read_bytes())
    return dest


def run(runner, jobs):
    seen = []
    final = runner.run_until_idle(seen.append, [j.job_id for j in jobs])
    return final, seen


# -- imports ---------------------------------------------------------------------------------------


def test_an_import_is_probed_in_a_worker_and_recorded_once(lib, hook, talk):
    with Runner(lib, workers=1) as runner:
        [m] = runner.import_paths([talk])
        assert (m.status, m.media_kind, m.has_video, m.has_audio, m.max_height) == ("ready", "video", True, True, 240)
        assert m.duration == pytest.approx(6.0, abs=0.05) and m.content_type == "video/mp4"
        [again] = runner.import_paths([talk])  # the same file: the same record, no new job
        assert again.file_id == m.file_id
    jobs = lib.list_jobs(kind="import")
    assert [(j.status, j.file_id) for j in jobs] == [("complete", m.file_id)]
    assert [e for e, _ in events(lib, hook)] == ["upload.ready"]
    assert events(lib, hook)[0][1]["file_id"] == m.file_id and "streams" not in events(lib, hook)[0][1]


def test_a_failed_import_keeps_its_row_with_the_reason(lib, hook, talk, tmp_path):
    bad = media.truncate(talk, tmp_path / "cut.mp4", 0.3)
    with Runner(lib, workers=1) as runner:
        [m] = runner.import_paths([bad])
        assert m.status == "failed" and "cut.mp4" in m.error
        with pytest.raises(UnsupportedMedia) as e:
            runner.resolve_source(str(bad))
        assert e.value.message == m.error
        [refused] = runner.import_paths([tmp_path / "missing.mp4"])
        assert isinstance(refused, NotFound)
    assert lib.get_media(m.file_id).status == "failed"
    [job] = [j for j in lib.list_jobs(kind="import") if j.file_id == m.file_id][:1]
    assert job.status == "failed" and job.error["message"] == m.error
    assert [e for e, _ in events(lib, hook)] == ["upload.failed", "upload.failed"]  # tried again by resolve


def test_a_source_longer_than_the_limit_fails_its_import(lib, talk):
    lib.set_setting("max_duration_seconds", 2)
    with Runner(lib, workers=1) as runner:
        [m] = runner.import_paths([talk])
        assert m.status == "failed" and "longest source" in m.error
        with pytest.raises(InvalidRequest, match="longest source"):
            runner.resolve_source(str(talk))


# -- clip jobs -------------------------------------------------------------------------------------


def test_a_clip_job_goes_through_the_api_statuses_and_records_its_clip(lib, hook, talk, tmp_path):
    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(talk))
        jobs = runner.submit(ClipRequest(m.file_id, start=1, end=3.5, mode="precise"))
        assert [j.status for j in jobs] == ["pending"]
        final, seen = run(runner, jobs)
    job = final[jobs[0].job_id]
    statuses = [u.status for u in seen]
    assert statuses[0] == "downloading" and statuses[-1] == "complete" and "processing" in statuses
    order = ["downloading", "processing", "uploading", "complete"]
    assert [order.index(s) for s in statuses] == sorted(order.index(s) for s in statuses)  # only forward
    assert (job.status, job.progress, job.attempts) == ("complete", 100, 1)
    clip = lib.get_clip(job.result["clip_id"])
    assert clip.in_library and clip.expires_at is not None and Path(clip.path).parent == lib.clips_dir
    assert clip.file_name == "talk_0-1-0-3.5.mp4" and clip.duration == pytest.approx(2.5, abs=0.04)
    assert [n for _, n in media.frame_numbers(clip.path)][0] == 30
    complete = [p for e, p in events(lib, hook) if e == "clip.complete"]
    assert complete == [{**complete[0], "job_id": job.job_id, "clip_id": clip.clip_id, "status": "complete"}]
    assert not [p for p in lib.clips_dir.iterdir() if TEMP_MARK in p.name]


def test_a_clip_jobs_json_says_how_its_video_was_made(lib, hook, talk):
    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(talk))
        jobs = runner.submit(ClipRequest(m.file_id, start=1.5, end=3.5, mode="precise"))
        final, _ = run(runner, jobs)
    job = final[jobs[0].job_id]
    shown = job_json(job)
    assert list(shown)[:len(API_CLIP_FIELDS)] == list(API_CLIP_FIELDS)  # the API's fields first
    cut = shown["cut"]
    assert cut == job.result["cut"] and cut["video"] == job.result["video"] == "smart"
    # keyframes every second: 1.5-2.0 is re-encoded, then copied up to a frame or two before 3.5
    assert cut["reencode_head"] == pytest.approx(0.5, abs=1e-6)
    assert 0 < cut["reencode_tail"] < 0.2 and cut["copy"] > 1.3
    assert cut["reencode_head"] + cut["reencode_tail"] + cut["copy"] == pytest.approx(2.0, abs=1e-5)
    one_frame_tail = cut["reencode_tail"] < 0.05
    assert cut["boundary_psnr"] >= 40 and cut["boundary_frames"] == 4 - one_frame_tail
    [complete] = [p for e, p in events(lib, hook) if e == "clip.complete"]
    assert complete["cut"] == cut  # the webhook's payload has it too


def test_segments_are_one_job_each_and_several_workers_share_them(lib, talk, tmp_path):
    out = tmp_path / "mine"
    with Runner(lib, workers=2, prestart=2) as runner:  # (quick jobs alone would not start a second one)
        m = runner.resolve_source(str(talk))
        segs = tuple(Segment(s, s + 1) for s in (0, 1, 2, 3))
        jobs = runner.submit(ClipRequest(m.file_id, segments=segs, mode="keyframe"), f"{out}/")
        final, seen = run(runner, jobs)
    assert [final[j.job_id].status for j in jobs] == ["complete"] * 4
    assert sorted(p.name for p in out.iterdir()) == [f"talk_0-{s}-0-{s + 1}.mp4" for s in range(4)]
    assert len({lib.get_job(j.job_id).worker_pid for j in jobs}) == 2  # both workers took jobs
    clips = lib.list_clips(m.file_id)
    assert len(clips) == 4 and not any(c.in_library or c.expires_at for c in clips)  # the user's files


def test_a_worker_that_dies_fails_its_one_job_and_the_runner_goes_on(lib, hook, talk):
    killed = []

    def on_event(u):
        if u.status == "downloading" and not killed:  # just claimed: kill its worker as a segfault would
            killed.append(u.job_id)
            os.kill(lib.get_job(u.job_id).worker_pid, signal.SIGSEGV)

    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(talk))
        jobs = runner.submit(ClipRequest(m.file_id, segments=(Segment(0, 1), Segment(2, 3)), mode="keyframe"))
        final = runner.run_until_idle(on_event, [j.job_id for j in jobs])
    first, second = (final[j.job_id] for j in jobs)
    assert killed == [first.job_id]
    assert first.status == "failed" and first.error["message"].startswith(
        "the decoder crashed on this file (signal 11)")
    assert second.status == "complete"  # in a new worker
    assert [e for e, _ in events(lib, hook)][-2:] == ["clip.failed", "clip.complete"]


def test_cancel_stops_a_running_job_and_leaves_no_file(lib, big, tmp_path):
    out = tmp_path / "scaled.mp4"
    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(big))
        [job] = runner.submit(ClipRequest(m.file_id, start=0.5, end=8, quality="720p", format="mp4",
                                          mode="precise"), tmp_path / "x.mp4")
        lib.cancel_job(job.job_id)  # a pending job: cancelled before it runs
        [job] = runner.submit(ClipRequest(m.file_id, start=0.5, end=8, mode="precise"), out)

        def on_event(u):
            if u.status == "processing" and u.progress > 0:
                runner.cancel(u.job_id)

        final = runner.run_until_idle(on_event, [job.job_id])
    ended = final[job.job_id]
    assert ended.status == "failed" and ended.error["code"] == "cancelled"
    assert os.listdir(tmp_path) == []  # no output, no temp file
    assert lib.count_clips() == 0


def test_a_job_cancelled_before_its_worker_starts_it_never_writes(lib, talk, tmp_path):
    cancelled = []

    def on_event(u):
        if u.status == "downloading" and not cancelled:
            cancelled.append(lib.cancel_job(u.job_id))  # as `fastclip jobs cancel` from another process would

    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(talk))
        [job] = runner.submit(ClipRequest(m.file_id, start=0, end=5, mode="precise"), tmp_path / "c.mp4")
        final = runner.run_until_idle(on_event, [job.job_id])
    assert final[job.job_id].error["code"] == "cancelled"
    assert os.listdir(tmp_path) == []


def test_a_moved_source_is_gone_and_a_pending_import_is_a_conflict(lib, hook, talk, tmp_path):
    src = copy(talk, tmp_path / "moving.mp4")
    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(src))
        [job] = runner.submit(ClipRequest(m.file_id, start=0, end=2, mode="keyframe"))
        src.rename(tmp_path / "moved.mp4")
        final, _ = run(runner, [job])
        assert final[job.job_id].status == "failed" and final[job.job_id].error["code"] == "gone"
        with pytest.raises(Gone, match="moved or deleted"):
            runner.submit(ClipRequest(m.file_id, start=0, end=2))
        pending = lib.add_media(copy(talk, tmp_path / "other.mp4"))  # recorded, never probed
        with pytest.raises(Conflict, match="not ready"):
            runner.submit(ClipRequest(pending.file_id, start=0, end=2))
        with pytest.raises(NotFound):
            runner.submit(ClipRequest("upl_000000000000", start=0, end=2))
    assert [e for e, _ in events(lib, hook)][-1] == "clip.failed"


def test_invalid_requests_are_refused_before_any_job_exists(lib, talk, tmp_path):
    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(talk))
        before = len(lib.list_jobs())
        for req, field in ((ClipRequest(m.file_id, start=5, end=99), "end"),
                           (ClipRequest(m.file_id, start=1, end=1.2), "end"),
                           (ClipRequest(m.file_id, start=0, end=2, format="mp3", quality="720p"), "quality")):
            with pytest.raises(InvalidRequest) as e:
                runner.submit(req)
            assert e.value.field == field
        with pytest.raises(InvalidRequest, match="folder"):
            runner.submit(ClipRequest(m.file_id, segments=(Segment(0, 1), Segment(2, 3))), tmp_path / "one.mp4")
    assert len(lib.list_jobs()) == before


def test_resubmitting_skips_what_is_done_adopts_what_is_queued_and_retries_what_failed(lib, talk, tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(talk))
        ok = ClipRequest(m.file_id, start=0, end=2, mode="keyframe")
        bad = ClipRequest(m.file_id, start=2, end=4, mode="keyframe")
        [done] = runner.submit(ok, tmp_path / "ok.mp4", reuse=True)
        [failing] = runner.submit(bad, blocker / "x.mp4", reuse=True)
        final, _ = run(runner, [done, failing])
        assert final[failing.job_id].status == "failed"
        [queued] = runner.submit(ClipRequest(m.file_id, start=3, end=5, mode="keyframe"), reuse=True)
        again = runner.submit(ok, tmp_path / "ok.mp4", reuse=True) + runner.submit(bad, blocker / "x.mp4", reuse=True) \
            + runner.submit(ClipRequest(m.file_id, start=3, end=5, mode="keyframe"), reuse=True)
        assert [j.job_id for j in again] == [done.job_id, failing.job_id, queued.job_id]
        assert [j.status for j in again] == ["complete", "pending", "pending"]  # the failed one queued again
        blocker.unlink()
        final, _ = run(runner, again[1:])
        assert final[failing.job_id].status == "complete" and final[queued.job_id].status == "complete"
        lib.delete_clip(final[queued.job_id].result["clip_id"])  # its output is gone: made again
        [remade] = runner.submit(ClipRequest(m.file_id, start=3, end=5, mode="keyframe"), reuse=True)
        assert remade.job_id != queued.job_id and remade.status == "pending"


# -- start-up --------------------------------------------------------------------------------------


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_start_up_requeues_once_then_fails_what_a_stopped_app_left(lib, hook, talk, tmp_path):
    with Runner(lib, workers=1) as runner:
        m = runner.resolve_source(str(talk))
        jobs = runner.submit(ClipRequest(m.file_id, segments=(Segment(0, 1), Segment(1, 2)), mode="keyframe"),
                             f"{tmp_path}/")
    first, second = jobs
    for job in jobs:  # as if a killed app had them running
        lib.claim_next_job(worker_pid=dead_pid(), job_ids=[job.job_id])
    lib.db.execute("UPDATE jobs SET attempts = 2 WHERE job_id = ?", (second.job_id,))
    stale = tmp_path / f".talk_0-0-0-1.0123abcd{TEMP_MARK}.mp4"
    stale.write_bytes(b"half")
    library_stale = lib.clips_dir / f".x.89abcdef{TEMP_MARK}.mp4"
    library_stale.write_bytes(b"half")
    with Runner(lib, workers=1) as runner:
        assert {j.job_id: j.status for j in runner.recovered} == {first.job_id: "pending", second.job_id: "failed"}
        assert not stale.exists() and not library_stale.exists()
        final, _ = run(runner, [first])
    assert final[first.job_id].status == "complete" and final[first.job_id].attempts == 2
    failed = lib.get_job(second.job_id)
    assert failed.status == "failed" and failed.error["message"] == APP_STOPPED
    assert ("clip.failed", failed.job_id) in [(e, p.get("job_id")) for e, p in events(lib, hook)]


def test_an_import_left_running_is_finished_by_the_next_start(lib, talk):
    m = lib.add_media(talk)
    job = lib.create_job("import", {"file_id": m.file_id})
    lib.claim_next_job(worker_pid=dead_pid(), job_ids=[job.job_id])
    lib.mark_media_processing(m.file_id)
    with Runner(lib, workers=1) as runner:
        [again] = runner.import_paths([talk])  # adopts the re-queued job, does not make another
    assert again.status == "ready" and lib.get_job(job.job_id).status == "complete"
    assert len(lib.list_jobs(kind="import")) == 1


def test_start_up_sweeps_expired_clips(talk, tmp_path):
    t = [datetime(2026, 4, 19, 10, 0, tzinfo=UTC)]  # the library's clock
    with Library(now=lambda: t[0]) as lib:
        hook = lib.add_webhook("http://127.0.0.1:9/hook", EVENTS)
        with Runner(lib, workers=1) as runner:
            m = runner.resolve_source(str(talk))
            jobs = runner.submit(ClipRequest(m.file_id, segments=(Segment(0, 1), Segment(1, 2)), mode="keyframe"))
            final, _ = run(runner, jobs)
        keep, lose = (lib.get_clip(final[j.job_id].result["clip_id"]) for j in jobs)
        lib.pin_clip(keep.clip_id)
        t[0] += timedelta(hours=25)
        with Runner(lib, workers=1) as runner:
            assert [c.clip_id for c in runner.expired] == [lose.clip_id]
        assert not Path(lose.path).exists() and Path(keep.path).exists()
        with pytest.raises(NotFound, match="expired"):  # as the API: 404 for an expired clip
            lib.get_clip(lose.clip_id)
        assert ("clip.expired", lose.clip_id) in [(e, p["clip_id"]) for e, p in events(lib, hook)
                                                   if e == "clip.expired"]


def test_the_runner_never_forks(lib):
    with pytest.raises(InvalidRequest, match="never fork"):
        Runner(lib, start_method="fork")


def test_forkserver_workers_run_jobs_too(lib, talk, tmp_path):
    with Runner(lib, workers=1, start_method="forkserver") as runner:
        m = runner.resolve_source(str(talk))
        jobs = runner.submit(ClipRequest(m.file_id, start=0, end=1, mode="keyframe"), tmp_path / "f.mp4")
        final, _ = run(runner, jobs)
    assert final[jobs[0].job_id].status == "complete" and (tmp_path / "f.mp4").exists()


def test_a_host_script_without_a_main_guard_is_not_run_again_by_workers(tmp_path, talk):
    script = tmp_path / "noguard.py"
    script.write_text(
        "from engine.library import Library\nfrom engine.jobs.runner import Runner\n"
        f"with Library() as lib, Runner(lib, workers=1) as r:\n"
        f"    print(r.resolve_source({str(talk)!r}).status)\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                       cwd=Path(__file__).resolve().parents[3])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ready"]


# -- small parts -----------------------------------------------------------------------------------


def test_only_the_interrupted_outputs_temp_files_are_removed(tmp_path):
    mine = tmp_path / f".a.0123abcd{TEMP_MARK}.mp4"
    other = tmp_path / f".a.b.89abcdef{TEMP_MARK}.mp4"  # a different output's (a.b.mp4), still being written
    for p in (mine, other):
        p.write_bytes(b"x")
    assert remove_job_temps(tmp_path / "a.mp4") == 1
    assert not mine.exists() and other.exists()


def test_source_kinds():
    assert source_kind("upl_0123456789ab") == "file_id"
    assert source_kind("8e0d5bb5-9a79-4f63-b15d-56bc8179339b") == "clip_id"
    assert source_kind("talk.mp4") == source_kind("upl_x") == "path"


def test_an_unreaped_dead_process_does_not_hold_its_job(lib, talk):
    p = subprocess.Popen([sys.executable, "-c", "pass"])  # exits, and is not reaped until p.wait()
    deadline = time.time() + 10
    while time.time() < deadline and b") Z" not in Path(f"/proc/{p.pid}/stat").read_bytes():
        time.sleep(0.01)
    m = lib.add_media(talk)
    job = lib.create_job("import", {"file_id": m.file_id})
    lib.claim_next_job(worker_pid=p.pid, job_ids=[job.job_id])
    try:
        with Runner(lib, workers=1) as runner:
            assert [j.job_id for j in runner.recovered] == [job.job_id]
    finally:
        p.wait()
    assert json.loads(json.dumps(lib.get_job(job.job_id).to_dict()))["status"] == "pending"


def test_a_job_of_any_kind_whose_source_is_unknown_fails_with_the_reason(lib):
    job = lib.create_job("transcript", {"file_id": "upl_0123456789ab"})
    with Runner(lib, workers=1) as runner:
        ended = runner.run_until_idle(job_ids=[job.job_id])[job.job_id]
    assert ended.status == "failed" and ended.error["code"] == "not_found"
