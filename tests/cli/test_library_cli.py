"""`fastclip import | media | clips | config | jobs` and the library side of `fastclip clip`, as a
user runs them: real processes, a real library (each test has its own FASTCLIP_HOME), exit codes.

Exit codes: 0 done; 1 an import or job ran and failed; 2 refused (invalid request, not found,
gone, conflict), with one line on stderr naming the code.
"""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from engine.library import Library
from tests import media

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]


def fastclip(*args, cwd=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def ok(*args, **kw):
    r = fastclip(*args, **kw)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r


def refused(code: str, *args, **kw):
    r = fastclip(*args, **kw)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert lines and f"fastclip: {code}" in lines[-1] and "Traceback" not in r.stderr
    return r


def lines(r) -> list[dict]:
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def home() -> Path:
    return Path(os.environ["FASTCLIP_HOME"])


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    return media.make_video(tmp_path_factory.mktemp("lib-cli") / "talk.mp4", duration=5.0)


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    return media.make_audio(tmp_path_factory.mktemp("lib-cli-audio") / "song.mp3", duration=3.0)


def copy(src, dest) -> Path:
    Path(dest).write_bytes(Path(src).read_bytes())
    return Path(dest)


# -- import and media ------------------------------------------------------------------------------


def test_import_records_a_file_once_and_media_commands_show_and_forget_it(talk):
    before = sha(talk)
    [m] = lines(ok("import", talk, "--json"))
    assert m["file_id"].startswith("upl_") and m["status"] == "ready" and m["filename"] == "talk.mp4"
    assert (m["media_kind"], m["has_video"], m["has_audio"], m["max_height"]) == ("video", True, True, 240)
    assert m["duration_seconds"] == pytest.approx(5.0, abs=0.05) and m["clip_requested"] is False
    [again] = lines(ok("import", talk, "--json"))
    assert again["file_id"] == m["file_id"]  # the same file: the existing record
    listed = lines(ok("media", "list", "--json"))[0]
    assert listed["total"] == 1 and [x["file_id"] for x in listed["data"]] == [m["file_id"]]
    assert lines(ok("media", "show", m["file_id"], "--json"))[0]["file_id"] == m["file_id"]
    assert lines(ok("media", "show", talk, "--json"))[0]["file_id"] == m["file_id"]  # by path too
    assert "talk.mp4" in ok("media", "list").stdout
    ok("media", "delete", m["file_id"])
    refused("not_found", "media", "show", m["file_id"])
    refused("not_found", "media", "delete", m["file_id"])
    assert sha(talk) == before  # never touched


def test_a_failed_import_keeps_its_row_with_the_reason(talk, tmp_path):
    bad = media.truncate(talk, tmp_path / "half.mp4", 0.4)
    r = fastclip("import", bad, "--json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    [m] = lines(r)
    assert m["status"] == "failed" and "half.mp4" in m["error"] and m["error"] in r.stderr
    shown = lines(ok("media", "show", m["file_id"], "--json"))[0]
    assert shown["status"] == "failed" and shown["error"] == m["error"]
    refused("unsupported_media", "clip", bad, "--end", "1")  # using it: the import's reason
    refused("not_found", "import", tmp_path / "nope.mp4")
    r = fastclip("import", media.text_file(tmp_path / "notes.mp4"), "--json")  # not media: a failed upload
    [notes] = lines(r)
    assert r.returncode == 1 and notes["status"] == "failed" and "text file" in notes["error"]
    listed = lines(ok("media", "list", "--json"))[0]["data"]
    assert {m["filename"]: m["status"] for m in listed}["notes.mp4"] == "failed"
    r = fastclip("import", talk, tmp_path / "nope.mp4", "--json")  # one good, one refused: exit 2, both reported
    assert r.returncode == 2 and [x["status"] for x in lines(r)] == ["ready", "rejected"]


def test_import_with_clip_queues_a_library_clip_once_ready(talk):
    r = ok("import", talk, "--clip", "1-3", "--json")
    m, job = lines(r)
    assert m["status"] == "ready" and m["clip_requested"] is True and m["clip_job_id"] == job["job_id"]
    assert job["status"] == "complete" and job["saved_to_library"] is True
    assert job["file_name"] == "talk_0-1-0-3.mp4" and job["duration"] == pytest.approx(2.0, abs=0.04)
    assert Path(job["path"]).parent == home() / "clips"
    refused("invalid_request", "import", talk, "--clip", "4-99")  # past the end of the source
    refused("invalid_request", "import", talk, "--clip", "oops")


def test_limits_are_settings(talk, tmp_path):
    ok("config", "set", "max_upload_bytes", "1000")
    r = refused("invalid_request", "import", talk)
    assert "max_upload_bytes" in r.stderr
    ok("config", "reset", "max_upload_bytes")
    ok("config", "set", "max_duration_seconds", "2")
    r = fastclip("import", talk, "--json")
    assert r.returncode == 1 and "longest source" in lines(r)[0]["error"]
    refused("invalid_request", "clip", talk, "--end", "1")


# -- clips -----------------------------------------------------------------------------------------


def test_clip_records_library_clips_and_the_users_files(talk, tmp_path):
    [lib_job] = lines(ok("clip", talk, "--start", "1", "--end", "2", "--mode", "keyframe", "--json"))
    assert lib_job["saved_to_library"] is True and lib_job["clip_id"] and lib_job["expires_at"]
    out = tmp_path / "mine.mp4"
    [user_job] = lines(ok("clip", talk, "--start", "1", "--end", "2", "-o", out, "--json"))
    assert user_job["saved_to_library"] is False and user_job["expires_at"] is None
    assert user_job["path"] == str(out) and out.exists()
    with Library() as lib:
        mine = lib.get_clip(user_job["clip_id"])
        assert not mine.in_library and mine.expires_at is None and mine.path == str(out)
        assert lib.get_clip(lib_job["clip_id"]).in_library


def test_a_source_may_be_a_file_id_or_a_clip_id(talk, tmp_path):
    [m] = lines(ok("import", talk, "--json"))
    [by_id] = lines(ok("clip", m["file_id"], "--start", "0", "--end", "3", "--json"))
    assert by_id["status"] == "complete" and by_id["file_id"] == m["file_id"]
    [of_clip] = lines(ok("clip", by_id["clip_id"], "--start", "1", "--end", "2", "--json"))
    assert of_clip["status"] == "complete" and of_clip["file_id"] != m["file_id"]  # the clip's file, imported
    assert of_clip["duration"] == pytest.approx(1.0, abs=0.04)
    refused("not_found", "clip", "upl_000000000000", "--end", "1")
    refused("not_found", "clip", "00000000-0000-0000-0000-000000000000", "--end", "1")


def test_gone_for_a_moved_source_and_conflict_for_an_import_not_ready(talk, tmp_path):
    src = copy(talk, tmp_path / "moving.mp4")
    [m] = lines(ok("import", src, "--json"))
    src.rename(tmp_path / "moved.mp4")
    r = refused("gone", "clip", m["file_id"], "--end", "1")
    assert "moved or deleted" in r.stderr
    with Library() as lib:
        pending = lib.add_media(copy(talk, tmp_path / "later.mp4"))  # recorded, not probed yet
    refused("conflict", "clip", pending.file_id, "--end", "1")
    refused("invalid_request", "clip", lines(ok("import", talk, "--json"))[0]["file_id"], "--start", "4",
            "--end", "99")


def test_clips_list_is_paged_newest_first_and_filtered_by_source(talk, song):
    ok("clip", talk, "--segment", "0-1", "--segment", "1-2", "--segment", "2-3", "--mode", "keyframe")
    ok("clip", song, "--start", "0", "--end", "1")
    page = lines(ok("clips", "list", "--limit", "2", "--json"))[0]
    assert page["total"] == 4 and len(page["data"]) == 2 and page["data"][0]["file_name"] == "song_0-0-0-1.mp3"
    rest = lines(ok("clips", "list", "--offset", "2", "--limit", "2", "--json"))[0]["data"]
    names = [c["file_name"] for c in page["data"] + rest]
    assert len(set(names)) == 4
    by_source = lines(ok("clips", "list", "--source", talk, "--json"))[0]
    assert by_source["total"] == 3 and {c["file_name"] for c in by_source["data"]} == {
        "talk_0-0-0-1.mp4", "talk_0-1-0-2.mp4", "talk_0-2-0-3.mp4"}
    file_id = by_source["data"][0]["source_file_id"]
    assert lines(ok("clips", "list", "--source", file_id, "--json"))[0]["total"] == 3
    refused("invalid_request", "clips", "list", "--limit", "101")
    refused("invalid_request", "clips", "list", "--offset", "-1")
    refused("not_found", "clips", "list", "--source", "upl_000000000000")
    assert "song_0-0-0-1" in ok("clips", "list").stdout


def test_rename_pin_unpin_delete_and_bulk_delete(talk, tmp_path):
    jobs = lines(ok("clip", talk, "--segment", "0-1", "--segment", "1-2", "--segment", "2-3", "--mode", "keyframe",
                    "--json"))
    a, b, c = (j["clip_id"] for j in jobs)
    assert lines(ok("clips", "rename", a, "x" * 200, "--json"))[0]["title"] == "x" * 200
    refused("invalid_request", "clips", "rename", a, "x" * 201)
    pinned = lines(ok("clips", "pin", a, "--json"))[0]
    assert pinned["pinned"] is True and pinned["expires_at"] is None
    unpinned = lines(ok("clips", "unpin", a, "--json"))[0]
    assert unpinned["pinned"] is False and unpinned["expires_at"]
    ok("clips", "delete", a)
    assert not Path(jobs[0]["path"]).exists()
    refused("not_found", "clips", "show", a)
    user = tmp_path / "kept.mp4"
    [u] = lines(ok("clip", talk, "--start", "0", "--end", "1", "-o", user, "--json"))
    ok("clips", "delete", u["clip_id"])
    assert user.exists()  # the user's file is never deleted
    refused("invalid_request", "clips", "bulk-delete", *[f"id{i}" for i in range(51)])
    r = lines(ok("clips", "bulk-delete", b, c, "missing-id", "--json"))[0]
    assert r == {"deleted": [b, c], "not_found": ["missing-id"]}
    assert not Path(jobs[1]["path"]).exists() and not Path(jobs[2]["path"]).exists()


def test_clips_export_copies_a_clip_to_a_place_of_the_users(talk, tmp_path):
    [j] = lines(ok("clip", talk, "--start", "0", "--end", "2", "--mode", "keyframe", "--json"))
    folder = tmp_path / "exports"
    folder.mkdir()
    ok("clips", "export", j["clip_id"], "-o", folder)
    assert sha(folder / j["file_name"]) == sha(j["path"])
    ok("clips", "export", j["clip_id"], "-o", tmp_path / "named.mp4")
    assert sha(tmp_path / "named.mp4") == sha(j["path"])
    refused("not_found", "clips", "export", "00000000-0000-0000-0000-000000000000", "-o", folder)


def test_an_expired_clip_is_swept_and_not_found(talk, tmp_path):
    jobs = lines(ok("clip", talk, "--segment", "0-1", "--segment", "1-2", "--mode", "keyframe", "--json"))
    old, kept = jobs
    ok("clips", "pin", kept["clip_id"])
    db = sqlite3.connect(home() / "library.db")  # time passes: it was made two days ago
    with db:
        db.execute("UPDATE clips SET expires_at = '2000-01-01T00:00:00Z' WHERE clip_id = ?", (old["clip_id"],))
    db.close()
    listed = lines(ok("clips", "list", "--json"))[0]  # start-up sweeps
    assert [c["clip_id"] for c in listed["data"]] == [kept["clip_id"]]
    assert not Path(old["path"]).exists() and Path(kept["path"]).exists()
    r = refused("not_found", "clips", "show", old["clip_id"])  # as the API: 404 for an expired clip
    assert "expired" in r.stderr
    refused("not_found", "clips", "export", old["clip_id"], "-o", tmp_path)
    refused("not_found", "clip", old["clip_id"], "--end", "0.5")
    expired = lines(ok("clips", "list", "--all", "--json"))[0]["data"]
    assert {c["clip_id"]: c["status"] for c in expired}[old["clip_id"]] == "expired"


# -- config ----------------------------------------------------------------------------------------


def test_config_get_set_list(talk):
    assert ok("config", "get", "clip_ttl_hours").stdout.strip() == "24"
    assert lines(ok("config", "set", "clip_ttl_hours", "1.5", "--json")) == [{"clip_ttl_hours": 1.5}]
    assert lines(ok("config", "get", "clip_ttl_hours", "--json")) == [{"clip_ttl_hours": 1.5}]
    settings = lines(ok("config", "list", "--json"))[0]
    assert settings["clip_ttl_hours"] == 1.5
    assert {"workers", "max_upload_bytes", "max_duration_seconds"} <= set(settings)
    assert "clip_ttl_hours = 1.5  (default 24)" in ok("config", "list").stdout
    [j] = lines(ok("clip", talk, "--start", "0", "--end", "1", "--mode", "keyframe", "--json"))
    with Library() as lib:
        c = lib.get_clip(j["clip_id"])
        from engine.library import parse_iso

        assert (parse_iso(c.expires_at) - parse_iso(c.created_at)).total_seconds() == 5400
    refused("invalid_request", "config", "set", "clip_ttl_hours", "soon")
    refused("invalid_request", "config", "set", "workers", "0")
    refused("invalid_request", "config", "get", "colour")


# -- jobs ------------------------------------------------------------------------------------------


def test_jobs_list_show_cancel_retry_and_run(talk, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    r = fastclip("clip", talk, "--start", "0", "--end", "1", "-o", blocker / "c.mp4", "--json")
    assert r.returncode == 1
    [failed] = lines(r)
    assert failed["status"] == "failed" and failed["error"]["code"] == "processing_failed"
    listed = lines(ok("jobs", "list", "--status", "failed", "--json"))[0]["data"]
    assert [j["job_id"] for j in listed] == [failed["job_id"]]
    shown = lines(ok("jobs", "show", failed["job_id"], "--json"))[0]
    assert shown["kind"] == "clip" and shown["status"] == "failed" and shown["attempts"] == 1
    assert "import" in ok("jobs", "list", "--kind", "import").stdout
    blocker.unlink()
    [retried] = lines(ok("jobs", "retry", failed["job_id"], "--json"))
    assert retried["job_id"] == failed["job_id"] and retried["status"] == "complete"
    assert (blocker / "c.mp4").exists()
    refused("conflict", "jobs", "retry", failed["job_id"])  # only a failed job
    refused("conflict", "jobs", "cancel", failed["job_id"])  # it has ended
    refused("not_found", "jobs", "show", "job_000000000000")
    with Library() as lib:  # queued, e.g. by the GUI, and not run yet
        file_id = shown["file_id"]
        queued = [lib.create_job("clip", {"file_id": file_id, "start": 0, "end": 1, "mode": "keyframe",
                                          "format": "mp4", "out": str(tmp_path / f"q{i}.mp4")}) for i in range(2)]
    cancelled = lines(ok("jobs", "cancel", queued[0].job_id, "--json"))[0]
    assert cancelled["status"] == "failed" and cancelled["error"]["code"] == "cancelled"
    [ran] = lines(ok("jobs", "run", "--json"))
    assert ran["job_id"] == queued[1].job_id and ran["status"] == "complete" and (tmp_path / "q1.mp4").exists()
    assert not (tmp_path / "q0.mp4").exists()
    assert ok("jobs", "run").stderr.strip() == "no pending jobs"


def test_the_clip_commands_host_stays_lean(talk, tmp_path):
    """`fastclip clip` is timed against ffmpeg: its own process imports neither PyAV (the worker
    does) nor sqlite-utils (about 100 ms with numpy), and it forks its one worker only while it is
    still clean (no PyAV, SQLite, numpy or Qt loaded yet: StartedWorker.early)."""
    code = ("import os, sys; from fastclip_desktop.cli import main\n"
            "real_fork, at_fork = os.fork, []\n"
            "def fork():\n"
            "    at_fork.append(sorted(m for m in ('av', 'sqlite3', 'sqlite_utils', 'numpy', 'PySide6') "
            "if m in sys.modules))\n"
            "    return real_fork()\n"
            "os.fork = fork\n"
            f"rc = main(['clip', {str(talk)!r}, '--end', '1', '--mode', 'keyframe', '-o', "
            f"{str(tmp_path / 'x.mp4')!r}])\n"
            "print(rc, sorted(m for m in ('av', 'sqlite_utils', 'numpy', 'PySide6') if m in sys.modules), at_fork)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == ("0 [] [[]]" if sys.platform == "linux" else "0 [] []")
    assert (tmp_path / "x.mp4").exists()
