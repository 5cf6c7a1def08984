"""`fastclip batch FILE`: JSON and CSV batch files, the summary, exit codes, and running the same
batch again (done requests skipped, failed ones retried)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.library import Library
from tests import media

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]


def fastclip(*args, cwd=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=180)


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch-media")
    media.make_video(d / "talk.mp4", duration=6.0)
    media.make_audio(d / "song.wav", duration=3.0)
    return d


@pytest.fixture
def work(media_dir, tmp_path):
    """A folder holding the sources (relative paths in a batch file are relative to it)."""
    for p in media_dir.iterdir():
        os.link(p, tmp_path / p.name)
    return tmp_path


def write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def job_count() -> int:
    with Library() as lib:
        return len(lib.list_jobs(kind="clip", limit=100))


def test_a_json_batch_runs_every_request_and_running_it_again_skips_them(work, tmp_path_factory):
    batch = write(work / "batch.json", [
        {"source": "talk.mp4", "start": 1, "end": 3, "mode": "keyframe"},  # a library clip
        {"source": "talk.mp4", "segments": [{"start": 0, "end": 1}, {"start": 2, "end": 3.5}], "out": "cuts/"},
        {"source": "song.wav", "start": 0.5, "end": 2, "format": "mp3", "out": "song.mp3"},
        {"source": "talk.mp4", "start": 0, "end": 2, "format": "gif", "quality": "720p", "out": "talk.gif"},
    ])
    elsewhere = tmp_path_factory.mktemp("cwd")
    r = fastclip("batch", batch, cwd=elsewhere)  # paths are relative to the batch file, not the cwd
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(os.listdir(work / "cuts")) == ["talk_0-0-0-1.mp4", "talk_0-2-0-3.5.mp4"]
    assert [n for _, n in media.frame_numbers(work / "cuts" / "talk_0-2-0-3.5.mp4")][0] == 60
    assert media.probe(work / "song.mp3")["streams"][0]["codec"] == "mp3" and (work / "talk.gif").exists()
    assert os.listdir(elsewhere) == []
    table = r.stdout.splitlines()
    assert table[0].split()[:3] == ["#", "source", "range"] and len(table) == 6
    assert all(" complete " in line for line in table[1:5]) and table[-1] == "4 complete of 4"
    progress = [line for line in r.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 5 and all(" complete " in line for line in progress)  # one line per job
    made = {p: p.stat().st_mtime_ns for p in (work / "cuts").iterdir()}
    jobs = job_count()

    again = fastclip("batch", batch, "--json")
    assert again.returncode == 0, again.stderr
    out = [json.loads(line) for line in again.stdout.splitlines()]
    assert [o["entry"] for o in out] == [0, 1, 1, 2, 3] and all(o["skipped"] for o in out)
    assert all(o["status"] == "complete" and o["clip_id"] for o in out)
    assert "4 skipped of 4" in again.stderr  # the summary goes to stderr with --json
    assert job_count() == jobs and {p: p.stat().st_mtime_ns for p in (work / "cuts").iterdir()} == made


def test_failed_requests_exit_1_and_are_retried_by_running_the_batch_again(work):
    blocker = work / "blocked"
    blocker.write_text("a file where a folder should be")
    batch = write(work / "b.json", [
        {"source": "talk.mp4", "start": 0, "end": 1, "mode": "keyframe", "out": "ok.mp4"},
        {"source": "talk.mp4", "start": 1, "end": 2, "mode": "keyframe", "out": "blocked/x.mp4"},
        {"source": "talk.mp4", "start": 5, "end": 99},
        {"source": "missing.mp4", "start": 0, "end": 1},
    ])
    r = fastclip("batch", batch)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    rows = r.stdout.splitlines()[1:5]
    assert " complete " in rows[0] and " failed " in rows[1] and "could not write" in rows[1]
    assert "invalid_request" in rows[2] and "past the end" in rows[2]
    assert "not_found" in rows[3]
    with Library() as lib:
        [failed] = lib.list_jobs("failed", kind="clip")
    blocker.unlink()
    again = fastclip("batch", batch, "--json")
    assert again.returncode == 1  # the invalid and missing ones still fail
    by_entry = {}
    for o in map(json.loads, again.stdout.splitlines()):
        by_entry.setdefault(o["entry"], o)
    assert by_entry[0]["skipped"] is True
    assert by_entry[1]["job_id"] == failed.job_id and by_entry[1]["status"] == "complete"  # the same job, retried
    assert (work / "blocked" / "x.mp4").exists()
    assert by_entry[2]["error"]["field"] == "end" and by_entry[3]["error"]["code"] == "not_found"
    with Library() as lib:
        assert lib.get_job(failed.job_id).attempts == 1 and len(lib.list_jobs(kind="clip")) == 2


def test_a_csv_batch_and_file_id_sources(work):
    r = fastclip("import", work / "talk.mp4", "--json")
    file_id = json.loads(r.stdout)["file_id"]
    batch = write(work / "b.csv", "source,start,end,format,quality,mode,captions,out\n"
                                  f"{file_id},0,1.5,,,keyframe,,one.mp4\n"
                                  "song.wav,1,2,flac,,,,\n"
                                  "\n")
    r = fastclip("batch", batch, "--workers", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (work / "one.mp4").exists() and r.stdout.splitlines()[-1] == "2 complete of 2"
    with Library() as lib:
        clips = lib.list_clips()
        assert {c.format for c in clips} == {"mp4", "flac"}
        assert [c.in_library for c in clips if c.format == "flac"] == [True]


@pytest.mark.parametrize("name,content,needle", [
    ("x.json", "[{\"source\": \"talk.mp4\", ", "not valid JSON"),
    ("x.json", "{\"source\": \"talk.mp4\"}", "list of clip requests"),
    ("x.json", "[]", "no requests"),
    ("x.json", "[{\"start\": 1}]", "source"),
    ("x.json", "[{\"source\": \"talk.mp4\", \"colour\": \"red\"}]", "unknown field 'colour'"),
    ("x.json", "[{\"source\": \"talk.mp4\", \"segments\": 3}]", "segments"),
    ("x.json", json.dumps([{"source": "talk.mp4", "out": "a.mp4"}, {"source": "talk.mp4", "end": 2, "out": "a.mp4"}]),
     "both write"),
    ("x.csv", "talk.mp4,1,2\n", "header row"),
    ("x.csv", "source,start,colour\ntalk.mp4,1,red\n", "unknown CSV column"),
])
def test_a_batch_file_that_cannot_be_read_is_refused(work, name, content, needle):
    r = fastclip("batch", write(work / name, content))
    assert r.returncode == 2 and needle in r.stderr and "invalid_request" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_a_missing_batch_file_is_not_found(work):
    r = fastclip("batch", work / "none.json")
    assert r.returncode == 2 and "not_found" in r.stderr
