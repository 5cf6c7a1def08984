"""`fastclip captions` and `fastclip clip --captions`, run as a user runs them: real processes.

The speech video's transcript is made once into the session's cache, so the
commands find it there (as on a second run) and these tests stay quick.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests import media
from tests.engine.captions.test_burn_in import frames_rgb, speech_video, warm_transcript_cache

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


def test_captions_of_a_source_become_a_library_clip_named_after_it(talk, tmp_path, _fastclip_home):
    r = fastclip("captions", talk, "--preset", "builtin:clean-subtitle", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["captioned"] is True and job["saved_to_library"] is True
    assert job["path"] == str(_fastclip_home / "clips" / "talk_captioned.mp4")
    assert list(tmp_path.iterdir()) == []  # nothing in the working folder
    listed = json.loads(fastclip("clips", "list", "--json").stdout)
    [clip] = [c for c in listed["data"] if c["clip_id"] == job["clip_id"]]
    assert clip["captioned"] is True and clip["source_file_id"] == job["file_id"]


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
    (("--preset", "builtin:no-such-preset"), "not_found [preset_ref]"),
    (("--preset", "preset:unknown1"), "not_found [preset_ref]"),
    (("--preset", "karaoke"), "[preset_ref]"),
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


# ------------------------------------------------------------------------------- --clip CLIP_ID


def make_clip(talk, *args) -> dict:
    r = fastclip("clip", talk, *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def show_clip(clip_id) -> dict:
    r = fastclip("clips", "show", clip_id, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def clip_count() -> int:
    r = fastclip("clips", "list", "--json", "--all")
    assert r.returncode == 0, r.stderr
    return len(json.loads(r.stdout)["data"])


def test_a_library_clip_is_captioned_into_a_new_captioned_clip(talk, tmp_path):
    original = make_clip(talk, "--start", "1", "--end", "4")
    before = sha(original["path"])
    r = fastclip("captions", "--clip", original["clip_id"], "--preset", KARAOKE, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "complete" and job["captioned"] is True
    assert job["clip_id"] and job["clip_id"] != original["clip_id"]
    new = show_clip(job["clip_id"])
    assert new["captioned"] is True and new["path"] == job["path"]
    assert new["source_file_id"] == original["file_id"]
    # written into the clips folder, a library clip that expires like the others
    assert new["in_library"] is True and new["expires_at"] is not None
    assert Path(new["path"]).parent == Path(original["path"]).parent
    assert new["duration"] == pytest.approx(3.0, abs=0.04)
    assert list(tmp_path.iterdir()) == []
    # the original is untouched, and still an uncaptioned clip
    assert sha(original["path"]) == before
    assert show_clip(original["clip_id"])["captioned"] is False
    t = Fraction(1)  # source 2 s: a word is being spoken
    assert np.abs(caption_band(job["path"], t) - caption_band(original["path"], t)).mean() > 5

    # a captioned clip cannot be captioned again
    r = fastclip("captions", "--clip", job["clip_id"], "--preset", KARAOKE, "--json")
    assert r.returncode == 2 and "[clip_id]" in r.stderr and "captioned again" in r.stderr, r.stderr
    assert r.stdout == "" and clip_count() == 2


def test_a_clip_captioned_to_a_file_of_yours_is_recorded_and_never_expires(talk, tmp_path):
    original = make_clip(talk, "--start", "0", "--end", "2")
    out = tmp_path / "mine.mp4"
    r = fastclip("captions", "--clip", original["clip_id"], "--preset", "builtin:clean-subtitle", "-o", out,
                 "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["path"] == str(out) and job["captioned"] is True
    new = show_clip(job["clip_id"])
    assert new["captioned"] is True and new["in_library"] is False and new["expires_at"] is None
    assert new["source_file_id"] == original["file_id"]


def test_an_expired_clip_is_not_found(talk):
    clip = make_clip(talk, "--start", "1", "--end", "2")
    # its time has passed (clip_ttl_hours is at least 0.01 h, too long to wait for here)
    with sqlite3.connect(Path(os.environ["FASTCLIP_HOME"]) / "library.db") as db:
        db.execute("UPDATE clips SET expires_at = '2000-01-01T00:00:00Z' WHERE clip_id = ?", (clip["clip_id"],))
    db.close()
    r = fastclip("captions", "--clip", clip["clip_id"], "--preset", KARAOKE)
    assert r.returncode == 2 and "not_found [clip_id]" in r.stderr and "expired" in r.stderr, r.stderr
    assert clip_count() == 1


def test_a_clip_whose_file_was_deleted_is_gone(talk):
    clip = make_clip(talk, "--start", "1", "--end", "2")
    Path(clip["path"]).unlink()
    r = fastclip("captions", "--clip", clip["clip_id"], "--preset", KARAOKE)
    assert r.returncode == 2 and "gone [clip_id]" in r.stderr, r.stderr
    assert clip_count() == 1


def test_an_audio_clip_cannot_be_captioned(talk):
    clip = make_clip(talk, "--start", "1", "--end", "2", "--format", "mp3")
    r = fastclip("captions", "--clip", clip["clip_id"], "--preset", KARAOKE)
    assert r.returncode == 2 and "invalid_request [clip_id]" in r.stderr and "mp3" in r.stderr, r.stderr
    assert clip_count() == 1


@pytest.mark.parametrize("args", [("SOURCE", "--clip", "CLIP"), (), ("--clip", "no-such-clip")])
def test_captions_needs_exactly_one_known_video(talk, tmp_path, args):
    clip = make_clip(talk, "--start", "1", "--end", "2") if "CLIP" in args else None
    args = [talk if a == "SOURCE" else clip["clip_id"] if a == "CLIP" else a for a in args]
    r = fastclip("captions", *args, "--preset", KARAOKE, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    needle = "not_found [clip_id]" if "no-such-clip" in args else "invalid_request [source]"
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
