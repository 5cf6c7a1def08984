"""Kill the CLI at random points during a batch of 50 exports, restart it, until the batch is done.

What must hold at every kill and at the end: no partial file at any output path, no job lost or
run twice to completion, a library that passes ``PRAGMA integrity_check``, sources untouched, and
no temp file left once the batch has finished. Some kills take the CLI alone (its workers get
SIGTERM from the kernel and clean up), others its whole process group (workers die mid-write and
the next start-up cleans up after them).
"""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from engine.atomic import TEMP_MARK
from engine.library import APP_STOPPED, Library
from tests import media

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]
EXPORTS = 50
MAX_KILLS = 10


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def duration(path) -> float:
    """Decode the whole file: a partial file fails here."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0] if c.streams.video else c.streams.audio[0]
        end = 0.0
        for frame in c.decode(stream):
            end = max(end, float(frame.time + (frame.duration or 0) * frame.time_base))
        return end


def requests(src_dir: Path) -> list[dict]:
    """50 small exports: keyframe and precise mp4, mp3 and wav; most to files of the user's, some
    library clips."""
    rng = random.Random(7)
    out = []
    for i in range(EXPORTS):
        src = "a.mp4" if i % 2 else "b.mp4"
        start = rng.choice([0, 0.5, 1, 1.5, 2])
        req = {"source": src, "start": start, "end": start + rng.choice([0.5, 1, 1.5])}
        if i % 10 == 3:
            req["format"] = "mp3"
        elif i % 10 == 7:
            req["format"] = "wav"
        else:
            req["mode"] = "keyframe" if i % 3 else "precise"
        if i % 5 != 4:  # four in five go to a file of the user's
            ext = req.get("format", "mp4")
            req["out"] = f"out/{i:02d}.{ext}"
        out.append(req)
    return out


def partial_files(folder: Path) -> list[str]:
    """Output paths holding something that is not a whole media file."""
    bad = []
    for p in folder.iterdir() if folder.is_dir() else []:
        if TEMP_MARK in p.name:
            continue  # a temp file is not an output path (checked at the end)
        try:
            if duration(p) <= 0:
                bad.append(p.name)
        except av.error.FFmpegError:
            bad.append(p.name)
    return bad


def outputs_now(work: Path) -> int:
    return sum(1 for d in (work / "out", work / "home" / "clips") if d.is_dir() for _ in d.iterdir())


def wait_for_outputs(proc, work: Path, n: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and outputs_now(work) < n:
        time.sleep(0.005)


def without_orphaned_bootstraps(stderr: str) -> str:
    """stderr without what a worker prints when the CLI is killed while starting it: Python's
    multiprocessing reports, from the orphaned child, that its start-up data never came (that is
    multiprocessing's own code, before any of ours runs in the child)."""
    kept, block = [], []
    for line in stderr.splitlines():
        if line.startswith("Traceback"):
            block = [line]
        elif block:
            block.append(line)
            if not line.startswith(" "):  # the exception line ends the traceback
                text = "\n".join(block)
                if not ("multiprocessing/spawn.py" in text and line.startswith(("EOFError", "OSError"))):
                    kept += block
                block = []
        else:
            kept.append(line)
    return "\n".join(kept + block)


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_and_leaves_nothing_half_written(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("FASTCLIP_HOME", str(work / "home"))  # beside the outputs, to count them
    for name in ("a.mp4", "b.mp4"):
        media.make_video(work / name, duration=4.0)
    sources = {name: sha(work / name) for name in ("a.mp4", "b.mp4")}
    reqs = requests(work)
    batch = work / "batch.json"
    batch.write_text(json.dumps(reqs))
    rng = random.Random(int(os.environ.get("FASTCLIP_CRASH_SEED", "1")))

    kills = group_kills = retried_runs = 0
    finished = None
    for attempt in range(MAX_KILLS + 3):  # then runs without a kill, until one finishes everything
        proc = subprocess.Popen([*CLI, "batch", str(batch), "--workers", "2"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        if attempt < MAX_KILLS:
            try:
                if attempt % 2:  # at a random moment (start-up and imports included)
                    proc.wait(rng.uniform(0.05, 0.7))
                else:  # after a random number of new outputs, with some jitter (mid-export)
                    wait_for_outputs(proc, work, outputs_now(work) + rng.randint(1, 8))
                    proc.wait(rng.uniform(0.0, 0.08))
            except subprocess.TimeoutExpired:
                whole_group = kills % 3 == 2
                if whole_group:
                    os.killpg(proc.pid, signal.SIGKILL)
                    group_kills += 1
                else:
                    proc.send_signal(signal.SIGKILL)
                kills += 1
        stderr = proc.communicate(timeout=240)[1].decode()
        assert "Traceback" not in without_orphaned_bootstraps(stderr), stderr
        if proc.returncode == 0:
            finished = attempt
            break
        if proc.returncode == 1:  # it ran to the end, but jobs interrupted twice had been failed
            reasons = {line.split(": ", 1)[-1] for line in stderr.splitlines() if " failed " in line}
            assert reasons <= {APP_STOPPED}, stderr  # the next run retries them
            retried_runs += 1
        else:
            assert proc.returncode == -signal.SIGKILL, (proc.returncode, stderr)
        assert partial_files(work / "out") == [] and partial_files(work / "home" / "clips") == []
        time.sleep(0.05)  # the killed CLI's workers notice (SIGTERM from the kernel) and stop
    assert finished is not None, "the batch never completed"
    assert kills >= 5, f"the batch finished before it was killed enough ({kills} kills)"

    with Library() as lib:
        assert lib.check_integrity() == []
        jobs = []
        offset = 0
        while page := lib.list_jobs(kind="clip", offset=offset, limit=100):
            jobs += page
            offset += 100
        assert not [j.job_id for j in jobs if not j.ended]  # nothing left pending or running
        complete = [j for j in jobs if j.status == "complete"]
        fingerprints = [j.request_fingerprint for j in complete]
        assert len(complete) == EXPORTS and len(set(fingerprints)) == EXPORTS  # each export exactly once
        clips = lib.list_clips(limit=100)
        assert len(clips) == EXPORTS and sorted(c.job_id for c in clips) == sorted(j.job_id for j in complete)
        by_out = {c.path: c for c in clips}
        library_files = sorted(p for p in lib.clips_dir.iterdir())
        assert [p for p in library_files if TEMP_MARK in p.name] == []
        assert sorted(str(p) for p in library_files) == sorted(c.path for c in clips if c.in_library)

    out = work / "out"
    expected = sorted(Path(r["out"]).name for r in reqs if "out" in r)
    assert sorted(p.name for p in out.iterdir()) == expected  # no temp file, no "(2)" duplicate
    for r in reqs:
        if "out" not in r:
            continue
        path = work / r["out"]
        clip = by_out[str(path)]
        assert duration(path) == pytest.approx(clip.duration, abs=0.1)
        assert duration(path) >= (r["end"] - r["start"]) - 0.1
    assert {name: sha(work / name) for name in sources} == sources
    print(f"{kills} kills ({group_kills} of the whole process group), {retried_runs} runs that ended with "
          f"jobs failed by two interruptions; finished on run {finished + 1}")
