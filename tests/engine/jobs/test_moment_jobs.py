"""Analyze and auto-clip are jobs of the one runner: library rows with the API's statuses, progress
across the analysis and every clip, webhooks per clip, cancel, retry, and recovery after a crash.
Real worker processes, real SQLite, the Moments recording (tests/fixtures/moments), the real models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine.errors import InvalidRequest
from engine.jobs.moment_requests import cached_moments
from engine.jobs.payloads import job_json
from engine.jobs.runner import Runner
from engine.library import Library
from engine.moments.request import AnalyzeRequest, AutoClipRequest
from tests.fixtures import speech

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[3]
EVENTS = ["clip.auto.segment_complete", "clip.auto.segment_failed", "clip.complete", "clip.failed"]


@pytest.fixture
def lib():
    with Library() as library:
        library.hook = library.add_webhook("http://127.0.0.1:9/hook", EVENTS)
        yield library


@pytest.fixture
def talk(moments_media, _fastclip_home):
    """The recording, its transcript in this test's cache (as after a transcript job)."""
    moments_media.warm(_fastclip_home)
    return moments_media.recording


def events(lib) -> list[tuple[str, dict]]:
    return [(d.event, d.payload) for d in reversed(lib.list_deliveries(lib.hook.webhook_id, limit=100))]


def test_an_analyze_job_keeps_the_moments_as_the_apis_segments_and_is_asked_once(lib, talk):
    query = "where do they talk about customers leaving"
    with Runner(lib, workers=1) as runner:
        job = runner.submit_analyze(AnalyzeRequest(str(talk.path), query))
        assert (job.kind, job.status) == ("analyze", "pending")
        seen = []
        done = runner.run_until_idle(seen.append, [job.job_id])[job.job_id]
        assert done.status == "complete", done.error
        again = runner.submit_analyze(AnalyzeRequest(str(talk.path), "  Where do they talk about CUSTOMERS leaving"),
                                      reuse=True)
        assert again.job_id == job.job_id and again.status == "complete"  # asked before: not run again
    progress = [u.progress for u in seen if u.status == "processing"]
    assert progress == sorted(progress) and progress[-1] >= 90
    shown = job_json(done)
    top = shown["segments"][0]
    assert list(top)[:4] == ["start", "end", "excerpt", "confidence"] and top["reasons"][0] == "matches the query"
    assert talk.topic_at(top["start"], top["end"]) == "churn" and top["confidence"] > 0.5
    assert shown["query"] == query and shown["file_id"] == done.file_id
    moments = cached_moments(lib, done.file_id, query)
    assert [m.to_dict() for m in moments] == shown["segments"]
    assert cached_moments(lib, done.file_id, "something else") is None
    assert [j.job_id for j in lib.list_jobs(kind="analyze")] == [job.job_id]
    assert events(lib) == []  # an analysis makes no clip


def test_an_auto_job_makes_a_library_clip_of_each_moment_with_its_webhook(lib, talk):
    with Runner(lib, workers=1) as runner:
        job = runner.submit_auto(AutoClipRequest(str(talk.path), count=3, format="m4a"))
        seen = []
        done = runner.run_until_idle(seen.append, [job.job_id])[job.job_id]
    assert done.kind == "auto" and done.status == "complete", done.error
    shown = job_json(done)
    clips = shown["clips"]
    assert len(clips) == 3 and shown["failed_segments"] == []
    for c in clips:
        assert list(c)[:5] == ["start", "end", "excerpt", "confidence", "reasons"]
        clip = lib.get_clip(c["clip_id"])
        assert clip.job_id == job.job_id and clip.source_file_id == done.file_id and clip.format == "m4a"
        assert clip.in_library and Path(clip.path).is_file() and c["download_url"] == Path(clip.path).as_uri()
        assert clip.duration == pytest.approx(c["end"] - c["start"], abs=0.1)
        assert talk.not_speech(c["start"], c["end"]) <= 1.0
    sent = events(lib)
    assert [e for e, _ in sent] == ["clip.auto.segment_complete"] * 3
    assert sorted(p["clip_id"] for _, p in sent) == sorted(c["clip_id"] for c in clips)
    assert all(p["job_id"] == job.job_id and p["download_url"] and p["excerpt"] for _, p in sent)
    messages = [u.status_message for u in seen]
    assert "processing segment 1/3" in messages and "processing segment 3/3" in messages
    progress = [u.progress for u in seen if u.status == "processing"]
    assert progress == sorted(progress), "one bar across the analysis and every clip"


