"""The `fastclip` command as a user runs it: real processes, real files, exit codes, JSON."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import media

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]


def fastclip(*args, cwd=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return media.make_video(tmp_path_factory.mktemp("src") / "talk.mp4", duration=8.0)


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_clip_prints_the_api_job_object(source, tmp_path):
    out = tmp_path / "c.mp4"
    r = fastclip("clip", source, "--start", "2.5", "--end", "6", "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "complete" and job["progress"] == 100
    assert job["job_id"].startswith("job_")
    assert job["file_name"] == "c.mp4" and job["path"] == str(out)
    assert job["format"] == "mp4" and job["aspect_ratio"] == "4:3" and job["quality"] == "240p"
    assert job["duration"] == pytest.approx(3.5, abs=0.04)
    frames = media.frame_numbers(out)
    assert frames[0][1] == 75 and frames[-1][1] == 179


def test_keyframe_mode_reports_the_real_start(source, tmp_path):
    r = fastclip("clip", source, "--start", "2.5", "--end", "6", "--mode", "keyframe", "-o", tmp_path / "k.mp4",
                 "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["start"] == 2.0  # the keyframe at or before 2.5 (one every second)
    assert media.frame_numbers(tmp_path / "k.mp4")[0][1] == 60


def test_default_name_follows_the_api_pattern(source, tmp_path):
    # without -o the clip is a library clip (issue 3): in the library's clips folder, not the cwd
    r = fastclip("clip", source, "--start", "1", "--end", "3.5", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["file_name"] == "talk_0-1-0-3.5.mp4" and job["saved_to_library"] is True
    assert Path(job["path"]).parent == Path(os.environ["FASTCLIP_HOME"]) / "clips" and Path(job["path"]).exists()
    assert os.listdir(tmp_path) == []


def test_segments_become_one_clip_each_in_a_folder(source, tmp_path):
    out = tmp_path / "clips"
    r = fastclip("clip", source, "--segment", "1-2", "--segment", "4-5.5", "-o", f"{out}/", "--json")
    assert r.returncode == 0, r.stderr
    jobs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [j["file_name"] for j in jobs] == ["talk_0-1-0-2.mp4", "talk_0-4-0-5.5.mp4"]
    assert len({j["job_id"] for j in jobs}) == 2
    assert sorted(p.name for p in out.iterdir()) == ["talk_0-1-0-2.mp4", "talk_0-4-0-5.5.mp4"]


def test_join_makes_one_file_in_segment_order(source, tmp_path):
    out = tmp_path / "j.mp4"
    r = fastclip("clip", source, "--segment", "4-5", "--segment", "1-2", "--join", "-o", out)
    assert r.returncode == 0, r.stderr
    numbers = [n for _, n in media.frame_numbers(out)]
    assert numbers == list(range(120, 150)) + list(range(30, 60))


def test_format_comes_from_the_output_name(source, tmp_path):
    r = fastclip("clip", source, "--start", "1", "--end", "3", "-o", tmp_path / "a.mp3", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["format"] == "mp3"
    assert media.probe(tmp_path / "a.mp3")["streams"][0]["codec"] == "mp3"


@pytest.mark.parametrize("args,needle", [
    (["--start", "5", "--end", "99"], "past the end"),
    (["--start", "5", "--end", "5.2"], "at least 0.5"),
    (["--start", "1", "--end", "3", "--format", "gif", "--quality", "4k"], "4k"),
    (["--start", "1", "--end", "3", "--format", "mp3", "--quality", "720p"], "no quality"),
    (["--segment", "1-2", "--segment", "3-4", "-o", "two.mp4"], "folder"),
    (["--segment", "oops"], "START-END"),
    (["--start", "1", "--end", "3", "-o", "x.mp3", "--format", "mp4"], "ends in .mp3"),
])
def test_rejected_requests_exit_2_with_one_line_and_no_file(source, tmp_path, args, needle):
    before = set(os.listdir(tmp_path))
    r = fastclip("clip", source, *args, cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "invalid_request" in lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert set(os.listdir(tmp_path)) == before


def test_missing_and_non_media_sources_exit_2(tmp_path):
    r = fastclip("clip", tmp_path / "nope.mp4", "--end", "2")
    assert r.returncode == 2 and "not_found" in r.stderr and "Traceback" not in r.stderr
    bad = media.text_file(tmp_path / "notes.mp4")
    r = fastclip("clip", bad, "--end", "2", cwd=tmp_path)
    assert r.returncode == 2 and "unsupported_media" in r.stderr and "text file" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["notes.mp4"]


def test_a_failing_job_exits_1_and_leaves_nothing(source, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    r = fastclip("clip", source, "--start", "1", "--end", "3", "-o", blocker / "c.mp4", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["status"] == "failed"
    assert "failed" in r.stderr and "Traceback" not in r.stderr


def test_the_source_is_never_modified(source, tmp_path):
    before = sha(source)
    for mode in ("keyframe", "precise"):
        assert fastclip("clip", source, "--start", "1", "--end", "4", "--mode", mode,
                        "-o", tmp_path / f"{mode}.mp4").returncode == 0
    assert fastclip("clip", source, "--start", "1", "--end", "4", "-o", source).returncode == 2
    assert sha(source) == before


def test_a_killed_export_leaves_no_file(tmp_path):
    src = media.make_video(tmp_path / "long.mp4", duration=20.0, width=640, height=480)
    out = tmp_path / "out"
    out.mkdir()
    # a full re-encode (GIF at 480p with palette) takes long enough to be killed midway
    proc = subprocess.Popen([*CLI, "clip", str(src), "--start", "0", "--end", "20", "--format", "mp4",
                             "--quality", "720p", "--mode", "precise", "-o", str(out / "c.mp4")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline and not any(out.iterdir()):
        time.sleep(0.02)
    assert any(out.iterdir()), "the export never started writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1.0)  # the worker notices its parent died and removes its temp file
    assert list(out.iterdir()) == []


def test_probe_describes_a_file(source):
    r = fastclip("probe", source, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["media_kind"] == "video" and d["max_height"] == 240 and d["container"] == "mp4"
    assert d["duration"] == pytest.approx(8.0, abs=0.05)
    r = fastclip("probe", source)
    assert r.returncode == 0 and "h264" in r.stdout and "aac" in r.stdout


def test_probe_of_a_missing_file_exits_2(tmp_path):
    r = fastclip("probe", tmp_path / "x.mp4")
    assert r.returncode == 2 and "no such file" in r.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="the worker is forked on Linux only")
def test_clip_forks_its_worker_while_it_is_still_clean(source, tmp_path):
    """`fastclip clip` starts its worker first, as a fork of itself (the cheapest start), and only
    while it is clean: one thread, and none of PyAV, SQLite, numpy or Qt loaded yet."""
    code = ("import os, sys\n"
            "from fastclip_desktop.cli import main\n"
            "real_fork, seen = os.fork, []\n"
            "def fork():\n"
            "    loaded = sorted(m for m in ('av', 'sqlite3', 'numpy', 'PySide6') if m in sys.modules)\n"
            "    seen.append((loaded, len(os.listdir('/proc/self/task'))))\n"
            "    return real_fork()\n"
            "os.fork = fork\n"
            f"rc = main(['clip', {str(source)!r}, '--end', '2', '--mode', 'keyframe', '-o', "
            f"{str(tmp_path / 'c.mp4')!r}])\n"
            "print(rc, seen)")
    r = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "0 [([], 1)]"  # one fork, of a clean process
    assert media.frame_numbers(tmp_path / "c.mp4")[0][1] == 0


def test_help_and_mistakes_name_every_command():
    r = fastclip("--help")
    assert r.returncode == 0
    assert all(f" {c} " in r.stdout for c in ("clip", "probe", "import", "clips", "jobs", "batch", "webhooks"))
    r = fastclip("clipz", "x.mp4")
    assert r.returncode == 2 and "invalid choice: 'clipz'" in r.stderr and "'batch'" in r.stderr
    r = fastclip("clips", "list", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: fastclip clips list")


def ended(pid: int) -> bool:
    """Whether process ``pid`` has exited (gone, or a zombie waiting for whoever adopted it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_the_worker_ends_by_itself_after_the_command(source, tmp_path):
    """`fastclip clip` does not wait for its worker to give back what PyAV held: it tells it to stop
    and exits; the worker must then end on its own, leaving nothing running."""
    r = fastclip("clip", source, "--start", "1", "--end", "3", "--mode", "keyframe", "-o", tmp_path / "c.mp4",
                 "--json")
    assert r.returncode == 0, r.stderr
    from engine.library import Library

    with Library() as lib:
        pid = lib.get_job(json.loads(r.stdout)["job_id"]).worker_pid
    assert pid and pid != os.getpid()
    deadline = time.monotonic() + 10
    while not ended(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ended(pid)
