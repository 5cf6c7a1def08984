"""`fastclip batch FILE --scheduler local:2`: a mixed batch (clips in both modes, captions, a
transcript) on a LocalCluster the CLI starts, shown and recorded; run again, all skipped.

`fastclip batch FILE --scheduler tcp://...` against a real `dask scheduler` and `dask worker`
processes started from this venv on loopback ports: workers without the engine (or another one)
refused before anything runs; a worker killed mid-batch (its task done by the other, no temp file
left); the scheduler killed mid-batch (a clear error, a re-run with a new scheduler does the rest);
Ctrl+C (the cluster's tasks cancelled, what finished recorded).

Every test starts its own small cluster (one thread per worker, no nanny, so the worker process
is the one killed); the sources are precise cuts of a long-GOP video, so each job re-encodes for
about a second and there is time to kill things while jobs run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import distributed  # (fastclip-desktop[cluster], which make installs)
import pytest

from engine import cache_dir, cached_transcript
from engine.library import Library
from tests import media
from tests.engine.captions.test_burn_in import speech_video

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "fastclip_desktop.cli"]
DASK = str(Path(sys.executable).with_name("dask"))
START_S = 60  # for a process of the cluster to be up (2 busy cores)
# this checkout's engine first, for the CLI and the workers alike (the venv may hold another checkout's)
def here_env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskCluster:
    """A `dask scheduler` and `dask worker` processes on loopback ports, stopped at the end."""

    def __init__(self, folder: Path, worker_home: Path):
        self.folder, self.worker_home = folder, worker_home
        self.procs: list[subprocess.Popen] = []
        self.workers: dict[str, subprocess.Popen] = {}
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.scheduler = self._start([DASK, "scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                                      "--dashboard-address", f"127.0.0.1:{free_port()}"], "scheduler")

    def _start(self, command: list[str], name: str, env: dict | None = None, cwd=None) -> subprocess.Popen:
        log = open(self.folder / f"{name}-{len(self.procs)}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env or here_env(),
                                cwd=cwd or self.folder)
        log.close()
        self.procs.append(proc)
        return proc

    def worker(self, *, env: dict | None = None, python: list[str] | None = None) -> str:
        """Start a worker (``python``: how to start it instead of `dask worker`); its address."""
        address = f"tcp://127.0.0.1:{free_port()}"
        args = [self.address, "--no-nanny", "--nthreads", "1", "--host", "127.0.0.1", "--worker-port",
                address.rsplit(":", 1)[1], "--no-dashboard", "--death-timeout", "20",
                "--local-directory", str(self.folder)]
        env = {**here_env(), "FASTCLIP_HOME": str(self.worker_home), "HF_HUB_OFFLINE": "1", **(env or {})}
        self.workers[address] = self._start([*(python or [DASK, "worker"]), *args], "worker", env)
        return address

    def wait_for(self, n: int) -> None:
        with distributed.Client(self.address, timeout=START_S, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=START_S)

    def kill(self, proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def close(self) -> None:
        for proc in self.procs:
            self.kill(proc)


@pytest.fixture
def clusters(tmp_path):
    made: list[DaskCluster] = []

    def start(workers: int = 2) -> DaskCluster:
        c = DaskCluster(Path(tmp_path), tmp_path / "worker-home")
        made.append(c)
        for _ in range(workers):
            c.worker()
        if workers:
            c.wait_for(workers)
        return c

    yield start
    for c in made:
        c.close()


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory):
    """4 s at 640x480 with one keyframe every 4 s: a precise cut re-encodes most of it (~1 s)."""
    return media.make_video(tmp_path_factory.mktemp("cluster-cli") / "long.mp4", duration=4.0, width=640,
                            height=480, gop=120)


def batch_file(folder: Path, source: Path, n: int) -> Path:
    rows = [{"source": str(source), "start": round(0.3 + 0.1 * i, 3), "end": 3.7, "mode": "precise",
             "out": f"out/cut{i}.mp4"} for i in range(n)]
    path = folder / "batch.json"
    path.write_text(json.dumps(rows))
    return path


def run_cli(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], check=False, capture_output=True, text=True, timeout=240, cwd=ROOT,
                          env=here_env(), **kwargs)


def start_cli(*args) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=here_env())


def clip_jobs() -> list:
    with Library() as lib:
        return lib.list_jobs(kind="clip", limit=100)


def wait_until(predicate, what: str, timeout: float = 90.0, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the batch ended before {what}: {proc.stdout.read()}\n{proc.stderr.read()}")
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".fastclip-part" in p.name) if folder.exists() else []


def first_frame(path: Path) -> int:
    return media.frame_numbers(path)[0][1]


def test_workers_without_the_engine_or_with_another_are_refused_before_anything_runs(
        clusters, long_gop, tmp_path):
    c = clusters(workers=0)
    # one worker whose Python cannot import the engine at all
    bare = ("import os, sys; sys.path[:] = [p for p in sys.path if not os.path.isdir(os.path.join(p or '.', "
            "'engine'))]; from distributed.cli.dask_worker import main; sys.argv[0] = 'dask-worker'; main()")
    no_engine = c.worker(python=[sys.executable, "-c", bare], env={"PYTHONPATH": ""})
    # one whose engine is another version (one comment more)
    other = tmp_path / "other"
    shutil.copytree(ROOT / "engine", other / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "engine" / "errors.py", "a") as f:
        f.write("# another version\n")
    another = c.worker(env={"PYTHONPATH": str(other)})
    c.wait_for(2)
    batch = batch_file(tmp_path, long_gop, 2)

    r = run_cli("batch", batch, "--scheduler", c.address)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"no worker of {c.address} can run FastClip jobs" in r.stderr
    assert f"{no_engine}: it has no FastClip engine (ModuleNotFoundError: No module named 'engine')" in r.stderr
    assert f"{another}: it runs another FastClip engine" in r.stderr and "install the same version there" in r.stderr
    assert clip_jobs() == [] and not (tmp_path / "out").exists()  # refused before anything was planned

    good = c.worker()
    c.wait_for(3)
    r = run_cli("batch", batch, "--scheduler", c.address)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"worker {no_engine} refused: it has no FastClip engine" in r.stderr
    assert f"worker {another} refused: it runs another FastClip engine" in r.stderr
    assert {j.worker_address for j in clip_jobs()} == {good}
    assert r.stdout.splitlines()[-1] == "2 complete of 2"


def test_a_scheduler_nobody_runs_is_a_clear_error_and_nothing_is_planned(long_gop, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    r = run_cli("batch", batch_file(tmp_path, long_gop, 2), "--scheduler", address)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr  # refused before anything ran
    assert f"cannot reach the Dask scheduler at {address}" in r.stderr
    assert clip_jobs() == [] and not (tmp_path / "out").exists()


def test_a_worker_killed_mid_batch_has_its_task_done_by_the_other_and_leaves_no_temp_file(
        clusters, long_gop, tmp_path):
    c = clusters(workers=2)
    victim, survivor = sorted(c.workers)
    batch = batch_file(tmp_path, long_gop, 6)
    cli = start_cli("batch", batch, "--scheduler", c.address)
    try:
        running = wait_until(lambda: next((j for j in clip_jobs() if j.worker_address == victim
                                           and j.status == "processing" and j.progress >= 10), None),
                             "a job processing on the victim", proc=cli)
        c.kill(c.workers[victim])
        left = temps(tmp_path / "out")  # the killed export's temp file, still there
        out, err = cli.communicate(timeout=180)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0, out + err
    assert left, "the worker was killed before it wrote anything: no temp file to clean"
    assert temps(tmp_path / "out") == []
    jobs = {j.job_id: j for j in clip_jobs()}
    assert len(jobs) == 6 and all(j.status == "complete" for j in jobs.values())
    assert jobs[running.job_id].worker_address == survivor  # run again, on the other worker
    assert out.splitlines()[-1] == "6 complete of 6"
    for i in range(6):
        assert first_frame(tmp_path / "out" / f"cut{i}.mp4") == 9 + 3 * i  # the frame shown at 0.3 + 0.1 i s
    assert f"worker {victim} left the cluster" in err


def test_the_scheduler_going_away_stops_the_batch_and_a_rerun_does_the_rest(clusters, long_gop, tmp_path):
    c = clusters(workers=2)
    batch = batch_file(tmp_path, long_gop, 6)
    cli = start_cli("batch", batch, "--scheduler", c.address)
    try:
        wait_until(lambda: sum(j.status == "complete" for j in clip_jobs()) >= 2, "two jobs complete", proc=cli)
        c.kill(c.scheduler)
        _, err = cli.communicate(timeout=120)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 1 and "Traceback" not in err, err
    assert f"the batch stopped: lost the connection to the scheduler at {c.address}" in err
    assert "run the same batch again (with a scheduler) to do the rest" in err
    jobs = clip_jobs()
    done = {j.job_id for j in jobs if j.status == "complete"}
    assert len(jobs) == 6 and 2 <= len(done) < 6
    assert all(j.status == "pending" for j in jobs if j.job_id not in done)  # queued again, not failed
    c.close()  # the old workers too

    again = clusters(workers=2)
    r = run_cli("batch", batch, "--scheduler", again.address, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert {o["job_id"] for o in rows if o["skipped"]} == done
    assert all(o["status"] == "complete" for o in rows) and len(rows) == 6
    assert {o["worker_address"] for o in rows if not o["skipped"]} <= set(again.workers)
    assert temps(tmp_path / "out") == []
    assert sorted(os.listdir(tmp_path / "out")) == [f"cut{i}.mp4" for i in range(6)]


def test_ctrl_c_cancels_the_clusters_tasks_and_records_what_finished(clusters, long_gop, tmp_path):
    c = clusters(workers=1)
    batch = batch_file(tmp_path, long_gop, 4)
    cli = start_cli("batch", batch, "--scheduler", c.address)
    try:
        def one_done_one_running() -> bool:
            jobs = clip_jobs()
            return (any(j.status == "complete" for j in jobs)
                    and any(j.status == "processing" and j.progress >= 10 for j in jobs))

        wait_until(one_done_one_running, "one job complete and one processing", proc=cli)
        cli.send_signal(signal.SIGINT)
        out, err = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    jobs = clip_jobs()
    statuses = sorted(j.status for j in jobs)
    assert statuses.count("complete") >= 1 and "processing" not in statuses and "downloading" not in statuses
    cancelled = [j for j in jobs if j.status == "failed"]
    assert cancelled and all(j.error["code"] == "cancelled" for j in cancelled)
    assert " complete " in out  # the summary of what was done
    wait_until(lambda: temps(tmp_path / "out") == [], "no temp file", timeout=10)
    complete = [j for j in jobs if j.status == "complete"]
    assert all(Path(j.result["path"]).is_file() for j in complete)
    assert all(not Path(j.request["out"]).exists() for j in cancelled)


def test_a_mixed_batch_on_a_local_cluster_is_shown_recorded_and_skipped_when_run_again(tmp_path):
    media.make_video(tmp_path / "talk.mp4", duration=4.0)
    speech = speech_video(tmp_path / "speech.mp4", size=(320, 180), duration=4.0)
    rows = [{"source": "talk.mp4", "start": 1.2, "end": 3, "mode": "keyframe", "out": "out/k.mp4"},
            {"source": "talk.mp4", "start": 0.5, "end": 2.5, "mode": "precise", "out": "out/p.mp4"},
            {"kind": "captions", "source": "speech.mp4", "captions": "builtin:clean-subtitle", "out": "out/c.mp4"},
            {"kind": "transcript", "source": "speech.mp4"}]
    batch = tmp_path / "mixed.json"
    batch.write_text(json.dumps(rows))

    r = run_cli("batch", batch, "--scheduler", "local:2")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout + r.stderr
    assert "cluster tcp://127.0.0.1:" in r.stderr and ": 2 worker(s) (127.0.0.1:" in r.stderr
    assert "dashboard: http://" in r.stderr  # (bokeh is in the extra)
    header, *table, counts = r.stdout.splitlines()
    assert header.split()[:6] == ["#", "source", "range", "format", "status", "worker"]
    assert [line.split()[4] for line in table] == ["complete"] * 4
    assert all(line.split()[5].startswith("127.0.0.1:") for line in table)
    assert "transcript:" in table[3] and " words, " in table[3] and counts == "4 complete of 4"

    # the outputs: keyframe from the keyframe at 1 s, precise from the frame at 0.5 s, captioned whole
    out = tmp_path / "out"
    assert [n for _, n in media.frame_numbers(out / "k.mp4")][::59] == [30, 89]
    assert [n for _, n in media.frame_numbers(out / "p.mp4")] == list(range(15, 75))
    assert abs(media.probe(out / "c.mp4")["duration"] - 4.0) < 0.1 and temps(out) == []
    # the rows here, each with the worker that ran it; the transcript in this machine's cache
    with Library() as lib:
        jobs = lib.list_jobs(limit=20)
        clips = {Path(c.path).name: c for c in lib.list_clips(limit=10)}
    ran = [j for j in jobs if j.kind != "import"]
    assert sorted(j.kind for j in ran) == ["captions", "clip", "clip", "transcript"]
    assert all(j.status == "complete" and j.worker_address.startswith("tcp://127.0.0.1:") for j in ran)
    assert sorted(clips) == ["c.mp4", "k.mp4", "p.mp4"] and clips["c.mp4"].captioned
    assert cached_transcript(speech, cache_dir=cache_dir()) is not None
    listed = run_cli("jobs", "list").stdout
    assert sum("[tcp://127.0.0.1:" in line for line in listed.splitlines()) == 4

    again = run_cli("batch", batch)  # (the same planning as with a scheduler; no cluster to start)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[-1] == "4 skipped of 4"
    with Library() as lib:
        assert len(lib.list_jobs(limit=20)) == len(jobs)  # nothing made again
