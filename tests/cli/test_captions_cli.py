"""`fastclip captions` and `fastclip clip --captions`, run as a user runs them: real processes.

The speech video's transcript is made once into the session's cache, so the
commands find it there (as on a second run) and these tests stay quick.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests import media
from tests.engine.test_burn_in import frames_rgb, speech_video, warm_transcript_cache

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]
KARAOKE = "builtin:short-form-karaoke"


def fastclip(*args, cwd=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300, check=False,
                          env=os.environ.copy())


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    path = speech_video(tmp_path_factory.mktemp("captions-cli") / "talk.mp4")
    warm_transcript_cache(path, tmp_path_factory.getbasetemp() / "fastclip-home")
    return path


def caption_band(path, t: Fraction) -> np.ndarray:
    """The bottom fifth of the frame shown at ``t`` (where the karaoke preset draws)."""
    frame = frames_rgb(path, {t})[t]
    return frame[int(frame.shape[0] * 0.8):]


def test_captions_burns_the_words_into_a_new_mp4(talk, tmp_path):
    before = sha(talk)
    out = tmp_path / "captioned.mp4"
    r = fastclip("captions", talk, "--preset", KARAOKE, "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "complete" and job["captioned"] is True
    assert job["format"] == "mp4" and job["path"] == str(out) and job["quality"] == "360p"
    assert job["duration"] == pytest.approx(6.0, abs=0.04)
    assert sha(talk) == before, "the source is never modified"
    # the whole video, every frame in order, and words drawn while they are spoken
    assert [n for _, n in media.frame_numbers(out)] == list(range(180))
    speaking, silent = Fraction(2), Fraction(1, 10)  # mid-sentence; before the first word
    assert np.abs(caption_band(out, speaking) - caption_band(talk, speaking)).mean() > 5
    assert np.abs(caption_band(out, silent) - caption_band(talk, silent)).mean() < 2


def test_captions_names_its_output_after_the_source(talk, tmp_path):
    r = fastclip("captions", talk, "--preset", "builtin:clean-subtitle", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "talk_captioned.mp4").is_file()
    assert "captioned" in r.stdout


def test_clip_trims_and_captions_in_one_job(talk, tmp_path):
    out = tmp_path / "c.mp4"
    r = fastclip("clip", talk, "--start", "1", "--end", "4", "--captions", KARAOKE, "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "complete" and job["duration"] == pytest.approx(3.0, abs=0.04)
    frames = media.frame_numbers(out)
    assert frames[0][1] == 30 and frames[-1][1] == 119
    t = Fraction(1)  # source 2 s: a word is being spoken
    source_band = caption_band(talk, t + 1)
    assert np.abs(caption_band(out, t) - source_band).mean() > 5


@pytest.mark.parametrize(("args", "needle"), [
    (("--preset", "builtin:no-such-preset"), "not_found [captions]"),
    (("--preset", "preset:unknown1"), "not_found [captions]"),
    (("--preset", "karaoke"), "[captions]"),
    (("--preset", KARAOKE, "-o", "OUT/x.gif"), "invalid_request [out]"),
    (("--preset", KARAOKE, "--quality", "8k"), "invalid_request [quality]"),
])
def test_captions_rejects_with_exit_2_and_writes_nothing(talk, tmp_path, args, needle):
    args = [str(a).replace("OUT", str(tmp_path)) for a in args]
    r = fastclip("captions", talk, *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_an_audio_file_cannot_be_captioned(tmp_path):
    audio = media.make_audio(tmp_path / "speech.m4a", duration=1.0)
    r = fastclip("captions", audio, "--preset", KARAOKE, "-o", tmp_path / "x.mp4")
    assert r.returncode == 2 and "video" in r.stderr
    r = fastclip("clip", audio, "--captions", KARAOKE, "-o", tmp_path / "y.m4a")
    assert r.returncode == 2 and "[captions]" in r.stderr and "video" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["speech.m4a"]


@pytest.mark.parametrize("fmt", ["gif", "mp3"])
def test_clip_captions_need_an_mp4(talk, tmp_path, fmt):
    r = fastclip("clip", talk, "--start", "1", "--end", "2", "--captions", KARAOKE, "--format", fmt,
                 "-o", tmp_path / f"x.{fmt}")
    assert r.returncode == 2 and "[captions]" in r.stderr and "mp4" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_custom_preset_from_the_library_is_burned_in(talk, tmp_path):
    r = fastclip("presets", "create", "--name", "Up top", "--clone", "builtin:clean-subtitle",
                 "--set", "position_y=0.15", "--json")
    assert r.returncode == 0, r.stderr
    ref = json.loads(r.stdout)["preset_ref"]
    out = tmp_path / "custom.mp4"
    r = fastclip("captions", talk, "--preset", ref, "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["captioned"] is True
    t = Fraction(2)
    got, src = frames_rgb(out, {t})[t], frames_rgb(talk, {t})[t]
    changed = np.abs(got - src).max(axis=2) > 48
    rows = np.nonzero(changed.any(axis=1))[0]
    assert rows.size and rows.mean() < 0.3 * got.shape[0]  # the caption is up top, as the preset says