def test_an_auto_clip_is_refused_before_a_job_exists(lib, talk, tmp_path):
    silent = speech.write_silent_video(tmp_path / "silent.mp4", 2.0)
    audio = tmp_path / "talk.m4a"
    speech.write_audio(audio, *speech.say("A short sentence to hear."))
    with Runner(lib, workers=1) as runner:
        for request, out, field in [
            (AutoClipRequest(str(talk.path), format="gif"), None, "format"),
            (AutoClipRequest(str(talk.path), format="mp3", captions="builtin:short-form-karaoke"), None, "captions"),
            (AutoClipRequest(str(audio), captions="builtin:short-form-karaoke"), None, "captions"),
            (AutoClipRequest(str(audio), format="mp4"), None, "format"),
            (AutoClipRequest(str(talk.path), query="x" * 501), None, "query"),
            (AutoClipRequest(str(talk.path), max_duration=601), None, "max_duration"),
            (AutoClipRequest(str(talk.path)), tmp_path / "one.mp4", "out"),
            (AutoClipRequest(str(silent)), None, "source"),
        ]:
            with pytest.raises(InvalidRequest) as e:
                runner.submit_auto(request, out)
            assert e.value.field == field, (request, e.value)
        with pytest.raises(InvalidRequest) as e:
            runner.submit_analyze(AnalyzeRequest(str(silent)))
        assert e.value.field == "source"
    assert not [j for j in lib.list_jobs(limit=50) if j.kind in ("analyze", "auto")]


def test_an_auto_clip_whose_clips_all_fail_fails_each_then_the_job(lib, talk):
    from engine.captions.custom import create_preset, delete_preset

    preset = create_preset(lib, {"name": "Short-lived", "clone_from_preset_ref": "builtin:short-form-karaoke"})
    with Runner(lib, workers=1) as runner:
        job = runner.submit_auto(AutoClipRequest(str(talk.path), count=2, format="mp4", mode="keyframe",
                                                 captions=preset.preset_ref))
        delete_preset(lib, preset.preset_ref)  # gone before the job ran
        done = runner.run_until_idle(None, [job.job_id])[job.job_id]
    assert done.status == "failed" and done.error["code"] == "not_found", done.error
    sent = events(lib)
    assert [e for e, _ in sent] == ["clip.auto.segment_failed"] * 2 + ["clip.failed"]
    assert all(p["error"]["code"] == "not_found" for _, p in sent[:2]) and sent[2][1]["job_id"] == job.job_id
    assert lib.job_clips(job.job_id) == [] and not [p for p in lib.clips_dir.iterdir() if p.suffix == ".mp4"]


def test_a_cancelled_analysis_can_be_retried(lib, moments_media, _fastclip_home):
    talk = moments_media.recording  # no transcript cached: the job transcribes first
    with Runner(lib, workers=1) as runner:
        job = runner.submit_analyze(AnalyzeRequest(str(talk.path)))

        def cancel_once_under_way(u):
            if u.job_id == job.job_id and u.status == "processing" and u.progress > 0 and not cancelled:
                cancelled.append(runner.cancel(job.job_id))

        cancelled = []
        done = runner.run_until_idle(cancel_once_under_way, [job.job_id])[job.job_id]
        assert done.status == "failed" and done.error["code"] == "cancelled"
        moments_media.warm(_fastclip_home)
        retried = lib.retry_job(job.job_id)
        done = runner.run_until_idle(None, [retried.job_id])[job.job_id]
    assert done.status == "complete" and done.result["segments"], done.error


