"""Captions and transcripts are jobs of the one runner, like clips and imports: a library row with the
API's statuses, progress, webhooks, and recovery after a crash. Real worker processes, real SQLite,
a real speech video (espeak-ng) and the real speech model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from engine.cut.request import CaptionsRequest, validate_captions
from engine.errors import InvalidRequest, NotFound
from engine.jobs.payloads import job_json
from engine.jobs.runner import Runner
from engine.library import Library
from engine.media.info import MediaInfo, StreamInfo
from engine.paths import cache_dir
from engine.transcript import cached_transcript
from tests.engine.captions.test_burn_in import KARAOKE, speech_video
from tests.fixtures import speech

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def talk(tmp_path_factory) -> Path:
    assert speech.espeak_available(), "these tests need espeak-ng (scripts/setup_system.sh installs it)"
    return speech_video(tmp_path_factory.mktemp("kinds") / "talk.mp4")


@pytest.fixture
def lib():
    with Library() as library:
        hook = library.add_webhook("http://127.0.0.1:9/hook", ["clip.complete", "clip.failed"])
        library.hook = hook
        yield library


def events(lib) -> list[tuple[str, dict]]:
    return [(d.event, d.payload) for d in lib.list_deliveries(lib.hook.webhook_id, limit=100)]


def test_a_captions_job_makes_a_captioned_library_clip_with_its_webhook(lib, talk):
    with Runner(lib, workers=1) as runner:
        job = runner.submit_captions(CaptionsRequest(str(talk), KARAOKE))
        assert job.kind == "captions" and job.status == "pending"
        seen = []
        done = runner.run_until_idle(seen.append, [job.job_id])[job.job_id]
    assert done.status == "complete", done.error
    assert {u.status for u in seen} >= {"downloading", "processing", "complete"}
    clip = lib.get_clip(done.result["clip_id"])
    assert clip.captioned and clip.format == "mp4" and clip.in_library and Path(clip.path).is_file()
    assert clip.title == "talk_captioned" and clip.source_file_id == done.file_id
    shown = job_json(done)  # GET /v1/captions/{job_id}, field for field, first
    assert list(shown)[:6] == ["job_id", "status", "progress", "captioned", "clip_id", "download_url"]
    assert shown["captioned"] is True and shown["download_url"] == Path(clip.path).resolve().as_uri()
    [(event, payload)] = events(lib)
    assert event == "clip.complete" and payload["clip_id"] == clip.clip_id and payload["download_url"]


def test_a_captioned_clip_cannot_be_captioned_again_and_an_audio_clip_not_at_all(lib, talk):
    with Runner(lib, workers=1) as runner:
        job = runner.submit_captions(CaptionsRequest(str(talk), KARAOKE))
        made = runner.run_until_idle(None, [job.job_id])[job.job_id]
        with pytest.raises(InvalidRequest, match="captioned already") as e:
            runner.submit_captions(CaptionsRequest(made.result["clip_id"], KARAOKE))
        assert e.value.field == "clip_id"
        with pytest.raises(NotFound) as e:
            runner.submit_captions(CaptionsRequest(str(talk), "builtin:no-such-style"))
        assert e.value.field == "preset_ref"
    assert [j.kind for j in lib.list_jobs(kind="captions")] == ["captions"]  # nothing queued for the refusals


def test_a_failed_captions_job_sends_clip_failed(lib, talk):
    from engine.captions.custom import create_preset, delete_preset

    preset = create_preset(lib, {"name": "Short-lived", "clone_from_preset_ref": KARAOKE})
    with Runner(lib, workers=1) as runner:
        job = runner.submit_captions(CaptionsRequest(str(talk), preset.preset_ref))
        delete_preset(lib, preset.preset_ref)  # gone before the job ran
        done = runner.run_until_idle(None, [job.job_id])[job.job_id]
    assert done.status == "failed" and done.error["code"] == "not_found"
    [(event, payload)] = events(lib)
    assert event == "clip.failed" and payload["job_id"] == job.job_id and payload["status"] == "failed"
    assert not any(p.name.endswith(".mp4") for p in lib.clips_dir.iterdir())


def test_a_whole_source_longer_than_ten_minutes_can_be_captioned():
    def info(minutes: float) -> MediaInfo:
        return MediaInfo("/talk.mp4", 1, "mov", "mp4", Fraction(int(minutes * 60)), (
            StreamInfo(0, "video", "h264", Fraction(1, 30), Fraction(0), None, width=1920, height=1080),
            StreamInfo(1, "audio", "aac", Fraction(1, 48000), Fraction(0), None, sample_rate=48000, channels=2)))

    clip = validate_captions(CaptionsRequest("/talk.mp4", KARAOKE), info(95))  # the limit is a segment's
    assert clip.segments == ((0, 95 * 60),) and clip.format == "mp4" and clip.captions == KARAOKE
    assert validate_captions(CaptionsRequest("/talk.mp4", KARAOKE, "720p"), info(30)).height == 720


def test_a_transcript_job_fills_the_cache_and_says_what_it_holds(lib, talk):
    with Runner(lib, workers=1) as runner:
        job = runner.submit_transcript(str(talk))
        done = runner.run_until_idle(None, [job.job_id])[job.job_id]
    assert done.kind == "transcript" and done.status == "complete", done.error
    transcript = cached_transcript(talk, cache_dir=cache_dir())
    assert transcript is not None and done.result["words"] == len(transcript.words) > 5
    assert done.result["language"] == "en" and speech.wer(speech.FIRST, transcript.text) <= 0.2
    assert job_json(done)["words"] == done.result["words"]


HOST = """
import json, sys
from engine.library import Library
from engine.jobs.runner import Runner
with Library() as lib, Runner(lib, workers=1) as runner:
    runner.run_until_idle(lambda u: print(json.dumps([u.job_id, u.status, u.progress]), flush=True), [sys.argv[1]])
"""


@pytest.mark.parametrize("kind", ["captions", "transcript"])
def test_a_job_whose_runner_is_killed_is_queued_again_once_then_completes(lib, talk, kind):
    with Runner(lib, workers=1, housekeeping=False, prestart=0) as runner:
        job = (runner.submit_captions(CaptionsRequest(str(talk), KARAOKE)) if kind == "captions"
               else runner.submit_transcript(str(talk), fresh=True))
    host = subprocess.Popen([sys.executable, "-c", HOST, job.job_id], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        for line in host.stdout:  # the app's runner, until its job is under way
            _, status, progress = json.loads(line)
            if status == "processing" and progress > 0:
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
        assert recovered.status_message.startswith("queued again")
        done = runner.run_until_idle(None, [job.job_id])[job.job_id]
    assert done.status == "complete" and done.attempts == 2, done.error
    if kind == "captions":
        assert Path(lib.get_clip(done.result["clip_id"]).path).is_file()
        assert not [p for p in lib.clips_dir.iterdir() if ".fastclip-part" in p.name]  # nothing half-written
    else:
        assert cached_transcript(talk, cache_dir=cache_dir()) is not None
