"""`fastclip transcript` as a user runs it, on speech espeak-ng says (see tests/fixtures/speech).

All runs share one FASTCLIP_HOME, so the speech is recognised once (in the first run's worker)
and every later run reads the transcript cache.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pysubs2
import pytest

from engine.library import Library
from engine.media.probe import probe
from engine.timeline import Window
from engine.transcript import cut_transcript, from_dict
from tests.fixtures import speech

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]
LEAD = 0.5


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("transcript-home")


@pytest.fixture(scope="module")
def env(home):
    e = {**os.environ, "FASTCLIP_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    e.pop("FASTCLIP_WHISPER_MODEL", None)
    return e


@pytest.fixture(scope="module")
def fastclip(env):
    def run(*args, **kwargs):
        return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=env, timeout=300,
                              check=False, **kwargs)

    return run


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    assert speech.espeak_available(), "these tests need espeak-ng (scripts/setup_system.sh installs it)"
    first, rate = speech.say(speech.FIRST)
    samples = np.concatenate([speech.silence(LEAD, rate), first, speech.silence(0.5, rate)])
    return speech.write_audio(tmp_path_factory.mktemp("speech") / "talk.wav", samples, rate)


@pytest.fixture(scope="module")
def as_json(fastclip, talk):
    r = fastclip("transcript", talk)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_json_has_the_api_shape_and_what_was_said(as_json):
    d = as_json
    assert {"text", "segments", "duration"} <= set(d)
    assert d["duration"] == pytest.approx(LEAD + 0.5 + 4.2, abs=1.0)
    assert all(re.match(r"^\[\d+:\d\d:\d\d\] \S", line) for line in d["text"].splitlines())
    assert d["text"].startswith("[0:00:00] ")
    heard = " ".join(s["text"] for s in d["segments"])
    assert speech.wer(speech.FIRST, heard) <= 0.15, heard
    previous = 0.0
    for s in d["segments"]:
        assert set(s) == {"start", "end", "text", "words"} and s["start"] <= s["end"] <= d["duration"]
        for w in s["words"]:
            assert set(w) == {"word", "start", "end", "probability"}
            assert previous <= w["start"] <= w["end"] and s["start"] <= w["start"] and w["end"] <= s["end"]
            assert 0 <= w["probability"] <= 1
            previous = w["end"]
    assert speech.wer(speech.FIRST, "".join(w["word"] for s in d["segments"] for w in s["words"])) <= 0.15


@pytest.mark.parametrize("fmt, tolerance_ms", [("srt", 0), ("vtt", 0), ("ass", 10)])
def test_subtitles_parse_back_with_pysubs2(fastclip, talk, as_json, tmp_path, fmt, tolerance_ms):
    out = tmp_path / f"talk.{fmt}"  # the format comes from the name
    r = fastclip("transcript", talk, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    subs = pysubs2.load(str(out), format_=fmt)
    assert len(subs) == len(as_json["segments"])
    for event, seg in zip(subs, as_json["segments"]):
        assert event.plaintext == seg["text"]
        assert abs(event.start - round(seg["start"] * 1000)) <= tolerance_ms
        assert abs(event.end - round(seg["end"] * 1000)) <= tolerance_ms
    # --format to standard output is the same text
    piped = fastclip("transcript", talk, "--format", fmt)
    assert piped.returncode == 0 and piped.stdout == out.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temp file beside it


def test_txt_is_one_stamped_line_per_segment(fastclip, talk, as_json, tmp_path):
    r = fastclip("transcript", talk, "--format", "txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == as_json["text"].splitlines()
    out = tmp_path / "notes.md"  # an unknown suffix: --format decides, else json
    assert fastclip("transcript", talk, "-o", out).returncode == 0
    assert json.loads(out.read_text()) == as_json


def test_a_failed_run_leaves_the_output_untouched(fastclip, tmp_path):
    out = tmp_path / "keep.srt"
    out.write_text("precious")
    fake = tmp_path / "fake.wav"
    fake.write_text("This is not a media file.\n" * 20)
    r = fastclip("transcript", fake, "-o", out)
    assert r.returncode == 2 and r.stderr.startswith("fastclip: unsupported_media [source]: "), r.stderr
    assert out.read_text() == "precious" and sorted(p.name for p in tmp_path.iterdir()) == ["fake.wav", "keep.srt"]


@pytest.mark.parametrize("args, start", [
    (["missing.wav"], "fastclip: not_found [source]: "),
    (["{talk}", "--model", "/nowhere/model"], "fastclip: invalid_request [model_path]: "),
    (["upl_000000000000"], "fastclip: not_found [file_id]: "),
    (["00000000-0000-4000-8000-000000000000"], "fastclip: not_found [clip_id]: "),
])
def test_rejections(fastclip, talk, args, start):
    r = fastclip("transcript", *[a.format(talk=talk) for a in args])
    assert r.returncode == 2 and r.stderr.startswith(start), r.stderr
    assert r.stdout == ""
    assert fastclip("transcript", talk, "--format", "docx").returncode == 2  # argparse refuses it


def test_library_ids_are_sources_and_a_clip_is_its_source_s_transcript_cut(fastclip, env, talk, as_json, tmp_path):
    with Library(Path(env["FASTCLIP_HOME"]) / "library.db") as lib:
        media = lib.add_media(talk)  # (an earlier transcript of it imported it already, maybe)
        if media.status != "ready":
            media = lib.mark_media_ready(media.file_id, probe(talk))
        # a clip of 1.0-3.0 s of the talk (its file is never transcribed: the source's transcript is cut)
        clip_file = tmp_path / "clip.wav"
        clip_file.write_bytes(Path(talk).read_bytes())
        job = lib.create_job("clip", {"file_id": media.file_id, "start": 1.0, "end": 3.0})
        lib.claim_next_job()
        _, clip = lib.complete_clip_job(job.job_id, source_file_id=media.file_id, path=clip_file, format="wav",
                                        duration=2.0, result={"segments": [[1.0, 3.0]]})
    by_id = fastclip("transcript", media.file_id)
    assert by_id.returncode == 0, by_id.stderr
    assert json.loads(by_id.stdout) == as_json
    r = fastclip("transcript", clip.clip_id)
    assert r.returncode == 0, r.stderr
    want = cut_transcript(from_dict(as_json), [Window(Fraction(1), Fraction(3), Fraction(0))])
    got = json.loads(r.stdout)
    assert from_dict(got) == want and got["duration"] == 2.0
    assert got["segments"] and all(0 <= w["start"] <= w["end"] <= 2.0 for s in got["segments"] for w in s["words"])


def test_progress_bar_on_a_terminal_only(env, talk):
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([*CLI, "transcript", str(talk), "--format", "txt"], stdout=subprocess.PIPE,
                              stderr=slave, env=env, timeout=300, check=False)
        os.close(slave)
        slave = None
        shown = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 0
    assert b"\r[" in shown and b"100%" in shown
    assert proc.stdout.decode().startswith("[0:00:00] ")