HOST = """
import json, sys
from engine.library import Library
from engine.jobs.runner import Runner
with Library() as lib, Runner(lib, workers=1) as runner:
    runner.run_until_idle(lambda u: print(json.dumps([u.job_id, u.status, u.progress, u.status_message]),
                                          flush=True), [sys.argv[1]])
"""


def test_an_auto_job_whose_runner_is_killed_is_queued_again_once_then_completes(lib, tmp_path):
    first, rate = speech.say(speech.FIRST)
    second, _ = speech.say(speech.SECOND)
    talk = speech.write_audio(tmp_path / "two.m4a", np.concatenate(
        [speech.silence(0.5, rate), first, speech.silence(1.5, rate), second, speech.silence(0.5, rate)]), rate)
    with Runner(lib, workers=1, housekeeping=False, prestart=0) as runner:  # no transcript: the job makes it
        job = runner.submit_auto(AutoClipRequest(str(talk), count=2, format="wav", min_duration=2, max_duration=8))
    host = subprocess.Popen([sys.executable, "-c", HOST, job.job_id], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        for line in host.stdout:  # the app's runner, until the job loads the speech model
            _, status, progress, message = json.loads(line)
            if status == "processing" and message.startswith("Loading the speech model"):
                break
        host.send_signal(signal.SIGKILL)  # the app killed; its worker goes with it
        host.wait(10)
    finally:
        if host.poll() is None:
            host.kill()
    interrupted = lib.get_job(job.job_id)
    assert interrupted.status == "processing" and interrupted.attempts == 1
    time.sleep(0.5)  # the worker has gone with its host (PR_SET_PDEATHSIG)
    with Runner(lib, workers=1) as runner:  # the next start-up
        [recovered] = runner.recovered
        assert recovered.job_id == job.job_id and recovered.status == "pending"
        done = runner.run_until_idle(None, [job.job_id])[job.job_id]
    assert done.status == "complete" and done.attempts == 2, done.error
    clips = done.result["clips"]
    assert len(clips) == 2 and all(Path(c["path"]).is_file() and c["format"] == "wav" for c in clips)
    assert not [p for p in lib.clips_dir.iterdir() if ".fastclip-part" in p.name]  # nothing half-written


def test_a_retried_auto_job_keeps_the_clips_its_interrupted_attempt_made(lib, talk):
    with Runner(lib, workers=1) as runner:
        job = runner.submit_auto(AutoClipRequest(str(talk.path), count=3, format="m4a"))
        first = runner.run_until_idle(None, [job.job_id])[job.job_id]
    assert first.status == "complete", first.error
    made = {c["clip_id"]: c for c in first.result["clips"]}
    lost = first.result["clips"][-1]["clip_id"]
    lib.delete_clip(lost)  # as if the app had been killed after recording two of the three
    with lib.transaction() as conn:
        conn.execute("UPDATE jobs SET status = 'processing', progress = 60, result = NULL, finished_at = NULL, "
                     "attempts = 1, worker_pid = 2147483646, worker_token = 'gone.0' WHERE job_id = ?", (job.job_id,))
    before = len(events(lib))
    with Runner(lib, workers=1) as runner:  # the next start-up queues it again
        assert [j.job_id for j in runner.recovered] == [job.job_id]
        done = runner.run_until_idle(None, [job.job_id])[job.job_id]
    assert done.status == "complete" and done.attempts == 2, done.error
    ids = [c["clip_id"] for c in done.result["clips"]]
    assert len(ids) == 3 and set(ids) - {lost} >= set(made) - {lost} and lost not in ids
    assert len(lib.job_clips(job.job_id)) == 3
    assert [e for e, _ in events(lib)[before:]] == ["clip.auto.segment_complete"]  # only the one made again
